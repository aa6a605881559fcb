"""Effects, standardized solution and model plots on the bundled structural model."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

import sqlib  # noqa: E402
from sqlib import models, semplots, tables  # noqa: E402
from sqlib.effects import effects  # noqa: E402
from sqlib.simulate import sample_population  # noqa: E402


@pytest.fixture(scope="module")
def partial():
    return sqlib.fit(models.structural_syntax(direct=True), sqlib.load_sample())


def test_matrix_effects_equal_defined_parameters(partial):
    eff = effects(partial).set_index(["outcome", "predictor", "effect"])
    est = partial.estimates.set_index("lhs")
    for dim in sqlib.Codebook.servqual().dimensions:
        for kind, name in (("indirect", f"ind_{dim}"), ("total", f"total_{dim}")):
            row = eff.loc[("loyalty", dim, kind)]
            assert row["est"] == pytest.approx(est.loc[name, "est"], abs=1e-10)
            assert row["se"] == pytest.approx(est.loc[name, "se"], rel=1e-4)
            assert row["std_all"] == pytest.approx(est.loc[name, "std_all"], abs=1e-10)


def test_true_standardized_paths_fall_in_the_95_percent_intervals():
    """The bundled sample recovers its simulation's structural paths (issue 5)."""
    truth = sample_population().truth()
    paths = truth[truth["op"] == "~"].drop_duplicates(["lhs", "rhs"]).set_index(["lhs", "rhs"])["value"]
    res = sqlib.fit(models.structural_syntax(), sqlib.load_sample())
    std = res.standardized_solution().query("op == '~'").set_index(["lhs", "rhs"])
    checked = 0
    for key, row in std.iterrows():
        if key in paths.index:
            assert row["ci_lower"] <= paths[key] <= row["ci_upper"], (key, paths[key], row["ci_lower"], row["ci_upper"])
            checked += 1
    assert checked == 6


def test_model_comparison_table_has_r2(partial):
    full = sqlib.fit(models.structural_syntax(), sqlib.load_sample())
    table = tables.model_comparison({"full": full, "partial": partial})
    assert list(table["model"]) == ["full", "partial"]
    assert table["r2_loyalty"].between(0, 1).all() and table["r2_satisfaction"].between(0, 1).all()
    test = sqlib.compare(full, partial).iloc[1]
    assert test["delta_df"] == 5 and 0 <= test["delta_pvalue"] <= 1


def test_plots_return_axes(partial):
    ax = semplots.path_diagram(partial)
    texts = [t.get_text() for t in ax.texts]
    assert "satisfaction" in texts and any(t.startswith("R²") for t in texts)
    ax = semplots.effects_forest(effects(partial))
    assert [t.get_text() for t in ax.get_yticklabels()][:2] == ["tangibles", "reliability"]
    cfa = sqlib.fit(models.cfa_syntax(), sqlib.load_sample())
    ax = semplots.loadings_heatmap(cfa)
    assert len(ax.get_yticklabels()) == 29
    matrix = semplots.loadings_matrix(cfa)
    assert matrix.notna().sum().sum() == 29 and (matrix.max() <= 1).all()


def test_group_label_vectors_give_group_specific_parameters():
    data = sqlib.load_sample()
    model = "responsiveness =~ res1 + c(l2a, l2b, l2c)*res2 + res3 + res4"
    res = sqlib.fit(model, data, group="country")
    loads = res.estimates.query("op == '=~' and rhs == 'res2'")
    assert list(loads["label"]) == ["l2a", "l2b", "l2c"] and loads["est"].nunique() == 3
    tied = sqlib.fit("responsiveness =~ res1 + c(l2, l2, l2)*res2 + res3 + res4", data, group="country")
    assert tied.estimates.query("op == '=~' and rhs == 'res2'")["est"].nunique() == 1
    assert tied.fit_measures["df"] == res.fit_measures["df"] + 2
