"""Reproducible reports: run the analysis notebooks with papermill into a new folder.

A report run reads a small YAML parameters file (see ``notebooks/params/default.yaml``),
executes each notebook on the survey it names and writes everything into a fresh
folder ``reports/<UTC time>_<run name>/``::

    notebooks/<name>.ipynb   the executed notebooks (with all outputs)
    <name>.html              the same notebooks as HTML, without code
    figures/  tables/        PNG figures and CSV tables the notebooks saved
    manifest.json            what was run, on which file (SHA-256), with which versions

A run never overwrites an earlier one and never changes the input files.
"""

from __future__ import annotations

import json
import logging
import os
import platform
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from contextlib import contextmanager
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path
from typing import Any, Callable

import yaml

from sqlib import __version__
from sqlib.core import config
from sqlib.core.errors import CodebookError, ModelSpecificationError, ReportError, SqlibError
from sqlib.survey.io import file_sha256
from .outputs import NOTEBOOK_ENV
from .params import KEYS, RESERVED_PARAMETERS, check_params

#: Packages whose versions every manifest records.
RECORDED_PACKAGES = ("sqlib", "numpy", "scipy", "pandas", "statsmodels", "semopy",
                     "matplotlib", "seaborn", "papermill", "nbconvert")

#: Keys a parameters file may contain.
PARAMS_KEYS = KEYS

_TIME_FORMAT = "%Y%m%dT%H%M%SZ"


# ------------------------------------------------------------------ parameters
def load_params(params: str | Path | dict, *, notebooks_dir: str | Path | None = None,
                notebooks: list[str] | None = None) -> dict:
    """Read and check report parameters; return them with absolute file paths.

    Parameters
    ----------
    params : str, Path or dict
        A YAML file in the format of ``notebooks/params/default.yaml``, or the same
        content as a dict. Relative ``data``/``codebook`` paths are taken relative
        to the YAML file's folder (for a dict: the current working directory).
    notebooks_dir : str or Path, optional
        Where the notebooks live (default ``config.NOTEBOOKS_DIR``); notebook names
        and their parameters are checked against the notebooks found there.
    notebooks : list of str, optional
        Notebooks that will run instead of the file's list (checked the same way).

    Returns
    -------
    dict
        With every key of :data:`PARAMS_KEYS`; ``data`` and ``codebook`` are
        absolute :class:`~pathlib.Path` objects, ``notebooks`` names without ``.ipynb``.

    Raises
    ------
    ReportError
        When the file cannot be read or breaks the schema of
        :class:`sqlib.params.ReportParams` (unknown key, wrong type, unknown
        notebook or notebook parameter: every problem is listed with the key and
        the fix), or the data or codebook file does not exist.

    Examples
    --------
    >>> from sqlib import config
    >>> from sqlib.report.runner import load_params
    >>> p = load_params(config.DEFAULT_PARAMS)
    >>> p["data"] == config.SAMPLE_DATA.resolve()
    True
    """
    if isinstance(params, dict):
        raw, base, where = dict(params), Path.cwd(), "the report parameters"
    else:
        path = Path(params)
        if not path.is_file():
            raise ReportError(f"Parameters file {path} does not exist; check the path "
                              f"(the bundled example is {config.DEFAULT_PARAMS}).")
        try:
            raw = yaml.safe_load(path.read_text(encoding="utf-8"))
        except UnicodeDecodeError as exc:
            raise ReportError(f"Parameters file {path} is not UTF-8 text (byte {exc.start}); "
                              "save it as UTF-8 and run again.") from exc
        except yaml.YAMLError as exc:
            raise ReportError(f"Parameters file {path} is not valid YAML: {exc}") from exc
        base, where = path.resolve().parent, f"parameters file {path}"
    checked = check_params({} if raw is None else raw, where, notebooks_dir, notebooks)
    data = _existing_file(base, checked.data, "data", where)
    codebook = _existing_file(base, checked.codebook, "codebook", where)
    _check_design(codebook, checked.structural_model, where)
    return {
        "run_name": checked.run_name or "report",
        "data": data,
        "codebook": codebook,
        "seed": checked.seed,
        "language": checked.language,
        "notebooks": list(checked.notebooks),
        "parameters": dict(checked.parameters),
        "notebook_parameters": {k: dict(v) for k, v in checked.notebook_parameters.items()},
        "structural_model": checked.structural_model,
    }


def _check_design(codebook: Path, structural_model: str, where: str) -> None:
    """The codebook and the structural model must make a study design before anything runs."""
    from sqlib.analysis.design import study_design

    try:
        study_design(codebook, structural_model)
    except CodebookError as exc:
        raise ReportError(f"The codebook named in {where} is not usable: {exc}") from exc
    except ModelSpecificationError as exc:
        raise ReportError(f"In {where}, key 'structural_model': {exc}") from exc


def _existing_file(base: Path, value, key: str, where: str) -> Path:
    example = {"data": "survey.csv", "codebook": "codebook.yaml"}.get(key, "file.txt")
    if not str(value).strip():
        raise ReportError(f"In {where}, key {key!r} is empty; give the {key} file, e.g. '{key}: {example}' "
                          f"(relative paths count from {base}).")
    path = (base / Path(str(value)).expanduser()).resolve()
    if path.is_dir():
        raise ReportError(f"The {key} file {path} named in {where} (key {key!r}: {str(value)!r}) is a folder, "
                          f"not a file; name the file inside it, e.g. '{key}: {example}' "
                          f"(relative paths count from {base}).")
    if not path.is_file():
        raise ReportError(f"The {key} file {path} named in {where} (key {key!r}) does not exist; "
                          f"relative paths count from {base}.")
    return path


def _as_list(value) -> list[str]:
    names = [value] if isinstance(value, str) else list(value)
    return [str(n).removesuffix(".ipynb") for n in names]


# ------------------------------------------------------------------ run folder
def new_run_folder(run_name: str, output_root: str | Path | None = None) -> Path:
    """Create and return an empty folder ``<output_root>/<UTC time>_<run_name>``.

    An existing folder is never reused: a suffix ``-2``, ``-3``... is added instead.

    Raises
    ------
    ReportError
        When the folder cannot be created (read-only ``reports/``, a file in the
        way); the message names the path and the reason, and nothing is left behind.

    Examples
    --------
    >>> import tempfile
    >>> from sqlib.report.runner import new_run_folder
    >>> root = tempfile.mkdtemp()
    >>> new_run_folder("demo", root) != new_run_folder("demo", root)
    True
    """
    root = Path(output_root if output_root is not None else config.REPORTS_DIR).expanduser().absolute()
    _make_root(root)
    safe = re.sub(r"[^A-Za-z0-9._-]+", "-", run_name).strip("-") or "report"
    stem = f"{datetime.now(timezone.utc).strftime(_TIME_FORMAT)}_{safe}"
    for attempt in range(1, 1000):
        folder = root / (stem if attempt == 1 else f"{stem}-{attempt}")
        try:
            folder.mkdir(exist_ok=False)
        except FileExistsError:
            continue
        except OSError as exc:
            raise ReportError(_cannot_create(folder, exc)) from exc
        return folder
    raise ReportError(f"Could not create a new run folder under {root}; too many runs named {stem}.")


def _make_root(root: Path) -> None:
    """Create the output root (and missing parents), naming the path and reason on failure."""
    blocker = next((p for p in [root, *root.parents] if p.exists() and not p.is_dir()), None)
    if blocker is not None:
        raise ReportError(f"Cannot create run folders under {root}: {blocker} is a file, not a folder. "
                          "Move or rename that file, or choose another place with --output-root DIR.")
    try:
        root.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ReportError(_cannot_create(root, exc)) from exc
    if not os.access(root, os.W_OK | os.X_OK):
        raise ReportError(f"Cannot create a run folder in {root}: the folder is not writable "
                          "(permission denied). Make it writable (chmod u+w) or choose another "
                          "place with --output-root DIR.")


def _cannot_create(path: Path, exc: OSError) -> str:
    reason = exc.strerror or type(exc).__name__
    return (f"Cannot create the run folder {path}: {reason}. Make its parent folder writable, remove "
            "what is in the way, or choose another place with --output-root DIR.")


def _prepare_run_folder(run_name: str, output_root) -> Path:
    """A new run folder with its sub-folders; removed again if any of them cannot be made."""
    run_dir = new_run_folder(run_name, output_root)
    try:
        for sub in ("notebooks", "figures", "tables"):
            (run_dir / sub).mkdir()
    except OSError as exc:
        shutil.rmtree(run_dir, ignore_errors=True)
        raise ReportError(_cannot_create(run_dir / sub, exc)) from exc
    return run_dir


# ------------------------------------------------------------------ provenance
def package_versions() -> dict[str, str | None]:
    """Installed versions of :data:`RECORDED_PACKAGES` (None when not installed)."""
    versions = {}
    for name in RECORDED_PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = __version__ if name == "sqlib" else None
    return versions


def git_commit(root: str | Path | None = None) -> str | None:
    """The project's current git commit (hex), or None outside a git checkout."""
    try:
        done = subprocess.run(["git", "-C", str(root or config.PROJECT_ROOT), "rev-parse", "HEAD"],
                              capture_output=True, text=True, timeout=10, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    if done.returncode != 0:
        return None
    return done.stdout.strip() or None


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def _write_json(path: Path, content: dict) -> None:
    """Write JSON atomically (a reader never sees half a manifest)."""
    partial = path.with_name(path.name + ".partial")
    partial.write_text(json.dumps(content, indent=2, default=str, ensure_ascii=False) + "\n", encoding="utf-8")
    os.replace(partial, path)


# ------------------------------------------------------------------ console and logs
class RunInterrupted(KeyboardInterrupt):
    """A report run was stopped by SIGTERM or Ctrl-C; its manifest says ``interrupted``."""

    def __init__(self, signal_name: str = "SIGINT"):
        self.signal_name = signal_name
        super().__init__(f"report run interrupted by {signal_name}")


#: Loggers of the notebook machinery; during a run their records go to ``run.log`` only.
QUIET_LOGGERS = ("papermill", "jupyter_client", "ipykernel", "traitlets", "nbclient", "nbconvert",
                 "asyncio", "py.warnings")


@contextmanager
def _logs_to(run_log: Path):
    """Route the notebook machinery's log records, and stderr (fd 2, which the kernel
    inherits), into ``run_log`` while the block runs; restore both afterwards."""
    handler = logging.FileHandler(run_log, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(name)s %(levelname)s %(message)s"))
    saved = {}
    for name in QUIET_LOGGERS:
        log = logging.getLogger(name)
        saved[name] = (log.handlers[:], log.propagate, log.level)
        log.handlers, log.propagate = [handler], False
        log.setLevel(logging.INFO)
    logging.captureWarnings(True)
    saved_fd = _redirect_stderr(run_log)
    try:
        yield
    finally:
        if saved_fd is not None:
            sys.stderr.flush()
            os.dup2(saved_fd, 2)
            os.close(saved_fd)
        logging.captureWarnings(False)
        for name, (handlers, propagate, level) in saved.items():
            log = logging.getLogger(name)
            log.handlers, log.propagate = handlers, propagate
            log.setLevel(level)
        handler.close()


def _redirect_stderr(run_log: Path) -> int | None:
    """Point file descriptor 2 at ``run_log``; return a copy of the old one (None if there is none)."""
    try:
        sys.stderr.flush()
        saved_fd = os.dup(2)
    except (OSError, ValueError):  # no stderr at all (a daemon): nothing to silence
        return None
    with open(run_log, "ab", buffering=0) as sink:
        os.dup2(sink.fileno(), 2)
    return saved_fd


@contextmanager
def _signals_interrupt():
    """Turn SIGTERM into :class:`RunInterrupted` while the block runs (main thread only)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def stop(signum, frame):
        raise RunInterrupted(signal.Signals(signum).name)

    previous = signal.signal(signal.SIGTERM, stop)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def console_line(record: dict) -> str:
    """One console line for a notebook record: name, status, seconds, reason unless it succeeded.

    Examples
    --------
    >>> from sqlib.report.runner import console_line
    >>> console_line({"notebook": "01_data_screening", "status": "succeeded", "duration_seconds": 3.25})
    '01_data_screening            succeeded    3.2 s'
    """
    line = f"{record['notebook']:<28} {record['status']:<10} {record.get('duration_seconds') or 0:>5.1f} s"
    if record["status"] != "succeeded" and record.get("reason"):
        line += f"  {record['reason']}"
    return line


# ------------------------------------------------------------------ HTML
_PATH_REPR = re.compile(r"^(Posix|Windows)?Path\(.*\)$", re.DOTALL)


def clean_for_readers(nb, log: list[str] | None = None):
    """A copy of an executed notebook without stderr streams and bare path reprs.

    Warnings and progress bars are written to stderr; they belong to the run log,
    not to the HTML readers see. Removed text is appended to ``log`` (when given)
    with the cell number it came from.

    Examples
    --------
    >>> import nbformat
    >>> from sqlib.report.runner import clean_for_readers
    >>> cell = nbformat.v4.new_code_cell("1")
    >>> cell.outputs = [nbformat.v4.new_output("stream", name="stderr", text="Warning!")]
    >>> clean_for_readers(nbformat.v4.new_notebook(cells=[cell])).cells[0].outputs
    []
    """
    import copy

    clean = copy.deepcopy(nb)
    for number, cell in enumerate(clean.cells):
        kept = []
        for out in cell.get("outputs", []):
            text = _removed_text(out)
            if text is None:
                kept.append(out)
            elif log is not None:
                log.append(f"[cell {number}] {text.rstrip()}")
        if cell.cell_type == "code":
            cell.outputs = kept
    return clean


def _removed_text(out) -> str | None:
    """The text of an output readers should not see, or None to keep it."""
    if out.get("output_type") == "stream" and out.get("name") == "stderr":
        return str(out.get("text", ""))
    if out.get("output_type") == "execute_result":
        data = out.get("data", {})
        plain = str(data.get("text/plain", "")).strip()
        if set(data) == {"text/plain"} and _PATH_REPR.match(plain):
            return plain
    return None


#: nbconvert's lab page without require.js and MathJax, which it loads from a CDN: the report
#: shows no widgets or formulas, and must open (without console errors) on a machine offline.
OFFLINE_HTML_TEMPLATE = """{%- extends 'lab/index.html.j2' -%}
{%- block html_head_js_requirejs -%}{%- endblock html_head_js_requirejs -%}
{%- block html_head_js_mathjax -%}{%- endblock html_head_js_mathjax -%}
"""


def _export_html(executed: Path, target: Path, run_log: Path | None = None) -> None:
    import nbformat
    from nbconvert import HTMLExporter

    removed: list[str] = []
    nb = clean_for_readers(nbformat.read(executed, as_version=4), removed)
    if removed and run_log is not None:
        with open(run_log, "a", encoding="utf-8") as handle:
            handle.write(f"--- stderr and path outputs of {executed.name}, left out of its HTML ---\n")
            handle.write("\n".join(removed) + "\n")
    from jinja2 import DictLoader

    exporter = HTMLExporter(exclude_input=True, exclude_input_prompt=True,
                            exclude_output_prompt=True, embed_images=True,
                            extra_loaders=[DictLoader({"sqlib_report.html.j2": OFFLINE_HTML_TEMPLATE})],
                            template_file="sqlib_report.html.j2")
    body, _ = exporter.from_notebook_node(nb, resources={"metadata": {"name": _title(executed.stem)}})
    target.write_text(body, encoding="utf-8")


def _write_skipped_html(name: str, reason: str, target: Path) -> None:
    import html

    title = _title(name)
    target.write_text(
        "<!DOCTYPE html><html><head><meta charset='utf-8'>"
        f"<title>{html.escape(title)}</title></head><body style='font-family:sans-serif;max-width:52em;"
        f"margin:2em auto'><h1>{html.escape(title)}</h1><p><b>Skipped.</b> {html.escape(reason)}</p>"
        "</body></html>", encoding="utf-8")


#: Section titles that are acronyms, not words.
ACRONYM_TITLES = {"Pls sem": "PLS-SEM"}


def _title(name: str) -> str:
    title = name.split("_", 1)[-1].replace("_", " ").capitalize()
    return ACRONYM_TITLES.get(title, title)


# ------------------------------------------------------------------ execution
def _notebook_parameters(settings: dict, name: str, run_dir: Path) -> dict[str, Any]:
    values = {
        "data_path": str(settings["data"]),
        "codebook_path": str(settings["codebook"]),
        "output_dir": str(run_dir),
        "seed": settings["seed"],
        "language": settings["language"],
        "structural_model": settings["structural_model"],
    }
    values.update(settings["parameters"])
    values.update(settings["notebook_parameters"].get(name, {}))
    return values


def _source_cell_number(executed: Path, cell_index: int) -> int:
    """0-based index of a failing cell in the source notebook (papermill adds a cell)."""
    import nbformat

    try:
        cells = nbformat.read(executed, as_version=4).cells
    except Exception:  # the partial notebook is unreadable: report papermill's index
        return cell_index
    # papermill numbered the cells before adding its error banners; drop those, then count
    # the injected parameters cell(s) before the failing one
    executed_cells = [c for c in cells if "papermill-error-cell-tag" not in c.get("metadata", {}).get("tags", [])]
    added = sum("injected-parameters" in c.get("metadata", {}).get("tags", []) for c in executed_cells[:cell_index])
    return cell_index - added


#: The matplotlib backend of report kernels: figures become image outputs of the executed notebook.
INLINE_BACKEND = "module://matplotlib_inline.backend_inline"


def _execute(source: Path, executed: Path, parameters: dict, cwd: Path, name: str) -> None:
    import papermill as pm

    # the kernel inherits these: outputs.save_table/save_figure name files after the notebook, and
    # figures are shown inline in the report pages even where MPLBACKEND=Agg is set (as `make` does)
    settings = {NOTEBOOK_ENV: name, "MPLBACKEND": INLINE_BACKEND}
    previous = {key: os.environ.get(key) for key in settings}
    os.environ.update(settings)
    try:
        pm.execute_notebook(str(source), str(executed), parameters=parameters, cwd=str(cwd),
                            kernel_name="python3", progress_bar=False, log_output=False)
    finally:
        for key, value in previous.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def _run_one(name: str, source: Path, run_dir: Path, parameters: dict, cwd: Path) -> dict:
    import papermill as pm

    executed = run_dir / "notebooks" / f"{name}.ipynb"
    record: dict[str, Any] = {"notebook": name, "source": str(source), "executed": str(executed),
                              "html": str(run_dir / f"{name}.html"), "parameters": parameters,
                              "started": _now()}
    tick = time.perf_counter()
    try:
        _execute(source, executed, parameters, cwd, name)
        record.update(status="succeeded", reason=None)
    except pm.PapermillExecutionError as exc:
        record.update(status="failed", cell_index=_source_cell_number(executed, exc.cell_index),
                      execution_count=exc.exec_count, error_name=exc.ename, error_message=exc.evalue)
    except Exception as exc:  # the kernel died or could not start: no cell to blame
        record.update(status="failed", cell_index=None, execution_count=None,
                      error_name=type(exc).__name__, error_message=str(exc))
    if record["status"] == "failed":
        where = "" if record["cell_index"] is None else f" (cell {record['cell_index']})"
        record["reason"] = f"{record['error_name']}: {_first_line(record['error_message'])}{where}"
    record["duration_seconds"] = round(time.perf_counter() - tick, 3)
    record["finished"] = _now()
    if executed.is_file():
        try:
            _export_html(executed, run_dir / f"{name}.html", run_dir / "run.log")
        except Exception as exc:  # keep the run's record even when the HTML cannot be made
            record["html"] = None
            record["html_error"] = f"{type(exc).__name__}: {exc}"
    else:
        record["html"] = None
    return record


def _skipped(name: str, source: Path, run_dir: Path, reason: str) -> dict:
    _write_skipped_html(name, reason, run_dir / f"{name}.html")
    return {"notebook": name, "source": str(source), "executed": None, "html": str(run_dir / f"{name}.html"),
            "parameters": None, "started": _now(), "finished": _now(), "duration_seconds": 0.0,
            "status": "skipped", "reason": reason}


def _undecided(name: str, source: Path, exc: Exception) -> dict:
    return {"notebook": name, "source": str(source), "executed": None, "html": None, "parameters": None,
            "started": _now(), "finished": _now(), "duration_seconds": 0.0, "status": "failed",
            "cell_index": None, "execution_count": None, "error_name": type(exc).__name__,
            "error_message": f"deciding whether the notebook can run failed: {exc}",
            "reason": f"{type(exc).__name__} in sqlib.design.skip_reason: {_first_line(str(exc))}"}


def _first_line(text: str, limit: int = 300) -> str:
    line = (str(text).strip().splitlines() or [""])[0]
    return line if len(line) <= limit else line[:limit - 3] + "..."


def failure_message(record: dict, run_dir: Path) -> str:
    """The full explanation of a failed notebook: where, what, and where to look."""
    if record.get("executed") is None:
        return (f"Notebook {record['notebook']} was not run: {record['error_name']}: {record['error_message']}\n"
                "This is a fault in sqlib's study-design rules, not in your files; please report it.")
    where = ("outside any cell (the kernel could not start or stopped unexpectedly)" if record["cell_index"] is None
             else f"in cell {record['cell_index']} (counting from 0; shown as "
                  f"In [{record['execution_count']}] in the executed notebook)")
    return (f"Notebook {record['notebook']} failed {where}: "
            f"{record['error_name']}: {record['error_message']}\n"
            f"The partial output is in {run_dir}; open notebooks/{record['notebook']}.ipynb "
            "or its HTML to see the error in context.")


def model_data_for_report(design, data, settings: dict):
    """``design.model_data(data)``, with a failure named after the codebook and data files.

    Every notebook fits its models on :meth:`~sqlib.design.StudyDesign.model_data`; calling it
    before anything runs reports a single-item construct named like another data column once,
    up front, instead of as a failure of every notebook.

    Raises
    ------
    ReportError
        Naming the codebook, the data file, the construct and the fix.
    """
    try:
        return design.model_data(data)
    except CodebookError as exc:
        raise ReportError(f"The codebook {settings['codebook']} does not fit the data file {settings['data']}: "
                          f"{exc}") from exc


def _design_and_data(settings: dict):
    """The study design and the checked data, or the error message when they cannot be read."""
    from sqlib.analysis.design import study_design
    from sqlib.survey.io import read_survey

    try:
        design = study_design(settings["codebook"], settings["structural_model"])
        data = read_survey(settings["data"], design.codebook)
    except (SqlibError, ValueError, OSError) as exc:
        return None, None, f"The data could not be read, so no notebook ran: {exc}"
    except Exception as exc:  # an unexpected fault still ends the run in a known state
        return None, None, f"The data could not be read, so no notebook ran: {type(exc).__name__}: {exc}"
    try:
        model_data_for_report(design, data, settings)
    except ReportError as exc:
        return None, None, f"No notebook ran: {exc}"
    return design, data, None


def _design_json(design) -> dict:
    return {"codebook": design.codebook.to_dict(), "structural_model": design.structural_model,
            "structural_source": getattr(design, "structural_source", None)}


def _new_manifest(settings: dict, params, run_dir: Path) -> dict:
    return {
        "sqlib_version": __version__,
        "run_name": settings["run_name"],
        "run_folder": str(run_dir),
        "status": "running",
        "started": _now(),
        "finished": None,
        "pid": os.getpid(),
        "host": socket.gethostname(),
        "data": {"path": str(settings["data"]), "sha256": file_sha256(settings["data"])},
        "codebook": {"path": str(settings["codebook"]), "sha256": file_sha256(settings["codebook"])},
        "seed": settings["seed"],
        "language": settings["language"],
        "structural_model": settings["structural_model"],
        "params_file": None if isinstance(params, dict) else str(Path(params).resolve()),
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "packages": package_versions(),
        "git_commit": git_commit(),
        "notes": [],
        "notebooks": [],
    }


def _run_status(records: list[dict], error: str | None) -> str:
    """``failed`` (a run-level error such as unreadable or changed data, or every notebook
    failed), ``partial`` (some skipped or failed) or ``succeeded``."""
    statuses = [r["status"] for r in records]
    if error or (statuses and all(s == "failed" for s in statuses)):
        return "failed"
    if any(s != "succeeded" for s in statuses):
        return "partial"
    return "succeeded"


def _finish(manifest: dict, run_dir: Path, status: str, error: str | None = None) -> None:
    manifest["status"] = status
    manifest["skipped"] = [r["notebook"] for r in manifest["notebooks"] if r["status"] == "skipped"]
    manifest["failed"] = [r["notebook"] for r in manifest["notebooks"] if r["status"] == "failed"]
    if error:
        manifest["error"] = error
    manifest["finished"] = _now()
    _write_json(run_dir / "manifest.json", manifest)
    write_index(run_dir, manifest)


def _run_notebooks(settings, sources, source_dir, run_dir, manifest, progress) -> str | None:
    """Run (or skip) each notebook in order; return the run-level error, if any."""
    from sqlib.analysis.design import skip_reason

    design, data, error = _design_and_data(settings)
    if error:
        return error
    _write_json(run_dir / "design.json", _design_json(design))
    manifest["notes"] = design.coverage_problems(data)
    data_hash = manifest["data"]["sha256"]
    for name, source in sources.items():
        manifest["running"] = name
        _write_json(run_dir / "manifest.json", manifest)
        try:
            reason = skip_reason(name, design, data)
        except Exception as exc:  # a fault in the skip rules fails this notebook, not the run
            record = _undecided(name, source, exc)
        else:
            if reason:
                record = _skipped(name, source, run_dir, reason)
            else:
                record = _run_one(name, source, run_dir, _notebook_parameters(settings, name, run_dir), source_dir)
        manifest["notebooks"].append(record)
        manifest.pop("running", None)
        _write_json(run_dir / "manifest.json", manifest)
        if progress is not None:
            progress(record)
    if file_sha256(settings["data"]) != data_hash:
        return (f"The data file {settings['data']} changed while the report ran (its SHA-256 differs); "
                "a notebook must never write to its input. Restore the file and run again.")
    return None


def run_report(params: str | Path | dict, *, run_name: str | None = None,
               output_root: str | Path | None = None, notebooks: list[str] | None = None,
               notebooks_dir: str | Path | None = None, progress: Callable[[dict], None] | None = None) -> Path:
    """Run the report notebooks on a survey and return the new run folder.

    Parameters
    ----------
    params : str, Path or dict
        Parameters YAML file (see ``notebooks/params/default.yaml``) or its content.
    run_name : str, optional
        Overrides the ``run_name`` of the parameters (the folder-name suffix).
    output_root : str or Path, optional
        Where run folders go; default ``config.REPORTS_DIR`` (``reports/``).
    notebooks : list of str, optional
        Notebook names (without ``.ipynb``) to run instead of the parameters' list.
    notebooks_dir : str or Path, optional
        Folder holding the notebooks and used as their working directory;
        default ``config.NOTEBOOKS_DIR``.
    progress : callable, optional
        Called with each notebook's record as soon as it finished or was skipped
        (the command line prints :func:`console_line` of it).

    Returns
    -------
    pathlib.Path
        The run folder, holding ``notebooks/<name>.ipynb``, ``<name>.html``,
        ``figures/``, ``tables/``, ``design.json`` (the resolved codebook and
        structural model), ``run.log`` (kernel logs, warnings and progress bars)
        and ``manifest.json``. The manifest records the sqlib version, data and
        codebook paths with SHA-256 checksums, the seed, the parameters each
        notebook received, package versions, platform, git commit, the runner's
        ``pid`` and ``host``, start/end times (UTC), each notebook's ``status``
        (``succeeded``, ``skipped`` or ``failed``) with its ``reason``, and the run's
        ``status``: ``succeeded``; ``partial`` (the notebooks in ``skipped`` and
        ``failed`` are named); ``failed`` (every notebook failed, or the data could
        not be read: ``error`` says why); ``interrupted`` (SIGTERM or Ctrl-C, with
        ``interrupted_notebook``).

    Raises
    ------
    ReportError
        Before anything is created, when the parameters are unusable, a notebook is
        missing or the run folder cannot be created. A failed notebook does not
        raise: the other notebooks still run and the manifest tells.
    RunInterrupted
        After marking the manifest ``interrupted`` and writing ``index.html``,
        when the run got SIGTERM or Ctrl-C (a subclass of KeyboardInterrupt).

    Notes
    -----
    There is no single R equivalent; the closest is ``rmarkdown::render`` with
    ``params`` on a parameterised R Markdown report.

    Examples
    --------
    >>> from sqlib import config
    >>> from sqlib.report.runner import run_report, read_manifest
    >>> folder = run_report(config.DEFAULT_PARAMS)  # doctest: +SKIP
    >>> read_manifest(folder)["status"]  # doctest: +SKIP
    'succeeded'
    """
    source_dir = Path(notebooks_dir if notebooks_dir is not None else config.NOTEBOOKS_DIR).resolve()
    settings = load_params(params, notebooks_dir=source_dir, notebooks=_as_list(notebooks) if notebooks else None)
    if run_name:
        settings["run_name"] = run_name
    if notebooks:
        settings["notebooks"] = _as_list(notebooks)
    sources = {name: source_dir / f"{name}.ipynb" for name in settings["notebooks"]}
    run_dir = _prepare_run_folder(settings["run_name"], output_root)
    manifest = _new_manifest(settings, params, run_dir)
    _write_json(run_dir / "manifest.json", manifest)
    try:
        with _signals_interrupt(), _logs_to(run_dir / "run.log"):
            error = _run_notebooks(settings, sources, source_dir, run_dir, manifest, progress)
    except Exception as exc:  # a fault of the runner itself: the run still ends in a known state
        manifest.pop("running", None)
        _finish(manifest, run_dir, "failed", f"The report runner stopped unexpectedly: {type(exc).__name__}: {exc}")
        raise
    except KeyboardInterrupt as exc:
        manifest["interrupted_notebook"] = manifest.pop("running", None)
        manifest["signal"] = getattr(exc, "signal_name", "SIGINT")
        _finish(manifest, run_dir, "interrupted",
                f"The run was interrupted by {manifest['signal']} while running "
                f"{manifest['interrupted_notebook'] or 'no notebook'}; the notebooks listed finished.")
        raise exc if isinstance(exc, RunInterrupted) else RunInterrupted("SIGINT") from exc
    _finish(manifest, run_dir, _run_status(manifest["notebooks"], error), error)
    return run_dir


def run_failures(run_dir: str | Path) -> list[str]:
    """Messages for everything that failed in a run (empty when nothing failed).

    Examples
    --------
    >>> from sqlib.report.runner import run_failures
    >>> run_failures(folder)  # doctest: +SKIP
    []
    """
    manifest = read_manifest(run_dir)
    messages = [failure_message(r, Path(run_dir)) for r in manifest["notebooks"] if r["status"] == "failed"]
    if manifest.get("error"):
        messages.append(manifest["error"])
    return messages


def write_index(run_dir: Path, manifest: dict) -> Path:
    """``index.html``: one link per section with its summary paragraph, or why it was skipped or failed."""
    import html

    sections = []
    for record in manifest["notebooks"]:
        name = record["notebook"]
        summary_file = run_dir / "summaries" / f"{name}.md"
        summary = summary_file.read_text(encoding="utf-8").strip() if summary_file.exists() else ""
        status = "" if record["status"] == "succeeded" else f" <b style='color:#c00'>({record['status']})</b>"
        if record["status"] == "skipped":
            text = f"Skipped: {html.escape(record.get('reason') or '')}"
        elif record["status"] == "failed":
            text = f"Failed: {html.escape(record.get('reason') or '')}"
        else:
            text = html.escape(summary) or "<i>No summary was written.</i>"
        sections.append(f"<h2><a href='{html.escape(name)}.html'>{html.escape(_title(name))}</a>{status}</h2>"
                        f"<p>{text}</p>")
    problem = f"<p><b>{html.escape(manifest['error'])}</b></p>" if manifest.get("error") else ""
    notes = "".join(f"<li>{html.escape(note)}</li>" for note in manifest.get("notes") or [])
    problem += f"<p>Notes on the data:</p><ul>{notes}</ul>" if notes else ""
    head = (f"<h1>Service-quality report: {html.escape(str(manifest['run_name']))}</h1>"
            f"<p>Data: {html.escape(Path(manifest['data']['path']).name)} "
            f"(SHA-256 {manifest['data']['sha256'][:12]}...), seed {manifest['seed']}, "
            f"run {manifest['started']} to {manifest['finished']}, status <b>{manifest['status']}</b>. "
            f"Details: <a href='manifest.json'>manifest.json</a>.</p>{problem}")
    page = ("<!DOCTYPE html><html><head><meta charset='utf-8'><title>Report</title>"
            "<style>body{font-family:sans-serif;max-width:52em;margin:2em auto;line-height:1.45}</style></head>"
            f"<body>{head}{''.join(sections)}</body></html>")
    path = run_dir / "index.html"
    path.write_text(page, encoding="utf-8")
    return path


def read_manifest(run_dir: str | Path) -> dict:
    """The ``manifest.json`` of a run folder, as a dict."""
    return json.loads((Path(run_dir) / "manifest.json").read_text(encoding="utf-8"))


# ------------------------------------------------------------------ listing runs
def _pid_alive(pid) -> bool:
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    except (OSError, TypeError, ValueError):
        return False
    return True


def _seconds_between(start: str | None, end: str | None) -> float | None:
    try:
        return (datetime.fromisoformat(end) - datetime.fromisoformat(start)).total_seconds()
    except (TypeError, ValueError):
        return None


def run_status(manifest: dict) -> str:
    """A run's status as seen now: ``running`` becomes ``aborted`` when its process is gone.

    A run marked ``running`` whose ``pid`` is not alive on this host was killed
    (SIGKILL, power loss) before it could mark itself. A run of another host is
    shown as ``running on <host>`` since its process cannot be checked from here.

    Examples
    --------
    >>> import socket
    >>> from sqlib.report.runner import run_status
    >>> run_status({"status": "running", "pid": 2**22 + 7, "host": socket.gethostname()})
    'aborted'
    """
    status = manifest.get("status", "unknown")
    if status != "running":
        return status
    if manifest.get("host") not in (None, socket.gethostname()):
        return f"running on {manifest['host']}"
    return "running" if _pid_alive(manifest.get("pid")) else "aborted"


def list_runs(output_root: str | Path | None = None) -> list[dict]:
    """The run folders under ``output_root`` (default ``reports/``), oldest first.

    Returns
    -------
    list of dict
        One per folder: ``folder``, ``status`` (see :func:`run_status`; ``no manifest``
        for a folder without ``manifest.json``, ``unreadable manifest`` for one that is not
        a JSON object, e.g. truncated), ``data_sha256`` (first 12 hex digits),
        ``started`` and ``duration_seconds`` (None while running or unknown).

    Raises
    ------
    ReportError
        When ``output_root`` is a file, or is given and does not exist.

    Examples
    --------
    >>> from sqlib.report.runner import list_runs
    >>> [run["status"] for run in list_runs("reports")]  # doctest: +SKIP
    ['succeeded', 'aborted']
    """
    root = Path(output_root) if output_root is not None else config.REPORTS_DIR
    _check_output_root(root, given=output_root is not None)
    if not root.is_dir():
        return []
    return [_run_entry(folder) for folder in sorted(p for p in root.iterdir() if p.is_dir())]


def _check_output_root(root: Path, given: bool) -> None:
    """A root that is a file, or a given root that does not exist, is a mistake (not 'no runs')."""
    if root.exists() and not root.is_dir():
        raise ReportError(f"--output-root {root} is a file, not a folder of report runs; give the folder that "
                          f"holds the run folders (default {config.REPORTS_DIR}).")
    if given and not root.exists():
        raise ReportError(f"--output-root {root} does not exist; check the path (run folders are made by "
                          f"'sqlib report', by default in {config.REPORTS_DIR}).")


def _run_entry(folder: Path) -> dict:
    """One row of :func:`list_runs`; a manifest that cannot be read is shown, not raised."""
    entry = {"folder": folder, "status": "no manifest", "data_sha256": None, "started": None,
             "duration_seconds": None}
    if not (folder / "manifest.json").exists():
        return entry
    try:
        manifest = read_manifest(folder)
    except (OSError, ValueError):
        manifest = None
    if not isinstance(manifest, dict):
        return {**entry, "status": "unreadable manifest"}
    data = manifest.get("data") if isinstance(manifest.get("data"), dict) else {}
    return {**entry, "status": str(run_status(manifest)),
            "data_sha256": str(data.get("sha256") or "")[:12] or None,
            "started": manifest.get("started"),
            "duration_seconds": _seconds_between(manifest.get("started"), manifest.get("finished"))}


__all__ = ["run_report", "load_params", "new_run_folder", "package_versions", "git_commit",
           "read_manifest", "write_index", "list_runs", "model_data_for_report", "run_status", "run_failures", "failure_message",
           "console_line", "clean_for_readers", "RunInterrupted", "RECORDED_PACKAGES", "PARAMS_KEYS",
           "RESERVED_PARAMETERS", "QUIET_LOGGERS"]
