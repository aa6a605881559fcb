"""Exploratory factor analysis for when the five dimensions do not replicate.

The workflow: split the sample reproducibly (:func:`split_sample`), decide the
number of factors on the exploration half by parallel analysis
(:func:`parallel_analysis`), fit an EFA with an oblique rotation (:func:`efa`,
maximum likelihood and quartimin/oblimin from statsmodels), read the loading table
with cross-loadings flagged, turn it into lavaan syntax (:func:`efa_syntax`) and
confirm that CFA on the holdout half with :func:`sqlib.fit`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd


def split_sample(data: pd.DataFrame, fraction: float = 0.5, seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Randomly split respondents into an exploration and a confirmation sample (reproducible)."""
    if not 0 < fraction < 1:
        raise ValueError("fraction must be between 0 and 1 (the share of respondents used to explore).")
    order = np.random.default_rng(seed).permutation(len(data))
    cut = int(round(fraction * len(data)))
    return data.iloc[np.sort(order[:cut])], data.iloc[np.sort(order[cut:])]


def parallel_analysis(data: pd.DataFrame, items: list[str], *, n_iter: int = 100, quantile: float = 0.95,
                      seed: int = 0) -> pd.DataFrame:
    """Horn's parallel analysis on the correlation matrix (complete cases).

    Returns
    -------
    DataFrame
        ``factor, eigenvalue, random_eigenvalue, retain``: a factor is retained while its
        eigenvalue exceeds the ``quantile`` of eigenvalues from random normal data of the
        same size. The R equivalent is ``psych::fa.parallel(x, fa = "pc")``.
    """
    x = data[items].dropna().to_numpy(float)
    n, p = x.shape
    observed = np.linalg.eigvalsh(np.corrcoef(x, rowvar=False))[::-1]
    rng = np.random.default_rng(seed)
    random = np.array([np.linalg.eigvalsh(np.corrcoef(rng.standard_normal((n, p)), rowvar=False))[::-1]
                       for _ in range(n_iter)])
    threshold = np.quantile(random, quantile, axis=0)
    retain = np.cumprod(observed > threshold).astype(bool)
    return pd.DataFrame({"factor": np.arange(1, p + 1), "eigenvalue": observed,
                         "random_eigenvalue": threshold, "retain": retain})


@dataclass
class EFAResult:
    """Rotated loadings (items x factors), factor correlations and communalities."""

    loadings: pd.DataFrame
    factor_correlations: pd.DataFrame
    communalities: pd.Series
    rotation: str

    def loading_table(self, salient: float = 0.30) -> pd.DataFrame:
        """Loadings with the primary factor, and a flag for cross-loading items."""
        table = self.loadings.copy()
        absolute = self.loadings.abs()
        table["primary"] = absolute.idxmax(axis=1)
        table["cross_loading"] = (absolute >= salient).sum(axis=1) > 1
        table["communality"] = self.communalities
        return table


def efa(data: pd.DataFrame, items: list[str], n_factors: int, *, rotation: str = "oblimin") -> EFAResult:
    """Maximum-likelihood EFA with an oblique (default) rotation, via statsmodels.

    The R equivalent is ``psych::fa(x, nfactors, fm = "ml", rotate = "oblimin")``.
    Factors are ordered and signed so that each has mostly positive loadings.
    """
    from statsmodels.multivariate.factor import Factor

    x = data[items].dropna()
    res = Factor(x.to_numpy(float), n_factor=n_factors, method="ml", endog_names=items).fit()
    if n_factors > 1:
        res.rotate(rotation)
    loadings = np.asarray(res.loadings, dtype=float)
    t = np.asarray(getattr(res, "rotation_matrix", np.eye(n_factors)), dtype=float)
    phi = t.T @ t if rotation in ("oblimin", "promax") and n_factors > 1 else np.eye(n_factors)
    signs = np.where(loadings.sum(axis=0) < 0, -1.0, 1.0)
    loadings = loadings * signs
    phi = phi * np.outer(signs, signs)
    order = np.argsort([np.argmax(np.abs(loadings[:, k]) > 0.3) if (np.abs(loadings[:, k]) > 0.3).any() else len(items)
                        for k in range(n_factors)], kind="stable")
    names = [f"F{k + 1}" for k in range(n_factors)]
    loadings = pd.DataFrame(loadings[:, order], index=items, columns=names)
    phi = pd.DataFrame(phi[np.ix_(order, order)], index=names, columns=names)
    communalities = pd.Series(np.asarray(res.communality, dtype=float), index=items, name="communality")
    return EFAResult(loadings, phi, communalities, rotation)


def efa_syntax(result: EFAResult, *, min_loading: float = 0.40, names: dict[str, str] | None = None) -> str:
    """lavaan syntax for the CFA the EFA suggests: each item on its primary factor.

    Items whose largest loading is below ``min_loading`` are left out (listed in a
    comment); factors keeping fewer than two items are dropped.
    """
    names = names or {}
    table = result.loading_table()
    lines, dropped = [], []
    for factor in result.loadings.columns:
        items = [item for item, row in table.iterrows()
                 if row["primary"] == factor and abs(row[factor]) >= min_loading]
        if len(items) >= 2:
            lines.append(f"{names.get(factor, factor)} =~ " + " + ".join(items))
        else:
            dropped += items
    weak = [item for item, row in table.iterrows() if abs(row[row["primary"]]) < min_loading]
    if weak or dropped:
        lines.append("# left out (no salient loading or too few items): " + ", ".join(weak + dropped))
    return "\n".join(lines)
