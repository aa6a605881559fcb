"""Results display themselves (issue 16 item 1): a short repr, HTML in JupyterLab, and a summary
that reads like lavaan's summary(fit, fit.measures = TRUE, standardized = TRUE, rsquare = TRUE),
saying the same in text, HTML and LaTeX."""

from __future__ import annotations

import html
import re

import numpy as np
import pytest

import sqlib
from sqlib import config, models
from sqlib.core.formatting import format_number
from sqlib.sem.summary import _latex_escape
from tests.test_diagnostics import population, three_factor_model
from tests.test_sem_behaviour import exact_data


@pytest.fixture(scope="module")
def mlr():
    return sqlib.fit(models.structural_syntax(), sqlib.load_sample(), estimator="MLR")


@pytest.fixture(scope="module")
def improper():
    phi = np.array([[1, 1.05, 0.3], [1.05, 1, 0.3], [0.3, 0.3, 1]])
    return sqlib.fit(three_factor_model(), exact_data(population(phi), n=500))


def test_repr_is_a_few_lines_with_the_key_numbers(mlr):
    text = repr(mlr)
    fm = mlr.fit_measures
    assert len(text.splitlines()) <= 6
    assert "MLR" in text and f"{mlr.ntotal} respondents" in text and f"({mlr.n_dropped} dropped)" in text
    assert f"chi-square({int(fm['df'])}) = {format_number(fm['chisq'])}" in text
    for name in ("cfi", "rmsea", "srmr"):
        assert f"{name.upper()} {format_number(fm[name], 'fit')}" in text
    assert f"robust: CFI {format_number(fm['cfi_robust'], 'fit')}" in text
    assert "<li>" in mlr._repr_html_() and "MLR" in mlr._repr_html_()


def test_repr_counts_severe_diagnostics(improper):
    severe = int((improper.diagnostics["severity"] == "severe").sum())
    assert severe > 0 and f"diagnostics: {severe} severe" in repr(improper)


def test_summary_has_lavaans_sections_in_order(mlr):
    text = mlr.summary().as_text()
    titles = [line[:-1] for line in text.splitlines() if line.endswith(":") and not line.startswith(" ")]
    expected = ["Model", "Model Test User Model", "Model Test Baseline Model", "User Model versus Baseline Model",
                "Loglikelihood and Information Criteria", "Root Mean Square Error of Approximation",
                "Standardized Root Mean Square Residual", "Latent Variables", "Regressions", "Covariances",
                "Variances", "Defined Parameters", "R-Square"]
    assert [t for t in titles if t in expected] == expected
    header = [line for line in text.splitlines() if "Std.lv" in line][0].split()
    assert header == ["Estimate", "Std.Err", "z-value", "P(>|z|)", "Std.lv", "Std.all"]


def test_summary_numbers_are_the_estimates_and_fit_measures(mlr):
    text = mlr.summary().as_text()
    row = mlr.estimates.query("op == '=~' and rhs == 'rel2'").iloc[0]
    line = [ln for ln in text.splitlines() if ln.strip().startswith("rel2 ")][0].split()
    assert line[1:] == [format_number(row[c]) for c in ("est", "se", "z", "pvalue", "std_lv", "std_all")]
    chisq = [ln for ln in text.splitlines() if ln.strip().startswith("Test statistic")][0].split()
    assert chisq[2:] == [format_number(mlr.fit_measures["chisq"]), format_number(mlr.fit_measures["chisq_scaled"])]
    loglik = [ln for ln in text.splitlines() if "Loglikelihood user model" in ln][0].split()[-1]
    assert loglik == format_number(mlr.fit_measures["logl"])
    r2 = [ln for ln in text.splitlines() if ln.strip().startswith("loyalty ")][-1].split()[-1]
    assert r2 == format_number(mlr.r2["loyalty"])


def test_text_html_and_latex_say_the_same(mlr, improper):
    for result in (mlr, improper):
        summary = result.summary()
        page, latex = summary._repr_html_(), summary.as_latex()
        for block in summary.blocks:
            assert html.escape(block.title) in page and _latex_escape(block.title) in latex
            for row in block.rows:
                for value in row[1:]:
                    assert html.escape(value) in page and _latex_escape(value) in latex, (block.title, value)


def test_diagnostics_come_first_and_severe_ones_are_highlighted(improper):
    summary = improper.summary()
    assert summary.blocks[0].title == "Diagnostics" and summary.blocks[0].severity[0] == "severe"
    assert summary.as_text().splitlines()[3].strip().startswith("SEVERE")
    assert "color:#c00;font-weight:bold" in summary._repr_html_()
    assert summary.warnings[0].startswith("SEVERE")


def test_notes_of_one_kind_are_one_counted_line():
    data = sqlib.load_sample()
    for item in ("sat1", "sat2", "sat3", "loy1"):
        data[item] = data[item].clip(upper=data[item].quantile(0.6))
    result = sqlib.fit("s =~ sat1 + sat2 + sat3\nl =~ loy1 + loy2 + loy3", data)
    notes = [line for line in result.summary().as_text().splitlines() if "Ceiling effects in" in line]
    assert len(notes) == 1
    match = re.search(r"Ceiling effects in (\d+) items: ([\w, ]+)\.", notes[0])
    ceiling = result.diagnostics.query("check == 'ceiling effect'")
    assert int(match.group(1)) == len(ceiling) >= 4
    assert match.group(2).split(", ") == list(ceiling["where"])


def test_multi_group_summary_has_one_section_per_group():
    data = sqlib.load_sample()
    result = sqlib.fit("s =~ sat1 + sat2 + sat3", data, group="country")
    text = result.summary().as_text()
    for g, level in enumerate(result.group_levels, start=1):
        assert f"Group {g} [{level}]: Latent Variables:" in text
    assert "Number of observations per group" in text


def test_diagnose_accepts_a_codebook_path():
    data = sqlib.load_sample()
    result = sqlib.fit(models.cfa_syntax(), data)
    path = config.PROJECT_ROOT / "data" / "servqual_codebook.yaml"
    assert path.exists()
    by_path = sqlib.diagnostics.diagnose(result, data=data, codebook=str(path))
    by_object = sqlib.diagnostics.diagnose(result, data=data, codebook=sqlib.load_codebook(path))
    assert by_path.equals(by_object)


def test_other_results_have_short_reprs_and_html():
    data = sqlib.load_sample()
    result = sqlib.fit("s =~ sat1 + sat2 + sat3\nl =~ loy1 + loy2 + loy3", data)
    boot = result.bootstrap(30, seed=2, progress=False)
    assert repr(boot).startswith(f"Bootstrap: {30 - boot.n_failed} of 30 draws converged (seed 2)")
    assert "<table" in boot._repr_html_()
    efa = sqlib.efa.efa(data, ["sat1", "sat2", "sat3", "loy1", "loy2", "loy3"], 2)
    assert repr(efa).startswith("EFA: 2 factors, oblimin rotation, 6 items")
    assert "<table" in efa._repr_html_()
    for obj in (boot, efa):
        assert len(repr(obj).splitlines()) <= 5


def test_power_result_repr():
    result = sqlib.fit("s =~ sat1 + sat2 + sat3\nl =~ loy1 + loy2 + loy3\nl ~ s", sqlib.load_sample())
    run = sqlib.power(result, n=[100, 150], reps=4, progress=False, engine="local", n_workers=1)
    text = repr(run)
    assert text.startswith("Monte Carlo power: n = 100, 150; 4 replications per size, alpha = 0.05")
    assert "8 replications in" in text and "<table" in run._repr_html_()


def test_compare_names_models_by_what_they_are():
    data = sqlib.load_sample()
    free = sqlib.fit(models.cfa_syntax(), data, group="country")
    metric = sqlib.fit(models.cfa_syntax(), data, group="country", group_equal=["loadings"])
    structural = sqlib.fit(models.structural_syntax(), data)
    names = list(sqlib.compare(free, metric)["model"])
    assert names == [f"7-factor CFA ({int(r.fit_measures['npar'])} parameters)" for r in (free, metric)]
    assert list(sqlib.compare(structural)["model"]) == ["structural model (7 latent variables, 6 paths)"]
    assert list(sqlib.compare(free, metric, names=["configural", "metric"])["model"]) == ["configural", "metric"]


def test_invariance_result_repr_states_the_highest_level():
    run = sqlib.invariance(models.cfa_syntax(), sqlib.load_sample(), group="country", levels=["configural", "metric"])
    text = repr(run)
    assert text.startswith(f"Measurement invariance across 3 groups of 'country': highest level supported: "
                           f"{run.highest_level}")
    assert "configural baseline" in text and "<table" in run._repr_html_()
