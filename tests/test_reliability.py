"""sqlib.reliability against semTools/psych, plus behaviour checks on simulated data.

Reference numbers come only from the "reliability" block of
tests/fixtures/servqual_cfa.json (written by tests/reference/make_refs.R);
nothing here is typed by hand. Tolerance: 1e-3 absolute.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

import sqlib
from sqlib import config
from sqlib.survey.codebook import Codebook, Construct
from sqlib.core.errors import ModelSpecificationError, SurveyDataError
from sqlib.analysis.reliability import (construct_reliability, cronbach_alpha, discriminant_validity, fornell_larcker,
                               htmt, item_analysis)

TOL = 1e-3
FIXTURE = config.FIXTURES_DIR / "servqual_cfa.json"


# --------------------------------------------------------------------- fixtures
@pytest.fixture(scope="module")
def reference():
    if not FIXTURE.exists():
        pytest.skip(f"{FIXTURE} is missing: run `make refs` (needs R with lavaan, semTools and psych)")
    case = json.loads(FIXTURE.read_text())
    if "reliability" not in case:
        pytest.skip(f"{FIXTURE} has no 'reliability' block: regenerate it with tests/reference/make_refs.R")
    data = pd.read_csv(config.PROJECT_ROOT / case["data"])
    return case, data


@pytest.fixture(scope="module")
def servqual_fit(reference):
    case, data = reference
    return sqlib.fit(case["model"], data)


@pytest.fixture(scope="module")
def complete_rows(reference, servqual_fit):
    _, data = reference
    return data.dropna(subset=servqual_fit.observed)


def simulate_factors(corr: np.ndarray, items_per_factor: int, n: int, seed: int, loading: float = 0.8):
    """Items with equal standardized loadings on correlated factors; columns f{j}_{i}."""
    rng = np.random.default_rng(seed)
    factors = rng.multivariate_normal(np.zeros(len(corr)), corr, size=n)
    noise_sd = np.sqrt(1 - loading**2)
    columns = {}
    for j in range(len(corr)):
        for i in range(1, items_per_factor + 1):
            columns[f"f{j}_{i}"] = loading * factors[:, j] + noise_sd * rng.standard_normal(n)
    return pd.DataFrame(columns)


def syntax_for(n_factors: int, items_per_factor: int) -> str:
    return "\n".join(
        f"f{j} =~ " + " + ".join(f"f{j}_{i}" for i in range(1, items_per_factor + 1)) for j in range(n_factors)
    )


# ------------------------------------------------------- against semTools / psych
def test_omega_matches_comprelsem(reference, servqual_fit):
    ref = reference[0]["reliability"]
    table = construct_reliability(servqual_fit).set_index("construct")
    assert set(ref["omega"]) <= set(table.index)
    for construct, value in ref["omega"].items():
        assert table.loc[construct, "omega"] == pytest.approx(value, abs=TOL)
    for construct, value in ref["omega_model_var"].items():
        assert table.loc[construct, "omega_model"] == pytest.approx(value, abs=TOL)


def test_ave_matches_semtools(reference, servqual_fit):
    ref = reference[0]["reliability"]["ave"]
    table = construct_reliability(servqual_fit).set_index("construct")
    for construct, value in ref.items():
        assert table.loc[construct, "ave"] == pytest.approx(value, abs=TOL)
        assert table.loc[construct, "sqrt_ave"] == pytest.approx(np.sqrt(value), abs=TOL)
    fl = fornell_larcker(servqual_fit)
    for construct, value in ref.items():
        assert fl.loc[construct, construct] == pytest.approx(np.sqrt(value), abs=TOL)


def test_alpha_matches_psych(reference, complete_rows):
    for construct, ref in reference[0]["reliability"]["alpha"].items():
        res = cronbach_alpha(complete_rows, ref["items"]).iloc[0]
        assert res["n"] == ref["n"]
        assert res["n_items"] == len(ref["items"])
        assert res["alpha"] == pytest.approx(ref["raw_alpha"], abs=TOL), construct
        assert res["std_alpha"] == pytest.approx(ref["std_alpha"], abs=TOL), construct
        assert res["ci_lower"] == pytest.approx(ref["feldt_ci_lower"], abs=TOL), construct
        assert res["ci_upper"] == pytest.approx(ref["feldt_ci_upper"], abs=TOL), construct


def test_item_analysis_matches_psych(reference, complete_rows):
    for construct, ref in reference[0]["reliability"]["alpha"].items():
        table = item_analysis(complete_rows, ref["items"]).set_index("item")
        assert list(table.index) == list(ref["items"])
        for item in ref["items"]:
            assert table.loc[item, "r_drop"] == pytest.approx(ref["r_drop"][item], abs=TOL), item
            assert table.loc[item, "alpha_if_deleted"] == pytest.approx(ref["alpha_if_dropped"][item], abs=TOL)


def test_construct_reliability_alpha_uses_model_complete_cases(reference, servqual_fit):
    case, data = reference
    table = construct_reliability(servqual_fit, data).set_index("construct")
    for construct, ref in case["reliability"]["alpha"].items():
        assert table.loc[construct, "alpha"] == pytest.approx(ref["raw_alpha"], abs=TOL)
        assert table.loc[construct, "n_items"] == len(ref["items"])


def test_htmt_matches_semtools(reference):
    case, data = reference
    ref = case["reliability"]["htmt"]
    expected = pd.DataFrame(ref["values"], index=ref["names"], columns=ref["names"])
    from_syntax = htmt(data, case["model"])
    assert list(from_syntax.index) == ref["names"]
    np.testing.assert_allclose(from_syntax.to_numpy(), expected.to_numpy(), atol=TOL)
    blocks = {name: items["items"] for name, items in case["reliability"]["alpha"].items()}
    from_dict = htmt(data, blocks).loc[ref["names"], ref["names"]]
    np.testing.assert_allclose(from_dict.to_numpy(), expected.to_numpy(), atol=TOL)


def test_discriminant_validity_uses_reference_htmt(reference, servqual_fit):
    case, data = reference
    ref = case["reliability"]["htmt"]
    expected = pd.DataFrame(ref["values"], index=ref["names"], columns=ref["names"])
    table = discriminant_validity(servqual_fit, data)
    k = len(servqual_fit.latent)
    assert len(table) == k * (k - 1) // 2
    for row in table.itertuples():
        assert row.htmt == pytest.approx(expected.loc[row.construct_1, row.construct_2], abs=TOL)
        assert row.htmt_ok == (row.htmt < 0.85)
        assert row.fl_ok == (min(row.sqrt_ave_1, row.sqrt_ave_2) > abs(row.correlation))


def test_input_frame_is_not_modified(reference, servqual_fit):
    case, data = reference
    before = data.copy()
    construct_reliability(servqual_fit, data)
    htmt(data, case["model"])
    item_analysis(data, ["tan1", "tan2", "tan3"])
    pd.testing.assert_frame_equal(data, before)


# ------------------------------------------------------------------ behaviour
def test_alpha_rises_when_noise_item_is_removed():
    data = simulate_factors(np.eye(1), 4, n=1500, seed=1, loading=0.7)
    data["noise"] = np.random.default_rng(2).standard_normal(len(data))
    good = ["f0_1", "f0_2", "f0_3", "f0_4"]
    with_noise = cronbach_alpha(data, good + ["noise"]).loc[0, "alpha"]
    without = cronbach_alpha(data, good).loc[0, "alpha"]
    assert without > with_noise + 0.02
    table = item_analysis(data, good + ["noise"]).set_index("item")
    assert table["r_drop"].idxmin() == "noise"
    assert abs(table.loc["noise", "r_drop"]) < 0.1
    assert table.loc["noise", "alpha_if_deleted"] == pytest.approx(without)
    assert (table.loc[good, "alpha_if_deleted"] < with_noise).all()


def test_feldt_interval_narrows_with_sample_size_and_widens_with_coverage():
    data = simulate_factors(np.eye(1), 4, n=2000, seed=3)
    items = list(data.columns)
    small = cronbach_alpha(data.iloc[:100], items).iloc[0]
    large = cronbach_alpha(data, items).iloc[0]
    wide = cronbach_alpha(data, items, ci=0.99).iloc[0]
    for res in (small, large, wide):
        assert res["ci_lower"] < res["alpha"] < res["ci_upper"]
    assert (small["ci_upper"] - small["ci_lower"]) > (large["ci_upper"] - large["ci_lower"])
    assert wide["ci_lower"] < large["ci_lower"] and wide["ci_upper"] > large["ci_upper"]
    assert large["n"] == 2000 and small["n"] == 100


def test_alpha_drops_incomplete_rows():
    data = simulate_factors(np.eye(1), 3, n=300, seed=4)
    data.loc[[0, 5, 9], "f0_2"] = np.nan
    res = cronbach_alpha(data, list(data.columns)).iloc[0]
    assert res["n"] == 297
    assert res["alpha"] == pytest.approx(cronbach_alpha(data.dropna(), list(data.columns)).loc[0, "alpha"])


def test_htmt_of_two_item_sets_from_one_factor_is_one():
    data = simulate_factors(np.eye(1), 8, n=4000, seed=5)
    blocks = {"a": [f"f0_{i}" for i in range(1, 5)], "b": [f"f0_{i}" for i in range(5, 9)]}
    ratio = htmt(data, blocks)
    assert ratio.loc["a", "b"] == pytest.approx(1.0, abs=0.03)
    same_items = htmt(data, {"a": blocks["a"], "copy": blocks["a"]})
    assert same_items.loc["a", "copy"] == pytest.approx(1.0, abs=1e-12)


def test_htmt_recovers_factor_correlation_and_is_symmetric():
    corr = np.array([[1.0, 0.3, 0.6], [0.3, 1.0, 0.0], [0.6, 0.0, 1.0]])
    data = simulate_factors(corr, 4, n=4000, seed=6)
    ratio = htmt(data, syntax_for(3, 4))
    np.testing.assert_allclose(ratio.to_numpy(), ratio.to_numpy().T)
    np.testing.assert_allclose(np.diag(ratio), 1.0)
    assert ratio.loc["f0", "f1"] == pytest.approx(0.3, abs=0.05)
    assert ratio.loc["f0", "f2"] == pytest.approx(0.6, abs=0.05)


def test_discriminant_validity_flags_nearly_identical_constructs():
    corr = np.array([[1.0, 0.98, 0.3], [0.98, 1.0, 0.3], [0.3, 0.3, 1.0]])
    data = simulate_factors(corr, 3, n=2000, seed=7, loading=0.75)
    result = sqlib.fit(syntax_for(3, 3), data)
    table = discriminant_validity(result, data).set_index(["construct_1", "construct_2"])
    bad = table.loc[("f0", "f1")]
    assert bad["correlation"] > 0.9
    assert not bad["fl_ok"] and not bad["htmt_ok"]
    assert "f0" in bad["message"] and "f1" in bad["message"]
    assert "HTMT" in bad["message"] and "Fornell-Larcker" in bad["message"]
    for pair in [("f0", "f2"), ("f1", "f2")]:
        assert table.loc[pair, "fl_ok"] and table.loc[pair, "htmt_ok"]
        assert "may not be distinct" not in table.loc[pair, "message"]
    fl = fornell_larcker(result)
    assert fl.loc["f0", "f1"] == pytest.approx(bad["correlation"])
    assert fl.loc["f0", "f0"] == pytest.approx(bad["sqrt_ave_1"])


def test_composite_reliability_ignores_item_scale_but_omega_does_not():
    data = simulate_factors(np.eye(1), 4, n=1500, seed=8, loading=0.7)
    data["f0_4"] = 0.5 * data["f0_4"] + 0.5 * np.random.default_rng(9).standard_normal(len(data))
    syntax = syntax_for(1, 4)
    base = construct_reliability(sqlib.fit(syntax, data)).iloc[0]
    rescaled = data.assign(f0_4=data["f0_4"] * 10)
    other = construct_reliability(sqlib.fit(syntax, rescaled)).iloc[0]
    assert other["composite_reliability"] == pytest.approx(base["composite_reliability"], abs=1e-4)
    assert abs(other["omega"] - base["omega"]) > 0.05
    assert 0 < base["ave"] < base["composite_reliability"] < 1


def test_codebook_orders_the_rows():
    data = simulate_factors(np.eye(2), 3, n=500, seed=10)
    result = sqlib.fit(syntax_for(2, 3), data)
    book = Codebook(name="test", constructs=[Construct("f1", ["f1_1", "f1_2", "f1_3"]),
                                              Construct("f0", ["f0_1", "f0_2", "f0_3"])])
    assert construct_reliability(result).construct.tolist() == ["f0", "f1"]
    assert construct_reliability(result, codebook=book).construct.tolist() == ["f1", "f0"]
    assert construct_reliability(result)["alpha"].isna().all()


# --------------------------------------------------------------------- errors
def test_unknown_item_is_named():
    data = simulate_factors(np.eye(1), 3, n=50, seed=11)
    with pytest.raises(SurveyDataError, match="f0_9"):
        cronbach_alpha(data, ["f0_1", "f0_2", "f0_9"])
    with pytest.raises(SurveyDataError, match="tan7"):
        htmt(data, {"f0": ["f0_1", "f0_2"], "tangibles": ["f0_3", "tan7"]})


def test_single_item_construct_is_named():
    data = simulate_factors(np.eye(1), 3, n=50, seed=12)
    with pytest.raises(ModelSpecificationError, match="f0_1"):
        cronbach_alpha(data, ["f0_1"])
    with pytest.raises(ModelSpecificationError, match="lonely"):
        htmt(data, "main =~ f0_1 + f0_2\nlonely =~ f0_3")


def test_text_answers_are_reported_with_their_column():
    data = simulate_factors(np.eye(1), 3, n=20, seed=13).astype(object)
    data.loc[4, "f0_2"] = "agree"
    with pytest.raises(SurveyDataError, match="f0_2") as info:
        item_analysis(data, ["f0_1", "f0_2", "f0_3"])
    assert info.value.problems
