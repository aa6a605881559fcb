"""Robust ML (lavaan's ``estimator = "MLR"``): Huber-White sandwich standard
errors and the Yuan-Bentler (Mplus variant) scaled test statistic.

With the per-observation information ``A`` (observed: half the Hessian of the
ML discrepancy) and the first-order "meat" ``B = mean(s_i s_i')`` of the
casewise scores ``s_i``,

    vcov = A^-1 B A^-1 / N.

The scaling factor of the chi-square is ``c = (tr(A1^-1 B1) - tr(A0^-1 B0)) / df``
where index 1 is the saturated model (evaluated, as lavaan does for complete data,
at the sample moments) and 0 the fitted model.
"""

from __future__ import annotations

import numpy as np


def _vech_indices(p: int):
    return np.tril_indices(p)


def casewise_scores(objective, theta: np.ndarray, g: int, x: np.ndarray) -> np.ndarray:
    """Scores of each observation's log-likelihood with respect to ``theta`` (n_g x K)."""
    model = objective.model
    mom = model.moments(theta, g)
    sigma, mu = mom["sigma"], mom["mu"]
    inv = np.linalg.inv(sigma)
    d_sigma, d_mu = model.jacobian(theta, g, mom)
    centre = mu if objective.meanstructure else x.mean(axis=0)
    e = x - centre
    z = e @ inv                                                     # rows: Sigma^-1 e_i
    p, K = sigma.shape[0], theta.size
    # 0.5 tr(Sigma^-1 (e e' - Sigma) Sigma^-1 dSigma_k) = 0.5 (z' dSigma_k z - tr(Sigma^-1 dSigma_k))
    dk = d_sigma.transpose(2, 0, 1)                                  # (K, p, p)
    quad = np.einsum("ia,kab,ib->ik", z, dk, z, optimize=True)
    trace = np.einsum("ab,kba->k", inv, dk)
    scores = 0.5 * (quad - trace)
    if objective.meanstructure:
        scores += z @ d_mu
    return scores


def observed_information(objective, theta: np.ndarray, step: float = 1e-6) -> np.ndarray:
    """Half the Hessian of the ML discrepancy (per observation), by central differences
    of the analytic gradient."""
    K = theta.size
    hess = np.zeros((K, K))
    for k in range(K):
        h = step * max(1.0, abs(theta[k]))
        up, down = theta.copy(), theta.copy()
        up[k] += h
        down[k] -= h
        hess[:, k] = (objective.value_and_gradient(up)[1] - objective.value_and_gradient(down)[1]) / (2 * h)
    hess = 0.5 * (hess + hess.T)
    return 0.5 * hess


def saturated_trace(objective, theta: np.ndarray, g: int, x: np.ndarray) -> tuple[float, int]:
    """tr(A1^-1 B1) for the saturated model, and its number of moments.

    For complete data lavaan evaluates both at the sample moments (checked
    against lavaan 0.6's scaling factors).
    """
    st = objective.stats[g - 1]
    p = st.cov.shape[0]
    inv = np.linalg.inv(st.cov)
    rows, cols = _vech_indices(p)
    e = x - st.mean
    z = e @ inv
    # score of vech(Sigma): 0.5 * (z z' - Sigma^-1), off-diagonal entries counted twice
    weight = np.where(rows == cols, 0.5, 1.0)
    s_cov = weight * (z[:, rows] * z[:, cols] - inv[rows, cols])
    # expected information of vech(Sigma): 0.5 * D'(V kron V)D in vech coordinates
    a_cov = weight[:, None] * weight[None, :] * 2 * (
        inv[rows][:, rows] * inv[cols][:, cols] + inv[rows][:, cols] * inv[cols][:, rows]
    ) * 0.5
    scores, info = s_cov, a_cov
    if objective.meanstructure:
        scores = np.hstack([z, s_cov])
        info = np.block([[inv, np.zeros((p, rows.size))], [np.zeros((rows.size, p)), a_cov]])
    b1 = scores.T @ scores / x.shape[0]
    trace = float(np.sum(b1 * np.linalg.inv(info).T))
    return trace, info.shape[0]


def mlr(objective, theta: np.ndarray, blocks: list[np.ndarray], df: int) -> dict:
    """Sandwich covariance matrix and Yuan-Bentler scaling factor."""
    a0 = observed_information(objective, theta)
    a0_inv = np.linalg.inv(a0)
    meat = np.zeros_like(a0)
    trace_h0 = trace_h1 = 0.0
    for g, (x, w) in enumerate(zip(blocks, objective.weights), start=1):
        s = casewise_scores(objective, theta, g, x)
        b0 = s.T @ s / x.shape[0]
        meat += w * b0
        trace_h0 += w * float(np.sum(b0 * a0_inv.T))
        trace_h1 += saturated_trace(objective, theta, g, x)[0]
    vcov = a0_inv @ meat @ a0_inv / objective.ntotal
    scaling = (trace_h1 - trace_h0) / df if df > 0 else np.nan
    return {"vcov": vcov, "scaling_factor": scaling, "trace_h1": trace_h1, "trace_h0": trace_h0}
