"""Text for the gaps-and-priorities section (notebook 05).

The rules (issue 13):

* The section needs expectation items and a structural model
  (:func:`sqlib.design.skip_reason`); otherwise one paragraph says why.
* Importance is the standardized total effect of each dimension in the study's own
  structural model, on its endogenous constructs (no hard-coded outcome names).
* No "concentrate on" and no priority ranking when the structural model has a
  severe diagnostic: the text then says importance is not interpretable and why.
* Every number in the text is a number of the table beside it (three decimals, as
  :func:`sqlib.presentation.format_table` shows them).
"""

from __future__ import annotations

import pandas as pd

from sqlib.analysis.ipa import NOT_INTERPRETABLE, drivers
from sqlib.report.presentation import format_number, format_p

#: IPA priorities in the order the text names them.
ACTIONS = ("concentrate here", "keep up the good work", "low priority", "possible overkill")


def skipped(reason: str) -> str:
    """The paragraph shown when the gaps section cannot run."""
    return f"**Gaps and priorities were not analysed.** {reason.strip()}"


def ipa_outcomes(design, result, outcome: str = "") -> list[str]:
    """Endogenous constructs to rank the dimensions for: ``outcome`` first (default the first).

    Only constructs that at least one dimension of the codebook reaches in ``result``.

    Raises
    ------
    ValueError
        When ``outcome`` is not an endogenous construct of the structural model.
    """
    endogenous = design.endogenous
    if outcome and outcome not in endogenous:
        raise ValueError(f"outcome={outcome!r} (notebook parameter) is not predicted by anything in the structural "
                         f"model; use one of {', '.join(endogenous)}, or leave it empty for {endogenous[0]}.")
    names = list(dict.fromkeys([outcome or endogenous[0], *endogenous]))
    return [n for n in names if drivers(result, design.codebook, outcome=n)]


def gaps_text(item_gaps: pd.DataFrame, dimension_gaps: pd.DataFrame, alpha: float = 0.05) -> str:
    """Which dimensions fall short of expectations, and the items furthest below, from the gap tables.

    A dimension "falls significantly short" when its mean gap is negative and its
    Holm-adjusted paired t-test p-value (``p_holm_t``) is below ``alpha``.

    Examples
    --------
    >>> import pandas as pd
    >>> from sqlib.report.narratives.gaps import gaps_text
    >>> dims = pd.DataFrame({"dimension": ["reliability", "tangibles"], "mean_gap": [-0.9, -0.1],
    ...                      "p_holm_t": [0.0001, 0.3], "cohens_dz": [-0.8, -0.1]})
    >>> items = pd.DataFrame({"item": ["rel4"], "mean_gap": [-0.977], "p_holm_t": [0.0001]})
    >>> gaps_text(items, dims)[:60]
    '1 of 2 dimensions fall significantly short of expectations ('

    In R: ``t.test(P, E, paired = TRUE)`` per dimension and ``p.adjust(p, "holm")``.
    """
    short = dimension_gaps[(dimension_gaps["mean_gap"] < 0) & (dimension_gaps["p_holm_t"] < alpha)]
    above = dimension_gaps[(dimension_gaps["mean_gap"] > 0) & (dimension_gaps["p_holm_t"] < alpha)]
    short = short.sort_values("mean_gap")
    criterion = f"mean gap below zero, Holm-adjusted paired t-test p < {alpha:g}"
    text = f"{len(short)} of {len(dimension_gaps)} dimensions fall significantly short of expectations ({criterion})"
    if len(short):
        text += ": " + _and([f"{r.dimension} (mean gap {format_number(r.mean_gap)}, d_z {format_number(r.cohens_dz)})"
                             for r in short.itertuples()])
    text += "."
    if len(above):
        text += (" Significantly above expectations: "
                 + _and([f"{r.dimension} ({format_number(r.mean_gap)})" for r in above.itertuples()]) + ".")
    worst = item_gaps.nsmallest(min(3, len(item_gaps)), "mean_gap")
    worst = worst[worst["mean_gap"] < 0]
    if len(worst):
        text += (" The items furthest below expectations are "
                 + _and([f"{r.item} ({format_number(r.mean_gap)}, {format_p(r.p_holm_t)} Holm-adjusted)"
                         for r in worst.itertuples()]) + ".")
    return text


def weighted_text(weighted: pd.DataFrame | None) -> str:
    """The largest importance-weighted gap ("" without weights)."""
    if weighted is None or weighted.empty:
        return ""
    top = weighted.nsmallest(1, "mean_gap").iloc[0]
    return (f"Weighted by the respondents' importance points, the largest gap is {top['dimension']} "
            f"(mean weighted gap {format_number(top['mean_gap'])}).")


#: Below this spread of performance (points of 100) the quadrants split dimensions that perform alike.
CLOSE_PERFORMANCE = 5.0


def unweighted_text() -> str:
    """Why the importance-weighted gaps are not shown."""
    return ("No importance points were given (codebook key importance, or the importance_points parameter), so the "
            "gaps are unweighted.")


def not_interpretable_reason(diagnostics: pd.DataFrame) -> str:
    """Why importance is not interpretable ("" when it is): the severe diagnostics, named."""
    severe = diagnostics[diagnostics["severity"] == "severe"]
    if severe.empty:
        return ""
    named = [f"{r.check} ({r.where})" for r in severe.head(4).itertuples()]
    more = f" and {len(severe) - 4} more" if len(severe) > 4 else ""
    return "the structural model has severe diagnostics: " + "; ".join(named) + more


def priorities_text(ipa: pd.DataFrame, diagnostics: pd.DataFrame, outcome: str, design=None,
                    alpha: float = 0.05) -> str:
    """The priority list for ``outcome`` from an importance-performance table, or why there is none.

    Parameters
    ----------
    ipa : DataFrame
        :func:`sqlib.ipa.importance_performance` for ``outcome`` (with ``diagnostics``).
    diagnostics : DataFrame
        Diagnostics of the structural model the importances come from.
    outcome : str
        The construct (for the text).
    design : StudyDesign, optional
        Names the dimensions that do not reach ``outcome`` (left out of the grid).
    alpha : float
        Level below which a total effect counts as different from zero.
    """
    why = not_interpretable_reason(diagnostics)
    if why or (ipa["priority"] == NOT_INTERPRETABLE).any():
        return (f"Importance on {outcome} is not interpretable: {why or 'see the diagnostics'}. "
                "No priority ranking is given; resolve these problems in the structural model first "
                "(notebook 03), then rank the dimensions.")
    parts = []
    focus = ipa[ipa["priority"] == "concentrate here"]
    if len(focus):
        parts.append(f"For {outcome}, concentrate on " + _and(
            [f"{r.dimension} (importance {format_number(r.importance)}, performance {format_number(r.performance)})"
             for r in focus.itertuples()])
            + ": importance at or above the mean of the dimensions "
            f"({format_number(ipa.attrs['importance_cut'])}) with performance below theirs "
            f"({format_number(ipa.attrs['performance_cut'])} of 100).")
    else:
        top = ipa.loc[ipa["importance"].idxmax()]
        parts.append(f"For {outcome}, no dimension combines above-average importance with below-average performance; "
                     f"the most important is {top['dimension']} (importance {format_number(top['importance'])}).")
    keep = ipa[ipa["priority"] == "keep up the good work"]
    parts.append("Keep up the good work on " + (_and(list(keep["dimension"])) or "no dimension") + ".")
    spread = ipa["performance"].max() - ipa["performance"].min()
    if spread < CLOSE_PERFORMANCE:
        parts.append(f"Performance differs by only {format_number(spread)} points of 100 across these dimensions, "
                     "so the quadrants separate dimensions that perform almost alike: read the grid as a ranking "
                     "by importance rather than as distinct priorities.")
    weak = ipa[(ipa["priority"] == "concentrate here") & ~(ipa["pvalue"] < alpha)]
    if len(weak):
        parts.append("The total effect of " + _and([f"{r.dimension} ({format_p(r.pvalue)})" for r in weak.itertuples()])
                     + " is not significantly different from zero, so its place in the grid is uncertain.")
    if design is not None:
        absent = [d for d in design.codebook.dimensions if d not in set(ipa["dimension"])]
        if absent:
            verb, be = ("does", "is") if len(absent) == 1 else ("do", "are")
            parts.append(f"{_and(absent)} {verb} not affect {outcome} in the structural model and {be} left out of "
                         "the grid.")
    parts.append("The grid ranks the dimensions against each other: even a dimension outside the first quadrant may "
                 "still fall short of expectations.")
    return " ".join(parts)


def summary(item_gaps: pd.DataFrame, dimension_gaps: pd.DataFrame, ipa: pd.DataFrame, diagnostics: pd.DataFrame,
            outcome: str, *, design=None, weighted: pd.DataFrame | None = None, alpha: float = 0.05) -> str:
    """The executive summary of notebook 05 (Markdown): gaps, then priorities for ``outcome``."""
    parts = [gaps_text(item_gaps, dimension_gaps, alpha), weighted_text(weighted),
             priorities_text(ipa, diagnostics, outcome, design, alpha)]
    return " ".join(p for p in parts if p)


def _and(words: list[str]) -> str:
    words = [str(w) for w in words]
    if len(words) <= 1:
        return "".join(words)
    return ", ".join(words[:-1]) + " and " + words[-1]
