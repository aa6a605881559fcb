"""Full-information maximum likelihood for incomplete data (lavaan's ``missing = "ml"``).

Respondents are grouped by their pattern of answered items; each pattern
contributes the normal log-likelihood of its observed variables under the
model-implied mean and covariance. The objective has the same interface as
:class:`sqlib.estimation.MLObjective` (value, analytic gradient, expected
information), so the same optimizer, standard errors and model code serve it.

The saturated (h1) model -- needed for the chi-square -- is estimated by the EM
algorithm; the baseline model (independent variables with free means and
variances) has closed-form estimates because its likelihood factorizes.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.linalg import lapack

from .estimation import GroupStats

_LOG2PI = np.log(2 * np.pi)


@dataclass
class Pattern:
    observed: np.ndarray  # indices of the answered variables
    n: int
    mean: np.ndarray
    cov: np.ndarray  # N-denominator covariance of the answered variables
    sum_x: np.ndarray
    sum_xx: np.ndarray

    def __post_init__(self):
        self.grid = np.ix_(self.observed, self.observed)


def _chol_inverse(matrix: np.ndarray) -> tuple[float, np.ndarray] | None:
    """log-determinant and inverse of a positive-definite matrix (None if it is not)."""
    chol, info = lapack.dpotrf(matrix, lower=1)
    if info != 0:
        return None
    logdet = 2.0 * np.log(np.diag(chol)).sum()
    inv, info = lapack.dpotri(chol, lower=1)
    if info != 0:
        return None
    rows, cols = _lower_indices(matrix.shape[0])
    inv[cols, rows] = inv[rows, cols]  # dpotri fills the lower triangle only
    return logdet, inv


_LOWER: dict[int, tuple[np.ndarray, np.ndarray]] = {}


def _lower_indices(n: int):
    if n not in _LOWER:
        _LOWER[n] = np.tril_indices(n, -1)
    return _LOWER[n]


def patterns_of(x: np.ndarray) -> list[Pattern]:
    """Group the rows of ``x`` (NaN = missing) by missingness pattern."""
    mask = ~np.isnan(x)
    keys, inverse = np.unique(mask, axis=0, return_inverse=True)
    out = []
    for k, key in enumerate(keys):
        rows = x[inverse.ravel() == k][:, key]
        n = rows.shape[0]
        mean = rows.mean(axis=0)
        centred = rows - mean
        out.append(Pattern(np.flatnonzero(key), n, mean, centred.T @ centred / n, rows.sum(axis=0), rows.T @ rows))
    return out


class FIMLObjective:
    """-2 log-likelihood / N (plus a constant) over missingness patterns, any number of groups."""

    name = "FIML"
    meanstructure = True

    def __init__(self, model, patterns: list[list[Pattern]], stats: list[GroupStats]):
        self.model = model
        self.patterns = patterns
        self.stats = stats  # h1 (EM) moments, used for fit measures and starting values
        self.ntotal = sum(p.n for group in patterns for p in group)
        self.weights = [sum(p.n for p in group) / self.ntotal for group in patterns]

    def resampled(self, blocks: list[np.ndarray]) -> "FIMLObjective":
        """The same objective on other data (a bootstrap draw); the saturated moments are kept for start values."""
        return FIMLObjective(self.model, [patterns_of(x) for x in blocks], self.stats)

    def _group_terms(self, theta, g, gradient: bool):
        mom = self.model.moments(theta, g)
        sigma, mu = mom["sigma"], mom["mu"]
        p = sigma.shape[0]
        value = 0.0
        omega = np.zeros((p, p)) if gradient else None
        omega_mu = np.zeros(p) if gradient else None
        for pat in self.patterns[g - 1]:
            o = pat.observed
            factor = _chol_inverse(sigma[pat.grid])
            if factor is None:
                return np.inf, mom, None, None
            logdet, inv = factor
            diff = pat.mean - mu[o]
            w = pat.cov + np.outer(diff, diff)
            value += pat.n * (logdet + np.sum(inv * w))
            if gradient:
                iw = inv @ w
                omega[pat.grid] += pat.n * (inv - iw @ inv)
                omega_mu[o] += pat.n * (-2.0 * inv @ diff)
        return value, mom, omega, omega_mu

    def value(self, theta):
        total = 0.0
        for g in range(1, len(self.patterns) + 1):
            try:
                v, *_ = self._group_terms(theta, g, False)
            except np.linalg.LinAlgError:
                return np.inf
            if not np.isfinite(v):
                return np.inf
            total += v
        return total / self.ntotal

    def value_and_gradient(self, theta):
        total, grad = 0.0, np.zeros_like(theta)
        for g in range(1, len(self.patterns) + 1):
            v, mom, omega, omega_mu = self._group_terms(theta, g, True)
            if not np.isfinite(v):
                return np.inf, grad
            grad += self.model.gradient(g, mom, 0.5 * (omega + omega.T), omega_mu)
            total += v
        return total / self.ntotal, grad / self.ntotal

    def information(self, theta):
        """Expected information per observation, summed over patterns."""
        info = np.zeros((theta.size, theta.size))
        for g in range(1, len(self.patterns) + 1):
            mom = self.model.moments(theta, g)
            d_sigma, d_mu = self.model.jacobian(theta, g, mom)
            for pat in self.patterns[g - 1]:
                o = pat.observed
                inv = np.linalg.inv(mom["sigma"][np.ix_(o, o)])
                dk = np.ascontiguousarray(d_sigma[np.ix_(o, o)].transpose(2, 0, 1))
                t = inv @ dk @ inv
                part = 0.5 * dk.reshape(dk.shape[0], -1) @ t.reshape(t.shape[0], -1).T
                part += d_mu[o].T @ inv @ d_mu[o]
                info += pat.n * part
        return info / self.ntotal

    def loglik(self, theta) -> float:
        total = 0.0
        for g in range(1, len(self.patterns) + 1):
            v, *_ = self._group_terms(theta, g, False)
            total += v + sum(p.n * p.observed.size for p in self.patterns[g - 1]) * _LOG2PI
        return -0.5 * total


def pattern_loglik(patterns: list[Pattern], mean: np.ndarray, cov: np.ndarray) -> float:
    total = 0.0
    for pat in patterns:
        o = pat.observed
        s_oo = cov[np.ix_(o, o)]
        inv = np.linalg.inv(s_oo)
        diff = pat.mean - mean[o]
        total += pat.n * (o.size * _LOG2PI + np.linalg.slogdet(s_oo)[1] + np.sum(inv * (pat.cov + np.outer(diff, diff))))
    return -0.5 * total


def em_saturated(patterns: list[Pattern], p: int, tol: float = 1e-12, max_iter: int = 5000):
    """EM estimates of the unrestricted mean and covariance; returns (mean, cov, loglik)."""
    n = sum(pat.n for pat in patterns)
    mean = np.zeros(p)
    count = np.zeros(p)
    for pat in patterns:
        mean[pat.observed] += pat.sum_x
        count[pat.observed] += pat.n
    mean = mean / count
    var = np.zeros(p)
    for pat in patterns:
        var[pat.observed] += np.diag(pat.sum_xx) - 2 * mean[pat.observed] * pat.sum_x + pat.n * mean[pat.observed] ** 2
    cov = np.diag(var / count)
    old = -np.inf
    for _ in range(max_iter):
        t1 = np.zeros(p)
        t2 = np.zeros((p, p))
        for pat in patterns:
            o = pat.observed
            m = np.setdiff1d(np.arange(p), o)
            if m.size == 0:
                t1 += pat.sum_x
                t2 += pat.sum_xx
                continue
            b = cov[np.ix_(m, o)] @ np.linalg.inv(cov[np.ix_(o, o)])
            c = mean[m] - b @ mean[o]
            cond = cov[np.ix_(m, m)] - b @ cov[np.ix_(o, m)]
            sx, sxx = pat.sum_x, pat.sum_xx
            t1[o] += sx
            t1[m] += pat.n * c + b @ sx
            t2[np.ix_(o, o)] += sxx
            cross = np.outer(c, sx) + b @ sxx          # sum of E[x_m] x_o'
            t2[np.ix_(m, o)] += cross
            t2[np.ix_(o, m)] += cross.T
            t2[np.ix_(m, m)] += (pat.n * np.outer(c, c) + np.outer(c, b @ sx) + np.outer(b @ sx, c)
                                 + b @ sxx @ b.T + pat.n * cond)
        mean = t1 / n
        cov = t2 / n - np.outer(mean, mean)
        ll = pattern_loglik(patterns, mean, cov)
        if abs(ll - old) < tol * max(1.0, abs(ll)):
            break
        old = ll
    return mean, cov, ll


def baseline_loglik(patterns: list[Pattern], p: int) -> float:
    """Log-likelihood of the independence model (each variable its own mean and variance)."""
    total = 0.0
    for j in range(p):
        n = s = ss = 0.0
        for pat in patterns:
            pos = np.flatnonzero(pat.observed == j)
            if pos.size:
                k = pos[0]
                n += pat.n
                s += pat.sum_x[k]
                ss += pat.sum_xx[k, k]
        mean = s / n
        var = ss / n - mean**2
        total += -0.5 * n * (_LOG2PI + np.log(var) + 1)
    return total
