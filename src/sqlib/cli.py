"""The ``sqlib`` command line.

``sqlib report --params FILE``   run the report notebooks into a new reports/ folder
``sqlib validate DATA``          check a survey file against its codebook
"""

from __future__ import annotations

import argparse
import sys

from .errors import CodebookError, ReportError, SurveyDataError


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="sqlib", description="Service-quality survey research: checks and reproducible reports.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    report = commands.add_parser(
        "report", help="run the report notebooks on a survey into a new run folder",
        description="Execute the notebooks named in a parameters file and write a new run folder "
                    "with executed notebooks, HTML, figures, tables and manifest.json.")
    report.add_argument("--params", required=True, metavar="FILE",
                        help="parameters YAML (see notebooks/params/default.yaml)")
    report.add_argument("--name", metavar="NAME", help="run name (folder suffix); overrides run_name")
    report.add_argument("--output-root", metavar="DIR", help="where run folders go (default: reports/)")
    report.add_argument("--notebooks", nargs="+", metavar="NOTEBOOK",
                        help="notebooks to run instead of the file's list, e.g. 01_data_screening")

    validate = commands.add_parser(
        "validate", help="check a survey file against a codebook",
        description="Read a survey file, check every column and answer against the codebook "
                    "and list all problems found. The file is not changed.")
    validate.add_argument("data", metavar="DATA", help="survey file (CSV, TSV, xlsx, sav, parquet)")
    validate.add_argument("--codebook", metavar="YAML",
                          help="codebook YAML (default: the SERVQUAL codebook)")
    return parser


def _report(args) -> int:
    from .report import run_report

    folder = run_report(args.params, run_name=args.name, output_root=args.output_root,
                        notebooks=args.notebooks)
    print(folder)
    return 0


def _validate(args) -> int:
    from .codebook import load_codebook
    from .io import read_survey

    codebook = load_codebook(args.codebook)
    data = read_survey(args.data, codebook)
    items = [c for c in codebook.all_items if c in data.columns]
    print(f"OK: {len(data)} respondents, {len(items)} items")
    return 0


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit code (0 fine, 1 a problem was reported)."""
    args = _parser().parse_args(argv)
    handler = {"report": _report, "validate": _validate}[args.command]
    try:
        return handler(args)
    except (ReportError, SurveyDataError, CodebookError, FileNotFoundError) as exc:
        print(str(exc), file=sys.stderr)
        return 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
