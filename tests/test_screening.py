"""Data screening: item statistics, missing answers, straightlining, Mardia, summary."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from sqlib import config
from sqlib.survey.codebook import Codebook, Construct
from sqlib.survey.screening import (
    ScreeningSummary,
    item_statistics,
    mardia,
    missing_by_respondent,
    screening_summary,
    straightlining,
)

ITEMS = ["a1", "a2", "a3", "b1", "b2", "b3"]
DESCRIPTIVES = config.FIXTURES_DIR / "servqual_descriptives.json"


def likert(n: int = 200, seed: int = 11) -> pd.DataFrame:
    """Correlated 1-7 answers with a few missing cells and an id column."""
    rng = np.random.default_rng(seed)
    latent = rng.standard_normal((n, 1))
    raw = 4.5 + 1.2 * latent + rng.standard_normal((n, len(ITEMS)))
    answers = np.clip(np.round(raw), 1, 7)
    frame = pd.DataFrame(answers, columns=ITEMS)
    frame[rng.random(frame.shape) < 0.03] = np.nan
    frame.insert(0, "rid", [f"R{i:03d}" for i in range(n)])
    return frame


def mini_codebook(scale_min=1, scale_max=7) -> Codebook:
    return Codebook("mini", [Construct("a", ITEMS[:3]), Construct("b", ITEMS[3:])],
                    scale_min=scale_min, scale_max=scale_max, id_column="rid")


# ------------------------------------------------------------ item statistics
def test_item_statistics_match_independent_formulas():
    data = likert()
    table = item_statistics(data, ITEMS).set_index("item")
    assert list(table.index) == ITEMS
    for item in ITEMS:
        x = data[item].dropna().to_numpy()
        n = x.size
        row = table.loc[item]
        assert row["n"] == n and row["n_missing"] == data[item].isna().sum()
        assert row["pct_missing"] == pytest.approx(100 * data[item].isna().mean())
        assert row["mean"] == pytest.approx(x.mean()) and row["sd"] == pytest.approx(np.std(x, ddof=1))
        assert row["median"] == np.median(x)
        # psych "type 3": the biased moments rescaled to the n - 1 standard deviation
        assert row["skewness"] == pytest.approx(stats.skew(x) * ((n - 1) / n) ** 1.5)
        assert row["excess_kurtosis"] == pytest.approx((stats.kurtosis(x) + 3) * ((n - 1) / n) ** 2 - 3)


def test_floor_and_ceiling_use_the_codebook_scale_when_given():
    data = pd.DataFrame({"q": [2, 2, 3, 4, 4, 4, np.nan, 3]})
    observed = item_statistics(data, ["q"]).iloc[0]
    assert observed["pct_floor"] == pytest.approx(100 * 2 / 7)
    assert observed["pct_ceiling"] == pytest.approx(100 * 3 / 7)
    on_scale = item_statistics(data, ["q"], Codebook("s", [Construct("c", ["q"])], 1, 5)).iloc[0]
    assert on_scale["pct_floor"] == 0 and on_scale["pct_ceiling"] == 0


def test_item_statistics_names_a_missing_column():
    with pytest.raises(KeyError, match="'zz'"):
        item_statistics(likert(), ["a1", "zz"])


# ----------------------------------------------------------- respondent level
def test_missing_by_respondent_counts_per_row_with_ids():
    data = likert(50)
    table = missing_by_respondent(data, ITEMS, id_column="rid")
    assert table["respondent"].tolist() == data["rid"].tolist()
    expected = data[ITEMS].isna().sum(axis=1).to_numpy()
    np.testing.assert_array_equal(table["n_missing"], expected)
    np.testing.assert_array_equal(table["n_answered"], len(ITEMS) - expected)
    np.testing.assert_allclose(table["pct_missing"], 100 * expected / len(ITEMS))
    np.testing.assert_array_equal(table["complete"], expected == 0)
    by_index = missing_by_respondent(data.set_index("rid"), ITEMS)
    assert by_index["respondent"].tolist() == data["rid"].tolist()


def test_straightlining_flags_identical_answers_only():
    data = likert(30)
    data.loc[3, ITEMS] = 5  # answers 5 everywhere
    data.loc[7, ITEMS] = [2, 2, np.nan, 2, 2, 2]  # same answer, one skipped
    data.loc[9, ITEMS] = [6, 6, np.nan, np.nan, np.nan, 6]  # too few answers to judge
    data.loc[12, ITEMS] = [4, 4, 4, 4, 4, 5]  # almost, but not straightlining
    flagged = straightlining(data, ITEMS, id_column="rid", min_items=4)
    expected_rows = [i for i in range(30) if data.loc[i, ITEMS].nunique() == 1
                     and data.loc[i, ITEMS].notna().sum() >= 4]
    assert {3, 7} <= set(expected_rows)
    assert flagged["respondent"].tolist() == data.loc[expected_rows, "rid"].tolist()
    got = flagged.set_index("respondent")
    assert got.loc["R003", "answer"] == 5 and got.loc["R003", "n_answered"] == 6
    assert got.loc["R007", "answer"] == 2 and got.loc["R007", "n_answered"] == 5
    assert "R009" not in got.index and "R012" not in got.index


# --------------------------------------------------------------------- Mardia
def test_mardia_with_one_item_is_the_squared_skewness_and_the_kurtosis():
    x = likert()["a1"].dropna().to_numpy()
    table = mardia(pd.DataFrame({"a1": x}), ["a1"]).set_index("test")
    assert table.loc["skewness", "coefficient"] == pytest.approx(stats.skew(x) ** 2)
    assert table.loc["kurtosis", "coefficient"] == pytest.approx(stats.kurtosis(x) + 3)
    assert table.loc["skewness", "df"] == 1
    n = x.size
    z = (stats.kurtosis(x) + 3 - 3) / np.sqrt(24 / n)
    assert table.loc["kurtosis", "statistic"] == pytest.approx(z)
    assert table.loc["kurtosis", "p_value"] == pytest.approx(2 * stats.norm.sf(abs(z)))


def test_mardia_uses_complete_cases_and_ignores_reverse_coding_and_rescaling():
    data = likert()
    table = mardia(data, ITEMS).set_index("test")
    assert table["n"].iloc[0] == len(data[ITEMS].dropna()) and table["p"].iloc[0] == len(ITEMS)
    assert table.loc["skewness", "df"] == 6 * 7 * 8 / 6
    changed = data.assign(a1=8 - data["a1"], b2=10 * data["b2"] + 3)
    again = mardia(changed, ITEMS).set_index("test")
    np.testing.assert_allclose(again["coefficient"], table["coefficient"], rtol=1e-9)
    assert table.loc["skewness", "p_value"] == pytest.approx(
        stats.chi2.sf(table.loc["skewness", "statistic"], table.loc["skewness", "df"]))


def test_mardia_ddof_one_rescales_the_coefficients():
    data = likert()
    n = len(data[ITEMS].dropna())
    biased = mardia(data, ITEMS).set_index("test")["coefficient"]
    psych_style = mardia(data, ITEMS, ddof=1).set_index("test")["coefficient"]
    assert psych_style["skewness"] == pytest.approx(biased["skewness"] * ((n - 1) / n) ** 3)
    assert psych_style["kurtosis"] == pytest.approx(biased["kurtosis"] * ((n - 1) / n) ** 2)


def test_mardia_needs_more_respondents_than_items():
    with pytest.raises(ValueError, match="3 complete respondents for 6 items"):
        mardia(likert().dropna().head(3), ITEMS)


def _descriptives_fixture():
    if not DESCRIPTIVES.exists():
        pytest.skip("tests/fixtures/servqual_descriptives.json not generated yet (make refs)")
    ref = json.loads(DESCRIPTIVES.read_text())
    from sqlib.survey.io import file_sha256, load_sample

    assert ref["data_sha256"] == file_sha256(config.SAMPLE_DATA), "fixture is stale: re-run make refs"
    complete = load_sample(reverse_code=False)[ref["items"]].dropna()
    return ref, complete


def test_mardia_matches_psych_fixture():
    ref, complete = _descriptives_fixture()
    table = mardia(complete, ref["items"], ddof=1).set_index("test")  # psych::mardia uses cov(), n - 1
    m = ref["mardia"]
    assert table["n"].iloc[0] == m["n"]
    assert table.loc["skewness", "coefficient"] == pytest.approx(m["b1p"], rel=1e-8)
    assert table.loc["kurtosis", "coefficient"] == pytest.approx(m["b2p"], rel=1e-8)
    assert table.loc["skewness", "statistic"] == pytest.approx(m["skew"], rel=1e-8)
    assert table.loc["skewness_small_sample", "statistic"] == pytest.approx(m["small_skew"], rel=1e-8)
    assert table.loc["kurtosis", "statistic"] == pytest.approx(m["kurtosis"], rel=1e-8)
    assert table.loc["skewness", "p_value"] == pytest.approx(m["p_skew"], rel=1e-6, abs=1e-300)
    assert table.loc["skewness_small_sample", "p_value"] == pytest.approx(m["p_small_skew"], rel=1e-6, abs=1e-300)
    assert table.loc["kurtosis", "p_value"] == pytest.approx(m["p_kurtosis"], rel=1e-6, abs=1e-12)


def test_item_statistics_match_psych_describe_fixture():
    ref, complete = _descriptives_fixture()
    table = item_statistics(complete, ref["items"])
    d = ref["describe"]
    assert table["item"].tolist() == d["item"]
    np.testing.assert_array_equal(table["n"], d["n"])
    np.testing.assert_allclose(table["mean"], d["mean"], rtol=1e-10)
    np.testing.assert_allclose(table["sd"], d["sd"], rtol=1e-10)
    np.testing.assert_allclose(table["skewness"], d["skew"], rtol=1e-8, atol=1e-12)
    np.testing.assert_allclose(table["excess_kurtosis"], d["kurtosis"], rtol=1e-8, atol=1e-12)


# -------------------------------------------------------------------- summary
def test_screening_summary_collects_the_pieces_and_prints_nothing(capsys):
    data = likert()
    data.loc[0, ITEMS] = 3
    summary = screening_summary(data, mini_codebook())
    assert capsys.readouterr().out == ""
    assert isinstance(summary, ScreeningSummary)
    assert summary.n_respondents == len(data)
    assert summary.n_complete == int(data[ITEMS].notna().all(axis=1).sum())
    assert summary.straightliners["respondent"].tolist()[:1] == ["R000"]
    assert summary.item_stats["item"].tolist() == ITEMS
    assert summary.mardia is not None and summary.mardia["n"].iloc[0] == summary.n_complete
    text = summary.to_text()
    assert f"{summary.n_respondents}" in text and f"{summary.n_complete}" in text
    assert "Mardia" in text and "Straightliners" in text
    html = summary._repr_html_()
    assert html.startswith("<table") and f"<td style='text-align:left'>{len(data)}</td>" in html


def test_screening_summary_without_enough_complete_cases_skips_mardia():
    data = likert(5)
    summary = screening_summary(data, mini_codebook())
    assert summary.mardia is None and "not computed" in summary.to_text()


def test_screening_summary_on_the_bundled_sample():
    if not config.SAMPLE_DATA.exists():
        pytest.skip("the bundled sample has not been generated")
    from sqlib.survey.io import load_sample

    cb = Codebook.from_yaml(config.SAMPLE_CODEBOOK)
    data = load_sample()
    summary = screening_summary(data, cb)
    assert summary.n_respondents == 900
    assert summary.item_stats["item"].tolist() == cb.all_items
    assert summary.n_complete == int(data[cb.all_items].notna().all(axis=1).sum())
