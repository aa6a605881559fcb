"""Comparing nested models: chi-square difference tests, AIC and BIC.

ML uses the plain likelihood-ratio difference; MLR the Satorra-Bentler (2001)
scaled difference; WLSMV the scaled-shifted difference of Satorra (2000) that Mplus
calls DIFFTEST, as lavaan's ``lavTestLRT()`` does for each estimator.
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
    if restricted.estimator != free.estimator:
        raise ValueError(f"Both models must use the same estimator ({restricted.estimator} vs {free.estimator}).")
    if restricted.estimator == "WLSMV":
        delta = _difftest(restricted, free, f0["chisq"] - f1["chisq"], d_df)
        method = "scaled-shifted difference (Satorra 2000, DIFFTEST)"
    elif restricted.estimator == "MLR":
        c0, c1 = f0["chisq_scaling_factor"], f1["chisq_scaling_factor"]
        cd = (f0["df"] * c0 - f1["df"] * c1) / d_df
        delta = (f0["chisq"] - f1["chisq"]) / cd
        method = "Satorra-Bentler (2001) scaled difference"
    else:
        delta = f0["chisq"] - f1["chisq"]
        method = "likelihood-ratio (chi-square) difference"
    return {"delta_chisq": float(delta), "delta_df": d_df,
            "delta_pvalue": float(stats.chi2.sf(delta, d_df)) if delta >= 0 else np.nan, "method": method}


def _difftest(restricted, free, raw_difference: float, d_df: int) -> float:
    """Satorra's (2000) difference statistic, scaled and shifted (lavaan's default for WLSMV).

    With Delta0, Delta1 the Jacobians of both models' implied statistics, A spans the
    constraints (orthogonal complement of ginv(Delta1) Delta0), P = Delta1' W Delta1 and
    U = W Delta1 P^-1 A' (A P^-1 A')^- A P^-1 Delta1' W; then a = sqrt(m / tr((U Gamma)^2))
    and the statistic is a * (T0 - T1) + m - a tr(U Gamma).
    """
    from scipy import linalg

    o1, o0 = free.objective, restricted.objective
    if o1.s.shape != o0.s.shape or not np.allclose(o1.s, o0.s):
        raise ValueError("The WLSMV models were not fitted to the same items and rows; they cannot be compared.")
    d1, d0 = o1.delta(free.theta), o0.delta(restricted.theta)
    # ginv(Delta1) Delta0 by least squares (Delta1 has full column rank in an identified model)
    a = linalg.null_space(np.linalg.lstsq(d1, d0, rcond=None)[0].T).T
    # groups stacked with weights n_g / N on W and N / n_g on Gamma (one group: unchanged)
    p_inv = np.linalg.inv(d1.T @ (o1.v[:, None] * d1))
    middle = p_inv @ a.T @ np.linalg.pinv(a @ p_inv @ a.T) @ a @ p_inv
    wd = o1.v[:, None] * d1
    ug = wd @ middle @ wd.T @ o1.gamma_all
    scale = np.sqrt(d_df / np.sum(ug * ug.T))
    return float(scale * raw_difference + d_df - scale * np.trace(ug))


def compare(*results, names: list[str] | None = None) -> pd.DataFrame:
    """Model comparison table; consecutive models are tested against each other.

    Parameters
    ----------
    *results : SEMResult
        Models ordered from least to most restricted (or the reverse); each row's
        difference test compares it with the previous row.
    names : list of str, optional
        Row labels; by default each model's description (``"7-factor CFA"``), with its number of
        free parameters when two descriptions are the same.

    Returns
    -------
    DataFrame
        ``model, npar, chisq, df, pvalue, cfi, tli, rmsea, srmr, aic, bic,
        delta_chisq, delta_df, delta_pvalue`` (and ``chisq_scaled`` for MLR).

    Examples
    --------
    The R equivalent is ``lavTestLRT(fit0, fit1)``.
    """
    names = names or default_names(results)
    rows = []
    for i, (name, res) in enumerate(zip(names, results)):
        fm = res.fit_measures
        row = {"model": name, "estimator": res.estimator}
        for key in ("npar", "chisq", "df", "pvalue", "cfi", "tli", "rmsea", "srmr", "aic", "bic"):
            row[key] = fm.get(key, np.nan)  # no AIC/BIC without a likelihood (WLSMV)
        if "chisq_scaled" in fm:
            row["chisq_scaled"] = fm["chisq_scaled"]
        if i > 0:
            prev = results[i - 1]
            pair = (res, prev) if fm["df"] > prev.fit_measures["df"] else (prev, res)
            row.update({k: v for k, v in difference_test(*pair).items() if k != "method"})
        rows.append(row)
    return pd.DataFrame(rows)


def default_names(results) -> list[str]:
    """Each model's description, told apart by its free parameters (and position) when they repeat."""
    from .tables import model_label

    labels = [model_label(res) for res in results]
    names = [f"{label} ({int(res.fit_measures['npar'])} parameters)" if labels.count(label) > 1 else label
             for label, res in zip(labels, results)]
    return [f"{name} #{i + 1}" if names.count(name) > 1 else name for i, name in enumerate(names)]
