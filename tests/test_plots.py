"""Screening plots: drawn headless, right number of bars and labels, ax honoured."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from matplotlib.patches import Rectangle  # noqa: E402

from sqlib.survey.codebook import Codebook, Construct  # noqa: E402
from sqlib.report.figures import correlation_heatmap, htmt_heatmap, likert_bands, likert_bars, likert_shares, missingness_heatmap  # noqa: E402

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


def test_htmt_heatmap_leaves_the_undefined_diagonal_empty_and_bolds_pairs_over_the_cutoff():
    m = pd.DataFrame([[1, .62, .91], [.62, 1, .5], [.91, .5, 1]], index=list("abc"), columns=list("abc"))
    fig, ax = plt.subplots()
    htmt_heatmap(m, cutoff=0.85, ax=ax)
    texts = {t.get_text(): t for t in ax.texts}
    assert sorted(texts) == ["0.50", "0.62", "0.91"]  # three pairs, no 1.00 on the diagonal
    assert texts["0.91"].get_fontweight() == "bold" and texts["0.62"].get_fontweight() == "normal"
    assert texts["0.91"].get_position() == (0.5, 2.5)  # row c, column a


def test_correlation_heatmap_rejects_unknown_method():
    with pytest.raises(ValueError, match="polychoric"):
        correlation_heatmap(answers(), ITEMS, method="polychoric")


# ------------------------------------------------ any scale, any wording (issue 13 item 6)
def legend_texts(ax) -> list[str]:
    return [t.get_text() for t in ax.get_legend().get_texts()]


def overlapping_tick_labels(ax) -> list[tuple[str, str]]:
    """Pairs of y tick labels whose drawn boxes overlap (renderer bounding boxes)."""
    ax.figure.canvas.draw()
    renderer = ax.figure.canvas.get_renderer()
    labels = [t for t in ax.get_yticklabels() if t.get_text()]
    boxes = [t.get_window_extent(renderer) for t in labels]
    return [(labels[i].get_text(), labels[j].get_text()) for i in range(len(boxes))
            for j in range(i + 1, len(boxes)) if boxes[i].overlaps(boxes[j])]


def test_a_0_to_100_item_gets_at_most_seven_bands():
    rng = np.random.default_rng(3)
    data = pd.DataFrame({"q1": rng.integers(0, 101, 400).astype(float), "q2": rng.integers(0, 101, 400).astype(float)})
    ax = likert_bars(data, ["q1", "q2"], scale_min=0, scale_max=100)
    names = legend_texts(ax)
    assert len(names) <= 7
    assert names == ["0-14", "15-28", "29-42", "43-57", "58-71", "72-85", "86-100"]
    assert len(bars(ax)) == 2 * len(names)
    assert sum(p.get_width() for p in bars(ax)) == pytest.approx(200)
    shares = likert_shares(data, ["q1"], 0, 100, max_bands=7).loc["q1"]
    assert shares["0-14"] == pytest.approx(100 * (data["q1"] <= 14).mean())
    assert shares["86-100"] == pytest.approx(100 * (data["q1"] >= 86).mean())


def test_a_1_to_10_item_gets_five_two_point_bands():
    data = pd.DataFrame({"q1": [1, 2, 3, 5, 6, 6, 9, 10.0]})
    ax = likert_bars(data, ["q1"], scale_min=1, scale_max=10)
    assert legend_texts(ax) == ["1-2", "3-4", "5-6", "7-8", "9-10"]
    shares = likert_shares(data, ["q1"], 1, 10, max_bands=7).loc["q1"]
    assert shares.tolist() == pytest.approx([25.0, 12.5, 37.5, 0.0, 25.0])
    # the band holding the midpoint 5.5 is split around zero
    assert min(p.get_x() for p in bars(ax)) == pytest.approx(-(25 + 12.5 + 37.5 / 2))


@pytest.mark.parametrize("low, high", [(1, 5), (1, 7), (0, 10), (1, 10), (1, 11), (0, 20), (1, 100), (0, 100), (1, 9), (-3, 3)])
def test_bands_cover_the_scale_symmetrically(low, high):
    bands = likert_bands(low, high)
    assert len(bands) <= 7
    assert bands[0][0] == low and bands[-1][1] == high
    assert all(b[0] == a[1] + 1 for a, b in zip(bands, bands[1:]))
    sizes = [hi - lo + 1 for lo, hi in bands]
    assert sizes == sizes[::-1] and max(sizes) - min(sizes) <= 1


def test_answers_off_the_scale_are_an_error_naming_the_item():
    data = pd.DataFrame({"q1": [1, 5, 7.0], "q2": [-99, 3, 50.0]})
    with pytest.raises(ValueError, match=r"Item 'q2' has 2 answer\(s\) outside its scale 1-7 .*-99.*missing_codes"):
        likert_bars(data, ["q1", "q2"])
    with pytest.raises(ValueError, match=r"Item 'q1' has 1 non-whole answer.*3.5"):
        likert_bars(pd.DataFrame({"q1": [1, 3.5, 7.0]}), ["q1"])


def test_scale_labels_must_match_the_bands():
    data = pd.DataFrame({"q1": [0, 50, 100.0]})
    with pytest.raises(ValueError, match="Got 3 scale_labels for 7 scale points or bands \\(0-14, 15-28"):
        likert_bars(data, ["q1"], scale_min=0, scale_max=100, scale_labels=["low", "mid", "high"])
    ax = likert_bars(data, ["q1"], scale_min=0, scale_max=100, scale_labels=list("abcdefg"))
    assert legend_texts(ax) == list("abcdefg")


class ScaledCodebook(Codebook):
    """A codebook with per-item scales, as ``Codebook.scale_of`` provides them."""

    scales: dict = {}

    def scale_of(self, column):
        return self.scales[column]


def per_item_codebook() -> ScaledCodebook:
    cb = ScaledCodebook("s", [Construct("quality", ["q1", "q2"]), Construct("overall", ["sat"])], 1, 7)
    cb.scales = {"q1": (0.0, 100.0), "q2": (0.0, 100.0), "sat": (1.0, 10.0)}
    return cb


def test_codebook_scale_of_gives_each_items_scale():
    cb = per_item_codebook()
    data = pd.DataFrame({"q1": [0, 40, 100.0], "q2": [10, 20, 90.0], "sat": [1, 6, 10.0]})
    assert len(legend_texts(likert_bars(data, ["q1", "q2"], labels=cb))) == 7
    assert legend_texts(likert_bars(data, ["sat"], labels=cb)) == ["1-2", "3-4", "5-6", "7-8", "9-10"]
    with pytest.raises(ValueError, match="different scales in the codebook \\(q1 0-100, sat 1-10\\)"):
        likert_bars(data, ["q1", "sat"], labels=cb)
    with pytest.raises(ValueError, match="scale_min/scale_max 1-7 contradict the codebook scale 0-100"):
        likert_bars(data, ["q1"], 1, 7, labels=cb)


def test_the_real_codebook_scale_of_is_used():
    cb = Codebook("s", [Construct("quality", ["q1", "q2"]), Construct("overall", ["sat"], "outcome", 0, 100)], 1, 5)
    data = pd.DataFrame({"q1": [1, 2, 5.0], "q2": [3, 4, 5.0], "sat": [0, 55, 100.0]})
    assert legend_texts(likert_bars(data, ["q1", "q2"], labels=cb)) == ["1", "2", "3", "4", "5"]
    assert len(legend_texts(likert_bars(data, ["sat"], labels=cb))) == 7


def test_long_wordings_of_many_items_never_overlap():
    items = [f"q{k}" for k in range(30)]
    rng = np.random.default_rng(2)
    data = pd.DataFrame(rng.integers(1, 6, (200, 30)).astype(float), columns=items)
    wording = {i: f"Item {k}: the staff of the branch explained every fee and every condition of the contract "
                  f"clearly, patiently and in words I could understand ({k})" for k, i in enumerate(items)}
    ax = likert_bars(data, items, 1, 5, labels=wording)
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert all("…" not in t and t.replace("\n", " ").endswith(f"({k})") for k, t in enumerate(labels))
    assert overlapping_tick_labels(ax) == []
    height = ax.figure.get_size_inches()[1]
    short = likert_bars(data, items[:3], 1, 5).figure.get_size_inches()[1]
    assert height > 3 * short


def test_labels_shrink_to_fit_a_given_axes():
    items = [f"q{k}" for k in range(16)]
    data = pd.DataFrame(np.ones((10, 16)), columns=items)
    fig, ax = plt.subplots(figsize=(6, 3))
    likert_bars(data, items, labels={i: f"A wording long enough to wrap on two lines, item {i}" for i in items}, ax=ax)
    assert overlapping_tick_labels(ax) == []
    assert ax.get_yticklabels()[0].get_fontsize() < 10
