"""Codebooks: which survey columns measure which construct.

A codebook is the bridge between a user's survey file (any column names) and the
models sqlib fits. It is stored as YAML::

    name: My hotel survey
    scale: {min: 1, max: 7}    # required unless every construct has its own scale
    id: respondent_id          # optional; read as text ('007' stays '007')
    group: country             # optional; read as text ('NA' is a label)
    wave: wave                 # optional; read as text
    constructs:
      tangibles: {items: [q1, q2, q3, q4], kind: dimension}
      satisfaction: {items: [sat], kind: outcome, scale: {min: 0, max: 100}, missing_codes: [999]}
    expectations:              # optional: perception column -> expectation column
      q1: e1
    reverse: [q3]              # optional: items scored reverse (max + min - x)
    labels:                    # optional: column -> wording shown in plots
      q1: Modern-looking equipment
    importance: {tangibles: imp_tan}  # optional: dimension -> importance-points column or number
    missing_codes: [-99, 99]   # optional: answers that mean "missing"
    encoding: latin-1          # optional: the data file's encoding when it is not UTF-8
    header_row: 3              # optional: 1-based row of the column names (title rows above)
    delimiter: ";"             # optional: "," ";" or "\t"; detected when not given
    sheet: responses           # optional: Excel sheet name or 0-based position (default: the first)
    wave_order: [W1, W2, W10]  # optional: the wave labels in time order

Construct kinds are ``dimension``, ``outcome``, ``mediator`` and ``other``; a
construct may have a single item. Every key and value is checked against a
schema (:mod:`sqlib.codebook_schema`): unknown keys, wrong types and impossible
scales are reported with the key path and the right form.

The SERVQUAL instrument's own codebook is :func:`Codebook.servqual`.
"""

from __future__ import annotations

import codecs
import difflib
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from .codebook_schema import (CONSTRUCT_KINDS, DELIMITERS, check_codebook_spec, codebook_problems_message,
                              nfc)
from sqlib.core.errors import CodebookError


def _plain(value):
    """1.0 -> 1 (whole numbers as int, so scales read '1-5', not '1.0-5.0')."""
    if not _is_number(value):
        return value  # left for _check to report
    value = float(value)
    return int(value) if value.is_integer() else value


def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and value == value


@dataclass
class Construct:
    """One construct and the columns that measure it.

    Parameters
    ----------
    name : str
        Construct name used in models and tables.
    items : list of str
        Its item columns (one item makes a single-item construct).
    kind : str
        ``dimension``, ``outcome``, ``mediator`` or ``other``.
    scale_min, scale_max : float or None
        The construct's own answer scale; None means the codebook's scale.
    missing_codes : list of float or None
        The construct's own missing-value codes (replacing the codebook's for its
        items and their expectation columns); None means the codebook's codes.

    Examples
    --------
    >>> from sqlib.survey.codebook import Construct
    >>> Construct("sat", ["cusa"], "outcome", 0, 100).single_item
    True
    """

    name: str
    items: list[str]
    kind: str = "dimension"
    scale_min: float | None = None
    scale_max: float | None = None
    missing_codes: list[float] | None = None

    @property
    def single_item(self) -> bool:
        """True when one column measures the construct (it enters a SEM as an observed variable)."""
        return len(self.items) == 1

    @property
    def has_own_scale(self) -> bool:
        return self.scale_min is not None or self.scale_max is not None


@dataclass
class Codebook:
    """Describes a survey: constructs and their item columns, scales, special columns.

    Parameters
    ----------
    name : str
        A short title used in reports.
    constructs : list of Construct
        In the order they should appear in tables and models.
    scale_min, scale_max : float or None
        The answer scale of constructs without their own (e.g. 1 and 7). A YAML
        codebook must state it unless every construct has its own scale (then both are None).
    id_column, group_column, wave_column : str or None
        Respondent id, group (segment/country) and survey-wave columns, read as text.
    expectations : dict
        Maps a perception item column to its expectation item column (SERVQUAL gaps).
    reverse : list of str
        Item columns (perception or expectation) that are reverse-coded in the file.
    labels : dict
        Column -> item wording, for plots and tables.
    missing_codes : list of float
        Answers that mean "missing" (e.g. -99); in every column but the id they
        become missing before any check.
    encoding : str or None
        Encoding of the data file when it is not UTF-8 (e.g. ``latin-1``).
    header_row : int or None
        1-based row holding the column names when title rows sit above it.
    delimiter : str or None
        ``","``, ``";"`` or ``"\t"``; None lets :func:`sqlib.io.read_survey` detect it.
    importance : dict
        Dimension -> importance-points column (or a fixed number of points).
    sheet : str, int or None
        Excel sheet to read (name or 0-based position); None reads the first sheet.
    wave_order : list of str or None
        The wave labels in time order; None orders them by their number (``W1, W2,
        W10``) or, for text labels, by first appearance in the file (with a note).
    source : str or None
        The file the codebook was read from (for messages; not written back).

    Examples
    --------
    >>> from sqlib import Codebook
    >>> cb = Codebook.servqual()
    >>> cb.construct_names[:2]
    ['tangibles', 'reliability']
    >>> cb.items_of("tangibles")
    ['tan1', 'tan2', 'tan3', 'tan4']
    >>> cb.scale_of("tan1")
    (1.0, 7.0)
    """

    name: str
    constructs: list[Construct]
    scale_min: float | None = 1
    scale_max: float | None = 7
    id_column: str | None = None
    group_column: str | None = None
    wave_column: str | None = None
    expectations: dict[str, str] = field(default_factory=dict)
    reverse: list[str] = field(default_factory=list)
    labels: dict[str, str] = field(default_factory=dict)
    missing_codes: list[float] = field(default_factory=list)
    encoding: str | None = None
    header_row: int | None = None
    delimiter: str | None = None
    importance: dict[str, "str | float"] = field(default_factory=dict)
    sheet: "str | int | None" = None
    wave_order: list[str] | None = None
    source: str | None = field(default=None, compare=False, repr=False)

    def __post_init__(self):
        self._normalise()
        self._check()

    # ------------------------------------------------------------------ queries
    @property
    def construct_names(self) -> list[str]:
        return [c.name for c in self.constructs]

    @property
    def dimensions(self) -> list[str]:
        """Constructs of kind ``dimension`` (the service-quality dimensions)."""
        return [c.name for c in self.constructs if c.kind == "dimension"]

    @property
    def outcomes(self) -> list[str]:
        """Constructs of kind ``outcome`` (satisfaction, loyalty...)."""
        return [c.name for c in self.constructs if c.kind == "outcome"]

    @property
    def mediators(self) -> list[str]:
        """Constructs of kind ``mediator``."""
        return [c.name for c in self.constructs if c.kind == "mediator"]

    @property
    def single_item_constructs(self) -> list[str]:
        """Constructs measured by one item."""
        return [c.name for c in self.constructs if c.single_item]

    def construct(self, name: str) -> Construct:
        for c in self.constructs:
            if c.name == name:
                return c
        raise CodebookError(
            f"The codebook has no construct {name!r}; it has {', '.join(self.construct_names)}."
        )

    def items_of(self, name: str) -> list[str]:
        return list(self.construct(name).items)

    @property
    def items(self) -> list[str]:
        """All perception/outcome item columns, in construct order."""
        return [i for c in self.constructs for i in c.items]

    @property
    def expectation_items(self) -> list[str]:
        return [self.expectations[i] for i in self.items if i in self.expectations]

    @property
    def all_items(self) -> list[str]:
        """Every answer column: construct items then expectation items."""
        return self.items + self.expectation_items

    @property
    def special_columns(self) -> list[str]:
        return [c for c in (self.id_column, self.group_column, self.wave_column) if c]

    @property
    def label_columns(self) -> list[str]:
        """Id, group and wave columns: read as text labels, never as numbers."""
        return self.special_columns

    @property
    def importance_columns(self) -> list[str]:
        """Columns holding importance points (values of ``importance`` that are names)."""
        return [v for v in self.importance.values() if isinstance(v, str)]

    @property
    def columns(self) -> list[str]:
        """Every column the codebook expects in the data file."""
        extra = [c for c in self.importance_columns if c not in self.special_columns + self.all_items]
        return self.special_columns + self.all_items + list(dict.fromkeys(extra))

    def construct_of(self, column: str) -> str:
        """Name of the construct a (perception or expectation) column belongs to."""
        inverse = {e: p for p, e in self.expectations.items()}
        column = inverse.get(column, column)
        for c in self.constructs:
            if column in c.items:
                return c.name
        raise CodebookError(f"Column {column!r} is not an item of any construct in the codebook.")

    def scale_of(self, column: str) -> tuple[float, float]:
        """Answer scale ``(min, max)`` of an item column (its construct's, else the codebook's).

        Expectation columns take the scale of their perception item.

        Examples
        --------
        >>> from sqlib.survey.codebook import Codebook, Construct
        >>> cb = Codebook("s", [Construct("q", ["q1", "q2"]), Construct("sat", ["cusa"], "outcome", 0, 100)], 1, 5)
        >>> cb.scale_of("q1"), cb.scale_of("cusa")
        ((1.0, 5.0), (0.0, 100.0))
        """
        construct = self.construct(self.construct_of(column))
        low = construct.scale_min if construct.scale_min is not None else self.scale_min
        high = construct.scale_max if construct.scale_max is not None else self.scale_max
        if low is None or high is None:
            raise CodebookError(f"Column {column!r} (construct {construct.name!r}) has no answer scale: give the "
                                "codebook a scale: {min: 1, max: 5} or the construct its own scale.")
        return float(low), float(high)

    def missing_codes_of(self, column: str) -> list[float]:
        """Missing-value codes of a column: its construct's own ``missing_codes``, else the codebook's.

        Examples
        --------
        >>> from sqlib.survey.codebook import Codebook, Construct
        >>> cb = Codebook("s", [Construct("q", ["q1", "q2"]), Construct("sat", ["cusa"], "outcome", 0, 100,
        ...               missing_codes=[999])], 1, 5, missing_codes=[-99, 99])
        >>> cb.missing_codes_of("q1"), cb.missing_codes_of("cusa"), cb.missing_codes_of("country")
        ([-99, 99], [999], [-99, 99])
        """
        try:
            construct = self.construct(self.construct_of(column))
        except CodebookError:
            return list(self.missing_codes)
        own = construct.missing_codes
        return list(self.missing_codes if own is None else own)

    def label(self, column: str) -> str:
        """The column's wording (or its name), marked "(reverse-scored)" when the codebook reverses it.

        Reverse-coded answers are turned around when read, so a negatively worded
        statement shows high values for good service: the mark says so wherever the
        wording is shown.
        """
        text = self.labels.get(column, column)
        return f"{text} (reverse-scored)" if column in self.reverse else text

    # --------------------------------------------------------------- validation
    def _normalise(self) -> None:
        """Unicode NFC for every name; whole-number scales and codes as int."""
        def norm(value):
            return nfc(value) if isinstance(value, str) else value

        self.constructs = [Construct(norm(c.name), [norm(i) for i in c.items], c.kind,
                                     _plain(c.scale_min), _plain(c.scale_max),
                                     None if c.missing_codes is None else [_plain(v) for v in c.missing_codes])
                           for c in self.constructs]
        self.scale_min, self.scale_max = _plain(self.scale_min), _plain(self.scale_max)
        self.id_column, self.group_column, self.wave_column = (
            norm(self.id_column), norm(self.group_column), norm(self.wave_column))
        self.expectations = {norm(k): norm(v) for k, v in self.expectations.items()}
        self.reverse = [norm(r) for r in self.reverse]
        self.labels = {norm(k): v for k, v in self.labels.items()}
        self.importance = {norm(k): (norm(v) if isinstance(v, str) else _plain(v))
                           for k, v in self.importance.items()}
        if isinstance(self.missing_codes, (list, tuple)):
            self.missing_codes = [_plain(v) for v in self.missing_codes]
        self.sheet = norm(self.sheet)
        if self.wave_order is not None:
            self.wave_order = [norm(str(_plain(v))) for v in self.wave_order]

    def _check(self) -> None:
        problems = []
        if not self.constructs:
            problems.append("it lists no constructs")
        problems += self._scale_problems()
        seen: dict[str, str] = {}
        shared: dict[tuple, list] = {}
        for c in self.constructs:
            if c.kind not in CONSTRUCT_KINDS:
                problems.append(
                    f"construct {c.name!r} has kind {c.kind!r}; use one of {', '.join(CONSTRUCT_KINDS)}"
                )
            if not c.items:
                problems.append(f"construct {c.name!r} has no items")
            for item in c.items:
                if seen.get(item) == c.name:
                    problems.append(f"constructs.{c.name}.items: column {item!r} is listed twice under {c.name!r}; "
                                    "remove the repeat")
                elif item in seen:
                    shared.setdefault((seen[item], c.name), []).append(item)
                seen[item] = c.name
        for (first, second), items in shared.items():
            columns = f"column {items[0]!r} is" if len(items) == 1 else f"columns {_and(items)} are"
            problems.append(f"{columns} listed under both {first!r} and {second!r}; an item measures one "
                            f"construct, so remove {'it' if len(items) == 1 else 'them'} from one of the two")
        if len(set(self.construct_names)) != len(self.constructs):
            problems.append("two constructs share a name")
        problems += self._column_role_problems(seen)
        problems += self._reading_option_problems()
        if not problems:
            problems += self._missing_code_problems()
        if problems:
            where = f"Codebook {self.source}" if self.source else "The codebook"
            raise CodebookError(codebook_problems_message(where + " is inconsistent and", problems))

    def _scale_problems(self) -> list[str]:
        ends = [("scale", self.scale_min), ("scale", self.scale_max)]
        ends += [(f"constructs.{c.name}.scale", v) for c in self.constructs for v in (c.scale_min, c.scale_max)]
        wrong = [f"{key}: {value!r} is not a number" for key, value in ends
                 if value is not None and not _is_number(value)]
        if wrong:
            return wrong
        problems = []
        has_top = self.scale_min is not None and self.scale_max is not None
        if has_top and self.scale_min >= self.scale_max:
            problems.append(f"scale: min ({self.scale_min}) must be below max ({self.scale_max}), "
                            "e.g. scale: {min: 1, max: 5}")
        for c in self.constructs:
            if c.has_own_scale and (c.scale_min is None or c.scale_max is None):
                problems.append(f"constructs.{c.name}.scale: give both min and max")
            elif c.has_own_scale and c.scale_min >= c.scale_max:
                problems.append(f"constructs.{c.name}.scale: min ({c.scale_min}) must be below max "
                                f"({c.scale_max})")
            elif not c.has_own_scale and not has_top:
                problems.append(f"constructs.{c.name}: no answer scale; add scale: {{min: 1, max: 5}} at the "
                                "top level or to the construct")
        return problems

    def _column_role_problems(self, seen: dict[str, str]) -> list[str]:
        problems = self._expectation_problems(seen)
        known = list(seen) + list(self.expectations.values())
        for r in self.reverse:
            if r not in known:
                problems.append(f"reverse: reverse-coded column {r!r} is not an item of the codebook"
                                + _suggest(r, known))
        for column in self.labels:
            if column in known + self.special_columns:
                continue
            owner, typo = self._expectation_typo(column)
            if owner is not None:
                problems.append(f"expectations.{owner}: the expectation column {typo!r} differs from "
                                f"{column!r}, which labels: describes; if the column is {column!r}, write "
                                f"expectations: {{{owner}: {column}}} (else rename labels.{column})")
            else:
                problems.append(f"labels.{column}: {column!r} is not a column of the codebook"
                                + _suggest(column, known))
        for c in self.constructs:
            owner = seen.get(c.name)
            if owner is not None and owner != c.name:
                problems.append(f"constructs.{c.name}: the construct has the name of an item of {owner!r}; "
                                "rename the construct")
            if c.name in self.special_columns:
                problems.append(f"constructs.{c.name}: the construct has the name of the id, group or wave column; "
                                "rename the construct")
        roles = [(role, col) for role, col in (("id", self.id_column), ("group", self.group_column),
                                                ("wave", self.wave_column)) if col]
        for k, (role, col) in enumerate(roles):
            for other, same in roles[k + 1:]:
                if col == same:
                    problems.append(f"{role} and {other} both name the column {col!r}; a column has one role")
        for role, col in roles:
            if col in seen:
                problems.append(f"{role}: {col!r} is also an item of construct {seen[col]!r}; a column has one role")

        for dim, value in self.importance.items():
            if dim not in self.dimensions:
                problems.append(f"importance.{dim}: {dim!r} is not a construct of kind dimension "
                                f"(dimensions: {', '.join(self.dimensions) or 'none'})")
            elif isinstance(value, str) and (value in seen or value in self.special_columns):
                problems.append(f"importance.{dim}: {value!r} already has another role in the codebook")
        return problems

    def _expectation_typo(self, label: str) -> tuple[str | None, str | None]:
        """(perception item, its expectation column) when a ``labels`` key looks meant for that column."""
        unlabelled = {e: p for p, e in self.expectations.items() if e not in self.labels}
        close = difflib.get_close_matches(label, list(unlabelled), n=1, cutoff=0.8)
        if close:
            return unlabelled[close[0]], close[0]
        named = [(p, e) for p, e in self.expectations.items() if label.endswith("_" + p)]
        return named[0] if named else (None, None)

    def _expectation_problems(self, seen: dict[str, str]) -> list[str]:
        """Expectation columns that are not free: a construct item, the id/group/wave column, shared."""
        problems = []
        roles = {self.id_column: "id", self.group_column: "group", self.wave_column: "wave"}
        sharing: dict[str, list[str]] = {}
        for p, e in self.expectations.items():
            sharing.setdefault(e, []).append(p)
            example = f" (e.g. 'e_{p}')" if e != f"e_{p}" else ""
            fix = f"set expectations.{p} to the column holding the expectation answers of {p!r}{example}"
            if p not in seen:
                problems.append(f"expectations.{p}: expectation {e!r} mirrors {p!r}, which is not a construct item"
                                + _suggest(p, list(seen)))
            elif e in seen:
                problems.append(f"expectations.{p}: {e!r} is an item of construct {seen[e]!r}, so it cannot also "
                                f"be the expectation column of {p!r}; {fix}, or remove {e!r} from "
                                f"constructs.{seen[e]}.items")
            elif e in roles and e is not None:
                role = roles[e]
                problems.append(f"expectations.{p} and {role}: both name the column {e!r}, and a column has one "
                                f"role: if {e!r} holds the expectation answers of {p!r}, set {role}: to the column "
                                f"of {_ROLE_WORDS[role]}; otherwise {fix}")
        for e, owners in sharing.items():
            if len(owners) > 1:
                keys = " and ".join(f"expectations.{p}" for p in owners)
                both = "both" if len(owners) == 2 else "all"
                problems.append(f"{keys} {both} name {e!r}: each perception item needs its own expectation column; "
                                f"give each of {', '.join(map(repr, owners))} its own (e.g. "
                                f"{', '.join(repr('e_' + p) for p in owners)})")
        return problems

    def _missing_code_problems(self) -> list[str]:
        """Missing-value codes that are also valid answers on some item's scale (99 on a 0-100 slider)."""
        clashes: dict[tuple, list] = {}  # (key, code) -> [(construct, low, high)]
        for c in self.constructs:
            own = c.missing_codes is not None
            codes = c.missing_codes if own else self.missing_codes
            if not c.items or not isinstance(codes, (list, tuple)) or not all(map(_is_number, codes)):
                continue
            low = c.scale_min if c.has_own_scale else self.scale_min
            high = c.scale_max if c.has_own_scale else self.scale_max
            if low is None or high is None:
                continue
            for code in codes:
                if low <= code <= high:
                    key = f"constructs.{c.name}.missing_codes" if own else "missing_codes"
                    clashes.setdefault((key, _plain(code)), []).append((c, low, high))
        problems = []
        for (key, code), hits in clashes.items():
            where = "; ".join(self._scale_owners(hits))
            spared = key == "missing_codes" and len(hits) < len(self.constructs)
            own_codes = " or give the construct its own codes: " + ", ".join(
                f"constructs.{c.name}.missing_codes: [...]" for c, _, _ in hits) if spared else ""
            outside = _outside(min(low for _, low, _ in hits), max(high for _, _, high in hits))
            problems.append(f"{key}: {code} is a valid answer on {where}, so real answers {code} would be erased; "
                            f"use a code outside the scale (e.g. {outside}){own_codes}")
        return problems

    @staticmethod
    def _scale_owners(hits: list) -> list[str]:
        """'the 0-100 scale of 'overall' (construct 'slider')', one per scale; many constructs in one phrase."""
        by_scale: dict[tuple, list] = {}
        for c, low, high in hits:
            by_scale.setdefault((_plain(low), _plain(high)), []).append(c)
        phrases = []
        for (low, high), owners in by_scale.items():
            if len(owners) == 1:
                phrases.append(f"the {low}-{high} scale of {_and(owners[0].items)} (construct {owners[0].name!r})")
            else:
                count = sum(len(c.items) for c in owners)
                phrases.append(f"the {low}-{high} scale of the {count} items of constructs "
                               f"{_and([c.name for c in owners])}")
        return phrases

    def _reading_option_problems(self) -> list[str]:
        problems = []
        if not isinstance(self.missing_codes, (list, tuple)) or not all(map(_is_number, self.missing_codes)):
            problems.append(f"missing_codes: {self.missing_codes!r} must be a list of numbers, e.g. [-99]")
        if self.delimiter is not None and self.delimiter not in DELIMITERS:
            problems.append(f"delimiter: {self.delimiter!r} is not supported; use \",\", \";\" or \"\\t\"")
        if self.header_row is not None and (not isinstance(self.header_row, int) or self.header_row < 1):
            problems.append(f"header_row: {self.header_row!r} must be a whole number 1 or more")
        if self.encoding is not None:
            try:
                codecs.lookup(self.encoding)
            except LookupError:
                problems.append(f"encoding: {self.encoding!r} is not a known encoding (e.g. latin-1, cp1252)")
        return problems

    # ---------------------------------------------------------------- YAML I/O
    def to_dict(self) -> dict:
        out: dict = {"name": self.name}
        if self.scale_min is not None and self.scale_max is not None:
            out["scale"] = {"min": self.scale_min, "max": self.scale_max}
        for key, value in (("id", self.id_column), ("group", self.group_column), ("wave", self.wave_column)):
            if value:
                out[key] = value
        out["constructs"] = {c.name: self._construct_dict(c) for c in self.constructs}
        if self.expectations:
            out["expectations"] = dict(self.expectations)
        if self.reverse:
            out["reverse"] = list(self.reverse)
        if self.labels:
            out["labels"] = dict(self.labels)
        if self.importance:
            out["importance"] = dict(self.importance)
        if self.missing_codes:
            out["missing_codes"] = list(self.missing_codes)
        for key in ("encoding", "header_row", "delimiter", "sheet"):
            if getattr(self, key) is not None:
                out[key] = getattr(self, key)
        if self.wave_order is not None:
            out["wave_order"] = list(self.wave_order)
        return out

    @staticmethod
    def _construct_dict(c: Construct) -> dict:
        body: dict = {"items": list(c.items), "kind": c.kind}
        if c.has_own_scale:
            body["scale"] = {"min": c.scale_min, "max": c.scale_max}
        if c.missing_codes is not None:
            body["missing_codes"] = list(c.missing_codes)
        return body

    @classmethod
    def from_dict(cls, spec: dict, *, source: str | None = None) -> "Codebook":
        """Build a codebook from a dict (as read from YAML), checked against the schema.

        Parameters
        ----------
        spec : dict
            The codebook's keys (see the module docstring).
        source : str, optional
            File name shown in messages.

        Raises
        ------
        CodebookError
            Naming every problem with its key path and the fix.
        """
        checked = check_codebook_spec(spec, source)
        constructs = [Construct(name, list(body.items), body.kind,
                                body.scale.min if body.scale else None, body.scale.max if body.scale else None,
                                None if body.missing_codes is None else list(body.missing_codes))
                      for name, body in checked.constructs.items()]
        return cls(
            name=checked.name,
            constructs=constructs,
            scale_min=checked.scale.min if checked.scale else None,
            scale_max=checked.scale.max if checked.scale else None,
            id_column=checked.id,
            group_column=checked.group,
            wave_column=checked.wave,
            expectations=dict(checked.expectations),
            reverse=list(checked.reverse),
            labels=dict(checked.labels),
            missing_codes=list(checked.missing_codes),
            encoding=checked.encoding,
            header_row=checked.header_row,
            delimiter=checked.delimiter,
            importance=dict(checked.importance),
            sheet=checked.sheet,
            wave_order=None if checked.wave_order is None else list(checked.wave_order),
            source=source,
        )

    @classmethod
    def from_yaml(cls, path: str | Path) -> "Codebook":
        """Read and check a codebook YAML file (UTF-8; duplicate keys are errors)."""
        if isinstance(path, str) and ("\n" in path or "=~" in path or " ~ " in path):
            raise CodebookError("The codebook argument holds model syntax, not a path to a codebook YAML file; "
                                "pass the syntax as model=... (and the codebook path, if any, as codebook=...).")
        path = Path(path)
        if not path.is_file():
            raise CodebookError(f"Codebook file {path} does not exist (or is a folder); check the path.")
        text = _codebook_text(path)
        try:
            spec = yaml.load(text, Loader=_UniqueKeyLoader)  # noqa: S506 - a SafeLoader subclass
        except yaml.YAMLError as exc:
            raise CodebookError(f"Codebook {path} is not valid YAML: {_yaml_problem(exc)}") from None
        return cls.from_dict(spec, source=str(path))

    def to_yaml(self, path: str | Path | None = None) -> str:
        text = yaml.safe_dump(self.to_dict(), sort_keys=False, allow_unicode=True)
        if path is not None:
            Path(path).write_text(text, encoding="utf-8")
        return text

    @classmethod
    def servqual(cls, language: str = "en", expectations: bool = True) -> "Codebook":
        """The SERVQUAL instrument's codebook (22 items, satisfaction, loyalty).

        Column names: ``tan1-4, rel1-5, res1-4, ass1-4, emp1-5`` (perceptions),
        ``e_tan1`` ... (expectations), ``sat1-3``, ``loy1-4``, plus
        ``respondent_id``, ``country`` and ``wave``.
        """
        from .instrument import servqual_codebook

        return servqual_codebook(language=language, expectations=expectations)


_ROLE_WORDS = {"id": "respondent ids", "group": "group labels (segment, country...)", "wave": "wave labels"}


def _and(names: list[str]) -> str:
    quoted = [repr(n) for n in names]
    return quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + " and " + quoted[-1]


def _outside(low: float, high: float) -> str:
    """A missing code outside the scale: -99, or 999 when -99 is on the scale."""
    return "-99" if low > -99 else str(int(10 ** (len(str(int(abs(high)))) + 1) - 1))


def _suggest(name: str, candidates: list[str]) -> str:
    """' (did you mean 'q1'?)' or ''."""
    match = difflib.get_close_matches(name, candidates, n=1, cutoff=0.6)
    return f" (did you mean {match[0]!r}?)" if match else ""


class _UniqueKeyLoader(yaml.SafeLoader):
    """SafeLoader that refuses a key given twice in one mapping (YAML keeps only the last)."""

    def construct_mapping(self, node, deep=False):
        seen = {}
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=True)
            if isinstance(key, (str, int, float, bool)) and key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"the key {key!r} appears twice (lines {seen[key]} and "
                    f"{key_node.start_mark.line + 1}); YAML would silently keep only the last one, so merge "
                    "or rename them", key_node.start_mark)
            if isinstance(key, (str, int, float, bool)):
                seen[key] = key_node.start_mark.line + 1
        return super().construct_mapping(node, deep=deep)


def _yaml_problem(exc: yaml.YAMLError) -> str:
    mark = getattr(exc, "problem_mark", None)
    where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark is not None else ""
    problem = getattr(exc, "problem", None) or str(exc)
    return (f"{where}{problem}. Check the indentation (spaces, not tabs) and that text with ':' or '#' "
            "is quoted.")


def _codebook_text(path: Path) -> str:
    """The file as text: UTF-8 (with or without BOM), else a message naming line and byte."""
    raw = path.read_bytes()
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) or b"\x00" in raw[:200]:
        raise CodebookError(f"Codebook {path} is saved as UTF-16 (or is not a text file); save it as UTF-8 "
                            "(in the editor: Save As > Encoding: UTF-8).")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        start = raw.rfind(b"\n", 0, exc.start) + 1
        column = len(raw[start:exc.start].decode("utf-8", errors="replace")) + 1
        text = raw[start:raw.find(b"\n", exc.start) if b"\n" in raw[exc.start:] else len(raw)]
        raise CodebookError(
            f"Codebook {path} is not UTF-8: byte 0x{raw[exc.start]:02X} at byte offset {exc.start} (line {line}, "
            f"column {column}: {text.decode('utf-8', errors='replace').strip()!r}) cannot be decoded. The file "
            "was probably saved as Latin-1/Windows-1252; save it as UTF-8 (in the editor: Save As > "
            "Encoding: UTF-8). The codebook's own 'encoding:' key is for the data file, not the codebook."
        ) from None


def load_codebook(codebook: "Codebook | str | Path | dict | None") -> Codebook:
    """Accept a Codebook, a YAML path, a dict or None (the SERVQUAL default).

    A path or dict is checked against the codebook schema; every problem is
    reported in one :class:`~sqlib.core.errors.CodebookError` naming the file, the key
    and the fix. ``sqlib validate`` uses this to check a codebook without data.

    Examples
    --------
    >>> from sqlib import config
    >>> from sqlib.survey.codebook import load_codebook
    >>> load_codebook(config.SAMPLE_CODEBOOK).scale_of("tan1")
    (1.0, 7.0)
    """
    if codebook is None:
        return Codebook.servqual()
    if isinstance(codebook, Codebook):
        return codebook
    if isinstance(codebook, dict):
        return Codebook.from_dict(codebook)
    return Codebook.from_yaml(codebook)
