"""Checkers and sentences of T1 (the SERVQUAL dimensions and gap scores)."""

from __future__ import annotations

import pandas as pd
from scipy import stats

from sqlib.analysis.gaps import gap_scores, gap_table
from sqlib.survey.simulate import expectation_factor, sample_population

from sqlib.core.formatting import format_p

from .grading import Feedback, WrongAnswer, expect_close, expect_equal, expect_values, require_answers


def share_met_text(gaps: pd.Series, item: str) -> str:
    """The share of respondents whose expectation on ``item`` was met or exceeded (gap >= 0)."""
    answered = gaps.dropna()
    return (f"{(answered >= 0).mean():.0%} of the {len(answered)} respondents who answered both {item} questions "
            "had their expectation met or exceeded.")


def item_difference_test(with_gaps: pd.DataFrame, first: str, second: str):
    """Paired t-test of two items' gaps, over the respondents with both gaps (``gap_<item>`` columns)."""
    both = with_gaps[[f"gap_{first}", f"gap_{second}"]].dropna()
    return stats.ttest_rel(both[f"gap_{first}"], both[f"gap_{second}"]), len(both)


def summary_text(dimension_gaps: pd.DataFrame, item_gaps: pd.DataFrame, with_gaps: pd.DataFrame) -> str:
    """The notebook's conclusion: which dimension and items fall furthest short, and whether the top two items
    can be ranked (a paired test of their gaps)."""
    worst = dimension_gaps.loc[dimension_gaps["mean_gap"].idxmin()]
    first, second = item_gaps.nsmallest(2, "mean_gap").to_dict("records")
    test, n = item_difference_test(with_gaps, first["item"], second["item"])
    below = (dimension_gaps["ci_upper"] < 0).sum()
    ranked = ("so the data rank them" if test.pvalue < 0.05 else "so the data do not tell them apart")
    return (f"{below} of {len(dimension_gaps)} dimensions fall short of expectations (95% interval below zero); the "
            f"largest shortfall is {worst['dimension']} (mean gap {worst['mean_gap']:.2f}, 95% CI "
            f"{worst['ci_lower']:.2f} to {worst['ci_upper']:.2f}, d_z {worst['cohens_dz']:.2f}). The item with the "
            f"largest point estimate of a shortfall is {first['item']} (mean gap {first['mean_gap']:.2f}), just ahead "
            f"of {second['item']} ({second['mean_gap']:.2f}); a paired t-test of their gaps gives t({n - 1}) = "
            f"{test.statistic:.2f}, {format_p(test.pvalue)}, {ranked}. Both are candidates for improvement, to be "
            "weighed with how much each matters to customers and to satisfaction (T5), which a gap cannot show.")


def check_exercise_1(data: pd.DataFrame, codebook, *, own_gaps, largest_shortfall) -> Feedback:
    """Exercise 1: dimension gaps by hand (``own_gaps``) and the dimension that falls furthest short."""
    exercise = "T1 exercise 1"
    require_answers(exercise, own_gaps=own_gaps, largest_shortfall=largest_shortfall)
    expected = gap_table(data, codebook, level="dimension").set_index("dimension")["mean_gap"]
    expect_values(exercise, "own_gaps", own_gaps, expected, 1e-6,
                  "Average each respondent's P - E differences over the dimension's items, then over respondents.",
                  known_mistakes={"expectation minus perception (E - P)": -expected})
    expect_equal(exercise, "largest_shortfall", largest_shortfall, expected.idxmin(),
                 "The largest shortfall is the most negative mean gap.")
    truth = pd.Series({d: sample_population().factor_means[expectation_factor(d)] for d in expected.index})
    relation = "also" if truth.idxmax() == expected.idxmin() else "not"
    return Feedback(exercise, f"{expected.idxmin()} falls furthest short (mean gap {expected.min():.2f}); it is "
                              f"{relation} the dimension with the highest simulated expectations ({truth.idxmax()}).")


def reliability_averages(data: pd.DataFrame, codebook, dimension: str = "reliability") -> tuple[pd.Series, pd.Series]:
    """Each respondent's mean perception and mean expectation over the items answered on both scales."""
    items = codebook.items_of(dimension)
    perception = data[items]
    expectation = data[[codebook.expectations[i] for i in items]].set_axis(items, axis=1)
    both = perception.notna() & expectation.notna()
    answered = both.any(axis=1)
    return perception.where(both).mean(axis=1)[answered], expectation.where(both).mean(axis=1)[answered]


def check_exercise_2(data: pd.DataFrame, codebook, *, t_statistic, p_value, n_pairs) -> Feedback:
    """Exercise 2: the paired t-test of the reliability gap."""
    exercise = "T1 exercise 2"
    require_answers(exercise, t_statistic=t_statistic, p_value=p_value, n_pairs=n_pairs)
    mean_p, mean_e = reliability_averages(data, codebook)
    test = stats.ttest_rel(mean_p, mean_e)
    independent = stats.ttest_ind(mean_p, mean_e)
    items = codebook.items_of("reliability")
    unrestricted_p = data[items].mean(axis=1)
    unrestricted_e = data[[codebook.expectations[i] for i in items]].mean(axis=1)
    unrestricted = stats.ttest_rel(unrestricted_p, unrestricted_e, nan_policy="omit")
    unrestricted_n = int((unrestricted_p.notna() & unrestricted_e.notna()).sum())
    all_rows = stats.ttest_ind(unrestricted_p, unrestricted_e, nan_policy="omit")
    restriction = ("Average only the items a respondent answered on both scales (perception and expectation): "
                   "mask both with perception.notna() & expectation.notna() before averaging.")
    if n_pairs != len(mean_p) and n_pairs == unrestricted_n:
        raise WrongAnswer(f"{exercise}: n_pairs = {n_pairs!r} is {'too high' if n_pairs > len(mean_p) else 'too low'}. "
                          f"{restriction}")
    expect_equal(exercise, "n_pairs", n_pairs, len(mean_p),
                 "Count the respondents with at least one reliability item answered on both scales.")
    expect_close(exercise, "t_statistic", t_statistic, test.statistic, 1e-4,
                 "Use scipy.stats.ttest_rel(perceptions, expectations) on the per-respondent averages.",
                 known_mistakes={"an independent-samples t-test (ttest_ind): the same people answered both":
                                 independent.statistic,
                                 "an independent-samples t-test (ttest_ind) on all respondents: the same people "
                                 "answered both, so the test must be paired": all_rows.statistic,
                                 "a paired test on averages over all answered items. " + restriction:
                                 unrestricted.statistic,
                                 "expectations minus perceptions: the sign is reversed": -test.statistic},
                 mistake_rtol=0.01)
    expect_close(exercise, "p_value", p_value, test.pvalue, 1e-6 + 1e-3 * test.pvalue,
                 "Take the two-sided p-value of the same test.")
    return Feedback(exercise, f"t({len(mean_p) - 1}) = {test.statistic:.2f}, {format_p(test.pvalue)}: "
                              "the reliability gap differs from zero.")


def check_exercise_3(data: pd.DataFrame, codebook, *, empathy_gap_by_country, largest_empathy_shortfall) -> Feedback:
    """Exercise 3: the empathy gap per country and the country where it is most negative."""
    exercise = "T1 exercise 3"
    require_answers(exercise, empathy_gap_by_country=empathy_gap_by_country,
                    largest_empathy_shortfall=largest_empathy_shortfall)
    group = codebook.group_column
    with_gaps = gap_scores(data, codebook)
    per_respondent = with_gaps[["gap_" + item for item in codebook.items_of("empathy")]].mean(axis=1)
    expected = per_respondent.groupby(data[group]).mean()
    expect_values(exercise, "empathy_gap_by_country", empathy_gap_by_country, expected, 1e-6,
                  f"Average the gap_emp columns per respondent, then per {group} with groupby.",
                  known_mistakes={"perception means instead of gaps": data[codebook.items_of("empathy")]
                                  .mean(axis=1).groupby(data[group]).mean()})
    expect_equal(exercise, "largest_empathy_shortfall", largest_empathy_shortfall, expected.idxmin(),
                 "The largest shortfall is the most negative gap.")
    shifts = sample_population().group_shifts
    relative = pd.Series({g: shifts.get(g, {}).get("empathy", 0.0) - shifts.get(g, {}).get("e_empathy", 0.0)
                          for g in expected.index})
    relation = "as" if relative.idxmin() == expected.idxmin() else "not as"
    return Feedback(exercise, f"{expected.idxmin()} has the largest empathy shortfall ({expected.min():.2f}), "
                              f"{relation} the simulation's group shifts intended.")
