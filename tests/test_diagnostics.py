"""Diagnostics fire on data built to fail and stay quiet on the bundled sample."""

from __future__ import annotations

import numpy as np
import pytest

import sqlib
from sqlib import models
from sqlib.analysis.diagnostics import diagnose, has_severe
from tests.test_sem_behaviour import exact_data


def population(phi: np.ndarray, loading: float = 0.75, per_factor: int = 3, paths=None) -> np.ndarray:
    """Indicator covariance for factors with correlation matrix ``phi``."""
    m = phi.shape[0]
    lam = np.zeros((m * per_factor, m))
    for f in range(m):
        lam[f * per_factor:(f + 1) * per_factor, f] = loading
    return lam @ phi @ lam.T + np.diag(np.full(m * per_factor, 1 - loading**2))


def three_factor_model():
    return "\n".join(f"f{f + 1} =~ " + " + ".join(f"y{3 * f + i + 1}" for i in range(3)) for f in range(3))


def test_quiet_on_the_bundled_sample():
    for syntax in (models.cfa_syntax(), models.structural_syntax()):
        table = sqlib.fit(syntax, sqlib.load_sample()).diagnostics
        assert (table["severity"] == "note").all(), table


def test_latent_correlation_beyond_one_is_not_positive_definite():
    phi = np.array([[1, 1.05, 0.3], [1.05, 1, 0.3], [0.3, 0.3, 1]])
    res = sqlib.fit(three_factor_model(), exact_data(population(phi), n=500))
    table = res.diagnostics
    npd = table[table["check"] == "not positive definite"]
    assert len(npd) == 1 and npd["severity"].iloc[0] == "severe"
    assert "f1" in npd["where"].iloc[0] and "f2" in npd["where"].iloc[0]
    assert "smallest eigenvalue" in npd["message"].iloc[0]
    assert ((table["check"] == "heywood case") & table["where"].str.contains("f1 ~~ f2")).any()
    assert has_severe(table) and res.summary().warnings[0].startswith("SEVERE")


def test_negative_variance_names_the_item():
    r = np.array([[1, .8, .8], [.8, 1, .5], [.8, .5, 1]])
    table = sqlib.fit("f =~ y1 + y2 + y3", exact_data(r)).diagnostics
    row = table[(table["check"] == "heywood case") & (table["where"] == "y1")]
    assert len(row) == 1 and "Negative variance for y1" in row["message"].iloc[0]


def test_collinear_dimensions_are_flagged_with_suppression():
    phi_x = np.array([[1, .97, .5], [.97, 1, .5], [.5, .5, 1]])
    b = np.array([1.2, -0.9, 0.0])  # out = 1.2 f1 - 0.9 f2 + zeta: suppression between near-twins
    phi = np.zeros((4, 4))
    phi[:3, :3] = phi_x
    phi[3, :3] = phi[:3, 3] = phi_x @ b
    phi[3, 3] = b @ phi_x @ b + 0.4
    data = exact_data(population(phi), n=600)
    data.columns = [f"y{i + 1}" for i in range(9)] + ["z1", "z2", "z3"]
    syntax = three_factor_model() + "\nout =~ z1 + z2 + z3\nout ~ f1 + f2 + f3"
    table = diagnose(sqlib.fit(syntax, data), data=data)
    collinear = table[table["check"] == "collinear predictors"]
    assert set(collinear["where"].str.split(" ").str[0]) >= {"f1", "f2"}
    assert (collinear["severity"] == "severe").all()
    beyond = table[table["check"] == "path beyond 1"]
    assert beyond["where"].str.contains("out ~ f1").any()
    validity = table[table["check"] == "discriminant validity"]
    assert (validity["where"] == "f1 & f2").any() and (validity["severity"] == "severe").any()


def test_tiny_sample_is_flagged():
    data = sqlib.load_sample().dropna().head(60)
    table = sqlib.fit(models.cfa_syntax(), data).diagnostics
    size = table[table["check"] == "sample size"]
    assert len(size) == 1 and "60 respondents" in size["message"].iloc[0]


def test_thresholds_can_be_changed():
    res = sqlib.fit(models.cfa_syntax(), sqlib.load_sample())
    table = diagnose(res, limits={"cases_per_parameter": 100})
    assert (table["check"] == "sample size").any()


def test_view_is_red_when_severe():
    r = np.array([[1, .8, .8], [.8, 1, .5], [.8, .5, 1]])
    view = sqlib.diagnostics.show(sqlib.fit("f =~ y1 + y2 + y3", exact_data(r)).diagnostics)
    assert view.severe and "#c00" in view._repr_html_()
    clean = sqlib.diagnostics.show(sqlib.fit(models.cfa_syntax(), sqlib.load_sample()).diagnostics)
    assert not clean.severe and "No problems found" in clean._repr_html_()


@pytest.mark.parametrize("case, warning, check", [
    ("fail_heywood", "negative", "heywood case"),
    ("fail_npd", "not positive definite", "not positive definite"),
])
def test_diagnostics_fire_where_lavaan_warns(case, warning, check):
    """lavaan's own warnings on the same data (fixtures from make_refs.R) are the reference."""
    import json

    import pandas as pd

    from sqlib import config

    fixture = json.loads((config.FIXTURES_DIR / f"{case}.json").read_text())
    assert any(warning in w for w in fixture["warnings"]), fixture["warnings"]
    result = sqlib.fit(fixture["model"], pd.read_csv(config.PROJECT_ROOT / fixture["data"]))
    table = result.diagnostics
    assert ((table["check"] == check) & (table["severity"] == "severe")).any(), table


def collinear_drivers_of_one_item():
    """Three factors (f1, f2 correlate .97) and one observed outcome ``sat`` = 1.5 f1 - 1.2 f2 + error.

    The standardized paths are about 2.1 and -1.7: suppression between near-twin predictors.
    """
    phi_x = np.array([[1, .97, .5], [.97, 1, .5], [.5, .5, 1]])
    b = np.array([1.5, -1.2, 0.0])
    lam = np.zeros((10, 4))
    for f in range(3):
        lam[3 * f:3 * f + 3, f] = 0.75
    lam[9, 3] = 1.0  # sat is itself the outcome
    phi = np.zeros((4, 4))
    phi[:3, :3] = phi_x
    phi[3, :3] = phi[:3, 3] = phi_x @ b
    phi[3, 3] = b @ phi_x @ b + 0.3
    cov = lam @ phi @ lam.T + np.diag([1 - 0.75**2] * 9 + [0.0])
    data = exact_data(cov, n=600, seed=4)
    data.columns = [f"y{i + 1}" for i in range(9)] + ["sat"]
    return data, three_factor_model() + "\nsat ~ f1 + f2 + f3"


def test_observed_outcome_gets_the_same_guard_rails_as_a_latent_one():
    data, syntax = collinear_drivers_of_one_item()
    res = sqlib.fit(syntax, data)
    assert "sat" in res.observed
    table = res.diagnostics
    beyond = table[table["check"] == "path beyond 1"]
    assert set(beyond["where"]) == {"sat ~ f1", "sat ~ f2"}
    assert (beyond["severity"] == "severe").all()
    assert beyond["message"].str.contains("observed outcome").all()
    collinear = table[(table["check"] == "collinear predictors") & (table["severity"] == "severe")]
    assert set(collinear["where"]) >= {"f1 -> sat", "f2 -> sat"}
    assert not (collinear["where"] == "f3 -> sat").any()


REALDATA = sqlib.config.PROJECT_ROOT.parent / "shared" / "realdata"
CORP_REP_MEASUREMENT = """comp =~ comp_1 + comp_2 + comp_3
like =~ like_1 + like_2 + like_3
qual =~ qual_1 + qual_2 + qual_3 + qual_4 + qual_5 + qual_6 + qual_7 + qual_8
perf =~ perf_1 + perf_2 + perf_3 + perf_4 + perf_5
csor =~ csor_1 + csor_2 + csor_3 + csor_4 + csor_5
attr =~ attr_1 + attr_2 + attr_3
cusl =~ cusl_1 + cusl_2 + cusl_3"""


@pytest.mark.skipif(not (REALDATA / "corp_rep_data.csv").exists(),
                    reason="the real surveys are not here (../shared/realdata/corp_rep_data.csv is absent)")
def test_single_item_satisfaction_of_the_corporate_reputation_survey_is_flagged():
    """cusa (one item) on four collinear reputation drivers: the fit converges and every path beyond 1 is severe."""
    import pandas as pd

    data = pd.read_csv(REALDATA / "corp_rep_data.csv").replace(-99, np.nan)
    res = sqlib.fit(CORP_REP_MEASUREMENT + "\ncusa ~ qual + perf + csor + attr", data)
    assert res.converged
    paths = res.estimates.query("op == '~'").set_index("rhs")["std_all"]
    table = res.diagnostics
    beyond = table[table["check"] == "path beyond 1"]
    assert set(beyond["where"]) == {f"cusa ~ {p}" for p in paths.index[paths.abs() > 1]}
    assert len(beyond) >= 3 and (beyond["severity"] == "severe").all()
    collinear = table[(table["check"] == "collinear predictors") & (table["severity"] == "severe")]
    assert {"perf -> cusa", "attr -> cusa"} <= set(collinear["where"])


def test_notes_of_one_kind_are_shown_as_one_row():
    import pandas as pd

    from sqlib.analysis.diagnostics import condensed, show

    rows = [{"check": "ceiling effect", "severity": "note", "where": f"q{i}", "message": f"20% of answers to q{i}",
             "suggestion": "prefer MLR"} for i in range(17)]
    rows.append({"check": "heywood case", "severity": "severe", "where": "f =~ q1", "message": "negative", "suggestion": ""})
    table = condensed(pd.DataFrame(rows))
    assert list(table["check"]) == ["heywood case", "ceiling effect"]
    assert table.iloc[1]["where"] == "17 items"
    assert table.iloc[1]["message"].startswith("Ceiling effects in 17 items: q0, q1, q2")
    assert "17 items" in show(pd.DataFrame(rows))._repr_html_()


def test_ceiling_notes_use_each_items_own_scale():
    import numpy as np
    import pandas as pd

    from sqlib.survey.codebook import Codebook

    cb = Codebook.from_dict({"constructs": {"a": {"items": ["a1", "a2", "a3"], "scale": {"min": 0, "max": 10}}}})
    rng = np.random.default_rng(2)
    f = rng.normal(size=300)
    data = pd.DataFrame({f"a{i}": np.clip(np.round(9 + 2 * f + rng.normal(size=300)), 0, 10) for i in (1, 2, 3)})
    result = sqlib.fit("a =~ a1 + a2 + a3", data)
    notes = sqlib.diagnostics.diagnose(result, data=data, codebook=cb)
    ceiling = notes[notes["check"] == "ceiling effect"]
    assert len(ceiling) and ceiling["message"].str.contains(r"ceiling \(10\)").all()
    lower = data.clip(upper=9)
    refit = sqlib.fit("a =~ a1 + a2 + a3", lower)
    notes = sqlib.diagnostics.diagnose(refit, data=lower, codebook=cb)
    assert not (notes["check"] == "ceiling effect").any()   # 9 is not the top of a 0-10 scale
