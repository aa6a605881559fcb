"""How report notebooks show their tables and numbers.

:func:`setup_notebook` is the one call at the top of every report notebook (whole
tables, no matplotlib layout warnings, no progress bars in the HTML).
:func:`format_table` turns a result table into a display table a reviewer would
accept: p-values as ``< .001`` or ``.034``, fit indices with three decimals, counts
as integers, never scientific notation, long messages wrapped instead of cut.
:func:`format_number` and :func:`format_p` give the same formats to narratives.

Formatting never changes the data: the CSV files keep full precision.
"""

from __future__ import annotations

import html
import os
import re
import warnings
from collections.abc import Mapping

import numpy as np
import pandas as pd

from sqlib.core.formatting import KINDS, MISSING, format_number, format_p, is_missing  # noqa: F401 -- re-exported

#: Fit indices shown with three decimals and no leading zero (APA style).
FIT_INDICES = frozenset({
    "cfi", "tli", "nnfi", "rni", "nfi", "ifi", "gfi", "agfi", "pgfi", "rmsea", "rmsea_ci_lower",
    "rmsea_ci_upper", "rmsea_pvalue", "srmr", "srmr_bentler", "rmr", "cfi_robust", "tli_robust",
    "rmsea_robust", "cfi_scaled", "tli_scaled", "rmsea_scaled", "delta_cfi", "delta_tli",
    "delta_rmsea", "delta_srmr",
})

#: Columns that always hold counts (shown as integers).
COUNT_COLUMNS = frozenset({
    "npar", "df", "n", "nobs", "ntotal", "n_dropped", "delta_df", "count", "items", "n_items",
    "iterations", "draws", "replications", "rows", "factor", "severe_problems",
})

_P_NAME = re.compile(r"^(p|pvalue|p_value|pval|delta_pvalue|p_.*|.*_pvalue|.*_p_value)$", re.IGNORECASE)
#: Statistics that are continuous even when a table happens to hold whole values of them.
_CONTINUOUS_PREFIXES = ("est", "std", "beta", "se", "z", "chisq", "ci_", "r2", "aic", "bic", "mean", "sd",
                        "loading", "delta_chisq")


# ------------------------------------------------------------------ tables
def column_kind(name: str, values: pd.Series) -> str:
    """The display kind of one column, from its name and values.

    p-value names (``pvalue``, ``p_value``, ``delta_pvalue``, ``p_holm``, any ``p_*``) whose
    values lie in [0, 1] give ``"p"`` (a column ``p`` counting variables does not); fit indices (:data:`FIT_INDICES`) ``"fit"``; :data:`COUNT_COLUMNS`, integer
    columns and float columns holding only whole numbers ``"count"``; other numbers
    ``"number"``; everything else ``"text"`` (booleans shown as yes/no, missing as an em dash).
    """
    key = str(name).lower()
    if pd.api.types.is_bool_dtype(values) or not pd.api.types.is_numeric_dtype(values):
        return "text"
    finite = values.dropna().astype(float)
    finite = finite[np.isfinite(finite)]
    whole = len(finite) > 0 and bool((finite == np.round(finite)).all())
    if _P_NAME.match(key) and bool(finite.between(0, 1).all()):
        return "p"
    if key in FIT_INDICES:
        return "fit"
    if key in COUNT_COLUMNS and whole or pd.api.types.is_integer_dtype(values):
        return "count"
    if whole and not key.startswith(_CONTINUOUS_PREFIXES):
        return "count"
    return "number"


class FormattedTable:
    """A table ready to show: every cell already a string.

    Displayed whole in a notebook (``_repr_html_``), as plain text (``str``) and as
    LaTeX (:meth:`to_latex`). ``cells`` holds the formatted strings, ``kinds`` the
    kind of each column and ``data`` the original numbers.
    """

    def __init__(self, data: pd.DataFrame, cells: pd.DataFrame, kinds: dict[str, str], wrap: int):
        self.data = data
        self.cells = cells
        self.kinds = kinds
        self.wrap = wrap

    def _repr_html_(self) -> str:
        return self.to_html()

    def to_html(self) -> str:
        """An HTML table: the index hidden, numbers right-aligned, long text wrapped."""
        head = "".join(f"<th>{html.escape(str(c))}</th>" for c in self.cells.columns)
        body = []
        for row in self.cells.itertuples(index=False):
            cells = []
            for column, text in zip(self.cells.columns, row):
                align = "left" if self.kinds[column] == "text" else "right"
                cells.append(f'<td style="text-align: {align}">{html.escape(text)}</td>')
            body.append("<tr>" + "".join(cells) + "</tr>")
        style = (f"<style>table.sqlib-table td {{white-space: normal; overflow-wrap: anywhere; "
                 f"max-width: {self.wrap}ch; vertical-align: top}} table.sqlib-table th "
                 f"{{text-align: center}}</style>")
        return (f'{style}<table class="sqlib-table"><thead><tr>{head}</tr></thead>'
                f'<tbody>{"".join(body)}</tbody></table>')

    def to_latex(self, **kwargs) -> str:
        """LaTeX source of the formatted table (``DataFrame.to_latex`` options apply).

        Text columns get a ``p{}`` column type so long messages wrap in the PDF.
        """
        spec = "".join("p{6cm}" if self.kinds[c] == "text" and self.cells[c].str.len().max() > 40
                       else ("l" if self.kinds[c] == "text" else "r") for c in self.cells.columns)
        kwargs.setdefault("index", False)
        kwargs.setdefault("column_format", spec)
        if kwargs.pop("escape", True):
            cells = self.cells.map(_latex_escape)
            cells.columns = [_latex_escape(c) for c in cells.columns]
        else:
            cells = self.cells
        return cells.to_latex(escape=False, **kwargs)

    def to_string(self) -> str:
        """Plain text of the whole table (no truncation, no wrapping)."""
        return self.cells.to_string(index=False, max_rows=None, max_cols=None, max_colwidth=None)

    def __str__(self) -> str:
        return self.to_string()

    def __repr__(self) -> str:
        return self.to_string()


_LATEX_SPECIALS = {"\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_",
                   "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}",
                   "<": "$<$", ">": "$>$"}


def _latex_escape(text: str) -> str:
    """Escape LaTeX's special characters; ``<`` and ``>`` as math symbols (text mode shows other glyphs)."""
    return "".join(_LATEX_SPECIALS.get(ch, ch) for ch in str(text))


def format_table(df: pd.DataFrame, *, kind: Mapping[str, str] | None = None, wrap: int = 60) -> FormattedTable:
    """Format a result table for a report: whole, readable numbers, wrapped text.

    Parameters
    ----------
    df : pandas.DataFrame
        Any sqlib table (fit table, parameter table, diagnostics, comparison). Not
        modified. The index is not shown; ``reset_index()`` first to show it.
    kind : dict, optional
        column -> kind (see :func:`format_number`) to override the kind inferred from
        the column's name and values (see :func:`column_kind`).
    wrap : int
        Width in characters beyond which text cells wrap in HTML.

    Returns
    -------
    FormattedTable
        Shows as HTML in a notebook; ``to_latex()``, ``to_string()``, ``cells``.

    Examples
    --------
    >>> import pandas as pd
    >>> table = format_table(pd.DataFrame({"model": ["CFA"], "npar": [54.0], "pvalue": [9.182e-99],
    ...                                    "cfi": [0.8981]}))
    >>> table.cells.iloc[0].tolist()
    ['CFA', '54', '< .001', '.898']

    R equivalent: ``papaja::apa_table()`` / ``knitr::kable()`` on a formatted table.
    """
    if not isinstance(df, pd.DataFrame):
        raise TypeError(f"format_table needs a pandas DataFrame, got {type(df).__name__}; "
                        "convert it first (e.g. series.to_frame()).")
    overrides = dict(kind or {})
    unknown = [c for c in overrides if c not in df.columns]
    if unknown:
        raise KeyError(f"format_table: kind names column(s) {unknown} that the table does not have; "
                       f"its columns are {list(df.columns)}.")
    if not df.columns.is_unique:
        raise ValueError(f"format_table: the table has duplicated column names "
                         f"{sorted(set(df.columns[df.columns.duplicated()]))}; rename them first.")
    kinds = {c: overrides.get(c) or column_kind(c, df[c]) for c in df.columns}
    cells = pd.DataFrame({c: [_cell(v, kinds[c], c) for v in df[c]] for c in df.columns},
                         columns=list(df.columns), dtype=object)
    cells.columns = [str(c) for c in cells.columns]
    kinds = {str(c): k for c, k in kinds.items()}
    return FormattedTable(df, cells, kinds, wrap)


def _cell(value, kind: str, column) -> str:
    if kind == "text":
        if isinstance(value, (bool, np.bool_)):
            return "yes" if value else "no"
        if is_missing(value):
            return MISSING
        if isinstance(value, (float, np.floating)):
            return f"{value:.3f}"
        return str(value)
    try:
        return format_number(value, kind)
    except ValueError as err:
        raise ValueError(f"format_table, column {column!r}: {err}") from None


# ---------------------------------------------------------------- notebook
def setup_notebook() -> None:
    """Prepare a report notebook: whole tables, no layout warnings, no progress bars.

    Sets pandas display options so tables are shown whole (no row, column or cell
    text truncation, no scientific notation), silences matplotlib's
    "constrained_layout not applied" / "Tight layout not applied" warnings, and
    keeps tqdm progress bars out of the notebook output (``tqdm.auto`` falls back to
    a disabled text bar, so no ``IProgress not found`` warning either; worker
    processes inherit ``TQDM_DISABLE=1``). Returns nothing and prints nothing.

    Examples
    --------
    >>> from sqlib.report.presentation import setup_notebook
    >>> setup_notebook()

    R equivalent: ``knitr::opts_chunk$set(warning = FALSE, message = FALSE)`` with
    ``options(width = 200)``.
    """
    _whole_tables()
    _quiet_matplotlib()
    _no_progress_bars()


def _whole_tables() -> None:
    for option, value in (("display.max_rows", None), ("display.max_columns", None),
                          ("display.max_colwidth", None), ("display.width", 250),
                          ("display.float_format", _plain_float),
                          ("styler.render.max_elements", 10_000_000), ("styler.render.max_rows", None),
                          ("styler.render.max_columns", None)):
        pd.set_option(option, value)


def _plain_float(x: float) -> str:
    return format_number(x, "number")


def _quiet_matplotlib() -> None:
    warnings.filterwarnings("ignore", message=r".*constrained_layout not applied.*")
    warnings.filterwarnings("ignore", message=r".*[Tt]ight layout not applied.*")
    warnings.filterwarnings("ignore", message=r".*constrained_layout.*collapsed.*")


def _no_progress_bars() -> None:
    os.environ["TQDM_DISABLE"] = "1"
    import tqdm.auto
    import tqdm.std

    warnings.filterwarnings("ignore", category=tqdm.std.TqdmWarning)

    class DisabledProgress(tqdm.std.tqdm):
        """A tqdm bar that never draws, whatever ``disable=`` its caller passes."""

        def __init__(self, *args, **kwargs):
            kwargs["disable"] = True
            super().__init__(*args, **kwargs)

    tqdm.auto.tqdm = DisabledProgress
    tqdm.auto.trange = lambda *args, **kwargs: DisabledProgress(range(*args), **kwargs)
