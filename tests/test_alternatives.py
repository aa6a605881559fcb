"""Alternative models for collinear constructs, built from the study's own model."""

from __future__ import annotations

import pytest

import sqlib
from sqlib.analysis.alternatives import AS_SPECIFIED, alternative_models, collinear_sets, merged_design, recommend_alternative
from sqlib.survey.codebook import Codebook
from sqlib.analysis.design import study_design
from sqlib.survey.simulate import simulate
from tests.test_efa_and_alternatives import collinear_population


@pytest.fixture(scope="module")
def collinear_data():
    return simulate(collinear_population(), n=900, seed=5).data


@pytest.fixture(scope="module")
def servqual_alternatives(collinear_data):
    design = study_design(None)
    result = sqlib.fit(design.sem_syntax(), collinear_data)
    return alternative_models(result, collinear_data, design)


def test_flagged_pair_is_found(servqual_alternatives):
    assert servqual_alternatives.collinear == [["reliability", "responsiveness"]]


def test_second_order_stands_over_every_dimension_and_merged_pools_the_pair(servqual_alternatives):
    fits = servqual_alternatives.fits
    second = next(name for name in fits if name.startswith("second-order"))
    assert set(fits[second].latent) >= {"service_quality", "tangibles", "empathy"}
    merged = next(name for name in fits if name.startswith("merged"))
    assert "reliability_responsiveness" in fits[merged].latent


def test_recommendation_is_proper_acceptable_and_better(servqual_alternatives):
    alt = servqual_alternatives
    table = alt.table.set_index("model")
    assert table.loc[AS_SPECIFIED, "severe_problems"] > 0
    assert alt.recommended is not None
    chosen = table.loc[alt.recommended]
    assert chosen["severe_problems"] == 0 and chosen["meets_cutoffs"]
    assert chosen[alt.criterion] < table.loc[AS_SPECIFIED, alt.criterion]
    assert alt.recommended in alt.reason and alt.criterion.upper() in alt.reason


def test_no_alternative_is_recommended_when_none_beats_the_original(servqual_alternatives):
    table = servqual_alternatives.table.copy()
    table.loc[table["model"] != AS_SPECIFIED, "bic"] = table["bic"].max() + 1
    name, reason = recommend_alternative(table, "bic", servqual_alternatives.collinear)
    assert name is None and reason.startswith("No alternative is better")


def test_custom_model_alternatives_follow_the_user_model(collinear_data):
    cb = Codebook.servqual()
    syntax = "loyalty ~ tangibles + reliability + responsiveness + assurance + empathy"
    design = study_design(cb, syntax)
    result = sqlib.fit(design.sem_syntax(), collinear_data)
    alt = alternative_models(result, collinear_data, design)
    for name, res in alt.fits.items():
        assert "satisfaction" not in res.observed + res.latent, name
    merged = merged_design(design, ["reliability", "responsiveness"])
    assert merged.regressions == [("loyalty", "tangibles"), ("loyalty", "reliability_responsiveness"),
                                  ("loyalty", "assurance"), ("loyalty", "empathy")]


def test_collinear_sets_join_overlapping_pairs():
    import pandas as pd

    rows = [{"check": "discriminant validity", "severity": "severe", "where": "a & b"},
            {"check": "discriminant validity", "severity": "severe", "where": "b & c"},
            {"check": "collinear predictors", "severity": "warning", "where": "d -> y"}]
    assert collinear_sets(pd.DataFrame(rows), ["a", "b", "c", "d"]) == [["a", "b", "c"]]


def test_merged_design_pools_items_in_the_first_construct_place():
    design = merged_design(study_design(None), ["reliability", "responsiveness"])
    cb = design.codebook
    assert cb.items_of("reliability_responsiveness")[-1] == "res4"
    assert "responsiveness" not in cb.construct_names
    assert cb.construct_names.index("reliability_responsiveness") == 1
    assert ("satisfaction", "reliability_responsiveness") in design.regressions


def test_merging_in_a_cfa_ignores_the_structural_model_and_never_makes_it_circular():
    design = study_design(None, "satisfaction ~ reliability\nresponsiveness ~ satisfaction")
    merged = merged_design(design, ["reliability", "responsiveness"], keep_structure=False)
    assert not merged.has_structural_model and "reliability_responsiveness =~" in merged.cfa_syntax()
    with pytest.raises(sqlib.errors.ModelSpecificationError, match="feedback loop"):
        merged_design(design, ["reliability", "responsiveness"])
