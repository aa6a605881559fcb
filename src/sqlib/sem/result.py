"""The fitted model: :class:`SEMResult`, built once by :func:`sqlib.fit`."""

from __future__ import annotations

import dataclasses
import functools
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats

from sqlib.core.formatting import brief_html, format_number, format_p

from .partable import ModelSpec
from .ram import RAMModel
from .standardize import ESTIMATE_COLUMNS, standardized_solution


@dataclass(frozen=True)
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
    objective: object  # the estimator's objective (ML, FIML or DWLS): moments, stats, ntotal
    theta: np.ndarray
    vcov: np.ndarray
    converged: bool
    iterations: int
    estimator: str
    group: str | None
    group_levels: list
    n_dropped: int
    blocks: list = field(repr=False)
    missing: str
    estimates: pd.DataFrame = field(repr=False)
    fit_measures: pd.Series = field(repr=False)
    r2: pd.Series = field(repr=False)
    boot: object = field(default=None, repr=False)

    def __repr__(self) -> str:
        return "\n".join(brief(self))

    def _repr_html_(self) -> str:
        return brief_html(brief(self))

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
        """A copy of this result with bootstrap SEs and CIs in ``estimates`` (lavaan's ``se = "bootstrap"``)."""
        table = boot.table.rename(columns={"boot_se": "se_boot", "ci_lower": "ci_lower_boot",
                                           "ci_upper": "ci_upper_boot"}).drop(columns="est")
        est = self.estimates.merge(table, on=["lhs", "op", "rhs", "group"], how="left")
        free = est["se_boot"].notna()
        est.loc[free, "se"] = est.loc[free, "se_boot"]
        est.loc[free, "ci_lower"] = est.loc[free, "ci_lower_boot"]
        est.loc[free, "ci_upper"] = est.loc[free, "ci_upper_boot"]
        est.loc[free, "z"] = est.loc[free, "est"] / est.loc[free, "se"]
        est.loc[free, "pvalue"] = 2 * stats.norm.sf(np.abs(est.loc[free, "z"]))
        return dataclasses.replace(self, estimates=est[ESTIMATE_COLUMNS], boot=boot)

    def standardized_solution(self, level: float = 0.95) -> pd.DataFrame:
        """lavaan's ``standardizedSolution()``: std.all values with delta-method SEs and CIs."""
        return standardized_solution(self.spec, self.model, self.theta, self.vcov, level)

    def summary(self):
        """An object that shows as HTML in a notebook and exports text or LaTeX."""
        from .summary import Summary

        return Summary(self)

    def data_frame(self, group: int = 1) -> pd.DataFrame:
        """The rows the model was fitted to (model variables only)."""
        return pd.DataFrame(self.blocks[group - 1], columns=self.model.ov)

    @functools.cached_property
    def diagnostics(self) -> pd.DataFrame:
        """Checks for improper or uninterpretable solutions (see :mod:`sqlib.sem.checks`; discriminant validity
        is checked by :func:`sqlib.diagnostics.diagnose`, which knows the survey)."""
        from .checks import model_checks

        data = self.data_frame() if self.blocks is not None and self.spec.ngroups == 1 else None
        return model_checks(self, data=data)

    @property
    def heywood_cases(self) -> pd.DataFrame:
        """Negative variances and standardized values beyond 1 (improper solutions)."""
        est = self.estimates
        variances = est[(est["op"] == "~~") & (est["lhs"] == est["rhs"]) & (est["est"] < 0)]
        big = est[(est["op"].isin(["=~", "~~"])) & (est["lhs"] != est["rhs"]) & (est["std_all"].abs() > 1)]
        return pd.concat([variances, big]).drop_duplicates()


def brief(result: SEMResult) -> list[str]:
    """A few lines on a fit: model, estimator, respondents, the test, fit indices, diagnostics."""
    from .tables import model_label

    fm = result.fit_measures
    dropped = f" ({result.n_dropped} dropped)" if result.n_dropped else ""
    lines = [f"SEMResult: {model_label(result)}, {result.estimator}"
             + {"fiml": ", FIML", "pairwise": ", pairwise"}.get(result.missing, "")
             + f", {result.ntotal} respondents{dropped}"]
    if not result.converged:
        lines.append("  NOT CONVERGED: estimates and fit measures are not trustworthy")
    test = f"  chi-square({format_number(fm['df'], 'count')}) = {format_number(fm['chisq'])}, {format_p(fm['pvalue'])}"
    if "chisq_scaled" in fm.index:
        test += f"; scaled {format_number(fm['chisq_scaled'])}, {format_p(fm['pvalue_scaled'])}"
    lines.append(test)
    indices = [f"{name.upper()} {format_number(fm[name], 'fit')}" for name in ("cfi", "tli") if name in fm.index]
    if "rmsea" in fm.index:
        indices.append(f"RMSEA {format_number(fm['rmsea'], 'fit')} [{format_number(fm['rmsea_ci_lower'], 'fit')}, "
                       f"{format_number(fm['rmsea_ci_upper'], 'fit')}]")
    if "srmr" in fm.index:
        indices.append(f"SRMR {format_number(fm['srmr'], 'fit')}")
    lines.append("  " + ", ".join(indices))
    robust = {"MLR": "robust", "WLSMV": "scaled"}.get(result.estimator)
    if robust and f"cfi_{robust}" in fm.index:
        lines.append(f"  {robust}: " + ", ".join(f"{name.upper()} {format_number(fm[f'{name}_{robust}'], 'fit')}"
                                                 for name in ("cfi", "tli", "rmsea") if f"{name}_{robust}" in fm.index))
    counts = result.diagnostics["severity"].value_counts()
    lines.append(f"  diagnostics: {counts.get('severe', 0)} severe, {counts.get('warning', 0)} warning(s), "
                 f"{counts.get('note', 0)} note(s); .summary() shows everything")
    return lines
