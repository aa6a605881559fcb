"""Saving figures and tables from notebooks into a report run folder.

Notebooks call these unconditionally; with ``output_dir=""`` (interactive use,
nbval) nothing is written, so exploring never litters the project.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd


def save_figure(fig_or_ax, name: str, output_dir: str | Path | None, dpi: int = 200) -> Path | None:
    """Save a figure (or the figure of an Axes) as ``<output_dir>/figures/<name>.png``."""
    if not output_dir:
        return None
    fig = getattr(fig_or_ax, "figure", fig_or_ax)
    path = Path(output_dir) / "figures" / f"{name}.png"
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=dpi, bbox_inches="tight")
    return path


def save_table(table: pd.DataFrame, name: str, output_dir: str | Path | None, *, index: bool = False,
               latex: bool = True, float_format: str = "%.3f") -> Path | None:
    """Save ``<output_dir>/tables/<name>.csv`` (and ``.tex`` for pasting into a paper)."""
    if not output_dir:
        return None
    path = Path(output_dir) / "tables" / f"{name}.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    table.to_csv(path, index=index)
    if latex:
        path.with_suffix(".tex").write_text(table.to_latex(index=index, float_format=float_format.__mod__, na_rep=""))
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
