"""Diagnostics that stop a researcher from reporting an improper or uninterpretable solution.

:func:`diagnose` runs every check on a fitted model and returns a tidy table
(``check, severity, where, message, suggestion``); ``result.diagnostics`` holds it
and ``result.summary()`` shows it first. Severity is ``"severe"`` (results are not
interpretable as they stand), ``"warning"`` (look before reporting) or ``"note"``.
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


def _row(check, severity, where, message, suggestion=""):
    return {"check": check, "severity": severity, "where": where, "message": message, "suggestion": suggestion}


def _group_label(result, g):
    return f" (group {result.group_levels[g - 1]})" if result.spec.ngroups > 1 else ""


def _convergence(result, limits):
    if result.converged:
        return []
    return [_row("convergence", "severe", "model",
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
            out.append(_row(
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
        out.append(_row("heywood case", "severe", row["lhs"] + _group_label(result, row["group"]),
                        f"Negative variance for {row['lhs']} ({row['est']:.3f}).",
                        "The item or factor is over-explained: check its wording, fix the variance at a small "
                        "positive value only with a substantive reason, or respecify the model."))
    big = est[est["op"].isin(["=~", "~~"]) & (est["lhs"] != est["rhs"]) & (est["std_all"].abs() > 1)]
    for _, row in big.iterrows():
        kind = "loading" if row["op"] == "=~" else "correlation"
        out.append(_row("heywood case", "severe",
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
    return _row("path beyond 1", "severe", f"{row['lhs']} ~ {row['rhs']}" + _group_label(result, row["group"]),
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
            out.append(_row("collinear predictors", severity, f"{name} -> {outcome}" + _group_label(result, g),
                            f"{name} shares most of its variance with the other predictors of {outcome} "
                            f"(variance inflation {value:.1f}).",
                            "Its path is unstable; consider the second-order service-quality model."))
    return out


def _sample_size(result, limits):
    npar = int(result.fit_measures["npar"])
    n = result.ntotal
    if n >= limits["cases_per_parameter"] * npar:
        return []
    return [_row("sample size", "warning", "model",
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
    return [_row("empirical identification", "warning", names,
                 f"{len(huge)} standardized estimate(s) have standard errors above {limits['std_se_limit']}: "
                 "the data barely identify them.",
                 "Look for factors with two weak indicators or near-zero correlations that carry the identification.")]


def _validity(result, data, limits):
    from .reliability import discriminant_validity

    if data is None or result.spec.ngroups > 1 or len(result.latent) < 2:
        return []
    try:
        table = discriminant_validity(result, data, htmt_cutoff=limits["htmt_warning"])
    except Exception:  # noqa: BLE001 -- e.g. higher-order factors without items
        return []
    out = []
    for _, row in table.iterrows():
        pair = f"{row['construct_1']} & {row['construct_2']}"
        if row["htmt"] > limits["htmt_warning"]:
            severity = "severe" if row["htmt"] > limits["htmt_severe"] else "warning"
            out.append(_row("discriminant validity", severity, pair,
                            f"HTMT of {pair} is {row['htmt']:.2f} (above {limits['htmt_warning']:.2f}): "
                            "the two constructs are hardly distinct.",
                            "Merge them, or model a second-order factor above them."))
        elif not row["fl_ok"]:
            out.append(_row("discriminant validity", "warning", pair,
                            f"Fornell-Larcker: the correlation of {pair} ({row['correlation']:.2f}) exceeds the "
                            "square root of an AVE.",
                            "Check the items of both constructs for overlapping wording."))
    return out


def _ceiling_floor(result, data, codebook, limits):
    if data is None:
        return []
    out = []
    for item in result.observed:
        if item not in data:
            continue
        answers = data[item].dropna()
        if answers.empty or answers.nunique() > 11:  # only for rating-scale items
            continue
        bottom, top = _scale_of(codebook, item, answers)
        for label, value in (("ceiling", top), ("floor", bottom)):
            share = float((answers == value).mean())
            if share > limits["ceiling_share"]:
                out.append(_row(f"{label} effect", "note", item,
                                f"{share:.0%} of answers to {item} are at the scale {label} ({value:g}).",
                                "Skewed, bounded answers: prefer estimator='MLR' (or an ordinal estimator)."))
    return out


def _scale_of(codebook, item: str, answers: pd.Series) -> tuple[float, float]:
    """The item's answer scale from the codebook, else the range of its answers."""
    if codebook is not None:
        try:
            return codebook.scale_of(item)
        except Exception:  # noqa: BLE001 -- a column the codebook does not describe
            pass
    return float(answers.min()), float(answers.max())


def diagnose(result, data: pd.DataFrame | None = None, codebook=None, limits: dict | None = None) -> pd.DataFrame:
    """Run every diagnostic check on a fitted model.

    Parameters
    ----------
    result : SEMResult
    data : DataFrame, optional
        The survey data; enables the HTMT/Fornell-Larcker and ceiling/floor checks.
    codebook : Codebook, optional
        Gives the scale range for the ceiling/floor check.
    limits : dict, optional
        Overrides of :data:`DEFAULTS`.

    Returns
    -------
    DataFrame
        ``check, severity, where, message, suggestion``, severe problems first; empty when
        nothing needs attention.

    Examples
    --------
    lavaan prints some of these as warnings (e.g. "covariance matrix of latent variables is
    not positive definite"); here they are collected in one table:

    >>> import sqlib
    >>> res = sqlib.fit(sqlib.models.cfa_syntax(), sqlib.load_sample())
    >>> sqlib.diagnostics.diagnose(res).empty
    True
    """
    limits = {**DEFAULTS, **(limits or {})}
    rows = []
    for check in (_convergence, _not_positive_definite, _heywood, _structural, _sample_size,
                  _empirical_identification):
        rows += check(result, limits)
    rows += _validity(result, data, limits)
    rows += _ceiling_floor(result, data, codebook, limits)
    table = pd.DataFrame(rows, columns=COLUMNS)
    order = {"severe": 0, "warning": 1, "note": 2}
    return table.sort_values("severity", key=lambda s: s.map(order), kind="mergesort").reset_index(drop=True)


def has_severe(table: pd.DataFrame) -> bool:
    return bool((table["severity"] == "severe").any())


class DiagnosticsView:
    """Shows a diagnostics table as a coloured box in notebooks (red when anything is severe)."""

    def __init__(self, table: pd.DataFrame):
        self.table = table

    @property
    def severe(self) -> bool:
        return has_severe(self.table)

    def _repr_html_(self) -> str:
        import html

        problems = self.table[self.table["severity"] != "note"]
        if problems.empty:
            color, title = "#2a7", "No problems found: the solution is proper."
        elif self.severe:
            color, title = "#c00", "Severe problems: these results are not interpretable as they stand."
        else:
            color, title = "#c80", "Warnings: check these before reporting."
        table = condensed(self.table)
        body = table.to_html(index=False, escape=True) if len(table) else ""
        return (f"<div style='border:3px solid {color};padding:6px;margin:6px 0'>"
                f"<b style='color:{color}'>{html.escape(title)}</b>{body}</div>")

    def __repr__(self) -> str:
        if self.table.empty:
            return "No problems found: the solution is proper."
        return condensed(self.table).to_string(index=False)


def condensed(table: pd.DataFrame) -> pd.DataFrame:
    """Severe problems and warnings row by row, then one row per kind of note.

    ``"ceiling effect"`` notes on 17 items become one row whose ``where`` lists the
    items and whose message counts them, so notes never bury the problems.
    """
    problems = table[table["severity"] != "note"]
    notes = []
    for check, rows in table[table["severity"] == "note"].groupby("check", sort=False):
        if len(rows) == 1:
            notes.append(rows.iloc[0].to_dict())
            continue
        notes.append(_row(check, "note", ", ".join(rows["where"]),
                          f"{len(rows)} items, e.g. {rows['message'].iloc[0]}", rows["suggestion"].iloc[0]))
    return pd.concat([problems, pd.DataFrame(notes, columns=COLUMNS)], ignore_index=True)


def show(table: pd.DataFrame) -> DiagnosticsView:
    """Wrap a diagnostics table for display (``display(show(result.diagnostics))``)."""
    return DiagnosticsView(table)
