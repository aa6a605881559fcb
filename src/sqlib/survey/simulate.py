"""Simulated survey data from a population model with known parameters.

The generating model is a standardized structural equation model for ordinal
answers:

1. *Exogenous factors* (the service-quality dimensions and, when present, one
   expectation factor per dimension) are multivariate normal with unit
   variances, the correlations in ``factor_correlations``, and means
   ``factor_means`` plus the shift of the respondent's group and wave.
2. *Endogenous factors* (satisfaction, loyalty) follow ``paths``, e.g.
   ``satisfaction = .10 tangibles + .30 reliability + ... + residual``. The
   residual variance is set so that every factor has variance 1, which makes the
   path coefficients standardized.
3. Every item has a continuous *latent response* ``y* = intercept +
   loading x factor + error`` with error variance ``1 - loading^2``, so ``y*`` has
   variance 1 and the loading is the standardized loading.
4. The *thresholds* cut ``y*`` into the answer categories 1..7.
5. Finally a share of respondents gets 1 to 3 answers deleted, completely at
   random (MCAR) or with a probability that rises as an observed satisfaction
   answer falls (MAR).

A *non-invariant item* gets an extra intercept (in latent-response SD units) in
one group, and optionally a different loading there: exactly what a
measurement-invariance analysis should flag.

>>> from sqlib.survey.simulate import simulate, sample_population
>>> survey = simulate(sample_population(), n=300, seed=1)
>>> survey.data.shape
(300, 54)
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from sqlib.core import config
from . import instrument
from .codebook import Codebook

# --------------------------------------------------------------------------- defaults

#: Thresholds (latent-response SD units) that cut a standard normal response
#: into 7 categories with about 1%, 3%, 9%, 20%, 31%, 26%, 11% of answers:
#: skewed to the upper half with a mean near 5, as in most satisfaction surveys.
BASE_THRESHOLDS = (-2.3, -1.75, -1.15, -0.45, 0.35, 1.25)

#: Item-specific shifts of the base thresholds, cycled over the items.
_THRESHOLD_OFFSETS = (0.0, -0.1, 0.1, -0.05, 0.05)

_DIMENSION_CORRELATIONS = np.array(
    [  # tan   rel   res   ass   emp
        [1.00, 0.45, 0.40, 0.42, 0.40],
        [0.45, 1.00, 0.58, 0.55, 0.50],
        [0.40, 0.58, 1.00, 0.55, 0.52],
        [0.42, 0.55, 0.55, 1.00, 0.60],
        [0.40, 0.50, 0.52, 0.60, 1.00],
    ]
)
#: Correlation between a perception factor and its own expectation factor.
_PERCEPTION_EXPECTATION_CORRELATION = 0.35
#: Latent means of the expectation factors (perception factors have mean 0).
_EXPECTATION_MEANS = {"tangibles": 0.6, "reliability": 1.1, "responsiveness": 0.9,
                      "assurance": 0.9, "empathy": 0.7}
_LOADING_PATTERN = (0.78, 0.72, 0.82, 0.68, 0.75)
_OUTCOME_LOADINGS = {"satisfaction": (0.85, 0.80, 0.77), "loyalty": (0.82, 0.76, 0.72, 0.70)}
_SATISFACTION_PATHS = {"tangibles": 0.10, "reliability": 0.30, "responsiveness": 0.20,
                       "assurance": 0.15, "empathy": 0.15}


def expectation_factor(dimension: str) -> str:
    """Name of the expectation factor mirroring a dimension (``e_tangibles``)."""
    return instrument.EXPECTATION_PREFIX + dimension


def _default_loadings() -> dict[tuple[str, str], float]:
    loadings = {}
    for d, dim in enumerate(instrument.DIMENSIONS):
        for i, code in enumerate(instrument.items_of(dim)):
            loadings[(dim, code)] = _LOADING_PATTERN[(i + d) % len(_LOADING_PATTERN)]
    for d, dim in enumerate(instrument.DIMENSIONS):
        for i, code in enumerate(instrument.items_of(dim, "expectation")):
            loadings[(expectation_factor(dim), code)] = _LOADING_PATTERN[(i + d + 2) % len(_LOADING_PATTERN)]
    for outcome, values in _OUTCOME_LOADINGS.items():
        for code, value in zip(instrument.items_of(outcome, "outcome"), values):
            loadings[(outcome, code)] = value
    return loadings


def _default_correlations() -> pd.DataFrame:
    # Kronecker structure: perception and expectation factors share the dimension
    # correlations, and P_d correlates r * R[d, d'] with E_d'. Positive definite
    # whenever R is and |r| < 1.
    r = _PERCEPTION_EXPECTATION_CORRELATION
    matrix = np.kron(np.array([[1.0, r], [r, 1.0]]), _DIMENSION_CORRELATIONS)
    names = list(instrument.DIMENSIONS) + [expectation_factor(d) for d in instrument.DIMENSIONS]
    return pd.DataFrame(matrix, index=names, columns=names)


def _default_paths() -> dict[tuple[str, str], float]:
    paths = {("satisfaction", dim): value for dim, value in _SATISFACTION_PATHS.items()}
    paths[("loyalty", "satisfaction")] = 0.60
    return paths


def _default_item_thresholds() -> dict[str, tuple[float, ...]]:
    # Small item-to-item differences in popularity (a fixed pattern, not random).
    out = {}
    for i, it in enumerate(instrument.ITEMS):
        offset = _THRESHOLD_OFFSETS[i % len(_THRESHOLD_OFFSETS)]
        out[it.code] = tuple(round(t + offset, 4) for t in BASE_THRESHOLDS)
    return out


# --------------------------------------------------------------------------- model
@dataclass
class PopulationModel:
    """Parameters of the population a simulated survey is drawn from.

    The defaults describe a well-behaved SERVQUAL population: one group, one
    wave, no missing answers, every item invariant.

    Parameters
    ----------
    loadings : dict
        ``{(factor, item): standardized loading}``. The first factor listed for an
        item is its construct; further entries are cross-loadings. Factors and
        items appear in the data in the order of this dict.
    factor_correlations : pandas.DataFrame
        Correlations among the exogenous factors (every factor that is not the
        outcome of a path), labelled by factor name. Must be positive
        semi-definite; values near 1 are allowed (built-to-fail cases).
    paths : dict
        ``{(outcome, predictor): standardized coefficient}``, lavaan's
        ``outcome ~ predictor``. Must not form a cycle.
    factor_means : dict
        Baseline latent means ``{factor: mean}`` (SD units); 0 when absent. For an
        endogenous factor it is the structural intercept.
    thresholds : dict
        ``{item: increasing cut points}`` on the latent-response scale, one fewer
        than the number of answer categories. Items left out use
        :data:`BASE_THRESHOLDS` (for a 7-point scale).
    scale_min, scale_max : int
        The answer scale.
    expectations : dict
        ``{perception item: expectation item}``, for the codebook and gap scores.
    groups : dict
        ``{group name: share of the sample}``.
    group_shifts : dict
        ``{group: {factor: latent mean shift}}`` added to ``factor_means``.
    noninvariant_intercepts : dict
        ``{(group, item): intercept shift}`` in latent-response SD units.
    noninvariant_loadings : dict
        ``{(group, item): loading change}`` added to the item's first loading in
        that group (error variance unchanged).
    waves : dict
        ``{wave number: share of the sample}``.
    wave_shifts : dict
        ``{wave: {factor: latent mean shift}}``.
    missing_share : float
        Share of respondents with ``1..missing_max`` deleted answers.
    missing_max : int
        Most answers deleted for one respondent.
    missing_mechanism : {"MCAR", "MAR"}
        ``"MCAR"``: who has gaps and which answers are deleted is purely random.
        ``"MAR"``: respondents are picked with a probability that grows as their
        (observed, never deleted) ``missing_driver`` answer gets lower, so the
        missingness depends only on observed data.
    missing_driver : str
        The item that drives MAR missingness.
    """

    loadings: dict[tuple[str, str], float] = field(default_factory=_default_loadings)
    factor_correlations: pd.DataFrame = field(default_factory=_default_correlations)
    paths: dict[tuple[str, str], float] = field(default_factory=_default_paths)
    factor_means: dict[str, float] = field(
        default_factory=lambda: {expectation_factor(d): m for d, m in _EXPECTATION_MEANS.items()}
    )
    thresholds: dict[str, tuple[float, ...]] = field(default_factory=_default_item_thresholds)
    scale_min: int = instrument.SCALE_MIN
    scale_max: int = instrument.SCALE_MAX
    expectations: dict[str, str] = field(
        default_factory=lambda: {it.mirrors: it.code for it in instrument.ITEMS if it.kind == "expectation"}
    )
    groups: dict[str, float] = field(default_factory=lambda: {"all": 1.0})
    group_shifts: dict[str, dict[str, float]] = field(default_factory=dict)
    noninvariant_intercepts: dict[tuple[str, str], float] = field(default_factory=dict)
    noninvariant_loadings: dict[tuple[str, str], float] = field(default_factory=dict)
    waves: dict[int, float] = field(default_factory=lambda: {1: 1.0})
    wave_shifts: dict[int, dict[str, float]] = field(default_factory=dict)
    missing_share: float = 0.0
    missing_max: int = 3
    missing_mechanism: str = "MCAR"
    missing_driver: str = "sat1"

    def __post_init__(self):
        self.check()

    # ----------------------------------------------------------------- structure
    @property
    def factors(self) -> list[str]:
        """Every factor, in the order of ``loadings``."""
        return list(dict.fromkeys(f for f, _ in self.loadings))

    @property
    def items(self) -> list[str]:
        """Every item (data column), in the order of ``loadings``."""
        return list(dict.fromkeys(i for _, i in self.loadings))

    @property
    def constructs(self) -> dict[str, list[str]]:
        """``{factor: items}`` where each item is listed under its first factor only."""
        out: dict[str, list[str]] = {f: [] for f in self.factors}
        for item in self.items:
            out[self.construct_of(item)].append(item)
        return out

    def construct_of(self, item: str) -> str:
        return next(f for f, i in self.loadings if i == item)

    @property
    def endogenous(self) -> list[str]:
        """Factors that are the outcome of a path, in an order where predictors come first."""
        outcomes = {lhs for lhs, _ in self.paths}
        order: list[str] = []
        pending = [f for f in self.factors if f in outcomes]
        while pending:
            ready = [f for f in pending if all(p not in pending for (o, p) in self.paths if o == f)]
            if not ready:
                raise ValueError(f"The paths form a cycle among {', '.join(pending)}; a recursive model is needed.")
            order += ready
            pending = [f for f in pending if f not in ready]
        return order

    @property
    def exogenous(self) -> list[str]:
        outcomes = {lhs for lhs, _ in self.paths}
        return [f for f in self.factors if f not in outcomes]

    def item_thresholds(self, item: str) -> np.ndarray:
        if item in self.thresholds:
            return np.asarray(self.thresholds[item], dtype=float)
        return np.asarray(BASE_THRESHOLDS, dtype=float)

    # ----------------------------------------------------------------- moments
    def latent_covariance(self) -> pd.DataFrame:
        """Model-implied covariance (= correlation) matrix of all factors."""
        exo, endo = self.exogenous, self.endogenous
        names = exo + endo
        sigma = np.zeros((len(names), len(names)))
        sigma[: len(exo), : len(exo)] = self.factor_correlations.loc[exo, exo].to_numpy()
        for k, outcome in enumerate(endo, start=len(exo)):
            b = self._path_vector(outcome, names)
            sigma[k, :k] = b[:k] @ sigma[:k, :k]
            sigma[:k, k] = sigma[k, :k]
            sigma[k, k] = 1.0
        return pd.DataFrame(sigma, index=names, columns=names).loc[self.factors, self.factors]

    def residual_variances(self) -> dict[str, float]:
        """Variance of each endogenous factor's disturbance (1 - R squared)."""
        sigma = self.latent_covariance()
        out = {}
        for outcome in self.endogenous:
            b = self._path_vector(outcome, self.factors)
            out[outcome] = float(1.0 - b @ sigma.to_numpy() @ b)
        return out

    def _path_vector(self, outcome: str, names: list[str]) -> np.ndarray:
        return np.array([self.paths.get((outcome, n), 0.0) for n in names])

    def loading_matrix(self, group: str | None = None) -> pd.DataFrame:
        """Items x factors matrix of standardized loadings (in ``group`` if given)."""
        lam = pd.DataFrame(0.0, index=self.items, columns=self.factors)
        for (f, i), value in self.loadings.items():
            lam.loc[i, f] = value
        if group is not None:
            for (g, i), delta in self.noninvariant_loadings.items():
                if g == group:
                    lam.loc[i, self.construct_of(i)] += delta
        return lam

    def error_variances(self) -> pd.Series:
        """Variance of each item's unique part, ``1 - var(loadings x factors)``."""
        lam = self.loading_matrix().to_numpy()
        sigma = self.latent_covariance().to_numpy()
        return pd.Series(1.0 - np.einsum("if,fg,ig->i", lam, sigma, lam), index=self.items)

    # ----------------------------------------------------------------- checks
    def check(self) -> None:
        """Raise ``ValueError`` listing every inconsistency in the parameters."""
        problems = []
        factors, items = self.factors, self.items
        for (outcome, predictor) in self.paths:
            for name in (outcome, predictor):
                if name not in factors:
                    problems.append(f"path {outcome} ~ {predictor} names {name!r}, which has no items in 'loadings'")
        if problems:
            raise ValueError("The population model is inconsistent: " + "; ".join(problems) + ".")
        self.endogenous  # raises on cycles
        exo = self.exogenous
        corr = self.factor_correlations
        missing = [f for f in exo if f not in corr.index or f not in corr.columns]
        if missing:
            problems.append(f"factor_correlations lacks the exogenous factor(s) {', '.join(missing)}")
        else:
            r = corr.loc[exo, exo].to_numpy(dtype=float)
            if not np.allclose(r, r.T) or not np.allclose(np.diag(r), 1.0):
                problems.append("factor_correlations must be symmetric with 1 on the diagonal")
            elif r.size and np.linalg.eigvalsh(r).min() < -1e-10:
                problems.append("factor_correlations is not positive semi-definite (no population has these correlations)")
        n_cuts = self.scale_max - self.scale_min
        for item in items:
            t = self.item_thresholds(item)
            if len(t) != n_cuts or np.any(np.diff(t) <= 0):
                problems.append(f"item {item!r} needs {n_cuts} increasing thresholds for a "
                                f"{self.scale_min}..{self.scale_max} scale, got {list(t)}")
        for name, table in (("groups", self.groups), ("waves", self.waves)):
            if not table or any(v < 0 for v in table.values()) or sum(table.values()) <= 0:
                problems.append(f"{name} needs at least one entry with a positive share")
        for (g, i) in list(self.noninvariant_intercepts) + list(self.noninvariant_loadings):
            if g not in self.groups or i not in items:
                problems.append(f"non-invariant entry ({g!r}, {i!r}) names an unknown group or item")
        if not 0 <= self.missing_share <= 1:
            problems.append(f"missing_share must be between 0 and 1, got {self.missing_share}")
        if self.missing_mechanism not in ("MCAR", "MAR"):
            problems.append(f"missing_mechanism must be 'MCAR' or 'MAR', got {self.missing_mechanism!r}")
        if self.missing_mechanism == "MAR" and self.missing_share > 0 and self.missing_driver not in items:
            problems.append(f"MAR missingness is driven by {self.missing_driver!r}, which is not an item")
        if problems:
            raise ValueError("The population model is inconsistent: " + "; ".join(problems) + ".")
        for outcome, psi in self.residual_variances().items():
            if psi < -1e-10:
                problems.append(f"the paths into {outcome!r} explain more than all of its variance "
                                f"(R squared {1 - psi:.2f}); make them smaller")
        for item, theta in self.error_variances().items():
            if theta < -1e-10:
                problems.append(f"item {item!r} has loadings that explain more than its variance; "
                                "standardized loadings must stay within -1..1")
        if problems:
            raise ValueError("The population model is inconsistent: " + "; ".join(problems) + ".")

    # ----------------------------------------------------------------- truth
    def truth(self) -> pd.DataFrame:
        """Tidy table of the true parameters, with lavaan operators.

        Columns ``lhs, op, rhs, group, value``; one block of rows per group:

        * ``=~`` standardized loadings (``factor =~ item``);
        * ``~~`` correlations between exogenous factors, endogenous factors'
          disturbance variances (``lhs == rhs``) and item error variances;
        * ``~`` standardized paths (``outcome ~ predictor``);
        * ``|`` thresholds ``t1, t2, ...`` on the latent-response scale;
        * ``~1`` latent means (``factor ~1``, baseline plus group shift, wave 1),
          wave shifts (``rhs`` = ``"wave=2"``) and item intercepts (0 unless the
          item is non-invariant in that group).
        """
        rows = []
        exo = self.exogenous
        corr = self.factor_correlations.loc[exo, exo]
        psi = self.residual_variances()
        theta = self.error_variances()
        for g in self.groups:
            lam = self.loading_matrix(g)
            for (f, i), _ in self.loadings.items():
                rows.append((f, "=~", i, g, float(lam.loc[i, f])))
            for a in range(len(exo)):
                for b in range(a + 1, len(exo)):
                    rows.append((exo[a], "~~", exo[b], g, float(corr.iloc[a, b])))
            rows += [(f, "~~", f, g, value) for f, value in psi.items()]
            rows += [(i, "~~", i, g, float(value)) for i, value in theta.items()]
            rows += [(o, "~", p, g, float(v)) for (o, p), v in self.paths.items()]
            for i in self.items:
                rows += [(i, "|", f"t{k}", g, float(t)) for k, t in enumerate(self.item_thresholds(i), start=1)]
            shifts = self.group_shifts.get(g, {})
            for f in self.factors:
                rows.append((f, "~1", "", g, float(self.factor_means.get(f, 0.0) + shifts.get(f, 0.0))))
            for w, wave_shift in self.wave_shifts.items():
                rows += [(f, "~1", f"wave={w}", g, float(v)) for f, v in wave_shift.items()]
            rows += [(i, "~1", "", g, float(self.noninvariant_intercepts.get((g, i), 0.0))) for i in self.items]
        return pd.DataFrame(rows, columns=["lhs", "op", "rhs", "group", "value"])


def sample_population() -> PopulationModel:
    """The population the bundled ``data/servqual_sample.csv`` is drawn from.

    Three countries (NL, FR, NO, a third each) with small latent mean
    differences, three waves with responsiveness improving a little each wave,
    expectations included, item ``res3`` non-invariant in FR (intercept +0.6
    latent SD), and 4% of respondents with 1-3 answers missing completely at random.
    """
    dims = instrument.DIMENSIONS
    return PopulationModel(
        groups={"NL": 1 / 3, "FR": 1 / 3, "NO": 1 / 3},
        group_shifts={
            "FR": {**{d: -0.10 for d in dims}, **{expectation_factor(d): 0.10 for d in dims}},
            "NO": {d: 0.15 for d in dims},
        },
        noninvariant_intercepts={("FR", "res3"): 0.6},
        waves={1: 1 / 3, 2: 1 / 3, 3: 1 / 3},
        wave_shifts={2: {"responsiveness": 0.15}, 3: {"responsiveness": 0.30}},
        missing_share=0.04,
        missing_mechanism="MCAR",
    )


# --------------------------------------------------------------------------- drawing
@dataclass
class SimulatedSurvey:
    """A simulated survey: the answers, the true parameters and the population.

    ``data`` has the id, group and wave columns, then one column per item
    (whole numbers on the answer scale, ``NaN`` where an answer is missing);
    ``truth`` is :meth:`PopulationModel.truth`.
    """

    data: pd.DataFrame
    truth: pd.DataFrame
    population: PopulationModel


def allocate(shares: dict, n: int, rng: np.random.Generator) -> np.ndarray:
    """Exactly proportional allocation (largest remainder), in random order."""
    labels = list(shares)
    p = np.array([shares[k] for k in labels], dtype=float)
    p = p / p.sum()
    counts = np.floor(p * n).astype(int)
    remainder = p * n - counts
    for k in np.argsort(-remainder, kind="stable")[: n - counts.sum()]:
        counts[k] += 1
    codes = np.repeat(np.arange(len(labels)), counts)
    return rng.permutation(codes)


def _matrix_root(r: np.ndarray) -> np.ndarray:
    try:
        return np.linalg.cholesky(r)
    except np.linalg.LinAlgError:  # singular but PSD (a correlation of exactly 1)
        values, vectors = np.linalg.eigh(r)
        return vectors * np.sqrt(np.clip(values, 0, None))


def _latent_scores(pop: PopulationModel, group: np.ndarray, wave: np.ndarray,
                   rng: np.random.Generator) -> pd.DataFrame:
    n = len(group)
    exo, endo = pop.exogenous, pop.endogenous
    group_names, wave_names = list(pop.groups), list(pop.waves)

    def mean_of(factor: str) -> np.ndarray:
        base = pop.factor_means.get(factor, 0.0)
        g_shift = np.array([pop.group_shifts.get(g, {}).get(factor, 0.0) for g in group_names])
        w_shift = np.array([pop.wave_shifts.get(w, {}).get(factor, 0.0) for w in wave_names])
        return base + g_shift[group] + w_shift[wave]

    root = _matrix_root(pop.factor_correlations.loc[exo, exo].to_numpy(dtype=float))
    z = rng.standard_normal((n, len(exo))) @ root.T
    eta = pd.DataFrame({f: mean_of(f) + z[:, k] for k, f in enumerate(exo)})
    psi = pop.residual_variances()
    disturbance = rng.standard_normal((n, len(endo)))
    for k, outcome in enumerate(endo):
        value = mean_of(outcome) + np.sqrt(max(psi[outcome], 0.0)) * disturbance[:, k]
        for (o, p), b in pop.paths.items():
            if o == outcome:
                value = value + b * eta[p].to_numpy()
        eta[outcome] = value
    return eta[pop.factors]


def _answers(pop: PopulationModel, eta: pd.DataFrame, group: np.ndarray,
             rng: np.random.Generator) -> np.ndarray:
    items, group_names = pop.items, list(pop.groups)
    theta = np.sqrt(np.clip(pop.error_variances().to_numpy(), 0, None))
    noise = rng.standard_normal((len(group), len(items))) * theta
    ystar = np.empty_like(noise)
    for g_code, g in enumerate(group_names):
        rows = group == g_code
        lam = pop.loading_matrix(g).to_numpy()
        intercepts = np.array([pop.noninvariant_intercepts.get((g, i), 0.0) for i in items])
        ystar[rows] = intercepts + eta.to_numpy()[rows] @ lam.T + noise[rows]
    answers = np.empty_like(ystar)
    for j, item in enumerate(items):
        answers[:, j] = pop.scale_min + np.searchsorted(pop.item_thresholds(item), ystar[:, j])
    return answers


def _delete_answers(pop: PopulationModel, answers: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    n, n_items = answers.shape
    n_missing = int(round(pop.missing_share * n))
    if n_missing == 0:
        return answers
    items = pop.items
    eligible = np.arange(n_items)
    if pop.missing_mechanism == "MAR":
        driver = answers[:, items.index(pop.missing_driver)]
        z = (driver - driver.mean()) / (driver.std() or 1.0)
        weight = np.exp(-1.5 * z)  # lower driver answer -> more likely to have gaps
        who = rng.choice(n, size=n_missing, replace=False, p=weight / weight.sum())
        eligible = eligible[eligible != items.index(pop.missing_driver)]
    else:
        who = rng.choice(n, size=n_missing, replace=False)
    out = answers.copy()
    upper = min(pop.missing_max, len(eligible))
    for row in np.sort(who):
        k = rng.integers(1, upper + 1)
        out[row, rng.choice(eligible, size=k, replace=False)] = np.nan
    return out


def simulate(population: PopulationModel | None = None, n: int = 900, seed: int | None = None,
             codebook: Codebook | None = None) -> SimulatedSurvey:
    """Draw a survey of ``n`` respondents from a population model.

    Parameters
    ----------
    population : PopulationModel, optional
        The generating model; the well-behaved default when omitted. Use
        :func:`sample_population` for the bundled sample's model.
    n : int
        Number of respondents.
    seed : int, optional
        Seed for :func:`numpy.random.default_rng`; the same seed gives the same
        data. Defaults to ``config.SAMPLE_SEED``.
    codebook : Codebook, optional
        Supplies the names of the id, group and wave columns (the SERVQUAL
        codebook's ``respondent_id``, ``country``, ``wave`` by default).

    Returns
    -------
    SimulatedSurvey
        ``data`` (one row per respondent: id, group, wave, then the item
        answers as whole numbers with ``NaN`` for missing), ``truth`` (true
        parameters, columns ``lhs, op, rhs, group, value``) and ``population``.

    Examples
    --------
    >>> from sqlib.survey.simulate import simulate, sample_population
    >>> survey = simulate(sample_population(), n=600, seed=7)
    >>> sorted(survey.data["country"].unique())
    ['FR', 'NL', 'NO']
    >>> survey.truth.query("op == '~' and group == 'NL'").shape[0]
    6

    There is no single R equivalent; ``lavaan::simulateData()`` is the closest.
    """
    pop = population if population is not None else PopulationModel()
    pop.check()
    if n < 1:
        raise ValueError(f"n must be a positive number of respondents, got {n}.")
    cb = codebook if codebook is not None else instrument.servqual_codebook(expectations=False)
    id_col, group_col, wave_col = (cb.id_column or "respondent_id", cb.group_column or "group",
                                   cb.wave_column or "wave")
    rng = np.random.default_rng(config.SAMPLE_SEED if seed is None else seed)
    group = allocate(pop.groups, n, rng)
    wave = allocate(pop.waves, n, rng)
    eta = _latent_scores(pop, group, wave, rng)
    answers = _delete_answers(pop, _answers(pop, eta, group, rng), rng)
    data = pd.DataFrame({
        id_col: np.arange(1, n + 1, dtype="int64"),
        group_col: pd.array(np.array(list(pop.groups), dtype=object)[group], dtype="str"),
        wave_col: np.array(list(pop.waves), dtype="int64")[wave],
    })
    data = pd.concat([data, pd.DataFrame(answers, columns=pop.items)], axis=1)
    return SimulatedSurvey(data=data, truth=pop.truth(), population=pop)



def delete_at_random(data: pd.DataFrame, columns: list[str], share: float, seed: int) -> pd.DataFrame:
    """A copy of ``data`` with each answer in ``columns`` deleted independently with probability
    ``share`` (missing completely at random, scattered: most respondents get their own pattern).

    >>> from sqlib.survey.simulate import simulate, delete_at_random
    >>> survey = simulate(n=200, seed=1).data
    >>> holes = delete_at_random(survey, ["tan1", "tan2"], 0.5, seed=2)
    >>> bool(holes[["tan1", "tan2"]].isna().any().all())
    True
    """
    rng = np.random.default_rng(seed)
    out = data.copy()
    values = np.array(out[columns], dtype=float)
    values[rng.random(values.shape) < share] = np.nan
    out[columns] = values
    return out

# --------------------------------------------------------------------------- bundled sample
SAMPLE_N = 900


def sample_survey() -> SimulatedSurvey:
    """The bundled sample, drawn afresh (identical to ``data/servqual_sample.csv``)."""
    return simulate(sample_population(), n=SAMPLE_N, seed=config.SAMPLE_SEED)


def to_csv_text(data: pd.DataFrame) -> str:
    """CSV text with whole-number answers and empty cells for missing answers."""
    out = data.copy()
    for col in out.columns:
        if pd.api.types.is_float_dtype(out[col]):
            out[col] = out[col].astype("Int64")
    return out.to_csv(index=False, lineterminator="\n")


def write_sample(out_dir: str | Path | None = None) -> dict[str, Path]:
    """Write the bundled sample: CSV data, YAML codebook and a README.

    Returns the paths written, keyed ``"data"``, ``"codebook"`` and ``"readme"``.
    """
    out_dir = Path(out_dir) if out_dir is not None else config.DATA_DIR
    out_dir.mkdir(parents=True, exist_ok=True)
    survey = sample_survey()
    paths = {"data": out_dir / config.SAMPLE_DATA.name, "codebook": out_dir / config.SAMPLE_CODEBOOK.name,
             "readme": out_dir / "README.md"}
    paths["data"].write_text(to_csv_text(survey.data), encoding="utf-8", newline="\n")
    instrument.servqual_codebook().to_yaml(paths["codebook"])
    paths["readme"].write_text(describe_sample(survey), encoding="utf-8", newline="\n")
    return paths


def _fmt(x: float) -> str:
    return f"{x:+.2f}"


def _markdown_table(frame: pd.DataFrame) -> str:
    header = "| " + " | ".join(str(c) for c in frame.columns) + " |"
    rule = "|" + "|".join(" --- " for _ in frame.columns) + "|"
    body = ["| " + " | ".join(str(v) for v in row) + " |" for row in frame.itertuples(index=False)]
    return "\n".join([header, rule, *body])


def describe_sample(survey: SimulatedSurvey) -> str:
    """Markdown description of the bundled sample, written from the population's values."""
    pop, data = survey.population, survey.data
    n = len(data)
    items = pop.items
    n_with_gaps = int(data[items].isna().any(axis=1).sum())
    cons = pop.constructs
    loadings = pd.DataFrame(
        [(f, ", ".join(f"{i} {pop.loadings[(f, i)]:.2f}" for i in its)) for f, its in cons.items()],
        columns=["factor", "items and standardized loadings"],
    )
    dims = list(instrument.DIMENSIONS)
    corr = pop.factor_correlations.loc[dims, dims].map(lambda v: f"{v:.2f}")
    corr.insert(0, "", dims)
    paths = pd.DataFrame([(o, p, f"{v:.2f}") for (o, p), v in pop.paths.items()],
                         columns=["outcome", "predictor", "standardized path"])
    r2 = {o: 1 - psi for o, psi in pop.residual_variances().items()}
    groups = pd.DataFrame(
        [(g, f"{share:.3f}", int((data['country'] == g).sum()),
          ", ".join(f"{f} {_fmt(v)}" for f, v in pop.group_shifts.get(g, {}).items()) or "reference (none)")
         for g, share in pop.groups.items()],
        columns=["country", "share", "respondents", "latent mean shifts (SD units)"],
    )
    waves = pd.DataFrame(
        [(w, f"{share:.3f}", int((data['wave'] == w).sum()),
          ", ".join(f"{f} {_fmt(v)}" for f, v in pop.wave_shifts.get(w, {}).items()) or "reference (none)")
         for w, share in pop.waves.items()],
        columns=["wave", "share", "respondents", "latent mean shifts (SD units)"],
    )
    noninv = "\n".join(
        f"- `{i}` in country {g}: intercept shifted by {_fmt(v)} latent-response SD" for (g, i), v
        in pop.noninvariant_intercepts.items()
    ) or "- none"
    noninv_load = "\n".join(
        f"- `{i}` in country {g}: loading changed by {_fmt(v)}" for (g, i), v in pop.noninvariant_loadings.items()
    )
    exp_means = ", ".join(f"{f} {pop.factor_means[f]:.2f}" for f in pop.factors if f in pop.factor_means)
    pe = pop.factor_correlations.loc[dims[0], expectation_factor(dims[0])]
    thresholds = ", ".join(f"{t:.2f}" for t in BASE_THRESHOLDS)
    return f"""# Bundled sample data

Generated by `sqlib.simulate` — do not edit by hand. Regenerate with `make data`
(which runs `python -m sqlib.simulate --write-sample`); the files come out
byte-identical because the draw is seeded.

- `servqual_sample.csv`: {n} simulated respondents of a SERVQUAL survey, one row each:
  `respondent_id`, `country`, `wave`, the 22 perception items (`tan1` ... `emp5`),
  the 22 expectation items (`e_tan1` ... `e_emp5`), satisfaction (`sat1`-`sat3`)
  and loyalty (`loy1`-`loy4`). Answers are whole numbers {pop.scale_min}-{pop.scale_max};
  an empty cell is a missing answer.
- `servqual_codebook.yaml`: the matching codebook (`sqlib.instrument.servqual_codebook()`),
  with the English item wordings as labels.

Seed: `{config.SAMPLE_SEED}` (`sqlib.config.SAMPLE_SEED`); population:
`sqlib.simulate.sample_population()`; the true parameters as a table:
`sqlib.simulate.sample_survey().truth`.

## Generating model

Every factor has variance 1 and every item's continuous latent response has
variance 1, so loadings and paths below are standardized values. Thresholds cut
the latent response into the {pop.scale_max - pop.scale_min + 1} answer categories; before a
small item-specific offset (at most {max(abs(o) for o in _THRESHOLD_OFFSETS):.2f}) they are {thresholds}, which puts most answers
in the upper half of the scale (mean about 5).

### Measurement

{_markdown_table(loadings)}

### Correlations among the five dimensions

{_markdown_table(corr)}

Each expectation factor `e_<dimension>` has the same correlations with the other
expectation factors; it correlates {pe:.2f} with its own perception factor (and
{pe:.2f} times the dimension correlation with the other perception factors).
Expectation factor means (perception factors have mean 0): {exp_means}. So
expectations run higher than perceptions and most P - E gaps are negative.

### Structural paths

{_markdown_table(paths)}

Explained variance: {", ".join(f"{o} {v:.2f}" for o, v in r2.items())}.

### Countries

{_markdown_table(groups)}

Non-invariant item(s), which a measurement-invariance analysis should find:

{noninv}
{noninv_load}

### Waves

{_markdown_table(waves)}

### Missing answers

{pop.missing_share:.0%} of respondents ({n_with_gaps} of {n}) have between 1 and
{pop.missing_max} answers missing; mechanism: {pop.missing_mechanism}
({"respondents and cells chosen completely at random" if pop.missing_mechanism == "MCAR"
  else f"respondents with a lower `{pop.missing_driver}` answer are more likely to have gaps"}).
"""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m sqlib.simulate",
                                     description="Simulate SERVQUAL survey data.")
    parser.add_argument("--write-sample", action="store_true",
                        help="write the bundled sample (CSV, codebook, README) from its seed")
    parser.add_argument("--out", default=None, help=f"output folder (default {config.DATA_DIR})")
    args = parser.parse_args(argv)
    if not args.write_sample:
        parser.print_help()
        return 2
    for path in write_sample(args.out).values():
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
