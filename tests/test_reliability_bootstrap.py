"""Bootstrap intervals of omega and AVE (sqlib.analysis.reliability_bootstrap).

Per-draw references come only from tests/fixtures/servqual_reliability_boot.json, written by
tests/reference/make_refs_reliability_boot.R: lavaan refits the SERVQUAL CFA on the resamples
that tests/reference/make_reliability_boot_data.py wrote (sqlib's own resamples for its seed)
and semTools computes compRelSEM and AVE on every refit. Nothing is typed by hand.
Tolerance against R: 1e-5 absolute (two optimizers, each converged to about 1e-7).
"""

from __future__ import annotations

import importlib.util
import json

import numpy as np
import pandas as pd
import pytest

import sqlib
from sqlib import config
from sqlib.analysis.reliability import construct_reliability
from sqlib.analysis.reliability_bootstrap import (STATISTICS, interval_from_draws, reliability_bootstrap,
                                                  reliability_draws)
from sqlib.core.errors import ModelSpecificationError
from sqlib.sem.bootstrap import resample_indices

R_TOL = 1e-5
REFIT_TOL = 1e-6
FIXTURE = config.FIXTURES_DIR / "servqual_reliability_boot.json"
TWO_FACTORS = "tangibles =~ tan1 + tan2 + tan3 + tan4\nempathy =~ emp1 + emp2 + emp3 + emp4 + emp5"


@pytest.fixture(scope="module")
def reference():
    case = json.loads(FIXTURE.read_text())
    rows = pd.read_csv(config.PROJECT_ROOT / case["data"])
    columns = pd.read_csv(config.PROJECT_ROOT / case["resamples"])
    resamples = [[columns[name].to_numpy() - 1] for name in columns]  # 1-based rows -> positions
    return case, rows, resamples


@pytest.fixture(scope="module")
def reference_fit(reference):
    case, rows, _ = reference
    return sqlib.fit(case["model"], rows)


@pytest.fixture(scope="module")
def sample_fit():
    return sqlib.fit(TWO_FACTORS, sqlib.load_sample())


def _maker():
    path = config.PROJECT_ROOT / "tests" / "reference" / "make_reliability_boot_data.py"
    spec = importlib.util.spec_from_file_location("make_reliability_boot_data", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# ---------------------------------------------------------------- against lavaan + semTools
def test_the_resamples_r_refitted_are_sqlibs_for_the_makers_seed(reference, reference_fit):
    _, _, resamples = reference
    maker = _maker()
    drawn = resample_indices(reference_fit, maker.DRAWS, seed=maker.SEED)
    assert len(drawn) == len(resamples)
    assert all(np.array_equal(a[0], b[0]) for a, b in zip(drawn, resamples))


def test_every_draw_matches_comprelsem_and_ave_on_lavaans_refit(reference, reference_fit):
    case, _, resamples = reference
    draws = reliability_draws(reference_fit, resamples=resamples, statistics=("omega", "omega_model", "ave"),
                              progress=False)
    assert draws["converged"].all() and all(d["converged"] for d in case["draws"])
    ours = draws.set_index(["draw", "statistic", "construct"])["value"]
    compared = 0
    for entry in case["draws"]:
        for statistic in ("omega", "omega_model", "ave"):
            for construct, value in entry[statistic].items():
                assert ours[(entry["draw"], statistic, construct)] == pytest.approx(value, abs=R_TOL), (
                    entry["draw"], statistic, construct)
                compared += 1
    assert compared == len(case["draws"]) * 3 * 7


def test_percentile_intervals_match_r_quantiles_of_the_same_draws(reference, reference_fit):
    case, _, resamples = reference
    table = reliability_bootstrap(reference_fit, resamples=resamples, level=case["level"], progress=False)
    table = table.set_index(["construct", "statistic"])
    for statistic, by_construct in case["percentile"].items():
        for construct, ref in by_construct.items():
            row = table.loc[(construct, statistic)]
            assert row["ci_lower"] == pytest.approx(ref["ci_lower"], abs=R_TOL)
            assert row["ci_upper"] == pytest.approx(ref["ci_upper"], abs=R_TOL)
            assert row["se"] == pytest.approx(ref["se"], abs=R_TOL)
    for statistic in ("omega", "ave"):
        for construct, value in case["full_sample"][statistic].items():
            assert table.loc[(construct, statistic), "estimate"] == pytest.approx(value, abs=R_TOL)
    assert (table["draws_used"] == len(resamples)).all() and (table["draws_failed"] == 0).all()


# ----------------------------------------------------------------- against sqlib itself
def test_estimates_are_construct_reliabilitys_exactly(reference_fit):
    table = reliability_bootstrap(reference_fit, 2, seed=1, statistics=STATISTICS, progress=False)
    expected = construct_reliability(reference_fit).melt(id_vars="construct", value_vars=list(STATISTICS),
                                                         var_name="statistic", value_name="estimate")
    merged = table.merge(expected, on=["construct", "statistic"], suffixes=("", "_expected"))
    assert len(merged) == len(table) == 7 * len(STATISTICS)
    assert (merged["estimate"] == merged["estimate_expected"]).all()


def test_intervals_equal_refits_with_sqlib_fit_on_the_same_resamples(sample_fit):
    data = sample_fit.data_frame()
    indices = resample_indices(sample_fit, 15, seed=7)
    table = reliability_bootstrap(sample_fit, 15, seed=7, statistics=STATISTICS, progress=False)
    refits = pd.concat([construct_reliability(sqlib.fit(TWO_FACTORS, data.iloc[rows[0]])) for rows in indices])
    for row in table.itertuples():
        values = refits.loc[refits["construct"] == row.construct, row.statistic].to_numpy()
        lower, upper = np.quantile(values, [0.025, 0.975])
        assert row.ci_lower == pytest.approx(lower, abs=REFIT_TOL)
        assert row.ci_upper == pytest.approx(upper, abs=REFIT_TOL)
        assert row.se == pytest.approx(values.std(ddof=1), abs=REFIT_TOL)


def test_the_group_argument_resamples_and_reports_that_group(sample_fit):
    data = sample_fit.data_frame().assign(wave=lambda d: np.where(np.arange(len(d)) % 3 == 0, "a", "b"))
    fit = sqlib.fit(TWO_FACTORS, data, group="wave")
    indices = resample_indices(fit, 6, seed=3)
    table = reliability_bootstrap(fit, 6, seed=3, group=2, progress=False).set_index(["construct", "statistic"])
    blocks = [data[data["wave"] == level].reset_index(drop=True) for level in fit.group_levels]
    values = []
    for rows in indices:
        resample = pd.concat([block.iloc[r] for block, r in zip(blocks, rows)], ignore_index=True)
        values.append(construct_reliability(sqlib.fit(TWO_FACTORS, resample, group="wave"), group=2))
    values = pd.concat(values)
    for (construct, statistic), row in table.iterrows():
        drawn = values.loc[values["construct"] == construct, statistic].to_numpy()
        assert row["ci_lower"] == pytest.approx(np.quantile(drawn, 0.025), abs=REFIT_TOL)
        assert row["estimate"] == construct_reliability(fit, group=2).set_index("construct").loc[construct, statistic]


# -------------------------------------------------------------------- reproducibility
def test_same_seed_gives_a_byte_identical_table_for_any_n_jobs(sample_fit):
    first = reliability_bootstrap(sample_fit, 30, seed=5, progress=False)
    again = reliability_bootstrap(sample_fit, 30, seed=5, progress=False)
    parallel = reliability_bootstrap(sample_fit, 30, seed=5, n_jobs=2, progress=False)
    assert first.to_csv() == again.to_csv() == parallel.to_csv()
    assert first.to_csv() != reliability_bootstrap(sample_fit, 30, seed=6, progress=False).to_csv()
    injected = reliability_bootstrap(sample_fit, resamples=resample_indices(sample_fit, 30, seed=5), progress=False)
    assert injected.to_csv() == first.to_csv()


def test_a_failed_draw_is_counted_and_left_out(sample_fit):
    constant = [np.zeros(sample_fit.ntotal, dtype=int)]  # every row the same respondent: singular covariance
    indices = resample_indices(sample_fit, 4, seed=2)[:3] + [constant]
    table = reliability_bootstrap(sample_fit, resamples=indices, progress=False)
    assert (table["draws_failed"] == 1).all() and (table["draws_used"] == 3).all()
    draws = reliability_draws(sample_fit, resamples=indices, progress=False)
    assert not draws.loc[draws["draw"] == 3, "converged"].any() and draws.loc[draws["draw"] == 3, "value"].isna().all()


# ------------------------------------------------------------------------- intervals
def test_bias_corrected_interval_is_the_percentile_one_when_half_the_draws_lie_below():
    values = np.arange(1.0, 201.0)
    assert interval_from_draws(values, 100.5, ci="bc") == pytest.approx(interval_from_draws(values, 100.5))
    shifted_lower, shifted_upper = interval_from_draws(values, 120.5, ci="bc")  # 60% below: z0 > 0, shift up
    lower, upper = interval_from_draws(values, 120.5)
    assert shifted_lower > lower and shifted_upper > upper
    assert np.isnan(interval_from_draws(values, 0.0, ci="bc")).all()


def test_bc_table_uses_lavaans_bca_simple_rule(sample_fit):
    draws = reliability_draws(sample_fit, 40, seed=9, progress=False)
    table = reliability_bootstrap(sample_fit, 40, seed=9, ci="bc", progress=False)
    from scipy import stats

    for row in table.itertuples():
        values = draws.query("construct == @row.construct and statistic == @row.statistic")["value"].to_numpy()
        z0 = stats.norm.ppf(np.mean(values < row.estimate))
        expected = np.quantile(values, stats.norm.cdf(2 * z0 + stats.norm.ppf([0.025, 0.975])))
        assert (row.ci_lower, row.ci_upper) == pytest.approx(tuple(expected), abs=1e-12)


# ---------------------------------------------------------------------------- errors
def test_requests_that_cannot_be_bootstrapped_say_what_to_use_instead(sample_fit):
    with pytest.raises(ValueError, match="choose among omega, omega_model"):
        reliability_bootstrap(sample_fit, 5, statistics=("alpha",), progress=False)
    with pytest.raises(ValueError, match="'percentile' or 'bc'"):
        reliability_bootstrap(sample_fit, 5, ci="bca", progress=False)
    with pytest.raises(ValueError, match="at least 2 draws"):
        reliability_bootstrap(sample_fit, 1, progress=False)
    n = sample_fit.ntotal
    with pytest.raises(ValueError, match=f"outside 0..{n - 1} for group 1"):
        reliability_bootstrap(sample_fit, resamples=[[np.array([0, n])]], progress=False)
    with pytest.raises(ValueError, match="one array of row positions each"):
        reliability_bootstrap(sample_fit, resamples=[[np.array([0]), np.array([1])]], progress=False)


def test_fiml_fits_bootstrap_only_the_model_based_statistics():
    data = pd.read_csv(config.FIXTURES_DIR / "data" / "servqual_mcar.csv")
    fit = sqlib.fit(TWO_FACTORS, data, missing="fiml")
    with pytest.raises(ModelSpecificationError, match="missing='listwise'"):
        reliability_bootstrap(fit, 5, progress=False)
    table = reliability_bootstrap(fit, 5, seed=1, statistics=("omega_model", "composite_reliability"), progress=False)
    assert set(table["statistic"]) == {"omega_model", "composite_reliability"} and (table["draws_used"] == 5).all()
