"""Measurement invariance across groups (lavaan + semTools' ``measEq`` workflow).

:func:`invariance` fits the configural, metric (equal loadings), scalar (+ equal
intercepts) and strict (+ equal residual variances) models, compares each with
the previous one, and gives a verdict with Chen's (2007) cutoffs.
:func:`release_tests` ranks the equality constraints of a fitted model by their
score test (lavaan's ``lavTestScore``) to locate non-invariant items.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from sqlib.core.formatting import brief_html
from scipy import stats

from sqlib.sem.compare import difference_test
from sqlib.sem.modindices import score_tests
from sqlib.sem.options import resolve_options
from sqlib.sem.pipeline import fit, fit_resolved
from sqlib.sem.result import SEMResult

LEVELS = {
    "configural": [],
    "metric": ["loadings"],
    "scalar": ["loadings", "intercepts"],
    "strict": ["loadings", "intercepts", "residuals"],
    "means": ["loadings", "intercepts", "residuals", "means"],
}
# ordered items: the Wu & Estabrook (2016) sequence (semTools' measEq.syntax group.equal)
ORDINAL_LEVELS = {
    "configural": [],
    "thresholds": ["thresholds"],
    "loadings": ["thresholds", "loadings"],
    "intercepts": ["thresholds", "loadings", "intercepts"],
}
CHEN_2007 = {"delta_cfi": -0.010, "delta_rmsea": 0.015}


def fit_level(model: str, data: pd.DataFrame, group: str, level: str, *, estimator: str = "ML",
              ordered=None, group_partial=()) -> SEMResult:
    """One model of the invariance sequence; with ``ordered`` the WLSMV model identified as
    ``measEq.syntax(ID.fac = "std.lv", ID.cat = "Wu.Estabrook.2016", parameterization = "delta")``."""
    if not ordered:
        return fit(model, data, group=group, estimator=estimator, group_equal=LEVELS[level],
                   group_partial=group_partial, meanstructure=True)
    options = resolve_options(model, data, ordered=ordered, group=group, std_lv=True,
                              group_equal=ORDINAL_LEVELS[level], group_partial=group_partial,
                              identification="wu.estabrook.2016")
    return fit_resolved(options, data)


@dataclass
class InvarianceResult:
    """The invariance sequence: ``table`` (one row per level) and the fitted models."""

    table: pd.DataFrame
    fits: dict[str, SEMResult] = field(repr=False)
    cutoffs: dict
    notes: list = field(default_factory=list)

    @property
    def highest_level(self) -> str:
        """The most restrictive level that is still supported."""
        held = "none"
        for level, verdict in zip(self.table["level"], self.table["verdict"]):
            if verdict == "not supported":
                break
            held = level
        return held

    def _lines(self) -> list[str]:
        first = next(iter(self.fits.values()), None)
        groups = f" across {len(first.group_levels)} groups of {first.group!r}" if first is not None else ""
        steps = ", ".join(f"{level} {verdict}" for level, verdict in zip(self.table["level"], self.table["verdict"]))
        return [f"Measurement invariance{groups}: highest level supported: {self.highest_level}",
                steps, *self.notes]

    def __repr__(self) -> str:
        return "\n  ".join(self._lines())

    def _repr_html_(self) -> str:
        return brief_html(self._lines(), self.table.to_html(index=False, float_format=lambda x: f"{x:.3f}",
                                                             na_rep=""))


def invariance(model: str, data: pd.DataFrame, *, group: str, levels=None, estimator: str = "ML",
               ordered=None, collapse_categories: bool = False,
               group_partial=(), cutoffs: dict | None = None) -> InvarianceResult:
    """Fit the invariance sequence and test each step against the previous one.

    Parameters
    ----------
    model : str
        The measurement model (lavaan syntax), identical in every group.
    data : DataFrame
    group : str
        Column with the groups (segment, country, wave...).
    levels : sequence of str
        Continuous items: any of "configural", "metric", "scalar", "strict", "means" (default
        the first four). Ordered items: any of "configural", "thresholds", "loadings",
        "intercepts" (default all four), identified as Wu & Estabrook (2016).
    estimator : {"ML", "MLR"}
        With MLR the differences are Satorra-Bentler scaled; ordered items always use WLSMV
        and the DIFFTEST (scaled-shifted) difference.
    ordered : True or list of str, optional
        Treat the items as ordinal (WLSMV, delta parameterization).
    collapse_categories : bool
        Ordered items only: merge a category that is empty in some group with its neighbour
        in every group (the merges are listed in ``result.notes``); without it such an item
        raises :class:`ModelSpecificationError`, as lavaan refuses it.
    group_partial : sequence of str
        Parameters freed in every constrained model (partial invariance), e.g. ``["res3~1"]``.
    cutoffs : dict
        ``delta_cfi`` and ``delta_rmsea``; a step is "not supported" when
        delta CFI <= delta_cfi and delta RMSEA >= delta_rmsea (Chen 2007 default). For
        ordered items the scaled CFI and RMSEA are used.

    Returns
    -------
    InvarianceResult
        ``table`` columns: ``level, npar, chisq, df, pvalue, cfi, tli, rmsea, rmsea_ci_lower,
        rmsea_ci_upper, srmr, aic, bic, delta_chisq, delta_df, delta_pvalue, delta_cfi,
        delta_rmsea, delta_srmr, verdict``; with ordered items ``chisq`` ... ``rmsea`` are
        lavaan's scaled(-shifted) versions.

    Examples
    --------
    The R equivalent is a sequence of ``cfa(model, data, group = "country",
    group.equal = ...)`` fits compared with ``lavTestLRT`` (or semTools::compareFit); for
    ordered items the models of ``semTools::measEq.syntax(..., ID.cat = "Wu.Estabrook.2016")``.
    """
    cutoffs = {**CHEN_2007, **(cutoffs or {})}
    known = ORDINAL_LEVELS if ordered else LEVELS
    levels = tuple(levels or (tuple(ORDINAL_LEVELS) if ordered else ("configural", "metric", "scalar", "strict")))
    unknown = [lev for lev in levels if lev not in known]
    if unknown:
        raise ValueError(f"Unknown invariance level(s) {unknown}; use {', '.join(known)}.")
    notes: list[str] = []
    if ordered and collapse_categories:
        from sqlib.sem.dwls_groups import collapse_categories as collapse
        from sqlib.sem.partable import build_spec

        items = build_spec(model, list(data.columns)).ov_names if ordered is True else list(ordered)
        data, notes = collapse(data, items, group)
    suffix = "_scaled" if ordered else ""
    fits: dict[str, SEMResult] = {}
    rows = []
    previous = None
    for level in levels:
        partial = group_partial if level != "configural" else ()
        res = fit_level(model, data, group, level, estimator=estimator, ordered=ordered, group_partial=partial)
        fits[level] = res
        fm = res.fit_measures
        row = {"level": level}
        for key in ("npar", "chisq", "df", "pvalue", "cfi", "tli", "rmsea", "rmsea_ci_lower",
                    "rmsea_ci_upper", "srmr", "aic", "bic"):
            scaled = f"{key}{suffix}" if key not in ("npar", "df", "srmr", "aic", "bic") else key
            row[key] = fm.get(scaled, np.nan)
        if previous is not None:
            pf = previous.fit_measures
            row.update({k: v for k, v in difference_test(res, previous).items() if k != "method"})
            row["delta_cfi"] = row["cfi"] - rows[-1]["cfi"]
            row["delta_rmsea"] = row["rmsea"] - rows[-1]["rmsea"]
            row["delta_srmr"] = fm["srmr"] - pf["srmr"]
            bad = row["delta_cfi"] <= cutoffs["delta_cfi"] and row["delta_rmsea"] >= cutoffs["delta_rmsea"]
            row["verdict"] = "not supported" if bad else "supported"
        else:
            row["verdict"] = "baseline"
        rows.append(row)
        previous = res
    return InvarianceResult(pd.DataFrame(rows), fits, cutoffs, notes)


def release_tests(result: SEMResult) -> pd.DataFrame:
    """Score tests for releasing each cross-group equality constraint, largest first.

    For every parameter of group 2, 3, ... that is held equal to group 1's, the
    univariate score test of letting it differ (lavaan's ``lavTestScore(fit)$uni``).

    Returns
    -------
    DataFrame
        ``lhs, op, rhs, group, group_label, x2, df, pvalue, epc`` sorted by ``x2``.
    """
    spec = result.spec
    tied = [i for i, r in enumerate(spec.rows) if r.group > 1 and r.label.startswith(".") and r.free >= 0]
    tied += fixed_ordinal_intercepts(spec)
    if not tied:
        return pd.DataFrame(columns=["lhs", "op", "rhs", "group", "group_label", "x2", "df", "pvalue", "epc"])
    x2, epc = score_tests(result, [], tied)
    records = []
    for i, stat, change in zip(tied, x2, epc):
        r = spec.rows[i]
        records.append([r.lhs, r.op, r.rhs, r.group, result.group_levels[r.group - 1], stat, 1,
                        stats.chi2.sf(stat, 1) if np.isfinite(stat) else np.nan, change])
    table = pd.DataFrame(records, columns=["lhs", "op", "rhs", "group", "group_label", "x2", "df", "pvalue", "epc"])
    return table.sort_values("x2", ascending=False, kind="mergesort").reset_index(drop=True)


def fixed_ordinal_intercepts(spec) -> list[int]:
    """Rows of ordered items' intercepts held at 0 in groups 2, 3, ... although their thresholds
    are equal across groups (the Wu & Estabrook intercepts step): freeing one is testable."""
    ordered = {r.lhs for r in spec.rows if r.op == "|"}
    equal_thresholds = any(r.op == "|" and r.group > 1 and r.label.startswith(".") for r in spec.rows)
    scaled = any(r.op == "~*~" and r.group > 1 and r.free >= 0 for r in spec.rows)
    if not (equal_thresholds and scaled):
        return []
    return [i for i, r in enumerate(spec.rows)
            if r.op == "~1" and r.group > 1 and r.lhs in ordered and r.free < 0]


def _partial_name(row) -> str:
    return f"{row['lhs']}{row['op']}{row['rhs']}"


def locate_noninvariance(model: str, data: pd.DataFrame, *, group: str, level: str | None = None,
                         alpha: float = 0.05, max_free: int = 10, estimator: str = "ML", ordered=None) -> dict:
    """Find non-invariant parameters by freeing the worst constraint one at a time.

    Starting from the ``level`` model, the equality constraint with the largest
    score test is released (in every group) while it is significant after a
    Bonferroni correction for the number of constraints tested; the model is refitted
    after each release. For every released parameter, the group whose estimate lies
    farthest from the median of the groups is named as the deviating group.

    With ``ordered`` items the models are the Wu & Estabrook (2016) sequence (``level``
    default "intercepts"), so thresholds, loadings and intercepts are searched.

    Returns
    -------
    dict
        ``freed`` (DataFrame: parameter, x2, pvalue, deviating_group, and one
        column per group with its estimate in the final partial model), ``partial``
        (list for ``group_partial``), ``result`` (the final partial-invariance fit) and
        ``steps`` (the score-test tables, one per step).
    """
    partial: list[str] = []
    steps = []
    freed_rows = []
    level = level or ("intercepts" if ordered else "scalar")
    result = fit_level(model, data, group, level, estimator=estimator, ordered=ordered)
    for _ in range(max_free):
        tests = release_tests(result)
        steps.append(tests)
        if tests.empty:
            break
        top = tests.iloc[0]
        if not top["pvalue"] < alpha / len(tests):
            break
        name = _partial_name(top)
        partial.append(name)
        freed_rows.append({"parameter": name, "x2": top["x2"], "pvalue": top["pvalue"]})
        result = fit_level(model, data, group, level, estimator=estimator, ordered=ordered,
                           group_partial=partial)
    est = result.estimates
    records = []
    for row in freed_rows:
        lhs, op, rhs = split_parameter(row["parameter"])
        per_group = est[(est["lhs"] == lhs) & (est["op"] == op) & (est["rhs"] == rhs)].set_index("group")["est"]
        values = {result.group_levels[g - 1]: per_group[g] for g in per_group.index}
        deviation = {k: abs(v - np.median([w for kk, w in values.items() if kk != k])) for k, v in values.items()}
        records.append({**row, "deviating_group": max(deviation, key=deviation.get), **values})
    return {"freed": pd.DataFrame(records), "partial": partial, "result": result, "steps": steps}


def split_parameter(name: str) -> tuple[str, str, str]:
    for op in ("=~", "~~", "~1", "~", "|"):
        if op in name:
            lhs, rhs = name.split(op, 1)
            return lhs, op, rhs
    raise ValueError(name)


def latent_means(result: SEMResult) -> pd.DataFrame:
    """Latent mean differences from the first (reference) group, with effect sizes.

    Meaningful only when (partial) scalar invariance holds: the latent means are
    then estimated relative to the reference group, whose means are fixed at 0.
    ``d`` divides the difference by the square root of the two groups' average
    latent variance (a standardized mean difference).

    Returns
    -------
    DataFrame
        ``factor, group, group_label, mean_diff, se, z, pvalue, ci_lower, ci_upper, d``.
    """
    est = result.estimates
    lv = result.latent
    rows = []
    ref_var = est[(est["op"] == "~~") & (est["lhs"] == est["rhs"]) & est["lhs"].isin(lv) & (est["group"] == 1)]
    ref_var = ref_var.set_index("lhs")["est"]
    means = est[(est["op"] == "~1") & est["lhs"].isin(lv) & (est["group"] > 1)]
    for _, m in means.iterrows():
        var = est[(est["op"] == "~~") & (est["lhs"] == m["lhs"]) & (est["rhs"] == m["lhs"])
                  & (est["group"] == m["group"])]["est"].iloc[0]
        pooled_sd = np.sqrt((var + ref_var[m["lhs"]]) / 2)
        rows.append({"factor": m["lhs"], "group": m["group"], "group_label": result.group_levels[m["group"] - 1],
                     "mean_diff": m["est"], "se": m["se"], "z": m["z"], "pvalue": m["pvalue"],
                     "ci_lower": m["ci_lower"], "ci_upper": m["ci_upper"], "d": m["est"] / pooled_sd})
    return pd.DataFrame(rows)
