"""WLSMV with missing answers (``missing="pairwise"``) and with continuous items among the
ordinal ones (lavaan's ``ordered = c(...)``), against lavaan 0.6.

Every reference number comes from tests/reference/make_refs_wlsmv_mixed.R (data from
tests/reference/make_wlsmv_mixed_data.py). Tolerances are those of the WLSMV cases in
test_sem_lavaan.py: estimates, standard errors and fit measures 1e-3 absolute, chi-squares
1e-3 relative. As there for 0-100 sliders, parameters in the units of a continuous item
(a slider's variance is near 300) are compared on the scale of each parameter's natural size:
lavaan's optimizer for a polyserial correlation stops about 1e-5 short of the maximum (its
log-likelihood is lower than sqlib's there), which is 1e-3 in a variance of 100.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

import sqlib
from sqlib import config
from sqlib.core.errors import ModelSpecificationError
from sqlib.sem.estimation import variable_scales

CASES = ["wlsmv_pairwise_cfa", "wlsmv_pairwise_sem", "wlsmv_mixed_cfa", "wlsmv_mixed_sem", "wlsmv_mixed_predictor",
         "wlsmv_mixed_pairwise"]
# measures whose size grows with N / chi-square: relative tolerance like the chi-square
RELATIVE = ("chisq", "chisq_scaled", "baseline_chisq", "baseline_chisq_scaled", "cn_05", "cn_01")


def load_case(name: str) -> dict:
    path = config.FIXTURES_DIR / f"{name}.json"
    if not path.exists():
        pytest.fail(f"fixture {path} is missing: run `make refs` (needs R with lavaan) and commit the result")
    return json.loads(path.read_text())


def case_data(case: dict) -> pd.DataFrame:
    return pd.read_csv(config.PROJECT_ROOT / case["data"])


@pytest.fixture(scope="module", params=CASES)
def case_and_result(request):
    case = load_case(request.param)
    options = case["options"]
    result = sqlib.fit(case["model"], case_data(case), ordered=list(options["ordered"]), missing=options["missing"])
    return case, result


def merged_estimates(case, result) -> pd.DataFrame:
    ref = pd.DataFrame(case["estimates"])
    ref["rhs"] = ref["rhs"].fillna("").astype(str)
    ours = result.estimates.copy()
    ours["rhs"] = ours["rhs"].fillna("").astype(str)
    return ref.merge(ours, on=["lhs", "op", "rhs"], how="outer", suffixes=("_ref", ""), indicator=True)


def natural_size(result, rows: pd.DataFrame, column: str) -> pd.Series:
    """Size of each parameter in the units of its variables (1 for ordinal items and factors
    measured by them; the SD for continuous items)."""
    sd = variable_scales(result.spec, result.objective.stats[0])
    if column == "std_lv":
        sd = {v: (s if v in result.observed else 1.0) for v, s in sd.items()}

    def size(row):
        lhs, rhs = sd.get(row["lhs"], 1.0), sd.get(row["rhs"], 1.0)
        return {"=~": rhs / lhs, "~": lhs / rhs, "~~": lhs * rhs, "~1": lhs}.get(row["op"], 1.0)

    return rows.apply(size, axis=1)


def test_same_parameters_as_lavaan(case_and_result):
    case, result = case_and_result
    merged = merged_estimates(case, result)
    assert (merged["_merge"] == "both").all(), merged.loc[merged["_merge"] != "both", ["lhs", "op", "rhs"]]


@pytest.mark.parametrize("column", ["est", "se", "std_lv", "std_all"])
def test_estimates_match_lavaan(case_and_result, column):
    case, result = case_and_result
    merged = merged_estimates(case, result)
    ref, ours = merged[f"{column}_ref"].astype(float), merged[column].astype(float)
    both = ref.notna()
    diff = (ref[both] - ours[both]).abs()
    if result.objective.ordinal.numeric.any() and column != "std_all":
        diff = diff / natural_size(result, merged.loc[both], column)
    worst = merged.loc[both].assign(diff=diff).sort_values("diff").tail(3)[["lhs", "op", "rhs", "diff"]]
    assert diff.max() < 1e-3, f"{column} differs from lavaan:\n{worst}"


def test_every_fit_measure_matches_lavaan(case_and_result):
    case, result = case_and_result
    assert result.converged
    ours = result.fit_measures
    for name, value in case["fit_measures"].items():
        if value is None:  # lavaan reports NA (robust CFI/RMSEA of mixed models, srmr_mplus)
            assert name not in ours or np.isnan(ours[name]), name
            continue
        assert name in ours, f"{name} is not computed"
        if name in RELATIVE:
            assert ours[name] == pytest.approx(value, rel=1e-3), name
        else:
            assert ours[name] == pytest.approx(value, abs=1e-3), name


def test_r2_matches_lavaan(case_and_result):
    case, result = case_and_result
    for name, value in case["r2"].items():
        assert result.r2[name] == pytest.approx(value, abs=1e-3), name


def test_sample_statistics_and_gamma_match_lavaan(case_and_result):
    """Thresholds and minus the means, variances, polychoric/polyserial/Pearson covariances, Gamma."""
    case, result = case_and_result
    ost = result.objective.ordinal
    ref = np.array(case["wls_obs"], dtype=float)
    assert ost.sample_vector == pytest.approx(ref, abs=1e-3 * max(1.0, np.abs(ref).max() / 100))
    gamma = np.array(case["gamma"], dtype=float)
    scale = np.sqrt(np.outer(np.diag(gamma), np.diag(gamma)))
    assert np.max(np.abs(ost.gamma - gamma) / scale) < 1e-3


def test_pairwise_uses_every_respondent_and_differs_from_listwise():
    """The former behaviour (silently listwise) is gone: pairwise keeps all 500 respondents."""
    case = load_case("wlsmv_pairwise_cfa")
    data = case_data(case)
    ordered = list(case["options"]["ordered"])
    pairwise = sqlib.fit(case["model"], data, ordered=ordered, missing="pairwise")
    listwise = sqlib.fit(case["model"], data, ordered=ordered)
    assert pairwise.fit_measures["ntotal"] == len(data) == case["nobs"][0]
    assert pairwise.missing == "pairwise" and "Missing answers" in pairwise.summary().as_text()
    assert "pairwise" in repr(pairwise)
    assert listwise.fit_measures["ntotal"] == len(data.dropna())
    diff = (pairwise.estimates["est"] - listwise.estimates["est"]).abs().max()
    assert diff > 0.01


def test_continuous_items_keep_their_scale():
    """A slider is modelled on its own scale: free intercept and residual variance."""
    case = load_case("wlsmv_mixed_cfa")
    result = sqlib.fit(case["model"], case_data(case), ordered=list(case["options"]["ordered"]))
    est = result.estimates.set_index(["lhs", "op", "rhs"])["est"]
    data = case_data(case)
    assert est[("slider", "~1", "")] == pytest.approx(data["slider"].mean(), abs=1e-6)
    sigma = result.implied_cov()
    assert sigma.loc["slider", "slider"] == pytest.approx(data["slider"].var(ddof=0), rel=1e-6)
    assert sigma.loc["q1", "q1"] == pytest.approx(1.0)


def test_fiml_and_unknown_missing_with_ordered_items_name_pairwise():
    case = load_case("wlsmv_pairwise_cfa")
    data, ordered = case_data(case), list(case["options"]["ordered"])
    with pytest.raises(ModelSpecificationError, match="missing='pairwise'"):
        sqlib.fit(case["model"], data, ordered=ordered, missing="fiml")
    with pytest.raises(ModelSpecificationError, match="'pairwise'"):
        sqlib.fit(case["model"], data, ordered=ordered, missing="mean")


def test_exogenous_continuous_predictor_is_refused_with_the_alternative():
    case = load_case("wlsmv_mixed_cfa")
    model = "sat =~ q1 + q2 + q3 + q4 + q5 + q6\nsat ~ slider"
    with pytest.raises(ModelSpecificationError, match="slider.*exogenous.*conditional.x"):
        sqlib.fit(model, case_data(case), ordered=list(case["options"]["ordered"]))


@pytest.mark.parametrize("name", ["wlsmv_pairwise_difftest", "wlsmv_mixed_difftest"])
def test_difftest_matches_lavtestlrt(name):
    ref = load_case(name)
    data, options = case_data(ref), ref["options"]
    kwargs = {"ordered": list(options["ordered"]), "missing": options["missing"]}
    free = sqlib.fit(ref["model_free"], data, **kwargs)
    restricted = sqlib.fit(ref["model_restricted"], data, **kwargs)
    table = sqlib.compare(free, restricted)
    assert list(table["chisq"]) == pytest.approx(ref["chisq"], rel=1e-3)
    row = table.iloc[1]
    assert row["delta_df"] == ref["delta_df"]
    assert row["delta_chisq"] == pytest.approx(ref["delta_chisq"], rel=1e-3)
    assert row["delta_pvalue"] == pytest.approx(ref["delta_pvalue"], rel=1e-2, abs=1e-12)


def test_items_never_answered_together_are_named():
    case = load_case("wlsmv_pairwise_cfa")
    data = case_data(case)
    data.loc[data["serv1"].notna(), "val1"] = np.nan      # a split questionnaire: nobody saw both
    with pytest.raises(ModelSpecificationError, match="val1 and serv1 \\(0\\).*missing='fiml'"):
        sqlib.fit(case["model"], data, ordered=list(case["options"]["ordered"]), missing="pairwise")
