"""Data screening before a CFA/SEM: item distributions, missing answers,
straightlining and multivariate normality (Mardia).

Every function takes ``data`` plus column names and returns a tidy DataFrame.
:func:`screening_summary` bundles them into one object that shows itself
compactly in a notebook.
"""

from __future__ import annotations

import html
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from .codebook import Codebook, load_codebook


def _answers(data: pd.DataFrame, items) -> pd.DataFrame:
    items = list(items)
    missing = [c for c in items if c not in data.columns]
    if missing:
        raise KeyError(f"The data have no column(s) {', '.join(map(repr, missing))}; "
                       f"check the item names (the data have {len(data.columns)} columns).")
    return data[items].apply(pd.to_numeric, errors="coerce").astype("float64")


def _respondents(data: pd.DataFrame, id_column: str | None) -> pd.Series:
    if id_column is None:
        return pd.Series(data.index, index=data.index, name="respondent")
    return pd.Series(data[id_column].to_numpy(), index=data.index, name="respondent")


# --------------------------------------------------------------- item level
def item_statistics(data: pd.DataFrame, items, codebook: Codebook | None = None) -> pd.DataFrame:
    """Distribution of each item: missing answers, centre, spread, shape, floor and ceiling.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per respondent.
    items : list of str
        Item columns to describe.
    codebook : Codebook, optional
        Gives each item's scale end points (:meth:`Codebook.scale_of`) for
        ``pct_floor``/``pct_ceiling``; without it
        the observed minimum and maximum of each item are used.

    Returns
    -------
    pandas.DataFrame
        One row per item with columns

        * ``item`` -- column name
        * ``n``, ``n_missing``, ``pct_missing`` -- answers given, missing, percent missing
        * ``mean``, ``sd`` (n - 1 denominator), ``median``
        * ``skewness`` -- ``m3 / sd**3`` and ``excess_kurtosis`` -- ``m4 / sd**4 - 3``
          with central moments ``m_k`` over n and the n - 1 standard deviation
          (psych::describe's default, type 3; SPSS and pandas report the
          bias-adjusted type 2, which differs slightly in small samples)
        * ``pct_floor``, ``pct_ceiling`` -- percent of answers at the lowest and
          highest scale point (above ~15 % a floor or ceiling effect is usually reported)

    Examples
    --------
    >>> from sqlib.survey.io import load_sample
    >>> from sqlib.survey.screening import item_statistics
    >>> df = load_sample()
    >>> item_statistics(df, ["tan1", "tan2", "tan3", "tan4"]).columns[:4].tolist()
    ['item', 'n', 'n_missing', 'pct_missing']

    R equivalent: ``psych::describe(df[items])``.
    """
    answers = _answers(data, items)
    rows = []
    for item in answers.columns:
        x = answers[item].dropna().to_numpy()
        n = x.size
        low, high = (codebook.scale_of(item) if codebook is not None
                     else ((x.min(), x.max()) if n else (np.nan, np.nan)))
        sd = x.std(ddof=1) if n > 1 else np.nan
        centred = x - x.mean() if n else x
        rows.append({
            "item": item,
            "n": n,
            "n_missing": len(answers) - n,
            "pct_missing": 100 * (len(answers) - n) / len(answers) if len(answers) else np.nan,
            "mean": x.mean() if n else np.nan,
            "sd": sd,
            "median": np.median(x) if n else np.nan,
            "skewness": np.mean(centred**3) / sd**3 if n > 1 and sd > 0 else np.nan,
            "excess_kurtosis": np.mean(centred**4) / sd**4 - 3 if n > 1 and sd > 0 else np.nan,
            "pct_floor": 100 * np.mean(x == low) if n else np.nan,
            "pct_ceiling": 100 * np.mean(x == high) if n else np.nan,
        })
    return pd.DataFrame(rows).astype({"n": "int64", "n_missing": "int64"})


# ----------------------------------------------------------- respondent level
def missing_by_respondent(data: pd.DataFrame, items, id_column: str | None = None) -> pd.DataFrame:
    """How many items each respondent left unanswered.

    Parameters
    ----------
    data : pandas.DataFrame
    items : list of str
    id_column : str, optional
        Respondent id column; without it the DataFrame index identifies respondents.

    Returns
    -------
    pandas.DataFrame
        One row per respondent, in data order: ``respondent`` (id or index
        label), ``n_answered``, ``n_missing``, ``pct_missing`` (0-100) and
        ``complete`` (True when every item was answered).

    Examples
    --------
    >>> from sqlib.survey.io import load_sample
    >>> from sqlib.survey.screening import missing_by_respondent
    >>> df = load_sample()
    >>> miss = missing_by_respondent(df, ["tan1", "tan2", "tan3"], id_column="respondent_id")
    >>> miss.columns.tolist()
    ['respondent', 'n_answered', 'n_missing', 'pct_missing', 'complete']

    R equivalent: ``rowSums(is.na(df[items]))``.
    """
    answers = _answers(data, items)
    n_missing = answers.isna().sum(axis=1).to_numpy()
    n_items = answers.shape[1]
    return pd.DataFrame({
        "respondent": _respondents(data, id_column).to_numpy(),
        "n_answered": n_items - n_missing,
        "n_missing": n_missing,
        "pct_missing": 100 * n_missing / n_items if n_items else np.nan,
        "complete": n_missing == 0,
    })


def straightlining(data: pd.DataFrame, items, id_column: str | None = None, min_items: int = 5) -> pd.DataFrame:
    """Respondents who gave the same answer to every item (zero within-person SD).

    Parameters
    ----------
    data : pandas.DataFrame
    items : list of str
        The items to compare; use a whole battery (e.g. all 22 perception items),
        since identical answers across a few items of one construct are plausible.
    id_column : str, optional
        Respondent id column; without it the DataFrame index identifies respondents.
    min_items : int, default 5
        A respondent is only judged when at least this many items were answered.

    Returns
    -------
    pandas.DataFrame
        One row per straightlining respondent: ``respondent``, ``n_answered``
        and ``answer`` (the value given every time). Empty when nobody straightlines.

    Examples
    --------
    >>> from sqlib.survey.io import load_sample
    >>> from sqlib.survey.screening import straightlining
    >>> df = load_sample()
    >>> flagged = straightlining(df, [f"rel{i}" for i in range(1, 6)], id_column="respondent_id")
    >>> flagged.columns.tolist()
    ['respondent', 'n_answered', 'answer']

    R equivalent: ``careless::longstring`` (a string as long as the battery).
    """
    answers = _answers(data, items)
    n_answered = answers.notna().sum(axis=1)
    same = (answers.max(axis=1) == answers.min(axis=1)) & (n_answered >= max(min_items, 2))
    return pd.DataFrame({
        "respondent": _respondents(data, id_column)[same].to_numpy(),
        "n_answered": n_answered[same].to_numpy().astype("int64"),
        "answer": answers.max(axis=1)[same].to_numpy(),
    })


# ---------------------------------------------------------------- multivariate
def mardia(data: pd.DataFrame, items, ddof: int = 0) -> pd.DataFrame:
    """Mardia's tests of multivariate skewness and kurtosis (complete cases).

    With the ``n`` complete respondents centred, ``S`` their covariance matrix
    (n denominator by default) and ``d_ij = (x_i - xbar)' S^-1 (x_j - xbar)``:

    * ``b1p = sum_ij d_ij**3 / n**2``; the statistic ``n * b1p / 6`` is
      chi-square with ``p (p + 1) (p + 2) / 6`` degrees of freedom;
      the small-sample version multiplies it by
      ``c = (p + 1) (n + 1) (n + 3) / (n ((n + 1) (p + 1) - 6))``;
    * ``b2p = sum_i d_ii**2 / n``; the statistic
      ``(b2p - p (p + 2)) / sqrt(8 p (p + 2) / n)`` is standard normal (two-sided p).

    Both coefficients are unchanged by reverse coding or rescaling items.

    Parameters
    ----------
    data : pandas.DataFrame
    items : list of str
    ddof : {0, 1}, default 0
        0 uses the n-denominator covariance of Mardia (1970) and MVN::mvn;
        1 uses R's ``cov()`` (n - 1), which is what psych::mardia does, so its
        b1p is smaller by ``((n - 1) / n)**3`` and b2p by ``((n - 1) / n)**2``.

    Returns
    -------
    pandas.DataFrame
        Rows ``skewness``, ``skewness_small_sample`` and ``kurtosis``; columns
        ``test``, ``coefficient`` (b1p or b2p), ``statistic``, ``df`` (NaN for
        kurtosis), ``p_value``, ``n`` (complete cases) and ``p`` (items).

    Examples
    --------
    >>> from sqlib.survey.io import load_sample
    >>> from sqlib.survey.screening import mardia
    >>> df = load_sample()
    >>> mardia(df, ["tan1", "tan2", "tan3", "tan4"])["test"].tolist()
    ['skewness', 'skewness_small_sample', 'kurtosis']

    R equivalent: ``MVN::mvn(df[items], mvnTest = "mardia")``; with ``ddof=1``
    ``psych::mardia(df[items])``.
    """
    x = _answers(data, items).dropna().to_numpy()
    n, p = x.shape
    if n <= p:
        raise ValueError(f"Mardia's tests need more complete respondents than items: {n} complete "
                         f"respondents for {p} items. Use fewer items or fewer missing answers.")
    centred = x - x.mean(axis=0)
    cov = centred.T @ centred / (n - ddof)
    d = centred @ np.linalg.pinv(cov) @ centred.T
    b1p = float(np.sum(d**3) / n**2)
    b2p = float(np.sum(np.diag(d) ** 2) / n)
    df = p * (p + 1) * (p + 2) / 6
    skew = n * b1p / 6
    c = (p + 1) * (n + 1) * (n + 3) / (n * ((n + 1) * (p + 1) - 6))
    kurt = (b2p - p * (p + 2)) / np.sqrt(8 * p * (p + 2) / n)
    return pd.DataFrame({
        "test": ["skewness", "skewness_small_sample", "kurtosis"],
        "coefficient": [b1p, b1p, b2p],
        "statistic": [skew, skew * c, kurt],
        "df": [df, df, np.nan],
        "p_value": [stats.chi2.sf(skew, df), stats.chi2.sf(skew * c, df), 2 * stats.norm.sf(abs(kurt))],
        "n": n,
        "p": p,
    })


#: Estimators a report notebook accepts; "auto" is resolved by :func:`resolve_estimator`.
REPORT_ESTIMATORS = ("auto", "ML", "MLR", "WLSMV")


def resolve_estimator(estimator: str, data: pd.DataFrame, items) -> tuple[str, str]:
    """The estimator to fit with, and why: ``"auto"`` is MLR when Mardia rejects normality.

    Parameters
    ----------
    estimator : {"auto", "ML", "MLR", "WLSMV"}
        ``"auto"``: MLR (robust standard errors and scaled test) when Mardia's skewness
        or kurtosis test rejects multivariate normality at the 5 % level, or cannot be
        computed; ML otherwise. Any other value is used as given.
    data : DataFrame
    items : list of str

    Returns
    -------
    (str, str)
        The estimator and a clause saying why (for the report text).

    Examples
    --------
    >>> from sqlib.survey.io import load_sample
    >>> resolve_estimator("auto", load_sample(), ["tan1", "tan2", "tan3", "tan4"])[0]
    'MLR'

    R: lavaan's ``estimator = "MLR"`` after ``MVN::mvn(..., mvnTest = "mardia")``.
    """
    choice = str(estimator).upper() if str(estimator).lower() != "auto" else "auto"
    if choice not in REPORT_ESTIMATORS:
        raise ValueError(f"estimator {estimator!r} is not one of {', '.join(REPORT_ESTIMATORS)}; "
                         "'auto' picks MLR when the answers are not multivariate normal.")
    if choice != "auto":
        return choice, f"{choice}, as the parameters ask"
    items = list(items)
    try:
        tests = mardia(data, items).set_index("test")["p_value"]
    except ValueError:
        return "MLR", f"MLR, as Mardia's tests on the {len(items)} model items could not be computed (too few " \
                      "complete respondents)"
    if tests["skewness"] < 0.05 or tests["kurtosis"] < 0.05:
        return "MLR", f"MLR, as Mardia's tests on the {len(items)} model items reject multivariate normality"
    return "ML", f"ML, as Mardia's tests on the {len(items)} model items do not reject multivariate normality"


# -------------------------------------------------------------------- summary
@dataclass(repr=False)
class ScreeningSummary:
    """Everything :func:`screening_summary` found; shows itself compactly.

    Attributes
    ----------
    item_stats : DataFrame from :func:`item_statistics`
    missing : DataFrame from :func:`missing_by_respondent`
    straightliners : DataFrame from :func:`straightlining`
    mardia : DataFrame from :func:`mardia` (None when there are too few complete cases)
    n_respondents, n_complete : int
    """

    item_stats: pd.DataFrame
    missing: pd.DataFrame
    straightliners: pd.DataFrame
    mardia: pd.DataFrame | None
    n_respondents: int
    n_complete: int

    def key_numbers(self) -> list[tuple[str, str]]:
        """(label, value) pairs shown by :meth:`to_text` and in notebooks."""
        stats_ = self.item_stats
        n_items = len(stats_)
        total_missing = 100 * stats_["n_missing"].sum() / max(n_items * self.n_respondents, 1)
        worst = stats_.sort_values("pct_missing", ascending=False).head(3)
        worst_text = ", ".join(f"{r.item} {r.pct_missing:.1f}%" for r in worst.itertuples() if r.pct_missing > 0)
        skewed = stats_[(stats_["skewness"].abs() > 2) | (stats_["excess_kurtosis"].abs() > 7)]["item"]
        floor_ceiling = stats_[(stats_["pct_floor"] > 15) | (stats_["pct_ceiling"] > 15)]["item"]
        rows = [
            ("Respondents", f"{self.n_respondents}"),
            ("Complete cases", f"{self.n_complete} ({100 * self.n_complete / max(self.n_respondents, 1):.1f}%)"),
            ("Items", f"{n_items}"),
            ("Missing answers", f"{total_missing:.1f}%" + (f" (most: {worst_text})" if worst_text else "")),
            ("Straightliners", f"{len(self.straightliners)}"),
            ("|skew| > 2 or |kurtosis| > 7", _few(skewed)),
            ("Floor/ceiling > 15%", _few(floor_ceiling)),
        ]
        if self.mardia is not None:
            m = self.mardia.set_index("test")
            rows.append(("Mardia skewness", f"b1p = {m.at['skewness', 'coefficient']:.2f}, "
                         f"chi2({m.at['skewness', 'df']:.0f}) = {m.at['skewness', 'statistic']:.1f}, "
                         f"p {_p(m.at['skewness', 'p_value'])}"))
            rows.append(("Mardia kurtosis", f"b2p = {m.at['kurtosis', 'coefficient']:.2f}, "
                         f"z = {m.at['kurtosis', 'statistic']:.2f}, p {_p(m.at['kurtosis', 'p_value'])}"))
        else:
            rows.append(("Mardia", "not computed (fewer complete cases than items)"))
        return rows

    def to_text(self) -> str:
        """Plain-text summary of the key numbers (one per line)."""
        pairs = self.key_numbers()
        width = max(len(k) for k, _ in pairs)
        return "Data screening\n" + "\n".join(f"  {k:<{width}}  {v}" for k, v in pairs)

    def __repr__(self) -> str:
        return self.to_text()

    def _repr_html_(self) -> str:
        cells = "".join(f"<tr><th style='text-align:left'>{html.escape(k)}</th>"
                        f"<td style='text-align:left'>{html.escape(v)}</td></tr>" for k, v in self.key_numbers())
        return f"<table><caption style='text-align:left'><b>Data screening</b></caption>{cells}</table>"


def _few(names: pd.Series, limit: int = 6) -> str:
    names = list(names)
    if not names:
        return "none"
    more = f" and {len(names) - limit} more" if len(names) > limit else ""
    return ", ".join(names[:limit]) + more


def _p(p: float) -> str:
    return "< .001" if p < 0.001 else f"= {p:.3f}".replace("0.", ".")


def screening_summary(data: pd.DataFrame, codebook=None, *, items=None, min_items: int = 5) -> ScreeningSummary:
    """Screen a survey in one call: item statistics, missing answers, straightlining, Mardia.

    Parameters
    ----------
    data : pandas.DataFrame
        As returned by :func:`sqlib.io.read_survey`.
    codebook : Codebook, str, Path or None
        Scale and column roles; None means the SERVQUAL codebook.
    items : list of str, optional
        Items to screen; default every codebook item (perceptions, outcomes and
        expectations) present in ``data``.
    min_items : int, default 5
        Passed to :func:`straightlining`.

    Returns
    -------
    ScreeningSummary
        Holds the tables; in a notebook it shows the key numbers as a small
        table, ``print(summary)`` gives the same as text. Nothing is printed here.

    Examples
    --------
    >>> from sqlib.survey.io import load_sample
    >>> from sqlib.survey.screening import screening_summary
    >>> summary = screening_summary(load_sample())
    >>> summary.n_respondents
    900
    """
    codebook = load_codebook(codebook)
    if items is None:
        items = [c for c in codebook.all_items if c in data.columns]
    id_column = codebook.id_column if codebook.id_column in data.columns else None
    missing = missing_by_respondent(data, items, id_column)
    n_complete = int(missing["complete"].sum())
    return ScreeningSummary(
        item_stats=item_statistics(data, items, codebook),
        missing=missing,
        straightliners=straightlining(data, items, id_column, min_items=min_items),
        mardia=mardia(data, items) if n_complete > len(items) else None,
        n_respondents=len(data),
        n_complete=n_complete,
    )
