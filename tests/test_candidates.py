"""Candidate models: direct paths (partial mediation) and SERVPERF against SERVQUAL."""

from __future__ import annotations

import pandas as pd

import sqlib
from sqlib import candidates, models
from sqlib.survey.codebook import Codebook
from sqlib.analysis.design import study_design
from sqlib.report.narratives import screening


def test_direct_paths_design_fits_like_the_partial_mediation_model():
    data = sqlib.load_sample()
    direct = study_design(None).with_direct_paths()
    ours = sqlib.fit(direct.sem_syntax(), data).fit_measures
    reference = sqlib.fit(models.structural_syntax(direct=True), data).fit_measures
    assert abs(ours["chisq"] - reference["chisq"]) < 1e-6 and ours["df"] == reference["df"]
    assert study_design(None, "loyalty ~ tangibles + empathy").with_direct_paths() is None


def test_direct_paths_need_a_significant_test_and_a_lower_bic():
    comparison = pd.DataFrame({"model": ["as specified", "with direct paths"], "bic": [100.0, 90.0]})
    assert candidates.prefer_direct_paths(pd.Series({"delta_pvalue": 0.01}), comparison)
    assert not candidates.prefer_direct_paths(pd.Series({"delta_pvalue": 0.20}), comparison)
    comparison["bic"] = [90.0, 100.0]
    assert not candidates.prefer_direct_paths(pd.Series({"delta_pvalue": 0.01}), comparison)


def test_servperf_comparison_uses_the_same_respondents_and_outcome():
    data = sqlib.load_sample()
    design = study_design(None)
    out = candidates.servperf_comparison(design, data)
    complete = data.dropna(subset=design.codebook.items + design.codebook.expectation_items)
    assert out["n"] == len(complete) and out["outcome"] == "satisfaction"
    assert list(out["table"]["model"]) == ["SERVPERF (perceptions)", "SERVQUAL (gaps P - E)"]
    assert "r2_satisfaction" in out["table"].columns


def test_servperf_is_skipped_without_expectations():
    cb = Codebook.servqual(expectations=False)
    design = study_design(cb)
    assert "no perception item with an expectation item" in candidates.servperf_skip_reason(design)
    assert candidates.servperf_comparison(design, sqlib.load_sample()) is None


def test_screening_reading_notes_repeat_what_the_reader_did():
    data = pd.DataFrame({"a": [1]})
    data.attrs["notes"] = ["columns separated by ';' (detected)", "2 empty trailing columns were dropped."]
    assert screening.reading_notes(data) == "columns separated by ';' (detected). 2 empty trailing columns were dropped."


def test_screening_mardia_text_follows_the_p_values():
    table = pd.DataFrame({"test": ["skewness", "kurtosis"], "n": [100, 100], "p": [5, 5],
                          "p_value": [0.2, 0.00001]})
    paragraph = screening.mardia_text(table)
    assert "p = .200" in paragraph and "p < .001" in paragraph and "rejects normality" in paragraph
    table["p_value"] = [0.2, 0.3]
    assert "Neither test rejects" in screening.mardia_text(table)


def test_coverage_text_lists_the_problems_or_nothing():
    assert screening.coverage_text([]) == ""
    text = screening.coverage_text(["rel2 was not answered in group FR (column country): use missing: fiml"])
    assert text == "Notes on the data: rel2 was not answered in group FR (column country): use missing: fiml."
