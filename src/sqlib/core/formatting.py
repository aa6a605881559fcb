"""Numbers as papers print them: p-values as ``< .001`` or ``.034``, fit indices with three
decimals and no leading zero, counts as integers, never scientific notation.

Every layer formats numbers with these two functions, so a table and the sentence beside it
show the same digits.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

#: Column kinds understood by :func:`format_number`.
KINDS = ("p", "fit", "count", "number", "percent", "text")

#: How a missing value is shown.
MISSING = "—"
_KINDS_HINT = ", ".join(repr(k) for k in KINDS)


# ----------------------------------------------------------------- numbers
def format_p(p: float) -> str:
    """A p-value as a narrative writes it: ``"p < .001"``, ``"p = .034"``, ``"p > .999"``.

    Parameters
    ----------
    p : float
        Between 0 and 1.

    Returns
    -------
    str

    Examples
    --------
    >>> format_p(9.182e-99), format_p(0.0342), format_p(0.5)
    ('p < .001', 'p = .034', 'p = .500')

    R equivalent: ``papaja::printp()`` (which writes the number without "p").
    """
    cell = format_number(p, "p")
    if cell == MISSING:
        return "p not available"
    return f"p {cell}" if cell[0] in "<>" else f"p = {cell}"


def format_number(x, kind: str = "number") -> str:
    """One number formatted for a report table or sentence.

    Parameters
    ----------
    x : float, int or None
    kind : {"p", "fit", "count", "number", "percent", "text"}
        ``"p"``: ``"< .001"``, ``".034"``, ``"> .999"``; ``"fit"``: three decimals, no
        leading zero (``.951``, ``1.012``); ``"count"``: an integer; ``"number"``: three
        decimals; ``"percent"``: one decimal and ``%``; ``"text"``: ``str(x)``.
        Missing values (None, NaN) are shown as an em dash. Never scientific notation.

    Returns
    -------
    str

    Examples
    --------
    >>> format_number(0.95123, "fit"), format_number(54.0, "count"), format_number(1e-99, "number")
    ('.951', '54', '0.000')

    R equivalent: ``formatC(x, format = "f", digits = 3)``.
    """
    if kind not in KINDS:
        raise ValueError(f"format_number: unknown kind {kind!r}; use one of {_KINDS_HINT}.")
    if kind == "text":
        return "" if x is None or (isinstance(x, float) and math.isnan(x)) else str(x)
    if x is None or isinstance(x, (bool, np.bool_)) or is_missing(x):
        return MISSING if not isinstance(x, (bool, np.bool_)) else str(bool(x))
    value = float(x)
    if math.isinf(value):
        return "∞" if value > 0 else "−∞"
    if kind == "p":
        return _p_cell(value)
    if kind in ("fit", "number") and round(value, 3) == 0:
        value = 0.0  # no "-.000" for a tiny negative value
    if kind == "fit":
        return _drop_leading_zero(f"{value:.3f}")
    if kind == "count":
        if not value.is_integer():
            raise ValueError(f"format_number: {x!r} is not a whole number, so it cannot be shown as a "
                             "count; use kind='number'.")
        return f"{int(value):d}"
    if kind == "percent":
        return f"{value:.1f}%"
    return f"{value:.3f}"


def is_missing(x) -> bool:
    """True for None, NaN and pandas NA (values shown as an em dash)."""
    try:
        return bool(pd.isna(x))
    except (TypeError, ValueError):
        return False


def _p_cell(p: float) -> str:
    if not 0 <= p <= 1:
        raise ValueError(f"format_number: {p!r} is not a p-value (it must lie between 0 and 1); "
                         "use kind='number' for other statistics.")
    if p < 0.001:
        return "< .001"
    if p > 0.999:
        return "> .999"
    return _drop_leading_zero(f"{p:.3f}")


def _drop_leading_zero(text: str) -> str:
    if text.startswith("0."):
        return text[1:]
    if text.startswith("-0."):
        return "-" + text[2:]
    return text


def brief_html(lines: list[str], table_html: str = "") -> str:
    """A result's short description as HTML: the first line bold, the others as a list, then a table.

    >>> brief_html(["Bootstrap: 200 draws", "3 failed"])
    "<div class='sqlib-result'><b>Bootstrap: 200 draws</b><ul><li>3 failed</li></ul></div>"
    """
    import html

    first, *rest = lines
    items = "".join(f"<li>{html.escape(line.strip())}</li>" for line in rest)
    return (f"<div class='sqlib-result'><b>{html.escape(first)}</b>" + (f"<ul>{items}</ul>" if items else "")
            + table_html + "</div>")
