"""Handouts: the teaching notebooks without their solution cells.

``make handouts`` (or ``python -m sqlib.report.teaching.handouts``) writes a copy of every
teaching notebook with the cells tagged ``solution`` removed and outputs cleared; the
``answer`` cells (with their ``...`` placeholders) and the ``check`` cells stay, so a
student's notebook grades itself. The sources are never overwritten.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import nbformat

from sqlib.core import config
from sqlib.core.errors import ReportError

SOLUTION_TAG = "solution"
DEFAULT_SOURCE = config.NOTEBOOKS_DIR / "teaching"
DEFAULT_TARGET = config.PROJECT_ROOT / "build" / "handouts"


def handout(notebook: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """A copy of ``notebook`` without solution cells and without outputs."""
    copy = nbformat.from_dict(notebook)
    copy.cells = [cell for cell in copy.cells if SOLUTION_TAG not in cell.get("metadata", {}).get("tags", [])]
    for cell in copy.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    return copy


def write_handouts(source: str | Path = DEFAULT_SOURCE, target: str | Path = DEFAULT_TARGET) -> list[Path]:
    """Write the handout of every ``T*.ipynb`` in ``source`` into ``target``; return the written paths.

    The handouts read the data with paths relative to the notebook folder, so open them from a folder
    at the same depth (``build/handouts`` next to ``notebooks/teaching`` works), or set ``data_path``.
    """
    source, target = Path(source).resolve(), Path(target).resolve()
    if source == target:
        raise ReportError(f"The handouts would overwrite the notebooks in {source}; choose another target folder, "
                          "for example build/handouts.")
    notebooks = sorted(source.glob("T[0-9]_*.ipynb"))
    if not notebooks:
        raise ReportError(f"No teaching notebooks (T<number>_*.ipynb) in {source}.")
    target.mkdir(parents=True, exist_ok=True)
    written = []
    for path in notebooks:
        out = target / path.name
        nbformat.write(handout(nbformat.read(path, as_version=4)), out)
        written.append(out)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Write the teaching notebooks without their solution cells.")
    parser.add_argument("source", nargs="?", default=str(DEFAULT_SOURCE), help="folder with T*.ipynb")
    parser.add_argument("target", nargs="?", default=str(DEFAULT_TARGET), help="folder for the handouts")
    args = parser.parse_args(argv)
    for path in write_handouts(args.source, args.target):
        print(path)
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
