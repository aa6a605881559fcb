"""Rules of the structural-section text: no ranking the diagnostics do not allow."""

from __future__ import annotations

import pandas as pd
import pytest

import sqlib
from sqlib import tables
from sqlib.survey.codebook import Codebook, Construct
from sqlib.analysis.design import study_design
from sqlib.sem.effects import effects
from sqlib.report.narratives import structural as text
from sqlib.report.presentation import format_number

NO_PROBLEMS = pd.DataFrame(columns=["check", "severity", "where", "message", "suggestion"])


@pytest.fixture(scope="module")
def servqual():
    data = sqlib.load_sample()
    design = study_design(None)
    result = sqlib.fit(design.sem_syntax(), data)
    return design, result, effects(result)


def test_ranking_follows_the_effects_table(servqual):
    design, result, table = servqual
    paragraph = text.drivers_text(design, table, NO_PROBLEMS, "loyalty")
    totals = table[(table["outcome"] == "loyalty") & (table["effect"] == "total")
                   & table["predictor"].isin(design.predictors)].sort_values("std_all", ascending=False)
    ranking = paragraph.split("largest first: ")[1].split(". The largest")[0]
    assert "satisfaction (" in paragraph.split("themselves predicted")[1]   # the mediator, named apart
    assert ranking == ", ".join(f"{p} ({format_number(v)})" for p, v in zip(totals["predictor"], totals["std_all"]))
    top = totals.iloc[0]
    assert f"The largest is {top['predictor']}" in paragraph
    assert (f"unstandardized {format_number(top['est'])}, 95% {top['ci_method']} CI "
            f"[{format_number(top['ci_lower'])}, {format_number(top['ci_upper'])}]") in paragraph


@pytest.mark.parametrize("check", ["path beyond 1", "collinear predictors", "not positive definite",
                                   "heywood case", "convergence"])
def test_no_ranking_with_a_severe_structural_problem(servqual, check):
    design, _, table = servqual
    diagnostics = pd.DataFrame([{"check": check, "severity": "severe", "where": "satisfaction ~ empathy",
                                 "message": "", "suggestion": ""}])
    paragraph = text.drivers_text(design, table, diagnostics, "loyalty")
    assert "not interpretable" in paragraph and check in paragraph
    assert "largest" not in paragraph.lower() and "strongest" not in paragraph.lower()
    assert "No effect ranking is reported" in paragraph


def test_total_effects_beyond_one_block_the_ranking_even_without_diagnostics(servqual):
    design, _, table = servqual
    edited = table.copy()
    edited.loc[(edited["effect"] == "total") & (edited["predictor"] == "empathy"), "std_all"] = 2.15
    paragraph = text.drivers_text(design, edited, NO_PROBLEMS, "loyalty")
    assert "beyond 1" in paragraph and "2.150" in paragraph and "largest first" not in paragraph


def test_the_alternative_to_report_is_named_when_there_is_one(servqual):
    design, _, table = servqual
    diagnostics = pd.DataFrame([{"check": "path beyond 1", "severity": "severe", "where": "x", "message": "",
                                 "suggestion": ""}])

    class Alt:
        reason = "second-order is free of severe diagnostics, meets the fit cutoffs and has the lowest BIC."
    assert Alt.reason in text.drivers_text(design, table, diagnostics, "loyalty", Alt())


def test_single_item_outcome_is_reported_by_construct_name():
    data = sqlib.load_sample()
    cb = Codebook.servqual()
    constructs = [c if c.name != "satisfaction" else Construct("satisfaction", ["sat1"], "outcome")
                  for c in cb.constructs if c.name != "loyalty"]
    design = study_design(Codebook(name="x", constructs=constructs, scale_min=1, scale_max=7))
    result = sqlib.fit(design.sem_syntax(), design.model_data(data))
    assert "satisfaction ~" in design.sem_syntax() and "satisfaction =~" not in design.sem_syntax()
    sentence = text.r2_sentence(design, result)
    assert sentence == f"R-squared: satisfaction {format_number(result.r2['satisfaction'])}."
    paragraph = text.drivers_text(design, effects(result), result.diagnostics, "satisfaction")
    if sqlib.diagnostics.has_severe(result.diagnostics):
        assert "not interpretable" in paragraph
    else:
        assert paragraph.startswith("Standardized total effects of the drivers")


def test_summary_names_the_model_source_and_its_fit(servqual):
    design, result, _ = servqual
    row = tables.fit_table({"The structural model": result}).iloc[0]
    summary = text.summary(design, row, NO_PROBLEMS, "drivers.", "R-squared: x.")
    assert summary.startswith("Structural model: SERVQUAL default")
    assert f"CFI {format_number(row['cfi'], 'fit')}" in summary
    custom = study_design(None, "loyalty ~ tangibles + empathy")
    assert text.summary(custom, row, NO_PROBLEMS, "", "").startswith("Structural model from the parameters file. Fit: CFI")


def test_mediation_text_gives_test_and_bic():
    test = pd.Series({"delta_df": 5, "delta_chisq": 2.994, "delta_pvalue": 0.701})
    sentence = text.mediation_test_text(test, {"as specified": 100.0, "with direct paths": 120.5}, "as specified")
    assert "delta chi-square(5) = 2.994, p = .701" in sentence and "100.000" in sentence and "120.500" in sentence


def test_interval_method_says_why_the_bootstrap_did_not_run():
    assert "delta-method" in text.interval_method(0, True)
    skipped = text.interval_method(500, False)
    assert "500 bootstrap draws were not run" in skipped and "not interpretable" in skipped
    assert text.interval_method(500, True).startswith("Intervals are bootstrap percentile intervals from 500 draws")
    assert "not interpretable" in text.interval_method(500, False, forced=True)


def test_readability_and_direct_paths_sentences():
    rows = pd.DataFrame([{"check": "path beyond 1", "severity": "severe", "where": "y ~ x", "message": "",
                          "suggestion": ""}])
    assert text.readability_text(rows).startswith("The structural paths are not interpretable")
    assert text.readability_text(NO_PROBLEMS) == "No severe structural problems: the paths can be read."
    custom = study_design(None, "loyalty ~ tangibles")
    assert text.direct_paths_text(custom).startswith("The structural model comes from the parameters file")
