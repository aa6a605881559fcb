"""A results paragraph for a paper, written from the APA tables of a fitted CFA/SEM.

:func:`results_paragraph` states, in the order reviewers look for them (Jackson, Gillaspy &
Purc-Stephenson, 2009; APA JARS-Quant, SEM module): the software and estimator, the sample size and how
missing answers were handled; how the factors were scaled (identification); the chi-square
test with its df and p; CFI, TLI, RMSEA with its 90% interval and SRMR; the range of the
standardized loadings, of composite reliability (ω) and of AVE; discriminant validity (HTMT and
Fornell-Larcker, when given); every structural path with its standardized estimate and 95%
interval; and the R² of every endogenous factor. Every number comes from the tables of
:mod:`sqlib.report.apa_tables`, so :func:`sqlib.report.reporting_checklist.reporting_checklist`
finds them all in agreement.

Numbers follow APA 7 (section 6.36): the zero before the decimal point is dropped only for
statistics that cannot exceed 1 in absolute value -- correlations, proportions, p-values,
standardized loadings of a CFA, ω, AVE, R² and the fit indices -- and kept for those that can:
β (a standardized path can exceed 1 when predictors correlate) and HTMT (a ratio of
correlations, not a correlation, which exceeds 1 when two constructs are not distinct).
"""

from __future__ import annotations

import pandas as pd

from sqlib import __version__
from sqlib.core.formatting import format_number, format_p
from sqlib.report.apa_tables import fit_statistics_table, measurement_table, path_table

__all__ = ["ESTIMATOR_NAMES", "results_paragraph", "sample_text", "identification_text", "fit_text",
           "measurement_text", "validity_text", "paths_text", "r_squared_text", "scaling_method", "two_decimals"]

#: How the paragraph names each estimator.
ESTIMATOR_NAMES = {"ML": "maximum likelihood (ML)",
                   "MLR": "robust maximum likelihood (MLR; Huber-White standard errors, Yuan-Bentler scaled test)",
                   "WLSMV": "diagonally weighted least squares with a mean- and variance-adjusted test (WLSMV)"}


def two_decimals(x: float, bounded: bool = False) -> str:
    """A value with two decimals; without the leading zero when it cannot exceed 1 in absolute value (``bounded``).

    APA 7 drops the leading zero only for statistics that cannot exceed 1 (correlations,
    proportions, p, standardized CFA loadings, ω, AVE, R²); β and HTMT, which can, keep it.

    >>> two_decimals(0.632, bounded=True), two_decimals(0.632), two_decimals(-0.084, bounded=True)
    ('.63', '0.63', '-.08')
    """
    text = f"{0.0 if round(x, 2) == 0 else x:.2f}"
    if bounded:
        text = text.replace("0.", ".", 1) if text.lstrip("-").startswith("0.") else text
    return text


def sample_text(result, n_respondents: int | None = None) -> str:
    """Software, estimator, N, and what happened to respondents with missing answers."""
    estimator = ESTIMATOR_NAMES.get(result.estimator.upper(), result.estimator)
    text = f"The model was estimated in sqlib {__version__} with {estimator} on N = {result.ntotal} respondents"
    if result.missing in ("fiml", "ml"):
        return text + "; missing answers were handled with full-information maximum likelihood (FIML)."
    if n_respondents is None or n_respondents <= result.ntotal:
        return text + (" (no answers were missing)." if n_respondents is not None else ".")
    return (text + f"; {n_respondents - result.ntotal} of {n_respondents} respondents with a missing answer were "
            "excluded (listwise deletion).")


def scaling_method(measurement: pd.DataFrame) -> str:
    """``"marker"`` when every factor has a loading fixed to 1 (no SE), else ``"unit variance"``.

    ``measurement`` is :func:`sqlib.report.apa_tables.measurement_table` of the result.
    """
    fixed = measurement[measurement["se"].isna() & (measurement["b"] == 1.0)]
    return "marker" if set(fixed["construct"]) >= set(measurement["construct"]) else "unit variance"


def identification_text(measurement: pd.DataFrame) -> str:
    """How the factors were scaled, which is what identifies the model."""
    if scaling_method(measurement) == "marker":
        return "Each factor was scaled by fixing the loading of its first indicator to 1 (marker variable)."
    return "Each factor was scaled by fixing its variance to 1."


def fit_text(row: pd.Series) -> str:
    """``χ²(df) = x, p = .xxx, CFI = .xxx, TLI = .xxx, RMSEA = .xxx, 90% CI [.xxx, .xxx], SRMR = .xxx``."""
    scaled = " (scaled)" if row.get("test") == "scaled" else ""
    return (f"The model fit the data as follows: χ²{scaled}({int(row['df'])}) = {row['chisq']:.2f}, "
            f"{format_p(row['pvalue'])}, CFI = {format_number(row['cfi'], 'fit')}, "
            f"TLI = {format_number(row['tli'], 'fit')}, RMSEA = {format_number(row['rmsea'], 'fit')}, "
            f"90% CI [{format_number(row['rmsea_ci_lower'], 'fit')}, {format_number(row['rmsea_ci_upper'], 'fit')}], "
            f"SRMR = {format_number(row['srmr'], 'fit')}.")


def measurement_text(measurement: pd.DataFrame, observed: list[str] | None = None) -> str:
    """Ranges of the standardized loadings (on items), of ω and of AVE."""
    items = measurement if observed is None else measurement[measurement["item"].isin(observed)]
    constructs = items.drop_duplicates("construct")
    return (f"Standardized loadings ranged from {two_decimals(items['std_loading'].min(), True)} to "
            f"{two_decimals(items['std_loading'].max(), True)}; composite reliability (ω) ranged from "
            f"{two_decimals(constructs['omega'].min(), True)} to {two_decimals(constructs['omega'].max(), True)} "
            f"and AVE from {two_decimals(constructs['ave'].min(), True)} to "
            f"{two_decimals(constructs['ave'].max(), True)}.")


def validity_text(validity: pd.DataFrame, cutoff: float = 0.85) -> str:
    """The largest HTMT, and how many pairs pass the Fornell-Larcker criterion."""
    top = validity.loc[validity["htmt"].idxmax()]
    above = int((validity["htmt"] >= cutoff).sum())
    return (f"Discriminant validity: the largest HTMT was {two_decimals(top['htmt'])} ({top['construct_1']} "
            f"and {top['construct_2']}; {above} of {len(validity)} pairs at or above {cutoff:.2f}), and the "
            f"Fornell-Larcker criterion held for {int(validity['fl_ok'].sum())} of {len(validity)} pairs.")


def paths_text(paths: pd.DataFrame) -> str:
    """Every structural path: ``predictor → outcome: β = 0.30, 95% CI [0.21, 0.39], p < .001``."""
    if paths.empty:
        return ""
    parts = [f"{r.predictor} → {r.outcome}: β = {two_decimals(r.beta)}, 95% CI [{two_decimals(r.beta_ci_lower)}, "
             f"{two_decimals(r.beta_ci_upper)}], {format_p(r.pvalue)}" for r in paths.itertuples()]
    return "Standardized structural paths (95% CIs): " + "; ".join(parts) + "."


def r_squared_text(result, paths: pd.DataFrame) -> str:
    """``R² was .54 for satisfaction and .40 for loyalty.``: every outcome of a structural path."""
    outcomes = list(dict.fromkeys(paths["outcome"]))
    if not outcomes:
        return ""
    parts = [f"{two_decimals(result.r2[name], True)} for {name}" for name in outcomes]
    listed = parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]
    return f"R² was {listed}."


def results_paragraph(result, *, n_respondents: int | None = None, validity: pd.DataFrame | None = None,
                      codebook=None) -> str:
    """The results paragraph of a CFA or SEM, every number from the APA tables.

    Parameters
    ----------
    result : SEMResult
    n_respondents : int, optional
        Respondents in the survey, to say how many listwise deletion excluded.
    validity : DataFrame, optional
        :func:`sqlib.analysis.reliability.discriminant_validity` of the model, for the
        discriminant-validity sentence.
    codebook : Codebook, optional
        Orders the constructs.

    Returns
    -------
    str
        One paragraph; fit indices with three decimals, loadings, ω, AVE, HTMT, β and R² with two
        (leading zeros as the module docstring says).

    Examples
    --------
    >>> import sqlib
    >>> fit = sqlib.fit(sqlib.models.cfa_syntax(), sqlib.load_sample())
    >>> results_paragraph(fit, n_respondents=900).split("; ")[1][:40]
    '25 of 900 respondents with a missing ans'

    R equivalent: none; ``papaja::apa_print()`` writes similar fragments for simpler models.
    """
    measurement = measurement_table(result, codebook)
    paths = path_table(result)
    parts = [sample_text(result, n_respondents), identification_text(measurement),
             fit_text(fit_statistics_table(result).iloc[0]), measurement_text(measurement, result.observed)]
    if validity is not None and len(validity):
        parts.append(validity_text(validity))
    parts += [paths_text(paths), r_squared_text(result, paths)]
    return " ".join(p for p in parts if p)
