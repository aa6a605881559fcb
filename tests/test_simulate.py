"""The simulator and the bundled sample data drawn from it."""

import numpy as np
import pandas as pd
import pytest

from sqlib import config, instrument
from sqlib.survey.codebook import Codebook, Construct
from sqlib.survey.simulate import (
    PopulationModel,
    main,
    sample_population,
    sample_survey,
    simulate,
)

PERCEPTIONS = [it.code for it in instrument.ITEMS if it.kind == "perception"]
EXPECTATIONS = ["e_" + p for p in PERCEPTIONS]


@pytest.fixture(scope="module")
def sample():
    return pd.read_csv(config.SAMPLE_DATA)


def two_factor_population(phi=0.5, **kwargs):
    loadings = {("f1", "a1"): 0.8, ("f1", "a2"): 0.7, ("f1", "a3"): 0.6, ("f1", "a4"): 0.75,
                ("f2", "b1"): 0.8, ("f2", "b2"): 0.7, ("f2", "b3"): 0.65, ("f2", "b4"): 0.75}
    corr = pd.DataFrame([[1.0, phi], [phi, 1.0]], index=["f1", "f2"], columns=["f1", "f2"])
    spec = dict(loadings=loadings, factor_correlations=corr, paths={}, factor_means={}, thresholds={},
                expectations={})
    spec.update(kwargs)
    return PopulationModel(**spec)


# ------------------------------------------------------------------ reproducibility
def test_regenerating_the_sample_gives_byte_identical_files(tmp_path):
    assert main(["--write-sample", "--out", str(tmp_path)]) == 0
    for name in ("servqual_sample.csv", "servqual_codebook.yaml", "README.md"):
        assert (tmp_path / name).read_bytes() == (config.DATA_DIR / name).read_bytes(), name


def test_same_seed_same_data_different_seed_different_data():
    pop = sample_population()
    first, again = simulate(pop, n=200, seed=11).data, simulate(pop, n=200, seed=11).data
    pd.testing.assert_frame_equal(first, again)
    other = simulate(pop, n=200, seed=12).data
    assert not first[PERCEPTIONS].equals(other[PERCEPTIONS])


def test_default_seed_reproduces_the_bundled_sample(sample):
    data = simulate(sample_population(), n=len(sample)).data
    pd.testing.assert_frame_equal(data[PERCEPTIONS], sample[PERCEPTIONS].astype(float))


# ------------------------------------------------------------------ the truth table
def test_truth_table_structure():
    pop = sample_population()
    truth = sample_survey().truth
    assert list(truth.columns) == ["lhs", "op", "rhs", "group", "value"]
    assert set(truth["op"]) == {"=~", "~~", "~", "|", "~1"}
    assert set(truth["group"]) == {"NL", "FR", "NO"}
    n_items = len(pop.items)
    for _, block in truth.groupby("group"):
        counts = block["op"].value_counts()
        assert counts["=~"] == n_items
        assert counts["|"] == n_items * (pop.scale_max - pop.scale_min)
        assert counts["~"] == len(pop.paths)
    nl = truth[truth.group == "NL"]
    loadings = nl[nl.op == "=~"]
    assert loadings["value"].between(0.65, 0.85).all()
    exo = [f for f in pop.factors if f not in ("satisfaction", "loyalty")]
    correlations = nl[(nl.op == "~~") & nl.lhs.isin(exo) & nl.rhs.isin(exo)]
    assert len(correlations) == len(exo) * (len(exo) - 1) // 2
    dims = correlations[correlations.lhs.isin(instrument.DIMENSIONS) & correlations.rhs.isin(instrument.DIMENSIONS)]
    assert len(dims) == 10 and dims["value"].between(0.40, 0.60).all()
    paths = nl[nl.op == "~"].set_index(["lhs", "rhs"])["value"]
    assert paths[("satisfaction", "reliability")] == max(paths.drop(("loyalty", "satisfaction")))
    assert paths[("loyalty", "satisfaction")] > 0
    for _, thresholds in nl[nl.op == "|"].groupby("lhs"):
        assert (np.diff(thresholds["value"].to_numpy()) > 0).all()


def test_truth_marks_only_res3_in_fr_as_non_invariant():
    truth = sample_survey().truth
    shifted = truth[(truth.op == "~1") & (truth.value != 0) & truth.lhs.isin(PERCEPTIONS + EXPECTATIONS)]
    assert shifted[["lhs", "group"]].values.tolist() == [["res3", "FR"]]
    assert 0.4 <= shifted["value"].item() <= 0.8


def test_truth_follows_loading_changes_and_standardizes_residuals():
    pop = two_factor_population(groups={"A": 0.5, "B": 0.5}, noninvariant_loadings={("B", "a2"): -0.3})
    truth = pop.truth().set_index(["group", "op", "lhs", "rhs"])["value"]
    assert truth[("A", "=~", "f1", "a2")] == pytest.approx(0.7)
    assert truth[("B", "=~", "f1", "a2")] == pytest.approx(0.4)
    assert truth[("A", "~~", "a1", "a1")] == pytest.approx(1 - 0.8**2)
    assert truth[("A", "~~", "f1", "f2")] == pytest.approx(0.5)


def test_structural_residual_variance_makes_outcomes_standardized():
    pop = PopulationModel()
    sigma = pop.latent_covariance()
    assert np.allclose(np.diag(sigma), 1.0)
    beta = np.array([pop.paths[("satisfaction", d)] for d in instrument.DIMENSIONS])
    r = pop.factor_correlations.loc[list(instrument.DIMENSIONS), list(instrument.DIMENSIONS)].to_numpy()
    assert pop.residual_variances()["satisfaction"] == pytest.approx(1 - beta @ r @ beta)


# ------------------------------------------------------------------ the bundled sample
def test_sample_structure(sample):
    pop = sample_population()
    cb = Codebook.from_yaml(config.SAMPLE_CODEBOOK)
    assert list(sample.columns) == ["respondent_id", "country", "wave"] + pop.items
    assert set(sample.columns) == set(cb.columns)
    assert len(sample) == 900 and sample["respondent_id"].is_unique
    shares = sample["country"].value_counts(normalize=True)
    assert set(shares.index) == {"NL", "FR", "NO"} and shares.between(0.3, 0.37).all()
    assert set(sample["wave"]) == {1, 2, 3}
    answers = sample[pop.items]
    observed = answers.stack().dropna()
    assert observed.between(1, 7).all() and (observed % 1 == 0).all()
    missing_per_row = answers.isna().sum(axis=1)
    assert (missing_per_row > 0).mean() == pytest.approx(0.04, abs=0.005)
    assert missing_per_row.max() <= 3


def test_sample_answers_are_skewed_to_the_upper_half(sample):
    mean = sample[PERCEPTIONS].stack().mean()
    assert 4.5 < mean < 5.5


def test_expectations_run_above_perceptions(sample):
    for dim in instrument.DIMENSIONS:
        p = instrument.items_of(dim)
        e = instrument.items_of(dim, "expectation")
        assert sample[e].stack().mean() > sample[p].stack().mean(), dim
    gaps = sample[PERCEPTIONS].to_numpy() - sample[EXPECTATIONS].to_numpy()
    assert np.nanmean(gaps, axis=1).__lt__(0).mean() > 0.6  # most respondents have a negative mean gap


def test_non_invariant_item_stands_out_in_fr(sample):
    res = instrument.items_of("responsiveness")
    means = sample.groupby("country")[res].mean()
    fr_minus_rest = means.loc["FR"] - means.loc[["NL", "NO"]].mean()
    others = fr_minus_rest.drop("res3")
    assert fr_minus_rest["res3"] - others.mean() > 0.3
    nl_minus_no = means.loc["NL"] - means.loc["NO"]
    assert abs(nl_minus_no["res3"] - nl_minus_no.drop("res3").mean()) < 0.2


def test_responsiveness_improves_over_waves(sample):
    res = sample[instrument.items_of("responsiveness")].mean(axis=1)
    by_wave = res.groupby(sample["wave"]).mean()
    assert by_wave[1] < by_wave[2] < by_wave[3]


# ------------------------------------------------------------------ recovery at large n
def test_large_sample_recovers_factor_correlation_and_loading():
    pop = two_factor_population(phi=0.5)
    data = simulate(pop, n=20000, seed=3).data
    r = data[pop.items].corr().to_numpy()
    within_a = r[np.triu_indices(4, 1)].mean()
    within_b = r[4:, 4:][np.triu_indices(4, 1)].mean()
    across = r[:4, 4:].mean()
    # categorization shrinks every correlation by about the same factor; the ratio cancels it
    assert across / np.sqrt(within_a * within_b) == pytest.approx(0.5, abs=0.05)
    triad = np.sqrt(r[0, 1] * r[0, 2] / r[1, 2])  # one-factor identity: loading of a1
    assert triad == pytest.approx(0.8, abs=0.06)
    stronger = two_factor_population(phi=0.8)
    r_strong = simulate(stronger, n=20000, seed=3).data[stronger.items].corr().to_numpy()
    assert r_strong[:4, 4:].mean() > across


# ------------------------------------------------------------------ general populations
def test_several_groups_and_waves_and_custom_column_names():
    pop = two_factor_population(groups={"a": 0.5, "b": 0.25, "c": 0.25}, waves={2019: 0.5, 2020: 0.5},
                                group_shifts={"b": {"f1": 1.0}})
    cb = Codebook("x", [Construct("f1", ["a1", "a2", "a3", "a4"]), Construct("f2", ["b1", "b2", "b3", "b4"])],
                  id_column="rid", group_column="segment", wave_column="year")
    data = simulate(pop, n=400, seed=5, codebook=cb).data
    assert list(data.columns[:3]) == ["rid", "segment", "year"]
    assert data["segment"].value_counts().to_dict() == {"a": 200, "b": 100, "c": 100}
    assert set(data["year"]) == {2019, 2020}
    assert data.loc[data.segment == "b", "a1"].mean() > data.loc[data.segment == "a", "a1"].mean() + 0.4


def test_built_to_fail_populations_can_be_drawn():
    near_one = simulate(two_factor_population(phi=0.99), n=30, seed=1).data
    assert len(near_one) == 30 and near_one.notna().all().all()
    heywoodish = two_factor_population(loadings={("f1", "a1"): 1.0, ("f1", "a2"): 0.95, ("f1", "a3"): 0.3,
                                                 ("f2", "b1"): 0.7, ("f2", "b2"): 0.7, ("f2", "b3"): 0.7})
    assert simulate(heywoodish, n=50, seed=2).data.shape == (50, 9)


def test_mar_missingness_depends_on_the_observed_driver():
    pop = PopulationModel(missing_share=0.3, missing_mechanism="MAR", missing_driver="sat1")
    data = simulate(pop, n=2000, seed=4).data
    items = pop.items
    has_gap = data[items].isna().any(axis=1)
    assert has_gap.mean() == pytest.approx(0.3, abs=0.005)
    assert data["sat1"].notna().all()
    assert data.loc[has_gap, "sat1"].mean() < data.loc[~has_gap, "sat1"].mean() - 0.3


def test_mcar_missingness_does_not_depend_on_answers():
    pop = PopulationModel(missing_share=0.3)
    data = simulate(pop, n=2000, seed=4).data
    has_gap = data[pop.items].isna().any(axis=1)
    assert abs(data.loc[has_gap, "loy1"].mean() - data.loc[~has_gap, "loy1"].mean()) < 0.2


@pytest.mark.parametrize("change, words", [
    (dict(factor_correlations=pd.DataFrame([[1.0, 1.2], [1.2, 1.0]], index=["f1", "f2"], columns=["f1", "f2"])),
     "semi-definite"),
    (dict(loadings={("f1", "a1"): 1.3, ("f1", "a2"): 0.7, ("f2", "b1"): 0.7}), "a1"),
    (dict(paths={("f2", "f1"): 0.5, ("f1", "f2"): 0.5}), "cycle"),
    (dict(thresholds={"a1": (0.0, 1.0)}), "a1"),
    (dict(groups={"A": 1.0}, noninvariant_intercepts={("B", "a1"): 0.5}), "'B'"),
])
def test_inconsistent_populations_are_refused_with_a_reason(change, words):
    with pytest.raises(ValueError, match=words):
        two_factor_population(**change)
