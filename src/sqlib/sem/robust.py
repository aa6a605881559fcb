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

from .fiml import (FIMLObjective, complete_saturated_information, independence_scores, one_blas_thread,
                   saturated_information, vech_indices)
from .fitmeasures import fiml_corrected_fit_measures, fiml_robust_fit_measures


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


def mlr(objective, theta: np.ndarray, blocks: list[np.ndarray], df: int, h1=None) -> dict:
    """Sandwich covariance matrix and Yuan-Bentler scaling factor.

    For FIML (``h1``: the EM means and covariances per group) the scores are those of
    each respondent's observed-data log-likelihood and the saturated model's traces use
    its observed and first-order information at the EM estimates, as lavaan's
    ``yuan.bentler.mplus`` test does with ``missing = "ml"``.
    """
    fiml = isinstance(objective, FIMLObjective)
    a0 = observed_information(objective, theta)
    a0_inv = np.linalg.inv(a0)
    meat = np.zeros_like(a0)
    trace_h0 = trace_h1 = 0.0
    h1_information = []
    for g, (x, w) in enumerate(zip(blocks, objective.weights), start=1):
        s = objective.casewise_scores(theta, g) if fiml else casewise_scores(objective, theta, g, x)
        b0 = s.T @ s / x.shape[0]
        meat += w * b0
        trace_h0 += w * float(np.sum(b0 * a0_inv.T))
        if fiml:
            a1, b1 = saturated_information(objective.patterns[g - 1], h1[g - 1][0], h1[g - 1][1])
            h1_information.append((a1, b1))
            trace_h1 += float(np.sum(b1 * np.linalg.inv(a1).T))
        else:
            trace_h1 += saturated_trace(objective, theta, g, x)[0]
    vcov = a0_inv @ meat @ a0_inv / objective.ntotal
    scaling = (trace_h1 - trace_h0) / df if df > 0 else np.nan
    return {"vcov": vcov, "scaling_factor": scaling, "trace_h1": trace_h1, "trace_h0": trace_h0,
            "h1_information": h1_information}


def fiml_baseline_scaling(objective, trace_h1: float, baseline_df: int) -> float:
    """Yuan-Bentler scaling factor of the FIML independence model (for the scaled baseline chi-square)."""
    trace_h0 = 0.0
    for data in objective.patterns:
        scores, information = independence_scores(data)
        first_order = scores.T @ scores / data.n
        trace_h0 += float(np.sum(first_order * np.linalg.inv(information).T))
    return (trace_h1 - trace_h0) / baseline_df


def _ml_discrepancy(mean, cov, mu, sigma) -> float:
    """F_ML of complete data with sample moments (mean, cov) against (mu, sigma)."""
    inv = np.linalg.inv(sigma)
    diff = mean - mu
    return float(np.linalg.slogdet(sigma)[1] + np.sum(cov * inv) - np.linalg.slogdet(cov)[1] - cov.shape[0]
                 + diff @ inv @ diff)


def _block_diagonal(blocks: list[np.ndarray]) -> np.ndarray:
    size = sum(b.shape[0] for b in blocks)
    out = np.zeros((size, size))
    at = 0
    for b in blocks:
        out[at:at + b.shape[0], at:at + b.shape[0]] = b
        at += b.shape[0]
    return out


def fiml_corrected(objective, theta: np.ndarray, h1, df: int, baseline_df: int, scaled: bool = True,
                   h1_information: list | None = None) -> dict:
    """Ingredients of lavaan's robust CFI/TLI/RMSEA after FIML (Zhang & Savalei, 2022: "FIML-C").

    The chi-square ``xx3`` compares the EM (saturated) moments with the fitted model as if they
    were complete-data sample moments; its scaling ``c_hat3 = k / df`` comes from the saturated
    model's missing-data information ``Wm`` (observed) and ``Jm`` (first order) and its
    complete-data information ``Wc``, all at the EM estimates. ``scaled`` selects version V3
    (with a scaled test, lavaan's MLR) or V6 (ML). The same for the independence model, fitted
    by FIML to the available answers, gives ``xx3_null`` and ``c_hat3_null``. ``h1_information``:
    the saturated model's (observed, first-order) information per group if already computed.
    """
    model = objective.model
    p = model.p
    rows, cols = vech_indices(p)
    wm, wm_inv, wc, gamma, deltas, base_cols = [], [], [], [], [], []
    xx3 = xx3_null = 0.0
    offset = 0
    for g, (data, fg) in enumerate(zip(objective.patterns, objective.weights), start=1):
        mean, cov = h1[g - 1][0], h1[g - 1][1]
        a1, b1 = h1_information[g - 1] if h1_information else saturated_information(data, mean, cov)
        a1_inv = np.linalg.inv(a1)
        wm.append(fg * a1)
        wm_inv.append(a1_inv / fg)
        wc.append(fg * complete_saturated_information(cov))
        gamma.append(a1_inv @ b1 @ a1_inv / fg)
        mom = model.moments(theta, g)
        d_sigma, d_mu = model.jacobian(theta, g, mom)
        deltas.append(np.vstack([d_mu, d_sigma[rows, cols, :]]))
        xx3 += data.n * _ml_discrepancy(mean, cov, mom["mu"], mom["sigma"])
        base_mean, base_var = np.nanmean(data.x, axis=0), np.nanvar(data.x, axis=0)
        xx3_null += data.n * _ml_discrepancy(mean, cov, base_mean, np.diag(base_var))
        diagonal = np.flatnonzero(rows == cols)
        base_cols.extend(offset + np.concatenate([np.arange(p), p + diagonal]))
        offset += a1.shape[0]
    wm_all, wm_inv_all, wc_all = _block_diagonal(wm), _block_diagonal(wm_inv), _block_diagonal(wc)
    gamma_all = _block_diagonal(gamma)

    def k_value(delta):
        e_inv = np.linalg.inv(delta.T @ wm_all @ delta)
        u = wm_all - wm_all @ delta @ e_inv @ delta.T @ wm_all
        if scaled:
            return float(np.trace(u @ wm_inv_all @ wc_all @ wm_inv_all @ u @ gamma_all))
        return float(np.trace(wc_all @ wm_inv_all @ u @ wm_inv_all))

    delta_all = np.zeros((offset, theta.size))
    at = 0
    for d in deltas:
        delta_all[at:at + d.shape[0]] = d
        at += d.shape[0]
    delta_base = np.zeros((offset, len(base_cols)))
    delta_base[base_cols, np.arange(len(base_cols))] = 1.0
    # a saturated model (df = 0) has no scaling (lavaan: NA)
    return {"xx3": xx3, "c_hat3": k_value(delta_all) / df if df > 0 else np.nan, "xx3_null": xx3_null,
            "c_hat3_null": k_value(delta_base) / baseline_df}


@one_blas_thread
def fiml_fit_measures(objective, theta: np.ndarray, h1, fit_measures, robust_info: dict | None) -> dict:
    """The robust measures lavaan adds to FIML fits: FIML-corrected CFI/TLI/RMSEA (V6 for ML, V3
    for MLR) and, with MLR (``robust_info`` from :func:`mlr`), the scaled test and its indices.

    lavaan leaves the FIML-corrected measures out when a matrix they need cannot be inverted;
    so does this function (they are NaN then).
    """
    df, baseline_df, groups = int(fit_measures["df"]), int(fit_measures["baseline_df"]), len(objective.patterns)
    try:
        corrected = fiml_corrected(objective, theta, h1, df, baseline_df, scaled=robust_info is not None,
                                   h1_information=robust_info["h1_information"] if robust_info else None)
    except np.linalg.LinAlgError:
        corrected = {"xx3": np.nan, "c_hat3": np.nan, "xx3_null": np.nan, "c_hat3_null": np.nan}
    if robust_info is None:
        return fiml_corrected_fit_measures(corrected, df, baseline_df, objective.ntotal, groups)
    out = fiml_robust_fit_measures(
        chisq=fit_measures["chisq"], df=df, baseline_chisq=fit_measures["baseline_chisq"], baseline_df=baseline_df,
        scaling=robust_info["scaling_factor"],
        baseline_scaling=fiml_baseline_scaling(objective, robust_info["trace_h1"], baseline_df),
        corrected=corrected, ntotal=objective.ntotal, groups=groups)
    p = objective.model.p
    out["scaling_factor_h1"] = robust_info["trace_h1"] / (groups * (p + p * (p + 1) // 2))
    out["scaling_factor_h0"] = robust_info["trace_h0"] / theta.size
    return out
