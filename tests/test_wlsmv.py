"""WLSMV for ordinal items: building blocks, DIFFTEST against lavaan, and the errors for
combinations that cannot work. The parameter tables and fit measures of whole WLSMV
fits are compared with lavaan in test_sem_lavaan.py (cases *_wlsmv)."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import sqlib
from sqlib import config
from sqlib.core.errors import ModelSpecificationError
from sqlib.sem.ordinal import bivariate_cdf, ordinal_stats

HS_MODEL = "visual =~ x1 + x2 + x3\ntextual =~ x4 + x5 + x6\nspeed =~ x7 + x8 + x9"


@pytest.fixture(scope="module")
def hs_ordinal() -> pd.DataFrame:
    return pd.read_csv(config.FIXTURES_DIR / "data" / "hs1939_ordinal.csv")


def test_bivariate_cdf_agrees_with_scipy():
    rng = np.random.default_rng(3)
    h, k = rng.uniform(-3, 3, 40), rng.uniform(-3, 3, 40)
    h[:3] = 0.0  # Owen's formula has a special case at zero
    rho = rng.uniform(-0.95, 0.95, 40)
    ours = bivariate_cdf(h, k, rho)
    ref = [stats.multivariate_normal([0, 0], [[1, r], [r, 1]]).cdf([a, b]) for a, b, r in zip(h, k, rho)]
    assert np.allclose(ours, ref, atol=1e-6)


def test_polychoric_recovers_the_latent_correlation_within_its_standard_error():
    rng = np.random.default_rng(20261126)
    n, true_rho = 4000, 0.55
    z = rng.multivariate_normal([0, 0], [[1, true_rho], [true_rho, 1]], size=n)
    cuts = [np.array([-1.2, -0.3, 0.4, 1.5]), np.array([-0.8, 0.9])]
    answers = np.column_stack([np.searchsorted(c, z[:, i]) + 1 for i, c in enumerate(cuts)])
    st = ordinal_stats(answers, ["a", "b"])
    se = np.sqrt(st.gamma[-1, -1] / n)
    assert abs(st.cor[1, 0] - true_rho) < 4 * se
    # thresholds are the normal quantiles of the cumulative proportions
    assert np.allclose(st.thresholds[1], stats.norm.ppf(np.cumsum(np.bincount(answers[:, 1])[1:])[:-1] / n))
    for tau, cut in zip(st.thresholds, cuts):
        assert np.all(np.abs(tau - cut) < 0.1)


def test_category_codes_only_need_their_order(hs_ordinal):
    items = [f"x{i}" for i in range(1, 10)]
    shifted = hs_ordinal[items] * 10 + 3          # other codes, same order
    a = ordinal_stats(hs_ordinal[items].to_numpy(), items)
    b = ordinal_stats(shifted.to_numpy(), items)
    assert np.allclose(a.cor, b.cor) and np.allclose(a.gamma, b.gamma)


def test_integer_data_and_ordered_true(hs_ordinal):
    res = sqlib.fit(HS_MODEL, hs_ordinal.astype("int64"), ordered=True)
    assert res.estimator == "WLSMV" and res.converged
    thresholds = res.estimates[res.estimates["op"] == "|"]
    assert len(thresholds) == sum(hs_ordinal[f"x{i}"].nunique() - 1 for i in range(1, 10))
    # delta parameterization: every item's latent response has unit variance
    sigma = res.implied_cov().to_numpy()
    assert np.allclose(np.diag(sigma), 1.0)


def test_difftest_matches_lavtestlrt(hs_ordinal):
    ref = json.loads((config.FIXTURES_DIR / "hs_wlsmv_difftest.json").read_text())
    free = sqlib.fit(ref["model_free"], hs_ordinal, ordered=True)
    restricted = sqlib.fit(ref["model_restricted"], hs_ordinal, ordered=True)
    table = sqlib.compare(free, restricted)
    assert list(table["chisq"]) == pytest.approx(ref["chisq"], rel=1e-3)
    row = table.iloc[1]
    assert row["delta_df"] == ref["delta_df"]
    assert row["delta_chisq"] == pytest.approx(ref["delta_chisq"], rel=1e-3)
    assert row["delta_pvalue"] == pytest.approx(ref["delta_pvalue"], rel=1e-2)
    assert np.isnan(row["aic"])  # no likelihood, no AIC


def test_wlsmv_with_continuous_data_names_the_alternative(hs_ordinal):
    with pytest.raises(ModelSpecificationError, match="ordered=True.*MLR"):
        sqlib.fit(HS_MODEL, hs_ordinal, estimator="WLSMV")


def test_fiml_with_ordered_items_names_the_alternative(hs_ordinal):
    with pytest.raises(ModelSpecificationError, match="not available for ordered items.*missing='fiml'"):
        sqlib.fit(HS_MODEL, hs_ordinal, ordered=True, missing="fiml")


def test_one_observed_category_is_named(hs_ordinal):
    data = hs_ordinal.copy()
    data["x5"] = 2
    with pytest.raises(ModelSpecificationError, match="'x5' has only one observed category"):
        sqlib.fit(HS_MODEL, data, ordered=True)


def test_ordered_with_ml_and_unknown_names_are_refused(hs_ordinal):
    with pytest.raises(ModelSpecificationError, match="estimator='WLSMV'"):
        sqlib.fit(HS_MODEL, hs_ordinal, ordered=True, estimator="MLR")
    with pytest.raises(ModelSpecificationError, match="not in the model: y1"):
        sqlib.fit(HS_MODEL, hs_ordinal, ordered=["y1"])
    # items left out of `ordered` are continuous (mixed models: tests/test_wlsmv_pairwise_mixed.py)


def test_ordered_predictor_is_refused(hs_ordinal):
    with pytest.raises(ModelSpecificationError, match="x1 are used as predictors|x1 .*predictors"):
        sqlib.fit("visual =~ x2 + x3 + x4\nvisual ~ x1", hs_ordinal, ordered=True)


def test_measurement_notebook_runs_with_wlsmv(tmp_path):
    """Notebook 02's estimator parameter: the saved fit table is the WLSMV fit of the CFA."""
    import papermill as pm

    pm.execute_notebook(str(config.NOTEBOOKS_DIR / "02_measurement_model.ipynb"), str(tmp_path / "out.ipynb"),
                        parameters={"estimator": "WLSMV", "output_dir": str(tmp_path),
                                    "data_path": str(config.SAMPLE_DATA), "codebook_path": str(config.SAMPLE_CODEBOOK)},
                        cwd=str(config.NOTEBOOKS_DIR), kernel_name="python3", progress_bar=False)
    saved = pd.read_csv(tmp_path / "tables" / "cfa_fit.csv").iloc[0]
    codebook = sqlib.Codebook.from_yaml(config.SAMPLE_CODEBOOK)
    data = sqlib.read_survey(config.SAMPLE_DATA, codebook)
    direct = sqlib.fit(sqlib.models.cfa_syntax(codebook), data, ordered=True)
    assert saved["chisq"] == pytest.approx(direct.fit_measures["chisq"], rel=1e-9)
    assert np.isnan(saved["aic"])
