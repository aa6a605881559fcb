"""The study design: codebook + structural model, single-item constructs, skip rules."""

from __future__ import annotations

import pandas as pd
import pytest

import sqlib
from sqlib import models
from sqlib.survey.codebook import Codebook, Construct
from sqlib.analysis.design import skip_reason, study_design
from sqlib.core.errors import CodebookError, ModelSpecificationError


def ecsi_codebook(expectations: bool = False) -> Codebook:
    constructs = [Construct("image", ["i1", "i2", "i3"], "dimension"),
                  Construct("quality", ["q1", "q2", "q3"], "dimension"),
                  Construct("satisfaction", ["cusa"], "outcome"),
                  Construct("loyalty", ["l1", "l2"], "outcome")]
    return Codebook(name="ecsi", constructs=constructs, scale_min=1, scale_max=10,
                    expectations={"q1": "e1"} if expectations else {})


def test_servqual_default_is_the_chain_the_fixtures_use():
    design = study_design(None)
    assert design.sem_syntax() == models.structural_syntax()
    assert design.structural_source.startswith("SERVQUAL default")
    assert design.mediators == ["satisfaction"] and design.final_outcomes == ["loyalty"]


def test_single_item_construct_enters_the_sem_as_its_item():
    design = study_design(ecsi_codebook(), "satisfaction ~ image + quality\nloyalty ~ satisfaction")
    syntax = design.sem_syntax()
    assert "satisfaction ~ image + quality" in syntax and "loyalty ~ satisfaction" in syntax
    assert "satisfaction =~" not in syntax and design.single_item == ["satisfaction"]
    data = pd.DataFrame({"cusa": [3.0, 5.0], "i1": [1.0, 2.0]})
    model_data = design.model_data(data)
    assert model_data["satisfaction"].tolist() == [3.0, 5.0] and "cusa" in model_data
    assert "satisfaction" not in data  # the input frame is not changed


def test_a_column_named_like_a_single_item_construct_is_refused():
    design = study_design(ecsi_codebook(), "satisfaction ~ image")
    with pytest.raises(CodebookError, match="rename the construct"):
        design.model_data(pd.DataFrame({"cusa": [1.0], "satisfaction": [2.0]}))


def test_one_outcome_default_has_no_indirect_effects():
    cb = Codebook(name="x", constructs=[Construct("a", ["a1", "a2"]), Construct("b", ["b1", "b2"]),
                                        Construct("sat", ["s"], "outcome")])
    design = study_design(cb)
    assert design.structural_model == "sat ~ a1*a + a2*b"


def test_unknown_construct_in_structural_model_names_it_and_suggests():
    with pytest.raises(ModelSpecificationError, match=r"'satisfation' is not a construct.*Did you mean 'satisfaction'"):
        study_design(ecsi_codebook(), "satisfation ~ image")


def test_items_in_structural_model_are_refused_with_the_reason():
    with pytest.raises(ModelSpecificationError, match="items belong in the codebook"):
        study_design(ecsi_codebook(), "quality =~ q1 + q2\nsatisfaction ~ quality")


def test_no_outcomes_means_no_structural_model_and_skips_with_reason():
    cb = Codebook(name="x", constructs=[Construct("a", ["a1", "a2"]), Construct("b", ["b1", "b2"])])
    design = study_design(cb)
    data = pd.DataFrame({c: [1.0, 2.0] for c in cb.items})
    assert not design.has_structural_model
    for notebook in ("03_structural_model", "07_power_and_sample_size"):
        assert "structural_model" in skip_reason(notebook, design, data)
    assert skip_reason("02_measurement_model", design, data) is None


@pytest.mark.parametrize("notebook, needle", [
    ("04_measurement_invariance", "no group column"),
    ("05_gaps_and_priorities", "no perception item with an expectation item"),
    ("06_wave_tracking", "no wave column"),
])
def test_absent_inputs_skip_with_what_would_enable_them(notebook, needle):
    design = study_design(ecsi_codebook(), "satisfaction ~ image + quality")
    reason = skip_reason(notebook, design, pd.DataFrame({"x": [1]}))
    assert needle in reason and "Needs" in reason


def test_small_groups_skip_invariance_with_their_sizes():
    cb = ecsi_codebook()
    cb = Codebook(name="x", constructs=cb.constructs, scale_min=1, scale_max=10, group_column="g")
    design = study_design(cb)
    data = pd.DataFrame({"g": ["a"] * 30 + ["b"] * 12})
    reason = skip_reason("04_measurement_invariance", design, data)
    assert "a: 30" in reason and "b: 12" in reason
    data = pd.DataFrame({"g": ["a"] * 30 + ["b"] * 30})
    assert skip_reason("04_measurement_invariance", design, data) is None


def test_bundled_sample_runs_every_section():
    design = study_design(sqlib.config.SAMPLE_CODEBOOK)
    data = sqlib.load_sample()
    for notebook in ("01_data_screening", "02_measurement_model", "03_structural_model",
                     "04_measurement_invariance", "05_gaps_and_priorities", "06_wave_tracking",
                     "07_power_and_sample_size"):
        assert skip_reason(notebook, design, data) is None, notebook


# ================================================================ QA fixes: structural model checks
def test_construct_regressed_on_itself_is_an_error_naming_the_line():
    with pytest.raises(ModelSpecificationError) as caught:
        study_design(ecsi_codebook(), "satisfaction ~ satisfaction + quality\nloyalty ~ satisfaction")
    message = str(caught.value)
    assert "line 1" in message and "satisfaction ~ satisfaction + quality" in message
    assert "on itself" in message and "remove 'satisfaction'" in message


def test_two_construct_cycle_is_an_error_naming_the_constructs():
    with pytest.raises(ModelSpecificationError) as caught:
        study_design(ecsi_codebook(), "satisfaction ~ loyalty\nloyalty ~ satisfaction")
    message = str(caught.value)
    assert "loyalty -> satisfaction -> loyalty" in message
    assert "non-recursive models are not supported by the report" in message.lower() and "remove one" in message


def test_longer_cycle_is_an_error_naming_every_construct_in_it():
    with pytest.raises(ModelSpecificationError) as caught:
        study_design(ecsi_codebook(), "quality ~ image\nsatisfaction ~ quality\nimage ~ satisfaction\n"
                                      "loyalty ~ satisfaction")
    message = str(caught.value)
    assert "image -> quality -> satisfaction -> image" in message and "Non-recursive" in message


def test_chain_without_cycle_is_accepted():
    design = study_design(ecsi_codebook(), "satisfaction ~ image + quality\nloyalty ~ satisfaction + image")
    assert design.final_outcomes == ["loyalty"]


def test_definition_with_a_label_no_path_carries_names_label_and_existing_labels():
    with pytest.raises(ModelSpecificationError) as caught:
        study_design(ecsi_codebook(), "satisfaction ~ a*quality\nloyalty ~ b*satisfaction\nind := a*c")
    message = str(caught.value)
    assert "line 3" in message and "'c'" in message and "labels in the model: a, b" in message
    assert "c*predictor" in message


def test_definition_may_use_an_earlier_definition():
    design = study_design(ecsi_codebook(), "satisfaction ~ a*quality\nloyalty ~ b*satisfaction + c*quality\n"
                                           "ind := a*b\ntotal := ind + c")
    assert design.has_structural_model


# ================================================================ QA fixes: items a whole group or wave left empty
def grouped_codebook() -> Codebook:
    cb = ecsi_codebook()
    cb.group_column, cb.wave_column = "country", "wave"
    return cb


def grouped_data() -> pd.DataFrame:
    return pd.DataFrame({"country": ["FR", "FR", "NL", "NL", "NO", "NO"], "wave": [1, 2, 1, 2, 1, 2],
                         "q1": [5.0] * 6, "q2": [None, None, 4.0, 3.0, 2.0, 5.0],
                         "q3": [1.0, None, 2.0, None, 3.0, None], "cusa": [None] * 6,
                         "i1": [1.0] * 6, "i2": [2.0] * 6, "i3": [3.0] * 6, "l1": [1.0] * 6, "l2": [1.0] * 6})


def test_coverage_names_item_group_and_fix():
    notes = study_design(grouped_codebook()).coverage_problems(grouped_data())
    group_note = next(n for n in notes if n.startswith("q2"))
    assert "group FR (column country)" in group_note
    assert "listwise deletion drops that whole group" in group_note and "missing: fiml" in group_note
    assert "drop the item" in group_note


def test_coverage_names_waves_in_which_nobody_answered():
    notes = study_design(grouped_codebook()).coverage_problems(grouped_data())
    wave_note = next(n for n in notes if n.startswith("q3"))
    assert "wave 2 (column wave)" in wave_note and "drops that whole wave" in wave_note
    assert not any(n.startswith("q3") and "group" in n for n in notes)


def test_coverage_ignores_single_item_constructs_and_complete_items():
    notes = study_design(grouped_codebook()).coverage_problems(grouped_data())
    assert len(notes) == 2 and not any(n.startswith(("cusa", "q1", "i1")) for n in notes)


def test_coverage_without_group_or_wave_column_has_nothing_to_say():
    assert study_design(ecsi_codebook()).coverage_problems(grouped_data()) == []
