"""Bootstrap of a PLS path model, all draws at once.

Resamples are row indices drawn with replacement, one random stream per draw spawned from
``numpy.random.SeedSequence(seed)`` (as :mod:`sqlib.sem.bootstrap`), so the same seed gives
the same draws on any engine and any number of workers; ``indices`` injects given
resamples instead (R's, to reproduce seminr's ``bootstrap_model`` exactly). The draws of
a chunk are fitted together: the correlation matrices of all its resamples are one
``(B, p, p)`` array and the PLS iterations run on the whole stack (:mod:`sqlib.sem.pls`).

Every draw refits the model with the original's settings (scheme, PLSc, limits); missing
answers are mean-replaced within each resample, as seminr does. Draws are not
sign-corrected (neither are seminr's).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from sqlib.core import engines
from sqlib.core.formatting import brief_html

from . import pls

CI_TYPES = ("percentile", "bc")


@dataclass
class PLSBootstrap:
    """Bootstrap draws of a PLS fit.

    Attributes
    ----------
    draws : dict of arrays
        ``paths``, ``total``, ``loadings``, ``weights``, ``htmt``, ``htmt2`` with a leading draw axis.
    table : DataFrame
        ``kind, lhs, op, rhs, est, boot_mean, se, t, pvalue, ci_lower, ci_upper`` for
        loadings, weights, paths, indirect and total effects and HTMT/HTMT2
        (t = estimate / bootstrap SD as seminr, for HTMT (1 - estimate) / SD, its distance from 1;
        p two-sided from the normal distribution), and ``p_boot``, seminr's bootstrap
        p-value ``2 min(share of draws <= 0, share > 0)`` (not for HTMT).
    """

    draws: dict
    indices: np.ndarray
    seed: int | None
    ci_type: str
    level: float
    table: pd.DataFrame
    n_not_converged: int

    @property
    def n_draws(self) -> int:
        return self.indices.shape[0]

    def parameters(self) -> pd.DataFrame:
        """Rows of the estimates table: ``=~`` loadings, ``<~`` weights and ``~`` paths."""
        t = self.table
        keep = ((t["kind"] == "loading") & (t["op"] == "=~")) | ((t["kind"] == "weight") & (t["op"] == "<~")) \
            | (t["kind"] == "path")
        return t[keep]

    def _lines(self) -> list[str]:
        return [f"PLS bootstrap: {self.n_draws} draws (seed {self.seed}), {self.ci_type} {self.level:.0%} intervals",
                f"{self.n_not_converged} draws stopped at the iteration limit",
                f"{len(self.table)} statistics in .table"]

    def __repr__(self) -> str:
        return "\n  ".join(self._lines())

    def _repr_html_(self) -> str:
        return brief_html(self._lines())


def resample_indices(n_rows: int, draws: int, seed: int) -> np.ndarray:
    """Row indices (draws x n_rows) with one spawned random stream per draw."""
    return np.array([np.random.default_rng(s).integers(0, n_rows, size=n_rows)
                     for s in np.random.SeedSequence(seed).spawn(draws)])


def draw_statistics(shared, indices: np.ndarray) -> dict:
    """Fit every resample of ``indices`` (rows of ``shared[0]``); statistics with a draw axis."""
    x, layout, settings = shared
    scaled = settings["algorithm"]["scaled"]
    moments = pls.resample_moments(x, np.asarray(indices), settings["missing"], scaled)
    est = pls.estimate(moments, layout, **settings["algorithm"])
    corr = pls.standardize_moments(moments, scaled)[0]
    return {"paths": est.paths, "total": est.total, "loadings": est.loadings, "weights": est.weights,
            "htmt": pls.htmt_stack(corr, layout), "htmt2": pls.htmt_stack(corr, layout, geometric=True),
            "converged": est.converged}


def bootstrap_pls(result, n: int = 1000, seed: int = 0, *, engine: str = "local", n_jobs: int = 1,
                  indices: np.ndarray | None = None, ci: str = "percentile", level: float = 0.95,
                  scheduler=None, chunk_size: int | None = None) -> PLSBootstrap:
    """Bootstrap SEs and CIs of a :class:`~sqlib.sem.pls_result.PLSResult`.

    Parameters
    ----------
    n : int
        Number of resamples (ignored when ``indices`` is given).
    seed : int
        Master seed; draw ``i`` uses ``SeedSequence(seed).spawn(n)[i]``.
    engine : {"local", "dask"}
        Where the chunks of draws run (:mod:`sqlib.core.engines`); results do not depend on it.
    n_jobs : int
        Worker processes (local) or LocalCluster size (dask).
    indices : array (draws x respondents), optional
        0-based row indices of given resamples (e.g. R's ``sample.int`` minus one).
    ci : {"percentile", "bc"}
        Percentile or bias-corrected percentile intervals.
    level : float
    chunk_size : int, optional
        Draws fitted together per task (default: all draws split evenly over the workers).

    Examples
    --------
    R (seminr) equivalent: ``bootstrap_model(model, nboot = 1000, seed = 123)``; its
    resamples are ``set.seed(seed + i); sample.int(n, replace = TRUE)``.
    """
    engines.check_engine(engine)
    if ci not in CI_TYPES:
        raise ValueError(f"ci={ci!r} is not available; use 'percentile' or 'bc' (bias-corrected).")
    x = result.raw
    if indices is None:
        indices = resample_indices(x.shape[0], n, seed)
    else:
        indices = np.asarray(indices, dtype=int)
        seed = None
        if indices.ndim != 2 or indices.min() < 0 or indices.max() >= x.shape[0]:
            raise ValueError(f"indices must be a (draws x rows) array of 0-based row numbers below {x.shape[0]}.")
    workers = engines.resolve_workers(engine, n_jobs, scheduler) or 1
    size = chunk_size or max(1, -(-indices.shape[0] // workers))
    chunks = [indices[i:i + size] for i in range(0, indices.shape[0], size)]
    settings = {"missing": result.missing, "algorithm": result.algorithm}
    done = dict(engines.run_chunks(draw_statistics, chunks, shared=(x, result.layout, settings), engine=engine,
                                   n_workers=n_jobs, scheduler=scheduler))
    draws = {key: np.concatenate([done[i][key] for i in range(len(chunks))]) for key in done[0]}
    table = interval_table(result, draws, ci, level)
    return PLSBootstrap(draws, indices, seed, ci, level, table, int((~draws["converged"]).sum()))


def interval(draws: np.ndarray, estimate: np.ndarray, ci: str, level: float) -> tuple[np.ndarray, np.ndarray]:
    """Percentile or bias-corrected intervals per column of ``draws`` (R's quantile type 7)."""
    lo_q, hi_q = (1 - level) / 2, (1 + level) / 2
    if ci == "percentile":
        return np.quantile(draws, lo_q, axis=0), np.quantile(draws, hi_q, axis=0)
    lo, hi = np.full(draws.shape[1], np.nan), np.full(draws.shape[1], np.nan)
    for j in range(draws.shape[1]):
        prop = np.mean(draws[:, j] < estimate[j])
        if 0 < prop < 1:
            z0 = stats.norm.ppf(prop)
            qs = stats.norm.cdf(2 * z0 + stats.norm.ppf([lo_q, hi_q]))
            lo[j], hi[j] = np.quantile(draws[:, j], qs)
    return lo, hi


def interval_table(result, draws: dict, ci: str, level: float) -> pd.DataFrame:
    cons = result.constructs
    items = list(result.layout.items)
    pos = {c: k for k, c in enumerate(cons)}
    ipos = {c: i for i, c in enumerate(items)}
    fit = result.fit
    specs = []  # (kind, lhs, op, rhs, estimate, column of draws)
    for c in cons:
        for item in result.spec.blocks[c]:
            i, k = ipos[item], pos[c]
            op = "<~" if result.spec.modes[c] == "B" else "=~"
            specs.append(("loading", c, "=~", item, fit.loadings[0, i, k], draws["loadings"][:, i, k]))
            specs.append(("weight", c, "<~" if op == "<~" else "w", item, fit.weights[0, i, k],
                          draws["weights"][:, i, k]))
    for s, t in result.spec.paths:
        specs.append(("path", t, "~", s, fit.paths[0, pos[s], pos[t]], draws["paths"][:, pos[s], pos[t]]))
    total = fit.total[0]
    for s in cons:
        for t in cons:
            if total[pos[s], pos[t]] == 0:
                continue
            d_tot = draws["total"][:, pos[s], pos[t]]
            specs.append(("total", t, "total", s, total[pos[s], pos[t]], d_tot))
            indirect = total[pos[s], pos[t]] - fit.paths[0, pos[s], pos[t]]
            if abs(indirect) > 0:
                specs.append(("indirect", t, "indirect", s, indirect, d_tot - draws["paths"][:, pos[s], pos[t]]))
    for kind in ("htmt", "htmt2"):
        values = pls.htmt_stack(result.corr[None], result.layout, geometric=kind == "htmt2")[0]
        for i in range(len(cons)):
            for j in range(i + 1, len(cons)):
                specs.append((kind, cons[i], kind, cons[j], values[i, j], draws[kind][:, i, j]))
    matrix = np.column_stack([s[5] for s in specs])
    est = np.array([s[4] for s in specs])
    sd = matrix.std(axis=0, ddof=1)
    kinds = np.array([s[0] for s in specs])
    with np.errstate(divide="ignore", invalid="ignore"):
        t = np.where(np.isin(kinds, ["htmt", "htmt2"]), (1 - est) / sd, est / sd)
    lo, hi = interval(matrix, est, ci, level)
    sign_p = np.where(np.isin(kinds, ["htmt", "htmt2"]), np.nan, sign_pvalue(matrix))
    # a single item's loading and weight are 1 by construction: no sampling variability to report
    fixed = np.array([s[0] in ("loading", "weight") and len(result.spec.blocks[s[1]]) == 1 for s in specs])
    sd, t, sign_p, lo, hi = (np.where(fixed, np.nan, v) for v in (sd, t, sign_p, lo, hi))
    return pd.DataFrame({"kind": [s[0] for s in specs], "lhs": [s[1] for s in specs], "op": [s[2] for s in specs],
                         "rhs": [s[3] for s in specs], "est": est, "boot_mean": matrix.mean(axis=0), "se": sd,
                         "t": t, "pvalue": 2 * stats.norm.sf(np.abs(t)), "ci_lower": lo, "ci_upper": hi,
                         "p_boot": sign_p})


def sign_pvalue(draws: np.ndarray) -> np.ndarray:
    """seminr's bootstrap p-value per column: twice the smaller share of draws on one side of 0."""
    below = np.mean(draws <= 0, axis=0)
    return 2 * np.minimum(below, 1 - below)


def structural_chains(result) -> list[tuple[str, ...]]:
    """Every directed chain of two or more paths (source, mediators..., target) of the model."""
    following = {c: [t for s, t in result.spec.paths if s == c] for c in result.constructs}
    chains, stack = [], [(c,) for c in result.constructs]
    while stack:
        chain = stack.pop()
        for nxt in following[chain[-1]]:
            longer = chain + (nxt,)
            stack.append(longer)
            if len(longer) > 2:
                chains.append(longer)
    return sorted(chains, key=lambda c: (result.constructs.index(c[0]), result.constructs.index(c[-1]), len(c), c))


def chain_products(paths: np.ndarray, chain: tuple[str, ...], constructs: list[str]) -> np.ndarray:
    """Product of the path coefficients along ``chain`` for every matrix of ``paths`` (B, K, K)."""
    pos = [constructs.index(c) for c in chain]
    return np.prod([paths[:, a, b] for a, b in zip(pos, pos[1:])], axis=0)


def specific_effect_table(result) -> pd.DataFrame:
    """Every specific indirect effect (one chain of mediators), with bootstrap statistics when
    the result has draws; seminr's ``specific_effect_significance`` for each chain."""
    chains = structural_chains(result)
    est = np.array([chain_products(result.fit.paths, c, result.constructs)[0] for c in chains])
    table = pd.DataFrame({"source": [c[0] for c in chains], "through": [" -> ".join(c[1:-1]) for c in chains],
                          "target": [c[-1] for c in chains], "est": est})
    if result.boot is None or not chains:
        return table
    boot = result.boot
    matrix = np.column_stack([chain_products(boot.draws["paths"], c, result.constructs) for c in chains])
    sd = matrix.std(axis=0, ddof=1)
    lo, hi = interval(matrix, est, boot.ci_type, boot.level)
    return table.assign(boot_mean=matrix.mean(axis=0), se=sd, t=est / sd, ci_lower=lo, ci_upper=hi,
                        p_boot=sign_pvalue(matrix))
