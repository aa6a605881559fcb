"""Speed of sqlib.fit against semopy (and lavaan, when Rscript is present) on the same models.

The models of tests/test_semopy_crosscheck.py: the bundled SERVQUAL CFA and structural model,
Holzinger-Swineford's 3-factor CFA, the PoliticalDemocracy SEM and, when ../shared/realdata
is present, the ECSI SEM on mobi.csv. Every program gets the same complete cases.

Timed per fit (median of --reps after one warm-up):
- sqlib: ``sqlib.fit`` -- estimates, SEs, standardized solution, every lavaan fit measure;
- semopy: ``Model.fit`` + ``inspect()`` (estimates, expected-information SEs) +
  ``calc_stats()`` (fit indices, with a fit of the baseline model), with semopy's default
  optimizer settings and with ``options={"ftol": 1e-12}``, the precision the cross-check needs;
- lavaan: ``sem()`` + ``fitMeasures()`` + ``parameterEstimates()``.

"est. gap" is the largest relative difference between semopy's estimates with its default
settings and sqlib's. Prints the ratios sqlib/semopy (matched precision) and sqlib/lavaan.

BLAS runs single-threaded unless OPENBLAS_NUM_THREADS / OMP_NUM_THREADS say otherwise: R's
lavaan uses the reference BLAS (one thread), and on a loaded 2-core machine a second OpenBLAS
thread makes these small-matrix fits several times slower (measured 2026-11-29, load
average 5: sqlib's SERVQUAL CFA 0.82 s with 2 threads, 0.068 s with 1).

Usage: python benchmarks/bench_semopy.py [--reps 5]
"""

from __future__ import annotations

import os

for _variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS"):
    os.environ.setdefault(_variable, "1")  # before numpy is imported

import argparse
import datetime
import logging
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import semopy

import sqlib

from _lavaan import lavaan_seconds

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from tests.test_semopy_crosscheck import CASES, loadings_of, lavaan_keys, semopy_syntax  # noqa: E402

LAVAAN_BODY = "f <- sem(model, data = data); fitMeasures(f); parameterEstimates(f)"
MATCHED = {"ftol": 1e-12}


def median_seconds(run, reps: int) -> float:
    run()  # warm-up
    times = []
    for _ in range(reps):
        t0 = time.perf_counter()
        run()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def semopy_run(model: str, data: pd.DataFrame, options: dict | None) -> semopy.Model:
    fitted = semopy.Model(semopy_syntax(model))
    fitted.fit(data, obj="MLW", solver="SLSQP", options=dict(options) if options else None)
    fitted.inspect()
    semopy.calc_stats(fitted)
    return fitted


def estimate_gap(model: str, result, fitted: semopy.Model) -> float:
    """Largest relative difference between the free estimates of semopy and sqlib."""
    loadings = loadings_of(model)
    theirs = fitted.inspect()
    theirs = theirs[theirs["Std. Err"] != "-"]
    theirs = pd.Series(theirs["Estimate"].astype(float).to_numpy(),
                       index=lavaan_keys(theirs, "lval", "op", "rval", loadings))
    ours = result.estimates[result.estimates["op"].isin(["=~", "~", "~~"]) & (result.estimates["se"] > 0)]
    ours = pd.Series(ours["est"].to_numpy(), index=lavaan_keys(ours, "lhs", "op", "rhs", loadings))
    ours = ours.reindex(theirs.index)
    return float(np.max(np.abs(theirs - ours) / np.abs(ours)))


def complete_cases(model: str, data: pd.DataFrame) -> pd.DataFrame:
    names = set(re.findall(r"\w+", model))
    return data[[c for c in data.columns if c in names]].dropna().reset_index(drop=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=5)
    args = parser.parse_args()
    logging.disable(logging.WARNING)  # semopy's convergence notes go to the root logger
    print(f"{datetime.date.today()}  sqlib {sqlib.__version__}, semopy {semopy.__version__}, "
          f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}, "
          f"OPENBLAS_NUM_THREADS={os.environ['OPENBLAS_NUM_THREADS']}, median of {args.reps}")
    header = (f"{'model':<14}{'n':>5}{'vars':>5}{'npar':>5}{'sqlib (s)':>11}{'semopy (s)':>12}"
              f"{'est. gap':>10}{'semopy 1e-12 (s)':>18}{'lavaan (s)':>12}{'sqlib/semopy':>14}{'sqlib/lavaan':>14}")
    print(header)
    for name, load in CASES.items():
        try:
            model, data = load()
        except pytest.skip.Exception as skipped:  # the real survey is not there
            print(f"{name:<14} skipped: {skipped}")
            continue
        data = complete_cases(model, data)
        result = sqlib.fit(model, data)
        ours = median_seconds(lambda: sqlib.fit(model, data), args.reps)
        default = median_seconds(lambda: semopy_run(model, data, None), args.reps)
        gap = estimate_gap(model, result, semopy_run(model, data, None))
        matched = median_seconds(lambda: semopy_run(model, data, MATCHED), args.reps)
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "data.csv"
            data.to_csv(path, index=False)
            lavaan = lavaan_seconds(LAVAAN_BODY, path, model, args.reps)
        npar = int(result.fit_measures["npar"])
        lav = f"{lavaan:>12.3f}" if lavaan else f"{'n/a':>12}"
        ratio = f"{ours / lavaan:>14.2f}" if lavaan else f"{'n/a':>14}"
        print(f"{name:<14}{len(data):>5}{data.shape[1]:>5}{npar:>5}{ours:>11.3f}{default:>12.3f}"
              f"{gap:>10.1e}{matched:>18.3f}{lav}{ours / matched:>14.2f}{ratio}")


if __name__ == "__main__":
    main()
