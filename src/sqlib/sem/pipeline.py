"""``sqlib.fit``: CFA and SEM in lavaan's syntax with lavaan's numbers.

:func:`fit` is a short pipeline: resolve and validate every option
(:mod:`~sqlib.sem.options`), pick the recipe of that combination
(:mod:`~sqlib.sem.recipes`), run its steps, and build the result once.

>>> import sqlib
>>> data = sqlib.load_sample()
>>> res = sqlib.fit("tangibles =~ tan1 + tan2 + tan3 + tan4", data)   # lavaan::cfa()
>>> res.estimates.columns[:5].tolist()
['lhs', 'op', 'rhs', 'group', 'label']
"""

from __future__ import annotations

import pandas as pd

from .options import resolve_options
from .recipes import Recipe, recipe_for
from .result import SEMResult
from .stages import Estimation
from .standardize import estimates_table, r_squared


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
        responses); ``True`` means every observed variable of the model. Model variables
        left out are continuous (a 0-100 slider, an overall rating): WLSMV then fits their
        means and variances, polyserial and Pearson correlations (lavaan's ``ordered = c(...)``).
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
        "lv.variances", "lv.covariances", "regressions", and for ordered items "thresholds"
        (then, as lavaan, the scaling factors and latent means of groups 2, 3, ... are free).
    group_partial : list of str
        Parameters freed from those constraints, e.g. ``["res3~1"]``.
    missing : {"listwise", "fiml", "pairwise"}
        "listwise" drops incomplete rows (counted in ``n_dropped``); "fiml" (alias "ml")
        uses every answer by full-information ML with a mean structure, as lavaan's
        ``missing = "ml"`` (rows without any answer on the model variables are dropped).
        "pairwise" (WLSMV, as lavaan's ``missing = "pairwise"``): thresholds from each
        item's answers, correlations from the respondents who answered both items.
        The combinations of estimator, missing and ordered items that can be estimated
        are listed in :mod:`sqlib.sem.recipes`; others are refused before the data are read.
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
    options = resolve_options(model, data, estimator=estimator, ordered=ordered, group=group,
                              meanstructure=meanstructure, std_lv=std_lv, fixed_x=fixed_x, orthogonal=orthogonal,
                              group_equal=group_equal, group_partial=group_partial, missing=missing, se=se,
                              bootstrap=bootstrap, seed=seed, n_jobs=n_jobs, progress=progress)
    result = fit_resolved(options, data)
    if options.se == "bootstrap":
        boot = result.bootstrap(options.bootstrap, seed=options.seed, n_jobs=options.n_jobs, progress=options.progress)
        return result.use_bootstrap(boot)
    return result


def fit_resolved(options, data: pd.DataFrame) -> SEMResult:
    """Run the recipe of already resolved options (:func:`~sqlib.sem.options.resolve_options`)."""
    recipe = recipe_for(options)
    estimation = Estimation(options, data)
    recipe.run(estimation)
    return build_result(estimation, recipe)


def build_result(est: Estimation, recipe: Recipe) -> SEMResult:
    """The finished estimation as one immutable result (estimates, fit measures and R-squared computed once)."""
    opts, spec, model, opt = est.options, est.spec, est.model, est.optimum
    return SEMResult(
        model_syntax=opts.model, spec=spec, model=model, objective=est.objective, theta=opt.theta, vcov=est.vcov,
        converged=opt.converged, iterations=opt.iterations, estimator=recipe.name, group=opts.group,
        group_levels=est.levels, n_dropped=est.n_dropped, blocks=est.blocks, missing=opts.missing,
        estimates=estimates_table(spec, model, opt.theta, est.vcov), fit_measures=est.fit_measures,
        r2=r_squared(spec, model, opt.theta))
