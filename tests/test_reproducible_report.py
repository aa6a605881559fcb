"""Same inputs and seed give byte-identical tables (issue 14 item 6), on the real notebooks.

Notebooks 01-03 cover every random step of the report but power: the EFA half-split,
parallel analysis and rotation starts (02) and the bootstrap on two processes (03).
"""

from __future__ import annotations

from sqlib import config
from sqlib.report.runner import load_params, run_report

NOTEBOOKS = ["01_data_screening", "02_measurement_model", "03_structural_model"]


def _tables(run):
    return {p.name: p.read_bytes() for p in sorted((run / "tables").glob("*.csv"))}


def test_two_runs_with_one_seed_give_identical_tables(tmp_path):
    params = load_params(config.DEFAULT_PARAMS)
    params["notebooks"] = NOTEBOOKS
    params["notebook_parameters"] = {"03_structural_model": {"bootstrap_draws": 40, "n_jobs": 2}}
    first = run_report(params, output_root=tmp_path / "a")
    second = run_report(params, output_root=tmp_path / "b")
    tables = _tables(first)
    assert "02_efa_loadings.csv" in tables and "03_structural_effects.csv" in tables
    assert tables.keys() == _tables(second).keys()
    differing = [name for name, content in tables.items() if _tables(second)[name] != content]
    assert not differing, f"tables differ between two runs with seed {params['seed']}: {differing}"
