"""Plots of survey data (matplotlib/seaborn).

Every function takes ``ax=None`` (a new figure sized for a journal page is made
when no Axes is given) and returns the Axes it drew on. Item wordings come from
``labels``: a :class:`~sqlib.codebook.Codebook`, a dict column -> wording, or a
list in item order.
"""

from __future__ import annotations

import textwrap
import warnings

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.patches import Patch

from sqlib.survey.codebook import Codebook


def _label_list(items, labels, width: int = 40, max_lines: int | None = 2) -> list[str]:
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
    return [_wrap(str(n), width, max_lines) for n in names]


def _wrap(text: str, width: int, max_lines: int | None = 2) -> str:
    """Wrap a wording on at most ``max_lines`` lines (all lines when None), ending with '…' when cut."""
    lines = textwrap.wrap(text, width=width) or [""]
    if max_lines is not None and len(lines) > max_lines:
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


def tick_labels_overlap(ax, axis: str = "y") -> bool:
    """Whether any two visible tick labels of ``axis`` overlap on the drawn figure.

    Parameters
    ----------
    ax : matplotlib Axes
    axis : {"y", "x"}

    Returns
    -------
    bool
        True when the renderer's bounding boxes of two non-empty tick labels intersect.

    Examples
    --------
    >>> import pandas as pd
    >>> ax = likert_bars(pd.DataFrame({"q1": [1, 7.0], "q2": [2, 5.0]}), ["q1", "q2"])
    >>> tick_labels_overlap(ax)
    False
    """
    ax.figure.canvas.draw()
    renderer = ax.figure.canvas.get_renderer()
    labels = ax.get_yticklabels() if axis == "y" else ax.get_xticklabels()
    boxes = [t.get_window_extent(renderer) for t in labels if t.get_visible() and t.get_text()]
    return any(a.overlaps(b) for k, a in enumerate(boxes) for b in boxes[k + 1:])


def _shrink_tick_labels(ax, axis: str = "y", smallest: float = 5.0) -> None:
    """Make the tick labels smaller until none overlaps (down to ``smallest`` points)."""
    labels = ax.get_yticklabels() if axis == "y" else ax.get_xticklabels()
    if not labels:
        return
    size = labels[0].get_fontsize()
    while tick_labels_overlap(ax, axis) and size > smallest:
        size = max(size - 0.5, smallest)
        ax.tick_params(axis=axis, labelsize=size)


def _fit_y_labels(ax, texts: list[str]) -> None:
    """Y tick labels that never overlap: smaller type, then one line each, then a taller figure."""
    _shrink_tick_labels(ax, "y", smallest=6.0)
    if not tick_labels_overlap(ax, "y"):
        return
    ax.set_yticks(ax.get_yticks(), [" ".join(t.split("\n")) for t in texts])
    _shrink_tick_labels(ax, "y", smallest=5.0)
    fig = ax.figure
    for _ in range(20):
        if not tick_labels_overlap(ax, "y"):
            return
        width, height = fig.get_size_inches()
        fig.set_size_inches(width, height * 1.25)


# ------------------------------------------------------------------ Likert bars
def likert_bands(scale_min: int, scale_max: int, max_bands: int = 7) -> list[tuple[int, int]]:
    """Consecutive bands of scale points, at most ``max_bands`` of them, symmetric around the middle.

    A scale with at most ``max_bands`` points keeps one band per point. A longer scale
    is cut into bands of (nearly) equal width: the number of bands (4 to ``max_bands``)
    that divides the points most evenly and symmetrically, the larger number on ties.

    Returns
    -------
    list of (low, high)
        Inclusive bounds of each band, from the lowest.

    Examples
    --------
    >>> likert_bands(1, 10)
    [(1, 2), (3, 4), (5, 6), (7, 8), (9, 10)]
    >>> likert_bands(0, 100)[:2]
    [(0, 14), (15, 28)]

    R equivalent: ``cut(x, breaks)`` with breaks at the band edges.
    """
    if int(scale_min) != scale_min or int(scale_max) != scale_max or scale_min >= scale_max:
        raise ValueError(f"A Likert scale needs whole-number ends with min < max, got {scale_min} to {scale_max}.")
    if max_bands < 2:
        raise ValueError(f"max_bands must be at least 2, got {max_bands}.")
    points = int(scale_max - scale_min + 1)
    if points <= max_bands:
        return [(p, p) for p in range(int(scale_min), int(scale_max) + 1)]
    best = None
    for n in range(min(4, max_bands), max_bands + 1):
        sizes = _symmetric_sizes(points, n)
        if sizes is not None:
            key = (max(sizes) - min(sizes), -n)
            if best is None or key < best[0]:
                best = (key, sizes)
    bands, low = [], int(scale_min)
    for size in best[1]:
        bands.append((low, low + size - 1))
        low += size
    return bands


def _symmetric_sizes(points: int, n: int) -> list[int] | None:
    """Band sizes summing to ``points``, the extra points placed symmetrically (None when impossible)."""
    base, extra = divmod(points, n)
    if extra % 2 and not n % 2:
        return None
    sizes = [base] * n
    if extra % 2:
        sizes[n // 2] += 1
    for k in range(extra // 2):
        sizes[k] += 1
        sizes[n - 1 - k] += 1
    return sizes


def _band_label(band: tuple[int, int]):
    return band[0] if band[0] == band[1] else f"{band[0]}-{band[1]}"


def likert_shares(data: pd.DataFrame, items, scale_min: int = 1, scale_max: int = 7, *,
                  max_bands: int | None = None) -> pd.DataFrame:
    """Percent of answers in each scale point or band, per item (missing answers left out).

    Parameters
    ----------
    data : pandas.DataFrame
    items : list of str
    scale_min, scale_max : int
        The answer scale. Answers outside it are an error (declare missing codes first).
    max_bands : int, optional
        Bin the scale into at most this many bands (:func:`likert_bands`); default one
        column per scale point.

    Returns
    -------
    pandas.DataFrame
        Index ``item``, one column per point (named by the point) or band (named
        ``"low-high"``), rows summing to 100.

    Examples
    --------
    >>> import pandas as pd
    >>> likert_shares(pd.DataFrame({"q": [0, 50, 100, 100]}), ["q"], 0, 100, max_bands=7).loc["q"].tolist()
    [25.0, 0.0, 0.0, 25.0, 0.0, 0.0, 50.0]

    R equivalent: ``prop.table(table(cut(x, breaks)))`` per item.
    """
    answers = _numeric(data, items)
    bands = likert_bands(scale_min, scale_max, max_bands or (scale_max - scale_min + 1))
    _check_answers(answers, scale_min, scale_max, single_points=all(lo == hi for lo, hi in bands))
    counts = pd.DataFrame({_band_label(b): ((answers >= b[0] - 0.5) & (answers < b[1] + 0.5)).sum() for b in bands})
    totals = counts.sum(axis=1).replace(0, np.nan)
    shares = 100 * counts.div(totals, axis=0)
    shares.index.name = "item"
    return shares.fillna(0.0)


def _check_answers(answers: pd.DataFrame, scale_min, scale_max, single_points: bool) -> None:
    for item in answers.columns:
        values = answers[item].dropna()
        off = values[(values < scale_min) | (values > scale_max)]
        if len(off):
            raise ValueError(
                f"Item {item!r} has {len(off)} answer(s) outside its scale {scale_min}-{scale_max} "
                f"(e.g. {sorted(off.unique())[:5]} in row(s) {list(off.index[:5])}); declare missing-value "
                "codes (e.g. missing_codes: [-99]) or give the item's real scale (scale_min/scale_max or the codebook).")
        fractional = values[values != np.round(values)]
        if single_points and len(fractional):
            raise ValueError(
                f"Item {item!r} has {len(fractional)} non-whole answer(s) (e.g. {sorted(fractional.unique())[:5]} in "
                f"row(s) {list(fractional.index[:5])}) on the {scale_min}-{scale_max} scale, whose points are "
                "drawn one by one; round them deliberately first or check the column.")


def _whole(value):
    """A scale end as an int when it is a whole number (codebooks give floats such as 10.0)."""
    return int(value) if float(value).is_integer() else value


def _item_scale(items, scale_min, scale_max, labels) -> tuple[int, int]:
    """The one scale of ``items``: from the codebook's ``scale_of`` when it has one, else the arguments."""
    given = None if scale_min is None and scale_max is None else (
        1 if scale_min is None else scale_min, 7 if scale_max is None else scale_max)
    scale_of = getattr(labels, "scale_of", None) if isinstance(labels, Codebook) else None
    if scale_of is None:
        return given or (1, 7)
    scales = {item: tuple(_whole(v) for v in scale_of(item)) for item in items}
    if len(set(scales.values())) > 1:
        listing = ", ".join(f"{i} {lo}-{hi}" for i, (lo, hi) in scales.items())
        raise ValueError(f"likert_bars draws items of one scale at a time, but these items have different "
                         f"scales in the codebook ({listing}); call it once per scale.")
    scale = next(iter(scales.values()))
    if given is not None and tuple(given) != scale:
        raise ValueError(f"likert_bars: scale_min/scale_max {given[0]}-{given[1]} contradict the codebook scale "
                         f"{scale[0]}-{scale[1]} of {list(items)}; leave them out to use the codebook's, or fix "
                         "the codebook.")
    return scale


def likert_bars(data: pd.DataFrame, items, scale_min: int | None = None, scale_max: int | None = None,
                labels=None, ax=None, *, scale_labels=None, max_bands: int = 7):
    """Diverging stacked bars of Likert answers, centred on the scale midpoint.

    Disagreeing answers extend to the left of zero, agreeing ones to the right;
    a band that contains the midpoint is split around zero. Bars are percentages of
    the answers given (missing answers left out). Scales longer than ``max_bands``
    points (1-10, 0-100) are binned into at most ``max_bands`` equal-width bands
    (:func:`likert_bands`) labelled like ``"0-14"``, so the legend never has more
    than ``max_bands`` entries.

    Parameters
    ----------
    data : pandas.DataFrame
    items : list of str
        Drawn from top to bottom in this order; they must share one scale.
    scale_min, scale_max : int, optional
        The answer scale. Default: the codebook's scale of the items when ``labels``
        is a Codebook with ``scale_of`` (giving a different one is an error), else 1-7.
    labels : Codebook, dict or list, optional
        Item wordings for the y axis (default: the column names), wrapped, never cut.
    ax : matplotlib Axes, optional
        Default: a new figure whose height grows with the number of label lines.
    scale_labels : list of str, optional
        Legend names of the points or bands (default: the numbers or ranges).
    max_bands : int
        Most bands drawn (default 7).

    Returns
    -------
    matplotlib.axes.Axes
        With ``len(items) * number of bands`` bars. Item labels never overlap: on a
        given Axes that is too small they get smaller type, then one line each, and as
        a last resort the figure grows taller.

    Examples
    --------
    >>> from sqlib import Codebook
    >>> from sqlib.survey.io import load_sample
    >>> from sqlib.report.figures import likert_bars
    >>> cb = Codebook.servqual()
    >>> ax = likert_bars(load_sample(), cb.items_of("tangibles"), labels=cb)

    R equivalent: ``likert::likert()`` with ``plot()``.
    """
    scale_min, scale_max = _item_scale(items, scale_min, scale_max, labels)
    bands = likert_bands(scale_min, scale_max, max_bands)
    shares = likert_shares(data, items, scale_min, scale_max, max_bands=max_bands)
    names = _legend_names(bands, scale_labels)
    wrapped = _label_list(items, labels, max_lines=None)
    lines = sum(max(label.count("\n") + 1, 1) for label in wrapped)
    ax = _new_axes(ax, 7.5, 0.15 * lines + 0.2 * len(items) + 1.4)
    _draw_diverging(ax, shares, bands, (scale_min + scale_max) / 2, names)
    ax.set_yticks(np.arange(len(items)), wrapped)
    ax.invert_yaxis()
    ax.set_xlabel("Share of answers")
    sns.despine(ax=ax, left=True)
    _fit_y_labels(ax, wrapped)
    return ax


def _legend_names(bands, scale_labels) -> list[str]:
    if scale_labels is None:
        return [str(_band_label(b)) for b in bands]
    names = list(scale_labels)
    if len(names) != len(bands):
        raise ValueError(f"Got {len(names)} scale_labels for {len(bands)} scale points or bands "
                         f"({', '.join(str(_band_label(b)) for b in bands)}); give one label per band.")
    return [_wrap(str(n), 14, None) for n in names]


def _draw_diverging(ax, shares: pd.DataFrame, bands, mid: float, names) -> None:
    colors = sns.color_palette("RdBu", len(bands))
    neutral = [k for k, (lo, hi) in enumerate(bands) if lo <= mid <= hi]
    for k in neutral:  # the neutral band in grey, visible on white
        colors[k] = (0.82, 0.82, 0.82)
    columns = list(shares.columns)
    below = shares[[c for c, (lo, hi) in zip(columns, bands) if hi < mid]].sum(axis=1).to_numpy()
    middle = shares[[columns[k] for k in neutral]].sum(axis=1).to_numpy()
    left = -(below + middle / 2)
    start = left.copy()
    y = np.arange(len(shares))
    for column, color, name in zip(columns, colors, names):
        width = shares[column].to_numpy()
        ax.barh(y, width, left=left, color=color, edgecolor="white", linewidth=0.5, height=0.75, label=name)
        left = left + width
    ax.axvline(0, color="0.25", linewidth=0.8)
    reach = np.concatenate([-start, 100 + start, [50.0]])
    edge = 10 * np.ceil(np.nanmax(reach) / 10)
    ax.set_xlim(-edge, edge)
    ticks = ax.get_xticks()
    ax.set_xticks(ticks, [f"{abs(t):.0f}%" for t in ticks])
    ax.set_xlim(-edge, edge)
    ax.legend(handles=[Patch(color=c, label=n) for c, n in zip(colors, names)], ncols=len(names),
              loc="lower center", bbox_to_anchor=(0.5, 1.0), frameon=False, fontsize="small",
              handlelength=1.2, columnspacing=0.8)


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
    >>> from sqlib.survey.io import load_sample
    >>> from sqlib.report.figures import missingness_heatmap
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
def htmt_heatmap(matrix: pd.DataFrame, cutoff: float = 0.85, ax=None, title: str | None = None):
    """Heatmap of an HTMT (or HTMT2) matrix: the pairs below the diagonal only (the ratio of a
    construct with itself is not defined), each cell annotated, values at or above ``cutoff``
    in bold.

    Parameters
    ----------
    matrix : pandas.DataFrame
        Square, constructs as index and columns (:func:`sqlib.analysis.reliability.htmt`).
    cutoff : float
    ax : matplotlib Axes, optional
    title : str, optional

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import pandas as pd
    >>> m = pd.DataFrame([[1, .6, .9], [.6, 1, .5], [.9, .5, 1]], index=list("abc"), columns=list("abc"))
    >>> len(htmt_heatmap(m).texts)
    3

    R equivalent: ``corrplot::corrplot(semTools::htmt(model, data), type = "lower", diag = FALSE)``.
    """
    size = 0.55 * len(matrix) + 2.5
    ax = _new_axes(ax, size + 1.0, size)
    mask = np.triu(np.ones(matrix.shape, dtype=bool))
    sns.heatmap(matrix.astype(float), mask=mask, ax=ax, vmin=0, vmax=1, cmap="Blues", square=True, annot=False,
                linewidths=0.5, cbar_kws={"label": "HTMT", "shrink": 0.7}, xticklabels=True, yticklabels=True)
    values = matrix.to_numpy(dtype=float)
    for row, col in zip(*np.tril_indices_from(values, k=-1)):
        value = values[row, col]
        ax.text(col + 0.5, row + 0.5, f"{value:.2f}", ha="center", va="center", fontsize=7,
                color="white" if value > 0.6 else "black", fontweight="bold" if value >= cutoff else "normal")
    ax.set_title(title or f"HTMT (bold: at or above {cutoff:g}; diagonal not defined)", fontsize="medium")
    ax.tick_params(labelsize="small")
    return ax


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
    >>> from sqlib.survey.io import load_sample
    >>> from sqlib.report.figures import correlation_heatmap
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
    with warnings.catch_warnings():  # seaborn's own use of a deprecated matplotlib call, not the user's
        warnings.filterwarnings("ignore", message="The set_bad function will be deprecated")
        sns.heatmap(corr, mask=mask, ax=ax, vmin=-1, vmax=1, center=0, cmap="RdBu_r", square=True,
                    annot=annotate, fmt=".2f", annot_kws={"fontsize": 7}, linewidths=0.5,
                    cbar_kws={"label": f"{method.capitalize()} correlation", "shrink": 0.7},
                    xticklabels=True, yticklabels=True)
    ax.tick_params(labelsize="small")
    return ax
