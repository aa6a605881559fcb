"""Fit measures as lavaan's ``fitMeasures()`` reports them for ML.

Formulas (N = total sample size, G = number of groups, F = sum_g n_g F_g / N):

* chisq = N F; baseline: independence model (free variances, zero covariances,
  exogenous covariates' block and means saturated).
* cfi = 1 - max(X2 - df, 0) / max(X2 - df, X2b - dfb, 0);
  tli = (X2b/dfb - X2/df) / (X2b/dfb - 1); nfi = (X2b - X2) / X2b.
* rmsea = sqrt(G) sqrt(max(X2/(N df) - 1/N, 0)); its 90% interval inverts the
  non-central chi-square in the non-centrality; p-value of close fit uses
  ncp = N df 0.05^2 / G.
* srmr (Bentler): root mean square of the standardised residuals
  (s_ij - sigma_ij) / sqrt(s_ii s_jj) over the lower triangle (and of the mean
  residuals / sqrt(s_ii) when the model has a mean structure), averaged over groups
  with weights n_g / N.
* logl, unrestricted_logl, aic, bic, bic2 (sample-size adjusted, n* = (N + 2)/24).
* gfi = 1 - e'We / s'Ws with the ML weight W at the implied moments; agfi.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import optimize, stats

from .estimation import GroupStats


def _ncp_bound(x2: float, df: int, target: float) -> float:
    """Non-centrality lambda with P(chi2_df(lambda) <= x2) = target (0 if none)."""
    f = lambda lam: stats.ncx2.cdf(x2, df, lam) - target  # noqa: E731
    if df <= 0 or stats.chi2.cdf(x2, df) < target:
        return 0.0
    hi = max(x2, 1.0)
    while f(hi) > 0:
        hi *= 2.0
    return optimize.brentq(f, 0.0, hi, xtol=1e-12)


def rmsea_interval(x2: float, df: int, n: int, groups: int = 1, level: float = 0.90) -> tuple[float, float]:
    if df < 1:  # saturated model: lavaan reports a degenerate interval at 0
        return 0.0, 0.0
    alpha = (1 - level) / 2
    lower = _ncp_bound(x2, df, 1 - alpha)
    upper = _ncp_bound(x2, df, alpha)
    scale = lambda lam: np.sqrt(lam / (n * df)) * np.sqrt(groups) if df > 0 else np.nan  # noqa: E731
    return scale(lower), scale(upper)


def baseline_chisq(stats_: list[GroupStats], ov_x_idx: list[int], meanstructure: bool) -> tuple[float, int]:
    """Chi-square and df of lavaan's independence (baseline) model."""
    total, df = 0.0, 0
    for st in stats_:
        p = st.cov.shape[0]
        base = np.diag(np.diag(st.cov))
        if ov_x_idx:
            xi = np.asarray(ov_x_idx)
            base[np.ix_(xi, xi)] = st.cov[np.ix_(xi, xi)]
        sign, logdet = np.linalg.slogdet(base)
        total += st.n * (logdet - st.logdet)
        px = len(ov_x_idx)
        py = p - px
        moments = p * (p + 1) // 2 - px * (px + 1) // 2
        df += moments - py
    return total, df


def srmr(stats_: list[GroupStats], implied: list[tuple[np.ndarray, np.ndarray]], meanstructure: bool) -> float:
    ntotal = sum(s.n for s in stats_)
    value = 0.0
    for st, (sigma, mu) in zip(stats_, implied):
        sd = np.sqrt(np.diag(st.cov))
        resid = (st.cov - sigma) / np.outer(sd, sd)
        lower = resid[np.tril_indices_from(resid)]
        squares = list(lower**2)
        if meanstructure:
            squares += list(((st.mean - mu) / sd) ** 2)
        value += st.n / ntotal * np.sqrt(np.mean(squares))
    return float(value)


def gfi(stats_: list[GroupStats], implied, meanstructure: bool) -> float:
    ntotal = sum(s.n for s in stats_)
    value = 0.0
    for st, (sigma, mu) in zip(stats_, implied):
        inv = np.linalg.inv(sigma)
        e = (st.cov - sigma) @ inv
        s = st.cov @ inv
        t1 = 0.5 * np.sum(e * e.T)
        t2 = 0.5 * np.sum(s * s.T)
        if meanstructure:
            d = st.mean - mu
            t1 += d @ inv @ d
            t2 += st.mean @ inv @ st.mean
        value += st.n / ntotal * (1 - t1 / t2)
    return float(value)


def loglik(stats_: list[GroupStats], implied, meanstructure: bool, ov_x_idx=()) -> tuple[float, float]:
    """Model and unrestricted (saturated) log-likelihoods.

    With fixed exogenous covariates (fixed.x) lavaan reports the likelihood of the
    dependent variables given the covariates: the covariates' own saturated
    log-likelihood is subtracted from both.
    """
    logl = unres = 0.0
    for st, (sigma, mu) in zip(stats_, implied):
        if len(ov_x_idx):
            xi = np.asarray(ov_x_idx)
            px = xi.size
            logdet_x = np.linalg.slogdet(st.cov[np.ix_(xi, xi)])[1]
            marginal = -0.5 * st.n * (px * np.log(2 * np.pi) + logdet_x + px)
            logl -= marginal
            unres -= marginal
        p = sigma.shape[0]
        sign, logdet = np.linalg.slogdet(sigma)
        inv = np.linalg.inv(sigma)
        quad = np.sum(st.cov * inv)
        if meanstructure:
            d = st.mean - mu
            quad += d @ inv @ d
        logl += -0.5 * st.n * (p * np.log(2 * np.pi) + logdet + quad)
        unres += -0.5 * st.n * (p * np.log(2 * np.pi) + st.logdet + p)
    return float(logl), float(unres)


def incremental_indices(x2: float, df: int, x2b: float, dfb: int) -> dict:
    """CFI, TLI (NNFI), RFI, NFI, PNFI, IFI and RNI from a model and its baseline (lavaan's formulas)."""
    t1 = max(x2 - df, 0.0)
    t2 = max(x2 - df, x2b - dfb, 0.0)
    nfi = (x2b - x2) / x2b
    tli = (x2b / dfb - x2 / df) / (x2b / dfb - 1) if df > 0 and dfb > 0 else 1.0
    return {
        "cfi": 1.0 if t2 == 0 else 1 - t1 / t2,
        "tli": tli,
        "nnfi": tli,
        "rfi": min(max((x2b / dfb - x2 / df) / (x2b / dfb), 0.0), 1.0) if df > 0 else 1.0,
        "nfi": nfi,
        "pnfi": df / dfb * nfi,
        "ifi": (x2b - x2) / (x2b - df),
        "rni": 1 - (x2 - df) / (x2b - dfb),
    }


def ml_fit_measures(*, fmin: float, npar: int, df: int, stats_: list[GroupStats], implied,
                    meanstructure: bool, ov_x_idx: list[int], n_exo_free: int = 0,
                    baseline: tuple[float, int] | None = None,
                    logliks: tuple[float, float] | None = None) -> pd.Series:
    """All ML fit measures; FIML passes its own baseline chi-square and log-likelihoods."""
    ntotal = sum(s.n for s in stats_)
    G = len(stats_)
    x2 = ntotal * fmin
    x2b, dfb = baseline if baseline is not None else baseline_chisq(stats_, ov_x_idx, meanstructure)
    logl, unres = logliks if logliks is not None else loglik(stats_, implied, meanstructure, ov_x_idx)
    rmsea = np.sqrt(max(x2 / (ntotal * df) - 1 / ntotal, 0.0)) * np.sqrt(G) if df > 0 else 0.0
    lo, hi = rmsea_interval(x2, df, ntotal, G)
    rmsea_p = stats.ncx2.sf(x2, df, ntotal * df * 0.05**2 / G) if df > 0 else np.nan
    # lavaan's GFI with fixed exogenous covariates uses a weight we do not reproduce
    # yet: report NaN rather than a number that differs from lavaan's.
    g = gfi(stats_, implied, meanstructure) if not ov_x_idx else np.nan
    pstar = sum(s.cov.shape[0] * (s.cov.shape[0] + 1) / 2 + (s.cov.shape[0] if meanstructure else 0) for s in stats_)
    # lavaan counts the fixed.x moments in logl/aic through the free parameters
    k = npar + n_exo_free
    out = {
        "npar": npar,
        "fmin": fmin / 2,
        "chisq": x2,
        "df": df,
        "pvalue": stats.chi2.sf(x2, df) if df > 0 else np.nan,
        "baseline_chisq": x2b,
        "baseline_df": dfb,
        "baseline_pvalue": stats.chi2.sf(x2b, dfb),
        **incremental_indices(x2, df, x2b, dfb),
        "rmsea": rmsea,
        "rmsea_ci_lower": lo,
        "rmsea_ci_upper": hi,
        "rmsea_pvalue": rmsea_p,
        "srmr": srmr(stats_, implied, meanstructure),
        "logl": logl,
        "unrestricted_logl": unres,
        "aic": -2 * logl + 2 * k,
        "bic": -2 * logl + k * np.log(ntotal),
        "bic2": -2 * logl + k * np.log((ntotal + 2) / 24),
        "gfi": g,
        "agfi": 1 - (pstar / df) * (1 - g) if df > 0 else (1.0 if np.isfinite(g) else np.nan),
        "ntotal": ntotal,
    }
    return pd.Series(out, dtype=float)


def robust_fit_measures(*, chisq: float, df: int, baseline_chisq: float, baseline_df: int, scaling: float,
                        baseline_scaling: float, ntotal: int, groups: int) -> dict:
    """Scaled test and robust CFI/TLI/RMSEA (Brosseau-Liard & Savalei), as lavaan 0.6 reports them."""
    x2s = chisq / scaling
    t1 = max(chisq - scaling * df, 0.0)
    t2 = max(chisq - scaling * df, baseline_chisq - baseline_scaling * baseline_df, 0.0)
    cfi_robust = 1.0 if np.isclose(t1, 0) and np.isclose(t2, 0) else 1 - t1 / t2
    u1 = (chisq - scaling * df) * baseline_df
    u2 = (baseline_chisq - baseline_scaling * baseline_df) * df
    tli_robust = 1 - u1 / u2 if df > 0 and abs(u2) > 0 else 1.0
    rmsea_robust = np.sqrt(max(chisq / ntotal / df - scaling / ntotal, 0.0)) * np.sqrt(groups) if df > 0 else 0.0
    lo, hi = rmsea_interval(x2s, df, ntotal, groups)
    return {
        "chisq_scaled": x2s,
        "df_scaled": df,
        "pvalue_scaled": stats.chi2.sf(x2s, df) if df > 0 else np.nan,
        "chisq_scaling_factor": scaling,
        "baseline_chisq_scaled": baseline_chisq / baseline_scaling,
        "baseline_df_scaled": baseline_df,
        "baseline_chisq_scaling_factor": baseline_scaling,
        "cfi_robust": cfi_robust,
        "tli_robust": tli_robust,
        "rmsea_robust": rmsea_robust,
        "rmsea_ci_lower_robust": lo * np.sqrt(scaling),
        "rmsea_ci_upper_robust": hi * np.sqrt(scaling),
    }


def fiml_robust_fit_measures(*, chisq: float, df: int, baseline_chisq: float, baseline_df: int, scaling: float,
                             baseline_scaling: float, corrected: dict, ntotal: int, groups: int) -> dict:
    """MLR with FIML as lavaan 0.6 reports it: the scaled test from the Yuan-Bentler factors, and the
    robust CFI/TLI/RMSEA from the FIML-corrected chi-squares and scalings of
    :func:`sqlib.robust.fiml_corrected` (Zhang & Savalei, 2022)."""
    scaled = robust_fit_measures(chisq=chisq, df=df, baseline_chisq=baseline_chisq, baseline_df=baseline_df,
                                 scaling=scaling, baseline_scaling=baseline_scaling, ntotal=ntotal, groups=groups)
    out = {name: value for name, value in scaled.items() if not name.endswith("_robust")}
    out.update(scaled_extras(out["chisq_scaled"], df, out["baseline_chisq_scaled"], baseline_df, ntotal, groups))
    out.update(fiml_corrected_fit_measures(corrected, df, baseline_df, ntotal, groups))
    return out


def fiml_corrected_fit_measures(corrected: dict, df: int, baseline_df: int, ntotal: int, groups: int) -> dict:
    """lavaan's ``*.robust`` CFI/TLI/RNI/RMSEA after FIML, with or without MLR (see
    :func:`sqlib.robust.fiml_corrected`)."""
    xx3, c3 = corrected["xx3"], corrected["c_hat3"]
    xx3_null, c3_null = corrected["xx3_null"], corrected["c_hat3_null"]
    names = ["cfi_robust", "tli_robust", "rmsea_robust", "rmsea_ci_lower_robust", "rmsea_ci_upper_robust",
             "nnfi_robust", "rni_robust", "rmsea_pvalue_robust", "rmsea_notclose_pvalue_robust"]
    if not np.all(np.isfinite([xx3, c3, xx3_null, c3_null])):
        return dict.fromkeys(names, np.nan)
    robust = robust_fit_measures(chisq=xx3, df=df, baseline_chisq=xx3_null, baseline_df=baseline_df, scaling=c3,
                                 baseline_scaling=c3_null, ntotal=ntotal, groups=groups)
    out = {name: value for name, value in robust.items() if name.endswith("_robust")}
    out["nnfi_robust"] = out["tli_robust"]
    out["rni_robust"] = 1 - (xx3 - c3 * df) / (xx3_null - c3_null * baseline_df)
    ncp = ntotal * df / c3 * 0.05**2 / groups
    out["rmsea_pvalue_robust"] = stats.ncx2.sf(xx3 / c3, df, ncp) if df > 0 else np.nan
    out["rmsea_notclose_pvalue_robust"] = (stats.ncx2.cdf(xx3 / c3, df, ntotal * df / c3 * 0.08**2 / groups)
                                           if df > 0 else np.nan)
    return out


def scaled_extras(x2s: float, df: int, x2b_scaled: float, baseline_df: int, ntotal: int, groups: int) -> dict:
    """The incremental indices and RMSEA of a scaled chi-square (lavaan's ``*.scaled`` measures)."""
    out = {f"{name}_scaled": value for name, value in incremental_indices(x2s, df, x2b_scaled, baseline_df).items()}
    out["baseline_pvalue_scaled"] = stats.chi2.sf(x2b_scaled, baseline_df)
    out["rmsea_scaled"] = np.sqrt(max(x2s / (ntotal * df) - 1 / ntotal, 0.0)) * np.sqrt(groups) if df > 0 else 0.0
    out["rmsea_ci_lower_scaled"], out["rmsea_ci_upper_scaled"] = rmsea_interval(x2s, df, ntotal, groups)
    out["rmsea_pvalue_scaled"] = stats.ncx2.sf(x2s, df, ntotal * df * 0.05**2 / groups) if df > 0 else np.nan
    return out
