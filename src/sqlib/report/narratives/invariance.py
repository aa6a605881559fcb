"""Text for the measurement-invariance section (notebook 04, and the wave check of 06).

The rules (issue 13):

* The verdict is "not supported" when the configural model (the same factor
  structure in every group) fails Hu and Bentler's cutoffs, and "inconclusive" when
  it has a severe diagnostic (e.g. a group whose latent covariance matrix is not
  positive definite); no level beyond configural is then claimed.
* When the chi-square difference test and the fit-change criteria (Chen 2007)
  disagree about a step, the text says so with both numbers (delta chi-square, df,
  p; delta CFI, delta RMSEA).
* Group sizes are stated as they are (respondents per group, and how many of them
  the models used), never as "several hundred per group".
* Latent means are compared only under a (partial) scalar model the text can defend:
  configural fit and diagnostics acceptable, metric invariance supported, the
  partial scalar model not worse than the metric model by the fit-change criteria,
  and at least two items of the factor with equal loadings and intercepts.

:func:`assess` turns the fitted sequence into an :class:`InvarianceAssessment`;
the other functions write Markdown from it and from the tables beside it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from sqlib.analysis.design import MIN_GROUP_MARGIN, SECTION_NEEDS, eligible_groups
from sqlib.analysis.invariance import latent_means
from sqlib.report.presentation import format_number, format_p
from sqlib.sem.tables import HU_BENTLER, fit_table

#: Severity of the configural problems that make every invariance step uninterpretable.
SEVERE = "severe"
#: Levels whose support lets latent means be compared (with metric below them).
MEAN_LEVELS = ("scalar", "strict")


@dataclass(frozen=True)
class InvarianceAssessment:
    """What the invariance sequence supports, with the reasons.

    Attributes
    ----------
    status : str
        ``"supported"`` (some level beyond configural, or configural only, holds),
        ``"not supported"`` (the configural model fails the fit cutoffs) or
        ``"inconclusive"`` (the configural solution has a severe diagnostic).
    highest_level : str
        Highest level supported by the fit-change criteria; ``"none"`` unless the
        status is ``"supported"``.
    configural : pandas.Series
        The configural model's row of :func:`sqlib.tables.fit_table` (``model``, ``cfi``,
        ``meets_cutoffs``, ...).
    problems : DataFrame
        The configural model's severe diagnostics (``check, severity, where, message``).
    steps : DataFrame
        One row per step beyond configural: ``level, delta_chisq, delta_df, delta_pvalue,
        delta_cfi, delta_rmsea, fit_change`` ("supported" / "not supported"), ``chisq_test``
        ("not rejected" / "rejected") and ``agree``.
    alpha : float
        Level of the chi-square difference tests.
    group_column : str
    nobs : dict
        Respondents per group used by the models (after leaving out incomplete answers).
    """

    status: str
    highest_level: str
    configural: pd.Series
    problems: pd.DataFrame
    steps: pd.DataFrame
    alpha: float
    group_column: str
    nobs: dict = field(default_factory=dict)


def assess(sequence, *, group_column: str, alpha: float = 0.05, fit_cutoffs: dict | None = None,
           diagnostics: pd.DataFrame | None = None) -> InvarianceAssessment:
    """Judge an invariance sequence by its configural model, the fit changes and the chi-square tests.

    Parameters
    ----------
    sequence : sqlib.invariance.InvarianceResult
        From :func:`sqlib.invariance.invariance`; must include the configural level.
    group_column : str
        The column the groups come from (for the text).
    alpha : float
        Level of the chi-square difference tests.
    fit_cutoffs : dict, optional
        Cutoffs of the configural fit (default :data:`sqlib.tables.HU_BENTLER`).
    diagnostics : DataFrame, optional
        Diagnostics of the configural model (default ``sequence.fits["configural"].diagnostics``).

    Returns
    -------
    InvarianceAssessment

    Examples
    --------
    semTools' ``compareFit(configural, metric, scalar)`` prints the same comparisons; the
    judgement (Chen 2007 cutoffs, configural fit first) is written out here.
    """
    if "configural" not in sequence.fits:
        raise ValueError("assess needs the configural model in the invariance sequence "
                         "(levels must start with 'configural').")
    configural_fit = sequence.fits["configural"]
    row = fit_table({"configural model": configural_fit}, fit_cutoffs or HU_BENTLER).iloc[0]
    diagnostics = configural_fit.diagnostics if diagnostics is None else diagnostics
    problems = diagnostics[diagnostics["severity"] == SEVERE].reset_index(drop=True)
    steps = _steps(sequence.table, alpha)
    if not row["meets_cutoffs"]:
        status, level = "not supported", "none"
    elif len(problems):
        status, level = "inconclusive", "none"
    else:
        status, level = "supported", sequence.highest_level
    nobs = dict(zip(configural_fit.group_levels, configural_fit.nobs))
    return InvarianceAssessment(status, level, row, problems, steps, alpha, group_column, nobs)


def _steps(table: pd.DataFrame, alpha: float) -> pd.DataFrame:
    rows = []
    for r in table.iloc[1:].itertuples():
        rejected = bool(r.delta_pvalue < alpha)
        fit_ok = r.verdict == "supported"
        rows.append({"level": r.level, "delta_chisq": r.delta_chisq, "delta_df": int(r.delta_df),
                     "delta_pvalue": r.delta_pvalue, "delta_cfi": r.delta_cfi, "delta_rmsea": r.delta_rmsea,
                     "fit_change": "supported" if fit_ok else "not supported",
                     "chisq_test": "rejected" if rejected else "not rejected", "agree": fit_ok != rejected})
    return pd.DataFrame(rows, columns=["level", "delta_chisq", "delta_df", "delta_pvalue", "delta_cfi",
                                       "delta_rmsea", "fit_change", "chisq_test", "agree"])


# ------------------------------------------------------------------ groups
def minimum_group_size(design) -> int:
    """The size a group must exceed to enter the tests (CFA items plus the design's margin)."""
    return sum(len(design.codebook.items_of(n)) for n in design.multi_item) + MIN_GROUP_MARGIN


def unavailable(design, data: pd.DataFrame, column: str) -> str:
    """Why invariance across ``column`` cannot be tested ("" when it can).

    ``column`` is the group column in use: the codebook's, or the notebook's override.
    """
    if not column:
        return f"The codebook names no group column. Needs {SECTION_NEEDS['04_measurement_invariance']}."
    if column not in data.columns:
        return (f"The group column {column!r} is not in the data. Check the codebook's 'group' key (or the "
                "notebook parameter group_column).")
    if not design.multi_item:
        return "Every construct has a single item: there are no factor loadings to compare across groups."
    if len(eligible_groups(design, data, column)) < 2:
        sizes = data[column].dropna().value_counts().sort_index()
        shown = ", ".join(f"{k}: {v}" for k, v in sizes.items()) or "none"
        return (f"Fewer than two groups of {column} have more than {minimum_group_size(design)} respondents "
                f"(groups: {shown}). Needs {SECTION_NEEDS['04_measurement_invariance']}.")
    return ""


def groups_paragraph(design, data: pd.DataFrame, column: str, nobs: dict | None = None) -> str:
    """The groups compared with their sizes (:func:`groups_text`), or why none can be (:func:`skipped`)."""
    reason = unavailable(design, data, column)
    if reason:
        return skipped(reason)
    return groups_text(data[column].dropna().value_counts().sort_index(), eligible_groups(design, data, column),
                       column, nobs, minimum_group_size(design))


# ------------------------------------------------------------------ sentences
def skipped(reason: str) -> str:
    """The paragraph shown when invariance cannot be tested."""
    return f"**Measurement invariance was not tested.** {reason.strip()}"


def groups_text(all_sizes: pd.Series, compared: pd.Series, column: str, nobs: dict | None = None,
                minimum: int | None = None) -> str:
    """Which groups are compared, with their sizes as they are, and which were left out.

    Parameters
    ----------
    all_sizes : Series
        Respondents per group in the data (``data[column].value_counts()``).
    compared : Series
        The groups entering the tests (:func:`sqlib.design.eligible_groups`).
    column : str
        The group column.
    nobs : dict, optional
        Respondents per group the models used (complete answers), from
        :attr:`InvarianceAssessment.nobs`.
    minimum : int, optional
        The size a group had to exceed (items of the CFA plus the margin).

    Examples
    --------
    >>> import pandas as pd
    >>> from sqlib.report.narratives.invariance import groups_text
    >>> groups_text(pd.Series({"1": 125, "2": 219}), pd.Series({"1": 125, "2": 219}), "servicetype")
    'Groups compared (servicetype): 1 (125 respondents) and 2 (219 respondents).'

    R has no equivalent; ``table(data$servicetype)`` gives the counts.
    """
    nobs = {str(k): v for k, v in (nobs or {}).items()}
    parts = []
    for label, n in compared.items():
        used = nobs.get(str(label))
        detail = f"{int(n)} respondents" + (f", {int(used)} with complete answers used by the models"
                                            if used is not None and int(used) != int(n) else "")
        parts.append(f"{label} ({detail})")
    text = f"Groups compared ({column}): " + _and(parts) + "."
    left = all_sizes[~all_sizes.index.isin(compared.index)]
    if len(left):
        bound = f" (a group needs more than {minimum} respondents for this CFA)" if minimum else ""
        text += (" Left out as too small" + bound + ": "
                 + _and([f"{label} ({int(n)} respondents)" for label, n in left.items()]) + ".")
    return text


def configural_text(assessment: InvarianceAssessment) -> str:
    """Whether the same factor structure fits every group, and whether its solution is proper."""
    row = assessment.configural
    fit = (f"The configural model (the same factor structure in every group, nothing held equal) has "
           f"CFI {format_number(row['cfi'], 'fit')}, TLI {format_number(row['tli'], 'fit')}, "
           f"RMSEA {format_number(row['rmsea'], 'fit')}, SRMR {format_number(row['srmr'], 'fit')}; it "
           + ("meets" if row["meets_cutoffs"] else "does not meet") + " Hu and Bentler's cutoffs.")
    if len(assessment.problems):
        fit += (" Its solution has severe problems: "
                + "; ".join(f"{r.check} in {r.where}" for r in assessment.problems.itertuples()) + ".")
    return fit


def step_text(step: pd.Series) -> str:
    """One comparison: both criteria with their numbers, and whether they agree.

    Examples
    --------
    >>> import pandas as pd
    >>> from sqlib.report.narratives.invariance import step_text
    >>> step_text(pd.Series({"level": "strict", "delta_chisq": 119.0, "delta_df": 27, "delta_pvalue": 1e-13,
    ...                      "delta_cfi": -0.004, "delta_rmsea": 0.001, "fit_change": "supported",
    ...                      "chisq_test": "rejected", "agree": False}))[:95]
    'For strict invariance the two criteria disagree: the fit-change criteria support it (delta CFI '

    In R the numbers come from ``lavTestLRT(fit_scalar, fit_strict)`` and ``fitMeasures()``.
    """
    level = step["level"]
    numbers_fit = (f"delta CFI {format_number(step['delta_cfi'], 'fit')}, "
                   f"delta RMSEA {format_number(step['delta_rmsea'], 'fit')}")
    numbers_chisq = (f"delta chi-square {format_number(step['delta_chisq'])}, df = {int(step['delta_df'])}, "
                     f"{format_p(step['delta_pvalue'])}")
    fit_verdict = "supported" if step["fit_change"] == "supported" else "rejected"
    if step["agree"]:
        both = "supported" if fit_verdict == "supported" else "rejected"
        return (f"{level.capitalize()} invariance is {both} by both criteria ({numbers_fit}; {numbers_chisq}).")
    return (f"For {level} invariance the two criteria disagree: the fit-change criteria "
            f"{'support' if fit_verdict == 'supported' else 'reject'} it ({numbers_fit}) while the chi-square "
            f"difference test {'rejects' if step['chisq_test'] == 'rejected' else 'does not reject'} it "
            f"({numbers_chisq}).")


def sequence_text(assessment: InvarianceAssessment) -> str:
    """The verdict of the whole sequence, step by step."""
    head = configural_text(assessment)
    if assessment.status == "not supported":
        reasons = []
        if not bool(assessment.configural["meets_cutoffs"]):
            reasons.append("fits below the cutoffs")
        if len(assessment.problems):
            reasons.append("has an improper solution (" + ", ".join(dict.fromkeys(assessment.problems["where"])) + ")")
        return (f"{head} Verdict: measurement invariance across {assessment.group_column} is **not supported**: "
                f"the configural model {' and '.join(reasons) or 'is not acceptable'}, so the metric, scalar and "
                "strict steps (which compare constrained models with this one) cannot be interpreted."
                + (" An improper solution in one group often comes from a small group: see the group sizes above."
                   if len(assessment.problems) else ""))
    if assessment.status == "inconclusive":
        return (f"{head} Verdict: measurement invariance across {assessment.group_column} is **inconclusive**: "
                "with an improper configural solution the comparisons of the constrained models cannot be "
                "interpreted.")
    steps = " ".join(step_text(s) for _, s in assessment.steps.iterrows())
    level = assessment.highest_level
    verdict = (f"Verdict: {level} invariance across {assessment.group_column} is supported by the fit-change "
               "criteria" if level != "configural" else
               f"Verdict: only configural invariance across {assessment.group_column} is supported; "
               "loadings differ between the groups")
    disagree = assessment.steps[~assessment.steps["agree"]
                                & _at_or_below(assessment.steps["level"], level)]
    if len(disagree):
        verdict += (", but the chi-square difference test rejects " + _and(list(disagree["level"]))
                    + " invariance, so this rests on the fit-change criteria alone")
    return f"{head} {steps} {verdict}."


def _at_or_below(levels: pd.Series, highest: str) -> pd.Series:
    order = ["configural", "metric", "scalar", "strict", "means"]
    top = order.index(highest) if highest in order else -1
    return levels.map(lambda lev: order.index(lev) <= top)


def noninvariance_text(freed: pd.DataFrame, level: str = "scalar",
                       assessment: InvarianceAssessment | None = None) -> str:
    """The parameters released by the score tests, with the group that deviates.

    With an ``assessment`` whose status is not "supported", the sentence says the score
    tests are descriptive only (they test constraints of a model that is not acceptable).
    """
    caveat = ""
    if assessment is not None and assessment.status != "supported":
        caveat = (f"Invariance is {assessment.status}, so these score tests only describe where the groups differ "
                  "most; they do not establish partial invariance. ")
    if freed.empty:
        return (f"{caveat}No equality constraint of the {level} model is significantly violated by the score tests "
                "(Bonferroni-corrected).")
    items = [f"{r.parameter} (deviating group {r.deviating_group}; score test chi-square "
             f"{format_number(r.x2)}, {format_p(r.pvalue)})" for r in freed.itertuples()]
    return (f"{caveat}The score tests released {len(freed)} equality constraint(s) of the {level} model: "
            + "; ".join(items) + ".")


# ------------------------------------------------------------------ latent means
@dataclass(frozen=True)
class MeansDecision:
    """Which latent means may be compared, and why (not)."""

    factors: list[str]
    reason: str
    table: pd.DataFrame


def latent_mean_decision(assessment: InvarianceAssessment, located: dict, sequence) -> MeansDecision:
    """Latent means of the factors the (partial) scalar model can defend, and the reason.

    Parameters
    ----------
    assessment : InvarianceAssessment
    located : dict
        :func:`sqlib.invariance.locate_noninvariance` at the scalar level.
    sequence : InvarianceResult
        Needs the metric model (the partial scalar model is compared with it).

    Returns
    -------
    MeansDecision
        ``table`` is :func:`sqlib.invariance.latent_means` of the partial scalar model,
        keeping only ``factors`` (empty when none can be compared).
    """
    empty = latent_means(located["result"]).iloc[0:0]
    if assessment.status != "supported":
        return MeansDecision([], f"Latent means are not compared: invariance is {assessment.status}.", empty)
    if assessment.highest_level == "configural" or "metric" not in sequence.fits:
        return MeansDecision([], "Latent means are not compared: metric invariance (equal loadings) is not "
                                 "supported, so the factors do not share a unit across groups.", empty)
    metric = fit_table({"metric": sequence.fits["metric"]}).iloc[0]
    partial = fit_table({"partial": located["result"]}).iloc[0]
    d_cfi, d_rmsea = partial["cfi"] - metric["cfi"], partial["rmsea"] - metric["rmsea"]
    cut = sequence.cutoffs
    change = (f"delta CFI {format_number(d_cfi, 'fit')}, delta RMSEA {format_number(d_rmsea, 'fit')} "
              "against the metric model")
    if d_cfi <= cut["delta_cfi"] and d_rmsea >= cut["delta_rmsea"]:
        return MeansDecision([], f"Latent means are not compared: even the partial scalar model fits worse than "
                                 f"the metric model ({change}).", empty)
    anchors = _anchored_factors(located)
    factors = [f for f, n in anchors.items() if n >= 2]
    lacking = [f"{f} ({n})" for f, n in anchors.items() if n < 2]
    freed = ", ".join(located["partial"]) or "none"
    reason = (f"The partial scalar model (released: {freed}; {change}) supports comparing latent means of "
              + (_and(factors) if factors else "no factor"))
    if lacking:
        reason += ("; not of " + _and(lacking) + ", which keep(s) fewer than two items with equal loadings and "
                   "intercepts (the number in brackets)")
    table = latent_means(located["result"])
    return MeansDecision(factors, reason + ".", table[table["factor"].isin(factors)].reset_index(drop=True))


def _anchored_factors(located: dict) -> dict[str, int]:
    """Factor -> number of its items whose loading and intercept are both still equal."""
    est = located["result"].estimates
    loadings = est[(est["op"] == "=~") & (est["group"] == 1)]
    released = set(located["partial"])
    out = {}
    for factor, rows in loadings.groupby("lhs", sort=False):
        out[factor] = sum(f"{factor}=~{item}" not in released and f"{item}~1" not in released
                          for item in rows["rhs"])
    return out


def latent_means_text(decision: MeansDecision, reference: str) -> str:
    """The largest latent mean difference from the table, or why none is compared."""
    if decision.table.empty:
        return decision.reason
    table = decision.table
    moved = table[table["pvalue"] < 0.05].sort_values("d", key=abs, ascending=False)
    if moved.empty:
        return (f"{decision.reason} No latent mean differs significantly from the reference group {reference} "
                f"(p < .05; {len(table)} comparisons, not adjusted).")
    return (f"{decision.reason} Latent means that differ from the reference group {reference} (p < .05, not "
            f"adjusted for the {len(table)} comparisons): " + "; ".join(
                f"{r.factor} in group {r.group_label} (mean difference {format_number(r.mean_diff)}, "
                f"d = {format_number(r.d)}, {format_p(r.pvalue)})" for r in moved.itertuples()) + ".")


# ------------------------------------------------------------------ summary
def summary(assessment: InvarianceAssessment, groups: str, freed: pd.DataFrame | None = None,
            means: MeansDecision | None = None, reference: str | None = None) -> str:
    """The executive summary of notebook 04 (Markdown).

    Parameters
    ----------
    assessment : InvarianceAssessment
    groups : str
        :func:`groups_text`.
    freed : DataFrame, optional
        ``locate_noninvariance(...)["freed"]``; reported only when invariance is supported.
    means : MeansDecision, optional
    reference : str, optional
        The reference group of the latent means.
    """
    parts = [groups, sequence_text(assessment)]
    if assessment.status == "supported" and freed is not None:
        parts.append(noninvariance_text(freed))
    if means is not None:
        parts.append(latent_means_text(means, reference or ""))
    return " ".join(parts)


def _and(words: list[str]) -> str:
    words = [str(w) for w in words]
    if len(words) <= 1:
        return "".join(words)
    return ", ".join(words[:-1]) + " and " + words[-1]
