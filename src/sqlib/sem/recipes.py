"""Estimation as composition: a small registry of recipes over independent steps.

A recipe is the chain of steps one combination of options runs: data blocks -> sample
statistics -> model specification -> objective -> start values -> optimizer -> covariance
of the estimates -> test statistic and fit measures. The axes (estimator, missing-data
treatment, kind of items) pick the recipe; combinations without one are refused before any
data are touched, naming the closest supported combination.

=========  ========  ==========  =====================================================
estimator  missing   items       steps that differ
=========  ========  ==========  =====================================================
ML         listwise  continuous  expected information; chi-square
MLR        listwise  continuous  Huber-White sandwich; Yuan-Bentler scaled chi-square
ML         fiml      continuous  casewise likelihood; observed information; FIML-corrected robust CFI/TLI/RMSEA
MLR        fiml      continuous  sandwich from casewise scores; Yuan-Bentler from the EM saturated model
WLSMV      listwise  ordinal     thresholds + polychorics; DWLS; robust.sem; scaled-shifted
WLSMV      pairwise  ordinal     thresholds per item, polychorics per pair of answers
WLSMV      listwise  mixed       + means, variances, polyserial and Pearson correlations
WLSMV      pairwise  mixed       both
=========  ========  ==========  =====================================================
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from sqlib.core.errors import ConvergenceWarning, EstimationError, ModelSpecificationError

from . import dwls, dwls_groups, fitchecks
from .data import check_complete_rows_dependence, prepare_data
from .estimation import GroupStats, MLObjective, optimize, parameter_scales, start_values
from .fiml import FIMLObjective, baseline_loglik, em_saturated, patterns_of, single_blas_thread
from .fitmeasures import ml_fit_measures, robust_fit_measures
from .information import invert_information
from .options import FitOptions
from .partable import build_spec, check_counts, check_group_modifiers
from .ram import RAMModel
from .robust import fiml_fit_measures, mlr, observed_information
from .stages import Estimation

Step = Callable[[Estimation], None]


@dataclass(frozen=True)
class Recipe:
    """One supported combination of options: its name and its steps, run in order.

    ``single_blas``: run the steps with single-threaded BLAS (FIML: tall, thin matrix products and
    many tiny factorisations, where BLAS threads cost more than they save).
    """

    name: str
    steps: tuple[Step, ...]
    groups: bool = True
    bootstrap: bool = True
    single_blas: bool = False

    def run(self, est: Estimation) -> None:
        with single_blas_thread(self.single_blas):
            for step in self.steps:
                step(est)


# ------------------------------------------------------------------ data and sample statistics
def complete_data(est: Estimation) -> None:
    """Listwise deletion; sample means and covariances (N denominator) per group."""
    opts = est.options
    est.levels, est.blocks, est.n_dropped = prepare_data(est.data, opts.probe.ov_names, opts.group)
    est.stats = [GroupStats.from_array(x) for x in est.blocks]
    _check_sample_covariances(est)


def incomplete_data(est: Estimation) -> None:
    """Every answered row; missing-data patterns and the saturated model by EM (FIML)."""
    opts = est.options
    ov = opts.probe.ov_names
    est.levels, est.blocks, est.n_dropped = prepare_data(est.data, ov, opts.group, fiml=True)
    check_complete_rows_dependence(est.blocks, ov, est.levels, opts.group)
    est.patterns = [patterns_of(x) for x in est.blocks]
    est.saturated = [em_saturated(pats) for pats in est.patterns]
    est.stats = [GroupStats(x.shape[0], cov, mean, np.linalg.slogdet(cov)[1])
                 for x, (mean, cov, _) in zip(est.blocks, est.saturated)]
    _check_sample_covariances(est)


def _check_sample_covariances(est: Estimation) -> None:
    group = est.options.group
    for lev, st in zip(est.levels, est.stats):
        where = f" in group {lev!r}" if group else ""
        fitchecks.check_linear_dependence(st.cov, est.options.probe.ov_names, where)
        if not np.isfinite(st.logdet):
            raise EstimationError(
                f"The sample covariance matrix{where} is singular although no variables are linearly dependent; "
                "check the data for variables with (almost) no variance.")


# ------------------------------------------------------------------ model specification
def continuous_model(est: Estimation) -> None:
    """Parameter table and RAM matrices; fixed.x covariates take their sample moments."""
    opts = est.options
    ngroups = len(est.levels)
    check_group_modifiers(opts.model, ngroups)
    meanstructure = opts.meanstructure if opts.meanstructure is not None else (ngroups > 1 or est.patterns is not None)
    spec = build_spec(opts.model, list(opts.columns), ngroups=ngroups, meanstructure=meanstructure,
                      fixed_x=opts.fixed_x, **opts.spec_arguments())
    p, px = len(spec.ov_names), len(spec.ov_x)
    est.n_moments = ngroups * (p * (p + 1) // 2 - px * (px + 1) // 2 + ((p - px) if meanstructure else 0))
    check_counts(spec, est.n_moments)
    est.model = RAMModel(spec)
    _fill_fixed_x(est.model, est.stats)


def _fill_fixed_x(model: RAMModel, group_stats: list[GroupStats]) -> None:
    idx = {v: i for i, v in enumerate(model.ov)}
    for row in model.spec.rows:
        if not row.exo:
            continue
        st = group_stats[row.group - 1]
        row.value = float(st.cov[idx[row.lhs], idx[row.rhs]]) if row.op == "~~" else float(st.mean[idx[row.lhs]])
        model.set_fixed(row.group, row, row.value)


# ------------------------------------------------------------------ objective and optimizer
def ml_objective(est: Estimation) -> None:
    est.objective = MLObjective(est.model, est.stats, est.spec.meanstructure)


def fiml_objective(est: Estimation) -> None:
    est.objective = FIMLObjective(est.model, est.patterns, est.stats)


def default_start(est: Estimation) -> None:
    est.theta0 = start_values(est.model, est.objective.stats, est.options.std_lv)


def run_optimizer(est: Estimation) -> None:
    """Minimise the objective on scaled parameters; warn (not fail) when it does not converge."""
    est.optimum = optimize(est.objective, est.theta0, parameter_scales(est.model, est.objective.stats))
    opt = est.optimum
    if not opt.converged:
        warnings.warn(
            f"The model did not converge ({opt.message}, after {opt.iterations} iterations). "
            "Estimates and fit measures are not trustworthy: check the model for identification, "
            "look for factors with very weak or few indicators, or simplify the model.",
            ConvergenceWarning, stacklevel=4)


# ------------------------------------------------------------------ covariance of the estimates
def expected_vcov(est: Estimation) -> None:
    """Inverse expected information (lavaan's default for complete-data ML)."""
    info = est.objective.information(est.optimum.theta)
    est.vcov = invert_information(info, est.objective.ntotal, est.spec, est.optimum)


def observed_vcov(est: Estimation) -> None:
    """Inverse observed information (lavaan's default with missing = "ml")."""
    info = observed_information(est.objective, est.optimum.theta)
    est.vcov = invert_information(info, est.objective.ntotal, est.spec, est.optimum)


def fiml_sandwich_vcov(est: Estimation) -> None:
    """MLR with FIML: sandwich from the respondents' scores and the observed information; Yuan-Bentler
    scaling from the saturated model's missing-data information at the EM estimates."""
    observed_vcov(est)  # refuses a singular information with the reason
    saturated = [(mean, cov) for mean, cov, _ in est.saturated]
    est.robust = mlr(est.objective, est.optimum.theta, est.blocks, est.df, h1=saturated)
    est.vcov = est.robust["vcov"]


def sandwich_vcov(est: Estimation) -> None:
    """Huber-White sandwich and the Yuan-Bentler scaling (lavaan's MLR)."""
    expected_vcov(est)  # refuses a singular information with the reason
    est.robust = mlr(est.objective, est.optimum.theta, est.blocks, est.df)
    est.vcov = est.robust["vcov"]


# ------------------------------------------------------------------ test statistic and fit measures
def ml_measures(est: Estimation) -> None:
    """Chi-square and every fit measure lavaan prints for ML."""
    est.fit_measures = ml_fit_measures(fmin=est.optimum.value, **_ml_measure_arguments(est))


def fiml_measures(est: Estimation) -> None:
    """FIML: the chi-square from the log-likelihoods of the model, the saturated and the baseline model."""
    theta, obj = est.optimum.theta, est.objective
    p, ngroups = len(est.spec.ov_names), len(est.levels)
    logl_h0 = obj.loglik(theta)
    logl_h1 = sum(ll for _, _, ll in est.saturated)
    logl_base = sum(baseline_loglik(pats) for pats in est.patterns)
    est.fit_measures = ml_fit_measures(
        fmin=2 * (logl_h1 - logl_h0) / obj.ntotal, baseline=(2 * (logl_h1 - logl_base), ngroups * (p * (p + 1) // 2 - p)),
        logliks=(logl_h0, logl_h1), **_ml_measure_arguments(est))


def fiml_robust_measures(est: Estimation) -> None:
    """lavaan's robust measures after FIML: FIML-corrected CFI/TLI/RMSEA (Zhang & Savalei), and with
    MLR the scaled test and its indices."""
    fm = est.fit_measures
    saturated = [(mean, cov) for mean, cov, _ in est.saturated]
    robust = fiml_fit_measures(est.objective, est.optimum.theta, saturated, fm, est.robust)
    est.fit_measures = pd.concat([fm, pd.Series(robust, dtype=float)])


def _ml_measure_arguments(est: Estimation) -> dict:
    spec, model, theta = est.spec, est.model, est.optimum.theta
    implied = [(model.moments(theta, g)["sigma"], model.moments(theta, g)["mu"]) for g in range(1, spec.ngroups + 1)]
    return {"npar": spec.n_free, "df": est.df, "stats_": est.stats, "implied": implied,
            "meanstructure": spec.meanstructure, "ov_x_idx": [spec.ov_names.index(v) for v in spec.ov_x]}


def scaled_measures(est: Estimation) -> None:
    """MLR: the Yuan-Bentler scaled chi-square and lavaan's robust CFI/TLI/RMSEA, after the ML ones."""
    fm = est.fit_measures
    robust = robust_fit_measures(
        chisq=fm["chisq"], df=est.df, baseline_chisq=fm["baseline_chisq"], baseline_df=int(fm["baseline_df"]),
        scaling=est.robust["scaling_factor"], baseline_scaling=baseline_scaling(est),
        ntotal=est.objective.ntotal, groups=est.spec.ngroups)
    est.fit_measures = pd.concat([fm, pd.Series(robust, dtype=float)])


def baseline_scaling(est: Estimation) -> float:
    """Yuan-Bentler scaling factor of the independence model (for robust CFI/TLI)."""
    ov, blocks, meanstructure = est.spec.ov_names, est.blocks, est.spec.meanstructure
    base = build_spec("\n".join(f"{v} ~~ {v}" for v in ov), list(ov), ngroups=len(blocks),
                      meanstructure=meanstructure, fixed_x=False)
    stats_ = [GroupStats.from_array(x) for x in blocks]
    objective = MLObjective(RAMModel(base), stats_, meanstructure)
    theta = np.zeros(base.n_free)
    for r in base.rows:  # the independence model's ML estimates are the sample moments
        st = stats_[r.group - 1]
        i = ov.index(r.lhs)
        theta[r.free] = st.cov[i, i] if r.op == "~~" else st.mean[i]
    p = len(ov)
    return mlr(objective, theta, blocks, len(blocks) * (p * (p + 1) // 2 - p))["scaling_factor"]


# ------------------------------------------------------------------ the registry
COMMON = (run_optimizer,)
RECIPES: dict[tuple[str, str, str], Recipe] = {
    ("ML", "listwise", "continuous"): Recipe(
        "ML", (complete_data, continuous_model, ml_objective, default_start, *COMMON, expected_vcov, ml_measures)),
    ("MLR", "listwise", "continuous"): Recipe(
        "MLR", (complete_data, continuous_model, ml_objective, default_start, *COMMON, sandwich_vcov, ml_measures,
                scaled_measures)),
    ("ML", "fiml", "continuous"): Recipe(
        "ML", (incomplete_data, continuous_model, fiml_objective, default_start, *COMMON, observed_vcov,
               fiml_measures, fiml_robust_measures), single_blas=True),
    ("MLR", "fiml", "continuous"): Recipe(
        "MLR", (incomplete_data, continuous_model, fiml_objective, default_start, *COMMON, fiml_sandwich_vcov,
                fiml_measures, fiml_robust_measures), single_blas=True),
}
# WLSMV: the missing-data treatment and the kind of items only change the sample statistics
WLSMV_STEPS = (dwls.ordinal_data, dwls.ordinal_model, dwls.dwls_objective, dwls.threshold_start, *COMMON,
               dwls.robust_sem_vcov, dwls.delta_residuals, dwls.wlsmv_measures)
RECIPES.update({("WLSMV", missing, kind): Recipe("WLSMV", WLSMV_STEPS, groups=False)
                for missing in ("listwise", "pairwise") for kind in ("ordinal", "mixed")})
#: Ordinal items in several groups, or identified as Wu & Estabrook (2016): statistics stacked by group
#: and scaling factors (delta parameterization with free ~*~ in groups 2, 3, ...)
GROUPED_WLSMV = Recipe(
    "WLSMV", (dwls_groups.grouped_ordinal_data, dwls_groups.grouped_ordinal_model, dwls_groups.grouped_dwls_objective,
              dwls_groups.grouped_threshold_start, *COMMON, dwls_groups.grouped_robust_sem_vcov,
              dwls_groups.grouped_delta_residuals, dwls_groups.grouped_wlsmv_measures))

#: Why a combination without a recipe is refused, and the closest one that exists.
REFUSALS: dict[tuple[str, str, str], str] = {
    **{("WLSMV", "fiml", kind): "Full-information ML (missing='fiml') is not available for ordered items. Use "
                                "WLSMV with missing='pairwise' (as lavaan) or 'listwise', or treat the items as "
                                "continuous: estimator='ML', missing='fiml'." for kind in ("ordinal", "mixed")},
}


def recipe_for(options: FitOptions) -> Recipe:
    """The recipe of these options, or a ModelSpecificationError naming the closest supported combination."""
    key = (options.estimator, options.missing, options.kind)
    if key == ("WLSMV", "listwise", "ordinal") and (options.group is not None or options.identification != "lavaan"):
        return _checked(GROUPED_WLSMV, options)
    if key not in RECIPES:
        raise ModelSpecificationError(REFUSALS.get(key) or _refusal(options))
    return _checked(RECIPES[key], options)


def _checked(recipe: Recipe, options: FitOptions) -> Recipe:
    if options.group is not None and not recipe.groups:
        raise ModelSpecificationError(
            f"Multi-group {recipe.name} is available for ordinal items with missing='listwise'; with "
            f"missing={options.missing!r} or continuous items among them, fit each group separately, or use "
            "ordered=True with missing='listwise', or estimator='MLR' with group= (items treated as continuous).")
    if options.se == "bootstrap" and not recipe.bootstrap:
        raise ModelSpecificationError(
            f"{recipe.name} reports robust standard errors; se='bootstrap' is not available with it.")
    return recipe


def _refusal(options: FitOptions) -> str:
    estimator, missing, kind = options.estimator, options.missing, options.kind
    if kind in ("ordinal", "mixed") and estimator != "WLSMV":
        return (f"Ordered items need estimator='WLSMV' (lavaan's default for ordinal data), not {estimator!r}; "
                "or drop `ordered` to treat the answers as continuous with 'ML' or 'MLR'.")
    if kind == "continuous" and estimator == "WLSMV":
        return ("estimator='WLSMV' is for ordinal items: pass ordered=True (every model variable) or "
                "ordered=[item names]. For continuous or many-point answers use estimator='MLR'.")
    if missing == "pairwise":
        return (f"missing='pairwise' is for WLSMV with ordered items; with estimator={estimator!r} use "
                "missing='fiml' (full-information ML) or 'listwise'.")
    supported = ", ".join(f"{e}/{m}/{k}" for e, m, k in RECIPES)
    return f"estimator={estimator!r} with missing={missing!r} on {kind} items is not available; supported: {supported}."
