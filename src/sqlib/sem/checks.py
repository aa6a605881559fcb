"""Checks on a fitted model that stop a researcher from reporting an improper solution.

:func:`model_checks` runs the checks that need only the fit (and optionally the data for
ceiling and floor effects); ``result.diagnostics`` holds their table. The survey-aware
checks (discriminant validity by HTMT) are added by :func:`sqlib.diagnostics.diagnose`.
Severity is ``"severe"`` (results are not interpretable as they stand), ``"warning"``
(look before reporting) or ``"note"``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

COLUMNS = ["check", "severity", "where", "message", "suggestion"]

#: Thresholds used by the checks; pass a dict to :func:`diagnose` to change them.
DEFAULTS = {
    "vif_warning": 5.0,
    "vif_severe": 10.0,
    "htmt_warning": 0.85,
    "htmt_severe": 0.90,
    "cases_per_parameter": 5.0,
    "ceiling_share": 0.15,
    "std_se_limit": 1.0,
}


def check_row(check, severity, where, message, suggestion=""):
    """One row of a diagnostics table."""
    return {"check": check, "severity": severity, "where": where, "message": message, "suggestion": suggestion}


def _group_label(result, g):
    return f" (group {result.group_levels[g - 1]})" if result.spec.ngroups > 1 else ""


def _convergence(result, limits):
    if result.converged:
        return []
    return [check_row("convergence", "severe", "model",
                 f"The optimizer stopped after {result.iterations} iterations without converging.",
                 "Simplify the model (fewer free parameters), check for factors with weak indicators, "
                 "or try std_lv=True.")]


def _not_positive_definite(result, limits):
    out = []
    lv, ov = result.latent, result.observed
    for g in range(1, result.spec.ngroups + 1):
        mom = result.model.moments(result.theta, g)
        blocks = [("latent covariance matrix", lv, mom["cov_all"][result.model.p:, result.model.p:]),
                  ("residual covariance matrix", ov, mom["S"][: result.model.p, : result.model.p])]
        for label, names, matrix in blocks:
            if not names:
                continue
            values, vectors = np.linalg.eigh(matrix)
            if values[0] > 1e-8 * max(abs(values[-1]), 1.0):
                continue
            weights = np.abs(vectors[:, 0])
            involved = [names[i] for i in np.argsort(-weights) if weights[i] > 0.3][:4]
            out.append(check_row(
                "not positive definite", "severe", ", ".join(involved) + _group_label(result, g),
                f"The {label} is not positive definite (smallest eigenvalue {values[0]:.3g}); "
                f"{', '.join(involved)} are involved.",
                "Check discriminant validity of these constructs; a second-order model or merging the "
                "collinear dimensions usually gives a proper solution." if label.startswith("latent")
                else "Look for negative residual variances or near-duplicate items."))
    return out


def _heywood(result, limits):
    est = result.estimates
    out = []
    neg = est[(est["op"] == "~~") & (est["lhs"] == est["rhs"]) & (est["est"] < 0)]
    for _, row in neg.iterrows():
        out.append(check_row("heywood case", "severe", row["lhs"] + _group_label(result, row["group"]),
                        f"Negative variance for {row['lhs']} ({row['est']:.3f}).",
                        "The item or factor is over-explained: check its wording, fix the variance at a small "
                        "positive value only with a substantive reason, or respecify the model."))
    big = est[est["op"].isin(["=~", "~~"]) & (est["lhs"] != est["rhs"]) & (est["std_all"].abs() > 1)]
    for _, row in big.iterrows():
        kind = "loading" if row["op"] == "=~" else "correlation"
        out.append(check_row("heywood case", "severe",
                        f"{row['lhs']} {row['op']} {row['rhs']}" + _group_label(result, row["group"]),
                        f"Standardized {kind} {row['lhs']} {row['op']} {row['rhs']} is {row['std_all']:.2f}, beyond 1.",
                        "An impossible value: see the collinearity checks and consider a simpler model."))
    return out


def _structural(result, limits):
    """Standardized paths beyond 1 and collinear predictors, for every structural path.

    Outcomes and predictors may be latent or observed (a single-item outcome such as one
    overall-satisfaction question is an observed variable); the predictors' correlations
    are the model-implied ones.
    """
    est = result.estimates
    paths = est[est["op"] == "~"]
    out = [_path_beyond_one(result, row) for _, row in paths[paths["std_all"].abs() > 1].iterrows()]
    for g in range(1, result.spec.ngroups + 1):
        out += _collinear_predictors(result, paths[paths["group"] == g], g, limits)
    return out


def _path_beyond_one(result, row):
    kind = "latent" if row["lhs"] in result.latent else "observed"
    return check_row("path beyond 1", "severe", f"{row['lhs']} ~ {row['rhs']}" + _group_label(result, row["group"]),
                f"The standardized path {row['rhs']} -> {row['lhs']} ({kind} outcome) is {row['std_all']:.2f}: "
                "a sign of suppression between correlated predictors, not a real effect.",
                "Do not interpret it; fit the second-order model or merge the collinear dimensions.")


def _collinear_predictors(result, paths, g, limits):
    names = result.model.names
    cov = pd.DataFrame(result.model.moments(result.theta, g)["cov_all"], index=names, columns=names)
    out = []
    for outcome, rows in paths.groupby("lhs"):
        predictors = list(rows["rhs"])
        if len(predictors) < 2:
            continue
        sub = cov.loc[predictors, predictors].to_numpy()
        sd = np.sqrt(np.clip(np.diag(sub), 1e-300, None))
        try:
            vif = np.diag(np.linalg.inv(sub / np.outer(sd, sd)))
        except np.linalg.LinAlgError:
            vif = np.full(len(predictors), np.inf)
        for name, value in zip(predictors, vif):
            if np.isfinite(value) and value < limits["vif_warning"]:
                continue
            severity = "warning" if np.isfinite(value) and value < limits["vif_severe"] else "severe"
            out.append(check_row("collinear predictors", severity, f"{name} -> {outcome}" + _group_label(result, g),
                            f"{name} shares most of its variance with the other predictors of {outcome} "
                            f"(variance inflation {value:.1f}).",
                            "Its path is unstable; consider the second-order service-quality model."))
    return out


def _sample_size(result, limits):
    npar = int(result.fit_measures["npar"])
    n = result.ntotal
    if n >= limits["cases_per_parameter"] * npar:
        return []
    return [check_row("sample size", "warning", "model",
                 f"{n} respondents for {npar} free parameters ({n / npar:.1f} per parameter); "
                 f"at least {limits['cases_per_parameter']:.0f} per parameter is a common minimum.",
                 "Collect more data or simplify the model; treat fit indices and SEs with caution.")]


def _empirical_identification(result, limits):
    try:
        std = result.standardized_solution()
    except Exception:  # noqa: BLE001 -- a failing computation is itself reported elsewhere
        return []
    huge = std[(std["se"] > limits["std_se_limit"]) & std["op"].isin(["=~", "~", "~~"])]
    if huge.empty:
        return []
    names = ", ".join(f"{r.lhs} {r.op} {r.rhs}" for r in huge.head(4).itertuples())
    return [check_row("empirical identification", "warning", names,
                 f"{len(huge)} standardized estimate(s) have standard errors above {limits['std_se_limit']}: "
                 "the data barely identify them.",
                 "Look for factors with two weak indicators or near-zero correlations that carry the identification.")]


def ceiling_floor(result, data, limits, scale_of=None):
    if data is None:
        return []
    out = []
    for item in result.observed:
        if item not in data:
            continue
        answers = data[item].dropna()
        if answers.empty or answers.nunique() > 11:  # only for rating-scale items
            continue
        bottom, top = _scale_of(scale_of, item, answers)
        for label, value in (("ceiling", top), ("floor", bottom)):
            share = float((answers == value).mean())
            if share > limits["ceiling_share"]:
                out.append(check_row(f"{label} effect", "note", item,
                                f"{share:.0%} of answers to {item} are at the scale {label} ({value:g}).",
                                "Skewed, bounded answers: prefer estimator='MLR' (or an ordinal estimator)."))
    return out


def _scale_of(scale_of, item: str, answers: pd.Series) -> tuple[float, float]:
    """The item's answer scale from ``scale_of(item)`` (e.g. a codebook's), else the range of its answers."""
    if scale_of is not None:
        try:
            return scale_of(item)
        except Exception:  # noqa: BLE001 -- a column the codebook does not describe
            pass
    return float(answers.min()), float(answers.max())

SEVERITY_ORDER = {"severe": 0, "warning": 1, "note": 2}

MODEL_CHECKS = (_convergence, _not_positive_definite, _heywood, _structural, _sample_size, _empirical_identification)


def sort_by_severity(rows: list[dict]) -> pd.DataFrame:
    """A diagnostics table from check rows, severe problems first (stable within a severity)."""
    table = pd.DataFrame(rows, columns=COLUMNS)
    return table.sort_values("severity", key=lambda s: s.map(SEVERITY_ORDER), kind="mergesort").reset_index(drop=True)


def model_checks(result, data: pd.DataFrame | None = None, limits: dict | None = None, scale_of=None) -> pd.DataFrame:
    """Checks that need only the fitted model (and the data for ceiling and floor effects).

    Returns the table of :func:`sqlib.diagnostics.diagnose` without its discriminant-validity rows.
    """
    limits = {**DEFAULTS, **(limits or {})}
    rows = [row for check in MODEL_CHECKS for row in check(result, limits)]
    return sort_by_severity(rows + ceiling_floor(result, data, limits, scale_of))


def has_severe(table: pd.DataFrame) -> bool:
    return bool((table["severity"] == "severe").any())


def condensed(table: pd.DataFrame) -> pd.DataFrame:
    """Severe problems and warnings row by row, then one row per kind of note.

    ``"ceiling effect"`` notes on 17 items become one row ("Ceiling effects in 17 items:
    a01, a02, ..."), so notes never bury the problems.
    """
    problems = table[table["severity"] != "note"]
    notes = []
    for check, rows in table[table["severity"] == "note"].groupby("check", sort=False):
        if len(rows) == 1:
            notes.append(rows.iloc[0].to_dict())
            continue
        notes.append(check_row(check, "note", f"{len(rows)} items",
                               f"{check[0].upper() + check[1:]}s in {len(rows)} items: {', '.join(rows['where'])}. "
                               f"For example: {rows['message'].iloc[0]}", rows["suggestion"].iloc[0]))
    return pd.concat([problems, pd.DataFrame(notes, columns=COLUMNS)], ignore_index=True)
