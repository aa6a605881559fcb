"""``sqlib.fit_pls`` and its result, :class:`PLSResult` (shapes as :class:`sqlib.SEMResult`).

Definitions follow R seminr 2.x so that the numbers match it (tests/test_pls.py checks
them against seminr's own fixtures): rhoC and AVE from the outer loadings, Cronbach's
alpha from the item correlations, rhoA after Dijkstra and Henseler (2015), HTMT with
absolute item correlations, f-squared by re-estimating the model without the path,
VIFs from the item and construct correlations.
"""

from __future__ import annotations

import dataclasses
import html
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from sqlib.core.errors import SurveyDataError
from sqlib.core.formatting import brief_html, format_number

from . import pls
from .summary import Block, blocks_as_html, blocks_as_latex, blocks_as_text

SCHEME_NAMES = {"path": "path weighting", "factorial": "factorial", "centroid": "centroid"}


def fit_pls(model: str, data: pd.DataFrame, *, scheme: str = "path", consistent: bool = False,
            max_iter: int = 300, tol: float = 1e-7, stop_rule: str = "seminr",
            scaled: bool = True, missing: str = "mean") -> "PLSResult":
    """Estimate a PLS path model (PLS-SEM) written in lavaan syntax.

    Parameters
    ----------
    model : str
        ``C =~ x1 + x2`` mode A composite (a common factor with ``consistent=True``),
        ``C <~ x1 + x2`` mode B composite, ``C =~ x`` (or ``x`` itself in a path) a single
        item, ``y ~ a + b`` structural paths.
    data : DataFrame
        One row per respondent; the indicators are standardized.
    scheme : {"path", "factorial", "centroid"}
        Inner weighting scheme (seminr: ``path_weighting``, ``path_factorial``).
    consistent : bool
        PLSc: correct ``=~`` blocks to common factors (Dijkstra and Henseler 2015).
    max_iter, tol : int, float
        Iteration limit and stop criterion (summed absolute change of the outer weights);
        seminr's defaults ``maxIt = 300``, ``stopCriterion = 7``.
    stop_rule : {"seminr", "plspm"}
        ``"plspm"`` stops as R plspm does (summed squared change of the absolute weights
        before rescaling below ``tol``); with ``tol=1e-6, max_iter=100`` (plspm's defaults)
        it reproduces plspm's estimates, which stop short of seminr's by up to about 1e-4.
    scaled : bool
        Standardize the indicators (seminr, cSEM, SmartPLS). ``False`` only centres them, so
        mode A weights come from covariances (R plspm's ``scaled = FALSE``); weights are
        still reported for standardized indicators.
    missing : {"mean", "listwise"}
        Mean replacement (seminr's default) or listwise deletion.

    Returns
    -------
    PLSResult

    Examples
    --------
    R (seminr) equivalent: ``estimate_pls(data, constructs(composite("Image", multi_items("IMAG", 1:5)),
    ...), relationships(paths(from = "Image", to = "Satisfaction")))``.

    >>> import numpy as np, pandas as pd, sqlib
    >>> rng = np.random.default_rng(1)
    >>> f = rng.normal(size=(200, 1))
    >>> df = pd.DataFrame(f + rng.normal(size=(200, 4)), columns=["a1", "a2", "b1", "b2"])
    >>> df[["b1", "b2"]] += f
    >>> res = sqlib.fit_pls("A =~ a1 + a2\\nB =~ b1 + b2\\nB ~ A", df)
    >>> bool(res.converged), bool(res.paths.loc["A", "B"] > 0)
    (True, True)
    """
    pls.check_algorithm(scheme, stop_rule)
    spec = pls.parse_pls_model(model, data.columns)
    layout = pls.make_layout(spec)
    raw = numeric_indicators(data, list(layout.items))
    holes = np.isnan(raw)
    filled = pls.fill_missing(raw, missing)
    kept_rows = np.arange(raw.shape[0]) if missing == "mean" else np.flatnonzero(~holes.any(axis=1))
    moments = pls.moment_stack(filled[None], scaled)
    est = pls.estimate(moments, layout, scheme=scheme, consistent=consistent, max_iter=max_iter, tol=tol,
                       stop_rule=stop_rule, scaled=scaled)
    corr = pls.standardize_moments(moments, scaled)[0]
    return PLSResult(model_syntax=model, spec=spec, layout=layout, raw=raw if missing == "mean" else filled,
                     data=pd.DataFrame(filled, columns=list(layout.items), index=data.index[kept_rows]),
                     corr=corr[0], fit=est, scheme=scheme, consistent=consistent, missing=missing,
                     n_missing_cells=int(holes.sum()), n_dropped=int(raw.shape[0] - filled.shape[0]),
                     max_iter=max_iter, tol=tol, stop_rule=stop_rule, scaled=scaled)


def numeric_indicators(data: pd.DataFrame, items: list[str]) -> np.ndarray:
    """The indicator columns as floats; text answers are an error, not silently missing."""
    block = data[items]
    numeric = block.apply(pd.to_numeric, errors="coerce")
    bad = [c for c in items if (numeric[c].isna() & block[c].notna()).any()]
    if bad:
        raise SurveyDataError(f"Indicators with non-numeric answers: {', '.join(bad)}. PLS needs numbers; "
                              "recode the answers (or declare missing-value codes in the codebook).", bad)
    return numeric.to_numpy(float)


@dataclass(frozen=True)
class PLSResult:
    """A fitted PLS path model. Build it with :func:`sqlib.fit_pls`.

    Attributes
    ----------
    estimates : DataFrame
        ``lhs, op, rhs, est``: ``=~`` outer loadings, ``<~`` outer weights of mode B blocks,
        ``~`` paths (lhs the outcome); after :meth:`bootstrap` also ``se, t, pvalue,
        ci_lower, ci_upper``.
    r2 : DataFrame
        ``r2`` and ``adj_r2`` of every endogenous construct.
    scores : DataFrame
        Construct scores (standardized indicators times outer weights).
    """

    model_syntax: str
    spec: pls.PLSModel
    layout: pls.Layout = field(repr=False)
    raw: np.ndarray = field(repr=False)
    data: pd.DataFrame = field(repr=False)
    corr: np.ndarray = field(repr=False)
    fit: pls.Estimates = field(repr=False)
    scheme: str
    consistent: bool
    missing: str
    n_missing_cells: int
    n_dropped: int
    max_iter: int
    tol: float
    stop_rule: str = "seminr"
    scaled: bool = True
    boot: object = field(default=None, repr=False)

    # ----------------------------------------------------------------- basics
    @property
    def constructs(self) -> list[str]:
        return list(self.spec.constructs)

    @property
    def algorithm(self) -> dict:
        """The settings that re-estimate this model on other data (resamples, groups, submodels)."""
        return {"scheme": self.scheme, "consistent": self.consistent, "max_iter": self.max_iter,
                "tol": self.tol, "stop_rule": self.stop_rule, "scaled": self.scaled}

    @property
    def moments(self) -> np.ndarray:
        """The matrix the algorithm works on: correlations, or covariances when not ``scaled``."""
        if self.scaled:
            return self.corr
        sd = self.data.std(ddof=0).to_numpy()
        return self.corr * np.outer(sd, sd)

    @property
    def nobs(self) -> int:
        return len(self.data)

    @property
    def iterations(self) -> int:
        return int(self.fit.iterations[0])

    @property
    def converged(self) -> bool:
        return bool(self.fit.converged[0])

    def _matrix(self, values: np.ndarray, rows) -> pd.DataFrame:
        return pd.DataFrame(values, index=list(rows), columns=self.constructs)

    @property
    def weights(self) -> pd.DataFrame:
        """Outer weights (indicators x constructs, zero outside a block)."""
        return self._matrix(self.fit.weights[0], self.layout.items)

    @property
    def loadings(self) -> pd.DataFrame:
        """Outer loadings (PLSc-corrected for ``=~`` blocks when ``consistent``)."""
        return self._matrix(self.fit.loadings[0], self.layout.items)

    @property
    def paths(self) -> pd.DataFrame:
        """Path coefficients, rows the sources and columns the targets (seminr's ``path_coef``)."""
        return self._matrix(self.fit.paths[0], self.constructs)

    @property
    def total_effects(self) -> pd.DataFrame:
        return self._matrix(self.fit.total[0], self.constructs)

    @property
    def indirect_effects(self) -> pd.DataFrame:
        return self.total_effects - self.paths

    @property
    def construct_correlations(self) -> pd.DataFrame:
        """Correlations of the construct scores (disattenuated by PLSc when ``consistent``)."""
        return self._matrix(self.fit.scores_corr[0], self.constructs)

    @property
    def scores(self) -> pd.DataFrame:
        z = (self.data - self.data.mean()) / self.data.std(ddof=1)
        return pd.DataFrame(z.to_numpy() @ self.fit.weights[0], index=self.data.index, columns=self.constructs)

    @property
    def r2(self) -> pd.DataFrame:
        endo = self.spec.endogenous
        r2 = self.fit.r2[0]
        k = np.array([len(self.spec.predecessors(c)) for c in endo])
        adj = 1 - (1 - r2) * (self.nobs - 1) / (self.nobs - k - 1)
        return pd.DataFrame({"r2": r2, "adj_r2": adj}, index=pd.Index(endo, name="construct"))

    @property
    def estimates(self) -> pd.DataFrame:
        rows = []
        for c in self.constructs:
            op = "<~" if self.spec.modes[c] == "B" else "=~"
            source = self.weights if op == "<~" else self.loadings
            rows += [(c, op, item, source.loc[item, c]) for item in self.spec.blocks[c]]
        rows += [(t, "~", s, self.paths.loc[s, t]) for s, t in self.spec.paths]
        table = pd.DataFrame(rows, columns=["lhs", "op", "rhs", "est"])
        if self.boot is not None:
            table = table.merge(self.boot.parameters()[["lhs", "op", "rhs", "se", "t", "pvalue", "ci_lower",
                                                        "ci_upper"]], on=["lhs", "op", "rhs"], how="left")
        return table

    # ----------------------------------------------------------------- quality
    def reliability(self) -> pd.DataFrame:
        """Cronbach's alpha, rhoA, rhoC and AVE per construct (seminr's ``reliability()``)."""
        rows = {}
        for k, c in enumerate(self.constructs):
            idx = self.layout.block_index[k]
            if len(idx) == 1:
                rows[c] = (1.0, 1.0, 1.0, 1.0)
                continue
            r = self.corr[np.ix_(idx, idx)]
            m = len(idx)
            alpha = m / (m - 1) * (1 - m / r.sum())
            lam = self.fit.loadings[0, idx, k]
            rho_c = lam.sum() ** 2 / (lam.sum() ** 2 + (1 - lam**2).sum())
            rows[c] = (alpha, self.fit.rho_a[0, k], rho_c, (lam**2).mean())
        return pd.DataFrame.from_dict(rows, orient="index", columns=["alpha", "rhoA", "rhoC", "AVE"])

    def htmt(self, kind: str = "htmt") -> pd.DataFrame:
        """Heterotrait-monotrait ratios (upper triangle): ``kind="htmt"`` (seminr) or ``"htmt2"``."""
        if kind not in ("htmt", "htmt2"):
            raise ValueError(f"kind={kind!r}: use 'htmt' (arithmetic means) or 'htmt2' (geometric means).")
        values = pls.htmt_stack(self.corr[None], self.layout, geometric=kind == "htmt2")[0]
        return self._matrix(values, self.constructs)

    def cross_loadings(self) -> pd.DataFrame:
        """Correlation of every indicator with every construct score."""
        return self._matrix(self.corr @ self.fit.weights[0], self.layout.items)

    def item_vif(self) -> pd.DataFrame:
        """VIF of each indicator among the indicators of its block (1 for single items)."""
        rows = []
        for k, c in enumerate(self.constructs):
            idx = self.layout.block_index[k]
            vif = np.diag(np.linalg.inv(self.corr[np.ix_(idx, idx)])) if len(idx) > 1 else [1.0]
            rows += [(c, self.layout.items[i], v) for i, v in zip(idx, vif)]
        return pd.DataFrame(rows, columns=["construct", "item", "vif"])

    def path_vif(self) -> pd.DataFrame:
        """VIF of each predictor among the predictors of an endogenous construct (NaN if it has one)."""
        cors = self.fit.scores_corr[0] if not self.consistent else self._raw_scores_corr()
        pos = {c: k for k, c in enumerate(self.constructs)}
        rows = []
        for target in self.spec.endogenous:
            preds = self.spec.predecessors(target)
            idx = [pos[p] for p in preds]
            vif = np.diag(np.linalg.inv(cors[np.ix_(idx, idx)])) if len(idx) > 1 else [np.nan]
            rows += [(target, p, v) for p, v in zip(preds, vif)]
        return pd.DataFrame(rows, columns=["target", "predictor", "vif"])

    def _raw_scores_corr(self) -> np.ndarray:
        w = self.fit.weights[0]
        return w.T @ self.corr @ w

    def f_squared(self) -> pd.DataFrame:
        """Cohen's f-squared of every path: (R2 with - R2 without) / (1 - R2 with), the model
        re-estimated without the path (as seminr)."""
        rows = []
        r2 = self.r2["r2"]
        for source, target in self.spec.paths:
            reduced = self.spec.without_path(source, target)
            r2_without = 0.0
            if target in reduced.endogenous:
                layout = pls.make_layout(reduced)
                pos = [self.layout.items.index(i) for i in layout.items]
                est = pls.estimate(self.moments[np.ix_(pos, pos)][None], layout, **self.algorithm)
                r2_without = est.r2[0, reduced.endogenous.index(target)]
            rows.append((target, "~", source, (r2[target] - r2_without) / (1 - r2[target])))
        return pd.DataFrame(rows, columns=["lhs", "op", "rhs", "f2"])

    def effects(self) -> pd.DataFrame:
        """Direct, indirect and total effect of every construct on every construct it reaches
        (with bootstrap SEs and CIs of the total and indirect effects after :meth:`bootstrap`)."""
        total, direct = self.total_effects, self.paths
        rows = [(t, s, direct.loc[s, t], total.loc[s, t] - direct.loc[s, t], total.loc[s, t])
                for s in self.constructs for t in self.constructs if total.loc[s, t] != 0]
        table = pd.DataFrame(rows, columns=["lhs", "rhs", "direct", "indirect", "total"])
        if self.boot is not None:
            for kind in ("indirect", "total"):
                part = self.boot.table[self.boot.table["kind"] == kind][["lhs", "rhs", "se", "ci_lower", "ci_upper"]]
                part = part.rename(columns={c: f"{kind}_{c}" for c in ("se", "ci_lower", "ci_upper")})
                table = table.merge(part, on=["lhs", "rhs"], how="left")
        return table

    def specific_effects(self) -> pd.DataFrame:
        """Every specific indirect effect: one row per chain ``source -> mediators -> target``
        (``source, through, target, est``), after :meth:`bootstrap` with ``boot_mean, se, t,
        ci_lower, ci_upper, p_boot``.

        Examples
        --------
        R: ``seminr::specific_effect_significance(boot, from = "Image", through = "Satisfaction",
        to = "Loyalty")``, one chain at a time.
        """
        from .pls_bootstrap import specific_effect_table

        return specific_effect_table(self)

    # ----------------------------------------------------------------- inference
    def bootstrap(self, n: int = 1000, seed: int = 0, *, engine: str = "local", n_jobs: int = 1,
                  indices: np.ndarray | None = None, ci: str = "percentile", level: float = 0.95,
                  scheduler=None, chunk_size: int | None = None) -> "PLSResult":
        """A copy of this result with bootstrap SEs, t values, p-values and CIs (see
        :func:`sqlib.sem.pls_bootstrap.bootstrap_pls`); the draws are in ``.boot``."""
        from .pls_bootstrap import bootstrap_pls

        boot = bootstrap_pls(self, n=n, seed=seed, engine=engine, n_jobs=n_jobs, indices=indices, ci=ci,
                             level=level, scheduler=scheduler, chunk_size=chunk_size)
        return dataclasses.replace(self, boot=boot)

    # ----------------------------------------------------------------- display
    def __repr__(self) -> str:
        return "\n".join(brief(self))

    def _repr_html_(self) -> str:
        return brief_html(brief(self))

    def summary(self) -> "PLSSummary":
        """An object that shows as HTML in a notebook and exports text or LaTeX."""
        return PLSSummary(self)


def describe_settings(result: PLSResult) -> str:
    """One line on how the model was estimated."""
    kind = "PLSc (consistent PLS)" if result.consistent else "PLS"
    miss = {"mean": "mean replacement", "listwise": "listwise deletion"}[result.missing]
    scaling = "" if result.scaled else ", centred (not standardized) indicators"
    stop = "" if result.stop_rule == "seminr" else f", plspm's stop rule (tol {result.tol:g})"
    return (f"{kind}, {SCHEME_NAMES[result.scheme]} scheme{scaling}{stop}, {result.nobs} respondents, "
            f"missing answers: {miss} ({result.n_missing_cells} cells"
            + (f", {result.n_dropped} rows dropped)" if result.n_dropped else ")"))


def brief(result: PLSResult) -> list[str]:
    """A few lines on a PLS fit: model size, settings, convergence, R-squared, bootstrap."""
    spec = result.spec
    lines = [f"PLSResult: {len(spec.constructs)} constructs, {len(result.layout.items)} indicators, "
             f"{len(spec.paths)} paths",
             "  " + describe_settings(result),
             "  " + (f"converged after {result.iterations} iterations" if result.converged
                     else f"NOT CONVERGED after {result.max_iter} iterations: estimates are not trustworthy")]
    r2 = result.r2
    lines.append("  R2: " + ", ".join(f"{c} {format_number(v)}" for c, v in r2["r2"].items()))
    if result.boot is not None:
        lines.append(f"  bootstrap: {result.boot.n_draws} draws (seed {result.boot.seed}), "
                     f"{result.boot.ci_type} {result.boot.level:.0%} intervals")
    lines.append("  .estimates, .r2, .reliability(), .htmt(), .summary() show the results")
    return lines


class PLSSummary:
    """Settings, outer model, paths, R-square, reliability and HTMT as text, HTML or LaTeX."""

    def __init__(self, result: PLSResult):
        self.result = result
        self.blocks = [b for b in summary_blocks(result) if b.rows]

    def as_text(self) -> str:
        return "\n".join([f"sqlib PLS-SEM: {describe_settings(self.result)}"] + blocks_as_text(self.blocks))

    __str__ = as_text

    def __repr__(self) -> str:
        return self.as_text()

    def _repr_html_(self) -> str:
        return (f"<div class='sqlib-summary'><h4>sqlib PLS-SEM: {html.escape(describe_settings(self.result))}</h4>"
                + blocks_as_html(self.blocks) + "</div>")

    def as_latex(self) -> str:
        return blocks_as_latex(self.blocks)


def _cells(values) -> tuple[str, ...]:
    from sqlib.core.formatting import format_number as fmt

    out = []
    for kind, v in values:
        out.append("" if v is None or (isinstance(v, float) and np.isnan(v)) else fmt(v, kind))
    return tuple(out)


def summary_blocks(result: PLSResult) -> list[Block]:
    est = result.estimates
    boot = result.boot is not None
    header = ("Estimate",) + (("Std.Err", "t-value", "P(>|t|)", "ci.lower", "ci.upper") if boot else ())

    def rows_of(op):
        rows = []
        for r in est[est["op"] == op].itertuples():
            label = f"{r.lhs} -> {r.rhs}" if op == "=~" else (f"{r.rhs} -> {r.lhs}" if op == "~" else f"{r.rhs} -> {r.lhs}")
            values = [("number", r.est)]
            if boot:
                values += [("number", r.se), ("number", r.t), ("p", r.pvalue), ("number", r.ci_lower),
                           ("number", r.ci_upper)]
            rows.append((f"  {label}",) + _cells(values))
        return tuple(rows)

    iterations = ("Iterations", str(result.iterations) + ("" if result.converged else " (not converged)"))
    blocks = [Block("Estimation", (), (iterations, ("Inner weighting scheme", SCHEME_NAMES[result.scheme]),
                                       ("Respondents", str(result.nobs)),
                                       ("Bootstrap draws", str(result.boot.n_draws) if boot else "none")))]
    blocks.append(Block("Outer loadings (=~)", header, rows_of("=~")))
    blocks.append(Block("Outer weights (<~)", header, rows_of("<~")))
    blocks.append(Block("Paths (~)", header, rows_of("~")))
    r2 = result.r2
    blocks.append(Block("R-Square", ("R2", "adj. R2"),
                        tuple((f"  {c}",) + _cells([("number", row.r2), ("number", row.adj_r2)])
                              for c, row in r2.iterrows())))
    rel = result.reliability()
    blocks.append(Block("Reliability", tuple(rel.columns),
                        tuple((f"  {c}",) + _cells([("number", v) for v in row]) for c, row in rel.iterrows())))
    ht, ht2 = result.htmt(), result.htmt("htmt2")
    pairs = [(a, b) for i, a in enumerate(ht.index) for b in ht.columns[i + 1:]]
    blocks.append(Block("Discriminant validity (HTMT)", ("HTMT", "HTMT2"),
                        tuple((f"  {a} - {b}",) + _cells([("number", ht.loc[a, b]), ("number", ht2.loc[a, b])])
                              for a, b in pairs)))
    return blocks


def path_comparison(sem_result, pls_result: PLSResult) -> pd.DataFrame:
    """CB-SEM (standardized, ``std_all``) and PLS-SEM path coefficients side by side.

    Returns
    -------
    DataFrame
        ``lhs, op, rhs, cbsem, pls, difference`` (pls - cbsem); with a bootstrapped PLS
        result also ``pls_ci_lower, pls_ci_upper``.
    """
    cb = sem_result.estimates
    cb = cb[cb["op"] == "~"][["lhs", "op", "rhs", "std_all"]].rename(columns={"std_all": "cbsem"})
    pls_paths = pls_result.estimates
    pls_paths = pls_paths[pls_paths["op"] == "~"]
    keep = ["lhs", "op", "rhs", "est"] + (["ci_lower", "ci_upper"] if "ci_lower" in pls_paths else [])
    pls_paths = pls_paths[keep].rename(columns={"est": "pls", "ci_lower": "pls_ci_lower", "ci_upper": "pls_ci_upper"})
    table = cb.merge(pls_paths, on=["lhs", "op", "rhs"], how="outer")
    table.insert(5, "difference", table["pls"] - table["cbsem"])
    return table.reset_index(drop=True)
