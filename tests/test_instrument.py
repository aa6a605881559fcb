"""The SERVQUAL instrument: item structure, wordings and the codebook built from it."""

import re

import pytest

from sqlib import config, instrument
from sqlib.survey.codebook import Codebook
from sqlib.core.errors import CodebookError
from sqlib.survey.instrument import DIMENSIONS, ITEMS, LANGUAGES, OUTCOMES, items_table, servqual_codebook


def codes(kind, construct=None):
    return [it.code for it in ITEMS if it.kind == kind and construct in (None, it.construct)]


@pytest.mark.parametrize("construct, count, kind", [
    ("tangibles", 4, "perception"), ("reliability", 5, "perception"), ("responsiveness", 4, "perception"),
    ("assurance", 4, "perception"), ("empathy", 5, "perception"),
    ("satisfaction", 3, "outcome"), ("loyalty", 4, "outcome"),
])
def test_items_per_construct(construct, count, kind):
    assert len(codes(kind, construct)) == count


def test_names_and_codes():
    assert DIMENSIONS == ("tangibles", "reliability", "responsiveness", "assurance", "empathy")
    assert OUTCOMES == ("satisfaction", "loyalty")
    prefix = {"tangibles": "tan", "reliability": "rel", "responsiveness": "res", "assurance": "ass",
              "empathy": "emp", "satisfaction": "sat", "loyalty": "loy"}
    for it in ITEMS:
        base = it.code.removeprefix("e_") if it.kind == "expectation" else it.code
        assert re.fullmatch(prefix[it.construct] + r"[1-9]", base), it.code
        assert (it.scale_min, it.scale_max) == (1, 7)
    assert len({it.code for it in ITEMS}) == len(ITEMS)


def test_every_perception_item_has_one_expectation_twin():
    perceptions = codes("perception")
    expectations = [it for it in ITEMS if it.kind == "expectation"]
    assert len(perceptions) == 22
    assert [e.mirrors for e in expectations] == perceptions
    for e in expectations:
        assert e.code == "e_" + e.mirrors
        assert e.construct == instrument.item(e.mirrors).construct


def test_every_item_has_four_distinct_wordings():
    for it in ITEMS:
        assert set(it.wording) == set(LANGUAGES) == {"en", "nl", "fr", "no"}
        texts = [it.wording[lang].strip() for lang in LANGUAGES]
        assert all(len(t) > 15 for t in texts), it.code
        assert len(set(texts)) == 4, f"{it.code} repeats a wording across languages"
    for lang in LANGUAGES:
        assert len({it.wording[lang] for it in ITEMS}) == len(ITEMS), f"two items share a wording in {lang}"


def test_expectation_wording_is_about_an_excellent_provider():
    for e in (it for it in ITEMS if it.kind == "expectation"):
        p = instrument.item(e.mirrors)
        assert "excellent" in e.wording["en"].lower()
        assert "excellent" not in p.wording["en"].lower()
        for lang in LANGUAGES:
            assert e.wording[lang] != p.wording[lang]


def test_items_table():
    table = items_table("fr")
    assert list(table.columns) == ["code", "construct", "kind", "scale_min", "scale_max", "wording"]
    assert len(table) == len(ITEMS) == 22 + 22 + 3 + 4
    assert table.set_index("code").loc["sat1", "wording"] == instrument.item("sat1").wording["fr"]
    assert table["kind"].value_counts().to_dict() == {"perception": 22, "expectation": 22, "outcome": 7}


@pytest.mark.parametrize("call", [lambda: items_table("de"), lambda: servqual_codebook(language="de")])
def test_unknown_language_lists_the_available_ones(call):
    with pytest.raises(CodebookError) as info:
        call()
    message = str(info.value)
    assert "'de'" in message
    assert all(lang in message for lang in LANGUAGES)


def test_codebook_matches_the_instrument():
    cb = servqual_codebook(language="nl")
    assert cb.construct_names == list(DIMENSIONS) + list(OUTCOMES)
    assert cb.dimensions == list(DIMENSIONS) and cb.outcomes == list(OUTCOMES)
    for name in cb.construct_names:
        kind = "perception" if name in DIMENSIONS else "outcome"
        assert cb.items_of(name) == codes(kind, name)
    assert (cb.id_column, cb.group_column, cb.wave_column) == ("respondent_id", "country", "wave")
    assert (cb.scale_min, cb.scale_max) == (1, 7)
    assert cb.expectations == {p: "e_" + p for p in codes("perception")}
    assert cb.expectation_items == codes("expectation")
    assert cb.labels == {it.code: it.wording["nl"] for it in ITEMS}
    assert cb.construct_of("e_emp3") == "empathy"


def test_codebook_without_expectations():
    cb = servqual_codebook(expectations=False)
    assert cb.expectations == {} and cb.expectation_items == []
    assert not any(key.startswith("e_") for key in cb.labels)
    assert len(cb.items) == 22 + 7


def test_codebook_classmethod_and_yaml_round_trip(tmp_path):
    cb = Codebook.servqual(language="no")
    assert cb.to_dict() == servqual_codebook(language="no").to_dict()
    path = tmp_path / "cb.yaml"
    cb.to_yaml(path)
    assert Codebook.from_yaml(path).to_dict() == cb.to_dict()


def test_bundled_codebook_file_is_the_instrument_codebook():
    assert Codebook.from_yaml(config.SAMPLE_CODEBOOK).to_dict() == servqual_codebook().to_dict()
