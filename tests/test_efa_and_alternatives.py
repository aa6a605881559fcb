"""The exploratory path and the alternative models offered for collinear dimensions."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

import sqlib
from sqlib import efa, models
from sqlib.survey.simulate import PopulationModel, simulate


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


def efa_path_csv(data: pd.DataFrame, seed) -> dict[str, str]:
    """The report's EFA path (split, parallel analysis, EFA, suggested syntax) as CSV text."""
    cb = sqlib.Codebook.servqual()
    items = [i for d in cb.dimensions for i in cb.items_of(d)]
    rng = seed if isinstance(seed, np.random.Generator) else None
    explore, _ = efa.split_sample(data, seed=rng or seed)
    parallel = efa.parallel_analysis(explore, items, n_iter=30, seed=rng or seed)
    result = efa.efa(explore, items, int(parallel["retain"].sum()), seed=rng or seed, rotation_starts=3)
    return {"split": explore.index.to_series().to_csv(), "parallel": parallel.to_csv(),
            "efa_loadings": result.loading_table().to_csv(), "syntax": efa.efa_syntax(result),
            "factor_correlations": result.factor_correlations.to_csv()}


def test_the_efa_path_is_byte_identical_for_one_seed_and_differs_across_seeds():
    """Issue 14 item 6: two report runs with the same seed give identical efa_loadings tables."""
    data = sqlib.load_sample()
    first, again = efa_path_csv(data, 20260), efa_path_csv(data, 20260)
    assert first == again
    with_generator = efa_path_csv(data, np.random.default_rng(20260))
    assert with_generator == efa_path_csv(data, np.random.default_rng(20260))
    other = efa_path_csv(data, 7)
    assert other["split"] != first["split"] and other["parallel"] != first["parallel"]


def test_the_ml_start_values_come_from_the_seed():
    """statsmodels draws the EM starting loadings at random: the seed decides them."""
    cb = sqlib.Codebook.servqual()
    items = [i for d in cb.dimensions for i in cb.items_of(d)]
    data = sqlib.load_sample()
    runs = [efa.efa(data, items, 5, seed=s).loadings for s in (1, 1, 2)]
    assert runs[0].to_csv() == runs[1].to_csv()
    assert not runs[0].equals(runs[2])  # another start ...
    np.testing.assert_allclose(runs[0], runs[2], atol=1e-3)  # ... the same solution


def test_random_rotation_starts_never_do_worse_than_the_default_start():
    cb = sqlib.Codebook.servqual()
    items = [i for d in cb.dimensions for i in cb.items_of(d)]
    data = sqlib.load_sample()
    one = efa.efa(data, items, 5, seed=4, rotation="varimax")
    many = efa.efa(data, items, 5, seed=4, rotation="varimax", rotation_starts=6)
    criterion = lambda L: -((L ** 4).sum(axis=0) - (L ** 2).sum(axis=0) ** 2 / len(L)).sum()  # noqa: E731
    assert criterion(many.loadings.to_numpy()) <= criterion(one.loadings.to_numpy()) + 1e-9
    with pytest.raises(ValueError, match="rotation_starts > 1 is available for 'oblimin' and 'varimax', not 'promax'"):
        efa.efa(data, items, 5, rotation="promax", rotation_starts=2)
    with pytest.raises(ValueError, match="rotation_starts must be a whole number >= 1, got 0"):
        efa.efa(data, items, 5, rotation_starts=0)


@pytest.mark.parametrize("seed", [1.9, "abc", None, -1, True])
def test_seeds_must_be_integers_or_generators(seed):
    data = sqlib.load_sample()
    with pytest.raises(TypeError, match=f"split_sample: seed must be a non-negative integer or a numpy.random.Generator, got {seed!r}"):
        efa.split_sample(data, seed=seed)
    with pytest.raises(TypeError, match="parallel_analysis: seed must be"):
        efa.parallel_analysis(data, ["tan1", "tan2", "tan3"], seed=seed)
    with pytest.raises(TypeError, match="efa: seed must be"):
        efa.efa(data, ["tan1", "tan2", "tan3"], 1, seed=seed)
