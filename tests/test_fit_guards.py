"""sqlib.fit refuses impossible data with the reason, before estimating (issue 14 item 4,
issue 13 item 5): one named test per case, each asserting that the message names the
problem (columns, items, lines) and the fix."""

from __future__ import annotations

import time
import warnings

import numpy as np
import pandas as pd
import pytest

import sqlib
from sqlib import config, models
from sqlib.core.errors import ConvergenceWarning, EstimationError, IdentificationError, ModelSpecificationError

MODEL = "sat =~ sat1 + sat2 + sat3\nloy =~ loy1 + loy2 + loy3 + loy4"


@pytest.fixture(scope="module")
def sample() -> pd.DataFrame:
    return sqlib.load_sample()


def test_infinite_value_is_named_with_its_row(sample):
    data = sample.copy()
    data.loc[3, "sat2"] = np.inf
    with pytest.raises(ModelSpecificationError, match=r"infinite values.*'sat2' \(rows \[3\]\).*set them to missing"):
        sqlib.fit(MODEL, data)


def test_infinite_value_in_an_ordered_item_is_not_a_threshold(sample):
    data = sample.copy()
    data.loc[7, "loy1"] = -np.inf
    with pytest.raises(ModelSpecificationError, match=r"infinite values.*'loy1' \(rows \[7\]\)"):
        sqlib.fit(MODEL, data, ordered=True)


def test_item_that_is_the_sum_of_others_is_refused_with_the_combination(sample):
    data = sample.copy()
    data["sat_total"] = data["sat1"] + data["sat2"] + data["sat3"]
    with pytest.raises(EstimationError) as err:
        sqlib.fit(MODEL.replace("sat3", "sat3 + sat_total"), data)
    message = str(err.value)
    assert "linear combination" in message and "Remove one of" in message
    for item in ("sat_total", "sat1", "sat2", "sat3"):
        assert item in message
    assert "loy1" not in message
    assert "sat_total = 1*sat1 + 1*sat2 + 1*sat3" in message


def test_near_exact_dependence_is_refused_too(sample):
    data = sample.dropna(subset=["sat1", "sat2"]).copy()
    data["sat_copy"] = 2 * data["sat1"] - data["sat2"] + 1e-6 * np.random.default_rng(1).normal(size=len(data))
    with pytest.raises(EstimationError, match=r"sat_copy.*sat1.*sat2|sat_copy.*sat2.*sat1"):
        sqlib.fit(MODEL.replace("sat3", "sat3 + sat_copy"), data)


def test_linear_dependence_is_named_under_fiml_and_wlsmv(sample):
    data = sample.copy()
    data["sat_total"] = data["sat1"] + data["sat2"] + data["sat3"]
    model = MODEL.replace("sat3", "sat3 + sat_total")
    for options in ({"missing": "fiml"}, {"ordered": True}):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            with pytest.raises(EstimationError, match="sat_total.*linear combination"):
                sqlib.fit(model, data, **options)


def test_fewer_rows_than_variables_is_too_few_respondents(sample):
    with pytest.raises(EstimationError, match=r"Too few respondents: 6 complete responses for 7 observed variables"
                                              r".*missing='fiml'") as err:
        sqlib.fit(MODEL, sample.dropna().head(6))
    assert "not identified" not in str(err.value)


def test_too_few_respondents_in_one_group_names_the_group(sample):
    data = pd.concat([sample[sample["country"] == "FR"], sample[sample["country"] == "NL"].dropna().head(5)])
    with pytest.raises(EstimationError, match="Too few respondents: 5 complete responses in group 'NL'"):
        sqlib.fit(MODEL, data, group="country")


def test_item_scaled_by_1e9_gets_a_rescaling_message_not_identification(sample):
    data = sample.copy()
    data["sat2"] = data["sat2"] * 1e9
    with pytest.raises(ModelSpecificationError, match=r"'sat2' has variance .*divide it by 1e9") as err:
        sqlib.fit(MODEL, data)
    assert not isinstance(err.value, IdentificationError)


def test_item_rescaled_within_the_limit_gives_the_same_model(sample):
    """A 1000-fold item (variance ratio 1e6 after squaring is the limit) fits, with exactly rescaled estimates."""
    data = sample.copy()
    data["loy3"] = data["loy3"] * 100
    base = sqlib.fit(MODEL, sample).estimates.set_index(["lhs", "op", "rhs"])
    scaled = sqlib.fit(MODEL, data).estimates.set_index(["lhs", "op", "rhs"])
    assert scaled.loc[("loy", "=~", "loy3"), "est"] == pytest.approx(100 * base.loc[("loy", "=~", "loy3"), "est"],
                                                                      rel=1e-6)
    assert scaled.loc[("loy3", "~~", "loy3"), "est"] == pytest.approx(1e4 * base.loc[("loy3", "~~", "loy3"), "est"],
                                                                       rel=1e-6)
    assert np.allclose(scaled["std_all"], base["std_all"], atol=1e-7)


def test_ordered_item_with_many_values_warns_that_it_looks_continuous(sample):
    data = sample.dropna(subset=["sat1", "sat2", "sat3"]).copy()
    data["sat3"] = data["sat3"] * 10 + np.arange(len(data)) % 10
    with pytest.warns(UserWarning, match=r"Ordered item\(s\) sat3 \(\d+ distinct answers\) look continuous.*MLR"):
        sqlib.fit("sat =~ sat1 + sat2 + sat3", data, ordered=True)


def test_dont_know_code_99_warns(sample):
    data = sample.copy()
    data.loc[:30, "sat2"] = 99
    with pytest.warns(UserWarning, match=r"'sat2' has 31 answer\(s\) 99 while its other answers lie in 1..7"
                                         r".*missing_codes"):
        sqlib.fit(MODEL, data)


def test_duplicate_definition_is_an_error_naming_both_lines(sample):
    model = MODEL + "\nsat ~ a*loy\nx := 2*a\nx := 3*a"
    with pytest.raises(ModelSpecificationError, match=r"Line 5: 'x := 3\*a' defines 'x' a second time "
                                                      r"\(line 4 already defines 'x := 2\*a'\)"):
        sqlib.fit(model, sample)


def test_equal_modifier_in_one_group_is_an_error(sample):
    with pytest.raises(ModelSpecificationError, match=r"Line 1: 'sat =~ sat2' uses 'equal\('a'\)'.*one group.*same label"):
        sqlib.fit("sat =~ sat1 + equal('a')*sat2 + sat3", sample)


def test_vector_modifier_in_one_group_is_an_error(sample):
    with pytest.raises(ModelSpecificationError, match=r"Line 1: 'sat =~ sat2' has the vector modifier 'c\(a, b\)' with "
                                                      r"2 values.*1 group"):
        sqlib.fit("sat =~ sat1 + c(a, b)*sat2 + sat3", sample)


def test_vector_modifier_with_one_value_per_group_still_works(sample):
    data = sample[sample["country"].isin(["FR", "NL"])]
    res = sqlib.fit("sat =~ sat1 + c(a, a)*sat2 + sat3", data, group="country")
    loads = res.estimates.query("op == '=~' and rhs == 'sat2'")["est"]
    assert loads.nunique() == 1 and len(loads) == 2


def test_all_missing_column_is_named_under_fiml(sample):
    data = sample.copy()
    data["sat2"] = np.nan
    with pytest.raises(ModelSpecificationError, match=r"'sat2' have no answers at all") as err:
        sqlib.fit(MODEL, data, missing="fiml")
    assert "singular" not in str(err.value)


def test_all_missing_column_in_one_group_is_named(sample):
    data = sample.copy()
    data.loc[data["country"] == "NO", "loy4"] = np.nan
    with pytest.raises(ModelSpecificationError, match=r"'loy4' in group 'NO'"):
        sqlib.fit(MODEL, data, group="country", missing="fiml")


def test_single_indicator_factor_alone_is_a_clear_error(sample):
    with pytest.raises(ModelSpecificationError, match=r"only one observed variable \('sat1'\).*sat =~ sat1.*residual "
                                                      r"variance of 'sat1' at 0"):
        sqlib.fit("sat =~ sat1", sample)


def test_single_indicator_factor_in_a_larger_model_fits_as_lavaan(sample):
    """lavaan (auto.fix.single): loading 1, residual variance fixed at 0, the factor variance is the item's."""
    res = sqlib.fit("sat =~ sat1\nloy =~ loy1 + loy2 + loy3\nloy ~ sat", sample)
    est = res.estimates.set_index(["lhs", "op", "rhs"])
    assert est.loc[("sat1", "~~", "sat1"), "est"] == 0 and est.loc[("sat1", "~~", "sat1"), "se"] == 0
    assert est.loc[("sat", "~~", "sat"), "est"] == pytest.approx(res.sample_cov().loc["sat1", "sat1"], rel=1e-6)


def test_not_identified_only_at_a_converged_solution(sample, monkeypatch):
    """A stopped optimizer at a singular point is an estimation failure, not an identification verdict."""
    model = "f =~ sat1 + sat2\ng =~ loy1 + loy2\nf ~~ 0*g"
    with pytest.raises(IdentificationError, match="information matrix is singular"):
        sqlib.fit(model, sample)
    from sqlib.sem import recipes

    original = recipes.optimize

    def stopped(objective, theta0, scales=None):
        result = original(objective, theta0, scales)
        result.converged, result.message = False, "iteration limit reached"
        return result

    monkeypatch.setattr(recipes, "optimize", stopped)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        with pytest.raises(EstimationError, match="did not converge.*does not show that the model is unidentified") as err:
            sqlib.fit(model, sample)
    assert not isinstance(err.value, IdentificationError)


# --------------------------------------------------------------- scale-robust estimation (issue 13 item 5)

def slider_survey() -> pd.DataFrame:
    return pd.read_csv(config.FIXTURES_DIR / "data" / "servqual_0_100.csv")


def test_second_order_model_converges_on_0_100_data_like_on_rescaled_data():
    data = slider_survey()
    syntax = models.second_order_syntax()
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        wide = sqlib.fit(syntax, data)
        narrow = sqlib.fit(syntax, data / 20)
    assert time.perf_counter() - start < 10
    assert wide.converged and narrow.converged
    assert wide.fit_measures["chisq"] == pytest.approx(narrow.fit_measures["chisq"], rel=1e-8)
    a = wide.estimates.set_index(["lhs", "op", "rhs"])
    b = narrow.estimates.set_index(["lhs", "op", "rhs"])
    variances = [k for k in a.index if k[1] == "~~"]
    loadings = [k for k in a.index if k[1] in ("=~", "~")]
    assert np.allclose(a.loc[variances, "est"], 400 * b.loc[variances, "est"], rtol=1e-6)
    assert np.allclose(a.loc[loadings, "est"], b.loc[loadings, "est"], rtol=1e-6, atol=1e-9)


def test_1_7_answers_mapped_to_0_100_fit_the_second_order_model(sample):
    """The bundled 1-7 sample mapped to 0-100 gives the same standardized solution."""
    items = [i for c in sqlib.Codebook.servqual().construct_names for i in sqlib.Codebook.servqual().items_of(c)]
    wide = sample.copy()
    wide[items] = (sample[items] - 1) / 6 * 100
    syntax = models.second_order_syntax()
    a = sqlib.fit(syntax, wide)
    b = sqlib.fit(syntax, sample)
    assert a.converged and a.fit_measures["chisq"] == pytest.approx(b.fit_measures["chisq"], rel=1e-8)
    assert np.allclose(a.estimates["std_all"], b.estimates["std_all"], atol=1e-6)


def test_saturated_ordinal_model_fits_without_division_by_zero(sample):
    """Three ordered items on one factor leave 0 degrees of freedom: no scaling factor, perfect fit."""
    res = sqlib.fit("sat =~ sat1 + sat2 + sat3", sample, ordered=True)
    fm = res.fit_measures
    assert fm["df"] == 0 and fm["chisq_scaled"] == pytest.approx(0, abs=1e-10)
    assert np.isnan(fm["chisq_scaling_factor"])
    assert fm["cfi_robust"] == pytest.approx(1) and fm["rmsea_robust"] == pytest.approx(0, abs=1e-10)
