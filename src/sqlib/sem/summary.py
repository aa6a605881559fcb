"""``result.summary()``: lavaan's ``summary(fit, fit.measures = TRUE, standardized = TRUE,
rsquare = TRUE)`` as an object.

Diagnostics come first (problems row by row, notes of one kind on one line), then the
header (estimator, optimizer, observations), the model test with the baseline test, fit
indices, log-likelihood and information criteria, RMSEA and SRMR, and the parameter
sections with Estimate, Std.Err, z-value, P(>|z|), Std.lv and Std.all, then R-square.
Text (``str()`` / ``as_text()``), HTML (``_repr_html_`` in JupyterLab) and LaTeX
(``as_latex()``) are rendered from the same blocks, so they say the same; the summary never
prints by itself.
"""

from __future__ import annotations

import html
from dataclasses import dataclass

import numpy as np
import pandas as pd

from sqlib import __version__
from sqlib.core.formatting import format_number

from .checks import condensed

PARAMETER_SECTIONS = [
    ("Latent Variables", lambda e: e["op"] == "=~"),
    ("Regressions", lambda e: e["op"] == "~"),
    ("Covariances", lambda e: (e["op"] == "~~") & (e["lhs"] != e["rhs"])),
    ("Intercepts", lambda e: e["op"] == "~1"),
    ("Thresholds", lambda e: e["op"] == "|"),
    ("Variances", lambda e: (e["op"] == "~~") & (e["lhs"] == e["rhs"])),
    ("Defined Parameters", lambda e: e["op"] == ":="),
]
PARAMETER_HEADER = ["Estimate", "Std.Err", "z-value", "P(>|z|)", "Std.lv", "Std.all"]

# (title, [(label, measure key)]) of the fit sections; a robust column shows "<key>_scaled" or "<key>_robust"
FIT_SECTIONS = [
    ("Model Test User Model", [("Test statistic", "chisq"), ("Degrees of freedom", "df"),
                               ("P-value (Chi-square)", "pvalue"), ("Scaling correction factor", "chisq_scaling_factor"),
                               ("Shift parameter", "chisq_shift_parameter")]),
    ("Model Test Baseline Model", [("Test statistic", "baseline_chisq"), ("Degrees of freedom", "baseline_df"),
                                   ("P-value", "baseline_pvalue"),
                                   ("Scaling correction factor", "baseline_chisq_scaling_factor")]),
    ("User Model versus Baseline Model", [("Comparative Fit Index (CFI)", "cfi"),
                                          ("Tucker-Lewis Index (TLI)", "tli")]),
    ("Loglikelihood and Information Criteria", [("Loglikelihood user model (H0)", "logl"),
                                                ("Loglikelihood unrestricted model (H1)", "unrestricted_logl"),
                                                ("Akaike (AIC)", "aic"), ("Bayesian (BIC)", "bic"),
                                                ("Sample-size adjusted Bayesian (SABIC)", "bic2")]),
    ("Root Mean Square Error of Approximation", [("RMSEA", "rmsea"), ("90 Percent confidence interval - lower", "rmsea_ci_lower"),
                                                 ("90 Percent confidence interval - upper", "rmsea_ci_upper"),
                                                 ("P-value H_0: RMSEA <= 0.050", "rmsea_pvalue")]),
    ("Standardized Root Mean Square Residual", [("SRMR", "srmr")]),
]
# where the robust column of a measure comes from (lavaan prints scaled statistics beside the standard ones)
ROBUST_KEYS = {"chisq": "chisq_scaled", "df": "df_scaled", "pvalue": "pvalue_scaled",
               "chisq_scaling_factor": "chisq_scaling_factor", "chisq_shift_parameter": "chisq_shift_parameter",
               "baseline_chisq": "baseline_chisq_scaled", "baseline_df": "baseline_df_scaled",
               "baseline_pvalue": "baseline_pvalue_scaled",
               "baseline_chisq_scaling_factor": "baseline_chisq_scaling_factor",
               "cfi": "cfi_robust", "tli": "tli_robust", "rmsea": "rmsea_robust",
               "rmsea_ci_lower": "rmsea_ci_lower_robust", "rmsea_ci_upper": "rmsea_ci_upper_robust"}
SCALING_ONLY = {"chisq_scaling_factor", "chisq_shift_parameter", "baseline_chisq_scaling_factor"}
LABEL_WIDTH = 42
VALUE_WIDTH = 10


@dataclass(frozen=True)
class Block:
    """One section of the summary: a title, optional column headers and rows of label + shown values."""

    title: str
    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    severity: tuple[str, ...] = ()   # diagnostics only: the severity of each row


class Summary:
    """Every section of one fit, rendered alike as text, HTML and LaTeX."""

    def __init__(self, result):
        self.result = result
        self.diagnostics = condensed(result.diagnostics)
        self.warnings = [f"{row.severity.upper()}: {row.message} {row.suggestion}".strip()
                         for row in self.diagnostics.itertuples()]
        self.blocks = [diagnostics_block(self.diagnostics), header_block(result), *fit_blocks(result),
                       *parameter_blocks(result), r2_block(result)]
        self.blocks = [b for b in self.blocks if b is not None and b.rows]

    # ---------------------------------------------------------------- render
    def as_text(self) -> str:
        lines = [f"sqlib {__version__} " + ("ended normally" if self.result.converged else "did NOT converge")
                 + f" after {self.result.iterations} iterations"]
        for block in self.blocks:
            lines += ["", f"{block.title}:"] + _text_rows(block)
        return "\n".join(lines)

    __str__ = as_text

    def __repr__(self) -> str:
        return self.as_text()

    def _repr_html_(self) -> str:
        out = ["<div class='sqlib-summary'>",
               f"<h4>sqlib {__version__}: {html.escape(self.result.estimator)} "
               + ("converged" if self.result.converged else "<b style='color:#c00'>did not converge</b>")
               + f" after {self.result.iterations} iterations</h4>"]
        for block in self.blocks:
            out.append(f"<h5>{html.escape(block.title)}</h5>" + _html_table(block))
        out.append("</div>")
        return "\n".join(out)

    def as_latex(self) -> str:
        return "\n\n".join(_latex_table(block) for block in self.blocks)


# -------------------------------------------------------------------- blocks
def diagnostics_block(table: pd.DataFrame) -> Block | None:
    if table.empty:
        return None
    rows = tuple((row.check, row.where, f"{row.message} {row.suggestion}".strip()) for row in table.itertuples())
    return Block("Diagnostics", ("Where", "Message"), rows, tuple(table["severity"]))


def header_block(result) -> Block:
    fm = result.fit_measures
    rows = [("Estimator", result.estimator), ("Optimization method", "BFGS"),
            ("Number of model parameters", _shown("npar", fm["npar"]))]
    if result.spec.ngroups > 1:
        rows += [(f"Number of observations per group: {level}", str(n)) for level, n in zip(result.group_levels, result.nobs)]
    else:
        rows.append(("Number of observations", str(result.ntotal)))
    if result.missing == "fiml":
        rows.append(("Number of missing patterns", str(sum(p.n_patterns for p in result.objective.patterns))))
    elif result.missing == "pairwise":
        rows.append(("Missing answers", "pairwise"))
        if result.n_dropped:
            rows.append(("Rows without any answer", str(result.n_dropped)))
    elif result.n_dropped:
        rows.append(("Rows dropped (listwise)", str(result.n_dropped)))
    return Block("Model", (), tuple(rows))


def fit_blocks(result) -> list[Block]:
    fm = result.fit_measures
    robust = "chisq_scaled" in fm.index
    header = ("Standard", "Scaled" if result.estimator != "MLR" else "Robust") if robust else ()
    blocks = []
    for title, measures in FIT_SECTIONS:
        rows = []
        for label, key in measures:
            if key not in fm.index and not (robust and ROBUST_KEYS.get(key) in fm.index):
                continue
            if key in SCALING_ONLY:
                rows.append((label, "", _shown(key, fm[key])) if key in fm.index else None)
                continue
            values = [_shown(key, fm.get(key, np.nan))]
            if robust:
                other = ROBUST_KEYS.get(key)
                values.append(_shown(key, fm[other]) if other in fm.index else "")
            rows.append((label, *values))
        rows = [r for r in rows if r is not None]
        if robust and not any(len(r) > 2 and r[2] for r in rows):
            rows = [r[:2] for r in rows]   # no robust version of these measures
        blocks.append(Block(title, header if rows and len(rows[0]) > 2 else (), tuple(rows)))
    return blocks


def parameter_blocks(result) -> list[Block]:
    est = result.estimates
    blocks = []
    for g, level in enumerate(result.group_levels, start=1):
        part = est[est["group"] == g] if result.spec.ngroups > 1 else est
        prefix = f"Group {g} [{level}]: " if result.spec.ngroups > 1 else ""
        for title, select in PARAMETER_SECTIONS:
            rows = part[select(part)]
            if title == "Defined Parameters" and g > 1:
                continue
            if len(rows):
                blocks.append(Block(prefix + title, tuple(PARAMETER_HEADER), tuple(_parameter_rows(rows))))
    return blocks


def _parameter_rows(rows: pd.DataFrame) -> list[tuple[str, ...]]:
    out = []
    grouped = rows.iloc[0]["op"] in ("=~", "~") or (rows["lhs"] != rows["rhs"]).all() and rows.iloc[0]["op"] == "~~"
    current = None
    for r in rows.itertuples():
        if grouped and (r.lhs, r.op) != current:
            current = (r.lhs, r.op)
            out.append((f"  {r.lhs} {r.op}",) + ("",) * len(PARAMETER_HEADER))
        label = f"    {r.rhs}" if grouped else f"  {_plain_label(r)}"
        if r.label and r.op != ":=":
            label += f" ({r.label})"
        fixed = r.se == 0 or pd.isna(r.se)
        out.append((label, _number(r.est), "" if fixed else _number(r.se), "" if fixed else _number(r.z),
                    "" if fixed else _number(r.pvalue), _number(r.std_lv), _number(r.std_all)))
    return out


def _plain_label(r) -> str:
    if r.op == "~1":
        return f".{r.lhs}"
    if r.op == "|":
        return f"{r.lhs}|{r.rhs}"
    if r.op == ":=":
        return r.lhs
    return f".{r.lhs}" if r.op == "~~" else f"{r.lhs} {r.op} {r.rhs}"


def r2_block(result) -> Block | None:
    if result.r2 is None or result.r2.empty:
        return None
    rows = tuple((f"  {key if not isinstance(key, tuple) else f'{key[1]} (group {key[0]})'}", _number(value))
                 for key, value in result.r2.items())
    return Block("R-Square", ("Estimate",), rows)


# -------------------------------------------------------------------- numbers and renderers
def _shown(key: str, value) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    if key in ("npar", "df", "baseline_df") and float(value).is_integer():
        return format_number(value, "count")
    return _number(value)


def _number(value) -> str:
    """Three decimals as lavaan prints them (never scientific notation)."""
    if value is None or pd.isna(value):
        return ""
    return format_number(value, "number")


def _text_rows(block: Block) -> list[str]:
    if block.title == "Diagnostics":
        return [f"  {sev.upper():<8} {check}: {where}\n           {message}"
                for sev, (check, where, message) in zip(block.severity, block.rows)]
    lines = []
    if block.header:
        lines.append(" " * LABEL_WIDTH + "".join(f"{h:>{VALUE_WIDTH}}" for h in block.header))
    for label, *values in block.rows:
        lines.append((f"  {label:<{LABEL_WIDTH - 2}}" + "".join(f"{v:>{VALUE_WIDTH}}" for v in values)).rstrip())
    return lines


def _html_table(block: Block) -> str:
    colours = {"severe": "#c00", "warning": "#c80", "note": "#666"}
    head = "".join(f"<th style='text-align:right'>{html.escape(h)}</th>" for h in block.header)
    rows = []
    for i, (label, *values) in enumerate(block.rows):
        style = ""
        if block.severity:
            sev = block.severity[i]
            style = f" style='color:{colours[sev]};font-weight:{'bold' if sev == 'severe' else 'normal'}'"
            label = f"{sev.upper()} {label}"
        indent = len(label) - len(label.lstrip(" "))
        cells = "".join(f"<td style='text-align:{'left' if block.severity else 'right'}'>{html.escape(v)}</td>"
                        for v in values)
        rows.append(f"<tr{style}><td style='text-align:left;padding-left:{indent * 0.5}em'>"
                    f"{html.escape(label.strip())}</td>{cells}</tr>")
    header = f"<tr><th></th>{head}</tr>" if block.header else ""
    return f"<table class='sqlib-summary-block'>{header}{''.join(rows)}</table>"


def _latex_escape(text: str) -> str:
    for a, b in (("\\", r"\textbackslash{}"), ("&", r"\&"), ("%", r"\%"), ("_", r"\_"), ("#", r"\#"),
                 ("$", r"\$"), ("{", r"\{"), ("}", r"\}"), ("~", r"\textasciitilde{}"), ("^", r"\textasciicircum{}"),
                 ("|", r"\textbar{}"), ("<", r"\textless{}"), (">", r"\textgreater{}")):
        text = text.replace(a, b)
    return text


def _latex_table(block: Block) -> str:
    ncol = 1 + max((len(r) - 1 for r in block.rows), default=0)
    align = "l" + ("p{9cm}" if block.severity else "r") * (ncol - 1)
    lines = [rf"\begin{{tabular}}{{{align}}}", rf"\multicolumn{{{ncol}}}{{l}}{{\textbf{{{_latex_escape(block.title)}}}}} \\"]
    if block.header:
        lines.append(" & " + " & ".join(_latex_escape(h) for h in block.header) + r" \\ \hline")
    for i, (label, *values) in enumerate(block.rows):
        shown = f"{block.severity[i].upper()} {label}" if block.severity else label
        indent = r"\quad " * ((len(shown) - len(shown.lstrip(" "))) // 2)
        lines.append(indent + _latex_escape(shown.strip()) + "".join(f" & {_latex_escape(v)}" for v in values) + r" \\")
    lines.append(r"\end{tabular}")
    return "\n".join(lines)


def blocks_as_text(blocks: list[Block]) -> list[str]:
    """Text lines of summary blocks (titles and aligned rows), as ``Summary.as_text`` draws them."""
    lines: list[str] = []
    for block in blocks:
        lines += ["", f"{block.title}:"] + _text_rows(block)
    return lines


def blocks_as_html(blocks: list[Block]) -> str:
    """HTML tables of summary blocks, as ``Summary._repr_html_`` draws them."""
    return "\n".join(f"<h5>{html.escape(block.title)}</h5>" + _html_table(block) for block in blocks)


def blocks_as_latex(blocks: list[Block]) -> str:
    """LaTeX tabulars of summary blocks, as ``Summary.as_latex`` draws them."""
    return "\n\n".join(_latex_table(block) for block in blocks)
