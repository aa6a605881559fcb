"""Parse lavaan model syntax.

Supported: ``=~`` (measured by), ``~`` (regressed on), ``~~`` (covariance),
``~ 1`` (intercept), ``:=`` (defined parameter), modifiers ``a*x`` (label),
``1*x`` / ``0.5*x`` (fixed value), ``NA*x`` (free), ``c(a1, a2)*x`` (one modifier
per group), ``start(0.5)*x`` (starting value), comments (``#``, ``!``), several
statements on one line separated by ``;`` and statements continued on the next
line after a trailing ``+``.

The parser is pure syntax: it does not know the data. ``sqlib.partable`` turns
the statements into a full parameter table with lavaan's defaults.
"""

from __future__ import annotations

import ast
import functools
import re
from dataclasses import dataclass, field

from sqlib.core.errors import ModelSpecificationError
from sqlib.core.naming import MODEL_NAME

OPERATORS = ("=~", "~~", ":=", "~", "==", "<", ">")
_IDENT = MODEL_NAME


@dataclass
class Modifier:
    """What a ``*`` prefix says about one parameter, possibly one value per group."""

    fixed: list[float | None] = field(default_factory=list)  # None = free (NA)
    labels: list[str | None] = field(default_factory=list)
    start: list[float | None] = field(default_factory=list)
    vectors: list[tuple[str, int]] = field(default_factory=list)  # each c(...) as written, with its length
    equal: list[str] = field(default_factory=list)  # each equal(...) as written

    def for_group(self, g: int) -> tuple[float | None, str | None, float | None]:
        def pick(values):
            if not values:
                return None
            return values[g] if len(values) > 1 else values[0]

        return pick(self.fixed), pick(self.labels), pick(self.start)

    @property
    def frees_explicitly(self) -> bool:
        return any(v is None for v in self.fixed) and bool(self.fixed)


@dataclass
class Statement:
    """One ``lhs op rhs`` relation after splitting sums on the right-hand side."""

    lhs: str
    op: str
    rhs: str
    modifier: Modifier = field(default_factory=Modifier)
    line: int = 0
    has_fixed: bool = False  # the user gave a numeric/NA value


def _strip_comments(text: str) -> list[tuple[int, str]]:
    lines = []
    for number, raw in enumerate(text.splitlines(), start=1):
        code = re.split(r"[#!]", raw, maxsplit=1)[0].strip()
        for part in code.split(";"):
            if part.strip():
                lines.append((number, part.strip()))
    # join continuation lines (operator at the end of one line or start of the next)
    joined: list[tuple[int, str]] = []
    for number, code in lines:
        if joined and (joined[-1][1].endswith(("+", "*", "=~", "~", ",")) or code.startswith(("+", "*"))):
            joined[-1] = (joined[-1][0], joined[-1][1] + " " + code)
        else:
            joined.append((number, code))
    return joined


def _split_operator(code: str, line: int) -> tuple[str, str, str]:
    for op in ("=~", "~~", ":=", "==", "~", "<", ">"):
        pos = code.find(op)
        if pos > 0:
            # '~' must not be the start of '~~' found later; handled by order above
            return code[:pos].strip(), op, code[pos + len(op):].strip()
    raise ModelSpecificationError(
        f"Line {line} of the model ('{code}') has no operator: use '=~' (measured by), "
        "'~' (regression), '~~' (covariance) or ':=' (defined parameter)."
    )


def _parse_value(token: str, line: int) -> tuple[str, float | str | None]:
    token = token.strip()
    if token in ("NA", "na"):
        return "fixed", None
    try:
        return "fixed", float(token)
    except ValueError:
        pass
    if token.startswith(("start(", "start (")):
        inner = token[token.index("(") + 1 : token.rindex(")")]
        return "start", float(inner)
    if token.startswith(("label(", "equal(")):
        inner = token[token.index("(") + 1 : token.rindex(")")].strip().strip("'\"")
        return "label", inner
    if (token.startswith(("'", '"'))) and token.endswith(token[0]):
        return "label", token[1:-1]
    if _IDENT.match(token):
        return "label", token
    raise ModelSpecificationError(f"Line {line}: cannot read the modifier '{token}'.")


def _parse_modifier(text: str, line: int, modifier: Modifier) -> bool:
    """Fill ``modifier`` from the text before a '*'; return True if a value was fixed/freed."""
    text = text.strip()
    values: list[str]
    if re.match(r"^c\s*\(", text):
        inner = text[text.index("(") + 1 : text.rindex(")")]
        values = [v.strip() for v in inner.split(",")]
        modifier.vectors.append((text, len(values)))
    else:
        values = [text]
    modifier.equal += [v for v in values if re.match(r"^equal\s*\(", v)]
    kinds = [_parse_value(v, line) for v in values]
    kind_set = {k for k, _ in kinds}
    if len(kind_set) > 1 and len(values) > 1:
        # mixed vectors like c(1, NA) are fine (all 'fixed'); c(a, 1) mixes label and value
        raise ModelSpecificationError(
            f"Line {line}: the vector modifier '{text}' mixes labels and values; use one kind per vector."
        )
    kind = kinds[0][0]
    vals = [v for _, v in kinds]
    if kind == "fixed":
        modifier.fixed = vals  # type: ignore[assignment]
        return True
    if kind == "start":
        modifier.start = vals  # type: ignore[assignment]
        return False
    modifier.labels = vals  # type: ignore[assignment]
    return False


def _split_terms(rhs: str) -> list[str]:
    """Split a right-hand side on '+' outside parentheses."""
    terms, depth, current = [], 0, ""
    for ch in rhs:
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        if ch == "+" and depth == 0:
            terms.append(current)
            current = ""
        else:
            current += ch
    terms.append(current)
    return [t.strip() for t in terms if t.strip()]


def _split_star(term: str) -> list[str]:
    parts, depth, current = [], 0, ""
    for ch in term:
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        if ch == "*" and depth == 0:
            parts.append(current)
            current = ""
        else:
            current += ch
    parts.append(current)
    return [p.strip() for p in parts]


def parse(model: str) -> tuple[list[Statement], list[tuple[str, str, int]]]:
    """Parse model syntax into statements and defined parameters.

    Returns
    -------
    statements : list of Statement
        One per ``lhs op rhs`` relation (sums on the right are split).
    definitions : list of (name, expression, line)
        The ``:=`` definitions, expression in lavaan's notation.
    """
    if not isinstance(model, str) or not model.strip():
        raise ModelSpecificationError("The model syntax is empty: write at least one 'factor =~ item1 + item2' line.")
    statements: list[Statement] = []
    definitions: list[tuple[str, str, int]] = []
    for line, code in _strip_comments(model):
        lhs, op, rhs = _split_operator(code, line)
        if op in ("==", "<", ">"):
            raise ModelSpecificationError(
                f"Line {line}: explicit constraints with '{op}' are not supported yet; "
                "use shared labels (a*x1 + a*x2) for equality constraints."
            )
        if op == ":=":
            if not _IDENT.match(lhs):
                raise ModelSpecificationError(f"Line {line}: '{lhs}' is not a valid name for a defined parameter.")
            _check_new_definition(lhs, rhs, line, definitions)
            definitions.append((lhs, rhs, line))
            continue
        if not _IDENT.match(lhs):
            raise ModelSpecificationError(f"Line {line}: '{lhs}' is not a valid variable name.")
        if not rhs:
            raise ModelSpecificationError(f"Line {line}: nothing after '{op}' in '{code}'.")
        for term in _split_terms(rhs):
            pieces = _split_star(term)
            name = pieces[-1]
            modifier = Modifier()
            has_fixed = False
            for prefix in pieces[:-1]:
                has_fixed |= _parse_modifier(prefix, line, modifier)
            if op == "~" and name == "1":
                statements.append(Statement(lhs, "~1", "", modifier, line, has_fixed))
                continue
            if not _IDENT.match(name):
                raise ModelSpecificationError(f"Line {line}: '{name}' is not a valid variable name (in '{term}').")
            statements.append(Statement(lhs, op, name, modifier, line, has_fixed))
    if not statements:
        raise ModelSpecificationError("The model syntax defines no relations, only ':=' definitions.")
    return statements, definitions


# ---------------------------------------------------------------- definitions
def _check_new_definition(name: str, expression: str, line: int, earlier: list[tuple[str, str, int]]) -> None:
    """A defined parameter may be defined once (lavaan would silently keep one of two)."""
    for other, other_expr, other_line in earlier:
        if other == name:
            raise ModelSpecificationError(
                f"Line {line}: '{name} := {expression}' defines '{name}' a second time (line {other_line} already "
                f"defines '{name} := {other_expr}'). Give one of them another name or delete one of the lines."
            )


_ALLOWED_FUNCS = {"exp", "log", "sqrt", "abs"}


def compile_definition(name: str, expression: str, line: int = 0):
    """Compile a ``:=`` expression to (code object, names used).

    lavaan's ``^`` becomes Python's ``**``. Only arithmetic, numbers, parameter
    labels and exp/log/sqrt/abs are allowed. Compiled once per expression (every fit,
    bootstrap draw and power replication evaluates the definitions many times).
    """
    code, names = _compile_definition(name, expression, line)
    return code, list(names)


@functools.lru_cache(maxsize=1024)
def _compile_definition(name: str, expression: str, line: int):
    text = expression.replace("^", "**")
    try:
        tree = ast.parse(text, mode="eval")
    except SyntaxError as exc:
        raise ModelSpecificationError(
            f"Line {line}: cannot read the definition '{name} := {expression}'."
        ) from exc
    names = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            if not (isinstance(node.func, ast.Name) and node.func.id in _ALLOWED_FUNCS):
                raise ModelSpecificationError(
                    f"Line {line}: '{name} := {expression}' calls a function that is not allowed "
                    f"(allowed: {', '.join(sorted(_ALLOWED_FUNCS))})."
                )
        elif isinstance(node, ast.Name) and node.id not in _ALLOWED_FUNCS:
            names.append(node.id)
        elif not isinstance(
            node,
            (ast.Expression, ast.BinOp, ast.UnaryOp, ast.Constant, ast.Name, ast.Load, ast.operator, ast.unaryop),
        ):
            raise ModelSpecificationError(f"Line {line}: '{name} := {expression}' uses unsupported syntax.")
    return compile(tree, f"<{name}>", "eval"), tuple(sorted(set(names)))
