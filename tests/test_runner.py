"""The report runner: params schema, statuses, interruptions, run listing, console and HTML hygiene,
output names and byte-for-byte reproducibility.

Every run here uses tiny notebooks written into a temporary folder, so the tests stay fast;
the real suite runs once in tests/test_report.py.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import textwrap
import time
import unicodedata
from pathlib import Path

import nbformat
import pandas as pd
import pytest
import yaml

from sqlib import cli, config, design, outputs
from sqlib.report import runner as report
from sqlib.core.errors import ReportError
from sqlib.report.params import notebook_parameters
from sqlib.report.runner import list_runs, load_params, read_manifest, run_report

PARAMETERS_CELL = textwrap.dedent("""\
    data_path: str = ""
    codebook_path: str = ""
    output_dir: str = ""
    seed: int = 0
    language: str = "en"
    structural_model: str = ""
    reps: int = 5  # number of random draws
    label: str = "x"
    ratio: float = 0.5
""")


def write_notebook(folder: Path, name: str, *code: str) -> Path:
    """A notebook with an annotated parameters cell, then the given code cells."""
    first = nbformat.v4.new_code_cell(PARAMETERS_CELL)
    first.metadata["tags"] = ["parameters"]
    nb = nbformat.v4.new_notebook(cells=[first, *(nbformat.v4.new_code_cell(c) for c in code)])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.ipynb"
    nbformat.write(nb, path)
    return path


def params(**extra) -> dict:
    out = {"run_name": "t", "data": str(config.SAMPLE_DATA), "codebook": str(config.SAMPLE_CODEBOOK), "seed": 7}
    out.update(extra)
    return out


def write_params(path: Path, **extra) -> Path:
    path.write_text(yaml.safe_dump(params(**extra), allow_unicode=True), encoding="utf-8")
    return path


def load_error(tmp_path, text: str, notebooks_dir=None) -> str:
    """The message load_params gives for a params file holding ``text`` (plus valid data/codebook)."""
    path = tmp_path / "study.yaml"
    path.write_text(f"data: {config.SAMPLE_DATA}\ncodebook: {config.SAMPLE_CODEBOOK}\n" + text, encoding="utf-8")
    with pytest.raises(ReportError) as caught:
        load_params(path, notebooks_dir=notebooks_dir)
    message = str(caught.value)
    assert str(path) in message, "the message must name the file"
    return message


DRAWS = ("import numpy as np, pandas as pd\nfrom sqlib import outputs\n"
         "rng = np.random.default_rng(seed)\n"
         "outputs.save_table(pd.DataFrame({'draw': rng.normal(size=reps)}), 'draws', output_dir)")


# ================================================================ params schema
def test_params_unknown_key_suggests_the_right_one(tmp_path):
    message = load_error(tmp_path, "seeds: 3\n")
    assert "unknown key 'seeds'" in message and "did you mean 'seed'?" in message


def test_params_seed_decimal_is_an_error_not_truncated(tmp_path):
    message = load_error(tmp_path, "seed: 1.9\n")
    assert "'seed'" in message and "whole number" in message and "1.9" in message and "seed: " in message


def test_params_seed_text_is_an_error(tmp_path):
    message = load_error(tmp_path, "seed: abc\n")
    assert "'seed'" in message and "'abc'" in message and "whole number" in message


def test_params_notebooks_must_be_a_list(tmp_path):
    message = load_error(tmp_path, "notebooks: 5\n")
    assert "'notebooks'" in message and "list of notebook names" in message and "got 5" in message


def test_params_parameters_must_be_a_mapping(tmp_path):
    message = load_error(tmp_path, "parameters: [a, b]\n")
    assert "'parameters'" in message and "mapping" in message and "parameters: {" in message


def test_params_notebook_parameters_key_typo_suggests_the_notebook(tmp_path):
    message = load_error(tmp_path, "notebooks: [02_measurement_model]\n"
                                   "notebook_parameters: {02_measurment_model: {estimator: MLR}}\n")
    assert "notebook_parameters.02_measurment_model" in message
    assert "did you mean '02_measurement_model'?" in message


def test_params_parameter_name_typo_suggests_the_parameter(tmp_path):
    message = load_error(tmp_path, "notebooks: [02_measurement_model]\n"
                                   "notebook_parameters: {02_measurement_model: {estimater: MLR}}\n")
    assert "notebook_parameters.02_measurement_model.estimater" in message
    assert "did you mean 'estimator'?" in message


def test_params_parameter_type_must_match_the_notebook(tmp_path):
    write_notebook(tmp_path / "nb", "01_tiny", "pass")
    message = load_error(tmp_path, "notebooks: [01_tiny]\nnotebook_parameters: {01_tiny: {reps: '10'}}\n",
                         tmp_path / "nb")
    assert "notebook_parameters.01_tiny.reps" in message and "must be int" in message and "'10'" in message


def test_params_bool_is_not_a_number(tmp_path):
    write_notebook(tmp_path / "nb", "01_tiny", "pass")
    message = load_error(tmp_path, "notebooks: [01_tiny]\nparameters: {ratio: true}\n", tmp_path / "nb")
    assert "parameters.ratio" in message and "must be float" in message


def test_params_top_level_parameter_typo_is_named(tmp_path):
    write_notebook(tmp_path / "nb", "01_tiny", "pass")
    message = load_error(tmp_path, "notebooks: [01_tiny]\nparameters: {rep: 3}\n", tmp_path / "nb")
    assert "parameters.rep" in message and "did you mean 'reps'?" in message


def test_params_notebook_name_with_a_folder_is_refused(tmp_path):
    message = load_error(tmp_path, "notebooks: [../notebooks/01_data_screening]\n")
    assert "not a notebook name" in message and "without a folder" in message


def test_params_unknown_notebook_suggests_the_right_one(tmp_path):
    message = load_error(tmp_path, "notebooks: [01_data_screenig]\n")
    assert "01_data_screenig" in message and "did you mean '01_data_screening'?" in message


def test_params_runner_parameters_are_reserved(tmp_path):
    message = load_error(tmp_path, "parameters: {structural_model: 'sat ~ tan'}\n")
    assert "parameters.structural_model" in message and "set by the runner" in message


def test_params_several_problems_are_listed_at_once(tmp_path):
    message = load_error(tmp_path, "seed: 1.9\nnotebooks: 5\nlanguag: en\n")
    assert "3 problems" in message
    assert "'seed'" in message and "'notebooks'" in message and "'languag'" in message


def test_params_nfd_names_are_normalised(tmp_path):
    nfc_name = "01_qualité"
    write_notebook(tmp_path / "nb", nfc_name, "pass")
    nfd_name = unicodedata.normalize("NFD", nfc_name)
    loaded = load_params(params(notebooks=[nfd_name], notebook_parameters={nfd_name: {"reps": 2}}),
                         notebooks_dir=tmp_path / "nb")
    assert loaded["notebooks"] == [nfc_name]
    assert loaded["notebook_parameters"] == {nfc_name: {"reps": 2}}


def test_params_structural_model_defaults_to_empty():
    assert load_params(params())["structural_model"] == ""
    syntax = "satisfaction ~ tangibles"
    assert load_params(params(structural_model=syntax))["structural_model"] == syntax


def test_notebook_parameters_reads_the_annotated_cell(tmp_path):
    path = write_notebook(tmp_path, "01_tiny", "pass")
    declared = notebook_parameters(path)
    assert declared["reps"] == "int" and declared["ratio"] == "float" and declared["label"] == "str"


def test_load_params_returns_a_plain_dict():
    loaded = load_params(config.DEFAULT_PARAMS)
    assert type(loaded) is dict
    assert isinstance(loaded["data"], Path) and loaded["data"].is_absolute()


# ================================================================ validate --params
def test_validate_params_checks_params_codebook_and_data(tmp_path, capsys):
    code = cli.main(["validate", "--params", str(config.DEFAULT_PARAMS)])
    out = capsys.readouterr().out
    assert code == 0
    assert "Parameters file" in out and "Codebook" in out and "OK: " in out


def test_validate_params_reports_a_params_mistake(tmp_path, capsys):
    path = write_params(tmp_path / "p.yaml", seed=1.9)
    code = cli.main(["validate", "--params", str(path)])
    err = capsys.readouterr().err
    assert code == 1
    assert str(path) in err and "'seed'" in err and "whole number" in err


def test_validate_params_reports_a_data_problem(tmp_path, capsys):
    bad = tmp_path / "bad.csv"
    bad.write_text("a,b\n1,2\n", encoding="utf-8")
    path = write_params(tmp_path / "p.yaml", data=str(bad))
    code = cli.main(["validate", "--params", str(path)])
    captured = capsys.readouterr()
    assert code == 1
    assert "bad.csv" in captured.err


def test_validate_params_and_data_together_is_refused(tmp_path, capsys):
    code = cli.main(["validate", str(config.SAMPLE_DATA), "--params", str(config.DEFAULT_PARAMS)])
    assert code == 1
    assert "either --params" in capsys.readouterr().err


def test_validate_prints_the_delimiter_and_notes(tmp_path, capsys, monkeypatch):
    from sqlib import io

    real = io.read_survey

    def read_with_attrs(*args, **kwargs):
        frame = real(*args, **kwargs)
        frame.attrs["source"]["delimiter"] = ";"
        frame.attrs["notes"] = ["dropped 2 empty trailing columns"]
        return frame

    monkeypatch.setattr(io, "read_survey", read_with_attrs)
    code = cli.main(["validate", str(config.SAMPLE_DATA), "--codebook", str(config.SAMPLE_CODEBOOK)])
    out = capsys.readouterr().out
    assert code == 0
    assert "Delimiter: ';'" in out and "Note: dropped 2 empty trailing columns" in out


# ================================================================ statuses
@pytest.fixture(scope="module")
def mixed_run(tmp_path_factory):
    """Four notebooks: one succeeds, one fails, one after the failure, one skipped by the design."""
    folder = tmp_path_factory.mktemp("nb")
    write_notebook(folder, "01_first", "print('first done')\nprint('model:', structural_model)")
    write_notebook(folder, "02_broken", "raise ValueError('deliberate failure for the test')")
    write_notebook(folder, "03_after", "print('after the failure')")
    write_notebook(folder, "04_groups", "print('must not run')")
    root = tmp_path_factory.mktemp("out")
    lines = []
    mp = pytest.MonkeyPatch()
    mp.setattr(design, "skip_reason", lambda name, d, data: (
        "No group column: the codebook names none. Add 'group: <column>' to the codebook to compare groups."
        if name == "04_groups" else None))
    try:
        run_dir = run_report(params(structural_model="satisfaction ~ tangibles"), output_root=root,
                             notebooks_dir=folder, notebooks=["01_first", "02_broken", "03_after", "04_groups"],
                             progress=lines.append)
    finally:
        mp.undo()
    return run_dir, read_manifest(run_dir), lines


def test_failed_notebook_does_not_stop_the_others(mixed_run):
    run_dir, manifest, _ = mixed_run
    statuses = {r["notebook"]: r["status"] for r in manifest["notebooks"]}
    assert statuses == {"01_first": "succeeded", "02_broken": "failed", "03_after": "succeeded",
                        "04_groups": "skipped"}
    executed = nbformat.read(run_dir / "notebooks" / "03_after.ipynb", as_version=4)
    assert "after the failure" in json.dumps(executed.cells[-1].outputs)


def test_failed_notebook_reason_names_error_and_cell(mixed_run):
    _, manifest, _ = mixed_run
    record = next(r for r in manifest["notebooks"] if r["notebook"] == "02_broken")
    assert record["reason"] == "ValueError: deliberate failure for the test (cell 1)"
    assert record["cell_index"] == 1 and record["error_name"] == "ValueError"


def test_skipped_notebook_is_not_run_and_says_why(mixed_run):
    run_dir, manifest, _ = mixed_run
    record = next(r for r in manifest["notebooks"] if r["notebook"] == "04_groups")
    assert record["reason"].startswith("No group column")
    assert not (run_dir / "notebooks" / "04_groups.ipynb").exists()
    page = (run_dir / "04_groups.html").read_text(encoding="utf-8")
    assert "Skipped." in page and "Add &#x27;group: &lt;column&gt;&#x27; to the codebook" in page


def test_index_shows_skip_and_failure_reasons(mixed_run):
    run_dir, _, _ = mixed_run
    index = (run_dir / "index.html").read_text(encoding="utf-8")
    assert "(skipped)" in index and "No group column" in index
    assert "(failed)" in index and "deliberate failure for the test" in index
    assert "status <b>partial</b>" in index


def test_partial_run_names_what_was_skipped_and_failed(mixed_run):
    _, manifest, _ = mixed_run
    assert manifest["status"] == "partial"
    assert manifest["skipped"] == ["04_groups"] and manifest["failed"] == ["02_broken"]


def test_structural_model_reaches_every_notebook_and_design_json(mixed_run):
    run_dir, manifest, _ = mixed_run
    for record in manifest["notebooks"]:
        if record["status"] != "skipped":
            assert record["parameters"]["structural_model"] == "satisfaction ~ tangibles"
    saved = json.loads((run_dir / "design.json").read_text(encoding="utf-8"))
    assert saved["structural_model"] == "satisfaction ~ tangibles"
    assert "tangibles" in saved["codebook"]["constructs"]


def test_manifest_records_pid_and_host(mixed_run):
    _, manifest, _ = mixed_run
    assert manifest["pid"] == os.getpid() and manifest["host"] == socket.gethostname()


def test_progress_reports_each_notebook_once(mixed_run):
    _, _, lines = mixed_run
    assert [r["notebook"] for r in lines] == ["01_first", "02_broken", "03_after", "04_groups"]


def test_every_notebook_failing_fails_the_run(tmp_path):
    write_notebook(tmp_path / "nb", "01_bad", "1/0")
    run_dir = run_report(params(), output_root=tmp_path / "out", notebooks_dir=tmp_path / "nb", notebooks=["01_bad"])
    manifest = read_manifest(run_dir)
    assert manifest["status"] == "failed" and manifest["failed"] == ["01_bad"]
    assert "ZeroDivisionError" in manifest["notebooks"][0]["reason"]


def test_unreadable_data_fails_the_run_with_the_data_error(tmp_path, capsys):
    write_notebook(tmp_path / "nb", "01_ok", "print('should not run')")
    bad = tmp_path / "answers.csv"
    bad.write_text("who,what\n1,2\n", encoding="utf-8")
    params_file = write_params(tmp_path / "p.yaml", data=str(bad), notebooks=["01_ok"])
    original = config.NOTEBOOKS_DIR
    config.NOTEBOOKS_DIR = tmp_path / "nb"
    try:
        code = cli.main(["report", "--params", str(params_file), "--output-root", str(tmp_path / "out")])
    finally:
        config.NOTEBOOKS_DIR = original
    err = capsys.readouterr().err
    [run_dir] = list((tmp_path / "out").iterdir())
    manifest = read_manifest(run_dir)
    assert code == 1
    assert manifest["status"] == "failed" and manifest["notebooks"] == []
    assert "data could not be read" in manifest["error"] and "answers.csv" in manifest["error"]
    assert "answers.csv" in err
    assert not (run_dir / "notebooks" / "01_ok.ipynb").exists()


def test_fault_in_the_skip_rules_fails_that_notebook_only(tmp_path, monkeypatch):
    write_notebook(tmp_path / "nb", "01_ok", "print('fine')")
    write_notebook(tmp_path / "nb", "02_odd", "print('fine too')")

    def rules(name, d, data):
        if name == "02_odd":
            raise KeyError("kind")
        return None

    monkeypatch.setattr(design, "skip_reason", rules)
    run_dir = run_report(params(), output_root=tmp_path / "out", notebooks_dir=tmp_path / "nb",
                         notebooks=["01_ok", "02_odd"])
    manifest = read_manifest(run_dir)
    assert [r["status"] for r in manifest["notebooks"]] == ["succeeded", "failed"]
    assert manifest["notebooks"][1]["reason"] == "KeyError in sqlib.design.skip_reason: 'kind'"
    assert manifest["status"] == "partial"
    [message] = report.run_failures(run_dir)
    assert "02_odd was not run" in message and "skip_reason" not in message.split(":")[0]


def test_data_changed_during_the_run_fails_the_run(tmp_path):
    data = tmp_path / "answers.csv"
    data.write_bytes(config.SAMPLE_DATA.read_bytes())
    write_notebook(tmp_path / "nb", "01_writer", "open(data_path, 'a').write('\\n')")
    run_dir = run_report(params(data=str(data)), output_root=tmp_path / "out", notebooks_dir=tmp_path / "nb",
                         notebooks=["01_writer"])
    manifest = read_manifest(run_dir)
    assert manifest["status"] == "failed"
    assert "answers.csv changed while the report ran" in manifest["error"] and "Restore the file" in manifest["error"]


def cli_report(tmp_path, notebooks_dir, names, capfd, **extra) -> tuple[int, str, str]:
    params_file = write_params(tmp_path / "p.yaml", notebooks=names, **extra)
    original = config.NOTEBOOKS_DIR
    config.NOTEBOOKS_DIR = notebooks_dir
    try:
        code = cli.main(["report", "--params", str(params_file), "--output-root", str(tmp_path / "out")])
    finally:
        config.NOTEBOOKS_DIR = original
    captured = capfd.readouterr()
    return code, captured.out, captured.err


def test_cli_exit_code_is_zero_when_only_skipped(tmp_path, capfd, monkeypatch):
    write_notebook(tmp_path / "nb", "01_ok", "print('fine')")
    write_notebook(tmp_path / "nb", "06_waves", "print('must not run')")
    monkeypatch.setattr(design, "skip_reason", lambda name, d, data: "no wave column" if name == "06_waves" else None)
    code, out, err = cli_report(tmp_path, tmp_path / "nb", ["01_ok", "06_waves"], capfd)
    assert code == 0
    assert "06_waves" in out and "skipped" in out and "no wave column" in out
    assert "Run partial (skipped: 06_waves)" in err


def test_cli_exit_code_is_nonzero_and_prints_failures(tmp_path, capfd):
    write_notebook(tmp_path / "nb", "01_ok", "print('fine')")
    write_notebook(tmp_path / "nb", "02_bad", "raise RuntimeError('broken on purpose')")
    code, out, err = cli_report(tmp_path, tmp_path / "nb", ["01_ok", "02_bad"], capfd)
    assert code == 1
    assert "Notebook 02_bad failed in cell 1" in err and "broken on purpose" in err
    assert "Run partial (failed: 02_bad)" in err


def test_console_shows_one_line_per_notebook_and_nothing_alarming(tmp_path, capfd):
    write_notebook(tmp_path / "nb", "01_ok", "import warnings\nwarnings.warn('noisy')\nprint('fine')")
    write_notebook(tmp_path / "nb", "02_ok", "print('fine too')")
    code, out, err = cli_report(tmp_path, tmp_path / "nb", ["01_ok", "02_ok"], capfd)
    lines = out.strip().splitlines()
    assert code == 0
    assert len(lines) == 3  # one per notebook, then the run folder
    assert lines[0].split()[:2] == ["01_ok", "succeeded"] and lines[0].endswith(" s")
    assert lines[1].split()[:2] == ["02_ok", "succeeded"]
    assert err == ""
    for alarming in ("without encryption", "KeyboardInterrupt", "WARNING", "ERROR", "noisy"):
        assert alarming not in out
    log = (Path(lines[2]) / "run.log").read_text(encoding="utf-8")
    assert "without encryption" in log  # routed, not lost


# ================================================================ HTML hygiene
def test_stderr_and_path_reprs_leave_the_html_for_the_run_log(tmp_path):
    write_notebook(tmp_path / "nb", "01_noisy",
                   "import sys, warnings, pathlib\nwarnings.warn('TqdmWarning: IProgress not found')\n"
                   "sys.stderr.write('progress 50%|#####     |\\n')\nprint('visible result')",
                   "pathlib.Path('/tmp/some/where.csv')")
    run_dir = run_report(params(), output_root=tmp_path / "out", notebooks_dir=tmp_path / "nb",
                         notebooks=["01_noisy"])
    page = (run_dir / "01_noisy.html").read_text(encoding="utf-8")
    assert "visible result" in page
    assert "IProgress" not in page and "progress 50%" not in page and "PosixPath" not in page
    log = (run_dir / "run.log").read_text(encoding="utf-8")
    assert "IProgress not found" in log and "progress 50%" in log and "PosixPath('/tmp/some/where.csv')" in log
    executed = json.dumps(nbformat.read(run_dir / "notebooks" / "01_noisy.ipynb", as_version=4).cells)
    assert "IProgress not found" in executed and "PosixPath" in executed  # executed notebook kept intact


# ================================================================ output names
def test_outputs_are_named_after_the_notebook_number(tmp_path):
    table = pd.DataFrame({"a": [1, 2]})
    path = outputs.save_table(table, "alternative_models", tmp_path, notebook="03_structural_model")
    assert path.name == "03_alternative_models.csv"
    other = outputs.save_table(table, "alternative_models", tmp_path, notebook="02_measurement_model")
    assert other.name == "02_alternative_models.csv"
    assert path.is_file() and other.is_file()


def test_outputs_refuse_to_overwrite_another_notebooks_file(tmp_path):
    table = pd.DataFrame({"a": [1, 2]})
    first = outputs.save_table(table, "fit", tmp_path, notebook="02_measurement_model")
    before = first.read_bytes()
    with pytest.raises(ReportError) as caught:
        outputs.save_table(table.assign(a=[3, 4]), "fit", tmp_path, notebook="02_other_model")
    message = str(caught.value)
    assert "tables/02_fit.csv" in message and "02_measurement_model" in message and "another name" in message
    assert first.read_bytes() == before


def test_outputs_same_notebook_may_rewrite_its_file(tmp_path):
    table = pd.DataFrame({"a": [1, 2]})
    outputs.save_table(table, "fit", tmp_path, notebook="02_measurement_model")
    again = outputs.save_table(table.assign(a=[5, 6]), "fit", tmp_path, notebook="02_measurement_model")
    assert pd.read_csv(again)["a"].tolist() == [5, 6]


def test_outputs_figure_names_follow_the_same_scheme(tmp_path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots()
    path = outputs.save_figure(ax, "trend", tmp_path, notebook="06_wave_tracking")
    plt.close(fig)
    assert path.name == "06_trend.png" and path.parent.name == "figures"
    with pytest.raises(ReportError, match="06_trend.png"):
        outputs.save_figure(fig, "trend", tmp_path, notebook="06_other")


# ================================================================ run folders
def test_read_only_reports_folder_fails_before_creating_anything(tmp_path, monkeypatch):
    root = tmp_path / "reports"
    root.mkdir()
    root.chmod(0o555)
    if os.access(root, os.W_OK):  # root ignores permission bits: make the check see what a user sees
        real_access = os.access
        monkeypatch.setattr(os, "access", lambda p, mode: False if Path(p) == root else real_access(p, mode))
    try:
        with pytest.raises(ReportError) as caught:
            run_report(params(), output_root=root, notebooks=["01_data_screening"])
        assert list(root.iterdir()) == []
    finally:
        root.chmod(0o755)
    message = str(caught.value)
    assert str(root) in message and "not writable" in message and "--output-root" in message


def test_run_folder_that_cannot_be_made_names_path_and_reason(tmp_path, monkeypatch):
    root = tmp_path / "reports"
    root.mkdir()
    real_mkdir = Path.mkdir

    def refuse(self, *args, **kwargs):
        if self.parent == root:
            raise PermissionError(13, "Permission denied", str(self))
        return real_mkdir(self, *args, **kwargs)

    monkeypatch.setattr(Path, "mkdir", refuse)
    with pytest.raises(ReportError) as caught:
        run_report(params(), output_root=root, notebooks=["01_data_screening"])
    message = str(caught.value)
    assert f"Cannot create the run folder {root}/" in message and "Permission denied" in message
    assert list(root.iterdir()) == []


def test_file_in_the_way_of_the_reports_folder_fails_before_creating_anything(tmp_path):
    blocker = tmp_path / "reports"
    blocker.write_text("not a folder", encoding="utf-8")
    with pytest.raises(ReportError) as caught:
        run_report(params(), output_root=blocker / "spring", notebooks=["01_data_screening"])
    message = str(caught.value)
    assert str(blocker) in message and "is a file" in message and "--output-root" in message
    assert blocker.read_text(encoding="utf-8") == "not a folder"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["reports"]


# ================================================================ interruptions and `sqlib runs`
RUNNER = textwrap.dedent("""\
    import sys
    from pathlib import Path
    from sqlib import cli, config
    config.NOTEBOOKS_DIR = Path(sys.argv[1])
    sys.exit(cli.main(["report", "--params", sys.argv[2], "--output-root", sys.argv[3]]))
""")


def interrupt_run(tmp_path, sig) -> tuple[subprocess.CompletedProcess, dict, Path]:
    """Start a run whose second notebook sleeps, signal it once that notebook's cell is running, and
    collect the result. Ctrl-C (SIGINT) goes to the run's whole process group, runner and kernel,
    as a terminal sends it; SIGTERM and SIGKILL go to the runner only, as ``kill`` sends them."""
    started = tmp_path / "slow_cell_started"
    write_notebook(tmp_path / "nb", "01_quick", "print('quick done')")
    write_notebook(tmp_path / "nb", "02_slow", f"import pathlib, time\npathlib.Path({str(started)!r}).touch()\n"
                                               "time.sleep(120)")
    params_file = write_params(tmp_path / "p.yaml", notebooks=["01_quick", "02_slow"])
    out = tmp_path / "out"
    proc = subprocess.Popen([sys.executable, "-c", RUNNER, str(tmp_path / "nb"), str(params_file), str(out)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and not started.exists():  # wait until the slow cell runs
        time.sleep(0.2)
    manifests = list(out.glob("*/manifest.json"))
    kernels = child_pids(proc.pid)
    if sig == signal.SIGINT:
        os.killpg(proc.pid, sig)
    else:
        proc.send_signal(sig)
    try:
        stdout, stderr = proc.communicate(timeout=60)
    except subprocess.TimeoutExpired:  # a hung run must not outlive the test
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        raise
    if sig == signal.SIGKILL:  # a killed runner cannot stop its kernel: the test does
        for pid in kernels:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
    done = subprocess.CompletedProcess(proc.args, proc.returncode, stdout, stderr)
    return done, read_manifest(manifests[0].parent), manifests[0].parent


def child_pids(pid: int) -> list[int]:
    """Direct children of ``pid`` (Linux /proc; empty elsewhere)."""
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return [int(p) for p in text.split()]


def test_sigkill_leaves_a_run_that_sqlib_runs_shows_as_aborted(tmp_path, capsys):
    done, manifest, run_dir = interrupt_run(tmp_path, signal.SIGKILL)
    assert done.returncode == -signal.SIGKILL
    assert manifest["status"] == "running"  # nothing could mark it
    [run] = list_runs(tmp_path / "out")
    assert run["folder"] == run_dir and run["status"] == "aborted"
    assert cli.main(["runs", "--output-root", str(tmp_path / "out")]) == 0
    assert "aborted" in capsys.readouterr().out


def test_sigterm_marks_the_run_interrupted(tmp_path):
    done, manifest, run_dir = interrupt_run(tmp_path, signal.SIGTERM)
    assert done.returncode == 143, done.stderr
    assert manifest["status"] == "interrupted"
    assert manifest["interrupted_notebook"] == "02_slow" and manifest["signal"] == "SIGTERM"
    assert [r["notebook"] for r in manifest["notebooks"]] == ["01_quick"]
    index = (run_dir / "index.html").read_text(encoding="utf-8")
    assert "href='01_quick.html'" in index and "interrupted" in index
    assert "Interrupted by SIGTERM" in done.stderr and "Traceback" not in done.stderr


@pytest.mark.xfail(strict=False, raises=subprocess.TimeoutExpired,
                   reason="known bug: in full `make test` runs (never alone, nor with the suite up to this file) the "
                          "run did not exit within 60 s of Ctrl-C; root cause not found yet (see the issue notes)")
def test_ctrl_c_marks_the_run_interrupted(tmp_path):
    done, manifest, run_dir = interrupt_run(tmp_path, signal.SIGINT)
    assert done.returncode == 130, done.stderr
    assert manifest["status"] == "interrupted" and manifest["interrupted_notebook"] == "02_slow"
    assert (run_dir / "index.html").is_file()


def dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def fake_run(root: Path, name: str, **manifest) -> Path:
    folder = root / name
    folder.mkdir(parents=True)
    base = {"status": "succeeded", "data": {"sha256": "ab" * 32}, "started": "2026-01-01T00:00:00+00:00",
            "finished": "2026-01-01T00:01:30+00:00", "pid": os.getpid(), "host": socket.gethostname()}
    base.update(manifest)
    (folder / "manifest.json").write_text(json.dumps(base), encoding="utf-8")
    return folder


def test_runs_shows_a_dead_running_run_as_aborted(tmp_path, capsys):
    fake_run(tmp_path, "20260101T000000Z_killed", status="running", finished=None, pid=dead_pid())
    fake_run(tmp_path, "20260101T000100Z_live", status="running", finished=None, pid=os.getpid())
    fake_run(tmp_path, "20260101T000200Z_done")
    assert [r["status"] for r in list_runs(tmp_path)] == ["aborted", "running", "succeeded"]
    code = cli.main(["runs", "--output-root", str(tmp_path)])
    out = capsys.readouterr().out.splitlines()
    assert code == 0
    killed = next(line for line in out if "killed" in line)
    assert "aborted" in killed and "abababababab" in killed
    done = next(line for line in out if "_done" in line)
    assert "succeeded" in done and done.rstrip().endswith("90")


def test_runs_lists_real_runs_and_folders_without_manifest(tmp_path, capsys):
    write_notebook(tmp_path / "nb", "01_ok", "print('fine')")
    run_dir = run_report(params(), output_root=tmp_path / "out", notebooks_dir=tmp_path / "nb", notebooks=["01_ok"])
    (tmp_path / "out" / "zz_not_a_run").mkdir()
    runs = list_runs(tmp_path / "out")
    assert [(r["folder"], r["status"]) for r in runs] == [(run_dir, "succeeded"),
                                                          (tmp_path / "out" / "zz_not_a_run", "no manifest")]
    assert runs[0]["data_sha256"] == read_manifest(run_dir)["data"]["sha256"][:12]
    assert runs[0]["duration_seconds"] >= 0


# ================================================================ reproducibility
@pytest.fixture(scope="module")
def seeded_runs(tmp_path_factory):
    folder = tmp_path_factory.mktemp("nb")
    write_notebook(folder, "01_draws", DRAWS)
    write_notebook(folder, "02_more", "import numpy as np, pandas as pd\nfrom sqlib import outputs\n"
                   "rng = np.random.default_rng(seed + 1)\n"
                   "table = pd.DataFrame(rng.normal(size=(reps, 3)), columns=['a', 'b', 'c'])\n"
                   "outputs.save_table(table, 'more_draws', output_dir)")
    root = tmp_path_factory.mktemp("out")
    names = ["01_draws", "02_more"]
    runs = [run_report(params(seed=11), output_root=root, notebooks_dir=folder, notebooks=names) for _ in range(2)]
    other = run_report(params(seed=12), output_root=root, notebooks_dir=folder, notebooks=names)
    assert [read_manifest(run)["status"] for run in (*runs, other)] == ["succeeded"] * 3
    return runs, other


def test_same_seed_gives_byte_identical_tables(seeded_runs):
    (first, second), _ = seeded_runs
    tables = sorted(p.relative_to(first) for p in first.rglob("*.csv"))
    assert [str(p) for p in tables] == ["tables/01_draws.csv", "tables/02_more_draws.csv"]
    assert sorted(p.relative_to(second) for p in second.rglob("*.csv")) == tables
    for relative in tables:
        assert (first / relative).read_bytes() == (second / relative).read_bytes(), relative


def test_another_seed_gives_other_tables(seeded_runs):
    (first, _), other = seeded_runs
    assert (first / "tables" / "01_draws.csv").read_bytes() != (other / "tables" / "01_draws.csv").read_bytes()


def test_params_from_load_params_can_be_run_again():
    from sqlib import config
    from sqlib.report.params import check_params
    from sqlib.report.runner import load_params

    params = load_params(config.DEFAULT_PARAMS)
    assert check_params(params, "the loaded parameters").data == str(params["data"])


def test_a_misspelt_construct_in_structural_model_fails_before_any_run_folder(tmp_path):
    import shutil

    import pytest
    import yaml

    from sqlib import config
    from sqlib.core.errors import ReportError
    from sqlib.report.runner import run_report

    shutil.copy(config.SAMPLE_CODEBOOK, tmp_path / "codebook.yaml")
    params = {"data": str(config.SAMPLE_DATA), "codebook": "codebook.yaml", "notebooks": ["01_data_screening"],
              "structural_model": "satisfation ~ tangibles"}
    (tmp_path / "p.yaml").write_text(yaml.safe_dump(params), encoding="utf-8")
    with pytest.raises(ReportError, match=r"key 'structural_model'.*'satisfation'.*Did you mean 'satisfaction'"):
        run_report(tmp_path / "p.yaml", output_root=tmp_path / "out")
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


# ================================================================ QA fixes: params
def test_params_empty_notebook_list_is_an_error_naming_key_and_fix(tmp_path):
    message = load_error(tmp_path, "notebooks: []\n")
    assert "'notebooks'" in message and "empty list" in message and "notebooks: [01_data_screening" in message


def test_params_empty_notebook_list_is_fine_when_notebooks_are_given_on_the_command_line(tmp_path):
    path = tmp_path / "study.yaml"
    path.write_text(f"data: {config.SAMPLE_DATA}\ncodebook: {config.SAMPLE_CODEBOOK}\nnotebooks: []\n", encoding="utf-8")
    assert load_params(path, notebooks=["01_data_screening"])["notebooks"] == []


def test_validate_params_reports_a_structural_cycle_before_any_run(tmp_path, capsys):
    path = write_params(tmp_path / "p.yaml", notebooks=["01_data_screening"],
                        structural_model="satisfaction ~ loyalty\nloyalty ~ satisfaction")
    assert cli.main(["validate", "--params", str(path)]) == 1
    err = capsys.readouterr().err
    assert "key 'structural_model'" in err and "loyalty -> satisfaction -> loyalty" in err
    with pytest.raises(ReportError, match="feedback loop"):
        run_report(path, output_root=tmp_path / "out")
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


def test_params_misspelt_estimator_value_suggests_the_right_one(tmp_path):
    message = load_error(tmp_path, "notebooks: [02_measurement_model]\n"
                                   "notebook_parameters: {02_measurement_model: {estimator: WLMSV}}\n")
    assert "key 'notebook_parameters.02_measurement_model.estimator'" in message and "'WLMSV'" in message
    assert "did you mean 'WLSMV'?" in message and "use one of auto, ML, MLR, WLSMV" in message


def test_params_estimator_values_are_case_insensitive(tmp_path):
    path = tmp_path / "study.yaml"
    path.write_text(f"data: {config.SAMPLE_DATA}\ncodebook: {config.SAMPLE_CODEBOOK}\n"
                    "notebooks: [02_measurement_model]\n"
                    "notebook_parameters: {02_measurement_model: {estimator: mlr, missing: Listwise}}\n",
                    encoding="utf-8")
    assert load_params(path)["notebook_parameters"]["02_measurement_model"]["estimator"] == "mlr"


def test_params_wlsmv_for_every_notebook_is_refused_where_it_cannot_run(tmp_path):
    message = load_error(tmp_path, "notebooks: [02_measurement_model, 03_structural_model]\n"
                                   "parameters: {estimator: WLSMV}\n")
    assert "key 'parameters.estimator'" in message and "'03_structural_model'" in message
    assert "use one of auto, ML, MLR" in message and "notebook_parameters.02_measurement_model" in message


def test_params_unknown_missing_value_is_named_with_the_allowed_ones(tmp_path):
    message = load_error(tmp_path, "notebooks: [02_measurement_model]\n"
                                   "notebook_parameters: {02_measurement_model: {missing: pairwise}}\n")
    assert "'missing'" in message and "'pairwise'" in message and "use one of listwise, fiml" in message


def test_params_fiml_with_wlsmv_is_an_error_naming_the_fix(tmp_path):
    message = load_error(tmp_path, "notebooks: [02_measurement_model]\n"
                                   "notebook_parameters: {02_measurement_model: {missing: FIML, estimator: WLSMV}}\n")
    assert "notebook_parameters.02_measurement_model" in message and "missing: fiml" in message
    assert "use estimator: MLR (or ML) with missing: fiml" in message


def test_params_fiml_with_mlr_or_auto_is_accepted(tmp_path):
    for estimator in ("MLR", "auto", "ML"):
        path = tmp_path / f"{estimator}.yaml"
        path.write_text(f"data: {config.DATA_DIR / 'servqual_sample.csv'}\ncodebook: {config.DATA_DIR / 'servqual_codebook.yaml'}\n"
                        "notebooks: [02_measurement_model]\n"
                        f"notebook_parameters: {{02_measurement_model: {{missing: fiml, estimator: {estimator}}}}}\n")
        assert report.load_params(path)["notebook_parameters"]["02_measurement_model"]["missing"].lower() == "fiml"


def test_params_language_without_item_wordings_is_refused(tmp_path):
    message = load_error(tmp_path, "language: de\n")
    assert "key 'language'" in message and "'de'" in message and "use one of en, nl, fr, no" in message
    assert "report text is in English" in message


# ================================================================ QA fixes: data checked as the notebooks use it
def codebook_with_single_item_named_like_a_column(tmp_path) -> Path:
    """The SERVQUAL codebook whose loyalty construct is renamed 'e_tan1' (a data column) with one item."""
    content = yaml.safe_load(Path(config.SAMPLE_CODEBOOK).read_text(encoding="utf-8"))
    content["constructs"].pop("loyalty")
    content["constructs"]["e_tan1"] = {"items": ["loy1"], "kind": "outcome"}
    for item in ("loy2", "loy3", "loy4"):
        content.get("labels", {}).pop(item, None)
    path = tmp_path / "codebook.yaml"
    path.write_text(yaml.safe_dump(content, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def test_validate_params_reports_a_single_item_construct_named_like_a_data_column(tmp_path, capsys):
    path = write_params(tmp_path / "p.yaml", codebook=str(codebook_with_single_item_named_like_a_column(tmp_path)),
                        notebooks=["01_data_screening"])
    assert cli.main(["validate", "--params", str(path)]) == 1
    err = capsys.readouterr().err
    assert "'e_tan1'" in err and "another column of the data" in err and "rename the construct" in err
    assert str(tmp_path / "codebook.yaml") in err and str(config.SAMPLE_DATA.resolve()) in err


def test_runner_data_step_fails_the_run_once_for_a_construct_named_like_a_column(tmp_path):
    write_notebook(tmp_path / "nb", "01_ok", "print('fine')")
    settings = params(codebook=str(codebook_with_single_item_named_like_a_column(tmp_path)))
    run_dir = run_report(settings, output_root=tmp_path / "out", notebooks_dir=tmp_path / "nb", notebooks=["01_ok"])
    manifest = read_manifest(run_dir)
    assert manifest["status"] == "failed" and manifest["notebooks"] == []
    assert "No notebook ran" in manifest["error"] and "'e_tan1'" in manifest["error"]
    assert "rename the construct" in manifest["error"]


# ================================================================ QA fixes: sqlib runs
def test_runs_output_root_that_does_not_exist_is_an_error(tmp_path, capsys):
    missing = tmp_path / "no_such_folder"
    assert cli.main(["runs", "--output-root", str(missing)]) == 1
    captured = capsys.readouterr()
    assert f"--output-root {missing} does not exist" in captured.err and "check the path" in captured.err
    assert "No report runs found" not in captured.out


def test_runs_output_root_that_is_a_file_is_an_error(tmp_path, capsys):
    a_file = tmp_path / "reports.txt"
    a_file.write_text("not a folder", encoding="utf-8")
    assert cli.main(["runs", "--output-root", str(a_file)]) == 1
    err = capsys.readouterr().err
    assert f"--output-root {a_file} is a file" in err and "give the folder that holds the run folders" in err


def test_runs_lists_a_manifest_that_is_not_an_object_as_unreadable(tmp_path, capsys):
    fake_run(tmp_path, "20260101T000000Z_ok")
    folder = tmp_path / "20260101T000100Z_list"
    folder.mkdir()
    (folder / "manifest.json").write_text("[1, 2]", encoding="utf-8")
    assert [r["status"] for r in list_runs(tmp_path)] == ["succeeded", "unreadable manifest"]
    assert cli.main(["runs", "--output-root", str(tmp_path)]) == 0
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err and "_list" in captured.out and "unreadable manifest" in captured.out


def test_runs_lists_a_truncated_manifest_as_unreadable_not_missing(tmp_path):
    folder = tmp_path / "20260101T000000Z_cut"
    folder.mkdir()
    (folder / "manifest.json").write_text("{", encoding="utf-8")
    (tmp_path / "20260101T000100Z_empty").mkdir()
    assert [r["status"] for r in list_runs(tmp_path)] == ["unreadable manifest", "no manifest"]


# ================================================================ QA fixes: data and codebook paths
def test_params_data_that_is_a_folder_says_folder_not_missing(tmp_path):
    path = tmp_path / "study.yaml"
    path.write_text(f"data: .\ncodebook: {config.SAMPLE_CODEBOOK}\n", encoding="utf-8")
    with pytest.raises(ReportError) as caught:
        load_params(path)
    message = str(caught.value)
    assert str(path) in message and "key 'data'" in message and "is a folder" in message
    assert "does not exist" not in message and "name the file inside it" in message


def test_params_empty_codebook_path_says_empty_not_missing(tmp_path):
    path = tmp_path / "study.yaml"
    path.write_text(f'data: {config.SAMPLE_DATA}\ncodebook: ""\n', encoding="utf-8")
    with pytest.raises(ReportError) as caught:
        load_params(path)
    message = str(caught.value)
    assert str(path) in message and "key 'codebook' is empty" in message and "codebook: codebook.yaml" in message
    assert "does not exist" not in message


def test_params_data_key_without_a_value_says_empty(tmp_path):
    path = tmp_path / "study.yaml"
    path.write_text(f"data:\ncodebook: {config.SAMPLE_CODEBOOK}\n", encoding="utf-8")
    with pytest.raises(ReportError, match=r"key 'data' is empty; give the data file, e.g. 'data: survey.csv'"):
        load_params(path)


# ================================================================ QA fixes: a group lost to listwise deletion
def survey_without_rel2_in_one_group(tmp_path) -> tuple[Path, str]:
    data = pd.read_csv(config.SAMPLE_DATA)
    group = sorted(data["country"].unique())[0]
    data.loc[data["country"] == group, "rel2"] = None
    path = tmp_path / "survey.csv"
    data.to_csv(path, index=False)
    return path, group


def test_validate_params_notes_an_item_a_whole_group_left_empty(tmp_path, capsys):
    data, group = survey_without_rel2_in_one_group(tmp_path)
    path = write_params(tmp_path / "p.yaml", data=str(data), notebooks=["01_data_screening"])
    assert cli.main(["validate", "--params", str(path)]) == 0
    out = capsys.readouterr().out
    note = next(line for line in out.splitlines() if line.startswith("Note: rel2"))
    assert f"group {group} (column country)" in note and "listwise deletion" in note and "missing: fiml" in note


def test_runner_records_coverage_notes_in_the_manifest_and_index(tmp_path):
    data, group = survey_without_rel2_in_one_group(tmp_path)
    write_notebook(tmp_path / "nb", "01_ok", "print('fine')")
    run_dir = run_report(params(data=str(data)), output_root=tmp_path / "out", notebooks_dir=tmp_path / "nb",
                         notebooks=["01_ok"])
    manifest = read_manifest(run_dir)
    assert manifest["status"] == "succeeded"
    assert len(manifest["notes"]) == 1 and manifest["notes"][0].startswith(f"rel2 was not answered in group {group}")
    assert "rel2 was not answered" in (run_dir / "index.html").read_text(encoding="utf-8")


def test_runner_manifest_has_no_notes_for_the_complete_sample(mixed_run):
    _, manifest, _ = mixed_run
    assert manifest["notes"] == []


def test_section_titles_spell_acronyms():
    from sqlib.report import runner
    assert runner.ACRONYM_TITLES["Pls sem"] == "PLS-SEM"
    index_titles = [runner._title(name) for name in ("08_pls_sem", "02_measurement_model")]
    assert index_titles == ["PLS-SEM", "Measurement model"]
