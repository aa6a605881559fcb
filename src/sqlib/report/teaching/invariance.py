"""Checkers and sentences of T6 (measurement invariance across countries)."""

from __future__ import annotations

import pandas as pd
from scipy import stats

from sqlib.sem.compare import compare
from sqlib.survey.simulate import sample_population

from sqlib.core.formatting import format_p

from .grading import Feedback, expect_close, expect_equal, require_answers

#: Chen's (2007) fit-change criteria as the project reads them (a joint CFI-and-RMSEA rule; Chen also gives SRMR
#: criteria, a rise of .030 for loadings and .010 for intercepts).
CHEN_CFI_DROP = 0.010
CHEN_RMSEA_RISE = 0.015


def step_text(table: pd.DataFrame, level: str) -> str:
    """What the chi-square difference and the fit changes say about one step, naming every signal."""
    row = table.set_index("level").loc[level]
    signals = []
    if row["delta_pvalue"] < 0.05:
        signals.append(f"the chi-square difference is significant (delta chi-square({int(row['delta_df'])}) = "
                       f"{row['delta_chisq']:.2f}, {format_p(row['delta_pvalue'])})")
    if -row["delta_cfi"] >= CHEN_CFI_DROP:
        signals.append(f"CFI drops by {-row['delta_cfi']:.3f} (criterion {CHEN_CFI_DROP:.3f})")
    if row["delta_rmsea"] >= CHEN_RMSEA_RISE:
        signals.append(f"RMSEA rises by {row['delta_rmsea']:.3f} (criterion {CHEN_RMSEA_RISE:.3f})")
    if not signals:
        return (f"The {level} step shows no sign of non-invariance (delta chi-square {format_p(row['delta_pvalue'])}, "
                f"delta CFI {row['delta_cfi']:+.3f}, delta RMSEA {row['delta_rmsea']:+.3f}).")
    verdict = ("The joint CFI-and-RMSEA rule is not met, so the step passes that rule, but with these signals it is "
               "contested, not clearly acceptable: inspect the constrained parameters before relying on it."
               if not (-row["delta_cfi"] >= CHEN_CFI_DROP and row["delta_rmsea"] >= CHEN_RMSEA_RISE)
               else "Both fit-change criteria are met: the step is rejected.")
    return f"At the {level} step " + "; ".join(signals) + ". " + verdict


def loading_tests_text(search: dict, alpha: float = 0.05) -> str:
    """The score tests of the loading constraints (a metric-level ``locate_noninvariance`` search), read against
    their Bonferroni threshold."""
    tests = search["steps"][0]
    top = tests.iloc[0]
    threshold = alpha / len(tests)
    name = f"{top['lhs']} {top['op']} {top['rhs']} in {top['group_label']}"
    text = (f"Of the {len(tests)} loading constraints of the metric model, the largest score test is {name} "
            f"(chi-square(1) = {top['x2']:.2f}, {format_p(top['pvalue'])}), against a Bonferroni threshold of "
            f"{alpha} / {len(tests)} = {threshold:.4f}. ")
    if search["partial"]:
        return text + f"The search releases {', '.join(search['partial'])}: those loadings differ between groups."
    return (text + "No loading constraint is significant at that level: the contested metric step points at no "
            "single loading, so relations and means can be compared with equal loadings.")


def partial_scalar_table(sequence, partial_result) -> pd.DataFrame:
    """The invariance table with the partial scalar model added, tested against the metric model."""
    table = sequence.table
    metric = sequence.fits["metric"]
    both = compare(metric, partial_result, names=["metric", "partial scalar"])
    before, after = both.iloc[0], both.iloc[1]
    row = {"level": "partial scalar", "npar": after["npar"], "chisq": after["chisq"], "df": after["df"],
           "pvalue": after["pvalue"], "cfi": after["cfi"], "tli": after["tli"], "rmsea": after["rmsea"],
           "srmr": after["srmr"], "delta_chisq": after["delta_chisq"], "delta_df": after["delta_df"],
           "delta_pvalue": after["delta_pvalue"], "delta_cfi": after["cfi"] - before["cfi"],
           "delta_rmsea": after["rmsea"] - before["rmsea"], "delta_srmr": after["srmr"] - before["srmr"]}
    return pd.concat([table, pd.DataFrame([row])], ignore_index=True)


def reference_group_text(result, group_column: str) -> str:
    """Which group is the reference of the latent means, and why (lavaan's rule)."""
    levels = list(result.group_levels)
    return (f"The reference group is {levels[0]}: the first {group_column} to appear in the data (lavaan's rule; the "
            f"groups in order of appearance are {', '.join(map(str, levels))}). Its latent means are fixed at 0.")


def summary_text(sequence, found: dict, partial_means: pd.DataFrame, group_column: str, constructs: list[str]) -> str:
    """The notebook's conclusion."""
    largest = partial_means.loc[partial_means["d"].abs().idxmax()]
    freed = ", ".join(found["partial"]) or "no parameter"
    return (f"Across {group_column}, the fit-change rule supports {sequence.highest_level} invariance for the "
            f"{' and '.join(constructs)} items, with the reservations above; score tests, used as an exploratory "
            f"search, locate {freed} as non-invariant. In the partial scalar model the largest latent mean "
            f"difference is {largest['factor']} in {largest['group_label']} (d = {largest['d']:.2f}, p = "
            f"{largest['pvalue']:.3f}) relative to {found['result'].group_levels[0]}.")


def check_exercise_1(sequence, *, free_loadings, metric_delta_df) -> Feedback:
    """Exercise 1: free loadings per group and the metric step's extra degrees of freedom."""
    exercise = "T6 exercise 1"
    require_answers(exercise, free_loadings=free_loadings, metric_delta_df=metric_delta_df)
    configural = sequence.fits["configural"]
    loadings = configural.estimates.query("op == '=~' and group == 1")
    free = int((loadings["se"] > 0).sum())
    groups = len(configural.group_levels)
    expect_equal(exercise, "free_loadings", free_loadings, free,
                 "Count the loadings of group 1 with a standard error; the first of each factor is fixed to 1.")
    expect_equal(exercise, "metric_delta_df", metric_delta_df, free * (groups - 1),
                 f"Each free loading is held equal in each of the other {groups - 1} groups.")
    return Feedback(exercise, f"{free} free loadings in each of {groups} groups: {free * (groups - 1)} extra degrees "
                              "of freedom.")


def check_exercise_2(sequence, *, metric_delta_chisq, metric_pvalue, scalar_delta_chisq, scalar_pvalue) -> Feedback:
    """Exercise 2: chi-square difference tests of the metric and scalar steps by hand."""
    exercise = "T6 exercise 2"
    require_answers(exercise, metric_delta_chisq=metric_delta_chisq, metric_pvalue=metric_pvalue,
                    scalar_delta_chisq=scalar_delta_chisq, scalar_pvalue=scalar_pvalue)
    table = sequence.table.set_index("level")
    answers = {"metric": (metric_delta_chisq, metric_pvalue, "configural"),
               "scalar": (scalar_delta_chisq, scalar_pvalue, "metric")}
    for level, (chisq, pvalue, previous) in answers.items():
        delta = table.loc[level, "chisq"] - table.loc[previous, "chisq"]
        df = table.loc[level, "df"] - table.loc[previous, "df"]
        expect_close(exercise, f"{level}_delta_chisq", chisq, delta, 1e-6,
                     f"chisq of {level} minus chisq of {previous}.")
        expected_p = stats.chi2.sf(delta, df)
        expect_close(exercise, f"{level}_pvalue", pvalue, expected_p, 1e-9 + 1e-4 * expected_p,
                     f"scipy.stats.chi2.sf(delta chi-square, delta df) with df = {df:.0f}.",
                     known_mistakes={"the cumulative probability (cdf), not the upper tail": stats.chi2.cdf(delta, df)})
    return Feedback(exercise, "both chi-square difference tests reproduced. " + step_text(sequence.table, "metric"))


def check_exercise_3(*, freed_parameter, deviating_group) -> Feedback:
    """Exercise 3: the planted non-invariant intercept (from the simulation truth)."""
    exercise = "T6 exercise 3"
    require_answers(exercise, freed_parameter=freed_parameter, deviating_group=deviating_group)
    (group, item), = sample_population().noninvariant_intercepts  # one planted (group, item) key
    expect_equal(exercise, "freed_parameter", freed_parameter, f"{item}~1",
                 "Write the planted item's intercept as '<item>~1' (lavaan's notation for an intercept).")
    expect_equal(exercise, "deviating_group", deviating_group, group,
                 "The group key of sample_population().noninvariant_intercepts.")
    return Feedback(exercise, f"the planted intercept is {item}~1 in {group}.")


def check_exercise_4(partial_means: pd.DataFrame, full_means: pd.DataFrame, *, responsiveness_change,
                     assurance_change) -> Feedback:
    """Exercise 4: how much the latent mean differences move when the faulty intercept is forced equal."""
    exercise = "T6 exercise 4"
    require_answers(exercise, responsiveness_change=responsiveness_change, assurance_change=assurance_change)
    both = partial_means.merge(full_means, on=["factor", "group_label"], suffixes=("_partial", "_full"))
    change = (both["mean_diff_full"] - both["mean_diff_partial"]).groupby(both["factor"]).mean()
    hint = "mean over the non-reference groups of (mean_diff in the full scalar model - mean_diff in the partial one)."
    expect_close(exercise, "responsiveness_change", responsiveness_change, change["responsiveness"], 1e-6, hint,
                 known_mistakes={"partial minus full": -change["responsiveness"]})
    expect_close(exercise, "assurance_change", assurance_change, change["assurance"], 1e-6, hint,
                 known_mistakes={"partial minus full": -change["assurance"]})
    return Feedback(exercise, f"forcing the faulty intercept equal moves responsiveness by "
                              f"{change['responsiveness']:+.3f} and assurance by {change['assurance']:+.3f}.")
