"""SERVQUAL gap scores: perception minus expectation.

A negative gap means the service falls short of what customers expected.
:func:`gap_scores` adds one ``gap_<item>`` column per perception item that has an
expectation twin; :func:`gap_codebook` describes those columns as a codebook, so
every model builder works on gaps (SERVQUAL) as on perceptions (SERVPERF).
:func:`gap_table` tests the gaps per item or dimension (paired t and Wilcoxon
signed-rank tests, Holm-adjusted, with effect sizes), optionally weighted by
importance points, and :func:`gap_profile_plot` draws the dimension gap profile.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
from scipy import stats
from statsmodels.stats.multitest import multipletests

from sqlib.survey.codebook import Codebook, Construct, load_codebook

PREFIX = "gap_"


def gap_scores(data: pd.DataFrame, codebook: Codebook | None = None) -> pd.DataFrame:
    """Return ``data`` with ``gap_<item> = item - expectation`` columns added.

    Parameters
    ----------
    data : DataFrame
        Survey answers with perception and expectation columns.
    codebook : Codebook, optional
        Its ``expectations`` mapping says which columns pair up (SERVQUAL default).

    Returns
    -------
    DataFrame
        A copy of ``data`` with the gap columns appended (NaN where either answer is missing).

    Examples
    --------
    >>> import sqlib
    >>> from sqlib.analysis.gaps import gap_scores
    >>> gaps = gap_scores(sqlib.load_sample())
    >>> float(gaps["gap_tan1"].mean()) < 0      # expectations exceed perceptions on average
    True
    """
    cb = load_codebook(codebook)
    if not cb.expectations:
        raise ValueError("The codebook lists no expectation items, so there are no gaps to compute; "
                         "add an 'expectations' section mapping each perception item to its expectation item.")
    missing = [c for pair in cb.expectations.items() for c in pair if c not in data.columns]
    if missing:
        raise ValueError(f"Gap scores need the columns {', '.join(missing)}, which are not in the data.")
    out = data.copy()
    for perception, expectation in cb.expectations.items():
        out[PREFIX + perception] = data[perception] - data[expectation]
    return out


def gap_codebook(codebook: Codebook | None = None) -> Codebook:
    """A codebook whose dimensions are measured by the gap columns (outcomes unchanged)."""
    cb = load_codebook(codebook)
    constructs = []
    for c in cb.constructs:
        if c.kind == "dimension":
            items = [PREFIX + i for i in c.items if i in cb.expectations]
            if len(items) < len(c.items):
                raise ValueError(f"Dimension '{c.name}' has items without an expectation twin; "
                                 "gap scores need one expectation item per perception item.")
            constructs.append(Construct(c.name, items, c.kind))
        else:
            constructs.append(Construct(c.name, list(c.items), c.kind))
    return Codebook(name=f"{cb.name} (gap scores)", constructs=constructs, scale_min=cb.scale_min - cb.scale_max,
                    scale_max=cb.scale_max - cb.scale_min, id_column=cb.id_column, group_column=cb.group_column,
                    wave_column=cb.wave_column)


# ------------------------------------------------------------------ gap analysis
GAP_TABLE_COLUMNS = ["n", "mean_perception", "mean_expectation", "mean_gap", "sd_gap", "ci_lower", "ci_upper",
                     "t", "df", "p_value_t", "p_holm_t", "w_stat", "p_value_wilcoxon", "p_holm_wilcoxon",
                     "cohens_dz", "rank_biserial"]
POINTS_TOTAL = 100  # SERVQUAL respondents share 100 importance points over the dimensions


def gap_table(data: pd.DataFrame, codebook: Codebook | None = None, *, level: str = "item", ci: float = 0.95,
              weights: Mapping[str, float | str] | None = None) -> pd.DataFrame:
    """Perception minus expectation per item or dimension, with CIs, tests and effect sizes.

    Each gap is tested against zero twice: the paired t-test (``scipy.stats.ttest_rel``)
    and the Wilcoxon signed-rank test (``scipy.stats.wilcoxon``, zero gaps dropped),
    each with Holm-adjusted p-values across the rows of the table
    (``statsmodels.stats.multitest.multipletests``).

    Parameters
    ----------
    data : DataFrame
        Survey answers with perception and expectation columns.
    codebook : Codebook, optional
        Its ``expectations`` mapping pairs the columns (SERVQUAL default). Perception
        items of the dimensions that have an expectation twin are analysed.
    level : {"item", "dimension"}
        One row per item, or per dimension. A respondent's dimension gap is the mean of
        his or her item gaps in that dimension (items answered on both scales).
    ci : float
        Confidence level of the interval of the mean gap (t distribution).
    weights : mapping, optional
        Importance points per dimension (SERVQUAL: respondents share 100 points over
        the dimensions). Each value is either a number (the same points for everyone)
        or the name of a column holding each respondent's points. Gaps become
        ``gap * points / 100``. Points must add up to 100 over the dimensions.
        With the same points for everyone only the size of the gaps changes; the tests
        and effect sizes do not.

    Returns
    -------
    DataFrame
        One row per item (``item``, ``expectation``, ``dimension``) or per dimension
        (``dimension``, ``n_items``), then

        * ``n`` -- respondents who answered both (missing answers are left out per item);
        * ``mean_perception``, ``mean_expectation`` -- means on those respondents;
        * ``mean_gap``, ``sd_gap`` -- mean and standard deviation of P - E (weighted
          when ``weights`` are given); negative means the service falls short;
        * ``ci_lower``, ``ci_upper`` -- ``mean_gap -/+ t(ci, n - 1) * sd_gap / sqrt(n)``;
        * ``t``, ``df``, ``p_value_t``, ``p_holm_t`` -- paired t-test;
        * ``w_stat``, ``p_value_wilcoxon``, ``p_holm_wilcoxon`` -- Wilcoxon signed-rank
          test (``w_stat`` is the smaller of the positive and negative rank sums);
        * ``cohens_dz`` -- paired effect size ``mean_gap / sd_gap`` (Cohen's d_z);
        * ``rank_biserial`` -- matched-pairs rank-biserial correlation
          ``(R+ - R-) / (R+ + R-)`` from the signed ranks of the non-zero gaps
          (-1: every gap negative, +1: every gap positive);
        * ``mean_points`` -- mean importance points (only with ``weights``).

    Examples
    --------
    >>> import sqlib
    >>> from sqlib.analysis.gaps import gap_table
    >>> table = gap_table(sqlib.load_sample(), level="dimension")
    >>> table["dimension"].tolist()
    ['tangibles', 'reliability', 'responsiveness', 'assurance', 'empathy']
    >>> bool((table["mean_gap"] < 0).all())   # every dimension falls short of expectations
    True

    In R: ``t.test(P, E, paired = TRUE)``, ``wilcox.test(P, E, paired = TRUE)``,
    ``p.adjust(p, "holm")`` and ``effectsize::rank_biserial(P, E, paired = TRUE)``.
    """
    if level not in ("item", "dimension"):
        raise ValueError(f"level must be 'item' or 'dimension', not {level!r}.")
    if not 0 < ci < 1:
        raise ValueError(f"ci is a confidence level between 0 and 1 (e.g. 0.95), not {ci!r}.")
    cb = load_codebook(codebook)
    with_gaps = gap_scores(data, cb)
    pairs = _dimension_pairs(cb)
    _check_numeric(data, [c for items in pairs.values() for p in items for c in (p, cb.expectations[p])])
    points = _importance_points(data, list(pairs), weights)
    gap = {}
    for dim, items in pairs.items():
        factor = 1.0 if points is None else points[dim] / POINTS_TOTAL
        gap[dim] = with_gaps[[PREFIX + i for i in items]].mul(factor, axis=0).set_axis(items, axis=1)
    rows = []
    for dim, items in pairs.items():
        answered = gap[dim].notna()
        perception = data[items].where(answered)
        expectation = data[[cb.expectations[i] for i in items]].set_axis(items, axis=1).where(answered)
        if level == "item":
            for i in items:
                rows.append({"item": i, "expectation": cb.expectations[i], "dimension": dim,
                             **_gap_statistics(perception[i], expectation[i], gap[dim][i], ci),
                             **_points_column(points, dim, answered[i])})
        else:
            rows.append({"dimension": dim, "n_items": len(items),
                         **_gap_statistics(perception.mean(axis=1), expectation.mean(axis=1),
                                           gap[dim].mean(axis=1), ci),
                         **_points_column(points, dim, answered.any(axis=1))})
    table = pd.DataFrame(rows)
    for test in ("t", "wilcoxon"):
        table.insert(table.columns.get_loc(f"p_value_{test}") + 1, f"p_holm_{test}",
                     holm_adjust(table[f"p_value_{test}"]))
    table.attrs["ci"] = ci
    return table


def _dimension_pairs(cb: Codebook) -> dict[str, list[str]]:
    """Dimension -> its perception items that have an expectation twin."""
    pairs = {c.name: [i for i in c.items if i in cb.expectations] for c in cb.constructs if c.kind == "dimension"}
    pairs = {dim: items for dim, items in pairs.items() if items}
    if not pairs:
        raise ValueError("No dimension item has an expectation twin in the codebook's 'expectations' section.")
    return pairs


def _check_numeric(data: pd.DataFrame, columns: list[str]) -> None:
    text = [c for c in columns if not pd.api.types.is_numeric_dtype(data[c])]
    if text:
        raise ValueError(f"The columns {', '.join(text)} hold text, not answers on the scale; read the file with "
                         "sqlib.read_survey, which converts and checks the answers.")


def _importance_points(data: pd.DataFrame, dimensions: list[str],
                       weights: Mapping[str, float | str] | None) -> pd.DataFrame | None:
    """Respondents x dimensions table of importance points (None without weights)."""
    if weights is None:
        return None
    unknown = [d for d in weights if d not in dimensions]
    missing = [d for d in dimensions if d not in weights]
    if unknown or missing:
        raise ValueError("weights must give importance points for each dimension "
                         f"({', '.join(dimensions)}); " + "; ".join(
                             part for part in (unknown and f"unknown: {', '.join(unknown)}",
                                               missing and f"missing: {', '.join(missing)}") if part) + ".")
    constants = {d: v for d, v in weights.items() if not isinstance(v, str)}
    if len(constants) == len(dimensions) and abs(sum(constants.values()) - POINTS_TOTAL) > 0.5:
        raise ValueError(f"Importance points must add up to {POINTS_TOTAL} over the dimensions; the weights add up "
                         f"to {sum(constants.values()):g}. Rescale them (points / total * 100).")
    absent = [v for v in weights.values() if isinstance(v, str) and v not in data.columns]
    if absent:
        raise ValueError(f"The importance-points columns {', '.join(absent)} are not in the data.")
    points = pd.DataFrame({d: data[v] if isinstance(v, str) else float(v) for d, v in weights.items()},
                          index=data.index)[dimensions].astype(float)
    negative = points.columns[(points < 0).any()].tolist()
    if negative:
        raise ValueError(f"Importance points cannot be negative; check the points of {', '.join(negative)}.")
    total = points.sum(axis=1, min_count=len(dimensions))
    wrong = total[(total - POINTS_TOTAL).abs() > 0.5]
    if len(wrong):
        shown = ", ".join(f"row {r}: {s:g}" for r, s in wrong.head(5).items())
        raise ValueError(f"Importance points must add up to {POINTS_TOTAL} over the dimensions; they do not in "
                         f"{len(wrong)} row(s) ({shown}). Rescale each row to {POINTS_TOTAL} "
                         "(points / row total * 100) or check the data.")
    return points


def _points_column(points: pd.DataFrame | None, dim: str, used: pd.Series) -> dict:
    return {} if points is None else {"mean_points": float(points.loc[used, dim].mean())}


def _gap_statistics(perception: pd.Series, expectation: pd.Series, gap: pd.Series, ci: float) -> dict:
    keep = gap.notna()
    diff = np.round(gap[keep].to_numpy(dtype=float), 10)  # float noise (e.g. from weights) must not split ties
    n = diff.size
    out = {"n": n, "mean_perception": perception[keep].mean(), "mean_expectation": expectation[keep].mean(),
           "mean_gap": diff.mean() if n else np.nan, "sd_gap": diff.std(ddof=1) if n > 1 else np.nan}
    if n > 1 and out["sd_gap"] > 0:
        test = stats.ttest_rel(diff, np.zeros(n))
        interval = test.confidence_interval(ci)
        out.update(ci_lower=interval.low, ci_upper=interval.high, t=test.statistic, df=n - 1,
                   p_value_t=test.pvalue, cohens_dz=out["mean_gap"] / out["sd_gap"])
    else:
        out.update(ci_lower=np.nan, ci_upper=np.nan, t=np.nan, df=max(n - 1, 0), p_value_t=np.nan,
                   cohens_dz=np.nan)
    nonzero = diff[diff != 0]
    if nonzero.size:
        test = stats.wilcoxon(diff)
        ranks = stats.rankdata(np.abs(nonzero))
        positive, negative = ranks[nonzero > 0].sum(), ranks[nonzero < 0].sum()
        out.update(w_stat=test.statistic, p_value_wilcoxon=test.pvalue,
                   rank_biserial=(positive - negative) / (positive + negative))
    else:
        out.update(w_stat=np.nan, p_value_wilcoxon=np.nan, rank_biserial=np.nan)
    return {k: out[k] for k in GAP_TABLE_COLUMNS if k in out}


def holm_adjust(pvalues: pd.Series) -> pd.Series:
    """Holm-adjusted p-values over the finite ones (NaN stays NaN)."""
    adjusted = pd.Series(np.nan, index=pvalues.index)
    finite = pvalues.notna()
    if finite.any():
        adjusted[finite] = multipletests(pvalues[finite], method="holm")[1]
    return adjusted


def gap_profile_plot(table: pd.DataFrame, ax=None):
    """Mean gap with its confidence interval per dimension (or item), around a zero line.

    ``table`` is the output of :func:`gap_table`. Gaps whose interval lies wholly below
    zero (a significant shortfall) are drawn in red.

    Examples
    --------
    >>> import sqlib
    >>> from sqlib.analysis.gaps import gap_profile_plot, gap_table
    >>> ax = gap_profile_plot(gap_table(sqlib.load_sample(), level="dimension"))
    >>> [t.get_text() for t in ax.get_yticklabels()][:2]
    ['tangibles', 'reliability']
    """
    import matplotlib.pyplot as plt

    label = "item" if "item" in table.columns else "dimension"
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 0.8 + 0.4 * len(table)), layout="constrained")
    y = np.arange(len(table))
    shortfall = (table["ci_upper"] < 0).to_numpy()
    colors = np.where(shortfall, "#c0392b", "0.35")
    for k in range(len(table)):
        row = table.iloc[k]
        ax.errorbar(row["mean_gap"], y[k], xerr=[[row["mean_gap"] - row["ci_lower"]], [row["ci_upper"] - row["mean_gap"]]],
                    fmt="o", color=colors[k], capsize=3)
    ax.axvline(0, color="0.5", lw=0.8, ls="--")
    ax.set_yticks(y)
    ax.set_yticklabels(table[label].astype(str))
    ax.invert_yaxis()
    level = table.attrs.get("ci", 0.95)
    ax.set_xlabel(f"mean gap, perception minus expectation ({level:.0%} CI)")
    ax.set_title("Gap profile: below zero = falls short of expectations", fontsize=10)
    return ax
