"""Plots of fitted models: path diagrams and loading heatmaps (matplotlib only).

No system binaries (graphviz) are needed. Every function takes ``ax=None`` and
returns the Axes.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.patches import Ellipse, FancyArrowPatch, Rectangle
from matplotlib.path import Path


def _stars(p: float) -> str:
    if p is None or np.isnan(p):
        return ""
    return "***" if p < 0.001 else "**" if p < 0.01 else "*" if p < 0.05 else ""


# Geometry of the diagram: data units are drawn at INCH_PER_UNIT inches (aspect 1), so
# text sizes in points translate into data units when the figure is made here.
INCH_PER_UNIT = 0.62
_CHAR = 0.6 / 72  # average glyph width of DejaVu Sans, in inches per point of font size


def _text_width(text: str, fontsize: float) -> float:
    """Approximate width of ``text`` in data units."""
    return len(text) * _CHAR * fontsize / INCH_PER_UNIT


@dataclass
class _Node:
    name: str
    x: float
    y: float
    half_width: float
    half_height: float
    latent: bool

    def contains(self, x: float, y: float) -> bool:
        dx, dy = (x - self.x) / self.half_width, (y - self.y) / self.half_height
        return dx * dx + dy * dy < 1 if self.latent else abs(dx) < 1 and abs(dy) < 1


@dataclass
class _Edge:
    """A quadratic Bezier from ``start`` over ``control`` to ``end`` (a straight line when the
    control point is the midpoint), already clipped at the borders of its two nodes."""

    start: np.ndarray
    control: np.ndarray
    end: np.ndarray
    label: str
    gid: str
    both: bool = False
    color: str = "0.2"
    fontsize: float = 7.5
    positions: tuple = (0.5, 0.4, 0.6, 0.3, 0.7, 0.25, 0.75, 0.2, 0.8)

    def point(self, t: float) -> np.ndarray:
        return (1 - t) ** 2 * self.start + 2 * (1 - t) * t * self.control + t ** 2 * self.end


def _bezier(a: _Node, b: _Node, bend: np.ndarray | None = None):
    """Start, control and end of the curve between two nodes, clipped at their borders."""
    p0, p2 = np.array([a.x, a.y]), np.array([b.x, b.y])
    control = (p0 + p2) / 2 if bend is None else (p0 + p2) / 2 + bend
    curve = lambda t: (1 - t) ** 2 * p0 + 2 * (1 - t) * t * control + t ** 2 * p2  # noqa: E731
    t0 = _crossing(lambda t: a.contains(*curve(t)), 0.0, 0.5)
    t1 = 1 - _crossing(lambda t: b.contains(*curve(1 - t)), 0.0, 0.5)
    blossom = (1 - t0) * (1 - t1) * p0 + ((1 - t0) * t1 + t0 * (1 - t1)) * control + t0 * t1 * p2
    return curve(t0), blossom, curve(t1)


def _crossing(inside, low: float, high: float) -> float:
    """The parameter where ``inside`` turns False (bisection; ``inside(low)`` is True)."""
    if not inside(low):
        return low
    for _ in range(40):
        mid = (low + high) / 2
        low, high = (mid, high) if inside(mid) else (low, mid)
    return high + 0.02  # a small gap between the node border and the arrow


def _levels(nodes: list[str], edges: list[tuple[str, str]]) -> dict[str, int]:
    """Structural level of each node: sources 0, then 1 + the level of the node's predecessors."""
    level = {n: 0 for n in nodes}
    for _ in range(len(level)):
        for source, target in edges:
            level[target] = max(level[target], level[source] + 1)
    return level


def _structural_graph(result, est: pd.DataFrame):
    """Nodes (latent variables and observed variables in regressions) and directed edges."""
    latent = result.latent
    paths = est[(est["op"] == "~")]
    higher = est[(est["op"] == "=~") & est["rhs"].isin(latent)]
    observed = [v for v in dict.fromkeys(list(paths["lhs"]) + list(paths["rhs"])) if v not in latent]
    nodes = list(latent) + observed
    edges = [(r.rhs, r.lhs) for r in paths.itertuples()] + [(r.lhs, r.rhs) for r in higher.itertuples()]
    return nodes, edges


def _node(name: str, x: float, y: float, latent: bool, fontsize: float) -> _Node:
    width = _text_width(name, fontsize + (1 if latent else 0))
    if latent:
        return _Node(name, x, y, 0.62 * width + 0.3, 0.34, True)
    return _Node(name, x, y, width / 2 + 0.14, 0.22, False)


def _measurement_layout(result, est: pd.DataFrame, fontsize: float) -> tuple[dict[str, _Node], str]:
    factors = list(result.latent)
    items = {f: est[(est["op"] == "=~") & (est["lhs"] == f)]["rhs"].tolist() for f in factors}
    count = sum(len(v) for v in items.values())
    nodes: dict[str, _Node] = {}
    label_width = _text_width("0.00***", fontsize - 1) + 0.15
    if count <= 16:  # factors in a row over their items
        box = max((_node(i, 0, 0, False, fontsize).half_width * 2 for v in items.values() for i in v), default=0.8)
        spacing = max(box + 0.25, label_width / 0.7)
        x = 0.0
        for f in factors:
            factor = _node(f, 0, 2.6, True, fontsize)
            width = max(len(items[f]) * spacing, 2 * factor.half_width + 0.4)
            left = x + (width - len(items[f]) * spacing) / 2
            for k, item in enumerate(items[f]):
                nodes[item] = _node(item, left + (k + 0.5) * spacing, 0.0, False, fontsize)
            factor.x = x + width / 2
            nodes[f] = factor
            x += width + 0.6
        return nodes, "row"
    spacing = max(0.55, (0.32 + 0.1) / 0.7)  # factors in a column left of their items
    widest = max(_node(f, 0, 0, True, fontsize).half_width for f in factors)
    y = 0.0
    for f in factors:
        top = y
        for item in items[f]:
            nodes[item] = _node(item, widest + 4.5, y, False, fontsize)
            y -= spacing
        nodes[f] = _node(f, 0.0, (top + y + spacing) / 2, True, fontsize)
        y -= 0.35
    return nodes, "column"


def _structural_layout(result, est: pd.DataFrame, fontsize: float) -> dict[str, _Node]:
    names, edges = _structural_graph(result, est)
    level = _levels(names, edges)
    columns: dict[int, list[str]] = {}
    for name in names:
        columns.setdefault(level[name], []).append(name)
    nodes: dict[str, _Node] = {}
    x, previous = 0.0, 0.0
    for lev in sorted(columns):
        made = [_node(n, 0, 0, n in result.latent, fontsize) for n in columns[lev]]
        half = max(n.half_width for n in made)
        x = x + previous + half + (2.6 if lev else 0.0)
        for k, node in enumerate(made):
            node.x, node.y = x, ((len(made) - 1) / 2 - k) * 1.35
            nodes[node.name] = node
        previous = half
    return nodes


def _edges(result, est: pd.DataFrame, nodes: dict[str, _Node], layout: str, col: str,
           show_covariances: bool, fontsize: float) -> list[_Edge]:
    out = []
    lv = set(result.latent)
    bent = 0  # paths bent around other nodes so far: they alternate above and below
    for row in est.itertuples():
        lhs, op, rhs = row.lhs, row.op, row.rhs
        if lhs not in nodes or rhs not in nodes or (op == "~~" and (lhs == rhs or not show_covariances)):
            continue
        if op == "~~" and not (lhs in lv and rhs in lv):
            continue
        value = getattr(row, col)
        label = f"{round(value, 2) + 0.0:.2f}" + ("" if op == "~~" else _stars(row.pvalue))  # no "-0.00"
        gid = f"edge:{lhs}{op}{rhs}"
        if op == "=~":
            a, b = nodes[lhs], nodes[rhs]
            start, control, end = _bezier(a, b)
            positions = (0.7, 0.6, 0.8, 0.5) if layout != "structural" else _Edge.positions
            out.append(_Edge(start, control, end, label, gid, fontsize=fontsize - 1, positions=positions))
        elif op == "~":
            a, b = nodes[rhs], nodes[lhs]
            bend = _skip_bend(a, b, nodes, bent)
            bent += bend is not None
            out.append(_Edge(*_bezier(a, b, bend), label, gid, fontsize=fontsize - 0.5))
        else:
            a, b = nodes[lhs], nodes[rhs]
            out.append(_Edge(*_bezier(a, b, _arc_bend(a, b, layout)), label, gid, both=True, color="0.55",
                             fontsize=fontsize - 1.5))
    return out


def _skip_bend(a: _Node, b: _Node, nodes: dict[str, _Node], count: int) -> np.ndarray | None:
    """Bend a path that would cross another node: away from the middle of the diagram, or
    alternately above and below when the nodes lie on one line; longer paths bend more."""
    p0, p2 = np.array([a.x, a.y]), np.array([b.x, b.y])
    others = [n for n in nodes.values() if n.name not in (a.name, b.name)]
    samples = [p0 + t * (p2 - p0) for t in np.linspace(0.05, 0.95, 40)]
    if not any(n.contains(*pt) for n in others for pt in samples):
        return None
    middle = np.mean([n.y for n in nodes.values()])
    offset = (a.y + b.y) / 2 - middle
    side = (1.0 if offset > 0 else -1.0) if abs(offset) > 0.3 else (1.0 if count % 2 == 0 else -1.0)
    return np.array([0.0, side * (1.2 + 0.12 * abs(b.x - a.x))])


def _arc_bend(a: _Node, b: _Node, layout: str) -> np.ndarray:
    """Covariance arcs bulge above a row of factors, or left of a column of them (past their left edges)."""
    if layout == "row":
        top = max(a.y + a.half_height, b.y + b.half_height) - (a.y + b.y) / 2
        return np.array([0.0, 2 * top + 0.3 * abs(b.x - a.x)])
    left = min(a.x - a.half_width, b.x - b.half_width) - (a.x + b.x) / 2
    return np.array([2 * left - (0.3 + 0.35 * abs(b.y - a.y)), 0.0])


def _draw_edge(ax, edge: _Edge) -> None:
    path = Path([edge.start, edge.control, edge.end], [Path.MOVETO, Path.CURVE3, Path.CURVE3])
    patch = FancyArrowPatch(path=path, arrowstyle="<|-|>" if edge.both else "-|>", mutation_scale=9,
                            color=edge.color, lw=0.9, shrinkA=0, shrinkB=0)
    patch.set_gid(edge.gid)
    ax.add_patch(patch)


def _place_label(ax, edge: _Edge, taken: list, renderer) -> None:
    """Put the label on its curve at the first position whose box overlaps nothing placed."""
    text = None
    for t in edge.positions:
        x, y = edge.point(t)
        if text is None:
            text = ax.text(x, y, edge.label, fontsize=edge.fontsize, ha="center", va="center", zorder=5,
                           gid=edge.gid, bbox={"boxstyle": "round,pad=0.12", "fc": "white", "ec": "none"})
        else:
            text.set_position((x, y))
        box = text.get_window_extent(renderer)
        if not any(box.overlaps(other) for other in taken):
            break
    taken.append(text.get_window_extent(renderer))


#: Most factor-correlation arcs drawn beside a measurement model / a structural model's predictors.
MAX_ARCS, MAX_ARCS_STRUCTURAL = 6, 3


def path_diagram(result, *, ax=None, group: int = 1, show_indicators: bool | None = None,
                 standardized: bool = True, fontsize: int = 8, show_covariances: bool | None = None):
    """Draw the model: factors as ellipses, items as boxes, standardized coefficients.

    Measurement models are drawn with factors in a row over their items (a column
    beside them when there are more than 16 items) and factor correlations as arcs;
    structural models with their variables (latent, and observed variables in
    regressions) in columns by causal order, paths labelled with standardized
    coefficients and significance stars (* p < .05, ** p < .01, *** p < .001), and
    R-squared under each dependent variable; a path that would cross another node
    is bent around it. Factor correlations are drawn as arcs when there are at most
    six of them in a measurement model, three in a structural one, where the arcs
    share one column of predictors (``show_covariances`` overrides); with more they
    belong in a table.

    Every label sits on its arrow (at a point of the curve, on a white box), at the
    first of several positions along it where it overlaps no other label or node.
    Nodes never overlap: their sizes and spacing follow their names.

    Parameters
    ----------
    result : SEMResult
    ax : matplotlib Axes, optional
        Default: a new figure sized to the model (aspect 1, 0.62 in per unit).
    group : int
        Group whose estimates are shown.
    show_indicators : bool, optional
        Measurement diagrams always show their indicators; structural diagrams never
        do (their loadings are in the measurement diagram), so True there is an error.
    standardized : bool
        Standardized (``std_all``) or unstandardized estimates.
    fontsize : int
    show_covariances : bool, optional

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import sqlib
    >>> from sqlib import models, semplots
    >>> ax = semplots.path_diagram(sqlib.fit(models.structural_syntax(), sqlib.load_sample()))

    R equivalent: ``semPlot::semPaths(fit, "std")``.
    """
    est = result.estimates[result.estimates["group"] == group]
    col = "std_all" if standardized else "est"
    structural = (est["op"] == "~").any() or (est[est["op"] == "=~"]["rhs"].isin(result.latent)).any()
    if structural and show_indicators:
        raise ValueError("path_diagram: show_indicators=True is not available for structural models; draw the "
                         "measurement part with path_diagram(cfa_result) instead.")
    if structural:
        nodes, layout = _structural_layout(result, est, fontsize), "structural"
    else:
        nodes, layout = _measurement_layout(result, est, fontsize)
    lv_cov = est[(est["op"] == "~~") & (est["lhs"] != est["rhs"]) & est["lhs"].isin(result.latent)
                 & est["rhs"].isin(result.latent)]
    if show_covariances is None:
        show_covariances = len(lv_cov) <= (MAX_ARCS_STRUCTURAL if structural else MAX_ARCS)
    edges = _edges(result, est, nodes, layout, col, show_covariances, fontsize)
    notes = [] if show_covariances or not len(lv_cov) else [
        f"{len(lv_cov)} factor correlations not drawn (see the table)"]
    ax = _diagram_axes(ax, nodes, edges)
    taken = _draw_nodes(ax, nodes, fontsize)
    r2_boxes = _draw_r2(ax, result, nodes, group, fontsize)
    renderer = ax.figure.canvas.get_renderer()
    taken += [box.get_window_extent(renderer) for box in r2_boxes]
    for edge in edges:
        _draw_edge(ax, edge)
    for edge in edges:
        _place_label(ax, edge, taken, renderer)
    for note in notes:
        ax.text(0.0, 0.0, note, transform=ax.transAxes, fontsize=fontsize - 1, color="0.4", va="bottom")
    return ax


def _diagram_axes(ax, nodes: dict[str, _Node], edges: list[_Edge]):
    points = [(n.x - n.half_width, n.y - n.half_height) for n in nodes.values()]
    points += [(n.x + n.half_width, n.y + n.half_height) for n in nodes.values()]
    points += [tuple(e.point(0.5)) for e in edges]
    xs, ys = zip(*points)
    xlim = (min(xs) - 0.6, max(xs) + 0.6)
    ylim = (min(ys) - 0.9, max(ys) + 0.5)
    if ax is None:
        width, height = (xlim[1] - xlim[0]) * INCH_PER_UNIT, (ylim[1] - ylim[0]) * INCH_PER_UNIT
        fig = plt.figure(figsize=(width, height))
        ax = fig.add_axes((0, 0, 1, 1))
    ax.set_xlim(*xlim)
    ax.set_ylim(*ylim)
    ax.set_aspect("equal", adjustable="box")
    ax.axis("off")
    return ax


def _draw_nodes(ax, nodes: dict[str, _Node], fontsize: float) -> list:
    renderer = ax.figure.canvas.get_renderer()
    boxes = []
    for node in nodes.values():
        if node.latent:
            shape = Ellipse((node.x, node.y), 2 * node.half_width, 2 * node.half_height, fc="#e8f0fa", ec="0.2")
        else:
            shape = Rectangle((node.x - node.half_width, node.y - node.half_height), 2 * node.half_width,
                              2 * node.half_height, fc="white", ec="0.2")
        shape.set_gid(f"node:{node.name}")
        ax.add_patch(shape)
        ax.text(node.x, node.y, node.name, ha="center", va="center", fontsize=fontsize + (1 if node.latent else 0),
                gid=f"name:{node.name}")
        boxes.append(shape.get_window_extent(renderer))
    return boxes


def _draw_r2(ax, result, nodes: dict[str, _Node], group: int, fontsize: float) -> list:
    out = []
    for name, node in nodes.items():
        key = name if result.spec.ngroups == 1 else (group, name)
        dependent = any(r.op == "~" and r.lhs == name for r in result.spec.rows) or (
            node.latent and any(r.op == "=~" and r.rhs == name for r in result.spec.rows))
        if dependent and key in result.r2.index:
            out.append(ax.text(node.x, node.y - node.half_height - 0.08, f"R² = {result.r2[key]:.2f}",
                               ha="center", va="top", fontsize=fontsize - 1, color="0.3", gid=f"r2:{name}"))
    return out


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
    with warnings.catch_warnings():  # seaborn's own use of a deprecated matplotlib call, not the user's
        warnings.filterwarnings("ignore", message="The set_bad function will be deprecated")
        sns.heatmap(matrix, annot=True, fmt=".2f", cmap=cmap, vmin=0, vmax=1, cbar=False, ax=ax,
                    linewidths=0.5, linecolor="white", annot_kws={"fontsize": 7})
    ax.set_xlabel("")
    ax.set_ylabel("")
    ax.set_title("Standardized loadings")
    return ax


def _parameter_parts(name: str) -> tuple[str, str, str]:
    """``"res3~1"`` -> ``("res3", "~1", "")``; ``"responsiveness=~res3"`` -> its three parts."""
    for op in ("=~", "~~", "~1", "~"):
        if op in name:
            lhs, rhs = name.split(op, 1)
            return lhs.strip(), op, rhs.strip()
    raise ValueError(f"group_parameters: {name!r} is not a parameter; write it like 'responsiveness=~res3', "
                     "'res3~1' (intercept) or 'res3~~res3' (variance).")


def group_parameters(result, parameters: list[str], *, ax=None):
    """Estimates with 95% CIs of the named parameters in every group.

    ``parameters`` are written like ``"res3~1"`` or ``"responsiveness=~res3"``; the
    plot shows at a glance which group deviates on a non-invariant item.
    """
    est = result.estimates
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 0.6 + 0.8 * max(len(parameters), 1)))
    labels = result.group_levels
    colors = sns.color_palette("colorblind", len(labels))
    for k, name in enumerate(parameters):
        lhs, op, rhs = _parameter_parts(name)
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
    labelled: set[str] = set()
    for k, pred in enumerate(predictors):
        for j, kind in enumerate(kinds):
            row = part[(part["predictor"] == pred) & (part["effect"] == kind)]
            if row.empty:
                continue
            row = row.iloc[0]
            y = k + (j - 1) * 0.22
            x = row["std_all"] if standardized else row["est"]
            err = None if standardized else [[row["est"] - row["ci_lower"]], [row["ci_upper"] - row["est"]]]
            ax.errorbar(x, y, xerr=err, fmt="o", color=colors[kind], capsize=2,
                        label=None if kind in labelled else kind)
            labelled.add(kind)
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
