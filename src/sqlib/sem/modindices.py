"""Modification indices (score tests) with expected parameter changes.

For each parameter that is fixed at zero and could be freed -- cross-loadings
(``=~``) and residual covariances between observed variables (``~~``), the
candidates lavaan's ``modindices()`` considers -- the model is extended with that
parameter and, at the current estimates, the score test

    MI = N s_j^2 / V_j,   EPC = s_j / V_j,   V_j = I_jj - I_j. I^-1 I_.j

is computed from the per-observation score ``s`` and expected information ``I``
of the extended model (one extension holds all candidates at once).
"""

from __future__ import annotations

import copy

import numpy as np
import pandas as pd

from .dwls import DWLSObjective
from .dwls_groups import GroupedDWLSObjective, delta_parameterization
from .estimation import MLObjective
from .fiml import FIMLObjective
from .ram import RAMModel
from .partable import Row
from .standardize import standardize, standardizers


def _candidates(result) -> list[Row]:
    """Parameters lavaan's modindices() scores: cross-loadings and residual covariances;
    in models without latent variables also regressions among observed variables
    (except regressions of fixed exogenous covariates, which lavaan scores but which
    cannot be freed while the covariates are fixed)."""
    spec = result.spec
    existing = {(r.lhs, r.op, r.rhs, r.group) for r in spec.rows}
    existing |= {(r.rhs, r.op, r.lhs, r.group) for r in spec.rows if r.op == "~~"}
    linked = {(r.lhs, r.rhs, r.group) for r in spec.rows if r.op == "~"}
    linked |= {(b, a, g) for a, b, g in linked}
    indicators = [v for v in spec.ov_names if v not in spec.ov_x]
    rows = []
    for g in range(1, spec.ngroups + 1):
        for f in spec.lv_names:
            for v in indicators:
                if (f, "=~", v, g) not in existing:
                    rows.append(Row(f, "=~", v, g))
        for i, a in enumerate(indicators):
            for b in indicators[i + 1:]:
                if (a, "~~", b, g) not in existing and (a, b, g) not in linked:
                    rows.append(Row(a, "~~", b, g))
        lv = spec.lv_names
        if any(r.op == "~" for r in spec.rows):  # structural models: paths among latent variables
            for i, a in enumerate(lv):
                for b in lv[i + 1:]:
                    if (a, "~~", b, g) not in existing:
                        rows.append(Row(a, "~~", b, g))
            for a in lv:
                for b in lv:
                    if a != b and (a, "~", b, g) not in existing:
                        rows.append(Row(a, "~", b, g))
        if not spec.lv_names:  # exogenous covariates are fixed (fixed.x): never regressed
            for a in indicators:
                for b in spec.ov_names:
                    if a != b and (a, "~", b, g) not in existing:
                        rows.append(Row(a, "~", b, g))
    return rows


def _same_objective(objective, model):
    """The fitted objective's kind (ML, FIML, DWLS or grouped DWLS) for an extended model."""
    if isinstance(objective, FIMLObjective):
        return FIMLObjective(model, objective.patterns, objective.stats)
    if isinstance(objective, GroupedDWLSObjective):
        delta_parameterization(model)
        return GroupedDWLSObjective(model, objective.ordinal_groups)
    if isinstance(objective, DWLSObjective):
        model.unit_variance = objective.model.unit_variance
        return DWLSObjective(model, objective.ordinal, objective.threshold_free)
    return MLObjective(model, objective.stats, objective.meanstructure)


def score_tests(result, extra_rows: list[Row], freed_rows: list[int]) -> tuple[np.ndarray, np.ndarray]:
    """Univariate score tests (MI) and expected parameter changes for extending a model.

    ``extra_rows`` are new parameters (fixed at 0 in the fitted model);
    ``freed_rows`` are indices into ``result.spec.rows`` of parameters that are
    fixed or tied to another one and would get their own parameter, starting at
    their current value. Returns ``(mi, epc)`` in that order of candidates.
    """
    spec = result.spec
    extended = copy.deepcopy(spec)
    k0 = spec.n_free
    theta_full = result.theta
    start = [0.0] * len(extra_rows)
    tied_to = [-1] * len(extra_rows)
    for j, row in enumerate(extra_rows):
        row = copy.copy(row)
        row.free, row.is_free, row.value = k0 + j, True, 0.0
        extended.rows.append(row)
    for j, idx in enumerate(freed_rows, start=len(extra_rows)):
        row = extended.rows[idx]
        start.append(theta_full[row.free] if row.free >= 0 else row.value)
        tied_to.append(row.free)
        row.free, row.is_free = k0 + j, True
    extended.n_free = k0 + len(start)
    model = RAMModel(extended)
    for row in extended.rows:  # carry the remaining fixed values (fixed.x) over
        if row.exo and row.free < 0:
            model.set_fixed(row.group, row, row.value)
    objective = _same_objective(result.objective, model)
    theta = np.concatenate([theta_full, np.asarray(start, dtype=float)])
    _, grad = objective.value_and_gradient(theta)
    info = objective.information(theta)
    # Each candidate is tested alone: the original parameters keep moving together with
    # the copies released from them, so map the extended columns back (A: (K+m) x K).
    lift = np.vstack([np.eye(k0), np.zeros((len(start), k0))])
    for j, k in enumerate(tied_to):
        if k >= 0:
            lift[k0 + j, k] = 1.0
    info_orig = lift.T @ info @ lift
    i21 = (info @ lift)[k0:, :]
    # lavaan's DWLS gradient carries the (N - 1)/N of its test statistic; its information does not
    if hasattr(objective, "score_gradient"):
        grad = objective.score_gradient(theta)
    score = -0.5 * grad[k0:]
    diag = np.diag(info[k0:, k0:])
    v = diag - np.einsum("jk,jk->j", i21 @ np.linalg.inv(info_orig), i21)
    n = result.ntotal
    # a candidate the free parameters already span has no test (lavaan reports NA)
    defined = v > 1e-8 * np.maximum(diag, 1e-12)
    with np.errstate(divide="ignore", invalid="ignore"):
        mi = np.where(defined, n * score**2 / v, np.nan)
        epc = np.where(defined, score / v, np.nan)
    return mi, epc


def modification_indices(result) -> pd.DataFrame:
    """Table with ``lhs, op, rhs, group, mi, epc, sepc_lv, sepc_all``."""


    spec = result.spec
    candidates = _candidates(result)
    # fixed parameters are candidates too (markers become testable once loadings are tied
    # across groups); untestable ones drop out below, as in lavaan
    ordinal = set(spec.ov_names) if result.estimator == "WLSMV" else set()

    def testable(r) -> bool:
        """Fixed rows lavaan scores: not fixed.x means, thresholds, scaling factors, nor the
        intercepts and (delta-parameterization) residual variances of ordinal items."""
        if r.free >= 0 or (r.op == "~1" and r.exo) or r.op in ("|", "~*~"):
            return False
        own = r.op == "~1" or (r.op == "~~" and r.lhs == r.rhs)
        return not (r.lhs in ordinal and own)

    fixed_idx = [i for i, r in enumerate(spec.rows) if testable(r)]
    labels = candidates + [Row(spec.rows[i].lhs, spec.rows[i].op, spec.rows[i].rhs, spec.rows[i].group)
                           for i in fixed_idx]
    columns = ["lhs", "op", "rhs", "group", "mi", "epc", "sepc_lv", "sepc_all"]
    if not labels:
        return pd.DataFrame(columns=columns)
    mi, epc = score_tests(result, candidates, fixed_idx)
    keep = ~np.isnan(mi)  # lavaan drops candidates without a test (na.remove = TRUE)
    labels = [row for row, k in zip(labels, keep) if k]
    mi, epc = mi[keep], epc[keep]
    scales = {g: standardizers(result.model, result.theta, g) for g in range(1, spec.ngroups + 1)}
    records = []
    for row, m, e in zip(labels, mi, epc):
        sd_all, sd_lv, sd_resid = scales[row.group]
        records.append([row.lhs, row.op, row.rhs, row.group, m, e,
                        standardize(row.op, row.lhs, row.rhs, e, sd_lv, sd_resid, True, result.model.lv),
                        standardize(row.op, row.lhs, row.rhs, e, sd_all, sd_resid)])
    return pd.DataFrame(records, columns=columns)
