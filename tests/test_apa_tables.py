"""APA tables, the results paragraph and the reporting checklist (sqlib.report.apa_tables,
sqlib.report.narratives.results_section, sqlib.report.reporting_checklist).

The tables are compared with lavaan/semTools numbers from tests/fixtures (written by
tests/reference/make_refs.R): standardized loadings, compRelSEM, AVE, fitMeasures,
parameterEstimates and standardizedSolution. The checklist is tested on paragraphs written by
results_paragraph and then damaged: a missing RMSEA interval, a wrong CFI, a wrong df, a wrong
estimator, a wrong path interval must each be flagged, and nothing else.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

import sqlib
from sqlib.analysis.reliability import discriminant_validity
from sqlib.core.formatting import format_number
from sqlib.report.apa_tables import apa_format, fit_statistics_table, measurement_table, path_table
from sqlib.report.narratives.results_section import results_paragraph, two_decimals
from sqlib.report.reporting_checklist import agrees_at_printed_precision, failed_items, reporting_checklist

from tests.test_sem_lavaan import fit_case, load_case

TOL = 1e-3  # the tolerance of tests/test_sem_lavaan.py for estimates and fit measures


@pytest.fixture(scope="module")
def cfa():
    case = load_case("servqual_cfa")
    return case, fit_case(case)


@pytest.fixture(scope="module")
def sem():
    case = load_case("servqual_sem")
    return case, fit_case(case)


def _rows(case: dict, key: str, op: str) -> pd.DataFrame:
    table = pd.DataFrame(case[key])
    return table[table["op"] == op].set_index(["lhs", "rhs"])


def test_measurement_table_has_lavaan_loadings_and_semtools_omega_and_ave(cfa):
    case, result = cfa
    table = measurement_table(result).set_index(["construct", "item"])
    reference = _rows(case, "estimates", "=~")
    assert list(table.index) == list(reference.index)
    assert np.allclose(table["std_loading"], reference["std_all"], atol=TOL)
    assert np.allclose(table["b"], reference["est"], atol=TOL)
    free = reference["se"] > 0
    assert np.allclose(table["se"][free.to_numpy()], reference["se"][free], atol=TOL)
    assert table["se"][~free.to_numpy()].isna().all(), "a loading fixed to 1 has no SE"
    constructs = table.reset_index().drop_duplicates("construct").set_index("construct")
    for name, omega in case["reliability"]["omega"].items():
        assert constructs.loc[name, "omega"] == pytest.approx(omega, abs=TOL)
        assert constructs.loc[name, "ave"] == pytest.approx(case["reliability"]["ave"][name], abs=TOL)


def test_fit_statistics_table_is_lavaans_fit_measures(cfa):
    case, result = cfa
    row = fit_statistics_table({"CFA": result}).iloc[0]
    reference = case["fit_measures"]
    assert (row["estimator"], row["test"], row["n"], row["df"]) == ("ML", "standard", case["nobs"][0],
                                                                     int(reference["df"]))
    for key in ("pvalue", "cfi", "tli", "rmsea", "rmsea_ci_lower", "rmsea_ci_upper", "srmr"):
        assert row[key] == pytest.approx(reference[key], abs=TOL), key
    assert row["chisq"] == pytest.approx(reference["chisq"], rel=TOL)


def test_a_robust_estimator_reports_the_scaled_test_and_robust_indices():
    case = load_case("servqual_cfa_mlr")
    row = fit_statistics_table(fit_case(case)).iloc[0]
    reference = case["fit_measures"]
    assert (row["estimator"], row["test"]) == ("MLR", "scaled")
    assert row["chisq"] == pytest.approx(reference["chisq_scaled"], rel=TOL)
    for ours, theirs in (("pvalue", "pvalue_scaled"), ("cfi", "cfi_robust"), ("tli", "tli_robust"),
                         ("rmsea", "rmsea_robust"), ("rmsea_ci_upper", "rmsea_ci_upper_robust"), ("srmr", "srmr")):
        assert row[ours] == pytest.approx(reference[theirs], abs=TOL), ours


def test_path_table_has_lavaan_paths_with_both_intervals(sem):
    case, result = sem
    table = path_table(result).set_index(["outcome", "predictor"])
    estimates, standardized = _rows(case, "estimates", "~"), _rows(case, "standardized_solution", "~")
    assert list(table.index) == list(estimates.index)
    for ours, theirs in (("b", "est"), ("se", "se"), ("ci_lower", "ci_lower"), ("ci_upper", "ci_upper"),
                         ("beta", "std_all")):
        assert np.allclose(table[ours], estimates[theirs], atol=TOL), ours
    assert np.allclose(table["beta_ci_lower"], standardized["ci_lower"], atol=TOL)
    assert np.allclose(table["beta_ci_upper"], standardized["ci_upper"], atol=TOL)
    assert table["label"].tolist() == estimates["label"].tolist()


def test_apa_format_uses_apa_symbols_precision_and_leading_zeros(sem):
    _, result = sem
    paths = path_table(result)
    cells = apa_format(paths).cells
    assert list(cells.columns) == ["Outcome", "Predictor", "Label", "b", "SE", "z", "p", "95% CI", "β", "β 95% CI"]
    first = paths.iloc[0]
    assert cells["β"].iloc[0] == f"{first['beta']:.3f}" and cells["β"].iloc[0].startswith("0.")
    assert cells["95% CI"].iloc[0] == f"[{first['ci_lower']:.3f}, {first['ci_upper']:.3f}]"
    assert cells["p"].tolist() == [format_number(p, "p") for p in paths["pvalue"]]
    measurement = measurement_table(result)
    shown = apa_format(measurement).cells
    assert list(shown.columns) == ["Construct", "Item", "b", "SE", "λ", "ω", "AVE"]
    assert shown["λ"].tolist() == [format_number(v, "fit") for v in measurement["std_loading"]]
    assert not any(text.startswith("0.") for text in shown["λ"]), "loadings are bounded by 1: no leading zero"
    firsts = ~measurement["construct"].duplicated()
    assert (shown["ω"][~firsts.to_numpy()] == "").all() and (shown["Construct"][~firsts.to_numpy()] == "").all()
    assert shown["SE"].iloc[0] == "—", "the marker loading has no SE"
    fit = apa_format(fit_statistics_table(result)).cells
    assert {"χ²", "df", "p", "CFI", "TLI", "RMSEA", "RMSEA 90% CI", "SRMR", "N"} <= set(fit.columns)
    assert re.fullmatch(r"\[\.\d{3}, \.\d{3}\]", fit["RMSEA 90% CI"].iloc[0])
    assert "RMSEA 90\\% CI" in apa_format(fit_statistics_table(result)).to_latex()


def test_measurement_table_of_a_second_order_model_lists_the_dimensions_without_omega():
    case = load_case("servqual_second_order_0_100")
    result = fit_case(case)
    table = measurement_table(result)
    higher = table[table["construct"] == "service_quality"]
    assert higher["item"].tolist() == ["tangibles", "reliability", "responsiveness", "assurance", "empathy"]
    assert higher["omega"].isna().all() and higher["ave"].isna().all()
    reference = _rows(case, "estimates", "=~").loc["service_quality"]
    assert np.allclose(higher["std_loading"], reference["std_all"], atol=TOL)


# --------------------------------------------------------------------------- paragraph and checklist
@pytest.fixture(scope="module")
def written(sem):
    _, result = sem
    data = sqlib.load_sample()
    validity = discriminant_validity(result, data)
    return result, validity, results_paragraph(result, n_respondents=len(data), validity=validity)


def test_the_generated_paragraph_passes_every_item_of_the_checklist(written):
    result, validity, paragraph = written
    checklist = reporting_checklist(paragraph, result, validity=validity)
    assert checklist["present"].all() and failed_items(checklist).empty, failed_items(checklist)
    numbered = checklist[checklist["item"] != "software"]
    assert numbered["agrees_with_table"].eq(True).all(), "every item with a number agrees with its table"
    assert checklist.set_index("item").loc["software", "reported"] == f"sqlib {sqlib.__version__}"
    n_paths = int((result.estimates["op"] == "~").sum())
    assert checklist["item"].str.startswith("path ").sum() == n_paths
    assert checklist["source"].str.contains("Jackson, Gillaspy & Purc-Stephenson \\(2009\\)").any()
    assert checklist["source"].str.contains("JARS").any()
    fm = result.fit_measures
    assert f"CFI = {format_number(fm['cfi'], 'fit')}" in paragraph and f"N = {result.ntotal}" in paragraph
    loadings = result.standardized_solution().query("op == '=~'")["est_std"]
    assert f"loadings ranged from {two_decimals(loadings.min(), True)} to {two_decimals(loadings.max(), True)}" \
        in paragraph


def _flagged(result, validity, text) -> dict:
    failed = failed_items(reporting_checklist(text, result, validity=validity))
    return dict(zip(failed["item"], failed["present"]))


def test_a_missing_rmsea_interval_is_flagged_and_nothing_else(written):
    result, validity, paragraph = written
    fm = result.fit_measures
    interval = f", 90% CI [{format_number(fm['rmsea_ci_lower'], 'fit')}, {format_number(fm['rmsea_ci_upper'], 'fit')}]"
    assert interval in paragraph
    assert _flagged(result, validity, paragraph.replace(interval, "")) == {"rmsea_ci": False}
    # a 95% interval is not the 90% interval the checklist asks for
    assert _flagged(result, validity, paragraph.replace("90% CI", "95% CI", 1)) == {"rmsea_ci": False}


def test_a_wrong_cfi_df_p_or_estimator_is_flagged_as_disagreeing(written):
    result, validity, paragraph = written
    fm = result.fit_measures
    cfi = f"CFI = {format_number(fm['cfi'], 'fit')}"
    wrong_cfi = f"CFI = {format_number(fm['cfi'] - 0.02, 'fit')}"
    assert _flagged(result, validity, paragraph.replace(cfi, wrong_cfi)) == {"cfi": True}
    df = f"χ²({int(fm['df'])})"
    assert _flagged(result, validity, paragraph.replace(df, f"χ²({int(fm['df']) + 1})")) == {"chi_square": True}
    assert _flagged(result, validity, paragraph.replace("maximum likelihood (ML)", "WLSMV")) == {"estimator": True}
    assert _flagged(result, validity, paragraph.replace("(listwise deletion)", "(FIML)")) == {"missing_data": True}
    p = f"= {fm['chisq']:.2f}, {'p = ' + format_number(fm['pvalue'], 'p')}"
    assert p in paragraph
    assert _flagged(result, validity, paragraph.replace(p, f"= {fm['chisq']:.2f}, p < .001")) == {"chi_square_p": True}


def test_numbers_agree_at_the_precision_printed(written):
    result, validity, paragraph = written
    cfi = result.fit_measures["cfi"]
    two = f"CFI = {two_decimals(cfi, True)}"
    assert _flagged(result, validity, paragraph.replace(f"CFI = {format_number(cfi, 'fit')}", two)) == {}
    assert agrees_at_printed_precision(f"{cfi:.4f}", cfi) and not agrees_at_printed_precision(f"{cfi + 0.002:.3f}", cfi)


def test_a_wrong_path_interval_or_a_missing_path_is_flagged(written):
    result, validity, paragraph = written
    first = path_table(result).iloc[0]
    name = f"path {first['predictor']} → {first['outcome']}"
    shown = f"95% CI [{two_decimals(first['beta_ci_lower'])}, {two_decimals(first['beta_ci_upper'])}]"
    assert shown in paragraph
    moved = f"95% CI [{two_decimals(first['beta_ci_lower'] + 0.05)}, {two_decimals(first['beta_ci_upper'])}]"
    assert _flagged(result, validity, paragraph.replace(shown, moved, 1)) == {name: True}
    clause = paragraph.split("): ", 1)[1].split("; ")[0]
    assert clause.startswith(f"{first['predictor']} → {first['outcome']}")
    assert _flagged(result, validity, paragraph.replace(clause + "; ", "")) == {name: False}


def test_an_empty_paragraph_reports_nothing(sem):
    _, result = sem
    checklist = reporting_checklist("", result)
    assert not checklist["present"].any() and checklist["agrees_with_table"].isna().all()


def test_a_fiml_paragraph_names_fiml_and_all_respondents():
    case = load_case("servqual_cfa_fiml")
    result = fit_case(case)
    paragraph = results_paragraph(result)
    assert "full-information maximum likelihood (FIML)" in paragraph and f"N = {case['nobs'][0]}" in paragraph
    assert reporting_checklist(paragraph, result).set_index("item").loc["missing_data", "agrees_with_table"]


def test_the_p_of_the_chi_square_is_found_when_the_chi_square_is_blank(written):
    result, validity, paragraph = written
    fm = result.fit_measures
    blank = paragraph.replace(f"= {fm['chisq']:.2f},", "= [chisq],", 1)
    checklist = reporting_checklist(blank, result, validity=validity).set_index("item")
    assert not checklist.loc["chi_square", "present"]
    assert checklist.loc["chi_square_p", "present"] and checklist.loc["chi_square_p", "agrees_with_table"]
    assert checklist.loc["chi_square_p", "reported"] == f"p = {format_number(fm['pvalue'], 'p')}"
    assert _flagged(result, validity, blank) == {"chi_square": False}


def test_r_squared_and_identification_are_checked_against_the_result(written):
    result, validity, paragraph = written
    r2 = result.r2
    shown = f"R² was {two_decimals(r2['satisfaction'], True)} for satisfaction and {two_decimals(r2['loyalty'], True)}"
    assert shown in paragraph
    wrong = f"R² was {two_decimals(r2['satisfaction'] + 0.05, True)} for satisfaction"
    assert _flagged(result, validity, paragraph.replace(shown.split(" and")[0], wrong)) == {"r_squared": True}
    assert _flagged(result, validity, paragraph.split(" R² was")[0]) == {"r_squared": False}
    marker = "fixing the loading of its first indicator to 1 (marker variable)"
    assert marker in paragraph
    assert _flagged(result, validity, paragraph.replace(marker, "fixing its variance to 1")) == {"identification": True}
    sources = reporting_checklist(paragraph, result, validity=validity).set_index("item")["source"]
    assert sources["ave"] == "Fornell & Larcker (1981)"
    assert sources["discriminant_validity"].startswith("Henseler, Ringle & Sarstedt (2015)")


def test_leading_zeros_follow_apa_only_for_statistics_bounded_by_one(written):
    result, validity, paragraph = written
    top = validity["htmt"].max()
    # HTMT and beta can exceed 1 and keep the zero; R-squared and loadings cannot and drop it
    assert f"largest HTMT was {top:.2f}" in paragraph and f"{top:.2f}".startswith("0.")
    beta = path_table(result)["beta"].iloc[-1]
    assert f"β = {beta:.2f}" in paragraph
    assert f"R² was .{round(result.r2['satisfaction'] * 100):02d}" in paragraph
