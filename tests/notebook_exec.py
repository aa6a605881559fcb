"""Run a notebook's code cells in this process, cell by cell, for tests that need its variables.

The teaching tests use it to stop before a check cell, perturb an answer, and re-run the
check; a kernel per notebook (nbval, papermill) cannot hand variables back to pytest.
"""

from __future__ import annotations

import ast
import contextlib
import os
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import nbformat  # noqa: E402


def tags(cell) -> list[str]:
    return list(cell.get("metadata", {}).get("tags", []))


def assigned_names(source: str) -> list[str]:
    """Names a cell assigns at its top level, in order (the answer variables of an answer cell)."""
    names = []
    for node in ast.parse(source).body:
        if isinstance(node, ast.Assign):
            targets = node.targets
        else:
            targets = [node.target] if isinstance(node, ast.AnnAssign) else []
        for target in targets:
            for leaf in ast.walk(target):
                if isinstance(leaf, ast.Name) and leaf.id not in names:
                    names.append(leaf.id)
    return names


@contextlib.contextmanager
def working_directory(path: Path):
    previous = Path.cwd()
    os.chdir(path)
    try:
        yield
    finally:
        os.chdir(previous)


def run_cells(notebook, folder: Path, parameters: dict | None = None, stop=None):
    """Execute the code cells of ``notebook`` in ``folder``; yield ``(index, cell, namespace)`` before each cell.

    ``parameters`` override the parameters cell's values, as papermill does. The caller may stop
    iterating at any cell (nothing after it runs).
    """
    namespace: dict = {"__name__": "__main__"}
    with working_directory(folder):
        for index, cell in enumerate(notebook.cells):
            if cell.cell_type != "code":
                continue
            yield index, cell, namespace
            exec(compile(cell.source, f"<cell {index}>", "exec"), namespace)
            if "parameters" in tags(cell) and parameters:
                namespace.update(parameters)
            plt.close("all")


def read(path: Path):
    return nbformat.read(path, as_version=4)
