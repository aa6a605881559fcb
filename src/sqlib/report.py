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
import platform
import re
import subprocess
import sys
import time
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path
from typing import Any

import yaml

from . import __version__, config
from .errors import ReportError
from .io import file_sha256

#: Packages whose versions every manifest records.
RECORDED_PACKAGES = ("sqlib", "numpy", "scipy", "pandas", "statsmodels", "semopy",
                     "matplotlib", "seaborn", "papermill", "nbconvert")

#: Keys a parameters file may contain.
PARAMS_KEYS = ("run_name", "data", "codebook", "seed", "language", "notebooks",
               "parameters", "notebook_parameters")

#: Parameters the runner itself passes to every notebook (not settable via ``parameters``).
RESERVED_PARAMETERS = ("data_path", "codebook_path", "output_dir", "seed", "language")

_TIME_FORMAT = "%Y%m%dT%H%M%SZ"


# ------------------------------------------------------------------ parameters
def load_params(params: str | Path | dict) -> dict:
    """Read and check report parameters; return them with absolute file paths.

    Parameters
    ----------
    params : str, Path or dict
        A YAML file in the format of ``notebooks/params/default.yaml``, or the same
        content as a dict. Relative ``data``/``codebook`` paths are taken relative
        to the YAML file's folder (for a dict: the current working directory).

    Returns
    -------
    dict
        With every key of :data:`PARAMS_KEYS`; ``data`` and ``codebook`` are
        absolute :class:`~pathlib.Path` objects.

    Raises
    ------
    ReportError
        When the file cannot be read, a key is unknown or missing, or the data or
        codebook file does not exist.

    Examples
    --------
    >>> from sqlib import config
    >>> from sqlib.report import load_params
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
            raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except yaml.YAMLError as exc:
            raise ReportError(f"Parameters file {path} is not valid YAML: {exc}") from exc
        if not isinstance(raw, dict):
            raise ReportError(f"Parameters file {path} must hold 'key: value' lines at the top level.")
        base, where = path.resolve().parent, f"parameters file {path}"
    unknown = sorted(set(raw) - set(PARAMS_KEYS))
    if unknown:
        raise ReportError(f"Unknown key(s) {', '.join(unknown)} in {where}; "
                          f"allowed keys are {', '.join(PARAMS_KEYS)}.")
    missing = [key for key in ("data", "codebook") if not raw.get(key)]
    if missing:
        raise ReportError(f"{where} must say which {' and '.join(missing)} file to use "
                          f"(e.g. 'data: survey.csv').")
    out = {
        "run_name": str(raw.get("run_name") or "report"),
        "data": _existing_file(base, raw["data"], "data", where),
        "codebook": _existing_file(base, raw["codebook"], "codebook", where),
        "seed": int(raw.get("seed", config.SAMPLE_SEED)),
        "language": str(raw.get("language", "en")),
        "notebooks": _as_list(raw.get("notebooks") or ["01_data_screening"]),
        "parameters": dict(raw.get("parameters") or {}),
        "notebook_parameters": {k: dict(v or {}) for k, v in (raw.get("notebook_parameters") or {}).items()},
    }
    clash = sorted(set(out["parameters"]).intersection(RESERVED_PARAMETERS))
    for per_notebook in out["notebook_parameters"].values():
        clash += sorted(set(per_notebook).intersection(RESERVED_PARAMETERS))
    if clash:
        raise ReportError(f"{', '.join(sorted(set(clash)))} in {where} is set by the runner; use the "
                          "top-level keys data, codebook, seed and language instead.")
    return out


def _existing_file(base: Path, value, key: str, where: str) -> Path:
    path = (base / Path(str(value)).expanduser()).resolve()
    if not path.is_file():
        raise ReportError(f"The {key} file {path} named in {where} does not exist; "
                          f"relative paths count from {base}.")
    return path


def _as_list(value) -> list[str]:
    names = [value] if isinstance(value, str) else list(value)
    return [str(n).removesuffix(".ipynb") for n in names]


# ------------------------------------------------------------------ run folder
def new_run_folder(run_name: str, output_root: str | Path | None = None) -> Path:
    """Create and return an empty folder ``<output_root>/<UTC time>_<run_name>``.

    An existing folder is never reused: a suffix ``-2``, ``-3``... is added instead.

    Examples
    --------
    >>> import tempfile
    >>> from sqlib.report import new_run_folder
    >>> root = tempfile.mkdtemp()
    >>> new_run_folder("demo", root) != new_run_folder("demo", root)
    True
    """
    root = Path(output_root) if output_root is not None else config.REPORTS_DIR
    root.mkdir(parents=True, exist_ok=True)
    safe = re.sub(r"[^A-Za-z0-9._-]+", "-", run_name).strip("-") or "report"
    stem = f"{datetime.now(timezone.utc).strftime(_TIME_FORMAT)}_{safe}"
    for attempt in range(1, 1000):
        folder = root / (stem if attempt == 1 else f"{stem}-{attempt}")
        try:
            folder.mkdir(exist_ok=False)
        except FileExistsError:
            continue
        return folder
    raise ReportError(f"Could not create a new run folder under {root}; too many runs named {stem}.")


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
    path.write_text(json.dumps(content, indent=2, default=str) + "\n", encoding="utf-8")


# ------------------------------------------------------------------ execution
def _notebook_parameters(settings: dict, name: str, run_dir: Path) -> dict[str, Any]:
    values = {
        "data_path": str(settings["data"]),
        "codebook_path": str(settings["codebook"]),
        "output_dir": str(run_dir),
        "seed": settings["seed"],
        "language": settings["language"],
    }
    values.update(settings["parameters"])
    values.update(settings["notebook_parameters"].get(name, {}))
    return values


def _export_html(executed: Path, target: Path) -> None:
    import nbformat
    from nbconvert import HTMLExporter

    exporter = HTMLExporter(exclude_input=True, exclude_input_prompt=True,
                            exclude_output_prompt=True, embed_images=True)
    body, _ = exporter.from_notebook_node(nbformat.read(executed, as_version=4))
    target.write_text(body, encoding="utf-8")


def _source_cell_number(executed: Path, cell_index: int) -> int:
    """0-based index of a failing cell in the source notebook (papermill adds a cell)."""
    import nbformat

    try:
        cells = nbformat.read(executed, as_version=4).cells
    except Exception:  # the partial notebook is unreadable: report papermill's index
        return cell_index
    added = 0
    for cell in cells[:cell_index]:
        tags = cell.get("metadata", {}).get("tags", [])
        added += "injected-parameters" in tags
    return cell_index - added


def _run_one(name: str, source: Path, run_dir: Path, parameters: dict, cwd: Path) -> dict:
    import papermill as pm

    executed = run_dir / "notebooks" / f"{name}.ipynb"
    record: dict[str, Any] = {"notebook": name, "source": str(source), "executed": str(executed),
                              "html": str(run_dir / f"{name}.html"), "parameters": parameters,
                              "started": _now()}
    tick = time.perf_counter()
    try:
        pm.execute_notebook(str(source), str(executed), parameters=parameters, cwd=str(cwd),
                            kernel_name="python3", progress_bar=sys.stderr.isatty(),
                            log_output=False)
        record["status"] = "succeeded"
    except pm.PapermillExecutionError as exc:
        record.update(status="failed", cell_index=_source_cell_number(executed, exc.cell_index),
                      execution_count=exc.exec_count, error_name=exc.ename, error_message=exc.evalue)
    except Exception as exc:  # the kernel died or could not start: no cell to blame
        record.update(status="failed", cell_index=None, execution_count=None,
                      error_name=type(exc).__name__, error_message=str(exc))
    record["duration_seconds"] = round(time.perf_counter() - tick, 3)
    record["finished"] = _now()
    if executed.is_file():
        try:
            _export_html(executed, run_dir / f"{name}.html")
        except Exception as exc:  # keep the run's record even when the HTML cannot be made
            record["html"] = None
            record["html_error"] = f"{type(exc).__name__}: {exc}"
    return record


def _failure_message(record: dict, run_dir: Path) -> str:
    where = ("outside any cell (the kernel could not start or stopped unexpectedly)" if record["cell_index"] is None
             else f"in cell {record['cell_index']} (counting from 0; shown as "
                  f"In [{record['execution_count']}] in the executed notebook)")
    return (f"Notebook {record['notebook']} failed {where}: "
            f"{record['error_name']}: {record['error_message']}\n"
            f"The partial output is in {run_dir}; open notebooks/{record['notebook']}.ipynb "
            "or its HTML to see the error in context.")


def run_report(params: str | Path | dict, *, run_name: str | None = None,
               output_root: str | Path | None = None, notebooks: list[str] | None = None,
               notebooks_dir: str | Path | None = None) -> Path:
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

    Returns
    -------
    pathlib.Path
        The run folder, holding ``notebooks/<name>.ipynb``, ``<name>.html``,
        ``figures/``, ``tables/`` and ``manifest.json``. The manifest records the
        sqlib version, data and codebook paths with SHA-256 checksums, the seed,
        the parameters each notebook received, package versions, platform, git
        commit, start/end times (UTC), per-notebook status and duration, and the
        overall ``status`` (``succeeded`` or ``failed``).

    Raises
    ------
    ReportError
        When the parameters are unusable, a notebook is missing, a notebook raised
        (the message names the notebook, the cell and the error; the run stops and
        the partial output stays in the run folder), or the input data file changed
        during the run.

    Notes
    -----
    There is no single R equivalent; the closest is ``rmarkdown::render`` with
    ``params`` on a parameterised R Markdown report.

    Examples
    --------
    >>> from sqlib import config
    >>> from sqlib.report import run_report
    >>> folder = run_report(config.DEFAULT_PARAMS)  # doctest: +SKIP
    >>> sorted(p.name for p in folder.iterdir())  # doctest: +SKIP
    ['01_data_screening.html', 'figures', 'manifest.json', 'notebooks', 'tables']
    """
    settings = load_params(params)
    if run_name:
        settings["run_name"] = run_name
    if notebooks:
        settings["notebooks"] = _as_list(notebooks)
    source_dir = Path(notebooks_dir) if notebooks_dir is not None else config.NOTEBOOKS_DIR
    source_dir = source_dir.resolve()
    sources = {name: source_dir / f"{name}.ipynb" for name in settings["notebooks"]}
    absent = [str(path) for path in sources.values() if not path.is_file()]
    if absent:
        raise ReportError(f"Notebook(s) not found: {', '.join(absent)}; check the 'notebooks' list "
                          f"(names without .ipynb, looked up in {source_dir}).")

    run_dir = new_run_folder(settings["run_name"], output_root)
    for sub in ("notebooks", "figures", "tables"):
        (run_dir / sub).mkdir()
    data_hash = file_sha256(settings["data"])
    manifest: dict[str, Any] = {
        "sqlib_version": __version__,
        "run_name": settings["run_name"],
        "run_folder": str(run_dir),
        "status": "running",
        "started": _now(),
        "finished": None,
        "data": {"path": str(settings["data"]), "sha256": data_hash},
        "codebook": {"path": str(settings["codebook"]), "sha256": file_sha256(settings["codebook"])},
        "seed": settings["seed"],
        "language": settings["language"],
        "params_file": None if isinstance(params, dict) else str(Path(params).resolve()),
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "packages": package_versions(),
        "git_commit": git_commit(),
        "notebooks": [],
    }
    manifest_path = run_dir / "manifest.json"
    _write_json(manifest_path, manifest)

    failure = None
    for name, source in sources.items():
        record = _run_one(name, source, run_dir, _notebook_parameters(settings, name, run_dir), source_dir)
        manifest["notebooks"].append(record)
        _write_json(manifest_path, manifest)
        if record["status"] == "failed":
            failure = _failure_message(record, run_dir)
            break

    if failure is None and file_sha256(settings["data"]) != data_hash:
        failure = (f"The data file {settings['data']} changed while the report ran (its SHA-256 differs); "
                   "a notebook must never write to its input. Restore the file and run again.")
    manifest["status"] = "failed" if failure else "succeeded"
    if failure:
        manifest["error"] = failure
    manifest["finished"] = _now()
    _write_json(manifest_path, manifest)
    write_index(run_dir, manifest)
    if failure:
        raise ReportError(failure)
    return run_dir


def write_index(run_dir: Path, manifest: dict) -> Path:
    """``index.html``: one link per section with the summary paragraph its notebook saved."""
    import html

    sections = []
    for record in manifest["notebooks"]:
        name = record["notebook"]
        title = name.split("_", 1)[-1].replace("_", " ").capitalize()
        summary_file = run_dir / "summaries" / f"{name}.md"
        summary = summary_file.read_text(encoding="utf-8").strip() if summary_file.exists() else ""
        status = "" if record["status"] == "succeeded" else f" <b style='color:#c00'>({record['status']})</b>"
        sections.append(f"<h2><a href='{html.escape(name)}.html'>{html.escape(title)}</a>{status}</h2>"
                        f"<p>{html.escape(summary) or '<i>No summary was written.</i>'}</p>")
    head = (f"<h1>Service-quality report: {html.escape(str(manifest['run_name']))}</h1>"
            f"<p>Data: {html.escape(Path(manifest['data']['path']).name)} "
            f"(SHA-256 {manifest['data']['sha256'][:12]}...), seed {manifest['seed']}, "
            f"run {manifest['started']} to {manifest['finished']}, status <b>{manifest['status']}</b>. "
            "Details: <a href='manifest.json'>manifest.json</a>.</p>")
    page = ("<!DOCTYPE html><html><head><meta charset='utf-8'><title>Report</title>"
            "<style>body{font-family:sans-serif;max-width:52em;margin:2em auto;line-height:1.45}</style></head>"
            f"<body>{head}{''.join(sections)}</body></html>")
    path = run_dir / "index.html"
    path.write_text(page, encoding="utf-8")
    return path


def read_manifest(run_dir: str | Path) -> dict:
    """The ``manifest.json`` of a run folder, as a dict."""
    return json.loads((Path(run_dir) / "manifest.json").read_text(encoding="utf-8"))


__all__ = ["run_report", "load_params", "new_run_folder", "package_versions", "git_commit",
           "read_manifest", "RECORDED_PACKAGES"]

