"""Checks that :func:`sqlib.fit` runs on the data before estimating anything.

Each check refuses data no estimator can use (or warns about data it would use
wrongly) with a message that names the columns, the rows or the items and says how to
fix them, instead of letting the optimizer fail later with a misleading "not
identified" or "singular" error.

>>> import numpy as np, pandas as pd
>>> from sqlib.sem.fitchecks import check_linear_dependence
>>> x = pd.DataFrame(np.random.default_rng(1).normal(size=(50, 3)), columns=["a", "b", "c"])
>>> x["total"] = x.sum(axis=1)
>>> try:
...     check_linear_dependence(np.cov(x.T.to_numpy()), list(x.columns))
... except Exception as err:
...     print(type(err).__name__)
EstimationError
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from sqlib.core.errors import EstimationError, ModelSpecificationError

#: Largest ratio of two model variables' variances the estimator accepts.
MAX_VARIANCE_RATIO = 1e6
#: Smallest eigenvalue of the correlation matrix below which variables count as linearly dependent.
DEPENDENCE_EIGENVALUE = 1e-6
#: Ordered items with more distinct answers than this look continuous.
MAX_ORDERED_CATEGORIES = 15
#: Values that questionnaires use as "don't know" / "refused" / missing codes.
SUSPICIOUS_CODES = (9, 99, 999, 9999, -9, -99, -999, -9999, 98, 998)


def _rows(index, mask, limit: int = 5) -> str:
    rows = list(index[mask][:limit])
    more = int(mask.sum()) - len(rows)
    return f"{rows}" + (f" and {more} more" if more > 0 else "")


def check_finite(frame: pd.DataFrame, ov: list[str]) -> None:
    """Refuse infinite values (``inf``, ``-inf``) in the model variables, naming columns and rows.

    Examples
    --------
    lavaan stops with "some variables have infinite values"; here the message names them:

    >>> import numpy as np, pandas as pd
    >>> from sqlib.sem.fitchecks import check_finite
    >>> try:
    ...     check_finite(pd.DataFrame({"x": [1.0, np.inf]}), ["x"])
    ... except Exception as err:
    ...     print("'x'" in str(err))
    True
    """
    infinite = np.isinf(frame[ov].to_numpy(dtype=float))
    bad = [f"'{col}' (rows {_rows(frame.index, infinite[:, j])})"
           for j, col in enumerate(ov) if infinite[:, j].any()]
    if bad:
        raise ModelSpecificationError(
            "These model variables hold infinite values (inf or -inf): " + "; ".join(bad)
            + ". No answer can be infinite: it usually comes from a division by zero or an overflow when "
            "the data were prepared. Correct the values, or set them to missing (NaN).")


def check_answered(frame: pd.DataFrame, ov: list[str], group: str | None) -> None:
    """Refuse model variables without a single answer (overall or in one group)."""
    answered = frame[ov].notna().any(axis=0)
    empty = [v for v in ov if not answered[v]]
    if empty:
        raise ModelSpecificationError(
            f"Column(s) {', '.join(repr(v) for v in empty)} have no answers at all (every value is missing), so "
            "they carry no information for the model. Check that the right file and column were read (a "
            "missing-value code may have turned every answer into NaN), or remove them from the model.")
    if not group:
        return
    problems = []
    for level, part in frame.groupby(group, sort=False, dropna=True):
        empty = [v for v in ov if part[v].isna().all()]
        if empty:
            problems.append(f"{', '.join(repr(v) for v in empty)} in group {level!r}")
    if problems:
        raise ModelSpecificationError(
            "Some model variables have no answers at all within a group: " + "; ".join(problems)
            + ". Their parameters cannot be estimated in that group: drop the item from the model, or fit "
            "the groups separately.")


def check_respondents(n: int, p: int, where: str, fiml: bool) -> None:
    """Refuse fewer respondents than observed variables ("too few respondents")."""
    if n > p:
        return
    rows = "respondents with at least one answer" if fiml else "complete responses"
    raise EstimationError(
        f"Too few respondents: {n} {rows}{where} for {p} observed variables in the model. The covariance "
        f"matrix of {p} variables needs more than {p} respondents (and a trustworthy fit at least 5 per free "
        "parameter). Collect more responses, fit a smaller model (fewer items or constructs)"
        + ("." if fiml else ", or keep incomplete rows with missing='fiml' instead of listwise deletion."))


def check_variance_scale(blocks: list[np.ndarray], ov: list[str]) -> None:
    """Refuse variables whose variances differ by more than :data:`MAX_VARIANCE_RATIO`.

    Such data make the covariance matrix numerically singular; the message names the
    largest and smallest variances and the power of ten to divide by.
    """
    x = np.vstack(blocks)
    var = np.nanvar(x, axis=0)
    positive = var > 0
    if positive.sum() < 2:
        return
    big, small = int(np.argmax(np.where(positive, var, -np.inf))), int(np.argmin(np.where(positive, var, np.inf)))
    ratio = var[big] / var[small]
    if ratio <= MAX_VARIANCE_RATIO:
        return
    power = int(np.round(np.log10(np.sqrt(var[big] / var[small]))))
    raise ModelSpecificationError(
        f"The model variables are on wildly different scales: '{ov[big]}' has variance {var[big]:.3g} and "
        f"'{ov[small]}' {var[small]:.3g} (a ratio of {ratio:.2g}, more than {MAX_VARIANCE_RATIO:.0e}). Numbers this "
        f"far apart make the covariance matrix numerically singular. Rescale '{ov[big]}' before fitting, e.g. "
        f"divide it by 1e{power} (data['{ov[big]}'] / 1e{power}; its estimates are then in those units).")


def check_linear_dependence(cov: np.ndarray, ov: list[str], where: str = "") -> None:
    """Refuse exact or near-exact linear dependence among the observed variables.

    The smallest eigenvalue of the correlation matrix shows it; its eigenvector names
    the items involved and gives the combination (e.g. a total score next to its items).
    """
    sd = np.sqrt(np.diag(cov))
    if np.any(sd <= 0) or len(ov) < 2:
        return
    corr = cov / np.outer(sd, sd)
    values, vectors = np.linalg.eigh(corr)
    if values[0] >= DEPENDENCE_EIGENVALUE:
        return
    weights = vectors[:, 0]
    involved = [i for i in np.argsort(-np.abs(weights)) if abs(weights[i]) > 0.05 * np.abs(weights).max()]
    first = involved[0]
    terms = []
    for i in involved[1:]:
        coef = -(weights[i] / sd[i]) / (weights[first] / sd[first])
        sign = "-" if coef < 0 else "+"
        terms.append(f"{sign} {abs(coef):.3g}*{ov[i]}" if terms else f"{coef:.3g}*{ov[i]}")
    formula = f"{ov[first]} = " + " ".join(terms) if terms else f"{ov[first]} is constant"
    names = ", ".join(ov[i] for i in involved)
    raise EstimationError(
        f"The answers to {names}{where} are an exact or almost exact linear combination of each other "
        f"({formula} + constant; smallest eigenvalue of their correlation matrix {values[0]:.2g}), so their "
        "covariance matrix is singular and no model for them can be estimated. Typical causes: a total or mean "
        "score next to its items, a duplicated or recoded copy of an item. Remove one of "
        f"{names} from the model.")


def warn_missing_codes(frame: pd.DataFrame, ov: list[str]) -> None:
    """Warn when an item holds a typical missing-value code (99, -99, 999 ...) far beyond its other answers."""
    found = []
    values = frame[ov].to_numpy(dtype=float)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN columns are reported elsewhere
        extremes = np.concatenate([[np.nanmax(values, axis=0)], [np.nanmin(values, axis=0)]])
    flagged = np.isin(extremes, SUSPICIOUS_CODES).any(axis=0)
    for col in np.asarray(ov)[flagged]:
        answers = frame[col].dropna()
        for code in SUSPICIOUS_CODES:
            hits = answers == code
            others = answers[~hits]
            if hits.any() and len(others) and others.nunique() <= 11 and others.abs().max() < abs(code) / 2:
                found.append(f"'{col}' has {int(hits.sum())} answer(s) {code:g} while its other answers lie in "
                             f"{others.min():g}..{others.max():g}")
    if found:
        warnings.warn(
            "These answers look like missing-value codes used as numbers: " + "; ".join(found)
            + ". sqlib.fit uses every number as an answer. If they mean 'don't know' or 'no answer', declare "
            "them in the codebook's missing_codes (sqlib.read_survey turns them into missing) or set them to "
            "NaN before fitting.", UserWarning, stacklevel=4)


def warn_continuous_ordered(frame: pd.DataFrame, ordered: list[str]) -> None:
    """Warn when an item passed as ``ordered`` has more than :data:`MAX_ORDERED_CATEGORIES` distinct answers."""
    many = {v: int(frame[v].nunique()) for v in ordered if frame[v].nunique() > MAX_ORDERED_CATEGORIES}
    if many:
        listed = ", ".join(f"{v} ({k} distinct answers)" for v, k in many.items())
        warnings.warn(
            f"Ordered item(s) {listed} look continuous: WLSMV estimates one threshold per answer category, "
            f"which for more than {MAX_ORDERED_CATEGORIES} categories is slow and unstable. Treat them as "
            "continuous (drop them from `ordered`, estimator='MLR'), or bin the answers into a few categories.",
            UserWarning, stacklevel=4)
