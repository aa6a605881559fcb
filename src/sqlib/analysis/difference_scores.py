"""SERVQUAL gap scores as difference scores: their reliability, and what they predict.

SERVQUAL (Parasuraman, Zeithaml & Berry, 1988) measures quality by the gap P - E between
perception and expectation answers; SERVPERF (Cronin & Taylor, 1992) by the perceptions
alone. Peter, Churchill & Brown (1993, *Journal of Consumer Research* 19, 655-662) showed
what a difference score inherits from its two parts:

* its **reliability** is lower than that of either part when the parts correlate
  (:func:`difference_score_reliability`, Lord's formula);
* it correlates highly with one of its parts (poor **discriminant validity**), so a
  correlation between the gap and an outcome can be **spurious**, carried by P alone;
* when one part is systematically higher than the other (expectations above perceptions,
  piling up at the top of the scale) the gap's range is restricted to one side of zero
  (**variance restriction**).

:func:`difference_score_table` computes all of these per dimension from the survey;
:func:`predictor_comparison` compares the variance in an outcome explained by P, by the
gaps, and by P and E as separate predictors (the unconstrained model in which the gap
model is nested: the gap forces E's weight to be minus P's); :func:`nested_f_tests` tests
both nested comparisons with an F test.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from sqlib.survey.codebook import Codebook, load_codebook
from .reliability import cronbach_alpha

__all__ = ["difference_score_reliability", "difference_score_table", "scale_scores", "predictor_comparison", "r_squared",
           "partial_correlation", "nested_f_tests", "PREDICTOR_SETS"]

#: The three sets of predictors :func:`predictor_comparison` compares, as column prefixes of :func:`scale_scores`.
PREDICTOR_SETS = {"SERVPERF (P)": ("p",), "SERVQUAL (P - E)": ("gap",), "P and E separately": ("p", "e")}


def difference_score_reliability(reliability_p: float, reliability_e: float, r_pe: float, sd_p: float = 1.0,
                                 sd_e: float = 1.0) -> float:
    """Reliability of the difference P - E from the reliabilities of P and E and their correlation.

    ``(sd_p^2 rel_p + sd_e^2 rel_e - 2 r_pe sd_p sd_e) / (sd_p^2 + sd_e^2 - 2 r_pe sd_p sd_e)``
    (Lord, 1963; Peter, Churchill & Brown, 1993, eq. 1). With equal standard deviations it
    is ``((rel_p + rel_e) / 2 - r_pe) / (1 - r_pe)``: the more P and E correlate, the less
    of the difference is true score.

    Examples
    --------
    >>> round(difference_score_reliability(0.80, 0.80, 0.50), 3)
    0.6
    >>> round(difference_score_reliability(0.80, 0.80, 0.0), 3)   # uncorrelated parts: no loss
    0.8

    R equivalent: none built in; ``psychometric``-style hand computation.
    """
    common = 2 * r_pe * sd_p * sd_e
    total = sd_p ** 2 + sd_e ** 2 - common
    if total <= 0:
        raise ValueError("The difference P - E has no variance with these standard deviations and correlation "
                         f"(sd_p={sd_p}, sd_e={sd_e}, r_pe={r_pe}); its reliability is undefined.")
    return float((sd_p ** 2 * reliability_p + sd_e ** 2 * reliability_e - common) / total)


def _expectation_items(cb: Codebook, dimension: str) -> tuple[list[str], list[str]]:
    items = [i for i in cb.items_of(dimension) if i in cb.expectations]
    if not items or len(items) < len(cb.items_of(dimension)):
        raise ValueError(f"Dimension {dimension!r} has items without an expectation twin in the codebook; "
                         "difference scores need one expectation item per perception item.")
    return items, [cb.expectations[i] for i in items]


def scale_scores(data: pd.DataFrame, codebook: Codebook | None = None, outcome: str | None = None) -> pd.DataFrame:
    """Each respondent's mean perception, expectation and gap per dimension (and outcome score).

    Columns ``p_<dimension>``, ``e_<dimension>``, ``gap_<dimension>`` (= P - E of the means) and,
    with ``outcome``, the mean of that construct's items under its own name. Only respondents who
    answered every item involved are kept, so every score and model below uses the same people.

    >>> import sqlib
    >>> scores = scale_scores(sqlib.load_sample(), outcome="satisfaction")
    >>> [c for c in scores.columns if c.endswith("tangibles")]
    ['p_tangibles', 'e_tangibles', 'gap_tangibles']
    """
    cb = load_codebook(codebook)
    columns = [c for d in cb.dimensions for c in sum(_expectation_items(cb, d), [])]
    columns += cb.items_of(outcome) if outcome else []
    complete = data.dropna(subset=columns)
    out = {}
    for dimension in cb.dimensions:
        perception, expectation = _expectation_items(cb, dimension)
        out[f"p_{dimension}"] = complete[perception].mean(axis=1)
        out[f"e_{dimension}"] = complete[expectation].mean(axis=1)
        out[f"gap_{dimension}"] = out[f"p_{dimension}"] - out[f"e_{dimension}"]
    if outcome:
        out[outcome] = complete[cb.items_of(outcome)].mean(axis=1)
    return pd.DataFrame(out)


def difference_score_table(data: pd.DataFrame, codebook: Codebook | None = None,
                           outcome: str | None = None) -> pd.DataFrame:
    """Peter, Churchill & Brown's (1993) checks of the gap score of every dimension.

    Parameters
    ----------
    data : DataFrame
        Survey answers with perception and expectation items.
    codebook : Codebook, optional
        Pairs the items (SERVQUAL default).
    outcome : str, optional
        A construct (e.g. ``"satisfaction"``) whose scale score the P, E and gap scores are
        correlated with.

    Returns
    -------
    DataFrame
        One row per dimension, on the respondents of :func:`scale_scores`:

        * ``dimension``, ``n``;
        * ``alpha_p``, ``alpha_e`` -- Cronbach's alpha of the perception and expectation items;
        * ``mean_p``, ``mean_e``, ``sd_p``, ``sd_e`` -- of the scale scores (mean of the items);
        * ``ceiling_e`` -- share of expectation answers at the top of the scale (variance restriction);
        * ``r_pe`` -- correlation of the P and E scores;
        * ``reliability_gap`` -- :func:`difference_score_reliability` from the alphas, SDs and ``r_pe``;
        * ``alpha_gap`` -- alpha of the item gaps themselves, for comparison;
        * ``r_gap_p``, ``r_gap_e`` -- correlation of the gap with its parts (discriminant validity);
        * ``r_p_<outcome>``, ``r_e_<outcome>``, ``r_gap_<outcome>`` -- with ``outcome``;
        * ``r_gap_<outcome>_given_p`` -- the gap's partial correlation with ``outcome`` holding P
          constant: what the gap says about the outcome beyond its perception part;
        * ``r_e_<outcome>_given_p`` -- E's partial correlation holding P constant. With P held
          constant only -E varies in P - E, so this is exactly minus the previous column.

    Examples
    --------
    >>> import sqlib
    >>> table = difference_score_table(sqlib.load_sample())
    >>> bool((table["reliability_gap"] < table[["alpha_p", "alpha_e"]].min(axis=1)).all())
    True

    R equivalent: ``psych::alpha()`` on each item set and ``cor()`` of the scale scores.
    """
    cb = load_codebook(codebook)
    scores = scale_scores(data, cb, outcome)
    complete = data.loc[scores.index]
    top = cb.scale_max
    rows = []
    for dimension in cb.dimensions:
        perception, expectation = _expectation_items(cb, dimension)
        p, e, gap = scores[f"p_{dimension}"], scores[f"e_{dimension}"], scores[f"gap_{dimension}"]
        item_gaps = pd.DataFrame(complete[perception].to_numpy() - complete[expectation].to_numpy())
        row = {"dimension": dimension, "n": len(scores),
               "alpha_p": cronbach_alpha(complete, perception)["alpha"].item(),
               "alpha_e": cronbach_alpha(complete, expectation)["alpha"].item(),
               "mean_p": p.mean(), "mean_e": e.mean(), "sd_p": p.std(), "sd_e": e.std(),
               "ceiling_e": float((complete[expectation] == top).to_numpy().mean()),
               "r_pe": p.corr(e)}
        row["reliability_gap"] = difference_score_reliability(row["alpha_p"], row["alpha_e"], row["r_pe"],
                                                              row["sd_p"], row["sd_e"])
        row["alpha_gap"] = cronbach_alpha(item_gaps, list(item_gaps.columns))["alpha"].item()
        row["r_gap_p"], row["r_gap_e"] = gap.corr(p), gap.corr(e)
        if outcome:
            y = scores[outcome]
            row[f"r_p_{outcome}"], row[f"r_e_{outcome}"], row[f"r_gap_{outcome}"] = p.corr(y), e.corr(y), gap.corr(y)
            row[f"r_gap_{outcome}_given_p"] = partial_correlation(gap, y, p)
            row[f"r_e_{outcome}_given_p"] = partial_correlation(e, y, p)
        rows.append(row)
    return pd.DataFrame(rows)


def partial_correlation(x, y, z) -> float:
    """Correlation of ``x`` and ``y`` after removing from both their linear relation with ``z``.

    ``(r_xy - r_xz r_yz) / sqrt((1 - r_xz^2)(1 - r_yz^2))``.

    >>> round(partial_correlation([1.0, 2.0, 3.0, 4.0], [1.0, 3.0, 2.0, 4.0], [1.0, 2.0, 3.0, 5.0]), 3)
    -0.167
    """
    r = np.corrcoef(np.vstack([x, y, z]).astype(float))
    return float((r[0, 1] - r[0, 2] * r[1, 2]) / np.sqrt((1 - r[0, 2] ** 2) * (1 - r[1, 2] ** 2)))


def r_squared(y, x) -> float:
    """R-squared of the OLS regression of ``y`` on the columns of ``x`` with an intercept.

    >>> round(r_squared([1.0, 2.0, 3.0, 4.0], [[1.0], [2.0], [3.0], [4.5]]), 3)
    0.989
    """
    y, x = np.asarray(y, dtype=float), np.asarray(x, dtype=float)
    design = np.column_stack([np.ones(len(y)), x])
    coef, *_ = np.linalg.lstsq(design, y, rcond=None)
    residual = y - design @ coef
    return float(1 - residual @ residual / ((y - y.mean()) @ (y - y.mean())))


def predictor_comparison(data: pd.DataFrame, codebook: Codebook | None = None,
                         outcome: str = "satisfaction") -> pd.DataFrame:
    """Variance in ``outcome`` explained by SERVPERF, SERVQUAL and P and E separately (OLS on scale scores).

    Returns
    -------
    DataFrame
        Rows ``SERVPERF (P)``, ``SERVQUAL (P - E)``, ``P and E separately``; columns ``model``,
        ``predictors`` (count), ``n``, ``r2``, ``adj_r2``. All on the same respondents
        (:func:`scale_scores`). The gap model is the third model with each E weight forced to
        minus its P weight, so its R-squared can never exceed the third model's.

    Examples
    --------
    >>> import sqlib
    >>> table = predictor_comparison(sqlib.load_sample())
    >>> table["model"].tolist()
    ['SERVPERF (P)', 'SERVQUAL (P - E)', 'P and E separately']

    R equivalent: ``summary(lm(satisfaction ~ p_tangibles + ..., data))$r.squared``.
    """
    cb = load_codebook(codebook)
    scores = scale_scores(data, cb, outcome)
    y = scores[outcome].to_numpy(float)
    sets = _predictor_columns(cb)
    rows = []
    n = len(y)
    for model, columns in sets.items():
        r2 = r_squared(y, scores[columns].to_numpy(float))
        k = len(columns)
        rows.append({"model": model, "predictors": k, "n": n, "r2": r2, "adj_r2": 1 - (1 - r2) * (n - 1) / (n - k - 1)})
    return pd.DataFrame(rows)


def _predictor_columns(cb: Codebook) -> dict[str, list[str]]:
    return {model: [f"{k}_{d}" for d in cb.dimensions for k in prefixes] for model, prefixes in PREDICTOR_SETS.items()}


def nested_f_tests(data: pd.DataFrame, codebook: Codebook | None = None,
                   outcome: str = "satisfaction") -> pd.DataFrame:
    """F tests of SERVPERF and of SERVQUAL against P and E as separate predictors (both are nested in it).

    SERVPERF is the full model with every E weight fixed to 0; SERVQUAL the full model with every
    E weight fixed to minus its P weight. Each test asks whether those constraints cost more
    explained variance than chance would: ``F = ((R2_full - R2_restricted) / df1) / ((1 - R2_full) / df2)``
    with ``df1`` the number of constraints (one per dimension) and ``df2 = n - k_full - 1``.

    Returns
    -------
    DataFrame
        Rows ``SERVPERF (P)`` and ``SERVQUAL (P - E)``; columns ``restricted``, ``full``, ``n``,
        ``r2_restricted``, ``r2_full``, ``delta_r2`` (a share: 0.003 is 0.3 percentage points),
        ``df1``, ``df2``, ``f``, ``pvalue``.

    Examples
    --------
    >>> import sqlib
    >>> tests = nested_f_tests(sqlib.load_sample())
    >>> tests[["restricted", "df1", "df2"]].to_dict("records")[0]
    {'restricted': 'SERVPERF (P)', 'df1': 5, 'df2': 853}

    R equivalent: ``anova(lm(y ~ p_tangibles + ...), lm(y ~ p_tangibles + ... + e_tangibles + ...))``.
    """
    from scipy import stats

    table = predictor_comparison(data, codebook, outcome).set_index("model")
    full_name = "P and E separately"
    full = table.loc[full_name]
    rows = []
    for restricted in ("SERVPERF (P)", "SERVQUAL (P - E)"):
        row = table.loc[restricted]
        df1 = int(full["predictors"] - row["predictors"])
        df2 = int(full["n"] - full["predictors"] - 1)
        f = ((full["r2"] - row["r2"]) / df1) / ((1 - full["r2"]) / df2)
        rows.append({"restricted": restricted, "full": full_name, "n": int(full["n"]), "r2_restricted": row["r2"],
                     "r2_full": full["r2"], "delta_r2": full["r2"] - row["r2"], "df1": df1, "df2": df2,
                     "f": float(f), "pvalue": float(stats.f.sf(f, df1, df2))})
    return pd.DataFrame(rows)
