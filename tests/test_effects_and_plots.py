"""Effects, standardized solution and model plots on the bundled structural model."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

import sqlib  # noqa: E402
from sqlib import models, semplots, tables  # noqa: E402
from sqlib.sem.effects import effects  # noqa: E402
from sqlib.survey.simulate import sample_population  # noqa: E402


@pytest.fixture(autouse=True)
def close_figures():
    yield
    import matplotlib.pyplot as plt

    plt.close("all")


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


# ------------------------------------------------ path diagrams readable (issue 13 item 6)
def edge_labels(ax):
    return [t for t in ax.texts if (t.get_gid() or "").startswith("edge:")]


def distance_to_arrow(ax, label) -> float:
    """Distance in data units from a label's anchor to the arrow with the same id (drawn path)."""
    (patch,) = [p for p in ax.patches if p.get_gid() == label.get_gid()]
    points = np.vstack([segment(np.linspace(0, 1, 200)) for segment, _ in patch.get_path().iter_bezier()])
    return float(np.min(np.hypot(*(points - np.asarray(label.get_position())).T)))


def drawn_boxes(ax, artists):
    ax.figure.canvas.draw()
    renderer = ax.figure.canvas.get_renderer()
    return [a.get_window_extent(renderer) for a in artists]


def overlapping(boxes) -> list[tuple[int, int]]:
    return [(i, j) for i in range(len(boxes)) for j in range(i + 1, len(boxes)) if boxes[i].overlaps(boxes[j])]


@pytest.fixture(scope="module")
def diagrams(partial):
    data = sqlib.load_sample()
    observed = sqlib.fit("tangibles =~ tan1 + tan2 + tan3 + tan4\nreliability =~ rel1 + rel2 + rel3 + rel4 + rel5\n"
                         "sat1 ~ tangibles + reliability", data)
    small = sqlib.fit("tangibles =~ tan1 + tan2 + tan3 + tan4\nreliability =~ rel1 + rel2 + rel3 + rel4 + rel5", data)
    return {"structural": partial, "cfa (29 items)": sqlib.fit(models.cfa_syntax(), data), "small cfa": small,
            "second order": sqlib.fit(models.second_order_syntax(), data), "observed outcome": observed}


@pytest.mark.parametrize("name", ["structural", "cfa (29 items)", "small cfa", "second order", "observed outcome"])
def test_path_diagram_labels_sit_on_their_arrows(diagrams, name):
    result = diagrams[name]
    ax = semplots.path_diagram(result)
    labels = edge_labels(ax)
    est = result.estimates
    drawn = est[(est["op"].isin(["=~", "~"]))]
    assert len(labels) >= len(drawn[drawn["op"] == "~"]) and len(labels) > 0
    ax.figure.canvas.draw()
    for label in labels:
        assert distance_to_arrow(ax, label) < 0.02, label.get_gid()
        assert label.get_bbox_patch().get_facecolor()[:3] == (1.0, 1.0, 1.0)
    assert overlapping(drawn_boxes(ax, labels)) == []


@pytest.mark.parametrize("name", ["structural", "cfa (29 items)", "second order", "observed outcome"])
def test_path_diagram_nodes_do_not_overlap_and_hold_their_names(diagrams, name):
    ax = semplots.path_diagram(diagrams[name])
    nodes = [p for p in ax.patches if (p.get_gid() or "").startswith("node:")]
    names = {t.get_gid()[5:]: t for t in ax.texts if (t.get_gid() or "").startswith("name:")}
    boxes = drawn_boxes(ax, nodes)
    assert overlapping(boxes) == []
    text_boxes = drawn_boxes(ax, [names[n.get_gid()[5:]] for n in nodes])
    for node, shape, text in zip(nodes, boxes, text_boxes):
        assert shape.x0 <= text.x0 and text.x1 <= shape.x1, node.get_gid()


def test_path_diagram_draws_paths_to_an_observed_outcome(diagrams):
    ax = semplots.path_diagram(diagrams["observed outcome"])
    gids = {t.get_gid() for t in edge_labels(ax)}
    assert {"edge:sat1~tangibles", "edge:sat1~reliability"} <= gids
    assert any(t.get_gid() == "r2:sat1" for t in ax.texts)


def test_skip_paths_go_around_the_mediator(partial):
    """Direct paths dimension -> loyalty must not run through the satisfaction node."""
    ax = semplots.path_diagram(partial)
    ax.figure.canvas.draw()
    (node,) = [p for p in ax.patches if p.get_gid() == "node:satisfaction"]
    centre, width, height = np.asarray(node.center), node.width, node.height
    for patch in ax.patches:
        if (patch.get_gid() or "").startswith("edge:loyalty~") and patch.get_gid() != "edge:loyalty~satisfaction":
            points = np.vstack([s(np.linspace(0, 1, 100)) for s, _ in patch.get_path().iter_bezier()])
            inside = ((points - centre) / (np.array([width, height]) / 2)) ** 2
            assert (inside.sum(axis=1) > 1).all(), patch.get_gid()


def test_show_indicators_is_refused_for_structural_diagrams(partial):
    with pytest.raises(ValueError, match="show_indicators=True is not available for structural models"):
        semplots.path_diagram(partial, show_indicators=True)


# ----------------------------------------------------------- tables from the caller's models
def test_fit_table_labels_come_from_the_caller(partial):
    named = tables.fit_table({"ECSI model": partial})
    assert named["model"].tolist() == ["ECSI model"]
    assert tables.fit_table(partial, name="my model")["model"].tolist() == ["my model"]
    assert tables.fit_table(partial)["model"].tolist() == ["structural model (7 latent variables, 11 paths)"]
    cfa = sqlib.fit("tangibles =~ tan1 + tan2 + tan3 + tan4\nempathy =~ emp1 + emp2 + emp3", sqlib.load_sample())
    assert tables.fit_table(cfa)["model"].tolist() == ["2-factor CFA"]
    assert named["npar"].dtype.kind == "i" and named["df"].dtype.kind == "i"
    with pytest.raises(ValueError, match="name= labels a single result"):
        tables.fit_table({"a": partial}, name="b")


def test_model_comparison_r2_follows_the_models_outcomes():
    data = sqlib.load_sample()
    measurement = "tangibles =~ tan1 + tan2 + tan3 + tan4\nreliability =~ rel1 + rel2 + rel3 + rel4 + rel5\n"
    one = sqlib.fit(measurement + "sat1 ~ tangibles + reliability\nloy1 ~ sat1", data)
    two = sqlib.fit(measurement + "sat1 ~ tangibles\nloy1 ~ sat1 + reliability", data)
    table = tables.model_comparison({"one": one, "two": two})
    assert [c for c in table.columns if c.startswith("r2_")] == ["r2_sat1", "r2_loy1"]
    assert table["r2_sat1"].tolist() == pytest.approx([one.r2["sat1"], two.r2["sat1"]])
    assert table["r2_sat1"].iloc[0] > table["r2_sat1"].iloc[1]  # two drops a predictor of sat1
    only = tables.model_comparison({"one": one, "cfa": sqlib.fit(measurement, data)})
    assert not [c for c in only.columns if c.startswith("r2_")]
    assert not [c for c in tables.model_comparison({"one": one}, r2=()).columns if c.startswith("r2_")]
    chosen = tables.model_comparison({"one": one, "cfa": sqlib.fit(measurement, data)}, r2=["loy1"])
    assert chosen["r2_loy1"].iloc[0] == pytest.approx(one.r2["loy1"]) and np.isnan(chosen["r2_loy1"].iloc[1])


def test_group_parameters_plots_each_group_and_names_a_malformed_parameter():
    res = sqlib.fit("responsiveness =~ res1 + res2 + res3 + res4", sqlib.load_sample(), group="country")
    ax = semplots.group_parameters(res, ["responsiveness=~res2", "res3~1"])
    assert [t.get_text() for t in ax.get_yticklabels()] == ["responsiveness=~res2", "res3~1"]
    assert len(ax.get_legend().get_texts()) == len(res.group_levels)
    with pytest.raises(ValueError, match="'res3' is not a parameter; write it like 'responsiveness=~res3'"):
        semplots.group_parameters(res, ["res3"])


def test_path_labels_never_show_negative_zero(partial):
    texts = [t.get_text() for t in edge_labels(semplots.path_diagram(partial))]
    assert "0.00" in texts or not any(abs(v) < 0.005 for v in partial.estimates.query("op == '~'")["std_all"])
    assert not any(t.startswith("-0.00") for t in texts)


def test_effects_list_indirect_rows_only_where_a_chain_of_paths_exists():
    import numpy as np
    import pandas as pd

    from sqlib.sem.effects import effects

    rng = np.random.default_rng(7)
    x, w = rng.normal(size=500), rng.normal(size=500)
    m = 0.5 * x + rng.normal(size=500)
    y = 0.4 * m + 0.3 * w + rng.normal(size=500)
    result = sqlib.fit("m ~ x\ny ~ m + w", pd.DataFrame({"x": x, "w": w, "m": m, "y": y}))
    table = effects(result)
    kinds = {(r.outcome, r.predictor): set(table[(table.outcome == r.outcome) & (table.predictor == r.predictor)].effect)
             for r in table.itertuples()}
    assert kinds[("y", "x")] == {"indirect", "total"}          # x reaches y only through m
    assert kinds[("y", "w")] == {"direct", "total"}            # no chain from w
    assert kinds[("y", "m")] == {"direct", "total"} and kinds[("m", "x")] == {"direct", "total"}


def test_forest_legend_lists_every_kind_drawn():
    import pandas as pd

    from sqlib.report.path_diagrams import effects_forest

    rows = [("x", "indirect", 0.2), ("x", "total", 0.2), ("w", "direct", 0.3), ("w", "total", 0.3)]
    table = pd.DataFrame([{"outcome": "y", "predictor": p, "effect": k, "est": v, "ci_lower": v - 0.1,
                           "ci_upper": v + 0.1, "std_all": v} for p, k, v in rows])
    ax = effects_forest(table)
    assert sorted(t.get_text() for t in ax.get_legend().get_texts()) == ["direct", "indirect", "total"]


def test_structural_diagram_with_four_correlated_predictors_lists_their_correlations_instead():
    from sqlib.report.path_diagrams import path_diagram

    data = sqlib.load_sample()
    result = sqlib.fit(sqlib.design.study_design(None, "satisfaction ~ tangibles + reliability + assurance + empathy")
                       .sem_syntax(), data)
    ax = path_diagram(result)
    assert any("6 factor correlations not drawn" in t.get_text() for t in ax.texts)


def test_effect_draws_match_the_bootstrap_intervals_and_the_defined_parameters(partial):
    from sqlib.sem.effects import effect_draws

    dimensions = sqlib.Codebook.servqual().dimensions
    with pytest.raises(ValueError, match="no bootstrap draws"):
        effect_draws(partial, "loyalty", dimensions)
    booted = partial.use_bootstrap(partial.bootstrap(20, seed=3, progress=False))
    table = effects(booted).query("outcome == 'loyalty'").set_index(["effect", "predictor"])
    for kind in ("direct", "indirect", "total"):
        draws = effect_draws(booted, "loyalty", dimensions, effect=kind)
        assert draws.quantile(0.025).to_numpy() == pytest.approx(table.loc[kind].loc[dimensions, "ci_lower"])
        assert draws.quantile(0.975).to_numpy() == pytest.approx(table.loc[kind].loc[dimensions, "ci_upper"])
    # the defined parameter total_<dim> in every draw equals the unstandardized total effect of that draw
    defined = booted.boot.draws[[f"total_{d}" for d in dimensions]]
    totals = effect_draws(booted, "loyalty", dimensions)
    assert totals.to_numpy() == pytest.approx(defined.to_numpy(), abs=1e-10)
    with pytest.raises(ValueError, match="take no part in a regression"):
        effect_draws(booted, "loyalty", ["tan1"])
