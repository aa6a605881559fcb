"""Importance-performance map analysis (IPMA) of a PLS path model.

Ringle and Sarstedt (2016): every indicator is rescaled to 0-100 from its answer scale,
``(x - scale_min) / (scale_max - scale_min) * 100``; the outer weights are unstandardized
(divided by the indicator's standard deviation) and rescaled to sum to one within a
block, so a construct's *performance* is the mean of its rescaled scores (also 0-100).
*Importance* is the unstandardized total effect on the target construct, from OLS
regressions of the rescaled scores along the structural model. At the indicator level,
importance is the rescaled weight times its construct's total effect, and performance the
mean of the rescaled indicator. The result is an IPA table (:mod:`sqlib.analysis.ipa`):
the same quadrants and the same grid plot (:func:`sqlib.analysis.ipa.ipa_plot`).

With a bootstrapped result (``fit.bootstrap(...)``) the construct importances get
percentile intervals from the same resamples.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .ipa import ipa_quadrants


def rescaled_items(result, scales=None) -> tuple[pd.DataFrame, dict]:
    """Indicators on 0-100 and the (min, max) used per item.

    ``scales``: one ``(min, max)`` for every item, a dict item -> ``(min, max)``, or None
    for the observed minimum and maximum of each item (stated in the table's attrs).
    """
    data = result.data
    bounds = {}
    for item in data.columns:
        if scales is None:
            bounds[item] = (float(data[item].min()), float(data[item].max()))
        elif isinstance(scales, dict):
            if item not in scales:
                raise ValueError(f"scales has no (min, max) for {item}; give every indicator's answer scale.")
            bounds[item] = tuple(map(float, scales[item]))
        else:
            bounds[item] = tuple(map(float, scales))
    low = np.array([bounds[c][0] for c in data.columns])
    high = np.array([bounds[c][1] for c in data.columns])
    return (data - low) / (high - low) * 100, bounds


def rescaled_weights(weights: np.ndarray, sd: np.ndarray, layout) -> np.ndarray:
    """Unstandardized outer weights rescaled to sum to one within each block: (p,) vector."""
    raw = weights / sd
    sums = np.bincount(layout.item_construct, weights=raw, minlength=layout.mask.shape[1])
    return raw / sums[layout.item_construct]


def unstandardized_total_effects(scores: np.ndarray, layout) -> np.ndarray:
    """Total effects (K x K, source x target) from OLS with intercept on rescaled scores."""
    nk = scores.shape[1]
    paths = np.zeros((nk, nk))
    design_base = np.ones((scores.shape[0], 1))
    for target, preds in layout.regressions:
        design = np.hstack([design_base, scores[:, preds]])
        coef = np.linalg.lstsq(design, scores[:, target], rcond=None)[0]
        paths[preds, target] = coef[1:]
    eye = np.eye(nk)
    return np.linalg.inv(eye - paths) - eye


def _importance(result, x100: np.ndarray, raw_sd: np.ndarray, weights: np.ndarray):
    w = rescaled_weights(weights, raw_sd, result.layout)
    scores = (x100 * w) @ result.layout.mask
    return w, scores, unstandardized_total_effects(scores, result.layout)


def ipma(result, target: str, *, scales=None, level: str = "construct", ci_level: float = 0.95) -> pd.DataFrame:
    """IPMA table of the drivers of ``target``.

    Parameters
    ----------
    result : PLSResult
        From :func:`sqlib.fit_pls` (bootstrapped for importance intervals).
    target : str
        The construct whose drivers are mapped (e.g. "Satisfaction" or "Loyalty").
    scales : tuple or dict, optional
        Answer scale ``(min, max)`` of every indicator, or per indicator; default the observed range.
    level : {"construct", "indicator"}

    Returns
    -------
    DataFrame
        ``dimension, construct, importance, performance`` (+ ``importance_ci_lower/upper``
        when bootstrapped), ``quadrant, priority``; attrs: ``outcome``, ``standardized`` (False), ``scales``.

    Examples
    --------
    SmartPLS's IPMA; in R, ``cSEM::doIPMA()``.
    """
    if target not in result.constructs:
        raise ValueError(f"'{target}' is not a construct of the model; constructs: {', '.join(result.constructs)}.")
    if level not in ("construct", "indicator"):
        raise ValueError("level must be 'construct' or 'indicator'.")
    x100, bounds = rescaled_items(result, scales)
    x100 = x100.to_numpy()
    sd = result.data.std(ddof=1).to_numpy()
    w, scores, total = _importance(result, x100, sd, result.fit.weights[0].sum(axis=1))
    if np.any(w < 0):
        negative = [result.layout.items[i] for i in np.flatnonzero(w < 0)]
        raise ValueError(f"Negative rescaled weights ({', '.join(negative)}): IPMA needs indicators that all point "
                         "the same way; reverse-score them first.")
    k_target = result.constructs.index(target)
    drivers = [k for k in range(len(result.constructs)) if total[k, k_target] != 0]
    if not drivers:
        raise ValueError(f"No construct has an effect on '{target}'; choose an endogenous construct.")
    rows = []
    if level == "construct":
        for k in drivers:
            rows.append({"dimension": result.constructs[k], "construct": result.constructs[k],
                         "importance": total[k, k_target], "performance": scores[:, k].mean()})
    else:
        for k in drivers:
            for i in result.layout.block_index[k]:
                rows.append({"dimension": result.layout.items[i], "construct": result.constructs[k],
                             "importance": w[i] * total[k, k_target], "performance": x100[:, i].mean()})
    table = pd.DataFrame(rows)
    if result.boot is not None:
        draws = _bootstrap_importance(result, x100, drivers, k_target, level)
        lo, hi = (1 - ci_level) / 2, (1 + ci_level) / 2
        table["importance_ci_lower"] = np.quantile(draws, lo, axis=0)
        table["importance_ci_upper"] = np.quantile(draws, hi, axis=0)
    table = ipa_quadrants(table)
    table.attrs.update(outcome=target, standardized=False, interpretable=True, scales=bounds)
    return table


def _bootstrap_importance(result, x100, drivers, k_target, level) -> np.ndarray:
    rows = []
    data = result.data.to_numpy()
    for b, idx in enumerate(result.boot.indices):
        sd = data[idx].std(axis=0, ddof=1)
        w, _, total = _importance(result, x100[idx], sd, result.boot.draws["weights"][b].sum(axis=1))
        if level == "construct":
            rows.append([total[k, k_target] for k in drivers])
        else:
            rows.append([w[i] * total[k, k_target] for k in drivers for i in result.layout.block_index[k]])
    return np.array(rows)


def codebook_scales(result, codebook) -> dict:
    """Answer scale ``(min, max)`` of every indicator of a PLS result from the codebook
    (a single-item construct's column takes its item's scale)."""
    scales = {}
    for column in result.data.columns:
        if column in codebook.items:
            scales[column] = codebook.scale_of(column)
        else:
            scales[column] = codebook.scale_of(codebook.items_of(column)[0])
    return scales


def ipma_or_reason(result, target: str, *, scales=None, level: str = "construct") -> tuple[pd.DataFrame | None, str]:
    """:func:`ipma`, or ``(None, why not)`` when the map cannot be drawn (negative weights, no drivers)."""
    try:
        return ipma(result, target, scales=scales, level=level), ""
    except ValueError as exc:
        return None, f"No importance-performance map for {target}: {exc}"
