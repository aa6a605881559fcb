"""Importance-performance analysis (issue 7): quadrants, performance scale, importance from effects()."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

import sqlib  # noqa: E402
from sqlib import models  # noqa: E402
from sqlib.sem.effects import effects  # noqa: E402
from sqlib.analysis.ipa import PRIORITIES, dimension_performance, importance_performance, ipa_plot, ipa_quadrants  # noqa: E402

CB = sqlib.Codebook.servqual()


@pytest.fixture(scope="module")
def sample():
    return sqlib.load_sample()


@pytest.fixture(scope="module")
def structural(sample):
    return sqlib.fit(models.structural_syntax(CB), sample)


def _grid():
    # importance mean 0.25, performance mean 50: one dimension in each quadrant
    return pd.DataFrame({"dimension": ["a", "b", "c", "d"], "importance": [0.4, 0.3, 0.1, 0.2],
                         "performance": [20.0, 90.0, 40.0, 50.0]})


def test_quadrants_cut_at_the_means_by_default():
    table = ipa_quadrants(_grid())
    assert table["priority"].tolist() == ["concentrate here", "keep up the good work", "low priority",
                                          "possible overkill"]  # d sits on the performance cut: high
    assert table["quadrant"].iloc[0] == "high importance, low performance"
    assert table.attrs["importance_cut"] == pytest.approx(0.25)
    assert table.attrs["performance_cut"] == pytest.approx(50)


def test_user_cut_points_move_the_crosshair():
    table = ipa_quadrants(_grid(), importance_cut=0.05, performance_cut=95)
    assert set(table["priority"]) == {"concentrate here"}
    table = ipa_quadrants(_grid(), importance_cut=0.5, performance_cut=0)
    assert set(table["priority"]) == {"possible overkill"}
    with pytest.raises(ValueError, match="performance"):
        ipa_quadrants(_grid().drop(columns="performance"))


def test_performance_is_the_mean_perception_rescaled_to_0_100(sample):
    perf = dimension_performance(sample, CB).set_index("dimension")
    for dim in CB.dimensions:
        mean = sample[CB.items_of(dim)].mean(axis=1).mean()
        assert perf.loc[dim, "mean_perception"] == pytest.approx(mean)
        assert perf.loc[dim, "performance"] == pytest.approx((mean - 1) / 6 * 100)
    items = CB.items_of("tangibles") + CB.items_of("empathy")
    floor = dimension_performance(sample.assign(**{i: 1.0 for i in items}), CB).set_index("dimension")
    ceiling = dimension_performance(sample.assign(**{i: 7.0 for i in items}), CB).set_index("dimension")
    assert floor.loc[["tangibles", "empathy"], "performance"].tolist() == [0, 0]
    assert ceiling.loc[["tangibles", "empathy"], "performance"].tolist() == [100, 100]
    with pytest.raises(ValueError, match="res2"):
        dimension_performance(sample.drop(columns="res2"), CB)


@pytest.mark.parametrize("outcome", ["satisfaction", "loyalty"])
def test_importance_is_the_total_effect_from_effects(structural, sample, outcome):
    table = importance_performance(structural, sample, CB, outcome=outcome).set_index("dimension")
    total = effects(structural).query("outcome == @outcome and effect == 'total'").set_index("predictor")
    assert sorted(table.index) == sorted(CB.dimensions)
    assert np.allclose(table["importance"], total.loc[table.index, "std_all"])
    assert np.allclose(table["total_effect"], total.loc[table.index, "est"])
    assert np.allclose(table["ci_lower"], total.loc[table.index, "ci_lower"])
    raw = importance_performance(structural, sample, CB, outcome=outcome, standardized=False).set_index("dimension")
    assert np.allclose(raw.loc[table.index, "importance"], total.loc[table.index, "est"])
    perf = dimension_performance(sample, CB).set_index("dimension")
    assert np.allclose(table["performance"], perf.loc[table.index, "performance"])


def test_table_is_ordered_by_priority_then_importance(structural, sample):
    table = importance_performance(structural, sample, CB, importance_cut=0.15)
    rank = table["priority"].map(PRIORITIES.index).to_numpy()
    assert (np.diff(rank) >= 0).all()
    for _, part in table.groupby("priority"):
        assert part["importance"].is_monotonic_decreasing
    expected = ipa_quadrants(table[["dimension", "importance", "performance"]], importance_cut=0.15)
    assert dict(zip(table["dimension"], table["priority"])) == dict(zip(expected["dimension"], expected["priority"]))


def test_outcome_and_model_errors_are_named(structural, sample):
    with pytest.raises(ValueError, match="satisfaction, loyalty"):
        importance_performance(structural, sample, CB, outcome="trust")
    second = sqlib.fit(models.second_order_syntax(CB), sample)
    with pytest.raises(ValueError, match="tangibles, reliability"):
        importance_performance(second, sample, CB)


def test_ipa_plot_labels_every_dimension_at_its_point(structural, sample):
    table = importance_performance(structural, sample, CB, outcome="loyalty")
    ax = ipa_plot(table)
    labels = {t.get_text(): t.xy for t in ax.texts}
    assert set(labels) == set(CB.dimensions)
    for _, row in table.iterrows():
        assert labels[row["dimension"]] == pytest.approx((row["performance"], row["importance"]))
    crosshair = {(tuple(line.get_xdata()), tuple(line.get_ydata())) for line in ax.lines}
    assert ((table.attrs["performance_cut"],) * 2, (0, 1)) in crosshair
    assert ((0, 1), (table.attrs["importance_cut"],) * 2) in crosshair
    assert "loyalty" in ax.get_ylabel()


def test_ipa_plot_tells_priorities_apart_by_marker_and_labels_unstandardized_importance():
    import matplotlib
    matplotlib.use("Agg")
    import pandas as pd
    from sqlib.analysis.ipa import MARKERS, PRIORITIES, ipa_plot, ipa_quadrants

    grid = pd.DataFrame({"dimension": ["a", "b", "c", "d"], "importance": [0.1, 0.5, 0.1, 0.5],
                         "performance": [40.0, 40.0, 80.0, 80.0]})
    table = ipa_quadrants(grid)
    table.attrs.update(standardized=False, outcome="loyalty")
    ax = ipa_plot(table)
    shapes = {c.get_label(): c.get_paths()[0].vertices.round(6).tobytes() for c in ax.collections}
    assert len(set(shapes.values())) == len(shapes) == 4  # four priorities, four different marker shapes
    assert len(set(MARKERS)) > len(PRIORITIES)
    assert ax.get_ylabel() == "importance (unstandardized total effect on loyalty)"
