"""Checkers and sentences of T3 (reliability and validity)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from sqlib.analysis.reliability import construct_reliability, cronbach_alpha, htmt, item_analysis
from sqlib.sem.result import SEMResult
from sqlib.survey.simulate import sample_population

from .grading import Feedback, expect_close, expect_equal, require_answers


def composite_reliability(loadings) -> float:
    """``(sum l)^2 / ((sum l)^2 + sum(1 - l^2))`` of standardized loadings."""
    values = np.asarray(loadings, dtype=float)
    return float(values.sum() ** 2 / (values.sum() ** 2 + (1 - values ** 2).sum()))


def dropped_text(result: SEMResult, data: pd.DataFrame) -> str:
    """How many respondents the listwise CFA left out, and what that means."""
    return (f"The CFA uses the {result.ntotal} of {len(data)} respondents who answered every item of the model; "
            f"{result.n_dropped} with at least one missing answer are left out (listwise deletion). The omega, CR "
            "and AVE below describe those respondents.")


def interval_text(intervals: pd.DataFrame, result: SEMResult) -> str:
    """How the omega and AVE intervals of :func:`reliability_bootstrap` were computed: draws, refits, type."""
    draws, level = intervals.attrs["draws"], intervals.attrs.get("level", 0.95)
    kind = "percentile" if intervals.attrs.get("ci", "percentile") == "percentile" else "bias-corrected percentile"
    failed = int(intervals["draws_failed"].max())
    used = f"all {draws} refits converged" if failed == 0 else f"{failed} of the {draws} refits failed and are left out"
    tail = (1 - level) / 2 * 100
    return (f"The CFA was refitted on {draws} bootstrap resamples of its {result.ntotal} respondents ({used}). "
            f"The intervals are {level:.0%} {kind} intervals: the {tail:g}th and {100 - tail:g}th percentiles of "
            "omega and AVE over the refits; se is the standard deviation of the refits.")


def _omega_range(construct_table: pd.DataFrame, intervals: pd.DataFrame | None) -> str:
    if intervals is None:
        return f"omega from {construct_table['omega'].min():.2f} to {construct_table['omega'].max():.2f}"
    omega = intervals[intervals["statistic"] == "omega"]
    low, high = omega.loc[omega["estimate"].idxmin()], omega.loc[omega["estimate"].idxmax()]
    level = f"{intervals.attrs.get('level', 0.95):.0%}"
    return (f"omega from {low['estimate']:.2f} ({low['construct']}, {level} bootstrap CI {low['ci_lower']:.2f} to "
            f"{low['ci_upper']:.2f}) to {high['estimate']:.2f} ({high['construct']}, {level} bootstrap CI "
            f"{high['ci_lower']:.2f} to {high['ci_upper']:.2f})")


def _below_half(value: float) -> str:
    """A value below 0.5 with enough decimals (at least 3) that it does not print as 0.500."""
    decimals = next((d for d in range(3, 9) if round(value, d) < 0.5), 9)
    return f"{value:.{decimals}f}"


def _ave_clause(construct_table: pd.DataFrame, intervals: pd.DataFrame | None) -> str:
    ave_ok = (construct_table["ave"] >= 0.5).all()
    text = f"every AVE is {'at least' if ave_ok else 'not always above'} 0.50 as a point estimate"
    if intervals is None:
        return text
    ave = intervals[intervals["statistic"] == "ave"]
    reach = ave[ave["ci_lower"] < 0.5]
    if reach.empty:
        return text + ", and every AVE interval lies above 0.50"
    listed = ", ".join(f"{r['construct']} {_below_half(r['ci_lower'])} to {r['ci_upper']:.3f}"
                       for _, r in reach.iterrows())
    return (text + f"; the interval of {len(reach)} of {len(ave)} constructs reaches below 0.50 ({listed}), so their "
            "convergent validity is not established beyond sampling error")


def summary_text(alphas: pd.DataFrame, construct_table: pd.DataFrame, validity: pd.DataFrame,
                 intervals: pd.DataFrame | None = None) -> str:
    """The notebook's conclusion, with the interval of every value it names.

    When ``validity`` has bootstrap columns ``ci_lower``/``ci_upper`` of the HTMT2, a pair passes
    HTMT2 when the upper bound is below 0.85; otherwise by its point estimate. ``intervals``
    (from :func:`sqlib.analysis.reliability_bootstrap.reliability_bootstrap`) adds the omega
    intervals and names the constructs whose AVE interval reaches below 0.50.
    """
    low, high = alphas.loc[alphas["alpha"].idxmin()], alphas.loc[alphas["alpha"].idxmax()]
    htmt_ok = validity["ci_upper"] < 0.85 if "ci_upper" in validity else validity["htmt_ok"]
    passed = (validity["fl_ok"] & htmt_ok).sum()
    htmt_rule = "upper bound of the HTMT2 interval below 0.85" if "ci_upper" in validity else "HTMT2 below 0.85"
    return (f"Cronbach's alpha ranges from {low['alpha']:.2f} ({low['construct']}, 95% CI {low['ci_lower']:.2f} to "
            f"{low['ci_upper']:.2f}) to {high['alpha']:.2f} ({high['construct']}, 95% CI {high['ci_lower']:.2f} to "
            f"{high['ci_upper']:.2f}) and {_omega_range(construct_table, intervals)}; "
            f"{_ave_clause(construct_table, intervals)}. {passed} of {len(validity)} construct pairs pass both the "
            f"Fornell-Larcker criterion and the HTMT2 criterion ({htmt_rule}).")


def check_exercise_1(data: pd.DataFrame, items: list[str], *, alpha_by_hand) -> Feedback:
    """Exercise 1: alpha of ``items`` from their covariance matrix."""
    exercise = "T3 exercise 1"
    require_answers(exercise, alpha_by_hand=alpha_by_hand)
    expected = cronbach_alpha(data, items)["alpha"].item()
    cov = data[items].dropna().cov().to_numpy()
    k = len(items)
    expect_close(exercise, "alpha_by_hand", alpha_by_hand, expected, 1e-6,
                 "alpha = k / (k - 1) * (1 - trace(C) / sum of all entries of C), C the covariance matrix of the "
                 "complete rows.",
                 known_mistakes={"the formula without the k / (k - 1) factor": 1 - np.trace(cov) / cov.sum()})
    return Feedback(exercise, f"alpha = {expected:.4f}, as cronbach_alpha computes it.")


def check_exercise_2(cfa: SEMResult, construct: str, *, cr_estimated, cr_true) -> Feedback:
    """Exercise 2: composite reliability of ``construct`` from the estimated and the true loadings."""
    exercise = "T3 exercise 2"
    require_answers(exercise, cr_estimated=cr_estimated, cr_true=cr_true)
    table = construct_reliability(cfa).set_index("construct")
    expected = table.loc[construct, "composite_reliability"]
    std = cfa.standardized_solution().query(f"op == '=~' and lhs == '{construct}'")
    unstandardized = cfa.estimates.query(f"op == '=~' and lhs == '{construct}'")["est"]
    expect_close(exercise, "cr_estimated", cr_estimated, expected, 1e-6,
                 "Use the standardized loadings (est_std) in the CR formula.",
                 known_mistakes={"CR from unstandardized loadings": composite_reliability(unstandardized)})
    loadings = sample_population().loadings
    truth = composite_reliability([loadings[(construct, item)] for item in std["rhs"]])
    expect_close(exercise, "cr_true", cr_true, truth, 1e-6,
                 "Apply the same formula to sample_population().loadings of the same items.")
    return Feedback(exercise, f"estimated CR {expected:.3f}, true CR {truth:.3f}; difference "
                              f"{expected - truth:+.3f}.")


def check_exercise_3(data: pd.DataFrame, cfa: SEMResult, pair: tuple[str, str], *, htmt2_by_hand,
                     passes_085) -> Feedback:
    """Exercise 3: the HTMT2 of ``pair`` by hand, and whether it passes 0.85."""
    exercise = "T3 exercise 3"
    require_answers(exercise, htmt2_by_hand=htmt2_by_hand, passes_085=passes_085)
    first, second = pair
    loadings = cfa.estimates.query("op == '=~' and group == 1")
    blocks = {name: loadings.loc[loadings["lhs"] == name, "rhs"].tolist() for name in pair}
    expected = htmt(data, cfa).loc[first, second]
    complete = data[cfa.observed].dropna()
    corr = complete[blocks[first] + blocks[second]].corr().abs()
    upper = np.triu_indices(len(blocks[first]), 1), np.triu_indices(len(blocks[second]), 1)
    arithmetic = corr.loc[blocks[first], blocks[second]].to_numpy().mean() / np.sqrt(
        corr.loc[blocks[first], blocks[first]].to_numpy()[upper[0]].mean()
        * corr.loc[blocks[second], blocks[second]].to_numpy()[upper[1]].mean())
    expect_close(exercise, "htmt2_by_hand", htmt2_by_hand, expected, 1e-6,
                 "Geometric means (scipy.stats.gmean) of the absolute correlations, on the rows of cfa.observed "
                 "without missing answers.",
                 known_mistakes={"the original HTMT with arithmetic means, not HTMT2": arithmetic})
    expect_equal(exercise, "passes_085", passes_085, bool(expected < 0.85),
                 "A pair passes when its HTMT2 is below 0.85.")
    return Feedback(exercise, f"HTMT2({first}, {second}) = {expected:.4f} (original HTMT with arithmetic means "
                              f"{arithmetic:.4f}).")


def check_exercise_4(data: pd.DataFrame, items: list[str], intruder: str, *, alpha_without, alpha_with) -> Feedback:
    """Exercise 4: alpha with and without the intruder item on the same respondents."""
    exercise = "T3 exercise 4"
    require_answers(exercise, alpha_without=alpha_without, alpha_with=alpha_with)
    same_rows = data.dropna(subset=items + [intruder])
    without = cronbach_alpha(same_rows, items)["alpha"].item()
    with_intruder = cronbach_alpha(same_rows, items + [intruder])["alpha"].item()
    all_rows = cronbach_alpha(data, items)["alpha"].item()
    expect_close(exercise, "alpha_without", alpha_without, without, 1e-6,
                 f"Compute it on the respondents who answered all items including {intruder}.",
                 known_mistakes={f"alpha on every respondent who answered the items without {intruder}": all_rows})
    expect_close(exercise, "alpha_with", alpha_with, with_intruder, 1e-6, "Alpha of all the items together.")
    deleted = item_analysis(data, items + [intruder]).set_index("item").loc[intruder, "alpha_if_deleted"]
    return Feedback(exercise, f"alpha {with_intruder:.3f} with {intruder}, {without:.3f} without; item_analysis "
                              f"reports {deleted:.3f} as {intruder}'s alpha if deleted.")
