"""Checkers and sentences of T7 (what real data bring: ordinal answers, missing answers, paths that differ
across groups, and PLS-SEM next to CB-SEM).

Every comparison with the truth is made over a small Monte Carlo experiment, and every sentence states the
experiment's own uncertainty: a bias counts as real only when it lies more than two Monte Carlo standard errors
from zero.

Two Monte Carlo standard errors are used, for two different averages over ``R`` replications:

* of **one parameter's** bias (:func:`parameter_bias`, the tables): the SD of that parameter's estimates over
  the replications divided by ``sqrt(R)``;
* of the **average bias over several parameters** (:func:`method_bias`, the sentences and the exercises): the
  parameters of one replication share its data, so their errors are averaged within each replication first,
  and the SD of those ``R`` replication averages is divided by ``sqrt(R)``.
"""

from __future__ import annotations

import dataclasses
import re

import numpy as np
import pandas as pd
from scipy import stats

from sqlib.core.formatting import format_p
from sqlib.sem.result import SEMResult
from sqlib.survey.simulate import PopulationModel

from .grading import Feedback, WrongAnswer, expect_close, expect_equal, require_answers

#: A bias counts as real when it lies more than this many Monte Carlo standard errors from zero.
MC_SE_BAND = 2.0
#: The latent-response thresholds of section 1 run evenly from LOWEST_THRESHOLD to HIGHEST_THRESHOLD, so the
#: answers are skewed to the upper half of the scale.
LOWEST_THRESHOLD, HIGHEST_THRESHOLD = -1.5, 0.5
#: Wording that accepts the null hypothesis of equal paths (exercise 3).
ACCEPTS_THE_NULL = re.compile(r"\bequal\b|\bsame\b|\bidentical\b|no difference|not differ|do not vary|"
                              r"does not vary|\bconfirm", re.I)


# --------------------------------------------------------------------------- the populations
def ordinal_population(population: PopulationModel, categories: int) -> PopulationModel:
    """``population`` answered on ``categories`` categories (1 to ``categories``), every item cut at the same
    thresholds, evenly spaced from :data:`LOWEST_THRESHOLD` to :data:`HIGHEST_THRESHOLD` (skewed answers)."""
    thresholds = tuple(np.linspace(LOWEST_THRESHOLD, HIGHEST_THRESHOLD, categories - 1))
    return dataclasses.replace(population, scale_min=1, scale_max=categories,
                               thresholds={item: thresholds for item in population.items})


def category_shares(data: pd.DataFrame, items: list[str]) -> pd.DataFrame:
    """The share of each answer category per item: one row per item, one integer-labelled column per category."""
    long = data[items].melt(var_name="item", value_name="answer").dropna()
    table = pd.crosstab(long["item"], long["answer"].astype(int), normalize="index").reindex(items)
    table.columns = [int(c) for c in table.columns]
    return table.rename_axis(index="item", columns=None).reset_index()


def with_break_offs(data: pd.DataFrame, items: list[str], share: float, seed: int) -> pd.DataFrame:
    """``data`` with every answer on ``items`` removed for a random ``share`` of respondents (rounded).

    They stand for respondents who opened the survey and broke off before the model's questions: they keep
    their other columns (id, country) but answered none of ``items``, so even FIML cannot use them.
    """
    rng = np.random.default_rng(seed)
    out = data.copy()
    who = rng.choice(len(out), size=int(round(share * len(out))), replace=False)
    out.loc[out.index[np.sort(who)], items] = np.nan
    return out


# --------------------------------------------------------------------------- the truth
def latent_means(population: PopulationModel) -> dict[str, float]:
    """Every factor's mean (a single group, wave 1): baseline means, propagated along the paths."""
    means = {factor: population.factor_means.get(factor, 0.0) for factor in population.factors}
    for outcome in population.endogenous:
        means[outcome] += sum(b * means[p] for (o, p), b in population.paths.items() if o == outcome)
    return means


def expected_answers(population: PopulationModel) -> pd.DataFrame:
    """The true mean answer of every item (rows ``item ~1``, column ``truth``).

    An item's latent response is normal with variance 1 and mean ``sum(loading x factor mean)``; the
    answer is ``scale_min`` plus the number of thresholds it exceeds, so its mean is
    ``scale_min + sum_k P(y* > t_k)``.
    """
    means = latent_means(population)
    loadings = population.loading_matrix()
    rows = []
    for item in population.items:
        centre = float(sum(loadings.loc[item, f] * means[f] for f in population.factors))
        value = population.scale_min + stats.norm.sf(population.item_thresholds(item) - centre).sum()
        rows.append({"lhs": item, "op": "~1", "rhs": "", "truth": float(value)})
    return pd.DataFrame(rows)


def true_parameters(population: PopulationModel, op: str) -> pd.DataFrame:
    """Standardized loadings (``op="=~"``) or paths (``op="~"``) of a one-group population, column ``truth``."""
    table = population.truth().query("op == @op").drop_duplicates(["lhs", "op", "rhs"])
    return table[["lhs", "op", "rhs", "value"]].rename(columns={"value": "truth"}).reset_index(drop=True)


# --------------------------------------------------------------------------- Monte Carlo summaries
def _replication_bias(draws: pd.DataFrame) -> pd.DataFrame:
    """The mean of ``est - truth`` over the parameters, per method and replication."""
    return (draws.assign(error=draws["est"] - draws["truth"])
            .groupby(["method", "replication"], sort=False)["error"].mean().rename("bias").reset_index())


def method_bias(draws: pd.DataFrame) -> pd.DataFrame:
    """Per method: the average bias over parameters and replications, and its Monte Carlo standard error.

    ``draws`` has one row per method, replication and parameter, with ``est`` and ``truth``. The Monte
    Carlo SE is the SD of the replications' mean biases over ``sqrt(R)`` (the parameters of one
    replication come from the same data, so they are averaged first).
    """
    per_replication = _replication_bias(draws)
    table = per_replication.groupby("method", sort=False)["bias"].agg(["mean", "std", "size"]).reset_index()
    table = table.rename(columns={"mean": "bias", "size": "replications"})
    table["mc_se"] = table.pop("std") / np.sqrt(table["replications"])
    table["bias_in_mc_se"] = table["bias"] / table["mc_se"]
    return table


def parameter_bias(draws: pd.DataFrame) -> pd.DataFrame:
    """Per method and parameter: truth, mean estimate, bias and its Monte Carlo SE (SD / sqrt(R))."""
    keys = ["method", "lhs", "op", "rhs"]
    table = draws.groupby(keys, sort=False).agg(truth=("truth", "first"), mean_estimate=("est", "mean"),
                                                sd=("est", "std"), replications=("est", "size")).reset_index()
    table["bias"] = table["mean_estimate"] - table["truth"]
    table["mc_se"] = table.pop("sd") / np.sqrt(table["replications"])
    return table


def bias_text(draws: pd.DataFrame, what: str) -> str:
    """The average bias of every method, judged against its Monte Carlo standard error."""
    table = method_bias(draws)
    replications = int(table["replications"].iloc[0])
    parts, verdicts = [], []
    for row in table.itertuples():
        parts.append(f"{row.bias:+.3f} with {row.method} (Monte Carlo SE {row.mc_se:.3f})")
        if abs(row.bias_in_mc_se) > MC_SE_BAND:
            verdicts.append(f"{row.method}'s bias lies {abs(row.bias_in_mc_se):.0f} Monte Carlo SEs from zero, "
                            "more than chance in this experiment explains")
        else:
            verdicts.append(f"{row.method}'s bias lies within {MC_SE_BAND:.0f} Monte Carlo SEs of zero: no bias this "
                            "experiment can detect, which is not proof of none")
    judged = "; ".join(verdicts)
    return (f"Over {replications} replications the average bias of the {what} is " + ", ".join(parts) + ". "
            + judged[0].upper() + judged[1:] + ". Published simulation studies use 1000 replications or more.")


# --------------------------------------------------------------------------- missing answers
def respondents_used(data: pd.DataFrame, items: list[str]) -> dict[str, int]:
    """How many respondents each treatment of missing answers uses: all, complete (listwise), any answer (FIML)."""
    answered = data[items].notna()
    return {"all": len(data), "listwise": int(answered.all(axis=1).sum()), "fiml": int(answered.any(axis=1).sum())}


def missing_text(listwise: SEMResult, fiml: SEMResult, data: pd.DataFrame, items: list[str]) -> str:
    """How many respondents listwise deletion and FIML use, from the fits, and how many answers are missing."""
    used = respondents_used(data, items)
    cells = int(data[items].isna().sum().sum())
    empty = used["all"] - used["fiml"]
    return (f"Of {used['all']} respondents, {used['all'] - used['listwise']} left at least one of the {len(items)} "
            f"items unanswered ({cells} missing answers in all), {empty} of them every item. Listwise deletion fits "
            f"the model to the {listwise.ntotal} complete respondents ({listwise.ntotal / used['all']:.0%}); FIML "
            f"uses the {fiml.ntotal} who answered at least one item, with every answer they gave; the {empty} who "
            "answered none give it nothing to use.")


def driver_difference(data: pd.DataFrame, items: list[str], driver: str) -> dict:
    """Welch's t-test of the ``driver``'s mean between the respondents listwise deletion keeps and drops.

    Returns ``kept``, ``dropped`` (means), ``difference`` (kept minus dropped), ``t``, ``df`` (Welch-
    Satterthwaite), ``pvalue`` and the 95% interval ``ci_lower``, ``ci_upper`` of the difference. R:
    ``t.test(kept, dropped)``.
    """
    complete = data[items].notna().all(axis=1)
    kept, dropped = data.loc[complete, driver].dropna(), data.loc[~complete, driver].dropna()
    test = stats.ttest_ind(kept, dropped, equal_var=False)
    interval = test.confidence_interval(0.95)
    return {"kept": float(kept.mean()), "dropped": float(dropped.mean()), "difference": float(kept.mean() -
            dropped.mean()), "t": float(test.statistic), "df": float(test.df), "pvalue": float(test.pvalue),
            "ci_lower": float(interval.low), "ci_upper": float(interval.high)}


# --------------------------------------------------------------------------- paths across groups
def group_paths(result: SEMResult, truth: dict | None = None) -> pd.DataFrame:
    """The standardized structural paths of a multi-group fit, one row per group (and ``truth`` if given,
    ``{group: {(outcome, predictor): value}}``)."""
    table = result.standardized_solution().query("op == '~'").copy()
    table.insert(0, "group_label", [result.group_levels[g - 1] for g in table["group"]])
    if truth is not None:
        table["truth"] = [truth[g][(lhs, rhs)] for g, lhs, rhs in zip(table["group_label"], table["lhs"],
                                                                      table["rhs"])]
    return table.reset_index(drop=True)


def moderation_text(comparison: pd.DataFrame, paths: pd.DataFrame, group: str = "group") -> str:
    """What the test of equal paths across groups (the last row of ``comparison``) says, never accepting the null."""
    row = comparison.iloc[-1]
    test = f"delta chi-square({int(row['delta_df'])}) = {row['delta_chisq']:.2f}, {format_p(row['delta_pvalue'])}"
    listed = ", ".join(f"{r.group_label} {r.est_std:.2f}" for r in paths.itertuples())
    if row["delta_pvalue"] < 0.05:
        return (f"Holding the paths equal across {group} groups makes the fit worse ({test}): the paths differ "
                f"between at least two groups, so {group} moderates them. The standardized paths: {listed}.")
    return (f"The data do not show that the paths differ across {group} groups ({test}). That is not evidence that "
            "they are equal: with these group sizes a moderate difference can go undetected. The standardized "
            f"paths: {listed}.")


# --------------------------------------------------------------------------- exercises
def check_exercise_1(draws: pd.DataFrame, *, bias_ml, bias_wlsmv, ml_bias_is_real) -> Feedback:
    """Exercise 1: the average bias of ML and WLSMV loadings, and whether ML's exceeds two Monte Carlo SEs."""
    exercise = "T7 exercise 1"
    require_answers(exercise, bias_ml=bias_ml, bias_wlsmv=bias_wlsmv, ml_bias_is_real=ml_bias_is_real)
    table = method_bias(draws).set_index("method")
    hint = "bias = mean of (est - truth) over all loadings and replications of that method."
    for name, method, value in (("bias_ml", "ML", bias_ml), ("bias_wlsmv", "WLSMV", bias_wlsmv)):
        expected = table.loc[method, "bias"]
        expect_close(exercise, name, value, expected, 1e-6, hint,
                     known_mistakes={"truth minus estimate: the sign is read backwards": -expected})
    real = bool(abs(table.loc["ML", "bias_in_mc_se"]) > MC_SE_BAND)
    expect_equal(exercise, "ml_bias_is_real", ml_bias_is_real, real,
                 f"Compare |bias_ml| with {MC_SE_BAND:.0f} Monte Carlo SEs, the SD of the replications' mean biases "
                 f"divided by sqrt({int(table.loc['ML', 'replications'])}).")
    return Feedback(exercise, f"ML {table.loc['ML', 'bias']:+.3f} (Monte Carlo SE {table.loc['ML', 'mc_se']:.3f}), "
                              f"WLSMV {table.loc['WLSMV', 'bias']:+.3f} (Monte Carlo SE "
                              f"{table.loc['WLSMV', 'mc_se']:.3f}).")


def check_exercise_2(data: pd.DataFrame, items: list[str], driver: str, *, n_listwise, n_fiml, driver_kept,
                     driver_dropped) -> Feedback:
    """Exercise 2: respondents used by listwise deletion and FIML, and the driver's mean among the respondents
    listwise deletion keeps and drops."""
    exercise = "T7 exercise 2"
    require_answers(exercise, n_listwise=n_listwise, n_fiml=n_fiml, driver_kept=driver_kept,
                    driver_dropped=driver_dropped)
    used = respondents_used(data, items)
    cells = int(data[items].isna().sum().sum())
    with_gaps = used["all"] - used["listwise"]
    expect_close(exercise, "n_listwise", n_listwise, used["listwise"], 0.5,
                 "Count the respondents who answered every item of the model (rows without a missing answer).",
                 known_mistakes={"all respondents minus the number of missing answers (cells, not rows)":
                                 used["all"] - cells,
                                 "the number of respondents with a missing answer (the dropped, not the kept)":
                                 with_gaps})
    expect_close(exercise, "n_fiml", n_fiml, used["fiml"], 0.5,
                 "FIML uses every respondent who answered at least one item of the model.",
                 known_mistakes={"the listwise count: FIML keeps the incomplete respondents too": used["listwise"],
                                 "every respondent: those who answered none of the items give FIML nothing":
                                 used["all"]})
    test = driver_difference(data, items, driver)
    kept, dropped = test["kept"], test["dropped"]
    hint = f"Mean {driver} answer of the complete rows (kept) and of the rows with a missing answer (dropped)."
    expect_close(exercise, "driver_kept", driver_kept, kept, 1e-6, hint,
                 known_mistakes={"the mean of the dropped respondents": dropped, "the mean of everyone":
                                 data[driver].mean()})
    expect_close(exercise, "driver_dropped", driver_dropped, dropped, 1e-6, hint,
                 known_mistakes={"the mean of the kept respondents": kept})
    shown = (f"Welch t({test['df']:.1f}) = {test['t']:.2f}, {format_p(test['pvalue'])}, 95% CI "
             f"[{test['ci_lower']:.2f}, {test['ci_upper']:.2f}]")
    if test["pvalue"] < 0.05:
        reading = ("so the complete respondents are not a random part of the sample: the answers are not missing "
                   "completely at random (MCAR is ruled out). The test cannot show MAR: the same difference would "
                   "appear if people skipped because of the answers they did not give (MNAR).")
    else:
        reading = ("which does not show a difference; it does not show MCAR either (another variable may differ, "
                   "or the difference may be too small to detect).")
    return Feedback(exercise, f"listwise keeps {used['listwise']} of {used['all']}, FIML uses {used['fiml']}; the "
                              f"dropped answered {driver} {test['difference']:.2f} points lower on average ({shown}), "
                              + reading)


def reporting_sentence_problem(sentence, pvalue: float = 0.30) -> str:
    """Why ``sentence`` is not a report of a non-significant test of equal paths at ``pvalue``; "" if it is one.

    The rule is simple on purpose: the sentence must state the p-value and must not use wording that accepts
    the null (:data:`ACCEPTS_THE_NULL`: "equal", "the same", "no difference", "do not differ", ...).
    """
    if not isinstance(sentence, str) or len(sentence.split()) < 6:
        return "write a whole sentence, as a string."
    accepting = ACCEPTS_THE_NULL.search(sentence)
    if accepting:
        return (f"{accepting.group(0)!r} accepts the null: a non-significant test does not show the paths are "
                "equal. Say that the data do not show a difference.")
    printed = f"{pvalue:.2f}".lstrip("0")
    if not re.search(rf"p\s*[=]\s*0?{re.escape(printed)}", sentence):
        return f"state the p-value as p = {printed}."
    return ""


def check_exercise_3(configural: SEMResult, metric: SEMResult, equal_paths: SEMResult, *, delta_chisq, delta_df,
                     pvalue, sentence) -> Feedback:
    """Exercise 3: the chi-square difference test of equal paths across groups, by hand, and how to report a
    non-significant one."""
    exercise = "T7 exercise 3"
    require_answers(exercise, delta_chisq=delta_chisq, delta_df=delta_df, pvalue=pvalue, sentence=sentence)
    restricted, free, loosest = equal_paths.fit_measures, metric.fit_measures, configural.fit_measures
    expected_chisq = restricted["chisq"] - free["chisq"]
    expected_df = int(restricted["df"] - free["df"])
    groups = len(metric.group_levels)
    paths = int((metric.estimates["op"] == "~").sum() / groups)
    against_configural = "compared with the configural model: compare with the metric model, which differs only in "
    expect_close(exercise, "delta_chisq", delta_chisq, expected_chisq, 1e-6,
                 "chisq of the equal-paths model minus chisq of the metric model.",
                 known_mistakes={"metric minus equal paths: the sign is reversed": -expected_chisq,
                                 against_configural + "the paths": restricted["chisq"] - loosest["chisq"]})
    expect_close(exercise, "delta_df", delta_df, expected_df, 0.5,
                 f"Each of the {paths} path(s) is held equal in each of the other {groups - 1} groups.",
                 known_mistakes={"one constraint per group, the first group included": paths * groups,
                                 against_configural + "the paths": restricted["df"] - loosest["df"]})
    expected_p = stats.chi2.sf(expected_chisq, expected_df)
    expect_close(exercise, "pvalue", pvalue, expected_p, 1e-9 + 1e-4 * expected_p,
                 f"scipy.stats.chi2.sf(delta chi-square, {expected_df}).",
                 known_mistakes={"the cumulative probability (cdf), not the upper tail":
                                 stats.chi2.cdf(expected_chisq, expected_df),
                                 "the p-value with the model's df instead of the df difference":
                                 stats.chi2.sf(expected_chisq, restricted["df"]),
                                 "the equal-paths model's own p-value (its fit), not the difference test":
                                 restricted["pvalue"]})
    problem = reporting_sentence_problem(sentence)
    if problem:
        raise WrongAnswer(f"{exercise}: sentence: {problem}")
    return Feedback(exercise, f"delta chi-square({expected_df}) = {expected_chisq:.2f}, {format_p(expected_p)}; "
                              "the sentence reports p = .30 without accepting the null.")


def check_exercise_4(draws: pd.DataFrame, *, pls_loading_bias, pls_path_bias, plsc_path_bias) -> Feedback:
    """Exercise 4: the average bias of PLS loadings and paths, and of PLSc paths, in the PLS experiment."""
    exercise = "T7 exercise 4"
    require_answers(exercise, pls_loading_bias=pls_loading_bias, pls_path_bias=pls_path_bias,
                    plsc_path_bias=plsc_path_bias)
    for name, method, op, value in (("pls_loading_bias", "PLS", "=~", pls_loading_bias),
                                    ("pls_path_bias", "PLS", "~", pls_path_bias),
                                    ("plsc_path_bias", "PLSc", "~", plsc_path_bias)):
        rows = draws[(draws["method"] == method) & (draws["op"] == op)]
        if rows.empty:
            raise WrongAnswer(f"{exercise}: draws has no {method} rows with op {op!r}.")
        expected = (rows["est"] - rows["truth"]).mean()
        expect_close(exercise, name, value, expected, 1e-6,
                     f"Mean of (est - truth) over the {method} rows with op == '{op}'.",
                     known_mistakes={"truth minus estimate: the sign is read backwards": -expected})
    table = method_bias(draws[draws["op"] == "~"]).set_index("method")
    return Feedback(exercise, "path bias " + ", ".join(
        f"{m} {r.bias:+.3f} (Monte Carlo SE {r.mc_se:.3f})" for m, r in table.iterrows()) + ".")
