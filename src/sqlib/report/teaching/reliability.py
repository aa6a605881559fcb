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


def summary_text(alphas: pd.DataFrame, construct_table: pd.DataFrame, validity: pd.DataFrame) -> str:
    """The notebook's conclusion, with the interval of every value it names.

    When ``validity`` has bootstrap columns ``ci_lower``/``ci_upper`` of the HTMT2, a pair passes
    HTMT2 when the upper bound is below 0.85; otherwise by its point estimate.
    """
    low, high = alphas.loc[alphas["alpha"].idxmin()], alphas.loc[alphas["alpha"].idxmax()]
    htmt_ok = validity["ci_upper"] < 0.85 if "ci_upper" in validity else validity["htmt_ok"]
    passed = (validity["fl_ok"] & htmt_ok).sum()
    htmt_rule = "upper bound of the HTMT2 interval below 0.85" if "ci_upper" in validity else "HTMT2 below 0.85"
    ave_ok = (construct_table["ave"] >= 0.5).all()
    return (f"Cronbach's alpha ranges from {low['alpha']:.2f} ({low['construct']}, 95% CI {low['ci_lower']:.2f} to "
            f"{low['ci_upper']:.2f}) to {high['alpha']:.2f} ({high['construct']}, 95% CI {high['ci_lower']:.2f} to "
            f"{high['ci_upper']:.2f}) and omega from {construct_table['omega'].min():.2f} to "
            f"{construct_table['omega'].max():.2f}; every AVE is {'at least' if ave_ok else 'not always above'} 0.50 "
            f"as a point estimate. {passed} of {len(validity)} construct pairs pass both the Fornell-Larcker criterion "
            f"and the HTMT2 criterion ({htmt_rule}).")


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
