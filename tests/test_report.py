"""The papermill report pipeline and the command line.

One real run of the screening notebook on the bundled sample is shared by the
module; the other runs use tiny notebooks written into tmp_path.
"""

from __future__ import annotations

import csv
import hashlib
import html
import json
import os
import re
import subprocess
import sys
from importlib import metadata
from pathlib import Path

import nbformat
import pytest
import yaml

from sqlib import cli, config
from sqlib.report import runner as report
from sqlib.core.errors import ReportError
from sqlib.report.runner import load_params, new_run_folder, run_report

SCREENING = "01_data_screening"


def sha256_of(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def data_rows(path: Path) -> int:
    with open(path, newline="", encoding="utf-8") as handle:
        return sum(1 for _ in csv.reader(handle)) - 1  # minus the header


def sample_params(**extra) -> dict:
    params = {"run_name": "test", "data": str(config.SAMPLE_DATA), "codebook": str(config.SAMPLE_CODEBOOK),
              "seed": 7, "language": "en"}
    params.update(extra)
    return params


def write_notebook(folder: Path, name: str, *code: str) -> Path:
    """A notebook whose first cell is a papermill parameters cell, then the given code cells."""
    first = nbformat.v4.new_code_cell('data_path = ""\ncodebook_path = ""\noutput_dir = ""\nseed = 0\nlanguage = "en"')
    first.metadata["tags"] = ["parameters"]
    nb = nbformat.v4.new_notebook(cells=[first, *(nbformat.v4.new_code_cell(c) for c in code)])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    path = folder / f"{name}.ipynb"
    nbformat.write(nb, path)
    return path


def outputs_text(nb) -> str:
    parts = []
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            parts.append(out.get("text", "") if out.output_type == "stream" else "")
            parts.append(out.get("data", {}).get("text/plain", ""))
    return "\n".join(parts)


@pytest.fixture(scope="module")
def data_hash_before() -> str:
    return sha256_of(config.SAMPLE_DATA)


@pytest.fixture(scope="module")
def sample_run(tmp_path_factory, data_hash_before) -> Path:
    """The default suite, run with MPLBACKEND=Agg in the environment (as `make` exports it)."""
    root = tmp_path_factory.mktemp("reports")
    previous = os.environ.get("MPLBACKEND")
    os.environ["MPLBACKEND"] = "Agg"
    try:
        return run_report(config.DEFAULT_PARAMS, output_root=root)
    finally:
        if previous is None:
            os.environ.pop("MPLBACKEND")
        else:
            os.environ["MPLBACKEND"] = previous


def test_figures_are_image_outputs_of_the_executed_notebooks_even_under_agg(sample_run):
    """Report kernels draw inline whatever MPLBACKEND the caller has, so the pages show the figures."""
    executed = nbformat.read(sample_run / "notebooks" / f"{SCREENING}.ipynb", as_version=4)
    images = [out for cell in executed.cells for out in cell.get("outputs", []) if "image/png" in out.get("data", {})]
    saved = list((sample_run / "figures").glob("01_*.png"))
    assert saved and len(images) >= len(saved)


@pytest.fixture(scope="module")
def manifest(sample_run) -> dict:
    return json.loads((sample_run / "manifest.json").read_text(encoding="utf-8"))


# ------------------------------------------------------------------ real run
def test_run_folder_holds_notebook_html_figures_tables(sample_run):
    assert re.fullmatch(r"\d{8}T\d{6}Z_servqual-sample", sample_run.name)
    assert (sample_run / "notebooks" / f"{SCREENING}.ipynb").is_file()
    assert (sample_run / f"{SCREENING}.html").is_file()
    assert list((sample_run / "figures").glob("*.png")), "the notebook saved no figure"
    assert list((sample_run / "tables").glob("*.csv")), "the notebook saved no table"


def test_html_shows_outputs_but_no_code(sample_run):
    html = (sample_run / f"{SCREENING}.html").read_text(encoding="utf-8")
    source = nbformat.read(config.NOTEBOOKS_DIR / f"{SCREENING}.ipynb", as_version=4)
    code_lines = [line.strip() for cell in source.cells if cell.cell_type == "code"
                  for line in cell.source.splitlines() if len(line.strip()) > 25]
    assert code_lines
    assert not [line for line in code_lines if line in html]
    assert "data:image/png;base64" in html  # figures are embedded, not linked
    assert "Multivariate normality" in html  # markdown explanations are kept


def test_manifest_records_inputs_versions_and_status(sample_run, manifest):
    defaults = yaml.safe_load(config.DEFAULT_PARAMS.read_text(encoding="utf-8"))
    assert manifest["status"] == "succeeded"
    assert manifest["data"]["sha256"] == sha256_of(config.SAMPLE_DATA)
    assert manifest["codebook"]["sha256"] == sha256_of(config.SAMPLE_CODEBOOK)
    assert Path(manifest["data"]["path"]) == config.SAMPLE_DATA.resolve()
    assert manifest["seed"] == defaults["seed"]
    for name in ("numpy", "scipy", "pandas", "papermill", "semopy"):
        assert manifest["packages"][name] == metadata.version(name)
    assert manifest["python"] == sys.version.split()[0]
    assert manifest["started"] <= manifest["finished"]
    records = manifest["notebooks"]
    assert [r["notebook"] for r in records] == defaults["notebooks"]
    assert all(r["status"] == "succeeded" for r in records)
    for r in records:
        assert (sample_run / f"{r['notebook']}.html").is_file()
    record = records[0]
    assert record["notebook"] == SCREENING
    assert record["duration_seconds"] > 0
    assert record["parameters"]["output_dir"] == str(sample_run)
    assert record["parameters"]["seed"] == defaults["seed"]
    assert Path(record["parameters"]["data_path"]).is_absolute()


def test_html_carries_no_warnings_progress_bars_or_path_reprs(sample_run, manifest):
    for record in manifest["notebooks"]:
        page = (sample_run / f"{record['notebook']}.html").read_text(encoding="utf-8")
        for noise in ("TqdmWarning", "IProgress not found", "UserWarning", "PosixPath(", "it/s]"):
            assert noise not in page, f"{noise!r} in {record['notebook']}.html"
    assert "Executing notebook" in (sample_run / "run.log").read_text(encoding="utf-8")  # logs went here


def test_tables_of_different_notebooks_never_share_a_name(sample_run):
    owners = json.loads((sample_run / "tables" / ".owners.json").read_text(encoding="utf-8"))
    written = {p.name for p in (sample_run / "tables").iterdir() if p.suffix in (".csv", ".tex")}
    assert set(owners) == written
    assert all(name[:3] == notebook[:3] for name, notebook in owners.items())


def test_parameters_reach_the_notebook(sample_run):
    executed = nbformat.read(sample_run / "notebooks" / f"{SCREENING}.ipynb", as_version=4)
    injected = [c for c in executed.cells if "injected-parameters" in c.metadata.get("tags", [])]
    assert len(injected) == 1
    assert repr(str(sample_run)) in injected[0].source or f'"{sample_run}"' in injected[0].source


def test_notebook_numbers_match_the_data(sample_run):
    executed = nbformat.read(sample_run / "notebooks" / f"{SCREENING}.ipynb", as_version=4)
    shown = re.search(r"Respondents: (\d+)", outputs_text(executed))
    assert shown, "the notebook no longer prints the respondent count"
    n_rows = data_rows(config.SAMPLE_DATA)
    assert int(shown.group(1)) == n_rows

    codebook = yaml.safe_load(config.SAMPLE_CODEBOOK.read_text(encoding="utf-8"))
    items = [i for c in codebook["constructs"].values() for i in c["items"]]
    items += list(codebook.get("expectations", {}).values())
    with open(sample_run / "tables" / "01_item_statistics.csv", newline="", encoding="utf-8") as handle:
        table = list(csv.DictReader(handle))
    assert [row["item"] for row in table] == items
    assert all(int(row["n"]) + int(row["n_missing"]) == n_rows for row in table)


def test_second_run_gets_its_own_folder_and_leaves_the_first_alone(sample_run, tmp_path):
    before = {p: p.read_bytes() for p in sample_run.rglob("*") if p.is_file()}
    write_notebook(tmp_path, "quick", "print('quick run')")
    second = run_report(sample_params(run_name="servqual-sample"), output_root=sample_run.parent,
                        notebooks_dir=tmp_path, notebooks=["quick"])
    assert second != sample_run and second.parent == sample_run.parent
    assert {p: p.read_bytes() for p in sample_run.rglob("*") if p.is_file()} == before


def test_run_folders_in_the_same_second_get_a_suffix(tmp_path, monkeypatch):
    frozen = report.datetime(2026, 1, 2, 3, 4, 5, tzinfo=report.timezone.utc)

    class FrozenClock(report.datetime):
        @classmethod
        def now(cls, tz=None):
            return frozen

    monkeypatch.setattr(report, "datetime", FrozenClock)
    first, second, third = (new_run_folder("wave 3", tmp_path) for _ in range(3))
    assert [first.name, second.name, third.name] == [
        "20260102T030405Z_wave-3", "20260102T030405Z_wave-3-2", "20260102T030405Z_wave-3-3"]


def test_data_file_is_unchanged(sample_run, data_hash_before):
    assert sha256_of(config.SAMPLE_DATA) == data_hash_before


# --------------------------------------------------------------- a failing run
@pytest.fixture(scope="module")
def failing_run(tmp_path_factory):
    folder = tmp_path_factory.mktemp("notebooks")
    write_notebook(folder, "broken", "print('first step done')",
                   "raise ValueError('deliberate failure for the test')", "print('never reached')")
    write_notebook(folder, "after", "print('runs although broken failed')")
    root = tmp_path_factory.mktemp("failing")
    run_dir = run_report(sample_params(run_name="broken"), output_root=root, notebooks_dir=folder,
                         notebooks=["broken", "after"])
    assert list(root.iterdir()) == [run_dir]
    return run_dir, "\n".join(report.run_failures(run_dir))


def test_failure_message_names_notebook_cell_and_error(failing_run):
    _, message = failing_run
    assert "broken" in message
    assert "cell 2" in message
    assert "ValueError" in message and "deliberate failure for the test" in message


def test_failed_notebook_keeps_partial_output_and_the_next_one_runs(failing_run):
    run_dir, _ = failing_run
    executed = nbformat.read(run_dir / "notebooks" / "broken.ipynb", as_version=4)
    assert "first step done" in outputs_text(executed)
    assert "never reached" not in outputs_text(executed)
    assert (run_dir / "broken.html").is_file()
    after = nbformat.read(run_dir / "notebooks" / "after.ipynb", as_version=4)
    assert "runs although broken failed" in outputs_text(after)


def test_failed_run_manifest(failing_run):
    run_dir, _ = failing_run
    manifest = json.loads((run_dir / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["status"] == "partial" and manifest["failed"] == ["broken"]
    assert [r["notebook"] for r in manifest["notebooks"]] == ["broken", "after"]
    record = manifest["notebooks"][0]
    assert record["status"] == "failed"
    assert record["reason"] == "ValueError: deliberate failure for the test (cell 2)"
    assert manifest["notebooks"][1]["status"] == "succeeded"
    assert record["cell_index"] == 2
    assert record["error_name"] == "ValueError"
    assert "deliberate failure" in record["error_message"]


# ------------------------------------------------------------------ parameters
def test_relative_paths_count_from_the_params_file(tmp_path):
    (tmp_path / "wave").mkdir()
    (tmp_path / "wave" / "answers.csv").write_bytes(config.SAMPLE_DATA.read_bytes())
    (tmp_path / "cb.yaml").write_bytes(config.SAMPLE_CODEBOOK.read_bytes())
    params = tmp_path / "params" / "wave.yaml"
    params.parent.mkdir()
    params.write_text("data: ../wave/answers.csv\ncodebook: ../cb.yaml\nnotebooks: 01_data_screening.ipynb\n")
    loaded = load_params(params)
    assert loaded["data"] == (tmp_path / "wave" / "answers.csv").resolve()
    assert loaded["codebook"] == (tmp_path / "cb.yaml").resolve()
    assert loaded["notebooks"] == ["01_data_screening"]


def test_unknown_key_is_named(tmp_path):
    with pytest.raises(ReportError, match="notebok"):
        load_params(sample_params(notebok=["01_data_screening"]))


def test_missing_data_file_is_named(tmp_path):
    with pytest.raises(ReportError, match="nowhere.csv"):
        load_params(sample_params(data=str(tmp_path / "nowhere.csv")))


def test_runner_parameters_cannot_be_overridden():
    with pytest.raises(ReportError, match="output_dir"):
        load_params(sample_params(parameters={"output_dir": "/tmp"}))


def test_unknown_notebook_fails_before_creating_a_folder(tmp_path):
    with pytest.raises(ReportError, match="99_missing"):
        run_report(sample_params(), output_root=tmp_path / "out", notebooks=["99_missing"])
    assert not (tmp_path / "out").exists()


# ---------------------------------------------------------------- command line
def test_cli_validate_ok(capsys):
    code = cli.main(["validate", str(config.SAMPLE_DATA), "--codebook", str(config.SAMPLE_CODEBOOK)])
    out = capsys.readouterr().out
    assert code == 0
    assert out.startswith(f"OK: {data_rows(config.SAMPLE_DATA)} respondents, ")


def test_cli_validate_reports_bad_value(tmp_path, capsys):
    lines = config.SAMPLE_DATA.read_text(encoding="utf-8").splitlines()
    header = lines[0].split(",")
    row = lines[3].split(",")
    row[header.index("rel2")] = "12"
    lines[3] = ",".join(row)
    bad = tmp_path / "bad.csv"
    bad.write_text("\n".join(lines) + "\n", encoding="utf-8")
    code = cli.main(["validate", str(bad), "--codebook", str(config.SAMPLE_CODEBOOK)])
    captured = capsys.readouterr()
    assert code == 1
    assert "rel2" in captured.err and "12" in captured.err
    assert captured.out == ""


def test_cli_report_prints_run_folder(tmp_path, monkeypatch, capsys):
    write_notebook(tmp_path, "quick", "print('hello from the report')")
    monkeypatch.setattr(config, "NOTEBOOKS_DIR", tmp_path)
    params = tmp_path / "p.yaml"
    params.write_text(yaml.safe_dump(sample_params(notebooks=["quick"])), encoding="utf-8")
    code = cli.main(["report", "--params", str(params), "--name", "cli-run", "--output-root", str(tmp_path / "out")])
    out = capsys.readouterr().out.strip().splitlines()
    printed = Path(out[-1])
    assert code == 0
    assert out[0].split()[:2] == ["quick", "succeeded"]
    assert printed.parent == tmp_path / "out" and printed.name.endswith("_cli-run")
    assert json.loads((printed / "manifest.json").read_text())["status"] == "succeeded"


def test_cli_report_error_goes_to_stderr(tmp_path, capsys):
    params = tmp_path / "p.yaml"
    params.write_text("data: missing.csv\ncodebook: missing.yaml\n", encoding="utf-8")
    code = cli.main(["report", "--params", str(params), "--output-root", str(tmp_path / "out")])
    captured = capsys.readouterr()
    assert code == 1
    assert "missing.csv" in captured.err and captured.out == ""


def test_python_dash_m_sqlib_runs_the_cli():
    done = subprocess.run([sys.executable, "-m", "sqlib", "validate", str(config.SAMPLE_DATA),
                           "--codebook", str(config.SAMPLE_CODEBOOK)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("OK: ")


def test_index_links_every_section_with_its_summary(sample_run, manifest):
    index = (sample_run / "index.html").read_text(encoding="utf-8")
    for record in manifest["notebooks"]:
        name = record["notebook"]
        assert f"href='{name}.html'" in index
        summary = (sample_run / "summaries" / f"{name}.md").read_text(encoding="utf-8").strip()
        assert summary and html.escape(summary.split(";")[0][:40]) in index
    # the key numbers of the executive summary come from the data, not from the template
    n_rows = data_rows(config.SAMPLE_DATA)
    assert f"{n_rows} respondents" in index


def test_gap_and_wave_sections_report_the_package_numbers(sample_run):
    """Notebooks 05 and 06 in the default run: their saved tables equal direct computations."""
    import numpy as np
    import pandas as pd

    import sqlib
    from sqlib.analysis.gaps import gap_table
    from sqlib.analysis.waves import wave_scores

    codebook = sqlib.Codebook.from_yaml(config.SAMPLE_CODEBOOK)
    data = sqlib.read_survey(config.SAMPLE_DATA, codebook)
    saved = pd.read_csv(sample_run / "tables" / "05_gaps_dimensions.csv")
    direct = gap_table(data, codebook, level="dimension")
    assert list(saved["dimension"]) == list(direct["dimension"])
    assert np.allclose(saved["mean_gap"], direct["mean_gap"]) and np.allclose(saved["p_holm_t"], direct["p_holm_t"])
    scores = pd.read_csv(sample_run / "tables" / "06_waves_scores.csv")
    direct = wave_scores(data, codebook)
    assert np.allclose(scores["mean"], direct["mean"]) and np.allclose(scores["ci_upper"], direct["ci_upper"])
    ipa = pd.read_csv(sample_run / "tables" / "05_gaps_ipa_satisfaction.csv")
    assert set(ipa["priority"]) <= {"concentrate here", "keep up the good work", "low priority", "possible overkill"}
    assert len(ipa) == len(codebook.dimensions)
