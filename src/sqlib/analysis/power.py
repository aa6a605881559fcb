"""Monte Carlo power and sample-size planning for CFA/SEM (simsem, Mplus MONTECARLO).

Many samples of each size ``n`` are drawn from a population whose parameters are
known, the model is fitted to every sample with :func:`sqlib.fit`, and the share
of samples in which a parameter is significant is its *power* at that ``n``.
The same replications give the bias and confidence-interval coverage of every
estimate, the convergence rate, the share of improper (Heywood) solutions and
the distribution of the fit measures.

The population is either

* a fitted model (:class:`~sqlib.sem.SEMResult`): its estimates are the truth and
  samples are multivariate normal with its model-implied means and covariances
  (per group, sizes in the proportions of the fitted data). Bias and coverage are
  on the unstandardized scale of the estimates; or
* a :class:`~sqlib.simulate.PopulationModel` with standardized loadings and paths:
  samples come from :func:`sqlib.simulate.simulate`, i.e. Likert answers cut from
  normal latent responses. The fitted (Pearson, normal-theory ML) unstandardized
  parameters then have no exact population value, so the truth is the
  standardized value and bias is that of the standardized estimate (``std_all``);
  coverage is not reported (NaN) because the model's confidence intervals are on
  the unstandardized scale. Power, convergence and fit are reported as usual.
  Paths the model estimates but the population lacks have truth 0: their power is
  the type I error rate.

Power, bias and coverage are computed over the converged replications (improper
solutions included; their share is reported, as in Mplus and simsem).

Replication ``rep`` at sample size ``n`` draws its data from the stream
``numpy.random.SeedSequence(seed, spawn_key=(n, rep))``, so the numbers never depend
on the engine (:mod:`sqlib.engines`), the number of workers or the chunk size, and
adding sample sizes or replications to a run leaves the existing ones unchanged.
With ``run_dir``, finished chunks are appended to a Parquet dataset in
``run_dir/power-<key>/`` (``key`` is a hash of everything that determines the
replications); running again with the same arguments resumes where it stopped.
"""

from __future__ import annotations

import copy
import dataclasses
import hashlib
import json
import os
import time
import uuid
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

from sqlib.core import engines
from sqlib.core.formatting import brief_html
from sqlib.sem.partable import parameter_name
from sqlib.survey.simulate import PopulationModel, allocate, simulate

#: Columns of the replication table (one row per replication and target parameter).
REPLICATION_COLUMNS = ["n", "rep", "parameter", "truth", "scale", "est", "est_std", "se", "pvalue",
                       "ci_lower", "ci_upper", "converged", "heywood", "nobs", "chisq", "df", "chisq_pvalue",
                       "cfi", "rmsea", "srmr", "error"]
#: Conventional cut-offs reported by :func:`fit_table` (Hu & Bentler 1999; chi-square not rejected at alpha).
FIT_CRITERIA = {"cfi": (">=", 0.95), "rmsea": ("<=", 0.06), "srmr": ("<=", 0.08)}


# --------------------------------------------------------------------------- populations
class _FrozenPopulation(PopulationModel):
    """A population model that computes its derived matrices once.

    :func:`sqlib.simulate.simulate` checks the population and rebuilds its loading matrix,
    error variances and truth table on every call; across thousands of replications of one
    fixed population these are the same, so they are kept.
    """

    def __init__(self, population: PopulationModel):  # noqa: D107 (no dataclass __init__ on purpose)
        self.__dict__.update(copy.deepcopy(population.__dict__))
        self._memo = {}
        PopulationModel.check(self)

    def _remember(self, key, compute):
        if key not in self._memo:
            self._memo[key] = compute()
        return self._memo[key]

    def check(self) -> None:
        pass  # checked once in __init__

    def truth(self) -> pd.DataFrame:
        return self._remember("truth", lambda: PopulationModel.truth(self))

    def latent_covariance(self) -> pd.DataFrame:
        return self._remember("latent_covariance", lambda: PopulationModel.latent_covariance(self))

    def residual_variances(self) -> dict[str, float]:
        return self._remember("residual_variances", lambda: PopulationModel.residual_variances(self))

    def error_variances(self) -> pd.Series:
        return self._remember("error_variances", lambda: PopulationModel.error_variances(self))

    def loading_matrix(self, group: str | None = None) -> pd.DataFrame:
        return self._remember(("loading_matrix", group), lambda: PopulationModel.loading_matrix(self, group))


_WORKER_POPULATIONS: dict[str, _FrozenPopulation] = {}


@dataclass
class _Design:
    """Everything a worker needs to run replications (sent once per worker on dask)."""

    kind: str  # "normal" (from a fitted model) or "population" (a PopulationModel)
    model: str
    fit_options: dict
    seed: int
    targets: list  # (parameter, lhs, op, rhs, group, truth)
    scale: str
    columns: list = field(default_factory=list)
    group_column: str | None = None
    levels: list = field(default_factory=list)
    shares: list = field(default_factory=list)
    means: list = field(default_factory=list)
    covariances: list = field(default_factory=list)
    population: PopulationModel | None = None
    n_observed: int = 0
    token: str = field(default_factory=lambda: uuid.uuid4().hex, repr=False, compare=False)
    _roots: object = field(default=None, repr=False, compare=False)

    def draw(self, n: int, rep: int) -> pd.DataFrame:
        """The data set of replication ``rep`` at sample size ``n``."""
        return self.draw_from(n, np.random.SeedSequence(self.seed, spawn_key=(int(n), int(rep))))

    def pilot(self, n: int) -> pd.DataFrame:
        """A data set outside the replications' streams, to check the model before a run."""
        return self.draw_from(n, np.random.SeedSequence(self.seed, spawn_key=(0,)))

    def draw_from(self, n: int, seq: np.random.SeedSequence) -> pd.DataFrame:
        if self.kind == "population":
            return simulate(self._frozen_population(), n=n, seed=seq).data
        if self._roots is None:
            self._roots = [np.linalg.cholesky(np.asarray(c)) for c in self.covariances]
        rng = np.random.default_rng(seq)
        codes = allocate(dict(enumerate(self.shares)), n, rng)
        z = rng.standard_normal((n, len(self.columns)))
        x = np.empty_like(z)
        for g, (mean, root) in enumerate(zip(self.means, self._roots)):
            rows = codes == g
            x[rows] = np.asarray(mean) + z[rows] @ root.T
        data = pd.DataFrame(x, columns=self.columns)
        if self.group_column:
            data[self.group_column] = np.array(self.levels, dtype=object)[codes]
        return data

    def _frozen_population(self) -> _FrozenPopulation:
        # kept per worker process across chunks (joblib and dask reuse their workers)
        frozen = _WORKER_POPULATIONS.get(self.token)
        if frozen is None:
            _WORKER_POPULATIONS.clear()
            frozen = _WORKER_POPULATIONS[self.token] = _FrozenPopulation(self.population)
        return frozen

    def fingerprint(self) -> dict:
        """What determines the replications, in a JSON-able canonical form."""
        keep = ["kind", "model", "fit_options", "seed", "targets", "scale", "columns", "group_column",
                "levels", "shares", "means", "covariances", "population", "n_observed"]
        return {name: _canonical(getattr(self, name)) for name in keep}


def _canonical(obj):
    """A JSON-able form of ``obj`` whose text changes whenever its content does."""
    if isinstance(obj, dict):
        return [[_canonical(k), _canonical(v)] for k, v in obj.items()]
    if isinstance(obj, (list, tuple)):
        return [_canonical(v) for v in obj]
    if isinstance(obj, pd.DataFrame):
        return {"index": [str(i) for i in obj.index], "columns": [str(c) for c in obj.columns],
                "values": _canonical(obj.to_numpy(dtype=float).tolist())}
    if isinstance(obj, np.ndarray):
        return _canonical(obj.tolist())
    if isinstance(obj, (bool, np.bool_)):
        return bool(obj)
    if isinstance(obj, (int, np.integer)):
        return int(obj)
    if isinstance(obj, (float, np.floating)):
        return repr(float(obj))
    if obj is None or isinstance(obj, str):
        return obj
    if dataclasses.is_dataclass(obj):
        return {"type": type(obj).__name__,
                "fields": _canonical({f.name: getattr(obj, f.name) for f in dataclasses.fields(obj)})}
    return repr(obj)


def _population_syntax(pop: PopulationModel) -> str:
    """lavaan syntax of a population's structural model: the factors in its paths, their items, the paths."""
    factors = [f for f in pop.factors if any(f in pair for pair in pop.paths)]
    constructs = pop.constructs
    lines = [f"{f} =~ " + " + ".join(constructs[f]) for f in factors]
    for outcome in pop.endogenous:
        predictors = [p for (o, p) in pop.paths if o == outcome]
        lines.append(f"{outcome} ~ " + " + ".join(predictors))
    return "\n".join(lines)


def _key(lhs, op, rhs, group) -> tuple:
    return (lhs, op, rhs, int(group))


def _choose_targets(estimates: pd.DataFrame, ngroups: int, parameters) -> pd.DataFrame:
    """Rows of ``estimates`` to follow: every free path and defined parameter, or the named ones."""
    est = estimates.copy()
    est["parameter"] = [parameter_name(r.lhs, r.op, r.rhs, r.group, ngroups) for r in est.itertuples()]
    free = est[est["se"] > 0]
    if parameters is None:
        chosen = free[free["op"].isin(["~", ":="])]
        if chosen.empty:
            raise ValueError("The model has no structural paths or defined effects to test; name the parameters "
                             "to follow with parameters=[...], e.g. a loading 'f =~ x2'.")
        return chosen
    if isinstance(parameters, str):
        parameters = [parameters]
    squeeze = {name.replace(" ", ""): name for name in free["parameter"]}
    picked, unknown = [], []
    for name in parameters:
        plain = str(name).replace(" ", "")
        if plain in squeeze:
            picked.append(squeeze[plain])
            continue
        by_label = free.loc[free["label"] == name, "parameter"]
        if len(by_label):
            picked.append(by_label.iloc[0])
        else:
            unknown.append(name)
    if unknown:
        raise ValueError(f"Unknown parameter(s) {unknown}: name free parameters as 'lhs op rhs' "
                         f"(e.g. {free['parameter'].iloc[0]!r}), by label, or by a defined name. "
                         f"Free parameters: {list(free['parameter'])}.")
    return free.set_index("parameter").loc[list(dict.fromkeys(picked))].reset_index()


def _design(population, model, parameters, fit_options, seed, pilot_n) -> _Design:
    """The replications' recipe, with targets and truth checked on one pilot fit in this process."""
    from sqlib.sem.result import SEMResult

    options = dict(sorted((fit_options or {}).items()))
    options.setdefault("progress", False)
    if isinstance(population, SEMResult):
        design = _design_from_result(population, model, options, seed)
    elif isinstance(population, PopulationModel):
        population.check()
        design = _Design("population", model or _population_syntax(population), options, int(seed), [],
                         "standardized", columns=list(population.items), population=copy.deepcopy(population))
    else:
        raise TypeError(f"population must be a fitted model (sqlib.fit) or a sqlib.simulate.PopulationModel, "
                        f"not {type(population).__name__}.")
    try:
        pilot = _fit_quietly(design.model, design.pilot(pilot_n), options)
    except Exception as err:  # noqa: BLE001 (re-raised with context)
        raise type(err)(f"The model could not be fitted to a simulated sample of n={pilot_n} from this "
                        f"population: {err}") from err
    truth = (_standardized_truth(population, pilot) if design.kind == "population"
             else _fitted_truth(population, pilot))
    chosen = _choose_targets(pilot.estimates, pilot.spec.ngroups, parameters)
    design.targets = [(r.parameter, r.lhs, r.op, r.rhs, int(r.group), truth[_key(r.lhs, r.op, r.rhs, r.group)])
                      for r in chosen.itertuples()]
    design.n_observed = len(pilot.observed)
    return design


def _design_from_result(result, model, options, seed) -> _Design:
    if result.estimator == "WLSMV":
        raise ValueError("A WLSMV (ordinal) fit cannot serve as the population: its estimates describe latent "
                         "responses, not answers. Describe the population with sqlib.simulate.PopulationModel "
                         "(standardized loadings and paths) and pass fit_options={'ordered': True}.")
    if result.missing != "listwise":
        options.setdefault("missing", result.missing)
    options.setdefault("estimator", result.estimator)
    if result.group:
        options.setdefault("group", result.group)
    if result.spec.meanstructure and result.spec.ngroups == 1:
        options.setdefault("meanstructure", True)
    means, covariances = [], []
    for g in range(1, result.spec.ngroups + 1):
        mom = result.model.moments(result.theta, g)
        sigma = 0.5 * (mom["sigma"] + mom["sigma"].T)
        if np.linalg.eigvalsh(sigma)[0] <= 0:
            where = f" in group {result.group_levels[g - 1]!r}" if result.spec.ngroups > 1 else ""
            raise ValueError(f"The fitted model's implied covariance matrix{where} is not positive definite, so it "
                             "cannot generate data. Fix the improper solution first (see result.diagnostics).")
        mean = mom["mu"] if result.spec.meanstructure else result.objective.stats[g - 1].mean
        means.append(np.asarray(mean, dtype=float).tolist())
        covariances.append(sigma.tolist())
    total = sum(result.nobs)
    return _Design("normal", model or result.model_syntax, options, int(seed), [], "unstandardized",
                   columns=list(result.model.ov), group_column=result.group,
                   levels=[str(v) for v in result.group_levels] if result.group else [None],
                   shares=[k / total for k in result.nobs], means=means, covariances=covariances)


def _absent_value(op: str, lhs: str, rhs: str, latent: set, observed: set) -> float:
    """Population value of a parameter the generating model does not have: 0 for paths and
    cross-loadings among its variables, undefined (NaN) otherwise."""
    if op == "~" and {lhs, rhs} <= latent | observed:
        return 0.0
    if op == "=~" and lhs in latent and rhs in observed:
        return 0.0
    return np.nan


def _with_definitions(values: dict, result) -> dict:
    """Add the defined parameters of ``result``'s model, evaluated at the true values of its labels."""
    from sqlib.sem.standardize import evaluate_definitions, label_values

    spec = result.spec
    labels = label_values(spec, [values[_key(r.lhs, r.op, r.rhs, r.group)] for r in spec.rows])
    try:
        defined = evaluate_definitions(spec, labels)
    except (NameError, TypeError, ZeroDivisionError):
        defined = {}
    for name, expr, _ in spec.definitions:
        values[_key(name, ":=", expr.replace(" ", ""), 1)] = float(defined.get(name, np.nan))
    return values


def _fitted_truth(generator, pilot) -> dict:
    """True (unstandardized) value of every parameter of the pilot fit: the generating fit's estimates."""
    est = generator.estimates
    known = {_key(*k): v for k, v in zip(zip(est["lhs"], est["op"], est["rhs"], est["group"]), est["est"])}
    latent, observed = set(generator.latent), set(generator.observed)
    values = {}
    for r in pilot.spec.rows:
        key = _key(r.lhs, r.op, r.rhs, r.group)
        values[key] = known.get(key, _absent_value(r.op, r.lhs, r.rhs, latent, observed))
    values = _with_definitions(values, pilot)
    for name, expr, _ in pilot.spec.definitions:  # a definition the generating model shares
        key = _key(name, ":=", expr.replace(" ", ""), 1)
        values[key] = known.get(key, values[key])
    return values


def _standardized_truth(pop: PopulationModel, pilot) -> dict:
    """Standardized population value of every parameter of the pilot fit (NaN when undefined)."""
    truth = pop.truth()
    first = truth["group"].iloc[0]
    known = {}
    for r in truth.itertuples():
        known[(r.lhs, r.op, r.rhs, r.group)] = r.value
        if r.op == "~~":
            known[(r.rhs, r.op, r.lhs, r.group)] = r.value
    latent, observed = set(pop.factors), set(pop.items)
    values = {}
    spec = pilot.spec
    for r in spec.rows:
        level = pilot.group_levels[r.group - 1] if spec.ngroups > 1 else first
        values[_key(r.lhs, r.op, r.rhs, r.group)] = known.get(
            (r.lhs, r.op, r.rhs, level), _absent_value(r.op, r.lhs, r.rhs, latent, observed))
    return _with_definitions(values, pilot)


def _fit_quietly(model: str, data: pd.DataFrame, fit_options: dict):
    from sqlib.sem.pipeline import fit

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fit(model, data, **fit_options)


# --------------------------------------------------------------------------- replications
#: Columns of the estimates table read for every target, and their names in the replication table.
_ESTIMATE_FIELDS = {"est": "est", "std_all": "est_std", "se": "se", "pvalue": "pvalue", "ci_lower": "ci_lower",
                    "ci_upper": "ci_upper"}
_FIT_FIELDS = ["n", "rep", "converged", "heywood", "nobs", "chisq", "df", "chisq_pvalue", "cfi", "rmsea", "srmr",
               "error"]
_DTYPES = {"n": "int64", "rep": "int64", "nobs": "int64", "converged": "bool", "heywood": "bool",
           "parameter": "str", "scale": "str", "error": "str"}
_NUMPY_TYPES = {"n": np.int64, "rep": np.int64, "nobs": np.int64, "converged": bool, "heywood": bool, "error": object}


def _has_heywood(table: pd.DataFrame) -> bool:
    """Whether ``SEMResult.heywood_cases`` would list anything (the same rule, without building its table):
    a negative variance, or a standardized loading or covariance beyond 1."""
    op, lhs, rhs = (table[c].to_numpy() for c in ("op", "lhs", "rhs"))
    est, std = table["est"].to_numpy(dtype=float), table["std_all"].to_numpy(dtype=float)
    negative = (op == "~~") & (lhs == rhs) & (est < 0)
    beyond_one = np.isin(op, ["=~", "~~"]) & (lhs != rhs) & (np.abs(std) > 1)
    return bool((negative | beyond_one).any())


def _target_values(table: pd.DataFrame, targets: list) -> np.ndarray:
    """One row per target: its est, std_all, se, pvalue and CI in ``table`` (NaN when absent)."""
    keys = zip(*(table[c].to_numpy() for c in ("lhs", "op", "rhs", "group")))
    row_of = {_key(*key): i for i, key in enumerate(keys)}
    values = table[list(_ESTIMATE_FIELDS)].to_numpy(dtype=float)
    out = np.full((len(targets), len(_ESTIMATE_FIELDS)), np.nan)
    for j, (_, lhs, op, rhs, group, _) in enumerate(targets):
        i = row_of.get(_key(lhs, op, rhs, group))
        if i is not None:
            out[j] = values[i]
    return out


def _replicate(design: _Design, n: int, rep: int) -> tuple[dict, np.ndarray]:
    """Fit one replication: its fit-level fields and its targets' estimates."""
    fields = {"n": n, "rep": rep, "converged": False, "heywood": False, "nobs": 0, "error": "",
              **{m: np.nan for m in ("chisq", "df", "chisq_pvalue", "cfi", "rmsea", "srmr")}}
    try:
        result = _fit_quietly(design.model, design.draw(n, rep), design.fit_options)
    except Exception as err:  # noqa: BLE001 (a failed replication is data, not a crash)
        fields["error"] = f"{type(err).__name__}: {err}"[:300]
        return fields, np.full((len(design.targets), len(_ESTIMATE_FIELDS)), np.nan)
    fm = result.fit_measures
    fields.update(converged=bool(result.converged), heywood=_has_heywood(result.estimates), nobs=result.ntotal,
                  chisq=fm.get("chisq", np.nan), df=fm.get("df", np.nan), chisq_pvalue=fm.get("pvalue", np.nan),
                  cfi=fm.get("cfi", np.nan), rmsea=fm.get("rmsea", np.nan), srmr=fm.get("srmr", np.nan))
    return fields, _target_values(result.estimates, design.targets)


def _run_chunk(design: _Design, tasks: list[tuple[int, int]]) -> pd.DataFrame:
    """Replications ``tasks`` (pairs ``(n, rep)``) as rows of the replication table."""
    fits, values = zip(*(_replicate(design, n, rep) for n, rep in tasks))
    k = len(design.targets)
    columns = {name: np.repeat(np.array([f[name] for f in fits], dtype=_NUMPY_TYPES.get(name, float)), k)
               for name in _FIT_FIELDS}
    columns["parameter"] = np.array([t[0] for t in design.targets] * len(tasks), dtype=object)
    columns["truth"] = np.array([t[5] for t in design.targets] * len(tasks), dtype=float)
    columns["scale"] = np.full(k * len(tasks), design.scale, dtype=object)
    stacked = np.vstack(values)
    for j, name in enumerate(_ESTIMATE_FIELDS.values()):
        columns[name] = stacked[:, j]
    return pd.DataFrame(columns)[REPLICATION_COLUMNS]


def _typed(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` (read back or empty) with the replication table's column types."""
    return frame.astype({c: _DTYPES.get(c, "float64") for c in REPLICATION_COLUMNS})


# --------------------------------------------------------------------------- run folder
class _RunStore:
    """A Parquet dataset of finished replications, one file per chunk, keyed by the design."""

    def __init__(self, run_dir: str | Path, design: _Design):
        text = json.dumps(design.fingerprint(), sort_keys=True)
        self.key = hashlib.sha256(text.encode()).hexdigest()[:16]
        self.path = Path(run_dir) / f"power-{self.key}"
        self.path.mkdir(parents=True, exist_ok=True)
        about = self.path / "arguments.json"
        if about.exists():
            stored = json.loads(about.read_text(encoding="utf-8"))
            if stored.get("key") != self.key:
                raise ValueError(f"{self.path} holds replications of a different run (key {stored.get('key')}, "
                                 f"this run {self.key}); remove the folder or use another run_dir.")
        else:
            about.write_text(json.dumps({"key": self.key, "kind": design.kind, "model": design.model,
                                         "seed": design.seed, "fit_options": _canonical(design.fit_options),
                                         "parameters": [t[0] for t in design.targets]}, indent=2),
                             encoding="utf-8")

    def load(self) -> pd.DataFrame:
        parts = sorted(self.path.glob("part-*.parquet"))
        if not parts:
            return _typed(pd.DataFrame(columns=REPLICATION_COLUMNS))
        frame = pd.concat([pd.read_parquet(p) for p in parts], ignore_index=True)
        return _typed(frame[REPLICATION_COLUMNS].drop_duplicates(["n", "rep", "parameter"]))

    def append(self, frame: pd.DataFrame) -> None:
        name = f"part-{uuid.uuid4().hex}.parquet"
        tmp = self.path / f".{name}.tmp"
        frame.to_parquet(tmp, index=False, engine="pyarrow")
        os.replace(tmp, self.path / name)  # a part is either complete or absent


# --------------------------------------------------------------------------- summaries
def power_table(replications: pd.DataFrame, alpha: float = 0.05) -> pd.DataFrame:
    """Power, bias and coverage per sample size and parameter.

    Parameters
    ----------
    replications : DataFrame
        :attr:`PowerResult.replications` (or the Parquet files of a run folder).
    alpha : float
        Significance level of the two-sided z test of each parameter.

    Returns
    -------
    DataFrame
        One row per ``n`` and ``parameter``: ``n, parameter, truth, scale, reps, converged,
        power`` (share of converged replications with ``pvalue < alpha``), ``power_mc_se``
        (its Monte Carlo standard error), ``estimate`` (mean estimate on the truth's scale:
        ``est`` when ``scale`` is "unstandardized", ``est_std`` when "standardized"),
        ``bias``, ``relative_bias`` (bias / truth; NaN for a zero truth), ``coverage``
        (share of 95% intervals containing the truth; NaN on the standardized scale),
        ``mean_se``, ``sd_est`` (standard deviation of ``est`` across replications) and
        ``se_ratio`` (mean_se / sd_est: near 1 when the standard errors are right), ``alpha``.

    Examples
    --------
    The R equivalent is ``summaryParam(sim)`` of simsem.

    >>> import sqlib
    >>> from sqlib.analysis.power import power, power_table
    >>> fitted = sqlib.fit("satisfaction =~ sat1 + sat2 + sat3\\nloyalty =~ loy1 + loy2 + loy3 + loy4\\n"
    ...                    "loyalty ~ satisfaction", sqlib.load_sample())
    >>> res = power(fitted, n=[100, 200], reps=5, seed=1, n_workers=1, progress=False)
    >>> power_table(res.replications, alpha=0.01)[["n", "parameter", "reps"]].values.tolist()
    [[100, 'loyalty ~ satisfaction', 5], [200, 'loyalty ~ satisfaction', 5]]
    """
    rows = []
    order = list(dict.fromkeys(replications["parameter"]))
    for (n, parameter), sub in replications.groupby(["n", "parameter"], sort=False):
        ok = sub[sub["converged"]]
        truth, scale = sub["truth"].iloc[0], sub["scale"].iloc[0]
        estimate = ok["est_std"] if scale == "standardized" else ok["est"]
        power_ = float(np.mean(ok["pvalue"] < alpha)) if len(ok) else np.nan
        bias = estimate.mean() - truth if len(ok) else np.nan
        covered = (ok["ci_lower"] <= truth) & (truth <= ok["ci_upper"])
        sd_est = ok["est"].std(ddof=1) if len(ok) > 1 else np.nan
        mean_se = ok["se"].mean() if len(ok) else np.nan
        rows.append({
            "n": int(n), "parameter": parameter, "truth": truth, "scale": scale, "reps": len(sub),
            "converged": len(ok), "power": power_,
            "power_mc_se": np.sqrt(power_ * (1 - power_) / len(ok)) if len(ok) else np.nan,
            "estimate": estimate.mean() if len(ok) else np.nan, "bias": bias,
            "relative_bias": bias / truth if truth not in (0, 0.0) and np.isfinite(truth) else np.nan,
            "coverage": float(covered.mean()) if len(ok) and scale == "unstandardized" else np.nan,
            "mean_se": mean_se, "sd_est": sd_est, "se_ratio": mean_se / sd_est if sd_est else np.nan,
            "alpha": alpha})
    table = pd.DataFrame(rows)
    table["_order"] = table["parameter"].map({p: i for i, p in enumerate(order)})
    return table.sort_values(["_order", "n"]).drop(columns="_order").reset_index(drop=True)


def _per_replication(replications: pd.DataFrame) -> pd.DataFrame:
    return replications.drop_duplicates(["n", "rep"])


def convergence_table(replications: pd.DataFrame) -> pd.DataFrame:
    """Convergence and improper solutions per sample size.

    Returns
    -------
    DataFrame
        ``n, reps, converged, convergence_rate, heywood_share`` (share of converged
        replications with a negative variance or a standardized loading or correlation
        beyond 1), ``errors`` (fits that stopped with an error, e.g. a singular sample
        covariance matrix).

    Examples
    --------
    Mplus prints the same as "Number of successful computations"; simsem has ``summaryConverge(sim)``.

    >>> import sqlib
    >>> from sqlib.analysis.power import power, convergence_table
    >>> fitted = sqlib.fit("satisfaction =~ sat1 + sat2 + sat3\\nloyalty =~ loy1 + loy2 + loy3 + loy4\\n"
    ...                    "loyalty ~ satisfaction", sqlib.load_sample())
    >>> res = power(fitted, n=[100, 200], reps=5, seed=1, n_workers=1, progress=False)
    >>> convergence_table(res.replications)["convergence_rate"].tolist()
    [1.0, 1.0]
    """
    per = _per_replication(replications)
    rows = []
    for n, sub in per.groupby("n"):
        ok = sub[sub["converged"]]
        rows.append({"n": int(n), "reps": len(sub), "converged": len(ok), "convergence_rate": len(ok) / len(sub),
                     "heywood_share": float(ok["heywood"].mean()) if len(ok) else np.nan,
                     "errors": int((sub["error"] != "").sum())})
    return pd.DataFrame(rows)


def fit_table(replications: pd.DataFrame, alpha: float = 0.05) -> pd.DataFrame:
    """Distribution of the chi-square p value, CFI, RMSEA and SRMR per sample size.

    Returns
    -------
    DataFrame
        ``n, measure, mean, sd, q05, median, q95, criterion, share_meeting``: quantiles
        over the converged replications and the share meeting the conventional
        criterion (chi-square test not rejected at ``alpha``; CFI >= .95, RMSEA <= .06,
        SRMR <= .08, Hu and Bentler 1999).

    Examples
    --------
    The R equivalent is ``summaryFit(sim)`` of simsem.

    >>> import sqlib
    >>> from sqlib.analysis.power import power, fit_table
    >>> fitted = sqlib.fit("satisfaction =~ sat1 + sat2 + sat3\\nloyalty =~ loy1 + loy2 + loy3 + loy4\\n"
    ...                    "loyalty ~ satisfaction", sqlib.load_sample())
    >>> res = power(fitted, n=[100, 200], reps=5, seed=1, n_workers=1, progress=False)
    >>> fit_table(res.replications)["measure"].unique().tolist()
    ['chisq_pvalue', 'cfi', 'rmsea', 'srmr']
    """
    per = _per_replication(replications)
    criteria = {"chisq_pvalue": (">=", alpha), **FIT_CRITERIA}
    rows = []
    for n, sub in per.groupby("n"):
        ok = sub[sub["converged"]]
        for measure, (sign, cut) in criteria.items():
            values = ok[measure].dropna()
            meets = values >= cut if sign == ">=" else values <= cut
            q05, median, q95 = (values.quantile([0.05, 0.5, 0.95]).to_list() if len(values) else [np.nan] * 3)
            rows.append({"n": int(n), "measure": measure, "mean": values.mean(), "sd": values.std(ddof=1),
                         "q05": q05, "median": median, "q95": q95, "criterion": f"{measure} {sign} {cut:g}",
                         "share_meeting": float(meets.mean()) if len(values) else np.nan})
    return pd.DataFrame(rows)


def required_n(table: pd.DataFrame, parameters: list[str] | str | None = None, target: float = 0.8) -> pd.DataFrame:
    """Smallest sample size whose power reaches ``target``, per parameter.

    The required ``n`` is the smallest simulated size from which on power stays at or
    above the target at every larger simulated size (Monte Carlo noise can make a
    power curve dip). When no simulated size reaches it, ``suggested_n`` extrapolates
    from the largest ``n`` assuming the z statistic grows with the square root of
    ``n`` (a starting point for a new run, not an answer).

    Parameters
    ----------
    table : DataFrame
        :func:`power_table` output.
    parameters : list of str, optional
        Parameters that must reach the target (default: every parameter in ``table``).
    target : float
        Required power, e.g. 0.8.

    Returns
    -------
    DataFrame
        ``parameter, target, required_n`` (NA when not reached), ``power`` (at the
        required ``n``, else at the largest), ``largest_n``, ``met``, ``suggested_n``
        (NA when met), ``message``, and the Monte Carlo check of that power:
        ``power_ci_lower``, ``power_ci_upper`` (95% Wilson interval over the converged
        replications, at the row's ``n``) and ``mc_verdict``: ``"reached"`` (the whole
        interval is at or above the target at the required ``n`` or a larger simulated
        one: ``established_n``, with ``established_power`` and
        ``established_ci_lower``/``established_ci_upper`` there),
        ``"not reached"`` (the whole interval is below it) or ``"within Monte Carlo
        error"`` (more replications are needed to tell).

    Examples
    --------
    simsem's ``findPower(powerTable, "N", 0.80)`` answers the same question.

    >>> import pandas as pd
    >>> from sqlib.analysis.power import required_n
    >>> table = pd.DataFrame({"n": [100, 200, 400], "parameter": "b", "power": [0.4, 0.7, 0.93],
    ...                       "alpha": 0.05, "converged": 500})
    >>> int(required_n(table, target=0.8)["required_n"].iloc[0])
    400
    """
    if not 0 < target < 1:
        raise ValueError(f"target must be a power between 0 and 1, got {target}.")
    available = list(dict.fromkeys(table["parameter"]))
    if parameters is None:
        parameters = available
    elif isinstance(parameters, str):
        parameters = [parameters]
    unknown = [p for p in parameters if p not in available]
    if unknown:
        raise ValueError(f"No power results for {unknown}; the table has {available}.")
    rows = []
    for name in parameters:
        sub = table[table["parameter"] == name].sort_values("n")
        rows.append(_required_row(sub, name, target))
    out = pd.DataFrame(rows)
    for col in ("required_n", "suggested_n", "established_n"):
        out[col] = out[col].astype("Int64")
    return out


def _required_row(sub: pd.DataFrame, name: str, target: float) -> dict:
    """One row of :func:`required_n` for the power curve ``sub`` of parameter ``name``.

    ``power_ci_lower``/``power_ci_upper`` bound the power of the row (at the required
    ``n``, else at the largest). The Monte Carlo check then looks at that ``n`` and
    every larger simulated one: the power is established at the first whose whole
    interval is at or above the target (``established_n``, ``established_power`` and
    ``established_ci_lower``/``established_ci_upper`` there).
    """
    row = _required_point(sub, name, target)
    start = row["required_n"] if row["met"] else row["largest_n"]
    checked = sub[sub["n"] >= start] if row["met"] else sub[sub["n"] == start]
    bounds = [(at, *wilson_interval(at.power, _converged(at))) for at in checked.itertuples()]
    out = {**row, "power_ci_lower": bounds[0][1], "power_ci_upper": bounds[0][2]}
    for at, lower, upper in bounds:
        if lower >= target:
            return {**out, "mc_verdict": "reached", "established_n": int(at.n), "established_power": float(at.power),
                    "established_ci_lower": lower, "established_ci_upper": upper}
    verdict = "not reached" if bounds[0][2] < target else "within Monte Carlo error"
    return {**out, "mc_verdict": verdict, "established_n": pd.NA, "established_power": float("nan"),
            "established_ci_lower": float("nan"), "established_ci_upper": float("nan")}


def _converged(at) -> int:
    value = getattr(at, "converged", None)
    return int(value) if value is not None and pd.notna(value) else 0


def wilson_interval(power_: float, reps: int, level: float = 0.95) -> tuple[float, float]:
    """Wilson score interval of a power estimated from ``reps`` replications.

    Unlike the normal approximation (``power_mc_se``), it does not shrink to a point
    when every replication (or none) is significant: 8 significant results out of 8
    give .676 to 1.

    Examples
    --------
    >>> from sqlib.analysis.power import wilson_interval
    >>> [round(x, 3) for x in wilson_interval(1.0, 8)]
    [0.676, 1.0]

    R equivalent: ``binom::binom.wilson(x, n)`` or ``prop.test(x, n, correct = FALSE)$conf.int``.
    """
    if reps < 1 or not np.isfinite(power_):
        return np.nan, np.nan
    z = stats.norm.ppf(0.5 + level / 2)
    centre = (power_ + z * z / (2 * reps)) / (1 + z * z / reps)
    half = z * np.sqrt(power_ * (1 - power_) / reps + z * z / (4 * reps * reps)) / (1 + z * z / reps)
    return float(max(centre - half, 0.0)), float(min(centre + half, 1.0))


def _required_point(sub: pd.DataFrame, name: str, target: float) -> dict:
    """The point-estimate part of a :func:`required_n` row."""
    meets = (sub["power"] >= target).to_numpy()
    from_here_on = np.flip(np.logical_and.accumulate(np.flip(meets)))
    largest = int(sub["n"].iloc[-1])
    if from_here_on.any():
        at = int(np.argmax(from_here_on))
        required, power_ = int(sub["n"].iloc[at]), float(sub["power"].iloc[at])
        return {"parameter": name, "target": target, "required_n": required, "power": power_,
                "largest_n": largest, "met": True, "suggested_n": pd.NA,
                "message": f"power {power_:.2f} >= {target:g} from n = {required} on"}
    power_ = float(sub["power"].iloc[-1])
    suggested = _extrapolate_n(largest, power_, target, float(sub["alpha"].iloc[-1]),
                               int(sub["converged"].iloc[-1]))
    hint = (f"; simulate larger samples, about n = {suggested} by extrapolation" if suggested is not pd.NA
            else "; the effect is not detectable at these sizes (is its population value zero?)")
    return {"parameter": name, "target": target, "required_n": pd.NA, "power": power_,
            "largest_n": largest, "met": False, "suggested_n": suggested,
            "message": f"power {power_:.2f} < {target:g} up to n = {largest}{hint}"}


def _extrapolate_n(n: int, power_: float, target: float, alpha: float, reps: int):
    """``n`` at which a z test reaches ``target`` if its mean z grows with sqrt(n); NA when the
    observed power is within Monte Carlo error of ``alpha`` (nothing to extrapolate from)."""
    if power_ <= alpha + 1.96 * np.sqrt(alpha * (1 - alpha) / max(reps, 1)):
        return pd.NA
    z_alpha = stats.norm.ppf(1 - alpha / 2)
    signal = z_alpha + stats.norm.ppf(min(power_, 1 - 0.5 / max(reps, 1)))
    return int(np.ceil(n * ((z_alpha + stats.norm.ppf(target)) / signal) ** 2))


def plot_power(table: pd.DataFrame, parameters: list[str] | None = None, target: float | None = 0.8, ax=None):
    """Power curves: power against sample size, one line per parameter, with 95% Monte Carlo bars.

    Parameters
    ----------
    table : DataFrame
        :func:`power_table` output.
    parameters : list of str, optional
        Which curves to draw (default: all).
    target : float, optional
        Draws the target power as a dashed line; None for none.
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib Axes

    Examples
    --------
    simsem's ``plotPower(sim, powerParam = ...)`` draws the same figure.

    >>> import sqlib
    >>> from sqlib.analysis.power import power, plot_power
    >>> fitted = sqlib.fit("satisfaction =~ sat1 + sat2 + sat3\\nloyalty =~ loy1 + loy2 + loy3 + loy4\\n"
    ...                    "loyalty ~ satisfaction", sqlib.load_sample())
    >>> res = power(fitted, n=[100, 200], reps=5, seed=1, n_workers=1, progress=False)
    >>> plot_power(res.power, target=0.8).get_ylabel()
    'power'
    """
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(7, 4.5))
    names = [parameters] if isinstance(parameters, str) else parameters
    names = list(dict.fromkeys(table["parameter"])) if names is None else names
    for name in names:
        sub = table[table["parameter"] == name].sort_values("n")
        if sub.empty:
            raise ValueError(f"No power results for {name!r}; the table has {list(dict.fromkeys(table['parameter']))}.")
        line = ax.plot(sub["n"], sub["power"], marker="o", label=name)[0]
        half = 1.96 * sub["power_mc_se"].fillna(0)
        bars = [np.minimum(half, sub["power"]), np.minimum(half, 1 - sub["power"])]  # kept within 0..1
        ax.errorbar(sub["n"], sub["power"], yerr=bars, fmt="none", capsize=3, ecolor=line.get_color())
    if target is not None:
        ax.axhline(target, color="grey", linestyle="--", linewidth=1, label=f"target {target:g}")
    if "alpha" in table and len(table):
        ax.axhline(float(table["alpha"].iloc[0]), color="grey", linestyle=":", linewidth=1, label="alpha")
    ax.set_xlabel("sample size n")
    ax.set_ylabel("power")
    ax.set_ylim(0, 1.02)
    ax.legend(fontsize="small", loc="upper center", bbox_to_anchor=(0.5, -0.14), ncol=2, frameon=False)
    return ax


# --------------------------------------------------------------------------- result and entry point
@dataclass
class PowerResult:
    """A Monte Carlo power run. Build it with :func:`power`.

    Attributes
    ----------
    replications : DataFrame
        One row per replication and target parameter (:data:`REPLICATION_COLUMNS`).
    alpha : float
    engine : EngineInfo
        Engine and number of workers that computed this call's replications.
    elapsed : float
        Wall-clock seconds of this call's replications (excluding resumed ones; including the
        start of a LocalCluster when the dask engine starts one).
    n_computed, n_resumed : int
        Replications computed now and read back from the run folder.
    complete : bool
        False when the run stopped early (``max_chunks``); run again to finish.
    run_path : Path or None
        The Parquet run folder.
    """

    replications: pd.DataFrame
    alpha: float
    engine: engines.EngineInfo
    elapsed: float
    n_computed: int
    n_resumed: int
    complete: bool
    run_path: Path | None = None
    _design: _Design | None = field(default=None, repr=False)

    @property
    def power(self) -> pd.DataFrame:
        """:func:`power_table` of the replications."""
        return power_table(self.replications, self.alpha)

    @property
    def fit(self) -> pd.DataFrame:
        """:func:`fit_table` of the replications."""
        return fit_table(self.replications, self.alpha)

    @property
    def convergence(self) -> pd.DataFrame:
        """:func:`convergence_table` of the replications."""
        return convergence_table(self.replications)

    @property
    def reps_per_second(self) -> float:
        return self.n_computed / self.elapsed if self.elapsed > 0 else np.nan

    def required_n(self, parameters: list[str] | str | None = None, target: float = 0.8) -> pd.DataFrame:
        """:func:`required_n` of the power table."""
        return required_n(self.power, parameters, target)

    def recommended_n(self, parameters: list[str] | str | None = None, target: float = 0.8) -> int | None:
        """Smallest simulated ``n`` at which every named parameter reaches ``target`` (None if none does)."""
        table = self.required_n(parameters, target)
        return int(table["required_n"].max()) if table["met"].all() else None

    def plot(self, parameters: list[str] | None = None, target: float | None = 0.8, ax=None):
        """:func:`plot_power` of the power table."""
        return plot_power(self.power, parameters, target, ax)

    def replication_data(self, n: int, rep: int) -> pd.DataFrame:
        """The data set of one replication, regenerated from its seed (to inspect a failed fit)."""
        return self._design.draw(n, rep)

    def _lines(self) -> list[str]:
        sizes = sorted(self.replications["n"].unique()) if len(self.replications) else []
        reps = self.replications.groupby("n")["rep"].nunique() if len(self.replications) else pd.Series(dtype=int)
        lines = [f"Monte Carlo power: n = {', '.join(str(int(n)) for n in sizes)}; "
                 f"{int(reps.min()) if len(reps) else 0} replications per size, alpha = {self.alpha:g}",
                 self.describe()]
        if not self.complete:
            lines.append("incomplete: run power() again with the same run folder to finish")
        return lines + [".power, .fit and .required_n() hold the tables"]

    def __repr__(self) -> str:
        return "\n  ".join(self._lines())

    def _repr_html_(self) -> str:
        return brief_html(self._lines(), self.power.to_html(index=False, float_format=lambda x: f"{x:.3f}"))

    def describe(self) -> str:
        """One sentence: how many replications, how long, on which engine."""
        if self.n_computed == 0:
            return f"All {self.n_resumed} replications were read back from {self.run_path}; none had to be computed."
        resumed = f" ({self.n_resumed} more read back from {self.run_path})" if self.n_resumed else ""
        return (f"{self.n_computed} replications in {self.elapsed:.1f} s on the {self.engine} "
                f"({self.reps_per_second:.1f} replications per second){resumed}.")


def power(population, n=(200, 300, 500, 800), reps: int = 1000, *, seed: int = 0, alpha: float = 0.05,
          model: str | None = None, parameters: list[str] | str | None = None, fit_options: dict | None = None,
          engine: str = "local", n_workers: int | None = None, scheduler=None, chunk_size: int | None = None,
          run_dir: str | Path | None = None, progress: bool = True, max_chunks: int | None = None) -> PowerResult:
    """Monte Carlo power, bias and coverage of a SEM for several sample sizes.

    Parameters
    ----------
    population : SEMResult or PopulationModel
        A fitted model (its estimates are the truth; normal data from its implied moments)
        or a population with standardized values (Likert data from :func:`sqlib.simulate.simulate`).
    n : int or list of int
        Sample sizes (total over groups).
    reps : int
        Replications per sample size (1000 or more for a study; the Monte Carlo
        standard error of a power of 0.8 is then 0.013).
    seed : int
        Master seed; replication ``rep`` at size ``n`` uses ``SeedSequence(seed, spawn_key=(n, rep))``.
    alpha : float
        Level of the two-sided z test of each parameter.
    model : str, optional
        lavaan syntax fitted to every sample. Default: the fitted model's own syntax, or for a
        population model its factors, items and paths (pass e.g.
        ``sqlib.models.structural_syntax()`` for labelled paths and indirect effects).
    parameters : list of str, optional
        Parameters to follow: ``"lhs op rhs"`` (spaces optional), labels or defined names.
        Default: every free structural path (``~``) and defined effect (``:=``).
    fit_options : dict, optional
        Keyword arguments for :func:`sqlib.fit`, e.g. ``{"estimator": "MLR"}``, or
        ``{"ordered": True}`` to fit simulated Likert answers by WLSMV. For a fitted
        model its estimator, group column and missing-data method are the defaults; options
        such as ``std_lv`` are not stored on a result and must be given again.
    engine : {"local", "dask"}
        Where replications run (see :mod:`sqlib.engines`); results do not depend on it.
    n_workers : int, optional
        Local processes or LocalCluster workers (default: every core).
    scheduler : str or distributed.Client, optional
        dask: a scheduler address (an existing cluster) or a client; None starts a LocalCluster.
    chunk_size : int, optional
        Replications per task (default: about ten chunks per worker, at most 20).
    run_dir : str or Path, optional
        Folder for the Parquet dataset of finished chunks; a rerun with the same arguments
        resumes, and more ``reps`` or sample sizes extend the same run.
    progress : bool
        tqdm progress bar with replications per second and time remaining.
    max_chunks : int, optional
        Stop after this many chunks (time-boxed runs; the result has ``complete=False``).

    Returns
    -------
    PowerResult
        ``.replications``, ``.power``, ``.fit``, ``.convergence``, ``.required_n()``,
        ``.recommended_n()``, ``.plot()``, ``.elapsed``, ``.engine``.

    Examples
    --------
    The R equivalent is simsem's ``sim(nRep, model, n = c(...), generate = popModel)``
    (or Mplus' MONTECARLO command). The structural model fitted to the bundled sample
    as the population:

    >>> import sqlib
    >>> from sqlib import models
    >>> from sqlib.analysis.power import power
    >>> fitted = sqlib.fit(models.structural_syntax(), sqlib.load_sample())
    >>> res = power(fitted, n=[200, 400], reps=10, seed=1, n_workers=1, progress=False)
    >>> res.power.query("parameter == 'loyalty ~ satisfaction'")["power"].tolist()
    [1.0, 1.0]

    A population model with standardized values; the path ``f3 ~ f2`` that the model
    estimates is absent from it, so its power is the type I error rate:

    >>> import pandas as pd
    >>> from sqlib.survey.simulate import PopulationModel
    >>> pop = PopulationModel(
    ...     loadings={(f, f"{f}{i}"): 0.75 for f in ("f1", "f2", "f3") for i in (1, 2, 3)},
    ...     factor_correlations=pd.DataFrame([[1, .3], [.3, 1]], index=["f1", "f2"], columns=["f1", "f2"]),
    ...     paths={("f3", "f1"): 0.35})
    >>> model = "f1 =~ f11 + f12 + f13\\nf2 =~ f21 + f22 + f23\\nf3 =~ f31 + f32 + f33\\nf3 ~ f1 + f2"
    >>> res = power(pop, n=[100, 200], reps=10, seed=1, model=model, n_workers=1, progress=False)
    >>> res.power.drop_duplicates("parameter")[["parameter", "truth", "scale"]].values.tolist()
    [['f3 ~ f1', 0.35, 'standardized'], ['f3 ~ f2', 0.0, 'standardized']]
    """
    engines.check_engine(engine)
    grid = _check_grid(n)
    if int(reps) != reps or reps < 1:
        raise ValueError(f"reps must be a positive whole number of replications per sample size, got {reps}.")
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must be between 0 and 1, got {alpha}.")
    design = _design(population, model, parameters, fit_options, seed, pilot_n=max(grid))
    _check_sizes(grid, design)
    store = _RunStore(run_dir, design) if run_dir is not None else None
    tasks = [(size, rep) for rep in range(int(reps)) for size in grid]
    done = _finished(store, tasks)
    finished = set(zip(done["n"], done["rep"]))
    pending = [t for t in tasks if t not in finished]
    workers = engines.resolve_workers(engine, n_workers, scheduler) or 16
    chunks = engines.chunked(pending, chunk_size or engines.chunk_size_for(len(pending), workers))[:max_chunks]
    frames, info = [done], []
    from tqdm.auto import tqdm

    bar = tqdm(total=len(tasks), initial=len(finished), desc="power", unit="rep", disable=not progress)
    start = time.perf_counter()
    try:
        for index, frame in engines.run_chunks(_run_chunk, chunks, shared=design, engine=engine,
                                               n_workers=n_workers, scheduler=scheduler, info=info):
            if store is not None:
                store.append(frame)
            frames.append(frame)
            bar.update(len(chunks[index]))
    finally:
        bar.close()
    elapsed = time.perf_counter() - start
    computed = sum(len(c) for c in chunks)
    return PowerResult(_in_order(frames, design), alpha, info[0] if info else engines.EngineInfo(engine, 0),
                       elapsed, computed, len(finished), computed + len(finished) == len(tasks),
                       store.path if store is not None else None, design)


#: Populations :func:`study_population` can build.
POPULATIONS = ("fitted", "sample")


def study_population(design, data: pd.DataFrame | None, population: str = "fitted", *,
                     fit_options: dict | None = None):
    """The population and the model of a study's power analysis: ``(truth, model)``.

    Parameters
    ----------
    design : sqlib.design.StudyDesign
        The study: its structural model (:meth:`~sqlib.design.StudyDesign.sem_syntax`) is
        the model fitted to every simulated sample.
    data : DataFrame or None
        The survey (needed for ``"fitted"``).
    population : {"fitted", "sample"}
        ``"fitted"``: the study's structural model fitted to the survey is the truth (how
        large must a replication of this survey be?). ``"sample"``: the simulation model of
        the bundled SERVQUAL sample (:func:`sqlib.simulate.sample_population`); valid only
        when the study uses the SERVQUAL codebook's constructs and items.
    fit_options : dict, optional
        Keyword arguments of :func:`sqlib.fit` for the ``"fitted"`` population.

    Returns
    -------
    tuple
        ``(truth, model)``: an :class:`~sqlib.sem.SEMResult` or
        :class:`~sqlib.simulate.PopulationModel`, and the lavaan syntax to pass to :func:`power`.

    Examples
    --------
    >>> import sqlib
    >>> from sqlib.analysis.design import study_design
    >>> from sqlib.analysis.power import study_population
    >>> truth, model = study_population(study_design(None), sqlib.load_sample())
    >>> truth.ntotal                          # respondents with complete answers
    875

    In R (simsem) the population is a fitted lavaan model's estimates:
    ``sim(nRep, model, n, generate = fitted_model)``.
    """
    from sqlib.sem.pipeline import fit
    from sqlib.survey.simulate import sample_population

    if population not in POPULATIONS:
        raise ValueError(f"population must be one of {', '.join(POPULATIONS)}, not {population!r} "
                         "(the notebook parameter population).")
    model = design.sem_syntax()
    if population == "sample":
        _require_servqual_items(design)
        return sample_population(), model
    if data is None:
        raise ValueError("population='fitted' needs the survey data: the structural model is fitted to it.")
    return fit(model, data, **(fit_options or {})), model


def _require_servqual_items(design) -> None:
    from sqlib.survey.codebook import Codebook

    servqual = Codebook.servqual()
    ours = {name: design.codebook.items_of(name) for name in design.constructs}
    theirs = {name: servqual.items_of(name) for name in servqual.construct_names}
    if ours != theirs:
        where = f" ({design.codebook.source})" if design.codebook.source else ""
        raise ValueError(
            f"population='sample' is the simulation model of the bundled SERVQUAL sample; it has no values for "
            f"this codebook{where}, whose constructs are {', '.join(design.constructs)}. Use population='fitted' "
            "(the structural model fitted to your survey) instead.")


def _finished(store: _RunStore | None, tasks: list[tuple[int, int]]) -> pd.DataFrame:
    """Replications of ``tasks`` already in the run folder."""
    if store is None:
        return _typed(pd.DataFrame(columns=REPLICATION_COLUMNS))
    done = store.load()
    return done[pd.MultiIndex.from_arrays([done["n"], done["rep"]]).isin(tasks)]


def _in_order(frames: list[pd.DataFrame], design: _Design) -> pd.DataFrame:
    """One replication table sorted by n, replication and the design's order of the targets."""
    table = _typed(pd.concat([f for f in frames if len(f)] or frames[:1], ignore_index=True))
    order = {name: i for i, (name, *_rest) in enumerate(design.targets)}
    return (table.assign(_order=table["parameter"].map(order))
            .sort_values(["n", "rep", "_order"]).drop(columns="_order").reset_index(drop=True))


def _check_grid(n) -> list[int]:
    sizes = [n] if np.isscalar(n) else list(n)
    if not sizes:
        raise ValueError("n must name at least one sample size.")
    bad = [v for v in sizes if int(v) != v or v < 2]
    if bad:
        raise ValueError(f"Sample sizes must be whole numbers of respondents >= 2; got {bad} in n.")
    return sorted({int(v) for v in sizes})


def _check_sizes(grid: list[int], design: _Design) -> None:
    p = design.n_observed
    smallest = int(grid[0] * min(design.shares)) if design.kind == "normal" else grid[0]
    if smallest <= p:
        raise ValueError(f"n = {grid[0]} is too small: the model has {p} observed variables, so every sample "
                         f"(each group) needs more than {p} respondents. Remove n = {grid[0]} from n.")
