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
    assert f"{worst['lhs']}-{worst['rhs']} ({format_number(worst['ci_upper'])})" in sentence
    assert "upper bound of the bootstrap interval" in sentence
    assert "HTMT itself" in text.htmt_text(None, boot.htmt())


def test_ipma_text_names_the_first_priorities(boot):
    table = ipma(boot, "Loyalty", scales=(1, 10))
    sentence = text.ipma_text(table)
    top = table.sort_values("importance", ascending=False).iloc[0]
    assert f"most important driver is {top['dimension']}" in sentence
    for r in table[table["priority"] == "concentrate here"].itertuples():
        assert r.dimension in sentence.split("Improve first:")[1]
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
    assert f"for {k} of the 3 items: {level} predictive power" in sentence
    assert "from 0.100 to 0.300" in sentence and "10-fold" in sentence


def test_prediction_text_names_items_not_predicted_better_than_their_mean():
    table = _prediction_table([1, 1, 1], [2, 2, 2], [0.2, -0.05, 0.0])
    sentence = text.prediction_text(table, 5)
    assert "2 of the 3 endogenous items (y1, y2) no better than their training means" in sentence
    assert "high" not in sentence
    assert text.prediction_text(None) == "PLSpredict was not run (predict_folds is 0)."
