"""The schema of a report parameters file, checked with pydantic.

A parameters file (see ``notebooks/params/default.yaml``) describes one report
run: which data and codebook, the seed, the notebooks and their parameters, and
the structural model. :func:`check_params` validates its content and returns a
:class:`ReportParams`; every problem is reported at once, each naming the file,
the key and the fix (with a did-you-mean for misspelt keys, notebook names and
notebook parameters).

Notebook parameters are checked against the notebook itself: each notebook's
cell tagged ``parameters`` declares its parameters as annotated assignments
(``estimator: str = "ML"``), read with :mod:`ast` by :func:`notebook_parameters`.
"""

from __future__ import annotations

import ast
import difflib
import json
import os
import unicodedata
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, StrictInt, StrictStr, ValidationError, field_validator

from sqlib.core import config
from sqlib.core.errors import ReportError

#: Parameters the runner itself passes to every notebook (not settable via ``parameters``).
RESERVED_PARAMETERS = ("data_path", "codebook_path", "output_dir", "seed", "language", "structural_model")

#: Python types a notebook's parameter annotation (or default value) may name.
_TYPES = {"str": (str,), "int": (int,), "float": (int, float), "bool": (bool,),
          "list": (list,), "dict": (dict,)}

#: Values a notebook parameter may take, by parameter name (compared case-insensitively).
ALLOWED_VALUES = {
    "estimator": ("auto", "ML", "MLR", "WLSMV"),
    "missing": ("listwise", "fiml"),
}

#: Narrower sets for one notebook: WLSMV needs ordinal items, which only 02_measurement_model declares.
NOTEBOOK_ALLOWED_VALUES = {
    (notebook, "estimator"): ("auto", "ML", "MLR")
    for notebook in ("03_structural_model", "04_measurement_invariance", "05_gaps_and_priorities",
                     "06_wave_tracking")
}

#: Notebooks in the notebooks folder that are not report sections (the interactive "start here" notebook).
NOT_REPORT_SECTIONS = ("00_explore",)

#: An example value per key, shown in messages as the fix.
_EXAMPLES = {
    "run_name": "run_name: spring2027",
    "data": "data: survey.csv",
    "codebook": "codebook: codebook.yaml",
    "seed": "seed: 20270401",
    "language": "language: en",
    "notebooks": "notebooks: [01_data_screening, 02_measurement_model]",
    "parameters": "parameters: {estimator: MLR}",
    "notebook_parameters": "notebook_parameters: {02_measurement_model: {estimator: MLR}}",
    "structural_model": 'structural_model: "satisfaction ~ tangibles + empathy"',
}


class ReportParams(BaseModel):
    """The content of a parameters file (types only; see :func:`check_params`)."""

    model_config = ConfigDict(extra="forbid")

    run_name: StrictStr = "report"
    data: StrictStr
    codebook: StrictStr
    seed: StrictInt = config.SAMPLE_SEED
    language: StrictStr = "en"
    notebooks: list[StrictStr] = Field(default_factory=lambda: ["01_data_screening"])
    parameters: dict[StrictStr, Any] = Field(default_factory=dict)
    notebook_parameters: dict[StrictStr, dict[StrictStr, Any]] = Field(default_factory=dict)
    structural_model: StrictStr = ""

    @field_validator("data", "codebook", mode="before")
    @classmethod
    def _path_is_text(cls, value):
        return os.fspath(value) if isinstance(value, os.PathLike) else value

    @field_validator("notebooks", mode="before")
    @classmethod
    def _one_name_is_a_list(cls, value):
        return [value] if isinstance(value, str) else value

    @field_validator("notebook_parameters", mode="before")
    @classmethod
    def _empty_entry_is_no_parameters(cls, value):
        if isinstance(value, dict):
            return {k: ({} if v is None else v) for k, v in value.items()}
        return value


KEYS = tuple(ReportParams.model_fields)


# ------------------------------------------------------------------ helpers
def nfc(text: str) -> str:
    """``text`` in Unicode normal form C (macOS saves names decomposed, NFD).

    Examples
    --------
    >>> from sqlib.report.params import nfc
    >>> nfc("qualite\u0301") == "qualit\u00e9"
    True
    """
    return unicodedata.normalize("NFC", text)


def did_you_mean(name: str, choices) -> str:
    """`` (did you mean 'x'?)`` for the closest of ``choices``, or an empty string.

    Examples
    --------
    >>> from sqlib.report.params import did_you_mean
    >>> did_you_mean("estimater", ["estimator", "missing"])
    " (did you mean 'estimator'?)"
    """
    close = difflib.get_close_matches(str(name), [str(c) for c in choices], n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _normalise_names(raw: dict) -> dict:
    """NFC-normalise keys, notebook names and parameter names (values are left alone)."""
    def keys(mapping):  # YAML may give numbers as keys (1: x); a name is text
        return {nfc(str(k)): v for k, v in mapping.items()}

    out = keys(raw)
    if isinstance(out.get("notebooks"), list):
        out["notebooks"] = [nfc(n) if isinstance(n, str) else n for n in out["notebooks"]]
    elif isinstance(out.get("notebooks"), str):
        out["notebooks"] = nfc(out["notebooks"])
    if isinstance(out.get("parameters"), dict):
        out["parameters"] = keys(out["parameters"])
    if isinstance(out.get("notebook_parameters"), dict):
        out["notebook_parameters"] = {nfc(str(k)): (keys(v) if isinstance(v, dict) else v)
                                      for k, v in out["notebook_parameters"].items()}
    if isinstance(out.get("structural_model"), str):
        out["structural_model"] = nfc(out["structural_model"])
    return out


def _shown(value) -> str:
    text = json.dumps(value, default=str, ensure_ascii=False) if not isinstance(value, str) else repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _type_word(value) -> str:
    return {bool: "true/false", int: "a whole number", float: "a decimal number", str: "text",
            list: "a list", dict: "a mapping"}.get(type(value), type(value).__name__)


# ------------------------------------------------------------------ pydantic errors
def _explain(error: dict) -> str:
    """One message line for one pydantic error: key, problem, fix."""
    loc = [str(part) for part in error["loc"]]
    key = ".".join(loc) if loc else "(top level)"
    top = loc[0] if loc else ""
    kind, given = error["type"], error.get("input")
    example = _EXAMPLES.get(top, "")
    if kind == "extra_forbidden":
        hint = did_you_mean(top, KEYS) or f" (allowed keys: {', '.join(KEYS)})"
        return f"unknown key {top!r}{hint}; correct or remove it"
    if kind == "missing":
        return f"key {key!r} is missing; add it, e.g. '{example}'"
    if top in ("data", "codebook") and given is None:
        return f"key {key!r} is empty; give the {top} file, e.g. '{example}'"
    if top == "seed":
        return (f"key 'seed' must be a whole number, got {_shown(given)}; seeds are never rounded or "
                f"converted: write e.g. '{example}'")
    if top == "notebooks":
        if len(loc) == 1:
            return (f"key 'notebooks' must be a list of notebook names, got {_shown(given)}; "
                    f"write e.g. '{example}'")
        return (f"key {key!r} must be a notebook name (text), got {_shown(given)}; "
                f"write e.g. '{example}'")
    if kind == "dict_type":
        return (f"key {key!r} must be a mapping 'name: value', got {_shown(given)} ({_type_word(given)}); "
                f"write e.g. '{example}'")
    if kind == "string_type":
        if len(loc) >= 2 and top in ("parameters", "notebook_parameters") and loc[-1] == "[key]":
            return f"a name under {top!r} is {_shown(given)}, not text; put the name in quotes"
        return f"key {key!r} must be text, got {_shown(given)} ({_type_word(given)}); put it in quotes, e.g. '{example}'"
    return f"key {key!r}: {error['msg']} (got {_shown(given)}); e.g. '{example}'"


def _raise_all(where: str, problems: list[str]) -> None:
    if not problems:
        return
    if len(problems) == 1:
        raise ReportError(f"In {where}: {problems[0]}.")
    lines = "\n".join(f"  - {p}" for p in problems)
    raise ReportError(f"In {where}, {len(problems)} problems:\n{lines}")


# ------------------------------------------------------------------ notebooks
def available_notebooks(notebooks_dir: str | Path) -> list[str]:
    """Names (without ``.ipynb``) of the report notebooks in ``notebooks_dir`` (not :data:`NOT_REPORT_SECTIONS`)."""
    return sorted(nfc(p.stem) for p in Path(notebooks_dir).glob("*.ipynb") if nfc(p.stem) not in NOT_REPORT_SECTIONS)


def notebook_parameters(path: str | Path) -> dict[str, str | None]:
    """The parameters a notebook declares in its cell tagged ``parameters``.

    Parameters
    ----------
    path : str or Path
        A ``.ipynb`` file.

    Returns
    -------
    dict
        Parameter name -> type name (``"str"``, ``"int"``, ``"float"``, ``"bool"``,
        ``"list"``, ``"dict"``), from the annotation of ``name: type = value`` or,
        without one, from the type of the default value; None when neither tells.
        Empty when the notebook has no parameters cell.

    Examples
    --------
    Papermill's own ``papermill.inspect_notebook`` is the closest equivalent.

    >>> from sqlib import config
    >>> from sqlib.report.params import notebook_parameters
    >>> notebook_parameters(config.NOTEBOOKS_DIR / "02_measurement_model.ipynb")["estimator"]
    'str'
    """
    import nbformat

    cells = nbformat.read(str(path), as_version=4).cells
    sources = [c.source for c in cells if c.cell_type == "code" and "parameters" in c.metadata.get("tags", [])]
    found: dict[str, str | None] = {}
    for source in sources:
        try:
            tree = ast.parse(source)
        except SyntaxError:
            continue
        for node in tree.body:
            if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
                found[nfc(node.target.id)] = _annotation_type(node.annotation, node.value)
            elif isinstance(node, ast.Assign):
                for target in node.targets:
                    if isinstance(target, ast.Name):
                        found[nfc(target.id)] = _annotation_type(None, node.value)
    return found


def _annotation_type(annotation, value) -> str | None:
    if annotation is not None:
        base = annotation.value if isinstance(annotation, ast.Subscript) else annotation
        if isinstance(base, ast.Name) and base.id in _TYPES:
            return base.id
        return None
    try:
        default = ast.literal_eval(value) if value is not None else None
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return None
    return type(default).__name__ if type(default).__name__ in _TYPES else None


def compatible(value, type_name: str | None) -> bool:
    """Whether ``value`` (from YAML) fits a parameter declared with ``type_name``.

    Whole numbers fit ``float``; true/false fit only ``bool``; None (undeclared) fits anything.

    Examples
    --------
    >>> from sqlib.report.params import compatible
    >>> compatible(3, "float"), compatible(True, "int"), compatible("10", "int")
    (True, False, False)
    """
    if type_name is None:
        return True
    if isinstance(value, bool) and type_name != "bool":
        return False
    return isinstance(value, _TYPES[type_name])


def _notebook_name_problems(names: list[str], key: str, available: list[str], folder: Path) -> list[str]:
    problems = []
    for name in names:
        if "/" in name or "\\" in name or name in ("", ".", ".."):
            problems.append(f"key {key!r}: {name!r} is not a notebook name; give the bare name without a folder "
                            f"(notebooks are looked up in {folder}), e.g. '01_data_screening'")
        elif name in NOT_REPORT_SECTIONS:
            problems.append(f"key {key!r}: {name!r} is the interactive start-here notebook, not a report section; "
                            f"remove it (report notebooks: {', '.join(available)})")
        elif name not in available:
            problems.append(f"key {key!r}: notebook {name!r} is not in {folder}{did_you_mean(name, available)}; "
                            f"available: {', '.join(available) or 'none'}")
    return problems


def _parameter_problems(notebook: str, given: dict, declared: dict, key: str) -> list[str]:
    problems = []
    for name, value in given.items():
        if name in RESERVED_PARAMETERS:
            problems.append(f"key '{key}.{name}' is set by the runner; use the top-level keys data, codebook, "
                            "seed, language and structural_model instead")
        elif name not in declared:
            hint = did_you_mean(name, declared) or f" (its parameters: {', '.join(declared) or 'none'})"
            problems.append(f"key '{key}.{name}': notebook {notebook!r} has no parameter {name!r}{hint}; "
                            "correct or remove it")
        elif not compatible(value, declared[name]):
            problems.append(f"key '{key}.{name}' must be {declared[name]} as declared in notebook {notebook!r}, "
                            f"got {_shown(value)} ({_type_word(value)}); write a value of type {declared[name]}")
        else:
            problems += _value_problems(notebook, name, value, f"{key}.{name}")
    return problems


def allowed_values(notebook: str, name: str) -> tuple[str, ...] | None:
    """The values parameter ``name`` of ``notebook`` may take (None: any value of its type).

    Examples
    --------
    >>> from sqlib.report.params import allowed_values
    >>> allowed_values("02_measurement_model", "estimator")
    ('auto', 'ML', 'MLR', 'WLSMV')
    >>> allowed_values("03_structural_model", "estimator")
    ('auto', 'ML', 'MLR')
    """
    return NOTEBOOK_ALLOWED_VALUES.get((notebook, name), ALLOWED_VALUES.get(name))


def _value_problems(notebook: str, name: str, value, key: str) -> list[str]:
    allowed = allowed_values(notebook, name)
    if allowed is None or str(value).lower() in {a.lower() for a in allowed}:
        return []
    where = f" in notebook {notebook!r}" if notebook else ""
    hint = did_you_mean(str(value), allowed) or did_you_mean(str(value).upper(), allowed)
    elsewhere = ""
    if str(value).lower() in {a.lower() for a in ALLOWED_VALUES.get(name, ())}:
        elsewhere = (f" ({_shown(value)} is accepted by 02_measurement_model only: set it under "
                     "'notebook_parameters.02_measurement_model' instead)")
    return [f"key {key!r}: {_shown(value)} is not a value of {name!r}{where}{hint}; "
            f"use one of {', '.join(allowed)}{elsewhere}"]


def _combination_problems(notebook: str, values: dict, key: str) -> list[str]:
    """Full-information ML (missing: fiml) is fitted with estimator ML or MLR (and 'auto', which picks one of them)."""
    missing, estimator = str(values.get("missing", "")).lower(), str(values.get("estimator", "auto")).upper()
    if missing == "fiml" and estimator == "WLSMV":
        return [f"key '{key}': notebook {notebook!r} has missing: fiml with estimator: WLSMV; full-information ML "
                "is not available for ordered items: use estimator: MLR (or ML) with missing: fiml, or WLSMV with "
                f"missing: listwise, under {key!r}"]
    return []


def _language_problems(language: str) -> list[str]:
    from sqlib.survey.instrument import LANGUAGES

    if language in LANGUAGES:
        return []
    return [f"key 'language': {language!r} is not a language of the SERVQUAL item wordings"
            f"{did_you_mean(language.lower(), LANGUAGES)}; use one of {', '.join(LANGUAGES)} "
            "(en English, nl Dutch, fr French, no Norwegian). It sets the wording of the SERVQUAL items in "
            "the gap table; the report text is in English"]


# ------------------------------------------------------------------ entry point
def check_params(raw: Any, where: str, notebooks_dir: str | Path | None = None,
                 run_notebooks: list[str] | None = None) -> ReportParams:
    """Validate the content of a parameters file and return it as :class:`ReportParams`.

    Parameters
    ----------
    raw : Any
        The parsed YAML (a dict when well-formed).
    where : str
        How to name the file in messages, e.g. ``"parameters file surveys/p.yaml"``.
    notebooks_dir : str or Path, optional
        Folder of the notebooks (default ``config.NOTEBOOKS_DIR``).
    run_notebooks : list of str, optional
        Notebooks that will actually run (``--notebooks``), checked like the file's list.

    Returns
    -------
    ReportParams
        With notebook names without ``.ipynb`` and every name NFC-normalised.

    Raises
    ------
    ReportError
        Listing every problem: unknown keys (did you mean), wrong types (seed not a
        whole number, notebooks not a list, parameters not a mapping), notebooks that do
        not exist or hold a folder, ``notebook_parameters`` for notebooks outside the run,
        parameters a notebook does not declare or of an incompatible type.

    Examples
    --------
    >>> from sqlib.report.params import check_params
    >>> check_params({"data": "d.csv", "codebook": "c.yaml", "seed": 1.9}, "p.yaml")
    Traceback (most recent call last):
    ...
    sqlib.core.errors.ReportError: In p.yaml: key 'seed' must be a whole number, got 1.9; ...
    """
    if not isinstance(raw, dict):
        raise ReportError(f"{where} must hold 'key: value' lines at the top level (e.g. 'data: survey.csv'), "
                          f"not {_type_word(raw)}.")
    raw = _normalise_names(raw)
    try:
        params = ReportParams.model_validate(raw)
    except ValidationError as exc:
        _raise_all(where, [_explain(e) for e in exc.errors()])
    if not params.notebooks and not run_notebooks:
        _raise_all(where, ["key 'notebooks' is an empty list, so the report would run nothing; name the "
                           f"notebooks to run, e.g. '{_EXAMPLES['notebooks']}' (or delete the key to run "
                           "01_data_screening only)"])
    if run_notebooks and "notebooks" not in raw:
        params.notebooks = []  # the default list does not apply: --notebooks says what runs
    params.notebooks = [n.removesuffix(".ipynb") for n in params.notebooks]
    params.notebook_parameters = {k.removesuffix(".ipynb"): v for k, v in params.notebook_parameters.items()}
    _raise_all(where, _content_problems(params, Path(notebooks_dir or config.NOTEBOOKS_DIR).resolve(),
                                        [n.removesuffix(".ipynb") for n in run_notebooks or []]))
    return params


def _content_problems(params: ReportParams, folder: Path, run_notebooks: list[str]) -> list[str]:
    available = available_notebooks(folder)
    problems = _language_problems(params.language)
    problems += _notebook_name_problems(params.notebooks, "notebooks", available, folder)
    problems += _notebook_name_problems(run_notebooks, "--notebooks", available, folder)
    if problems:
        return problems
    listed = params.notebooks + [n for n in run_notebooks if n not in params.notebooks]
    declared = {name: notebook_parameters(folder / f"{name}.ipynb") for name in listed}
    for name, values in params.notebook_parameters.items():
        key = f"notebook_parameters.{name}"
        if name not in listed:
            hint = did_you_mean(name, listed) or did_you_mean(name, available)
            problems.append(f"key {key!r}: {name!r} is not a notebook of this run{hint}; the run's notebooks are "
                            f"{', '.join(listed)} (add it to 'notebooks' or correct the name)")
            continue
        problems += _parameter_problems(name, values, declared[name], key)
    for name, value in params.parameters.items():
        owners = {nb: d for nb, d in declared.items() if name in d}
        if name not in RESERVED_PARAMETERS and not owners:
            every = sorted({p for d in declared.values() for p in d})
            problems.append(f"key 'parameters.{name}': no notebook of this run has a parameter {name!r}"
                            f"{did_you_mean(name, every)}; correct or remove it")
            continue
        if name in RESERVED_PARAMETERS:
            problems += _parameter_problems("", {name: value}, {}, "parameters")
            continue
        for notebook, names in owners.items():
            problems += _parameter_problems(notebook, {name: value}, names, "parameters")
    if not problems:
        for name in listed:
            values = {**{k: v for k, v in params.parameters.items() if k in declared[name]},
                      **params.notebook_parameters.get(name, {})}
            where = f"notebook_parameters.{name}" if name in params.notebook_parameters else "parameters"
            problems += _combination_problems(name, values, where)
    return problems


__all__ = ["ReportParams", "check_params", "notebook_parameters", "available_notebooks", "compatible",
           "did_you_mean", "nfc", "allowed_values", "RESERVED_PARAMETERS", "NOT_REPORT_SECTIONS", "KEYS",
           "ALLOWED_VALUES", "NOTEBOOK_ALLOWED_VALUES"]
