"""Direct, indirect and total effects in a structural model.

Effects are computed from the regression matrix ``B`` among the variables that
take part in regressions: total = (I - B)^-1 - I, indirect = total - direct
(Bollen, 1987). This works for any model syntax, labelled or not. Standard errors
use the delta method (numerical Jacobian of the effects with respect to the free
parameters); when the result carries a bootstrap (``result.boot``), confidence
intervals are bootstrap percentiles instead.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from sqlib.core.numdiff import central_jacobian, delta_method_se
from scipy import stats

_Z975 = stats.norm.ppf(0.975)


def _structural_names(result) -> list[str]:
    est = result.estimates
    reg = est[est["op"] == "~"]
    return list(dict.fromkeys(list(reg["rhs"]) + list(reg["lhs"])))


def _effect_arrays(result, theta: np.ndarray, names: list[str], group: int) -> tuple[np.ndarray, np.ndarray]:
    A, _, _ = result.model.matrices(theta, group)
    idx = [result.model.index[v] for v in names]
    B = A[np.ix_(idx, idx)]
    total = np.linalg.inv(np.eye(len(idx)) - B) - np.eye(len(idx))
    return B, total


def effects(result, *, group: int = 1, level: float = 0.95) -> pd.DataFrame:
    """Direct, indirect and total effects of every predictor on every outcome it reaches.

    Parameters
    ----------
    result : SEMResult
        A fitted model with regressions (``~``).
    group : int
    level : float
        Confidence level of the intervals.

    Returns
    -------
    DataFrame
        ``outcome, predictor, effect ("direct", "indirect", "total"), est, se, z, pvalue,
        ci_lower, ci_upper, std_all, ci_method``.

    Examples
    --------
    The R equivalent defines the effects with ``:=`` (``ind := a*b``) and reads
    them from ``parameterEstimates(fit)``; semTools' ``monteCarloCI`` or lavaan's
    bootstrap give the intervals.
    """
    names = _structural_names(result)
    if not names:
        raise ValueError("The model has no regressions ('~'), so it has no direct or indirect effects.")
    theta = result.theta
    B, total = _effect_arrays(result, theta, names, group)
    pairs = [(o, p) for o in range(len(names)) for p in range(len(names)) if abs(total[o, p]) > 0 or B[o, p] != 0]

    def flat(th):
        b, t = _effect_arrays(result, th, names, group)
        return np.array([[b[o, p], t[o, p] - b[o, p], t[o, p]] for o, p in pairs]).ravel()

    base = flat(theta)
    se = delta_method_se(central_jacobian(flat, theta), result.vcov)
    boot = getattr(result, "boot", None)
    boot_values = None
    if boot is not None and len(boot.draws):
        thetas = boot.draws.to_numpy()[:, : theta.size]
        boot_values = np.array([flat(th) for th in thetas])
    mom = result.model.moments(theta, group)
    sd = np.sqrt(np.diag(mom["cov_all"]))
    sd_of = {v: sd[result.model.index[v]] for v in names}
    records = []
    q = [(1 - level) / 2, (1 + level) / 2]
    z_crit = stats.norm.ppf(q[1])
    for i, (o, p) in enumerate(pairs):
        for j, kind in enumerate(("direct", "indirect", "total")):
            k = 3 * i + j
            est, s = base[k], se[k]
            if boot_values is not None:
                lo, hi = np.quantile(boot_values[:, k], q)
                s = boot_values[:, k].std(ddof=1)
                method = "bootstrap percentile"
            else:
                lo, hi = est - z_crit * s, est + z_crit * s
                method = "delta method"
            z = est / s if s > 0 else np.nan
            records.append({
                "outcome": names[o], "predictor": names[p], "effect": kind, "est": est, "se": s, "z": z,
                "pvalue": 2 * stats.norm.sf(abs(z)) if np.isfinite(z) else np.nan,
                "ci_lower": lo, "ci_upper": hi, "std_all": est * sd_of[names[p]] / sd_of[names[o]],
                "ci_method": method,
            })
    table = pd.DataFrame(records)
    B, _ = _effect_arrays(result, theta, names, group)
    direct, indirect = B != 0, _longer_paths(B != 0)
    position = {name: i for i, name in enumerate(names)}
    exists = [kind == "total" or (direct if kind == "direct" else indirect)[position[o], position[p]]
              for o, p, kind in zip(table["outcome"], table["predictor"], table["effect"])]
    return table[exists].reset_index(drop=True)


def _longer_paths(adjacent: np.ndarray) -> np.ndarray:
    """Which pairs (outcome, predictor) are joined by a chain of two or more paths."""
    step = adjacent.astype(int)
    reach = np.zeros_like(step, dtype=bool)
    walk = step.copy()
    for _ in range(len(step) - 1):
        walk = (walk @ step > 0).astype(int)
        reach |= walk.astype(bool)
    return reach


def effect_draws(result, outcome: str, predictors: list[str], *, effect: str = "total", standardized: bool = False,
                 group: int = 1) -> pd.DataFrame:
    """One effect of each predictor on ``outcome`` in every bootstrap draw of ``result`` (``use_bootstrap``).

    ``effect`` is "direct", "indirect" or "total"; ``standardized=True`` rescales each draw by the
    predictor's and the outcome's model-implied standard deviations in that draw (lavaan's std.all),
    so the draws of a standardized effect, or of a difference between two effects, give percentile
    intervals for it. Returns one row per draw and one column per predictor.
    """
    boot = getattr(result, "boot", None)
    if boot is None or not len(boot.draws):
        raise ValueError("The result carries no bootstrap draws: pass result.use_bootstrap(result.bootstrap(...)).")
    if effect not in ("direct", "indirect", "total"):
        raise ValueError(f"effect must be 'direct', 'indirect' or 'total', not {effect!r}.")
    names = _structural_names(result)
    missing = [v for v in [outcome, *predictors] if v not in names]
    if missing:
        raise ValueError(f"{missing} take no part in a regression of the model; choose among {names}.")
    o, ps = names.index(outcome), [names.index(p) for p in predictors]
    rows = []
    for theta in boot.draws.to_numpy()[:, : result.theta.size]:
        B, total = _effect_arrays(result, theta, names, group)
        value = {"direct": B, "indirect": total - B, "total": total}[effect][o, ps]
        if standardized:
            sd = np.sqrt(np.diag(result.model.moments(theta, group)["cov_all"]))
            value = value * np.array([sd[result.model.index[p]] for p in predictors]) / sd[result.model.index[outcome]]
        rows.append(value)
    return pd.DataFrame(rows, columns=list(predictors))
