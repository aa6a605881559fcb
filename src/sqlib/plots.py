"""Plots of survey data (matplotlib/seaborn).

Every function takes ``ax=None`` (a new figure sized for a journal page is made
when no Axes is given) and returns the Axes it drew on. Item wordings come from
``labels``: a :class:`~sqlib.codebook.Codebook`, a dict column -> wording, or a
list in item order.
"""

from __future__ import annotations

import textwrap

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.patches import Patch

from .codebook import Codebook


def _label_list(items, labels, width: int = 40) -> list[str]:
    if labels is None:
        names = list(items)
    elif isinstance(labels, Codebook):
        names = [labels.label(i) for i in items]
    elif isinstance(labels, dict):
        names = [labels.get(i, i) for i in items]
    else:
        names = list(labels)
        if len(names) != len(items):
            raise ValueError(f"Got {len(names)} labels for {len(items)} items; give one label per item.")
    return [_wrap(str(n), width) for n in names]


def _wrap(text: str, width: int, max_lines: int = 2) -> str:
    """Wrap a wording on at most ``max_lines`` lines, ending with '…' when cut."""
    lines = textwrap.wrap(text, width=width) or [""]
    if len(lines) > max_lines:
        lines = lines[:max_lines - 1] + [textwrap.shorten(" ".join(lines[max_lines - 1:]), width, placeholder="…")]
    return "\n".join(lines)


def _numeric(data: pd.DataFrame, items) -> pd.DataFrame:
    missing = [c for c in items if c not in data.columns]
    if missing:
        raise KeyError(f"The data have no column(s) {', '.join(map(repr, missing))}; check the item names.")
    return data[list(items)].apply(pd.to_numeric, errors="coerce").astype("float64")


def _new_axes(ax, width: float, height: float):
    if ax is None:
        _, ax = plt.subplots(figsize=(width, height), layout="constrained")
    return ax


# ------------------------------------------------------------------ Likert bars
def likert_shares(data: pd.DataFrame, items, scale_min: int = 1, scale_max: int = 7) -> pd.DataFrame:
    """Percent of answers at each scale point, per item (missing answers left out).

    Returns
    -------
    pandas.DataFrame
        Index ``item``, one column per scale point, rows summing to 100.
    """
    answers = _numeric(data, items)
    points = list(range(scale_min, scale_max + 1))
    counts = pd.DataFrame({p: (answers == p).sum() for p in points})
    totals = counts.sum(axis=1).replace(0, np.nan)
    shares = 100 * counts.div(totals, axis=0)
    shares.index.name = "item"
    return shares.fillna(0.0)


def likert_bars(data: pd.DataFrame, items, scale_min: int = 1, scale_max: int = 7, labels=None,
                ax=None, *, scale_labels=None):
    """Diverging stacked bars of Likert answers, centred on the scale midpoint.

    Disagreeing answers extend to the left of zero, agreeing ones to the right;
    on an odd scale the middle category is split in half around zero. Bars are
    percentages of the answers given (missing answers left out).

    Parameters
    ----------
    data : pandas.DataFrame
    items : list of str
        Drawn from top to bottom in this order.
    scale_min, scale_max : int
        The answer scale.
    labels : Codebook, dict or list, optional
        Item wordings for the y axis (default: the column names).
    ax : matplotlib Axes, optional
    scale_labels : list of str, optional
        Legend names of the scale points (default: the numbers).

    Returns
    -------
    matplotlib.axes.Axes
        With ``len(items) * (scale_max - scale_min + 1)`` bars.

    Examples
    --------
    >>> from sqlib import Codebook
    >>> from sqlib.io import load_sample
    >>> from sqlib.plots import likert_bars
    >>> cb = Codebook.servqual()
    >>> ax = likert_bars(load_sample(), cb.items_of("tangibles"), labels=cb)

    R equivalent: ``likert::likert()`` with ``plot()``.
    """
    shares = likert_shares(data, items, scale_min, scale_max)
    points = list(shares.columns)
    mid = (scale_min + scale_max) / 2
    mid = int(mid) if float(mid).is_integer() else mid
    ax = _new_axes(ax, 7.0, 0.45 * len(items) + 1.6)
    colors = sns.color_palette("RdBu", len(points))
    if mid in points:  # the neutral point in grey, visible on white
        colors[points.index(mid)] = (0.82, 0.82, 0.82)
    y = np.arange(len(items))
    below = shares[[p for p in points if p < mid]].sum(axis=1).to_numpy()
    middle = shares[mid].to_numpy() if mid in points else np.zeros(len(items))
    left = -(below + middle / 2)
    start = left.copy()
    names = list(scale_labels) if scale_labels is not None else [str(p) for p in points]
    for point, color, name in zip(points, colors, names):
        width = shares[point].to_numpy()
        ax.barh(y, width, left=left, color=color, edgecolor="white", linewidth=0.5, height=0.75, label=name)
        left = left + width
    ax.axvline(0, color="0.25", linewidth=0.8)
    ax.set_yticks(y, _label_list(items, labels))
    ax.invert_yaxis()
    reach = np.concatenate([-start, 100 + start, [50.0]])
    edge = 10 * np.ceil(np.nanmax(reach) / 10)
    ax.set_xlim(-edge, edge)
    ticks = ax.get_xticks()
    ax.set_xticks(ticks, [f"{abs(t):.0f}%" for t in ticks])
    ax.set_xlim(-edge, edge)
    ax.set_xlabel("Share of answers")
    ax.legend(handles=[Patch(color=c, label=n) for c, n in zip(colors, names)], ncols=len(points),
              loc="lower center", bbox_to_anchor=(0.5, 1.0), frameon=False, fontsize="small",
              handlelength=1.2, columnspacing=0.8)
    sns.despine(ax=ax, left=True)
    return ax


# ------------------------------------------------------------------ missingness
def missingness_heatmap(data: pd.DataFrame, items, ax=None):
    """Which respondent left which item unanswered (dark cell = missing).

    Respondents run down the y axis in data order, items across; each item's
    tick label gives its percent missing.

    Parameters
    ----------
    data : pandas.DataFrame
    items : list of str
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> from sqlib import Codebook
    >>> from sqlib.io import load_sample
    >>> from sqlib.plots import missingness_heatmap
    >>> ax = missingness_heatmap(load_sample(), Codebook.servqual().items)

    R equivalent: ``naniar::vis_miss()``.
    """
    missing = data[list(items)].isna().to_numpy()
    ax = _new_axes(ax, max(6.0, 0.22 * len(items) + 1.5), 4.5)
    ax.imshow(missing, aspect="auto", interpolation="nearest", cmap=plt.get_cmap("Greys"), vmin=0, vmax=1)
    pct = 100 * missing.mean(axis=0) if len(missing) else np.zeros(len(items))
    ax.set_xticks(np.arange(len(items)), [f"{i} ({p:.1f}%)" for i, p in zip(items, pct)],
                  rotation=90, fontsize="small")
    ax.set_ylabel("Respondent")
    ax.set_title(f"Missing answers: {100 * missing.mean() if missing.size else 0:.1f}% of all cells",
                 fontsize="medium")
    return ax


# ----------------------------------------------------------------- correlations
def correlation_heatmap(data: pd.DataFrame, items, ax=None, method: str = "pearson", labels=None,
                        annotate: bool | None = None):
    """Heatmap of inter-item correlations (lower triangle, pairwise complete).

    Parameters
    ----------
    data : pandas.DataFrame
    items : list of str
    ax : matplotlib Axes, optional
    method : {"pearson", "spearman", "kendall"}
    labels : Codebook, dict or list, optional
        Item wordings for the axes (default: the column names).
    annotate : bool, optional
        Print the coefficients in the cells; default when there are at most 16 items.

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> from sqlib import Codebook
    >>> from sqlib.io import load_sample
    >>> from sqlib.plots import correlation_heatmap
    >>> ax = correlation_heatmap(load_sample(), Codebook.servqual().items_of("reliability"))

    R equivalent: ``corrplot::corrplot(cor(df[items], use = "pairwise"))``.
    """
    if method not in ("pearson", "spearman", "kendall"):
        raise ValueError(f"method={method!r} is not available; use 'pearson', 'spearman' or 'kendall'.")
    corr = _numeric(data, items).corr(method=method)
    names = _label_list(items, labels, width=30)
    corr.index, corr.columns = names, names
    annotate = len(items) <= 16 if annotate is None else annotate
    size = 0.42 * len(items) + 2.5
    ax = _new_axes(ax, size + 1.0, size)
    mask = np.triu(np.ones(corr.shape, dtype=bool), k=1)
    sns.heatmap(corr, mask=mask, ax=ax, vmin=-1, vmax=1, center=0, cmap="RdBu_r", square=True,
                annot=annotate, fmt=".2f", annot_kws={"fontsize": 7}, linewidths=0.5,
                cbar_kws={"label": f"{method.capitalize()} correlation", "shrink": 0.7},
                xticklabels=True, yticklabels=True)
    ax.tick_params(labelsize="small")
    return ax
