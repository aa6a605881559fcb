"""The codebook schema: every malformed codebook gives one clear CodebookError naming
the file, the key path and the fix; new content (kinds, per-construct scales,
missing codes, reading options) is read, used and written back."""

from __future__ import annotations

import unicodedata

import pytest

from sqlib import config
from sqlib.survey.codebook import Codebook, Construct, load_codebook
from sqlib.core.errors import CodebookError

GOOD = """\
name: test survey
scale: {min: 1, max: 5}
constructs:
  tangibles: {items: [q1, q2, q3], kind: dimension}
  sat: {items: [cusa], kind: outcome, scale: {min: 0, max: 100}}
"""


def write(tmp_path, text: str, name: str = "codebook.yaml", encoding: str = "utf-8"):
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def error_of(tmp_path, text: str, **kwargs) -> str:
    path = write(tmp_path, text, **kwargs)
    with pytest.raises(CodebookError) as info:
        Codebook.from_yaml(path)
    message = str(info.value)
    assert "Traceback" not in message and "pydantic" not in message.lower()
    assert str(path) in message  # the file is named
    return message


# ------------------------------------------------------------ unknown keys
def test_misspelled_scale_key_is_an_error_with_did_you_mean(tmp_path):
    message = error_of(tmp_path, GOOD.replace("scale: {min: 1", "scales: {min: 1"))
    assert "unknown key 'scales'" in message and "did you mean 'scale'?" in message


def test_misspelled_reverse_key_is_an_error_with_did_you_mean(tmp_path):
    message = error_of(tmp_path, GOOD + "revers: [q3]\n")
    assert "unknown key 'revers'" in message and "did you mean 'reverse'?" in message


def test_unknown_key_inside_a_construct_names_its_path(tmp_path):
    message = error_of(tmp_path, GOOD.replace("{items: [q1, q2, q3], kind", "{item: [q1, q2, q3], kind"))
    assert "constructs.tangibles.item" in message and "did you mean 'items'?" in message


def test_unknown_key_inside_a_construct_scale_lists_min_and_max(tmp_path):
    message = error_of(tmp_path, GOOD.replace("{min: 0, max: 100}", "{min: 0, max: 100, step: 1}"))
    assert "constructs.sat.scale.step" in message and "min, max" in message


# ----------------------------------------------------------- value types
def test_scale_written_as_a_range_shows_the_right_form(tmp_path):
    message = error_of(tmp_path, GOOD.replace("scale: {min: 1, max: 5}", "scale: 1-5"))
    assert "scale: must be a mapping" in message and "'1-5'" in message
    assert "scale: {min: 1, max: 5}" in message


def test_scale_max_as_a_word_names_scale_max(tmp_path):
    message = error_of(tmp_path, GOOD.replace("max: 5}", "max: five}"))
    assert "scale.max: must be a number, not 'five'" in message


def test_scale_min_not_below_max(tmp_path):
    message = error_of(tmp_path, GOOD.replace("{min: 1, max: 5}", "{min: 5, max: 5}"))
    assert "scale: min (5) must be below max (5)" in message


def test_construct_scale_checked_with_its_path(tmp_path):
    message = error_of(tmp_path, GOOD.replace("{min: 0, max: 100}", "{min: 100, max: 0}"))
    assert "constructs.sat.scale" in message and "must be below max" in message


def test_constructs_given_as_a_list(tmp_path):
    text = "scale: {min: 1, max: 5}\nconstructs:\n  - tangibles\n  - sat\n"
    message = error_of(tmp_path, text)
    assert "constructs: must map each construct name to its items, not be a list" in message
    assert "{items: [q1, q2, q3], kind: dimension}" in message


def test_construct_without_a_body(tmp_path):
    message = error_of(tmp_path, "scale: {min: 1, max: 5}\nconstructs:\n  tangibles:\n  sat: [cusa]\n")
    assert "constructs.tangibles: has no items" in message and "{items: [q1, q2, q3]" in message


def test_construct_with_an_empty_item_list(tmp_path):
    message = error_of(tmp_path, GOOD.replace("[q1, q2, q3]", "[]"))
    assert "constructs.tangibles.items: lists no items" in message


def test_unknown_construct_kind_gets_a_suggestion(tmp_path):
    message = error_of(tmp_path, GOOD.replace("kind: outcome", "kind: outcom"))
    assert "constructs.sat.kind: 'outcom' is not a construct kind" in message
    assert "did you mean 'outcome'?" in message and "mediator" in message


def test_unquoted_numeric_item_name_asks_for_quotes(tmp_path):
    message = error_of(tmp_path, GOOD.replace("[cusa]", "[01]"))
    assert "constructs.sat.items (entry 1)" in message and "quotes" in message


def test_missing_scale_is_an_error_not_a_silent_default(tmp_path):
    message = error_of(tmp_path, GOOD.replace("scale: {min: 1, max: 5}\n", ""))
    assert "no answer scale" in message and "tangibles" in message and "scale: {min: 1, max: 5}" in message


def test_missing_constructs_section(tmp_path):
    message = error_of(tmp_path, "name: x\nscale: {min: 1, max: 5}\n")
    assert "constructs: missing" in message


def test_codebook_that_is_not_a_mapping(tmp_path):
    message = error_of(tmp_path, "- a\n- b\n")
    assert "must be a mapping" in message and "holds a list" in message


def test_bad_reading_options_each_named(tmp_path):
    text = GOOD + "missing_codes: -99\ndelimiter: '|'\nheader_row: 0\nencoding: latin-9x\n"
    message = error_of(tmp_path, text)
    assert "missing_codes: must be a list of numbers, e.g. missing_codes: [-99]" in message
    assert "delimiter: must be one of" in message and "'|'" in message
    assert "header_row: must be a whole number 1 or more" in message
    assert "encoding: 'latin-9x' is not a known text encoding" in message
    assert "has 4 problems" in message


def test_missing_codes_must_be_numbers(tmp_path):
    message = error_of(tmp_path, GOOD + "missing_codes: [-99, dont know]\n")
    assert "missing_codes (entry 2): must be a number, not 'dont know'" in message


def test_duplicate_yaml_key_is_an_error(tmp_path):
    text = GOOD + "  tangibles: {items: [q4], kind: dimension}\n"
    message = error_of(tmp_path, text)
    assert "'tangibles' appears twice" in message and "lines 4 and 6" in message


def test_invalid_yaml_names_line_and_column(tmp_path):
    message = error_of(tmp_path, GOOD + "labels: {q1: [unclosed\n")
    assert "not valid YAML" in message and "line " in message


def test_latin1_codebook_names_the_byte_and_line(tmp_path):
    message = error_of(tmp_path, GOOD + "labels: {q1: Qualité}\n", encoding="latin-1")
    assert "not UTF-8" in message and "0xE9" in message and "line 6" in message
    assert "save it as UTF-8" in message


def test_utf16_codebook_is_named(tmp_path):
    message = error_of(tmp_path, GOOD, encoding="utf-16")
    assert "UTF-16" in message and "save it as UTF-8" in message


def test_inconsistent_roles_are_named_with_their_key(tmp_path):
    message = error_of(tmp_path, GOOD + "reverse: [q9]\nexpectations: {q1: q2}\n")
    assert "reverse: reverse-coded column 'q9' is not an item" in message
    assert "expectations.q1: 'q2' is an item of construct 'tangibles'" in message


def test_missing_file_is_a_codebook_error(tmp_path):
    with pytest.raises(CodebookError, match="does not exist"):
        load_codebook(tmp_path / "nope.yaml")


# --------------------------------------------------------------- content
def test_new_content_is_read(tmp_path):
    text = GOOD.replace("kind: outcome", "kind: mediator") + (
        "missing_codes: [-99, 999]\nencoding: latin-1\nheader_row: 3\ndelimiter: \"\\t\"\n")
    cb = Codebook.from_yaml(write(tmp_path, text))
    sat = cb.construct("sat")
    assert sat.single_item and not cb.construct("tangibles").single_item
    assert (sat.scale_min, sat.scale_max) == (0, 100) and cb.construct("tangibles").scale_min is None
    assert cb.mediators == ["sat"]
    assert cb.missing_codes == [-99, 999] and cb.encoding == "latin-1"
    assert cb.header_row == 3 and cb.delimiter == "\t"
    assert cb.scale_of("q1") == (1.0, 5.0) and cb.scale_of("cusa") == (0.0, 100.0)


def test_every_construct_with_its_own_scale_needs_no_top_level_scale(tmp_path):
    text = ("constructs:\n  a: {items: [a1, a2], scale: {min: 1, max: 10}}\n"
            "  b: {items: [b1], scale: {min: 0, max: 100}}\n")
    cb = Codebook.from_yaml(write(tmp_path, text))
    assert cb.scale_min is None and cb.scale_of("a2") == (1.0, 10.0) and cb.scale_of("b1") == (0.0, 100.0)
    assert "scale" not in cb.to_dict()
    assert Codebook.from_dict(cb.to_dict()) == cb


def test_expectation_columns_take_their_perception_items_scale(tmp_path):
    text = GOOD + "expectations: {cusa: e_cusa, q1: e_q1}\n"
    cb = Codebook.from_yaml(write(tmp_path, text))
    assert cb.scale_of("e_cusa") == (0.0, 100.0) and cb.scale_of("e_q1") == (1.0, 5.0)


def test_scale_of_an_unknown_column_names_it():
    with pytest.raises(CodebookError, match="'zz'"):
        Codebook.servqual().scale_of("zz")


def test_round_trip_keeps_everything(tmp_path):
    text = GOOD + ("id: rid\ngroup: land\nmissing_codes: [-99]\nreverse: [q3]\nheader_row: 2\n"
                   "delimiter: ';'\nencoding: cp1252\nimportance: {tangibles: imp_t}\n")
    cb = Codebook.from_yaml(write(tmp_path, text))
    again = Codebook.from_yaml(write(tmp_path, cb.to_yaml(), name="again.yaml"))
    assert again == cb
    assert again.to_dict() == cb.to_dict()
    assert cb.columns[-1] == "imp_t"


def test_sample_codebook_round_trips():
    cb = Codebook.from_yaml(config.SAMPLE_CODEBOOK)
    assert Codebook.from_dict(cb.to_dict()) == cb
    assert cb.scale_of("e_tan1") == (1.0, 7.0)


def test_names_are_nfc_normalised(tmp_path):
    decomposed = unicodedata.normalize("NFD", "qualité1")
    text = f"scale: {{min: 1, max: 5}}\nconstructs:\n  qualité: [{decomposed}, q2]\n"
    cb = Codebook.from_yaml(write(tmp_path, text))
    assert cb.items_of("qualité") == ["qualité1", "q2"]
    assert unicodedata.is_normalized("NFC", cb.items[0])
    python_made = Codebook("x", [Construct(unicodedata.normalize("NFD", "é"), [decomposed])], 1, 5)
    assert python_made.constructs[0].items == ["qualité1"]


def test_importance_must_name_a_dimension(tmp_path):
    message = error_of(tmp_path, GOOD + "importance: {sat: imp_sat}\n")
    assert "importance.sat" in message and "not a construct of kind dimension" in message


def test_from_dict_without_a_file_says_the_codebook():
    with pytest.raises(CodebookError, match=r"^The codebook has 1 problem:\n  - scales: unknown key"):
        Codebook.from_dict({"scales": {"min": 1, "max": 5}, "constructs": {"a": ["a1"]}})


def test_reverse_and_labels_typos_get_did_you_mean(tmp_path):
    message = error_of(tmp_path, GOOD + "reverse: [q33]\nlabels: {q11: Staff are polite}\n")
    assert "reverse: reverse-coded column 'q33' is not an item of the codebook (did you mean 'q3'?)" in message
    assert "labels.q11: 'q11' is not a column of the codebook (did you mean 'q1'?)" in message


def test_construct_named_like_another_constructs_item(tmp_path):
    message = error_of(tmp_path, GOOD.replace("  sat:", "  q2: [q9]\n  sat:"))
    assert "constructs.q2: the construct has the name of an item of 'tangibles'" in message


def test_single_item_construct_may_share_its_items_name():
    cb = Codebook.from_dict({"scale": {"min": 1, "max": 7},
                             "constructs": {"cusa": {"items": ["cusa"], "kind": "outcome"}}})
    assert cb.construct("cusa").single_item


def test_one_column_with_two_roles_is_named(tmp_path):
    message = error_of(tmp_path, GOOD + "id: rid\ngroup: rid\n")
    assert "id and group both name the column 'rid'" in message


def test_python_made_codebook_with_text_scale_or_codes_is_refused():
    with pytest.raises(CodebookError, match=r"scale: '1' is not a number"):
        Codebook("x", [Construct("a", ["a1", "a2"])], "1", 5)
    with pytest.raises(CodebookError, match=r"missing_codes: -99 must be a list of numbers"):
        Codebook("x", [Construct("a", ["a1", "a2"])], 1, 5, missing_codes=-99)


def test_names_that_cannot_stand_in_a_model_are_caught_when_the_codebook_loads():
    from sqlib.survey.codebook import Codebook
    from sqlib.core.errors import CodebookError

    spec = {"scale": {"min": 1, "max": 5}, "constructs": {"prijs-kwaliteit": ["p1", "p2"], "kamer": ["k 1", "k2"]}}
    with pytest.raises(CodebookError) as err:
        Codebook.from_dict(spec)
    message = str(err.value)
    assert "constructs.prijs-kwaliteit: 'prijs-kwaliteit' cannot name a construct" in message
    assert "use e.g. 'prijs_kwaliteit'" in message
    assert "column 'k 1' cannot stand in a model" in message and "'k_1'" in message


def test_accented_names_fit_like_ascii_ones():
    import numpy as np
    import pandas as pd

    import sqlib

    rng = np.random.default_rng(3)
    f = rng.normal(size=400)
    data = pd.DataFrame({name: f + rng.normal(size=400) for name in ("x1", "x2", "x3")})
    accented = data.rename(columns={"x1": "réceptie1", "x2": "qualité2"})
    plain = sqlib.fit("kamer =~ x1 + x2 + x3", data).fit_measures
    other = sqlib.fit("kamér =~ réceptie1 + qualité2 + x3", accented).fit_measures
    assert abs(plain["chisq"] - other["chisq"]) < 1e-10 and plain["df"] == other["df"]


# ------------------------------------------------------------ sheet and wave order keys
def test_sheet_key_is_read_and_written_back(tmp_path):
    cb = Codebook.from_yaml(write(tmp_path, GOOD + "sheet: responses\n"))
    assert cb.sheet == "responses" and cb.to_dict()["sheet"] == "responses"
    assert Codebook.from_yaml(write(tmp_path, GOOD + "sheet: 1\n", name="b.yaml")).sheet == 1


def test_sheet_key_that_is_not_a_name_or_position_is_refused(tmp_path):
    message = error_of(tmp_path, GOOD + "sheet: -1\n")
    assert "sheet:" in message and "0-based position" in message and "sheet: responses" in message


# ------------------------------------------------------------ expectation columns with another role
EXPECT = GOOD.replace("constructs:", "id: rid\ngroup: land\nwave: wave\nconstructs:") + \
    "expectations: {q1: e_q1, q2: e_q2, q3: e_q3}\n"


def test_expectation_column_that_is_the_wave_column_is_refused(tmp_path):
    message = error_of(tmp_path, EXPECT.replace("q1: e_q1", "q1: wave"))
    assert "expectations.q1 and wave: both name the column 'wave'" in message and "one role" in message
    assert "set expectations.q1 to the column holding the expectation answers of 'q1' (e.g. 'e_q1')" in message


def test_group_column_that_is_an_expectation_column_is_refused(tmp_path):
    message = error_of(tmp_path, EXPECT.replace("group: land", "group: e_q1"))
    assert "expectations.q1 and group: both name the column 'e_q1'" in message
    assert "set group: to the column of group labels" in message


def test_two_items_sharing_one_expectation_column_are_refused(tmp_path):
    message = error_of(tmp_path, EXPECT.replace("q3: e_q3", "q3: e_q2"))
    assert "expectations.q2 and expectations.q3 both name 'e_q2'" in message and "its own" in message


def test_expectation_column_that_is_a_construct_item_is_refused(tmp_path):
    message = error_of(tmp_path, EXPECT.replace("q1: e_q1", "q1: cusa"))
    assert "expectations.q1: 'cusa' is an item of construct 'sat'" in message
    assert "remove 'cusa' from constructs.sat.items" in message


# ------------------------------------------------------------ missing codes inside a scale
def test_missing_code_inside_an_items_scale_is_refused(tmp_path):
    message = error_of(tmp_path, GOOD + "missing_codes: [-99, 99]\n")
    assert "missing_codes: 99 is a valid answer on the 0-100 scale of 'cusa'" in message
    assert "constructs.sat.missing_codes" in message and "outside the scale" in message


def test_construct_missing_codes_replace_the_codebooks_for_its_items(tmp_path):
    text = GOOD.replace("scale: {min: 0, max: 100}}", "scale: {min: 0, max: 100}, missing_codes: [999]}")
    cb = Codebook.from_yaml(write(tmp_path, text + "missing_codes: [-99, 99]\n"))
    assert cb.missing_codes_of("cusa") == [999] and cb.missing_codes_of("q1") == [-99, 99]
    assert Codebook.from_dict(cb.to_dict()) == cb


# ------------------------------------------------------------ wording
def test_item_listed_twice_in_one_construct_says_twice(tmp_path):
    message = error_of(tmp_path, GOOD.replace("[q1, q2, q3]", "[q1, q2, q1]"))
    assert "constructs.tangibles.items: column 'q1' is listed twice under 'tangibles'" in message
    assert "both" not in message


def test_typo_in_an_expectation_column_is_reported_at_its_expectation_key(tmp_path):
    text = EXPECT.replace("q3: e_q3", "q3: e_q33") + "labels: {e_q3: Expected neat staff}\n"
    message = error_of(tmp_path, text)
    assert "expectations.q3: the expectation column 'e_q33' differs from 'e_q3'" in message
    assert "expectations: {q3: e_q3}" in message and "labels.e_q3:" not in message


def test_wave_order_key_is_read_as_text_labels(tmp_path):
    cb = Codebook.from_yaml(write(tmp_path, GOOD + "wave: wave\nwave_order: [W1, W2, 10]\n"))
    assert cb.wave_order == ["W1", "W2", "10"] and Codebook.from_dict(cb.to_dict()) == cb


def test_wave_order_with_a_repeated_label_is_refused(tmp_path):
    message = error_of(tmp_path, GOOD + "wave: wave\nwave_order: [W1, W2, W1]\n")
    assert "wave_order" in message and "'W1' more than once" in message


def test_missing_code_on_every_constructs_scale_is_one_line_without_per_construct_advice(tmp_path):
    text = GOOD.replace("scale: {min: 0, max: 100}}", "scale: {min: 0, max: 5}}") + "missing_codes: [5]\n"
    message = error_of(tmp_path, text)
    assert message.count("\n  - ") == 1
    assert "missing_codes: 5 is a valid answer on the 1-5 scale of 'q1', 'q2' and 'q3' (construct 'tangibles');" \
           " the 0-5 scale of 'cusa' (construct 'sat')" in message
    assert "e.g. -99" in message and "constructs.sat.missing_codes" not in message


def test_items_shared_by_two_constructs_are_one_line(tmp_path):
    text = GOOD.replace("  sat:", "  again: {items: [q1, q2]}\n  sat:")
    message = error_of(tmp_path, text)
    assert "columns 'q1' and 'q2' are listed under both 'tangibles' and 'again'" in message
    assert message.count("\n  - ") == 1 and "remove them from one of the two" in message


def test_label_of_the_right_expectation_column_points_to_the_wrong_expectations_key(tmp_path):
    text = EXPECT.replace("q3: e_q3", "q3: e_q2") + "labels: {e_q3: Expected neat staff}\n"
    message = error_of(tmp_path, text)
    assert "expectations.q3: the expectation column 'e_q2' differs from 'e_q3'" in message
    assert "expectations.q2: the expectation column" not in message and "labels.e_q3:" not in message


def test_reverse_coded_items_are_marked_wherever_their_wording_is_shown():
    from sqlib.survey.codebook import Codebook

    cb = Codebook.from_dict({"scale": {"min": 1, "max": 7}, "constructs": {"r": ["r1", "r2", "r3"]},
                             "reverse": ["r2"], "labels": {"r2": "Staff are too busy to help."}})
    assert cb.label("r2") == "Staff are too busy to help. (reverse-scored)"
    assert cb.label("r1") == "r1"
