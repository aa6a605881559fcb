"""Reliability and validity of multi-item constructs.

Scale-score reliability (Cronbach's alpha, item analysis) as ``psych::alpha``
reports it, model-based reliability (omega, composite reliability, AVE) as
``semTools::compRelSEM`` and ``semTools::AVE`` compute it from a fitted CFA, and
discriminant validity (HTMT as ``semTools::htmt``, the Fornell-Larcker criterion).

Every function returns a tidy DataFrame with snake_case columns.

>>> import sqlib
>>> from sqlib.analysis.reliability import cronbach_alpha
>>> data = sqlib.load_sample()
>>> cronbach_alpha(data, ["tan1", "tan2", "tan3", "tan4"]).columns.tolist()
['n', 'n_items', 'alpha', 'std_alpha', 'ci_lower', 'ci_upper']
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from scipy import stats

from sqlib.core.errors import ModelSpecificationError, SurveyDataError

__all__ = [
    "cronbach_alpha",
    "item_analysis",
    "construct_reliability",
    "htmt",
    "htmt_bootstrap",
    "fornell_larcker",
    "discriminant_validity",
]


# --------------------------------------------------------------------------- helpers
def _complete_items(data: pd.DataFrame, items: Sequence[str], what: str = "the item list") -> pd.DataFrame:
    """The item columns as floats, rows with any missing answer removed.

    Raises a SurveyDataError naming unknown or non-numeric columns.
    """
    if not isinstance(data, pd.DataFrame):
        raise TypeError("data must be a pandas DataFrame with one column per item.")
    if isinstance(items, str):
        items = [items]
    items = list(items)
    missing = [i for i in items if i not in data.columns]
    if missing:
        raise SurveyDataError(
            f"{what} names item(s) {', '.join(map(repr, missing))} that are not columns of the data. "
            "Check the spelling against the data file's header (or the codebook).",
            [f"item {m!r} is not a column of the data" for m in missing],
        )
    problems = []
    for col in items:
        converted = pd.to_numeric(data[col], errors="coerce")
        bad = data[col].notna() & converted.isna()
        if bad.any():
            rows = list(data.index[bad][:5])
            problems.append(f"item {col!r} holds non-numeric answers (rows {rows})")
    if problems:
        raise SurveyDataError(
            "Some items hold text instead of numbers: " + "; ".join(problems)
            + ". Recode them as numbers before computing reliability.",
            problems,
        )
    frame = data[items].apply(pd.to_numeric, errors="coerce").astype(float)
    return frame.dropna()


def _require_items(items: Sequence[str], construct: str | None, minimum: int = 2) -> None:
    if len(items) < minimum:
        who = f"Construct {construct!r}" if construct else "The item list"
        listed = ", ".join(map(repr, items)) or "no items"
        raise ModelSpecificationError(
            f"{who} has {len(items)} item(s) ({listed}); at least {minimum} are needed. "
            "Reliability and HTMT describe how several items of one construct agree: "
            "add items or leave this construct out."
        )


def _alpha_from_cov(cov: np.ndarray) -> float:
    k = cov.shape[0]
    total = cov.sum()
    if k < 2 or total <= 0:
        return float("nan")
    return float(k / (k - 1) * (1 - np.trace(cov) / total))


def _feldt_interval(alpha: float, n: int, k: int, ci: float) -> tuple[float, float]:
    """Feldt's F-based interval for alpha, as ``psych::alpha.ci``."""
    tail = (1 - ci) / 2
    df1, df2 = n - 1, (n - 1) * (k - 1)
    lower = 1 - (1 - alpha) * stats.f.ppf(1 - tail, df1, df2)
    upper = 1 - (1 - alpha) * stats.f.ppf(tail, df1, df2)
    return float(lower), float(upper)


# ------------------------------------------------------------------- scale scores
def cronbach_alpha(data: pd.DataFrame, items: Sequence[str], ci: float = 0.95) -> pd.DataFrame:
    """Cronbach's alpha of a set of items, with Feldt's confidence interval.

    Rows with a missing answer on any of the items are left out (complete cases).

    Parameters
    ----------
    data : DataFrame
        One row per respondent.
    items : list of str
        Column names of the items of one construct (at least two).
    ci : float
        Coverage of the confidence interval (0.95 by default).

    Returns
    -------
    DataFrame
        One row with columns

        - ``n``: complete cases used
        - ``n_items``: number of items
        - ``alpha``: raw alpha, from the item covariance matrix (``raw_alpha`` in psych)
        - ``std_alpha``: standardized alpha, from the item correlation matrix
        - ``ci_lower``, ``ci_upper``: Feldt interval around the raw alpha, as psych's
          ``alpha(...)$feldt``

    Examples
    --------
    R equivalent: ``psych::alpha(data[, items])``.

    >>> import sqlib
    >>> from sqlib.analysis.reliability import cronbach_alpha
    >>> data = sqlib.load_sample()
    >>> res = cronbach_alpha(data, ["tan1", "tan2", "tan3", "tan4"])
    >>> res[["n_items"]].to_dict("records")
    [{'n_items': 4}]
    >>> bool(res.loc[0, "ci_lower"] < res.loc[0, "alpha"] < res.loc[0, "ci_upper"])
    True
    """
    if not 0 < ci < 1:
        raise ValueError(f"ci must be between 0 and 1 (for example 0.95), not {ci!r}.")
    items = [items] if isinstance(items, str) else list(items)
    _require_items(items, None)
    x = _complete_items(data, items)
    n, k = x.shape
    if n < 3:
        raise SurveyDataError(
            f"Only {n} respondent(s) answered all of {', '.join(items)}: alpha needs at least 3 complete rows."
        )
    alpha = _alpha_from_cov(np.cov(x.to_numpy(), rowvar=False))
    std_alpha = _alpha_from_cov(np.corrcoef(x.to_numpy(), rowvar=False))
    lower, upper = _feldt_interval(alpha, n, k, ci)
    return pd.DataFrame([{"n": n, "n_items": k, "alpha": alpha, "std_alpha": std_alpha,
                          "ci_lower": lower, "ci_upper": upper}])


def item_analysis(data: pd.DataFrame, items: Sequence[str]) -> pd.DataFrame:
    """Item statistics of one scale: corrected item-total correlation and alpha if deleted.

    Rows with a missing answer on any of the items are left out (complete cases).

    Parameters
    ----------
    data : DataFrame
        One row per respondent.
    items : list of str
        Column names of the items of one construct (at least two).

    Returns
    -------
    DataFrame
        One row per item with columns

        - ``item``: column name
        - ``mean``, ``sd``: item mean and standard deviation (n - 1 denominator)
        - ``r_drop``: correlation of the item with the sum of the *other* items
          (corrected item-total correlation, psych's ``r.drop``)
        - ``alpha_if_deleted``: raw alpha of the scale without this item (psych's
          ``alpha.drop``); NaN for a two-item scale

    Examples
    --------
    R equivalent: ``psych::alpha(data[, items])$item.stats`` and ``$alpha.drop``.

    >>> import sqlib
    >>> from sqlib.analysis.reliability import item_analysis
    >>> data = sqlib.load_sample()
    >>> table = item_analysis(data, ["rel1", "rel2", "rel3", "rel4", "rel5"])
    >>> table.columns.tolist()
    ['item', 'mean', 'sd', 'r_drop', 'alpha_if_deleted']
    >>> table["item"].tolist()
    ['rel1', 'rel2', 'rel3', 'rel4', 'rel5']
    """
    items = [items] if isinstance(items, str) else list(items)
    _require_items(items, None)
    x = _complete_items(data, items).to_numpy()
    cov = np.cov(x, rowvar=False)
    rows = []
    for i, item in enumerate(items):
        others = [j for j in range(len(items)) if j != i]
        rest = x[:, others].sum(axis=1)
        rows.append({
            "item": item,
            "mean": float(x[:, i].mean()),
            "sd": float(x[:, i].std(ddof=1)),
            "r_drop": float(np.corrcoef(x[:, i], rest)[0, 1]),
            "alpha_if_deleted": _alpha_from_cov(cov[np.ix_(others, others)]) if len(others) > 1 else float("nan"),
        })
    return pd.DataFrame(rows)


# ---------------------------------------------------------------- model-based
def _loading_matrix(result, group: int = 1) -> pd.DataFrame:
    """Unstandardized loadings on observed indicators: indicators x factors, zeros elsewhere."""
    est = result.estimates
    rows = est[(est["op"] == "=~") & (est["group"] == group) & est["rhs"].isin(result.observed)]
    factors = [f for f in result.latent if f in set(rows["lhs"])]
    indicators = [v for v in result.observed if v in set(rows["rhs"])]
    lam = pd.DataFrame(0.0, index=indicators, columns=factors)
    for lhs, rhs, value in zip(rows["lhs"], rows["rhs"], rows["est"]):
        lam.loc[rhs, lhs] = value
    return lam


def _std_loadings(result, group: int = 1) -> pd.DataFrame:
    est = result.estimates
    rows = est[(est["op"] == "=~") & (est["group"] == group) & est["rhs"].isin(result.observed)]
    return rows[["lhs", "rhs", "std_all"]]


def _indicators(lam: pd.DataFrame, factor: str) -> list[str]:
    return list(lam.index[lam[factor] != 0])


def _check_group(result, group: int) -> None:
    n_groups = len(result.nobs)
    if not 1 <= group <= n_groups:
        raise ValueError(f"group must be between 1 and {n_groups} for this model, not {group!r}.")


def _omega(lam, phi, sigma, factor) -> float:
    idx = _indicators(lam, factor)
    if len(idx) < 2:
        return float("nan")
    common = lam.loc[idx, factor].sum() ** 2 * phi.loc[factor, factor]
    return float(common / sigma.loc[idx, idx].to_numpy().sum())


def _ave(lam, phi, sigma, factor) -> float:
    idx = _indicators(lam, factor)
    if len(idx) < 2:
        return float("nan")
    cross_loaded = (lam.loc[idx].round(5) != 0).sum(axis=1) > 1
    if cross_loaded.any():
        return float("nan")
    common = (lam.loc[idx, factor] ** 2).sum() * phi.loc[factor, factor]
    return float(common / np.diag(sigma.loc[idx, idx]).sum())


def _ave_by_factor(result, group: int = 1) -> pd.Series:
    lam = _loading_matrix(result, group)
    phi = result.latent_cov(group)
    sample = result.sample_cov(group)
    return pd.Series({f: _ave(lam, phi, sample, f) for f in lam.columns}, dtype=float)


def _composite_reliability(std_rows: pd.DataFrame, factor: str) -> float:
    loadings = std_rows.loc[std_rows["lhs"] == factor, "std_all"].to_numpy(float)
    loadings = loadings[loadings != 0]
    if loadings.size < 2:
        return float("nan")
    true_part = loadings.sum() ** 2
    return float(true_part / (true_part + (1 - loadings**2).sum()))


def _construct_order(factors: list[str], codebook) -> list[str]:
    if codebook is None:
        return factors
    from sqlib.survey.codebook import load_codebook

    names = load_codebook(codebook).construct_names
    return [f for f in names if f in factors] + [f for f in factors if f not in names]


def _group_rows(result, data: pd.DataFrame, group: int) -> pd.DataFrame:
    if getattr(result, "group", None) and result.group in data.columns:
        return data[data[result.group] == result.group_levels[group - 1]]
    return data


def construct_reliability(result, data: pd.DataFrame | None = None, codebook=None, *,
                          group: int = 1) -> pd.DataFrame:
    """Reliability and convergent validity of every factor of a fitted CFA/SEM.

    Parameters
    ----------
    result : SEMResult
        A model fitted with :func:`sqlib.fit`.
    data : DataFrame, optional
        The survey data; when given, Cronbach's alpha of each factor's indicators is
        added, on the rows that answered every observed variable of the model (the
        rows a listwise fit uses).
    codebook : Codebook, path or dict, optional
        Only used to order the rows as the codebook lists its constructs.
    group : int
        For a multi-group model, which group (1-based, as lavaan's group numbers).

    Returns
    -------
    DataFrame
        One row per factor measured by at least one observed indicator, columns

        - ``construct``, ``n_items``
        - ``alpha``: raw Cronbach's alpha (NaN when ``data`` is not given)
        - ``omega``: ``(sum lambda)^2 psi / 1' S 1`` with S the *observed* covariance
          matrix of the factor's indicators (``semTools::compRelSEM(fit)``)
        - ``omega_model``: the same with the model-implied covariance matrix in the
          denominator (``compRelSEM(fit, obs.var = FALSE)``)
        - ``composite_reliability``: from completely standardized loadings,
          ``(sum l)^2 / ((sum l)^2 + sum(1 - l^2))``
        - ``ave``: average variance extracted, ``sum(lambda^2) psi / sum(diag S)``
          with the observed item variances (``semTools::AVE(fit)``); NaN when an
          indicator also loads on another factor, as in semTools
        - ``sqrt_ave``: its square root, for the Fornell-Larcker criterion

        Single-indicator factors get NaN, as semTools drops them.

    Examples
    --------
    R equivalent: ``semTools::compRelSEM(fit)``, ``compRelSEM(fit, obs.var = FALSE)``
    and ``semTools::AVE(fit)``.

    >>> import sqlib
    >>> from sqlib.analysis.reliability import construct_reliability
    >>> data = sqlib.load_sample()
    >>> fit = sqlib.fit("tangibles =~ tan1 + tan2 + tan3 + tan4\\n"
    ...                 "reliability =~ rel1 + rel2 + rel3 + rel4 + rel5", data)
    >>> table = construct_reliability(fit, data)
    >>> table[["construct", "n_items"]].to_dict("records")
    [{'construct': 'tangibles', 'n_items': 4}, {'construct': 'reliability', 'n_items': 5}]
    """
    _check_group(result, group)
    lam = _loading_matrix(result, group)
    phi = result.latent_cov(group)
    sample, implied = result.sample_cov(group), result.implied_cov(group)
    std_rows = _std_loadings(result, group)
    complete = None
    if data is not None:
        complete = _complete_items(_group_rows(result, data, group), result.observed, "The model")
    rows = []
    for factor in _construct_order(list(lam.columns), codebook):
        items = _indicators(lam, factor)
        alpha = float("nan")
        if complete is not None and len(items) > 1:
            alpha = _alpha_from_cov(np.cov(complete[items].to_numpy(), rowvar=False))
        ave = _ave(lam, phi, sample, factor)
        rows.append({
            "construct": factor,
            "n_items": len(items),
            "alpha": alpha,
            "omega": _omega(lam, phi, sample, factor),
            "omega_model": _omega(lam, phi, implied, factor),
            "composite_reliability": _composite_reliability(std_rows, factor),
            "ave": ave,
            "sqrt_ave": float(np.sqrt(ave)) if ave >= 0 else float("nan"),
        })
    return pd.DataFrame(rows)


# ----------------------------------------------------------- discriminant validity
def _measurement_blocks(model) -> dict[str, list[str]]:
    """Construct -> items from lavaan syntax, a dict, or a fitted SEMResult."""
    if isinstance(model, Mapping):
        blocks = {str(k): ([v] if isinstance(v, str) else list(v)) for k, v in model.items()}
    elif isinstance(model, str):
        from sqlib.sem.syntax import parse

        statements, _ = parse(model)
        blocks = {}
        for st in statements:
            if st.op == "=~":
                blocks.setdefault(st.lhs, []).append(st.rhs)
    elif hasattr(model, "estimates") and hasattr(model, "observed"):
        est = model.estimates
        rows = est[(est["op"] == "=~") & (est["group"] == est["group"].min())]
        blocks = {}
        for lhs, rhs in zip(rows["lhs"], rows["rhs"]):
            if rhs in model.observed:
                blocks.setdefault(lhs, []).append(rhs)
    else:
        raise TypeError("Give the constructs as lavaan syntax ('f =~ x1 + x2'), a dict "
                        "{construct: [items]} or a fitted model from sqlib.fit.")
    if not blocks:
        raise ModelSpecificationError(
            "No construct was found: the model needs at least one 'construct =~ item1 + item2' line."
        )
    return blocks


def _geometric_mean(values: np.ndarray) -> float:
    values = values[~np.isnan(values)]
    if values.size == 0:
        return float("nan")
    with np.errstate(divide="ignore"):
        return float(np.exp(np.mean(np.log(values))))


def htmt(data: pd.DataFrame, model_or_constructs) -> pd.DataFrame:
    """Heterotrait-monotrait ratio of correlations between every pair of constructs.

    Follows ``semTools::htmt`` with its defaults (``htmt2 = TRUE``): absolute item
    correlations on the complete cases of all the items involved, averaged with the
    geometric mean. The ratio of a pair is the mean correlation between the items of
    the two constructs divided by the geometric mean of the average correlations
    within each construct. Values near 1 mean the two constructs are not empirically
    distinct; common cut-offs are 0.85 (strict) and 0.90.

    Parameters
    ----------
    data : DataFrame
        One row per respondent, with every item as a column.
    model_or_constructs : str, dict or SEMResult
        lavaan syntax (only the ``=~`` lines are used), a dict ``{construct: [items]}``,
        or a fitted model.

    Returns
    -------
    DataFrame
        Square and symmetric, constructs as index and columns, ones on the diagonal.

    Examples
    --------
    R equivalent: ``semTools::htmt(model, data = data)``.

    >>> import sqlib
    >>> from sqlib.analysis.reliability import htmt
    >>> data = sqlib.load_sample()
    >>> ratio = htmt(data, {"tangibles": ["tan1", "tan2", "tan3", "tan4"],
    ...                     "empathy": ["emp1", "emp2", "emp3", "emp4", "emp5"]})
    >>> ratio.index.tolist()
    ['tangibles', 'empathy']
    >>> float(ratio.loc["tangibles", "tangibles"])
    1.0
    """
    blocks = _measurement_blocks(model_or_constructs)
    for name, items in blocks.items():
        _require_items(items, name)
    unique_items = list(dict.fromkeys(i for items in blocks.values() for i in items))
    x = _complete_items(data, unique_items, "The construct definition")
    if len(x) < 3:
        raise SurveyDataError(f"Only {len(x)} respondent(s) answered every item: HTMT needs more complete rows.")
    r = np.abs(np.corrcoef(x.to_numpy(), rowvar=False))
    np.fill_diagonal(r, np.nan)
    corr = pd.DataFrame(r, index=unique_items, columns=unique_items)
    names = list(blocks)
    within = {n: _geometric_mean(corr.loc[blocks[n], blocks[n]].to_numpy()) for n in names}
    ratio = pd.DataFrame(np.nan, index=names, columns=names)
    for a in names:
        for b in names:
            between = _geometric_mean(corr.loc[blocks[a], blocks[b]].to_numpy())
            ratio.loc[a, b] = between / np.sqrt(within[a] * within[b])
    return ratio


def _htmt_pairs(x: np.ndarray, items: list[str], blocks: dict, pairs: list) -> list[float]:
    """:func:`htmt` of ``pairs`` on the complete rows ``x`` (columns ``items``), with numpy only."""
    with np.errstate(divide="ignore", invalid="ignore"):
        log_r = np.log(np.abs(np.corrcoef(x, rowvar=False)))
    np.fill_diagonal(log_r, np.nan)
    index = {item: k for k, item in enumerate(items)}
    position = {name: [index[i] for i in block] for name, block in blocks.items()}

    def mean_log(a, b):
        return np.nanmean(log_r[np.ix_(position[a], position[b])])

    return [float(np.exp(mean_log(a, b) - 0.5 * (mean_log(a, a) + mean_log(b, b)))) for a, b in pairs]


def htmt_bootstrap(data: pd.DataFrame, model_or_constructs, draws: int = 500, *, seed: int = 0,
                   level: float = 0.95) -> pd.DataFrame:
    """Percentile bootstrap intervals of every pair's HTMT (HTMT2, as :func:`htmt`).

    Respondents with every item answered are resampled with replacement ``draws`` times and
    :func:`htmt` is recomputed on each resample. Henseler, Ringle & Sarstedt (2015) judge
    discriminant validity by whether the interval's *upper* bound stays below the cutoff,
    not the point estimate.

    Returns
    -------
    DataFrame
        One row per pair: ``construct_1, construct_2, htmt, ci_lower, ci_upper, draws``.

    Examples
    --------
    >>> import sqlib
    >>> from sqlib.analysis.reliability import htmt_bootstrap
    >>> blocks = {"tangibles": ["tan1", "tan2", "tan3", "tan4"], "empathy": ["emp1", "emp2", "emp3", "emp4", "emp5"]}
    >>> table = htmt_bootstrap(sqlib.load_sample(), blocks, draws=50, seed=1)
    >>> bool((table["ci_lower"] <= table["htmt"]).all() and (table["htmt"] <= table["ci_upper"]).all())
    True
    """
    if draws < 2:
        raise ValueError(f"htmt_bootstrap needs at least 2 draws, got {draws}; use 500 or more for a report.")
    blocks = _measurement_blocks(model_or_constructs)
    unique_items = list(dict.fromkeys(i for items in blocks.values() for i in items))
    complete = _complete_items(data, unique_items, "The construct definition")
    estimate = htmt(complete, blocks)
    names = list(blocks)
    pairs = [(a, b) for i, a in enumerate(names) for b in names[i + 1:]]
    rng = np.random.default_rng(seed)
    x = complete.to_numpy()
    values = np.array([_htmt_pairs(x[rng.integers(0, len(x), len(x))], unique_items, blocks, pairs)
                       for _ in range(draws)])
    tail = (1 - level) / 2 * 100
    lower, upper = np.nanpercentile(values, [tail, 100 - tail], axis=0)
    return pd.DataFrame({"construct_1": [a for a, _ in pairs], "construct_2": [b for _, b in pairs],
                         "htmt": [estimate.loc[a, b] for a, b in pairs], "ci_lower": lower, "ci_upper": upper,
                         "draws": draws})


def _latent_correlation(result, group: int = 1) -> pd.DataFrame:
    cov = result.latent_cov(group)
    sd = np.sqrt(np.diag(cov))
    return cov / np.outer(sd, sd)


def fornell_larcker(result, *, group: int = 1) -> pd.DataFrame:
    """Fornell-Larcker matrix: square root of AVE on the diagonal, factor correlations elsewhere.

    Discriminant validity holds for a pair of constructs when both diagonal entries
    exceed the absolute correlation between them. AVE is ``semTools::AVE`` (observed
    item variances in the denominator); the correlations are the model's.

    Parameters
    ----------
    result : SEMResult
        A model fitted with :func:`sqlib.fit`.
    group : int
        For a multi-group model, which group (1-based).

    Returns
    -------
    DataFrame
        Square, factors measured by observed indicators as index and columns.

    Examples
    --------
    R equivalent: ``sqrt(semTools::AVE(fit))`` with ``lavInspect(fit, "cor.lv")``.

    >>> import sqlib
    >>> from sqlib.analysis.reliability import fornell_larcker
    >>> data = sqlib.load_sample()
    >>> fit = sqlib.fit("tangibles =~ tan1 + tan2 + tan3 + tan4\\n"
    ...                 "empathy =~ emp1 + emp2 + emp3 + emp4 + emp5", data)
    >>> fornell_larcker(fit).shape
    (2, 2)
    """
    _check_group(result, group)
    ave = _ave_by_factor(result, group)
    factors = list(ave.index)
    matrix = _latent_correlation(result, group).loc[factors, factors].copy()
    for f in factors:
        matrix.loc[f, f] = np.sqrt(ave[f]) if ave[f] >= 0 else np.nan
    return matrix


def _pair_message(a: str, b: str, corr: float, sqrt_a: float, sqrt_b: float, ratio: float,
                  cutoff: float, fl_ok: bool, htmt_ok: bool) -> str:
    if fl_ok and htmt_ok:
        return f"{a} and {b} are empirically distinct (both checks pass)."
    problems = []
    if not fl_ok:
        problems.append(
            f"their correlation ({abs(corr):.2f}) is not below the square root of AVE of both "
            f"({a}: {sqrt_a:.2f}, {b}: {sqrt_b:.2f}) (Fornell-Larcker)"
        )
    if not htmt_ok:
        problems.append(f"their HTMT ({ratio:.2f}) is not below {cutoff:g}")
    return (f"{a} and {b} may not be distinct: " + "; ".join(problems)
            + ". Check whether these items measure one construct, or drop items that load on both.")


def discriminant_validity(result, data: pd.DataFrame, htmt_cutoff: float = 0.85, *,
                          group: int = 1) -> pd.DataFrame:
    """Every pair of constructs checked by Fornell-Larcker and by HTMT.

    Parameters
    ----------
    result : SEMResult
        A model fitted with :func:`sqlib.fit`.
    data : DataFrame
        The survey data, for HTMT (complete cases of the model's indicators).
    htmt_cutoff : float
        A pair passes the HTMT check when its ratio is below this value
        (0.85 is the strict convention, 0.90 the lenient one).
    group : int
        For a multi-group model, which group (1-based).

    Returns
    -------
    DataFrame
        One row per pair, columns

        - ``construct_1``, ``construct_2``
        - ``correlation``: model-implied factor correlation
        - ``htmt``: heterotrait-monotrait ratio
        - ``sqrt_ave_1``, ``sqrt_ave_2``: square roots of AVE
        - ``fl_ok``: both square roots of AVE exceed ``|correlation|``
        - ``htmt_ok``: ``htmt < htmt_cutoff``
        - ``message``: a sentence for the report naming the pair and what failed

    Examples
    --------
    R equivalent: ``semTools::htmt()`` with ``semTools::AVE()`` and ``lavInspect(fit, "cor.lv")``.

    >>> import sqlib
    >>> from sqlib.analysis.reliability import discriminant_validity
    >>> data = sqlib.load_sample()
    >>> fit = sqlib.fit("tangibles =~ tan1 + tan2 + tan3 + tan4\\n"
    ...                 "empathy =~ emp1 + emp2 + emp3 + emp4 + emp5", data)
    >>> table = discriminant_validity(fit, data)
    >>> table[["construct_1", "construct_2"]].to_dict("records")
    [{'construct_1': 'tangibles', 'construct_2': 'empathy'}]
    """
    fl = fornell_larcker(result, group=group)
    factors = list(fl.index)
    blocks = {f: items for f, items in _measurement_blocks(result).items() if f in factors}
    ratio = htmt(_group_rows(result, data, group), blocks)
    rows = []
    for i, a in enumerate(factors):
        for b in factors[i + 1:]:
            corr, sqrt_a, sqrt_b = fl.loc[a, b], fl.loc[a, a], fl.loc[b, b]
            value = ratio.loc[a, b]
            fl_ok = bool(min(sqrt_a, sqrt_b) > abs(corr))
            htmt_ok = bool(value < htmt_cutoff)
            rows.append({
                "construct_1": a, "construct_2": b, "correlation": float(corr), "htmt": float(value),
                "sqrt_ave_1": float(sqrt_a), "sqrt_ave_2": float(sqrt_b), "fl_ok": fl_ok, "htmt_ok": htmt_ok,
                "message": _pair_message(a, b, corr, sqrt_a, sqrt_b, value, htmt_cutoff, fl_ok, htmt_ok),
            })
    columns = ["construct_1", "construct_2", "correlation", "htmt", "sqrt_ave_1", "sqrt_ave_2",
               "fl_ok", "htmt_ok", "message"]
    return pd.DataFrame(rows, columns=columns)
