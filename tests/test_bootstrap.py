"""Bootstrap: reproducible for a seed whatever n_jobs, and statistically sensible."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import sqlib
from tests.test_sem_behaviour import one_factor_data

MODEL = "f =~ y1 + a*y2 + b*y3 + y4\nratio := a/b"


@pytest.fixture(scope="module")
def fitted():
    return sqlib.fit(MODEL, one_factor_data(n=400))


def test_same_seed_same_draws_for_any_n_jobs(fitted):
    serial = fitted.bootstrap(40, seed=11, n_jobs=1, progress=False)
    parallel = fitted.bootstrap(40, seed=11, n_jobs=2, progress=False)
    assert np.array_equal(serial.draws.to_numpy(), parallel.draws.to_numpy())
    other = fitted.bootstrap(40, seed=12, n_jobs=1, progress=False)
    assert not np.array_equal(serial.draws.to_numpy(), other.draws.to_numpy())


def test_bootstrap_se_agrees_with_information_se(fitted):
    boot = fitted.bootstrap(300, seed=3, progress=False)
    assert boot.n_failed == 0 and len(boot.draws) == 300
    est = fitted.estimates.merge(boot.table, on=["lhs", "op", "rhs", "group"], suffixes=("", "_b"))
    free = est[est["se"] > 0]
    # normal data: bootstrap and expected-information SEs estimate the same quantity
    ratio = free["boot_se"] / free["se"]
    assert ratio.between(0.75, 1.3).all(), free[["lhs", "op", "rhs", "se", "boot_se"]]
    # percentile interval brackets the estimate, for free and defined parameters
    assert ((est["ci_lower"] < est["est"]) & (est["est"] < est["ci_upper"])).all()


def test_se_bootstrap_option_replaces_standard_errors():
    data = one_factor_data(n=300)
    res = sqlib.fit(MODEL, data, se="bootstrap", bootstrap=50, seed=5, progress=False)
    ratio = res.estimates.query("op == ':='").iloc[0]
    assert res.boot.n_requested == 50
    expected = res.boot.table.query("op == ':='").iloc[0]
    assert ratio["se"] == pytest.approx(expected["boot_se"])
    assert ratio["ci_lower"] == pytest.approx(expected["ci_lower"])


def test_bca_interval_contains_estimate(fitted):
    boot = fitted.bootstrap(60, seed=2, ci="bca", progress=False)
    table = boot.table.dropna()
    assert len(table) > 0
    assert ((table["ci_lower"] < table["est"]) & (table["est"] < table["ci_upper"])).all()


def test_dask_engine_gives_the_same_draws_as_local(fitted):
    from sqlib.sem.bootstrap import bootstrap

    local = bootstrap(fitted, draws=30, seed=7, n_jobs=1, chunk_size=4, progress=False)
    # no scheduler: the engine starts a two-worker LocalCluster and closes it afterwards
    remote = bootstrap(fitted, draws=30, seed=7, n_jobs=2, chunk_size=7, engine="dask", progress=False)
    assert np.array_equal(local.draws.to_numpy(), remote.draws.to_numpy())
    pd.testing.assert_frame_equal(local.table, remote.table)
    with pytest.raises(ValueError, match="engine"):
        bootstrap(fitted, draws=5, engine="ray", progress=False)


# --------------------------------------------------------------- every recipe (issue 15 item 3)
@pytest.mark.parametrize("options", [{"missing": "fiml"}, {"ordered": True}, {"estimator": "MLR"}])
def test_bootstrap_refits_with_the_estimator_of_the_model(options):
    """Draws are refitted by the model's own objective (FIML, DWLS, ML), so bootstrap SEs agree with the
    model's analytic SEs within Monte Carlo error (120 draws: the SE of an SE is about 7%)."""
    data = sqlib.load_sample()
    if options.get("missing") == "fiml":
        rng = np.random.default_rng(1)
        for item in ("sat1", "sat3", "loy2"):
            data.loc[rng.random(len(data)) < 0.15, item] = np.nan
    result = sqlib.fit("s =~ sat1 + sat2 + sat3\nl =~ loy1 + loy2 + loy3", data, **options)
    boot = result.bootstrap(120, seed=5, progress=False)
    assert boot.n_failed < 40
    both = result.estimates.merge(boot.table, on=["lhs", "op", "rhs", "group"])
    loadings = both[(both["op"] == "=~") & (both["se"] > 0)]
    ratio = loadings["boot_se"] / loadings["se"]
    assert 0.8 < ratio.median() < 1.25, ratio.tolist()
    # a draw refitted by ML on ordinal data would move the thresholds' estimates: they are not in an ML model
    if options.get("ordered"):
        assert (both["op"] == "|").sum() > 0 and both.loc[both["op"] == "|", "boot_se"].notna().all()
