"""The exploratory path and the alternative models offered for collinear dimensions."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

import sqlib
from sqlib import efa, models
from sqlib.simulate import PopulationModel, simulate


def collinear_population(r: float = 0.97) -> PopulationModel:
    """The default population with reliability and responsiveness nearly identical."""
    pop = PopulationModel()
    fc = pop.factor_correlations.copy()
    fc.loc["reliability", "responsiveness"] = fc.loc["responsiveness", "reliability"] = r
    values, vectors = np.linalg.eigh(fc.to_numpy())
    fixed = vectors @ np.diag(np.clip(values, 1e-3, None)) @ vectors.T
    sd = np.sqrt(np.diag(fixed))
    fc = pd.DataFrame(fixed / np.outer(sd, sd), index=fc.index, columns=fc.columns)
    return dataclasses.replace(pop, factor_correlations=fc)


@pytest.fixture(scope="module")
def collinear_data():
    return simulate(collinear_population(), n=900, seed=5).data


def test_split_is_reproducible_and_disjoint():
    data = sqlib.load_sample()
    a1, b1 = efa.split_sample(data, seed=3)
    a2, _ = efa.split_sample(data, seed=3)
    assert a1.index.equals(a2.index) and not set(a1.index) & set(b1.index)
    assert len(a1) + len(b1) == len(data)


def test_efa_recovers_the_five_dimensions():
    cb = sqlib.Codebook.servqual()
    items = [i for d in cb.dimensions for i in cb.items_of(d)]
    explore, confirm = efa.split_sample(sqlib.load_sample(), seed=1)
    pa = efa.parallel_analysis(explore, items, seed=1)
    assert int(pa["retain"].sum()) == 5
    result = efa.efa(explore, items, 5)
    table = result.loading_table()
    # every dimension's items share one primary factor, and no two dimensions share one
    primaries = {d: set(table.loc[cb.items_of(d), "primary"]) for d in cb.dimensions}
    assert all(len(p) == 1 for p in primaries.values())
    assert len(set.union(*primaries.values())) == 5
    assert not table["cross_loading"].any()
    syntax = efa.efa_syntax(result)
    assert len([line for line in syntax.splitlines() if "=~" in line]) == 5
    assert sqlib.fit(syntax, confirm).fit_measures["cfi"] > 0.95


def test_merge_constructs_pools_items():
    cb = models.merge_constructs(sqlib.Codebook.servqual(), ["reliability", "responsiveness"])
    assert cb.items_of("reliability_responsiveness")[-1] == "res4"
    assert "responsiveness" not in cb.construct_names
    with pytest.raises(ValueError, match="unknown"):
        models.merge_constructs(sqlib.Codebook.servqual(), ["reliability", "speed"])
