"""Saving figures and tables from notebooks into a report run folder.

Notebooks call these unconditionally; with ``output_dir=""`` (interactive use,
nbval) nothing is written, so exploring never litters the project.

File names never collide between notebooks of one run. The scheme:

* In a report run the runner tells the kernel which notebook it executes (the
  environment variable :data:`NOTEBOOK_ENV`); a notebook may also say so with
  ``notebook=``. File names then start with the notebook's number:
  ``save_table(t, "alternative_models", out)`` in ``03_structural_model`` writes
  ``tables/03_alternative_models.csv``. A notebook without a leading number
  uses its whole name (``quick`` -> ``quick_<name>``).
* Every file written is recorded in ``tables/.owners.json`` (``figures/.owners.json``)
  with the notebook that wrote it; writing a file another notebook of the same
  run wrote raises :class:`~sqlib.core.errors.ReportError` instead of overwriting it
  (two notebooks with the same number, or names chosen to collide).
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pandas as pd

from sqlib.core.errors import ReportError

#: Environment variable naming the notebook the report runner is executing.
NOTEBOOK_ENV = "SQLIB_NOTEBOOK"

_OWNERS = ".owners.json"


def _current_notebook(notebook: str | None) -> str | None:
    return notebook or os.environ.get(NOTEBOOK_ENV) or None


def output_name(name: str, notebook: str | None) -> str:
    """The file stem a notebook's output ``name`` is saved under (see the module notes).

    Examples
    --------
    >>> from sqlib.report.outputs import output_name
    >>> output_name("alternative_models", "03_structural_model")
    '03_alternative_models'
    >>> output_name("item_statistics", None)
    'item_statistics'
    """
    if not notebook:
        return name
    number = re.match(r"^(\d+)_", notebook)
    prefix = f"{number.group(1)}_" if number else f"{notebook}_"
    return name if name.startswith(prefix) else prefix + name


def _claim(path: Path, notebook: str | None) -> None:
    """Record ``notebook`` as the writer of ``path``; refuse if another notebook wrote it."""
    registry = path.parent / _OWNERS
    try:
        owners = json.loads(registry.read_text(encoding="utf-8")) if registry.exists() else {}
    except ValueError:
        owners = {}
    owner = owners.get(path.name)
    if owner and notebook and owner != notebook:
        raise ReportError(
            f"{path.parent.name}/{path.name} was already written by notebook {owner} of this run; "
            f"notebook {notebook} must not overwrite it. Save it under another name "
            f"(for example '{notebook}_{path.stem}').")
    if notebook:
        owners[path.name] = notebook
        registry.write_text(json.dumps(owners, indent=1, sort_keys=True) + "\n", encoding="utf-8")


def _target(folder: str, name: str, suffix: str, output_dir, notebook: str | None) -> tuple[Path, str | None]:
    writer = _current_notebook(notebook)
    path = Path(output_dir) / folder / f"{output_name(name, writer)}{suffix}"
    path.parent.mkdir(parents=True, exist_ok=True)
    _claim(path, writer)
    return path, writer


def save_figure(fig_or_ax, name: str, output_dir: str | Path | None, dpi: int = 200, *,
                notebook: str | None = None) -> Path | None:
    """Save a figure (or the figure of an Axes) as ``<output_dir>/figures/<NN>_<name>.png``.

    ``notebook`` defaults to the notebook the report runner executes; see the
    module notes for the naming scheme. Raises ReportError rather than overwrite
    a figure another notebook of the run saved.
    """
    if not output_dir:
        return None
    fig = getattr(fig_or_ax, "figure", fig_or_ax)
    path, _ = _target("figures", name, ".png", output_dir, notebook)
    fig.savefig(path, dpi=dpi, bbox_inches="tight")
    return path


def save_table(table: pd.DataFrame, name: str, output_dir: str | Path | None, *, index: bool = False,
               latex: bool = True, float_format: str = "%.3f", notebook: str | None = None) -> Path | None:
    """Save ``<output_dir>/tables/<NN>_<name>.csv`` (and ``.tex`` for pasting into a paper).

    ``notebook`` defaults to the notebook the report runner executes; see the
    module notes for the naming scheme. Raises ReportError rather than overwrite
    a table another notebook of the run saved.
    """
    if not output_dir:
        return None
    path, writer = _target("tables", name, ".csv", output_dir, notebook)
    table.to_csv(path, index=index)
    if latex:
        tex = path.with_suffix(".tex")
        _claim(tex, writer)
        tex.write_text(table.to_latex(index=index, float_format=float_format.__mod__, na_rep=""))
    return path


def save_summary(text: str, name: str, output_dir: str | Path | None) -> Path | None:
    """Save a notebook's one-paragraph executive summary (``summaries/<name>.md``).

    The report runner collects these paragraphs into the run folder's ``index.html``.
    Returns the path, or None when ``output_dir`` is empty (interactive use).
    """
    if not output_dir:
        return None
    path = Path(output_dir) / "summaries" / f"{name}.md"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text.strip() + "\n", encoding="utf-8")
    return path
