"""sqlib against semopy: an independent second implementation of complete-data ML.

semopy (a pinned dependency) fits the same models with its own parser, model matrices,
objective and optimizer, so agreement on several models is evidence beyond lavaan's
fixtures. Each model is fitted by ``sqlib.fit`` (public API only) and by
``semopy.Model(...).fit`` on the same complete cases, and the tests compare:

- free parameters and estimates (rtol 1e-4), and standard errors: semopy's
  ``inspect(information="expected")`` is lavaan's default ML standard error, and
  ``inspect(information="observed", se_robust=True)`` is lavaan's MLR (observed-information
  sandwich) standard error;
- chi-square, its p-value, df, baseline chi-square, CFI and TLI, which semopy computes as
  lavaan does (chi-square = N * F_ML with the biased, divide-by-N sample covariance).

Known differences from lavaan (and so from sqlib), each pinned by a test below:

- semopy's default optimizer stops early: SLSQP with scipy's ftol = 1e-6 leaves estimates
  up to 0.5% (relative) away from the optimum (measured 2026-11-29: 4.9e-3 on PoliticalDemocracy,
  2.2e-3 on the SERVQUAL SEM, chi-square 0.0008 too large), and on the flat likelihood of the
  ECSI SEM it reports success with satisfaction ~ expectation at -1.21 instead of 0.82
  (benchmarks/bench_semopy.py prints these gaps). The tests fit semopy with
  ``options={"ftol": 1e-12}``.
- RMSEA divides by N - 1 (lavaan: N for normal-theory ML), so semopy's RMSEA is lavaan's
  times sqrt(N / (N - 1)).
- "LogLik" is not a log-likelihood: it is the ML discrepancy F_ML = chi-square / N
  = 2 (logl_H1 - logl) / N, and AIC = 2 k - 2 F_ML, BIC = k ln N - 2 F_ML (k free
  parameters). lavaan's AIC = -2 logl + 2 k, BIC = -2 logl + k ln N. The fit enters semopy's
  criteria with the opposite sign and almost no weight, so they are not comparable with
  lavaan's, and semopy's AIC = lavaan's AIC + 2 logl - 2 F_ML.
- GFI is Bentler-Bonett's NFI (1 - chi-square / baseline chi-square), not Joreskog's GFI that
  lavaan reports; AGFI is derived from it with the baseline df.
- No SRMR (nor its confidence interval, nor robust, scaled fit measures).
- Fitting with missing answers, semopy's ML uses a pairwise-complete covariance matrix
  (numpy masked arrays); here both get the listwise-complete rows, lavaan's default.
"""

from __future__ import annotations

import logging
import math
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import semopy

import sqlib

FIXTURE_DATA = Path(__file__).resolve().parent / "fixtures" / "data"
# The real surveys live beside the project, as in tests/test_real_surveys.py.
REALDATA = Path(__file__).resolve().parents[2] / "shared" / "realdata"

# Estimates and standard errors: semopy's and sqlib's optimizers stop at different points of
# a flat optimum. Measured 2026-11-29 with ftol = 1e-12: at most 2.2e-5 relative on the ECSI
# SEM (nearly collinear paths: value ~ expectation + quality, loyalty ~ image + satisfaction),
# at most 3e-6 on the other models; 1e-4 leaves a margin of 4.5 on the worst model.
# atol 1e-6 only matters for values below 0.01, where a relative tolerance means nothing.
EST_RTOL, EST_ATOL = 1e-4, 1e-6
# Statistics computed from the minimum of the fit function (chi-square, CFI, ...): the minimum
# is flat, so the distance between the two optima enters squared. Measured 2026-11-29:
# chi-square 4e-12 relative, CFI/TLI 5e-8 (semopy fits the baseline model with its default
# optimizer settings); 1e-6 leaves a margin of 20.
STAT_RTOL = 1e-6

HS_CFA = """visual =~ x1 + x2 + x3
textual =~ x4 + x5 + x6
speed =~ x7 + x8 + x9"""

POLDEM_SEM = """ind60 =~ x1 + x2 + x3
dem60 =~ y1 + y2 + y3 + y4
dem65 =~ y5 + y6 + y7 + y8
dem60 ~ a*ind60
dem65 ~ c*ind60 + b*dem60
y1 ~~ y5
y2 ~~ y4 + y6
y3 ~~ y7
y4 ~~ y8
y6 ~~ y8
indirect := a*b
total := c + a*b"""

# The ECSI model of examples/ecsi_mobi (codebook and params.yaml); complaints is the single
# item CUSCO, an observed variable that is predicted and predicts.
ECSI_SEM = """image =~ IMAG1 + IMAG2 + IMAG3 + IMAG4 + IMAG5
expectation =~ CUEX1 + CUEX2 + CUEX3
quality =~ PERQ1 + PERQ2 + PERQ3 + PERQ4 + PERQ5 + PERQ6 + PERQ7
value =~ PERV1 + PERV2
satisfaction =~ CUSA1 + CUSA2 + CUSA3
loyalty =~ CUSL1 + CUSL2 + CUSL3
expectation ~ image
quality ~ expectation
value ~ expectation + quality
satisfaction ~ image + expectation + quality + value
CUSCO ~ satisfaction
loyalty ~ image + satisfaction + CUSCO"""


def servqual(syntax):
    return lambda: (syntax(), sqlib.load_sample())


def csv_case(model: str, path: Path):
    def load():
        if not path.is_file():
            pytest.skip(f"real survey not found: {path} (shared/realdata beside the project)")
        return model, pd.read_csv(path)
    return load


CASES = {
    "servqual_cfa": servqual(lambda: sqlib.models.cfa_syntax()),
    "servqual_sem": servqual(lambda: sqlib.models.structural_syntax()),
    "hs_cfa": csv_case(HS_CFA, FIXTURE_DATA / "hs1939.csv"),
    "poldem_sem": csv_case(POLDEM_SEM, FIXTURE_DATA / "poldem.csv"),
    "ecsi_sem": csv_case(ECSI_SEM, REALDATA / "mobi.csv"),
}


def semopy_syntax(model: str) -> str:
    """The lavaan syntax without defined parameters (':=') and labels ('a*x'), which semopy lacks."""
    lines = [line for line in model.splitlines() if line.strip() and ":=" not in line]
    return "\n".join(re.sub(r"\b[A-Za-z_]\w*\*", "", line) for line in lines)


def loadings_of(model: str) -> set[tuple[str, str]]:
    """(factor, indicator) pairs of the '=~' statements."""
    pairs = set()
    for line in model.splitlines():
        if "=~" in line:
            factor, items = line.split("=~")
            pairs |= {(factor.strip(), item.strip()) for item in items.split("+")}
    return pairs


def lavaan_keys(table: pd.DataFrame, lhs: str, op: str, rhs: str, loadings: set) -> pd.Index:
    """'lhs op rhs' as lavaan writes it; covariances with their two names sorted."""
    keys = []
    for left, o, right in zip(table[lhs], table[op], table[rhs]):
        if o == "~" and (right, left) in loadings:  # semopy writes a loading as 'item ~ factor'
            left, o, right = right, "=~", left
        if o == "~~":
            left, right = sorted((left, right))
        keys.append(f"{left} {o} {right}")
    return pd.Index(keys)


@dataclass
class Pair:
    model: str
    result: object          # sqlib's SEMResult
    semopy: semopy.Model
    stats: pd.Series        # semopy.calc_stats
    data: pd.DataFrame      # the complete cases both were fitted on

    @property
    def n(self) -> int:
        return len(self.data)

    def semopy_estimates(self, **inspect_options) -> pd.DataFrame:
        table = self.semopy.inspect(**inspect_options)
        table = table[table["Std. Err"] != "-"]  # fixed parameters
        out = pd.DataFrame({"est": table["Estimate"].astype(float).to_numpy(),
                            "se": table["Std. Err"].astype(float).to_numpy()})
        out.index = lavaan_keys(table, "lval", "op", "rval", loadings_of(self.model))
        return out

    def sqlib_estimates(self, result=None) -> pd.DataFrame:
        table = (result or self.result).estimates
        table = table[table["op"].isin(["=~", "~", "~~"]) & (table["se"] > 0)]  # free parameters
        out = table[["est", "se"]].copy()
        out.index = lavaan_keys(table, "lhs", "op", "rhs", loadings_of(self.model))
        return out


def fit_semopy(model: str, data: pd.DataFrame) -> semopy.Model:
    fitted = semopy.Model(semopy_syntax(model))
    logging.disable(logging.WARNING)  # semopy logs through the root logger
    try:
        fitted.fit(data, obj="MLW", solver="SLSQP", options={"ftol": 1e-12})
    finally:
        logging.disable(logging.NOTSET)
    return fitted


@pytest.fixture(scope="module", params=list(CASES))
def pair(request) -> Pair:
    model, data = CASES[request.param]()
    result = sqlib.fit(model, data)
    observed = [c for c in data.columns if c in set(re.findall(r"\w+", model))]
    complete = data[observed].dropna()
    assert len(complete) == result.fit_measures["ntotal"]
    fitted = fit_semopy(model, complete)
    return Pair(model, result, fitted, semopy.calc_stats(fitted).iloc[0], complete)


def aligned(ours: pd.DataFrame, theirs: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    assert set(ours.index) == set(theirs.index), (set(ours.index) ^ set(theirs.index))
    return ours.sort_index(), theirs.sort_index()


def test_both_fit_the_same_free_parameters(pair):
    ours, theirs = aligned(pair.sqlib_estimates(), pair.semopy_estimates())
    assert len(ours) == len(pair.semopy.param_vals) == pair.result.fit_measures["npar"]
    assert pair.stats["DoF"] == pair.result.fit_measures["df"]


def test_estimates_agree(pair):
    ours, theirs = aligned(pair.sqlib_estimates(), pair.semopy_estimates())
    np.testing.assert_allclose(theirs["est"], ours["est"], rtol=EST_RTOL, atol=EST_ATOL)


def test_ml_standard_errors_are_semopys_expected_information(pair):
    ours, theirs = aligned(pair.sqlib_estimates(), pair.semopy_estimates(information="expected"))
    np.testing.assert_allclose(theirs["se"], ours["se"], rtol=EST_RTOL, atol=EST_ATOL)


# semopy's observed information is a numerical Hessian (numdifftools): 15-40 s on the
# 29-item SERVQUAL models, 1-3 s on these two. Its robust standard errors with the expected
# information (the default of se_robust) differ from lavaan's MLR: by up to 50% on
# Holzinger-Swineford and 14% on PoliticalDemocracy (measured 2026-11-29).
@pytest.mark.parametrize("pair", ["hs_cfa", "poldem_sem"], indirect=True)
def test_mlr_standard_errors_are_semopys_robust_observed_information(pair):
    mlr = sqlib.fit(pair.model, pair.data, estimator="MLR")
    ours, theirs = aligned(pair.sqlib_estimates(mlr),
                           pair.semopy_estimates(information="observed", se_robust=True))
    np.testing.assert_allclose(theirs["se"], ours["se"], rtol=EST_RTOL, atol=EST_ATOL)
    expected = pair.semopy_estimates(information="expected", se_robust=True).sort_index()
    assert not np.allclose(expected["se"], ours["se"], rtol=1e-2)  # the sandwich needs the observed information


def test_chisquare_df_and_incremental_fit_agree(pair):
    fm, st = pair.result.fit_measures, pair.stats
    assert st["DoF"] == fm["df"] and st["DoF Baseline"] == fm["baseline_df"]
    np.testing.assert_allclose(st["chi2"], fm["chisq"], rtol=STAT_RTOL)
    np.testing.assert_allclose(st["chi2 Baseline"], fm["baseline_chisq"], rtol=STAT_RTOL)
    np.testing.assert_allclose(st["chi2 p-value"], fm["pvalue"], rtol=1e-4, atol=1e-10)
    np.testing.assert_allclose([st["CFI"], st["TLI"], st["NFI"]], [fm["cfi"], fm["tli"], fm["nfi"]],
                               rtol=STAT_RTOL)


def test_semopy_rmsea_divides_by_n_minus_one(pair):
    fm, n = pair.result.fit_measures, pair.n
    assert fm["rmsea"] > 0
    np.testing.assert_allclose(pair.stats["RMSEA"], fm["rmsea"] * math.sqrt(n / (n - 1)), rtol=STAT_RTOL)
    assert not np.isclose(pair.stats["RMSEA"], fm["rmsea"], rtol=1e-4)  # the N - 1 shows


def on_semopy_scale(fit_measures: pd.Series) -> dict[str, float]:
    """semopy's LogLik, AIC and BIC from lavaan's (sqlib's) fit measures."""
    n, k = fit_measures["ntotal"], fit_measures["npar"]
    f_ml = 2 * (fit_measures["unrestricted_logl"] - fit_measures["logl"]) / n  # = chisq / n
    return {"LogLik": f_ml, "AIC": 2 * k - 2 * f_ml, "BIC": k * math.log(n) - 2 * f_ml}


def test_semopy_loglik_aic_bic_are_the_ml_discrepancy(pair):
    fm = pair.result.fit_measures
    expected = on_semopy_scale(fm)
    for name, value in expected.items():
        np.testing.assert_allclose(pair.stats[name], value, rtol=STAT_RTOL, err_msg=name)
    np.testing.assert_allclose(expected["LogLik"], fm["chisq"] / fm["ntotal"], rtol=1e-9)
    np.testing.assert_allclose(pair.stats["AIC"], fm["aic"] + 2 * fm["logl"] - 2 * expected["LogLik"],
                               rtol=STAT_RTOL)


def test_semopy_gfi_is_nfi_and_there_is_no_srmr(pair):
    fm, st = pair.result.fit_measures, pair.stats
    np.testing.assert_allclose(st["GFI"], fm["nfi"], rtol=STAT_RTOL)
    np.testing.assert_allclose(st["AGFI"], 1 - fm["baseline_df"] / fm["df"] * (1 - fm["nfi"]), rtol=STAT_RTOL)
    assert not np.isclose(st["GFI"], fm["gfi"], rtol=1e-3)  # lavaan's (Joreskog's) GFI differs
    assert "srmr" in fm and not any("srmr" in name.lower() for name in st.index)
