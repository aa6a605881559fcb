"""Importance-performance analysis (IPA) of the service-quality dimensions.

Martilla and James (1977) place each attribute in a grid: how much it matters
(importance) against how well the provider does (performance). Here importance is
the total effect of a dimension on an outcome (satisfaction, loyalty) in a fitted
structural model, read from :func:`sqlib.effects.effects`, and performance is the
mean perception of the dimension rescaled to 0-100. Cutting both axes at their
means gives four quadrants:

==================  =================  =======================
importance          performance        priority
==================  =================  =======================
high                low                concentrate here
high                high               keep up the good work
low                 low                low priority
low                 high               possible overkill
==================  =================  =======================
"""

from __future__ import annotations

import pandas as pd

from sqlib.survey.codebook import Codebook, load_codebook
from sqlib.sem.effects import effects

#: (high importance, high performance) -> (quadrant, priority)
QUADRANTS = {
    (True, False): ("high importance, low performance", "concentrate here"),
    (True, True): ("high importance, high performance", "keep up the good work"),
    (False, False): ("low importance, low performance", "low priority"),
    (False, True): ("low importance, high performance", "possible overkill"),
}
#: Order in which :func:`importance_performance` lists the priorities.
PRIORITIES = [priority for _, priority in QUADRANTS.values()]
#: Marker of each priority in the grid (then "not interpretable").
MARKERS = ("o", "s", "^", "D", "x")


def dimension_performance(data: pd.DataFrame, codebook: Codebook | None = None,
                          dimensions: list[str] | None = None) -> pd.DataFrame:
    """Mean perception of each dimension, on the answer scale and rescaled to 0-100.

    A respondent's dimension score is the mean of the dimension's items he or she
    answered; ``performance = (mean - scale_min) / (scale_max - scale_min) * 100``
    with the dimension's scale in the codebook (its own, or the codebook's), so 0 is
    the bottom and 100 the top of the scale. ``dimensions`` defaults to every
    dimension of the codebook.

    Returns
    -------
    DataFrame
        ``dimension, n`` (respondents with at least one answer), ``mean_perception``,
        ``performance``.

    Examples
    --------
    >>> import sqlib
    >>> from sqlib.analysis.ipa import dimension_performance
    >>> perf = dimension_performance(sqlib.load_sample())
    >>> bool(perf["performance"].between(0, 100).all())
    True
    """
    cb = load_codebook(codebook)
    rows = []
    for dim in (cb.dimensions if dimensions is None else dimensions):
        items = cb.items_of(dim)
        missing = [i for i in items if i not in data.columns]
        if missing:
            raise ValueError(f"Dimension '{dim}' needs the columns {', '.join(missing)}, which are not in the data.")
        scores = data[items].mean(axis=1)
        mean = scores.mean()
        low, high = cb.scale_of(items[0])
        rows.append({"dimension": dim, "n": int(scores.notna().sum()), "mean_perception": mean,
                     "performance": (mean - low) / (high - low) * 100})
    return pd.DataFrame(rows)


def ipa_quadrants(table: pd.DataFrame, *, importance_cut: float | None = None,
                  performance_cut: float | None = None) -> pd.DataFrame:
    """Assign each row of an ``importance``/``performance`` table to its IPA quadrant.

    Parameters
    ----------
    table : DataFrame
        With columns ``importance`` and ``performance``.
    importance_cut, performance_cut : float, optional
        Where the axes are cut; default the means of the column (the "data-centred"
        grid). A value on the cut counts as high.

    Returns
    -------
    DataFrame
        A copy of ``table`` with ``quadrant`` and ``priority`` columns; the cuts are
        kept in ``.attrs`` for :func:`ipa_plot`.

    Examples
    --------
    >>> import pandas as pd
    >>> from sqlib.analysis.ipa import ipa_quadrants
    >>> grid = pd.DataFrame({"importance": [0.4, 0.1], "performance": [40, 80]})
    >>> ipa_quadrants(grid)["priority"].tolist()
    ['concentrate here', 'possible overkill']
    """
    missing = [c for c in ("importance", "performance") if c not in table.columns]
    if missing:
        raise ValueError(f"The IPA table needs the columns {', '.join(missing)}.")
    out = table.copy()
    importance_cut = out["importance"].mean() if importance_cut is None else float(importance_cut)
    performance_cut = out["performance"].mean() if performance_cut is None else float(performance_cut)
    cells = [QUADRANTS[(imp >= importance_cut, perf >= performance_cut)]
             for imp, perf in zip(out["importance"], out["performance"])]
    out["quadrant"] = [quadrant for quadrant, _ in cells]
    out["priority"] = [priority for _, priority in cells]
    out.attrs.update(importance_cut=importance_cut, performance_cut=performance_cut)
    return out


def drivers(result, codebook: Codebook | None = None, *, outcome: str, group: int = 1) -> list[str]:
    """The codebook's dimensions that have a total effect on ``outcome`` in ``result``.

    ``outcome`` is the SEM variable (a construct, or the item of a single-item construct).
    In codebook order; use it as ``dimensions`` of :func:`importance_performance` when
    the structural model does not lead every dimension to the outcome.

    Examples
    --------
    >>> import sqlib
    >>> from sqlib.analysis.design import study_design
    >>> from sqlib.analysis.ipa import drivers
    >>> design = study_design(None)
    >>> drivers(sqlib.fit(design.sem_syntax(), sqlib.load_sample()), design.codebook, outcome="loyalty")[:2]
    ['tangibles', 'reliability']
    """
    cb = load_codebook(codebook)
    table = effects(result, group=group)
    reached = set(table.loc[(table["outcome"] == outcome) & (table["effect"] == "total"), "predictor"])
    return [d for d in cb.dimensions if d in reached]


#: Priority given to every dimension when the structural model's diagnostics are severe.
NOT_INTERPRETABLE = "not interpretable (severe diagnostics)"


def importance_performance(result, data: pd.DataFrame, codebook: Codebook | None = None, *,
                           outcome: str = "satisfaction", standardized: bool = True,
                           importance_cut: float | None = None, performance_cut: float | None = None,
                           level: float = 0.95, group: int = 1, dimensions: list[str] | None = None,
                           diagnostics: pd.DataFrame | None = None) -> pd.DataFrame:
    """Importance-performance table of the dimensions for one outcome.

    Parameters
    ----------
    result : SEMResult
        A structural model in which the dimensions affect ``outcome``, e.g.
        ``sqlib.fit(models.structural_syntax(codebook), data)``.
    data : DataFrame
        The survey answers (perception items), for performance.
    codebook : Codebook, optional
        Dimensions, their items and the answer scale (SERVQUAL default).
    outcome : str
        The outcome construct whose drivers are ranked (``"satisfaction"``, ``"loyalty"``).
    standardized : bool
        Importance is the standardized total effect (``std_all`` of
        :func:`~sqlib.effects.effects`; comparable across dimensions) by default, the
        unstandardized one with ``False``.
    importance_cut, performance_cut : float, optional
        Quadrant cut-points; default the means over the dimensions (see :func:`ipa_quadrants`).
    level : float
        Confidence level of the effect intervals.
    group : int
        Group whose effects are used in a multi-group model.
    dimensions : list of str, optional
        Dimensions to place in the grid (default every dimension of the codebook, each of
        which must then affect ``outcome``); see :func:`drivers`.
    diagnostics : DataFrame, optional
        :func:`sqlib.diagnostics.diagnose` of ``result``. When it has a severe row, the
        importances are not interpretable: every dimension gets ``quadrant`` and
        ``priority`` :data:`NOT_INTERPRETABLE` instead of a quadrant.

    Returns
    -------
    DataFrame
        One row per dimension, ordered by priority (concentrate here, keep up the good
        work, low priority, possible overkill) then by importance:
        ``dimension, importance, total_effect, se, ci_lower, ci_upper, pvalue, ci_method``
        (``total_effect`` and its ``se``, interval and p-value are unstandardized, from
        :func:`~sqlib.effects.effects`: delta method, or bootstrap percentiles when the
        result carries a bootstrap), ``n, mean_perception, performance`` (0-100),
        ``quadrant, priority``.

    Examples
    --------
    >>> import sqlib
    >>> from sqlib import models
    >>> from sqlib.analysis.ipa import importance_performance
    >>> data = sqlib.load_sample()
    >>> result = sqlib.fit(models.structural_syntax(), data)
    >>> table = importance_performance(result, data, outcome="loyalty")
    >>> sorted(table["dimension"])
    ['assurance', 'empathy', 'reliability', 'responsiveness', 'tangibles']

    R has no standard function: the total effects come from ``:=`` parameters in
    lavaan (``parameterEstimates(fit)``) and the grid is drawn by hand with ggplot2.
    """
    cb = load_codebook(codebook)
    table = effects(result, group=group, level=level)
    if outcome not in set(table["outcome"]):
        raise ValueError(f"The model has no effects on {outcome!r}; its outcomes are "
                         f"{', '.join(dict.fromkeys(table['outcome']))}.")
    totals = table[(table["outcome"] == outcome) & (table["effect"] == "total")].set_index("predictor")
    names = cb.dimensions if dimensions is None else list(dimensions)
    absent = [d for d in names if d not in totals.index]
    if absent:
        raise ValueError(f"The dimensions {', '.join(absent)} have no effect on {outcome!r} in this model; IPA needs a "
                         "model in which every dimension predicts the outcome, e.g. models.structural_syntax(codebook), "
                         "or pass dimensions=drivers(result, codebook, outcome=...).")
    if not names:
        raise ValueError(f"No dimension of the codebook has an effect on {outcome!r} in this model, so there is "
                         "nothing to place in the importance-performance grid.")
    totals = totals.loc[names]
    importance = pd.DataFrame({
        "dimension": names,
        "importance": (totals["std_all"] if standardized else totals["est"]).to_numpy(),
        "total_effect": totals["est"].to_numpy(),
        **{c: totals[c].to_numpy() for c in ("se", "ci_lower", "ci_upper", "pvalue", "ci_method")},
    })
    merged = importance.merge(dimension_performance(data, cb, names), on="dimension")
    out = ipa_quadrants(merged, importance_cut=importance_cut, performance_cut=performance_cut)
    if diagnostics is not None and bool((diagnostics["severity"] == "severe").any()):
        out["quadrant"] = NOT_INTERPRETABLE
        out["priority"] = NOT_INTERPRETABLE
        out = out.sort_values("importance", ascending=False).reset_index(drop=True)
        out.attrs.update(outcome=outcome, standardized=standardized, interpretable=False)
        return out
    order = out["priority"].map(PRIORITIES.index)
    out = out.assign(_order=order).sort_values(["_order", "importance"], ascending=[True, False])
    out = out.drop(columns="_order").reset_index(drop=True)
    out.attrs.update(outcome=outcome, standardized=standardized, interpretable=True)
    return out


def ipa_plot(table: pd.DataFrame, ax=None):
    """Importance-performance grid: one labelled point per dimension and the crosshair.

    ``table`` is the output of :func:`importance_performance` (or of
    :func:`ipa_quadrants`); the crosshair sits at its cut-points (their means by default).

    Examples
    --------
    >>> import pandas as pd
    >>> from sqlib.analysis.ipa import ipa_plot, ipa_quadrants
    >>> grid = ipa_quadrants(pd.DataFrame({"dimension": ["a", "b"], "importance": [0.4, 0.1],
    ...                                    "performance": [40, 80]}))
    >>> sorted(t.get_text() for t in ipa_plot(grid).texts)[:2]
    ['a', 'b']
    """
    import matplotlib.pyplot as plt
    import seaborn as sns

    if ax is None:
        _, ax = plt.subplots(figsize=(6, 4.5), layout="constrained")
    importance_cut = table.attrs.get("importance_cut", table["importance"].mean())
    performance_cut = table.attrs.get("performance_cut", table["performance"].mean())
    colors = dict(zip(PRIORITIES, sns.color_palette("colorblind", len(PRIORITIES))))
    priorities = table["priority"] if "priority" in table else ipa_quadrants(table)["priority"]
    colors[NOT_INTERPRETABLE] = "0.5"
    markers = dict(zip([*PRIORITIES, NOT_INTERPRETABLE], MARKERS))  # shape as well as colour tells them apart
    for priority in [*PRIORITIES, NOT_INTERPRETABLE]:
        part = table[priorities == priority]
        if len(part):
            ax.scatter(part["performance"], part["importance"], color=colors[priority], marker=markers[priority],
                       label=priority, zorder=3)
    for _, row in table.iterrows():
        ax.annotate(str(row.get("dimension", "")), (row["performance"], row["importance"]), xytext=(5, 4),
                    textcoords="offset points", fontsize=9)
    if table.attrs.get("interpretable", True):  # no quadrant crosshair on uninterpretable importances
        ax.axvline(performance_cut, color="0.5", lw=0.8, ls="--")
        ax.axhline(importance_cut, color="0.5", lw=0.8, ls="--")
    ax.margins(0.25)
    kind = "standardized total effect" if table.attrs.get("standardized", True) else "unstandardized total effect"
    outcome = table.attrs.get("outcome")
    ax.set_xlabel("performance (mean perception, 0-100)")
    ax.set_ylabel(f"importance ({kind}{' on ' + outcome if outcome else ''})")
    ax.legend(frameon=False, fontsize=8, loc="best")
    return ax
