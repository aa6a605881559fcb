"""Comparing two groups with a PLS path model: permutation test of path differences and MICOM.

*Permutation test* (Chin and Dibbern 2010; cSEM's ``testMGD(.approach_mgd = "Chin")``):
the model is fitted in each group; the group labels are shuffled ``n`` times and the
model refitted in both permuted groups; the p-value of a path difference is the share of
permutations with an absolute difference at least as large as observed, ``(k + 1) / (n + 1)``.

*MICOM* (Henseler, Ringle and Sarstedt 2016), steps 2 and 3 (step 1, configural
invariance, holds by construction when both groups use the same model and data treatment):

- step 2, compositional invariance: ``c`` = correlation of the composite scores computed
  on the pooled standardized data with group 1's and with group 2's weights; invariant
  when ``c`` is not below the 5% quantile of its permutation distribution.
- step 3, equal means and variances of the composites: scores from the pooled model; the
  mean difference and the log-variance ratio between the groups are compared with the
  2.5% and 97.5% quantiles of their permutation distributions.

*PLS-MGA* (Henseler, Ringle and Sinkovics 2009; seminr's ``estimate_pls_mga``, SmartPLS's
"PLS-MGA"): the model is fitted and bootstrapped in each group; with the bootstrap means
``m1, m2`` and draws ``b1_j, b2_k`` (the first ``J`` admissible draws of each group), the
one-sided p-value of "group 1's path is larger" is
``1 - #{(j, k): 2 m1 - b1_j - 2 m2 + b2_k > 0} / J**2``.

All permutations are fitted together (:mod:`sqlib.sem.pls`); permutation ``i`` uses the
random stream ``SeedSequence(seed).spawn(n)[i]``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from sqlib.sem import pls
from sqlib.sem.pls_bootstrap import bootstrap_pls
from sqlib.sem.pls_result import fit_pls


def _split(data: pd.DataFrame, group: str, order: tuple | None = None):
    if group not in data.columns:
        raise ValueError(f"The group column '{group}' is not in the data.")
    labels = data[group]
    levels = list(pd.unique(labels.dropna()))
    if order is not None:
        if sorted(map(str, order)) != sorted(map(str, levels)):
            raise ValueError(f"groups={tuple(order)} must name the two levels of '{group}': {levels}.")
        levels = [next(v for v in levels if str(v) == str(g)) for g in order]
    if len(levels) != 2:
        raise ValueError(f"The group column '{group}' has {len(levels)} levels ({levels}); these tests compare "
                         "exactly two groups: recode it or subset the data.")
    keep = labels.notna().to_numpy()
    return data[keep].reset_index(drop=True), (labels[keep] == levels[0]).to_numpy(), levels


def _permutations(n_rows: int, n: int, seed: int) -> np.ndarray:
    return np.array([np.random.default_rng(s).permutation(n_rows) for s in np.random.SeedSequence(seed).spawn(n)])


def _group_fits(fit, first: np.ndarray, perms: np.ndarray, settings: dict):
    """Estimates for group 1 and group 2 of every permutation (rows of the pooled data)."""
    x = fit.raw if fit.missing == "mean" else fit.data.to_numpy()
    in_first = first[perms]                               # (n, rows): permuted labels
    n1 = int(first.sum())
    order = np.argsort(~in_first, axis=1, kind="stable")  # group-1 rows first
    rows = np.arange(len(first))[order]
    estimates = []
    for idx in (rows[:, :n1], rows[:, n1:]):
        moments = pls.resample_moments(x, idx, fit.missing, settings["scaled"])
        estimates.append(pls.estimate(moments, fit.layout, **settings))
    return estimates


def permutation_test(model: str, data: pd.DataFrame, group: str, *, n: int = 1000, seed: int = 0,
                     scheme: str = "path", consistent: bool = False, missing: str = "mean") -> pd.DataFrame:
    """Permutation test of the difference of every path between two groups.

    Returns
    -------
    DataFrame
        ``lhs, op, rhs, est_<group 1>, est_<group 2>, diff, pvalue``; attrs ``n``, ``seed``, ``groups``.

    Examples
    --------
    R: ``cSEM::testMGD(csem(data, model, .id = group), .approach_mgd = "Chin", .R_permutation = 1000)``.
    """
    pooled, first, levels = _split(data, group)
    fit = fit_pls(model, pooled, scheme=scheme, consistent=consistent, missing=missing)
    first = first[fit.data.index.to_numpy()]  # rows kept (listwise deletion drops some)
    identity = np.arange(len(first))[None]
    observed = [e.paths[0] for e in _group_fits(fit, first, identity, fit.algorithm)]
    permuted = _group_fits(fit, first, _permutations(len(first), n, seed), fit.algorithm)
    diff_perm = permuted[0].paths - permuted[1].paths
    pos = {c: k for k, c in enumerate(fit.constructs)}
    rows = []
    for s, t in fit.spec.paths:
        a, b = observed[0][pos[s], pos[t]], observed[1][pos[s], pos[t]]
        extreme = np.sum(np.abs(diff_perm[:, pos[s], pos[t]]) >= abs(a - b) - 1e-12)
        rows.append((t, "~", s, a, b, a - b, (extreme + 1) / (n + 1)))
    out = pd.DataFrame(rows, columns=["lhs", "op", "rhs", f"est_{levels[0]}", f"est_{levels[1]}", "diff", "pvalue"])
    out.attrs.update(n=n, seed=seed, groups=levels)
    return out


def pls_mga(model: str, data: pd.DataFrame, group: str, *, n: int = 1000, seed: int = 0, scheme: str = "path",
            consistent: bool = False, missing: str = "mean", indices: tuple | None = None,
            groups: tuple | None = None) -> pd.DataFrame:
    """PLS-MGA: Henseler's bootstrap comparison of every path between two groups.

    Each group is fitted on its own rows and bootstrapped ``n`` times with ``seed`` (the
    same seed in both groups, as seminr); ``indices=(rows_1, rows_2)`` injects the resamples
    (0-based rows within each group, draws x rows), e.g. R's own. Group 1 is the level met first
    in the data unless ``groups=(g1, g2)`` names the order.

    Returns
    -------
    DataFrame
        ``lhs, op, rhs, est`` (pooled data), ``est_<g1>, est_<g2>, diff``, ``boot_mean_<g1>,
        boot_mean_<g2>``, ``p_one_sided`` (small when group 1's path is larger, seminr's
        ``pls_mga_p``) and ``p_two_sided`` (``2 min(p, 1 - p)``, any difference); attrs ``n``,
        ``draws_used``, ``seed``, ``groups`` (group 1 first).

    Examples
    --------
    R: ``seminr::estimate_pls_mga(estimate_pls(data, mm, sm), condition, nboot = 1000)``.
    """
    pooled, first, levels = _split(data, group, groups)
    settings = {"scheme": scheme, "consistent": consistent, "missing": missing}
    fit = fit_pls(model, pooled, **settings)
    parts = [pooled[first].drop(columns=group), pooled[~first].drop(columns=group)]
    fits = [fit_pls(model, part, **settings) for part in parts]
    boots = [bootstrap_pls(f, n, seed, indices=None if indices is None else np.asarray(idx))
             for f, idx in zip(fits, indices or (None, None))]
    used = min(int(b.draws["converged"].sum()) for b in boots)
    draws = [b.draws["paths"][b.draws["converged"]][:used] for b in boots]
    pos = {c: k for k, c in enumerate(fit.constructs)}
    rows = []
    for s, t in fit.spec.paths:
        i, j = pos[s], pos[t]
        b1, b2 = draws[0][:, i, j], draws[1][:, i, j]
        p = _mga_pvalue(b1, b2)
        rows.append((t, "~", s, fit.paths.iloc[i, j], fits[0].paths.iloc[i, j], fits[1].paths.iloc[i, j],
                     fits[0].paths.iloc[i, j] - fits[1].paths.iloc[i, j], b1.mean(), b2.mean(), p,
                     2 * min(p, 1 - p)))
    g1, g2 = levels
    out = pd.DataFrame(rows, columns=["lhs", "op", "rhs", "est", f"est_{g1}", f"est_{g2}", "diff",
                                      f"boot_mean_{g1}", f"boot_mean_{g2}", "p_one_sided", "p_two_sided"])
    out.attrs.update(n=n, draws_used=used, seed=None if indices is not None else seed, groups=levels)
    return out


def _mga_pvalue(b1: np.ndarray, b2: np.ndarray) -> float:
    """Henseler's one-sided PLS-MGA p-value from the two groups' bootstrap draws of one path."""
    centred1 = 2 * b1.mean() - b1
    centred2 = np.sort(2 * b2.mean() - b2)
    below = np.searchsorted(centred2, centred1, side="left")  # pairs with centred1 - centred2 > 0
    return 1.0 - below.sum() / (len(b1) * len(b2))


def micom(model: str, data: pd.DataFrame, group: str, *, n: int = 1000, seed: int = 0, scheme: str = "path",
          missing: str = "mean", alpha: float = 0.05) -> pd.DataFrame:
    """MICOM steps 2 (compositional invariance) and 3 (equal composite means and variances).

    Returns
    -------
    DataFrame
        One row per construct: ``c``, ``c_quantile`` (the ``alpha`` quantile of the permuted c),
        ``c_pvalue``, ``compositional_invariance``; ``mean_diff`` with ``mean_lower/upper`` and
        ``equal_means``; ``logvar_diff`` with ``logvar_lower/upper`` and ``equal_variances``.

    Examples
    --------
    R: ``cSEM::testMICOM(csem(data, model, .id = group), .R = 1000)``.
    """
    pooled, first, levels = _split(data, group)
    fit = fit_pls(model, pooled, scheme=scheme, missing=missing)
    first = first[fit.data.index.to_numpy()]
    settings = fit.algorithm
    perms = _permutations(len(first), n, seed)
    identity = np.arange(len(first))[None]
    c_obs = _composite_correlation(fit.corr, _group_fits(fit, first, identity, settings), fit.layout)[0]
    c_perm = _composite_correlation(fit.corr, _group_fits(fit, first, perms, settings), fit.layout)
    scores = fit.scores.to_numpy()
    labels = first[np.vstack([identity, perms])]
    mean_d, logvar_d = _moment_differences(scores, labels)
    lo, hi = alpha / 2, 1 - alpha / 2
    table = pd.DataFrame({
        "c": c_obs, "c_quantile": np.quantile(c_perm, alpha, axis=0),
        "c_pvalue": (np.sum(c_perm <= c_obs + 1e-12, axis=0) + 1) / (n + 1),
        "mean_diff": mean_d[0], "mean_lower": np.quantile(mean_d[1:], lo, axis=0),
        "mean_upper": np.quantile(mean_d[1:], hi, axis=0),
        "logvar_diff": logvar_d[0], "logvar_lower": np.quantile(logvar_d[1:], lo, axis=0),
        "logvar_upper": np.quantile(logvar_d[1:], hi, axis=0)}, index=pd.Index(fit.constructs, name="construct"))
    table.insert(3, "compositional_invariance", table["c"] >= table["c_quantile"])
    table["equal_means"] = table["mean_diff"].between(table["mean_lower"], table["mean_upper"])
    table["equal_variances"] = table["logvar_diff"].between(table["logvar_lower"], table["logvar_upper"])
    table.attrs.update(n=n, seed=seed, groups=levels, alpha=alpha)
    return table


def _composite_correlation(corr: np.ndarray, group_estimates, layout) -> np.ndarray:
    """c per construct: correlation of pooled-data composites with the two groups' weights."""
    w1 = group_estimates[0].weights.sum(axis=2)
    w2 = group_estimates[1].weights.sum(axis=2)
    out = np.empty((w1.shape[0], layout.mask.shape[1]))
    for k, idx in enumerate(layout.block_index):
        s = corr[np.ix_(idx, idx)]
        a, b = w1[:, idx], w2[:, idx]
        out[:, k] = np.einsum("bi,ij,bj->b", a, s, b) / np.sqrt(np.einsum("bi,ij,bj->b", a, s, a)
                                                               * np.einsum("bi,ij,bj->b", b, s, b))
    return out


def _moment_differences(scores: np.ndarray, labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean difference and log-variance ratio of group 1 vs 2 for every labelling (rows of ``labels``)."""
    g1 = labels.astype(float)
    g2 = 1.0 - g1
    n1, n2 = g1.sum(axis=1, keepdims=True), g2.sum(axis=1, keepdims=True)
    m1, m2 = g1 @ scores / n1, g2 @ scores / n2
    v1 = (g1 @ scores**2 - n1 * m1**2) / (n1 - 1)
    v2 = (g2 @ scores**2 - n2 * m2**2) / (n2 - 1)
    return m1 - m2, np.log(v1) - np.log(v2)
