"""fit is a short pipeline over recipes: options are validated before the data are read,
unsupported combinations name the closest supported one, and a result is built once."""

from __future__ import annotations

import dataclasses
import inspect

import numpy as np
import pandas as pd
import pytest

import sqlib
from sqlib.core.errors import ModelSpecificationError
from sqlib.sem import pipeline, recipes
from sqlib.sem.options import resolve_options

MODEL = "f =~ x1 + x2 + x3"


@pytest.fixture(scope="module")
def unreadable():
    """Data that would fail every data check: text in every cell."""
    return pd.DataFrame({"x1": ["a"] * 5, "x2": ["b"] * 5, "x3": ["c"] * 5, "g": list("aabbb")})


@pytest.mark.parametrize("options, message", [
    ({"se": "jackknife"}, "se='jackknife' is not available"),
    ({"estimator": "GLS"}, "estimator='GLS' is not available"),
    ({"estimator": "ULSMV"}, "use 'WLSMV'"),
    ({"missing": "mean"}, "missing='mean' is not available"),
    ({"group": "country"}, "group column 'country' is not in the data"),
    ({"ordered": ["x9"]}, "not in the model: x9"),
    ({"missing": "fiml", "meanstructure": False}, "FIML needs a mean structure"),
])
def test_options_are_refused_before_the_data_are_read(unreadable, options, message):
    with pytest.raises(ModelSpecificationError, match=message):
        sqlib.fit(MODEL, unreadable, **options)


@pytest.mark.parametrize("options, closest", [
    ({"ordered": True, "missing": "fiml"}, "WLSMV with missing='pairwise'"),
    ({"ordered": ["x1"], "missing": "fiml"}, "WLSMV with missing='pairwise'"),
    ({"ordered": ["x1"], "estimator": "MLR"}, "need estimator='WLSMV'"),
    ({"ordered": True, "estimator": "ML"}, "need estimator='WLSMV'"),
    ({"estimator": "WLSMV"}, "pass ordered=True"),
    ({"missing": "pairwise"}, "use missing='fiml'"),
    ({"ordered": True, "group": "g", "missing": "pairwise"}, "Multi-group WLSMV is available for ordinal items with missing='listwise'"),
])
def test_unsupported_combinations_name_the_closest_supported_one(unreadable, options, closest):
    with pytest.raises(ModelSpecificationError, match=closest):
        sqlib.fit(MODEL, unreadable, **options)


def test_every_supported_combination_has_a_recipe_and_fits():
    data = sqlib.load_sample()
    for (estimator, missing, kind), recipe in recipes.RECIPES.items():
        ordered = {"ordinal": True, "mixed": ["sat1"]}.get(kind)
        frame = data.copy()
        if missing in ("fiml", "pairwise"):
            frame.loc[frame.index[::7], "sat1"] = np.nan
        res = sqlib.fit("s =~ sat1 + sat2 + sat3", frame, estimator=estimator, missing=missing, ordered=ordered)
        assert res.estimator == recipe.name and res.converged
        assert res.missing == missing


def test_fit_is_a_short_pipeline():
    body = inspect.getsource(pipeline.fit).split('"""')[-1]
    assert len([line for line in body.splitlines() if line.strip()]) <= 15
    assert "estimator ==" not in body and "fiml" not in body


def test_a_result_is_built_once():
    res = sqlib.fit(MODEL.replace("x", "sat"), sqlib.load_sample())
    with pytest.raises(dataclasses.FrozenInstanceError):
        res.estimates = None
    boot = res.bootstrap(20, seed=1, progress=False)
    with_boot = res.use_bootstrap(boot)
    assert with_boot is not res and res.boot is None and with_boot.boot is boot
    assert not with_boot.estimates["se"].equals(res.estimates["se"])


def test_resolved_options_fill_defaults():
    frame = sqlib.load_sample()
    assert resolve_options(MODEL.replace("x", "sat"), frame, ordered=True).estimator == "WLSMV"
    assert resolve_options(MODEL.replace("x", "sat"), frame, missing="ml").missing == "fiml"
    assert resolve_options(MODEL.replace("x", "sat"), frame, ordered=["sat1"]).kind == "mixed"
