"""The lavaan reference fixtures are complete, well formed and not stale.

The fixtures are written by ``tests/reference/make_refs.R`` (``make refs``). Each one
records the SHA-256 of the data file it was computed on; when the data change (for
example after ``make data`` regenerates the bundled sample) the hash no longer
matches and these tests say which fixtures to rebuild. No R is needed here.
"""

from __future__ import annotations

import hashlib
import json
import math
import re

import pytest

from sqlib import config

FIT_CASES = ["hs_cfa", "poldem_sem", "hs_cfa_stdlv", "hs_path",
             "servqual_cfa", "servqual_sem", "servqual_sem_direct",
             "hs_cfa_mlr", "servqual_cfa_mlr", "servqual_cfa_fiml", "hs_configural", "hs_metric", "hs_scalar",
             "hs_scalar_mlr", "servqual_scalar", "servqual_scalar_partial", "fail_heywood", "fail_npd",
             "hs_cfa_wlsmv", "servqual_cfa_wlsmv", "servqual_sem_wlsmv",
             "servqual_second_order_0_100", "servqual_sem_mixed_scale", "servqual_cfa_mlr_fiml", "servqual_sem_mlr_fiml",
             "servqual_groups_mlr_fiml",
             # tests/reference/make_refs_ordinal_groups.R
             "og_lavaan", "og_lavaan_equal", "og_configural", "og_thresholds", "og_loadings", "og_intercepts",
             # tests/reference/make_refs_group_paths.R
             "gp_metric", "gp_equal_paths"]
# WLSMV with missing="pairwise" and mixed ordinal/continuous items (make_refs_wlsmv_mixed.R)
FIT_CASES += ["wlsmv_pairwise_cfa", "wlsmv_pairwise_sem", "wlsmv_mixed_cfa", "wlsmv_mixed_sem",
              "wlsmv_mixed_predictor", "wlsmv_mixed_pairwise"]
OTHER_CASES = ["servqual_descriptives", "hs_wlsmv_difftest", "wlsmv_pairwise_difftest", "wlsmv_mixed_difftest"]
OTHER_CASES += ["servqual_reliability_boot"]  # tests/reference/make_refs_reliability_boot.R

FIT_KEYS = {"case", "lavaan_version", "semtools_version", "r_version", "data", "data_sha256", "model",
            "options", "nobs", "converged", "estimates", "fit_measures", "r2", "modindices",
            "residuals", "implied_cov", "sample_cov", "warnings"}
ESTIMATE_KEYS = {"lhs", "op", "rhs", "group", "label", "est", "se", "z", "pvalue",
                 "ci_lower", "ci_upper", "std_lv", "std_all"}
MODINDEX_KEYS = {"lhs", "op", "rhs", "group", "mi", "epc", "sepc_lv", "sepc_all"}
OPTION_KEYS = {"estimator", "group", "missing", "function"}
FIT_MEASURE_KEYS = {"npar", "chisq", "df", "pvalue", "cfi", "tli", "rmsea", "srmr"}  # lavaan's WLSMV has no ntotal
MARDIA_KEYS = {"b1p", "b2p", "skew", "p_skew", "kurtosis", "p_kurtosis", "small_skew", "p_small_skew", "n"}
OPERATORS = {"=~", "~", "~~", "~1", ":=", "|", "~*~", "==", "<", ">"}

ALL_CASES = FIT_CASES + OTHER_CASES


def fixture_path(name):
    return config.FIXTURES_DIR / f"{name}.json"


def load(name):
    path = fixture_path(name)
    if not path.exists():
        pytest.fail(f"fixture {path.relative_to(config.PROJECT_ROOT)} is missing: "
                    "run `make refs` (needs R with lavaan) and commit the result")
    return json.loads(path.read_text())


def sha256(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def is_square(matrix, size):
    return len(matrix) == size and all(len(row) == size for row in matrix)


def groups_of(block):
    """A per-group block is a dict for one group and a list of dicts for several."""
    return block if isinstance(block, list) else [block]


def test_no_unexpected_fixture_files():
    found = {p.stem for p in config.FIXTURES_DIR.glob("*.json")}
    assert found <= set(ALL_CASES), (
        f"fixtures without a schema check: {sorted(found - set(ALL_CASES))}; "
        "add them to tests/test_fixtures_schema.py")


@pytest.mark.parametrize("name", ALL_CASES)
def test_fixture_names_its_case_and_versions(name):
    case = load(name)
    assert case["case"] == name
    for key in ("lavaan_version", "semtools_version"):
        assert re.fullmatch(r"\d+(\.\d+)+", case[key]), (key, case[key])
    assert case["r_version"].startswith("R version ")


@pytest.mark.parametrize("name", ALL_CASES)
def test_data_file_exists_and_matches_recorded_hash(name):
    case = load(name)
    assert not case["data"].startswith("/"), "data paths must be relative to the project root"
    data = config.PROJECT_ROOT / case["data"]
    assert data.is_file(), f"{name}: data file {case['data']} does not exist"
    assert re.fullmatch(r"[0-9a-f]{64}", case["data_sha256"])
    assert sha256(data) == case["data_sha256"], (
        f"{name}: {case['data']} changed since the fixture was written; run `make refs` and commit")


@pytest.mark.parametrize("name", FIT_CASES)
def test_fit_fixture_has_schema_keys(name):
    case = load(name)
    missing = FIT_KEYS - set(case)
    assert not missing, f"{name} lacks {sorted(missing)}"
    assert OPTION_KEYS <= set(case["options"])
    assert case["options"]["function"] in ("cfa", "sem")
    assert case["converged"] is True
    assert FIT_MEASURE_KEYS <= set(case["fit_measures"])
    assert not any("." in key for key in case["fit_measures"]), "fit measure names use underscores"
    assert isinstance(case["warnings"], list)


@pytest.mark.parametrize("name", FIT_CASES)
def test_estimate_rows_are_complete(name):
    case = load(name)
    rows = case["estimates"]
    assert rows, f"{name} has no parameter estimates"
    ngroups = len(case["nobs"])
    for row in rows:
        assert ESTIMATE_KEYS <= set(row), row
        assert row["op"] in OPERATORS, row
        # defined parameters belong to no group (lavaan reports 0 in multi-group models)
        assert row["group"] in range(0 if ngroups > 1 else 1, ngroups + 1), row
        assert isinstance(row["est"], (int, float)) and math.isfinite(row["est"]), row
    for row in case["modindices"]:
        assert MODINDEX_KEYS <= set(row), row


@pytest.mark.parametrize("name", FIT_CASES)
def test_model_labels_and_defined_parameters_are_in_the_table(name):
    case = load(name)
    defined = {line.split(":=")[0].strip() for line in case["model"].splitlines() if ":=" in line}
    table_defined = {row["lhs"] for row in case["estimates"] if row["op"] == ":="}
    assert defined == table_defined


@pytest.mark.parametrize("name", FIT_CASES)
def test_matrices_are_square_and_agree_with_nobs(name):
    case = load(name)
    assert all(isinstance(n, int) and n > 0 for n in case["nobs"])
    assert case["fit_measures"].get("ntotal", sum(case["nobs"])) == sum(case["nobs"])
    for key in ("implied_cov", "sample_cov"):
        for block in groups_of(case[key]):
            assert is_square(block["values"], len(block["names"])), key
    for block in groups_of(case["residuals"]):
        for kind in ("raw", "cor"):
            assert is_square(block[kind], len(block["names"])), kind


@pytest.mark.parametrize("name", FIT_CASES)
def test_raw_residuals_are_sample_minus_implied(name):
    """Consistency check between three independently exported lavaan matrices."""
    case = load(name)
    blocks = zip(groups_of(case["residuals"]), groups_of(case["sample_cov"]), groups_of(case["implied_cov"]))
    for res, sample, implied in blocks:
        idx_s = [sample["names"].index(v) for v in res["names"]]
        idx_i = [implied["names"].index(v) for v in res["names"]]
        for a, (i_s, i_i) in enumerate(zip(idx_s, idx_i)):
            for b, (j_s, j_i) in enumerate(zip(idx_s, idx_i)):
                expected = sample["values"][i_s][j_s] - implied["values"][i_i][j_i]
                assert res["raw"][a][b] == pytest.approx(expected, abs=1e-8)


def test_servqual_reliability_block():
    case = load("servqual_cfa")
    rel = case["reliability"]
    factors = {row["lhs"] for row in case["estimates"] if row["op"] == "=~"}
    for key in ("omega", "omega_model_var", "ave"):
        assert set(rel[key]) == factors, key
    assert set(rel["htmt"]["names"]) == factors
    assert is_square(rel["htmt"]["values"], len(factors))
    assert set(rel["alpha"]) == factors
    for name, block in rel["alpha"].items():
        assert set(block["r_drop"]) == set(block["items"]) == set(block["alpha_if_dropped"]), name
        assert block["feldt_ci_lower"] < block["raw_alpha"] < block["feldt_ci_upper"], name


def test_servqual_reliability_boot_block():
    case = load("servqual_reliability_boot")
    resamples = config.PROJECT_ROOT / case["resamples"]
    assert sha256(resamples) == case["resamples_sha256"], (
        "the resamples changed since the fixture was written; run `make refs` and commit")
    factors = set(case["full_sample"]["omega"])
    assert len(factors) == 7 and case["draws"]
    for draw in case["draws"]:
        assert draw["converged"] is True
        assert all(set(draw[key]) == factors for key in ("omega", "omega_model", "ave"))
    assert [draw["draw"] for draw in case["draws"]] == list(range(len(case["draws"])))
    for key in ("omega", "ave"):
        assert all(v["ci_lower"] < v["ci_upper"] for v in case["percentile"][key].values())


def test_servqual_descriptives_block():
    case = load("servqual_descriptives")
    assert MARDIA_KEYS <= set(case["mardia"])
    describe = case["describe"]
    assert describe["item"] == case["items"]
    assert len(describe["skew"]) == len(describe["kurtosis"]) == len(case["items"])
    assert case["mardia"]["n"] == describe["n"][0]
