"""Reading survey files and checking them against a codebook.

:func:`read_survey` opens CSV, TSV, Excel, SPSS, Parquet and Qualtrics CSV
exports, checks every answer against the codebook and reports *all* problems at
once in a single :class:`~sqlib.core.errors.SurveyDataError`, with the file's own row
numbers and the respondent ids, so a researcher can fix the file in one pass.
The input file is only ever opened for reading.

Row numbers in messages are the ones a person sees when opening the file:

* CSV / TSV / Qualtrics: the line on which the respondent's record starts
  (the header is line 1, so the first respondent is row 2; in a Qualtrics
  export the first respondent is row 4);
* Excel: the row number of the worksheet;
* SPSS and Parquet: the case number (first respondent = 1);
* an in-memory DataFrame passed to :func:`validate_survey`: its index labels.

Reading is strict and says what it did: text files must be UTF-8 (with or
without BOM) or the codebook's ``encoding:``; the separator (comma, semicolon,
tab) is detected and recorded in ``df.attrs["source"]["delimiter"]``; empty rows
and unnamed empty columns are dropped and the codebook's ``missing_codes`` set
to missing, each with a line in ``df.attrs["notes"]``; id, group and wave
columns are text labels compared exactly (``'3'`` and ``'03'`` differ); names
and labels are compared in Unicode NFC form.
"""

from __future__ import annotations

import codecs
import csv
import datetime
import difflib
import hashlib
import io as _stdio
import math
import numbers
import re
from pathlib import Path
from typing import Iterable, Sequence

import numpy as np
import pandas as pd

from sqlib.core import config
from .codebook import Codebook, load_codebook
from .codebook_schema import nfc
from sqlib.core.errors import SurveyDataError

#: Canonical format name -> what a researcher would call it (for messages).
SUPPORTED_FORMATS = {
    "csv": "CSV (.csv; .txt is read as delimited text)",
    "tsv": "tab-separated text (.tsv, .tab)",
    "qualtrics": "Qualtrics CSV export (.csv, detected automatically)",
    "xlsx": "Excel workbook (.xlsx, .xlsm)",
    "sav": "SPSS data file (.sav, .zsav)",
    "parquet": "Parquet (.parquet, .pq)",
}

_SUFFIXES = {
    ".csv": "csv", ".tsv": "tsv", ".tab": "tsv", ".xlsx": "xlsx", ".xlsm": "xlsx",
    ".sav": "sav", ".zsav": "sav", ".parquet": "parquet", ".pq": "parquet", ".txt": "csv",
}
_FORMAT_ALIASES = {
    "csv": "csv", "tsv": "tsv", "tab": "tsv", "qualtrics": "qualtrics", "xlsx": "xlsx",
    "excel": "xlsx", "xlsm": "xlsx", "sav": "sav", "spss": "sav", "zsav": "sav",
    "parquet": "parquet", "pq": "parquet",
}

#: Cell texts read as a missing answer (besides an empty cell).
MISSING_TOKENS = frozenset({
    "", "na", "n/a", "nan", "null", "none", "#n/a", "<na>", ".", "-nan", "-", "missing",
})

_LIST_LIMIT = 5
#: From this many item columns with text answers on, they are reported in one line.
_CONDENSE_AT = 6
_DECIMAL_COMMA = re.compile(r"-?\d+,\d+")
#: Invisible characters that sneak into header names (byte-order marks, zero-width spaces).
_INVISIBLE = dict.fromkeys(map(ord, "\ufeff\u200b\u200c\u200d\u2060"))


# --------------------------------------------------------------------- helpers
def file_sha256(path: str | Path) -> str:
    """SHA-256 checksum (hex) of a file, read in chunks; the file is not changed.

    Examples
    --------
    >>> from sqlib import config
    >>> from sqlib.survey.io import file_sha256
    >>> len(file_sha256(config.SAMPLE_CODEBOOK))
    64
    """
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _and_more(parts: Sequence[str], limit: int = _LIST_LIMIT) -> str:
    """'a', 'a and b', 'a, b and c', 'a, b, c and 40 more'."""
    parts = list(parts)
    if len(parts) > limit:
        return ", ".join(parts[:limit]) + f" and {len(parts) - limit} more"
    if len(parts) <= 1:
        return "".join(parts)
    return ", ".join(parts[:-1]) + " and " + parts[-1]


def _show(value) -> str:
    """A value as the researcher typed it: 3 not 3.0, text in quotes, a date as 'the date 2027-05-03'."""
    if isinstance(value, (datetime.date, np.datetime64)):
        return f"the date {pd.Timestamp(value).date().isoformat()}"
    if isinstance(value, str):
        return repr(value)
    if isinstance(value, numbers.Real) and not isinstance(value, bool):
        value = float(value)
        return str(int(value)) if value.is_integer() else f"{value:g}"
    return repr(value)


def _where(positions: Sequence[int], row_numbers: Sequence, ids: Sequence | None, limit: int = _LIST_LIMIT) -> str:
    """'row 5 (id 4)' / 'rows 5 (id 4), 9 (id 8) and 3 more'."""
    parts = []
    for pos in positions:
        text = _show(row_numbers[pos]).strip("'")
        if ids is not None:
            rid = ids[pos]
            if rid is not None and not (isinstance(rid, float) and math.isnan(rid)):
                text += f" (id {_show(rid).strip(chr(39))})"
        parts.append(text)
    noun = "row" if len(parts) == 1 else "rows"
    return f"{noun} {_and_more(parts, limit)}"


def _distinct(values: Iterable) -> list:
    seen, out = set(), []
    for v in values:
        key = (type(v).__name__, v) if isinstance(v, str) else ("num", v)
        if key not in seen:
            seen.add(key)
            out.append(v)
    return out


def _to_numbers(series: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Convert a column to float; also return a mask of cells that are not numbers."""
    if pd.api.types.is_bool_dtype(series.dtype):
        return np.full(len(series), np.nan), series.notna().to_numpy()
    if pd.api.types.is_numeric_dtype(series.dtype):
        return series.astype("float64").to_numpy(copy=True), np.zeros(len(series), dtype=bool)
    text = series.astype(object).astype("str").str.strip()
    missing = series.isna().to_numpy() | text.str.lower().isin(MISSING_TOKENS).to_numpy()
    numbers_ = pd.to_numeric(text.where(~missing), errors="coerce").astype("float64").to_numpy(copy=True)
    bad = np.isnan(numbers_) & ~missing
    return numbers_, bad


def _tidy_other_column(series: pd.Series) -> pd.Series:
    """Columns the codebook does not list (background variables...): numbers when every cell is one.

    Id, group and wave columns never come here: they are text labels (:func:`label_text`).

    Whole numbers become int64 (or nullable Int64 when some are missing), so the
    same survey read from CSV, Excel, SPSS or Parquet gives the same frame.
    """
    values, bad = _to_numbers(series)
    if bad.any() or (np.isnan(values).all() and series.notna().any()):
        out = series.astype(object).map(lambda v: v.strip() if isinstance(v, str) else v)
        out = out.map(lambda v: np.nan if isinstance(v, str) and v.lower() in MISSING_TOKENS else v)
        return out.astype("str") if all(isinstance(v, str) or pd.isna(v) for v in out) else out
    observed = values[~np.isnan(values)]
    if observed.size and np.all(observed == np.round(observed)) and np.all(np.abs(observed) < 2**53):
        if np.isnan(values).any():
            return pd.Series(pd.array([None if np.isnan(v) else int(v) for v in values], dtype="Int64"),
                             index=series.index, name=series.name)
        return pd.Series(values.astype("int64"), index=series.index, name=series.name)
    return pd.Series(values, index=series.index, name=series.name)


def label_text(value) -> str | None:
    """An id/group/wave cell as the text label it is; None only for an empty cell.

    Text is stripped of surrounding spaces and put in Unicode NFC form; nothing
    else is treated as missing (a group ``NA`` is Namibia). Numbers stored as
    numbers (Excel, SPSS, Parquet cells) become their shortest text: ``101`` and
    ``101.0`` both give ``'101'``; text cells are kept as typed (``'007'``, ``'5.0'``).

    Examples
    --------
    >>> from sqlib.survey.io import label_text
    >>> label_text(" 007 "), label_text("NA"), label_text(101.0), label_text(""), label_text(2**60 + 1)
    ('007', 'NA', '101', None, '1152921504606846977')
    """
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, str):
        text = nfc(value.strip())
        return text or None
    if isinstance(value, (bool, np.bool_)):
        return str(bool(value))
    if isinstance(value, numbers.Integral):
        return str(int(value))
    if isinstance(value, numbers.Real):
        value = float(value)
        if math.isnan(value):
            return None
        return str(int(value)) if value.is_integer() and abs(value) < 2**63 else repr(value)
    return nfc(str(value).strip()) or None


_NUMBERED = re.compile(r"^(.*?)(\d+)$")


def order_wave_labels(values: Iterable, order: Sequence[str] | None = None,
                      column: str = "wave") -> tuple[list, str | None]:
    """The wave labels present in ``values`` in time order, and a note when the order was assumed.

    Labels are compared as text (:func:`label_text`, so ``1``, ``'1'`` and ``1.0`` are one
    wave); the labels returned are the values as they appear in the data.

    * ``order`` given (the codebook's ``wave_order``): that order; labels missing from it
      are an error naming them.
    * every label a number (``1, 2, 10``): numeric order.
    * every label one shared prefix and a number (``W1, W2, W10``; ``wave 3``): by that number.
    * otherwise (``'Spring 2026', 'Autumn 2026'``): the order of first appearance, with a
      note saying so and how to set ``wave_order``.

    Parameters
    ----------
    values : iterable
        The wave column (empty cells are skipped).
    order : sequence of str, optional
        The wave labels in time order.
    column : str
        The wave column's name, for messages.

    Returns
    -------
    (list, str or None)
        The labels in order and the note (None when the order is not a guess).

    Raises
    ------
    SurveyDataError
        When ``order`` is given and the data hold labels it does not list.

    Examples
    --------
    R: ``factor(wave, levels = c("W1", "W2", "W10"))``.

    >>> from sqlib.survey.io import order_wave_labels
    >>> order_wave_labels(["W1", "W10", "W2"])
    (['W1', 'W2', 'W10'], None)
    >>> order_wave_labels(["Spring", "Autumn", "Spring"])[0]
    ['Spring', 'Autumn']
    """
    first: dict[str, object] = {}
    for value in values:
        text = label_text(value)
        if text is not None and text not in first:
            first[text] = value
    texts = list(first)
    if order is not None:
        unknown = [t for t in texts if t not in order]
        if unknown:
            problem = (f"wave column {column!r}: label{'s' if len(unknown) > 1 else ''} "
                       f"{_and_more([repr(t) for t in unknown], 10)} {'are' if len(unknown) > 1 else 'is'} not in "
                       f"the codebook's wave_order [{', '.join(order)}]; add {'them' if len(unknown) > 1 else 'it'} "
                       "to wave_order in time order, or fix the labels in the file")
            raise SurveyDataError(problem[0].upper() + problem[1:] + ".", [problem])
        return [first[t] for t in order if t in first], None
    numbers = pd.to_numeric(pd.Series(texts, dtype=object), errors="coerce")
    if numbers.notna().all():
        return [first[texts[k]] for k in np.argsort(numbers.to_numpy(), kind="stable")], None
    parts = [_NUMBERED.match(t) for t in texts]
    if all(parts) and len({m.group(1).strip().casefold() for m in parts}) == 1:
        rank = np.argsort([int(m.group(2)) for m in parts], kind="stable")
        return [first[texts[k]] for k in rank], None
    note = (f"wave column {column!r}: the wave labels are text, so they were taken in the order they first appear "
            f"in the data: {', '.join(texts)}; if that is not their time order, add "
            f"'wave_order: [{', '.join(texts)}]' (in time order) to the codebook")
    return [first[t] for t in texts], note if len(texts) > 1 else None


def _label_column(series: pd.Series) -> pd.Series:
    """Id/group/wave column as text labels (object dtype, None for an empty cell)."""
    return pd.Series([label_text(v) for v in series.astype(object).tolist()], index=series.index,
                     name=series.name, dtype=object)


def _nfc_columns(frame: pd.DataFrame) -> pd.DataFrame:
    """Column names stripped and in Unicode NFC form (macOS may save them decomposed)."""
    names = [nfc(c.translate(_INVISIBLE).strip()) if isinstance(c, str) else c for c in frame.columns]
    if names == list(frame.columns):
        return frame
    out = frame.copy()
    out.columns = names
    return out


def _blank_missing_codes(frame: pd.DataFrame, codebook: Codebook) -> tuple[pd.DataFrame, dict]:
    """Declared missing-value codes -> missing, in every column but the id; counts per column.

    Items use their construct's own ``missing_codes`` when it has some (:meth:`Codebook.missing_codes_of`).
    """
    if not codebook.missing_codes and all(c.missing_codes is None for c in codebook.constructs):
        return frame, {}
    out, counts = frame.copy(), {}
    for j, col in enumerate(out.columns):
        codes = [float(c) for c in codebook.missing_codes_of(str(col))]
        if col == codebook.id_column or not codes:
            continue
        column = out.iloc[:, j]
        values, _ = _to_numbers(column)
        hit = np.isin(values, codes)
        if hit.any():
            column = column.astype(object).copy()
            column[hit] = np.nan
            out.isetitem(j, column)
            counts[str(col)] = int(hit.sum())
    return out, counts


def _codes_note(codebook: Codebook, counts: dict) -> str:
    declared = [codebook.missing_codes] + [c.missing_codes for c in codebook.constructs if c.missing_codes]
    codes = ", ".join(_show(c) for c in _distinct([v for group in declared for v in group]))
    shown = _and_more([f"{c!r} {n}" for c, n in counts.items()], 12)
    return f"missing-value codes ({codes}) set to missing, cells per column: {shown}"


# ------------------------------------------------------------------ validation
def validate_survey(data: pd.DataFrame, codebook=None, *, row_numbers: Sequence | None = None) -> list[str]:
    """Check survey answers against a codebook and list every problem found.

    Parameters
    ----------
    data : pandas.DataFrame
        The survey, one row per respondent. Answers may still be text (as read
        from a file) or already numbers.
    codebook : Codebook, str, Path, dict or None
        The codebook (a YAML path works too); None means the SERVQUAL codebook.
    row_numbers : sequence, optional
        What to call each row in messages (e.g. the file's line numbers).
        Defaults to the DataFrame's index labels.

    Returns
    -------
    list of str
        One readable line per problem, saying what is wrong, where (column,
        rows, respondent ids, values) and what to do. Empty when the data are fine.

    Examples
    --------
    >>> import pandas as pd
    >>> from sqlib.survey.codebook import Codebook, Construct
    >>> from sqlib.survey.io import validate_survey
    >>> cb = Codebook("demo", [Construct("quality", ["q1", "q2", "q3"])], 1, 5)
    >>> df = pd.DataFrame({"q1": [1, 2, 9], "q2": [3, 3, 4], "q3": [5, 4, 2]})
    >>> validate_survey(df, cb)  # doctest: +ELLIPSIS
    ["column 'q1': 1 answer outside the 1-5 scale (9) in row 2; ..."]
    """
    codebook = load_codebook(codebook)
    if row_numbers is None:
        row_numbers = list(data.index)
    frame, _ = _blank_missing_codes(_nfc_columns(data), codebook)
    return _check(frame, codebook, list(row_numbers), {})


def _check(data: pd.DataFrame, codebook: Codebook, row_numbers: list, numeric: dict) -> list[str]:
    """The checks of :func:`validate_survey`; fills ``numeric`` with each item as floats."""
    if len(data) == 0:
        return ["there are no respondents: the data have column names but no rows"]

    problems = _column_problems(data, codebook)
    ids = _id_values(data, codebook)
    problems += _id_problems(data, codebook, row_numbers, ids)
    present = [c for c in codebook.all_items if list(data.columns).count(c) == 1]
    answered = np.zeros(len(data), dtype=bool)
    converted = {item: _to_numbers(data[item]) for item in present}
    condensed = sum(bad.any() for _, bad in converted.values()) >= _CONDENSE_AT
    if condensed:
        problems.append(_label_columns_problem(converted, data, codebook))
    for item, (values, bad) in converted.items():
        numeric[item] = values
        answered |= ~np.isnan(values) | bad
        problems += _item_problems(item, data[item], values, bad, codebook, row_numbers, ids,
                                   text_reported=condensed)
    if present:
        problems += _empty_respondent_problems(answered, len(present), row_numbers, ids)
    return problems + _wave_order_problems(data, codebook)


def _wave_order_problems(data: pd.DataFrame, codebook: Codebook) -> list[str]:
    """Wave labels the codebook's ``wave_order`` does not list."""
    col = codebook.wave_column
    if codebook.wave_order is None or not col or list(data.columns).count(col) != 1:
        return []
    try:
        order_wave_labels(data[col], codebook.wave_order, col)
    except SurveyDataError as exc:
        return list(exc.problems)
    return []


def _column_problems(data: pd.DataFrame, codebook: Codebook) -> list[str]:
    columns = [str(c) for c in data.columns]
    duplicated = sorted({c for c in columns if columns.count(c) > 1 and c != ""})
    problems = [f"column {c!r} appears more than once in the header; rename or drop the copies" for c in duplicated]
    unnamed = [str(j + 1) for j, c in enumerate(columns) if c == ""]
    if unnamed:
        problems.append(f"column{'s' if len(unnamed) > 1 else ''} {_and_more(unnamed)} (counting from the left) "
                        "hold answers but have no name in the header row; name them or delete them")
    missing = [c for c in codebook.columns if c not in columns]
    if not missing:
        return problems
    extra = [c for c in columns if c not in codebook.columns and c != ""]
    suggested = set()
    for col in missing:
        role = _role(col, codebook)
        match = difflib.get_close_matches(col, extra, n=1, cutoff=0.6) or \
            difflib.get_close_matches(col.lower(), [e.lower() for e in extra], n=1, cutoff=0.6)
        if match:
            guess = next(e for e in extra if e == match[0] or e.lower() == match[0])
            suggested.add(guess)
            problems.append(f"column {col!r} ({role}) not found — did you mean {guess!r}? "
                            "Rename the column in the file or in the codebook")
        else:
            problems.append(f"column {col!r} ({role}) not found in the data")
    rest = [c for c in extra if c not in suggested]
    if rest:
        problems.append("the data also have columns the codebook does not list, perhaps under another "
                        f"name: {_and_more([repr(c) for c in rest], 8)}")
    return problems


def _role(column: str, codebook: Codebook) -> str:
    if column == codebook.id_column:
        return "the respondent id"
    if column == codebook.group_column:
        return "the group column"
    if column == codebook.wave_column:
        return "the wave column"
    mirrored = [item for item, expectation in codebook.expectations.items() if expectation == column]
    if mirrored:
        return f"the expectation column of {mirrored[0]!r}, expectations.{mirrored[0]}"
    points_of = [dim for dim, value in codebook.importance.items() if value == column]
    if points_of:
        return f"the importance points of {points_of[0]!r}"
    try:
        return f"an item of {codebook.construct_of(column)!r}"
    except Exception:  # noqa: BLE001 - only for wording
        return "an item"


def _id_values(data: pd.DataFrame, codebook: Codebook) -> list | None:
    col = codebook.id_column
    if not col or list(data.columns).count(col) != 1:
        return None
    return [label_text(v) for v in data[col].astype(object).tolist()]


def _id_problems(data, codebook, row_numbers, ids) -> list[str]:
    if ids is None:
        return []
    problems = []
    blank = [i for i, v in enumerate(ids) if v is None]
    if blank:
        problems.append(f"the respondent id {codebook.id_column!r} is empty in "
                        f"{_where(blank, row_numbers, None)}; every respondent needs an id")
    positions: dict = {}
    for i, v in enumerate(ids):
        if i in blank:
            continue
        positions.setdefault(v, []).append(i)
    dupes = [(k, p) for k, p in positions.items() if len(p) > 1]
    for key, pos in dupes[:_LIST_LIMIT]:
        problems.append(f"respondent id {key} appears {len(pos)} times ({_where(pos, row_numbers, None)}); "
                        "ids must be unique (they are compared as text: '3' and '03' differ) — remove the "
                        "repeated respondent or fix the id")
    if len(dupes) > _LIST_LIMIT:
        problems.append(f"{len(dupes) - _LIST_LIMIT} more respondent ids appear more than once")
    return problems


def _not_number_problem(item, raw, bad, scale: str, row_numbers, ids) -> str:
    pos = np.flatnonzero(bad)
    raw_list = raw.astype(object).tolist()
    shown = _and_more([_show(raw_list[i]) for i in _distinct_positions(pos, raw_list)])
    decimal_comma = any(isinstance(raw_list[i], str) and _DECIMAL_COMMA.fullmatch(raw_list[i].strip())
                        for i in pos)
    dates = any(isinstance(raw_list[i], (datetime.date, np.datetime64)) for i in pos)
    hint = ("; these use a decimal comma: write them with a decimal point (3.5), e.g. by exporting with "
            "English number settings" if decimal_comma else
            "; the spreadsheet turned these answers into dates (e.g. 5-3 became 3 May): format the column as "
            f"Number and retype the answers ({scale})" if dates else
            f"; recode to numbers {scale} or leave the cell empty for a missing answer")
    return (f"column {item!r}: {len(pos)} answer{'s are' if len(pos) > 1 else ' is'} not a number "
            f"({shown}) in {_where(pos, row_numbers, ids)}{hint}")


def _label_columns_problem(converted: dict, data: pd.DataFrame, codebook: Codebook) -> str:
    """One line for many item columns holding answer labels (an SPSS/Parquet export of categories)."""
    items = [item for item, (_, bad) in converted.items() if bad.any()]
    labels = _distinct([v for item in items for v in data[item].astype(object)[converted[item][1]].tolist()])
    cells = sum(int(converted[item][1].sum()) for item in items)
    first = data[items[0]]
    ordered = isinstance(first.dtype, pd.CategoricalDtype) and first.cat.ordered
    order = (" < ".join(repr(c) for c in first.cat.categories.tolist()) if ordered else "")
    lo, hi = codebook.scale_of(items[0])
    how = (f"they are ordered categories ({order}): recode each to its scale point ({_show(lo)}-{_show(hi)}), "
           "e.g. in pandas df[col].cat.codes + 1, or export the answers as numbers" if ordered else
           f"recode them to numbers {_show(lo)}-{_show(hi)} (or export the answers as numbers), or leave the "
           "cells empty for missing answers")
    return (f"{len(items)} item columns hold answer text instead of numbers ({_and_more([repr(v) for v in labels])}): "
            f"{_and_more([repr(i) for i in items], 8)}; {cells} cells in all; {how}")


def _item_problems(item, raw, values, bad, codebook, row_numbers, ids, *, text_reported=False) -> list[str]:
    lo, hi = codebook.scale_of(item)
    scale = f"{_show(lo)}-{_show(hi)}"
    problems = []
    if bad.any() and not text_reported:
        problems.append(_not_number_problem(item, raw, bad, scale, row_numbers, ids))
    observed = ~np.isnan(values)
    outside = observed & ((values < lo) | (values > hi))
    if outside.any():
        pos = np.flatnonzero(outside)
        vals = _distinct(values[pos].tolist())
        example = ", ".join(_show(v) for v in vals[:3])
        hint = (f"; these look like missing-value codes — declare them in the codebook "
                f"(missing_codes: [{example}]) or leave such cells empty"
                if all(v < 0 or v >= 90 for v in vals) else
                "; check the scale in the codebook or fix the answers")
        problems.append(f"column {item!r}: {len(pos)} answer{'s' if len(pos) > 1 else ''} outside the "
                        f"{scale} scale ({_and_more([_show(v) for v in vals])}) in "
                        f"{_where(pos, row_numbers, ids)}{hint}")
    fractional = observed & ~outside & (values != np.round(values))
    if fractional.any():
        pos = np.flatnonzero(fractional)
        vals = _distinct(values[pos].tolist())
        problems.append(f"column {item!r}: {len(pos)} answer{'s are' if len(pos) > 1 else ' is'} not a whole "
                        f"number ({_and_more([_show(v) for v in vals])}) in {_where(pos, row_numbers, ids)}; "
                        "a Likert item takes whole scale points only")
    valid = values[observed & ~outside]
    if not observed.any() and not bad.any():
        problems.append(f"column {item!r} has no answers at all; the model cannot use an empty item — "
                        "drop it from the codebook or check the export")
    elif valid.size and np.unique(valid).size == 1 and not bad.any():
        problems.append(f"column {item!r} has the same answer ({_show(valid[0])}) from every respondent; "
                        "an item without variance cannot be used in the model — drop it from the codebook")
    return problems


def _distinct_positions(positions, raw_list) -> list[int]:
    seen, out = set(), []
    for p in positions:
        key = str(raw_list[p])
        if key not in seen:
            seen.add(key)
            out.append(p)
    return out


def _empty_respondent_problems(answered, n_items, row_numbers, ids) -> list[str]:
    empty = np.flatnonzero(~answered)
    if not empty.size:
        return []
    who = "a respondent" if empty.size == 1 else f"{empty.size} respondents"
    return [f"{who} answered none of the {n_items} items: {_where(empty, row_numbers, ids)}; "
            "remove these rows or check the export"]


# ---------------------------------------------------------------------- readers
class _Table:
    """Raw cells of a file plus the row number of each respondent."""

    def __init__(self, frame: pd.DataFrame, row_numbers: list, fmt: str, attrs: dict | None = None):
        self.frame, self.row_numbers, self.format, self.attrs = frame, row_numbers, fmt, attrs or {}


def _supported() -> str:
    return "; ".join(SUPPORTED_FORMATS.values())


def _format_of(path: Path, file_format: str | None) -> str:
    if file_format is not None:
        key = str(file_format).lower().lstrip(".")
        if key not in _FORMAT_ALIASES:
            raise SurveyDataError(f"Unknown file_format {file_format!r}. Supported formats: {_supported()}.",
                                  [f"unknown file_format {file_format!r}"])
        return _FORMAT_ALIASES[key]
    suffix = path.suffix.lower()
    if suffix in _SUFFIXES:
        return _SUFFIXES[suffix]
    raise SurveyDataError(
        f"Cannot tell the format of {path.name} from its extension {suffix or '(none)'}. "
        f"Supported formats: {_supported()}. {_extension_fix(path)}",
        [f"unknown file extension {suffix or '(none)'}"])


def _extension_fix(path: Path) -> str:
    """How to make a file with an unknown extension readable."""
    suffix = path.suffix.lower()
    try:
        with open(path, "rb") as handle:
            zipped = handle.read(4) == b"PK\x03\x04"
    except OSError:
        zipped = False
    if suffix in (".gz", ".zip", ".bz2", ".xz", ".7z"):
        return "It is compressed: unpack it first (e.g. gunzip or unzip) and read the file inside."
    if suffix == ".xls" and zipped:
        return f"It is an .xlsx workbook saved with the extension .xls: rename it to {path.stem}.xlsx."
    if suffix == ".xls":
        return "Old .xls workbooks: open it in Excel and save it as .xlsx (File > Save As > Excel Workbook)."
    return (f"Rename the file so its extension says the format (e.g. {path.stem or 'data'}.csv for comma-, "
            "semicolon- or tab-separated text); from Python, read_survey(..., file_format='csv') also works.")


_UNNAMED = re.compile(r"Unnamed: \d+(_level_\d+)?")
_DELIMITER_NAMES = {",": "comma", ";": "semicolon", "\t": "tab"}


def _decode(raw: bytes, path: Path, encoding: str | None) -> tuple[str, str]:
    """The file's text and the encoding used: UTF-8 (BOM or not), else the codebook's ``encoding``.

    Never guesses: an undecodable byte is an error naming its line and byte offset.
    """
    _refuse_non_text(raw, path)
    try:
        return raw.decode("utf-8-sig"), "utf-8-sig" if raw.startswith(codecs.BOM_UTF8) else "utf-8"
    except UnicodeDecodeError as exc:
        if encoding and codecs.lookup(encoding).name != "utf-8":
            try:
                text = raw.decode(encoding)
            except UnicodeDecodeError as other:
                exc = other
            else:
                _refuse_c1_controls(text, raw, path, encoding)
                return text, encoding
        raise _decode_error(raw, path, exc, encoding) from None


def _refuse_non_text(raw: bytes, path: Path) -> None:
    head = raw[:4096]
    if head.startswith(b"PK\x03\x04"):
        raise SurveyDataError(f"{path.name} is a zip file (an Excel .xlsx workbook saved under a text "
                              "extension?), not text; give it the extension .xlsx or pass file_format='xlsx'.",
                              ["zip/Excel content in a text file"])
    utf16 = head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) or (
        len(head) >= 8 and head[1::2].count(0) > 0.8 * len(head[1::2])) or (
        len(head) >= 8 and head[0::2].count(0) > 0.8 * len(head[0::2]))
    if utf16:
        raise SurveyDataError(f"{path.name} is saved as UTF-16 (\"Unicode text\" in Excel), which sqlib does not "
                              "read; save it as \"CSV UTF-8\" (Excel: File > Save As > CSV UTF-8).",
                              ["UTF-16 text file"])
    if head.lstrip(codecs.BOM_UTF8 + b" \t\r\n").lower().startswith((b"<!doctype html", b"<html", b"<?xml")):
        raise SurveyDataError(f"{path.name} is a web page or XML document, not a table of answers (some survey "
                              "tools export such files as .xls or .csv); open it in Excel and save it as .xlsx "
                              "or 'CSV UTF-8'.", ["HTML/XML content in a text file"])
    if b"\x00" in head:
        raise SurveyDataError(f"{path.name} looks like a binary file, not text, so it cannot be read as "
                              f"CSV/TSV. Supported formats: {_supported()}.", ["binary content in a text file"])


def _refuse_c1_controls(text: str, raw: bytes, path: Path, encoding: str) -> None:
    """Latin-1 turns Windows-1252 characters (€, curly quotes, 0x80-0x9F) into invisible controls."""
    found = re.search("[\x80-\x9f]", text)
    if found is None:
        return
    offset = len(text[:found.start()].encode(encoding))
    line = raw.count(b"\n", 0, offset) + 1
    problem = (f"line {line}, byte offset {offset}: byte 0x{raw[offset]:02X} is an invisible control character "
               f"in {encoding}, but a visible one (such as €, – or a curly quote) in Windows-1252")
    raise SurveyDataError(f"{path.name}: {problem}. The file is most likely Windows-1252: write 'encoding: cp1252' "
                          "in the codebook instead.", [problem])


def _decode_error(raw: bytes, path: Path, exc: UnicodeDecodeError, encoding: str | None) -> SurveyDataError:
    offset = exc.start
    line = raw.count(b"\n", 0, offset) + 1
    start = raw.rfind(b"\n", 0, offset) + 1
    end = raw.find(b"\n", offset)
    text = raw[start:end if end >= 0 else len(raw)].decode("utf-8", errors="replace").strip()
    codec = encoding or "UTF-8"
    problem = (f"line {line} (row {line} of the file), byte offset {offset}: byte 0x{raw[offset]:02X} is not "
               f"valid {codec} (in {text[:80]!r})")
    fix = (f"The codebook declares encoding: {encoding}, but the file is not in that encoding either; "
           "check which encoding the file was saved in." if encoding else
           "sqlib does not guess encodings (one stray byte would change how every other character is read). "
           "If the file was saved as Latin-1/Windows-1252 (Excel's plain 'CSV' on Windows), add "
           "'encoding: cp1252' (or latin-1) to the codebook; or re-save the file as 'CSV UTF-8'.")
    return SurveyDataError(f"{path.name} cannot be decoded: {problem}. {fix}", [problem])


def _detect_delimiter(text: str, skip: int) -> str | None:
    """The separator (comma, semicolon, tab) giving the widest header with consistent rows."""
    lines = [ln for ln in text.splitlines()[skip:skip + 60] if ln.strip()]
    sample = "\n".join(lines)
    best, best_score = None, None
    for delimiter in _DELIMITER_NAMES:
        records = [r for r in csv.reader(_stdio.StringIO(sample), delimiter=delimiter) if any(c.strip() for c in r)]
        first = next((k for k, r in enumerate(records) if len(r) >= 2), None)  # skip title lines
        if first is None:
            continue
        records = records[first:]
        width = len(records[0])
        rest = records[1:-1] if len(records) > 2 else records[1:]  # the last sample line may be cut
        consistent = sum(len(r) <= width for r in rest) / len(rest) if rest else 1.0
        score = (consistent >= 0.8, width, consistent)
        if best_score is None or score > best_score:
            best, best_score = delimiter, score
    return best


def _choose_delimiter(text: str, fmt: str, codebook: Codebook) -> tuple[str, str]:
    """(delimiter, how it was chosen)."""
    if codebook.delimiter:
        return codebook.delimiter, "declared in the codebook"
    first = text.split("\n", 1)[0].strip()
    if first.lower().startswith("sep=") and first[4:] in _DELIMITER_NAMES:
        return first[4:], "named by the file's first line 'sep=…', which was skipped"
    skip = (codebook.header_row - 1) if codebook.header_row else 0
    found = _detect_delimiter(text, skip)
    if found is None:
        return ("\t" if fmt == "tsv" else ","), "a single column: no separator found"
    return found, "detected"


def _records(text: str, delimiter: str, path: Path) -> tuple[list[list[str]], list[int]]:
    """Every record of the file (blank ones too) and the line each starts on."""
    reader = csv.reader(_stdio.StringIO(text, newline=""), delimiter=delimiter)
    records, starts, line = [], [], 1
    for record in reader:
        records.append(record)
        starts.append(line)
        line = reader.line_num + 1
    if text.count('"') % 2 and records and any("\n" in cell for cell in records[-1]):
        last = text.count("\n") + (not text.endswith("\n"))
        problem = (f"line {starts[-1]}: a quote mark (\") opens a cell that is never closed, so lines "
                   f"{starts[-1]}-{last} would be read as one answer")
        raise SurveyDataError(f"{path.name}: {problem}. Remove the stray quote mark or close it.", [problem])
    return records, starts


def _blank(cell) -> bool:
    return cell is None or (isinstance(cell, str) and cell.strip() == "") or (
        isinstance(cell, float) and math.isnan(cell))


def _split_header(rows: list[tuple[int, list]], header_row: int | None, path: Path,
                  unit: str) -> tuple[list, list[tuple[int, list]], list[str]]:
    """Header cells, non-empty body rows after it, and notes on what was skipped."""
    notes = []
    if header_row is not None:
        at = [k for k, (number, _) in enumerate(rows) if number == header_row]
        if not at or all(_blank(c) for c in rows[at[0]][1]):
            what = "past the end of" if not at else "an empty row in"
            raise SurveyDataError(f"{path.name}: the codebook's header_row: {header_row} is {what} the file "
                                  f"({unit} {rows[-1][0] if rows else 0} is the last); set header_row to the row "
                                  "that holds the column names.", [f"header_row {header_row} not usable"])
        k = at[0]
        if k:
            notes.append(f"rows above the header (rows 1-{header_row - 1}) were skipped (header_row: {header_row})")
    else:
        k = next((k for k, (_, cells) in enumerate(rows) if not all(_blank(c) for c in cells)), None)
        if k is None:
            raise SurveyDataError(f"{path.name} is empty: it has no header and no respondents.",
                                  ["the file is empty"])
    body = rows[k + 1:]
    kept = [(n, cells) for n, cells in body if not all(_blank(c) for c in cells)]
    empty = [n for n, cells in body if all(_blank(c) for c in cells)]
    if empty:
        notes.append(f"{len(empty)} empty row{'s' if len(empty) > 1 else ''} dropped ({unit}"
                     f"{'s' if len(empty) > 1 else ''} {_and_more([str(n) for n in empty])})")
    return rows[k][1], kept, notes


def _frame(header: list, body: list[tuple[int, list]]) -> tuple[pd.DataFrame, list, list[str]]:
    """DataFrame of the cells, without fully empty unnamed columns (noted)."""
    names = ["" if h is None else nfc(str(h).translate(_INVISIBLE).strip()) for h in header]
    width = max([len(names)] + [len(r) for _, r in body])
    names += [""] * (width - len(names))
    cells = [list(r) + [None] * (width - len(r)) for _, r in body]
    dropped = [j for j, name in enumerate(names)
               if (name == "" or _UNNAMED.fullmatch(name)) and all(_blank(r[j]) for r in cells)]
    keep = [j for j in range(width) if j not in dropped]
    notes = []
    if dropped:
        notes.append(f"{len(dropped)} empty column{'s' if len(dropped) > 1 else ''} without a name dropped "
                     f"(column{'s' if len(dropped) > 1 else ''} {_and_more([str(j + 1) for j in dropped])} "
                     "counting from the left, e.g. left over from an Excel export)")
    frame = pd.DataFrame([[r[j] for j in keep] for r in cells], columns=[names[j] for j in keep], dtype=object)
    return frame, [n for n, _ in body], notes


def _header_hint(rows: list[tuple[int, list]], header: list, codebook: Codebook, path: Path) -> None:
    """Raise when the column names are clearly on a later row (title rows above the header)."""
    expected = set(codebook.columns)
    if not expected:
        return

    def hits(cells):
        return len(expected & {nfc(str(c).translate(_INVISIBLE).strip()) for c in cells if not _blank(c)})

    found = hits(header)
    if found >= len(expected) / 2:
        return
    for number, cells in rows[:30]:
        count = hits(cells)
        if count > found and count >= len(expected) / 2:
            raise SurveyDataError(
                f"{path.name}: the column names are not on the first row but seem to be on row {number} (it holds "
                f"{count} of the codebook's {len(expected)} columns); the rows above look like titles. Add "
                f"'header_row: {number}' to the codebook.", [f"header on row {number}, not row 1"])


def _read_text(path: Path, fmt: str, codebook: Codebook) -> _Table:
    text, encoding = _decode(path.read_bytes(), path, codebook.encoding)
    text, eof_notes = _drop_end_of_file_mark(text)
    delimiter, how = _choose_delimiter(text, fmt, codebook)
    records, starts = _records(text, delimiter, path)
    _refuse_whole_line_quotes(records, path)
    if how.startswith("named by the file's first line"):
        records[0] = []  # the 'sep=;' line Excel writes is not data
    rows = list(zip(range(1, len(records) + 1), records))
    header, body, notes = _split_header(rows, codebook.header_row, path, "row")
    if codebook.header_row is None:
        _header_hint(rows, header, codebook, path)
    line_of = dict(zip(range(1, len(records) + 1), starts))
    body = [(line_of[n], r) for n, r in body]
    is_qualtrics = len(body) >= 2 and any(c.strip().startswith('{"ImportId"') for c in body[1][1])
    if fmt == "qualtrics" and not is_qualtrics:
        raise SurveyDataError(f"{path.name} does not look like a Qualtrics export: its third record has no "
                              '{"ImportId": ...} cells. Read it with file_format="csv".',
                              ["not a Qualtrics export"])
    if is_qualtrics:
        fmt, body = "qualtrics", body[2:]
    _refuse_long_rows(body, header, delimiter, path)
    notes += _short_row_note(body, header)
    frame, row_numbers, column_notes = _frame(header, body)
    notes += _encoding_note(encoding, codebook.encoding) + eof_notes
    if path.suffix.lower() == ".txt":
        notes.append(f"{path.name} was read as delimited text (the extension .txt does not say the format)")
    notes.append(f"columns separated by {_DELIMITER_NAMES[delimiter]} ({how})")
    attrs = {"delimiter": delimiter, "encoding": encoding, "notes": notes + column_notes}
    return _Table(frame, row_numbers, fmt, attrs)


def _drop_end_of_file_mark(text: str) -> tuple[str, list[str]]:
    """A Ctrl-Z (0x1A) after the last line, the end-of-file mark of old DOS/Windows programs, is dropped."""
    found = re.search("\x1a+\\s*\\Z", text)
    if found is None:
        return text, []
    return text[:found.start()], ["a Ctrl-Z character (0x1A, an end-of-file mark written by old DOS/Windows "
                                  "programs) at the end of the file was ignored"]


def _refuse_whole_line_quotes(records: list[list[str]], path: Path) -> None:
    """Every line one quoted field holding separators: the file was quoted twice."""
    filled = [r for r in records if any(c.strip() for c in r)]
    if not filled or len(filled[0]) != 1 or not any(d in filled[0][0] for d in _DELIMITER_NAMES):
        return
    single = sum(len(r) == 1 and any(d in r[0] for d in _DELIMITER_NAMES) for r in filled)
    if single < 0.9 * len(filled):
        return
    problem = (f"each line is one quoted field (line 1 reads \"{filled[0][0][:60]}...\"): the whole line, "
               "separators included, is wrapped in quote marks, so the columns cannot be told apart")
    raise SurveyDataError(f"{path.name}: {problem}. The file was quoted twice (e.g. a CSV saved again as text "
                          "with every line quoted); re-export it without quoting the whole line, or remove the "
                          "quote mark at the start and end of every line.", [problem])


def _refuse_long_rows(body: list[tuple[int, list]], header: list, delimiter: str, path: Path) -> None:
    too_long = [i for i, (_, r) in enumerate(body)
                if len(r) > len(header) and any(not _blank(c) for c in r[len(header):])]
    if too_long:
        problems = [f"{_where(too_long, [n for n, _ in body], None)}: more cells than the header has columns "
                    f"({len(header)}); check for stray separators ({_DELIMITER_NAMES[delimiter]}) inside answers"]
        raise SurveyDataError(_message(path.name, problems), problems)


def _short_row_note(body: list[tuple[int, list]], header: list) -> list[str]:
    short = [str(n) for n, r in body if len(r) < len(header)]
    if not short:
        return []
    return [f"{len(short)} row{'s have' if len(short) > 1 else ' has'} fewer cells than the header has columns "
            f"(line{'s' if len(short) > 1 else ''} {_and_more(short)}); the missing cells at the end were read "
            "as empty"]


def _encoding_note(used: str, declared: str | None) -> list[str]:
    if used.startswith("utf-8") and not (declared and codecs.lookup(declared).name != "utf-8"):
        return []
    if used.startswith("utf-8"):
        return [f"read as {used} (the codebook declares {declared}, but the file is valid UTF-8)"]
    return [f"read as {used}"]


def _read_excel(path: Path, sheet, codebook: Codebook) -> _Table:
    import openpyxl

    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # noqa: BLE001 - openpyxl raises many kinds
        raise SurveyDataError(f"{path.name} could not be opened as an Excel workbook ({exc}). "
                              f"Supported formats: {_supported()}.", ["unreadable Excel file"]) from exc
    try:
        name = _sheet_name(book.sheetnames, sheet, path)
        sheet_notes = [] if sheet is not None else _unnamed_sheet_notes(book, name, path, codebook)
        rows = [(i, list(r)) for i, r in enumerate(book[name].iter_rows(values_only=True), start=1)]
    finally:
        book.close()
    if any(c is None for _, r in rows for c in r):
        _refuse_uncalculated_formulas(path, name, rows)
    if not any(not _blank(c) for _, r in rows for c in r):
        raise SurveyDataError(f"Sheet {name!r} of {path.name} is empty: no header and no respondents.",
                              ["the sheet is empty"])
    header, body, notes = _split_header(rows, codebook.header_row, path, "row")
    if codebook.header_row is None:
        _header_hint(rows, header, codebook, path)
    frame, row_numbers, column_notes = _frame(header, body)
    return _Table(frame, row_numbers, "xlsx", {"sheet": name, "notes": sheet_notes + notes + column_notes})


def _unnamed_sheet_notes(book, name: str, path: Path, codebook: Codebook) -> list[str]:
    """With several sheets and none named: refuse a hidden first sheet or one without the columns; else a note."""
    others = [n for n in book.sheetnames if n != name]
    if not others:
        return []
    visible = [n for n in others if book[n].sheet_state == "visible"]
    fix = f"add 'sheet: {visible[0] if visible else '<name>'}' to the codebook (or pass sheet= to read_survey)"
    listed = ", ".join(f"{n!r}{'' if book[n].sheet_state == 'visible' else ' (hidden)'}" for n in book.sheetnames)
    if book[name].sheet_state != "visible":
        problem = f"the first sheet {name!r} is {book[name].sheet_state} (sheets: {listed})"
        raise SurveyDataError(f"{path.name}: {problem}; with no sheet named, sqlib would read it, but a hidden sheet "
                              f"is rarely the answers. Say which sheet holds them: {fix}.", [problem])
    better = _sheet_with_columns(book, name, others, codebook)
    if better is not None:
        problem = f"the first sheet {name!r} does not hold the codebook's columns, but sheet {better!r} does"
        raise SurveyDataError(f"{path.name}: {problem} (sheets: {listed}). Add 'sheet: {better}' to the codebook "
                              "(or pass sheet= to read_survey).", [problem])
    return [f"read sheet {name!r}, the first of {len(book.sheetnames)} sheets (the others: "
            f"{', '.join(map(repr, others))}); to read another, add 'sheet: <name>' to the codebook"]


def _sheet_with_columns(book, first: str, others: list[str], codebook: Codebook) -> str | None:
    """Another sheet whose first rows hold most codebook columns, when the first sheet's do not."""
    expected = set(codebook.columns)

    def hits(sheet_name: str) -> int:
        rows = book[sheet_name].iter_rows(max_row=30, values_only=True)
        return max((len(expected & {nfc(str(c).strip()) for c in r if not _blank(c)}) for r in rows), default=0)

    if not expected or hits(first) >= len(expected) / 2:
        return None
    return next((n for n in others if book[n].sheet_state == "visible" and hits(n) >= len(expected) / 2), None)


def _refuse_uncalculated_formulas(path: Path, sheet: str, values: list[tuple[int, list]]) -> None:
    """Formulas saved without their results (by a program, not Excel) would read as empty cells."""
    import openpyxl
    from openpyxl.utils import get_column_letter

    book = openpyxl.load_workbook(path, read_only=True, data_only=False)
    try:
        found = []
        for (number, cached), (_, formulas) in zip(values, enumerate(book[sheet].iter_rows(values_only=True), 1)):
            found += [f"{get_column_letter(j + 1)}{number} ({f})" for j, (v, f) in enumerate(zip(cached, formulas))
                      if v is None and isinstance(f, str) and f.startswith("=")]
            if len(found) > _LIST_LIMIT:
                break
    finally:
        book.close()
    if found:
        problem = f"cells {_and_more(found)} hold formulas whose results were never calculated"
        raise SurveyDataError(f"{path.name}, sheet {sheet!r}: {problem}, so they would read as empty answers. Open "
                              "the workbook in Excel (or LibreOffice) and save it, or replace the formulas by "
                              "their values.", [problem])


def _sheet_name(names: list[str], sheet, path: Path) -> str:
    if sheet is None:
        return names[0]
    if isinstance(sheet, int):
        if not 0 <= sheet < len(names):
            raise SurveyDataError(f"{path.name} has {len(names)} sheet(s); sheet={sheet} does not exist "
                                  f"(sheets: {', '.join(names)}).", [f"no sheet {sheet}"])
        return names[sheet]
    if sheet in names:
        return sheet
    raise SurveyDataError(f"{path.name} has no sheet {sheet!r}; its sheets are "
                          f"{', '.join(map(repr, names))}.", [f"no sheet {sheet!r}"])


def _read_sav(path: Path) -> _Table:
    import pyreadstat

    try:
        frame, meta = pyreadstat.read_sav(str(path))
    except Exception as exc:  # noqa: BLE001
        raise SurveyDataError(f"{path.name} could not be read as an SPSS .sav file ({exc}). "
                              f"Supported formats: {_supported()}.", ["unreadable SPSS file"]) from exc
    attrs = {
        "value_labels": {k: dict(v) for k, v in meta.variable_value_labels.items()},
        "variable_labels": {k: v for k, v in meta.column_names_to_labels.items() if v},
    }
    return _Table(frame, list(range(1, len(frame) + 1)), "sav", attrs)


def _read_parquet(path: Path) -> _Table:
    try:
        frame = pd.read_parquet(path)
    except Exception as exc:  # noqa: BLE001
        raise SurveyDataError(f"{path.name} could not be read as a Parquet file ({exc}). "
                              f"Supported formats: {_supported()}.", ["unreadable Parquet file"]) from exc
    frame = frame.reset_index(drop=True)
    return _Table(frame, list(range(1, len(frame) + 1)), "parquet")


def _read_table(path: Path, fmt: str, sheet, codebook: Codebook) -> _Table:
    if fmt in ("csv", "tsv", "qualtrics"):
        return _read_text(path, fmt, codebook)
    if fmt == "xlsx":
        return _read_excel(path, sheet, codebook)
    if fmt == "sav":
        return _read_sav(path)
    return _read_parquet(path)


def _message(name: str, problems: list[str], codebook: Codebook | None = None) -> str:
    against = f" does not match the codebook {codebook.name!r}" if codebook is not None else " cannot be used"
    count = f"{len(problems)} problem{'s' if len(problems) > 1 else ''}"
    bullets = "\n".join(f"  - {p}" for p in problems)
    return (f"{name}{against} ({count}):\n{bullets}\n"
            "Fix these in the file (or the codebook) and read it again; the file itself was not changed.")


# ------------------------------------------------------------------- public API
def read_survey(path: str | Path, codebook=None, *, sheet: str | int | None = None,
                file_format: str | None = None, reverse_code: bool = True) -> pd.DataFrame:
    """Read a survey file, check it against the codebook and return tidy answers.

    Parameters
    ----------
    path : str or Path
        CSV, TSV (``.tsv``/``.tab``), Excel (``.xlsx``), SPSS (``.sav``), Parquet,
        or a Qualtrics CSV export (its question-text and ``{"ImportId": ...}``
        rows are recognised and dropped). The file is opened read-only.
    codebook : Codebook, str, Path, dict or None
        Which columns to expect; a YAML path works. None means the SERVQUAL codebook.
    sheet : str or int, optional
        Excel sheet name or 0-based position; wins over the codebook's ``sheet:``.
        Default: the codebook's ``sheet:``, else the first sheet (with a note naming
        the others when there are several; an error when that first sheet is hidden
        or lacks the codebook's columns while another sheet has them).
    file_format : str, optional
        Force a format (``"csv"``, ``"tsv"``, ``"qualtrics"``, ``"xlsx"``, ``"sav"``,
        ``"parquet"``) when the extension does not tell.
    reverse_code : bool, default True
        Turn the codebook's ``reverse`` items around (``max + min - x`` on the
        item's own scale, :meth:`Codebook.scale_of`) in the returned frame.

    Returns
    -------
    pandas.DataFrame
        Codebook columns first, in codebook order (id, group, wave, items,
        expectation items, importance columns), then any other columns of the
        file. Items are float64 with NaN for a missing answer (declared
        ``missing_codes`` included); id/group/wave are text labels (object dtype,
        None only for an empty cell; ``'007'`` stays ``'007'``, ``'NA'`` is a
        label). ``df.attrs["source"]`` holds ``path``, ``sha256``, ``format``,
        ``n_rows`` and for text files ``delimiter`` and ``encoding`` (for Excel
        ``sheet``); ``df.attrs["notes"]`` lists what was done on the way (dropped
        empty rows/columns, separator used, missing codes per column) and
        ``df.attrs["missing_codes"]`` maps column -> cells set to missing. SPSS
        files add ``df.attrs["value_labels"]`` and ``df.attrs["variable_labels"]``.

    Raises
    ------
    SurveyDataError
        Listing every problem at once (missing columns with suggestions, text in
        numeric items, values off the item's scale, fractional answers, duplicate
        ids, constant items, respondents with no answers, empty or unreadable
        files, bytes that are not UTF-8 or the declared ``encoding``, UTF-16 and
        binary files, column names on a later row than the first), with row
        numbers as seen in the file and respondent ids.

    See Also
    --------
    validate_survey : the same checks on a DataFrame already in memory.

    Notes
    -----
    R: ``read.csv``/``haven::read_sav``/``readxl::read_excel`` followed by
    hand-written checks; there is no single equivalent.

    Examples
    --------
    >>> from sqlib import config
    >>> from sqlib.survey.io import read_survey
    >>> df = read_survey(config.SAMPLE_DATA, config.SAMPLE_CODEBOOK)
    >>> df.attrs["source"]["format"]
    'csv'
    >>> df["tan1"].dtype
    dtype('float64')
    """
    path = Path(path)
    codebook = load_codebook(codebook)
    if not path.is_file():
        raise FileNotFoundError(f"Survey file {path} does not exist (or is a folder); check the path.")
    fmt = _format_of(path, file_format)
    if path.stat().st_size == 0:
        raise SurveyDataError(f"{path.name} is empty (0 bytes): there is nothing to read.", ["the file is empty"])
    table = _read_table(path, fmt, codebook.sheet if sheet is None else sheet, codebook)
    frame, code_counts = _blank_missing_codes(_nfc_columns(table.frame), codebook)
    numeric: dict = {}
    problems = _check(frame, codebook, list(table.row_numbers), numeric)
    if problems:
        raise SurveyDataError(_message(path.name, problems, codebook), problems)
    out = _tidy(frame, codebook, reverse_code, numeric)
    notes = list(table.attrs.pop("notes", []))
    if code_counts:
        notes.append(_codes_note(codebook, code_counts))
    notes += _case_variant_notes(out, codebook)
    notes += _empty_label_notes(out, codebook, list(table.row_numbers))
    if codebook.wave_column and codebook.wave_order is None:
        notes += [n for n in [order_wave_labels(out[codebook.wave_column], None, codebook.wave_column)[1]] if n]
    if (codebook.sheet is not None or sheet is not None) and table.format != "xlsx":
        notes.append(f"the sheet {codebook.sheet if sheet is None else sheet!r} (codebook sheet: or sheet=) was not "
                     f"used: {SUPPORTED_FORMATS[table.format]} files have no sheets")
    if codebook.header_row and table.format in ("sav", "parquet"):
        notes.append(f"the codebook's header_row: {codebook.header_row} was not used: "
                     f"{SUPPORTED_FORMATS[table.format]} files keep column names apart from the data")
    out.attrs.update({k: v for k, v in table.attrs.items() if k not in ("delimiter", "encoding")})
    out.attrs["source"] = {"path": str(path.resolve()), "sha256": file_sha256(path),
                           "format": table.format, "n_rows": len(out)}
    for key in ("sheet", "delimiter", "encoding"):
        if key in table.attrs:
            out.attrs["source"][key] = table.attrs[key]
    if codebook.header_row:
        out.attrs["source"]["header_row"] = codebook.header_row
    out.attrs["notes"] = notes
    out.attrs["missing_codes"] = code_counts
    return out


def _case_variant_notes(out: pd.DataFrame, codebook: Codebook) -> list[str]:
    """Group/wave labels that differ only in letter case ('DE' and 'de') are kept apart, with a note."""
    notes = []
    for role, col in (("group", codebook.group_column), ("wave", codebook.wave_column)):
        if not col or col not in out.columns:
            continue
        variants: dict[str, set] = {}
        for label in out[col].dropna().unique():
            variants.setdefault(str(label).casefold(), set()).add(label)
        clashes = [sorted(v) for v in variants.values() if len(v) > 1]
        if clashes:
            shown = "; ".join(" and ".join(repr(x) for x in v) for v in clashes[:_LIST_LIMIT])
            notes.append(f"{role} column {col!r}: labels {shown} differ only in letter case and are kept as "
                         "different groups; if they are the same, make them identical in the file")
    return notes


def _empty_label_notes(out: pd.DataFrame, codebook: Codebook, row_numbers: list) -> list[str]:
    """Respondents with an empty group or wave cell: later comparisons by group or wave leave them out."""
    notes = []
    for role, col in (("group", codebook.group_column), ("wave", codebook.wave_column)):
        if not col or col not in out.columns:
            continue
        empty = np.flatnonzero(out[col].isna().to_numpy())
        if empty.size:
            who = "1 respondent has" if empty.size == 1 else f"{empty.size} respondents have"
            notes.append(f"{role} column {col!r}: {who} an empty cell ({_where(empty, row_numbers, None, 10)}); "
                         f"comparisons by {role} leave them out; fill in their {role} to keep them")
    return notes


def _tidy(frame: pd.DataFrame, codebook: Codebook, reverse_code: bool, numeric: dict) -> pd.DataFrame:
    items = set(codebook.all_items)
    labels = set(codebook.label_columns)
    order = codebook.columns + [c for c in frame.columns if c not in codebook.columns]
    columns = {}
    for col in order:
        if col in items:
            values = numeric[col]
            if reverse_code and col in codebook.reverse:
                low, high = codebook.scale_of(col)
                values = high + low - values
            columns[col] = pd.Series(values, name=col)
        elif col in labels:
            columns[col] = _label_column(frame[col].reset_index(drop=True))
        else:
            columns[col] = _tidy_other_column(frame[col].reset_index(drop=True))
    return pd.DataFrame(columns)


def load_sample(reverse_code: bool = True) -> pd.DataFrame:
    """The bundled SERVQUAL sample survey (900 respondents), checked and tidy.

    Returns
    -------
    pandas.DataFrame
        As :func:`read_survey` returns it, read with the bundled codebook.

    Examples
    --------
    >>> from sqlib.survey.io import load_sample
    >>> df = load_sample()
    >>> len(df)
    900
    """
    return read_survey(config.SAMPLE_DATA, config.SAMPLE_CODEBOOK, reverse_code=reverse_code)
