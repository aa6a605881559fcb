"""One model representation for every estimator: RAM matrices per group.

All variables (observed first, then latent) sit in one vector ``v``;
``A`` holds directed effects (``A[i, j]``: effect of ``j`` on ``i``: loadings and
regressions), ``S`` variances and covariances, ``M`` intercepts/means. Then

    Sigma = F (I - A)^-1 S (I - A)^-T F'       mu = F (I - A)^-1 M

with ``F`` selecting the observed variables. A single parameter vector ``theta``
fills the free entries of every group's matrices; rows sharing a label share an
entry, which is how equality constraints across groups are expressed.

:meth:`RAMModel.jacobian` returns the analytic derivatives of the implied moments,
used for the gradient, the information matrix, standard errors and modification
indices of every estimator.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .partable import ModelSpec

_MAT = {"=~": "A", "~": "A", "~~": "S", "~1": "M"}


@dataclass
class GroupMatrices:
    A: np.ndarray
    S: np.ndarray
    M: np.ndarray
    # free entries: row, col, parameter index
    a_idx: tuple[np.ndarray, np.ndarray, np.ndarray]
    s_idx: tuple[np.ndarray, np.ndarray, np.ndarray]
    m_idx: tuple[np.ndarray, np.ndarray]
    a_map: np.ndarray | None = None
    s_map: np.ndarray | None = None
    m_map: np.ndarray | None = None
    used: np.ndarray | None = None
    position: np.ndarray | None = None


class RAMModel:
    """RAM matrices for every group, filled from one parameter vector."""

    def __init__(self, spec: ModelSpec):
        self.spec = spec
        self.ov = list(spec.ov_names)
        self.lv = list(spec.lv_names)
        self.names = self.ov + self.lv
        self.p = len(self.ov)
        self.n = len(self.names)
        self.n_free = spec.n_free
        self.index = {v: i for i, v in enumerate(self.names)}
        self.groups = [self._group(g) for g in range(1, spec.ngroups + 1)]
        # delta parameterization (ordinal items): these observed variables' residual
        # variances are 1 minus their explained variance, so their total variance is 1
        self.unit_variance: np.ndarray | None = None
        # their scaling factors (lavaan's ``~*~``, one per unit-variance item and group):
        # the latent responses then have variance 1 / delta^2; None means delta = 1
        self.scales: list | None = None

    def scale_factors(self, theta: np.ndarray, g: int) -> np.ndarray:
        """Scaling factors delta of the unit-variance (ordinal) items in group ``g``."""
        if self.scales is None:
            return np.ones(0 if self.unit_variance is None else self.unit_variance.size)
        free, fixed = self.scales[g - 1]
        return np.where(free >= 0, theta[np.maximum(free, 0)], fixed)

    # ----------------------------------------------------------- construction
    def entry(self, row) -> tuple[str, int, int]:
        """Matrix name and (row, col) position of a parameter-table row."""
        mat = _MAT[row.op]
        if row.op == "=~":
            return mat, self.index[row.rhs], self.index[row.lhs]
        if row.op == "~":
            return mat, self.index[row.lhs], self.index[row.rhs]
        if row.op == "~~":
            return mat, self.index[row.lhs], self.index[row.rhs]
        return mat, self.index[row.lhs], 0

    def _group(self, g: int) -> GroupMatrices:
        n = self.n
        A, S, M = np.zeros((n, n)), np.zeros((n, n)), np.zeros(n)
        a, s, m = ([], [], []), ([], [], []), ([], [])
        for row in self.spec.rows:
            if row.group != g or row.op not in _MAT:  # thresholds and scaling factors live elsewhere
                continue
            mat, i, j = self.entry(row)
            if row.free < 0:
                if mat == "A":
                    A[i, j] = row.value
                elif mat == "S":
                    S[i, j] = S[j, i] = row.value
                else:
                    M[i] = row.value
                continue
            target = {"A": a, "S": s}.get(mat)
            if target is not None:
                if mat == "S" and i > j:
                    i, j = j, i
                target[0].append(i)
                target[1].append(j)
                target[2].append(row.free)
            else:
                m[0].append(i)
                m[1].append(row.free)
        as_arrays = lambda t: tuple(np.asarray(x, dtype=int) for x in t)  # noqa: E731
        gm = GroupMatrices(A, S, M, as_arrays(a), as_arrays(s), as_arrays(m))
        # the parameters this group uses, and each one's column in the compact Jacobian
        gm.used = np.unique(np.concatenate([gm.a_idx[2], gm.s_idx[2], gm.m_idx[1]])).astype(int)
        gm.position = np.full(max(self.n_free, 1), -1, dtype=int)
        gm.position[gm.used] = np.arange(gm.used.size)
        # entry -> column maps, so shared parameters sum their entries in one matmul
        gm.a_map = self._entry_map(gm.position[gm.a_idx[2]], gm.used.size)
        gm.s_map = self._entry_map(gm.position[gm.s_idx[2]], gm.used.size)
        gm.m_map = self._entry_map(gm.position[gm.m_idx[1]], gm.used.size)
        return gm

    @staticmethod
    def _entry_map(columns: np.ndarray, width: int) -> np.ndarray | None:
        """None when every entry has its own column (plain scatter is enough)."""
        if np.unique(columns).size == columns.size:
            return None
        out = np.zeros((columns.size, width))
        out[np.arange(columns.size), columns] = 1.0
        return out

    @staticmethod
    def _scatter(target: np.ndarray, contrib: np.ndarray, params: np.ndarray, mapping) -> None:
        if mapping is None:
            target[:, params] += contrib
        else:
            target += contrib @ mapping

    def set_fixed(self, g: int, row, value: float) -> None:
        """Change a fixed value (used for fixed.x sample moments)."""
        mat, i, j = self.entry(row)
        gm = self.groups[g - 1]
        if mat == "S":
            gm.S[i, j] = gm.S[j, i] = value
        elif mat == "M":
            gm.M[i] = value
        else:
            gm.A[i, j] = value

    # ------------------------------------------------------------ evaluation
    def matrices(self, theta: np.ndarray, g: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        gm = self.groups[g - 1]
        A, S, M = gm.A.copy(), gm.S.copy(), gm.M.copy()
        ai, aj, ak = gm.a_idx
        A[ai, aj] = theta[ak]
        si, sj, sk = gm.s_idx
        S[si, sj] = theta[sk]
        S[sj, si] = theta[sk]
        mi, mk = gm.m_idx
        M[mi] = theta[mk]
        return A, S, M

    def moments(self, theta: np.ndarray, g: int) -> dict:
        """Implied moments of all variables for group ``g`` (1-based).

        Returns a dict with ``B`` = (I - A)^-1, ``cov_all`` (covariance of all
        variables), ``mean_all``, ``sigma`` (observed covariance) and ``mu``.
        """
        A, S, M = self.matrices(theta, g)
        B = np.linalg.inv(np.eye(self.n) - A)
        if self.unit_variance is not None:
            d = self.unit_variance
            S[d, d] = 0.0
            explained = np.einsum("ij,jk,ik->i", B[d], S, B[d])
            target = 1.0 if self.scales is None else 1.0 / self.scale_factors(theta, g) ** 2
            S[d, d] = target - explained
        cov_all = B @ S @ B.T
        mean_all = B @ M
        p = self.p
        return {
            "A": A, "S": S, "M": M, "B": B,
            "cov_all": cov_all, "mean_all": mean_all,
            "sigma": cov_all[:p, :p], "mu": mean_all[:p],
        }

    def gradient(self, g: int, mom: dict, omega: np.ndarray, omega_mu: np.ndarray | None) -> np.ndarray:
        """tr(omega dSigma/dtheta_k) + omega_mu' dmu/dtheta_k for every parameter, without the Jacobian.

        With G = F B and H = B S B' F', a path entry (i, j) contributes
        2 (G' omega H')[i, j] and a covariance entry (i, j) (G' omega G)[i, j], twice
        off the diagonal; ``omega`` must be symmetric.
        """
        gm = self.groups[g - 1]
        p = self.p
        G = mom["B"][:p, :]
        H = mom["cov_all"][:, :p]
        grad = np.zeros(self.n_free)
        g_omega = G.T @ omega                       # (n x p)
        ai, aj, ak = gm.a_idx
        if ak.size:
            k_a = g_omega @ H.T                     # (n x n)
            contrib = 2.0 * k_a[ai, aj]
            if omega_mu is not None:
                contrib = contrib + (G.T @ omega_mu)[ai] * mom["mean_all"][aj]
            np.add.at(grad, ak, contrib)
        si, sj, sk = gm.s_idx
        if sk.size:
            k_s = g_omega @ G                       # (n x n)
            np.add.at(grad, sk, np.where(si == sj, 1.0, 2.0) * k_s[si, sj])
        mi, mk = gm.m_idx
        if mk.size and omega_mu is not None:
            np.add.at(grad, mk, (G.T @ omega_mu)[mi])
        return grad

    def jacobian(self, theta: np.ndarray, g: int, mom: dict | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Derivatives of Sigma (p, p, K) and mu (p, K) with respect to theta."""
        d_sigma_c, d_mu_c, used = self.jacobian_compact(theta, g, mom)
        p, K = self.p, self.n_free
        d_sigma = np.zeros((p, p, K))
        d_mu = np.zeros((p, K))
        d_sigma[:, :, used] = d_sigma_c
        d_mu[:, used] = d_mu_c
        return d_sigma, d_mu

    def jacobian_compact(self, theta: np.ndarray, g: int, mom: dict | None = None):
        """Like :meth:`jacobian`, restricted to the parameters group ``g`` uses.

        Returns ``(d_sigma (p, p, K_g), d_mu (p, K_g), used)`` where ``used`` holds the
        parameter indices of the columns; in multi-group models this skips the many
        parameters that belong to other groups.
        """
        mom = mom if mom is not None else self.moments(theta, g)
        gm = self.groups[g - 1]
        p = self.p
        used, pos = gm.used, gm.position
        G = mom["B"][:p, :]            # F B      (p x n)
        H = mom["cov_all"][:, :p]      # B S B'F' (n x p)
        d_sigma = np.zeros((p * p, used.size))
        d_mu = np.zeros((p, used.size))
        ai, aj, ak = gm.a_idx
        if ak.size:
            c = G[:, ai][:, None, :] * H[aj, :].T[None, :, :]       # (p, p, entries)
            c = c + c.transpose(1, 0, 2)
            self._scatter(d_sigma, c.reshape(p * p, -1), pos[ak], gm.a_map)
            self._scatter(d_mu, G[:, ai] * mom["mean_all"][aj], pos[ak], gm.a_map)
        si, sj, sk = gm.s_idx
        if sk.size:
            c = G[:, si][:, None, :] * G[:, sj][None, :, :]
            off = si != sj
            c[:, :, off] += c[:, :, off].transpose(1, 0, 2)
            self._scatter(d_sigma, c.reshape(p * p, -1), pos[sk], gm.s_map)
        mi, mk = gm.m_idx
        if mk.size:
            self._scatter(d_mu, G[:, mi], pos[mk], gm.m_map)
        return d_sigma.reshape(p, p, used.size), d_mu, used

    def project_jacobian(self, g: int, mom: dict, roots: np.ndarray) -> np.ndarray:
        """``L' dSigma/dtheta_k L`` for a stack of ``p x r`` matrices ``L``: (P, r, r, K_g).

        Columns as in :meth:`jacobian_compact`. A path entry (i, j) has
        ``dSigma = g_i h_j' + h_j g_i'`` (``g_i`` column i of G = F B, ``h_j`` row j of
        H = B S B' F'), a covariance entry ``g_i g_j' + g_j g_i'``, so only the
        r-vectors ``L' g_i`` and ``L' h_j`` are needed: FIML uses this for the few
        missing answers of each pattern and for casewise scores (r = 1).
        """
        gm = self.groups[g - 1]
        p = self.p
        G = mom["B"][:p, :]
        H = mom["cov_all"][:, :p]
        lg = np.swapaxes(roots, 1, 2) @ G                      # (P, r, n)
        lh = np.swapaxes(H @ roots, 1, 2)                      # (P, r, n)
        count, r = roots.shape[0], roots.shape[2]
        out = np.zeros((count * r * r, gm.used.size))
        ai, aj, ak = gm.a_idx
        if ak.size:
            c = lg[:, :, None, ai] * lh[:, None, :, aj]
            c = c + np.swapaxes(c, 1, 2)
            self._scatter(out, c.reshape(count * r * r, -1), gm.position[ak], gm.a_map)
        si, sj, sk = gm.s_idx
        if sk.size:
            c = lg[:, :, None, si] * lg[:, None, :, sj]
            off = si != sj
            c[..., off] += np.swapaxes(c[..., off], 1, 2)
            self._scatter(out, c.reshape(count * r * r, -1), gm.position[sk], gm.s_map)
        return out.reshape(count, r, r, -1)
