"""Difference scores (sqlib.analysis.difference_scores): Lord's reliability formula against a
simulation whose true scores are known, and the SERVPERF/SERVQUAL regressions against statsmodels."""

from __future__ import annotations

import numpy as np
import pytest
import statsmodels.api as sm

import sqlib
from sqlib.analysis.difference_scores import (difference_score_reliability, difference_score_table, nested_f_tests,
                                              predictor_comparison, scale_scores)


@pytest.mark.parametrize("r_true, rel_p, rel_e, sd_e", [(0.3, 0.85, 0.80, 0.8), (0.7, 0.80, 0.80, 1.0),
                                                         (0.0, 0.70, 0.90, 1.3)])
def test_lord_formula_equals_the_true_score_share_of_a_simulated_difference(r_true, rel_p, rel_e, sd_e):
    rng = np.random.default_rng(5)
    n = 400_000
    true = rng.multivariate_normal([0, 0], [[1, r_true], [r_true, 1]], size=n)
    true_p, true_e = true[:, 0], sd_e * true[:, 1]
    # error variance so that var(true) / var(observed) is the stated reliability
    p = true_p + rng.normal(0, np.sqrt((1 - rel_p) / rel_p), n)
    e = true_e + rng.normal(0, sd_e * np.sqrt((1 - rel_e) / rel_e), n)
    observed = p - e
    share = np.var(true_p - true_e) / np.var(observed)
    formula = difference_score_reliability(rel_p, rel_e, np.corrcoef(p, e)[0, 1], p.std(), e.std())
    assert formula == pytest.approx(share, abs=0.005)


def test_equal_variances_give_the_textbook_form_and_zero_variance_is_an_error():
    rel_p, rel_e, r = 0.82, 0.78, 0.45
    assert difference_score_reliability(rel_p, rel_e, r) == pytest.approx(((rel_p + rel_e) / 2 - r) / (1 - r))
    with pytest.raises(ValueError, match="no variance"):
        difference_score_reliability(0.8, 0.8, 1.0)


@pytest.fixture(scope="module")
def sample():
    return sqlib.load_sample(), sqlib.Codebook.servqual()


def test_scores_and_table_use_the_same_complete_respondents(sample):
    data, codebook = sample
    scores = scale_scores(data, codebook, "satisfaction")
    used = codebook.items + codebook.expectation_items
    used = [c for c in used if c in data and not c.startswith(("sat", "loy"))] + codebook.items_of("satisfaction")
    assert len(scores) == int(data[used].notna().all(axis=1).sum())
    table = difference_score_table(data, codebook, outcome="satisfaction").set_index("dimension")
    for dimension in codebook.dimensions:
        p, e = scores[f"p_{dimension}"], scores[f"e_{dimension}"]
        assert table.loc[dimension, "r_pe"] == pytest.approx(np.corrcoef(p, e)[0, 1])
        assert table.loc[dimension, "r_gap_p"] == pytest.approx(np.corrcoef(p - e, p)[0, 1])
        assert table.loc[dimension, "r_gap_satisfaction"] == pytest.approx(
            np.corrcoef(p - e, scores["satisfaction"])[0, 1])
        residual = {}
        for name, values in (("gap", p - e), ("y", scores["satisfaction"])):
            slope, intercept = np.polyfit(p, values, 1)
            residual[name] = values - (slope * p + intercept)
        assert table.loc[dimension, "r_gap_satisfaction_given_p"] == pytest.approx(
            np.corrcoef(residual["gap"], residual["y"])[0, 1])
        # with P held constant only -E varies in the gap: its partial correlation is minus E's
        slope, intercept = np.polyfit(p, e, 1)
        e_given_p = np.corrcoef(e - (slope * p + intercept), residual["y"])[0, 1]
        assert table.loc[dimension, "r_e_satisfaction_given_p"] == pytest.approx(e_given_p)
        assert table.loc[dimension, "r_gap_satisfaction_given_p"] == pytest.approx(-e_given_p)
        expectation_items = [codebook.expectations[i] for i in codebook.items_of(dimension)]
        answers = data.loc[scores.index, expectation_items].to_numpy()
        assert table.loc[dimension, "ceiling_e"] == pytest.approx((answers == codebook.scale_max).mean())
    assert (table["reliability_gap"] < table[["alpha_p", "alpha_e"]].min(axis=1)).all()
    # Lord's formula and the alpha of the item gaps estimate the same reliability
    assert np.allclose(table["reliability_gap"], table["alpha_gap"], atol=0.02)


def test_predictor_comparison_equals_statsmodels_ols(sample):
    data, codebook = sample
    scores = scale_scores(data, codebook, "satisfaction")
    table = predictor_comparison(data, codebook).set_index("model")
    sets = {"SERVPERF (P)": scores.filter(regex="^p_"), "SERVQUAL (P - E)": scores.filter(regex="^gap_"),
            "P and E separately": scores.filter(regex="^(p|e)_")}
    for model, x in sets.items():
        ols = sm.OLS(scores["satisfaction"], sm.add_constant(x)).fit()
        assert table.loc[model, "r2"] == pytest.approx(ols.rsquared)
        assert table.loc[model, "adj_r2"] == pytest.approx(ols.rsquared_adj)
        assert table.loc[model, "predictors"] == x.shape[1]
    # the gap model is nested in the separate model
    assert table.loc["SERVQUAL (P - E)", "r2"] <= table.loc["P and E separately", "r2"]


def test_nested_f_tests_equal_statsmodels_compare_f_test(sample):
    data, codebook = sample
    scores = scale_scores(data, codebook, "satisfaction")
    y = scores["satisfaction"]
    full = sm.OLS(y, sm.add_constant(scores.filter(regex="^(p|e)_"))).fit()
    tests = nested_f_tests(data, codebook).set_index("restricted")
    for model, prefix in (("SERVPERF (P)", "^p_"), ("SERVQUAL (P - E)", "^gap_")):
        restricted = sm.OLS(y, sm.add_constant(scores.filter(regex=prefix))).fit()
        f, pvalue, df1 = full.compare_f_test(restricted)
        assert tests.loc[model, "f"] == pytest.approx(f)
        assert tests.loc[model, "pvalue"] == pytest.approx(pvalue, rel=1e-6, abs=1e-300)
        assert tests.loc[model, "df1"] == df1 == 5 and tests.loc[model, "df2"] == full.df_resid
        assert tests.loc[model, "delta_r2"] == pytest.approx(full.rsquared - restricted.rsquared)
    # on the bundled sample the expectations add nothing detectable to P, and the gap's constraint costs fit
    assert tests.loc["SERVPERF (P)", "pvalue"] > 0.05 > 0.001 > tests.loc["SERVQUAL (P - E)", "pvalue"]


def test_a_dimension_without_expectation_twins_is_named(sample):
    data, _ = sample
    spec = sqlib.Codebook.servqual().to_dict()
    spec["expectations"] = {k: v for k, v in spec["expectations"].items() if k != "emp3"}
    spec["labels"] = {k: v for k, v in spec.get("labels", {}).items() if k != "e_emp3"}
    codebook = sqlib.Codebook.from_dict(spec)
    with pytest.raises(ValueError, match="empathy"):
        difference_score_table(data, codebook)
