"""The model explorer: its logic (sqlib.report.explorer) and a smoke test of the widget over it.

The logic is checked against direct sqlib.fit / sqlib.compare calls on the bundled
sample; the widget is driven without a browser by calling its buttons' click handlers.
"""

from __future__ import annotations

import re

import threading

import numpy as np
import pandas as pd
import pytest
import yaml

import sqlib
from sqlib import cli, config
from sqlib.analysis.design import study_design
from sqlib.core.errors import ModelSpecificationError, ReportError
from sqlib.report.explorer import ModelExplorer, describe_change, split_for_report
from sqlib.report.runner import load_params

CFA = ("satisfaction =~ sat1 + sat2 + sat3\n"
       "loyalty =~ loy1 + loy2 + loy3 + loy4\n"
       "tangibles =~ tan1 + tan2 + tan3 + tan4")


@pytest.fixture(scope="module")
def sample():
    return sqlib.load_sample()


def explorer_on(sample, model=CFA, **options):
    return ModelExplorer(sample, config.SAMPLE_CODEBOOK, model, data_path=config.SAMPLE_DATA, **options)


def same_fit(a, b):
    pd.testing.assert_frame_equal(a.estimates, b.estimates)
    pd.testing.assert_series_equal(a.fit_measures, b.fit_measures)


# ------------------------------------------------------------------ pickers and syntax
def test_pickers_list_the_codebooks_constructs_and_items(sample):
    explorer = explorer_on(sample)
    assert explorer.constructs()[:2] == ["tangibles", "reliability"]
    assert explorer.items("satisfaction") == ["sat1", "sat2", "sat3"]
    assert explorer.measurement_line("empathy", ["emp1", "emp2", "emp3"]) == "empathy =~ emp1 + emp2 + emp3"
    explorer.add_construct("responsiveness")
    assert explorer.syntax.endswith("\nresponsiveness =~ res1 + res2 + res3 + res4")


def test_a_line_that_cannot_be_parsed_is_refused_and_the_syntax_is_kept(sample):
    explorer = explorer_on(sample)
    with pytest.raises(ModelSpecificationError):
        explorer.add_line("sat1 ~~")
    assert explorer.syntax == CFA


def test_the_starting_model_is_the_codebooks_study_design(sample):
    explorer = ModelExplorer(sample, config.SAMPLE_CODEBOOK)
    assert explorer.syntax == study_design(config.SAMPLE_CODEBOOK).sem_syntax()


def test_unknown_fit_options_are_refused_with_the_supported_ones(sample):
    with pytest.raises(ModelSpecificationError, match="estimator, missing, ordered"):
        explorer_on(sample, group="country")


# ------------------------------------------------------------------ fitting and modification indices
def test_adding_a_modification_index_fits_as_sqlib_fit_of_the_edited_syntax(sample):
    explorer = explorer_on(sample)
    first = explorer.fit()
    same_fit(first.result, sqlib.fit(CFA, sample))
    table = explorer.modindices(top=5)
    assert list(table["mi"]) == sorted(table["mi"], reverse=True)
    line = explorer.add_modification(0)
    assert line == f"{table.loc[0, 'lhs']} {table.loc[0, 'op']} {table.loc[0, 'rhs']}"
    assert explorer.syntax == CFA + "\n" + line
    second = explorer.fit()
    same_fit(second.result, sqlib.fit(CFA + "\n" + line, sample))
    assert second.change == f"+ {line}" and second.parent == 0
    # freeing one parameter lowers the chi-square by about its modification index (a score test)
    drop = first.result.fit_measures["chisq"] - second.result.fit_measures["chisq"]
    assert drop == pytest.approx(table.loc[0, "mi"], rel=0.15)


def test_modification_indices_filtered_by_operator_and_left_side(sample):
    explorer = ModelExplorer(sample, config.SAMPLE_CODEBOOK, data_path=config.SAMPLE_DATA)
    explorer.fit()
    paths = explorer.modindices(top=3, op="~", lhs=["loyalty"])
    assert len(paths) == 3 and set(paths["op"]) == {"~"} and set(paths["lhs"]) == {"loyalty"}
    explorer.add_modification(0)
    assert explorer.syntax.endswith("\n" + paths.loc[0, "line"])


def test_add_parameter_takes_a_row_or_a_line_with_the_mlr_options(sample):
    explorer = explorer_on(sample, estimator="MLR")
    explorer.fit()
    explorer.add_parameter({"lhs": "sat1", "op": "~~", "rhs": "sat2"})
    explorer.add_parameter("loyalty ~ satisfaction")
    entry = explorer.fit()
    same_fit(entry.result, sqlib.fit(CFA + "\nsat1 ~~ sat2\nloyalty ~ satisfaction", sample, estimator="MLR"))
    assert entry.change == "+ sat1 ~~ sat2; + loyalty ~ satisfaction"


def test_outputs_need_a_fitted_model_first(sample):
    with pytest.raises(ModelSpecificationError, match="Fit the model first"):
        explorer_on(sample).modindices()


# ------------------------------------------------------------------ history, go back, comparison
def test_go_back_restores_syntax_and_options_and_the_next_fit_derives_from_it(sample):
    explorer = explorer_on(sample)
    explorer.fit(name="three factors")
    explorer.add_line("sat1 ~~ sat2")
    explorer.set_options(estimator="MLR")
    explorer.fit()
    back = explorer.go_back(0)
    assert (explorer.syntax, explorer.options, explorer.current) == (CFA, {}, 0)
    assert back.name == "three factors"
    explorer.add_line("loy1 ~~ loy2")
    third = explorer.fit()
    assert len(explorer.history) == 3 and third.parent == 0
    assert third.change == "+ loy1 ~~ loy2"
    assert explorer.history[1].change == "+ sat1 ~~ sat2; estimator: default -> MLR"
    with pytest.raises(IndexError, match="there is no model 5"):
        explorer.go_back(5)


def test_comparison_tests_each_model_against_its_parent_with_sqlib_compare(sample):
    explorer = explorer_on(sample)
    base = explorer.fit().result
    explorer.add_line("sat1 ~~ sat2")
    free = explorer.fit().result
    explorer.rename(1, "correlated residuals")
    table = explorer.comparison()
    reference = sqlib.compare(base, free)
    assert list(table["model"]) == ["model 1", "correlated residuals"]
    assert list(table["change"]) == ["start", "+ sat1 ~~ sat2"]
    assert table.loc[1, "based_on"] == "model 1"
    for key in ("delta_chisq", "delta_df", "delta_pvalue", "aic", "bic", "chisq", "df"):
        assert table.loc[1, key] == pytest.approx(reference.loc[1, key])
    assert table.loc[1, "delta_cfi"] == pytest.approx(free.fit_measures["cfi"] - base.fit_measures["cfi"])
    assert table.loc[1, "delta_rmsea"] == pytest.approx(free.fit_measures["rmsea"] - base.fit_measures["rmsea"])
    assert table.loc[1, "test"] == "chi-square difference"
    assert np.isnan(table.loc[0, "delta_chisq"])


def test_mlr_comparison_is_the_scaled_difference(sample):
    explorer = explorer_on(sample, estimator="MLR")
    base = explorer.fit().result
    explorer.add_line("sat1 ~~ sat2")
    free = explorer.fit().result
    table = explorer.comparison()
    scaled = sqlib.compare(base, free).loc[1, "delta_chisq"]
    assert table.loc[1, "delta_chisq"] == pytest.approx(scaled)
    assert table.loc[1, "delta_chisq"] != pytest.approx(base.fit_measures["chisq"] - free.fit_measures["chisq"])
    assert table.loc[1, "test"] == "Satorra-Bentler scaled difference"


def test_models_that_are_not_nested_get_no_difference_test(sample):
    explorer = explorer_on(sample)
    explorer.fit()
    explorer.syntax = CFA.replace(" + tan4", "")  # another set of items
    explorer.fit()
    explorer.set_options(estimator="MLR")
    explorer.fit()
    table = explorer.comparison()
    assert table.loc[1, "test"] == "no difference test: the models use different items"
    assert table.loc[2, "test"].startswith("no difference test: different estimators")
    assert table.loc[1, "change"] == "- tangibles =~ tan4"
    assert np.isnan(table.loc[1, "delta_chisq"])


def test_describe_change_lists_removed_lines_and_options(sample):
    explorer = explorer_on(sample)
    entry = explorer.fit()
    assert describe_change(entry, CFA, {"missing": "fiml"}) == "missing: default -> fiml"
    assert describe_change(entry, CFA, {}) == "refit (no change)"


# ------------------------------------------------------------------ background fits
def test_a_background_fit_records_its_result_and_a_cancelled_one_is_ignored(sample, monkeypatch):
    explorer = explorer_on(sample)
    job = explorer.fit_in_background(name="background")
    assert job.wait(120).name == "background" and job.finished and explorer.current == 0
    release = threading.Event()
    slow = explorer.run_fit

    def held_fit(syntax, options):
        release.wait(60)
        return slow(syntax, options)

    monkeypatch.setattr(explorer, "run_fit", held_fit)
    explorer.add_line("sat1 ~~ sat2")
    job = explorer.fit_in_background()
    job.cancel()
    release.set()
    assert job.wait(120) is None
    assert len(explorer.history) == 1 and explorer.current == 0


def test_a_failing_background_fit_keeps_its_error_and_the_history(sample):
    explorer = explorer_on(sample, model="f =~ nosuchitem + sat1 + sat2")
    job = explorer.fit_in_background()
    job.wait(60)
    assert isinstance(job.error, Exception) and "nosuchitem" in str(job.error)
    assert explorer.history == []


# ------------------------------------------------------------------ export
def test_export_syntax_round_trips(sample, tmp_path):
    explorer = explorer_on(sample)
    explorer.fit()
    path = explorer.export_syntax(tmp_path / "out" / "model.lavaan")
    same_fit(sqlib.fit(path.read_text(encoding="utf-8"), sample), explorer.result)


def test_exported_params_validate_and_rebuild_the_explored_model(sample, tmp_path):
    explorer = ModelExplorer(sample, config.SAMPLE_CODEBOOK, data_path=config.SAMPLE_DATA, estimator="MLR")
    explorer.fit()
    explorer.add_line("loyalty ~ responsiveness")
    explorer.fit()
    path = explorer.export_params(tmp_path / "params.yaml", run_name="explored")
    assert cli.main(["validate", "--params", str(path)]) == 0
    params = load_params(path)
    assert params["data"] == config.SAMPLE_DATA.resolve() and params["codebook"] == config.SAMPLE_CODEBOOK.resolve()
    assert params["parameters"] == {"estimator": "MLR"} and params["run_name"] == "explored"
    assert params["notebooks"] == load_params(config.DEFAULT_PARAMS)["notebooks"]
    assert "loyalty ~ b*satisfaction + responsiveness" in params["structural_model"]
    design = study_design(params["codebook"], params["structural_model"])
    rebuilt = sqlib.fit(design.sem_syntax(), design.model_data(sample), estimator="MLR")
    for key in ("chisq", "df", "cfi", "rmsea", "bic"):
        assert rebuilt.fit_measures[key] == pytest.approx(explorer.result.fit_measures[key], rel=1e-6)


def test_item_level_changes_are_listed_as_not_carried_over(sample, tmp_path):
    explorer = explorer_on(sample)
    explorer.add_line("sat1 ~~ sat2")
    explorer.add_line("loyalty ~ satisfaction")
    explorer.fit()
    path = explorer.export_params(tmp_path / "p.yaml", notebooks=["01_data_screening", "03_structural_model"])
    text = path.read_text(encoding="utf-8")
    assert "# Not carried over: sat1 ~~ sat2 (names an item" in text
    assert yaml.safe_load(text)["structural_model"] == "loyalty ~ satisfaction"
    structural, notes = split_for_report("satisfaction =~ sat1 + sat2\nloyalty =~ loy1 + loy2 + loy3 + loy4",
                                         explorer.codebook)
    assert structural == "" and "the codebook's items are sat1 + sat2 + sat3" in notes[0]


def test_wlsmv_and_fiml_go_to_the_measurement_notebook(sample, tmp_path):
    explorer = explorer_on(sample, estimator="WLSMV", ordered=True)
    explorer.fit()
    params, notes = explorer.report_params(params_dir=tmp_path)
    assert params["notebook_parameters"] == {"02_measurement_model": {"estimator": "WLSMV"}}
    assert params["parameters"] == {}
    assert any("WLSMV" in note for note in notes)
    explorer.set_options(estimator="ML", ordered=None, missing="fiml")
    explorer.fit()
    path = explorer.export_params(tmp_path / "fiml.yaml")
    params = load_params(path)
    assert params["notebook_parameters"] == {"02_measurement_model": {"missing": "fiml", "estimator": "ML"}}
    explorer.set_options(estimator="MLR")
    explorer.fit()
    params = load_params(explorer.export_params(tmp_path / "fiml_mlr.yaml"))
    assert params["notebook_parameters"] == {"02_measurement_model": {"missing": "fiml", "estimator": "MLR"}}
    assert params["parameters"] == {"estimator": "MLR"}


def test_export_needs_the_data_file_and_a_codebook(sample, tmp_path):
    explorer = ModelExplorer(sample, config.SAMPLE_CODEBOOK, CFA)
    explorer.fit()
    with pytest.raises(ReportError, match="needs the survey file"):
        explorer.export_params(tmp_path / "p.yaml")
    without = ModelExplorer(sample, None, CFA, data_path=config.SAMPLE_DATA)
    without.fit()
    with pytest.raises(ReportError, match="needs a codebook"):
        without.export_params(tmp_path / "p.yaml")


def test_a_codebook_object_is_written_beside_the_params(sample, tmp_path):
    codebook = sqlib.load_codebook(config.SAMPLE_CODEBOOK)
    explorer = ModelExplorer(sample, codebook, CFA, data_path=config.SAMPLE_DATA)
    explorer.fit()
    path = explorer.export_params(tmp_path / "p.yaml")
    assert load_params(path)["codebook"] == (tmp_path / "codebook.yaml").resolve()


# ------------------------------------------------------------------ the widget
def test_the_widget_builds_and_fit_updates_its_outputs(tmp_path):
    view = sqlib.explore(model=CFA, export_dir=tmp_path)
    assert view.editor.value == CFA and "tangibles" in view.construct.options
    view.construct.value = "empathy"
    assert view.items.options == ("emp1", "emp2", "emp3", "emp4", "emp5")
    view.fit_button.click()
    view.job.wait(120)
    assert "model 1 fitted" in view.status.value
    assert "cfi" in view.measures.value and view.diagram.value[:4] == b"\x89PNG"
    npar = int(view.explorer.result.fit_measures["npar"])
    assert re.search(rf"<td[^>]*>{npar}</td>", view.measures.value)
    assert f"{npar}.000" not in view.measures.value  # counts shown as integers, not 75.000
    assert len(view.modindices.children) == 10 and len(view.history.children) == 1
    first_mi = view.explorer.shown_modindices.loc[0, "line"]
    view.modindices.children[0].children[0].click()       # "add" on the largest modification index
    assert view.editor.value.endswith("\n" + first_mi)
    view.fit_button.click()
    view.job.wait(120)
    assert len(view.history.children) == 2 and "chi-square difference" in view.comparison.value
    assert "+ " + first_mi in view.comparison.value
    view.history.children[0].children[0].click()          # "go back" to model 1
    assert view.editor.value == CFA and view.explorer.current == 0
    view.export_syntax_button.click()
    view.export_params_button.click()
    assert (tmp_path / "model.lavaan").read_text(encoding="utf-8").strip() == CFA
    assert load_params(tmp_path / "params.yaml")["structural_model"] == ""
    assert "written" in view.export_status.value


def test_the_widget_cancel_button_drops_a_running_fit(monkeypatch):
    view = sqlib.explore(model=CFA)
    release = threading.Event()
    slow = view.explorer.run_fit

    def held_fit(syntax, options):
        release.wait(60)
        return slow(syntax, options)

    monkeypatch.setattr(view.explorer, "run_fit", held_fit)
    view.fit_button.click()
    assert view.fit_button.disabled and not view.cancel_button.disabled
    view.cancel_button.click()
    assert not view.fit_button.disabled and "cancelled" in view.status.value
    release.set()
    view.job.wait(120)
    assert view.explorer.history == [] and view.measures.value == "<i>Press Fit.</i>"


def test_the_widget_shows_a_fit_error(tmp_path):
    view = sqlib.explore(model="f =~ nosuchitem + sat1 + sat2")
    view.fit_button.click()
    view.job.wait(60)
    assert "nosuchitem" in view.status.value and not view.fit_button.disabled


# ------------------------------------------------------------------ the start-here notebook is not a report section
def test_the_start_here_notebook_is_not_a_report_section(tmp_path):
    from sqlib.report.params import available_notebooks, check_params

    assert (config.NOTEBOOKS_DIR / "00_explore.ipynb").exists()
    assert "00_explore" not in available_notebooks(config.NOTEBOOKS_DIR)
    assert "00_explore" not in load_params(config.DEFAULT_PARAMS)["notebooks"]
    with pytest.raises(ReportError, match="'00_explore' is the interactive start-here notebook"):
        check_params({"data": "d.csv", "codebook": "c.yaml", "notebooks": ["00_explore"]}, "p.yaml")


def test_the_widget_bootstrap_field_asks_for_bootstrap_standard_errors():
    view = sqlib.explore(model="tangibles =~ tan1 + tan2 + tan3 + tan4")
    view.bootstrap.value = 20
    view.fit_button.click()
    view.job.wait(300)
    entry = view.explorer.history[0]
    assert entry.options == {"se": "bootstrap", "bootstrap": 20}
    assert entry.result.boot is not None and "Latent Variables" in view.summary.value
    view.bootstrap.value = 0
    view.fit_button.click()
    view.job.wait(120)
    assert view.explorer.history[1].change == "bootstrap: 20 -> default; se: bootstrap -> default"
    view.history.children[0].children[0].click()
    assert view.bootstrap.value == 20


def test_model_syntax_passed_as_the_codebook_gets_a_clear_error():
    from sqlib.core.errors import CodebookError
    with pytest.raises(CodebookError, match="holds model syntax.*model=") as info:
        ModelExplorer(sqlib.load_sample(), CFA)
    assert not isinstance(info.value.__cause__, OSError)
