"""Comparing nested models: chi-square difference tests, AIC and BIC.

ML uses the plain likelihood-ratio difference; MLR the Satorra-Bentler (2001)
scaled difference, as lavaan's ``lavTestLRT()`` does for each estimator.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats


def difference_test(restricted, free) -> dict:
    """Chi-square difference test of ``restricted`` (more df) against ``free``.

    Returns a dict with ``delta_chisq, delta_df, delta_pvalue, method``.
    """
    f0, f1 = restricted.fit_measures, free.fit_measures
    d_df = int(f0["df"] - f1["df"])
    if d_df <= 0:
        raise ValueError(
            f"The models are not nested in this order: the first has {int(f0['df'])} df and the second "
            f"{int(f1['df'])}; pass the more restricted model (more df) first."
        )
    if restricted.estimator == "MLR" and free.estimator == "MLR":
        c0, c1 = f0["chisq_scaling_factor"], f1["chisq_scaling_factor"]
        cd = (f0["df"] * c0 - f1["df"] * c1) / d_df
        delta = (f0["chisq"] - f1["chisq"]) / cd
        method = "Satorra-Bentler (2001) scaled difference"
    else:
        delta = f0["chisq"] - f1["chisq"]
        method = "likelihood-ratio (chi-square) difference"
    return {"delta_chisq": float(delta), "delta_df": d_df,
            "delta_pvalue": float(stats.chi2.sf(delta, d_df)) if delta >= 0 else np.nan, "method": method}


def compare(*results, names: list[str] | None = None) -> pd.DataFrame:
    """Model comparison table; consecutive models are tested against each other.

    Parameters
    ----------
    *results : SEMResult
        Models ordered from least to most restricted (or the reverse); each row's
        difference test compares it with the previous row.
    names : list of str, optional

    Returns
    -------
    DataFrame
        ``model, npar, chisq, df, pvalue, cfi, tli, rmsea, srmr, aic, bic,
        delta_chisq, delta_df, delta_pvalue`` (and ``chisq_scaled`` for MLR).

    Examples
    --------
    The R equivalent is ``lavTestLRT(fit0, fit1)``.
    """
    names = names or [f"model {i + 1}" for i in range(len(results))]
    rows = []
    for i, (name, res) in enumerate(zip(names, results)):
        fm = res.fit_measures
        row = {"model": name, "estimator": res.estimator}
        for key in ("npar", "chisq", "df", "pvalue", "cfi", "tli", "rmsea", "srmr", "aic", "bic"):
            row[key] = fm[key]
        if "chisq_scaled" in fm:
            row["chisq_scaled"] = fm["chisq_scaled"]
        if i > 0:
            prev = results[i - 1]
            pair = (res, prev) if fm["df"] > prev.fit_measures["df"] else (prev, res)
            row.update({k: v for k, v in difference_test(*pair).items() if k != "method"})
        rows.append(row)
    return pd.DataFrame(rows)
