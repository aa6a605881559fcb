"""APA-style tables of a fitted CFA/SEM: measurement, model fit and structural paths.

Each ``*_table`` function returns a tidy DataFrame with snake_case columns and full
precision (for CSV export, for tests, and for :func:`sqlib.report.reporting_checklist.reporting_checklist`
to compare a paragraph with). :func:`apa_format` turns any of them into a table that pastes
into a paper: APA headings (b, SE, β, λ, ω, χ²), p-values as ``< .001`` or ``.034``, three
decimals, and each confidence interval as one ``[lower, upper]`` column.

The leading zero follows APA 7 (section 6.36): it is dropped only for statistics that cannot
exceed 1 in absolute value -- correlations, proportions, p, the standardized loadings of a
CFA, ω, AVE, R² and the fit indices -- and kept for those that can: b, SE, z, β (a standardized
path exceeds 1 when predictors correlate strongly) and HTMT (a ratio of correlations).

The numbers come from the functions that already compute them: loadings and paths from the
result's ``estimates`` and ``standardized_solution()``, ω and AVE from
:func:`sqlib.analysis.reliability.construct_reliability`, fit from
:func:`sqlib.sem.tables.fit_table`.
"""

from __future__ import annotations

import pandas as pd

from sqlib.analysis.reliability import construct_reliability
from sqlib.core.formatting import MISSING, format_number
from sqlib.sem.tables import fit_table
from .presentation import FormattedTable

__all__ = ["measurement_table", "fit_statistics_table", "path_table", "apa_format", "ROBUST_ESTIMATORS"]

#: Estimators whose fit is reported with the scaled test statistic and robust indices.
ROBUST_ESTIMATORS = ("MLR", "MLM", "WLSMV")

#: column -> (APA heading, display kind); kinds as :func:`sqlib.core.formatting.format_number`.
APA_COLUMNS = {
    "model": ("Model", "text"), "estimator": ("Estimator", "text"), "test": ("Test", "text"),
    "construct": ("Construct", "text"), "item": ("Item", "text"), "outcome": ("Outcome", "text"),
    "predictor": ("Predictor", "text"), "label": ("Label", "text"),
    "n": ("N", "count"), "npar": ("Parameters", "count"), "df": ("df", "count"),
    "chisq": ("χ²", "number"), "pvalue": ("p", "p"),
    "cfi": ("CFI", "fit"), "tli": ("TLI", "fit"), "rmsea": ("RMSEA", "fit"), "srmr": ("SRMR", "fit"),
    "b": ("b", "number"), "se": ("SE", "number"), "z": ("z", "number"),
    "std_loading": ("λ", "fit"), "omega": ("ω", "fit"), "ave": ("AVE", "fit"),
    "beta": ("β", "number"),
}
#: interval columns shown as one "[lower, upper]" column: lower -> (upper, heading, kind).
APA_INTERVALS = {
    "rmsea_ci_lower": ("rmsea_ci_upper", "RMSEA 90% CI", "fit"),
    "ci_lower": ("ci_upper", "95% CI", "number"),
    "beta_ci_lower": ("beta_ci_upper", "β 95% CI", "number"),
}
#: columns whose value belongs to the construct: shown on its first row only.
PER_CONSTRUCT = ("construct", "omega", "ave")


def measurement_table(result, codebook=None) -> pd.DataFrame:
    """Every loading of a fitted model with its construct's reliability and AVE.

    Parameters
    ----------
    result : SEMResult
        A CFA or SEM fitted with :func:`sqlib.fit` (first group of a multi-group model).
    codebook : Codebook, optional
        Orders the constructs as the codebook lists them.

    Returns
    -------
    DataFrame
        One row per ``=~`` loading: ``construct``, ``item`` (an observed item, or a
        first-order factor under a second-order factor), ``b`` and ``se`` (unstandardized;
        ``se`` is NaN for the loading fixed to 1), ``std_loading`` (completely standardized,
        lavaan's ``std.all``), and the construct's ``omega`` (composite reliability,
        ``semTools::compRelSEM``) and ``ave`` (``semTools::AVE``), repeated on each of its rows;
        NaN for a second-order factor: its reliability is defined at the second level
        (omega at level 2, ``semTools::reliabilityL2``), which is not computed here.

    Examples
    --------
    >>> import sqlib
    >>> fit = sqlib.fit(sqlib.models.cfa_syntax(), sqlib.load_sample())
    >>> measurement_table(fit).columns.tolist()
    ['construct', 'item', 'b', 'se', 'std_loading', 'omega', 'ave']

    R equivalent: ``parameterEstimates(fit, standardized = TRUE)`` filtered on ``op == "=~"``,
    with ``semTools::compRelSEM(fit)`` and ``semTools::AVE(fit)``.
    """
    est = result.estimates
    rows = est[(est["op"] == "=~") & (est["group"] == 1)]
    reliability = construct_reliability(result, codebook=codebook).set_index("construct")
    order = list(reliability.index) + [f for f in dict.fromkeys(rows["lhs"]) if f not in reliability.index]
    rows = rows.assign(_order=rows["lhs"].map({name: k for k, name in enumerate(order)})).sort_values(
        "_order", kind="stable")
    se = rows["se"].where(rows["se"] > 0)
    return pd.DataFrame({
        "construct": rows["lhs"].to_numpy(), "item": rows["rhs"].to_numpy(), "b": rows["est"].to_numpy(),
        "se": se.to_numpy(), "std_loading": rows["std_all"].to_numpy(),
        "omega": rows["lhs"].map(reliability["omega"]).to_numpy(dtype=float),
        "ave": rows["lhs"].map(reliability["ave"]).to_numpy(dtype=float),
    })


def _fit_row(label: str, result, base: pd.Series) -> dict:
    fm = result.fit_measures
    robust = result.estimator.upper() in ROBUST_ESTIMATORS and "chisq_scaled" in fm
    row = {"model": label, "estimator": result.estimator.upper(), "test": "scaled" if robust else "standard",
           "n": int(result.ntotal)}
    if robust:
        df = fm.get("df_scaled", fm["df"])
        row.update(chisq=fm["chisq_scaled"], df=int(round(df)), pvalue=fm["pvalue_scaled"],
                   cfi=fm.get("cfi_robust", fm.get("cfi_scaled")), tli=fm.get("tli_robust", fm.get("tli_scaled")),
                   rmsea=fm.get("rmsea_robust", fm.get("rmsea_scaled")),
                   rmsea_ci_lower=fm.get("rmsea_ci_lower_robust", fm.get("rmsea_ci_lower_scaled")),
                   rmsea_ci_upper=fm.get("rmsea_ci_upper_robust", fm.get("rmsea_ci_upper_scaled")))
    else:
        row.update({key: base[key] for key in ("chisq", "df", "pvalue", "cfi", "tli", "rmsea", "rmsea_ci_lower",
                                               "rmsea_ci_upper")})
    row["srmr"] = base["srmr"]
    return row


def fit_statistics_table(results, *, name: str | None = None) -> pd.DataFrame:
    """The fit statistics a paper reports, one row per model.

    Parameters
    ----------
    results : SEMResult or dict of name -> SEMResult
    name : str, optional
        Row label of a single result (default :func:`sqlib.sem.tables.model_label`).

    Returns
    -------
    DataFrame
        ``model, estimator, test, n, chisq, df, pvalue, cfi, tli, rmsea, rmsea_ci_lower,
        rmsea_ci_upper, srmr``. ``n`` is the number of respondents the model used. With a
        robust estimator (MLR, WLSMV) ``test`` is ``"scaled"`` and the chi-square, its df and
        p, CFI, TLI and RMSEA are the scaled/robust ones, as lavaan's ``summary(fit,
        fit.measures = TRUE)`` prints them in its "Robust" column; otherwise ``"standard"``.

    Examples
    --------
    >>> import sqlib
    >>> fit = sqlib.fit(sqlib.models.cfa_syntax(), sqlib.load_sample())
    >>> fit_statistics_table({"CFA": fit})[["model", "estimator", "n", "df"]].to_dict("records")
    [{'model': 'CFA', 'estimator': 'ML', 'n': 875, 'df': 356}]

    R equivalent: ``fitMeasures(fit, c("chisq", "df", "pvalue", "cfi", "tli", "rmsea",
    "rmsea.ci.lower", "rmsea.ci.upper", "srmr"))`` (``.scaled``/``.robust`` for MLR).
    """
    base = fit_table(results, name=name) if not isinstance(results, dict) else fit_table(results)
    if not isinstance(results, dict):
        results = {base["model"].iloc[0]: results}
    rows = [_fit_row(label, res, base.iloc[k]) for k, (label, res) in enumerate(results.items())]
    return pd.DataFrame(rows)


def path_table(result) -> pd.DataFrame:
    """The structural paths (``~``) with unstandardized and standardized estimates and 95% CIs.

    Returns
    -------
    DataFrame
        One row per regression path of the first group: ``outcome``, ``predictor``,
        ``label``, ``b``, ``se``, ``z``, ``pvalue``, ``ci_lower``, ``ci_upper`` (of b), ``beta``
        (lavaan's ``std.all``), ``beta_ci_lower``, ``beta_ci_upper`` (delta-method interval
        of the standardized estimate, ``standardizedSolution()``). With a bootstrapped
        result the b intervals are the bootstrap ones.

    Examples
    --------
    >>> import sqlib
    >>> fit = sqlib.fit(sqlib.models.structural_syntax(), sqlib.load_sample())
    >>> path_table(fit)[["outcome", "predictor"]].iloc[-1].tolist()
    ['loyalty', 'satisfaction']

    R equivalent: ``parameterEstimates(fit, standardized = TRUE)`` and
    ``standardizedSolution(fit)`` filtered on ``op == "~"``.
    """
    est = result.estimates
    paths = est[(est["op"] == "~") & (est["group"] == 1)]
    std = result.standardized_solution()
    std = std[(std["op"] == "~") & (std["group"] == 1)].set_index(["lhs", "rhs"])
    keys = list(zip(paths["lhs"], paths["rhs"]))
    return pd.DataFrame({
        "outcome": paths["lhs"].to_numpy(), "predictor": paths["rhs"].to_numpy(),
        "label": paths["label"].fillna("").to_numpy(), "b": paths["est"].to_numpy(), "se": paths["se"].to_numpy(),
        "z": paths["z"].to_numpy(), "pvalue": paths["pvalue"].to_numpy(),
        "ci_lower": paths["ci_lower"].to_numpy(), "ci_upper": paths["ci_upper"].to_numpy(),
        "beta": paths["std_all"].to_numpy(),
        "beta_ci_lower": [std.loc[k, "ci_lower"] for k in keys], "beta_ci_upper": [std.loc[k, "ci_upper"] for k in keys],
    })


def _cells(values: pd.Series, kind: str) -> list[str]:
    if kind == "text":
        return ["" if v is None or (isinstance(v, float) and v != v) else str(v) for v in values]
    return [format_number(v, kind) for v in values]


def apa_format(table: pd.DataFrame, *, wrap: int = 60) -> FormattedTable:
    """An APA-style display of a table of this module (or any table with the same column names).

    Headings become APA symbols (``b``, ``SE``, ``β``, ``λ``, ``ω``, ``χ²``, ``p``); p-values
    read ``< .001`` or ``.034``; standardized loadings, ω, AVE and fit indices have three
    decimals and no leading zero (they cannot exceed 1 in a proper solution), b, SE, z and β
    three decimals with the zero (they can); each interval is one ``[lower, upper]`` column;
    a construct's name, ω and AVE are shown on its first row only. Columns this module does
    not know are formatted as :func:`sqlib.report.presentation.format_table` would.

    Returns
    -------
    FormattedTable
        Shows as HTML in a notebook; ``to_string()``, ``to_latex()`` and ``cells`` for a paper.

    Examples
    --------
    >>> import pandas as pd
    >>> table = pd.DataFrame({"model": ["CFA"], "chisq": [221.35], "df": [204], "pvalue": [0.19],
    ...                       "cfi": [0.9971], "rmsea_ci_lower": [0.0], "rmsea_ci_upper": [0.0172]})
    >>> apa_format(table).cells.iloc[0].tolist()
    ['CFA', '221.350', '204', '.190', '.997', '[.000, .017]']

    R equivalent: ``papaja::apa_table()`` on a table formatted with ``papaja::printnum()``.
    """
    from .presentation import column_kind

    uppers = {upper for upper, _, _ in APA_INTERVALS.values()}
    cells, kinds = {}, {}
    first_of_construct = ~table["construct"].duplicated() if "construct" in table else None
    for column in table.columns:
        if column in uppers:
            continue
        if column in APA_INTERVALS and APA_INTERVALS[column][0] in table:
            upper, heading, kind = APA_INTERVALS[column]
            shown = [f"[{format_number(lo, kind)}, {format_number(hi, kind)}]" if lo == lo and hi == hi else MISSING
                     for lo, hi in zip(table[column], table[upper])]
        else:
            heading, kind = APA_COLUMNS.get(column, (column, column_kind(column, table[column])))
            shown = _cells(table[column], kind)
        if first_of_construct is not None and column in PER_CONSTRUCT:
            shown = [text if first else "" for text, first in zip(shown, first_of_construct)]
        cells[heading], kinds[heading] = shown, kind
    return FormattedTable(table, pd.DataFrame(cells, dtype=object), kinds, wrap)
