"""Screening plots: drawn headless, right number of bars and labels, ax honoured."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from matplotlib.patches import Rectangle  # noqa: E402

from sqlib.codebook import Codebook, Construct  # noqa: E402
from sqlib.plots import correlation_heatmap, likert_bars, likert_shares, missingness_heatmap  # noqa: E402

ITEMS = ["q1", "q2", "q3", "q4"]


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def answers(n: int = 120, seed: int = 5, scale_max: int = 7) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(rng.integers(1, scale_max + 1, (n, len(ITEMS))).astype(float), columns=ITEMS)
    frame.iloc[::10, 1] = np.nan
    return frame


def bars(ax) -> list[Rectangle]:
    return [p for p in ax.patches if isinstance(p, Rectangle)]


def test_likert_bars_draw_one_bar_per_item_and_scale_point():
    ax = likert_bars(answers(), ITEMS)
    assert isinstance(ax, plt.Axes)
    assert len(bars(ax)) == len(ITEMS) * 7
    assert [t.get_text() for t in ax.get_yticklabels()] == ITEMS


def test_likert_bars_are_centred_on_the_midpoint():
    data = pd.DataFrame({"q1": [1, 2, 4, 4, 6, 7, 7, 7.0]})
    ax = likert_bars(data, ["q1"])
    shares = likert_shares(data, ["q1"]).loc["q1"]
    lefts = {round(p.get_x(), 9): p for p in bars(ax)}
    left_edge = min(lefts)
    assert left_edge == pytest.approx(-(shares[1] + shares[2] + shares[3] + shares[4] / 2))
    right_edge = max(p.get_x() + p.get_width() for p in bars(ax))
    assert right_edge == pytest.approx(shares[5] + shares[6] + shares[7] + shares[4] / 2)
    assert sum(p.get_width() for p in bars(ax)) == pytest.approx(100)


def test_likert_bars_even_scale_uses_codebook_labels_and_given_ax():
    cb = Codebook("s", [Construct("c", ITEMS)], 1, 4, labels={"q1": "Staff are friendly"})
    fig, ax = plt.subplots()
    out = likert_bars(answers(scale_max=4), ITEMS, scale_min=1, scale_max=4, labels=cb, ax=ax)
    assert out is ax
    assert len(bars(ax)) == len(ITEMS) * 4
    assert ax.get_yticklabels()[0].get_text() == "Staff are friendly"
    # no middle category: exactly the two lowest points lie left of zero
    assert sum(p.get_x() < 0 for p in bars(ax)) == len(ITEMS) * 2


def test_likert_shares_ignore_missing_answers():
    data = answers()
    shares = likert_shares(data, ITEMS)
    np.testing.assert_allclose(shares.sum(axis=1), 100)
    counts = data["q2"].value_counts()
    assert shares.loc["q2", 3] == pytest.approx(100 * counts.get(3.0, 0) / data["q2"].notna().sum())


def test_likert_bars_reject_a_wrong_number_of_labels():
    with pytest.raises(ValueError, match="3 labels for 4 items"):
        likert_bars(answers(), ITEMS, labels=["a", "b", "c"])


def test_missingness_heatmap_marks_the_missing_cells():
    data = answers()
    ax = missingness_heatmap(data, ITEMS)
    (image,) = ax.get_images()
    np.testing.assert_array_equal(np.asarray(image.get_array()), data[ITEMS].isna().to_numpy())
    labels = [t.get_text() for t in ax.get_xticklabels()]
    assert len(labels) == len(ITEMS) and labels[1] == "q2 (10.0%)"


def test_correlation_heatmap_shows_the_lower_triangle_with_labels():
    data = answers()
    fig, ax = plt.subplots()
    out = correlation_heatmap(data, ITEMS, ax=ax, method="spearman")
    assert out is ax
    assert [t.get_text() for t in ax.get_xticklabels()] == ITEMS
    assert [t.get_text() for t in ax.get_yticklabels()] == ITEMS
    numbers = [t.get_text() for t in ax.texts]
    assert len(numbers) == len(ITEMS) * (len(ITEMS) + 1) // 2  # lower triangle and diagonal
    expected = data[ITEMS].corr(method="spearman").loc["q2", "q1"]
    assert f"{expected:.2f}" in numbers


def test_correlation_heatmap_rejects_unknown_method():
    with pytest.raises(ValueError, match="polychoric"):
        correlation_heatmap(answers(), ITEMS, method="polychoric")
