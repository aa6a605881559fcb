"""``result.summary()``: lavaan's summary as an object.

It shows as HTML in JupyterLab (``_repr_html_``), as text with ``str()`` /
``as_text()`` and as LaTeX with ``as_latex()``; it never prints by itself.
"""

from __future__ import annotations

import html

import numpy as np
import pandas as pd

SECTIONS = [
    ("Latent variables", lambda e: e["op"] == "=~"),
    ("Regressions", lambda e: e["op"] == "~"),
    ("Covariances", lambda e: (e["op"] == "~~") & (e["lhs"] != e["rhs"])),
    ("Intercepts", lambda e: e["op"] == "~1"),
    ("Thresholds", lambda e: e["op"] == "|"),
    ("Variances", lambda e: (e["op"] == "~~") & (e["lhs"] == e["rhs"])),
    ("Defined parameters", lambda e: e["op"] == ":="),
]
FIT_ROWS = [("chisq", "Chi-square"), ("df", "Degrees of freedom"), ("pvalue", "p-value"),
            ("cfi", "CFI"), ("tli", "TLI"), ("rmsea", "RMSEA"), ("rmsea_ci_lower", "RMSEA 90% CI lower"),
            ("rmsea_ci_upper", "RMSEA 90% CI upper"), ("srmr", "SRMR"), ("aic", "AIC"), ("bic", "BIC"),
            ("chisq_scaled", "Chi-square (scaled)"), ("pvalue_scaled", "p-value (scaled)"),
            ("chisq_scaling_factor", "Scaling factor"), ("chisq_shift_parameter", "Shift parameter"),
            ("cfi_robust", "CFI (robust)"), ("tli_robust", "TLI (robust)"), ("rmsea_robust", "RMSEA (robust)"),
            ("cfi_scaled", "CFI (scaled)"), ("tli_scaled", "TLI (scaled)"), ("rmsea_scaled", "RMSEA (scaled)")]
COLUMNS = ["est", "se", "z", "pvalue", "ci_lower", "ci_upper", "std_all"]


class Summary:
    """Header, fit measures, parameter sections and warnings of one fit."""

    def __init__(self, result):
        self.result = result
        self.header = self._header()
        shown = [(k, label) for k, label in FIT_ROWS if k in result.fit_measures.index]
        self.fit_table = pd.DataFrame(
            {"measure": [label for _, label in shown], "value": [result.fit_measures[k] for k, _ in shown]}
        )
        self.fit_text = [_fit_value(k, result.fit_measures[k]) for k, _ in shown]
        self.sections = {}
        est = result.estimates
        for title, select in SECTIONS:
            part = est[select(est)]
            if len(part):
                self.sections[title] = part
        self.warnings = self._warnings()

    def _header(self) -> pd.DataFrame:
        r = self.result
        rows = [("Estimator", r.estimator), ("Converged", "yes" if r.converged else "NO"),
                ("Iterations", r.iterations), ("Free parameters", int(r.fit_measures["npar"])),
                ("Observations used", r.ntotal), ("Rows dropped (listwise)", r.n_dropped)]
        if r.group:
            rows.append(("Groups", ", ".join(f"{g} (n={n})" for g, n in zip(r.group_levels, r.nobs))))
        return pd.DataFrame(rows, columns=["item", "value"])

    def _warnings(self) -> list[str]:
        """Severe problems and warnings from ``result.diagnostics``, most serious first; notes of one
        kind on one line."""
        from .checks import condensed

        table = condensed(self.result.diagnostics)
        return [f"{row.severity.upper()}: {row.message} {row.suggestion}".strip() for row in table.itertuples()]

    # ---------------------------------------------------------------- render
    def _section_frame(self, part: pd.DataFrame) -> pd.DataFrame:
        frame = part.copy()
        frame.insert(0, "parameter", frame["lhs"] + " " + frame["op"] + " " + frame["rhs"].fillna(""))
        return frame[["parameter"] + (["group"] if self.result.spec.ngroups > 1 else []) + COLUMNS]

    def as_text(self) -> str:
        lines = ["sqlib SEM summary", "=" * 60]
        lines += [f"{k:<28}{v}" for k, v in self.header.itertuples(index=False)]
        lines += ["", "Fit measures", "-" * 60]
        lines += [f"{k:<28}{v:>12}" for k, v in zip(self.fit_table["measure"], self.fit_text)]
        lines += self.warnings
        for title, part in self.sections.items():
            lines += ["", title, "-" * 60, self._section_frame(part).to_string(index=False, float_format=lambda x: f"{x:.3f}")]
        return "\n".join(lines)

    __str__ = as_text

    def __repr__(self) -> str:
        return self.as_text()

    def as_latex(self) -> str:
        parts = [self.fit_table.to_latex(index=False, float_format="%.3f", caption="Fit measures")]
        for title, part in self.sections.items():
            parts.append(self._section_frame(part).to_latex(index=False, float_format="%.3f", caption=title, na_rep=""))
        return "\n".join(parts)

    def _repr_html_(self) -> str:
        out = ["<div class='sqlib-summary'>", "<h4>sqlib SEM summary</h4>"]
        for w in self.warnings:
            color = "#c00" if w.startswith("SEVERE") else "#c80" if w.startswith("WARNING") else "#666"
            out.append(f"<div style='border:2px solid {color};padding:4px;color:{color}'>{html.escape(w)}</div>")
        out.append(self.header.to_html(index=False, header=False))
        shown = pd.DataFrame({"measure": self.fit_table["measure"], "value": self.fit_text})
        out.append("<h5>Fit measures</h5>" + shown.to_html(index=False))
        for title, part in self.sections.items():
            out.append(f"<h5>{html.escape(title)}</h5>")
            out.append(self._section_frame(part).to_html(index=False, float_format=lambda x: f"{x:.3f}", na_rep=""))
        out.append("</div>")
        return "\n".join(out)


def _fit_value(key: str, value) -> str:
    """A fit measure as a report shows it: df as an integer, p-values as "< .001", others 3 decimals."""
    from sqlib.core.formatting import format_number

    kind = "count" if key == "df" and float(value).is_integer() else "p" if key.startswith("pvalue") else "number"
    return format_number(value, kind)
