"""Text of the PLS-SEM section (sqlib.report.narratives.pls) reports the numbers of its tables."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

import sqlib
from sqlib.analysis.pls_ipma import ipma
from sqlib.report.narratives import pls as text
from sqlib.report.presentation import format_number
from sqlib.sem.pls_result import path_comparison

MOBI = Path(__file__).resolve().parents[1].parent / "shared" / "realdata" / "mobi.csv"
pytestmark = pytest.mark.skipif(not MOBI.exists(), reason="../shared/realdata/mobi.csv is absent")
MODEL = """
Image =~ IMAG1 + IMAG2 + IMAG3 + IMAG4 + IMAG5
Expectation =~ CUEX1 + CUEX2 + CUEX3
Satisfaction =~ CUSA1 + CUSA2 + CUSA3
Loyalty =~ CUSL1 + CUSL2 + CUSL3
Satisfaction ~ Image + Expectation
Loyalty ~ Image + Satisfaction
"""


@pytest.fixture(scope="module")
def boot():
    return sqlib.fit_pls(MODEL, pd.read_csv(MOBI)).bootstrap(200, seed=1)


def test_paths_text_names_exactly_the_paths_whose_interval_excludes_zero(boot):
    est = boot.estimates[boot.estimates["op"] == "~"]
    significant = est[(est["ci_lower"] > 0) | (est["ci_upper"] < 0)]
    sentence = text.paths_text(boot)
    assert sentence.startswith(f"{len(significant)} of {len(est)} paths")
    for r in significant.itertuples():
        assert f"{r.rhs} -> {r.lhs} ({format_number(r.est)})" in sentence
    assert "no path is called significant" in text.paths_text(sqlib.fit_pls(MODEL, pd.read_csv(MOBI)))


def test_reliability_text_flags_the_constructs_below_the_thresholds(boot):
    table = boot.reliability()
    sentence = text.reliability_text(table)
    # mobi: Expectation (rhoA .46) and Image (AVE .48) fall short; Satisfaction and Loyalty do not
    assert sentence.startswith("2 of 4 multi-item constructs")
    assert "Expectation (rhoA" in sentence and "Image (rhoA" in sentence
    assert "Loyalty" not in sentence and "Satisfaction" not in sentence
    assert format_number(table.loc["Expectation", "rhoA"]) in sentence
    assert text.reliability_text(table.loc[["Satisfaction", "Loyalty"]]).startswith("All 2 multi-item")


def test_htmt_text_uses_the_bootstrap_upper_bound(boot):
    rows = boot.boot.table[boot.boot.table["kind"] == "htmt"]
    sentence = text.htmt_text(rows, boot.htmt())
    worst = rows.loc[rows["ci_upper"].idxmax()]
    assert (f"{worst['lhs']}-{worst['rhs']} (HTMT {format_number(worst['est'])}, upper bound "
            f"{format_number(worst['ci_upper'])})") in sentence
    assert "upper bound of the bootstrap interval" in sentence
    assert "HTMT itself" in text.htmt_text(None, boot.htmt())


def test_ipma_text_names_the_first_priorities(boot):
    table = ipma(boot, "Loyalty", scales=(1, 10))
    sentence = text.ipma_text(table)
    top = table.sort_values("importance", ascending=False).iloc[0]
    assert f"most important driver is {top['dimension']}" in sentence
    assert f"performance {top['performance']:.1f} of 100" in sentence  # a 0-100 score to one decimal
    for r in table[table["priority"] == "concentrate here"].itertuples():
        assert f"{r.dimension} (importance {format_number(r.importance)}, performance {r.performance:.1f})" in \
            sentence.split("Improve first:")[1]
    assert text.ipma_text(None, "No map: reason.") == "No map: reason."


def test_comparison_text_reports_the_largest_gap():
    design_data = sqlib.load_sample()
    from sqlib.analysis.design import study_design

    design = study_design(None)
    data = design.model_data(design_data)
    table = path_comparison(sqlib.fit(design.sem_syntax(), data), sqlib.fit_pls(design.pls_syntax(), data))
    sentence = text.comparison_text(table)
    gap = table.loc[table["difference"].abs().idxmax()]
    assert f"{gap['rhs']} -> {gap['lhs']} ({format_number(gap['cbsem'])} in CB-SEM, {format_number(gap['pls'])}" \
        in sentence
    assert sentence.startswith("The largest gap") and "opposite signs" not in sentence


def test_comparison_text_does_not_compare_uninterpretable_cbsem_paths_and_names_sign_flips():
    table = pd.DataFrame({"lhs": ["y", "y", "z"], "op": "~", "rhs": ["a", "b", "y"], "cbsem": [3.27, -0.12, 0.5],
                          "pls": [0.48, 0.13, 0.45]})
    table["difference"] = table["pls"] - table["cbsem"]
    reason = "The structural paths are not interpretable as they stand: collinear predictors (a, b)."
    sentence = text.comparison_text(table, reason, n_cbsem=336, n_pls=344)
    assert sentence.startswith("The CB-SEM column is not compared with the PLS paths, because in CB-SEM the "
                               "structural paths are not interpretable")
    assert "largest gap" not in sentence and "CB-SEM used 336 respondents and PLS 344" in sentence
    flips = text.comparison_text(table)
    assert "1 of the 3 paths have opposite signs in the two methods (b -> y)" in flips
    summary_part = flips.split(text.WHY_THEY_DIFFER)[0].strip()
    assert summary_part.endswith("(b -> y).")


def _prediction_table(pls_rmse, lm_rmse, q2):
    items = [f"y{i}" for i in range(len(pls_rmse))]
    table = pd.DataFrame({"item": items, "q2_predict": q2, "pls_rmse": pls_rmse, "lm_rmse": lm_rmse})
    table["pls_better"] = table["pls_rmse"] < table["lm_rmse"]
    return table


@pytest.mark.parametrize("pls_rmse, level", [([1, 1, 1], "high"), ([1, 1, 3], "medium"), ([1, 3, 3], "low"),
                                             ([3, 3, 3], "no")])
def test_prediction_text_grades_predictive_power_as_shmueli_et_al(pls_rmse, level):
    table = _prediction_table(pls_rmse, [2, 2, 2], [0.1, 0.2, 0.3])
    sentence = text.prediction_text(table, 10)
    k = sum(r < 2 for r in pls_rmse)
    assert f"for {k} of the 3: {level} predictive power" in sentence
    assert "from 0.100 to 0.300" in sentence and "10-fold" in sentence


def test_prediction_text_names_items_not_predicted_better_than_their_mean():
    table = _prediction_table([1, 1, 1], [2, 2, 2], [0.2, -0.05, 0.0])
    sentence = text.prediction_text(table, 5)
    assert "2 of the 3 endogenous items (y1, y2) no better than their training means" in sentence
    assert "high" not in sentence
    # only the key target's items are graded: y0 alone is predicted well
    only_target = text.prediction_text(table, 5, "loyalty", ["y0"])
    assert "all of loyalty's 1 item have Q2_predict above 0" in only_target and "for 1 of the 1: high" in only_target
    assert text.prediction_text(None) == "PLSpredict was not run (predict_folds is 0)."


def test_htmt_text_names_pairs_whose_interval_reaches_one():
    rows = pd.DataFrame({"kind": "htmt", "lhs": ["a", "b"], "rhs": ["b", "c"], "est": [0.918, 0.80],
                         "ci_upper": [1.015, 0.87]})
    sentence = text.htmt_text(rows, None)
    assert "a-b (HTMT 0.918, upper bound 1.015)" in sentence and "b-c (HTMT 0.800, upper bound 0.870)" in sentence
    assert "For 1 pair the interval reaches 1 (a-b): the data cannot tell these constructs apart at all" in sentence


def test_loadings_text_names_items_below_708_and_deletion_candidates_below_40():
    mobi = pd.read_csv(MOBI)
    result = sqlib.fit_pls(MODEL, mobi)
    loadings = result.estimates.query("op == '=~'")
    low = loadings[loadings["est"] < 0.708]
    sentence = text.loadings_text(result)
    assert sentence.startswith(f"{len(low)} of {len(loadings)} loadings are below .708")
    for r in low.itertuples():
        assert f"{r.lhs} {r.rhs} {format_number(r.est)}" in sentence
    very_low = low[low["est"] < 0.40]["rhs"].tolist()
    assert ("Below .40, " + ", ".join(very_low)) in sentence if very_low else "Below .40" not in sentence


def test_collinearity_text_uses_vif_3_and_5():
    vif = pd.DataFrame({"target": ["y", "y", "z"], "predictor": ["a", "b", "y"], "vif": [3.22, 1.5, float("nan")]})
    assert "1 predictor VIF is 3 or more" in text.collinearity_text(vif) and "a -> y 3.220" in text.collinearity_text(vif)
    vif.loc[0, "vif"] = 2.0
    assert text.collinearity_text(vif).startswith("Every predictor VIF is below 3 (largest 2.000)")
    assert "does not arise" in text.collinearity_text(vif.iloc[[2]])


def test_specific_effects_text_reports_chains_whose_interval_excludes_zero(boot):
    table = boot.specific_effects()
    sentence = text.specific_effects_text(table)
    clear = table[(table["ci_lower"] > 0) | (table["ci_upper"] < 0)]
    assert sentence.startswith(f"{len(clear)} of {len(table)} specific indirect effects")
    top = clear.loc[clear["est"].abs().idxmax()]
    assert f"{top['source']} -> {top['through']} -> {top['target']} ({format_number(top['est'])})" in sentence
    unbooted = sqlib.fit_pls(MODEL, pd.read_csv(MOBI)).specific_effects()
    assert "without bootstrap draws" in text.specific_effects_text(unbooted)


def test_reliability_text_flags_rhoc_above_95():
    table = pd.DataFrame({"alpha": [0.9, 0.8], "rhoA": [0.97, 0.8], "rhoC": [0.96, 0.85], "AVE": [0.8, 0.6]},
                         index=["a", "b"])
    assert "rhoC above .95 suggests items that repeat each other (Hair et al., 2019): a (0.960)." in \
        text.reliability_text(table)


def test_reflective_criteria_leave_out_formative_constructs():
    table = pd.DataFrame({"alpha": [0.6, 0.8], "rhoA": [1.0, 0.8], "rhoC": [0.82, 0.85], "AVE": [0.49, 0.6]},
                         index=["performance", "b"])
    assert "performance" in text.reliability_text(table)
    assert text.reliability_text(table, formative=["performance"]).startswith("All 1 multi-item constructs")
    rows = pd.DataFrame({"kind": "htmt", "lhs": ["performance", "b"], "rhs": ["b", "c"], "est": [0.95, 0.5],
                         "ci_upper": [0.99, 0.6]})
    assert "performance-b" in text.htmt_text(rows, None)
    assert text.htmt_text(rows, None, formative=["performance"]).startswith("Discriminant validity holds")
