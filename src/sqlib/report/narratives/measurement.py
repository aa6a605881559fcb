"""Text for the measurement-model section (notebook 02).

Each function reads the tables the notebook shows next to its text, so a sentence
can never report another model's numbers: the fit sentence takes the row of
:func:`sqlib.tables.fit_table` of the CFA; the diagnosis separates an improper
solution (non-convergence, non-positive-definite matrices, Heywood cases, paths
beyond 1) from constructs that are only hardly distinct (HTMT); the alternatives
text repeats the rule of :func:`sqlib.alternatives.recommend_alternative`.
"""

from __future__ import annotations

import pandas as pd

from sqlib.report.presentation import format_number
from sqlib.sem.syntax import parse

#: Diagnostic checks that make a solution improper (its estimates cannot be reported).
IMPROPER_CHECKS = ("convergence", "not positive definite", "heywood case", "path beyond 1")


def fit_sentence(row: pd.Series) -> str:
    """``"<model>: CFI .951, TLI .944, RMSEA .041 [.035, .047], SRMR .032; meets ..."``.

    ``row`` is one row of :func:`sqlib.tables.fit_table` (its ``model`` names the model).
    """
    ci = f" [{format_number(row['rmsea_ci_lower'], 'fit')}, {format_number(row['rmsea_ci_upper'], 'fit')}]"
    verdict = "meets" if bool(row["meets_cutoffs"]) else "does not meet"
    failed = [m.upper() for m in ("cfi", "tli", "rmsea", "srmr") if not bool(row.get(f"{m}_ok", True))]
    which = f" ({', '.join(failed)} outside)" if failed else ""
    return (f"{row['model']}: CFI {format_number(row['cfi'], 'fit')}, TLI {format_number(row['tli'], 'fit')}, "
            f"RMSEA {format_number(row['rmsea'], 'fit')}{ci}, SRMR {format_number(row['srmr'], 'fit')}; "
            f"it {verdict} Hu and Bentler's joint cutoffs{which}.")


def severe_rows(diagnostics: pd.DataFrame, checks=None) -> pd.DataFrame:
    """Severe diagnostics, optionally only those of the named checks."""
    rows = diagnostics[diagnostics["severity"] == "severe"]
    return rows if checks is None else rows[rows["check"].isin(checks)]


def diagnosis(diagnostics: pd.DataFrame) -> str:
    """What the diagnostics allow: improper, not distinct, or proper (one or two sentences)."""
    improper = severe_rows(diagnostics, IMPROPER_CHECKS)
    validity = severe_rows(diagnostics, ("discriminant validity",))
    collinear = severe_rows(diagnostics, ("collinear predictors",))
    parts = []
    if len(improper):
        kinds = ", ".join(dict.fromkeys(improper["check"]))
        parts.append(f"The solution is improper ({len(improper)} severe problem(s): {kinds}); its estimates "
                     "are not interpretable as they stand.")
    if len(validity):
        pairs = ", ".join(validity["where"])
        parts.append(f"{len(validity)} construct pair(s) are hardly distinct (HTMT above the severe cutoff): "
                     f"{pairs}.")
    if len(collinear):
        parts.append(f"{len(collinear)} predictor(s) are collinear with the other predictors of their outcome, "
                     "so their paths are not interpretable.")
    if not parts:
        warnings = int((diagnostics["severity"] == "warning").sum())
        parts.append("No severe diagnostic problems: the solution is proper"
                     + (f" ({warnings} warning(s) to check)." if warnings else "."))
    return " ".join(parts)


def single_item_note(design) -> str:
    """Which constructs have one item and what that means for this section ("" when none)."""
    if not design.single_item:
        return ""
    names = ", ".join(f"{n} ({design.codebook.items_of(n)[0]})" for n in design.single_item)
    return (f"Measured by a single item: {names}. A single item has no measurement model: it is left out of "
            "the CFA, the reliability and the validity tables, and enters the structural model as an "
            "observed variable (its reliability cannot be estimated from these data).")


def reliability_sentence(reliability: pd.DataFrame, column: str = "omega", cutoff: float = 0.70,
                         ave_cutoff: float = 0.50) -> str:
    """Range of ``column`` across constructs naming those below ``cutoff``, and AVEs below ``ave_cutoff``.

    When the table has bootstrap intervals (``<column>_ci_lower``, ``ave_ci_lower``, from
    :func:`sqlib.analysis.reliability_bootstrap.add_intervals`), it also names the constructs that
    pass a cutoff as a point estimate but whose interval reaches below it.
    """
    values = reliability.set_index("construct")[column]
    low = values[values < cutoff]
    text = (f"{column.capitalize()} ranges from {format_number(values.min())} to {format_number(values.max())} "
            f"across {len(values)} constructs")
    text += (f"; all are at least {cutoff:.2f}." if low.empty else
             f"; below {cutoff:.2f}: " + ", ".join(f"{k} ({format_number(v)})" for k, v in low.items()) + ".")
    reach = _interval_reaches_below(reliability, column, cutoff)
    omega_note = (f" {column.capitalize()} passes {cutoff:.2f} as a point estimate, but its bootstrap interval "
                  f"reaches below it, for {reach}." if reach else "")
    text += omega_note
    if "ave" not in reliability:
        return text
    ave = reliability.set_index("construct")["ave"]
    weak = ave[ave < ave_cutoff]
    reach = _interval_reaches_below(reliability, "ave", ave_cutoff)
    if weak.empty and "ave_ci_lower" in reliability and not reach:
        text += (f" Every AVE is at least {ave_cutoff:.2f}, and so is the lower bound of its bootstrap interval "
                 "(convergent validity).")
    elif weak.empty and reach:
        text += (f" Every AVE is at least {ave_cutoff:.2f} as a point estimate, but the bootstrap interval reaches "
                 f"below {ave_cutoff:.2f} for {reach}: their convergent validity is not established beyond "
                 "sampling error.")
    elif weak.empty:
        text += f" Every AVE is at least {ave_cutoff:.2f} (convergent validity)."
    else:
        text += (f" AVE below {ave_cutoff:.2f} (the construct explains less of its items than error does): "
                 + ", ".join(f"{k} ({format_number(v)})" for k, v in weak.items()) + ".")
        if reach:
            text += f" The AVE of {reach} passes {ave_cutoff:.2f}, but its bootstrap interval reaches below it."
    return text


def _interval_reaches_below(reliability: pd.DataFrame, column: str, cutoff: float) -> str:
    """Constructs whose estimate passes ``cutoff`` but whose bootstrap interval reaches below it, with
    estimate and interval ("" when none, or when the table has no intervals)."""
    if f"{column}_ci_lower" not in reliability:
        return ""
    table = reliability.set_index("construct")
    reach = table[(table[column] >= cutoff) & (table[f"{column}_ci_lower"] < cutoff)]
    return ", ".join(f"{k} ({format_number(r[column])}, interval {_bound(r[f'{column}_ci_lower'], cutoff)} to "
                     f"{format_number(r[f'{column}_ci_upper'])})" for k, r in reach.iterrows())


def _bound(value: float, cutoff: float) -> str:
    """A lower bound below ``cutoff`` with enough decimals (at least 3) not to print as the cutoff."""
    decimals = next((d for d in range(3, 9) if round(value, d) < cutoff), 9)
    return f"{value:.{decimals}f}"


def reliability_intervals_skipped(result, draws: int) -> str:
    """Why notebook 02 does not bootstrap omega and AVE for this fit ("" when it does)."""
    if draws <= 0:
        return "Omega and AVE are point estimates (no bootstrap was requested: reliability_draws is 0)."
    if result.missing in ("fiml", "ml"):
        return ("Omega and AVE are point estimates: with FIML the resamples have no complete-data covariance "
                "matrix to recompute them on (missing='listwise' bootstraps them).")
    if result.estimator.upper() in ("WLSMV", "DWLS", "WLSM", "ULSMV"):
        return ("Omega and AVE are point estimates: with WLSMV every resample needs new polychoric correlations "
                "(about half a second per draw) and many resamples lack a category; estimator ML or MLR "
                "bootstraps them.")
    return ""


def reliability_interval_note(reliability: pd.DataFrame, skipped: str = "") -> str:
    """How the omega and AVE intervals in the table were computed, or why there are none."""
    if skipped or "omega_ci_lower" not in reliability:
        return skipped or "Omega and AVE are point estimates."
    attrs = reliability.attrs
    draws, failed, level = attrs["draws"], attrs.get("draws_failed", 0), attrs.get("level", 0.95)
    kind = "percentile" if attrs.get("ci", "percentile") == "percentile" else "bias-corrected percentile"
    refits = f"all {draws} refits converged" if failed == 0 else f"{failed} of {draws} refits failed and are left out"
    return (f"The omega and AVE intervals are {level:.0%} bootstrap {kind} intervals: the CFA was refitted on "
            f"{draws} resamples of its respondents ({refits}).")


def sample_sentence(result, n_respondents: int, estimator_reason: str) -> str:
    """Which estimator, and on how many of the survey's respondents (listwise or FIML)."""
    used = result.ntotal
    if result.missing in ("fiml", "ml"):
        return f"Estimated with {estimator_reason}, on all {used} respondents (FIML uses every answer given)."
    dropped = n_respondents - used
    if dropped <= 0:
        return f"Estimated with {estimator_reason}, on all {used} respondents."
    return (f"Estimated with {estimator_reason}, on {used} of {n_respondents} respondents: {dropped} with a missing "
            "answer on a model item are left out (listwise deletion; missing='fiml' uses every answer).")


def alternatives_text(alternatives) -> str:
    """The recommendation (or that there is none), with the reason and criterion."""
    return alternatives.reason


def efa_sentence(n_factors: int, row: pd.Series, n_holdout: int, design=None, suggested: str = "") -> str:
    """The exploratory check, labelled as a different model on a different half of the data.

    With the ``design`` and the ``suggested`` syntax, it also says where the structure
    found departs from the codebook's: fewer or more factors, items left out, whole
    constructs that do not emerge.
    """
    text = (f"Exploratory check (not the CFA above): parallel analysis on one random half retains "
            f"{n_factors} factor(s); the CFA that this EFA suggests, fitted on the other half "
            f"({n_holdout} respondents), gives " + fit_sentence(row).split(": ", 1)[1])
    return text + (_efa_departures(n_factors, design, suggested) if design is not None and suggested else "")


def _efa_departures(n_factors: int, design, suggested: str) -> str:
    analysed = [n for n in design.constructs if set(design.codebook.items_of(n)) <= set(design.efa_items)]
    kept = {s.rhs for s in parse(suggested)[0] if s.op == "=~"}
    left_out = [i for i in design.efa_items if i not in kept]
    lost = [n for n in analysed if not set(design.codebook.items_of(n)) & kept]
    parts = []
    if n_factors != len(analysed):
        parts.append(f"the codebook has {len(analysed)} constructs for these items, the data suggest {n_factors}")
    if left_out:
        parts.append("the suggested model leaves out " + ", ".join(left_out)
                     + (f" (all items of {', '.join(lost)})" if lost else ""))
    if not parts:
        return " The structure the codebook assumes emerges from the data."
    return (" The structure does not emerge as the codebook assumes: " + "; ".join(parts)
            + ". Check these constructs' items before relying on the CFA.")


def summary(design, fit_row: pd.Series, diagnostics: pd.DataFrame, reliability: pd.DataFrame | None,
            alternatives=None, sample: str = "") -> str:
    """The section's executive summary: the CFA fit of the table, estimator and n, diagnosis,
    reliability, alternative."""
    parts = [f"Measurement model ({len(design.multi_item)} multi-item constructs). " + fit_sentence(fit_row),
             sample, diagnosis(diagnostics)]
    if reliability is not None and len(reliability):
        parts.append(reliability_sentence(reliability))
    if alternatives is not None and (len(alternatives.fits) > 1 or alternatives.collinear):
        parts.append(alternatives_text(alternatives))
    note = single_item_note(design)
    if note:
        parts.append(note.split(". A single item")[0] + ": not in the CFA.")
    return " ".join(p for p in parts if p)


__all__ = ["sample_sentence", "fit_sentence", "diagnosis", "single_item_note", "reliability_sentence", "alternatives_text",
           "reliability_intervals_skipped", "reliability_interval_note",
           "efa_sentence", "summary", "severe_rows", "IMPROPER_CHECKS"]
