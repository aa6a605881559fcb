"""The ``sqlib`` command line.

``sqlib report --params FILE``        run the report notebooks into a new reports/ folder
``sqlib validate DATA --codebook CB`` check a survey file against its codebook
``sqlib validate --params FILE``      check a parameters file, its codebook and its data
``sqlib runs [--output-root DIR]``    list run folders with status, data hash and duration
"""

from __future__ import annotations

import argparse
import logging
import sys

from sqlib.core import config
from sqlib.core.errors import ReportError, SqlibError


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="sqlib", description="Service-quality survey research: checks and reproducible reports.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    report = commands.add_parser(
        "report", help="run the report notebooks on a survey into a new run folder",
        description="Execute the notebooks named in a parameters file and write a new run folder "
                    "with executed notebooks, HTML, figures, tables and manifest.json. Prints one line "
                    "per notebook, then the run folder; exits 1 when a notebook failed.")
    report.add_argument("--params", required=True, metavar="FILE",
                        help="parameters YAML (see notebooks/params/default.yaml)")
    report.add_argument("--name", metavar="NAME", help="run name (folder suffix); overrides run_name")
    report.add_argument("--output-root", metavar="DIR", help="where run folders go (default: reports/)")
    report.add_argument("--notebooks", nargs="+", metavar="NOTEBOOK",
                        help="notebooks to run instead of the file's list, e.g. 01_data_screening")

    validate = commands.add_parser(
        "validate", help="check a survey file (and a parameters file) without running anything",
        description="Read a survey file, check every column and answer against the codebook "
                    "and list all problems found. With --params, check the parameters file, the "
                    "codebook and the data file it names. No file is changed.")
    validate.add_argument("data", metavar="DATA", nargs="?",
                          help="survey file (CSV, TSV, xlsx, sav, parquet); not needed with --params")
    validate.add_argument("--codebook", metavar="YAML",
                          help="codebook YAML (default: the SERVQUAL codebook)")
    validate.add_argument("--params", metavar="FILE", help="parameters YAML of a report run")

    runs = commands.add_parser(
        "runs", help="list report run folders with status, data hash and duration",
        description="List the run folders (oldest first). A run still marked 'running' whose "
                    "process no longer exists on this host is shown as 'aborted'.")
    runs.add_argument("--output-root", metavar="DIR", help="folder holding the runs (default: reports/)")
    return parser


def _print_line(record: dict) -> None:
    from .runner import console_line

    print(console_line(record), flush=True)


def _report(args) -> int:
    from .runner import read_manifest, run_failures, run_report

    folder = run_report(args.params, run_name=args.name, output_root=args.output_root,
                        notebooks=args.notebooks, progress=_print_line)
    manifest = read_manifest(folder)
    failures = run_failures(folder)
    for message in failures:
        print(message, file=sys.stderr)
    if manifest["status"] != "succeeded":
        named = ", ".join(f"{kind}: {', '.join(manifest[kind])}" for kind in ("skipped", "failed") if manifest[kind])
        print(f"Run {manifest['status']}" + (f" ({named})" if named else ""), file=sys.stderr)
    print(folder)
    return 1 if failures else 0


def _validate(args) -> int:
    from sqlib.survey.codebook import load_codebook
    from sqlib.analysis.design import study_design
    from sqlib.survey.io import read_survey

    if args.params:
        if args.data or args.codebook:
            raise ReportError("Give either --params FILE or DATA [--codebook YAML] to sqlib validate, not both: "
                              "the parameters file names its own data and codebook.")
        return _validate_params(args.params)
    if not args.data:
        raise ReportError("sqlib validate needs a survey file (sqlib validate DATA --codebook YAML) "
                          "or a parameters file (sqlib validate --params FILE).")
    codebook = load_codebook(args.codebook)
    data = read_survey(args.data, codebook)
    _print_data_ok(data, codebook)
    _print_coverage_notes(study_design(codebook), data)
    return 0


def _validate_params(params_file: str) -> int:
    from sqlib.analysis.design import study_design
    from sqlib.survey.io import read_survey
    from .runner import load_params, model_data_for_report

    settings = load_params(params_file)
    design = study_design(settings["codebook"], settings["structural_model"])
    data = read_survey(settings["data"], design.codebook)
    model_data_for_report(design, data, settings)
    print(f"Parameters file {params_file}: OK ({len(settings['notebooks'])} notebooks)")
    print(f"Codebook {settings['codebook']}: OK ({len(design.codebook.constructs)} constructs)")
    print(f"Data {settings['data']}:")
    _print_data_ok(data, design.codebook)
    _print_coverage_notes(design, data)
    return 0


def _print_coverage_notes(design, data) -> None:
    """Items a whole group or wave left empty (see :meth:`sqlib.design.StudyDesign.coverage_problems`)."""
    for note in design.coverage_problems(data):
        print(f"Note: {note}")


def _print_data_ok(data, codebook) -> None:
    items = [c for c in codebook.all_items if c in data.columns]
    print(f"OK: {len(data)} respondents, {len(items)} items")
    source = data.attrs.get("source") or {}
    if source.get("delimiter"):
        print(f"Delimiter: {source['delimiter']!r}")
    notes = data.attrs.get("notes") or []
    for note in [notes] if isinstance(notes, str) else notes:
        print(f"Note: {note}")


def _runs(args) -> int:
    from .runner import list_runs

    runs = list_runs(args.output_root)
    if not runs:
        print(f"No report runs found in {args.output_root or config.REPORTS_DIR}.")
        return 0
    print(f"{'run folder':<48} {'status':<20} {'data':<12} {'seconds':>8}")
    for run in runs:
        seconds = "" if run["duration_seconds"] is None else f"{run['duration_seconds']:.0f}"
        print(f"{run['folder'].name:<48} {run['status']:<20} {run['data_sha256'] or '-':<12} {seconds:>8}")
    return 0


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit code (0 fine, 1 a problem was reported, 130/143 interrupted)."""
    from .runner import RunInterrupted

    args = _parser().parse_args(argv)
    handler = {"report": _report, "validate": _validate, "runs": _runs}[args.command]
    try:
        return handler(args)
    except (SqlibError, FileNotFoundError) as exc:
        print(str(exc), file=sys.stderr)
        return 1
    except RunInterrupted as exc:
        # the killed kernel's pending tasks are only reported when the event loop is collected at exit
        logging.getLogger("asyncio").disabled = True
        print(f"Interrupted by {exc.signal_name}; the run folder's manifest says 'interrupted'.", file=sys.stderr)
        return 143 if exc.signal_name == "SIGTERM" else 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
