"""Tracking a survey over waves: construct scores, wave-over-wave changes, invariance.

A tracking report asks what changed between survey waves. :func:`wave_scores`
gives each construct's mean score per wave with a confidence interval;
:func:`wave_changes` tests the change between consecutive waves (Welch t-test for
independent samples of respondents, paired t-test for a panel) with Holm-adjusted
p-values and Hedges' g. A change in an observed score only reflects a change in
the construct when the items measure it the same way in both waves (scalar
measurement invariance): :func:`wave_invariance` runs the invariance workflow of
:mod:`sqlib.invariance` with the wave as group and gives a verdict per construct
and wave, and :func:`wave_changes` flags every change it does not back.
:func:`wave_trend_plot` draws the scores over the waves.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
from scipy import stats
from statsmodels.stats.meta_analysis import effectsize_smd

from sqlib.survey.codebook import Codebook, load_codebook
from sqlib.core.errors import CodebookError, SurveyDataError
from sqlib.survey.io import order_wave_labels
from .gaps import holm_adjust
from .invariance import InvarianceResult, split_parameter, invariance, latent_means, locate_noninvariance
from sqlib.survey.model_builders import cfa_syntax
from sqlib.sem.tables import fit_table

#: Invariance levels that can be required, in order; each adds constraints to the previous one.
REQUIRED_LEVELS = ("metric", "scalar", "strict")
_CHAIN = ("configural", "metric", "scalar", "strict")
_PARAMETER_OPS = {"metric": ("=~",), "scalar": ("=~", "~1"), "strict": ("=~", "~1", "~~")}

SCORE_COLUMNS = ["construct", "wave", "n", "mean", "sd", "se", "ci_lower", "ci_upper"]
CHANGE_COLUMNS = ["construct", "wave_from", "wave_to", "test", "n_from", "n_to", "mean_from", "mean_to",
                  "change", "se", "ci_lower", "ci_upper", "t", "df", "p_value", "p_holm", "hedges_g",
                  "invariance_shown", "invariance_note", "flag"]


# ----------------------------------------------------------------------- scores
def construct_scores(data: pd.DataFrame, codebook: Codebook | None = None, *, constructs=None,
                     min_share: float = 0.5) -> pd.DataFrame:
    """Each respondent's score on each construct: the mean of the construct's items.

    Parameters
    ----------
    data : DataFrame
        One row per respondent, with the codebook's item columns.
    codebook : Codebook, optional
        Which items measure which construct (SERVQUAL default).
    constructs : list of str, optional
        Constructs to score; default every construct of the codebook.
    min_share : float
        Share of a construct's items a respondent must have answered; the score is the
        mean of the answered items (NaN below this share). ``1`` uses complete answers only.

    Returns
    -------
    DataFrame
        One column per construct, same index as ``data``.

    Examples
    --------
    The R equivalent is ``rowMeans(data[, items], na.rm = TRUE)`` per construct.

    >>> import sqlib
    >>> from sqlib.analysis.waves import construct_scores
    >>> scores = construct_scores(sqlib.load_sample())
    >>> list(scores.columns[:2]), bool(scores["tangibles"].between(1, 7).all())
    (['tangibles', 'reliability'], True)
    """
    cb = load_codebook(codebook)
    names = _construct_names(cb, constructs)
    if not 0 < min_share <= 1:
        raise ValueError(f"min_share must be above 0 and at most 1 (a share of the items), not {min_share!r}.")
    absent = [item for name in names for item in cb.items_of(name) if item not in data.columns]
    if absent:
        raise SurveyDataError(f"The data have no column(s) {', '.join(absent)}, which the codebook lists as items; "
                              "check the codebook or read the file with sqlib.read_survey.")
    scores = {}
    for name in names:
        answers = data[cb.items_of(name)].apply(pd.to_numeric, errors="coerce")
        enough = answers.notna().mean(axis=1) >= min_share
        scores[name] = answers.mean(axis=1).where(enough)
    return pd.DataFrame(scores, index=data.index)


def wave_scores(data: pd.DataFrame, codebook: Codebook | None = None, *, wave: str | None = None,
                constructs=None, ci: float = 0.95, min_share: float = 0.5, min_n: int = 2) -> pd.DataFrame:
    """Mean construct score per survey wave, with a t-based confidence interval.

    Parameters
    ----------
    data : DataFrame
        One row per respondent (per wave, in a panel).
    codebook : Codebook, optional
        Constructs, items and the wave column (SERVQUAL default).
    wave : str, optional
        The wave column; default the codebook's ``wave`` column.
    constructs : list of str, optional
        Default every construct (the dimensions, satisfaction, loyalty...).
    ci : float
        Coverage of the confidence intervals.
    min_share : float
        See :func:`construct_scores`.
    min_n : int
        Fewest respondents with a score a wave may have; fewer raises an error naming the wave.

    Returns
    -------
    DataFrame
        One row per construct and wave (waves in order) with columns

        - ``construct``, ``wave``
        - ``n``: respondents with a score in that wave
        - ``mean``, ``sd`` (n - 1 denominator), ``se`` (sd / sqrt(n))
        - ``ci_lower``, ``ci_upper``: mean +- t(n - 1) quantile x se

    Examples
    --------
    The R equivalent is ``aggregate(score ~ wave, data, mean)`` with ``t.test(score)$conf.int``
    per wave (or ``Rmisc::summarySE``).

    >>> import sqlib
    >>> from sqlib.analysis.waves import wave_scores
    >>> table = wave_scores(sqlib.load_sample())
    >>> table.query("construct == 'responsiveness'")["wave"].tolist()
    ['1', '2', '3']
    """
    cb = load_codebook(codebook)
    wave = _wave_column(data, cb, wave)
    if not 0 < ci < 1:
        raise ValueError(f"ci must be between 0 and 1 (for example 0.95), not {ci!r}.")
    names = _construct_names(cb, constructs)
    scores = construct_scores(data, cb, constructs=names, min_share=min_share)
    waves = _wave_order(data[wave], wave, cb.wave_order)
    rows = []
    for name in names:
        for w in waves:
            x = scores.loc[data[wave] == w, name].dropna().to_numpy()
            _require_respondents(len(x), min_n, name, w, wave)
            mean, sd, se = x.mean(), x.std(ddof=1), stats.sem(x)
            lower, upper = stats.t.interval(ci, len(x) - 1, loc=mean, scale=se)
            rows.append([name, w, len(x), mean, sd, se, lower, upper])
    return pd.DataFrame(rows, columns=SCORE_COLUMNS)


# ----------------------------------------------------------------------- changes
def wave_changes(data: pd.DataFrame, codebook: Codebook | None = None, *, wave: str | None = None,
                 constructs=None, invariance=None, ci: float = 0.95, paired: bool | None = None,
                 min_share: float = 0.5, min_n: int = 2) -> pd.DataFrame:
    """Change of each construct's mean score between consecutive waves, tested and flagged.

    Parameters
    ----------
    data, codebook, wave, constructs, min_share, min_n
        As in :func:`wave_scores`.
    invariance : WaveInvariance, DataFrame, dict or InvarianceResult, optional
        Whether measurement invariance across waves was shown, per construct:

        - the result of :func:`wave_invariance` (per construct and wave);
        - a DataFrame with columns ``construct``, ``invariance_shown`` and optionally
          ``wave`` and ``invariance_note``;
        - a dict ``{construct: bool}``;
        - an :class:`~sqlib.invariance.InvarianceResult` of a wave-grouped CFA: shown for
          every construct when its highest supported level is scalar or beyond.

        None (default) means not tested: every change is flagged.
    ci : float
        Coverage of the confidence interval of the change.
    paired : bool, optional
        Use the paired t-test on respondents present in both waves. Default: paired
        when the codebook's id column repeats a respondent in more than one wave (a panel),
        else Welch's t-test for independent samples (the bundled sample: each respondent
        answered in one wave only).

    Returns
    -------
    DataFrame
        One row per construct and consecutive wave pair with columns

        - ``construct``, ``wave_from``, ``wave_to``
        - ``test``: ``"welch"`` (``scipy.stats.ttest_ind(equal_var=False)``) or ``"paired"``
          (``scipy.stats.ttest_rel``, on respondents scored in both waves)
        - ``n_from``, ``n_to``; ``mean_from``, ``mean_to`` (in a panel: of the matched respondents)
        - ``change`` (``mean_to - mean_from``), its ``se`` and ``ci_lower``, ``ci_upper``
        - ``t``, ``df`` (Welch-Satterthwaite for independent samples), ``p_value`` (two-sided)
        - ``p_holm``: Holm-adjusted across the constructs of the same wave pair
        - ``hedges_g``: the change over the pooled SD of the two waves, small-sample
          corrected (``statsmodels.stats.meta_analysis.effectsize_smd``); in a panel it is
          standardized the same way, so it is comparable to independent waves
        - ``invariance_shown``: invariance at the required level holds for the construct in
          both waves; ``invariance_note`` says why not
        - ``flag``: True when the change is *not* backed by invariance (whatever its p-value):
          it may reflect a change in how the items work rather than in the construct

    Examples
    --------
    The R equivalent is ``t.test(score ~ wave, data = two_waves)`` (Welch) per construct,
    ``p.adjust(p, "holm")`` and ``effectsize::hedges_g``.

    >>> import sqlib
    >>> from sqlib.analysis.waves import wave_changes
    >>> data = sqlib.load_sample()
    >>> changes = wave_changes(data, invariance={name: True for name in sqlib.Codebook.servqual().construct_names})
    >>> changes.query("construct == 'responsiveness'")[["wave_from", "wave_to"]].values.tolist()
    [['1', '2'], ['2', '3']]
    >>> bool(changes["flag"].any())
    False
    """
    cb = load_codebook(codebook)
    wave = _wave_column(data, cb, wave)
    if not 0 < ci < 1:
        raise ValueError(f"ci must be between 0 and 1 (for example 0.95), not {ci!r}.")
    names = _construct_names(cb, constructs)
    waves = _wave_order(data[wave], wave, cb.wave_order)
    _require_two_waves(waves, wave)
    paired = _is_panel(data, cb, wave) if paired is None else paired
    if paired and not (cb.id_column and cb.id_column in data.columns):
        raise SurveyDataError("paired=True needs a respondent id column to match answers across waves; "
                              "name it in the codebook ('id: <column>') and include it in the data.")
    scores = construct_scores(data, cb, constructs=names, min_share=min_share)
    verdicts = _verdicts(invariance, names, waves)
    rows = []
    for w_from, w_to in zip(waves[:-1], waves[1:]):
        for name in names:
            if paired:
                before, after = _matched(scores[name], data, cb.id_column, wave, w_from, w_to)
            else:
                before = scores.loc[data[wave] == w_from, name].dropna().to_numpy()
                after = scores.loc[data[wave] == w_to, name].dropna().to_numpy()
            _require_respondents(len(before), min_n, name, w_from, wave)
            _require_respondents(len(after), min_n, name, w_to, wave)
            rows.append({"construct": name, "wave_from": w_from, "wave_to": w_to,
                         **_change_test(before, after, paired, ci),
                         **_backing(verdicts, name, w_from, w_to)})
    table = pd.DataFrame(rows)
    table["p_holm"] = table.groupby(["wave_from", "wave_to"], sort=False)["p_value"].transform(holm_adjust)
    table["flag"] = ~table["invariance_shown"]
    return table[CHANGE_COLUMNS]


def _change_test(before: np.ndarray, after: np.ndarray, paired: bool, ci: float) -> dict:
    if paired:
        res = stats.ttest_rel(after, before)
    else:
        res = stats.ttest_ind(after, before, equal_var=False)
    interval = res.confidence_interval(ci)
    change = after.mean() - before.mean()
    if paired:
        se = stats.sem(after - before)
    else:
        se = np.sqrt(after.var(ddof=1) / len(after) + before.var(ddof=1) / len(before))
    g, _ = effectsize_smd(after.mean(), after.std(ddof=1), len(after), before.mean(), before.std(ddof=1), len(before))
    return {"test": "paired" if paired else "welch", "n_from": len(before), "n_to": len(after),
            "mean_from": before.mean(), "mean_to": after.mean(), "change": change,
            "se": se,
            "ci_lower": interval.low, "ci_upper": interval.high, "t": res.statistic, "df": res.df,
            "p_value": res.pvalue, "hedges_g": g}




def _matched(score: pd.Series, data: pd.DataFrame, id_column: str, wave: str, w_from, w_to):
    frame = pd.DataFrame({"id": data[id_column], "wave": data[wave], "score": score})
    both = []
    for w in (w_from, w_to):
        part = frame[frame["wave"] == w]
        twice = part["id"][part["id"].duplicated()]
        if len(twice):
            raise SurveyDataError(f"Respondent {twice.tolist()[0]!r} ({id_column}) appears more than once in "
                                  f"wave {w!r} ({len(twice)} duplicate id(s) in that wave); a panel needs one row per "
                                  "respondent and wave.")
        both.append(part.set_index("id")["score"])
    matched = pd.concat(both, axis=1, join="inner").dropna()
    return matched.iloc[:, 0].to_numpy(), matched.iloc[:, 1].to_numpy()


def _is_panel(data: pd.DataFrame, cb: Codebook, wave: str) -> bool:
    if not cb.id_column or cb.id_column not in data.columns:
        return False
    ids = data[[cb.id_column, wave]].dropna()
    return bool(ids.groupby(cb.id_column)[wave].nunique().gt(1).any())


# ----------------------------------------------------------------------- invariance
@dataclass
class WaveInvariance:
    """Measurement invariance across waves and its verdict per construct and wave.

    Attributes
    ----------
    level : str
        The level required (scalar for comparing means).
    wave : str
        The wave column.
    sequence : InvarianceResult
        The invariance sequence up to ``level`` (``sequence.table`` has the fit changes).
    located : dict
        :func:`~sqlib.invariance.locate_noninvariance` at ``level``: the released parameters
        (``freed``) and the partial-invariance fit (``result``).
    holds : bool
        Whether (partial) invariance at ``level`` is supported by the fit-change criteria.
    verdicts : DataFrame
        ``construct, wave, invariance_shown, invariance_note``.
    """

    level: str
    wave: str
    sequence: InvarianceResult = field(repr=False)
    located: dict = field(repr=False)
    holds: bool
    verdicts: pd.DataFrame

    @property
    def table(self) -> pd.DataFrame:
        """The invariance sequence table (one row per level)."""
        return self.sequence.table

    @property
    def constructs(self) -> pd.DataFrame:
        """One row per construct: ``construct, invariance_shown`` (in every wave) and the notes."""
        grouped = self.verdicts.groupby("construct", sort=False)
        return pd.DataFrame({
            "invariance_shown": grouped["invariance_shown"].all(),
            "invariance_note": grouped["invariance_note"].agg(lambda notes: "; ".join(dict.fromkeys(notes))),
        }).reset_index()

    def latent_means(self) -> pd.DataFrame:
        """Latent mean differences from the first wave in the (partial) scalar model.

        Valid for every construct, also those with released items, as long as partial
        scalar invariance holds; empty otherwise (or when only metric invariance was required).
        Columns as :func:`sqlib.invariance.latent_means` with ``wave`` for ``group_label``.
        """
        means = latent_means(self.located["result"]).rename(columns={"group_label": "wave"})
        if not self.holds or self.level == "metric":
            means = means.iloc[0:0]
        return means.drop(columns="group")

    def _repr_html_(self) -> str:
        return self.constructs.to_html(index=False)


def wave_invariance(data: pd.DataFrame, codebook: Codebook | None = None, *, wave: str | None = None,
                    constructs=None, level: str = "scalar", estimator: str = "ML", cutoffs: dict | None = None,
                    alpha: float = 0.05) -> WaveInvariance:
    """Test measurement invariance across waves and judge it per construct and wave.

    A correlated-factors CFA of the constructs is fitted with the wave as group
    (:func:`sqlib.invariance.invariance`, waves in order so the first wave is the
    reference). Equality constraints that the data reject are then located with score
    tests (:func:`sqlib.invariance.locate_noninvariance`). A construct is invariant in a
    wave when

    0. the configural model (same structure in every wave) meets Hu and Bentler's fit
       cutoffs (:data:`sqlib.tables.HU_BENTLER`) and has no severe diagnostic (such as a
       non-positive-definite latent covariance matrix in a wave),
    1. every step below ``level`` is supported by the fit-change criteria (Chen 2007),
    2. the model at ``level``, with the located parameters released, does not fit worse
       than the model one level below by those criteria, and
    3. none of the construct's released parameters (loadings, intercepts, and for strict
       residual variances of its items) deviates in that wave. With two waves a released
       parameter counts against both.

    Parameters
    ----------
    data : DataFrame
    codebook : Codebook, optional
    wave : str, optional
        The wave column; default the codebook's.
    constructs : list of str, optional
        Constructs in the CFA; default every construct with two or more items (a
        single-item construct has no loadings to compare).
    level : {"metric", "scalar", "strict"}
        The level required: scalar (equal loadings and intercepts) to compare means.
    estimator : {"ML", "MLR"}
    cutoffs : dict, optional
        ``delta_cfi``, ``delta_rmsea`` as in :func:`sqlib.invariance.invariance`.
    alpha : float
        Familywise level of the score tests that locate non-invariant parameters.

    Returns
    -------
    WaveInvariance
        ``verdicts`` (construct, wave, invariance_shown, invariance_note), ``table`` (the
        invariance sequence), ``constructs`` (per construct) and ``latent_means()``.

    Examples
    --------
    The R equivalent is ``cfa(model, data, group = "wave", group.equal = ...)`` fits compared
    with ``lavTestLRT`` and ``lavTestScore`` (semTools::measEq.syntax).

    >>> import sqlib
    >>> from sqlib.analysis.waves import wave_invariance
    >>> check = wave_invariance(sqlib.load_sample(), constructs=["satisfaction", "loyalty"])
    >>> check.constructs["invariance_shown"].tolist()
    [True, True]
    """
    cb = load_codebook(codebook)
    wave = _wave_column(data, cb, wave)
    if level not in REQUIRED_LEVELS:
        raise ValueError(f"level must be one of {', '.join(REQUIRED_LEVELS)} (scalar to compare means), not {level!r}.")
    names = _construct_names(cb, [c.name for c in cb.constructs if len(c.items) >= 2]
                             if constructs is None else constructs)
    waves = _wave_order(data[wave], wave, cb.wave_order)
    _require_two_waves(waves, wave)
    ordered = _sorted_by_wave(data, wave, waves)
    _require_complete_cases(ordered, cb, names, wave, waves)
    model = cfa_syntax(cb, names)
    chain = list(_CHAIN[: _CHAIN.index(level) + 1])
    sequence = invariance(model, ordered, group=wave, levels=chain, estimator=estimator, cutoffs=cutoffs)
    located = locate_noninvariance(model, ordered, group=wave, level=level, alpha=alpha, estimator=estimator)
    problem = _global_problem(sequence, located["result"], level)
    verdicts = _construct_verdicts(cb, names, waves, located["freed"], problem, level)
    return WaveInvariance(level, wave, sequence, located, problem is None, verdicts)


def _global_problem(sequence: InvarianceResult, partial_fit, level: str) -> str | None:
    """Why invariance at ``level`` fails for the whole model, or None when it holds."""
    configural = sequence.fits["configural"]
    row = fit_table({"configural": configural}).iloc[0]
    if not row["meets_cutoffs"]:
        return (f"the configural model across waves does not fit (CFI {row['cfi']:.3f}, RMSEA {row['rmsea']:.3f}, "
                f"SRMR {row['srmr']:.3f}; Hu and Bentler's cutoffs), so no invariance level can be shown")
    severe = configural.diagnostics[configural.diagnostics["severity"] == "severe"]
    if len(severe):
        return (f"the configural model across waves has a severe problem ({severe['check'].iloc[0]}: "
                f"{severe['where'].iloc[0]}), so no invariance level can be shown")
    table = sequence.table.set_index("level")
    for step in table.index[1:-1]:
        if table.loc[step, "verdict"] == "not supported":
            return (f"{step} invariance across waves not supported (delta CFI {table.loc[step, 'delta_cfi']:.3f}, "
                    f"delta RMSEA {table.loc[step, 'delta_rmsea']:.3f})")
    below = sequence.fits[table.index[-2]].fit_measures
    fm = partial_fit.fit_measures
    delta_cfi, delta_rmsea = fm["cfi"] - below["cfi"], fm["rmsea"] - below["rmsea"]
    if delta_cfi <= sequence.cutoffs["delta_cfi"] and delta_rmsea >= sequence.cutoffs["delta_rmsea"]:
        return (f"even partial {level} invariance across waves not supported (delta CFI {delta_cfi:.3f}, "
                f"delta RMSEA {delta_rmsea:.3f})")
    return None


def _construct_verdicts(cb: Codebook, names: list[str], waves: list, freed: pd.DataFrame,
                        problem: str | None, level: str) -> pd.DataFrame:
    notes: dict[tuple, list[str]] = {(name, w): [] for name in names for w in waves}
    for _, row in freed.iterrows():
        lhs, op, rhs = split_parameter(row["parameter"])
        if op not in _PARAMETER_OPS[level]:
            continue
        name = lhs if op == "=~" else cb.construct_of(lhs)
        if name not in names:
            continue
        hit = waves if len(waves) <= 2 else [w for w in waves if w == row["deviating_group"]]
        for w in hit:
            where = "between the waves" if len(waves) <= 2 else f"in wave {w}"
            notes[(name, w)].append(f"{row['parameter']} differs {where}")
    rows = []
    for (name, w), found in notes.items():
        if problem is not None:
            rows.append([name, w, False, problem])
        elif found:
            rows.append([name, w, False, "; ".join(found)])
        else:
            rows.append([name, w, True, f"{level} invariance across waves supported"])
    return pd.DataFrame(rows, columns=["construct", "wave", "invariance_shown", "invariance_note"])


def _verdicts(invariance, names: list[str], waves: list) -> pd.DataFrame:
    """Normalise the ``invariance`` argument of :func:`wave_changes` to construct x wave verdicts."""
    index = pd.MultiIndex.from_product([names, waves], names=["construct", "wave"])
    out = pd.DataFrame({"invariance_shown": False, "invariance_note": "invariance across waves not tested"},
                       index=index)
    if invariance is None:
        return out
    if isinstance(invariance, WaveInvariance):
        invariance = invariance.verdicts
    if isinstance(invariance, InvarianceResult):
        held = invariance.highest_level
        shown = held in _CHAIN and _CHAIN.index(held) >= _CHAIN.index("scalar")
        invariance = {name: shown for name in names}
        note = f"highest invariance level across waves: {held}"
    else:
        note = None
    if isinstance(invariance, dict):
        invariance = pd.DataFrame({"construct": list(invariance), "invariance_shown": list(invariance.values())})
    if not isinstance(invariance, pd.DataFrame) or not {"construct", "invariance_shown"} <= set(invariance.columns):
        raise TypeError("invariance must be the result of wave_invariance, a DataFrame with columns 'construct' and "
                        "'invariance_shown' (and optionally 'wave'), a dict {construct: bool}, an InvarianceResult "
                        f"or None; got {type(invariance).__name__}.")
    for _, row in invariance.iterrows():
        if row["construct"] not in names:
            continue
        hit = waves if "wave" not in invariance.columns else [w for w in waves if w == row["wave"]]
        shown = bool(row["invariance_shown"])
        text = row.get("invariance_note") if isinstance(row.get("invariance_note"), str) else note
        text = text or ("invariance across waves shown" if shown else "invariance across waves not shown")
        for w in hit:
            out.loc[(row["construct"], w)] = [shown, text]
    return out


def _backing(verdicts: pd.DataFrame, name: str, w_from, w_to) -> dict:
    a, b = verdicts.loc[(name, w_from)], verdicts.loc[(name, w_to)]
    shown = bool(a["invariance_shown"] and b["invariance_shown"])
    notes = [v["invariance_note"] for v in (a, b) if not v["invariance_shown"]] or [a["invariance_note"]]
    return {"invariance_shown": shown, "invariance_note": "; ".join(dict.fromkeys(notes))}


# ----------------------------------------------------------------------- plot
def wave_trend_plot(table: pd.DataFrame, ax=None, constructs=None, changes: pd.DataFrame | None = None,
                    codebook=None):
    """Construct means over the waves with their confidence intervals.

    With a ``codebook`` whose constructs use different answer scales (1-7 and 0-10,
    say) and no ``ax``, each scale gets its own panel, so no scale squashes another.

    Parameters
    ----------
    table : DataFrame
        The output of :func:`wave_scores`.
    ax : matplotlib Axes, optional
    constructs : list of str, optional
        Constructs to draw (default all in ``table``).
    changes : DataFrame, optional
        The output of :func:`wave_changes`; a flagged change (not backed by
        invariance) is drawn as a dotted segment.

    Returns
    -------
    matplotlib Axes

    Examples
    --------
    >>> import sqlib
    >>> from sqlib.analysis.waves import wave_scores, wave_trend_plot
    >>> ax = wave_trend_plot(wave_scores(sqlib.load_sample()), constructs=["responsiveness"])
    >>> [t.get_text() for t in ax.get_xticklabels()]
    ['1', '2', '3']
    """
    names = list(dict.fromkeys(table["construct"])) if constructs is None else list(constructs)
    unknown = [n for n in names if n not in set(table["construct"])]
    if unknown:
        raise ValueError(f"The table has no construct(s) {', '.join(unknown)}; it has "
                         f"{', '.join(dict.fromkeys(table['construct']))}.")
    by_scale = _names_by_scale(names, codebook)
    if ax is None and len(by_scale) > 1:
        _, axes = plt.subplots(1, len(by_scale), figsize=(5.5 * len(by_scale), 4), layout="constrained")
        for panel, (scale, group) in zip(axes, by_scale.items()):
            wave_trend_plot(table, ax=panel, constructs=group, changes=changes)
            panel.set_title(f"answer scale {scale[0]:g}-{scale[1]:g}", fontsize=10)
        return axes[0]
    waves = list(dict.fromkeys(table["wave"]))
    flagged = set()
    if changes is not None:
        flagged = {(r.construct, r.wave_from, r.wave_to) for r in changes.itertuples() if r.flag}
    if ax is None:
        _, ax = plt.subplots(figsize=(6.5, 4), layout="constrained")
    colors = sns.color_palette("colorblind", len(names))
    for k, (name, color) in enumerate(zip(names, colors)):
        part = table[table["construct"] == name].set_index("wave").loc[[w for w in waves if w in set(table["wave"])]]
        x = np.array([waves.index(w) for w in part.index]) + (k - (len(names) - 1) / 2) * 0.04
        ax.errorbar(x, part["mean"], yerr=[part["mean"] - part["ci_lower"], part["ci_upper"] - part["mean"]],
                    fmt="o", color=color, capsize=3, label=name)
        for j in range(len(part) - 1):
            style = ":" if (name, part.index[j], part.index[j + 1]) in flagged else "-"
            ax.plot(x[j:j + 2], part["mean"].iloc[j:j + 2], ls=style, color=color)
    ax.set_xticks(range(len(waves)))
    ax.set_xticklabels([str(w) for w in waves])
    ax.set_xlabel("wave")
    ax.set_ylabel("mean score (CI)")
    title = "Construct scores by wave"
    if flagged:
        title += " (dotted: change not backed by invariance)"
    ax.set_title(title)
    ax.legend(frameon=False, loc="center left", bbox_to_anchor=(1.0, 0.5))
    return ax


# ----------------------------------------------------------------------- helpers
def _names_by_scale(names: list[str], codebook) -> dict:
    """Constructs grouped by their answer scale (one group when there is no codebook)."""
    if codebook is None:
        return {None: names}
    groups: dict = {}
    for name in names:
        groups.setdefault(codebook.scale_of(codebook.items_of(name)[0]), []).append(name)
    return groups


def _construct_names(cb: Codebook, constructs) -> list[str]:
    if constructs is None:
        return cb.construct_names
    names = [constructs] if isinstance(constructs, str) else list(constructs)
    for name in names:
        cb.construct(name)  # raises naming the known constructs
    return names


def _wave_column(data: pd.DataFrame, cb: Codebook, wave: str | None) -> str:
    wave = wave or cb.wave_column
    if not wave:
        raise CodebookError("No wave column: the codebook names none. Add 'wave: <column>' to the codebook "
                            "or pass wave='<column>'.")
    if wave not in data.columns:
        raise SurveyDataError(f"The wave column {wave!r} is not in the data (columns: "
                              f"{', '.join(map(str, data.columns[:8]))}...). Check the codebook's 'wave' entry "
                              "or pass wave='<column>'.")
    return wave


def _wave_order(values: pd.Series, wave: str, order: list | None = None) -> list:
    """Wave labels in time order: an ordered categorical's, else :func:`sqlib.io.order_wave_labels`
    (the codebook's ``wave_order``; numbers; ``W1, W2, W10``; else first appearance, with a warning)."""
    present = values.dropna()
    if present.empty:
        raise SurveyDataError(f"The wave column {wave!r} is empty: every respondent needs a wave.")
    if order is None and isinstance(values.dtype, pd.CategoricalDtype) and values.cat.ordered:
        return [c for c in values.cat.categories.tolist() if c in set(present)]
    levels, note = order_wave_labels(present.tolist(), order, wave)
    if note:
        warnings.warn(note, UserWarning, stacklevel=3)
    return levels


def _require_two_waves(waves: list, wave: str) -> None:
    if len(waves) < 2:
        raise SurveyDataError(f"The data have only one wave ({waves[0]!r} in column {wave!r}); comparing waves "
                              "needs at least two.")


def _require_respondents(n: int, min_n: int, construct: str, w, wave: str) -> None:
    if n < max(min_n, 2):
        raise SurveyDataError(f"Wave {w!r} ({wave}) has only {n} respondent(s) with a {construct} score; at least "
                              f"{max(min_n, 2)} are needed. Merge it with a neighbouring wave or leave it out.")


def _require_complete_cases(data: pd.DataFrame, cb: Codebook, names: list[str], wave: str, waves: list) -> None:
    items = [i for name in names for i in cb.items_of(name)]
    complete = data[items].notna().all(axis=1)
    for w in waves:
        n = int(complete[data[wave] == w].sum())
        if n <= len(items):
            raise SurveyDataError(f"Wave {w!r} ({wave}) has only {n} respondent(s) who answered all {len(items)} "
                                  f"items; the CFA needs more respondents than items in every wave. Merge the "
                                  "wave with a neighbouring one or test fewer constructs.")


def _sorted_by_wave(data: pd.DataFrame, wave: str, waves: list) -> pd.DataFrame:
    rank = data[wave].map({w: k for k, w in enumerate(waves)})
    return data.loc[rank.notna()].iloc[np.argsort(rank.dropna().to_numpy(), kind="stable")]
