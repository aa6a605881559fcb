"""Structural paths held equal across groups (``group_equal=["loadings", "regressions"]``) against lavaan.

The fixtures ``gp_metric`` and ``gp_equal_paths`` (tests/reference/make_refs_group_paths.R) are fitted
by the generic comparisons of tests/test_sem_lavaan.py; this file adds what those do not see: the
paths really are one parameter across the groups, and the chi-square difference test of equal paths
(R: ``lavTestLRT(metric, equal_paths)``) that notebook T7 reads.
"""

from __future__ import annotations

import json

import pandas as pd
import pytest

import sqlib
from sqlib import config

MODEL_CASES = ("gp_metric", "gp_equal_paths")


@pytest.fixture(scope="module")
def fits():
    cases = {name: json.loads((config.FIXTURES_DIR / f"{name}.json").read_text()) for name in MODEL_CASES}
    data = pd.read_csv(config.PROJECT_ROOT / cases["gp_metric"]["data"])
    metric = sqlib.fit(cases["gp_metric"]["model"], data, group="country", group_equal=["loadings"])
    equal = sqlib.fit(cases["gp_equal_paths"]["model"], data, group="country",
                      group_equal=["loadings", "regressions"])
    return cases, metric, equal


def test_equal_paths_are_one_parameter_with_lavaans_value(fits):
    cases, metric, equal = fits
    ours = equal.estimates.query("op == '~'")
    reference = [row for row in cases["gp_equal_paths"]["estimates"] if row["op"] == "~"]
    assert len(ours) == len(reference) == len(equal.group_levels) == 3
    assert ours["est"].nunique() == 1 and ours["est"].iloc[0] == pytest.approx(reference[0]["est"], abs=1e-4)
    assert ours["se"].to_numpy() == pytest.approx([row["se"] for row in reference], abs=1e-4)
    assert ours["std_all"].to_numpy() == pytest.approx([row["std_all"] for row in reference], abs=1e-4)
    assert metric.estimates.query("op == '~'")["est"].nunique() == 3, "the metric model leaves the paths free"


def test_the_equal_paths_test_matches_lavtestlrt(fits):
    cases, metric, equal = fits
    difftest = cases["gp_equal_paths"]["difftest"]
    table = sqlib.compare(metric, equal)
    assert table["chisq"].to_numpy() == pytest.approx(difftest["chisq"], abs=1e-4)
    assert table["delta_df"].iloc[1] == difftest["delta_df"] == 2
    assert table["delta_chisq"].iloc[1] == pytest.approx(difftest["delta_chisq"], abs=1e-4)
    assert table["delta_pvalue"].iloc[1] == pytest.approx(difftest["delta_pvalue"], abs=1e-5)
