"""PLS-SEM: Lohmöller's PLS path algorithm (as R seminr ``estimate_pls``) and PLSc.

The model is written in lavaan syntax: ``C =~ x1 + x2`` is a mode A composite (with
``consistent=True`` a common factor corrected by PLSc, Dijkstra and Henseler 2015),
``C <~ x1 + x2`` a mode B composite, ``C =~ x`` or a bare observed variable in a ``~``
statement a single item, and ``y ~ a + b`` the structural model.

With standardized indicators, every quantity of the algorithm depends on the data only
through the indicator correlation matrix ``S``. The engine therefore works on a *stack*
of correlation matrices, shape ``(B, p, p)``: one for a fit, one per resample for the
bootstrap or per permutation for group tests, so that all draws iterate together in a
few numpy array operations. Each draw stops on its own, exactly when seminr would stop
it (sum of absolute weight changes below ``tol``, at most ``max_iter`` iterations), so
batched draws reproduce separate fits. ``stop_rule="plspm"`` stops as R plspm does instead
(summed squared change of the absolute, not yet rescaled weights below ``tol``; plspm's
defaults are ``tol=1e-6``, ``maxiter=100``), to reproduce plspm's numbers.

Signs are left as the algorithm gives them (seminr does not flip signs, and neither do
its bootstrap draws): with positively worded items every weight starts at one and
stays positive.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from sqlib.core.errors import EstimationError, ModelSpecificationError

SCHEMES = ("path", "factorial", "centroid")
#: Whose stopping rule ends the iterations: R seminr's (the default) or R plspm's.
STOP_RULES = ("seminr", "plspm")
MISSING = ("mean", "listwise")


# ---------------------------------------------------------------------- model
@dataclass(frozen=True)
class PLSModel:
    """A PLS path model: blocks of indicators, their mode, and the structural paths.

    ``constructs`` are the constructs in the structural model, in the order declared;
    ``paths`` are ``(source, target)`` pairs.
    """

    constructs: tuple[str, ...]
    blocks: dict
    modes: dict
    paths: tuple[tuple[str, str], ...]

    @property
    def indicators(self) -> list[str]:
        return [item for c in self.constructs for item in self.blocks[c]]

    @property
    def endogenous(self) -> list[str]:
        return [c for c in self.constructs if any(t == c for _, t in self.paths)]

    def predecessors(self, construct: str) -> list[str]:
        return [s for s, t in self.paths if t == construct]

    def without_path(self, source: str, target: str) -> "PLSModel":
        """The model with one path removed (constructs left without any path are dropped)."""
        paths = tuple(p for p in self.paths if p != (source, target))
        linked = {c for p in paths for c in p}
        return replace(self, constructs=tuple(c for c in self.constructs if c in linked), paths=paths)


def _statements(model: str) -> list[tuple[str, str, str]]:
    lines: list[str] = []
    for raw in model.splitlines():
        code = re.split(r"[#!]", raw, maxsplit=1)[0]
        for part in code.split(";"):
            part = part.strip()
            if not part:
                continue
            if lines and (lines[-1].endswith(("+", "=~", "<~", "~")) or part.startswith("+")):
                lines[-1] += " " + part
            else:
                lines.append(part)
    out = []
    for code in lines:
        match = re.match(r"^\s*([A-Za-z_.][\w.]*)\s*(=~|<~|~~|~)\s*(.+)$", code)
        if not match:
            raise ModelSpecificationError(
                f"PLS model line '{code}' is not 'C =~ items' (mode A), 'C <~ items' (mode B) or 'y ~ x' (path).")
        lhs, op, rhs = match.groups()
        terms = [t.strip() for t in rhs.split("+")]
        for term in terms:
            if "*" in term or not re.match(r"^[A-Za-z_.][\w.]*$", term):
                raise ModelSpecificationError(
                    f"PLS model line '{code}': '{term}' is not a plain name; PLS estimates every weight and "
                    "path freely, so labels, fixed values and intercepts have no meaning here (use sqlib.fit for them).")
        out += [(lhs, op, term) for term in terms]
    return out


def parse_pls_model(model: str, columns) -> PLSModel:
    """Read lavaan syntax into a :class:`PLSModel`; ``columns`` are the data's column names."""
    columns = list(columns)
    blocks: dict[str, list[str]] = {}
    modes: dict[str, str] = {}
    paths: list[tuple[str, str]] = []
    for lhs, op, rhs in _statements(model):
        if op == "~~":
            raise ModelSpecificationError(f"'{lhs} ~~ {rhs}': PLS path models have no free covariances; "
                                          "remove the line (or use sqlib.fit for a CB-SEM with covariances).")
        if op in ("=~", "<~"):
            mode = "A" if op == "=~" else "B"
            if modes.setdefault(lhs, mode) != mode:
                raise ModelSpecificationError(f"Construct {lhs} is declared with both '=~' and '<~'; choose one mode.")
            blocks.setdefault(lhs, []).append(rhs)
        else:
            paths.append((rhs, lhs))
    for source, target in paths:
        for name in (source, target):
            if name not in blocks:
                if name not in columns:
                    raise ModelSpecificationError(
                        f"'{name}' in the structural model is neither a construct defined with '=~'/'<~' "
                        "nor a column of the data.")
                blocks[name], modes[name] = [name], "A"
    missing = sorted({item for items in blocks.values() for item in items if item not in columns})
    if missing:
        raise ModelSpecificationError(f"Indicators not in the data: {', '.join(missing)}.")
    if not paths:
        raise ModelSpecificationError("The PLS model has no structural path ('y ~ x'); PLS needs at least one.")
    linked = {c for p in paths for c in p}
    unlinked = [c for c in blocks if c not in linked]
    if unlinked:
        raise ModelSpecificationError(
            f"Constructs without any structural path: {', '.join(unlinked)}. PLS estimates a construct from its "
            "neighbours, so link it with '~' or remove it (a measurement-only model is a CFA: use sqlib.fit).")
    _check_acyclic(paths)
    constructs = tuple(c for c in blocks if c in linked)
    return PLSModel(constructs, {c: tuple(blocks[c]) for c in constructs}, {c: modes[c] for c in constructs},
                    tuple(paths))


def _check_acyclic(paths) -> None:
    graph: dict[str, set] = {}
    for s, t in paths:
        graph.setdefault(s, set()).add(t)
    seen, done = set(), set()

    def visit(node, trail):
        if node in done:
            return
        if node in seen:
            raise ModelSpecificationError(f"The structural model is not recursive (a loop through {node}); "
                                          "PLS path models must be recursive.")
        seen.add(node)
        for nxt in graph.get(node, ()):
            visit(nxt, trail + [nxt])
        done.add(node)

    for node in list(graph):
        visit(node, [node])


# ---------------------------------------------------------------------- layout
@dataclass(frozen=True)
class Layout:
    """Index arrays of a model over its indicators (p) and constructs (K)."""

    model: PLSModel
    items: tuple[str, ...]
    mask: np.ndarray          # (p, K) 1 where item i belongs to construct k
    paths: np.ndarray         # (K, K) 1 where k -> l
    block_index: tuple        # per construct: array of item positions
    mode_b: tuple             # construct positions in mode B with more than one item
    regressions: tuple        # (target position, predecessor positions) per endogenous construct
    item_construct: np.ndarray  # (p,) position of each item's construct


def make_layout(model: PLSModel) -> Layout:
    items = tuple(model.indicators)
    pos = {c: k for k, c in enumerate(model.constructs)}
    mask = np.zeros((len(items), len(model.constructs)))
    blocks = []
    start = 0
    for k, c in enumerate(model.constructs):
        idx = np.arange(start, start + len(model.blocks[c]))
        mask[idx, k] = 1.0
        blocks.append(idx)
        start += len(idx)
    paths = np.zeros((len(model.constructs),) * 2)
    for s, t in model.paths:
        paths[pos[s], pos[t]] = 1.0
    mode_b = tuple(k for k, c in enumerate(model.constructs) if model.modes[c] == "B" and len(blocks[k]) > 1)
    regressions = tuple((pos[c], np.array([pos[s] for s in model.predecessors(c)])) for c in model.endogenous)
    return Layout(model, items, mask, paths, tuple(blocks), mode_b, regressions, mask.argmax(axis=1))


# ---------------------------------------------------------------------- data
def moment_stack(x: np.ndarray, scaled: bool = True) -> np.ndarray:
    """Correlation matrices (``scaled``) or covariance matrices with divisor n of a stack of
    data sets ``(B, n, p)`` (complete data)."""
    centred = x - x.mean(axis=1, keepdims=True)
    cov = np.matmul(centred.transpose(0, 2, 1), centred)
    sd = np.sqrt(np.einsum("bii->bi", cov))
    if np.any(sd == 0):
        raise EstimationError("An indicator has zero variance (in the data or in a resample); "
                              "PLS standardizes every indicator, so remove constant items.")
    return cov / sd[:, :, None] / sd[:, None, :] if scaled else cov / x.shape[1]


def standardize_moments(moments: np.ndarray, scaled: bool) -> tuple[np.ndarray, np.ndarray]:
    """``(correlations, standard deviations)`` of a moment stack; correlations pass unchanged."""
    if scaled:
        return moments, np.ones(moments.shape[:2])
    sd = np.sqrt(np.einsum("bii->bi", moments))
    return moments / sd[:, :, None] / sd[:, None, :], sd


def fill_missing(x: np.ndarray, method: str) -> np.ndarray:
    """Mean replacement per column, or drop incomplete rows (``method`` 'mean' or 'listwise').

    ``x`` is one data set ``(n, p)`` or a stack ``(B, n, p)``; the mean is each set's own.
    """
    if method not in MISSING:
        raise ValueError(f"missing={method!r} is not available; use 'mean' (mean replacement, seminr's default) "
                         "or 'listwise'.")
    holes = np.isnan(x)
    if not holes.any():
        return x
    if method == "listwise":
        return x[~holes.any(axis=-1)]
    means = np.nanmean(x, axis=-2, keepdims=True)
    return np.where(holes, means, x)


# ---------------------------------------------------------------------- algorithm
# Weights are kept as one vector per draw, ``w`` (B, p): item i belongs to construct
# ``item_construct[i]``. Products with the block mask are single large matrix products
# over all draws, which is what makes a thousand resamples cheap.
def _by_construct(values: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Sum the item axis (axis 1) of ``values`` (B, p, m) within blocks: (B, K, m)."""
    nb, p, m = values.shape
    summed = mask.T @ values.transpose(1, 0, 2).reshape(p, nb * m)
    return summed.reshape(mask.shape[1], nb, m).transpose(1, 0, 2)


def item_by_construct(corr: np.ndarray, w: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Covariances of the items with the construct scores, ``S W`` (B, p, K)."""
    nb, p, _ = corr.shape
    return ((corr * w[:, None, :]).reshape(nb * p, p) @ mask).reshape(nb, p, mask.shape[1])


def scores_correlation(corr: np.ndarray, w: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Covariances of the construct scores, ``W' S W`` (B, K, K)."""
    return _by_construct(w[:, :, None] * item_by_construct(corr, w, mask), mask)


def _normalize(w: np.ndarray, corr: np.ndarray, layout: "Layout") -> np.ndarray:
    var = np.einsum("bkk->bk", scores_correlation(corr, w, layout.mask))
    return w / np.sqrt(var)[:, layout.item_construct]


def _inner_weights(scores_corr: np.ndarray, layout: "Layout", scheme: str) -> np.ndarray:
    both = layout.paths + layout.paths.T
    if scheme == "factorial":
        return scores_corr * both
    if scheme == "centroid":
        return np.sign(scores_corr) * both
    inner = scores_corr * layout.paths.T
    for target, preds in layout.regressions:
        sub = scores_corr[:, preds][:, :, preds]
        inner[:, preds, target] = np.linalg.solve(sub, scores_corr[:, preds, target][..., None])[..., 0]
    return inner


def check_algorithm(scheme: str, stop_rule: str) -> None:
    """Refuse an unknown inner weighting scheme or stop rule, naming the available ones."""
    if scheme not in SCHEMES:
        raise ValueError(f"scheme={scheme!r} is not available; use 'path' (path weighting, seminr's default), "
                         "'factorial' or 'centroid'.")
    if stop_rule not in STOP_RULES:
        raise ValueError(f"stop_rule={stop_rule!r} is not available; use 'seminr' (summed absolute change of the "
                         "rescaled weights, the default) or 'plspm' (summed squared change of the absolute raw "
                         "weights, as R plspm).")


def _outer_update(w: np.ndarray, s: np.ndarray, layout: "Layout", scheme: str, inverse_b: dict) -> np.ndarray:
    """New outer weights before rescaling: mode A covariances with the inner proxies, mode B regressions."""
    sw = item_by_construct(s, w, layout.mask)
    inner = _inner_weights(_by_construct(w[:, :, None] * sw, layout.mask), layout, scheme)
    new = np.einsum("bpl,blp->bp", sw, inner[:, :, layout.item_construct])
    for k, inv in inverse_b.items():
        idx = layout.block_index[k]
        new[:, idx] = np.einsum("bij,bj->bi", inv, new[:, idx])
    return new


def iterate_weights(corr: np.ndarray, layout: "Layout", scheme: str = "path", max_iter: int = 300,
                    tol: float = 1e-7, stop_rule: str = "seminr") -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Outer weights of every draw in ``corr`` (B, p, p): ``(weights (B, p), iterations (B,), converged (B,))``.

    seminr's loop: start from unit weights; scores, inner proxies (``scheme``), new outer
    weights (mode A covariances, mode B regressions), weights scaled to unit-variance
    scores; stop when the summed absolute change is below ``tol`` (``stop_rule="seminr"``,
    at most ``max_iter + 1`` updates) or, as R plspm's ``get_weights``, when the summed
    squared change of the absolute weights before rescaling is (``stop_rule="plspm"``,
    fewer than ``max_iter`` updates, else not converged).
    """
    check_algorithm(scheme, stop_rule)
    nb, p, _ = corr.shape
    weights = _normalize(np.ones((nb, p)), corr, layout)
    previous_raw = weights.copy()
    inverse_b = {k: np.linalg.inv(corr[:, idx][:, :, idx]) for k in layout.mode_b
                 for idx in [layout.block_index[k]]}
    active = np.arange(nb)
    updates = max_iter + 1 if stop_rule == "seminr" else max_iter
    iterations = np.full(nb, max_iter)
    converged = np.zeros(nb, dtype=bool)
    for it in range(updates):
        w, s = weights[active], corr[active]
        raw = _outer_update(w, s, layout, scheme, {k: inv[active] for k, inv in inverse_b.items()})
        new = _normalize(raw, s, layout)
        if stop_rule == "seminr":
            change = np.abs(new - (1.0 if it == 0 else w)).sum(axis=1)
        else:
            change = ((np.abs(previous_raw[active]) - np.abs(raw)) ** 2).sum(axis=1)
            previous_raw[active] = raw
        weights[active] = new
        done = change < tol
        if stop_rule == "plspm" and it == updates - 1:
            done &= False
        iterations[active[done]] = it
        converged[active[done]] = True
        active = active[~done]
        if active.size == 0:
            break
    return weights, iterations, converged


@dataclass
class Estimates:
    """Everything one batch of fits gives, each with a leading draw axis B."""

    weights: np.ndarray      # (B, p, K)
    loadings: np.ndarray     # (B, p, K) PLSc-corrected for common factors when consistent
    scores_corr: np.ndarray  # (B, K, K) construct correlations (PLSc: disattenuated)
    paths: np.ndarray        # (B, K, K) k -> l
    r2: np.ndarray           # (B, n_endogenous)
    rho_a: np.ndarray        # (B, K)
    iterations: np.ndarray
    converged: np.ndarray

    @property
    def total(self) -> np.ndarray:
        eye = np.eye(self.paths.shape[-1])
        return np.linalg.inv(eye - self.paths) - eye


def rho_a(corr: np.ndarray, weights: np.ndarray, layout: Layout) -> np.ndarray:
    """Dijkstra-Henseler rhoA per construct (1 for mode B and single items), as seminr's ``rho_A``."""
    nb, _, nk = weights.shape
    out = np.ones((nb, nk))
    for k, idx in enumerate(layout.block_index):
        if len(idx) < 2 or layout.model.modes[layout.model.constructs[k]] == "B":
            continue
        w = weights[:, idx, k]
        s = corr[:, idx][:, :, idx] * (1 - np.eye(len(idx)))
        ww = np.einsum("bi,bi->b", w, w)
        num = np.einsum("bi,bij,bj->b", w, s, w)
        den = ww**2 - np.einsum("bi,bi->b", w**2, w**2)
        out[:, k] = ww**2 * num / den
    return out


def structural(scores_corr: np.ndarray, layout: Layout) -> tuple[np.ndarray, np.ndarray]:
    """Path coefficients (OLS per endogenous construct) and R-squared from construct correlations."""
    paths = np.zeros_like(scores_corr)
    r2 = np.zeros((scores_corr.shape[0], len(layout.regressions)))
    for j, (target, preds) in enumerate(layout.regressions):
        sub = scores_corr[:, preds][:, :, preds]
        rhs = scores_corr[:, preds, target]
        beta = np.linalg.solve(sub, rhs[..., None])[..., 0]
        paths[:, preds, target] = beta
        r2[:, j] = np.einsum("bi,bi->b", beta, rhs)
    return paths, r2


def estimate(moments: np.ndarray, layout: Layout, *, scheme: str = "path", consistent: bool = False,
             max_iter: int = 300, tol: float = 1e-7, stop_rule: str = "seminr", scaled: bool = True) -> Estimates:
    """Fit the model to every matrix of the stack ``moments`` (B, p, p).

    ``scaled``: the matrices are indicator correlations (standardized indicators, as seminr
    and cSEM). Otherwise they are covariances of the centred indicators (R plspm's
    ``scaled = FALSE``): mode A weights then come from covariances, and the weights are
    returned rescaled to standardized indicators, so that everything after them is the same.
    """
    corr, sd = standardize_moments(moments, scaled)
    w, iterations, converged = iterate_weights(moments, layout, scheme, max_iter, tol, stop_rule)
    w = w * sd
    weights = w[:, :, None] * layout.mask
    sw = item_by_construct(corr, w, layout.mask)
    loadings = sw * layout.mask
    scores_corr = _by_construct(w[:, :, None] * sw, layout.mask)
    rho = rho_a(corr, weights, layout)
    if consistent:
        factors = np.array([layout.model.modes[c] == "A" and len(layout.model.blocks[c]) > 1
                            for c in layout.model.constructs])
        rho_used = np.where(factors, rho, 1.0)
        adjust = np.sqrt(rho_used[:, :, None] * rho_used[:, None, :])
        eye = np.eye(adjust.shape[-1], dtype=bool)
        scores_corr = np.where(eye, 1.0, scores_corr / adjust)
        for k in np.flatnonzero(factors):
            idx = layout.block_index[k]
            w = weights[:, idx, k]
            loadings[:, idx, k] = w * (np.sqrt(rho[:, k]) / np.einsum("bi,bi->b", w, w))[:, None]
    paths, r2 = structural(scores_corr, layout)
    return Estimates(weights, loadings, scores_corr, paths, r2, rho, iterations, converged)


def htmt_stack(corr: np.ndarray, layout: Layout, geometric: bool = False) -> np.ndarray:
    """HTMT (arithmetic means of absolute correlations, as seminr) or HTMT2 (geometric means,
    Roemer, Schuberth and Henseler 2021) for every pair of constructs; upper triangle, NaN elsewhere."""
    nb = corr.shape[0]
    nk = len(layout.block_index)
    mean = _geometric_mean if geometric else (lambda a: a.mean(axis=1))
    mono = np.ones((nb, nk))
    for k, idx in enumerate(layout.block_index):
        if len(idx) > 1:
            upper = np.triu_indices(len(idx), 1)
            mono[:, k] = mean(np.abs(corr[:, idx][:, :, idx][:, upper[0], upper[1]]))
    out = np.full((nb, nk, nk), np.nan)
    for i in range(nk):
        for j in range(i + 1, nk):
            hetero = np.abs(corr[:, layout.block_index[i]][:, :, layout.block_index[j]]).reshape(nb, -1)
            out[:, i, j] = mean(hetero) / np.sqrt(mono[:, i] * mono[:, j])
    return out


def _geometric_mean(values: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore"):
        return np.exp(np.log(values).mean(axis=1))


def resample_moments(x: np.ndarray, indices: np.ndarray, missing: str, scaled: bool = True) -> np.ndarray:
    """Correlation (``scaled``) or covariance matrices of the resamples ``x[indices[b]]``.

    Complete data: weighted moments from the count of each row in each resample (two matrix
    products for all draws). With missing answers each resample is filled with its own means
    first, as seminr's ``mean_replacement`` does inside every bootstrap draw.
    """
    if np.isnan(x).any():
        if missing == "listwise":
            raise ValueError("Listwise deletion happens before resampling; pass complete rows.")
        return moment_stack(fill_missing(x[indices], "mean"), scaled)
    nb, m = indices.shape
    n, p = x.shape
    centred = x - x.mean(axis=0)
    counts = np.bincount((indices + n * np.arange(nb)[:, None]).ravel(), minlength=nb * n)
    counts = counts.reshape(nb, n).astype(float)
    mean = counts @ centred / m
    products = (centred[:, :, None] * centred[:, None, :]).reshape(n, p * p)
    cov = (counts @ products).reshape(nb, p, p) / m - mean[:, :, None] * mean[:, None, :]
    sd = np.sqrt(np.einsum("bii->bi", cov))
    if np.any(sd <= 1e-12 * np.abs(centred).max()):
        raise EstimationError("An indicator is constant in a resample; PLS standardizes every indicator, "
                              "so such a draw cannot be fitted (remove nearly constant items).")
    return cov / sd[:, :, None] / sd[:, None, :] if scaled else cov
