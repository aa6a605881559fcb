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
from scipy import stats

from .compare import difference_test
from .modindices import score_tests
from .sem import SEMResult, fit

LEVELS = {
    "configural": [],
    "metric": ["loadings"],
    "scalar": ["loadings", "intercepts"],
    "strict": ["loadings", "intercepts", "residuals"],
    "means": ["loadings", "intercepts", "residuals", "means"],
}
CHEN_2007 = {"delta_cfi": -0.010, "delta_rmsea": 0.015}


@dataclass
class InvarianceResult:
    """The invariance sequence: ``table`` (one row per level) and the fitted models."""

    table: pd.DataFrame
    fits: dict[str, SEMResult] = field(repr=False)
    cutoffs: dict

    @property
    def highest_level(self) -> str:
        """The most restrictive level that is still supported."""
        held = "none"
        for level, verdict in zip(self.table["level"], self.table["verdict"]):
            if verdict == "not supported":
                break
            held = level
        return held

    def _repr_html_(self) -> str:
        return self.table.to_html(index=False, float_format=lambda x: f"{x:.3f}", na_rep="")


def invariance(model: str, data: pd.DataFrame, *, group: str,
               levels=("configural", "metric", "scalar", "strict"), estimator: str = "ML",
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
        Any of "configural", "metric", "scalar", "strict", "means", in that order.
    estimator : {"ML", "MLR"}
        With MLR the differences are Satorra-Bentler scaled.
    group_partial : sequence of str
        Parameters freed in every constrained model (partial invariance), e.g. ``["res3~1"]``.
    cutoffs : dict
        ``delta_cfi`` and ``delta_rmsea``; a step is "not supported" when
        delta CFI <= delta_cfi and delta RMSEA >= delta_rmsea (Chen 2007 default).

    Returns
    -------
    InvarianceResult
        ``table`` columns: ``level, npar, chisq, df, pvalue, cfi, tli, rmsea, rmsea_ci_lower,
        rmsea_ci_upper, srmr, aic, bic, delta_chisq, delta_df, delta_pvalue, delta_cfi,
        delta_rmsea, delta_srmr, verdict``.

    Examples
    --------
    The R equivalent is a sequence of ``cfa(model, data, group = "country",
    group.equal = ...)`` fits compared with ``lavTestLRT`` (or semTools::compareFit).
    """
    cutoffs = {**CHEN_2007, **(cutoffs or {})}
    unknown = [lev for lev in levels if lev not in LEVELS]
    if unknown:
        raise ValueError(f"Unknown invariance level(s) {unknown}; use {', '.join(LEVELS)}.")
    fits: dict[str, SEMResult] = {}
    rows = []
    previous = None
    for level in levels:
        partial = group_partial if level != "configural" else ()
        res = fit(model, data, group=group, estimator=estimator, group_equal=LEVELS[level],
                  group_partial=partial, meanstructure=True)
        fits[level] = res
        fm = res.fit_measures
        row = {"level": level}
        for key in ("npar", "chisq", "df", "pvalue", "cfi", "tli", "rmsea", "rmsea_ci_lower",
                    "rmsea_ci_upper", "srmr", "aic", "bic"):
            row[key] = fm[key]
        if previous is not None:
            pf = previous.fit_measures
            row.update({k: v for k, v in difference_test(res, previous).items() if k != "method"})
            row["delta_cfi"] = fm["cfi"] - pf["cfi"]
            row["delta_rmsea"] = fm["rmsea"] - pf["rmsea"]
            row["delta_srmr"] = fm["srmr"] - pf["srmr"]
            bad = row["delta_cfi"] <= cutoffs["delta_cfi"] and row["delta_rmsea"] >= cutoffs["delta_rmsea"]
            row["verdict"] = "not supported" if bad else "supported"
        else:
            row["verdict"] = "baseline"
        rows.append(row)
        previous = res
    return InvarianceResult(pd.DataFrame(rows), fits, cutoffs)


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
