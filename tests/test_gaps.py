"""Gap scores (P - E) and the SERVPERF vs SERVQUAL comparison."""

from __future__ import annotations

import numpy as np
import pytest

import sqlib
from sqlib import models
from sqlib.analysis.gaps import gap_codebook, gap_scores


def test_gap_columns_are_perception_minus_expectation():
    data = sqlib.load_sample()
    gaps = gap_scores(data)
    assert np.allclose(gaps["gap_rel3"], data["rel3"] - data["e_rel3"], equal_nan=True)
    assert len([c for c in gaps if c.startswith("gap_")]) == 22
    assert list(data.columns) == list(gaps.columns[: data.shape[1]])  # input columns untouched
    assert "gap_rel3" not in data


def test_gap_codebook_keeps_outcomes_and_renames_dimension_items():
    cb = gap_codebook(sqlib.Codebook.servqual())
    assert cb.items_of("empathy") == [f"gap_emp{i}" for i in range(1, 6)]
    assert cb.items_of("loyalty") == ["loy1", "loy2", "loy3", "loy4"]


def test_missing_expectation_columns_are_named():
    data = sqlib.load_sample().drop(columns=["e_tan2"])
    with pytest.raises(ValueError, match="e_tan2"):
        gap_scores(data)


def test_servperf_explains_satisfaction_better_on_the_bundled_sample():
    """The sample's satisfaction is generated from perceptions, so SERVPERF must win."""
    cb = sqlib.Codebook.servqual()
    data = gap_scores(sqlib.load_sample()).dropna(subset=cb.items + cb.expectation_items)
    perf = sqlib.fit(models.structural_syntax(cb), data)
    gaps = sqlib.fit(models.structural_syntax(gap_codebook(cb)), data)
    assert perf.ntotal == gaps.ntotal
    assert perf.r2["satisfaction"] > gaps.r2["satisfaction"]
