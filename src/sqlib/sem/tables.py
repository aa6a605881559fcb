"""Tables that paste into a paper: fit summaries and parameter tables.

Every function returns a tidy DataFrame; ``to_latex`` / ``to_csv`` of pandas do
the export.
"""

from __future__ import annotations

import pandas as pd

#: Hu & Bentler (1999) joint criteria, as commonly reported.
HU_BENTLER = {"cfi": (">=", 0.95), "tli": (">=", 0.95), "rmsea": ("<=", 0.06), "srmr": ("<=", 0.08)}


def model_label(result) -> str:
    """A short description of a fitted model, built from the model itself.

    ``"7-factor CFA"`` for a measurement model, ``"structural model (7 latent variables,
    9 paths)"`` when it has regressions, ``"path model (4 variables, 3 paths)"`` without
    latent variables. Use it as the row label of :func:`fit_table` when the caller has
    no better name.

    Examples
    --------
    >>> import sqlib
    >>> model_label(sqlib.fit(sqlib.models.cfa_syntax(), sqlib.load_sample()))
    '7-factor CFA'
    """
    paths = [r for r in result.spec.rows if r.op == "~" and r.group == 1]
    latent = result.latent
    if not paths:
        return f"{len(latent)}-factor CFA"
    if not latent:
        variables = {r.lhs for r in paths} | {r.rhs for r in paths}
        return f"path model ({len(variables)} variables, {len(paths)} paths)"
    return f"structural model ({len(latent)} latent variables, {len(paths)} paths)"


def fit_table(results, cutoffs: dict | None = None, *, name: str | None = None) -> pd.DataFrame:
    """One row per model with the fit measures researchers report.

    Parameters
    ----------
    results : SEMResult or dict of name -> SEMResult
        The row labels (column ``model``) are the dict keys: the caller names the models.
    cutoffs : dict, optional
        measure -> (">=" or "<=", value); default Hu & Bentler (1999):
        CFI >= .95, TLI >= .95, RMSEA <= .06, SRMR <= .08.
    name : str, optional
        Row label when ``results`` is a single result (default: :func:`model_label`).

    Returns
    -------
    DataFrame
        ``model, npar, chisq, df, pvalue, chisq_df, cfi, tli, rmsea, rmsea_ci_lower,
        rmsea_ci_upper, srmr, aic, bic`` plus ``<measure>_ok`` booleans for each cutoff and
        ``meets_cutoffs`` (all of them). ``npar`` and ``df`` are integers.

    Examples
    --------
    The R equivalent is ``fitMeasures(fit, c("chisq", "df", "cfi", "tli", "rmsea", "srmr"))``:

    >>> import sqlib
    >>> res = sqlib.fit(sqlib.models.cfa_syntax(), sqlib.load_sample())
    >>> sqlib.tables.fit_table({"CFA": res})[["model", "cfi", "meets_cutoffs"]].shape
    (1, 3)
    """
    if not isinstance(results, dict):
        results = {name if name is not None else model_label(results): results}
    elif name is not None:
        raise ValueError("fit_table: name= labels a single result; with a dict of results the "
                         "dict keys are the labels.")
    cutoffs = HU_BENTLER if cutoffs is None else cutoffs
    rows = []
    for label, res in results.items():
        fm = res.fit_measures
        row = {"model": label, "npar": int(fm["npar"]), "chisq": fm["chisq"], "df": int(fm["df"]),
               "pvalue": fm["pvalue"]}
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


def shared_outcomes(results: dict) -> list[str]:
    """Variables regressed on others (left of ``~``) in every model, in the first model's order."""
    per_model = [[r.lhs for r in res.spec.rows if r.op == "~"] for res in results.values()]
    if not per_model:
        return []
    common = set(per_model[0]).intersection(*map(set, per_model[1:]))
    return [v for v in dict.fromkeys(per_model[0]) if v in common]


def model_comparison(results: dict, r2: tuple[str, ...] | list[str] | None = None) -> pd.DataFrame:
    """Fit of candidate models side by side, with the R-squared of their outcomes.

    Parameters
    ----------
    results : dict of name -> SEMResult
    r2 : list of str, optional
        Variables whose R-squared to add as ``r2_<name>``. Default: every endogenous
        variable (left of ``~``) that all the models share (none for CFAs); ``()`` for none.
        A variable a model does not explain gets NaN there. In multi-group models the
        columns are ``r2_<name>_<group level>``.

    Returns
    -------
    DataFrame
        The columns of :func:`fit_table` plus the R-squared columns.

    Examples
    --------
    >>> import sqlib
    >>> from sqlib import models, tables
    >>> data = sqlib.load_sample()
    >>> fits = {"full": sqlib.fit(models.structural_syntax(), data),
    ...         "partial": sqlib.fit(models.structural_syntax(direct=True), data)}
    >>> [c for c in tables.model_comparison(fits).columns if c.startswith("r2_")]
    ['r2_satisfaction', 'r2_loyalty']

    R equivalent: ``semTools::compareFit(full, partial)`` plus ``lavInspect(fit, "r2")``.
    """
    if not isinstance(results, dict) or not results:
        raise TypeError("model_comparison needs a non-empty dict of name -> fitted result, "
                        f"got {type(results).__name__}.")
    table = fit_table(results)
    names = shared_outcomes(results) if r2 is None else list(r2)
    for variable in names:
        for column, values in _r2_columns(results, variable).items():
            table[column] = values
    return table


def _r2_columns(results: dict, variable: str) -> dict[str, list[float]]:
    multigroup = [res for res in results.values() if res.spec.ngroups > 1]
    if not multigroup:
        return {f"r2_{variable}": [float(res.r2.get(variable, float("nan"))) for res in results.values()]}
    levels = list(dict.fromkeys(level for res in multigroup for level in res.group_levels))
    columns = {}
    for level in levels:
        columns[f"r2_{variable}_{level}"] = [
            float(res.r2.get((res.group_levels.index(level) + 1, variable), float("nan")))
            if res.spec.ngroups > 1 and level in res.group_levels else float("nan")
            for res in results.values()]
    return columns
