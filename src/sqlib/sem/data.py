"""Data blocks: the model variables of each group as arrays, checked before estimation."""

from __future__ import annotations

import numpy as np
import pandas as pd

from sqlib.core.errors import EstimationError, ModelSpecificationError

from . import fitchecks


def prepare_data(data: pd.DataFrame, ov: list[str], group: str | None, fiml: bool = False):
    """The model variables as one float array per group, after the data checks.

    Returns ``(levels, blocks, n_dropped)``: group levels in order of appearance (``[None]``
    without groups), the arrays and the number of rows left out (incomplete rows, or with
    ``fiml`` rows without any answer).
    """
    if not isinstance(data, pd.DataFrame):
        raise TypeError("data must be a pandas DataFrame with one column per observed variable.")
    frame = data[ov + ([group] if group else [])].copy()
    try:
        values = frame[ov].to_numpy(dtype=float)
    except (TypeError, ValueError):
        raise_non_numeric(frame, ov)
    frame[ov] = values
    fitchecks.check_finite(frame, ov)
    fitchecks.check_answered(frame, ov, group)
    fitchecks.warn_missing_codes(frame, ov)
    complete = frame[ov].notna().any(axis=1) if fiml else frame[ov].notna().all(axis=1)
    if group:
        complete &= frame[group].notna()
    n_dropped = int((~complete).sum())
    frame = frame[complete]
    if group:
        levels = list(pd.unique(frame[group]))
        blocks = [frame.loc[frame[group] == lev, ov].to_numpy(float) for lev in levels]
    else:
        levels = [None]
        blocks = [frame[ov].to_numpy(float)]
    for lev, x in zip(levels, blocks):
        where = f" in group {lev!r}" if group else ""
        if x.shape[0] < 2:
            raise EstimationError(
                f"Only {x.shape[0]} complete response(s){where}: the model cannot be estimated. "
                "Check the group column and the missing answers (listwise deletion is used)."
            )
        fitchecks.check_respondents(x.shape[0], len(ov), where, fiml)
        const = [v for v, sd in zip(ov, np.nanstd(x, axis=0)) if sd == 0]
        if const:
            raise EstimationError(
                f"Variable(s) {', '.join(const)} have no variance{where}; remove them from the model."
            )
    fitchecks.check_variance_scale(blocks, ov)
    return levels, blocks, n_dropped


def raise_non_numeric(frame: pd.DataFrame, ov: list[str]) -> None:
    """Name the non-numeric cells of the model variables (column, rows, an example value)."""
    bad = []
    for col in ov:
        converted = pd.to_numeric(frame[col], errors="coerce")
        wrong = frame[col].notna() & converted.isna()
        if wrong.any():
            rows = list(frame.index[wrong][:5])
            bad.append(f"'{col}' (rows {rows}, e.g. {frame.loc[wrong, col].iloc[0]!r})")
    raise ModelSpecificationError(
        "These model variables hold non-numeric values: " + "; ".join(bad)
        + ". Recode them as numbers (sqlib.read_survey reports every such cell)."
    )


def check_complete_rows_dependence(blocks, ov, levels, group) -> None:
    """Before FIML's EM step: linear dependence among the complete rows, when there are enough of them."""
    for lev, x in zip(levels, blocks):
        complete = x[~np.isnan(x).any(axis=1)]
        if complete.shape[0] > len(ov):
            where = f" in group {lev!r}" if group else ""
            fitchecks.check_linear_dependence(np.cov(complete.T), ov, where)
