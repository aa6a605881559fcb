"""Gap analysis statistics (issue 7): item and dimension gaps checked against scipy and statsmodels."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from scipy import stats  # noqa: E402
from statsmodels.stats.multitest import multipletests  # noqa: E402

import sqlib  # noqa: E402
from sqlib.analysis.gaps import gap_profile_plot, gap_table  # noqa: E402

CB = sqlib.Codebook.servqual()
EVEN_POINTS = {d: 20 for d in CB.dimensions}


@pytest.fixture(scope="module")
def sample():
    return sqlib.load_sample()


@pytest.fixture(scope="module")
def near_zero_gaps(sample):
    """Expectations = perceptions plus noise, so the gaps are small and the p-values spread out."""
    rng = np.random.default_rng(7)
    data = sample.copy()
    for p, e in CB.expectations.items():
        data[e] = data[p] + rng.integers(-1, 2, len(data)) + (rng.random(len(data)) < 0.1 * rng.random())
    return data


def _pairs(data, item):
    both = data[[item, CB.expectations[item]]].dropna()
    return both[item].to_numpy(float), both[CB.expectations[item]].to_numpy(float)


def test_item_gaps_match_scipy_paired_tests(sample):
    data = sample.copy()
    data.loc[data.index[:40], "e_rel3"] = np.nan  # missing answers are dropped pairwise, per item
    table = gap_table(data).set_index("item")
    assert list(table.index) == [i for i in CB.items if i in CB.expectations]
    for item in ("tan1", "rel3", "emp5"):
        p, e = _pairs(data, item)
        row = table.loc[item]
        t = stats.ttest_rel(p, e)
        w = stats.wilcoxon(p - e)
        assert row["n"] == len(p) and row["df"] == len(p) - 1
        assert row["mean_perception"] == pytest.approx(p.mean())
        assert row["mean_expectation"] == pytest.approx(e.mean())
        assert row["mean_gap"] == pytest.approx((p - e).mean())
        assert row["sd_gap"] == pytest.approx((p - e).std(ddof=1))
        assert row["t"] == pytest.approx(t.statistic) and row["p_value_t"] == pytest.approx(t.pvalue, rel=1e-9, abs=0)
        assert row["w_stat"] == pytest.approx(w.statistic)
        assert row["p_value_wilcoxon"] == pytest.approx(w.pvalue, rel=1e-9, abs=0)
    assert table.loc["rel3", "n"] < table.loc["rel2", "n"]


def test_dimension_gap_is_the_mean_of_the_respondents_item_gaps(sample):
    table = gap_table(sample, level="dimension").set_index("dimension")
    assert list(table.index) == CB.dimensions
    for dim in ("reliability", "empathy"):
        items = CB.items_of(dim)
        gaps = sample[items].to_numpy(float) - sample[[CB.expectations[i] for i in items]].to_numpy(float)
        score = np.nanmean(gaps, axis=1)
        row = table.loc[dim]
        assert row["n_items"] == len(items) and row["n"] == np.isfinite(score).sum()
        assert row["mean_gap"] == pytest.approx(np.nanmean(score))
        assert row["mean_gap"] == pytest.approx(row["mean_perception"] - row["mean_expectation"])
        assert row["t"] == pytest.approx(stats.ttest_1samp(score[np.isfinite(score)], 0).statistic)


def test_holm_adjustment_matches_statsmodels_and_is_monotone(near_zero_gaps):
    table = gap_table(near_zero_gaps)
    assert ((table["p_value_t"] > 0.01) & (table["p_value_t"] < 0.99)).any()  # a non-trivial family
    for test in ("t", "wilcoxon"):
        raw, holm = table[f"p_value_{test}"], table[f"p_holm_{test}"]
        assert np.allclose(holm, multipletests(raw, method="holm")[1])
        assert (holm >= raw - 1e-15).all() and (holm <= 1).all()
        ordered = holm[np.argsort(raw.to_numpy(), kind="stable")].to_numpy()
        assert (np.diff(ordered) >= -1e-15).all()


@pytest.mark.parametrize("ci", [0.90, 0.99])
def test_interval_is_the_t_interval_around_the_mean(sample, ci):
    table = gap_table(sample, level="dimension", ci=ci)
    half = stats.t.ppf((1 + ci) / 2, table["n"] - 1) * table["sd_gap"] / np.sqrt(table["n"])
    assert np.allclose(table["ci_lower"], table["mean_gap"] - half)
    assert np.allclose(table["ci_upper"], table["mean_gap"] + half)
    assert (table["ci_lower"] < table["mean_gap"]).all() and (table["mean_gap"] < table["ci_upper"]).all()


def test_effect_sizes_follow_their_definitions(near_zero_gaps):
    table = gap_table(near_zero_gaps).set_index("item")
    for item in ("tan2", "res4", "ass1"):
        p, e = _pairs(near_zero_gaps, item)
        d = p - e
        assert table.loc[item, "cohens_dz"] == pytest.approx(d.mean() / d.std(ddof=1))
        # rank-biserial = (R+ - R-) / (R+ + R-); scipy's one-sided statistic is R+ (zeros dropped)
        r_plus = stats.wilcoxon(d, alternative="greater").statistic
        m = np.count_nonzero(d)
        assert table.loc[item, "rank_biserial"] == pytest.approx((2 * r_plus - m * (m + 1) / 2) / (m * (m + 1) / 2))


def test_rank_biserial_is_minus_one_when_every_gap_is_negative(sample):
    data = sample.copy()
    data["e_tan1"] = data["tan1"] + 1 + (data.index % 3)
    row = gap_table(data).set_index("item").loc["tan1"]
    assert row["rank_biserial"] == pytest.approx(-1) and row["cohens_dz"] < 0


def test_constant_importance_points_scale_the_gaps_but_not_the_tests(sample):
    points = dict(EVEN_POINTS, reliability=32, tangibles=8)
    plain = gap_table(sample, level="dimension").set_index("dimension")
    weighted = gap_table(sample, level="dimension", weights=points).set_index("dimension")
    factor = pd.Series(points)[plain.index] / 100
    for column in ("mean_gap", "sd_gap", "ci_lower", "ci_upper"):
        assert np.allclose(weighted[column], plain[column] * factor)
    for column in ("t", "p_value_t", "w_stat", "p_value_wilcoxon", "cohens_dz", "rank_biserial",
                   "mean_perception", "mean_expectation", "n"):
        assert np.allclose(weighted[column], plain[column], rtol=1e-9, atol=0)
    assert np.allclose(weighted["mean_points"], pd.Series(points)[plain.index])


def test_importance_points_per_respondent_weight_each_gap(sample):
    rng = np.random.default_rng(3)
    shares = rng.dirichlet(np.ones(5), len(sample)) * 100
    data = sample.assign(**{f"pts_{d}": shares[:, k] for k, d in enumerate(CB.dimensions)})
    weights = {d: f"pts_{d}" for d in CB.dimensions}
    row = gap_table(data, weights=weights).set_index("item").loc["res2"]
    expected = (data["res2"] - data["e_res2"]) * data["pts_responsiveness"] / 100
    assert row["mean_gap"] == pytest.approx(expected.mean())
    assert row["t"] == pytest.approx(stats.ttest_1samp(expected.dropna(), 0).statistic)
    assert row["mean_points"] == pytest.approx(data["pts_responsiveness"].mean())


def test_bad_importance_points_are_named(sample):
    with pytest.raises(ValueError, match="missing: empathy"):
        gap_table(sample, weights={d: 25 for d in CB.dimensions[:4]})
    with pytest.raises(ValueError, match="add up to 90"):
        gap_table(sample, weights=dict(EVEN_POINTS, tangibles=10))
    with pytest.raises(ValueError, match="pts_tangibles"):
        gap_table(sample, weights=dict(EVEN_POINTS, tangibles="pts_tangibles"))
    data = sample.assign(pts=20.0, pts_empathy=20.0)
    data.loc[data.index[4], "pts_empathy"] = 30
    with pytest.raises(ValueError, match=rf"1 row\(s\) \(row {data.index[4]}: 110\)"):
        gap_table(data, weights=dict({d: "pts" for d in CB.dimensions}, empathy="pts_empathy"))


def test_missing_expectation_columns_and_bad_arguments_are_named(sample):
    with pytest.raises(ValueError, match="e_ass2, e_emp4"):
        gap_table(sample.drop(columns=["e_ass2", "e_emp4"]))
    with pytest.raises(ValueError, match="level"):
        gap_table(sample, level="construct")
    with pytest.raises(ValueError, match="ci"):
        gap_table(sample, ci=95)
    with pytest.raises(ValueError, match="expectation"):
        gap_table(sample, sqlib.Codebook.servqual(expectations=False))


def test_gap_profile_plot_draws_one_labelled_point_per_row(sample):
    table = gap_table(sample, level="dimension", ci=0.9)
    ax = gap_profile_plot(table)
    assert [t.get_text() for t in ax.get_yticklabels()] == CB.dimensions
    markers = [c.lines[0].get_xdata()[0] for c in ax.containers]  # one error bar per dimension
    assert np.allclose(markers, table["mean_gap"])
    assert "90%" in ax.get_xlabel()
    assert isinstance(gap_profile_plot(gap_table(sample)), matplotlib.axes.Axes)
