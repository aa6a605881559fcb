"""The whole report on real surveys and on simulated survey shapes (issue 13).

Real surveys come from ../shared/realdata (see its README); the tests are skipped,
with the reason, when that folder is absent. Each run uses the example codebook and
params under examples/, with fewer bootstrap draws and power replications.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
import yaml

from sqlib import config
from sqlib.analysis.design import study_design
from sqlib.report.presentation import format_number
from sqlib.report.runner import run_report
from tests.survey_shapes import FAST, write_shape

REALDATA = config.PROJECT_ROOT.parent / "shared" / "realdata"
EXAMPLES = config.PROJECT_ROOT / "examples"
needs_realdata = pytest.mark.skipif(not (REALDATA / "mobi.csv").is_file(),
                                    reason=f"real surveys not found in {REALDATA} (shared/realdata beside the project)")


def _run(params_path: Path, root: Path) -> Path:
    params = yaml.safe_load(params_path.read_text(encoding="utf-8"))
    params["data"] = str((params_path.parent / params["data"]).resolve())
    params["codebook"] = str((params_path.parent / params["codebook"]).resolve())
    params["notebook_parameters"] = FAST
    try:
        return run_report(params, output_root=root)
    except Exception:  # a failed notebook: the run folder still holds the manifest to assert on
        return sorted(root.iterdir())[-1]


def _manifest(run: Path) -> dict:
    return json.loads((run / "manifest.json").read_text(encoding="utf-8"))


def _statuses(run: Path) -> dict:
    return {r["notebook"]: (r["status"], r.get("reason") or "") for r in _manifest(run)["notebooks"]}


def _summary(run: Path, notebook: str) -> str:
    return (run / "summaries" / f"{notebook}.md").read_text(encoding="utf-8")


def _fit_numbers_in(summary: str, table: pd.DataFrame) -> bool:
    row = table.iloc[0]
    return all(f"{m.upper()} {format_number(row[m], 'fit')}" in summary for m in ("cfi", "tli", "rmsea", "srmr"))


@pytest.fixture(scope="module")
def ecsi(tmp_path_factory):
    return _run(EXAMPLES / "ecsi_mobi" / "params.yaml", tmp_path_factory.mktemp("ecsi"))


@pytest.fixture(scope="module")
def reputation(tmp_path_factory):
    return _run(EXAMPLES / "corporate_reputation" / "params.yaml", tmp_path_factory.mktemp("reputation"))


@needs_realdata
def test_ecsi_runs_what_the_data_support_and_skips_the_rest(ecsi):
    statuses = _statuses(ecsi)
    for name in ("01_data_screening", "02_measurement_model", "03_structural_model", "07_power_and_sample_size"):
        assert statuses[name][0] in ("succeeded", "skipped"), (name, statuses[name])
    assert statuses["01_data_screening"][0] == statuses["02_measurement_model"][0] == "succeeded"
    assert statuses["03_structural_model"][0] == statuses["08_pls_sem"][0] == "succeeded"
    assert "no group column" in statuses["04_measurement_invariance"][1]
    assert "expectation" in statuses["05_gaps_and_priorities"][1]
    assert "no wave column" in statuses["06_wave_tracking"][1]
    assert _manifest(ecsi)["status"] == "partial"
    for name, (status, reason) in statuses.items():
        if status == "skipped":
            assert reason in (ecsi / f"{name}.html").read_text(encoding="utf-8")
            assert reason.split(".")[0] in (ecsi / "index.html").read_text(encoding="utf-8")


@needs_realdata
def test_ecsi_fits_the_structural_model_of_its_params_file(ecsi):
    params = yaml.safe_load((EXAMPLES / "ecsi_mobi" / "params.yaml").read_text(encoding="utf-8"))
    design = study_design(EXAMPLES / "ecsi_mobi" / "codebook.yaml", params["structural_model"])
    expected = {f"{lhs} ~ {rhs}" for lhs, rhs in design.regressions}
    paths = pd.read_csv(ecsi / "tables" / "03_structural_paths.csv")
    assert set(paths["parameter"]) == expected
    assert "complaints ~ satisfaction" in expected          # the single-item complaints construct (CUSCO)
    assert json.loads((ecsi / "design.json").read_text())["structural_model"].strip() == params["structural_model"].strip()


@needs_realdata
def test_ecsi_summaries_agree_with_their_tables_and_diagnostics(ecsi):
    assert _fit_numbers_in(_summary(ecsi, "02_measurement_model"), pd.read_csv(ecsi / "tables" / "02_cfa_fit.csv"))
    structural = _summary(ecsi, "03_structural_model")
    assert _fit_numbers_in(structural, pd.read_csv(ecsi / "tables" / "03_structural_fit.csv"))
    diagnostics = pd.read_csv(ecsi / "tables" / "03_structural_diagnostics.csv")
    if (diagnostics["severity"] == "severe").any():
        assert "not interpretable" in structural and "largest" not in structural.lower()


@needs_realdata
def test_reputation_runs_invariance_by_plan_type_and_a_single_item_outcome(reputation):
    statuses = _statuses(reputation)
    assert statuses["04_measurement_invariance"][0] == "succeeded", statuses["04_measurement_invariance"]
    assert json.loads((reputation / "design.json").read_text())["codebook"]["group"] == "servicetype"
    assert "expectation" in statuses["05_gaps_and_priorities"][1]
    assert "no wave column" in statuses["06_wave_tracking"][1]
    assert not [n for n, (s, _) in statuses.items() if s == "failed"]
    paths = pd.read_csv(reputation / "tables" / "03_structural_paths.csv")
    assert "satisfaction ~ competence" in set(paths["parameter"])        # satisfaction is the single item cusa
    assert "satisfaction (cusa)" in _summary(reputation, "02_measurement_model")


@needs_realdata
def test_reputation_missing_codes_are_missing_not_answers(reputation):
    stats = pd.read_csv(reputation / "tables" / "01_item_statistics.csv").set_index("item")
    raw = pd.read_csv(REALDATA / "corp_rep_data.csv")
    assert stats["mean"].between(1, 7).all() and stats["median"].between(1, 7).all()
    for item in ("cusl_2", "cusa"):
        assert stats.loc[item, "n_missing"] >= (raw[item] == -99).sum() > 0


@pytest.mark.parametrize("shape, expected", [
    ("single_item_0_100", {"03_structural_model": "succeeded", "04_measurement_invariance": "skipped",
                           "08_pls_sem": "succeeded"}),
    ("mixed_scales", {"03_structural_model": "succeeded", "04_measurement_invariance": "succeeded",
                      "08_pls_sem": "succeeded"}),
    ("no_structure", {"03_structural_model": "skipped", "07_power_and_sample_size": "skipped", "08_pls_sem": "skipped"}),
])
def test_simulated_shapes_run_or_skip_with_a_reason(tmp_path, shape, expected):
    run = _run(write_shape(shape, tmp_path / "input"), tmp_path / "reports")
    statuses = _statuses(run)
    assert not [n for n, (s, _) in statuses.items() if s == "failed"], statuses
    for name, status in expected.items():
        assert statuses[name][0] == status, (name, statuses[name])
    for name, (status, reason) in statuses.items():
        assert status == "succeeded" or "Needs" in reason
    assert _fit_numbers_in(_summary(run, "02_measurement_model"), pd.read_csv(run / "tables" / "02_cfa_fit.csv"))
