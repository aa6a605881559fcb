"""Wave tracking: scores and changes against scipy, invariance flags, simulated truth."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from scipy import stats  # noqa: E402

import sqlib  # noqa: E402
from sqlib.report.narratives.waves import changes_text  # noqa: E402
from sqlib.core.errors import CodebookError, SurveyDataError  # noqa: E402
from sqlib.analysis.invariance import InvarianceResult  # noqa: E402
from sqlib.survey.simulate import PopulationModel, simulate  # noqa: E402
from sqlib.analysis.waves import (  # noqa: E402
    construct_scores,
    wave_changes,
    wave_invariance,
    wave_scores,
    wave_trend_plot,
)

CB = sqlib.Codebook.servqual()
ALL_SHOWN = {name: True for name in CB.construct_names}


@pytest.fixture(scope="module")
def sample():
    data = sqlib.load_sample()
    return data.assign(wave=data["wave"].astype(int))  # read_survey gives wave labels as text


def _score(data, construct):
    """Independent scoring: row mean of the answered items, when at least half are answered."""
    items = data[CB.items_of(construct)]
    return items.sum(axis=1, min_count=1) / items.count(axis=1).where(items.count(axis=1) * 2 >= items.shape[1])


# ------------------------------------------------------------------ scores
def test_construct_scores_average_answered_items_when_enough_are_answered():
    data = pd.DataFrame({"sat1": [1, 4, np.nan, np.nan], "sat2": [3, np.nan, np.nan, 5],
                         "sat3": [5, 6, np.nan, np.nan]})
    scores = construct_scores(data, CB, constructs=["satisfaction"])
    assert scores["satisfaction"].tolist()[:2] == [3.0, 5.0]
    assert scores["satisfaction"].iloc[2:].isna().all()  # 0 of 3 and 1 of 3 answered: below half
    complete_only = construct_scores(data, CB, constructs=["satisfaction"], min_share=1)
    assert complete_only["satisfaction"].notna().tolist() == [True, False, False, False]


def test_wave_scores_match_pandas_and_scipy(sample):
    table = wave_scores(sample, ci=0.9).set_index(["construct", "wave"])
    assert len(table) == len(CB.construct_names) * 3
    for construct in ("tangibles", "loyalty"):
        for wave, x in _score(sample, construct).groupby(sample["wave"]):
            x = x.dropna()
            row = table.loc[(construct, wave)]
            interval = stats.ttest_1samp(x, 0).confidence_interval(0.9)
            assert row["n"] == len(x)
            assert row["mean"] == pytest.approx(x.mean())
            assert row["sd"] == pytest.approx(x.std())
            assert row["ci_lower"] == pytest.approx(interval.low)
            assert row["ci_upper"] == pytest.approx(interval.high)


# ------------------------------------------------------------------ changes
def test_welch_changes_match_scipy_and_hedges_g(sample):
    changes = wave_changes(sample, invariance=ALL_SHOWN, ci=0.9).set_index(["construct", "wave_from"])
    score = _score(sample, "responsiveness")
    before, after = score[sample["wave"] == 2].dropna(), score[sample["wave"] == 3].dropna()
    row = changes.loc[("responsiveness", 2)]
    ref = stats.ttest_ind(after, before, equal_var=False)
    assert row["test"] == "welch" and row["wave_to"] == 3
    assert row["change"] == pytest.approx(after.mean() - before.mean())
    assert row["t"] == pytest.approx(ref.statistic) and row["p_value"] == pytest.approx(ref.pvalue)
    assert row["df"] == pytest.approx(ref.df)
    assert (row["ci_lower"], row["ci_upper"]) == pytest.approx(tuple(ref.confidence_interval(0.9)))
    assert row["se"] == pytest.approx(row["change"] / ref.statistic)
    n1, n2 = len(after), len(before)
    pooled = np.sqrt(((n1 - 1) * after.var() + (n2 - 1) * before.var()) / (n1 + n2 - 2))
    assert row["hedges_g"] == pytest.approx((after.mean() - before.mean()) / pooled * (1 - 3 / (4 * (n1 + n2) - 9)))


def test_holm_adjusts_across_constructs_within_each_wave_pair(sample):
    changes = wave_changes(sample, invariance=ALL_SHOWN)
    for _, pair in changes.groupby(["wave_from", "wave_to"]):
        p = pair["p_value"].to_numpy()
        order = np.argsort(p)
        stepped = np.maximum.accumulate((len(p) - np.arange(len(p))) * p[order])
        expected = np.empty_like(p)
        expected[order] = np.minimum(stepped, 1)
        assert pair["p_holm"].to_numpy() == pytest.approx(expected)


def test_panel_data_get_the_paired_test(sample):
    first = sample[sample["wave"] == 1].head(120)
    rng = np.random.default_rng(3)
    later = first.copy()
    later["wave"] = 2
    items = CB.items_of("assurance")
    later[items] = np.clip(later[items] + rng.integers(0, 2, size=(len(later), len(items))), 1, 7)
    panel = pd.concat([first, later.sample(frac=1, random_state=1)], ignore_index=True)
    row = wave_changes(panel, constructs=["assurance"]).iloc[0]
    before = _score(first, "assurance").set_axis(first["respondent_id"])
    after = _score(later, "assurance").set_axis(later["respondent_id"])
    ref = stats.ttest_rel(after, before.loc[after.index])
    assert row["test"] == "paired" and row["n_from"] == row["n_to"] == 120
    assert row["t"] == pytest.approx(ref.statistic) and row["p_value"] == pytest.approx(ref.pvalue)
    assert row["df"] == 119
    welch = wave_changes(panel, constructs=["assurance"], paired=False).iloc[0]
    assert welch["test"] == "welch" and welch["change"] == pytest.approx(row["change"])
    with pytest.raises(SurveyDataError, match="more than once in wave 2"):
        wave_changes(pd.concat([panel, later.head(1)]), constructs=["assurance"])


# ------------------------------------------------------------------ flags
def test_flags_follow_a_hand_made_verdict(sample):
    by_dict = wave_changes(sample, invariance={**ALL_SHOWN, "responsiveness": False})
    flagged = set(by_dict.loc[by_dict["flag"], "construct"])
    assert flagged == {"responsiveness"} and (by_dict["flag"] == ~by_dict["invariance_shown"]).all()
    per_wave = pd.DataFrame({"construct": "empathy", "wave": [1, 2, 3], "invariance_shown": [True, True, False],
                             "invariance_note": ["ok", "ok", "emp2~1 differs in wave 3"]})
    table = wave_changes(sample, constructs=["empathy", "loyalty"], invariance=per_wave)
    flags = table.set_index(["construct", "wave_to"])["flag"]
    assert not flags[("empathy", 2)] and flags[("empathy", 3)]
    notes = table.set_index(["construct", "wave_to"])["invariance_note"]
    assert notes[("empathy", 3)] == "emp2~1 differs in wave 3"
    assert flags["loyalty"].all()  # not in the verdict table: not shown
    assert wave_changes(sample, constructs=["loyalty"])["flag"].all()  # no verdict at all
    for held, flagged in (("scalar", False), ("metric", True)):
        last = "supported" if held == "scalar" else "not supported"
        verdict = pd.DataFrame({"level": ["configural", "metric", "scalar"], "verdict": ["baseline", "supported", last]})
        result = wave_changes(sample, constructs=["loyalty"], invariance=InvarianceResult(verdict, {}, {}))
        assert (result["flag"] == flagged).all()
    with pytest.raises(TypeError, match="invariance must be"):
        wave_changes(sample, invariance=["tangibles"])


def test_noninvariant_item_flags_its_construct_end_to_end():
    """An intercept shift in one wave moves the observed score; only that construct is flagged."""
    pop = PopulationModel(groups={"1": 0.5, "2": 0.5}, noninvariant_intercepts={("2", "res3"): 0.8})
    data = simulate(pop, n=800, seed=5).data
    data["wave"] = data["country"].astype(int)
    names = ["reliability", "responsiveness"]
    check = wave_invariance(data, CB, constructs=names)
    assert "res3~1" in check.located["partial"] and check.holds
    verdict = check.constructs.set_index("construct")
    assert not verdict.loc["responsiveness", "invariance_shown"] and verdict.loc["reliability", "invariance_shown"]
    changes = wave_changes(data, CB, constructs=names, invariance=check).set_index("construct")
    assert changes.loc["responsiveness", "flag"] and not changes.loc["reliability", "flag"]
    assert changes.loc["responsiveness", "p_value"] < 0.05  # a spurious observed change ...
    means = check.latent_means().set_index("factor")
    assert means.loc["responsiveness", "ci_lower"] < 0 < means.loc["responsiveness", "ci_upper"]  # ... not latent
    assert "res3~1" in changes_text(changes.reset_index())


# ------------------------------------------------------------------ simulated truth
def _expected_score(pop: PopulationModel, construct: str, latent_mean: float) -> float:
    """Expected construct score: y* ~ N(loading x mean, 1), cut at the item thresholds."""
    values = [pop.scale_min + stats.norm.cdf(pop.loadings[(construct, item)] * latent_mean
                                             - pop.item_thresholds(item)).sum()
              for item in pop.constructs[construct]]
    return float(np.mean(values))


def test_known_wave_shift_is_recovered_within_its_standard_error():
    pop = PopulationModel(waves={1: 0.5, 2: 0.5}, wave_shifts={2: {"responsiveness": 0.4}})
    data = simulate(pop, n=1000, seed=11).data
    changes = wave_changes(data, CB, constructs=["tangibles", "responsiveness"], invariance=ALL_SHOWN)
    changes = changes.set_index("construct")
    for construct, shift in (("tangibles", 0.0), ("responsiveness", 0.4)):
        truth = _expected_score(pop, construct, shift) - _expected_score(pop, construct, 0.0)
        row = changes.loc[construct]
        assert abs(row["change"] - truth) < 3 * row["se"], (construct, row["change"], truth, row["se"])
    assert changes.loc["responsiveness", "p_holm"] < 0.001
    assert _expected_score(pop, "responsiveness", 0.4) > _expected_score(pop, "responsiveness", 0.0)


# ------------------------------------------------------------------ errors
def test_clear_errors_for_wave_problems(sample):
    no_wave = sqlib.Codebook.from_dict({**CB.to_dict(), "wave": None})
    with pytest.raises(CodebookError, match="wave="):
        wave_scores(sample, no_wave)
    with pytest.raises(SurveyDataError, match="'survey_round' is not in the data"):
        wave_changes(sample, wave="survey_round")
    one_wave = sample[sample["wave"] == 2]
    with pytest.raises(SurveyDataError, match="only one wave"):
        wave_changes(one_wave)
    with pytest.raises(SurveyDataError, match="only one wave"):
        wave_invariance(one_wave)
    thin = pd.concat([sample[sample["wave"] < 3], sample[sample["wave"] == 3].head(1)])
    with pytest.raises(SurveyDataError, match=r"Wave 3 \(wave\) has only 1 respondent"):
        wave_scores(thin)
    with pytest.raises(SurveyDataError, match=r"Wave 3 \(wave\) has only 40 respondent"):
        wave_changes(thin.iloc[:-1].pipe(lambda d: pd.concat([d, sample[sample["wave"] == 3].head(40)])), min_n=50)
    with pytest.raises(SurveyDataError, match=r"Wave 3 \(wave\) has only \d+ respondent\(s\) who answered all"):
        wave_invariance(pd.concat([sample[sample["wave"] < 3], sample[sample["wave"] == 3].head(10)]))


# ------------------------------------------------------------------ plot and text
def test_trend_plot_draws_each_construct_over_the_waves(sample):
    scores = wave_scores(sample, constructs=["responsiveness", "satisfaction"])
    changes = wave_changes(sample, constructs=["responsiveness", "satisfaction"],
                           invariance={"responsiveness": True, "satisfaction": False})
    ax = wave_trend_plot(scores, changes=changes)
    assert [t.get_text() for t in ax.get_xticklabels()] == ["1", "2", "3"]
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["responsiveness", "satisfaction"]
    styles = [line.get_linestyle() for line in ax.get_lines() if len(line.get_xdata()) == 2]
    assert styles.count(":") == 2 and styles.count("-") == 2  # satisfaction's two changes are flagged
    with pytest.raises(ValueError, match="no construct"):
        wave_trend_plot(scores, constructs=["tangibles"])


def test_changes_text_names_significant_changes(sample):
    changes = wave_changes(sample, invariance=ALL_SHOWN)
    text = changes_text(changes)
    significant = changes[changes["p_holm"] < 0.05]
    assert len(significant) and all(name in text for name in significant["construct"])
    assert "backed by measurement invariance" in text


def test_trend_plot_gives_each_answer_scale_its_own_panel():
    from sqlib.survey.codebook import Codebook

    cb = Codebook.from_dict({"wave": "wave", "constructs": {
        "a": {"items": ["a1", "a2"], "scale": {"min": 1, "max": 7}},
        "b": {"items": ["b1"], "scale": {"min": 0, "max": 10}}}})
    table = pd.DataFrame({"construct": ["a", "a", "b", "b"], "wave": ["1", "2", "1", "2"],
                          "mean": [4.0, 4.2, 7.0, 7.5], "ci_lower": [3.9, 4.1, 6.8, 7.3],
                          "ci_upper": [4.1, 4.3, 7.2, 7.7]})
    ax = wave_trend_plot(table, codebook=cb)
    titles = sorted(a.get_title() for a in ax.figure.axes)
    assert titles == ["answer scale 0-10", "answer scale 1-7"]
    assert len(wave_trend_plot(table).figure.axes) == 1
