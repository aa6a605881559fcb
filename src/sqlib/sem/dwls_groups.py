"""WLSMV for ordinal items in several groups, and with the identification of Wu & Estabrook (2016).

The statistics of each group (thresholds, polychoric correlations, Gamma) are stacked; with
sample statistics s_g, their model-implied values sigma_g(theta), the weights
W_g = diag(1 / diag(Gamma_g)) and the group shares f_g = n_g / N:

* value  F = sum_g f_g (s_g - sigma_g)' W_g (s_g - sigma_g); chisq = sum_g (n_g - 1) F_g
  (lavaan's DWLS statistic counts n_g - 1), fmin = chisq / 2N
* information  E = sum_g f_g Delta_g' W_g Delta_g      (Delta = d sigma / d theta)
* robust covariance (lavaan's ``se = "robust.sem"``):
  E^-1 [sum_g f_g Delta_g' W_g Gamma_g W_g Delta_g] E^-1 / (N - G)
* scaled-shifted test with V = blockdiag(f_g W_g), Gamma = blockdiag(Gamma_g / f_g).

The delta parameterization is used: latent responses have variance 1 / delta^2 (delta, the
scaling factor ``~*~``, is 1 unless freed in groups 2, 3, ...); the implied thresholds are
delta (tau - mu) and the implied correlations delta_i delta_j Sigma_ij. One group of
ordinal, continuous or pairwise-deleted items is fitted by :mod:`sqlib.sem.dwls`.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import linalg, stats

from sqlib.core.errors import ModelSpecificationError

from .data import prepare_data
from .dwls import check_predictors, chi_square_tests, refuse_single_category_items, scaled_shifted
from .estimation import GroupStats, start_values
from .fitchecks import check_linear_dependence, warn_continuous_ordered
from .fitmeasures import rmsea_interval, robust_fit_measures
from .information import invert_information
from .ordinal import OrdinalStats, ordinal_stats
from .partable import build_spec, check_counts, check_group_modifiers
from .ram import RAMModel
from .stages import Estimation


@dataclass
class GroupLayout:
    """Where one group's statistics come from: thresholds, scaling factors, correlations."""

    s: np.ndarray              # sample statistics (thresholds, then correlations)
    w: np.ndarray              # DWLS weights 1 / diag(Gamma)
    th_free: np.ndarray        # parameter index of each threshold (-1 fixed)
    th_fixed: np.ndarray       # value of fixed thresholds
    th_item: np.ndarray        # item (observed-variable index) of each threshold
    scale_free: np.ndarray     # per observed variable: parameter index of delta (-1 fixed)
    scale_fixed: np.ndarray    # per observed variable: fixed delta (1 when none)


def group_layout(model: RAMModel, ost: OrdinalStats, g: int) -> GroupLayout:
    """Read group ``g``'s threshold and scaling-factor rows from the model's parameter table."""
    rows = [r for r in model.spec.rows if r.group == g]
    th = [r for r in rows if r.op == "|"]
    p = model.p
    scale_free, scale_fixed = np.full(p, -1), np.ones(p)
    for r in rows:
        if r.op == "~*~":
            i = model.index[r.lhs]
            scale_free[i], scale_fixed[i] = r.free, (r.value if r.free < 0 else 1.0)
    return GroupLayout(
        s=np.concatenate([ost.threshold_vector, ost.cor_vector]), w=1.0 / np.diag(ost.gamma),
        th_free=np.array([r.free for r in th], dtype=int),
        th_fixed=np.array([r.value for r in th], dtype=float),
        th_item=np.array([model.index[r.lhs] for r in th], dtype=int),
        scale_free=scale_free, scale_fixed=scale_fixed)


class GroupedDWLSObjective:
    """Diagonally weighted least squares for ordinal items, one block per group.

    Per group, with scaling factors delta (1 unless freed) and the implied means mu and
    covariances Sigma of the latent responses, the implied thresholds are
    delta_j (tau_jk - mu_j) and the implied correlations delta_i delta_j Sigma_ij
    (lavaan's delta parameterization). Groups are weighted by n_g / N as in lavaan:
    ``v`` = (n_g / N) W_g and ``gamma_all`` = blockdiag(Gamma_g N / n_g), so that the
    one-group formulas apply to the stacked statistics unchanged.
    """

    name = "DWLS"

    def __init__(self, model: RAMModel, ordinal):
        groups = list(ordinal) if isinstance(ordinal, (list, tuple)) else [ordinal]
        self.model = model
        self.ordinal_groups = groups
        self.ordinal = groups[0]
        self.ntotal = sum(o.n for o in groups)
        self.weights = [o.n / self.ntotal for o in groups]
        self.stats = [GroupStats(o.n, o.cor, np.zeros(len(o.names)), float(np.linalg.slogdet(o.cor)[1]))
                      for o in groups]
        self.meanstructure = True
        self.rows, self.cols = self.ordinal.pairs
        self.layouts = [group_layout(model, o, g + 1) for g, o in enumerate(groups)]
        self.n_th = self.layouts[0].th_free.size
        self.s = np.concatenate([lay.s for lay in self.layouts])
        self.w = np.concatenate([lay.w for lay in self.layouts])
        self.v = np.concatenate([f * lay.w for f, lay in zip(self.weights, self.layouts)])
        self.gamma_all = linalg.block_diag(*[o.gamma / f for o, f in zip(groups, self.weights)])
        self.sizes = [lay.s.size for lay in self.layouts]

    def resampled(self, blocks: list[np.ndarray]) -> "GroupedDWLSObjective | None":
        """The same objective on other data (a bootstrap draw, one block per group); None when a draw
        lacks a category of an item in a group (its thresholds would differ) or its polychorics
        cannot be computed."""
        stats_ = []
        for block, old in zip(blocks, self.ordinal_groups):
            try:
                ost = ordinal_stats(block, old.names)
            except (ModelSpecificationError, np.linalg.LinAlgError, ValueError):
                return None
            if [t.size for t in ost.thresholds] != [t.size for t in old.thresholds]:
                return None
            stats_.append(ost)
        return GroupedDWLSObjective(self.model, stats_)

    def _parts(self, theta: np.ndarray, g: int):
        lay = self.layouts[g]
        mom = self.model.moments(theta, g + 1)
        delta = np.where(lay.scale_free >= 0, theta[np.maximum(lay.scale_free, 0)], lay.scale_fixed)
        tau = np.where(lay.th_free >= 0, theta[np.maximum(lay.th_free, 0)], lay.th_fixed)
        return lay, mom, delta, tau

    def implied_group(self, theta: np.ndarray, g: int) -> np.ndarray:
        lay, mom, delta, tau = self._parts(theta, g)
        i, j, item = self.rows, self.cols, lay.th_item
        return np.concatenate([delta[item] * (tau - mom["mu"][item]),
                               delta[i] * delta[j] * mom["sigma"][i, j]])

    def implied(self, theta: np.ndarray) -> np.ndarray:
        return np.concatenate([self.implied_group(theta, g) for g in range(len(self.layouts))])

    def value(self, theta: np.ndarray) -> float:
        r = self.s - self.implied(theta)
        return float(np.sum(self.v * r * r))

    def value_and_gradient(self, theta: np.ndarray) -> tuple[float, np.ndarray]:
        total, grad = 0.0, np.zeros(theta.size)
        i, j = self.rows, self.cols
        p = self.model.p
        for g, f in enumerate(self.weights):
            lay, mom, delta, tau = self._parts(theta, g)
            item, sigma, mu = lay.th_item, mom["sigma"], mom["mu"]
            n_th = item.size
            r = lay.s - np.concatenate([delta[item] * (tau - mu[item]), delta[i] * delta[j] * sigma[i, j]])
            total += f * float(np.sum(lay.w * r * r))
            a = -2.0 * f * lay.w * r                      # d F / d implied
            a_th, a_c = a[:n_th], a[n_th:]
            omega = np.zeros((p, p))
            omega[i, j] = omega[j, i] = 0.5 * a_c * delta[i] * delta[j]
            omega_mu = np.zeros(p)
            np.add.at(omega_mu, item, -a_th * delta[item])
            grad += self.model.gradient(g + 1, mom, omega, omega_mu)
            free = lay.th_free >= 0
            np.add.at(grad, lay.th_free[free], (a_th * delta[item])[free])
            g_delta = np.zeros(p)
            np.add.at(g_delta, item, a_th * (tau - mu[item]))
            np.add.at(g_delta, i, a_c * delta[j] * sigma[i, j])
            np.add.at(g_delta, j, a_c * delta[i] * sigma[i, j])
            free = lay.scale_free >= 0
            np.add.at(grad, lay.scale_free[free], g_delta[free])
        return total, grad

    def score_gradient(self, theta: np.ndarray) -> np.ndarray:
        """The gradient as lavaan's score tests use it: group g's part times (n_g - 1) / n_g."""
        out = np.zeros(theta.size)
        for g, (lay, f, o) in enumerate(zip(self.layouts, self.weights, self.ordinal_groups)):
            r = lay.s - self.implied_group(theta, g)
            out += -2.0 * f * (o.n - 1) / o.n * (self.delta_group(theta, g).T @ (lay.w * r))
        return out

    def delta_group(self, theta: np.ndarray, g: int) -> np.ndarray:
        """d (implied statistics of group g) / d theta."""
        lay, mom, delta, tau = self._parts(theta, g)
        d_sigma, d_mu = self.model.jacobian(theta, g + 1, mom)
        i, j, item = self.rows, self.cols, lay.th_item
        n_th, sigma, mu = item.size, mom["sigma"], mom["mu"]
        out = np.zeros((lay.s.size, theta.size))
        out[:n_th] = -delta[item][:, None] * d_mu[item]
        out[n_th:] = (delta[i] * delta[j])[:, None] * d_sigma[i, j, :]
        t = np.arange(n_th)
        free = lay.th_free >= 0
        np.add.at(out, (t[free], lay.th_free[free]), delta[item][free])
        k = lay.scale_free
        free = k[item] >= 0
        np.add.at(out, (t[free], k[item][free]), (tau - mu[item])[free])
        c = np.arange(i.size) + n_th
        for a, b in ((i, j), (j, i)):
            free = k[a] >= 0
            np.add.at(out, (c[free], k[a][free]), (delta[b] * sigma[i, j])[free])
        return out

    def delta(self, theta: np.ndarray) -> np.ndarray:
        """d sigma / d theta: (number of statistics x number of parameters), groups stacked."""
        return np.vstack([self.delta_group(theta, g) for g in range(len(self.layouts))])

    def information(self, theta: np.ndarray) -> np.ndarray:
        d = self.delta(theta)
        return d.T @ (self.v[:, None] * d)


def robust_dwls_groups(objective: GroupedDWLSObjective, theta: np.ndarray, info_inv: np.ndarray, df: int) -> dict:
    """Sandwich covariance of the estimates and the scaled-shifted test ingredients.

    ``info_inv`` is the inverse of ``Delta' W Delta``.
    """
    d = objective.delta(theta)
    gamma = objective.gamma_all
    wd = objective.v[:, None] * d
    meat = wd.T @ gamma @ wd
    # lavaan divides by N - G (the groups' n_g - 1), like its test statistic
    vcov = info_inv @ meat @ info_inv / (objective.ntotal - len(objective.layouts))
    u = np.diag(objective.v) - wd @ info_inv @ wd.T
    ug = u @ gamma
    return {"vcov": vcov, "ug_trace": float(np.trace(ug)), "ug2_trace": float(np.sum(ug * ug.T)),
            "delta": d, "info_inv": info_inv}


def _rmsea(x2, df, n, groups=1) -> dict:
    value = np.sqrt(max(x2 / (n * df) - 1 / n, 0.0)) * np.sqrt(groups) if df > 0 else 0.0
    lo, hi = rmsea_interval(x2, df, n, groups)
    return {"rmsea": value, "rmsea_ci_lower": lo, "rmsea_ci_upper": hi,
            "rmsea_pvalue": stats.ncx2.sf(x2, df, n * df * 0.05**2 / groups) if df > 0 else np.nan}


def _group_slices(objective: GroupedDWLSObjective) -> list[tuple[slice, slice]]:
    """Per group: the slice of its thresholds and of its correlations in the stacked statistics."""
    out, start = [], 0
    for lay in objective.layouts:
        n_th = lay.th_item.size
        out.append((slice(start, start + n_th), slice(start + n_th, start + lay.s.size)))
        start += lay.s.size
    return out


def catml_robust_groups(objective: GroupedDWLSObjective, theta: np.ndarray, df: int, robust: dict) -> dict:
    """Robust CFI/TLI/RMSEA for WLSMV as lavaan computes them (Savalei 2021).

    The model is evaluated by normal-theory ML on the polychoric correlations at the
    DWLS estimates (lavaan's "catML"), and that statistic is corrected with
    c = tr(U' V U Gamma) / df, where U = I - Delta E^-1 Delta' W on the correlations and V
    is the ML weight of the correlation structure at the implied correlations (groups
    stacked, weighted by n_g / N as lavaan does). Nothing is reported when a polychoric
    matrix is not positive definite (as lavaan).
    """
    groups = objective.ordinal_groups
    if any(np.linalg.eigvalsh(o.cor)[0] < np.sqrt(np.finfo(float).eps) for o in groups):
        return {}
    i, j = objective.rows, objective.cols
    slices = [c for _, c in _group_slices(objective)]
    d_r = np.vstack([robust["delta"][c] for c in slices])
    w_r = np.concatenate([objective.v[c] for c in slices])
    g_r = linalg.block_diag(*[objective.gamma_all[c, c] for c in slices])
    v_blocks, x3, x3_null = [], 0.0, 0.0
    for g, (o, f) in enumerate(zip(groups, objective.weights)):
        sigma = objective.model.moments(theta, g + 1)["sigma"]
        inv = np.linalg.inv(sigma)
        v_blocks.append(f * (inv[np.ix_(i, i)] * inv[np.ix_(j, j)] + inv[np.ix_(i, j)] * inv[np.ix_(j, i)]))
        p = o.cor.shape[0]
        f_ml = np.linalg.slogdet(sigma)[1] - np.linalg.slogdet(o.cor)[1] + np.sum(o.cor * inv) - p
        x3 += o.n * f_ml
        x3_null += -o.n * np.linalg.slogdet(o.cor)[1]
    v = linalg.block_diag(*v_blocks)
    u = np.eye(w_r.size) - (d_r @ robust["info_inv"] @ d_r.T) * w_r[None, :]
    c_hat = float(np.trace(u.T @ v @ u @ g_r)) / df if df > 0 else 1.0  # saturated: no correction needed
    df_null = w_r.size
    c_null = float(np.trace(g_r)) / df_null
    n, ngroups = objective.ntotal, len(groups)
    # lavaan's RMSEA for these counts N - G, like its DWLS statistic
    out = robust_fit_measures(chisq=x3, df=df, baseline_chisq=x3_null, baseline_df=df_null, scaling=c_hat,
                              baseline_scaling=c_null, ntotal=n - ngroups, groups=ngroups)
    keep = {k: out[k] for k in ("cfi_robust", "tli_robust", "rmsea_robust", "rmsea_ci_lower_robust",
                                "rmsea_ci_upper_robust")}
    keep["nnfi_robust"] = keep["tli_robust"]
    keep["rni_robust"] = 1 - (x3 - c_hat * df) / (x3_null - c_null * df_null)
    return keep


def wlsmv_group_fit_measures(objective: GroupedDWLSObjective, theta: np.ndarray, npar: int, df: int, robust: dict) -> pd.Series:
    """lavaan's fit measures for WLSMV (standard and scaled-shifted versions).

    With several groups the statistic is sum_g (n_g - 1) F_g, and lavaan's RMSEA counts
    N - G observations and multiplies by sqrt(G).
    """
    n, ngroups = objective.ntotal, len(objective.layouts)
    slices = _group_slices(objective)
    r = objective.s - objective.implied(theta)
    per_group = [float(np.sum(lay.w * r[t.start:c.stop] ** 2)) for lay, (t, c) in zip(objective.layouts, slices)]
    counts = np.array([o.n for o in objective.ordinal_groups])
    x2 = float(np.sum((counts - 1) * per_group))
    x2s, scaling, shift = scaled_shifted(x2, df, robust["ug_trace"], robust["ug2_trace"])
    # independence baseline: thresholds saturated, correlations zero
    x2b, dfb, ug_tr, ug2_tr = 0.0, 0, 0.0, 0.0
    for o, lay, (t, c) in zip(objective.ordinal_groups, objective.layouts, slices):
        w_r = lay.w[t.stop - t.start:]
        g_rr = o.gamma[t.stop - t.start:, t.stop - t.start:]
        x2b += (o.n - 1) * float(np.sum(w_r * o.cor_vector ** 2))
        dfb += w_r.size
        ug_b = w_r[:, None] * g_rr
        ug_tr += float(np.trace(ug_b))
        ug2_tr += float(np.sum(ug_b * ug_b.T))
    x2bs, scaling_b, _ = scaled_shifted(x2b, dfb, ug_tr, ug2_tr)
    out = chi_square_tests(npar, x2 / (2 * n), df, dfb, (x2, x2s, scaling, shift), (x2b, x2bs, scaling_b))
    # like the statistic, lavaan's RMSEA for DWLS counts N - G observations
    out.update(_rmsea(x2, df, n - ngroups, ngroups))
    out.update({f"{k}_scaled": v for k, v in _rmsea(x2s, df, n - ngroups, ngroups).items()})
    out["rmsea_ci_level"] = 0.90
    out.update(_residual_measures(objective, theta, r, slices))
    out["wrmr"] = float(np.sqrt(x2 / objective.layouts[0].s.size))
    nel = objective.layouts[0].s.size
    out["agfi"] = 1 - nel * ngroups / df * (1 - out["gfi"]) if df > 0 else 1.0
    out["pgfi"] = df / (nel * ngroups) * out["gfi"]
    out.update(catml_robust_groups(objective, theta, df, robust))
    out["ntotal"] = n
    return pd.Series(out, dtype=float)


def _residual_measures(objective: GroupedDWLSObjective, theta: np.ndarray, r: np.ndarray, slices) -> dict:
    """SRMR/RMR/CRMR and GFI per group, averaged with weights n_g / N (as lavaan)."""
    keys = ("srmr", "srmr_bentler", "rmr", "crmr", "crmr_nomean", "srmr_nomean", "gfi")
    out = dict.fromkeys(keys, 0.0)
    for g, (o, lay, f, (t, c)) in enumerate(zip(objective.ordinal_groups, objective.layouts,
                                                 objective.weights, slices)):
        n_th = t.stop - t.start
        e = r[t.start:c.stop]
        # correlation residuals on the observed scale (delta-scaled), and the threshold
        # residuals that lavaan's "with mean" versions count (zero when thresholds are free)
        off = e[n_th:] ** 2
        th_sq = float(np.sum(e[:n_th] ** 2))
        squares = off   # the diagonal residuals are zero
        n_cells = off.size + o.cor.shape[0]
        values = {"srmr_nomean": np.sqrt(squares.sum() / n_cells),
                  "srmr_bentler": np.sqrt((squares.sum() + th_sq) / (n_cells + n_th)),
                  "crmr_nomean": np.sqrt(np.mean(off)), "crmr": np.sqrt((off.sum() + th_sq) / (off.size + n_th)),
                  # GFI with the DWLS weights over all statistics (thresholds and correlations), as lavaan
                  "gfi": 1 - float(np.sum(lay.w * e * e) / np.sum(lay.w * lay.s ** 2))}
        values["srmr"] = values["srmr_nomean"]
        values["rmr"] = values["srmr_bentler"]
        for k in keys:
            out[k] += f * values[k]
    out["srmr_bentler_nomean"] = out["rmr_nomean"] = out.pop("srmr_nomean")
    return out


# ------------------------------------------------------------------ WLSMV steps of the recipe registry
def grouped_ordinal_data(est: Estimation) -> None:
    """Listwise deletion; per group thresholds, polychoric correlations and their asymptotic
    covariance (Gamma). A category empty in one group is refused, naming the counts."""
    opts = est.options
    ov = opts.probe.ov_names
    refuse_single_category_items(est.data, opts.ordered)
    est.levels, est.blocks, est.n_dropped = prepare_data(est.data, ov, opts.group)
    if len(est.blocks) > 1:
        check_categories_across_groups(est.blocks, ov, est.levels)
    for x in est.blocks:
        warn_continuous_ordered(pd.DataFrame(x, columns=ov), list(opts.ordered))
        check_linear_dependence(np.cov(x.T), ov)
    est.ordinal = [cached_ordinal_stats(x, ov) for x in est.blocks]


def grouped_ordinal_model(est: Estimation) -> None:
    """Parameter table with thresholds and scaling factors per group; latent responses scaled by
    the scaling factors (delta parameterization), identified as lavaan or Wu & Estabrook (2016)."""
    opts = est.options
    ngroups = len(est.blocks)
    check_group_modifiers(opts.model, ngroups)
    ov = opts.probe.ov_names
    n_thresholds = {v: t.size for v, t in zip(ov, est.ordinal[0].thresholds)}
    spec = build_spec(opts.model, list(opts.columns), ngroups=ngroups, meanstructure=True, ordered=n_thresholds,
                      identification=opts.identification, **opts.spec_arguments())
    check_predictors(spec, set(opts.ordered))
    p = len(ov)
    est.n_moments = ngroups * (sum(n_thresholds.values()) + p * (p - 1) // 2)
    check_counts(spec, est.n_moments)
    est.model = ordinal_ram_model(spec)


def grouped_dwls_objective(est: Estimation) -> None:
    est.objective = GroupedDWLSObjective(est.model, est.ordinal)
    est.stats = est.objective.stats


def grouped_threshold_start(est: Estimation) -> None:
    """Start values of the model, with each group's sample thresholds as those of the thresholds
    and 1 for free scaling factors."""
    est.theta0 = start_values(est.model, est.objective.stats, est.options.std_lv)
    for lay, ost in zip(est.objective.layouts, est.ordinal):
        free = lay.th_free >= 0
        est.theta0[lay.th_free[free]] = ost.threshold_vector[free]
    for r in est.spec.rows:
        if r.op == "~*~" and r.free >= 0:
            est.theta0[r.free] = 1.0


def grouped_robust_sem_vcov(est: Estimation) -> None:
    """lavaan's ``se = "robust.sem"``: the DWLS sandwich with the full Gamma."""
    info_inv = invert_information(est.objective.information(est.optimum.theta), 1, est.spec, est.optimum)
    est.robust = robust_dwls_groups(est.objective, est.optimum.theta, info_inv, est.df)
    est.vcov = est.robust["vcov"]


def grouped_delta_residuals(est: Estimation) -> None:
    """Residual variances of the ordered items are 1 / delta^2 minus their explained variance (not estimated)."""
    for g in range(1, est.spec.ngroups + 1):
        residual = est.model.moments(est.optimum.theta, g)["S"]
        for r in est.spec.rows:
            if r.group == g and r.op == "~~" and r.lhs == r.rhs and r.lhs in est.options.ordered and r.free < 0:
                r.value = float(residual[est.model.index[r.lhs], est.model.index[r.lhs]])


def grouped_wlsmv_measures(est: Estimation) -> None:
    est.fit_measures = wlsmv_group_fit_measures(est.objective, est.optimum.theta, est.spec.n_free, est.df, est.robust)


def category_counts(blocks: list[np.ndarray], names: list[str]) -> list[dict]:
    """Per item: {category: [count in group 1, group 2, ...]} over the categories of all groups."""
    out = []
    for k in range(len(names)):
        values = np.unique(np.concatenate([b[:, k] for b in blocks]))
        out.append({v: [int(np.sum(b[:, k] == v)) for b in blocks] for v in values})
    return out


def check_categories_across_groups(blocks: list[np.ndarray], names: list[str], levels: list) -> None:
    """Refuse an ordinal item whose category is empty in some group (lavaan refuses too)."""

    for name, counts in zip(names, category_counts(blocks, names)):
        for g, level in enumerate(levels):
            empty = [c for c, n in counts.items() if n[g] == 0]
            if not empty:
                continue
            table = "; ".join(f"{lev!r}: " + ", ".join(f"{fmt_category(c)}={n[i]}" for c, n in counts.items())
                              for i, lev in enumerate(levels))
            raise ModelSpecificationError(
                f"Ordered item '{name}' has no answers in categor{'ies' if len(empty) > 1 else 'y'} "
                f"{', '.join(fmt_category(c) for c in empty)} in group {level!r} (counts per group: {table}); "
                "its thresholds cannot be estimated in that group. Pass collapse_categories=True to merge each "
                "empty category with its neighbour in every group, recode the item yourself, or drop it.")


def fmt_category(value) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


def collapse_categories(data: pd.DataFrame, items: list[str], group: str) -> tuple[pd.DataFrame, list[str]]:
    """Merge every category that is empty in some group with its lower neighbour (the upper
    one for the lowest category), in all groups, until every group answers every category.

    Returns the recoded data and one note per merge ("q3: 5 merged into 4").
    """
    out = data.copy()
    notes = []
    levels = list(pd.unique(out[group].dropna()))
    for item in items:
        while True:
            table = pd.crosstab(out[item], out[group]).reindex(columns=levels, fill_value=0)
            empty = [c for c in table.index if (table.loc[c] == 0).any()]
            if not empty or len(table.index) <= 2:
                break
            cats = list(table.index)
            c = empty[0]
            k = cats.index(c)
            target = cats[k - 1] if k > 0 else cats[k + 1]
            out.loc[out[item] == c, item] = target
            notes.append(f"{item}: {fmt_category(c)} merged into {fmt_category(target)}")
    return out, notes


_STATS_CACHE: dict = {}


def cached_ordinal_stats(block: np.ndarray, names: list[str]) -> OrdinalStats:
    """:func:`ordinal_stats`, reused when the same answers are fitted again (the models of an
    invariance sequence share one group's thresholds, polychorics and Gamma)."""
    key = (block.shape, tuple(names), hashlib.sha1(np.ascontiguousarray(block).tobytes()).hexdigest())
    if key not in _STATS_CACHE:
        if len(_STATS_CACHE) >= 16:
            _STATS_CACHE.pop(next(iter(_STATS_CACHE)))
        _STATS_CACHE[key] = ordinal_stats(block, names)
    return _STATS_CACHE[key]


def ordinal_ram_model(spec) -> RAMModel:
    """RAM matrices with lavaan's delta parameterization for the ordered items of ``spec``."""
    rammodel = RAMModel(spec)
    delta_parameterization(rammodel)
    return rammodel


def delta_parameterization(rammodel: RAMModel) -> None:
    """Mark the ordered items (those with thresholds) as unit-variance latent responses
    scaled by their ``~*~`` scaling factors, read from the model's parameter table."""
    spec = rammodel.spec
    ordered = [v for v in spec.ov_names if any(r.op == "|" and r.lhs == v for r in spec.rows)]
    rammodel.unit_variance = np.array([rammodel.index[v] for v in ordered], dtype=int)
    scales = []
    for g in range(1, spec.ngroups + 1):
        rows = {r.lhs: r for r in spec.rows if r.group == g and r.op == "~*~"}
        free = np.array([rows[v].free if v in rows else -1 for v in ordered], dtype=int)
        fixed = np.array([rows[v].value if v in rows and rows[v].free < 0 else 1.0 for v in ordered])
        scales.append((free, fixed))
    rammodel.scales = scales
