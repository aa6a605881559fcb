"""Rules of the measurement-section text (sqlib.narratives.measurement)."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

import sqlib
from sqlib import tables
from sqlib.survey.codebook import Codebook, Construct
from sqlib.analysis.design import study_design
from sqlib.report.narratives import measurement as text


def diag(*rows):
    cols = ["check", "severity", "where", "message", "suggestion"]
    return pd.DataFrame([dict(zip(cols, (*r, "", ""))) for r in rows], columns=cols)


@pytest.fixture(scope="module")
def cfa():
    data = sqlib.load_sample()
    design = study_design(None)
    return design, data, sqlib.fit(design.cfa_syntax(), data)


def test_summary_reports_the_fit_of_the_table_beside_it(cfa):
    design, data, result = cfa
    row = tables.fit_table(result).iloc[0]
    summary = text.summary(design, row, result.diagnostics, None)
    for measure in ("cfi", "tli", "rmsea", "srmr"):
        assert f"{measure.upper()} {sqlib.presentation.format_number(row[measure], 'fit')}" in summary
    assert row["model"] in summary and "7-factor CFA" in summary


def test_fit_sentence_names_the_failed_cutoffs():
    row = pd.Series({"model": "m", "cfi": 0.9, "tli": 0.97, "rmsea": 0.05, "rmsea_ci_lower": 0.04,
                     "rmsea_ci_upper": 0.06, "srmr": 0.03, "cfi_ok": False, "tli_ok": True, "rmsea_ok": True,
                     "srmr_ok": True, "meets_cutoffs": False})
    sentence = text.fit_sentence(row)
    assert "does not meet" in sentence and "(CFI outside)" in sentence


def test_discriminant_validity_alone_is_not_called_improper():
    sentence = text.diagnosis(diag(("discriminant validity", "severe", "a & b")))
    assert "improper" not in sentence and "hardly distinct" in sentence and "a & b" in sentence


@pytest.mark.parametrize("check", text.IMPROPER_CHECKS)
def test_improper_checks_are_called_improper(check):
    assert "improper" in text.diagnosis(diag((check, "severe", "x")))


def test_warnings_do_not_make_a_solution_improper():
    sentence = text.diagnosis(diag(("heywood case", "warning", "x")))
    assert sentence.startswith("No severe diagnostic problems") and "1 warning" in sentence


def test_single_item_constructs_are_named_with_their_item():
    cb = Codebook(name="x", constructs=[Construct("q", ["q1", "q2"]), Construct("sat", ["overall"], "outcome")],
                  scale_min=1, scale_max=10)
    note = text.single_item_note(study_design(cb))
    assert "sat (overall)" in note and "left out of the CFA" in note
    assert text.single_item_note(study_design(None)) == ""


def test_reliability_sentence_names_constructs_below_the_cutoff():
    rel = pd.DataFrame({"construct": ["a", "b"], "omega": [0.91, 0.55]})
    sentence = text.reliability_sentence(rel)
    assert "0.550 to 0.910" in sentence and "b (0.550)" in sentence and "a (" not in sentence


def test_efa_sentence_is_labelled_as_a_different_model(cfa):
    _, _, result = cfa
    row = tables.fit_table(result, name="EFA-suggested CFA (holdout half)").iloc[0]
    sentence = text.efa_sentence(5, row, 450)
    assert sentence.startswith("Exploratory check (not the CFA above)") and "450 respondents" in sentence
    assert re.search(r"retains 5 factor", sentence)


def test_reliability_sentence_names_weak_ave():
    rel = pd.DataFrame({"construct": ["a", "b"], "omega": [0.91, 0.85], "ave": [0.62, 0.47]})
    sentence = text.reliability_sentence(rel)
    assert "all are at least 0.70" in sentence and "AVE below 0.50" in sentence and "b (0.470)" in sentence
    rel["ave"] = [0.6, 0.55]
    assert "Every AVE is at least 0.50" in text.reliability_sentence(rel)


def test_sample_sentence_counts_who_was_left_out(cfa):
    _, data, result = cfa
    sentence = text.sample_sentence(result, len(data), "ML, as the parameters ask")
    assert f"on {result.ntotal} of {len(data)} respondents: {len(data) - result.ntotal} with a missing" in sentence
    assert sentence.startswith("Estimated with ML, as the parameters ask")
    assert text.sample_sentence(result, result.ntotal, "ML").endswith(f"on all {result.ntotal} respondents.")


def test_auto_estimator_follows_mardia():
    from sqlib.survey.screening import resolve_estimator

    data = sqlib.load_sample()
    items = sqlib.Codebook.servqual().items
    assert resolve_estimator("auto", data, items) == (
        "MLR", f"MLR, as Mardia's tests on the {len(items)} model items reject multivariate normality")
    normal = pd.DataFrame(np.random.default_rng(1).normal(size=(400, 3)), columns=list("abc"))
    assert resolve_estimator("auto", normal, list("abc"))[0] == "ML"
    assert resolve_estimator("mlr", data, items)[0] == "MLR"
    with pytest.raises(ValueError, match="not one of auto, ML, MLR, WLSMV"):
        resolve_estimator("GLS", data, items)


def test_efa_sentence_says_when_a_construct_does_not_emerge(cfa):
    design, _, result = cfa
    row = tables.fit_table(result, name="EFA").iloc[0]
    dims = "\n".join(f"{n} =~ " + " + ".join(design.codebook.items_of(n)) for n in design.codebook.dimensions)
    assert "emerges from the data" in text.efa_sentence(5, row, 450, design, dims)
    without = "\n".join(line for line in dims.splitlines() if not line.startswith("empathy"))
    sentence = text.efa_sentence(4, row, 450, design, without)
    assert "the codebook has 5 constructs for these items, the data suggest 4" in sentence
    assert "(all items of empathy)" in sentence and "emp1" in sentence


# ------------------------------------------------------------- omega and AVE intervals
def _with_intervals(ave_lower, omega_lower=(0.80, 0.75)):
    rel = pd.DataFrame({"construct": ["a", "b"], "omega": [0.91, 0.85], "omega_ci_lower": list(omega_lower),
                        "omega_ci_upper": [0.93, 0.88], "ave": [0.62, 0.53], "ave_ci_lower": list(ave_lower),
                        "ave_ci_upper": [0.66, 0.57]})
    rel.attrs = {"draws": 200, "draws_failed": 0, "level": 0.95, "ci": "percentile"}
    return rel


def test_reliability_sentence_names_ave_intervals_that_reach_below_the_cutoff():
    sentence = text.reliability_sentence(_with_intervals([0.58, 0.49996]))
    assert "Every AVE is at least 0.50 as a point estimate, but the bootstrap interval reaches below 0.50" in sentence
    assert "b (0.530, interval 0.49996 to 0.570)" in sentence and "a (" not in sentence
    assert "convergent validity is not established beyond sampling error" in sentence
    clear = text.reliability_sentence(_with_intervals([0.58, 0.51]))
    assert "and so is the lower bound of its bootstrap interval (convergent validity)" in clear
    low_omega = text.reliability_sentence(_with_intervals([0.58, 0.51], omega_lower=(0.80, 0.68)))
    assert "Omega passes 0.70 as a point estimate, but its bootstrap interval reaches below it, for b (0.850, " \
           "interval 0.680 to 0.880)." in low_omega


def test_interval_note_states_draws_type_and_failures():
    rel = _with_intervals([0.58, 0.51])
    assert text.reliability_interval_note(rel) == (
        "The omega and AVE intervals are 95% bootstrap percentile intervals: the CFA was refitted on 200 resamples "
        "of its respondents (all 200 refits converged).")
    rel.attrs["draws_failed"] = 3
    assert "3 of 200 refits failed and are left out" in text.reliability_interval_note(rel)


def test_intervals_are_skipped_with_a_reason(cfa):
    _, data, result = cfa
    assert text.reliability_intervals_skipped(result, 200) == ""
    assert "reliability_draws is 0" in text.reliability_intervals_skipped(result, 0)
    fiml = sqlib.fit("f =~ sat1 + sat2 + sat3", data, missing="fiml")
    assert "missing='listwise' bootstraps them" in text.reliability_intervals_skipped(fiml, 200)
    wlsmv = sqlib.fit("f =~ sat1 + sat2 + sat3", data, estimator="WLSMV", ordered=True)
    assert "estimator ML or MLR bootstraps them" in text.reliability_intervals_skipped(wlsmv, 200)


def _run_02_until_reliability(parameters):
    from sqlib import config

    from .notebook_exec import read, run_cells

    done = False
    for _, cell, namespace in run_cells(read(config.NOTEBOOKS_DIR / "02_measurement_model.ipynb"),
                                        config.NOTEBOOKS_DIR, parameters):
        if done:
            return namespace
        done = "reliability_intervals_skipped" in cell.source
    raise AssertionError("notebook 02 has no reliability cell")


def test_notebook_02_shows_the_intervals_of_its_parameter_and_skips_them_at_zero():
    from sqlib.analysis.reliability_bootstrap import reliability_bootstrap

    shown = _run_02_until_reliability({"reliability_draws": 20})
    rel, result = shown["rel"], shown["result"]
    expected = reliability_bootstrap(result, 20, seed=shown["seed"], codebook=shown["design"].codebook,
                                     progress=False).pivot(index="construct", columns="statistic")
    for statistic in ("omega", "ave"):
        for side in ("ci_lower", "ci_upper"):
            assert rel.set_index("construct")[f"{statistic}_{side}"].to_dict() == expected[side][statistic].to_dict()
    assert "refitted on 20 resamples" in text.reliability_interval_note(rel, shown["skipped"])
    skipped = _run_02_until_reliability({"reliability_draws": 0})
    assert "omega_ci_lower" not in skipped["rel"] and "reliability_draws is 0" in skipped["skipped"]
