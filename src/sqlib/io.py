"""Reading survey files and checking them against a codebook.

:func:`read_survey` opens CSV, TSV, Excel, SPSS, Parquet and Qualtrics CSV
exports, checks every answer against the codebook and reports *all* problems at
once in a single :class:`~sqlib.errors.SurveyDataError`, with the file's own row
numbers and the respondent ids, so a researcher can fix the file in one pass.
The input file is only ever opened for reading.

Row numbers in messages are the ones a person sees when opening the file:

* CSV / TSV / Qualtrics: the line on which the respondent's record starts
  (the header is line 1, so the first respondent is row 2; in a Qualtrics
  export the first respondent is row 4);
* Excel: the row number of the worksheet;
* SPSS and Parquet: the case number (first respondent = 1);
* an in-memory DataFrame passed to :func:`validate_survey`: its index labels.
"""

from __future__ import annotations

import csv
import difflib
import hashlib
import io as _stdio
import math
import numbers
from pathlib import Path
from typing import Iterable, Sequence

import numpy as np
import pandas as pd

from . import config
from .codebook import Codebook, load_codebook
from .errors import SurveyDataError

#: Canonical format name -> what a researcher would call it (for messages).
SUPPORTED_FORMATS = {
    "csv": "CSV (.csv)",
    "tsv": "tab-separated text (.tsv, .tab)",
    "qualtrics": "Qualtrics CSV export (.csv, detected automatically)",
    "xlsx": "Excel workbook (.xlsx, .xlsm)",
    "sav": "SPSS data file (.sav, .zsav)",
    "parquet": "Parquet (.parquet, .pq)",
}

_SUFFIXES = {
    ".csv": "csv", ".tsv": "tsv", ".tab": "tsv", ".xlsx": "xlsx", ".xlsm": "xlsx",
    ".sav": "sav", ".zsav": "sav", ".parquet": "parquet", ".pq": "parquet",
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


# --------------------------------------------------------------------- helpers
def file_sha256(path: str | Path) -> str:
    """SHA-256 checksum (hex) of a file, read in chunks; the file is not changed.

    Examples
    --------
    >>> from sqlib import config
    >>> from sqlib.io import file_sha256
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
    """A value as the researcher typed it: 3 not 3.0, text in quotes."""
    if isinstance(value, str):
        return repr(value)
    if isinstance(value, numbers.Real) and not isinstance(value, bool):
        value = float(value)
        return str(int(value)) if value.is_integer() else f"{value:g}"
    return repr(value)


def _where(positions: Sequence[int], row_numbers: Sequence, ids: Sequence | None) -> str:
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
    return f"{noun} {_and_more(parts)}"


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
    """Id/group/wave and extra columns: numbers when every answer is a number.

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
    >>> from sqlib.codebook import Codebook, Construct
    >>> from sqlib.io import validate_survey
    >>> cb = Codebook("demo", [Construct("quality", ["q1", "q2", "q3"])], 1, 5)
    >>> df = pd.DataFrame({"q1": [1, 2, 9], "q2": [3, 3, 4], "q3": [5, 4, 2]})
    >>> validate_survey(df, cb)  # doctest: +ELLIPSIS
    ["column 'q1': 1 answer outside the 1-5 scale (9) in row 2; ..."]
    """
    codebook = load_codebook(codebook)
    if row_numbers is None:
        row_numbers = list(data.index)
    return _check(data, codebook, list(row_numbers), {})


def _check(data: pd.DataFrame, codebook: Codebook, row_numbers: list, numeric: dict) -> list[str]:
    """The checks of :func:`validate_survey`; fills ``numeric`` with each item as floats."""
    if len(data) == 0:
        return ["there are no respondents: the data have column names but no rows"]

    problems = _column_problems(data, codebook)
    ids = _id_values(data, codebook)
    problems += _id_problems(data, codebook, row_numbers, ids)
    present = [c for c in codebook.all_items if list(data.columns).count(c) == 1]
    answered = np.zeros(len(data), dtype=bool)
    for item in present:
        values, bad = _to_numbers(data[item])
        numeric[item] = values
        answered |= ~np.isnan(values) | bad
        problems += _item_problems(item, data[item], values, bad, codebook, row_numbers, ids)
    if present:
        problems += _empty_respondent_problems(answered, len(present), row_numbers, ids)
    return problems


def _column_problems(data: pd.DataFrame, codebook: Codebook) -> list[str]:
    columns = [str(c) for c in data.columns]
    duplicated = sorted({c for c in columns if columns.count(c) > 1})
    problems = [f"column {c!r} appears more than once in the header; rename or drop the copies" for c in duplicated]
    missing = [c for c in codebook.columns if c not in columns]
    if not missing:
        return problems
    extra = [c for c in columns if c not in codebook.columns]
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
    try:
        return f"an item of {codebook.construct_of(column)!r}"
    except Exception:  # noqa: BLE001 - only for wording
        return "an item"


def _id_values(data: pd.DataFrame, codebook: Codebook) -> list | None:
    col = codebook.id_column
    if not col or list(data.columns).count(col) != 1:
        return None
    return [v.strip() if isinstance(v, str) else v for v in data[col].astype(object).tolist()]


def _id_problems(data, codebook, row_numbers, ids) -> list[str]:
    if ids is None:
        return []
    problems = []
    blank = [i for i, v in enumerate(ids) if pd.isna(v) or (isinstance(v, str) and v == "")]
    if blank:
        problems.append(f"the respondent id {codebook.id_column!r} is empty in "
                        f"{_where(blank, row_numbers, None)}; every respondent needs an id")
    positions: dict = {}
    for i, v in enumerate(ids):
        if i in blank:
            continue
        key = _show(v).strip("'")
        positions.setdefault(key, []).append(i)
    dupes = [(k, p) for k, p in positions.items() if len(p) > 1]
    for key, pos in dupes[:_LIST_LIMIT]:
        problems.append(f"respondent id {key} appears {len(pos)} times ({_where(pos, row_numbers, None)}); "
                        "ids must be unique — remove the repeated respondent or fix the id")
    if len(dupes) > _LIST_LIMIT:
        problems.append(f"{len(dupes) - _LIST_LIMIT} more respondent ids appear more than once")
    return problems


def _item_problems(item, raw, values, bad, codebook, row_numbers, ids) -> list[str]:
    lo, hi = codebook.scale_min, codebook.scale_max
    scale = f"{lo}-{hi}"
    problems = []
    if bad.any():
        pos = np.flatnonzero(bad)
        raw_list = raw.astype(object).tolist()
        shown = _and_more([_show(raw_list[i]) for i in _distinct_positions(pos, raw_list)])
        problems.append(f"column {item!r}: {len(pos)} answer{'s are' if len(pos) > 1 else ' is'} not a number "
                        f"({shown}) in {_where(pos, row_numbers, ids)}; recode to numbers {scale} "
                        "or leave the cell empty for a missing answer")
    observed = ~np.isnan(values)
    outside = observed & ((values < lo) | (values > hi))
    if outside.any():
        pos = np.flatnonzero(outside)
        vals = _distinct(values[pos].tolist())
        hint = ("; these look like missing-value codes — leave such cells empty"
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
    hint = " Old .xls workbooks: save them as .xlsx first." if suffix == ".xls" else ""
    raise SurveyDataError(
        f"Cannot tell the format of {path.name} from its extension {suffix or '(none)'}. "
        f"Supported formats: {_supported()}. Pass file_format='csv' (or another) if the "
        f"extension is unusual.{hint}", [f"unknown file extension {suffix or '(none)'}"])


def _decode(raw: bytes, path: Path) -> str:
    if b"\x00" in raw[:4096]:
        raise SurveyDataError(f"{path.name} looks like a binary file, not text, so it cannot be read as "
                              f"CSV/TSV. Supported formats: {_supported()}.", ["binary content in a text file"])
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    return raw.decode("latin-1")


def _read_text(path: Path, fmt: str) -> _Table:
    text = _decode(path.read_bytes(), path)
    if fmt == "tsv":
        delimiter = "\t"
    else:
        first = text.split("\n", 1)[0]
        delimiter = ";" if first.count(";") > first.count(",") else ","
    reader = csv.reader(_stdio.StringIO(text, newline=""), delimiter=delimiter)
    records, starts, line = [], [], 1
    for record in reader:
        if any(cell.strip() for cell in record):
            records.append(record)
            starts.append(line)
        line = reader.line_num + 1
    if not records:
        raise SurveyDataError(f"{path.name} is empty: it has no header and no respondents.",
                              ["the file is empty"])
    header, body, body_starts = records[0], records[1:], starts[1:]
    is_qualtrics = len(body) >= 2 and any(c.strip().startswith('{"ImportId"') for c in body[1])
    if fmt == "qualtrics" and not is_qualtrics:
        raise SurveyDataError(f"{path.name} does not look like a Qualtrics export: its third record has no "
                              '{"ImportId": ...} cells. Read it with file_format="csv".',
                              ["not a Qualtrics export"])
    if is_qualtrics:
        fmt, body, body_starts = "qualtrics", body[2:], body_starts[2:]
    problems = []
    too_long = [i for i, r in enumerate(body) if len(r) > len(header)]
    if too_long:
        problems.append(f"{_where(too_long, body_starts, None)}: more cells than the header has "
                        f"columns ({len(header)}); check for stray separators ({delimiter!r}) inside answers")
        raise SurveyDataError(_message(path.name, problems), problems)
    body = [r + [""] * (len(header) - len(r)) for r in body]
    frame = pd.DataFrame(body, columns=[h.strip() for h in header], dtype=object)
    return _Table(frame, body_starts, fmt)


def _read_excel(path: Path, sheet) -> _Table:
    import openpyxl

    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # noqa: BLE001 - openpyxl raises many kinds
        raise SurveyDataError(f"{path.name} could not be opened as an Excel workbook ({exc}). "
                              f"Supported formats: {_supported()}.", ["unreadable Excel file"]) from exc
    try:
        names = book.sheetnames
        if sheet is None:
            name = names[0]
        elif isinstance(sheet, int):
            if not 0 <= sheet < len(names):
                raise SurveyDataError(f"{path.name} has {len(names)} sheet(s); sheet={sheet} does not exist "
                                      f"(sheets: {', '.join(names)}).", [f"no sheet {sheet}"])
            name = names[sheet]
        elif sheet in names:
            name = sheet
        else:
            raise SurveyDataError(f"{path.name} has no sheet {sheet!r}; its sheets are "
                                  f"{', '.join(map(repr, names))}.", [f"no sheet {sheet!r}"])
        rows = [(i, list(r)) for i, r in enumerate(book[name].iter_rows(values_only=True), start=1)
                if any(v is not None and str(v).strip() != "" for v in r)]
    finally:
        book.close()
    if not rows:
        raise SurveyDataError(f"Sheet {name!r} of {path.name} is empty: no header and no respondents.",
                              ["the sheet is empty"])
    header = ["" if h is None else str(h).strip() for h in rows[0][1]]
    width = max(len(r) for _, r in rows)
    header += [""] * (width - len(header))
    body = [r + [None] * (width - len(r)) for _, r in rows[1:]]
    keep = [j for j, h in enumerate(header) if h != "" or any(r[j] is not None for r in body)]
    frame = pd.DataFrame([[r[j] for j in keep] for r in body], columns=[header[j] for j in keep], dtype=object)
    return _Table(frame, [i for i, _ in rows[1:]], "xlsx", {"sheet": name})


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


def _read_table(path: Path, fmt: str, sheet) -> _Table:
    if fmt in ("csv", "tsv", "qualtrics"):
        return _read_text(path, fmt)
    if fmt == "xlsx":
        return _read_excel(path, sheet)
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
        Excel sheet name or 0-based position (default: the first sheet).
    file_format : str, optional
        Force a format (``"csv"``, ``"tsv"``, ``"qualtrics"``, ``"xlsx"``, ``"sav"``,
        ``"parquet"``) when the extension does not tell.
    reverse_code : bool, default True
        Turn the codebook's ``reverse`` items around (``scale_max + scale_min - x``)
        in the returned frame.

    Returns
    -------
    pandas.DataFrame
        Codebook columns first, in codebook order (id, group, wave, items,
        expectation items), then any other columns of the file. Items are float64
        with NaN for a missing answer; id/group/wave keep their values (whole
        numbers as integers). ``df.attrs["source"]`` holds ``path``, ``sha256``,
        ``format`` and ``n_rows``; SPSS files add ``df.attrs["value_labels"]``
        and ``df.attrs["variable_labels"]``.

    Raises
    ------
    SurveyDataError
        Listing every problem at once (missing columns with suggestions, text in
        numeric items, values off the scale, fractional answers, duplicate ids,
        constant items, respondents with no answers, empty or unreadable files),
        with row numbers as seen in the file and respondent ids.

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
    >>> from sqlib.io import read_survey
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
    table = _read_table(path, fmt, sheet)
    numeric: dict = {}
    problems = _check(table.frame, codebook, list(table.row_numbers), numeric)
    if problems:
        raise SurveyDataError(_message(path.name, problems, codebook), problems)
    out = _tidy(table.frame, codebook, reverse_code, numeric)
    out.attrs.update(table.attrs)
    out.attrs["source"] = {"path": str(path.resolve()), "sha256": file_sha256(path),
                           "format": table.format, "n_rows": len(out)}
    if "sheet" in table.attrs:
        out.attrs["source"]["sheet"] = table.attrs["sheet"]
    return out


def _tidy(frame: pd.DataFrame, codebook: Codebook, reverse_code: bool, numeric: dict) -> pd.DataFrame:
    items = set(codebook.all_items)
    order = codebook.columns + [c for c in frame.columns if c not in codebook.columns]
    columns = {}
    for col in order:
        if col in items:
            values = numeric[col]
            if reverse_code and col in codebook.reverse:
                values = codebook.scale_max + codebook.scale_min - values
            columns[col] = pd.Series(values, name=col)
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
    >>> from sqlib.io import load_sample
    >>> df = load_sample()
    >>> len(df)
    900
    """
    return read_survey(config.SAMPLE_DATA, config.SAMPLE_CODEBOOK, reverse_code=reverse_code)
