"""Rules of the power narrative (issue 13): the study's own model and population, what was simulated,
no claim beyond the Monte Carlo error, numbers equal to the required-n table's."""

from __future__ import annotations

import pandas as pd
import pytest
from statsmodels.stats.proportion import proportion_confint

import sqlib
from sqlib import config
from sqlib.analysis.design import study_design
from sqlib.report.narratives import power as narrative
from sqlib.analysis.power import required_n, study_population, wilson_interval
from sqlib.report.presentation import format_table
from sqlib.survey.simulate import PopulationModel

EXAMPLES = config.PROJECT_ROOT / "examples"


def _curve(name, powers, converged, ns=(150, 300, 600)):
    return pd.DataFrame({"n": list(ns), "parameter": name, "power": powers, "alpha": 0.05, "converged": converged})


@pytest.mark.parametrize("power_, reps", [(1.0, 8), (0.82, 100), (0.0, 50), (0.5, 20)])
def test_wilson_interval_matches_statsmodels(power_, reps):
    low, high = proportion_confint(round(power_ * reps), reps, alpha=0.05, method="wilson")
    assert wilson_interval(power_, reps) == pytest.approx((low, high), abs=1e-3)


def test_required_n_says_whether_the_target_is_reached_beyond_monte_carlo_error():
    table = pd.concat([_curve("sure", [0.6, 0.95, 1.0], 200), _curve("close", [0.5, 0.7, 0.82], 100),
                       _curve("low", [0.1, 0.2, 0.3], 100)])
    needed = required_n(table, target=0.8).set_index("parameter")
    assert needed.loc["sure", "mc_verdict"] == "reached" and needed.loc["sure", "power_ci_lower"] >= 0.8
    assert needed.loc["close", "met"] and needed.loc["close", "mc_verdict"] == "within Monte Carlo error"
    assert needed.loc["low", "mc_verdict"] == "not reached" and needed.loc["low", "power_ci_upper"] < 0.8


def test_no_recommendation_is_called_established_within_monte_carlo_error():
    needed = required_n(pd.concat([_curve("sure", [0.6, 0.95, 1.0], 200), _curve("close", [0.5, 0.7, 0.82], 100)]),
                        target=0.8)
    text = narrative.required_text(needed, 0.8, 100)
    assert "n = 600 is the smallest simulated size" in text
    assert "this is not established" in text and "so this is established" not in text
    cells = format_table(needed).cells.set_index("parameter")
    assert (f"close (power {cells.loc['close', 'power']} at n = 600, 95% interval "
            f"{cells.loc['close', 'power_ci_lower']} to {cells.loc['close', 'power_ci_upper']})") in text


def test_a_target_beyond_monte_carlo_error_is_called_established():
    needed = required_n(pd.concat([_curve("a", [0.9, 0.99, 1.0], 1000), _curve("b", [0.5, 0.97, 1.0], 1000)]),
                        target=0.8)
    text = narrative.required_text(needed, 0.8, 1000)
    assert text.startswith("By the point estimates, n = 300 is the smallest simulated size")
    assert "so this is established with 1000 replications" in text
    assert "Within Monte Carlo error" not in text


def test_parameters_below_the_target_are_named_with_their_numbers():
    needed = required_n(pd.concat([_curve("a", [0.9, 0.99, 1.0], 1000), _curve("weak", [0.1, 0.2, 0.35], 1000)]),
                        target=0.8)
    text = narrative.required_text(needed, 0.8, 1000)
    row = format_table(needed).cells.set_index("parameter").loc["weak"]
    assert "1 of 2 parameters reach a power of 0.800" in text
    assert f"Below 0.800 up to n = 600: weak (power {row['power']}, 95% interval {row['power_ci_lower']} to " \
           f"{row['power_ci_upper']}; about n = {row['suggested_n']} by extrapolation" in text
    assert "n = 600 is the smallest" not in text


def test_simulated_text_states_reps_and_sizes():
    text = narrative.simulated_text(50, [600, 150, 300], 13, "local engine with 2 processes")
    assert text.startswith("Simulated: 50 replications at each of n = 150, 300 and 600 (150 samples on the local "
                           "engine with 2 processes), following 13 structural parameter(s).")
    assert "±0.111" in text  # 1.96 * sqrt(.8 * .2 / 50)


def test_convergence_text_uses_the_tables_counts():
    convergence = pd.DataFrame({"n": [150, 600], "reps": [50, 50], "converged": [43, 50],
                                "convergence_rate": [0.86, 1.0], "heywood_share": [0.2093, 0.0], "errors": [0, 0]})
    text = narrative.convergence_text(convergence)
    assert "n = 150: 43 of 50 converged (share improper: 0.209); n = 600: 50 of 50 converged." in text


def test_study_population_fits_the_studys_own_model():
    design = study_design(None)
    truth, model = study_population(design, sqlib.load_sample())
    assert model == design.sem_syntax()
    assert truth.ntotal == 875  # complete answers of the bundled sample
    text = narrative.population_text(design, truth, "fitted", "../data/servqual_sample.csv")
    assert f"fitted to the {truth.ntotal} respondents of servqual_sample.csv" in text
    assert design.structural_source in text


def test_bundled_population_only_for_the_servqual_codebook():
    truth, model = study_population(study_design(None), None, "sample")
    assert isinstance(truth, PopulationModel) and "ind_tangibles := a1*b" in model
    ecsi = study_design(EXAMPLES / "ecsi_mobi" / "codebook.yaml", "satisfaction ~ quality")
    with pytest.raises(ValueError, match="population='sample' is the simulation model of the bundled SERVQUAL "
                                         "sample; it has no values for this codebook.*Use population='fitted'"):
        study_population(ecsi, None, "sample")
    with pytest.raises(ValueError, match="population must be one of fitted, sample, not 'survey'"):
        study_population(ecsi, None, "survey")


def test_population_text_names_severe_diagnostics_of_the_fitted_model():
    design = study_design(None)

    class Fitted:  # the attributes population_text reads from a fitted SEMResult
        ntotal = 250
        diagnostics = pd.DataFrame([{"check": "collinear predictors", "severity": "severe",
                                     "where": "performance -> competence", "message": "", "suggestion": ""}])

    text = narrative.population_text(design, Fitted(), "fitted", "corp.csv")
    assert "severe diagnostics (collinear predictors (performance -> competence))" in text


def test_unstable_sizes_are_no_basis_for_planning():
    convergence = pd.DataFrame({"n": [150, 300, 600], "reps": [50, 50, 50], "converged": [20, 48, 50],
                                "convergence_rate": [0.4, 0.96, 1.0], "heywood_share": [1.0, 0.5, 0.0],
                                "errors": [0, 0, 0]})
    text = narrative.convergence_text(convergence)
    assert ("At n = 150 and 300, fewer than 90% of the replications converged or more than 10% of the converged "
            "solutions were improper: the power estimates there rest on unstable fits and are no basis for planning."
            ) in text
    stable = narrative.convergence_text(convergence.iloc[[2]])
    assert "no basis for planning" not in stable
    needed = required_n(_curve("a", [0.9, 0.99, 1.0], 1000), target=0.8)
    summary = narrative.summary("Population: x.", "Simulated: y.", convergence, needed, 0.8, 50)
    assert summary.index("no basis for planning") < summary.index("By the point estimates")


def test_no_recommendation_when_every_size_is_unstable():
    convergence = pd.DataFrame({"n": [150, 600], "reps": [50, 50], "converged": [22, 32],
                                "convergence_rate": [0.44, 0.64], "heywood_share": [1.0, 0.94], "errors": [0, 0]})
    needed = required_n(_curve("a", [0.9, 1.0], 50, ns=(150, 600)), target=0.8)
    summary = narrative.summary("Population: x.", "Simulated: y.", convergence, needed, 0.8, 50)
    assert "No sample size is recommended: at every simulated size the fits are unstable" in summary
    assert "reach a power" not in summary and "By the point estimates" not in summary


def test_power_established_at_a_larger_size_counts_as_reached():
    from sqlib.report.narratives.power import required_text
    from sqlib.analysis.power import required_n

    curve = pd.DataFrame({"n": [150, 300, 600], "parameter": "b", "power": [0.5, 0.82, 1.0], "alpha": 0.05,
                          "converged": 50})
    needed = required_n(curve, target=0.8)
    row = needed.iloc[0]
    assert row["required_n"] == 300 and row["mc_verdict"] == "reached" and row["established_n"] == 600
    text = required_text(needed, 0.8, 50)
    assert "above the target by n = 600" in text and "Within Monte Carlo error" not in text


def test_power_reached_at_an_unstable_size_is_qualified():
    from sqlib.report.narratives.power import recommendation_text
    from sqlib.analysis.power import required_n

    curve = pd.DataFrame({"n": [150, 600], "parameter": "b", "power": [1.0, 1.0], "alpha": 0.05, "converged": 45})
    convergence = pd.DataFrame({"n": [150, 600], "reps": 50, "converged": [44, 45],
                                "convergence_rate": [0.88, 0.90], "heywood_share": [0.2, 0.05]})
    text = recommendation_text(convergence, required_n(curve, target=0.8), 0.8, 50)
    assert "established first at an unstable size (n = 150)" in text and "smallest being n = 600" in text


def test_each_row_of_required_n_keeps_its_power_and_interval_at_one_size():
    from sqlib.analysis.power import required_n, wilson_interval

    curve = pd.DataFrame({"n": [300, 600], "parameter": "b", "power": [0.81, 0.98], "alpha": 0.05, "converged": 100})
    row = required_n(curve, target=0.8).iloc[0]
    assert (row["power_ci_lower"], row["power_ci_upper"]) == wilson_interval(0.81, 100)
    assert row["established_n"] == 600
    assert (row["established_ci_lower"], row["established_ci_upper"]) == wilson_interval(0.98, 100)
