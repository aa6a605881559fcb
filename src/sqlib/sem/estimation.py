"""Sample statistics, objective functions and the optimizer.

Every estimator is an objective with the same interface:

* ``value(theta)`` -- the discrepancy (lavaan's ``2 * fmin``, summed over groups
  with weights ``n_g / N``),
* ``value_and_gradient(theta)``,
* ``information(theta)`` -- the expected information per observation (used for
  Fisher scoring and standard errors).

ML on complete data is implemented here; robust, ordinal and missing-data
estimators add objectives with the same interface.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .ram import RAMModel


@dataclass
class GroupStats:
    """Sample moments of one group (covariance with the N denominator, as lavaan)."""

    n: int
    cov: np.ndarray
    mean: np.ndarray
    logdet: float

    @classmethod
    def from_array(cls, x: np.ndarray) -> "GroupStats":
        n = x.shape[0]
        mean = x.mean(axis=0)
        centred = x - mean
        cov = centred.T @ centred / n
        sign, logdet = np.linalg.slogdet(cov)
        return cls(n, cov, mean, logdet if sign > 0 else -np.inf)


class MLObjective:
    """Normal-theory maximum likelihood, any number of groups."""

    name = "ML"

    def __init__(self, model: RAMModel, stats: list[GroupStats], meanstructure: bool):
        self.model = model
        self.stats = stats
        self.meanstructure = meanstructure
        self.ntotal = sum(s.n for s in stats)
        self.weights = [s.n / self.ntotal for s in stats]

    def resampled(self, blocks: list[np.ndarray]) -> "MLObjective | None":
        """The same objective on other data (a bootstrap draw); None when a covariance matrix is singular."""
        stats = [GroupStats.from_array(x) for x in blocks]
        if any(not np.isfinite(st.logdet) for st in stats):
            return None
        return MLObjective(self.model, stats, self.meanstructure)

    # discrepancy of one group given its implied moments
    def _group_value(self, st: GroupStats, sigma: np.ndarray, mu: np.ndarray) -> tuple[float, np.ndarray | None]:
        try:
            chol = np.linalg.cholesky(sigma)
        except np.linalg.LinAlgError:
            return np.inf, None
        logdet = 2.0 * np.log(np.diag(chol)).sum()
        inv = np.linalg.inv(sigma)
        value = logdet + np.sum(st.cov * inv) - st.logdet - sigma.shape[0]
        if self.meanstructure:
            diff = st.mean - mu
            value += diff @ inv @ diff
        return value, inv

    def value(self, theta: np.ndarray) -> float:
        total = 0.0
        for g, (st, w) in enumerate(zip(self.stats, self.weights), start=1):
            try:
                mom = self.model.moments(theta, g)
            except np.linalg.LinAlgError:
                return np.inf
            v, _ = self._group_value(st, mom["sigma"], mom["mu"])
            if not np.isfinite(v):
                return np.inf
            total += w * v
        return total

    def value_and_gradient(self, theta: np.ndarray) -> tuple[float, np.ndarray]:
        total, grad = 0.0, np.zeros_like(theta)
        for g, (st, w) in enumerate(zip(self.stats, self.weights), start=1):
            mom = self.model.moments(theta, g)
            v, inv = self._group_value(st, mom["sigma"], mom["mu"])
            if inv is None:
                return np.inf, grad
            W = st.cov
            omega_mu = None
            if self.meanstructure:
                diff = st.mean - mom["mu"]
                W = W + np.outer(diff, diff)
                omega_mu = -2.0 * (inv @ diff)
            omega = inv - inv @ W @ inv
            grad += w * self.model.gradient(g, mom, 0.5 * (omega + omega.T), omega_mu)
            total += w * v
        return total, grad

    def group_information(self, theta: np.ndarray, g: int) -> np.ndarray:
        """Expected information of group ``g`` per observation (K x K)."""
        full = np.zeros((theta.size, theta.size))
        compact, used = self._compact_information(theta, g)
        full[np.ix_(used, used)] = compact
        return full

    def _compact_information(self, theta: np.ndarray, g: int):
        mom = self.model.moments(theta, g)
        inv = np.linalg.inv(mom["sigma"])
        d_sigma, d_mu, used = self.model.jacobian_compact(theta, g, mom)
        dk = np.ascontiguousarray(d_sigma.transpose(2, 0, 1))      # (K, p, p)
        t = inv @ dk @ inv                                         # Sigma^-1 dSigma_k Sigma^-1
        flat = dk.reshape(dk.shape[0], -1)
        info = 0.5 * flat @ t.reshape(t.shape[0], -1).T            # 0.5 tr(S^-1 dS_k S^-1 dS_l)
        if self.meanstructure:
            info += d_mu.T @ inv @ d_mu
        return info, used

    def information(self, theta: np.ndarray) -> np.ndarray:
        """Expected information per observation, weighted over groups."""
        total = np.zeros((theta.size, theta.size))
        for g, w in enumerate(self.weights, start=1):
            compact, used = self._compact_information(theta, g)
            total[np.ix_(used, used)] += w * compact
        return total


@dataclass
class OptimizeResult:
    theta: np.ndarray
    value: float
    converged: bool
    iterations: int
    message: str
    scales: np.ndarray | None = None  # the parameter scales the search used (see parameter_scales)


def fisher_scoring(objective, theta0: np.ndarray, max_iter: int = 500, tol: float = 1e-10) -> OptimizeResult:
    """Minimise ``objective`` by Fisher scoring with step halving.

    The step solves ``2 I(theta) delta = -gradient`` (the expected Hessian of the
    discrepancy is twice the information). It stops when the largest absolute
    gradient element is below ``tol``.
    """
    theta = theta0.copy()
    value, grad = objective.value_and_gradient(theta)
    if not np.isfinite(value):
        return OptimizeResult(theta, value, False, 0, "the starting values give a non-positive-definite implied covariance matrix")
    for it in range(1, max_iter + 1):
        if np.max(np.abs(grad)) < tol:
            return OptimizeResult(theta, value, True, it - 1, "converged")
        info = objective.information(theta)
        try:
            step = np.linalg.solve(2.0 * info, -grad)
        except np.linalg.LinAlgError:
            step = -np.linalg.pinv(2.0 * info) @ grad
        scale = 1.0
        for _ in range(40):
            candidate = theta + scale * step
            new_value = objective.value(candidate)
            if np.isfinite(new_value) and new_value <= value + 1e-12 * max(1.0, abs(value)):
                break
            scale *= 0.5
        else:
            return OptimizeResult(theta, value, np.max(np.abs(grad)) < 1e-6, it, "no further decrease along the scoring direction")
        theta = candidate
        value, grad = objective.value_and_gradient(theta)
    return OptimizeResult(theta, value, np.max(np.abs(grad)) < 1e-6, max_iter, "iteration limit reached")


def quasi_newton(objective, theta0: np.ndarray, max_iter: int = 10000) -> OptimizeResult:
    """Fallback: L-BFGS-B on the analytic gradient."""
    from scipy.optimize import minimize

    def fun(theta):
        v, g = objective.value_and_gradient(theta)
        if not np.isfinite(v):
            return 1e10, np.zeros_like(theta)
        return v, g

    res = minimize(fun, theta0, jac=True, method="L-BFGS-B",
                   options={"maxiter": max_iter, "ftol": 1e-15, "gtol": 1e-10, "maxcor": 30})
    grad = objective.value_and_gradient(res.x)[1]
    return OptimizeResult(res.x, float(res.fun), bool(np.max(np.abs(grad)) < 1e-6), int(res.nit), str(res.message))


def lean_bfgs(objective, theta0: np.ndarray, hess_inv: np.ndarray, tol: float = 1e-7,
              max_iter: int = 200) -> OptimizeResult:
    """A small BFGS (inverse-Hessian update, Armijo backtracking) without scipy's overhead.

    Meant for many refits of one model from a good start and metric (bootstrap,
    simulation): the unit step is usually accepted, so each iteration costs one
    gradient evaluation.
    """
    theta = theta0.copy()
    h = hess_inv.copy()
    value, grad = objective.value_and_gradient(theta)
    for it in range(1, max_iter + 1):
        if not np.isfinite(value):
            break
        if np.max(np.abs(grad)) < tol:
            return OptimizeResult(theta, value, True, it - 1, "converged")
        direction = -h @ grad
        slope = grad @ direction
        if slope >= 0:  # not a descent direction: restart from the initial metric
            h = hess_inv.copy()
            direction = -h @ grad
            slope = grad @ direction
        step = 1.0
        while step > 1e-10:
            new_value, new_grad = objective.value_and_gradient(theta + step * direction)
            if np.isfinite(new_value) and new_value <= value + 1e-4 * step * slope:
                break
            step *= 0.5
        else:
            break
        s_vec = step * direction
        y_vec = new_grad - grad
        sy = s_vec @ y_vec
        if sy > 1e-12:
            rho = 1.0 / sy
            hy = h @ y_vec
            h += (rho * rho * (y_vec @ hy) + rho) * np.outer(s_vec, s_vec) - rho * (np.outer(s_vec, hy) + np.outer(hy, s_vec))
        theta, value, grad = theta + s_vec, new_value, new_grad
    return OptimizeResult(theta, value, False, max_iter, "BFGS did not converge")


def bfgs(objective, theta0: np.ndarray, max_iter: int = 2000, hess_inv0: np.ndarray | None = None,
         gtol: float = 1e-9) -> OptimizeResult:
    """BFGS on the analytic gradient, started with the inverse expected Hessian
    (computed at ``theta0`` unless given)."""
    from scipy.optimize import minimize

    def fun(theta):
        v, g = objective.value_and_gradient(theta)
        if not np.isfinite(v):
            return 1e10, np.zeros_like(theta)
        return v, g

    h0 = hess_inv0
    if h0 is None:
        try:
            h0 = np.linalg.inv(2.0 * objective.information(theta0))
            h0 = 0.5 * (h0 + h0.T)
            if np.linalg.eigvalsh(h0)[0] <= 0:
                h0 = None
        except np.linalg.LinAlgError:
            h0 = None
    options = {"maxiter": max_iter, "gtol": gtol}
    if h0 is not None:
        options["hess_inv0"] = h0
    res = minimize(fun, theta0, jac=True, method="BFGS", options=options)
    grad = objective.value_and_gradient(res.x)[1]
    return OptimizeResult(res.x, float(res.fun), bool(np.max(np.abs(grad)) < 1e-6), int(res.nit), str(res.message))


class ScaledObjective:
    """An objective seen through the change of variables ``theta = scales * u``.

    Optimising over ``u`` is the same problem (the minimum maps back exactly), but
    gradients and tolerances are measured in units of each parameter's natural size,
    so a model on 0-100 answers converges like the same model on 1-7 answers.
    """

    def __init__(self, objective, scales: np.ndarray):
        self.objective = objective
        self.scales = np.asarray(scales, dtype=float)

    def value(self, u: np.ndarray) -> float:
        return self.objective.value(self.scales * u)

    def value_and_gradient(self, u: np.ndarray) -> tuple[float, np.ndarray]:
        value, grad = self.objective.value_and_gradient(self.scales * u)
        return value, self.scales * grad

    def information(self, u: np.ndarray) -> np.ndarray:
        return self.objective.information(self.scales * u) * np.outer(self.scales, self.scales)


def parameter_scales(model: RAMModel, stats: list[GroupStats]) -> np.ndarray:
    """The natural size of every free parameter, from the observed variables' SDs.

    A variable's scale is its sample SD (observed) or that of its marker indicator
    divided by the fixed marker loading (latent; 1 when the factor's variance is fixed
    instead). A loading or path from ``x`` to ``y`` then has scale ``sd_y / sd_x``, a
    (co)variance ``sd_a * sd_b``, an intercept ``sd_v``; thresholds have scale 1.

    Examples
    --------
    lavaan has no direct equivalent (its ``optim.parscale`` option is the closest):

    >>> import sqlib
    >>> from sqlib.sem.estimation import parameter_scales
    >>> res = sqlib.fit("f =~ sat1 + sat2 + sat3", sqlib.load_sample())
    >>> scales = parameter_scales(res.model, res.objective.stats)
    >>> bool(abs(scales[-1] - res.sample_cov().loc["sat1", "sat1"]) < 1e-12)   # the factor variance
    True
    """
    spec = model.spec
    scales = np.ones(model.n_free)
    done = np.zeros(model.n_free, dtype=bool)
    sd_by_group = [variable_scales(spec, st) for st in stats]
    for r in spec.rows:
        if r.free < 0 or done[r.free] or r.op not in ("=~", "~", "~~", "~1"):
            continue
        sd = sd_by_group[r.group - 1]
        lhs, rhs = sd.get(r.lhs, 1.0), sd.get(r.rhs, 1.0)
        value = {"=~": rhs / lhs, "~": lhs / rhs, "~~": lhs * rhs, "~1": lhs}[r.op]
        if np.isfinite(value) and value > 0:
            scales[r.free] = value
        done[r.free] = True
    return scales


def variable_scales(spec, st: GroupStats) -> dict[str, float]:
    """The natural size (SD) of every variable of a model in one group's sample moments.

    Observed variables: their sample SD. Latent variables: the SD of their marker
    indicator divided by the fixed marker loading (higher-order factors follow their
    marker factor); 1 for factors scaled by a fixed variance (``std_lv``).

    Examples
    --------
    >>> import sqlib
    >>> from sqlib.sem.estimation import variable_scales
    >>> res = sqlib.fit("f =~ sat1 + sat2 + sat3", sqlib.load_sample())
    >>> scales = variable_scales(res.spec, res.objective.stats[0])
    >>> bool(scales["f"] == scales["sat1"])
    True
    """
    idx = {v: i for i, v in enumerate(spec.ov_names)}
    sd = {v: float(np.sqrt(st.cov[i, i])) if st.cov[i, i] > 0 else 1.0 for v, i in idx.items()}
    markers = {}
    for r in spec.rows:
        if r.op == "=~" and r.group == 1 and r.lhs not in markers and r.free < 0 and r.value != 0:
            markers[r.lhs] = (r.rhs, abs(r.value))
    for _ in range(len(spec.lv_names) + 1):  # higher-order factors take their marker factor's scale
        for f, (marker, value) in markers.items():
            if f not in sd and marker in sd:
                sd[f] = sd[marker] / value
    for f in spec.lv_names:
        sd.setdefault(f, 1.0)
    return sd


def optimize(objective, theta0: np.ndarray, scales: np.ndarray | None = None) -> OptimizeResult:
    """Fisher scoring to get close, then BFGS for fast final convergence.

    Scoring is robust far from the optimum but converges only linearly when the
    model misfits; BFGS seeded with the expected Hessian finishes in a few steps.
    With ``scales`` (see :func:`parameter_scales`) the search runs on ``theta / scales``
    and the result is mapped back, so convergence does not depend on the units of
    the answers.
    """
    if scales is not None:
        result = optimize(ScaledObjective(objective, scales), theta0 / scales)
        result.theta = result.theta * scales
        result.scales = np.asarray(scales, dtype=float)
        return result
    start = fisher_scoring(objective, theta0, max_iter=8, tol=1e-3)
    theta = start.theta if np.isfinite(start.value) else theta0
    result = _at_flat_optimum(objective, bfgs(objective, theta))
    result.iterations += start.iterations
    if result.converged:
        return result
    fallback = _at_flat_optimum(objective, quasi_newton(objective, theta))
    return fallback if fallback.value < result.value else result


def _at_flat_optimum(objective, result: OptimizeResult) -> OptimizeResult:
    """Count a stop as converged when no scoring step can lower the objective by more than 1e-12.

    At a flat, ill-conditioned optimum (nearly collinear predictors) the line search loses
    precision before the gradient is below its tolerance, although the solution is found.
    """
    if not result.converged and newton_decrement(objective, result.theta) < 1e-12:
        result.converged = True
        result.message = "converged (no step can lower the objective by more than 1e-12)"
    return result


def newton_decrement(objective, theta: np.ndarray) -> float:
    """The decrease a scoring (Newton) step predicts: ``g' (2 I)^+ g`` at ``theta``.

    Scale-free, unlike the size of the gradient, and tiny at an optimum however flat it is.
    """
    value, grad = objective.value_and_gradient(theta)
    if not np.isfinite(value):
        return np.inf
    step = np.linalg.lstsq(2.0 * objective.information(theta), -grad, rcond=None)[0]
    return float(-grad @ step)


def start_values(model: RAMModel, stats: list[GroupStats], std_lv: bool) -> np.ndarray:
    """Starting values in the spirit of lavaan's "simple" start, with FABIN-like loadings.

    Every value comes from the sample moments, so it is on the scale of the data: a
    factor stands for its marker item (a higher-order factor for its marker factor's
    marker item), loadings are ratios of covariances with the other indicators, factor
    variances mean covariances of the marker with them, residual variances half the
    item's variance.
    """
    spec = model.spec
    theta = np.zeros(model.n_free)
    set_ = np.zeros(model.n_free, dtype=bool)
    idx = {v: i for i, v in enumerate(model.ov)}
    proxy = _marker_items(spec, idx)
    indicators: dict[str, list[str]] = {}
    for r in spec.rows:
        if r.op == "=~" and r.group == 1 and r.rhs in proxy:
            indicators.setdefault(r.lhs, []).append(proxy[r.rhs])
    second_level = {r.rhs for r in spec.rows if r.op == "=~" and r.rhs in spec.lv_names}
    for r in spec.rows:
        if r.free < 0 or set_[r.free]:
            continue
        st = stats[r.group - 1]
        value = 0.0
        if r.start is not None:
            value = r.start
        elif r.op == "=~" and r.rhs not in proxy:
            value = 1.0
        elif r.op == "=~":
            value = _loading_start(idx[proxy[r.rhs]], indicators.get(r.lhs, []), st, idx, std_lv)
        elif r.op == "~~" and r.lhs == r.rhs:
            if r.lhs in idx:
                value = 0.5 * st.cov[idx[r.lhs], idx[r.lhs]]
            else:
                value = _factor_variance_start(indicators.get(r.lhs, []), st, idx)
                if r.lhs in second_level:  # a disturbance: part of the variance is the higher factor's
                    value *= 0.5
        elif r.op == "~1" and r.lhs in idx:
            value = st.mean[idx[r.lhs]]
        theta[r.free] = value
        set_[r.free] = True
    return theta


def _marker_items(spec, idx: dict) -> dict[str, str]:
    """Each variable's stand-in item: itself when observed, else its first indicator's stand-in."""
    first = {}
    for r in spec.rows:
        if r.op == "=~" and r.group == 1 and r.lhs not in first:
            first[r.lhs] = r.rhs
    proxy = {v: v for v in idx}
    for _ in range(len(first) + 1):
        for f, marker in first.items():
            if f not in proxy and marker in proxy:
                proxy[f] = proxy[marker]
    return proxy


def _loading_start(j, items, st, idx, std_lv):
    if std_lv:
        return np.sqrt(max(0.5 * st.cov[j, j], 1e-3))
    marker = idx[items[0]]
    others = [idx[i] for i in items if idx[i] not in (j, marker)]
    if others:
        num = st.cov[j, others].sum()
        den = st.cov[marker, others].sum()
        if abs(den) > 1e-8 and 0.05 < abs(num / den) < 20:
            return num / den
    return 1.0


def _factor_variance_start(items, st, idx):
    marker = idx[items[0]] if items else None
    floor = 0.05 if marker is None else max(0.05, 0.05 * st.cov[marker, marker])
    if len(items) < 2:
        return floor
    covs = [st.cov[marker, idx[i]] for i in items[1:]]
    value = float(np.mean(covs))
    return value if value > 0.01 * st.cov[marker, marker] else floor
