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

Continuous items may sit among the ordinal ones (lavaan's ``ordered = c(...)``): each has a
mean and an ML variance (univariate step), a Pearson correlation with another continuous
item and a polyserial correlation with an ordinal one (bivariate step, the univariate
estimates held fixed). Gamma then covers (thresholds and means, variances, covariances)
with the Jacobian ``H`` from correlations to covariances, as lavaan's ``muthen1984``.

Missing answers (``missing = "pairwise"``) are handled as lavaan does: the univariate
statistics use each item's available answers, every bivariate one the pairwise-complete
cases, and a case's score for a statistic it does not inform is zero.

Bivariate normal probabilities use Owen's T function (``scipy.special.owens_t``),
which is exact to machine precision and vectorises over all pairs and cells.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import optimize, special, stats

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
    gamma: np.ndarray               # N x asymptotic covariance of the sample statistics
    numeric: np.ndarray | None = None   # True for continuous items (mixed models)
    means: np.ndarray | None = None     # of the continuous items (0 for ordinal ones)
    variances: np.ndarray | None = None  # ML variances of the continuous items (1 for ordinal)

    def __post_init__(self):
        p = len(self.names)
        if self.numeric is None:
            self.numeric = np.zeros(p, dtype=bool)
        if self.means is None:
            self.means = np.zeros(p)
        if self.variances is None:
            self.variances = np.ones(p)

    @property
    def threshold_vector(self) -> np.ndarray:
        """Thresholds of the ordinal items (continuous items have none)."""
        return np.concatenate(self.thresholds) if self.thresholds else np.zeros(0)

    @property
    def cov(self) -> np.ndarray:
        """Correlations rescaled to covariances of the continuous items (latent responses keep variance 1)."""
        sd = np.sqrt(self.variances)
        return self.cor * np.outer(sd, sd)

    @property
    def mean_block(self) -> np.ndarray:
        """lavaan's "th" block: each item's thresholds, or minus its mean if continuous (a threshold
        at 0 of an item with that mean: tau - mu), in item order."""
        parts = [np.array([-m]) if num else t for t, m, num in zip(self.thresholds, self.means, self.numeric)]
        return np.concatenate(parts) if parts else np.zeros(0)

    @property
    def cov_vector(self) -> np.ndarray:
        i, j = self.pairs
        return self.cov[i, j]

    @property
    def sample_vector(self) -> np.ndarray:
        """The statistics DWLS fits: thresholds and means, variances of continuous items, covariances."""
        return np.concatenate([self.mean_block, self.variances[self.numeric], self.cov_vector])

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
    """Categories 0..K-1 of one item, -1 where the answer is missing (only observed
    categories count, as in lavaan)."""
    seen = ~np.isnan(x)
    levels, inverse = np.unique(x[seen], return_inverse=True)
    if levels.size == 0:
        raise ModelSpecificationError(f"Ordered item '{name}' has no answers at all; drop it from the model.")
    if levels.size < 2:
        raise ModelSpecificationError(one_category_message(name, levels[0]))
    codes = np.full(x.size, -1, dtype=int)
    codes[seen] = inverse
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


def _pairwise_start(a: np.ndarray, b: np.ndarray) -> float:
    """Pearson correlation of the pairwise-complete values (a start value)."""
    ok = ~(np.isnan(a) | np.isnan(b))
    if ok.sum() < 3 or np.std(a[ok]) == 0 or np.std(b[ok]) == 0:
        return 0.0
    return float(np.corrcoef(a[ok], b[ok])[0, 1])


@dataclass
class _Univariate:
    """Step 1 for every item: codes and thresholds (ordinal) or mean and ML variance (continuous)."""

    x: np.ndarray            # answers (N, p), NaN where missing
    numeric: np.ndarray      # True for continuous items
    levels: list
    codes: np.ndarray        # (N, p), -1 where missing; 0 for continuous items
    counts: list
    thresholds: list
    means: np.ndarray
    variances: np.ndarray
    bounds: np.ndarray       # (p, kmax + 1)
    ncat: np.ndarray         # categories (1 for continuous items)

    @property
    def seen(self) -> np.ndarray:
        return ~np.isnan(self.x)

    @property
    def z(self) -> np.ndarray:
        """Standardized continuous answers (NaN where missing)."""
        return (self.x - self.means) / np.sqrt(self.variances)


def _univariate(x: np.ndarray, names: list[str], numeric: np.ndarray) -> _Univariate:
    n, p = x.shape
    levels, thresholds, counts = [], [], []
    codes = np.zeros((n, p), dtype=int)
    means, variances = np.zeros(p), np.ones(p)
    for i in range(p):
        if numeric[i]:
            seen = x[~np.isnan(x[:, i]), i]
            if seen.size < 2 or np.var(seen) == 0:
                raise ModelSpecificationError(
                    f"Continuous item '{names[i]}' has no variance among its answers; drop it from the model.")
            means[i], variances[i] = seen.mean(), seen.var()
            levels.append(np.zeros(0))
            thresholds.append(np.zeros(0))
            counts.append(np.zeros(0))
            continue
        lv, codes[:, i] = _codes(x[:, i], names[i])
        count = np.bincount(codes[codes[:, i] >= 0, i], minlength=lv.size)
        levels.append(lv)
        counts.append(count)
        thresholds.append(stats.norm.ppf(np.cumsum(count)[:-1] / count.sum()))
    ncat = np.array([lv.size if lv.size else 1 for lv in levels])
    kmax = int(ncat.max())
    bounds = np.array([_bounds(t, kmax) for t in thresholds])
    return _Univariate(x, numeric, levels, codes, counts, thresholds, means, variances, bounds, ncat)


def _pair_tables(uni: _Univariate, rows, cols):
    """Contingency tables of ordinal pairs on their pairwise-complete cases: (pairs, K, K)."""
    kmax = int(uni.ncat.max())
    freq = np.zeros((rows.size, kmax, kmax))
    for t, (i, j) in enumerate(zip(rows, cols)):
        ci, cj = uni.codes[:, i], uni.codes[:, j]
        ok = (ci >= 0) & (cj >= 0)
        freq[t] = np.bincount(ci[ok] * kmax + cj[ok], minlength=kmax * kmax).reshape(kmax, kmax)
    return _adjust_two_by_two(freq, uni.ncat[rows], uni.ncat[cols])


def _polychoric_pairs(uni: _Univariate, rows, cols) -> np.ndarray:
    if rows.size == 0:
        return np.zeros(0)
    freq = _pair_tables(uni, rows, cols)
    start = np.array([_pairwise_start(uni.codes[:, i] + np.where(uni.seen[:, i], 0, np.nan),
                                      uni.codes[:, j] + np.where(uni.seen[:, j], 0, np.nan))
                      for i, j in zip(rows, cols)])
    b = uni.bounds
    return _polychorics(freq, b[rows, :-1], b[rows, 1:], b[cols, :-1], b[cols, 1:], np.nan_to_num(start))


_FAR = 100.0                          # lavaan's stand-in for infinite thresholds given a continuous item
_TINY = np.sqrt(np.finfo(float).eps)  # lavaan leaves cases with a smaller likelihood out of the fit


def _category_edges(uni: _Univariate, j: int) -> tuple[np.ndarray, np.ndarray]:
    """Upper and lower threshold of each case's category of ordinal item j (NaN if missing)."""
    edges = np.concatenate([[-_FAR], uni.thresholds[j], [_FAR]])
    c = uni.codes[:, j]
    upper = np.where(c >= 0, edges[np.clip(c + 1, 0, None)], np.nan)
    lower = np.where(c >= 0, edges[np.clip(c, 0, None)], np.nan)
    return upper, lower


def _polyserial_parts(z, upper, lower, rho):
    r = np.sqrt(1.0 - rho * rho)
    hi, lo = (upper - rho * z) / r, (lower - rho * z) / r
    prob = np.maximum(special.ndtr(hi) - special.ndtr(lo), np.finfo(float).eps)
    return r, hi, lo, prob


def _normal_pdf(x):
    return np.exp(-0.5 * x * x) / np.sqrt(2 * np.pi)


def _polyserial_score(z, upper, lower, rho):
    """d log p(ordinal answer | continuous answer) / d rho, casewise."""
    r, hi, lo, prob = _polyserial_parts(z, upper, lower, rho)
    return (_normal_pdf(hi) * (upper * rho - z) - _normal_pdf(lo) * (lower * rho - z)) / (prob * r**3), prob


def _polyserial_pairs(uni: _Univariate, nums: np.ndarray, ords: np.ndarray) -> np.ndarray:
    """ML polyserial correlations of continuous items ``nums`` with ordinal items ``ords``
    (lavaan's two-step: univariate estimates fixed), all pairs at once by scoring with the
    outer-product information; a pair that does not settle is maximised on its own."""
    if nums.size == 0:
        return np.zeros(0)
    z = uni.z[:, nums]
    edges = [_category_edges(uni, j) for j in ords]
    upper = np.column_stack([e[0] for e in edges])
    lower = np.column_stack([e[1] for e in edges])
    ok = ~(np.isnan(z) | np.isnan(upper))
    z, upper, lower = np.where(ok, z, 0.0), np.where(ok, upper, 0.0), np.where(ok, lower, 0.0)
    density = _normal_pdf(z) / np.sqrt(uni.variances[nums])
    rho = np.zeros(nums.size)
    for _ in range(200):
        score, prob = _polyserial_score(z, upper, lower, rho)
        used = ok & (density * prob >= _TINY)        # lavaan drops cases of tiny likelihood
        score = np.where(used, score, 0.0)
        step = score.sum(axis=0) / np.maximum((score * score).sum(axis=0), 1e-300)
        rho = np.clip(rho + step, -0.995, 0.995)
        if np.max(np.abs(step)) < 1e-11:
            return rho
    for t in np.flatnonzero(np.abs(step) >= 1e-11):
        rho[t] = _polyserial(uni, nums[t], ords[t])
    return rho


def _polyserial(uni: _Univariate, i: int, j: int) -> float:
    """ML polyserial correlation of continuous item i and ordinal item j by a bounded search."""
    z = uni.z[:, i]
    upper, lower = _category_edges(uni, j)
    ok = ~(np.isnan(z) | np.isnan(upper))
    z, upper, lower = z[ok], upper[ok], lower[ok]
    density = _normal_pdf(z) / np.sqrt(uni.variances[i])

    def minus_loglik(rho):
        lik = density * _polyserial_parts(z, upper, lower, rho)[3]
        return -np.sum(np.log(lik[lik >= _TINY])) / uni.x.shape[0]

    return float(optimize.minimize_scalar(minus_loglik, bounds=(-0.995, 0.995), method="bounded",
                                          options={"xatol": 1e-10}).x)


def _pearson(uni: _Univariate, i: int, j: int) -> float:
    """Correlation of two continuous items: Pearson on complete columns, otherwise the
    bivariate-normal ML estimate on the pairwise-complete cases with the univariate means and
    variances held fixed (lavaan's two-step)."""
    a, b = uni.x[:, i], uni.x[:, j]
    ok = ~(np.isnan(a) | np.isnan(b))
    if ok.all():
        return float(np.corrcoef(a, b)[0, 1])
    za, zb = uni.z[ok, i], uni.z[ok, j]
    log_scale = np.log(2 * np.pi * np.sqrt(uni.variances[i] * uni.variances[j]))

    def minus_loglik(rho):
        one = 1.0 - rho * rho
        loglik = -(za * za - 2 * rho * za * zb + zb * zb) / (2 * one) - log_scale - 0.5 * np.log(one)
        return -np.sum(loglik[loglik >= np.log(_TINY)]) / uni.x.shape[0]

    return float(optimize.minimize_scalar(minus_loglik, bounds=(-0.999, 0.999), method="bounded",
                                          options={"xatol": 1e-10}).x)


def _check_pairs_answered(seen: np.ndarray, names: list[str], rows, cols) -> None:
    """Every correlation needs respondents who answered both items (missing = "pairwise")."""
    together = (seen.T.astype(float) @ seen.astype(float))[rows, cols]
    lonely = np.flatnonzero(together < 2)
    if lonely.size:
        listed = ", ".join(f"{names[rows[t]]} and {names[cols[t]]} ({int(together[t])})" for t in lonely[:3])
        raise ModelSpecificationError(
            f"Too few respondents answered both items of {lonely.size} pair(s), so their correlation cannot be "
            f"estimated: {listed}. Drop one item of each pair, or treat the items as continuous and use "
            "estimator='ML', missing='fiml', which needs no pairwise-complete answers.")


def ordinal_stats(data: np.ndarray, names: list[str], numeric=None) -> OrdinalStats:
    """Thresholds, polychoric correlations and N * their asymptotic covariance.

    Parameters
    ----------
    data : ndarray (N, p)
        Answers; any numeric codes for ordinal items (only their order matters). NaN marks a
        missing answer: every statistic then uses the cases that answered its items
        (lavaan's ``missing = "pairwise"``).
    names : list of str
        Item names, for messages.
    numeric : sequence of bool, optional
        True for continuous items (means, variances, Pearson and polyserial correlations).

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
    numeric = np.zeros(p, dtype=bool) if numeric is None else np.asarray(numeric, dtype=bool)
    uni = _univariate(x, names, numeric)
    rows, cols = lower_pairs(p)
    _check_pairs_answered(uni.seen, names, rows, cols)
    both_ordinal = ~numeric[rows] & ~numeric[cols]
    rho = np.zeros(rows.size)
    rho[both_ordinal] = _polychoric_pairs(uni, rows[both_ordinal], cols[both_ordinal])
    both_numeric = numeric[rows] & numeric[cols]
    for t in np.flatnonzero(both_numeric):
        rho[t] = _pearson(uni, rows[t], cols[t])
    mixed = np.flatnonzero(numeric[rows] != numeric[cols])
    nums = np.where(numeric[rows[mixed]], rows[mixed], cols[mixed])
    ords = np.where(numeric[rows[mixed]], cols[mixed], rows[mixed])
    rho[mixed] = _polyserial_pairs(uni, nums, ords)
    cor = np.eye(p)
    cor[rows, cols] = cor[cols, rows] = rho
    gamma = _gamma(uni, rho, rows, cols)
    return OrdinalStats(list(names), n, uni.levels, uni.thresholds, cor, gamma, numeric, uni.means, uni.variances)


# ---------------------------------------------------------------------------
# Gamma (Muthen 1984)
# ---------------------------------------------------------------------------

def _threshold_scores(codes_i, ncat_i, tau, count):
    """Casewise d log p(x) / d tau for one item: (N, K - 1); zero where the answer is missing."""
    dens = _normal_pdf(tau)
    prob = count / count.sum()
    cell = np.zeros((ncat_i + 1, ncat_i - 1))   # the last row serves missing answers (code -1)
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
    D = _normal_pdf(tau)[:, None] * (special.ndtr((k_hi[None, :] - rho * tau[:, None]) / s)
                                        - special.ndtr((k_lo[None, :] - rho * tau[:, None]) / s))
    kk = bounds_k.size - 1
    out = np.zeros((ncat_h, kk, ncat_h - 1))
    m = np.arange(ncat_h - 1)
    out[m, :, m] = D                 # category m has tau_m as upper bound
    out[m + 1, :, m] = -D            # category m + 1 has it as lower bound
    return out


@dataclass
class _Layout:
    """Positions of the univariate statistics: each item's thresholds (or mean), then the
    variances of the continuous items."""

    th_start: np.ndarray
    nth: np.ndarray
    var_pos: np.ndarray      # column of each continuous item's variance (-1 for ordinal items)
    size: int

    @classmethod
    def of(cls, uni: _Univariate) -> "_Layout":
        nth = np.where(uni.numeric, 1, uni.ncat - 1)
        th_start = np.concatenate([[0], np.cumsum(nth)[:-1]]).astype(int)
        total = int(nth.sum())
        var_pos = np.full(nth.size, -1)
        var_pos[uni.numeric] = total + np.arange(int(uni.numeric.sum()))
        return cls(th_start, nth, var_pos, total + int(uni.numeric.sum()))

    def block(self, i: int) -> np.ndarray:
        own = np.arange(self.th_start[i], self.th_start[i] + self.nth[i])
        return np.append(own, self.var_pos[i]) if self.var_pos[i] >= 0 else own


def _univariate_scores(uni: _Univariate, layout: _Layout) -> np.ndarray:
    n = uni.x.shape[0]
    out = np.zeros((n, layout.size))
    for i in range(uni.x.shape[1]):
        block = slice(layout.th_start[i], layout.th_start[i] + layout.nth[i])
        if uni.numeric[i]:
            res = np.nan_to_num(uni.x[:, i] - uni.means[i])
            v = uni.variances[i]
            out[:, block] = (res / v)[:, None]
            out[:, layout.var_pos[i]] = np.where(uni.seen[:, i], -1 / (2 * v) + res * res / (2 * v * v), 0.0)
        else:
            out[:, block] = _threshold_scores(uni.codes[:, i], uni.ncat[i], uni.thresholds[i], uni.counts[i])
    return out


def _polychoric_scores(uni, layout, rows, cols, rho, sc_cor, a21):
    """Scores of the polychoric correlations and their A21 rows (in place)."""
    if rows.size == 0:
        return
    b = uni.bounds
    pi, dpi = _cell_probabilities(b[rows, :-1], b[rows, 1:], b[cols, :-1], b[cols, 1:], rho)
    cell_rho = dpi / pi                                                   # d log pi / d rho
    for t, (i, j) in enumerate(zip(rows, cols)):
        ci, cj = uni.codes[:, i], uni.codes[:, j]
        ok = (ci >= 0) & (cj >= 0)
        sc_cor[:, t] = np.where(ok, cell_rho[t][ci, cj], 0.0)
        ki, kj = uni.ncat[i], uni.ncat[j]
        cell_pi = pi[t][:ki, :kj]
        di = _threshold_derivatives(b[i], b[j], rho[t], ki)[:, :kj, :] / cell_pi[:, :, None]
        dj = _threshold_derivatives(b[j], b[i], rho[t], kj)[:, :ki, :].transpose(1, 0, 2) / cell_pi[:, :, None]
        weight = np.bincount(ci[ok] * kj + cj[ok], minlength=ki * kj).reshape(ki, kj) * cell_rho[t][:ki, :kj]
        a21[t, layout.block(i)[: ki - 1]] = np.einsum("ab,abm->m", weight, di)
        a21[t, layout.block(j)[: kj - 1]] = np.einsum("ab,abm->m", weight, dj)


def _pearson_scores(uni, i, j, rho):
    """Casewise scores of (rho, mean_i, mean_j, var_i, var_j) for two continuous items."""
    ok = uni.seen[:, i] & uni.seen[:, j]
    a = np.where(ok, uni.x[:, i] - uni.means[i], 0.0)
    b = np.where(ok, uni.x[:, j] - uni.means[j], 0.0)
    v1, v2 = uni.variances[i], uni.variances[j]
    s12 = np.sqrt(v1 * v2)
    one = 1.0 - rho * rho
    quad = a * a / v1 - 2 * rho * a * b / s12 + b * b / v2
    d_rho = np.where(ok, rho / one + a * b / (s12 * one) - quad * rho / one**2, 0.0)
    d_mu1 = (2 * a / v1 - 2 * rho * b / s12) / (2 * one)
    d_mu2 = -(2 * rho * a / s12 - 2 * b / v2) / (2 * one)
    d_var1 = np.where(ok, -(0.5 / v1 - (a * a / v1**2 - rho * a * b / (v1 * s12)) / (2 * one)), 0.0)
    d_var2 = np.where(ok, -(0.5 / v2 + (rho * a * b / (v2 * s12) - b * b / v2**2) / (2 * one)), 0.0)
    return d_rho, d_mu1, d_mu2, d_var1, d_var2


def _polyserial_scores(uni, i, j, rho):
    """Casewise scores of (rho, mean_i, var_i, thresholds_j) for continuous i and ordinal j."""
    upper, lower = _category_edges(uni, j)
    z = uni.z[:, i]
    ok = ~(np.isnan(z) | np.isnan(upper))
    z, upper, lower = np.where(ok, z, 0.0), np.where(ok, upper, 0.0), np.where(ok, lower, 0.0)
    r, hi, lo, prob = _polyserial_parts(z, upper, lower, rho)
    d_hi, d_lo = _normal_pdf(hi), _normal_pdf(lo)
    d_rho = (d_hi * (upper * rho - z) - d_lo * (lower * rho - z)) / (prob * r**3)
    d_mu = (z + (rho / r) * (d_hi - d_lo) / prob) / np.sqrt(uni.variances[i])
    d_var = ((z * z - 1) + rho * z / r * (d_hi - d_lo) / prob) / (2 * uni.variances[i])
    c = uni.codes[:, j]
    m = np.arange(uni.ncat[j] - 1)
    d_th = ((c[:, None] == m) * d_hi[:, None] - (c[:, None] == m + 1) * d_lo[:, None]) / (r * prob)[:, None]
    keep = ok.astype(float)
    return d_rho * keep, d_mu * keep, d_var * keep, d_th * keep[:, None]


def _gamma(uni: _Univariate, rho, rows, cols):
    """N times the asymptotic covariance of (thresholds and means, variances, covariances)."""
    n = uni.x.shape[0]
    layout = _Layout.of(uni)
    numeric = uni.numeric
    npairs = rows.size
    sc_th = _univariate_scores(uni, layout)
    sc_cor = np.zeros((n, npairs))
    a21 = np.zeros((npairs, layout.size))
    h21 = np.zeros((npairs, layout.size))
    h22 = np.ones(npairs)
    both_ordinal = np.flatnonzero(~numeric[rows] & ~numeric[cols])
    sub_sc = np.zeros((n, both_ordinal.size))
    sub_a21 = np.zeros((both_ordinal.size, layout.size))
    _polychoric_scores(uni, layout, rows[both_ordinal], cols[both_ordinal], rho[both_ordinal], sub_sc, sub_a21)
    sc_cor[:, both_ordinal], a21[both_ordinal] = sub_sc, sub_a21
    var = uni.variances
    for t in np.flatnonzero(numeric[rows] | numeric[cols]):
        i, j = rows[t], cols[t]
        if numeric[i] and numeric[j]:
            d_rho, d_mu1, d_mu2, d_var1, d_var2 = _pearson_scores(uni, i, j, rho[t])
            sc_cor[:, t] = d_rho
            for col, score in ((layout.th_start[i], d_mu1), (layout.th_start[j], d_mu2),
                               (layout.var_pos[i], d_var1), (layout.var_pos[j], d_var2)):
                a21[t, col] = d_rho @ score
            h21[t, layout.var_pos[i]] = np.sqrt(var[j]) * rho[t] / (2 * np.sqrt(var[i]))
            h21[t, layout.var_pos[j]] = np.sqrt(var[i]) * rho[t] / (2 * np.sqrt(var[j]))
            h22[t] = np.sqrt(var[i] * var[j])
            continue
        num, ordi = (i, j) if numeric[i] else (j, i)
        d_rho, d_mu, d_var, d_th = _polyserial_scores(uni, num, ordi, rho[t])
        sc_cor[:, t] = d_rho
        a21[t, layout.th_start[num]] = d_rho @ d_mu
        a21[t, layout.var_pos[num]] = d_rho @ d_var
        a21[t, layout.block(ordi)] = d_rho @ d_th
        h21[t, layout.var_pos[num]] = rho[t] / (2 * np.sqrt(var[num]))
        h22[t] = np.sqrt(var[num])
    scores = np.hstack([sc_th, sc_cor])
    inner = scores.T @ scores
    a11_inv = np.zeros((layout.size, layout.size))
    for i in range(uni.x.shape[1]):
        block = layout.block(i)
        a11_inv[np.ix_(block, block)] = np.linalg.inv(inner[np.ix_(block, block)])
    a22 = np.einsum("ij,ij->j", sc_cor, sc_cor)
    if np.any(a22 <= 0):
        raise EstimationError("A polychoric correlation has no information (an empty bivariate table?).")
    a22_inv = 1.0 / a22
    size = layout.size
    b_inv = np.zeros((size + npairs, size + npairs))
    b_inv[:size, :size] = a11_inv
    b_inv[size:, :size] = -(a22_inv[:, None] * a21) @ a11_inv
    b_inv[size:, size:] = np.diag(a22_inv)
    acov = b_inv @ inner @ b_inv.T
    if numeric.any():   # from correlations to covariances of the continuous items
        h = np.eye(size + npairs)
        h[size:, :size] = h21
        h[size:, size:] = np.diag(h22)
        h[layout.th_start[numeric], layout.th_start[numeric]] = -1.0   # the statistic is minus the mean
        acov = h @ acov @ h.T
    return n * acov
