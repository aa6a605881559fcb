"""Monte Carlo power: validity (type I error, coverage), engine-independence, resuming, sample-size logic."""

from __future__ import annotations

import json

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from scipy import stats  # noqa: E402

import sqlib  # noqa: E402
from sqlib.analysis.power import convergence_table, fit_table, plot_power, power, power_table, required_n  # noqa: E402
from sqlib.survey.simulate import PopulationModel, simulate  # noqa: E402

FACTORS = ("f1", "f2", "f3")
#: f3 depends on f1 only: the path f3 ~ f2 that MODEL estimates is zero in the population.
MODEL = "f1 =~ f11 + f12 + f13\nf2 =~ f21 + f22 + f23\nf3 =~ f31 + f32 + f33\nf3 ~ a*f1 + f2\nf1 ~~ f2"


def small_population() -> PopulationModel:
    return PopulationModel(
        loadings={(f, f"{f}{i}"): 0.75 for f in FACTORS for i in (1, 2, 3)},
        factor_correlations=pd.DataFrame([[1.0, 0.3], [0.3, 1.0]], index=["f1", "f2"], columns=["f1", "f2"]),
        paths={("f3", "f1"): 0.35},
    )


def mc_tolerance(p: float, reps: int, k: float = 3.0) -> float:
    """k binomial Monte Carlo standard errors of a proportion p estimated from reps draws."""
    return k * np.sqrt(p * (1 - p) / reps)


@pytest.fixture(scope="module")
def generator():
    """A fitted population whose path f3 ~ f2 is exactly zero (fixed at 0)."""
    data = simulate(small_population(), n=600, seed=5).data
    return sqlib.fit("f1 =~ f11 + f12 + f13\nf2 =~ f21 + f22 + f23\nf3 =~ f31 + f32 + f33\n"
                     "f3 ~ a*f1 + 0*f2\nf1 ~~ f2", data)


@pytest.fixture(scope="module")
def normal_run(generator):
    model = MODEL + "\nscaled := 2*a"
    return power(generator, n=[150], reps=200, seed=11, model=model, n_workers=2, progress=False)


@pytest.fixture(scope="module")
def dask_client():
    from distributed import Client, LocalCluster

    cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0")
    client = Client(cluster)
    yield client
    client.close()
    cluster.close()


def test_zero_path_power_is_close_to_alpha_on_likert_data():
    res = power(small_population(), n=[150], reps=200, seed=3, model=MODEL, n_workers=2, progress=False)
    table = res.power.set_index("parameter")
    zero, real = table.loc["f3 ~ f2"], table.loc["f3 ~ f1"]
    assert zero["truth"] == 0 and real["truth"] == pytest.approx(0.35)
    assert zero["converged"] >= 195
    assert abs(zero["power"] - 0.05) <= mc_tolerance(0.05, int(zero["converged"]))
    assert real["power"] > 0.5
    # Likert data: standardized truth, so bias is on the std_all scale and coverage is not defined
    assert table["scale"].eq("standardized").all() and table["coverage"].isna().all()
    std_estimates = res.replications.query("parameter == 'f3 ~ f1' and converged")["est_std"]
    assert real["bias"] == pytest.approx(std_estimates.mean() - 0.35)
    # within Monte Carlo error, plus a little for the attenuation by 7-point answers
    assert abs(real["bias"]) < 3 * std_estimates.std() / np.sqrt(len(std_estimates)) + 0.03


def test_coverage_and_power_of_a_fitted_population(generator, normal_run):
    table = normal_run.power.set_index("parameter")
    assert set(table.index) == {"f3 ~ f1", "f3 ~ f2", "scaled"}
    truth = generator.estimates.set_index(["lhs", "op", "rhs"])["est"]
    assert table.loc["f3 ~ f1", "truth"] == truth[("f3", "~", "f1")]
    assert table.loc["scaled", "truth"] == pytest.approx(2 * truth[("f3", "~", "f1")])
    reps = int(table["converged"].min())
    for name, row in table.iterrows():
        assert abs(row["coverage"] - 0.95) <= mc_tolerance(0.95, reps), name
        assert abs(row["bias"]) <= 3 * row["sd_est"] / np.sqrt(reps) + 0.01, name
    assert abs(table.loc["f3 ~ f2", "power"] - 0.05) <= mc_tolerance(0.05, reps)
    # the Wald test's power from the generating fit's standard error, rescaled to n = 150
    gen = generator.estimates.set_index(["lhs", "op", "rhs"]).loc[("f3", "~", "f1")]
    shift = gen["est"] / (gen["se"] * np.sqrt(generator.ntotal / 150))
    z = stats.norm.ppf(0.975)
    expected = stats.norm.sf(z - shift) + stats.norm.cdf(-z - shift)
    assert abs(table.loc["f3 ~ f1", "power"] - expected) <= mc_tolerance(expected, reps) + 0.03


def test_summary_tables_agree_with_the_replications(normal_run):
    reps = normal_run.replications
    per_rep = reps.drop_duplicates(["n", "rep"])
    ok = per_rep[per_rep["converged"]]
    conv = normal_run.convergence.iloc[0]
    assert conv["reps"] == 200 and conv["convergence_rate"] == pytest.approx(len(ok) / 200)
    fit = normal_run.fit.set_index("measure")
    assert fit.loc["cfi", "share_meeting"] == pytest.approx(np.mean(ok["cfi"] >= 0.95))
    assert fit.loc["srmr", "median"] == pytest.approx(ok["srmr"].median())
    # the model is correct: the chi-square test rejects in about alpha of the samples
    assert abs(1 - fit.loc["chisq_pvalue", "share_meeting"] - 0.05) <= mc_tolerance(0.05, len(ok)) + 0.02
    assert normal_run.complete and normal_run.n_computed == 200 and normal_run.elapsed > 0
    assert str(normal_run.engine) == "local engine with 2 processes"


def test_replication_data_is_regenerated_from_its_seed(generator, normal_run):
    row = normal_run.replications.query("n == 150 and rep == 7 and parameter == 'f3 ~ f1'").iloc[0]
    refit = sqlib.fit(MODEL, normal_run.replication_data(150, 7))
    assert refit.estimates.query("lhs == 'f3' and op == '~' and rhs == 'f1'")["est"].iloc[0] == pytest.approx(
        row["est"], abs=1e-12)


def test_dask_and_local_engines_give_identical_replications(dask_client):
    kwargs = dict(n=[80, 120], reps=4, seed=8, model=MODEL, progress=False)
    serial = power(small_population(), n_workers=1, **kwargs)
    local = power(small_population(), n_workers=2, chunk_size=2, **kwargs)
    remote = power(small_population(), engine="dask", scheduler=dask_client.scheduler.address, chunk_size=5,
                   **kwargs)
    assert len(serial.replications) == 2 * 4 * 2
    pd.testing.assert_frame_equal(serial.replications, local.replications, check_exact=True)
    pd.testing.assert_frame_equal(serial.replications, remote.replications, check_exact=True)
    assert remote.engine.engine == "dask" and remote.engine.n_workers == 2
    by_client = power(small_population(), engine="dask", scheduler=dask_client, **kwargs)  # default chunks
    pd.testing.assert_frame_equal(serial.replications, by_client.replications, check_exact=True)


def test_interrupted_run_resumes_and_equals_an_uninterrupted_run(tmp_path):
    kwargs = dict(n=[80, 120], seed=4, model=MODEL, n_workers=1, progress=False)
    partial = power(small_population(), reps=8, chunk_size=3, max_chunks=2, run_dir=tmp_path, **kwargs)
    assert not partial.complete and partial.n_computed == 6
    folder = partial.run_path
    assert len(list(folder.glob("part-*.parquet"))) == 2
    resumed = power(small_population(), reps=8, chunk_size=3, run_dir=tmp_path, **kwargs)
    assert resumed.complete and resumed.n_resumed == 6 and resumed.n_computed == 10
    full = power(small_population(), reps=8, **kwargs)
    pd.testing.assert_frame_equal(resumed.replications, full.replications, check_exact=True)
    # more replications extend the same run: only the new ones are computed
    extended = power(small_population(), reps=10, run_dir=tmp_path, **kwargs)
    assert extended.n_resumed == 16 and extended.n_computed == 4
    first_eight = extended.replications[extended.replications["rep"] < 8].reset_index(drop=True)
    pd.testing.assert_frame_equal(first_eight, full.replications)


def test_runs_with_different_arguments_never_mix(tmp_path):
    kwargs = dict(n=[80], reps=4, model=MODEL, n_workers=1, progress=False, run_dir=tmp_path)
    first = power(small_population(), seed=1, **kwargs)
    second = power(small_population(), seed=2, **kwargs)
    assert second.n_resumed == 0 and second.run_path != first.run_path
    assert not np.allclose(first.replications["est"], second.replications["est"])
    again = power(small_population(), seed=1, **kwargs)
    assert again.n_computed == 0 and again.n_resumed == 4
    pd.testing.assert_frame_equal(again.replications, first.replications)
    about = first.run_path / "arguments.json"
    about.write_text(json.dumps({**json.loads(about.read_text()), "key": "something else"}))
    with pytest.raises(ValueError, match="different run"):
        power(small_population(), seed=1, **kwargs)


def _hand_made_table() -> pd.DataFrame:
    power_by = {"a": [0.50, 0.85, 0.90], "dip": [0.85, 0.70, 0.90], "weak": [0.20, 0.35, 0.55],
                "null": [0.05, 0.04, 0.06]}
    rows = [{"n": n, "parameter": name, "power": p, "alpha": 0.05, "converged": 1000}
            for name, values in power_by.items() for n, p in zip([100, 200, 400], values)]
    return pd.DataFrame(rows)


def test_required_n_is_the_smallest_n_from_which_power_stays_above_target():
    out = required_n(_hand_made_table(), target=0.8).set_index("parameter")
    assert out.loc["a", "required_n"] == 200 and out.loc["a", "power"] == 0.85
    assert out.loc["dip", "required_n"] == 400  # 100 meets the target, but 200 does not
    assert out.loc[["a", "dip"], "met"].all() and out.loc[["a", "dip"], "suggested_n"].isna().all()
    weak = out.loc["weak"]
    assert not weak["met"] and pd.isna(weak["required_n"]) and weak["largest_n"] == 400
    assert weak["suggested_n"] > 400 and "n = 400" in weak["message"]
    # no signal above alpha: nothing to extrapolate from
    assert pd.isna(out.loc["null", "suggested_n"]) and "population value zero" in out.loc["null", "message"]
    lower = required_n(_hand_made_table(), ["weak"], target=0.5).iloc[0]
    assert lower["required_n"] == 400
    with pytest.raises(ValueError, match="'b'"):
        required_n(_hand_made_table(), ["a", "b"])
    with pytest.raises(ValueError, match="target"):
        required_n(_hand_made_table(), target=80)


def test_recommended_n_and_power_curves(normal_run):
    assert normal_run.recommended_n(["f3 ~ f1"], target=0.5) == 150
    assert normal_run.recommended_n(target=0.8) is None  # the zero path never gets there
    ax = plot_power(normal_run.power, target=0.8)
    assert len(ax.lines) >= 3 and ax.get_xlabel() == "sample size n"
    assert [t.get_text() for t in ax.get_legend().get_texts()][:3] == ["f3 ~ f1", "f3 ~ f2", "scaled"]


def test_tables_work_on_stored_replications(normal_run):
    stored = normal_run.replications
    pd.testing.assert_frame_equal(power_table(stored, alpha=0.10).drop(columns=["power", "power_mc_se", "alpha"]),
                                  normal_run.power.drop(columns=["power", "power_mc_se", "alpha"]))
    assert (power_table(stored, alpha=0.10)["power"] >= normal_run.power["power"]).all()
    assert convergence_table(stored).equals(normal_run.convergence)
    assert fit_table(stored).equals(normal_run.fit)


def test_clear_errors_for_bad_arguments(generator):
    with pytest.raises(ValueError, match="'local'"):
        power(generator, n=[100], reps=2, engine="spark")
    with pytest.raises(ValueError, match="n = 8 is too small"):
        power(generator, n=[8, 100], reps=2, progress=False)
    with pytest.raises(ValueError, match="Unknown parameter"):
        power(generator, n=[100], reps=2, parameters=["f3 ~ f9"], progress=False)
    with pytest.raises(TypeError, match="PopulationModel"):
        power("f1 =~ a + b + c", n=[100], reps=2)
    named = power(generator, n=[100], reps=2, parameters=["a", "f1=~f12"], n_workers=1, progress=False)
    assert list(named.power["parameter"]) == ["f3 ~ f1", "f1 =~ f12"]



def test_heywood_flag_follows_the_results_heywood_cases(generator):
    from sqlib.analysis.power import _has_heywood
    from tests.test_sem_behaviour import exact_data

    improper = sqlib.fit("f =~ y1 + y2 + y3", exact_data(np.array([[1, .8, .8], [.8, 1, .5], [.8, .5, 1]])))
    for res in (improper, generator):
        assert _has_heywood(res.estimates) == (len(res.heywood_cases) > 0)
    assert _has_heywood(improper.estimates) and not _has_heywood(generator.estimates)


def test_an_ordinal_fit_is_refused_as_population():
    data = simulate(small_population(), n=300, seed=1).data
    ordinal = sqlib.fit(MODEL, data, ordered=True)
    with pytest.raises(ValueError, match="PopulationModel"):
        power(ordinal, n=[100], reps=2, progress=False)


def test_notebook_07_gives_the_same_table_on_the_dask_engine_as_locally(tmp_path):
    """Notebook 07 in the pipeline's way (papermill, output_dir) on a LocalCluster and on local
    processes: the same seed gives the same power table."""
    import papermill as pm

    from sqlib import config

    tables = {}
    for engine in ("dask", "local"):
        out = tmp_path / engine
        out.mkdir()
        pm.execute_notebook(str(config.NOTEBOOKS_DIR / "07_power_and_sample_size.ipynb"), str(out / "nb.ipynb"),
                            parameters={"engine": engine, "n_grid": [150, 300], "reps": 8, "n_workers": 2,
                                        "output_dir": str(out), "seed": 5, "population": "fitted",
                                        "structural_model": ""},
                            cwd=str(config.NOTEBOOKS_DIR), kernel_name="python3", progress_bar=False)
        tables[engine] = pd.read_csv(out / "tables" / "power_table.csv")
        summary = (out / "summaries" / "07_power_and_sample_size.md").read_text(encoding="utf-8")
        assert f"on the {engine} engine" in summary
        assert "Simulated: 8 replications at each of n = 150 and 300" in summary
    pd.testing.assert_frame_equal(tables["dask"], tables["local"])
