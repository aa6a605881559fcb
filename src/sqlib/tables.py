"""Tables that paste into a paper: fit summaries and parameter tables.

Every function returns a tidy DataFrame; ``to_latex`` / ``to_csv`` of pandas do
the export.
"""

from __future__ import annotations

import pandas as pd

#: Hu & Bentler (1999) joint criteria, as commonly reported.
HU_BENTLER = {"cfi": (">=", 0.95), "tli": (">=", 0.95), "rmsea": ("<=", 0.06), "srmr": ("<=", 0.08)}


def fit_table(results, cutoffs: dict | None = None) -> pd.DataFrame:
    """One row per model with the fit measures researchers report.

    Parameters
    ----------
    results : SEMResult or dict of name -> SEMResult
    cutoffs : dict, optional
        measure -> (">=" or "<=", value); default Hu & Bentler (1999):
        CFI >= .95, TLI >= .95, RMSEA <= .06, SRMR <= .08.

    Returns
    -------
    DataFrame
        ``model, npar, chisq, df, pvalue, chisq_df, cfi, tli, rmsea, rmsea_ci_lower,
        rmsea_ci_upper, srmr, aic, bic`` plus ``<measure>_ok`` booleans for each cutoff and
        ``meets_cutoffs`` (all of them).

    Examples
    --------
    The R equivalent is ``fitMeasures(fit, c("chisq", "df", "cfi", "tli", "rmsea", "srmr"))``:

    >>> import sqlib
    >>> res = sqlib.fit(sqlib.models.cfa_syntax(), sqlib.load_sample())
    >>> sqlib.tables.fit_table({"CFA": res})[["model", "cfi", "meets_cutoffs"]].shape
    (1, 3)
    """
    if not isinstance(results, dict):
        results = {"model": results}
    cutoffs = HU_BENTLER if cutoffs is None else cutoffs
    rows = []
    for name, res in results.items():
        fm = res.fit_measures
        row = {"model": name}
        for key in ("npar", "chisq", "df", "pvalue"):
            row[key] = fm[key]
        row["chisq_df"] = fm["chisq"] / fm["df"] if fm["df"] > 0 else float("nan")
        for key in ("cfi", "tli", "rmsea", "rmsea_ci_lower", "rmsea_ci_upper", "srmr", "aic", "bic"):
            row[key] = fm.get(key, float("nan"))  # WLSMV has no likelihood: no AIC/BIC
        oks = []
        for measure, (direction, value) in cutoffs.items():
            ok = fm[measure] >= value if direction == ">=" else fm[measure] <= value
            row[f"{measure}_ok"] = bool(ok)
            oks.append(bool(ok))
        row["meets_cutoffs"] = all(oks)
        rows.append(row)
    return pd.DataFrame(rows)


def parameter_table(result, ops=("=~", "~", ":="), digits: int = 3) -> pd.DataFrame:
    """APA-style parameter table: parameter, b, SE, z, p, 95% CI, beta (standardized).

    The R equivalent is ``parameterEstimates(fit, standardized = TRUE)``.
    """
    est = result.estimates
    part = est[est["op"].isin(ops)].copy()
    table = pd.DataFrame({
        "parameter": part["lhs"] + " " + part["op"] + " " + part["rhs"].fillna(""),
        "b": part["est"], "se": part["se"], "z": part["z"], "p": part["pvalue"],
        "ci_lower": part["ci_lower"], "ci_upper": part["ci_upper"], "beta": part["std_all"],
    })
    if result.spec.ngroups > 1:
        table.insert(1, "group", part["group"].to_numpy())
    return table.round(digits).reset_index(drop=True)


def model_comparison(results: dict, r2: tuple[str, ...] = ("satisfaction", "loyalty")) -> pd.DataFrame:
    """Fit of candidate models side by side, with the R-squared of the named outcomes.

    Columns: those of :func:`fit_table` plus ``r2_<name>`` for each outcome in ``r2``
    that the model explains.
    """
    table = fit_table(results)
    for name in r2:
        table[f"r2_{name}"] = [res.r2.get(name, float("nan")) for res in results.values()]
    return table
