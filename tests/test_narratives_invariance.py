"""Rules of the invariance narrative (issue 13): verdicts the configural model and diagnostics allow,
both criteria when they disagree, group sizes as they are, latent means only when defensible."""

from __future__ import annotations

import dataclasses
import re

import pandas as pd
import pytest

import sqlib
from sqlib import config
from sqlib.analysis.design import study_design
from sqlib.analysis.invariance import invariance, locate_noninvariance
from sqlib.report.narratives import invariance as narrative
from sqlib.report.presentation import format_number, format_table

REALDATA = config.PROJECT_ROOT.parent / "shared" / "realdata"
EXAMPLES = config.PROJECT_ROOT / "examples"
TWO = "satisfaction =~ sat1 + sat2 + sat3\nloyalty =~ loy1 + loy2 + loy3 + loy4"
ONE = "both =~ sat1 + sat2 + sat3 + loy1 + loy2 + loy3 + loy4"  # two constructs forced into one: misfits


@pytest.fixture(scope="module")
def sample():
    return sqlib.load_sample()


@pytest.fixture(scope="module")
def sequence(sample):
    return invariance(TWO, sample, group="country", levels=["configural", "metric", "scalar"])


@pytest.fixture(scope="module")
def located(sample):
    return locate_noninvariance(TWO, sample, group="country", level="scalar")


def _no_problems():
    return pd.DataFrame(columns=["check", "severity", "where", "message", "suggestion"])


def test_poor_configural_fit_means_not_supported(sample):
    poor = invariance(ONE, sample, group="country", levels=["configural", "metric"])
    assessment = narrative.assess(poor, group_column="country", diagnostics=_no_problems())
    text = narrative.sequence_text(assessment)
    assert not assessment.configural["meets_cutoffs"]
    assert assessment.status == "not supported" and assessment.highest_level == "none"
    assert "**not supported**" in text and "does not meet" in text
    assert "invariance across country is supported" not in text
    assert format_number(assessment.configural["cfi"], "fit") in text


def test_severe_configural_diagnostic_means_inconclusive(sequence):
    problem = pd.DataFrame([{"check": "not positive definite", "severity": "severe", "where": "loyalty (group NL)",
                             "message": "latent covariance matrix not positive definite", "suggestion": ""}])
    assessment = narrative.assess(sequence, group_column="country", diagnostics=problem)
    text = narrative.sequence_text(assessment)
    assert assessment.configural["meets_cutoffs"]  # the fit is fine: the diagnostic alone decides
    assert assessment.status == "inconclusive"
    assert "**inconclusive**" in text and "not positive definite in loyalty (group NL)" in text
    assert "is supported by" not in text


def test_proper_and_fitting_sequence_is_supported(sequence):
    assessment = narrative.assess(sequence, group_column="country", diagnostics=_no_problems())
    assert assessment.status == "supported"
    assert assessment.highest_level == sequence.highest_level
    assert f"Verdict: {sequence.highest_level} invariance across country is supported" in \
        narrative.sequence_text(assessment)


def test_disagreeing_criteria_are_both_reported_with_their_numbers(sequence):
    table = sequence.table.copy()
    table.loc[table["level"] == "metric", "delta_pvalue"] = 1e-9  # chi-square rejects, fit change supports
    table.loc[table["level"] == "metric", "verdict"] = "supported"
    forced = dataclasses.replace(sequence, table=table)
    assessment = narrative.assess(forced, group_column="country", diagnostics=_no_problems())
    step = assessment.steps.set_index("level").loc["metric"]
    assert not step["agree"]
    text = narrative.sequence_text(assessment)
    metric = table.set_index("level").loc["metric"]
    assert "the two criteria disagree" in text
    assert (f"delta CFI {format_number(metric['delta_cfi'], 'fit')}, "
            f"delta RMSEA {format_number(metric['delta_rmsea'], 'fit')}") in text
    assert f"delta chi-square {format_number(metric['delta_chisq'])}, df = {int(metric['delta_df'])}, p < .001" in text
    assert "rests on the fit-change criteria alone" in text


def test_numbers_of_each_step_equal_the_formatted_table(sequence):
    assessment = narrative.assess(sequence, group_column="country", diagnostics=_no_problems())
    cells = format_table(sequence.table).cells.set_index("level")
    for _, step in assessment.steps.iterrows():
        sentence = narrative.step_text(step)
        row = cells.loc[step["level"]]
        for column in ("delta_cfi", "delta_rmsea", "delta_chisq"):
            assert row[column] in sentence, (column, sentence)
        assert f"df = {row['delta_df']}" in sentence


def test_group_sizes_are_stated_as_they_are():
    sizes = pd.Series({"contract": 148, "prepaid": 102, "business": 12})
    text = narrative.groups_text(sizes, sizes[sizes > 50], "plan", nobs={"contract": 140, "prepaid": 102},
                                 minimum=37)
    assert "contract (148 respondents, 140 with complete answers used by the models)" in text
    assert "prepaid (102 respondents)" in text
    assert "Left out as too small (a group needs more than 37 respondents for this CFA): business (12 respondents)" \
        in text
    assert "hundred" not in text


def test_small_group_is_left_out_with_a_note(sample):
    design = study_design(None)
    small = pd.concat([sample[sample["country"] != "NO"], sample[sample["country"] == "NO"].head(20)])
    text = narrative.groups_paragraph(design, small, "country")
    minimum = narrative.minimum_group_size(design)
    assert f"Left out as too small (a group needs more than {minimum} respondents" in text
    assert "NO (20 respondents)" in text
    assert "FR (300 respondents)" in text


def test_missing_group_column_and_too_few_groups_give_reasons(sample):
    design = study_design(None)
    assert narrative.unavailable(design, sample, "country") == ""
    assert "names no group column" in narrative.unavailable(design, sample, "")
    assert "'region' is not in the data" in narrative.unavailable(design, sample, "region")
    one = sample[sample["country"] == "FR"]
    reason = narrative.unavailable(design, one, "country")
    assert "Fewer than two groups of country" in reason and "FR: 300" in reason
    assert narrative.groups_paragraph(design, one, "country").startswith("**Measurement invariance was not tested.**")


def test_latent_means_only_when_invariance_is_supported(sample, located):
    poor = invariance(ONE, sample, group="country", levels=["configural", "metric", "scalar"])
    assessment = narrative.assess(poor, group_column="country", diagnostics=_no_problems())
    decision = narrative.latent_mean_decision(assessment, located, poor)
    assert decision.factors == [] and decision.table.empty
    assert decision.reason == "Latent means are not compared: invariance is not supported."
    assert narrative.latent_means_text(decision, "FR") == decision.reason


def test_latent_means_need_two_anchor_items_per_factor(sequence, located):
    assessment = narrative.assess(sequence, group_column="country", diagnostics=_no_problems())
    assert assessment.highest_level in ("metric", "scalar")
    two_released = {**located, "partial": ["sat1~1", "sat2~1"]}  # satisfaction keeps one anchor item
    decision = narrative.latent_mean_decision(assessment, two_released, sequence)
    assert decision.factors == ["loyalty"]
    assert set(decision.table["factor"]) == {"loyalty"}
    assert "not of satisfaction (1)" in decision.reason


def test_latent_mean_sentence_reports_the_significant_differences_of_the_table(sequence, located):
    assessment = narrative.assess(sequence, group_column="country", diagnostics=_no_problems())
    decision = narrative.latent_mean_decision(assessment, located, sequence)
    assert decision.factors == ["satisfaction", "loyalty"]
    text = narrative.latent_means_text(decision, "FR")
    cells = format_table(decision.table).cells
    for index, row in decision.table.iterrows():
        mentioned = f"{row['factor']} in group {row['group_label']}" in text
        assert mentioned == (row["pvalue"] < 0.05)
        if mentioned:
            assert f"mean difference {cells.loc[index, 'mean_diff']}, d = {cells.loc[index, 'd']}" in text
    if (decision.table["pvalue"] >= 0.05).all():
        assert "No latent mean differs significantly from the reference group FR" in text


def test_summary_is_built_from_its_parts(sequence, located):
    assessment = narrative.assess(sequence, group_column="country", diagnostics=_no_problems())
    groups = narrative.groups_text(pd.Series({"FR": 300, "NL": 300, "NO": 300}),
                                   pd.Series({"FR": 300, "NL": 300, "NO": 300}), "country", assessment.nobs)
    decision = narrative.latent_mean_decision(assessment, located, sequence)
    text = narrative.summary(assessment, groups, located["freed"], decision, reference="FR")
    assert text.startswith(groups)
    assert narrative.sequence_text(assessment) in text
    assert narrative.noninvariance_text(located["freed"]) in text
    for n in assessment.nobs.values():  # the sizes used by the models, as they are
        assert re.search(rf"\b{n}\b", text)


@pytest.mark.skipif(not (REALDATA / "corp_rep_data.csv").is_file(),
                    reason=f"real survey data not found at {REALDATA} (the shared folder beside the project)")
def test_corporate_reputation_by_service_type_is_not_claimed_invariant():
    import yaml

    params = yaml.safe_load((EXAMPLES / "corporate_reputation" / "params.yaml").read_text(encoding="utf-8"))
    design = study_design(EXAMPLES / "corporate_reputation" / "codebook.yaml", params["structural_model"])
    data = sqlib.read_survey(REALDATA / "corp_rep_data.csv", design.codebook)
    column = design.codebook.group_column
    paragraph = narrative.groups_paragraph(design, data, column)
    assert "1 (125 respondents" in paragraph and "2 (219 respondents" in paragraph
    sequence = invariance(design.cfa_syntax(), data.sort_values(column, kind="stable"), group=column,
                          levels=["configural", "metric"])
    assessment = narrative.assess(sequence, group_column=column)
    assert assessment.status in ("not supported", "inconclusive")
    text = narrative.sequence_text(assessment)
    assert "invariance across servicetype is supported" not in text
    assert format_number(assessment.configural["cfi"], "fit") in text


def test_score_tests_are_descriptive_only_when_invariance_is_not_supported(sample, located):
    poor = invariance(ONE, sample, group="country", levels=["configural", "metric"])
    assessment = narrative.assess(poor, group_column="country", diagnostics=_no_problems())
    text = narrative.noninvariance_text(located["freed"], assessment=assessment)
    assert text.startswith("Invariance is not supported, so these score tests only describe where the groups differ")
    supported = narrative.noninvariance_text(located["freed"])
    assert supported.startswith("The score tests released") or supported.startswith("No equality constraint")


def test_not_supported_verdict_names_its_reasons():
    import dataclasses

    from sqlib.report.narratives import invariance as narrative


    problems = pd.DataFrame([{"check": "heywood case", "severity": "severe", "where": "k1 (group NA)",
                              "message": "", "suggestion": ""}])
    configural = pd.Series({"cfi": 0.90, "tli": 0.88, "rmsea": 0.08, "srmr": 0.07, "meets_cutoffs": False})
    fields = {f.name for f in dataclasses.fields(narrative.InvarianceAssessment)}
    base = {name: None for name in fields}
    base.update(status="not supported", group_column="segment", configural=configural, problems=problems)
    text = narrative.sequence_text(narrative.InvarianceAssessment(**base))
    assert "fits below the cutoffs and has an improper solution (k1 (group NA))" in text
    assert "small group" in text
    base.update(problems=problems.iloc[0:0])
    text = narrative.sequence_text(narrative.InvarianceAssessment(**base))
    assert "fits below the cutoffs, so" in text and "small group" not in text
