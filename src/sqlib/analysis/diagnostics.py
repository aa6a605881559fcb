"""Diagnostics that stop a researcher from reporting an improper or uninterpretable solution.

:func:`diagnose` runs every check on a fitted model and returns a tidy table
(``check, severity, where, message, suggestion``); ``result.diagnostics`` holds it
and ``result.summary()`` shows it first. Severity is ``"severe"`` (results are not
interpretable as they stand), ``"warning"`` (look before reporting) or ``"note"``.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from sqlib.survey.codebook import load_codebook
from sqlib.sem.checks import COLUMNS, DEFAULTS, MODEL_CHECKS, ceiling_floor, check_row, condensed, has_severe, sort_by_severity  # noqa: F401 -- re-exported


def _validity(result, data, limits):
    from .reliability import discriminant_validity

    if data is None or result.spec.ngroups > 1 or len(result.latent) < 2:
        return []
    try:
        table = discriminant_validity(result, data, htmt_cutoff=limits["htmt_warning"])
    except Exception:  # noqa: BLE001 -- e.g. higher-order factors without items
        return []
    out = []
    for _, row in table.iterrows():
        pair = f"{row['construct_1']} & {row['construct_2']}"
        if row["htmt"] > limits["htmt_warning"]:
            severity = "severe" if row["htmt"] > limits["htmt_severe"] else "warning"
            out.append(check_row("discriminant validity", severity, pair,
                            f"HTMT of {pair} is {row['htmt']:.2f} (above {limits['htmt_warning']:.2f}): "
                            "the two constructs are hardly distinct.",
                            "Merge them, or model a second-order factor above them."))
        elif not row["fl_ok"]:
            out.append(check_row("discriminant validity", "warning", pair,
                            f"Fornell-Larcker: the correlation of {pair} ({row['correlation']:.2f}) exceeds the "
                            "square root of an AVE.",
                            "Check the items of both constructs for overlapping wording."))
    return out



def diagnose(result, data: pd.DataFrame | None = None, codebook=None, limits: dict | None = None) -> pd.DataFrame:
    """Run every diagnostic check on a fitted model.

    Parameters
    ----------
    result : SEMResult
    data : DataFrame, optional
        The survey data; enables the HTMT/Fornell-Larcker and ceiling/floor checks.
    codebook : Codebook, optional
        Gives the scale range for the ceiling/floor check.
    limits : dict, optional
        Overrides of :data:`DEFAULTS`.

    Returns
    -------
    DataFrame
        ``check, severity, where, message, suggestion``, severe problems first; empty when
        nothing needs attention.

    Examples
    --------
    lavaan prints some of these as warnings (e.g. "covariance matrix of latent variables is
    not positive definite"); here they are collected in one table:

    >>> import sqlib
    >>> res = sqlib.fit(sqlib.models.cfa_syntax(), sqlib.load_sample())
    >>> sqlib.diagnostics.diagnose(res).empty
    True
    """
    limits = {**DEFAULTS, **(limits or {})}
    if isinstance(codebook, (str, Path)):
        codebook = load_codebook(codebook)
    rows = [row for check in MODEL_CHECKS for row in check(result, limits)]
    rows += _validity(result, data, limits)
    rows += ceiling_floor(result, data, limits, codebook.scale_of if codebook is not None else None)
    return sort_by_severity(rows)


class DiagnosticsView:
    """Shows a diagnostics table as a coloured box in notebooks (red when anything is severe)."""

    def __init__(self, table: pd.DataFrame):
        self.table = table

    @property
    def severe(self) -> bool:
        return has_severe(self.table)

    def _repr_html_(self) -> str:
        import html

        problems = self.table[self.table["severity"] != "note"]
        if problems.empty:
            color, title = "#2a7", "No problems found: the solution is proper."
        elif self.severe:
            color, title = "#c00", "Severe problems: these results are not interpretable as they stand."
        else:
            color, title = "#c80", "Warnings: check these before reporting."
        table = condensed(self.table)
        body = table.to_html(index=False, escape=True) if len(table) else ""
        return (f"<div style='border:3px solid {color};padding:6px;margin:6px 0'>"
                f"<b style='color:{color}'>{html.escape(title)}</b>{body}</div>")

    def __repr__(self) -> str:
        if self.table.empty:
            return "No problems found: the solution is proper."
        return condensed(self.table).to_string(index=False)


def show(table: pd.DataFrame) -> DiagnosticsView:
    """Wrap a diagnostics table for display (``display(show(result.diagnostics))``)."""
    return DiagnosticsView(table)
