"""FIML (missing="fiml") behaviour that needs no lavaan: the lavaan comparison lives in
test_sem_lavaan.py with the fixtures."""

from __future__ import annotations

import numpy as np
import pytest

import sqlib
from tests.test_sem_behaviour import one_factor_data

MODEL = "f =~ y1 + y2 + y3 + y4"


def test_fiml_on_complete_data_equals_ml_with_means():
    data = one_factor_data(n=300)
    ml = sqlib.fit(MODEL, data, meanstructure=True)
    fiml = sqlib.fit(MODEL, data, missing="fiml")
    assert np.allclose(ml.theta, fiml.theta, atol=1e-6)
    assert fiml.fit_measures["chisq"] == pytest.approx(ml.fit_measures["chisq"], abs=1e-6)
    assert fiml.fit_measures["logl"] == pytest.approx(ml.fit_measures["logl"], rel=1e-9)


def test_fiml_uses_incomplete_rows_and_drops_empty_ones():
    data = one_factor_data(n=400)
    rng = np.random.default_rng(4)
    holes = rng.random(data.shape) < 0.1
    data = data.mask(holes)
    data.iloc[0] = np.nan  # a respondent without any answer
    listwise = sqlib.fit(MODEL, data)
    fiml = sqlib.fit(MODEL, data, missing="fiml")
    assert fiml.n_dropped == 1
    assert fiml.ntotal == len(data) - 1 > listwise.ntotal
    # more information, smaller standard errors for the loadings
    se_fiml = fiml.estimates.query("op == '=~' and se > 0")["se"].to_numpy()
    se_list = listwise.estimates.query("op == '=~' and se > 0")["se"].to_numpy()
    assert (se_fiml < se_list).all()


def test_fiml_with_robust_estimator_is_fitted():
    """MLR with FIML (lavaan's estimator = "MLR", missing = "ml"); its numbers are checked against
    lavaan in test_mlr_fiml.py."""
    data = one_factor_data(n=300).mask(np.random.default_rng(5).random((300, 4)) < 0.1)
    result = sqlib.fit(MODEL, data, missing="fiml", estimator="MLR")
    assert result.estimator == "MLR" and result.missing == "fiml"
    assert {"chisq_scaled", "cfi_robust", "rmsea_robust"} <= set(result.fit_measures.index)
