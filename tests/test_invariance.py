"""Invariance workflow on the bundled sample, whose simulation plants one
non-invariant item: the intercept of res3 is shifted in country FR."""

from __future__ import annotations

import pytest

import sqlib
from sqlib import models
from sqlib.analysis.invariance import latent_means, locate_noninvariance


@pytest.fixture(scope="module")
def sample():
    return sqlib.load_sample()


@pytest.fixture(scope="module")
def sequence(sample):
    return sqlib.invariance(models.cfa_syntax(), sample, group="country")


def test_sequence_is_nested_and_ordered(sequence):
    table = sequence.table
    assert list(table["level"]) == ["configural", "metric", "scalar", "strict"]
    assert table["df"].is_monotonic_increasing and table["chisq"].is_monotonic_increasing
    assert (table["delta_df"].iloc[1:] == table["df"].diff().iloc[1:]).all()
    assert sequence.fits["scalar"].spec.ngroups == 3


def test_verdict_follows_the_cutoffs(sample, sequence):
    strict = sqlib.invariance(models.cfa_syntax(), sample, group="country", levels=("configural", "metric", "scalar"),
                              cutoffs={"delta_cfi": -0.001, "delta_rmsea": 0.001})
    scalar = strict.table.set_index("level").loc["scalar"]
    assert scalar["delta_cfi"] <= -0.001 and scalar["delta_rmsea"] >= 0.001
    assert scalar["verdict"] == "not supported" and strict.highest_level == "metric"


def test_seeded_noninvariant_item_is_found(sample):
    found = locate_noninvariance(models.cfa_syntax(), sample, group="country")
    assert found["partial"][0] == "res3~1"
    first = found["freed"].iloc[0]
    assert first["deviating_group"] == "FR"


def test_latent_means_are_relative_to_reference_group(sample):
    found = locate_noninvariance(models.cfa_syntax(), sample, group="country")
    means = latent_means(found["result"])
    assert set(means["group_label"]) == {"NL", "NO"}
    assert len(means) == 2 * len(models.cfa_syntax().splitlines())
    assert ((means["ci_lower"] < means["mean_diff"]) & (means["mean_diff"] < means["ci_upper"])).all()


def test_mlr_sequence_uses_scaled_differences(sample):
    seq = sqlib.invariance(models.cfa_syntax(), sample, group="country", levels=("configural", "metric"),
                           estimator="MLR")
    metric = seq.table.iloc[1]
    plain = seq.fits["metric"].fit_measures["chisq"] - seq.fits["configural"].fit_measures["chisq"]
    assert metric["delta_chisq"] != pytest.approx(plain)
    assert metric["delta_chisq"] > 0
