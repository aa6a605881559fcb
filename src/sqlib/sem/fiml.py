"""Full-information maximum likelihood for incomplete data (lavaan's ``missing = "ml"``).

Each respondent contributes the normal log-likelihood of the answers they gave
under the model-implied mean and covariance. The objective has the same interface
as :class:`sqlib.estimation.MLObjective` (value, analytic gradient, expected
information), so the same optimizer, standard errors and model code serve it.

Speed: surveys with scattered missing answers have almost one missingness pattern
per respondent, so nothing here loops over patterns. With ``K = Sigma^-1`` and a
pattern missing the variables ``m``,

    Sigma_oo^-1 (embedded, zero on m) = K - K[:, m] K_mm^-1 K[m, :]
    log|Sigma_oo| = log|Sigma| + log|K_mm|

so one Cholesky factor of ``Sigma`` serves every respondent, and the per-pattern
work is a small ``K_mm`` (as many rows as missing answers), factorised for all
patterns with the same number of missing answers at once. Value, gradient,
expected information, casewise scores and the EM algorithm of the saturated
model all use these terms; the cost is linear in the number of respondents.

The saturated (h1) model -- needed for the chi-square -- is estimated by the EM
algorithm; the baseline model (independent variables with free means and
variances) has closed-form estimates because its likelihood factorizes.
"""

from __future__ import annotations

import contextlib
import functools
from dataclasses import dataclass

import numpy as np
from threadpoolctl import ThreadpoolController

from .estimation import GroupStats

_LOG2PI = np.log(2 * np.pi)
_BLAS: list[ThreadpoolController] = []


def single_blas_thread(active: bool = True):
    """A context with single-threaded BLAS (a no-op unless ``active``).

    FIML multiplies tall, thin matrices (respondents x items) by small ones and
    factorises many tiny ones; there BLAS threads cost more than they save (10x
    slower on a busy 2-core machine), and so they do for the small information
    matrices of the optimizer.
    """
    if not active:
        return contextlib.nullcontext()
    if not _BLAS:
        _BLAS.append(ThreadpoolController())
    return _BLAS[0].limit(limits=1, user_api="blas")


def one_blas_thread(func):
    """Decorator: run ``func`` inside :func:`single_blas_thread`."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        with single_blas_thread():
            return func(*args, **kwargs)

    return wrapper


@dataclass
class MissingBlock:
    """The patterns with the same number of missing answers, and their respondents."""

    missing: np.ndarray      # (P_m, m) indices of the unanswered variables of each pattern
    counts: np.ndarray       # (P_m,) respondents per pattern
    rows: np.ndarray         # (n_m,) the respondents with one of these patterns
    pattern: np.ndarray      # (n_m,) each respondent's pattern (position in ``missing``)


@dataclass
class PatternSet:
    """One group's answers arranged for batched algebra over missingness patterns."""

    x: np.ndarray            # (n, p) answers, NaN = missing
    filled: np.ndarray       # answers with 0 where missing
    answered: np.ndarray     # (n, p) bool
    blocks: list[MissingBlock]
    n_patterns: int

    @property
    def n(self) -> int:
        return self.x.shape[0]

    @property
    def p(self) -> int:
        return self.x.shape[1]


def patterns_of(x: np.ndarray) -> PatternSet:
    """Group the rows of ``x`` (NaN = missing) by missingness pattern."""
    answered = ~np.isnan(x)
    keys, inverse, counts = np.unique(answered, axis=0, return_inverse=True, return_counts=True)
    inverse = inverse.ravel()
    n_missing = (~keys).sum(axis=1)
    blocks = []
    for m in np.unique(n_missing):
        if m == 0:
            continue
        ids = np.flatnonzero(n_missing == m)
        position = np.full(keys.shape[0], -1)
        position[ids] = np.arange(ids.size)
        rows = np.flatnonzero(np.isin(inverse, ids))
        missing = np.array([np.flatnonzero(~keys[i]) for i in ids], dtype=int).reshape(ids.size, m)
        blocks.append(MissingBlock(missing, counts[ids].astype(float), rows, position[inverse[rows]]))
    return PatternSet(x, np.where(answered, x, 0.0), answered, blocks, keys.shape[0])


@dataclass
class PatternTerms:
    """Everything the likelihood and its derivatives need at one (mu, Sigma)."""

    value: float             # sum over respondents of log|Sigma_oo| + e_o' Sigma_oo^-1 e_o
    inverse: np.ndarray      # K = Sigma^-1
    z: np.ndarray            # (n, p) rows Sigma_oo^-1 e_o, zero where missing
    completed: np.ndarray    # (n, p) e with missing entries replaced by E[e_m | e_o] (EM)
    downdate: np.ndarray     # sum over respondents of K[:, m] K_mm^-1 K[m, :]
    cond_cov: np.ndarray     # sum over respondents of K_mm^-1 embedded at (m, m) (EM)
    roots: list              # per block: (P_m, p, m) L with L L' = K[:, m] K_mm^-1 K[m, :]


def pattern_terms(data: PatternSet, sigma: np.ndarray, mu: np.ndarray, roots: bool = False) -> PatternTerms | None:
    """The likelihood terms of every respondent at ``(mu, sigma)``; None if ``sigma`` is not
    positive definite (nor any ``Sigma_oo`` then)."""
    try:
        chol = np.linalg.cholesky(sigma)
    except np.linalg.LinAlgError:
        return None
    p = sigma.shape[0]
    chol_inv = np.linalg.inv(chol)
    inv = chol_inv.T @ chol_inv
    e = data.filled - mu * data.answered
    v = e @ inv
    value = data.n * 2.0 * np.log(np.diag(chol)).sum() + np.einsum("ij,ij->", e, v)
    u_full = np.zeros_like(e)
    cond = np.zeros((p, p))
    block_roots = []
    for block in data.blocks:
        idx = block.missing
        k_mm = inv[idx[:, :, None], idx[:, None, :]]
        try:
            chol_mm = np.linalg.cholesky(k_mm)
        except np.linalg.LinAlgError:
            return None
        value += block.counts @ (2.0 * np.log(np.diagonal(chol_mm, axis1=1, axis2=2)).sum(axis=1))
        chol_mm_inv = np.linalg.inv(chol_mm)
        a = np.swapaxes(chol_mm_inv, 1, 2) @ chol_mm_inv          # K_mm^-1 per pattern
        row_idx = idx[block.pattern]
        v_m = np.take_along_axis(v[block.rows], row_idx, axis=1)
        u = np.einsum("rab,rb->ra", a[block.pattern], v_m)
        value -= np.einsum("ra,ra->", v_m, u)
        u_full[block.rows[:, None], row_idx] = u
        np.add.at(cond, (idx[:, :, None], idx[:, None, :]), block.counts[:, None, None] * a)
        if roots:
            block_roots.append(np.swapaxes(inv[:, idx], 0, 1) @ np.swapaxes(chol_mm_inv, 1, 2))
    z = v - u_full @ inv
    return PatternTerms(float(value), inv, z, e - u_full, inv @ cond @ inv, cond, block_roots)


class FIMLObjective:
    """-2 log-likelihood / N (plus a constant) over respondents, any number of groups."""

    name = "FIML"
    meanstructure = True

    def __init__(self, model, patterns: list[PatternSet], stats: list[GroupStats]):
        self.model = model
        self.patterns = patterns
        self.stats = stats  # h1 (EM) moments, used for fit measures and starting values
        self.ntotal = sum(data.n for data in patterns)
        self.weights = [data.n / self.ntotal for data in patterns]

    def resampled(self, blocks: list[np.ndarray]) -> "FIMLObjective":
        """The same objective on other data (a bootstrap draw); the saturated moments are kept for start values."""
        return FIMLObjective(self.model, [patterns_of(x) for x in blocks], self.stats)

    def group_terms(self, theta, g: int, roots: bool = False) -> tuple[dict, PatternTerms | None]:
        try:
            mom = self.model.moments(theta, g)
        except np.linalg.LinAlgError:
            return {}, None
        return mom, pattern_terms(self.patterns[g - 1], mom["sigma"], mom["mu"], roots)

    @one_blas_thread
    def value(self, theta):
        total = 0.0
        for g in range(1, len(self.patterns) + 1):
            _, terms = self.group_terms(theta, g)
            if terms is None:
                return np.inf
            total += terms.value
        return total / self.ntotal

    @one_blas_thread
    def value_and_gradient(self, theta):
        total, grad = 0.0, np.zeros_like(theta)
        for g, data in enumerate(self.patterns, start=1):
            mom, terms = self.group_terms(theta, g)
            if terms is None:
                return np.inf, grad
            omega = data.n * terms.inverse - terms.downdate - terms.z.T @ terms.z
            omega_mu = -2.0 * terms.z.sum(axis=0)
            grad += self.model.gradient(g, mom, 0.5 * (omega + omega.T), omega_mu)
            total += terms.value
        return total / self.ntotal, grad / self.ntotal

    @one_blas_thread
    def information(self, theta):
        """Expected information per observation, summed over respondents.

        Per respondent ``0.5 tr(Q dSigma_k Q dSigma_l) + dmu_k' Q dmu_l`` with the embedded
        ``Q = K - L L'`` (``L`` from :func:`pattern_terms`), expanded so that only the
        low-rank parts ``L' dSigma_k L`` are computed per pattern.
        """
        total = np.zeros((theta.size, theta.size))
        for g, data in enumerate(self.patterns, start=1):
            mom, terms = self.group_terms(theta, g, roots=True)
            d_sigma, d_mu, used = self.model.jacobian_compact(theta, g, mom)
            dk = np.ascontiguousarray(d_sigma.transpose(2, 0, 1))
            k_dk = terms.inverse @ dk
            flat = k_dk.reshape(dk.shape[0], -1)
            info = 0.5 * data.n * flat @ np.swapaxes(k_dk, 1, 2).reshape(dk.shape[0], -1).T
            cross = flat @ np.swapaxes(terms.downdate @ dk, 1, 2).reshape(dk.shape[0], -1).T
            info -= 0.5 * (cross + cross.T)
            for block, roots in zip(data.blocks, terms.roots):
                low = self.model.project_jacobian(g, mom, roots) * np.sqrt(block.counts)[:, None, None, None]
                low = low.reshape(-1, used.size)
                info += 0.5 * low.T @ low
            info += d_mu.T @ (data.n * terms.inverse - terms.downdate) @ d_mu
            total[np.ix_(used, used)] += info
        return total / self.ntotal

    @one_blas_thread
    def casewise_scores(self, theta, g: int) -> np.ndarray:
        """Scores of each respondent's log-likelihood with respect to ``theta`` (n_g x K)."""
        data = self.patterns[g - 1]
        mom, terms = self.group_terms(theta, g, roots=True)
        d_sigma, d_mu, used = self.model.jacobian_compact(theta, g, mom)
        quad = self.model.project_jacobian(g, mom, terms.z[:, :, None])[:, 0, 0, :]   # z' dSigma_k z
        trace = np.tile(np.einsum("ab,bak->k", terms.inverse, d_sigma), (data.n, 1))   # tr(Q_i dSigma_k)
        for block, roots in zip(data.blocks, terms.roots):
            low = self.model.project_jacobian(g, mom, roots)
            trace[block.rows] -= np.einsum("Paak->Pk", low)[block.pattern]
        scores = np.zeros((data.n, theta.size))
        scores[:, used] = 0.5 * (quad - trace) + terms.z @ d_mu
        return scores

    @one_blas_thread
    def loglik(self, theta) -> float:
        total = 0.0
        for g, data in enumerate(self.patterns, start=1):
            _, terms = self.group_terms(theta, g)
            total += terms.value + data.answered.sum() * _LOG2PI
        return -0.5 * total


@one_blas_thread
def pattern_loglik(data: PatternSet, mean: np.ndarray, cov: np.ndarray) -> float:
    """Normal log-likelihood of every answer given at ``(mean, cov)``."""
    terms = pattern_terms(data, cov, mean)
    if terms is None:
        return -np.inf
    return -0.5 * (terms.value + data.answered.sum() * _LOG2PI)


@one_blas_thread
def em_saturated(data: PatternSet, tol: float = 1e-12, max_iter: int = 5000):
    """EM estimates of the unrestricted mean and covariance; returns (mean, cov, loglik).

    The E-step takes each respondent's missing answers' conditional mean
    ``mu_m - K_mm^-1 (K e)_m`` and covariance ``K_mm^-1`` from the same terms as the likelihood.
    """
    mean = np.nanmean(data.x, axis=0)
    cov = np.diag(np.nanvar(data.x, axis=0))
    old = -np.inf
    for _ in range(max_iter):
        terms = pattern_terms(data, cov, mean)
        if terms is None:
            raise np.linalg.LinAlgError("EM of the saturated model reached a covariance matrix that is not positive definite")
        loglik = -0.5 * (terms.value + data.answered.sum() * _LOG2PI)
        if abs(loglik - old) < tol * max(1.0, abs(loglik)):
            break
        old = loglik
        completed = terms.completed
        shift = completed.mean(axis=0)
        cov = (completed.T @ completed + terms.cond_cov) / data.n - np.outer(shift, shift)
        mean = mean + shift
    return mean, cov, loglik


def baseline_loglik(data: PatternSet) -> float:
    """Log-likelihood of the independence model (each variable its own mean and variance)."""
    n = data.answered.sum(axis=0)
    var = np.nanvar(data.x, axis=0)
    return float(np.sum(-0.5 * n * (_LOG2PI + np.log(var) + 1)))


def vech_indices(p: int) -> tuple[np.ndarray, np.ndarray]:
    """Rows and columns of the non-duplicated covariances: the saturated model's parameters are
    ``(mu, Sigma[rows, cols])``."""
    return np.tril_indices(p)


def _pattern_stacks(data: PatternSet, terms: PatternTerms):
    """Per pattern with gaps: ``T = K[:, m] K_mm^-1 K[m, :]`` (P, p, p), the respondents' count,
    sum of ``z`` and sum of ``z z'``; and each respondent's pattern (-1 when complete)."""
    p = data.p
    lows, counts, z_sums, zz_sums = [], [], [], []
    row_pattern = np.full(data.n, -1)
    offset = 0
    for block, roots in zip(data.blocks, terms.roots):
        count = block.counts.size
        lows.append(roots @ np.swapaxes(roots, 1, 2))
        counts.append(block.counts)
        z = terms.z[block.rows]
        z_sum = np.zeros((count, p))
        np.add.at(z_sum, block.pattern, z)
        zz_sum = np.zeros((count, p, p))
        np.add.at(zz_sum, block.pattern, z[:, :, None] * z[:, None, :])
        z_sums.append(z_sum)
        zz_sums.append(zz_sum)
        row_pattern[block.rows] = offset + block.pattern
        offset += count
    if not lows:
        empty = np.zeros((0, p, p))
        return empty, np.zeros(0), np.zeros((0, p)), empty, row_pattern
    return (np.concatenate(lows), np.concatenate(counts), np.concatenate(z_sums), np.concatenate(zz_sums),
            row_pattern)


@one_blas_thread
def saturated_information(data: PatternSet, mean: np.ndarray, cov: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Observed information (minus the Hessian of the log-likelihood / N) and first-order information
    (mean outer product of the casewise scores) of the saturated model ``(mu, vech Sigma)`` at
    ``(mean, cov)`` -- lavaan's ``lav_mvnorm_missing_information_observed_samplestats`` and
    ``lav_mvnorm_missing_information_firstorder``.

    With ``Q_i`` respondent i's embedded ``Sigma_oo^-1`` and ``z_i = Q_i e_i``, the score of ``mu`` is
    ``z_i`` and of a covariance ``0.5 (z' dS z - tr(Q dS))``; minus the Hessian has blocks
    ``Q``, ``Q dS_cd z`` and ``z' dS_ab Q dS_cd z - 0.5 tr(Q dS_ab Q dS_cd)``. With
    ``Q = K - T_pattern`` the sums over respondents become sums over patterns of Kronecker-type
    products, done as two matrix products.
    """
    p, n = data.p, data.n
    terms = pattern_terms(data, cov, mean, roots=True)
    if terms is None:
        raise np.linalg.LinAlgError("the saturated covariance matrix is not positive definite")
    k, z = terms.inverse, terms.z
    lows, counts, z_sums, zz_sums, row_pattern = _pattern_stacks(data, terms)
    rows, cols = vech_indices(p)
    weight = np.where(rows == cols, 0.5, 1.0)
    # first order: casewise scores
    q_rows = np.broadcast_to(k[rows, cols], (n, rows.size)).copy()
    gaps = row_pattern >= 0
    q_rows[gaps] -= lows[:, rows, cols][row_pattern[gaps]]
    scores = np.hstack([z, weight * (z[:, rows] * z[:, cols] - q_rows)])
    first_order = scores.T @ scores / n
    # observed information
    a_mu = (n * k - terms.downdate) / n
    z_total = z.sum(axis=0)
    m3 = k[:, :, None] * z_total[None, None, :] - np.einsum("Pxc,Pd->xcd", lows, z_sums)   # sum_i Q_i[x,c] z_id
    a_mu_sigma = weight * (m3[:, rows, cols] + m3[:, cols, rows]) / n
    zz = z.T @ z
    flat_t = lows.reshape(lows.shape[0], p * p)
    h1 = np.einsum("ad,bc->abcd", zz, k)                                                  # sum_i z_a Q_bc z_d
    h1 -= (zz_sums.reshape(lows.shape[0], p * p).T @ flat_t).reshape(p, p, p, p).transpose(0, 2, 3, 1)
    tbar = terms.downdate
    h2 = n * np.einsum("bc,da->abcd", k, k) - np.einsum("bc,da->abcd", k, tbar) - np.einsum("bc,da->abcd", tbar, k)
    h2 += ((counts[:, None] * flat_t).T @ flat_t).reshape(p, p, p, p).transpose(3, 0, 1, 2)  # sum_i Q_bc Q_da
    f = h1 - 0.5 * h2
    f = f + f.transpose(0, 1, 3, 2)
    f = f + f.transpose(1, 0, 2, 3)
    a_sigma = weight[:, None] * weight[None, :] * f[rows[:, None], cols[:, None], rows[None, :], cols[None, :]] / n
    observed = np.block([[a_mu, a_mu_sigma], [a_mu_sigma.T, a_sigma]])
    return 0.5 * (observed + observed.T), first_order


def complete_saturated_information(cov: np.ndarray) -> np.ndarray:
    """Information of the saturated model ``(mu, vech Sigma)`` for complete data at its estimates
    (observed = expected there): ``Sigma^-1`` and ``0.5 D'(Sigma^-1 kron Sigma^-1) D``."""
    inv = np.linalg.inv(cov)
    rows, cols = vech_indices(cov.shape[0])
    weight = np.where(rows == cols, 0.5, 1.0)
    a_sigma = weight[:, None] * weight[None, :] * (
        inv[rows][:, rows] * inv[cols][:, cols] + inv[rows][:, cols] * inv[cols][:, rows])
    return np.block([[inv, np.zeros((inv.shape[0], rows.size))], [np.zeros((rows.size, inv.shape[0])), a_sigma]])


def independence_scores(data: PatternSet) -> tuple[np.ndarray, np.ndarray]:
    """Casewise scores and observed information (per respondent) of the FIML independence model
    (free mean and variance per variable, estimated from the available answers), parameters
    ``(means, variances)``."""
    mean = np.nanmean(data.x, axis=0)
    var = np.nanvar(data.x, axis=0)
    e = np.where(data.answered, data.x - mean, 0.0)
    scores = np.hstack([e / var, np.where(data.answered, 0.5 * (e**2 / var**2 - 1 / var), 0.0)])
    answered = data.answered.sum(axis=0)
    information = np.diag(np.concatenate([answered / var, answered / (2 * var**2)])) / data.n
    return scores, information
