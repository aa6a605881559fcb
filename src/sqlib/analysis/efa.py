"""Exploratory factor analysis for when the five dimensions do not replicate.

The workflow: split the sample reproducibly (:func:`split_sample`), decide the
number of factors on the exploration half by parallel analysis
(:func:`parallel_analysis`), fit an EFA with an oblique rotation (:func:`efa`,
maximum likelihood and quartimin/oblimin from statsmodels), read the loading table
with cross-loadings flagged, turn it into lavaan syntax (:func:`efa_syntax`) and
confirm that CFA on the holdout half with :func:`sqlib.fit`.

Every random step takes ``seed`` (an int or a ``numpy.random.Generator``): the split,
the random data of parallel analysis, the EM start of the maximum-likelihood fit and
any extra random rotation starts. The same seed gives byte-identical tables.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from sqlib.core.formatting import brief_html


Seed = "int | np.random.Generator"


def _generator(seed, where: str) -> np.random.Generator:
    """A Generator from an int seed or a Generator; anything else is an error."""
    if isinstance(seed, np.random.Generator):
        return seed
    if isinstance(seed, (bool, np.bool_)) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise TypeError(f"{where}: seed must be a non-negative integer or a numpy.random.Generator, "
                        f"got {seed!r}; pass e.g. seed=12345 (the report's params seed).")
    return np.random.default_rng(int(seed))


def split_sample(data: pd.DataFrame, fraction: float = 0.5, seed: Seed = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Randomly split respondents into an exploration and a confirmation sample (reproducible).

    Parameters
    ----------
    data : pandas.DataFrame
    fraction : float
        Share of respondents in the exploration sample.
    seed : int or numpy.random.Generator
        The same seed gives the same split.

    Returns
    -------
    (explore, confirm) : two DataFrames, rows in their original order.

    Examples
    --------
    >>> import sqlib
    >>> explore, confirm = split_sample(sqlib.load_sample(), seed=1)

    R equivalent: ``set.seed(1); idx <- sample(nrow(x), nrow(x) / 2)``.
    """
    if not 0 < fraction < 1:
        raise ValueError("fraction must be between 0 and 1 (the share of respondents used to explore).")
    order = _generator(seed, "split_sample").permutation(len(data))
    cut = int(round(fraction * len(data)))
    return data.iloc[np.sort(order[:cut])], data.iloc[np.sort(order[cut:])]


def parallel_analysis(data: pd.DataFrame, items: list[str], *, n_iter: int = 100, quantile: float = 0.95,
                      seed: Seed = 0) -> pd.DataFrame:
    """Horn's parallel analysis on the correlation matrix (complete cases).

    Returns
    -------
    DataFrame
        ``factor, eigenvalue, random_eigenvalue, retain``: a factor is retained while its
        eigenvalue exceeds the ``quantile`` of eigenvalues from random normal data of the
        same size. The R equivalent is ``psych::fa.parallel(x, fa = "pc")``.

    The random data come from ``seed`` (an int or a ``numpy.random.Generator``): the
    same seed gives the same thresholds.
    """
    x = data[items].dropna().to_numpy(float)
    n, p = x.shape
    observed = np.linalg.eigvalsh(np.corrcoef(x, rowvar=False))[::-1]
    rng = _generator(seed, "parallel_analysis")
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

    def _lines(self) -> list[str]:
        table = self.loading_table()
        return [f"EFA: {self.loadings.shape[1]} factors, {self.rotation} rotation, {len(self.loadings)} items",
                f"{int(table['cross_loading'].sum())} cross-loading item(s); .loading_table() shows them"]

    def __repr__(self) -> str:
        return "\n  ".join(self._lines())

    def _repr_html_(self) -> str:
        return brief_html(self._lines(), self.loading_table().to_html(float_format=lambda x: f"{x:.3f}"))

    def loading_table(self, salient: float = 0.30) -> pd.DataFrame:
        """Loadings with the primary factor, and a flag for cross-loading items."""
        table = self.loadings.copy()
        absolute = self.loadings.abs()
        table["primary"] = absolute.idxmax(axis=1)
        table["cross_loading"] = (absolute >= salient).sum(axis=1) > 1
        table["communality"] = self.communalities
        return table


def efa(data: pd.DataFrame, items: list[str], n_factors: int, *, rotation: str = "oblimin",
        seed: Seed = 0, rotation_starts: int = 1) -> EFAResult:
    """Maximum-likelihood EFA with an oblique (default) rotation, via statsmodels.

    Parameters
    ----------
    data : pandas.DataFrame
    items : list of str
    n_factors : int
    rotation : str
        ``"oblimin"`` (quartimin), ``"promax"``, ``"varimax"`` or another statsmodels rotation.
    seed : int or numpy.random.Generator
        Draws the EM starting loadings of the ML fit and the random rotation starts; the
        same seed gives byte-identical loadings.
    rotation_starts : int
        1 (default): the rotation starts from the unrotated solution, as GPArotation does.
        More: also from ``rotation_starts - 1`` random orthogonal matrices drawn from
        ``seed``, keeping the lowest rotation criterion (``oblimin`` and ``varimax`` only).

    Returns
    -------
    EFAResult
        Factors are ordered and signed so that each has mostly positive loadings.

    Examples
    --------
    >>> import sqlib
    >>> cb = sqlib.Codebook.servqual()
    >>> result = efa(sqlib.load_sample(), cb.items, 7, seed=1)

    The R equivalent is ``psych::fa(x, nfactors, fm = "ml", rotate = "oblimin")``
    (``GPArotation``'s ``randStart`` for ``rotation_starts``).
    """
    from statsmodels.multivariate.factor import Factor

    rng = _generator(seed, "efa")
    if rotation_starts < 1 or int(rotation_starts) != rotation_starts:
        raise ValueError(f"efa: rotation_starts must be a whole number >= 1, got {rotation_starts!r}.")
    x = data[items].dropna()
    res = Factor(x.to_numpy(float), n_factor=n_factors, method="ml", endog_names=items).fit(rng=rng)
    if n_factors > 1:
        loadings, t = _rotate(res, rotation, int(rotation_starts), rng)
    else:
        loadings, t = np.asarray(res.loadings, dtype=float), np.eye(1)
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


def _rotate(res, rotation: str, starts: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Rotated loadings and rotation matrix; the best of ``starts`` starts by the criterion."""
    if starts == 1:
        res.rotate(rotation)
        return np.asarray(res.loadings, dtype=float), np.asarray(res.rotation_matrix, dtype=float)
    from statsmodels.multivariate.factor_rotation import rotate_factors

    criteria = {"oblimin": ("quartimin", _quartimin_criterion), "varimax": ("varimax", _varimax_criterion)}
    if rotation not in criteria:
        raise ValueError(f"efa: rotation_starts > 1 is available for 'oblimin' and 'varimax', not "
                         f"{rotation!r}; use rotation_starts=1.")
    method, criterion = criteria[rotation]
    unrotated = np.asarray(res.loadings_no_rot, dtype=float)
    k = unrotated.shape[1]
    candidates = [np.eye(k)] + [np.linalg.qr(rng.standard_normal((k, k)))[0] for _ in range(starts - 1)]
    best = None
    for start in candidates:
        loadings, t = rotate_factors(unrotated, method, T=start)
        value = float(criterion(loadings))
        if best is None or value < best[0] - 1e-10:
            best = (value, loadings, t)
    return np.asarray(best[1], dtype=float), np.asarray(best[2], dtype=float)


def _quartimin_criterion(loadings: np.ndarray) -> float:
    """Sum over items of the products of squared loadings on different factors (minimised)."""
    squared = loadings ** 2
    return float(((squared.sum(axis=1) ** 2 - (squared ** 2).sum(axis=1)) / 2).sum())


def _varimax_criterion(loadings: np.ndarray) -> float:
    """Minus the variance of squared loadings within factors (minimised)."""
    squared = loadings ** 2
    return float(-((squared ** 2).sum(axis=0) - squared.sum(axis=0) ** 2 / len(loadings)).sum())


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
