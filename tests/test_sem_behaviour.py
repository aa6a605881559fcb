"""Behaviour of sqlib.fit that does not need lavaan: errors, warnings, bookkeeping."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

import sqlib
from sqlib.core.errors import IdentificationError, ModelSpecificationError

HS_MODEL = "visual =~ x1 + x2 + x3\ntextual =~ x4 + x5 + x6\nspeed =~ x7 + x8 + x9"


def exact_data(cov: np.ndarray, n: int = 400, seed: int = 1) -> pd.DataFrame:
    """Data whose sample covariance (N denominator) equals ``cov`` exactly."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, cov.shape[0]))
    x -= x.mean(axis=0)
    x = x @ np.linalg.inv(np.linalg.cholesky(x.T @ x / n)).T
    x = x @ np.linalg.cholesky(cov).T
    return pd.DataFrame(x, columns=[f"y{i + 1}" for i in range(cov.shape[0])])


def one_factor_data(n=500, loadings=(0.8, 0.7, 0.6, 0.5), seed=2):
    lam = np.array(loadings)
    cov = np.outer(lam, lam) + np.diag(1 - lam**2)
    return exact_data(cov, n, seed)


def test_exact_one_factor_population_is_recovered():
    data = one_factor_data()
    res = sqlib.fit("f =~ y1 + y2 + y3 + y4", data, std_lv=True)
    loads = res.estimates.query("op == '=~'")["est"].to_numpy()
    assert np.allclose(loads, [0.8, 0.7, 0.6, 0.5], atol=1e-5)
    assert res.fit_measures["chisq"] == pytest.approx(0, abs=1e-6)
    assert res.fit_measures["rmsea"] == 0 and res.fit_measures["cfi"] == 1


def test_unknown_variable_is_named_with_a_suggestion():
    data = one_factor_data()
    with pytest.raises(ModelSpecificationError, match=r"'y5'.*did you mean 'y4'|'y5'"):
        sqlib.fit("f =~ y1 + y2 + y3 + y5", data)
    with pytest.raises(ModelSpecificationError, match="did you mean 'y1'"):
        sqlib.fit("f =~ y_1 + y2 + y3", data)


def test_too_many_parameters_is_an_identification_error():
    data = one_factor_data()
    with pytest.raises(IdentificationError, match="4 free parameters but the data provide only 3"):
        sqlib.fit("f =~ y1 + y2", data)


def test_empirically_unidentified_model_names_parameters():
    data = one_factor_data()
    with pytest.raises(IdentificationError, match="information matrix is singular"):
        sqlib.fit("f =~ y1 + y2\ng =~ y3 + y4\nf ~~ 0*g", data)


def test_definition_with_unknown_label():
    data = one_factor_data()
    with pytest.raises(ModelSpecificationError, match="'q'"):
        sqlib.fit("f =~ y1 + a*y2 + y3 + y4\nd := a*q", data)


@pytest.mark.parametrize("bad", ["f y1 + y2", "f =~", "f =~ y1 + 2x*y2", "f =~ y1 + y2\ny1 == y2"])
def test_syntax_errors_are_readable(bad):
    with pytest.raises(ModelSpecificationError, match="Line"):
        sqlib.fit(bad, one_factor_data())


def test_non_numeric_column_is_reported():
    data = one_factor_data().astype(object)
    data.loc[3, "y2"] = "agree"
    with pytest.raises(ModelSpecificationError, match="'y2'.*'agree'"):
        sqlib.fit("f =~ y1 + y2 + y3 + y4", data)


def test_listwise_deletion_is_counted():
    data = one_factor_data()
    data.loc[[0, 5, 9], "y3"] = np.nan
    res = sqlib.fit("f =~ y1 + y2 + y3 + y4", data)
    assert res.n_dropped == 3 and res.ntotal == len(data) - 3


def test_heywood_case_is_flagged_in_summary():
    r = np.array([[1, .8, .8], [.8, 1, .5], [.8, .5, 1]])  # lambda1^2 = .64/.5 > 1
    res = sqlib.fit("f =~ y1 + y2 + y3", exact_data(r))
    heywood = res.heywood_cases
    assert ((heywood["lhs"] == "y1") & (heywood["op"] == "~~")).any()
    assert any("Negative variance for y1" in w for w in res.summary().warnings)


def test_defined_parameter_uses_delta_method():
    data = one_factor_data()
    res = sqlib.fit("f =~ y1 + a*y2 + b*y3 + y4\nratio := a/b\nprod := a*b", data)
    est = res.estimates.set_index("lhs")
    a, b = est.loc["f"].query("rhs == 'y2'")["est"].iloc[0], est.loc["f"].query("rhs == 'y3'")["est"].iloc[0]
    assert est.loc["ratio", "est"] == pytest.approx(a / b)
    # delta method by hand from the covariance of (a, b)
    ia = res.spec.rows[[r.label for r in res.spec.rows].index("a")].free
    ib = res.spec.rows[[r.label for r in res.spec.rows].index("b")].free
    grad = np.array([b, a])
    cov = res.vcov[np.ix_([ia, ib], [ia, ib])]
    assert est.loc["prod", "se"] == pytest.approx(np.sqrt(grad @ cov @ grad), rel=1e-8)


def test_equal_labels_share_one_parameter():
    data = one_factor_data()
    res = sqlib.fit("f =~ y1 + a*y2 + a*y3 + y4", data)
    loads = res.estimates.query("op == '=~' and label == 'a'")["est"]
    assert loads.nunique() == 1 and res.fit_measures["npar"] == 7


def test_summary_renders_without_printing(capsys):
    res = sqlib.fit("f =~ y1 + y2 + y3 + y4", one_factor_data())
    summary = res.summary()
    assert capsys.readouterr().out == ""
    assert "<table" in summary._repr_html_()
    assert "Chi-square" in summary.as_text()
    assert "\\begin{tabular}" in summary.as_latex()


def test_fixed_parameters_are_numeric():
    res = sqlib.fit("f =~ y1 + y2 + y3 + y4", one_factor_data())
    est = res.estimates
    assert est["est"].dtype == float and est["se"].dtype == float
    marker = est.query("op == '=~' and rhs == 'y1'").iloc[0]
    assert marker["est"] == 1.0 and marker["se"] == 0.0


def test_summary_shows_integers_p_values_and_one_line_per_kind_of_note():
    res = sqlib.fit(sqlib.models.cfa_syntax(), sqlib.load_sample())
    text = res.summary().as_text()
    assert re.search(r"^  Degrees of freedom +356$", text, re.MULTILINE)
    assert not [line for line in text.splitlines() if line.startswith("WARNING: WARNING")]
    notes = [w for w in res.summary().warnings if w.startswith("NOTE")]
    assert len(notes) == len(set(res.diagnostics.loc[res.diagnostics["severity"] == "note", "check"]))
