"""Checkers and sentences of T2 (simulate a survey with known truth, recover it with CFA)."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
from scipy import stats

from sqlib.analysis.reliability import cronbach_alpha
from sqlib.sem.result import SEMResult

from .grading import Feedback, WrongAnswer, expect_close, expect_values, require_answers

#: Thresholds of the finer answer scale of exercise 4 (0-10, skewed to the upper half).
FINER_THRESHOLDS = tuple(np.linspace(-2.3, 1.6, 10))


def loading_truth(true_loadings: dict, table: pd.DataFrame) -> np.ndarray:
    """The true value of every ``(lhs, rhs)`` row of a loading table."""
    return np.array([true_loadings[(factor, item)] for factor, item in zip(table["lhs"], table["rhs"])])


def sampling_experiment(draws: pd.DataFrame, level: float = 0.95) -> pd.DataFrame:
    """Per loading over the replications in ``draws``: truth, mean estimate, SD of the estimates, mean SE,
    SE/SD ratio, coverage of the ``level`` intervals, its Monte Carlo standard error, and bias.

    ``draws`` has one row per loading and replication with ``est_std``, ``se`` and ``truth``.
    """
    z = stats.norm.ppf(0.5 + level / 2)
    lower, upper = draws["est_std"] - z * draws["se"], draws["est_std"] + z * draws["se"]
    covered = (lower <= draws["truth"]) & (draws["truth"] <= upper)
    table = draws.assign(covered=covered).groupby(["lhs", "rhs"], sort=False).agg(
        truth=("truth", "first"), mean_estimate=("est_std", "mean"), sd_estimate=("est_std", "std"),
        mean_se=("se", "mean"), coverage=("covered", "mean"), replications=("est_std", "size")).reset_index()
    table["se_ratio"] = table["mean_se"] / table["sd_estimate"]
    table["coverage_mc_se"] = np.sqrt(level * (1 - level) / table["replications"])
    table["bias"] = table["mean_estimate"] - table["truth"]
    return table


def experiment_text(experiment: pd.DataFrame) -> str:
    """What the sampling experiment shows, judged against its own Monte Carlo error.

    A ratio counts as within Monte Carlo error when it lies within two relative standard errors
    of an SD from R replications, ``1 +- 2 / sqrt(2 (R - 1))``; a coverage when it lies within two
    binomial standard errors of 0.95.
    """
    replications = int(experiment["replications"].iloc[0])
    ratio_band = 2 / np.sqrt(2 * (replications - 1))
    coverage_band = 2 * experiment["coverage_mc_se"].iloc[0]
    ratio_off = experiment.loc[(experiment["se_ratio"] - 1).abs() > ratio_band, "rhs"].tolist()
    coverage_off = experiment.loc[(experiment["coverage"] - 0.95).abs() > coverage_band, "rhs"].tolist()
    k = len(experiment)
    off = sorted(set(ratio_off) | set(coverage_off), key=list(experiment["rhs"]).index)
    text = (f"Over {replications} replications, {k - len(ratio_off)} of {k} SE/SD ratios lie within 1 +- "
            f"{ratio_band:.2f} and {k - len(coverage_off)} of {k} coverages within 0.95 +- {coverage_band:.2f}, "
            f"two Monte Carlo standard errors at this number of replications. ")
    if off:
        text += (f"Outside those bands: {', '.join(off)}; among {k} items that can be chance or a real problem, and "
                 "only more replications tell the two apart. ")
    pooled, pooled_se = pooled_coverage(experiment)
    distance = (pooled - 0.95) / pooled_se
    bias = experiment["bias"].mean()
    text += (f"Pooled over all {replications * k} intervals the coverage is {pooled:.3f} (Monte Carlo SE at least "
             f"{pooled_se:.3f}, {abs(distance):.1f} SE {'below' if distance < 0 else 'above'} 0.95): ")
    if abs(distance) <= 2:
        text += "compatible with 0.95 within its Monte Carlo error. "
    elif distance < 0:
        text += ("below 0.95 by more than its Monte Carlo error"
                 + (", as the downward bias below leads one to expect. " if bias < 0 else ". "))
    else:
        text += "above 0.95 by more than its Monte Carlo error. "
    return text + (f"The mean bias of the standardized loadings is {bias:+.3f}. Published "
                   "simulation studies use 1000 replications or more.")


def pooled_coverage(experiment: pd.DataFrame, level: float = 0.95) -> tuple[float, float]:
    """Coverage over all intervals of the experiment and its binomial Monte Carlo SE (a lower bound: the intervals
    of one replication share their data)."""
    intervals = experiment["replications"].sum()
    pooled = float((experiment["coverage"] * experiment["replications"]).sum() / intervals)
    return pooled, float(np.sqrt(pooled * (1 - pooled) / intervals))


def three_se_rule_text(recovered: pd.DataFrame, level: float = 0.95) -> str:
    """Why one survey's loadings are checked against 3 SE rather than 1.96 SE, with the chances for this many
    loadings (treated as independent), and whether every loading passes."""
    k = len(recovered)
    beyond_196 = 1 - level ** k
    beyond_3 = 1 - (1 - 2 * stats.norm.sf(3)) ** k
    largest = recovered["error_in_se"].abs().max()
    verdict = "within 3 SE: the check passes" if largest <= 3 else "beyond 3 SE: look for a problem"
    return (f"With {k} loadings, the chance that at least one lies beyond 1.96 SE by chance alone is about "
            f"1 - {level}^{k} = {beyond_196:.2f} (treating them as independent); beyond 3 SE it is only "
            f"{beyond_3:.3f}. So the check for one survey is 'every loading within 3 SE'. Here the largest distance "
            f"is {largest:.2f} SE, {verdict}.")


def summary_text(recovered: pd.DataFrame, experiment: pd.DataFrame, n_respondents: int) -> str:
    """The notebook's conclusion."""
    worst = recovered.loc[recovered["error_in_se"].abs().idxmax()]
    return (f"A CFA on {n_respondents} simulated respondents recovered all {len(recovered)} true loadings within "
            f"{recovered['error_in_se'].abs().max():.1f} standard errors (largest miss: {worst['rhs']}). "
            + experiment_text(experiment))


def check_exercise_1(result: SEMResult, true_loadings: dict, *, distance, expected_outside) -> Feedback:
    """Exercise 1: each standardized loading's distance from the truth in SEs, and how many would lie
    outside 1.96 SE by chance."""
    exercise = "T2 exercise 1"
    require_answers(exercise, distance=distance, expected_outside=expected_outside)
    table = result.standardized_solution().query("op == '=~'")
    truth = loading_truth(true_loadings, table)
    expected = pd.Series((table["est_std"].to_numpy() - truth) / table["se"].to_numpy(), index=table["rhs"].to_numpy())
    expect_values(exercise, "distance", distance, expected, 1e-6,
                  "distance = (est_std - truth) / se of the standardized solution, one value per item.",
                  known_mistakes={"truth minus estimate: the sign is reversed": -expected,
                                  "the raw difference, not divided by the SE":
                                  pd.Series(table["est_std"].to_numpy() - truth, index=expected.index)})
    expect_close(exercise, "expected_outside", expected_outside, 0.05 * len(expected), 1e-9,
                 "Each loading lies outside 1.96 SE with probability 0.05.")
    return Feedback(exercise, f"the largest distance is {expected.abs().max():.2f} SE; by chance alone "
                              f"{0.05 * len(expected):.2f} of {len(expected)} loadings would lie beyond 1.96 SE.")


def check_exercise_2(result: SEMResult, answers: pd.DataFrame, blocks: dict, *, latent_correlation,
                     sum_score_correlation, corrected_correlation) -> Feedback:
    """Exercise 2: latent factor correlation, sum-score correlation, and Spearman's correction."""
    exercise = "T2 exercise 2"
    require_answers(exercise, latent_correlation=latent_correlation, sum_score_correlation=sum_score_correlation,
                    corrected_correlation=corrected_correlation)
    first, second = list(blocks)
    latent = result.standardized_solution().query(f"op == '~~' and lhs == '{first}' and rhs == '{second}'").iloc[0]
    sums = pd.DataFrame({factor: answers[items].sum(axis=1) for factor, items in blocks.items()})
    observed = sums[first].corr(sums[second])
    alphas = [cronbach_alpha(answers, items)["alpha"].item() for items in blocks.values()]
    corrected = observed / np.sqrt(alphas[0] * alphas[1])
    expect_close(exercise, "latent_correlation", latent_correlation, latent["est_std"], 1e-6,
                 "Take est_std of the '~~' row between the two factors in the standardized solution.",
                 known_mistakes={"the unstandardized covariance": result.estimates.query(
                     f"op == '~~' and lhs == '{first}' and rhs == '{second}'")["est"].item()})
    expect_close(exercise, "sum_score_correlation", sum_score_correlation, observed, 1e-6,
                 "Correlate the two sums of the simulated answers.")
    expect_close(exercise, "corrected_correlation", corrected_correlation, corrected, 1e-6,
                 "Divide by the square root of the product of the two alphas.",
                 known_mistakes={"division by the product of the alphas, without the square root":
                                 observed / (alphas[0] * alphas[1])})
    return Feedback(exercise, f"sum scores correlate {observed:.3f}, less than the latent {latent['est_std']:.3f}; "
                              f"corrected for unreliability {corrected:.3f}.")


def check_exercise_3(draws: pd.DataFrame, *, se_ratio, coverage, coverage_mc_se) -> Feedback:
    """Exercise 3: SE/SD ratio per loading, overall coverage of the 95% intervals, and its Monte Carlo SE."""
    exercise = "T2 exercise 3"
    require_answers(exercise, se_ratio=se_ratio, coverage=coverage, coverage_mc_se=coverage_mc_se)
    spread = draws.groupby("rhs", sort=False)["est_std"].std(ddof=1)
    claimed = draws.groupby("rhs", sort=False)["se"].mean()
    spread_ddof0 = draws.groupby("rhs", sort=False)["est_std"].std(ddof=0)
    expected = claimed / spread
    variance_ratio = claimed ** 2 / spread ** 2
    expect_values(exercise, "se_ratio", se_ratio, expected, 1e-6,
                  "se_ratio = mean reported SE / SD of the estimates, per item.",
                  known_mistakes={"the inverted ratio (SD / mean SE)": 1 / expected,
                                  "a variance ratio (squared SEs over the variance)": variance_ratio,
                                  "a variance ratio (the mean of the squared SEs over the variance)":
                                  (draws["se"] ** 2).groupby(draws["rhs"], sort=False).mean() / spread ** 2,
                                  "the SD with ddof=0": claimed / spread_ddof0},
                  mistake_rtol=0.01)
    intervals = len(draws)
    covered = ((draws["ci_lower"] <= draws["truth"]) & (draws["truth"] <= draws["ci_upper"])).mean()
    z90 = stats.norm.ppf(0.95)
    covered_90 = ((draws["est_std"] - z90 * draws["se"] <= draws["truth"])
                  & (draws["truth"] <= draws["est_std"] + z90 * draws["se"])).mean()
    expect_close(exercise, "coverage", coverage, covered, 0.5 / intervals,
                 "coverage = share of all the 95% intervals (ci_lower to ci_upper) that contain the truth.",
                 known_mistakes={"the coverage of 90% intervals": covered_90,
                                 "the share of intervals that miss the truth": 1 - covered})
    expect_close(exercise, "coverage_mc_se", coverage_mc_se, np.sqrt(covered * (1 - covered) / intervals),
                 0.1 * np.sqrt(covered * (1 - covered) / intervals) + 1e-9,
                 f"A share p estimated from {intervals} intervals has standard error sqrt(p (1 - p) / {intervals}) "
                 "(the intervals of one survey are not independent, so this is a lower bound).")
    return Feedback(exercise, f"mean SE/SD ratio {expected.mean():.2f}, coverage {covered:.3f} "
                              f"(Monte Carlo SE at least {np.sqrt(covered * (1 - covered) / intervals):.3f}).")


def finer_scale(population, scale_min: int = 0, scale_max: int = 10, thresholds=FINER_THRESHOLDS):
    """The same population answered on a finer scale (exercise 4)."""
    return dataclasses.replace(population, scale_min=scale_min, scale_max=scale_max,
                               thresholds={item: tuple(thresholds) for item in population.items})


def bias_difference(draws: pd.DataFrame, fine_draws: pd.DataFrame) -> tuple[float, float, float]:
    """The mean bias difference (11-point minus 7-point), its paired Monte Carlo SE over the replications, and the
    unpaired SE that ignores that both experiments used the same seeds.

    ``fine_draws`` has the rows of ``draws`` in the same order; ``draws["replication"]`` groups both.
    """
    replication = draws["replication"].to_numpy()
    error_7 = pd.Series((draws["est_std"] - draws["truth"]).to_numpy()).groupby(replication).mean()
    error_11 = pd.Series((fine_draws["est_std"] - fine_draws["truth"]).to_numpy()).groupby(replication).mean()
    paired = error_11 - error_7
    unpaired = np.sqrt(error_7.var(ddof=1) / len(error_7) + error_11.var(ddof=1) / len(error_11))
    return float(paired.mean()), float(paired.std(ddof=1) / np.sqrt(len(paired))), float(unpaired)


def check_exercise_4(draws: pd.DataFrame, *, fine_draws, bias_7, bias_11, bias_difference_mc_se) -> Feedback:
    """Exercise 4: the 11-point sampling experiment (``fine_draws``), the average bias of the standardized
    loadings on the 7-point and the 11-point scale, and the Monte Carlo SE of their difference."""
    exercise = "T2 exercise 4"
    require_answers(exercise, fine_draws=fine_draws, bias_7=bias_7, bias_11=bias_11,
                    bias_difference_mc_se=bias_difference_mc_se)
    columns = {"rhs", "est_std", "truth"}
    if not isinstance(fine_draws, pd.DataFrame) or not columns <= set(fine_draws.columns):
        raise WrongAnswer(f"{exercise}: fine_draws should be a DataFrame like draws, with columns {sorted(columns)}.")
    if len(fine_draws) != len(draws) or list(fine_draws["truth"]) != list(draws["truth"]):
        raise WrongAnswer(f"{exercise}: fine_draws has {len(fine_draws)} rows and draws {len(draws)}; repeat the "
                          "experiment with the same replications, the same model and the truth merged in.")
    if fine_draws["est_std"].round(10).equals(draws["est_std"].round(10)):
        raise WrongAnswer(f"{exercise}: fine_draws holds the 7-point estimates; simulate from the 11-point population.")
    expected_7 = (draws["est_std"] - draws["truth"]).mean()
    expected_11 = (fine_draws["est_std"] - fine_draws["truth"]).mean()
    expect_close(exercise, "bias_7", bias_7, expected_7, 1e-6, "bias = mean of (est_std - truth) over all draws.",
                 known_mistakes={"truth minus estimate": -expected_7})
    expect_close(exercise, "bias_11", bias_11, expected_11, 1e-6,
                 "The same mean, over fine_draws of the 11-point experiment.",
                 known_mistakes={"truth minus estimate": -expected_11})
    difference, paired_se, unpaired_se = bias_difference(draws, fine_draws)
    rows = (fine_draws["est_std"] - fine_draws["truth"]) - (draws["est_std"] - draws["truth"]).to_numpy()
    expect_close(exercise, "bias_difference_mc_se", bias_difference_mc_se, paired_se, 1e-6 + 1e-4 * paired_se,
                 "Per replication, average est_std - truth over the loadings on each scale and take the difference; "
                 "the Monte Carlo SE is the SD of those differences over the replications / sqrt(replications).",
                 known_mistakes={"an unpaired SE: both experiments used the same seeds, so pair them by replication":
                                 unpaired_se,
                                 "the SD of all loading-level differences / sqrt(rows): the loadings of one "
                                 "replication are not independent, so average them per replication first":
                                 float(rows.std(ddof=1) / np.sqrt(len(rows)))},
                 mistake_rtol=0.01)
    verdict = "closer to zero" if abs(expected_11) < abs(expected_7) else "not closer to zero"
    beyond = abs(difference) > 2 * paired_se
    return Feedback(exercise, f"average bias 7-point {expected_7:+.4f}, 11-point {expected_11:+.4f}: the finer scale "
                              f"is {verdict}; the difference {difference:+.4f} has a paired Monte Carlo SE of "
                              f"{paired_se:.4f}, so it is {'more' if beyond else 'not more'} than two Monte Carlo "
                              "SEs from zero.")
