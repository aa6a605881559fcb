"""The study design: what a survey measures and which model the report fits.

A report run is described by two files: the codebook (the instrument: columns,
constructs, scales, missing-value codes) and the parameters file (the study:
seed, notebooks and the structural model as lavaan syntax over construct names).
:func:`study_design` joins them into one :class:`StudyDesign`, which every
notebook reads instead of hard-coding columns, construct names or outcomes.

* The measurement part is generated from the codebook: a construct with several
  items is a latent factor; a construct with one item (a single "overall
  satisfaction" question) enters the SEM as that observed variable.
* The structural part is the params key ``structural_model``. Without it, the
  SERVQUAL chain (dimensions -> first outcome -> next outcome ...) is the default
  when the codebook has that shape (dimensions and outcomes); otherwise there is
  no structural model and the sections that need one are skipped with a reason.

>>> from sqlib.analysis.design import study_design
>>> design = study_design(None)            # the SERVQUAL codebook
>>> design.structural_source
'SERVQUAL default: dimensions -> satisfaction -> loyalty'
>>> design.final_outcomes
['loyalty']
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from functools import cached_property

import pandas as pd

from sqlib.survey.codebook import Codebook, load_codebook
from sqlib.core.errors import CodebookError, ModelSpecificationError
from sqlib.sem.syntax import parse

#: Fewest respondents a group needs, beyond the number of CFA items, to enter invariance tests.
MIN_GROUP_MARGIN = 10

#: Notebooks and the study-design inputs each needs (shown when a notebook is skipped).
SECTION_NEEDS = {
    "02_measurement_model": "at least one construct measured by two or more items",
    "03_structural_model": "a structural model: the params key structural_model, or a codebook with "
                           "dimension and outcome constructs",
    "04_measurement_invariance": "a group column (codebook key group) with at least two groups of enough "
                                 "respondents",
    "05_gaps_and_priorities": "expectation items (codebook key expectations) and a structural model",
    "06_wave_tracking": "a wave column (codebook key wave) with at least two waves",
    "07_power_and_sample_size": "a structural model: the params key structural_model, or a codebook with "
                                "dimension and outcome constructs",
    "08_pls_sem": "a structural model: the params key structural_model, or a codebook with dimension and "
                  "outcome constructs",
}


def default_structural_model(codebook: Codebook) -> tuple[str, str]:
    """The SERVQUAL chain for a codebook of that shape: ``(syntax, description)``.

    Dimensions predict the first outcome (paths ``a1``, ``a2``, ...); each outcome
    predicts the next (``b``, ``b2``, ...); with two or more outcomes the indirect
    effects of the dimensions on the second outcome are defined (``ind_<dimension>``).
    Mediator constructs, when declared, sit between the dimensions and the outcomes.
    Returns ``("", reason)`` when the codebook has no dimensions or no outcomes.
    """
    dims, mediators, outcomes = codebook.dimensions, _of_kind(codebook, "mediator"), codebook.outcomes
    if not dims or not outcomes:
        return "", ("the params file has no structural_model and the codebook has "
                    f"{len(dims)} dimension and {len(outcomes)} outcome construct(s)")
    if mediators:
        lines = [f"{m} ~ " + " + ".join(dims) for m in mediators]
        lines.append(f"{outcomes[0]} ~ " + " + ".join(mediators))
    else:
        lines = [f"{outcomes[0]} ~ " + " + ".join(f"a{i}*{d}" for i, d in enumerate(dims, start=1))]
    for k, (before, after) in enumerate(zip(outcomes, outcomes[1:]), start=1):
        lines.append(f"{after} ~ {'b' if k == 1 else f'b{k}'}*{before}")
    if not mediators and len(outcomes) >= 2:
        lines += [f"ind_{d} := a{i}*b" for i, d in enumerate(dims, start=1)]
    shape = " -> ".join(["dimensions", *(["mediators"] if mediators else []), *outcomes])
    return "\n".join(lines), f"SERVQUAL default: {shape}"


def _of_kind(codebook: Codebook, kind: str) -> list[str]:
    return [c.name for c in codebook.constructs if c.kind == kind]


@dataclass(frozen=True)
class StudyDesign:
    """A codebook plus the structural model of the study.

    Attributes
    ----------
    codebook : Codebook
    structural_model : str
        Structural part over construct names (lavaan syntax), "" when there is none.
    structural_source : str
        Where it came from: ``"parameters file"``, the SERVQUAL default, or why there is none.
    """

    codebook: Codebook
    structural_model: str = ""
    structural_source: str = "none"

    # ------------------------------------------------------------ constructs
    @property
    def constructs(self) -> list[str]:
        return self.codebook.construct_names

    @property
    def multi_item(self) -> list[str]:
        """Constructs measured by two or more items (latent factors)."""
        return [c.name for c in self.codebook.constructs if len(c.items) >= 2]

    @property
    def single_item(self) -> list[str]:
        """Constructs measured by one item (observed variables in the SEM)."""
        return [c.name for c in self.codebook.constructs if len(c.items) == 1]

    def model_data(self, data: pd.DataFrame) -> pd.DataFrame:
        """``data`` plus, for each single-item construct, a column named after the construct.

        A single-item construct is an observed variable in the SEM; giving it the
        construct's name keeps tables, diagrams and text in construct names
        (``satisfaction ~ quality``, not ``cusa ~ quality``). The item column stays.

        Raises
        ------
        CodebookError
            When the data already hold a different column of the construct's name.
        """
        out = data.copy()
        for name in self.single_item:
            item = self.codebook.items_of(name)[0]
            if name == item:
                continue
            if name in data.columns:
                raise CodebookError(
                    f"The single-item construct {name!r} (item {item!r}) has the name of another column of the "
                    f"data; rename the construct in the codebook (e.g. {name + '_construct'!r}).")
            out[name] = data[item]
        return out

    def coverage_problems(self, data: pd.DataFrame) -> list[str]:
        """Items of multi-item constructs that nobody answered in a whole group or wave.

        With listwise deletion (every notebook's default) a respondent without an
        answer to one model item is dropped, so an item left empty by a whole group
        (e.g. a question not asked in one country's version) silently removes that
        group from every model.

        Parameters
        ----------
        data : DataFrame
            The survey as read by :func:`sqlib.read_survey`.

        Returns
        -------
        list of str
            One note per item and column (the codebook's group and wave columns),
            naming the item, the groups or waves and the fix; empty when none.

        Examples
        --------
        In R: ``aggregate(!is.na(rel2) ~ country, data, sum)`` shows a zero for that group.

        >>> import pandas as pd
        >>> from sqlib.analysis.design import study_design
        >>> design = study_design(None)
        >>> data = pd.DataFrame({"country": ["FR", "FR", "NL"], "rel2": [None, None, 5.0]})
        >>> design.coverage_problems(data)[0][:60]
        'rel2 was not answered in group FR (column country): listwise'
        """
        notes = []
        for column, word in ((self.codebook.group_column, "group"), (self.codebook.wave_column, "wave")):
            if not column or column not in data.columns:
                continue
            for item in self._multi_item_items():
                if item not in data.columns:
                    continue
                answered = data[item].notna().groupby(data[column], observed=True).sum()
                empty = [str(level) for level, count in answered.items() if count == 0]
                if empty:
                    notes.append(_coverage_note(item, word, column, empty))
        return notes

    def _multi_item_items(self) -> list[str]:
        return [item for name in self.multi_item for item in self.codebook.items_of(name)]

    @property
    def efa_items(self) -> list[str]:
        """Items for the exploratory check: those of the multi-item dimensions (two or more
        of them), else those of every multi-item construct."""
        dims = [n for n in self.codebook.dimensions if n in self.multi_item]
        names = dims if len(dims) >= 2 else self.multi_item
        return [item for name in names for item in self.codebook.items_of(name)]

    # ------------------------------------------------------------ structure
    @cached_property
    def regressions(self) -> list[tuple[str, str]]:
        """``(outcome, predictor)`` pairs of the structural model, over construct names."""
        if not self.structural_model:
            return []
        statements, _ = parse(self.structural_model)
        return [(s.lhs, s.rhs) for s in statements if s.op == "~"]

    @property
    def has_structural_model(self) -> bool:
        return bool(self.regressions)

    @property
    def endogenous(self) -> list[str]:
        return list(dict.fromkeys(lhs for lhs, _ in self.regressions))

    @property
    def predictors(self) -> list[str]:
        """Constructs that predict something but are predicted by nothing."""
        endo = set(self.endogenous)
        return list(dict.fromkeys(rhs for _, rhs in self.regressions if rhs not in endo))

    @property
    def final_outcomes(self) -> list[str]:
        """Endogenous constructs that predict nothing further (e.g. loyalty)."""
        predictors = {rhs for _, rhs in self.regressions}
        return [name for name in self.endogenous if name not in predictors]

    @property
    def mediators(self) -> list[str]:
        """Endogenous constructs that also predict another construct."""
        predictors = {rhs for _, rhs in self.regressions}
        return [name for name in self.endogenous if name in predictors]

    # ------------------------------------------------------------ syntax
    def cfa_syntax(self, constructs: list[str] | None = None) -> str:
        """Correlated-factors CFA of the multi-item constructs (lavaan ``cfa()``)."""
        names = [n for n in (constructs or self.constructs) if n in self.multi_item]
        if not names:
            raise ModelSpecificationError(
                "No construct has two or more items, so there is no factor model to fit; "
                "single-item constructs are observed variables.")
        return "\n".join(f"{n} =~ " + " + ".join(self.codebook.items_of(n)) for n in names)

    def sem_syntax(self, structural: str | None = None) -> str:
        """Measurement part from the codebook plus the structural part (default: the study's).

        Single-item constructs are observed variables named after the construct: fit on
        :meth:`model_data`, which adds those columns.
        """
        structural = self.structural_model if structural is None else structural
        if not structural.strip():
            raise ModelSpecificationError(
                f"This study has no structural model ({self.structural_source}). "
                "Add the key structural_model to the params file, e.g. 'satisfaction ~ quality + value'.")
        used = _variables_in(structural)
        factors = [n for n in self.constructs if n in used and n in self.multi_item]
        lines = [f"{n} =~ " + " + ".join(self.codebook.items_of(n)) for n in factors]
        return "\n".join(lines + [structural])

    def pls_syntax(self) -> str:
        """The model for PLS-SEM (:func:`sqlib.fit_pls`): every multi-item construct of the structural
        model as a mode A block, single-item constructs as their observed column (fit on
        :meth:`model_data`), and the structural paths without labels or defined parameters."""
        if not self.has_structural_model:
            self.sem_syntax()  # raises the error that says what is missing
        used = {name for pair in self.regressions for name in pair}
        lines = [f"{n} =~ " + " + ".join(self.codebook.items_of(n)) for n in self.constructs
                 if n in used and n in self.multi_item]
        targets = list(dict.fromkeys(lhs for lhs, _ in self.regressions))
        lines += [f"{t} ~ " + " + ".join(rhs for lhs, rhs in self.regressions if lhs == t) for t in targets]
        return "\n".join(lines)

    def with_direct_paths(self) -> "StudyDesign | None":
        """The design plus direct paths from every exogenous construct to every final outcome.

        Partial against full mediation: None when every such path is already in the model.
        """
        present = set(self.regressions)
        lines = []
        for outcome in self.final_outcomes:
            missing = [p for p in self.predictors if (outcome, p) not in present]
            if missing:
                lines.append(f"{outcome} ~ " + " + ".join(missing))
        if not lines:
            return None
        return StudyDesign(self.codebook, self.structural_model + "\n" + "\n".join(lines),
                           self.structural_source + ", with direct paths")

    def to_dict(self) -> dict:
        return {"codebook": self.codebook.to_dict(), "structural_model": self.structural_model,
                "structural_source": self.structural_source,
                "single_item_constructs": self.single_item}


def _coverage_note(item: str, word: str, column: str, levels: list[str]) -> str:
    plural = "s" if len(levels) > 1 else ""
    whole = f"those whole {word}s" if len(levels) > 1 else f"that whole {word}"
    return (f"{item} was not answered in {word}{plural} {', '.join(levels)} (column {column}): listwise deletion "
            f"drops {whole}; use missing: fiml (with estimator: ML) or drop the item from the codebook")


def _variables_in(syntax: str) -> set[str]:
    statements, _ = parse(syntax)
    return {s.lhs for s in statements} | {s.rhs for s in statements if s.rhs}


def _check_structural(syntax: str, codebook: Codebook) -> None:
    statements, definitions = parse(syntax)
    _check_names(statements, codebook)
    _check_self_regression(statements, syntax)
    _check_recursive(statements)
    _check_definition_labels(statements, definitions)


def _check_names(statements, codebook: Codebook) -> None:
    names = set(codebook.construct_names)
    higher = {s.lhs for s in statements if s.op == "=~"}
    for s in statements:
        if s.op == "=~" and s.rhs not in names:
            raise ModelSpecificationError(
                f"structural_model line {s.line}: '{s.lhs} =~ {s.rhs}' measures a factor by an item; "
                "items belong in the codebook. In structural_model, '=~' may only define a "
                "higher-order factor over constructs.")
        for name in (s.lhs, s.rhs):
            if name and name not in names and name not in higher:
                raise ModelSpecificationError(_unknown_construct(name, s.line, codebook))


def _check_self_regression(statements, syntax: str) -> None:
    """A construct may not predict itself (``satisfaction ~ satisfaction + tangibles``)."""
    lines = syntax.splitlines()
    for s in statements:
        if s.op == "~" and s.lhs == s.rhs:
            text = lines[s.line - 1].strip() if 0 < s.line <= len(lines) else f"{s.lhs} ~ {s.rhs}"
            raise ModelSpecificationError(
                f"structural_model line {s.line}: '{text}' regresses {s.lhs!r} on itself; "
                f"remove {s.lhs!r} from the right-hand side of '~'.")


def structural_cycle(regressions: list[tuple[str, str]]) -> list[str]:
    """A feedback loop among ``(outcome, predictor)`` pairs, as the constructs around it (empty when none).

    Examples
    --------
    lavaan fits such non-recursive models; the report does not (effects and power assume a chain).

    >>> from sqlib.analysis.design import structural_cycle
    >>> structural_cycle([("b", "a"), ("c", "b"), ("a", "c")])
    ['a', 'b', 'c', 'a']
    >>> structural_cycle([("b", "a")])
    []
    """
    predicts: dict[str, list[str]] = {}
    for outcome, predictor in regressions:
        predicts.setdefault(predictor, []).append(outcome)
    state: dict[str, str] = {}

    def visit(node: str, path: list[str]) -> list[str]:
        state[node] = "open"
        for nxt in predicts.get(node, []):
            if state.get(nxt) == "open":
                return path[path.index(nxt):] + [nxt] if nxt in path else [node, nxt]
            if nxt not in state:
                found = visit(nxt, path + [nxt])
                if found:
                    return found
        state[node] = "done"
        return []

    for start in list(predicts):
        if start not in state:
            found = visit(start, [start])
            if found:
                return found
    return []


def _check_recursive(statements) -> None:
    regressions = [(s.lhs, s.rhs) for s in statements if s.op == "~" and s.lhs != s.rhs]
    cycle = structural_cycle(regressions)
    if cycle:
        loop = " -> ".join(cycle)
        raise ModelSpecificationError(
            f"structural_model has a feedback loop: {loop} (each predicts the next). Non-recursive models "
            "are not supported by the report; remove one of the paths so that effects run one way.")


def _check_definition_labels(statements, definitions) -> None:
    """Every name in a ``:=`` expression must be a path label or an earlier definition."""
    from sqlib.sem.syntax import compile_definition

    labels = list(dict.fromkeys(label for s in statements for label in s.modifier.labels
                                if isinstance(label, str)))
    known = set(labels)
    for name, expression, line in definitions:
        _, used = compile_definition(name, expression, line)
        for label in used:
            if label not in known:
                existing = ", ".join(labels) or "none (label a path with 'a*predictor')"
                raise ModelSpecificationError(
                    f"structural_model line {line}: '{name} := {expression}' uses the label {label!r}, but no "
                    f"path carries it (labels in the model: {existing}); label a path '{label}*predictor' "
                    "or correct the name.")
        known.add(name)


def _unknown_construct(name: str, line: int, codebook: Codebook) -> str:
    close = difflib.get_close_matches(name, codebook.construct_names, n=1)
    hint = f" Did you mean {close[0]!r}?" if close else ""
    return (f"structural_model line {line}: {name!r} is not a construct of the codebook.{hint} "
            f"Use construct names ({', '.join(codebook.construct_names)}); the measurement part "
            "(which items measure which construct) comes from the codebook.")


def study_design(codebook, structural_model: str = "") -> StudyDesign:
    """Resolve the study design from a codebook (object, YAML path or None) and optional syntax.

    Parameters
    ----------
    codebook : Codebook, str, Path, dict or None
        None is the SERVQUAL codebook.
    structural_model : str
        The params file's ``structural_model``; "" takes the SERVQUAL default when
        the codebook has that shape.

    Raises
    ------
    ModelSpecificationError
        When the structural model names something that is not a construct.
    """
    cb = load_codebook(codebook)
    syntax = (structural_model or "").strip()
    if syntax:
        _check_structural(syntax, cb)
        return StudyDesign(cb, syntax, "parameters file")
    default, source = default_structural_model(cb)
    return StudyDesign(cb, default, source)


# ------------------------------------------------------------ what can run
def eligible_groups(design: StudyDesign, data: pd.DataFrame, column: str | None = None) -> pd.Series:
    """Respondents per group of ``column`` (default: the codebook's group column).

    Only groups with more respondents than the CFA has items plus
    :data:`MIN_GROUP_MARGIN` are returned: a smaller group cannot have a
    positive-definite covariance matrix with room to spare.
    """
    column = column or design.codebook.group_column
    if not column or column not in data.columns:
        return pd.Series(dtype=int)
    n_items = sum(len(design.codebook.items_of(n)) for n in design.multi_item)
    sizes = data[column].dropna().value_counts().sort_index()
    return sizes[sizes > n_items + MIN_GROUP_MARGIN]


def skip_reason(notebook: str, design: StudyDesign, data: pd.DataFrame) -> str | None:
    """Why ``notebook`` cannot run on this design and data (None when it can).

    The reason says what is missing and what would enable the section.
    """
    cb = design.codebook
    needs = SECTION_NEEDS.get(notebook)
    if notebook == "02_measurement_model" and not design.multi_item:
        return f"Every construct has a single item, so there is no measurement model to test. Needs {needs}."
    if notebook in ("03_structural_model", "07_power_and_sample_size", "08_pls_sem") and not design.has_structural_model:
        return f"There is no structural model ({design.structural_source}). Needs {needs}."
    if notebook == "04_measurement_invariance":
        return _invariance_skip(design, data, needs)
    if notebook == "05_gaps_and_priorities":
        if not cb.expectations:
            return f"The codebook pairs no perception item with an expectation item. Needs {needs}."
        if not design.has_structural_model:
            return f"There is no structural model ({design.structural_source}). Needs {needs}."
    if notebook == "06_wave_tracking":
        waves = data[cb.wave_column].nunique() if cb.wave_column and cb.wave_column in data else 0
        if waves < 2:
            what = "The codebook names no wave column" if not cb.wave_column else f"Only {waves} wave(s) in the data"
            return f"{what}. Needs {needs}."
    return None


def _invariance_skip(design: StudyDesign, data: pd.DataFrame, needs: str) -> str | None:
    column = design.codebook.group_column
    if not column:
        return f"The codebook names no group column. Needs {needs}."
    if not design.multi_item:
        return "Every construct has a single item: there are no factor loadings to compare across groups."
    sizes = data[column].dropna().value_counts()
    eligible = eligible_groups(design, data)
    if len(eligible) < 2:
        shown = ", ".join(f"{k}: {v}" for k, v in sizes.sort_index().items())
        return (f"Fewer than two groups of {column} have more than "
                f"{sum(len(design.codebook.items_of(n)) for n in design.multi_item) + MIN_GROUP_MARGIN} "
                f"respondents (groups: {shown}). Needs {needs}.")
    return None


__all__ = ["StudyDesign", "study_design", "structural_cycle", "skip_reason", "default_structural_model", "eligible_groups",
           "SECTION_NEEDS"]
