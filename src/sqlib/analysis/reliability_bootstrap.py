"""Bootstrap intervals for model-based reliability (omega) and AVE.

Every draw refits the CFA on respondents resampled with replacement, with the SEM bootstrap's
draw loop (:func:`sqlib.bootstrap.bootstrap_statistic`: the same resamples for the same seed,
the same refits, engines and progress bar), and recomputes on it what
:func:`sqlib.reliability.construct_reliability` reports: ``omega`` (``semTools::compRelSEM``,
observed variance of the sum score), ``omega_model`` (``compRelSEM(fit, obs.var = FALSE)``),
``composite_reliability`` (from standardized loadings) and ``ave`` (``semTools::AVE``). The
resample's own sample covariance matrix enters omega and AVE, as it does when lavaan refits
the model and semTools is called on the refit.

>>> import sqlib
>>> from sqlib.analysis.reliability_bootstrap import reliability_bootstrap
>>> fit = sqlib.fit("tangibles =~ tan1 + tan2 + tan3 + tan4", sqlib.load_sample())
>>> reliability_bootstrap(fit, 20, seed=1, progress=False).columns.tolist()
['construct', 'statistic', 'estimate', 'se', 'ci_lower', 'ci_upper', 'draws_used', 'draws_failed']
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from sqlib.core.errors import ModelSpecificationError
from sqlib.sem.bootstrap import bootstrap_statistic

from .reliability import construct_reliability

__all__ = ["reliability_bootstrap", "reliability_draws", "interval_from_draws", "add_intervals", "STATISTICS"]

#: The statistics that can be bootstrapped, as columns of :func:`construct_reliability`.
STATISTICS = ("omega", "omega_model", "composite_reliability", "ave")
#: Those that use the sample covariance matrix of the respondents (FIML keeps no such matrix per draw).
SAMPLE_BASED = ("omega", "ave")
INTERVALS = ("percentile", "bc")


@dataclass(frozen=True)
class LoadingLayout:
    """Where each construct's loadings sit in the model, and which statistics a draw returns."""

    group: int
    constructs: tuple[str, ...]
    mask: np.ndarray          # indicators x constructs: True where an '=~' row puts a loading
    latent: np.ndarray        # position of each construct among the model's latent variables
    statistics: tuple[str, ...]


def loading_layout(result, constructs: Sequence[str], statistics: Sequence[str], group: int = 1) -> LoadingLayout:
    """The '=~' rows of ``group`` from observed indicators to ``constructs`` as a boolean mask."""
    model = result.model
    position = {name: k for k, name in enumerate(model.lv)}
    mask = np.zeros((model.p, len(constructs)), dtype=bool)
    column = {name: k for k, name in enumerate(constructs)}
    for row in result.spec.rows:
        if row.op == "=~" and row.group == group and row.lhs in column and row.rhs in model.ov:
            _, i, _ = model.entry(row)
            mask[i, column[row.lhs]] = True
    return LoadingLayout(group, tuple(constructs), mask, np.array([position[c] for c in constructs], dtype=int),
                         tuple(statistics))


def _per_construct(lam: np.ndarray, phi: np.ndarray, sample: np.ndarray, implied: np.ndarray) -> dict[str, list]:
    """The four statistics of every construct (columns of ``lam``), as construct_reliability computes them."""
    out = {name: [] for name in STATISTICS}
    cross_loaded = (np.round(lam, 5) != 0).sum(axis=1) > 1
    for k in range(lam.shape[1]):
        idx = np.flatnonzero(lam[:, k] != 0)
        if idx.size < 2:
            for name in STATISTICS:
                out[name].append(np.nan)
            continue
        loadings, block = lam[idx, k], np.ix_(idx, idx)
        common = loadings.sum() ** 2 * phi[k]
        out["omega"].append(common / sample[block].sum())
        out["omega_model"].append(common / implied[block].sum())
        standardized = loadings * np.sqrt(phi[k]) / np.sqrt(np.diag(implied)[idx])
        true_part = standardized.sum() ** 2
        out["composite_reliability"].append(true_part / (true_part + (1 - standardized ** 2).sum()))
        out["ave"].append(np.nan if cross_loaded[idx].any()
                          else (loadings ** 2).sum() * phi[k] / np.trace(sample[block]))
    return out


def reliability_values(layout: LoadingLayout, result, objective, theta: np.ndarray) -> np.ndarray:
    """The statistics of one draw: ``layout.statistics`` in turn, each over ``layout.constructs``.

    A statistic for :func:`sqlib.bootstrap.bootstrap_statistic`: loadings and factor variances
    from ``theta``, the sample covariance matrix from ``objective`` (the resample's).
    """
    moments = result.model.moments(theta, layout.group)
    p = result.model.p
    lam = np.where(layout.mask, moments["A"][:p, p:][:, layout.latent], 0.0)
    phi = np.diag(moments["cov_all"][p:, p:])[layout.latent]
    values = _per_construct(lam, phi, objective.stats[layout.group - 1].cov, moments["sigma"])
    return np.concatenate([np.asarray(values[name], dtype=float) for name in layout.statistics])


def _check_request(result, statistics: Sequence[str], ci: str, level: float, group: int) -> tuple[str, ...]:
    statistics = (statistics,) if isinstance(statistics, str) else tuple(statistics)
    unknown = [s for s in statistics if s not in STATISTICS]
    if unknown or not statistics:
        raise ValueError(f"statistics {unknown or list(statistics)} cannot be bootstrapped here; choose among "
                         f"{', '.join(STATISTICS)} (the columns of construct_reliability).")
    if ci not in INTERVALS:
        raise ValueError(f"ci={ci!r} is not available; use 'percentile' or 'bc' (bias-corrected, lavaan's "
                         "'bca.simple').")
    if not 0 < level < 1:
        raise ValueError(f"level must be between 0 and 1 (for example 0.95), not {level!r}.")
    if not 1 <= group <= len(result.nobs):
        raise ValueError(f"group must be between 1 and {len(result.nobs)} for this model, not {group!r}.")
    if result.missing in ("fiml", "ml") and set(statistics) & set(SAMPLE_BASED):
        raise ModelSpecificationError(
            "omega and AVE divide by the sample covariance matrix of each resample, which a FIML fit does not "
            "recompute per draw. Bootstrap statistics=('omega_model', 'composite_reliability') instead, or refit "
            "with missing='listwise' to bootstrap omega and AVE.")
    return statistics


def reliability_draws(result, draws: int = 500, *, seed: int = 0, statistics: Sequence[str] = ("omega", "ave"),
                      group: int = 1, codebook=None, resamples=None, n_jobs: int = 1, progress: bool = True,
                      engine: str = "local", scheduler=None) -> pd.DataFrame:
    """Omega and AVE (or other :data:`STATISTICS`) of every construct in every bootstrap draw.

    Parameters are those of :func:`reliability_bootstrap`.

    Returns
    -------
    DataFrame
        Long, one row per draw, construct and statistic: ``draw`` (0-based, in draw order),
        ``converged`` (False when the draw's refit failed; its ``value`` is then NaN),
        ``construct``, ``statistic``, ``value``.

    Examples
    --------
    R equivalent: ``bootstrapLavaan(fit, R = draws, FUN = function(f) c(compRelSEM(f), AVE(f)))``.

    >>> import sqlib
    >>> from sqlib.analysis.reliability_bootstrap import reliability_draws
    >>> fit = sqlib.fit("tangibles =~ tan1 + tan2 + tan3 + tan4", sqlib.load_sample())
    >>> draws = reliability_draws(fit, 3, seed=1, progress=False)
    >>> draws[["draw", "statistic"]].head(3).to_dict("list")
    {'draw': [0, 0, 1], 'statistic': ['omega', 'ave', 'omega']}
    """
    if resamples is None and draws < 2:
        raise ValueError(f"reliability_draws needs at least 2 draws, got {draws}; use 500 or more for a report.")
    statistics = _check_request(result, statistics, "percentile", 0.95, group)
    constructs = construct_reliability(result, codebook=codebook, group=group)["construct"].tolist()
    layout = loading_layout(result, constructs, statistics, group)
    collected = bootstrap_statistic(result, functools.partial(reliability_values, layout), draws=draws, seed=seed,
                                    resamples=resamples, n_jobs=n_jobs, progress=progress, engine=engine,
                                    scheduler=scheduler, desc="omega/AVE bootstrap")
    width = len(statistics) * len(constructs)
    matrix = np.array([np.full(width, np.nan) if row is None else row for row in collected]).reshape(
        len(collected), len(statistics), len(constructs))
    converged = np.array([row is not None for row in collected])
    return pd.DataFrame({
        "draw": np.repeat(np.arange(len(collected)), len(constructs) * len(statistics)),
        "converged": np.repeat(converged, len(constructs) * len(statistics)),
        "construct": np.tile(constructs, len(collected) * len(statistics)),
        "statistic": np.tile(np.repeat(statistics, len(constructs)), len(collected)),
        "value": matrix.ravel(),
    }).sort_values(["draw", "construct", "statistic"], key=_order_key(constructs, statistics),
                   kind="mergesort").reset_index(drop=True)


def _order_key(constructs, statistics):
    rank = {"construct": {c: k for k, c in enumerate(constructs)},
            "statistic": {s: k for k, s in enumerate(statistics)}}

    def key(column: pd.Series) -> pd.Series:
        return column.map(rank[column.name]) if column.name in rank else column

    return key


def interval_from_draws(values, estimate: float, level: float = 0.95,
                        ci: str = "percentile") -> tuple[float, float]:
    """A bootstrap interval from the draws of one statistic (NaN draws left out).

    ``"percentile"``: the ``(1 - level) / 2`` and ``(1 + level) / 2`` quantiles of the draws,
    linear interpolation (R's ``quantile()`` default, as :func:`sqlib.bootstrap.bootstrap`).
    ``"bc"``: bias-corrected percentile, lavaan's ``boot.ci.type = "bca.simple"``: the quantiles
    at ``Phi(2 z0 + z)`` with ``z0 = Phi^-1(share of draws below the estimate)`` (NaN when every
    draw lies on one side of the estimate). lavaan's ``parameterEstimates`` interpolates its
    quantiles on the normal scale (``boot:::norm.inter``), so its endpoints can differ slightly.
    """
    values = np.asarray(values, dtype=float)
    values = values[np.isfinite(values)]
    if values.size < 2:
        return float("nan"), float("nan")
    probabilities = np.array([(1 - level) / 2, (1 + level) / 2])
    if ci == "bc":
        share = np.mean(values < estimate)
        if share in (0.0, 1.0):
            return float("nan"), float("nan")
        z0 = stats.norm.ppf(share)
        probabilities = stats.norm.cdf(2 * z0 + stats.norm.ppf(probabilities))
    lower, upper = np.quantile(values, probabilities)
    return float(lower), float(upper)


def reliability_bootstrap(result, draws: int = 500, *, seed: int = 0, level: float = 0.95, ci: str = "percentile",
                          statistics: Sequence[str] = ("omega", "ave"), group: int = 1, codebook=None,
                          resamples=None, n_jobs: int = 1, progress: bool = True, engine: str = "local",
                          scheduler=None) -> pd.DataFrame:
    """Bootstrap standard errors and intervals for omega and AVE of every construct of a CFA.

    The CFA is refitted on ``draws`` resamples of its respondents (with replacement, within each
    group; the rows the fit used, so listwise-complete rows) and omega and AVE are recomputed on
    every refit exactly as :func:`sqlib.reliability.construct_reliability` computes them; the
    estimates in the table are construct_reliability's. Draws whose refit fails are left out, as
    lavaan does. The same ``seed`` gives the same table, byte for byte, for any ``n_jobs`` or engine.

    Parameters
    ----------
    result : SEMResult
        A CFA (or SEM) fitted with :func:`sqlib.fit` that keeps its data.
    draws : int
        Number of bootstrap resamples (500 or more for a report, more for BC intervals).
    seed : int
        Master seed of the resamples (:func:`sqlib.bootstrap.resample_indices` lists them).
    level : float
        Coverage of the intervals.
    ci : {"percentile", "bc"}
        Percentile interval, or bias-corrected percentile (lavaan's ``"bca.simple"``); see
        :func:`interval_from_draws`.
    statistics : sequence of str
        Which of :data:`STATISTICS` to bootstrap: ``"omega"``, ``"omega_model"``,
        ``"composite_reliability"``, ``"ave"``.
    group : int
        For a multi-group model, which group's reliabilities (1-based).
    codebook : Codebook, path or dict, optional
        Orders the constructs as the codebook lists them.
    resamples : list, optional
        Explicit rows for every draw (the shape :func:`sqlib.bootstrap.resample_indices` returns)
        instead of ``draws`` and ``seed``.
    n_jobs, progress, engine, scheduler
        As in :func:`sqlib.bootstrap.bootstrap`: worker processes, a tqdm progress bar, and
        ``"local"`` or ``"dask"`` execution.

    Returns
    -------
    DataFrame
        One row per construct and statistic, columns

        - ``construct``, ``statistic``
        - ``estimate``: construct_reliability's value on the full sample
        - ``se``: standard deviation of the draws
        - ``ci_lower``, ``ci_upper``: the interval (``ci``, ``level``)
        - ``draws_used``: draws with a finite value; ``draws_failed``: draws whose refit failed

        ``attrs`` records ``draws``, ``seed``, ``level`` and ``ci``.

    Examples
    --------
    R equivalent (semTools): refit with lavaan's bootstrap and call ``compRelSEM`` and ``AVE`` on
    every refit, then take the quantiles,
    ``boot <- bootstrapLavaan(fit, R = 500, FUN = function(f) c(compRelSEM(f), AVE(f)))``,
    ``apply(boot, 2, quantile, c(.025, .975))``.

    >>> import sqlib
    >>> from sqlib.analysis.reliability_bootstrap import reliability_bootstrap
    >>> fit = sqlib.fit("tangibles =~ tan1 + tan2 + tan3 + tan4\\n"
    ...                 "empathy =~ emp1 + emp2 + emp3 + emp4 + emp5", sqlib.load_sample())
    >>> table = reliability_bootstrap(fit, 50, seed=1, progress=False)
    >>> table[["construct", "statistic", "draws_used"]].head(2).to_dict("list")
    {'construct': ['tangibles', 'tangibles'], 'statistic': ['omega', 'ave'], 'draws_used': [50, 50]}
    >>> bool((table["ci_lower"] < table["estimate"]).all() and (table["estimate"] < table["ci_upper"]).all())
    True
    """
    statistics = _check_request(result, statistics, ci, level, group)
    long = reliability_draws(result, draws, seed=seed, statistics=statistics, group=group, codebook=codebook,
                             resamples=resamples, n_jobs=n_jobs, progress=progress, engine=engine,
                             scheduler=scheduler)
    estimates = construct_reliability(result, codebook=codebook, group=group).set_index("construct")
    n_draws = int(long["draw"].nunique())
    failed = n_draws - int(long.drop_duplicates("draw")["converged"].sum())
    rows = []
    for (construct, statistic), part in long.groupby(["construct", "statistic"], sort=False):
        values = part["value"].to_numpy()
        finite = values[np.isfinite(values)]
        estimate = float(estimates.loc[construct, statistic])
        lower, upper = interval_from_draws(finite, estimate, level, ci)
        rows.append({"construct": construct, "statistic": statistic, "estimate": estimate,
                     "se": float(finite.std(ddof=1)) if finite.size > 1 else float("nan"),
                     "ci_lower": lower, "ci_upper": upper, "draws_used": int(finite.size), "draws_failed": failed})
    table = pd.DataFrame(rows)
    table.attrs.update({"draws": n_draws, "seed": seed if resamples is None else None, "level": level, "ci": ci})
    return table


def add_intervals(table: pd.DataFrame, intervals: pd.DataFrame) -> pd.DataFrame:
    """:func:`construct_reliability`'s table with each bootstrapped statistic's interval beside it.

    Adds ``<statistic>_ci_lower`` and ``<statistic>_ci_upper`` after the column of every statistic
    in ``intervals`` (from :func:`reliability_bootstrap`); ``attrs`` keeps the bootstrap's
    ``draws``, ``seed``, ``level`` and ``ci``, plus ``draws_failed``.

    Examples
    --------
    >>> import sqlib
    >>> from sqlib.analysis.reliability import construct_reliability
    >>> from sqlib.analysis.reliability_bootstrap import add_intervals, reliability_bootstrap
    >>> fit = sqlib.fit("tangibles =~ tan1 + tan2 + tan3 + tan4", sqlib.load_sample())
    >>> table = add_intervals(construct_reliability(fit), reliability_bootstrap(fit, 10, progress=False))
    >>> [c for c in table.columns if "ci" in c]
    ['omega_ci_lower', 'omega_ci_upper', 'ave_ci_lower', 'ave_ci_upper']
    """
    out = table.copy()
    for statistic in dict.fromkeys(intervals["statistic"]):
        bounds = intervals[intervals["statistic"] == statistic].set_index("construct")
        position = out.columns.get_loc(statistic) + 1
        for k, side in enumerate(("ci_lower", "ci_upper")):
            out.insert(position + k, f"{statistic}_{side}", out["construct"].map(bounds[side]).astype(float))
    out.attrs = {**intervals.attrs, "draws_failed": int(intervals["draws_failed"].max())}
    return out
