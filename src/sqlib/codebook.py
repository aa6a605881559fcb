"""Codebooks: which survey columns measure which construct.

A codebook is the bridge between a user's survey file (any column names) and the
models sqlib fits. It is stored as YAML::

    name: My hotel survey
    scale: {min: 1, max: 7}
    id: respondent_id          # optional
    group: country             # optional
    wave: wave                 # optional
    constructs:
      tangibles: {items: [q1, q2, q3, q4], kind: dimension}
      satisfaction: {items: [sat1, sat2, sat3], kind: outcome}
    expectations:              # optional: perception column -> expectation column
      q1: e1
    reverse: [q3]              # optional: items scored reverse (max + min - x)
    labels:                    # optional: column -> wording shown in plots
      q1: Modern-looking equipment

The SERVQUAL instrument's own codebook is :func:`Codebook.servqual`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import yaml

from .errors import CodebookError

CONSTRUCT_KINDS = ("dimension", "outcome", "other")


@dataclass
class Construct:
    """One latent construct and the columns that measure it."""

    name: str
    items: list[str]
    kind: str = "dimension"


@dataclass
class Codebook:
    """Describes a survey: constructs and their item columns, scale, special columns.

    Parameters
    ----------
    name : str
        A short title used in reports.
    constructs : list of Construct
        In the order they should appear in tables and models.
    scale_min, scale_max : int
        The answer scale (e.g. 1 and 7 for a 7-point Likert scale).
    id_column, group_column, wave_column : str or None
        Respondent id, group (segment/country) and survey-wave columns.
    expectations : dict
        Maps a perception item column to its expectation item column (SERVQUAL gaps).
    reverse : list of str
        Item columns (perception or expectation) that are reverse-coded in the file.
    labels : dict
        Column -> item wording, for plots and tables.

    Examples
    --------
    >>> from sqlib import Codebook
    >>> cb = Codebook.servqual()
    >>> cb.construct_names[:2]
    ['tangibles', 'reliability']
    >>> cb.items_of("tangibles")
    ['tan1', 'tan2', 'tan3', 'tan4']
    """

    name: str
    constructs: list[Construct]
    scale_min: int = 1
    scale_max: int = 7
    id_column: str | None = None
    group_column: str | None = None
    wave_column: str | None = None
    expectations: dict[str, str] = field(default_factory=dict)
    reverse: list[str] = field(default_factory=list)
    labels: dict[str, str] = field(default_factory=dict)

    def __post_init__(self):
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
    def columns(self) -> list[str]:
        """Every column the codebook expects in the data file."""
        return self.special_columns + self.all_items

    def construct_of(self, column: str) -> str:
        """Name of the construct a (perception or expectation) column belongs to."""
        inverse = {e: p for p, e in self.expectations.items()}
        column = inverse.get(column, column)
        for c in self.constructs:
            if column in c.items:
                return c.name
        raise CodebookError(f"Column {column!r} is not an item of any construct in the codebook.")

    def label(self, column: str) -> str:
        return self.labels.get(column, column)

    # --------------------------------------------------------------- validation
    def _check(self) -> None:
        problems = []
        if not self.constructs:
            problems.append("it lists no constructs")
        if self.scale_min >= self.scale_max:
            problems.append(f"scale min ({self.scale_min}) must be below scale max ({self.scale_max})")
        seen: dict[str, str] = {}
        for c in self.constructs:
            if c.kind not in CONSTRUCT_KINDS:
                problems.append(
                    f"construct {c.name!r} has kind {c.kind!r}; use one of {', '.join(CONSTRUCT_KINDS)}"
                )
            if not c.items:
                problems.append(f"construct {c.name!r} has no items")
            for item in c.items:
                if item in seen:
                    problems.append(f"column {item!r} is listed under both {seen[item]!r} and {c.name!r}")
                seen[item] = c.name
        if len(set(self.construct_names)) != len(self.constructs):
            problems.append("two constructs share a name")
        for p, e in self.expectations.items():
            if p not in seen:
                problems.append(f"expectation {e!r} mirrors {p!r}, which is not a construct item")
        for r in self.reverse:
            if r not in seen and r not in self.expectations.values():
                problems.append(f"reverse-coded column {r!r} is not an item of the codebook")
        if problems:
            raise CodebookError("The codebook is inconsistent: " + "; ".join(problems) + ".")

    # ---------------------------------------------------------------- YAML I/O
    def to_dict(self) -> dict:
        out: dict = {"name": self.name, "scale": {"min": self.scale_min, "max": self.scale_max}}
        for key, value in (("id", self.id_column), ("group", self.group_column), ("wave", self.wave_column)):
            if value:
                out[key] = value
        out["constructs"] = {c.name: {"items": list(c.items), "kind": c.kind} for c in self.constructs}
        if self.expectations:
            out["expectations"] = dict(self.expectations)
        if self.reverse:
            out["reverse"] = list(self.reverse)
        if self.labels:
            out["labels"] = dict(self.labels)
        return out

    @classmethod
    def from_dict(cls, spec: dict) -> "Codebook":
        if not isinstance(spec, dict) or "constructs" not in spec:
            raise CodebookError("A codebook needs a 'constructs' section mapping construct names to items.")
        constructs = []
        for name, body in spec["constructs"].items():
            if isinstance(body, list):  # short form: construct: [items]
                body = {"items": body}
            constructs.append(Construct(str(name), [str(i) for i in body.get("items", [])], body.get("kind", "dimension")))
        scale = spec.get("scale", {}) or {}
        return cls(
            name=str(spec.get("name", "survey")),
            constructs=constructs,
            scale_min=int(scale.get("min", 1)),
            scale_max=int(scale.get("max", 7)),
            id_column=spec.get("id"),
            group_column=spec.get("group"),
            wave_column=spec.get("wave"),
            expectations={str(k): str(v) for k, v in (spec.get("expectations") or {}).items()},
            reverse=[str(r) for r in spec.get("reverse") or []],
            labels={str(k): str(v) for k, v in (spec.get("labels") or {}).items()},
        )

    @classmethod
    def from_yaml(cls, path: str | Path) -> "Codebook":
        path = Path(path)
        if not path.exists():
            raise CodebookError(f"Codebook file {path} does not exist.")
        try:
            spec = yaml.safe_load(path.read_text(encoding="utf-8"))
        except yaml.YAMLError as exc:
            raise CodebookError(f"Codebook file {path} is not valid YAML: {exc}") from exc
        return cls.from_dict(spec)

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


def load_codebook(codebook: "Codebook | str | Path | dict | None") -> Codebook:
    """Accept a Codebook, a YAML path, a dict or None (the SERVQUAL default)."""
    if codebook is None:
        return Codebook.servqual()
    if isinstance(codebook, Codebook):
        return codebook
    if isinstance(codebook, dict):
        return Codebook.from_dict(codebook)
    return Codebook.from_yaml(codebook)
