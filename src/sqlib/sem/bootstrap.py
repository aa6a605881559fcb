"""Nonparametric bootstrap of a fitted model (lavaan's ``se = "bootstrap"``).

Rows are resampled with replacement within each group; every draw is refitted by the
objective of the fitted model (ML, FIML or DWLS: ``objective.resampled``) starting from
the full-sample solution. Each draw has its own random stream
spawned from one ``numpy.random.SeedSequence(seed)``, so results are identical
for the same seed whatever ``n_jobs`` or the engine is. Draws run in chunks on
joblib worker processes or a Dask cluster (:mod:`sqlib.engines`), with a tqdm
progress bar.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from sqlib.core import engines
from sqlib.core.formatting import brief_html
from .estimation import bfgs, lean_bfgs


@dataclass
class BootstrapResult:
    """Bootstrap draws of every free and defined parameter.

    Attributes
    ----------
    draws : DataFrame
        One row per successful draw, one column per parameter (``"lhs op rhs"``
        plus ``" (group g)"`` for multi-group models).
    n_failed : int
        Draws that did not converge (excluded, as lavaan does).
    table : DataFrame
        ``lhs, op, rhs, group, est, boot_se, ci_lower, ci_upper`` (percentile or BCa).
    """

    draws: pd.DataFrame
    n_failed: int
    n_requested: int
    seed: int
    table: pd.DataFrame
    ci_type: str

    def _lines(self) -> list[str]:
        level = "BCa" if self.ci_type == "bca" else "percentile"
        return [f"Bootstrap: {self.n_requested - self.n_failed} of {self.n_requested} draws converged (seed {self.seed})",
                f"{len(self.table)} parameters with bootstrap SEs and {level} intervals in .table"]

    def __repr__(self) -> str:
        return "\n  ".join(self._lines())

    def _repr_html_(self) -> str:
        return brief_html(self._lines(), self.table.to_html(index=False, float_format=lambda x: f"{x:.3f}"))


def _draw_values(result, theta: np.ndarray) -> np.ndarray:
    """Free parameters followed by defined parameters for one parameter vector."""
    from .standardize import evaluate_definitions, label_values

    spec = result.spec
    if not spec.definitions:
        return theta.copy()
    values = [theta[r.free] if r.free >= 0 else r.value for r in spec.rows]
    defined = evaluate_definitions(spec, label_values(spec, values))
    return np.concatenate([theta, np.array([float(defined[name]) for name, _, _ in spec.definitions])])


def parameter_values(result, objective, theta: np.ndarray) -> np.ndarray:
    """The default statistic of a draw: free parameters followed by defined parameters."""
    return _draw_values(result, theta)


def resample_indices(result, draws: int, seed: int = 0) -> list[list[np.ndarray]]:
    """The rows every draw of :func:`bootstrap` (and :func:`bootstrap_statistic`) resamples.

    One entry per draw, holding one array of row positions per group, into the rows the model
    was fitted to (``result.data_frame(group)``). Draw ``k`` uses the random stream
    ``SeedSequence(seed).spawn(draws)[k]``, so these are the indices a run with the same
    ``draws`` and ``seed`` uses, whatever ``n_jobs`` or engine.
    """
    sizes = [x.shape[0] for x in result.blocks]
    return [_indices_of(seq, sizes) for seq in np.random.SeedSequence(seed).spawn(draws)]


def _indices_of(draw, sizes: list[int]) -> list[np.ndarray]:
    """A draw's row positions per group: drawn from its seed sequence, or given."""
    if isinstance(draw, np.random.SeedSequence):
        rng = np.random.default_rng(draw)
        return [rng.integers(0, n, size=n) for n in sizes]
    return [np.asarray(rows, dtype=int) for rows in draw]


def _run_chunk(result, blocks, draws, hess_inv0, statistic) -> list[np.ndarray | None]:
    out = []
    sizes = [x.shape[0] for x in blocks]
    for draw in draws:
        rows = _indices_of(draw, sizes)
        objective = result.objective.resampled([x[r] for x, r in zip(blocks, rows)])
        if objective is None:
            out.append(None)
            continue
        opt = lean_bfgs(objective, result.theta, hess_inv0)
        if not opt.converged:
            opt = bfgs(objective, result.theta, hess_inv0=hess_inv0, gtol=1e-7)
        out.append(np.asarray(statistic(result, objective, opt.theta), dtype=float) if opt.converged else None)
    return out


def _chunk_task(shared, draws) -> list[np.ndarray | None]:
    result, blocks, hess_inv0, statistic = shared
    return _run_chunk(result, blocks, draws, hess_inv0, statistic)


def _bca(draws: np.ndarray, estimate: float, jack: np.ndarray, level: float) -> tuple[float, float]:
    prop = np.mean(draws < estimate)
    if prop in (0.0, 1.0):
        return np.nan, np.nan
    z0 = stats.norm.ppf(prop)
    diff = jack.mean() - jack
    denom = 6 * (np.sum(diff**2) ** 1.5)
    accel = np.sum(diff**3) / denom if denom > 0 else 0.0
    alphas = []
    for z in stats.norm.ppf([(1 - level) / 2, (1 + level) / 2]):
        alphas.append(stats.norm.cdf(z0 + (z0 + z) / (1 - accel * (z0 + z))))
    return tuple(np.quantile(draws, alphas))


def _jackknife(result, blocks, hess_inv0) -> np.ndarray:
    rows = []
    for g, x in enumerate(blocks):
        for i in range(x.shape[0]):
            objective = result.objective.resampled([np.delete(b, i, axis=0) if h == g else b
                                                    for h, b in enumerate(blocks)])
            opt = lean_bfgs(objective, result.theta, hess_inv0)
            rows.append(_draw_values(result, opt.theta))
    return np.array(rows)


def bootstrap(result, *, draws: int = 1000, seed: int = 0, n_jobs: int = 1, ci: str = "percentile",
              level: float = 0.95, progress: bool = True, chunk_size: int = 25, engine: str = "local",
              scheduler=None) -> BootstrapResult:
    """Bootstrap standard errors and confidence intervals for every parameter.

    Parameters
    ----------
    result : SEMResult
        A fitted model (its data are resampled).
    draws : int
        Number of bootstrap samples.
    seed : int
        Master seed; the same seed gives the same draws for any ``n_jobs``.
    n_jobs : int
        Worker processes (joblib), or the size of the LocalCluster the dask engine starts;
        -1 uses every core.
    ci : {"percentile", "bca"}
        Interval type. BCa adds a jackknife (one refit per respondent).
    level : float
    progress : bool
        Show a tqdm progress bar (notebook or terminal).
    chunk_size : int
        Draws per task sent to a worker.
    engine : {"local", "dask"}
        Where the draws run (see :mod:`sqlib.engines`); the draws do not depend on it.
    scheduler : str or distributed.Client, optional
        dask only: a scheduler address or a client; None starts a LocalCluster of ``n_jobs`` workers.

    Returns
    -------
    BootstrapResult

    Examples
    --------
    The R equivalent is ``sem(model, data, se = "bootstrap", bootstrap = 1000)`` followed by
    ``parameterEstimates(fit, boot.ci.type = "perc")``.
    """
    if ci not in ("percentile", "bca"):
        raise ValueError("ci must be 'percentile' or 'bca'.")
    collected = bootstrap_statistic(result, parameter_values, draws=draws, seed=seed, n_jobs=n_jobs,
                                    progress=progress, chunk_size=chunk_size, engine=engine, scheduler=scheduler)
    good = [row for row in collected if row is not None]
    names = _draw_names(result)
    matrix = np.array(good) if good else np.empty((0, len(names)))
    full = _draw_values(result, result.theta)
    jack = _jackknife(result, result.blocks, _start_inverse_hessian(result)) if ci == "bca" else None
    table = _interval_table(result, matrix, full, jack, level)
    return BootstrapResult(pd.DataFrame(matrix, columns=names), draws - len(good), draws, seed, table, ci)


def _start_inverse_hessian(result) -> np.ndarray:
    info = result.objective.information(result.theta)
    hess_inv0 = np.linalg.inv(2.0 * info)
    return 0.5 * (hess_inv0 + hess_inv0.T)


def bootstrap_statistic(result, statistic, *, draws: int = 1000, seed: int = 0, resamples=None, n_jobs: int = 1,
                        progress: bool = True, chunk_size: int = 25, engine: str = "local", scheduler=None,
                        desc: str = "bootstrap") -> list[np.ndarray | None]:
    """Refit the model on resampled respondents and return ``statistic`` of every draw.

    The draw loop of :func:`bootstrap` (same resamples for the same ``seed``, same refits, same
    engines and progress bar) with a statistic of your choice.

    Parameters
    ----------
    result : SEMResult
        A fitted model that keeps its data.
    statistic : callable
        ``statistic(result, objective, theta)`` -> 1-d array, called once per converged draw with the
        draw's objective (its ``stats`` hold the resample's sample moments) and refitted parameters.
        A module-level function (or a ``functools.partial`` of one), so that worker processes can run it.
    draws, seed : int
        Number of draws and master seed, as in :func:`bootstrap`.
    resamples : list, optional
        The rows of every draw instead of ``draws``/``seed``: one entry per draw, one array of row
        positions per group (the shape :func:`resample_indices` returns).
    n_jobs, progress, chunk_size, engine, scheduler
        As in :func:`bootstrap`.
    desc : str
        Label of the progress bar.

    Returns
    -------
    list
        One entry per draw, in draw order: the statistic, or None when the draw failed (a singular
        resample, or a refit that did not converge).

    Examples
    --------
    R equivalent: ``lavaan::bootstrapLavaan(fit, R = draws, FUN = statistic)``.

    >>> import sqlib
    >>> from sqlib.sem.bootstrap import bootstrap_statistic, resample_indices
    >>> fit = sqlib.fit("f =~ sat1 + sat2 + sat3", sqlib.load_sample())
    >>> def loading_2(result, objective, theta):
    ...     return theta[:1]
    >>> values = bootstrap_statistic(fit, loading_2, draws=5, seed=1, progress=False)
    >>> again = bootstrap_statistic(fit, loading_2, resamples=resample_indices(fit, 5, seed=1), progress=False)
    >>> [float(v[0]) for v in values] == [float(v[0]) for v in again]
    True
    """
    from tqdm.auto import tqdm

    engines.check_engine(engine)
    if result.blocks is None:
        raise ValueError("This result does not keep its data; refit it with sqlib.fit to bootstrap.")
    plan = np.random.SeedSequence(seed).spawn(draws) if resamples is None else _checked_resamples(result, resamples)
    chunks = engines.chunked(plan, chunk_size)
    bar = tqdm(total=len(plan), desc=desc, unit="draw", disable=not progress)
    finished: dict[int, list] = {}
    shared = (result, result.blocks, _start_inverse_hessian(result), statistic)
    try:
        for index, out in engines.run_chunks(_chunk_task, chunks, shared=shared, engine=engine, n_workers=n_jobs,
                                             scheduler=scheduler):
            finished[index] = out
            bar.update(len(chunks[index]))
    finally:
        bar.close()
    return [row for index in range(len(chunks)) for row in finished[index]]


def _checked_resamples(result, resamples) -> list[list[np.ndarray]]:
    sizes = [x.shape[0] for x in result.blocks]
    plan = [_indices_of(draw, sizes) for draw in resamples]
    for k, rows in enumerate(plan):
        if len(rows) != len(sizes):
            raise ValueError(f"resamples[{k}] has {len(rows)} index arrays; the model has {len(sizes)} group(s), "
                             "one array of row positions each (see sqlib.bootstrap.resample_indices).")
        for g, (r, n) in enumerate(zip(rows, sizes), start=1):
            if r.size == 0 or r.min() < 0 or r.max() >= n:
                raise ValueError(f"resamples[{k}] holds row positions outside 0..{n - 1} for group {g}, which has "
                                 f"{n} rows (positions index result.data_frame(group), from 0).")
    return plan


def _draw_names(result) -> list[str]:
    spec = result.spec
    return spec.free_names() + [name for name, _, _ in spec.definitions]


def _interval_table(result, matrix, full, jack, level) -> pd.DataFrame:
    spec = result.spec
    lo_q, hi_q = (1 - level) / 2, (1 + level) / 2
    records = []
    column_of = {}
    for r in spec.rows:
        if r.free >= 0:
            column_of.setdefault((r.lhs, r.op, r.rhs, r.group), r.free)
    for i, (name, expr, _) in enumerate(spec.definitions):
        column_of[(name, ":=", expr.replace(" ", ""), 1)] = spec.n_free + i
    for (lhs, op, rhs, group), j in column_of.items():
        col = matrix[:, j]
        if jack is not None:
            lo, hi = _bca(col, full[j], jack[:, j], level)
        else:
            lo, hi = (np.quantile(col, [lo_q, hi_q]) if col.size else (np.nan, np.nan))
        records.append([lhs, op, rhs, group, full[j],
                        col.std(ddof=1) if col.size > 1 else np.nan, lo, hi])
    return pd.DataFrame(records, columns=["lhs", "op", "rhs", "group", "est", "boot_se", "ci_lower", "ci_upper"])
