"""Text for the structural-model section (notebook 03).

The rule that matters most: effects are ranked only when the diagnostics allow it.
With a severe structural problem (an improper solution, a standardized path or
total effect beyond 1, collinear predictors), the text says why the paths are not
interpretable and which alternative to report, and names no "strongest driver".
"""

from __future__ import annotations

import pandas as pd

from sqlib.report.presentation import format_number, format_p
from .measurement import IMPROPER_CHECKS, fit_sentence, severe_rows

#: Checks whose severe rows make the structural paths uninterpretable.
STRUCTURAL_CHECKS = (*IMPROPER_CHECKS, "collinear predictors")


def interpretable(diagnostics: pd.DataFrame, effects: pd.DataFrame | None = None) -> tuple[bool, str]:
    """Whether effects may be ranked, and if not, why (one sentence)."""
    rows = severe_rows(diagnostics, STRUCTURAL_CHECKS)
    reasons = [f"{check} ({', '.join(part['where'].head(3))}{', ...' if len(part) > 3 else ''})"
               for check, part in rows.groupby("check", sort=False)]
    if effects is not None and len(effects):
        beyond = effects[(effects["effect"] == "total") & (effects["std_all"].abs() > 1)]
        if len(beyond):
            reasons.append("standardized total effects beyond 1 (" + ", ".join(
                f"{r.predictor} -> {r.outcome} {format_number(r.std_all)}" for r in beyond.head(3).itertuples()) + ")")
    if not reasons:
        return True, ""
    return False, ("The structural paths are not interpretable as they stand: " + "; ".join(reasons) + ".")


def drivers_text(design, effects: pd.DataFrame, diagnostics: pd.DataFrame, outcome: str,
                 alternatives=None) -> str:
    """Ranking of the drivers' total effects on ``outcome``, or why there is none.

    Drivers are the constructs no other construct predicts; the total effects of
    constructs that are themselves predicted (mediators) are named after them.
    """
    ok, why = interpretable(diagnostics, effects)
    if not ok:
        advice = (alternatives.reason if alternatives is not None else
                  "Simplify the model or merge the constructs the diagnostics flag before reading effects.")
        return f"{why} No effect ranking is reported. {advice}"
    totals = effects[(effects["outcome"] == outcome) & (effects["effect"] == "total")]
    totals = totals.sort_values("std_all", ascending=False)
    drivers = totals[totals["predictor"].isin(design.predictors)]
    if drivers.empty:
        return f"No driver reaches {outcome} in this model."
    method = drivers["ci_method"].iloc[0]
    top = drivers.iloc[0]
    text = (f"Standardized total effects of the drivers (constructs no other construct predicts) on {outcome}, "
            f"largest first: {_listing(drivers)}. The largest is {top['predictor']} (standardized "
            f"{format_number(top['std_all'])}; unstandardized {format_number(top['est'])}, 95% {method} CI "
            f"[{format_number(top['ci_lower'])}, {format_number(top['ci_upper'])}]).")
    mediators = totals[~totals["predictor"].isin(design.predictors)]
    if len(mediators):
        text += (f" Constructs that are themselves predicted also affect {outcome} (standardized total effects): "
                 f"{_listing(mediators)}.")
    return text


def _listing(rows: pd.DataFrame) -> str:
    return ", ".join(f"{r.predictor} ({format_number(r.std_all)})" for r in rows.itertuples())


def readability_text(diagnostics: pd.DataFrame) -> str:
    """One sentence: can the paths be read, and if not, why."""
    ok, why = interpretable(diagnostics)
    return why if not ok else "No severe structural problems: the paths can be read."


def direct_paths_text(design) -> str:
    """Why the model is reported as written (no direct-paths comparison)."""
    return (f"The structural model comes from the {design.structural_source} and is reported as written; "
            "direct paths to the final outcome are compared only for the SERVQUAL default chain.")


def interval_method(bootstrap_draws: int, paths_readable: bool, forced: bool = False) -> str:
    """Which intervals the effects table carries, and why the bootstrap was not run when it was not."""
    if bootstrap_draws <= 0:
        return "Intervals are delta-method intervals (no bootstrap was requested: bootstrap_draws is 0)."
    if not paths_readable and not forced:
        return (f"The {bootstrap_draws} bootstrap draws were not run: the paths are not interpretable (see the "
                "diagnostics), so their intervals would not be either (set bootstrap_when_improper to run them). "
                "The table shows delta-method intervals.")
    text = (f"Intervals are bootstrap percentile intervals from {bootstrap_draws} draws; p-values are z tests with "
            "the bootstrap standard error, so near .05 an interval and its p-value can disagree (read the interval).")
    return text if paths_readable else text + " The paths they bound are not interpretable (see the diagnostics)."


def r2_sentence(design, result) -> str:
    """R-squared of every endogenous construct of the model."""
    r2 = result.r2
    parts = [f"{name} {format_number(r2[name])}" for name in r2.index if name in design.endogenous]
    return "R-squared: " + ", ".join(parts) + "." if parts else ""


def mediation_test_text(test: pd.Series, bic: dict, preferred: str) -> str:
    """The full-versus-partial-mediation comparison, with both criteria."""
    return (f"Adding direct paths to the final outcome: delta chi-square({int(test['delta_df'])}) = "
            f"{format_number(test['delta_chisq'])}, {format_p(test['delta_pvalue'])}; BIC "
            f"{format_number(bic['as specified'])} without and {format_number(bic['with direct paths'])} with them. "
            f"Reported: the model {preferred} (direct paths are kept only when the test is significant at .05 "
            "and BIC is lower).")


def servperf_text(measures: pd.DataFrame, outcome: str, n: int) -> str:
    """SERVPERF versus SERVQUAL gaps: which explains more of ``outcome``."""
    column = f"r2_{outcome}"
    values = measures.set_index("model")[column]
    better = values.idxmax()
    return (f"On the {n} respondents who answered every perception and expectation item, {better} explains more "
            f"of {outcome} (R-squared {format_number(values.max())} against {format_number(values.min())}).")


def summary(design, fit_row: pd.Series, diagnostics: pd.DataFrame, drivers: str, r2: str,
            comparison: str = "", sample: str = "") -> str:
    """The section's executive summary: model, its fit, estimator and n, the drivers (or why none), R-squared."""
    source = ("Structural model from the parameters file." if design.structural_source == "parameters file"
              else f"Structural model: {design.structural_source}.")
    row = fit_row.copy()
    row["model"] = "Fit"
    parts = [source, fit_sentence(row), sample, comparison, drivers, r2]
    return " ".join(p for p in parts if p)


__all__ = ["interpretable", "readability_text", "direct_paths_text", "interval_method", "drivers_text", "r2_sentence", "mediation_test_text", "servperf_text", "summary",
           "STRUCTURAL_CHECKS"]
