"""Parameter estimates, standardized solutions and R-squared of a fitted model.

lavaan's ``parameterEstimates(fit, standardized = TRUE)``, ``standardizedSolution(fit)``
and ``lavInspect(fit, "r2")``: std.lv scales by the latent variances only, std.all by
the variances of every variable; (residual) covariances are standardized by residual
standard deviations (lavaan's ``cov.std = TRUE``); defined parameters (``:=``) get
delta-method standard errors from complex-step derivatives.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from sqlib.core.numdiff import central_jacobian, delta_method_se

from .partable import ModelSpec
from .ram import RAMModel
from .syntax import compile_definition

#: Columns of ``result.estimates``.
ESTIMATE_COLUMNS = ["lhs", "op", "rhs", "group", "label", "est", "se", "z", "pvalue",
                    "ci_lower", "ci_upper", "std_lv", "std_all"]
_Z975 = stats.norm.ppf(0.975)
_FUNCTIONS = {"exp": np.exp, "log": np.log, "sqrt": np.sqrt, "abs": np.abs}


def standardizers(model: RAMModel, theta: np.ndarray, g: int) -> tuple[dict, dict, dict]:
    """Total SDs (std.all), latent-only SDs (std.lv) and residual SDs per variable of group ``g``."""
    mom = model.moments(theta, g)
    names = model.names
    sd_all = dict(zip(names, np.sqrt(np.clip(np.diag(mom["cov_all"]), 0, None))))
    sd_lv = {v: (sd_all[v] if v in model.lv else 1.0) for v in names}
    sd_resid = dict(zip(names, np.sqrt(np.clip(np.diag(mom["S"]), 0, None))))
    return sd_all, sd_lv, sd_resid


def standardize(op, lhs, rhs, value, sd, sd_resid, latent_only=False, latent=()):
    """lavaan's standardization of one parameter; (residual) covariances use residual SDs (cov.std = TRUE)."""
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
    if op == "~*~":  # a scaling factor times the SD of its latent response (1 / delta): 1 standardized
        return value * sd[lhs]
    return np.nan


def estimates_table(spec: ModelSpec, model: RAMModel, theta: np.ndarray, vcov: np.ndarray) -> pd.DataFrame:
    """``result.estimates``: one row per parameter with Wald tests, 95% CIs, std.lv and std.all."""
    se_free = np.sqrt(np.clip(np.diag(vcov), 0, None))
    records = []
    scales = {g: standardizers(model, theta, g) for g in range(1, spec.ngroups + 1)}
    for r in spec.rows:
        est = theta[r.free] if r.free >= 0 else r.value
        se = se_free[r.free] if r.free >= 0 else 0.0
        sd_all, sd_lv, sd_resid = scales[r.group]
        rhs = r.rhs or r.lhs
        std_all = standardize(r.op, r.lhs, rhs, est, sd_all, sd_resid)
        std_lv = standardize(r.op, r.lhs, rhs, est, sd_lv, sd_resid, True, model.lv)
        records.append([r.lhs, r.op, r.rhs, r.group, r.label, est, se, std_lv, std_all])
    table = pd.DataFrame(records, columns=["lhs", "op", "rhs", "group", "label", "est", "se", "std_lv", "std_all"])
    defined = defined_rows(spec, theta, vcov, table)
    table = pd.concat([table, defined], ignore_index=True) if len(defined) else table
    return with_wald_tests(table)[ESTIMATE_COLUMNS]


def with_wald_tests(table: pd.DataFrame) -> pd.DataFrame:
    """z, p-value and 95% CI from ``est`` and ``se``; fixed parameters (se = 0) get no test."""
    table = table.copy()
    with np.errstate(divide="ignore", invalid="ignore"):
        table["z"] = np.where(table["se"] > 0, table["est"] / table["se"], np.nan)
    table["pvalue"] = 2 * stats.norm.sf(np.abs(table["z"]))
    table["ci_lower"] = table["est"] - _Z975 * table["se"]
    table["ci_upper"] = table["est"] + _Z975 * table["se"]
    table.loc[table["se"] == 0, ["z", "pvalue"]] = np.nan
    return table


def label_values(spec: ModelSpec, values_by_row) -> dict[str, complex]:
    """The value of every parameter label (the first row carrying it)."""
    out = {}
    for r, value in zip(spec.rows, values_by_row):
        if r.label and r.label not in out:
            out[r.label] = value
    return out


def evaluate_definitions(spec: ModelSpec, labels: dict) -> dict:
    """Values of the defined parameters (``name := expression``) given the label values."""
    env = dict(labels)
    out = {}
    for name, expr, line in spec.definitions:
        code, _ = compile_definition(name, expr, line)
        out[name] = eval(code, {"__builtins__": {}}, {**_FUNCTIONS, **env})  # noqa: S307 (AST-checked)
        env[name] = out[name]
    return out


def defined_rows(spec: ModelSpec, theta: np.ndarray, vcov: np.ndarray, table: pd.DataFrame) -> pd.DataFrame:
    """Rows of the defined parameters; SEs by the delta method with complex-step derivatives (exact)."""
    if not spec.definitions:
        return pd.DataFrame()
    ctheta = theta.astype(complex)

    def define(th):
        values = [th[r.free] if r.free >= 0 else r.value for r in spec.rows]
        return evaluate_definitions(spec, label_values(spec, values))

    est = {k: float(np.real(v)) for k, v in define(ctheta).items()}
    h = 1e-20
    jac = np.zeros((len(est), spec.n_free))
    for k in range(spec.n_free):
        step = ctheta.copy()
        step[k] += 1j * h
        vals = define(step)
        jac[:, k] = [np.imag(vals[name]) / h for name in est]
    se = delta_method_se(jac, vcov)
    std_all = evaluate_definitions(spec, label_values(spec, table["std_all"].to_numpy()))
    std_lv = evaluate_definitions(spec, label_values(spec, table["std_lv"].to_numpy()))
    rows = [[name, ":=", spec.definitions[i][1].replace(" ", ""), 1, name, est[name], float(se[i]),
             float(std_lv[name]), float(std_all[name])] for i, name in enumerate(est)]
    return pd.DataFrame(rows, columns=["lhs", "op", "rhs", "group", "label", "est", "se", "std_lv", "std_all"])


def r_squared(spec: ModelSpec, model: RAMModel, theta: np.ndarray) -> pd.Series:
    """Explained variance of every indicator and outcome; NaN for a negative residual variance (lavaan: NA)."""
    out = {}
    dependents = []
    for r in spec.rows:
        if r.op == "=~" and r.rhs not in dependents:
            dependents.append(r.rhs)
        if r.op == "~" and r.lhs not in dependents:
            dependents.append(r.lhs)
    for g in range(1, spec.ngroups + 1):
        mom = model.moments(theta, g)
        for v in dependents:
            i = model.index[v]
            total, resid = mom["cov_all"][i, i], mom["S"][i, i]
            key = v if spec.ngroups == 1 else (g, v)
            out[key] = 1 - resid / total if resid >= 0 else np.nan
    return pd.Series(out, dtype=float)


def standardized_values(spec: ModelSpec, model: RAMModel, theta: np.ndarray) -> np.ndarray:
    """std.all of every parameter row, then of every defined parameter."""
    scales = {g: standardizers(model, theta, g) for g in range(1, spec.ngroups + 1)}
    unit = set(model.unit_variance) if model.unit_variance is not None else set()
    residual = {g: model.moments(theta, g)["S"] for g in range(1, spec.ngroups + 1)} if unit else {}
    out = []
    for r in spec.rows:
        est = theta[r.free] if r.free >= 0 else r.value
        i = model.index.get(r.lhs)
        if r.free < 0 and r.op == "~~" and r.lhs == r.rhs and i in unit:  # delta parameterization
            est = residual[r.group][i, i]
        sd_all, _, sd_resid = scales[r.group]
        out.append(standardize(r.op, r.lhs, r.rhs or r.lhs, est, sd_all, sd_resid))
    if spec.definitions:
        defined = evaluate_definitions(spec, label_values(spec, out))
        out += [float(defined[name]) for name, _, _ in spec.definitions]
    return np.array(out, dtype=float)


def standardized_solution(spec: ModelSpec, model: RAMModel, theta: np.ndarray, vcov: np.ndarray,
                          level: float = 0.95) -> pd.DataFrame:
    """Completely standardized estimates with delta-method standard errors.

    lavaan's ``standardizedSolution(fit)``: columns ``lhs, op, rhs, group, est_std, se,
    z, pvalue, ci_lower, ci_upper``; the Jacobian is taken by central differences.
    """
    base = standardized_values(spec, model, theta)
    se = delta_method_se(central_jacobian(lambda th: standardized_values(spec, model, th), theta), vcov)
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
