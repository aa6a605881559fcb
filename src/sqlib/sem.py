"""``sqlib.fit``: CFA and SEM in lavaan's syntax with lavaan's numbers.

>>> import sqlib
>>> data = sqlib.load_sample()
>>> res = sqlib.fit("tangibles =~ tan1 + tan2 + tan3 + tan4", data)   # lavaan::cfa()
>>> res.estimates.columns[:5].tolist()
['lhs', 'op', 'rhs', 'group', 'label']
"""

from __future__ import annotations

import copy
import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats

from . import fitchecks
from .errors import ConvergenceWarning, EstimationError, IdentificationError, ModelSpecificationError
from .estimation import GroupStats, MLObjective, optimize, parameter_scales, start_values
from .fitmeasures import ml_fit_measures, robust_fit_measures
from .model import RAMModel
from .partable import ModelSpec, build_spec, check_counts, check_group_modifiers, check_single_variable
from .fiml import FIMLObjective, baseline_loglik, em_saturated, patterns_of
from .robust import mlr, observed_information
from .syntax import compile_definition

ESTIMATE_COLUMNS = ["lhs", "op", "rhs", "group", "label", "est", "se", "z", "pvalue",
                    "ci_lower", "ci_upper", "std_lv", "std_all"]
_Z975 = stats.norm.ppf(0.975)


def prepare_data(data: pd.DataFrame, ov: list[str], group: str | None, fiml: bool = False):
    if not isinstance(data, pd.DataFrame):
        raise TypeError("data must be a pandas DataFrame with one column per observed variable.")
    frame = data[ov + ([group] if group else [])].copy()
    try:
        values = frame[ov].to_numpy(dtype=float)
    except (TypeError, ValueError):
        _raise_non_numeric(frame, ov)
    frame[ov] = values
    fitchecks.check_finite(frame, ov)
    fitchecks.check_answered(frame, ov, group)
    fitchecks.warn_missing_codes(frame, ov)
    complete = frame[ov].notna().any(axis=1) if fiml else frame[ov].notna().all(axis=1)
    if group:
        complete &= frame[group].notna()
    n_dropped = int((~complete).sum())
    frame = frame[complete]
    if group:
        levels = list(pd.unique(frame[group]))
        blocks = [frame.loc[frame[group] == lev, ov].to_numpy(float) for lev in levels]
    else:
        levels = [None]
        blocks = [frame[ov].to_numpy(float)]
    for lev, x in zip(levels, blocks):
        where = f" in group {lev!r}" if group else ""
        if x.shape[0] < 2:
            raise EstimationError(
                f"Only {x.shape[0]} complete response(s){where}: the model cannot be estimated. "
                "Check the group column and the missing answers (listwise deletion is used)."
            )
        fitchecks.check_respondents(x.shape[0], len(ov), where, fiml)
        const = [v for v, sd in zip(ov, np.nanstd(x, axis=0)) if sd == 0]
        if const:
            raise EstimationError(
                f"Variable(s) {', '.join(const)} have no variance{where}; remove them from the model."
            )
    fitchecks.check_variance_scale(blocks, ov)
    return levels, blocks, n_dropped


def _raise_non_numeric(frame: pd.DataFrame, ov: list[str]) -> None:
    bad = []
    for col in ov:
        converted = pd.to_numeric(frame[col], errors="coerce")
        wrong = frame[col].notna() & converted.isna()
        if wrong.any():
            rows = list(frame.index[wrong][:5])
            bad.append(f"'{col}' (rows {rows}, e.g. {frame.loc[wrong, col].iloc[0]!r})")
    raise ModelSpecificationError(
        "These model variables hold non-numeric values: " + "; ".join(bad)
        + ". Recode them as numbers (sqlib.read_survey reports every such cell)."
    )


@dataclass
class SEMResult:
    """A fitted model. Build it with :func:`sqlib.fit`.

    Attributes
    ----------
    estimates : DataFrame
        lavaan's ``parameterEstimates(fit, standardized = TRUE)``: ``lhs, op, rhs,
        group, label, est, se, z, pvalue, ci_lower, ci_upper, std_lv, std_all``.
    fit_measures : Series
        lavaan's ``fitMeasures(fit)`` with dots as underscores.
    r2 : Series
        Explained variance of every dependent variable (``lavInspect(fit, "r2")``).
    converged : bool
    nobs : list of int
        Complete cases per group; ``n_dropped`` rows were removed (listwise).
    """

    model_syntax: str
    spec: ModelSpec
    model: RAMModel
    objective: MLObjective
    theta: np.ndarray
    vcov: np.ndarray
    converged: bool
    iterations: int
    estimator: str
    group: str | None
    group_levels: list
    n_dropped: int
    blocks: list = field(default=None, repr=False)
    missing: str = "listwise"
    estimates: pd.DataFrame = field(default=None)
    fit_measures: pd.Series = field(default=None)
    r2: pd.Series = field(default=None)

    @property
    def nobs(self) -> list[int]:
        return [s.n for s in self.objective.stats]

    @property
    def ntotal(self) -> int:
        return self.objective.ntotal

    @property
    def observed(self) -> list[str]:
        return list(self.model.ov)

    @property
    def latent(self) -> list[str]:
        return list(self.model.lv)

    def implied_cov(self, group: int = 1) -> pd.DataFrame:
        sigma = self.model.moments(self.theta, group)["sigma"]
        return pd.DataFrame(sigma, index=self.model.ov, columns=self.model.ov)

    def sample_cov(self, group: int = 1) -> pd.DataFrame:
        """Observed covariance matrix (N denominator, as lavaan's sampstat)."""
        st = self.objective.stats[group - 1]
        return pd.DataFrame(st.cov, index=self.model.ov, columns=self.model.ov)

    def latent_cov(self, group: int = 1) -> pd.DataFrame:
        cov = self.model.moments(self.theta, group)["cov_all"][self.model.p:, self.model.p:]
        return pd.DataFrame(cov, index=self.model.lv, columns=self.model.lv)

    def residuals(self, group: int = 1) -> dict[str, pd.DataFrame]:
        """Residuals like lavaan's ``residuals(fit, type = "raw")`` and ``type = "cor"``.

        ``raw`` is S - Sigma; ``cor`` is the observed minus the implied correlation matrix.
        """
        s = self.sample_cov(group)
        sigma = self.implied_cov(group)
        sd_s = np.sqrt(np.diag(s))
        sd_m = np.sqrt(np.diag(sigma))
        cor = s / np.outer(sd_s, sd_s) - sigma / np.outer(sd_m, sd_m)
        return {"raw": s - sigma, "cor": cor}

    def modindices(self, *, minimum: float = 0.0, sort: bool = True) -> pd.DataFrame:
        """Modification indices with expected parameter changes (lavaan's ``modindices()``)."""
        from .modindices import modification_indices

        table = modification_indices(self)
        table = table[table["mi"] >= minimum]
        if sort:
            table = table.sort_values("mi", ascending=False, kind="mergesort")
        return table.reset_index(drop=True)

    def bootstrap(self, draws: int = 1000, *, seed: int = 0, n_jobs: int = 1, ci: str = "percentile",
                  level: float = 0.95, progress: bool = True, engine: str = "local", scheduler=None):
        """Bootstrap draws, SEs and CIs of every parameter (see :func:`sqlib.bootstrap.bootstrap`);
        ``engine="dask"`` runs the draws on a Dask cluster (``scheduler`` address, or a LocalCluster)."""
        from .bootstrap import bootstrap

        return bootstrap(self, draws=draws, seed=seed, n_jobs=n_jobs, ci=ci, level=level, progress=progress,
                         engine=engine, scheduler=scheduler)

    def use_bootstrap(self, boot) -> "SEMResult":
        """Put bootstrap SEs and CIs into ``estimates`` (lavaan's ``se = "bootstrap"``)."""
        table = boot.table.rename(columns={"boot_se": "se_boot", "ci_lower": "ci_lower_boot",
                                           "ci_upper": "ci_upper_boot"}).drop(columns="est")
        est = self.estimates.merge(table, on=["lhs", "op", "rhs", "group"], how="left")
        free = est["se_boot"].notna()
        est.loc[free, "se"] = est.loc[free, "se_boot"]
        est.loc[free, "ci_lower"] = est.loc[free, "ci_lower_boot"]
        est.loc[free, "ci_upper"] = est.loc[free, "ci_upper_boot"]
        est.loc[free, "z"] = est.loc[free, "est"] / est.loc[free, "se"]
        est.loc[free, "pvalue"] = 2 * stats.norm.sf(np.abs(est.loc[free, "z"]))
        self.estimates = est[ESTIMATE_COLUMNS]
        self.boot = boot
        return self

    def standardized_solution(self, level: float = 0.95) -> pd.DataFrame:
        """lavaan's ``standardizedSolution()``: std.all values with delta-method SEs and CIs."""
        return standardized_solution(self, level)

    def summary(self):
        """An object that shows as HTML in a notebook and exports text or LaTeX."""
        from .summary import Summary

        return Summary(self)

    def data_frame(self, group: int = 1) -> pd.DataFrame:
        """The rows the model was fitted to (model variables only)."""
        return pd.DataFrame(self.blocks[group - 1], columns=self.model.ov)

    @property
    def diagnostics(self) -> pd.DataFrame:
        """Checks for improper or uninterpretable solutions (see :mod:`sqlib.diagnostics`)."""
        if getattr(self, "_diagnostics", None) is None:
            from .diagnostics import diagnose

            data = self.data_frame() if self.blocks is not None and self.spec.ngroups == 1 else None
            self._diagnostics = diagnose(self, data=data)
        return self._diagnostics

    @property
    def heywood_cases(self) -> pd.DataFrame:
        """Negative variances and standardized values beyond 1 (improper solutions)."""
        est = self.estimates
        variances = est[(est["op"] == "~~") & (est["lhs"] == est["rhs"]) & (est["est"] < 0)]
        big = est[(est["op"].isin(["=~", "~~"])) & (est["lhs"] != est["rhs"]) & (est["std_all"].abs() > 1)]
        return pd.concat([variances, big]).drop_duplicates()


def fit(
    model: str,
    data: pd.DataFrame,
    *,
    estimator: str | None = None,
    ordered: list[str] | bool | None = None,
    group: str | None = None,
    meanstructure: bool | None = None,
    std_lv: bool = False,
    fixed_x: bool = True,
    orthogonal: bool = False,
    group_equal: list[str] | tuple[str, ...] = (),
    group_partial: list[str] | tuple[str, ...] = (),
    missing: str = "listwise",
    se: str = "standard",
    bootstrap: int = 1000,
    seed: int = 0,
    n_jobs: int = 1,
    progress: bool = True,
) -> SEMResult:
    """Fit a CFA or SEM written in lavaan's model syntax.

    Parameters
    ----------
    model : str
        lavaan syntax: ``=~``, ``~``, ``~~``, ``~ 1``, labels ``a*x``, fixed values
        ``1*x``, ``NA*x``, and defined parameters ``ind := a*b``.
    data : DataFrame
        One column per observed variable; rows with a missing answer on a model
        variable are dropped (listwise deletion, lavaan's default for ML) and counted
        in ``result.n_dropped``.
    estimator : {"ML", "MLR", "WLSMV"}, optional
        "ML" (the default for continuous data): normal-theory maximum likelihood,
        expected-information standard errors.
        "MLR": the same estimates with Huber-White (sandwich) standard errors and the
        Yuan-Bentler scaled chi-square, plus robust CFI/TLI/RMSEA (lavaan's MLR).
        "WLSMV" (the default with ``ordered``): thresholds and polychoric correlations,
        diagonally weighted least squares estimates, robust standard errors and the
        scaled-shifted chi-square (lavaan's ``estimator = "WLSMV"``, delta parameterization).
    ordered : list of str or True, optional
        Items to treat as ordinal (Likert answers as coarse views of continuous
        responses); ``True`` means every observed variable of the model.
    group : str, optional
        Column defining groups: one joint model with a mean structure, parameters
        free in each group unless they share a label.
    meanstructure : bool, optional
        Estimate intercepts (default: only with groups).
    std_lv : bool
        Identify factors by fixing their variances to 1 instead of the first loading.
    fixed_x : bool
        Treat the (co)variances of exogenous observed covariates as fixed at their
        sample values (lavaan's default).
    orthogonal : bool
        No covariances among exogenous latent variables.
    group_equal : list of str
        Parameter types held equal across groups (lavaan's ``group.equal``):
        "loadings", "intercepts", "means", "residuals", "residual.covariances",
        "lv.variances", "lv.covariances", "regressions".
    group_partial : list of str
        Parameters freed from those constraints, e.g. ``["res3~1"]``.
    missing : {"listwise", "fiml"}
        "listwise" drops incomplete rows (counted in ``n_dropped``); "fiml" (alias "ml")
        uses every answer by full-information ML with a mean structure, as lavaan's
        ``missing = "ml"`` (rows without any answer on the model variables are dropped).
    se : {"standard", "bootstrap"}
        "bootstrap" replaces standard errors and confidence intervals (percentile)
        with those of ``bootstrap`` resamples drawn with ``seed`` on ``n_jobs`` processes.

    Returns
    -------
    SEMResult

    Examples
    --------
    The R equivalent is ``lavaan::sem(model, data)``:

    >>> import sqlib
    >>> res = sqlib.fit("satisfaction =~ sat1 + sat2 + sat3\\nloyalty =~ loy1 + loy2 + loy3 + loy4",
    ...                 sqlib.load_sample())
    >>> bool(res.fit_measures["cfi"] > 0.9)
    True
    """
    estimator = (estimator or ("WLSMV" if ordered else "ML")).upper()
    if estimator not in ("ML", "MLR", "WLSMV"):
        raise ModelSpecificationError(
            f"estimator={estimator!r} is not available; use 'ML', 'MLR' (robust ML) or 'WLSMV' (ordinal items)."
        )
    columns = list(data.columns) if isinstance(data, pd.DataFrame) else []
    if estimator == "WLSMV" or ordered:
        from .dwls import fit_wlsmv

        return fit_wlsmv(model, data, columns, estimator=estimator, ordered=ordered, group=group,
                         missing=missing, se=se, std_lv=std_lv, orthogonal=orthogonal)
    if group is not None and group not in columns:
        raise ModelSpecificationError(f"The group column {group!r} is not in the data.")
    missing = {"ml": "fiml", "fiml": "fiml", "listwise": "listwise"}.get(str(missing).lower())
    if missing is None:
        raise ModelSpecificationError("missing must be 'listwise' or 'fiml' (full-information ML).")
    fiml = missing == "fiml"
    if fiml and estimator != "ML":
        raise ModelSpecificationError(
            "missing='fiml' is available with estimator='ML'; robust FIML (MLR) is not implemented yet.")
    probe = build_spec(model, columns, std_lv=std_lv, fixed_x=fixed_x, orthogonal=orthogonal)
    check_single_variable(probe)
    levels, blocks, n_dropped = prepare_data(data, probe.ov_names, group, fiml)
    ngroups = len(levels)
    check_group_modifiers(model, ngroups)
    if fiml:
        _check_complete_rows_dependence(blocks, probe.ov_names, levels, group)
    if meanstructure is None:
        meanstructure = ngroups > 1 or fiml
    if fiml and not meanstructure:
        raise ModelSpecificationError("FIML needs a mean structure; leave meanstructure unset or True.")
    spec = build_spec(model, columns, ngroups=ngroups, meanstructure=meanstructure,
                      std_lv=std_lv, fixed_x=fixed_x, orthogonal=orthogonal,
                      group_equal=group_equal, group_partial=group_partial)
    patterns = None
    if fiml:
        patterns = [patterns_of(x) for x in blocks]
        h1 = [em_saturated(pats, x.shape[1]) for pats, x in zip(patterns, blocks)]
        group_stats = [GroupStats(x.shape[0], cov, mean, np.linalg.slogdet(cov)[1])
                       for x, (mean, cov, _) in zip(blocks, h1)]
    else:
        group_stats = [GroupStats.from_array(x) for x in blocks]
    for lev, st in zip(levels, group_stats):
        where = f" in group {lev!r}" if group else ""
        fitchecks.check_linear_dependence(st.cov, spec.ov_names, where)
        if not np.isfinite(st.logdet):
            raise EstimationError(
                f"The sample covariance matrix{where} is singular although no variables are linearly dependent; "
                "check the data for variables with (almost) no variance."
            )
    rammodel = RAMModel(spec)
    _fill_fixed_x(rammodel, group_stats)
    p = len(spec.ov_names)
    px = len(spec.ov_x)
    n_moments = ngroups * (p * (p + 1) // 2 - px * (px + 1) // 2 + ((p - px) if meanstructure else 0))
    check_counts(spec, n_moments)
    objective = (FIMLObjective(rammodel, patterns, group_stats) if fiml
                 else MLObjective(rammodel, group_stats, meanstructure))
    theta0 = start_values(rammodel, group_stats, std_lv)
    scales = parameter_scales(rammodel, group_stats)
    opt = optimize(objective, theta0, scales)
    if not opt.converged:
        warnings.warn(
            f"The model did not converge ({opt.message}, after {opt.iterations} iterations). "
            "Estimates and fit measures are not trustworthy: check the model for identification, "
            "look for factors with very weak or few indicators, or simplify the model.",
            ConvergenceWarning,
            stacklevel=2,
        )
    # lavaan: expected information for complete-data ML, observed (Hessian) for FIML
    info = observed_information(objective, opt.theta) if fiml else objective.information(opt.theta)
    vcov = invert_information(info, objective.ntotal, spec, opt)
    df = n_moments - spec.n_free
    robust_info = None
    if estimator == "MLR":
        robust_info = mlr(objective, opt.theta, blocks, df)
        vcov = robust_info["vcov"]
    result = SEMResult(model, spec, rammodel, objective, opt.theta, vcov, opt.converged, opt.iterations,
                       estimator, group, levels, n_dropped, blocks)
    result.estimates = estimates_table(result)
    implied = [(result.model.moments(opt.theta, g)["sigma"], result.model.moments(opt.theta, g)["mu"])
               for g in range(1, ngroups + 1)]
    ov_x_idx = [spec.ov_names.index(v) for v in spec.ov_x]
    extra = {}
    fmin = opt.value
    if fiml:
        logl_h0 = objective.loglik(opt.theta)
        logl_h1 = sum(ll for _, _, ll in h1)
        logl_base = sum(baseline_loglik(pats, p) for pats in patterns)
        fmin = 2 * (logl_h1 - logl_h0) / objective.ntotal
        extra = {"baseline": (2 * (logl_h1 - logl_base), ngroups * (p * (p + 1) // 2 - p)),
                 "logliks": (logl_h0, logl_h1)}
    result.fit_measures = ml_fit_measures(fmin=fmin, npar=spec.n_free, df=df, stats_=group_stats,
                                          implied=implied, meanstructure=meanstructure, ov_x_idx=ov_x_idx,
                                          **extra)
    result.missing = missing
    if robust_info is not None:
        fm = result.fit_measures
        robust_fm = robust_fit_measures(
            chisq=fm["chisq"], df=df, baseline_chisq=fm["baseline_chisq"], baseline_df=int(fm["baseline_df"]),
            scaling=robust_info["scaling_factor"], baseline_scaling=_baseline_scaling(spec, blocks, meanstructure),
            ntotal=objective.ntotal, groups=ngroups)
        result.fit_measures = pd.concat([fm, pd.Series(robust_fm, dtype=float)])
    result.r2 = r_squared(result)
    if se == "bootstrap":
        result.use_bootstrap(result.bootstrap(bootstrap, seed=seed, n_jobs=n_jobs, progress=progress))
    elif se != "standard":
        raise ModelSpecificationError(f"se={se!r} is not available; use 'standard' or 'bootstrap'.")
    return result


def _baseline_scaling(spec: ModelSpec, blocks: list[np.ndarray], meanstructure: bool) -> float:
    """Yuan-Bentler scaling factor of the independence model (for robust CFI/TLI)."""
    ov = spec.ov_names
    columns = list(ov)
    base = build_spec("\n".join(f"{v} ~~ {v}" for v in ov), columns, ngroups=len(blocks),
                      meanstructure=meanstructure, fixed_x=False)
    model = RAMModel(base)
    stats_ = [GroupStats.from_array(x) for x in blocks]
    objective = MLObjective(model, stats_, meanstructure)
    theta = np.zeros(base.n_free)
    for r in base.rows:  # the independence model's ML estimates are the sample moments
        st = stats_[r.group - 1]
        i = ov.index(r.lhs)
        theta[r.free] = st.cov[i, i] if r.op == "~~" else st.mean[i]
    p = len(ov)
    dfb = len(blocks) * (p * (p + 1) // 2 - p)
    return mlr(objective, theta, blocks, dfb)["scaling_factor"]


def _fill_fixed_x(model: RAMModel, group_stats: list[GroupStats]) -> None:
    idx = {v: i for i, v in enumerate(model.ov)}
    for row in model.spec.rows:
        if not row.exo:
            continue
        st = group_stats[row.group - 1]
        if row.op == "~~":
            row.value = float(st.cov[idx[row.lhs], idx[row.rhs]])
        else:
            row.value = float(st.mean[idx[row.lhs]])
        model.set_fixed(row.group, row, row.value)


def _check_complete_rows_dependence(blocks, ov, levels, group) -> None:
    """Before FIML's EM step: linear dependence among the complete rows, when there are enough of them."""
    for lev, x in zip(levels, blocks):
        complete = x[~np.isnan(x).any(axis=1)]
        if complete.shape[0] > len(ov):
            where = f" in group {lev!r}" if group else ""
            fitchecks.check_linear_dependence(np.cov(complete.T), ov, where)


def invert_information(info: np.ndarray, ntotal: int, spec: ModelSpec, opt=None) -> np.ndarray:
    """Inverse information / N; singular information means "not identified" only at a converged solution."""
    # judged on the information of theta / scales, so that parameters on different scales (a variance of 400
    # next to a loading of 0.8) do not make a well-identified model look singular
    scales = opt.scales if opt is not None else None
    scaled = info if scales is None else info * np.outer(scales, scales)
    eigval, eigvec = np.linalg.eigh(scaled)
    limit = 1e-10 if scales is None else 1e-12
    singular = bool(eigval.size and eigval[0] <= limit * max(eigval[-1], 1.0))
    if not singular:
        return np.linalg.inv(info) / ntotal
    names = _free_names(spec)
    weights = np.abs(eigvec[:, 0])
    involved = ", ".join(names[i] for i in np.argsort(-weights)[:4] if weights[i] > 0.1)
    if opt is not None and not opt.converged:
        raise EstimationError(
            f"The optimizer did not converge ({opt.message}, after {opt.iterations} iterations), and at the point "
            "where it stopped the information matrix is singular, so no standard errors can be computed. This "
            f"does not show that the model is unidentified. Parameters along the flat direction: {involved}. "
            "Predictors that are almost collinear (see sqlib.reliability.discriminant_validity), items on very different "
            "scales or factors with very weak or few indicators cause this; simplify the model (e.g. a "
            "second-order factor over collinear dimensions) or check the data."
        )
    raise IdentificationError(
        "The model is not identified: the information matrix is singular, so some parameters cannot be "
        f"told apart by the data. Parameters involved: {involved}. "
        "Fix one of them, add equality constraints, or give the factor(s) more indicators."
    )


def _free_names(spec: ModelSpec) -> list[str]:
    names = [""] * spec.n_free
    for r in spec.rows:
        if r.free >= 0 and not names[r.free]:
            suffix = f" (group {r.group})" if spec.ngroups > 1 else ""
            names[r.free] = f"{r.lhs} {r.op} {r.rhs}".strip() + suffix
    return names


def standardizers(result: SEMResult, g: int) -> tuple[dict, dict, dict]:
    """Total SDs (std.all), latent-only SDs (std.lv) and residual SDs per variable."""
    mom = result.model.moments(result.theta, g)
    names = result.model.names
    sd_all = dict(zip(names, np.sqrt(np.clip(np.diag(mom["cov_all"]), 0, None))))
    sd_lv = {v: (sd_all[v] if v in result.model.lv else 1.0) for v in names}
    sd_resid = dict(zip(names, np.sqrt(np.clip(np.diag(mom["S"]), 0, None))))
    return sd_all, sd_lv, sd_resid


def standardize(op, lhs, rhs, value, sd, sd_resid, latent_only=False, latent=()):
    """lavaan's standardization; (residual) covariances use residual SDs (cov.std = TRUE)."""
    if op == "=~":
        return value * sd[lhs] / sd[rhs]
    if op == "~":
        return value * sd[rhs] / sd[lhs]
    if op == "~~" and lhs == rhs:
        return value / sd[lhs] ** 2
    if op == "~~":
        if latent_only and not (lhs in latent and rhs in latent):
            return value
        denom = sd_resid[lhs] * sd_resid[rhs]
        return value / denom if denom > 0 else np.nan
    if op in ("~1", "|"):
        return value / sd[lhs]
    if op == "~*~":
        return value
    return np.nan


def estimates_table(result: SEMResult) -> pd.DataFrame:
    spec, theta = result.spec, result.theta
    se_free = np.sqrt(np.clip(np.diag(result.vcov), 0, None))
    records = []
    scales = {g: standardizers(result, g) for g in range(1, spec.ngroups + 1)}
    for r in spec.rows:
        est = theta[r.free] if r.free >= 0 else r.value
        se = se_free[r.free] if r.free >= 0 else 0.0
        sd_all, sd_lv, sd_resid = scales[r.group]
        rhs = r.rhs or r.lhs
        std_all = standardize(r.op, r.lhs, rhs, est, sd_all, sd_resid)
        std_lv = standardize(r.op, r.lhs, rhs, est, sd_lv, sd_resid, True, result.model.lv)
        records.append([r.lhs, r.op, r.rhs, r.group, r.label, est, se, std_lv, std_all])
    table = pd.DataFrame(records, columns=["lhs", "op", "rhs", "group", "label", "est", "se", "std_lv", "std_all"])
    defined = _defined_rows(result, table)
    table = pd.concat([table, defined], ignore_index=True) if len(defined) else table
    with np.errstate(divide="ignore", invalid="ignore"):
        table["z"] = np.where(table["se"] > 0, table["est"] / table["se"], np.nan)
    table["pvalue"] = 2 * stats.norm.sf(np.abs(table["z"]))
    table["ci_lower"] = table["est"] - _Z975 * table["se"]
    table["ci_upper"] = table["est"] + _Z975 * table["se"]
    fixed = table["se"] == 0
    table.loc[fixed, ["z", "pvalue"]] = np.nan
    return table[ESTIMATE_COLUMNS]


def label_values(spec: ModelSpec, values_by_row) -> dict[str, complex]:
    out = {}
    for r, value in zip(spec.rows, values_by_row):
        if r.label and r.label not in out:
            out[r.label] = value
    return out


def evaluate_definitions(spec: ModelSpec, labels: dict) -> dict:
    env = dict(labels)
    funcs = {"exp": np.exp, "log": np.log, "sqrt": np.sqrt, "abs": np.abs}
    out = {}
    for name, expr, line in spec.definitions:
        code, _ = compile_definition(name, expr, line)
        out[name] = eval(code, {"__builtins__": {}}, {**funcs, **env})  # noqa: S307 (AST-checked)
        env[name] = out[name]
    return out


def _defined_rows(result: SEMResult, table: pd.DataFrame) -> pd.DataFrame:
    spec = result.spec
    if not spec.definitions:
        return pd.DataFrame()
    theta = result.theta.astype(complex)

    def define(th):
        values = [th[r.free] if r.free >= 0 else r.value for r in spec.rows]
        return evaluate_definitions(spec, label_values(spec, values))

    est = {k: float(np.real(v)) for k, v in define(theta).items()}
    # complex-step derivatives: exact for analytic expressions
    h = 1e-20
    jac = np.zeros((len(est), spec.n_free))
    for k in range(spec.n_free):
        step = theta.copy()
        step[k] += 1j * h
        vals = define(step)
        jac[:, k] = [np.imag(vals[name]) / h for name in est]
    cov = jac @ result.vcov @ jac.T
    std_all = evaluate_definitions(spec, label_values(spec, table["std_all"].to_numpy()))
    std_lv = evaluate_definitions(spec, label_values(spec, table["std_lv"].to_numpy()))
    rows = []
    for i, name in enumerate(est):
        rows.append([name, ":=", spec.definitions[i][1].replace(" ", ""), 1, name, est[name],
                     float(np.sqrt(max(cov[i, i], 0.0))), float(std_lv[name]), float(std_all[name])])
    return pd.DataFrame(rows, columns=["lhs", "op", "rhs", "group", "label", "est", "se", "std_lv", "std_all"])


def r_squared(result: SEMResult) -> pd.Series:
    out = {}
    spec = result.spec
    dependents = []
    for r in spec.rows:
        if r.op == "=~" and r.rhs not in dependents:
            dependents.append(r.rhs)
        if r.op == "~" and r.lhs not in dependents:
            dependents.append(r.lhs)
    for g in range(1, spec.ngroups + 1):
        mom = result.model.moments(result.theta, g)
        for v in dependents:
            i = result.model.index[v]
            total = mom["cov_all"][i, i]
            resid = mom["S"][i, i]
            key = v if spec.ngroups == 1 else (g, v)
            out[key] = 1 - resid / total if resid >= 0 else np.nan  # lavaan: NA for negative variances
    return pd.Series(out, dtype=float)


def standardized_solution(result: SEMResult, level: float = 0.95) -> pd.DataFrame:
    """Completely standardized estimates with delta-method standard errors.

    lavaan's ``standardizedSolution(fit)``: columns ``lhs, op, rhs, group, est_std, se,
    z, pvalue, ci_lower, ci_upper``. The Jacobian of the standardized values with
    respect to the free parameters is taken by central differences.
    """
    spec = result.spec
    keep = [i for i, r in enumerate(spec.rows) if r.op in ("=~", "~", "~~", "~1", ":=")]

    def values(theta):
        shadow = copy.copy(result)
        shadow.theta = theta
        scales = {g: standardizers(shadow, g) for g in range(1, spec.ngroups + 1)}
        unit = set(result.model.unit_variance) if result.model.unit_variance is not None else set()
        residual = {g: result.model.moments(theta, g)["S"] for g in range(1, spec.ngroups + 1)} if unit else {}
        out = []
        for r in spec.rows:
            est = theta[r.free] if r.free >= 0 else r.value
            i = result.model.index.get(r.lhs)
            if r.free < 0 and r.op == "~~" and r.lhs == r.rhs and i in unit:  # delta parameterization
                est = residual[r.group][i, i]
            sd_all, _, sd_resid = scales[r.group]
            out.append(standardize(r.op, r.lhs, r.rhs or r.lhs, est, sd_all, sd_resid))
        if spec.definitions:
            defined = evaluate_definitions(spec, label_values(spec, out))
            out += [float(defined[name]) for name, _, _ in spec.definitions]
        return np.array(out, dtype=float)

    theta = result.theta
    base = values(theta)
    jac = np.zeros((base.size, theta.size))
    for k in range(theta.size):
        h = 1e-6 * max(1.0, abs(theta[k]))
        up, down = theta.copy(), theta.copy()
        up[k] += h
        down[k] -= h
        jac[:, k] = (values(up) - values(down)) / (2 * h)
    se = np.sqrt(np.clip(np.einsum("ik,kl,il->i", jac, result.vcov, jac), 0, None))
    rows = [(r.lhs, r.op, r.rhs, r.group) for r in spec.rows]
    rows += [(name, ":=", expr.replace(" ", ""), 1) for name, expr, _ in spec.definitions]
    table = pd.DataFrame(rows, columns=["lhs", "op", "rhs", "group"])
    table["est_std"] = base
    table["se"] = se
    z_crit = stats.norm.ppf(0.5 + level / 2)
    with np.errstate(divide="ignore", invalid="ignore"):
        table["z"] = np.where(se > 1e-12, base / se, np.nan)
    table["pvalue"] = 2 * stats.norm.sf(np.abs(table["z"]))
    table["ci_lower"] = base - z_crit * se
    table["ci_upper"] = base + z_crit * se
    return table
