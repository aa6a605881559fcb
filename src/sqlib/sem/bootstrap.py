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


def _run_chunk(result, blocks, seeds, hess_inv0) -> list[np.ndarray | None]:
    out = []
    for seq in seeds:
        rng = np.random.default_rng(seq)
        objective = result.objective.resampled([x[rng.integers(0, x.shape[0], size=x.shape[0])] for x in blocks])
        if objective is None:
            out.append(None)
            continue
        opt = lean_bfgs(objective, result.theta, hess_inv0)
        if not opt.converged:
            opt = bfgs(objective, result.theta, hess_inv0=hess_inv0, gtol=1e-7)
        out.append(_draw_values(result, opt.theta) if opt.converged else None)
    return out


def _chunk_task(shared, seeds) -> list[np.ndarray | None]:
    result, blocks, hess_inv0 = shared
    return _run_chunk(result, blocks, seeds, hess_inv0)


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
    from tqdm.auto import tqdm

    engines.check_engine(engine)
    if ci not in ("percentile", "bca"):
        raise ValueError("ci must be 'percentile' or 'bca'.")
    if result.blocks is None:
        raise ValueError("This result does not keep its data; refit it with sqlib.fit to bootstrap.")
    blocks = result.blocks
    info = result.objective.information(result.theta)
    hess_inv0 = np.linalg.inv(2.0 * info)
    hess_inv0 = 0.5 * (hess_inv0 + hess_inv0.T)
    seeds = np.random.SeedSequence(seed).spawn(draws)
    chunks = engines.chunked(seeds, chunk_size)
    bar = tqdm(total=draws, desc="bootstrap", unit="draw", disable=not progress)
    finished: dict[int, list] = {}
    try:
        for index, out in engines.run_chunks(_chunk_task, chunks, shared=(result, blocks, hess_inv0),
                                             engine=engine, n_workers=n_jobs, scheduler=scheduler):
            finished[index] = out
            bar.update(len(chunks[index]))
    finally:
        bar.close()
    collected = [row for index in range(len(chunks)) for row in finished[index]]
    good = [row for row in collected if row is not None]
    names = _draw_names(result)
    matrix = np.array(good) if good else np.empty((0, len(names)))
    full = _draw_values(result, result.theta)
    jack = _jackknife(result, blocks, hess_inv0) if ci == "bca" else None
    table = _interval_table(result, matrix, full, jack, level)
    return BootstrapResult(pd.DataFrame(matrix, columns=names), draws - len(good), draws, seed, table, ci)


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
