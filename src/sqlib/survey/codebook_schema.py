"""The codebook schema: every key and value type of a codebook YAML, checked with pydantic.

:func:`check_codebook_spec` turns the dict read from a codebook file into a
validated, normalised dict, or raises :class:`~sqlib.core.errors.CodebookError`
listing every problem with its key path (``constructs.tangibles.scale``), what
is wrong and the right form. Unknown keys get a did-you-mean. A pydantic
traceback never reaches the user.
"""

from __future__ import annotations

import codecs
import difflib
import math
import unicodedata
from typing import Annotated, Any, Literal, Union

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, model_validator
from pydantic_core import PydanticCustomError

from sqlib.core.errors import CodebookError
from sqlib.core.naming import is_model_name, suggest_model_name

CONSTRUCT_KINDS = ("dimension", "outcome", "mediator", "other")
DELIMITERS = {",": "comma", ";": "semicolon", "\t": "tab"}

SCALE_FORM = "scale: {min: 1, max: 5}"
CONSTRUCT_FORM = "{items: [q1, q2, q3], kind: dimension}"


def nfc(text: str) -> str:
    """Unicode NFC form of a name (macOS often saves names decomposed, NFD).

    Examples
    --------
    >>> nfc("qualite\\u0301") == "qualit\\u00e9"
    True
    """
    return unicodedata.normalize("NFC", text)


# ------------------------------------------------------------ value checkers
def _number(value: Any) -> Any:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise PydanticCustomError("not_a_number", "must be a number, not {given}", {"given": _given(value)})
    if not math.isfinite(value):
        raise PydanticCustomError("not_finite", "must be a finite number, not {given}", {"given": _given(value)})
    return value


def _name(value: Any) -> str:
    if isinstance(value, bool) or value is None or not isinstance(value, (str, int, float)):
        raise PydanticCustomError("not_a_name", "must be a column or construct name (text), not {given}",
                                  {"given": _given(value)})
    if not isinstance(value, str):
        raise PydanticCustomError(
            "name_is_number", "is the number {given}; YAML reads unquoted digits as numbers "
            "(01 becomes 1), so write the name in quotes, e.g. '{given}'", {"given": _given(value)})
    if not value.strip():
        raise PydanticCustomError("empty_name", "is empty; give the column or construct name", {})
    return nfc(value)


def _text(value: Any) -> str:
    if not isinstance(value, str):
        raise PydanticCustomError("not_text", "must be text, not {given}", {"given": _given(value)})
    return nfc(value)


def _encoding(value: Any) -> str:
    value = _text(value)
    try:
        codecs.lookup(value)
    except LookupError:
        raise PydanticCustomError("unknown_encoding", "{given} is not a known text encoding; use e.g. "
                                  "utf-8, latin-1, cp1252 or mac-roman", {"given": _given(value)}) from None
    return value


def _delimiter(value: Any) -> str:
    words = {"comma": ",", "semicolon": ";", "tab": "\t", "\\t": "\t"}
    if isinstance(value, str) and value in words:
        return words[value]
    if not isinstance(value, str) or value not in DELIMITERS:
        raise PydanticCustomError("bad_delimiter", "must be one of \",\", \";\" or \"\\t\" (tab), written in "
                                  "double quotes, not {given}", {"given": _given(value)})
    return value


def _header_row(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise PydanticCustomError("bad_header_row", "must be a whole number 1 or more (the spreadsheet row "
                                  "that holds the column names), not {given}", {"given": _given(value)})
    return value


def _sheet(value: Any) -> Any:
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    if isinstance(value, str) and value.strip():
        return nfc(value)
    raise PydanticCustomError("bad_sheet", "must be the Excel sheet's name (text) or its 0-based position "
                              "(0 = the first sheet), e.g. sheet: responses; not {given}", {"given": _given(value)})


def _wave_label(value: Any) -> str:
    """A wave label as text: 2 -> '2', 2.0 -> '2', ' W1 ' -> 'W1'."""
    if isinstance(value, str) and value.strip():
        return nfc(value.strip())
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if isinstance(value, float) and math.isfinite(value):
        return _num(value)
    raise PydanticCustomError("bad_wave_label", "must list the wave labels as they appear in the wave column, "
                              "e.g. wave_order: [W1, W2, W10]; {given} is not a label", {"given": _given(value)})


def _wave_order(value: Any) -> Any:
    if not isinstance(value, list):
        raise PydanticCustomError("wave_order_form", "must be a list of the wave labels in time order, e.g. "
                                  "wave_order: [W1, W2, W10]; you gave {given}", {"given": _given(value)})
    labels = [_wave_label(v) for v in value]
    twice = sorted({v for v in labels if labels.count(v) > 1})
    if twice:
        raise PydanticCustomError("wave_order_repeat", "lists {names} more than once; give each wave label once",
                                  {"names": ", ".join(map(repr, twice))})
    return labels


def _given(value: Any) -> str:
    if value is None:
        return "nothing (an empty value)"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return repr(value)


Number = Annotated[float, BeforeValidator(_number)]
Name = Annotated[str, BeforeValidator(_name)]
Text = Annotated[str, BeforeValidator(_text)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class ScaleSpec(_Strict):
    """``scale: {min: 1, max: 5}``."""

    min: Number
    max: Number

    @model_validator(mode="after")
    def _ordered(self):
        if self.min >= self.max:
            raise PydanticCustomError("scale_order", "min ({lo}) must be below max ({hi}), e.g. " + SCALE_FORM,
                                      {"lo": _num(self.min), "hi": _num(self.max)})
        return self


def _scale(value: Any) -> Any:
    if value is None or isinstance(value, (str, int, float, list)):
        raise PydanticCustomError("scale_form", "must be a mapping with the two end points as numbers, "
                                  "written " + SCALE_FORM + "; you gave {given}", {"given": _given(value)})
    return value


Scale = Annotated[ScaleSpec, BeforeValidator(_scale)]


def _missing_codes(value: Any) -> Any:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        raise PydanticCustomError("codes_form", "must be a list of numbers, e.g. missing_codes: [{given}]",
                                  {"given": _num(value)})
    return value


class ConstructSpec(_Strict):
    """One construct: ``{items: [...], kind: dimension, scale: {min: 0, max: 100}, missing_codes: [999]}``."""

    items: list[Name] = Field(min_length=1)
    kind: Literal[CONSTRUCT_KINDS] = "dimension"  # type: ignore[valid-type]
    scale: Scale | None = None
    missing_codes: Annotated[list[Number], BeforeValidator(_missing_codes)] | None = None


def _construct(value: Any) -> Any:
    if isinstance(value, list):  # short form: construct: [items]
        return {"items": value}
    if not isinstance(value, dict):
        raise PydanticCustomError("construct_form", "has no items: give a mapping such as " + CONSTRUCT_FORM +
                                  " (or the short form [q1, q2, q3]); you gave {given}", {"given": _given(value)})
    return value


Construct = Annotated[ConstructSpec, BeforeValidator(_construct)]


def _constructs(value: Any) -> Any:
    if isinstance(value, list):
        raise PydanticCustomError(
            "constructs_form", "must map each construct name to its items, not be a list; write e.g. "
            "constructs: {tangibles: " + CONSTRUCT_FORM + ", satisfaction: {items: [sat1], kind: outcome}}", {})
    if not isinstance(value, dict):
        raise PydanticCustomError("constructs_form", "must map each construct name to its items, e.g. "
                                  "constructs: {tangibles: " + CONSTRUCT_FORM + "}; you gave {given}",
                                  {"given": _given(value)})
    if not value:
        raise PydanticCustomError("constructs_empty", "lists no constructs; add at least one, e.g. "
                                  "constructs: {tangibles: " + CONSTRUCT_FORM + "}", {})
    return value


class CodebookSpec(_Strict):
    """Every key a codebook YAML may have."""

    name: Text = "survey"
    scale: Scale | None = None
    id: Name | None = None
    group: Name | None = None
    wave: Name | None = None
    constructs: Annotated[dict[Name, Construct], BeforeValidator(_constructs)]
    expectations: dict[Name, Name] = Field(default_factory=dict)
    reverse: list[Name] = Field(default_factory=list)
    labels: dict[Name, Text] = Field(default_factory=dict)
    importance: dict[Name, Union[Number, Name]] = Field(default_factory=dict)
    missing_codes: Annotated[list[Number], BeforeValidator(_missing_codes)] = Field(default_factory=list)
    encoding: Annotated[str, BeforeValidator(_encoding)] | None = None
    header_row: Annotated[int, BeforeValidator(_header_row)] | None = None
    delimiter: Annotated[str, BeforeValidator(_delimiter)] | None = None
    sheet: Annotated[Union[int, str], BeforeValidator(_sheet)] | None = None
    wave_order: Annotated[list[str], BeforeValidator(_wave_order)] | None = None

    @model_validator(mode="after")
    def _scale_given(self):
        unscaled = [n for n, c in self.constructs.items() if c.scale is None]
        if self.scale is None and unscaled:
            raise PydanticCustomError(
                "scale_missing", "the codebook gives no answer scale: add " + SCALE_FORM + " at the top level "
                "(or a scale to each construct); constructs without their own scale: {names}",
                {"names": ", ".join(unscaled)})
        return self


#: Allowed keys at each level, for the did-you-mean of an unknown key.
_KEYS = {
    "top": list(CodebookSpec.model_fields),
    "construct": list(ConstructSpec.model_fields),
    "scale": list(ScaleSpec.model_fields),
}


# ------------------------------------------------------------ error messages
def _num(value: float) -> str:
    value = float(value)
    return str(int(value)) if value.is_integer() else f"{value:g}"


def _path(loc: tuple) -> str:
    """('constructs', 'a', 'items', 1) -> 'constructs.a.items (entry 2)'; validator names are dropped."""
    names = [str(p) for p in loc if not isinstance(p, int) and "[" not in str(p)]
    entries = [p for p in loc if isinstance(p, int)]
    text = ".".join(names) if names else "(top level)"
    return text + (f" (entry {entries[-1] + 1})" if entries else "")


def _level(loc: tuple) -> str:
    """Which mapping an unknown key sits in: 'top', 'construct' or 'scale'."""
    clean = [p for p in loc if not isinstance(p, int) and "[" not in str(p)]
    if len(clean) >= 3 and clean[0] == "constructs" and clean[2] == "scale":
        return "scale"
    if len(clean) >= 2 and clean[0] == "constructs":
        return "construct"
    if clean and clean[0] == "scale":
        return "scale"
    return "top"


def _unknown_key(loc: tuple) -> str:
    key = str(loc[-1])
    allowed = _KEYS[_level(loc[:-1])]
    guess = difflib.get_close_matches(key, allowed, n=1, cutoff=0.6) or \
        difflib.get_close_matches(key.lower(), allowed, n=1, cutoff=0.6)
    hint = f"did you mean {guess[0]!r}?" if guess else "the keys allowed here are " + ", ".join(allowed)
    return f"unknown key {key!r}: {hint} (rename or remove it)"


def _line(error: dict) -> str:
    loc, kind = tuple(error["loc"]), error["type"]
    if kind == "extra_forbidden":
        return f"{_path(loc)}: {_unknown_key(loc)}"
    if kind == "scale_missing":
        return f"scale: {error['msg']}"
    if kind == "missing":
        if loc == ("constructs",):
            return ("constructs: missing; a codebook needs a 'constructs' section mapping each construct "
                    "to its items, e.g. constructs: {tangibles: " + CONSTRUCT_FORM + "}")
        return f"{_path(loc)}: missing; add it"
    if kind == "literal_error":
        given = error.get("input")
        guess = difflib.get_close_matches(str(given), CONSTRUCT_KINDS, n=1, cutoff=0.5)
        hint = f" (did you mean {guess[0]!r}?)" if guess else ""
        return f"{_path(loc)}: {given!r} is not a construct kind; use one of {', '.join(CONSTRUCT_KINDS)}{hint}"
    if kind == "too_short":
        return f"{_path(loc)}: lists no items; a construct needs at least one item column, e.g. items: [q1, q2]"
    if kind in ("list_type", "dict_type"):
        want = "a list, e.g. [q1, q2]" if kind == "list_type" else "a mapping, e.g. {q1: e_q1}"
        return f"{_path(loc)}: must be {want}, not {_given(error.get('input'))}"
    if kind in ("model_type", "model_attributes_type"):
        return f"{_path(loc)}: must be a mapping of keys to values, not {_given(error.get('input'))}"
    return f"{_path(loc)}: {error['msg']}"


def check_codebook_spec(spec: Any, source: str | None = None) -> CodebookSpec:
    """Validate the dict read from a codebook YAML against the schema.

    Parameters
    ----------
    spec : Any
        What ``yaml.safe_load`` gave for the file.
    source : str, optional
        The file name, used in messages.

    Returns
    -------
    CodebookSpec
        The validated codebook, names in Unicode NFC form.

    Raises
    ------
    CodebookError
        Listing every problem as ``key.path: what is wrong and the right form``.

    Examples
    --------
    >>> from sqlib.survey.codebook_schema import check_codebook_spec
    >>> spec = check_codebook_spec({"scale": {"min": 1, "max": 5}, "constructs": {"q": ["q1", "q2"]}})
    >>> spec.constructs["q"].items
    ['q1', 'q2']
    """
    where = f"Codebook {source}" if source else "The codebook"
    if not isinstance(spec, dict):
        raise CodebookError(f"{where} must be a mapping of keys (name, scale, constructs, ...) to values, "
                            f"but it holds {_given(spec) if spec is not None else 'nothing'}. Start from e.g.\n"
                            f"  name: My survey\n  {SCALE_FORM}\n  constructs:\n    tangibles: {CONSTRUCT_FORM}")
    spec = {str(k) if not isinstance(k, str) else k: v for k, v in spec.items()}
    try:
        checked = CodebookSpec.model_validate(spec)
    except ValidationError as exc:
        lines = list(dict.fromkeys(_line(e) for e in exc.errors()))
        raise CodebookError(codebook_problems_message(where, lines)) from None
    lines = _model_name_problems(checked)
    if lines:
        raise CodebookError(codebook_problems_message(where, lines))
    return checked


def _model_name_problems(checked: "CodebookSpec") -> list[str]:
    """Construct names and item columns that model syntax cannot hold (a hyphen, a space...)."""
    rule = "model names hold letters, digits, '_' and '.' and start with a letter"
    lines = []
    for name, construct in checked.constructs.items():
        if not is_model_name(name):
            lines.append(f"constructs.{name}: {name!r} cannot name a construct in a model ({rule}); "
                         f"use e.g. {suggest_model_name(name)!r}")
        for item in construct.items:
            if not is_model_name(item):
                lines.append(f"constructs.{name}.items: column {item!r} cannot stand in a model ({rule}); "
                             f"rename it in the survey export, e.g. to {suggest_model_name(item)!r}")
    return lines


def codebook_problems_message(where: str, lines: list[str]) -> str:
    """'Codebook x.yaml has 2 problems:\\n  - ...' with a closing line on how to go on."""
    count = f"{len(lines)} problem{'s' if len(lines) > 1 else ''}"
    bullets = "\n".join(f"  - {line}" for line in lines)
    return f"{where} has {count}:\n{bullets}\nFix these in the codebook and load it again."
