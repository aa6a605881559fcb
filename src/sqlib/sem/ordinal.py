"""Sample statistics for ordinal items: thresholds, polychoric correlations and their
asymptotic covariance matrix (the ingredients of WLSMV).

Each item's answers are taken as a coarse view of a standard-normal response y*:
answer category c is observed when tau_{c-1} < y* <= tau_c. The thresholds tau come
from the cumulative proportions (univariate ML), then each pair's polychoric
correlation maximises the bivariate-normal likelihood of its contingency table with
the thresholds held fixed (the "two-step" estimator lavaan and Mplus use).

The asymptotic covariance matrix Gamma of (thresholds, correlations) follows Muthen
(1984) as lavaan implements it: casewise scores of the univariate and bivariate
likelihoods, a block-triangular "bread" built from outer products of those scores
(the correlation step depends on the estimated thresholds), and the sandwich
``B^-1 (S'S) B^-T`` scaled by N. Its diagonal gives the DWLS weights.

Bivariate normal probabilities use Owen's T function (``scipy.special.owens_t``),
which is exact to machine precision and vectorises over all pairs and cells.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import special, stats

from sqlib.core.errors import EstimationError, ModelSpecificationError

_BOUND = 9.0          # thresholds of +-infinity are evaluated at +-9 (Phi(-9) ~ 1e-19)
_RHO_MAX = 0.999      # lavaan's bounds for a polychoric correlation


@dataclass
class OrdinalStats:
    """Thresholds, polychoric correlations and Gamma for one group of ordinal items."""

    names: list[str]
    n: int
    levels: list[np.ndarray]        # observed categories of each item, sorted
    thresholds: list[np.ndarray]    # per item, K_i - 1 values
    cor: np.ndarray                 # polychoric correlation matrix (p x p)
    gamma: np.ndarray               # N x asymptotic covariance of (thresholds, correlations)

    @property
    def threshold_vector(self) -> np.ndarray:
        return np.concatenate(self.thresholds)

    @property
    def pairs(self) -> tuple[np.ndarray, np.ndarray]:
        """Row and column of each correlation in lavaan's order (lower triangle, by column)."""
        return lower_pairs(len(self.names))

    @property
    def cor_vector(self) -> np.ndarray:
        i, j = self.pairs
        return self.cor[i, j]


def lower_pairs(p: int) -> tuple[np.ndarray, np.ndarray]:
    """(i, j) with i > j, column by column: lavaan's ``vech`` order without the diagonal."""
    cols, rows = np.triu_indices(p, k=1)
    return rows, cols


def bivariate_cdf(h: np.ndarray, k: np.ndarray, rho: np.ndarray) -> np.ndarray:
    """P(Z1 <= h, Z2 <= k) for standard normals with correlation ``rho`` (broadcasting).

    Owen (1956): Phi2 = (Phi(h) + Phi(k))/2 - T(h, a_h) - T(k, a_k) - beta.
    """
    h, k, rho = np.broadcast_arrays(np.asarray(h, float), np.asarray(k, float), np.asarray(rho, float))
    h = np.where(h == 0.0, 1e-300, h)
    k = np.where(k == 0.0, 1e-300, k)
    s = np.sqrt(1.0 - rho * rho)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        a_h = (k - rho * h) / (h * s)
        a_k = (h - rho * k) / (k * s)
    beta = np.where(h * k > 0, 0.0, 0.5)
    beta = np.where((h * k == 0) & (h + k >= 0), 0.0, beta)
    value = 0.5 * (special.ndtr(h) + special.ndtr(k)) - special.owens_t(h, a_h) - special.owens_t(k, a_k) - beta
    return np.clip(value, 0.0, 1.0)


def bivariate_pdf(h: np.ndarray, k: np.ndarray, rho: np.ndarray) -> np.ndarray:
    one = 1.0 - rho * rho
    return np.exp(-(h * h - 2 * rho * h * k + k * k) / (2 * one)) / (2 * np.pi * np.sqrt(one))


# ---------------------------------------------------------------------------
# step 1: thresholds
# ---------------------------------------------------------------------------

def _codes(x: np.ndarray, name: str) -> tuple[np.ndarray, np.ndarray]:
    """Categories 0..K-1 of one item (only observed categories count, as in lavaan)."""
    if np.any(np.isnan(x)):
        raise ModelSpecificationError(f"Ordered item '{name}' has missing answers; WLSMV here uses complete cases.")
    levels, codes = np.unique(x, return_inverse=True)
    if levels.size < 2:
        raise ModelSpecificationError(one_category_message(name, levels[0]))
    return levels, codes


def one_category_message(name: str, value) -> str:
    return (f"Ordered item '{name}' has only one observed category ({value}), so it carries no information "
            "for a polychoric correlation. Drop it from the model (or from `ordered` to see its distribution "
            "with sqlib.screening), or collect answers that vary.")


def _bounds(tau: np.ndarray, width: int) -> np.ndarray:
    """[-inf, tau..., +inf] padded with +inf to ``width + 1`` entries (evaluated at +-9)."""
    out = np.full(width + 1, _BOUND)
    out[0] = -_BOUND
    out[1 : tau.size + 1] = np.clip(tau, -_BOUND, _BOUND)
    return out


# ---------------------------------------------------------------------------
# step 2: polychoric correlations, all pairs at once
# ---------------------------------------------------------------------------

def _cell_probabilities(lo_h, hi_h, lo_k, hi_k, rho):
    """pi and d pi / d rho of every cell: arrays (pairs, K, K) from bounds (pairs, K)."""
    r = rho[:, None, None]
    H = [lo_h[:, :, None], hi_h[:, :, None]]
    K = [lo_k[:, None, :], hi_k[:, None, :]]
    pi = (bivariate_cdf(H[1], K[1], r) - bivariate_cdf(H[0], K[1], r)
          - bivariate_cdf(H[1], K[0], r) + bivariate_cdf(H[0], K[0], r))
    dpi = (bivariate_pdf(H[1], K[1], r) - bivariate_pdf(H[0], K[1], r)
           - bivariate_pdf(H[1], K[0], r) + bivariate_pdf(H[0], K[0], r))
    # padding cells (items with fewer categories than the widest) have pi = 0: make
    # them inert (dpi = 0, pi = 1) so that ratios over cells stay finite
    empty = (hi_h[:, :, None] <= lo_h[:, :, None]) | (hi_k[:, None, :] <= lo_k[:, None, :])
    return np.where(empty, 1.0, np.clip(pi, 1e-300, None)), np.where(empty, 0.0, dpi)


def _adjust_two_by_two(freq: np.ndarray, ncat_i: np.ndarray, ncat_j: np.ndarray) -> np.ndarray:
    """lavaan's zero.add for 2x2 tables with one empty cell: add 0.5 keeping the margins."""
    out = freq.astype(float)
    for t in np.flatnonzero((ncat_i == 2) & (ncat_j == 2)):
        cell = out[t, :2, :2]
        zeros = np.argwhere(cell == 0)
        if len(zeros) == 1:
            sign = 1.0 if (zeros[0][0] == zeros[0][1]) else -1.0
            cell += sign * np.array([[0.5, -0.5], [-0.5, 0.5]])
    return out


def _polychorics(freq, lo_h, hi_h, lo_k, hi_k, start, tol=1e-10, max_iter=100):
    """Fisher scoring for every pair's correlation (thresholds fixed)."""
    rho = np.clip(start, -0.9, 0.9)
    n = freq.sum(axis=(1, 2))
    observed = freq > 0
    for _ in range(max_iter):
        pi, dpi = _cell_probabilities(lo_h, hi_h, lo_k, hi_k, rho)
        score = np.where(observed, freq * dpi / pi, 0.0).sum(axis=(1, 2))
        info = n * (dpi * dpi / pi).sum(axis=(1, 2))
        step = score / info
        rho = np.clip(rho + step, -_RHO_MAX, _RHO_MAX)
        if np.max(np.abs(step)) < tol:
            break
    return rho


def ordinal_stats(data: np.ndarray, names: list[str]) -> OrdinalStats:
    """Thresholds, polychoric correlations and N * their asymptotic covariance.

    Parameters
    ----------
    data : ndarray (N, p)
        Answers of complete cases; any numeric codes (only their order matters).
    names : list of str
        Item names, for messages.

    Returns
    -------
    OrdinalStats

    Examples
    --------
    The R equivalent is ``lavaan::lavCor(data, ordered = names(data))``:

    >>> import sqlib
    >>> from sqlib.sem.ordinal import ordinal_stats
    >>> items = ["sat1", "sat2", "sat3"]
    >>> st = ordinal_stats(sqlib.load_sample()[items].dropna().to_numpy(), items)
    >>> bool(0 < st.cor[1, 0] < 1)
    True
    """
    x = np.asarray(data, dtype=float)
    n, p = x.shape
    coded = [_codes(x[:, i], names[i]) for i in range(p)]
    levels = [c[0] for c in coded]
    codes = np.column_stack([c[1] for c in coded])
    ncat = np.array([lv.size for lv in levels])
    kmax = int(ncat.max())
    counts = [np.bincount(codes[:, i], minlength=ncat[i]) for i in range(p)]
    thresholds = [stats.norm.ppf(np.cumsum(c)[:-1] / n) for c in counts]
    bounds = np.array([_bounds(t, kmax) for t in thresholds])          # (p, kmax + 1)

    # contingency tables of every pair
    rows, cols = lower_pairs(p)
    npairs = rows.size
    freq = np.zeros((npairs, kmax, kmax))
    flat = codes[:, rows] * kmax + codes[:, cols]                       # (n, pairs)
    for t in range(npairs):
        freq[t] = np.bincount(flat[:, t], minlength=kmax * kmax).reshape(kmax, kmax)
    freq = _adjust_two_by_two(freq, ncat[rows], ncat[cols])
    lo_h, hi_h = bounds[rows, :-1], bounds[rows, 1:]
    lo_k, hi_k = bounds[cols, :-1], bounds[cols, 1:]
    start = np.corrcoef(codes.T)[rows, cols] if p > 1 else np.zeros(0)
    rho = _polychorics(freq, lo_h, hi_h, lo_k, hi_k, np.nan_to_num(start))
    cor = np.eye(p)
    cor[rows, cols] = cor[cols, rows] = rho
    gamma = _gamma(codes, ncat, kmax, thresholds, bounds, rho, rows, cols, counts, n)
    return OrdinalStats(list(names), n, levels, thresholds, cor, gamma)


# ---------------------------------------------------------------------------
# Gamma (Muthen 1984)
# ---------------------------------------------------------------------------

def _threshold_scores(codes_i, ncat_i, tau, count):
    """Casewise d log p(x) / d tau for one item: (N, K - 1)."""
    dens = stats.norm.pdf(tau)
    prob = count / count.sum()
    cell = np.zeros((ncat_i, ncat_i - 1))
    m = np.arange(ncat_i - 1)
    cell[m, m] = dens / prob[m]                 # tau_m is the upper bound of category m
    cell[m + 1, m] = -dens / prob[m + 1]        # and the lower bound of category m + 1
    return cell[codes_i]


def _threshold_derivatives(bounds_h, bounds_k, rho, ncat_h):
    """d pi_ab / d tau_(h, m) for one pair: (K_h, K_k, K_h - 1), cell (a, b)."""
    s = np.sqrt(1 - rho * rho)
    tau = bounds_h[1:ncat_h]                            # finite thresholds of h
    k_hi, k_lo = bounds_k[1:], bounds_k[:-1]
    # D_m(b) = phi(tau_m) [Phi((k_b - rho tau_m)/s) - Phi((k_{b-1} - rho tau_m)/s)]
    D = stats.norm.pdf(tau)[:, None] * (special.ndtr((k_hi[None, :] - rho * tau[:, None]) / s)
                                        - special.ndtr((k_lo[None, :] - rho * tau[:, None]) / s))
    kk = bounds_k.size - 1
    out = np.zeros((ncat_h, kk, ncat_h - 1))
    m = np.arange(ncat_h - 1)
    out[m, :, m] = D                 # category m has tau_m as upper bound
    out[m + 1, :, m] = -D            # category m + 1 has it as lower bound
    return out


def _gamma(codes, ncat, kmax, thresholds, bounds, rho, rows, cols, counts, n):
    p = codes.shape[1]
    nth = ncat - 1
    th_start = np.concatenate([[0], np.cumsum(nth)[:-1]])
    total_th = int(nth.sum())
    sc_th = np.hstack([_threshold_scores(codes[:, i], ncat[i], thresholds[i], counts[i]) for i in range(p)])
    npairs = rows.size
    sc_cor = np.zeros((n, npairs))
    a21 = np.zeros((npairs, total_th))
    lo_h, hi_h = bounds[rows, :-1], bounds[rows, 1:]
    lo_k, hi_k = bounds[cols, :-1], bounds[cols, 1:]
    pi, dpi = _cell_probabilities(lo_h, hi_h, lo_k, hi_k, rho)
    cell_rho = dpi / pi                                                   # d log pi / d rho
    for t in range(npairs):
        i, j = rows[t], cols[t]
        ci, cj = codes[:, i], codes[:, j]
        sc_cor[:, t] = cell_rho[t][ci, cj]
        # d log pi / d tau for both items' thresholds, cell-wise; then sum over cases
        ki, kj = ncat[i], ncat[j]
        cell_pi = pi[t][:ki, :kj]
        di = _threshold_derivatives(bounds[i], bounds[j], rho[t], ki)[:, :kj, :] / cell_pi[:, :, None]
        dj = _threshold_derivatives(bounds[j], bounds[i], rho[t], kj)[:, :ki, :].transpose(1, 0, 2) / cell_pi[:, :, None]
        weight = (np.bincount(ci * kj + cj, minlength=ki * kj).reshape(ki, kj) * cell_rho[t][:ki, :kj])
        a21[t, th_start[i]:th_start[i] + nth[i]] = np.einsum("ab,abm->m", weight, di)
        a21[t, th_start[j]:th_start[j] + nth[j]] = np.einsum("ab,abm->m", weight, dj)
    scores = np.hstack([sc_th, sc_cor])
    inner = scores.T @ scores
    a11_inv = np.zeros((total_th, total_th))
    for i in range(p):
        block = slice(th_start[i], th_start[i] + nth[i])
        a11_inv[block, block] = np.linalg.inv(inner[block, block])
    a22 = np.einsum("ij,ij->j", sc_cor, sc_cor)
    if np.any(a22 <= 0):
        raise EstimationError("A polychoric correlation has no information (an empty bivariate table?).")
    a22_inv = 1.0 / a22
    b_inv = np.zeros((total_th + npairs, total_th + npairs))
    b_inv[:total_th, :total_th] = a11_inv
    b_inv[total_th:, :total_th] = -(a22_inv[:, None] * a21) @ a11_inv
    b_inv[total_th:, total_th:] = np.diag(a22_inv)
    return n * (b_inv @ inner @ b_inv.T)
