"""WLSMV: diagonally weighted least squares on thresholds and polychoric correlations.

The objective has the interface of every sqlib estimator (``value``,
``value_and_gradient``, ``information``) on the one parameter vector of the model
(thresholds are entries of it like loadings). With sample statistics s (thresholds,
then correlations), their model-implied values sigma(theta) and the weights
W = diag(1 / diag(Gamma)):

* value  F = (s - sigma)' W (s - sigma)       (lavaan's 2 * fmin); chisq = (N - 1) F
  (lavaan's DWLS statistic counts N - 1)
* information  E = Delta' W Delta               (Delta = d sigma / d theta)
* robust covariance (lavaan's ``se = "robust.sem"``):
  E^-1 Delta' W Gamma W Delta E^-1 / (N - 1)
* scaled-shifted test (Asparouhov & Muthen 2010, lavaan's ``test = "scaled.shifted"``):
  with U = W - W Delta E^-1 Delta' W, a = sqrt(df / tr((U Gamma)^2)),
  T = a chisq + df - a tr(U Gamma); ``chisq_scaling_factor`` = 1 / a.

The delta parameterization is used: latent responses have unit variance, so the
residual variances of the ordered items are 1 minus their explained variance
(computed, not estimated), scaling factors are 1 and intercepts 0.

Continuous items among the ordinal ones (lavaan's ``ordered = c(...)``) keep their own
scale: their statistics are minus the mean (in the threshold block, as lavaan), the variance
and covariances, fitted by the implied means and covariances (free intercepts and residual
variances). With ``missing = "pairwise"`` only the statistics change (see ``ordinal``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from sqlib.core.errors import EstimationError, ModelSpecificationError

from .data import prepare_data
from .estimation import GroupStats, start_values
from .fitchecks import check_linear_dependence, warn_continuous_ordered
from .information import invert_information
from .ordinal import OrdinalStats, one_category_message, ordinal_stats
from .partable import build_spec, check_counts, check_group_modifiers
from .stages import Estimation
from .fitmeasures import incremental_indices, rmsea_interval, robust_fit_measures
from .ram import RAMModel


class DWLSObjective:
    """Diagonally weighted least squares for one group of ordinal (and continuous) items.

    The statistics are lavaan's: thresholds (a continuous item contributes minus its mean in
    their place, a threshold at 0), the variances of continuous items, then the covariances
    (correlations between latent responses). ``n_head`` counts the statistics before the
    covariances.
    """

    name = "DWLS"

    def __init__(self, model: RAMModel, ost: OrdinalStats, threshold_free: np.ndarray):
        self.model = model
        self.ordinal = ost
        self.threshold_free = np.asarray(threshold_free, dtype=int)
        p = len(ost.names)
        cov = ost.cov
        self.stats = [GroupStats(ost.n, cov, ost.means.copy(), float(np.linalg.slogdet(cov)[1]))]
        self.ntotal = ost.n
        self.weights = [1.0]
        self.meanstructure = True
        self.rows, self.cols = ost.pairs
        self.numeric = np.flatnonzero(ost.numeric)
        width = np.array([1 if num else t.size for t, num in zip(ost.thresholds, ost.numeric)])
        start = np.concatenate([[0], np.cumsum(width)[:-1]]).astype(int)
        self.mean_pos = start[self.numeric]                 # where each continuous item's -mean sits
        self.threshold_pos = np.setdiff1d(np.arange(int(width.sum())), self.mean_pos)
        self.n_th = int(width.sum())
        self.n_head = self.n_th + self.numeric.size
        self.s = ost.sample_vector
        self.w = 1.0 / np.diag(ost.gamma)
        self.score_scale = (ost.n - 1) / ost.n   # lavaan's statistic counts N - 1
        assert p == model.p

    def resampled(self, blocks: list[np.ndarray]) -> "DWLSObjective | None":
        """The same objective on other data (a bootstrap draw); None when a draw lacks a category of an item
        (its thresholds would differ) or its polychorics cannot be computed."""
        try:
            ost = ordinal_stats(blocks[0], self.ordinal.names, self.ordinal.numeric)
        except (ModelSpecificationError, EstimationError, np.linalg.LinAlgError, ValueError):
            return None
        if [t.size for t in ost.thresholds] != [t.size for t in self.ordinal.thresholds]:
            return None
        return DWLSObjective(self.model, ost, self.threshold_free)

    @property
    def ordinal_groups(self) -> list[OrdinalStats]:
        return [self.ordinal]

    @property
    def v(self) -> np.ndarray:
        """The weights of the stacked statistics (one group: W)."""
        return self.w

    @property
    def gamma_all(self) -> np.ndarray:
        """Gamma of the stacked statistics (one group: Gamma)."""
        return self.ordinal.gamma

    def score_gradient(self, theta: np.ndarray) -> np.ndarray:
        """The gradient as lavaan's score tests use it: times (N - 1) / N, like its test statistic."""
        return self.value_and_gradient(theta)[1] * self.score_scale

    def _implied(self, theta: np.ndarray, mom: dict) -> np.ndarray:
        head = np.empty(self.n_th)
        head[self.threshold_pos] = theta[self.threshold_free]
        head[self.mean_pos] = -mom["mu"][self.numeric]
        sigma = mom["sigma"]
        return np.concatenate([head, sigma[self.numeric, self.numeric], sigma[self.rows, self.cols]])

    def implied(self, theta: np.ndarray) -> np.ndarray:
        return self._implied(theta, self.model.moments(theta, 1))

    def value(self, theta: np.ndarray) -> float:
        r = self.s - self.implied(theta)
        return float(np.sum(self.w * r * r))

    def value_and_gradient(self, theta: np.ndarray) -> tuple[float, np.ndarray]:
        mom = self.model.moments(theta, 1)
        r = self.s - self._implied(theta, mom)
        wr = self.w * r
        p = self.model.p
        omega = np.zeros((p, p))
        omega[self.rows, self.cols] = omega[self.cols, self.rows] = -wr[self.n_head:]
        omega[self.numeric, self.numeric] = -2.0 * wr[self.n_th:self.n_head]
        omega_mu = None
        if self.numeric.size:
            omega_mu = np.zeros(p)
            omega_mu[self.numeric] = 2.0 * wr[self.mean_pos]
        grad = self.model.gradient(1, mom, omega, omega_mu)
        np.add.at(grad, self.threshold_free, -2.0 * wr[self.threshold_pos])
        return float(np.sum(wr * r)), grad

    def delta(self, theta: np.ndarray) -> np.ndarray:
        """d sigma / d theta: (number of statistics x number of parameters)."""
        d_sigma, d_mu = self.model.jacobian(theta, 1)
        out = np.zeros((self.s.size, theta.size))
        out[self.threshold_pos, self.threshold_free] = 1.0
        out[self.mean_pos] = -d_mu[self.numeric]
        out[self.n_th:self.n_head] = d_sigma[self.numeric, self.numeric, :]
        out[self.n_head:] = d_sigma[self.rows, self.cols, :]
        return out

    def information(self, theta: np.ndarray) -> np.ndarray:
        d = self.delta(theta)
        return d.T @ (self.w[:, None] * d)


def scaled_shifted(chisq: float, df: int, ug_trace: float, ug2_trace: float) -> tuple[float, float, float]:
    """Scaled-shifted statistic, its scaling factor (1/a) and shift parameter (Asparouhov & Muthen 2010)."""
    if df <= 0:  # a saturated model: lavaan reports the statistic 0 and no scaling factor
        return chisq, np.nan, np.nan
    a = np.sqrt(df / ug2_trace)
    shift = df - a * ug_trace
    return a * chisq + shift, 1.0 / a, shift


def robust_dwls(objective: DWLSObjective, theta: np.ndarray, info_inv: np.ndarray, df: int) -> dict:
    """Sandwich covariance of the estimates and the scaled-shifted test ingredients.

    ``info_inv`` is the inverse of ``Delta' W Delta``.
    """
    d = objective.delta(theta)
    gamma = objective.ordinal.gamma
    wd = objective.w[:, None] * d
    meat = wd.T @ gamma @ wd
    vcov = info_inv @ meat @ info_inv / (objective.ntotal - 1)   # lavaan: N - (number of groups)
    u = np.diag(objective.w) - wd @ info_inv @ wd.T
    ug = u @ gamma
    return {"vcov": vcov, "ug_trace": float(np.trace(ug)), "ug2_trace": float(np.sum(ug * ug.T)),
            "delta": d, "info_inv": info_inv}


def _rmsea(x2, df, n) -> dict:
    """RMSEA, its 90% interval, and lavaan's tests of close (0.05) and not-close (0.08) fit."""
    value = np.sqrt(max(x2 / (n * df) - 1 / n, 0.0)) if df > 0 else 0.0
    lo, hi = rmsea_interval(x2, df, n)
    return {"rmsea": value, "rmsea_ci_lower": lo, "rmsea_ci_upper": hi,
            "rmsea_pvalue": stats.ncx2.sf(x2, df, n * df * 0.05**2) if df > 0 else np.nan,
            "rmsea_notclose_pvalue": stats.ncx2.cdf(x2, df, n * df * 0.08**2) if df > 0 else np.nan}


def _hoelter_and_mfi(x2, df, n) -> dict:
    """Hoelter's critical N (alpha 0.05 and 0.01) and McDonald's fit index, on N - 1 like the statistic."""
    cn = {f"cn_{tag}": stats.chi2.ppf(1 - alpha, df) / (x2 / n) + 1 if df > 0 and x2 > 0 else np.nan
          for tag, alpha in (("05", 0.05), ("01", 0.01))}
    return {**cn, "mfi": float(np.exp(-0.5 * (x2 - df) / n))}


def catml_robust(objective: DWLSObjective, theta: np.ndarray, df: int, robust: dict) -> dict:
    """Robust CFI/TLI/RMSEA for WLSMV as lavaan computes them (Savalei 2021).

    The model is evaluated by normal-theory ML on the polychoric correlations at the
    DWLS estimates (lavaan's "catML"), and that statistic is corrected with
    c = tr(U' V U Gamma) / df, where U = I - Delta E^-1 Delta' W on the correlations and V
    is the ML weight of the correlation structure at the implied correlations. Nothing is
    reported when the polychoric matrix is not positive definite, nor for models with
    continuous items (as lavaan).
    """
    ost = objective.ordinal
    cor = ost.cor
    if ost.numeric.any() or np.linalg.eigvalsh(cor)[0] < np.sqrt(np.finfo(float).eps):
        return {}
    n, p, n_th = objective.ntotal, cor.shape[0], objective.n_head
    sigma = objective.model.moments(theta, 1)["sigma"]
    inv = np.linalg.inv(sigma)
    i, j = objective.rows, objective.cols
    v = inv[np.ix_(i, i)] * inv[np.ix_(j, j)] + inv[np.ix_(i, j)] * inv[np.ix_(j, i)]
    d, e_inv = robust["delta"], robust["info_inv"]
    d_r, w_r = d[n_th:], objective.w[n_th:]
    u = np.eye(w_r.size) - (d_r @ e_inv @ d_r.T) * w_r[None, :]
    g_rr = ost.gamma[n_th:, n_th:]
    c_hat = float(np.trace(u.T @ v @ u @ g_rr)) / df if df > 0 else 1.0  # saturated: no correction needed
    f_ml = np.linalg.slogdet(sigma)[1] - np.linalg.slogdet(cor)[1] + np.sum(cor * inv) - p
    x3, x3_null = n * f_ml, -n * np.linalg.slogdet(cor)[1]
    c_null = float(np.trace(g_rr)) / w_r.size
    # lavaan's RMSEA for these counts N - 1, like its DWLS statistic
    out = robust_fit_measures(chisq=x3, df=df, baseline_chisq=x3_null, baseline_df=w_r.size, scaling=c_hat,
                              baseline_scaling=c_null, ntotal=n - 1, groups=1)
    keep = {k: out[k] for k in ("cfi_robust", "tli_robust", "rmsea_robust", "rmsea_ci_lower_robust",
                                "rmsea_ci_upper_robust")}
    keep["nnfi_robust"] = keep["tli_robust"]
    if df > 0:  # close-fit tests of the robust RMSEA: the catML statistic over c, on N - 1
        ncp = (n - 1) * df / c_hat
        keep["rmsea_pvalue_robust"] = stats.ncx2.sf(x3 / c_hat, df, ncp * 0.05**2)
        keep["rmsea_notclose_pvalue_robust"] = stats.ncx2.cdf(x3 / c_hat, df, ncp * 0.08**2)
    keep["rni_robust"] = 1 - (x3 - c_hat * df) / (x3_null - c_null * w_r.size)
    return keep


def residual_sizes(objective: DWLSObjective, theta: np.ndarray) -> dict:
    """RMR (covariance residuals), SRMR (residuals over the sample SDs) and CRMR (correlation
    residuals, off the diagonal), with and without lavaan's "mean" part: thresholds are saturated,
    so their residuals are zero, but the "with mean" versions count them."""
    sample = objective.ordinal.cov
    sigma = objective.model.moments(theta, 1)["sigma"]
    sd, implied_sd = np.sqrt(np.diag(sample)), np.sqrt(np.diag(sigma))
    raw = sample - sigma
    standardized = raw / np.outer(sd, sd)
    correlation = sample / np.outer(sd, sd) - sigma / np.outer(implied_sd, implied_sd)
    lower = np.tril_indices_from(raw)
    n_th = objective.threshold_pos.size

    def size(resid, index):
        squares = resid[index] ** 2
        return float(np.sqrt(np.mean(squares))), float(np.sqrt(squares.sum() / (squares.size + n_th)))

    out = {}
    out["rmr_nomean"], out["rmr"] = size(raw, lower)
    out["srmr_bentler_nomean"], out["srmr_bentler"] = size(standardized, lower)
    out["srmr"] = out["srmr_bentler_nomean"]
    out["crmr_nomean"], out["crmr"] = size(correlation, (objective.rows, objective.cols))
    return out


def chi_square_tests(npar, fmin, df, dfb, user: tuple, baseline: tuple) -> dict:
    """The model and baseline tests, standard and scaled-shifted, and the incremental indices of both.

    ``user`` is (chisq, scaled chisq, scaling factor, shift); ``baseline`` is (chisq, scaled, scaling factor).
    """
    x2, x2s, scaling, shift = user
    x2b, x2bs, scaling_b = baseline
    out = {"npar": npar, "fmin": fmin, "chisq": x2, "df": df,
           "pvalue": stats.chi2.sf(x2, df) if df > 0 else np.nan,
           "chisq_scaled": x2s, "df_scaled": df,
           "pvalue_scaled": stats.chi2.sf(x2s, df) if df > 0 else np.nan,
           "chisq_scaling_factor": scaling, "chisq_shift_parameter": shift,
           "baseline_chisq": x2b, "baseline_df": dfb, "baseline_pvalue": stats.chi2.sf(x2b, dfb),
           "baseline_chisq_scaled": x2bs, "baseline_df_scaled": dfb,
           "baseline_pvalue_scaled": stats.chi2.sf(x2bs, dfb),
           "baseline_chisq_scaling_factor": scaling_b}
    out.update(incremental_indices(x2, df, x2b, dfb))
    out.update({f"{k}_scaled": v for k, v in incremental_indices(x2s, df, x2bs, dfb).items()})
    return out


def wlsmv_fit_measures(objective: DWLSObjective, theta: np.ndarray, npar: int, df: int, robust: dict) -> pd.Series:
    """lavaan's fit measures for WLSMV (standard and scaled-shifted versions)."""
    n = objective.ntotal
    ost = objective.ordinal
    fmin = objective.value(theta)
    x2 = (n - 1) * fmin
    x2s, scaling, shift = scaled_shifted(x2, df, robust["ug_trace"], robust["ug2_trace"])
    # independence baseline: thresholds, means and variances saturated, covariances zero
    n_head = objective.n_head
    w_r = objective.w[n_head:]
    g_rr = ost.gamma[n_head:, n_head:]
    dfb = g_rr.shape[0]
    x2b = (n - 1) * float(np.sum(w_r * ost.cov_vector ** 2))
    ug_b = w_r[:, None] * g_rr
    x2bs, scaling_b, _ = scaled_shifted(x2b, dfb, float(np.trace(ug_b)), float(np.sum(ug_b * ug_b.T)))
    out = chi_square_tests(npar, fmin / 2, df, dfb, (x2, x2s, scaling, shift), (x2b, x2bs, scaling_b))
    # like the statistic, lavaan's RMSEA for DWLS counts N - 1 observations
    out.update(_rmsea(x2, df, n - 1))
    out.update({f"{k}_scaled": v for k, v in _rmsea(x2s, df, n - 1).items()})
    out["rmsea_ci_level"] = 0.90
    out["rmsea_close_h0"], out["rmsea_notclose_h0"] = 0.05, 0.08
    out.update(_hoelter_and_mfi(x2, df, n - 1))
    out.update(residual_sizes(objective, theta))
    out["wrmr"] = float(np.sqrt(x2 / objective.s.size))
    # GFI with the DWLS weights over all statistics (thresholds and correlations), as lavaan
    e = objective.s - objective.implied(theta)
    nel = objective.s.size
    out["gfi"] = 1 - float(np.sum(objective.w * e * e) / np.sum(objective.w * objective.s ** 2))
    out["agfi"] = 1 - nel / df * (1 - out["gfi"]) if df > 0 else 1.0
    out["pgfi"] = df / nel * out["gfi"]
    out.update(catml_robust(objective, theta, df, robust))
    out["ntotal"] = n
    return pd.Series(out, dtype=float)


def check_predictors(spec, ordered):
    """Refuse ordered items as predictors, and continuous exogenous predictors (lavaan's conditional.x)."""
    used = sorted({r.rhs for r in spec.rows if r.op == "~" and r.rhs in ordered})
    if used:
        raise ModelSpecificationError(
            f"Ordered item(s) {', '.join(used)} are used as predictors; with WLSMV an ordinal item can only be "
            "an indicator or an outcome. Use a factor measured by the item, or treat it as continuous (MLR).")
    if spec.ov_x:
        raise ModelSpecificationError(
            f"Continuous item(s) {', '.join(spec.ov_x)} are exogenous predictors; lavaan then conditions the "
            "ordinal statistics on them (conditional.x), which sqlib's WLSMV does not do yet. Let a factor "
            "measured by the item be the predictor (f =~ item), or fit the items as continuous (MLR).")


# ------------------------------------------------------------------ WLSMV steps of the recipe registry
def refuse_single_category_items(data: pd.DataFrame, ordered) -> None:
    """An ordered item answered in one category only has no threshold: refuse it, naming it."""
    for v in ordered:
        observed = data[v].dropna().unique()
        if len(observed) == 1:
            raise ModelSpecificationError(one_category_message(v, observed[0]))


def ordinal_data(est: Estimation) -> None:
    """Thresholds (and means and variances of continuous items), polychoric, polyserial and Pearson
    correlations and their asymptotic covariance (Gamma). Listwise deletion, or with
    ``missing = "pairwise"`` every respondent with an answer: each statistic then uses the
    respondents who answered its items (lavaan's pairwise WLSMV)."""
    opts = est.options
    ov = opts.probe.ov_names
    refuse_single_category_items(est.data, opts.ordered)
    pairwise = opts.missing == "pairwise"
    est.levels, est.blocks, est.n_dropped = prepare_data(est.data, ov, None, fiml=pairwise)
    frame = pd.DataFrame(est.blocks[0], columns=ov)
    warn_continuous_ordered(frame, list(opts.ordered))
    est.ordinal = ordinal_stats(est.blocks[0], ov, [v not in opts.ordered for v in ov])
    check_linear_dependence(frame.cov().to_numpy(), ov)   # pairwise-complete covariances


def ordinal_model(est: Estimation) -> None:
    """Parameter table with thresholds; latent responses of unit variance (delta parameterization);
    continuous items keep free intercepts and residual variances."""
    opts = est.options
    check_group_modifiers(opts.model, 1)
    ov = opts.probe.ov_names
    ost = est.ordinal
    n_thresholds = {v: t.size for v, t, num in zip(ov, ost.thresholds, ost.numeric) if not num}
    spec = build_spec(opts.model, list(opts.columns), meanstructure=True, std_lv=opts.std_lv,
                      orthogonal=opts.orthogonal, ordered=n_thresholds)
    check_predictors(spec, set(opts.ordered))
    est.n_moments = ost.sample_vector.size
    check_counts(spec, est.n_moments)
    est.model = RAMModel(spec)
    est.model.unit_variance = np.flatnonzero(~ost.numeric)


def dwls_objective(est: Estimation) -> None:
    threshold_free = np.array([r.free for r in est.spec.rows if r.op == "|"], dtype=int)
    est.objective = DWLSObjective(est.model, est.ordinal, threshold_free)
    est.stats = est.objective.stats


def threshold_start(est: Estimation) -> None:
    """Start values of the model, with the sample thresholds as those of the thresholds."""
    est.theta0 = start_values(est.model, est.objective.stats, est.options.std_lv)
    est.theta0[est.objective.threshold_free] = est.ordinal.threshold_vector


def robust_sem_vcov(est: Estimation) -> None:
    """lavaan's ``se = "robust.sem"``: the DWLS sandwich with the full Gamma."""
    info_inv = invert_information(est.objective.information(est.optimum.theta), 1, est.spec, est.optimum)
    est.robust = robust_dwls(est.objective, est.optimum.theta, info_inv, est.df)
    est.vcov = est.robust["vcov"]


def delta_residuals(est: Estimation) -> None:
    """Residual variances of the ordered items are 1 minus their explained variance (not estimated)."""
    residual = est.model.moments(est.optimum.theta, 1)["S"]
    for r in est.spec.rows:
        if r.op == "~~" and r.lhs == r.rhs and r.lhs in est.options.ordered and r.free < 0:
            r.value = float(residual[est.model.index[r.lhs], est.model.index[r.lhs]])


def wlsmv_measures(est: Estimation) -> None:
    est.fit_measures = wlsmv_fit_measures(est.objective, est.optimum.theta, est.spec.n_free, est.df, est.robust)
