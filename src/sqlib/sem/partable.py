"""The parameter table: model statements completed with lavaan's defaults.

One row per parameter per group, in the order lavaan prints them. Columns:
``lhs, op, rhs, group, label, free, value, start, user, exo`` where ``free`` is the
index into the parameter vector (``-1`` when fixed), ``value`` the fixed value,
``user`` whether the row was written by the user, and ``exo`` marks the variances
and covariances of exogenous observed covariates that are fixed at their sample
values (lavaan's ``fixed.x = TRUE``).

Rows that share a label share one entry of the parameter vector; that is how
equality constraints (within and across groups) are represented.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field

import pandas as pd

from sqlib.core.errors import IdentificationError, ModelSpecificationError
from .syntax import Statement, compile_definition, parse


@dataclass
class Row:
    lhs: str
    op: str
    rhs: str
    group: int = 1
    label: str = ""
    free: int = -1
    value: float = 0.0
    start: float | None = None
    user: bool = False
    exo: bool = False
    is_free: bool = True


@dataclass
class ModelSpec:
    """Everything known about a model before it meets the data's moments."""

    rows: list[Row]
    definitions: list[tuple[str, str, int]]
    ov_names: list[str]
    lv_names: list[str]
    ov_x: list[str]
    ngroups: int
    meanstructure: bool
    n_free: int = 0
    free_labels: list[str] = field(default_factory=list)

    def table(self) -> pd.DataFrame:
        return pd.DataFrame([r.__dict__ for r in self.rows])

    def free_names(self) -> list[str]:
        """One readable name per free parameter (``"f1 =~ x2"``, ``"f1 =~ x2 (group 2)"``)."""
        names = [""] * self.n_free
        for r in self.rows:
            if r.free >= 0 and not names[r.free]:
                names[r.free] = parameter_name(r.lhs, r.op, r.rhs, r.group, self.ngroups)
        return names


def parameter_name(lhs: str, op: str, rhs: str, group: int, ngroups: int) -> str:
    """How sqlib names a parameter in messages and tables: ``"lhs op rhs"`` plus ``" (group g)"``
    in multi-group models; a defined parameter (``:=``) by its name.

    >>> parameter_name("f1", "=~", "x2", 2, 3)
    'f1 =~ x2 (group 2)'
    """
    if op == ":=":
        return lhs
    suffix = f" (group {group})" if ngroups > 1 else ""
    return f"{lhs} {op} {rhs}".strip() + suffix


def _ordered_unique(names):
    seen, out = set(), []
    for n in names:
        if n not in seen:
            seen.add(n)
            out.append(n)
    return out


def _variable_roles(statements: list[Statement]):
    lv = _ordered_unique(s.lhs for s in statements if s.op == "=~")
    names = []
    for s in statements:
        names.append(s.lhs)
        if s.rhs:
            names.append(s.rhs)
    # lavaan orders observed variables: indicators first, then the rest in order of appearance
    indicators = [s.rhs for s in statements if s.op == "=~" and s.rhs not in lv]
    others = [n for n in names if n not in lv]
    ov = _ordered_unique(indicators + others)
    dependent = {s.lhs for s in statements if s.op == "~"}
    predictors = {s.rhs for s in statements if s.op == "~"}
    ind_set = set(indicators)
    ov_x = [v for v in ov if v in predictors and v not in dependent and v not in ind_set]
    lv_indicators = {s.rhs for s in statements if s.op == "=~" and s.rhs in lv}
    lv_x = [f for f in lv if f not in dependent and f not in lv_indicators]
    pure_y_ov = [v for v in ov if v in dependent and v not in predictors and v not in ind_set]
    pure_y_lv = [f for f in lv if f in dependent and f not in predictors]
    return lv, ov, ov_x, lv_x, pure_y_ov, pure_y_lv


def check_variables(ov: list[str], data_columns: list[str]) -> None:
    """Raise a clear error for model variables that are not in the data."""
    missing = [v for v in ov if v not in data_columns]
    if not missing:
        return
    hints = []
    for v in missing:
        close = difflib.get_close_matches(v, data_columns, n=1)
        hints.append(f"'{v}'" + (f" (did you mean '{close[0]}'?)" if close else ""))
    raise ModelSpecificationError(
        "The model uses variables that are not columns of the data: "
        + ", ".join(hints)
        + ". Every name that is not a latent factor (left of '=~') must be a data column; "
        "check the spelling or define the factor with '=~'."
    )


def build_spec(
    model: str,
    data_columns: list[str],
    *,
    ngroups: int = 1,
    meanstructure: bool = False,
    std_lv: bool = False,
    fixed_x: bool = True,
    orthogonal: bool = False,
    group_equal: list[str] | tuple[str, ...] = (),
    group_partial: list[str] | tuple[str, ...] = (),
    ordered: dict[str, int] | None = None,
    identification: str = "lavaan",
) -> ModelSpec:
    """Parse ``model`` and complete it with lavaan's ``sem()``/``cfa()`` defaults.

    ``ordered`` maps ordinal items to their number of thresholds; they get threshold
    rows (``item | t1`` ...), scaling factors (``item ~*~ item``, fixed at 1) and, in
    lavaan's delta parameterization, fixed residual variances and zero intercepts.

    ``group_equal`` holds lavaan's names of parameter types kept equal across
    groups; ``group_partial`` names single parameters (``"x3~1"``, ``"f=~x2"``)
    exempted from those constraints.
    """
    statements, definitions = parse(model)
    ordered = dict(ordered or {})
    lv, ov, ov_x, lv_x, pure_y_ov, pure_y_lv = _variable_roles(statements)
    ov_x = [v for v in ov_x if v not in ordered]
    for s in statements:
        if s.op == "=~" and s.rhs in lv and s.rhs == s.lhs:
            raise ModelSpecificationError(f"Line {s.line}: factor '{s.lhs}' cannot be measured by itself.")
    check_variables(ov, list(data_columns))
    if not fixed_x:
        ov_x = []

    rows: list[Row] = []
    user_keys: set[tuple[str, str, str]] = set()

    def key(lhs, op, rhs):
        if op == "~~" and lhs > rhs:
            lhs, rhs = rhs, lhs
        return lhs, op, rhs

    for g in range(1, ngroups + 1):
        first_indicator = {}
        for s in statements:
            if s.op == "=~" and s.lhs not in first_indicator:
                first_indicator[s.lhs] = s.rhs
        for s in statements:
            fixed, label, start = s.modifier.for_group(g - 1)
            row = Row(s.lhs, s.op, s.rhs, g, label or "", start=start, user=True)
            if s.has_fixed and fixed is not None:
                row.is_free, row.value = False, float(fixed)
            elif s.op == "=~" and not std_lv and first_indicator[s.lhs] == s.rhs and not s.has_fixed:
                row.is_free, row.value = False, 1.0  # auto.fix.first
            if s.op == "~~" and s.lhs in ov_x and s.rhs in ov_x:
                ov_x = [v for v in ov_x if v not in (s.lhs, s.rhs)]
            rows.append(row)
            user_keys.add(key(s.lhs, s.op, s.rhs))
        for v in ov:
            for m in range(1, ordered.get(v, 0) + 1):
                rows.append(Row(v, "|", f"t{m}", g, ""))

        def add(lhs, op, rhs, free=True, value=0.0, exo=False):
            if key(lhs, op, rhs) in user_keys:
                return
            rows.append(Row(lhs, op, rhs, g, "", is_free=free, value=value, exo=exo))

        indicator_count = {f: sum(1 for s in statements if s.op == "=~" and s.lhs == f) for f in lv}
        single = {
            s.rhs for s in statements if s.op == "=~" and indicator_count[s.lhs] == 1
        }
        # residual variances of observed variables, variances of latent variables
        for v in ov:
            if v in ov_x:
                continue
            if v in single:
                add(v, "~~", v, free=False, value=0.0)
            elif v in ordered:  # delta parameterization: 1 - explained variance, set after the fit
                add(v, "~~", v, free=False, value=1.0)
            else:
                add(v, "~~", v)
        for f in lv:
            add(f, "~~", f, free=not std_lv, value=1.0 if std_lv else 0.0)
        # covariances among exogenous latent variables and among pure dependents
        if not orthogonal:
            for block in (lv_x, pure_y_lv, pure_y_ov):
                for i, a in enumerate(block):
                    for b in block[i + 1 :]:
                        add(a, "~~", b)
        # fixed.x: exogenous covariates' (co)variances, values filled from the data later
        for i, a in enumerate(ov_x):
            for b in ov_x[i:]:
                add(a, "~~", b, free=False, exo=True)
        for v in ov:
            if v in ordered:
                add(v, "~*~", v, free=False, value=1.0)
        if meanstructure:
            for v in ov:
                add(v, "~1", "", free=v not in ov_x and v not in ordered, exo=v in ov_x)
            for f in lv:
                add(f, "~1", "", free=False, value=0.0)

    spec = ModelSpec(rows, definitions, ov, lv, ov_x, ngroups, meanstructure)
    if ngroups > 1 and group_equal:
        _apply_group_equal(spec, list(group_equal), list(group_partial))
    if ngroups > 1 and ordered:
        if identification == "wu.estabrook.2016":
            _identify_wu_estabrook(spec, set(group_equal), set(ordered), std_lv, _parse_partial(list(group_partial)))
        elif identification == "lavaan":
            _identify_ordinal_lavaan(spec, set(group_equal), set(ordered))
        else:
            raise ModelSpecificationError(
                f"identification={identification!r} is unknown; use 'lavaan' or 'wu.estabrook.2016'.")
    _assign_free_indices(spec)
    _check_definitions(spec)
    return spec


GROUP_EQUAL_TYPES = ("thresholds", "loadings", "intercepts", "means", "residuals", "residual.covariances",
                     "lv.variances", "lv.covariances", "regressions")


def _equality_type(row: Row, lv: set[str]) -> str | None:
    if row.op == "|":
        return "thresholds"
    if row.op == "=~":
        return "loadings"
    if row.op == "~":
        return "regressions"
    if row.op == "~1":
        return "means" if row.lhs in lv else "intercepts"
    if row.op == "~~":
        if row.lhs in lv:
            return "lv.variances" if row.lhs == row.rhs else "lv.covariances"
        return "residuals" if row.lhs == row.rhs else "residual.covariances"
    return None


def _parse_partial(items: list[str]) -> set[tuple[str, str, str]]:
    out = set()
    for item in items:
        text = item.replace(" ", "")
        for op in ("=~", "~~", "~1", "~", "|"):
            if op in text:
                lhs, rhs = text.split(op, 1)
                out.add((lhs, op, rhs))
                if op == "~~":
                    out.add((rhs, op, lhs))
                break
        else:
            raise ModelSpecificationError(
                f"group_partial entry {item!r} is not a parameter like 'x3~1', 'visual=~x2', 'x1~~x1' or 'q1|t2'."
            )
    return out


def _apply_group_equal(spec: ModelSpec, group_equal: list[str], group_partial: list[str]) -> None:
    """Share labels across groups for the constrained parameter types (lavaan's group.equal)."""
    unknown = [t for t in group_equal if t not in GROUP_EQUAL_TYPES]
    if unknown:
        raise ModelSpecificationError(
            f"Unknown group_equal type(s) {unknown}; use any of {', '.join(GROUP_EQUAL_TYPES)}."
        )
    lv = set(spec.lv_names)
    partial = _parse_partial(group_partial)
    for row in spec.rows:
        if row.group == 1 or not row.is_free or row.label or row.exo:
            continue
        kind = _equality_type(row, lv)
        if kind not in group_equal or (row.lhs, row.op, row.rhs) in partial:
            continue
        first = next(r for r in spec.rows if r.group == 1 and (r.lhs, r.op, r.rhs) == (row.lhs, row.op, row.rhs))
        if not first.is_free:
            continue
        if not first.label:
            first.label = f".{row.lhs}{row.op}{row.rhs}."
        row.label = first.label
    # equal intercepts identify latent means relative to the first group (lavaan frees them)
    if "intercepts" in group_equal and "means" not in group_equal:
        for row in spec.rows:
            if row.op == "~1" and row.lhs in lv and row.group > 1 and row.user is False:
                row.is_free = True


def _identify_ordinal_lavaan(spec: ModelSpec, group_equal: set[str], ordered: set[str]) -> None:
    """lavaan's multi-group defaults for ordered items (delta parameterization): once thresholds
    or intercepts are equal, the scaling factors and the latent means of groups 2, 3, ... are free."""
    if not group_equal & {"thresholds", "intercepts"}:
        return
    lv = set(spec.lv_names)
    for row in spec.rows:
        if row.group > 1 and not row.user and (
                (row.op == "~*~" and row.lhs in ordered) or (row.op == "~1" and row.lhs in lv)):
            row.is_free = True


def _identify_wu_estabrook(spec: ModelSpec, group_equal: set[str], ordered: set[str], std_lv: bool,
                           partial: set = frozenset()) -> None:
    """Wu & Estabrook (2016) identification as semTools' ``measEq.syntax(ID.fac = "std.lv",
    ID.cat = "Wu.Estabrook.2016", parameterization = "delta")`` writes it.

    Factor variances 1 and means 0 in the first group; in the others the variances are
    free once loadings are equal and the means once intercepts are equal. The ordered
    items' intercepts and scaling factors are 0 and 1 in the first group and free in the
    others once thresholds are equal; equal intercepts fix them at 0 in every group.
    """
    if not std_lv:
        raise ModelSpecificationError(
            "The Wu & Estabrook (2016) identification fixes the factor variances (std_lv=True).")
    lv = set(spec.lv_names)
    for row in spec.rows:
        if row.group == 1 or row.user:
            continue
        if row.op == "~~" and row.lhs == row.rhs and row.lhs in lv:
            row.is_free = "loadings" in group_equal
        elif row.op == "~1" and row.lhs in lv:
            row.is_free = "intercepts" in group_equal
        elif row.op == "~1" and row.lhs in ordered:
            released = (row.lhs, row.op, row.rhs) in partial
            row.is_free = "thresholds" in group_equal and ("intercepts" not in group_equal or released)
            row.value = 0.0
        elif row.op == "~*~" and row.lhs in ordered:
            row.is_free = "thresholds" in group_equal
            row.value = 1.0


def _assign_free_indices(spec: ModelSpec) -> None:
    by_label: dict[str, int] = {}
    labels: list[str] = []
    n = 0
    for row in spec.rows:
        if not row.is_free:
            row.free = -1
            continue
        if row.label and row.label in by_label:
            row.free = by_label[row.label]
            continue
        row.free = n
        labels.append(row.label)
        if row.label:
            by_label[row.label] = n
        n += 1
    # a label on a fixed row and on a free row would be contradictory
    fixed_labels = {r.label for r in spec.rows if r.label and not r.is_free}
    clash = sorted(fixed_labels & set(by_label))
    if clash:
        raise ModelSpecificationError(
            f"Label(s) {', '.join(clash)} are used for both a fixed and a free parameter; "
            "give the fixed one another label or free it."
        )
    spec.n_free = n
    spec.free_labels = labels


def _check_definitions(spec: ModelSpec) -> None:
    known = {r.label for r in spec.rows if r.label}
    defined: set[str] = set()
    for name, expr, line in spec.definitions:
        _, used = compile_definition(name, expr, line)
        unknown = [u for u in used if u not in known and u not in defined]
        if unknown:
            raise ModelSpecificationError(
                f"Line {line}: '{name} := {expr}' uses {', '.join(repr(u) for u in unknown)}, "
                "which no parameter is labelled with. Label the parameters in the model first, e.g. "
                "'satisfaction ~ a*reliability' and 'loyalty ~ b*satisfaction', then 'ind := a*b'."
            )
        defined.add(name)


def check_group_modifiers(model: str, ngroups: int) -> None:
    """Refuse modifiers that mean nothing with ``ngroups`` groups.

    ``c(a, b)*item`` gives one modifier per group, so its length must be the number
    of groups; ``equal("...")*item`` ties a parameter across groups and is refused in a
    one-group model (a shared plain label, ``a*item``, is the one-group equality).
    """
    statements, _ = parse(model)
    for s in statements:
        where = f"Line {s.line}: '{s.lhs} {s.op} {s.rhs}'".rstrip()
        for text, length in s.modifier.vectors:
            if length != ngroups and length != 1:
                raise ModelSpecificationError(
                    f"{where} has the vector modifier '{text}' with {length} values, one per group, but the model "
                    f"is fitted to {ngroups} group{'s' if ngroups != 1 else ''}"
                    + (" (no group= column)" if ngroups == 1 else "")
                    + f". Give {ngroups} value{'s' if ngroups != 1 else ''} in c(...)"
                    + (", or a single label ('a*item') or value ('0.5*item')." if ngroups == 1 else ".")
                )
        if s.modifier.equal and ngroups == 1:
            raise ModelSpecificationError(
                f"{where} uses '{s.modifier.equal[0]}', which constrains a parameter across groups, but the model "
                "has one group. To make two parameters equal within one group give them the same label "
                "('a*item1 + a*item2'); for equality across groups fit with group= and group_equal."
            )


def check_single_variable(spec: ModelSpec) -> None:
    """Refuse a model with one observed variable: there is nothing to model beyond its variance."""
    if len(spec.ov_names) != 1:
        return
    item = spec.ov_names[0]
    factors = ", ".join(spec.lv_names)
    raise ModelSpecificationError(
        f"The model has only one observed variable ('{item}'): one variable has a variance and nothing else, so "
        "there is no model to fit and no fit to judge (lavaan reports 0 degrees of freedom and the variance). "
        + (f"A single-indicator factor ({factors} =~ {item}) is fine inside a larger model: sqlib, like lavaan, "
           f"fixes its loading at 1 and the residual variance of '{item}' at 0. " if factors else "")
        + "Fit it together with other constructs, or add the construct's other items."
    )


def check_counts(spec: ModelSpec, n_moments: int) -> None:
    """Raise :class:`IdentificationError` when free parameters outnumber the moments."""
    if spec.n_free > n_moments:
        raise IdentificationError(
            f"The model is not identified: it has {spec.n_free} free parameters but the data provide only "
            f"{n_moments} variances, covariances{' and means' if spec.meanstructure else ''}. "
            "Fix or constrain parameters (e.g. fewer residual covariances, equal loadings) or add indicators; "
            "each factor needs at least three indicators on its own (two if it correlates with other factors)."
        )
    for f in spec.lv_names:
        loads = [r for r in spec.rows if r.op == "=~" and r.lhs == f and r.group == 1]
        var = [r for r in spec.rows if r.op == "~~" and r.lhs == f and r.rhs == f and r.group == 1]
        if loads and all(r.is_free for r in loads) and var and all(r.is_free for r in var):
            raise IdentificationError(
                f"Factor '{f}' has no scale: all its loadings and its variance are free. "
                f"Fix one loading to 1 (e.g. '{f} =~ 1*{loads[0].rhs} + ...') or its variance ('{f} ~~ 1*{f}')."
            )
