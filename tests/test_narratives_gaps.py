"""Rules of the gaps-and-priorities narrative (issue 13): the study's own structural model and outcomes,
no priority ranking under severe diagnostics, numbers equal to the tables'."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import pandas as pd  # noqa: E402
import pytest  # noqa: E402

import sqlib  # noqa: E402
from sqlib.survey.codebook import Codebook, Construct  # noqa: E402
from sqlib.analysis.design import study_design  # noqa: E402
from sqlib.analysis.gaps import gap_table  # noqa: E402
from sqlib.analysis.ipa import NOT_INTERPRETABLE, dimension_performance, drivers, importance_performance, ipa_plot  # noqa: E402
from sqlib.report.narratives import gaps as narrative  # noqa: E402
from sqlib.report.presentation import format_table  # noqa: E402

SEVERE = pd.DataFrame([{"check": "path beyond 1", "severity": "severe", "where": "satisfaction ~ reliability",
                        "message": "standardized path 1.39", "suggestion": ""}])
NONE = pd.DataFrame(columns=["check", "severity", "where", "message", "suggestion"])


@pytest.fixture(scope="module")
def sample():
    return sqlib.load_sample()


@pytest.fixture(scope="module")
def design():
    return study_design(None)


@pytest.fixture(scope="module")
def result(design, sample):
    return sqlib.fit(design.sem_syntax(), sample)


@pytest.fixture(scope="module")
def tables(design, sample):
    return gap_table(sample, design.codebook, level="item"), gap_table(sample, design.codebook, level="dimension")


def test_gap_numbers_equal_the_dimension_table(tables):
    items, dims = tables
    text = narrative.gaps_text(items, dims)
    short = dims[(dims["mean_gap"] < 0) & (dims["p_holm_t"] < 0.05)]
    assert text.startswith(f"{len(short)} of {len(dims)} dimensions fall significantly short")
    cells = format_table(dims).cells.set_index("dimension")
    for name in short["dimension"]:
        assert f"{name} (mean gap {cells.loc[name, 'mean_gap']}, d_z {cells.loc[name, 'cohens_dz']})" in text
    worst = items.nsmallest(3, "mean_gap")
    item_cells = format_table(items).cells.set_index("item")
    for name in worst["item"]:
        assert f"{name} ({item_cells.loc[name, 'mean_gap']}, p" in text


def test_no_dimension_short_is_said_so():
    dims = pd.DataFrame({"dimension": ["a", "b"], "mean_gap": [-0.1, 0.3], "p_holm_t": [0.4, 0.01],
                         "cohens_dz": [-0.05, 0.2]})
    items = pd.DataFrame({"item": ["a1"], "mean_gap": [0.2], "p_holm_t": [0.2]})
    text = narrative.gaps_text(items, dims)
    assert text.startswith("0 of 2 dimensions fall significantly short of expectations")
    assert "Significantly above expectations: b (0.300)" in text
    assert "furthest below" not in text  # no item is below expectations


def test_ipa_outcomes_default_to_the_first_endogenous_construct(design, result):
    assert narrative.ipa_outcomes(design, result) == design.endogenous
    assert narrative.ipa_outcomes(design, result, "loyalty")[0] == "loyalty"
    with pytest.raises(ValueError, match="outcome='tangibles'.*satisfaction, loyalty"):
        narrative.ipa_outcomes(design, result, "tangibles")


def test_severe_diagnostics_give_no_priorities(design, result, sample, tables):
    table = importance_performance(result, sample, design.codebook, outcome="satisfaction", diagnostics=SEVERE)
    assert set(table["priority"]) == {NOT_INTERPRETABLE}
    text = narrative.priorities_text(table, SEVERE, "satisfaction", design)
    assert text.startswith("Importance on satisfaction is not interpretable: the structural model has severe "
                           "diagnostics: path beyond 1 (satisfaction ~ reliability)")
    assert "concentrate" not in text.lower() and "keep up" not in text.lower()
    summary = narrative.summary(*tables, table, SEVERE, "satisfaction", design=design)
    assert "concentrate" not in summary.lower() and "not interpretable" in summary
    ax = ipa_plot(table)
    assert not ax.lines  # no quadrant crosshair on uninterpretable importances


def test_priorities_name_the_tables_quadrants_with_its_numbers(design, result, sample):
    table = importance_performance(result, sample, design.codebook, outcome="satisfaction", diagnostics=NONE)
    text = narrative.priorities_text(table, NONE, "satisfaction", design)
    cells = format_table(table).cells.set_index("dimension")
    focus = table[table["priority"] == "concentrate here"]["dimension"].tolist()
    assert focus, "the bundled sample has a dimension to concentrate on"
    for name in focus:
        assert (f"{name} (importance {cells.loc[name, 'importance']}, performance "
                f"{cells.loc[name, 'performance']})") in text
    keep = table[table["priority"] == "keep up the good work"]["dimension"].tolist()
    listed = keep[0] if len(keep) == 1 else ", ".join(keep[:-1]) + " and " + keep[-1]
    assert f"Keep up the good work on {listed or 'no dimension'}." in text
    for name in table[table["priority"].isin(["low priority", "possible overkill"])]["dimension"]:
        assert f"concentrate on {name}" not in text


def test_importance_uses_the_study_model_and_single_item_outcomes():
    cb = Codebook("mini", [Construct("quality", ["q1", "q2", "q3"], "dimension"),
                           Construct("value", ["v1", "v2", "v3"], "dimension"),
                           Construct("sat", ["s1"], "outcome")], scale_min=1, scale_max=7)
    data = sqlib.load_sample()
    data = pd.DataFrame({"q1": data["rel1"], "q2": data["rel2"], "q3": data["rel3"], "v1": data["emp1"],
                         "v2": data["emp2"], "v3": data["emp3"], "s1": data["sat1"]})
    design = study_design(cb, "sat ~ quality")
    data = design.model_data(data)
    result = sqlib.fit(design.sem_syntax(), data)
    assert narrative.ipa_outcomes(design, result) == ["sat"]
    assert drivers(result, cb, outcome="sat") == ["quality"]  # value does not reach sat
    table = importance_performance(result, data, cb, outcome="sat",
                                   dimensions=drivers(result, cb, outcome="sat"), diagnostics=NONE)
    assert table["dimension"].tolist() == ["quality"]
    assert ("value does not affect sat in the structural model and is left out of the grid"
            in narrative.priorities_text(table, NONE, "sat", design))


def test_performance_uses_each_dimensions_own_scale():
    cb = Codebook("mixed", [Construct("a", ["a1", "a2"], "dimension", 0, 100),
                            Construct("b", ["b1", "b2"], "dimension")], scale_min=1, scale_max=5)
    data = pd.DataFrame({"a1": [50.0, 70.0], "a2": [60.0, 60.0], "b1": [3.0, 5.0], "b2": [4.0, 4.0]})
    table = dimension_performance(data, cb).set_index("dimension")
    assert table.loc["a", "performance"] == pytest.approx(60.0)
    assert table.loc["b", "performance"] == pytest.approx((4.0 - 1) / 4 * 100)


def test_skipped_paragraph_carries_the_reason(sample):
    design = study_design(sqlib.Codebook.servqual(expectations=False))
    from sqlib.analysis.design import skip_reason

    reason = skip_reason("05_gaps_and_priorities", design, sample)
    text = narrative.skipped(reason)
    assert text.startswith("**Gaps and priorities were not analysed.**") and "expectation" in text


def test_close_performance_is_read_as_a_ranking_not_as_quadrants(design, result, sample):
    table = importance_performance(result, sample, design.codebook, outcome="satisfaction", diagnostics=NONE)
    spread = table["performance"].max() - table["performance"].min()
    text = narrative.priorities_text(table, NONE, "satisfaction", design)
    assert ("read the grid as a ranking" in text) == (spread < narrative.CLOSE_PERFORMANCE)
    close = table.assign(performance=60 + (table["performance"] - table["performance"].mean()) / 100)
    close.attrs.update(table.attrs)
    assert "read the grid as a ranking by importance" in narrative.priorities_text(close, NONE, "satisfaction", design)


def test_unweighted_gaps_say_how_to_weight_them():
    assert "codebook key importance" in narrative.unweighted_text()
