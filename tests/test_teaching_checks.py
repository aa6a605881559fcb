"""The rules behind the teaching checkers and sentences (sqlib.report.teaching), on small inputs
whose right answer is known, and the HTMT2 bootstrap (sqlib.analysis.reliability.htmt_bootstrap)."""

from __future__ import annotations

import dataclasses

import nbformat
import numpy as np
import pandas as pd
import pytest
from scipy import stats

import sqlib
from sqlib import config
from sqlib.analysis.reliability import htmt, htmt_bootstrap
from sqlib.report.teaching import handouts, invariance, mediation, model_fit, real_data, reporting, simulation
from sqlib.report.narratives import results_section
from sqlib.report.reporting_checklist import reporting_checklist
from sqlib.survey.simulate import sample_population
from sqlib.report.teaching.grading import NotAnsweredYet, WrongAnswer, expect_close, expect_equal, expect_values, \
    require_answers


# --------------------------------------------------------------------------- grading rules
def test_require_answers_names_every_placeholder_left():
    require_answers("Exercise 2", a=1.0, b="x")
    with pytest.raises(NotAnsweredYet) as error:
        require_answers("Exercise 2", a=..., b=2, c=...)
    assert str(error.value) == ("Exercise 2 is not answered yet: replace the ... after a, c in the answer cell "
                                "with your answer.")


def test_expect_close_names_a_known_mistake_before_the_general_hint():
    expect_close("E", "ratio", 1.1000001, 1.1, 1e-6)
    with pytest.raises(WrongAnswer, match="too low") as wrong:
        expect_close("E", "ratio", 0.5, 1.1, 1e-6)
    assert "1.1" not in str(wrong.value)  # the right value is not given away
    with pytest.raises(WrongAnswer, match="looks like the inverted ratio"):
        expect_close("E", "ratio", 1 / 1.1, 1.1, 1e-6, "hint", known_mistakes={"the inverted ratio": 1 / 1.1})
    with pytest.raises(WrongAnswer, match=r"ratio = 2 is too high \(the check allows 1e-06 either way\). hint"):
        expect_close("E", "ratio", 2.0, 1.1, 1e-6, "hint", known_mistakes={"the inverted ratio": 1 / 1.1})
    with pytest.raises(WrongAnswer, match="should be a single number"):
        expect_close("E", "ratio", [1.1, 2.0], 1.1, 1e-6)
    with pytest.raises(WrongAnswer):
        expect_close("E", "ratio", float("nan"), 1.1, 1e-6)


def test_a_value_typed_from_a_rounded_table_is_told_to_use_the_unrounded_value():
    with pytest.raises(WrongAnswer, match="rounded to 3 decimals: use the unrounded value"):
        expect_close("E", "se", 0.042, 0.04231, 1e-6)
    with pytest.raises(WrongAnswer, match=r"se = 0.05 is too high"):
        expect_close("E", "se", 0.05, 0.04231, 1e-6)
    expect_close("E", "se", 0.04231, 0.04231, 1e-6)
    expect_close("E", "x", 0.5, 0.5, 1e-9)  # a truth with few digits is never "rounded"
    expected = pd.Series({"a": -0.65349, "b": 0.1})
    with pytest.raises(WrongAnswer, match="rounded to 3 decimals: use the unrounded values"):
        expect_values("E", "s", expected.round(3), expected, 1e-6)


def test_mistake_rtol_widens_the_match_to_a_relative_window_that_never_reaches_the_truth():
    mistakes = {"a variance ratio": 1.21}
    with pytest.raises(WrongAnswer, match=r"too high"):
        expect_close("E", "ratio", 1.215, 1.1, 1e-6, known_mistakes=mistakes)
    with pytest.raises(WrongAnswer, match="looks like a variance ratio"):
        expect_close("E", "ratio", 1.215, 1.1, 1e-6, known_mistakes=mistakes, mistake_rtol=0.01)
    with pytest.raises(WrongAnswer, match=r"too high"):  # 1.19 is 1.7% away: not matched
        expect_close("E", "ratio", 1.19, 1.1, 1e-6, known_mistakes=mistakes, mistake_rtol=0.01)
    with pytest.raises(WrongAnswer, match=r"too high"):  # half-way to the truth caps the window
        expect_close("E", "ratio", 1.1015, 1.1, 1e-6, known_mistakes={"near": 1.104}, mistake_rtol=0.5)
    expected = pd.Series({"a": 1.0, "b": 2.0})
    with pytest.raises(WrongAnswer, match="looks like doubled"):
        expect_values("E", "s", expected * 2.01, expected, 1e-9, known_mistakes={"doubled": expected * 2},
                      mistake_rtol=0.01)


def test_a_known_mistake_equal_to_the_truth_is_not_reported():
    expect_close("E", "x", 0.5, 0.5, 1e-6, known_mistakes={"a mistake that gives the same": 0.5})


def test_expect_equal_and_expect_values():
    expect_equal("E", "yes", True, np.bool_(True))
    with pytest.raises(WrongAnswer, match="should be True or False"):
        expect_equal("E", "yes", 1, True)  # a yes/no answer is a bool
    with pytest.raises(WrongAnswer, match="yes = False is not right") as wrong:
        expect_equal("E", "yes", False, True)
    assert "True" not in str(wrong.value)  # the right answer is not given away
    expected = pd.Series({"a": 1.0, "b": 2.0})
    expect_values("E", "s", {"b": 2.0, "a": 1.0}, expected, 1e-9)
    with pytest.raises(WrongAnswer, match=r"labelled \['a'\]"):
        expect_values("E", "s", pd.Series({"a": 1.0}), expected, 1e-9)
    with pytest.raises(WrongAnswer, match=r"s\['b'\] = 2.5 is too high"):
        expect_values("E", "s", pd.Series({"a": 1.0, "b": 2.5}), expected, 1e-9)
    with pytest.raises(WrongAnswer, match="looks like the negatives"):
        expect_values("E", "s", -expected, expected, 1e-9, known_mistakes={"the negatives": -expected})


# --------------------------------------------------------------------------- sentences
def _step_table(delta_pvalue, delta_cfi, delta_rmsea):
    return pd.DataFrame([{"level": "metric", "delta_chisq": 20.0, "delta_df": 12, "delta_pvalue": delta_pvalue,
                          "delta_cfi": delta_cfi, "delta_rmsea": delta_rmsea}])


def test_an_invariance_step_is_clean_contested_or_rejected():
    clean = invariance.step_text(_step_table(0.40, -0.002, 0.001), "metric")
    assert clean.startswith("The metric step shows no sign of non-invariance") and "p = .400" in clean
    contested = invariance.step_text(_step_table(0.031, -0.004, 0.017), "metric")
    assert "p = .031" in contested and "RMSEA rises by 0.017" in contested and "contested" in contested
    assert "CFI drops" not in contested
    rejected = invariance.step_text(_step_table(0.0001, -0.02, 0.03), "metric")
    assert "p < .001" in rejected and "step is rejected" in rejected


def _effects(indirect, direct):
    rows = []
    for predictor, ((ind, ind_lo, ind_hi), (dir_, dir_lo, dir_hi)) in enumerate(zip(indirect, direct)):
        rows += [{"outcome": "y", "predictor": f"x{predictor}", "effect": "indirect", "est": ind,
                  "ci_lower": ind_lo, "ci_upper": ind_hi},
                 {"outcome": "y", "predictor": f"x{predictor}", "effect": "direct", "est": dir_,
                  "ci_lower": dir_lo, "ci_upper": dir_hi}]
    return pd.DataFrame(rows)


def test_zhao_lynch_chen_types_follow_the_intervals():
    yes_pos, yes_neg, no = (0.2, 0.1, 0.3), (-0.2, -0.3, -0.1), (0.01, -0.05, 0.07)
    table = _effects([yes_pos, yes_pos, yes_pos, no, no], [yes_pos, yes_neg, no, yes_pos, no])
    types = mediation.mediation_types(table, "y", [f"x{k}" for k in range(5)])
    assert types["type"].tolist() == ["complementary", "competitive", "indirect-only", "direct-only", "no effect"]


def test_the_comparison_sentence_never_accepts_the_null():
    comparison = pd.DataFrame([{"delta_df": np.nan}, {"delta_df": 5, "delta_chisq": 3.0, "delta_pvalue": 0.70}])
    text = mediation.comparison_text(comparison)
    assert "does not show the direct paths are zero" in text and "p = .700" in text
    assert "just as well" not in text
    comparison.loc[1, "delta_pvalue"] = 0.01
    assert "improves fit" in mediation.comparison_text(comparison)


def test_the_experiment_sentence_counts_what_lies_within_monte_carlo_error():
    draws = pd.DataFrame({"lhs": "f", "rhs": np.repeat(["a", "b"], 20), "truth": 0.7,
                          "est_std": np.r_[np.linspace(0.6, 0.8, 20), np.linspace(0.5, 0.9, 20)], "se": 0.06})
    experiment = simulation.sampling_experiment(draws)
    band = 2 / np.sqrt(2 * 19)
    ratios = experiment.set_index("rhs")["se_ratio"]
    assert ratios["a"] == pytest.approx(0.06 / draws["est_std"][:20].std())
    text = simulation.experiment_text(experiment)
    inside = int(((ratios - 1).abs() <= band).sum())
    assert f"{inside} of 2 SE/SD ratios lie within 1 +- {band:.2f}" in text
    assert experiment["coverage_mc_se"].iloc[0] == pytest.approx(np.sqrt(0.95 * 0.05 / 20))


def test_the_residual_sentence_counts_each_pair_once():
    names = ["a", "b", "c"]
    residuals = pd.DataFrame([[0, 0.15, -0.12], [0.15, 0, 0.02], [-0.12, 0.02, 0]], index=names, columns=names)
    text = model_fit.largest_residual_text(residuals)
    assert text.startswith("2 of 3 correlation residuals exceed 0.10") and "a-b (+0.150)" in text
    assert "a is in 2 of them" in text
    assert model_fit.largest_residual_text(residuals * 0.1).startswith("No correlation residual")


def test_the_verdict_sentence_lists_what_fails():
    row = pd.Series({"model": "m", "df": 19, "chisq": 57.5, "pvalue": 1e-5, "rmsea": 0.071, "rmsea_ci_lower": 0.05,
                     "rmsea_ci_upper": 0.09, "cfi": 0.96, "tli": 0.94, "srmr": 0.05, "cfi_ok": True, "tli_ok": False,
                     "rmsea_ok": False, "srmr_ok": True})
    text = model_fit.verdict_text(row)
    assert "Fails TLI 0.940 (cutoff >= 0.95), RMSEA 0.071 (cutoff <= 0.06); passes CFI, SRMR" in text
    assert "90% CI 0.050 to 0.090" in text and "p < .001" in text


def _draws(errors: dict[str, np.ndarray]) -> pd.DataFrame:
    """Two parameters with truth 0.5 per replication; ``errors[method]`` is (replications, 2)."""
    rows = [{"method": method, "replication": r, "lhs": "f", "op": "=~", "rhs": item, "truth": 0.5,
             "est": 0.5 + values[r, k]}
            for method, values in errors.items() for r in range(values.shape[0]) for k, item in enumerate("ab")]
    return pd.DataFrame(rows)


def test_the_monte_carlo_error_of_a_bias_averages_each_replication_first():
    ml = np.array([[-0.10, -0.12], [-0.08, -0.10], [-0.11, -0.13], [-0.09, -0.07]])
    wlsmv = np.array([[0.02, -0.03], [-0.01, 0.00], [0.03, -0.02], [-0.02, 0.01]])
    table = real_data.method_bias(_draws({"ML": ml, "WLSMV": wlsmv})).set_index("method")
    assert table.loc["ML", "bias"] == pytest.approx(ml.mean())
    assert table.loc["ML", "mc_se"] == pytest.approx(ml.mean(axis=1).std(ddof=1) / 2)
    assert table.loc["WLSMV", "mc_se"] == pytest.approx(wlsmv.mean(axis=1).std(ddof=1) / 2)
    text = real_data.bias_text(_draws({"ML": ml, "WLSMV": wlsmv}), "loadings")
    assert text.startswith("Over 4 replications the average bias of the loadings is -0.100 with ML")
    assert "ML's bias lies" in text and "more than chance" in text
    assert "WLSMV's bias lies within 2 Monte Carlo SEs of zero" in text and "not proof of none" in text
    per_parameter = real_data.parameter_bias(_draws({"ML": ml})).set_index("rhs")
    assert per_parameter.loc["a", "mc_se"] == pytest.approx(ml[:, 0].std(ddof=1) / 2)


def test_the_true_mean_answer_is_the_mean_of_the_category_probabilities():
    population = sqlib.simulate(n=10, seed=1).population
    truth = real_data.expected_answers(population).set_index("lhs")["truth"]
    for item in ("tan1", "rel2"):
        cuts = population.item_thresholds(item)
        shares = np.diff(np.r_[0.0, stats.norm.cdf(cuts), 1.0])
        answers = np.arange(population.scale_min, population.scale_max + 1)
        assert truth[item] == pytest.approx((answers * shares).sum())
    # a latent mean moves every answer of the factor's items, and reaches outcomes through the paths
    shifted = dataclasses.replace(population, factor_means={"reliability": 0.5})
    means = real_data.latent_means(shifted)
    assert means["reliability"] == 0.5
    assert means["satisfaction"] == pytest.approx(0.5 * population.paths[("satisfaction", "reliability")])
    moved = real_data.expected_answers(shifted).set_index("lhs")["truth"]
    assert moved["rel1"] > truth["rel1"] and moved["tan1"] == pytest.approx(truth["tan1"])


def test_respondents_used_counts_rows_not_cells():
    data = pd.DataFrame({"a": [1, np.nan, np.nan, 4], "b": [1, np.nan, 3, np.nan], "c": [1, 2, 3, 4]})
    assert real_data.respondents_used(data, ["a", "b"]) == {"all": 4, "listwise": 1, "fiml": 3}
    assert real_data.respondents_used(data, ["c"]) == {"all": 4, "listwise": 4, "fiml": 4}


def test_with_five_skewed_categories_ml_still_underestimates_the_loadings():
    """T7 section 1 says: with categories = 5 and its skewed thresholds, ML's loadings are still -0.035 too small."""
    from sqlib.survey.simulate import PopulationModel, simulate

    loadings = {("satisfaction", "sat1"): 0.85, ("satisfaction", "sat2"): 0.80, ("satisfaction", "sat3"): 0.75,
                ("loyalty", "loy1"): 0.80, ("loyalty", "loy2"): 0.75, ("loyalty", "loy3"): 0.70,
                ("loyalty", "loy4"): 0.70}
    population = PopulationModel(loadings=loadings, paths={("loyalty", "satisfaction"): 0.60}, factor_means={},
                                 thresholds={}, expectations={}, factor_correlations=pd.DataFrame(
                                     [[1.0]], index=["satisfaction"], columns=["satisfaction"]))
    five = real_data.ordinal_population(population, 5)
    assert five.scale_max == 5 and five.item_thresholds("sat1") == pytest.approx([-1.5, -5 / 6, -1 / 6, 0.5])
    model = "satisfaction =~ sat1 + sat2 + sat3\nloyalty =~ loy1 + loy2 + loy3 + loy4\nloyalty ~ satisfaction\n"
    truth = real_data.true_parameters(population, "=~")
    draws = []
    for replication in range(20):  # the notebook's defaults: seed 20261130, 400 respondents, 20 replications
        sample = simulate(five, n=400, seed=20261130 + 1 + replication).data
        estimates = sqlib.fit(model, sample).standardized_solution().query("op == '=~'")
        draws.append(estimates.assign(method="ML", replication=replication))
    draws = pd.concat(draws).rename(columns={"est_std": "est"}).merge(truth, on=["lhs", "op", "rhs"])
    table = real_data.method_bias(draws).set_index("method")
    assert round(table.loc["ML", "bias"], 3) == -0.035 and table.loc["ML", "bias_in_mc_se"] < -2


def test_category_shares_have_integer_labels_and_break_offs_answer_nothing():
    data = pd.DataFrame({"a": [1.0, 2.0, 2.0, np.nan], "b": [3.0, 3.0, 1.0, 2.0], "id": [1, 2, 3, 4]})
    shares = real_data.category_shares(data, ["a", "b"]).set_index("item")
    assert list(shares.columns) == [1, 2, 3]
    assert shares.loc["a"].tolist() == pytest.approx([1 / 3, 2 / 3, 0.0])
    broken = real_data.with_break_offs(data, ["a", "b"], 0.5, seed=1)
    assert int(broken[["a", "b"]].isna().all(axis=1).sum()) == 2 and broken["id"].tolist() == [1, 2, 3, 4]


def test_the_driver_difference_is_welchs_t_test():
    rng = np.random.default_rng(3)
    data = pd.DataFrame({"x": rng.normal(size=60), "y": rng.normal(size=60)})
    data.loc[:19, "y"] = np.nan
    data.loc[:19, "x"] += 1.0
    result = real_data.driver_difference(data, ["y"], "x")
    kept, dropped = data.loc[20:, "x"], data.loc[:19, "x"]
    va, vb = kept.var(ddof=1) / len(kept), dropped.var(ddof=1) / len(dropped)
    df = (va + vb) ** 2 / (va ** 2 / (len(kept) - 1) + vb ** 2 / (len(dropped) - 1))
    difference = kept.mean() - dropped.mean()
    assert result["difference"] == pytest.approx(difference) and result["df"] == pytest.approx(df)
    assert result["t"] == pytest.approx(difference / np.sqrt(va + vb))
    half = stats.t.ppf(0.975, df) * np.sqrt(va + vb)
    assert [result["ci_lower"], result["ci_upper"]] == pytest.approx([difference - half, difference + half])


def test_the_reporting_sentence_rule_rejects_accepting_the_null():
    assert real_data.reporting_sentence_problem(
        "The data do not show that the path differs across countries (p = .30).") == ""
    for accepting in ("The paths are equal across countries, p = .30.", "There is no difference, p = .30, at all.",
                      "The path is the same in every country (p = .30)."):
        assert "accepts the null" in real_data.reporting_sentence_problem(accepting)
    assert "p = .30" in real_data.reporting_sentence_problem("The data do not show that the paths differ here.")


def test_the_pls_comparison_states_one_path_once_and_calls_small_samples_disputed():
    from sqlib.report.narratives import pls as pls_narrative

    one = pd.DataFrame({"lhs": ["loyalty"], "op": ["~"], "rhs": ["satisfaction"], "cbsem": [0.671], "pls": [0.558],
                        "difference": [0.558 - 0.671]})
    text = pls_narrative.comparison_text(one)
    assert "The one path compared, satisfaction -> loyalty, is 0.671 in CB-SEM and 0.558 in PLS, 0.113 lower" in text
    assert "mean absolute difference" not in text and "largest" not in text
    assert "disputed" in text and "Rönkkö & Evermann, 2013" in text


def test_the_moderation_sentence_never_accepts_the_null():
    paths = pd.DataFrame({"group_label": ["NL", "NO"], "est_std": [0.6, 0.35]})
    comparison = pd.DataFrame([{"delta_df": np.nan}, {"delta_df": 1, "delta_chisq": 0.9, "delta_pvalue": 0.34}])
    text = real_data.moderation_text(comparison, paths, "country")
    assert "do not show that the paths differ across country groups" in text and "p = .340" in text
    assert "not evidence that they are equal" in text and "NL 0.60, NO 0.35" in text
    comparison.loc[1, "delta_pvalue"] = 0.001
    assert "country moderates them" in real_data.moderation_text(comparison, paths, "country")


def test_the_second_order_sentence_never_accepts_the_null():
    comparison = pd.DataFrame([{"npar": 54, "cfi": 0.99, "bic": 100.0},
                               {"npar": 49, "cfi": 0.99, "bic": 90.0, "delta_chisq": 4.2, "delta_df": 5,
                                "delta_pvalue": 0.52}])
    text = reporting.second_order_text(comparison)
    assert "5 fewer parameters (49 against 54)" in text and "p = .520" in text and "does not prove it" in text
    comparison.loc[1, ["delta_pvalue", "bic"]] = [0.001, 110.0]
    text = reporting.second_order_text(comparison)
    assert "constraint is rejected" in text and "BIC prefers the five-factor model" in text


def test_the_validity_sentence_counts_failures_and_says_so_only_when_there_are_some():
    validity = pd.DataFrame({"construct_1": ["a", "a", "b"], "construct_2": ["b", "c", "c"],
                             "correlation": [0.91, 0.5, -0.95], "htmt": [0.92, 0.5, 0.8],
                             "fl_ok": [False, True, False]})
    text = reporting.validity_problem_text(validity)
    # a correlation cannot exceed 1, so APA drops its leading zero; the HTMT cutoff keeps it
    assert text.startswith("2 of 3 pairs") and "1 have an HTMT of 0.85" in text and "-.95 (b and c)" in text
    assert "not empirically distinct" in text
    calm = validity.assign(correlation=0.3, htmt=0.3, fl_ok=True)
    assert "passes both checks" in reporting.validity_problem_text(calm)


def test_the_correlated_population_is_a_second_order_model():
    population = reporting.correlated_population({"tangibles": 0.6, "reliability": 0.9, "empathy": 0.8})
    correlations = population.factor_correlations
    assert correlations.loc["tangibles", "reliability"] == pytest.approx(0.6 * 0.9)
    assert correlations.loc["reliability", "empathy"] == pytest.approx(0.9 * 0.8)
    assert set(population.factors) == {"tangibles", "reliability", "empathy"}
    assert all(population.loadings[key] == value for key, value in sample_population().loadings.items()
               if key[0] in population.factors)


def test_a_blanked_paragraph_filled_with_the_table_numbers_is_the_paragraph_again():
    result = sqlib.fit(sqlib.models.cfa_syntax(), sqlib.load_sample())
    paragraph = results_section.results_paragraph(result, n_respondents=900)
    template = reporting.blank_paragraph(paragraph, result)
    assert template.count("[") - paragraph.count("[") == 4 and "[cfi]" in template
    fm = result.fit_measures
    assert reporting.fill_paragraph(template, chisq=fm["chisq"], cfi=fm["cfi"], rmsea_lower=fm["rmsea_ci_lower"],
                                    rmsea_upper=fm["rmsea_ci_upper"]) == paragraph
    checklist = reporting_checklist(template, result)
    text = reporting.checklist_text(checklist)
    # the p of the chi-square is still found after the blank; a CFA has no paths, so no R² item
    assert f"reports {len(checklist) - 4} of the {len(checklist)} items this tool checks" in text
    assert "Missing: chi_square, cfi, rmsea_ci, discriminant_validity. Not checked" in text
    assert "multivariate normality" in text and "unstandardized estimates with standard errors" in text
    with pytest.raises(ValueError, match="not in the paragraph"):
        reporting.blank_paragraph(template, result)


def test_the_servperf_sentence_speaks_of_this_sample_percentage_points_and_f_tests():
    comparison = pd.DataFrame({"model": ["SERVPERF (P)", "SERVQUAL (P - E)", "P and E separately"],
                               "n": 864, "r2": [0.416, 0.167, 0.419]})
    tests = pd.DataFrame({"restricted": ["SERVPERF (P)", "SERVQUAL (P - E)"], "df1": 5, "df2": 853,
                          "f": [0.93, 73.9], "pvalue": [0.46, 1e-60]})
    text = reporting.comparison_text(comparison, tests)
    assert "SERVPERF explains more variance in this sample than SERVQUAL" in text and "predicts better" not in text
    assert "add 0.3 percentage points to the perceptions (F(5, 853) = 0.93, p = .460)" in text
    assert "costs 25.2 percentage points (F(5, 853) = 73.90, p < .001)" in text
    assert "does not show they add nothing" in text


def test_the_exercise_1_checker_names_the_likely_slips_in_lords_formula():
    differences = pd.DataFrame([{"dimension": "d", "alpha_p": 0.847, "alpha_e": 0.840, "r_pe": 0.298,
                                 "sd_p": 0.999, "sd_e": 0.834, "alpha_gap": 0.778}])
    sd_p, sd_e, r = 0.999, 0.834, 0.298
    shared = 2 * r * sd_p * sd_e
    slips = {"alpha_gap": 0.778,
             "SDs where the variances go": (sd_p * 0.847 + sd_e * 0.840 - shared) / (sd_p + sd_e - shared),
             "the covariance term is subtracted": (sd_p ** 2 * 0.847 + sd_e ** 2 * 0.840 + shared)
             / (sd_p ** 2 + sd_e ** 2 + shared)}
    assert [round(v, 3) for v in slips.values()] == [0.778, 0.786, 0.879]
    for named, value in slips.items():
        with pytest.raises(WrongAnswer, match=named):
            reporting.check_exercise_1(differences, "d", gap_reliability=value, below_both=True)


# --------------------------------------------------------------------------- handouts
def test_a_handout_drops_solutions_and_outputs_only(tmp_path):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("# T9 x"),
                nbformat.v4.new_code_cell("x = ...", metadata={"tags": ["answer"]}),
                nbformat.v4.new_code_cell("x = 1", metadata={"tags": ["solution"]}),
                nbformat.v4.new_code_cell("check(x=x)", metadata={"tags": ["check"]})]
    nb.cells[3].outputs = [nbformat.v4.new_output("stream", text="ok")]
    nb.cells[3].execution_count = 3
    out = handouts.handout(nb)
    assert [c.source for c in out.cells] == ["# T9 x", "x = ...", "check(x=x)"]
    assert out.cells[2].outputs == [] and out.cells[2].execution_count is None
    assert len(nb.cells) == 4 and nb.cells[3].outputs, "the source notebook is not changed"
    with pytest.raises(sqlib.core.errors.ReportError, match="No teaching notebooks"):
        handouts.write_handouts(tmp_path, tmp_path / "out")


# --------------------------------------------------------------------------- HTMT2 bootstrap
@pytest.fixture(scope="module")
def sample():
    codebook = sqlib.Codebook.from_yaml(config.SAMPLE_CODEBOOK)
    data = sqlib.read_survey(config.SAMPLE_DATA, codebook)
    return data, {name: codebook.items_of(name) for name in ("tangibles", "reliability", "empathy")}


def test_htmt_bootstrap_equals_htmt_recomputed_on_the_same_resamples(sample):
    data, blocks = sample
    table = htmt_bootstrap(data, blocks, draws=20, seed=7, level=0.9)
    items = [i for block in blocks.values() for i in block]
    complete = data[items].dropna().astype(float)
    rng = np.random.default_rng(7)
    by_hand = []
    for _ in range(20):
        resample = complete.iloc[rng.integers(0, len(complete), len(complete))].reset_index(drop=True)
        ratio = htmt(resample, blocks)
        by_hand.append([ratio.loc[a, b] for a, b in zip(table["construct_1"], table["construct_2"])])
    lower, upper = np.percentile(np.array(by_hand), [5, 95], axis=0)
    assert table["ci_lower"].to_numpy() == pytest.approx(lower)
    assert table["ci_upper"].to_numpy() == pytest.approx(upper)
    full = htmt(data, blocks)
    assert table["htmt"].tolist() == pytest.approx([full.loc[a, b] for a, b in zip(table["construct_1"],
                                                                                   table["construct_2"])])
    assert table[["construct_1", "construct_2"]].values.tolist() == [
        ["tangibles", "reliability"], ["tangibles", "empathy"], ["reliability", "empathy"]]
    with pytest.raises(ValueError, match="at least 2 draws"):
        htmt_bootstrap(data, blocks, draws=1)


def test_the_experiment_sentence_compares_the_pooled_coverage_with_its_monte_carlo_error():
    rows = [{"lhs": "f", "rhs": item, "truth": 0.7, "mean_estimate": 0.7, "sd_estimate": 0.05, "mean_se": 0.05,
             "coverage": coverage, "replications": 20, "se_ratio": 1.0, "coverage_mc_se": np.sqrt(0.95 * 0.05 / 20),
             "bias": -0.02} for item, coverage in zip("abc", [0.85, 0.8, 0.85])]
    experiment = pd.DataFrame(rows)
    pooled, se = simulation.pooled_coverage(experiment)
    assert pooled == pytest.approx(2.5 / 3) and se == pytest.approx(np.sqrt(pooled * (1 - pooled) / 60))
    text = simulation.experiment_text(experiment)
    assert "Pooled over all 60 intervals the coverage is 0.833" in text
    assert "below 0.95 by more than its Monte Carlo error, as the downward bias" in text
    fine = simulation.experiment_text(experiment.assign(coverage=0.95))
    assert "compatible with 0.95 within its Monte Carlo error" in fine


def test_the_equivalence_sentence_needs_the_whole_90_percent_interval_inside_the_bounds():
    table = pd.DataFrame({"predictor": ["x", "y"], "direct_std": [0.01, 0.05], "ci_lower": [-0.05, -0.02],
                          "ci_upper": [0.06, 0.14], "negligible": [True, False]})
    text = mediation.equivalence_text(table, 0.10)
    assert "That holds for x." in text and "It does not hold for y (for example y: -0.020 to 0.140)" in text
    types = pd.DataFrame({"predictor": ["x"], "indirect_ci_lower": [0.01], "indirect_ci_upper": [0.2],
                          "direct_ci_lower": [-0.1], "direct_ci_upper": [0.1], "type": ["indirect-only"]})
    again = types.assign(indirect_ci_lower=-0.01, type="no effect")
    assert "the type changes for x" in mediation.type_stability_text(types, again, 200)
    assert "stays the same" in mediation.type_stability_text(types, types, 200)
