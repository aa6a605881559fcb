"""Multi-group WLSMV and ordinal measurement invariance against lavaan + semTools.

Fixtures come from tests/reference/make_refs_ordinal_groups.R on the three-country data of
tests/reference/make_ordinal_group_data.py: ``og_lavaan`` (lavaan's own identification),
``og_lavaan_equal`` (group.equal = thresholds, loadings) and the Wu & Estabrook (2016)
sequence ``og_configural`` ... ``og_intercepts`` written by semTools::measEq.syntax, with
lavTestLRT (DIFFTEST) and lavTestScore for each constrained step.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

import sqlib
from sqlib.core import config
from sqlib.core.errors import ModelSpecificationError
from sqlib.analysis.invariance import fit_level, locate_noninvariance, release_tests

MODEL = "quality =~ q1 + q2 + q3 + q4\nvalue =~ q5 + q6 + q7 + q8"
STEPS = ["configural", "thresholds", "loadings", "intercepts"]
# every fit measure lavaan prints for these fits (the robust ones from its catML refit)
MEASURES = ["npar", "fmin", "chisq", "df", "pvalue", "chisq_scaled", "df_scaled", "pvalue_scaled",
            "chisq_scaling_factor", "baseline_chisq", "baseline_df", "baseline_pvalue", "baseline_chisq_scaled",
            "baseline_df_scaled", "baseline_pvalue_scaled", "baseline_chisq_scaling_factor", "cfi", "tli", "nnfi",
            "rfi", "nfi", "pnfi", "ifi", "rni", "cfi_scaled", "tli_scaled", "nnfi_scaled", "rfi_scaled",
            "nfi_scaled", "pnfi_scaled", "ifi_scaled", "rni_scaled", "cfi_robust", "tli_robust", "nnfi_robust",
            "rni_robust", "rmsea", "rmsea_ci_lower", "rmsea_ci_upper", "rmsea_pvalue", "rmsea_scaled",
            "rmsea_ci_lower_scaled", "rmsea_ci_upper_scaled", "rmsea_pvalue_scaled", "rmsea_robust",
            "rmsea_ci_lower_robust", "rmsea_ci_upper_robust", "rmr", "rmr_nomean", "srmr", "srmr_bentler",
            "srmr_bentler_nomean", "crmr", "crmr_nomean", "wrmr", "gfi", "agfi", "pgfi"]


def load(name: str) -> dict:
    return json.loads((config.FIXTURES_DIR / f"{name}.json").read_text())


@pytest.fixture(scope="module")
def data() -> pd.DataFrame:
    return pd.read_csv(config.FIXTURES_DIR / "data" / "ordinal_groups.csv")


@pytest.fixture(scope="module")
def sequence(data) -> dict:
    return {step: fit_level(MODEL, data, "country", step, ordered=True) for step in STEPS}


def lavaan_fit(name: str, data):
    case = load(name)
    options = case["options"]
    equal = options.get("group.equal") or []
    equal = [equal] if isinstance(equal, str) else list(equal)
    return case, sqlib.fit(MODEL, data, ordered=True, group="country", group_equal=equal)


def compare_estimates(case: dict, result) -> None:
    ref = pd.DataFrame(case["estimates"])
    ref["rhs"] = ref["rhs"].fillna("").astype(str)
    ours = result.estimates.assign(rhs=result.estimates["rhs"].fillna(""))
    merged = ref.merge(ours, on=["lhs", "op", "rhs", "group"], how="outer", suffixes=("_ref", ""), indicator=True)
    assert (merged["_merge"] == "both").all(), merged[merged["_merge"] != "both"][["lhs", "op", "rhs", "group"]]
    for column in ("est", "se", "std_lv", "std_all"):
        diff = (merged[f"{column}_ref"].astype(float) - merged[column].astype(float)).abs()
        assert diff.max() < 1e-3, (column, merged.assign(diff=diff).sort_values("diff").tail(3))


def compare_fit_measures(case: dict, result) -> None:
    ref = case["fit_measures"]
    for name in MEASURES:
        assert name in ref, name
        if ref[name] is None:
            continue
        if name.startswith(("chisq", "baseline_chisq")):
            assert result.fit_measures[name] == pytest.approx(ref[name], rel=1e-3), name
        else:
            assert result.fit_measures[name] == pytest.approx(ref[name], abs=1e-3), name


@pytest.mark.parametrize("name", ["og_lavaan", "og_lavaan_equal"])
def test_multigroup_wlsmv_matches_lavaan(name, data):
    case, result = lavaan_fit(name, data)
    assert result.nobs == case["nobs"]
    compare_estimates(case, result)
    compare_fit_measures(case, result)


@pytest.mark.parametrize("step", STEPS)
def test_wu_estabrook_steps_match_measeq_syntax(step, sequence):
    case, result = load(f"og_{step}"), sequence[step]
    compare_estimates(case, result)
    compare_fit_measures(case, result)


@pytest.mark.parametrize("step", STEPS[1:])
def test_difftest_between_steps_matches_lavtestlrt(step, sequence):
    ref = load(f"og_{step}")["difftest"]
    previous = sequence[STEPS[STEPS.index(step) - 1]]
    ours = sqlib.compare(previous, sequence[step])
    assert ours["delta_df"].iloc[1] == ref["delta_df"]
    assert ours["delta_chisq"].iloc[1] == pytest.approx(ref["delta_chisq"], rel=1e-3)
    assert ours["delta_pvalue"].iloc[1] == pytest.approx(ref["delta_pvalue"], abs=1e-4)


@pytest.mark.parametrize("step", STEPS[1:])
def test_score_tests_match_lavtestscore(step, sequence):
    ref = pd.DataFrame(load(f"og_{step}")["release_tests"])
    ours = release_tests(sequence[step])
    ref["rhs"] = ref["rhs"].fillna("")
    merged = ref.merge(ours, on=["lhs", "op", "rhs", "group"], how="outer", suffixes=("_ref", ""), indicator=True)
    # thresholds and loadings from the equality constraints; in the intercepts step also the
    # intercepts held at 0 in groups 2 and 3 (the R script scores them as nu == 0 constraints)
    assert (merged["_merge"] == "both").all(), merged[merged["_merge"] != "both"]
    assert ("~1" in set(merged["op"])) == (step == "intercepts")
    both = merged
    # the estimates agree to ~5e-5 (lavaan's convergence), which moves the statistics by ~1e-3
    assert np.allclose(both["x2"], both["x2_ref"], rtol=5e-3, atol=2e-3)


def test_invariance_table_and_the_planted_differences(data, sequence):
    result = sqlib.invariance(MODEL, data, group="country", ordered=True)
    table = result.table.set_index("level")
    assert list(table.index) == STEPS
    for step in STEPS:
        assert table.loc[step, "chisq"] == pytest.approx(load(f"og_{step}")["fit_measures"]["chisq_scaled"], rel=1e-3)
    for step in STEPS[1:]:
        assert table.loc[step, "delta_chisq"] == pytest.approx(load(f"og_{step}")["difftest"]["delta_chisq"], rel=1e-3)
    # the data were built with shifted q3 thresholds in PL and a weaker q6 loading in FR
    assert table.loc["intercepts", "verdict"] == "not supported"
    found = locate_noninvariance(MODEL, data, group="country", ordered=True)
    assert found["partial"][:2] == ["q3~1", "value=~q6"]
    assert list(found["freed"]["deviating_group"][:2]) == ["PL", "FR"]


def test_empty_category_in_one_group_is_named_and_can_be_collapsed(data):
    sparse = data.copy()
    sparse.loc[(sparse["country"] == "PL") & (sparse["q3"] == 5), "q3"] = 4
    with pytest.raises(ModelSpecificationError, match=r"'q3'.*category 5 in group 'PL'.*'PL': 1=51, 2=135, 3=122, 4=42, 5=0"):
        sqlib.invariance(MODEL, sparse, group="country", ordered=True, levels=["configural"])
    result = sqlib.invariance(MODEL, sparse, group="country", ordered=True, levels=["configural", "thresholds"],
                              collapse_categories=True)
    assert result.notes == ["q3: 5 merged into 4"]
    q3 = result.fits["configural"].estimates.query("lhs == 'q3' and op == '|' and group == 1")
    assert list(q3["rhs"]) == ["t1", "t2", "t3"]
