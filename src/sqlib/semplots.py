"""Plots of fitted models: path diagrams and loading heatmaps (matplotlib only).

No system binaries (graphviz) are needed. Every function takes ``ax=None`` and
returns the Axes.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.patches import Ellipse, FancyArrowPatch, Rectangle


def _stars(p: float) -> str:
    if p is None or np.isnan(p):
        return ""
    return "***" if p < 0.001 else "**" if p < 0.01 else "*" if p < 0.05 else ""


def _levels(result) -> dict[str, int]:
    """Structural level of each latent variable: exogenous 0, then 1 + max of predictors."""
    est = result.estimates
    paths = est[(est["op"] == "~") & est["lhs"].isin(result.latent) & est["rhs"].isin(result.latent)]
    level = {f: 0 for f in result.latent}
    for _ in range(len(level)):
        for _, row in paths.iterrows():
            level[row["lhs"]] = max(level[row["lhs"]], level[row["rhs"]] + 1)
    return level


def _positions(result, show_indicators: bool):
    level = _levels(result)
    pos: dict[str, tuple[float, float]] = {}
    if max(level.values(), default=0) == 0:  # measurement model: factors in a row, items below
        est = result.estimates
        x = 0.0
        for f in result.latent:
            items = est[(est["op"] == "=~") & (est["lhs"] == f) & (est["group"] == 1)]["rhs"].tolist()
            width = max(len(items), 1)
            pos[f] = (x + (width - 1) / 2, 2.0)
            for k, item in enumerate(items):
                pos[item] = (x + k, 0.0)
            x += width + 0.6
        return pos, "row"
    columns: dict[int, list[str]] = {}
    for f, lev in level.items():
        columns.setdefault(lev, []).append(f)
    height = max(len(v) for v in columns.values())
    for lev, names in columns.items():
        for k, f in enumerate(names):
            spacing = max(height / len(names), 1.0)
            pos[f] = (lev * 3.0, ((len(names) - 1) / 2 - k) * spacing)
    return pos, "columns"


def _arrow(ax, start, end, text, *, curved=0.0, both=False, color="0.2", fontsize=8, at=0.5):
    style = "<|-|>" if both else "-|>"
    patch = FancyArrowPatch(start, end, arrowstyle=style, mutation_scale=10, color=color, lw=1,
                            connectionstyle=f"arc3,rad={curved}", shrinkA=14, shrinkB=14)
    ax.add_patch(patch)
    mx, my = start[0] + at * (end[0] - start[0]), start[1] + at * (end[1] - start[1])
    if curved:
        mx += curved * (end[1] - start[1]) * 0.5
        my -= curved * (end[0] - start[0]) * 0.5
    ax.text(mx, my, text, fontsize=fontsize, ha="center", va="center",
            bbox={"boxstyle": "round,pad=0.1", "fc": "white", "ec": "none", "alpha": 0.85})


def path_diagram(result, *, ax=None, group: int = 1, show_indicators: bool | None = None,
                 standardized: bool = True, fontsize: int = 8, show_covariances: bool | None = None):
    """Draw the model: factors as ellipses, items as boxes, standardized coefficients.

    Measurement models are drawn with factors in a row over their items and factor
    correlations as arcs; structural models with factors in columns by causal order,
    paths labelled with standardized coefficients and significance stars
    (* p < .05, ** p < .01, *** p < .001), and R-squared under each dependent factor.
    Factor correlations are drawn as arcs when there are at most six of them
    (``show_covariances`` overrides); with more they belong in a table.

    Returns
    -------
    matplotlib.axes.Axes
    """
    est = result.estimates[result.estimates["group"] == group]
    col = "std_all" if standardized else "est"
    pos, layout = _positions(result, show_indicators)
    lv_cov = est[(est["op"] == "~~") & (est["lhs"] != est["rhs"]) & est["lhs"].isin(result.latent)
                 & est["rhs"].isin(result.latent)]
    if show_covariances is None:
        show_covariances = len(lv_cov) <= 6
    if ax is None:
        width = max(6.0, 0.45 * len(pos)) if layout == "row" else 9.0
        _, ax = plt.subplots(figsize=(min(width, 16), 4.5 if layout == "row" else 6.0))
    for name, (x, y) in pos.items():
        if name in result.latent:
            width = max(1.5 if layout == "row" else 1.9, 0.16 * len(name) + 0.5)
            ax.add_patch(Ellipse((x, y), width, 0.55, fc="#e8f0fa", ec="0.2"))
            ax.text(x, y, name, ha="center", va="center", fontsize=fontsize + 1)
        else:
            ax.add_patch(Rectangle((x - 0.4, y - 0.22), 0.8, 0.44, fc="white", ec="0.2"))
            ax.text(x, y, name, ha="center", va="center", fontsize=fontsize)
    loading_count: dict[str, int] = {}
    for _, row in est.iterrows():
        lhs, op, rhs = row["lhs"], row["op"], row["rhs"]
        if lhs not in pos or rhs not in pos:
            continue
        label = f"{row[col]:.2f}{_stars(row['pvalue'])}"
        if op == "=~":
            k = loading_count[lhs] = loading_count.get(lhs, -1) + 1
            _arrow(ax, pos[lhs], pos[rhs], label, fontsize=fontsize - 1, at=0.55 + 0.25 * (k % 2))
        elif op == "~":
            skip = abs(pos[lhs][0] - pos[rhs][0]) > 3.5 and abs(pos[lhs][1] - pos[rhs][1]) < 0.5
            _arrow(ax, pos[rhs], pos[lhs], label, fontsize=fontsize, curved=-0.35 if skip else 0.0)
        elif op == "~~" and lhs != rhs and lhs in result.latent and rhs in result.latent and show_covariances:
            _arrow(ax, pos[lhs], pos[rhs], f"{row[col]:.2f}", curved=-0.3, both=True, color="0.55",
                   fontsize=fontsize - 2)
    r2 = result.r2
    for f in result.latent:
        key = f if result.spec.ngroups == 1 else (group, f)
        if key in r2.index and f in pos:
            x, y = pos[f]
            ax.text(x, y - 0.42, f"R² = {r2[key]:.2f}", ha="center", va="top", fontsize=fontsize - 1, color="0.3")
    xs = [p[0] for p in pos.values()]
    ys = [p[1] for p in pos.values()]
    half = max(0.16 * len(v) + 0.5 for v in result.latent) / 2 if result.latent else 0.5
    ax.set_xlim(min(xs) - max(1.2, half + 0.2), max(xs) + max(1.2, half + 0.2))
    top = 1.6 if (layout == "row" and show_covariances) else 0.6
    ax.set_ylim(min(min(ys) - 0.9, -1.8), max(max(ys) + top, 1.8))
    if not show_covariances and len(lv_cov):
        ax.text(min(xs) - 1.0, min(min(ys) - 0.8, -1.7), f"{len(lv_cov)} factor correlations not drawn (see the table)",
                fontsize=fontsize - 1, color="0.4", va="bottom")
    ax.set_aspect("auto")
    ax.axis("off")
    return ax


def loadings_matrix(result, group: int = 1, standardized: bool = True) -> pd.DataFrame:
    """Items x factors matrix of (standardized) loadings, NaN where an item does not load."""
    est = result.estimates
    load = est[(est["op"] == "=~") & (est["group"] == group) & ~est["rhs"].isin(result.latent)]
    col = "std_all" if standardized else "est"
    matrix = load.pivot(index="rhs", columns="lhs", values=col)
    items = list(dict.fromkeys(load["rhs"]))
    factors = list(dict.fromkeys(load["lhs"]))
    return matrix.loc[items, factors]


def loadings_heatmap(result, *, ax=None, group: int = 1, cmap: str = "Blues"):
    """Heatmap of standardized loadings (items in rows, factors in columns)."""
    matrix = loadings_matrix(result, group)
    if ax is None:
        _, ax = plt.subplots(figsize=(1.0 + 0.9 * matrix.shape[1], 0.3 * matrix.shape[0] + 1.2))
    sns.heatmap(matrix, annot=True, fmt=".2f", cmap=cmap, vmin=0, vmax=1, cbar=False, ax=ax,
                linewidths=0.5, linecolor="white", annot_kws={"fontsize": 7})
    ax.set_xlabel("")
    ax.set_ylabel("")
    ax.set_title("Standardized loadings")
    return ax


def group_parameters(result, parameters: list[str], *, ax=None):
    """Estimates with 95% CIs of the named parameters in every group.

    ``parameters`` are written like ``"res3~1"`` or ``"responsiveness=~res3"``; the
    plot shows at a glance which group deviates on a non-invariant item.
    """
    from .invariance import _split_parameter

    est = result.estimates
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 0.6 + 0.8 * max(len(parameters), 1)))
    labels = result.group_levels
    colors = sns.color_palette("colorblind", len(labels))
    for k, name in enumerate(parameters):
        lhs, op, rhs = _split_parameter(name)
        rows = est[(est["lhs"] == lhs) & (est["op"] == op) & (est["rhs"] == rhs)].sort_values("group")
        for j, (_, row) in enumerate(rows.iterrows()):
            y = k + (j - (len(rows) - 1) / 2) * 0.15
            ax.errorbar(row["est"], y, xerr=[[row["est"] - row["ci_lower"]], [row["ci_upper"] - row["est"]]],
                        fmt="o", color=colors[j], label=str(labels[row["group"] - 1]) if k == 0 else None)
    ax.set_yticks(range(len(parameters)))
    ax.set_yticklabels(parameters)
    ax.invert_yaxis()
    ax.set_xlabel("estimate (95% CI)")
    ax.legend(title=result.group or "group", frameon=False, loc="best")
    return ax


def effects_forest(effects: pd.DataFrame, *, outcome: str | None = None, ax=None, standardized: bool = False):
    """Forest plot of direct, indirect and total effects (with CIs) per predictor.

    ``effects`` is the table of :func:`sqlib.effects.effects`; ``outcome`` picks one
    dependent variable (default: the last one listed, e.g. loyalty). With
    ``standardized=True`` the standardized point estimates are drawn without CIs.
    """
    outcome = outcome or effects["outcome"].iloc[-1]
    part = effects[effects["outcome"] == outcome]
    predictors = list(dict.fromkeys(part["predictor"]))
    kinds = ["direct", "indirect", "total"]
    colors = dict(zip(kinds, sns.color_palette("colorblind", 3)))
    if ax is None:
        _, ax = plt.subplots(figsize=(6.5, 0.8 + 0.7 * len(predictors)))
    for k, pred in enumerate(predictors):
        for j, kind in enumerate(kinds):
            row = part[(part["predictor"] == pred) & (part["effect"] == kind)]
            if row.empty:
                continue
            row = row.iloc[0]
            y = k + (j - 1) * 0.22
            x = row["std_all"] if standardized else row["est"]
            err = None if standardized else [[row["est"] - row["ci_lower"]], [row["ci_upper"] - row["est"]]]
            ax.errorbar(x, y, xerr=err, fmt="o", color=colors[kind], label=kind if k == 0 else None, capsize=2)
    ax.axvline(0, color="0.6", lw=0.8, ls="--")
    ax.set_yticks(range(len(predictors)))
    ax.set_yticklabels(predictors)
    ax.invert_yaxis()
    ax.set_xlabel(f"{'standardized ' if standardized else ''}effect on {outcome}" + ("" if standardized else " (95% CI)"))
    ax.legend(frameon=False, loc="best")
    return ax


def scree_plot(parallel: pd.DataFrame, *, ax=None):
    """Scree plot with the parallel-analysis threshold (table of :func:`sqlib.efa.parallel_analysis`)."""
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 3.5))
    ax.plot(parallel["factor"], parallel["eigenvalue"], "o-", label="observed")
    ax.plot(parallel["factor"], parallel["random_eigenvalue"], "s--", color="0.5", label="random data (95th pct.)")
    kept = int(parallel["retain"].sum())
    ax.axvline(kept + 0.5, color="#c00", lw=0.8, ls=":")
    ax.set_xlabel("factor")
    ax.set_ylabel("eigenvalue")
    ax.set_title(f"Parallel analysis: retain {kept} factor{'s' if kept != 1 else ''}")
    ax.legend(frameon=False)
    return ax
