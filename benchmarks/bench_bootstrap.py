"""Bootstrap speed and agreement with lavaan on the bundled structural model.

Runs ``draws`` bootstrap resamples of the dims -> satisfaction -> loyalty SEM with
sqlib (``n_jobs`` processes) and, when Rscript with lavaan is available, lavaan's
``sem(..., se = "bootstrap")`` (serial) on the same data in the same run. Prints
both times, the ratio (target from issue 5: at most 0.25) and the percentile CI
endpoints of the defined indirect effects side by side (they should agree within
Monte Carlo error, about 0.01).

Usage: python benchmarks/bench_bootstrap.py [--draws 1000] [--n-jobs 2]
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd

import sqlib
from _lavaan import run_r_script
from sqlib import config, models

R_BOOT = r"""
suppressPackageStartupMessages(library(lavaan))
args <- commandArgs(TRUE)
data <- read.csv(args[1]); model <- paste(readLines(args[2]), collapse = "\n"); draws <- as.integer(args[3])
set.seed(1)
t <- system.time(fit <- sem(model, data = data, se = "bootstrap", bootstrap = draws))[["elapsed"]]
pe <- parameterEstimates(fit, boot.ci.type = "perc")
pe <- pe[pe$op == ":=", c("lhs", "est", "se", "ci.lower", "ci.upper")]
cat(jsonlite::toJSON(list(seconds = t, ci = pe), digits = NA, auto_unbox = TRUE))
"""


def lavaan_bootstrap(model: str, draws: int):
    return run_r_script(R_BOOT, model, draws)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--draws", type=int, default=1000)
    parser.add_argument("--n-jobs", type=int, default=2)
    args = parser.parse_args()
    model = models.structural_syntax()
    data = pd.read_csv(config.SAMPLE_DATA)
    result = sqlib.fit(model, data)
    result.bootstrap(20, seed=1, n_jobs=args.n_jobs, progress=False)  # start the worker processes
    t0 = time.perf_counter()
    boot = result.bootstrap(args.draws, seed=20261123, n_jobs=args.n_jobs, progress=False)
    ours = time.perf_counter() - t0
    theirs = lavaan_bootstrap(model, args.draws)
    print(f"draws: {args.draws}, sqlib n_jobs={args.n_jobs}: {ours:.2f} s, failed draws: {boot.n_failed}")
    if theirs is None:
        print("lavaan not available: no ratio")
        return
    print(f"lavaan serial: {theirs['seconds']:.2f} s, ratio sqlib/lavaan = {ours / theirs['seconds']:.2f}")
    ref = pd.DataFrame(theirs["ci"]).set_index("lhs")
    mine = boot.table[boot.table["op"] == ":="].set_index("lhs")
    side = pd.DataFrame({"lavaan_lower": ref["ci.lower"], "sqlib_lower": mine["ci_lower"],
                         "lavaan_upper": ref["ci.upper"], "sqlib_upper": mine["ci_upper"]})
    side["max_abs_diff"] = pd.concat([(side.lavaan_lower - side.sqlib_lower).abs(),
                                      (side.lavaan_upper - side.sqlib_upper).abs()], axis=1).max(axis=1)
    # Monte Carlo error of a percentile endpoint from B draws (order-statistic interval),
    # and of the difference of two independent bootstrap runs (sqrt(2) times that)
    side["mc_se_diff"] = [np.sqrt(2) * max(_endpoint_mc_se(boot.draws[name].to_numpy(), q) for q in (0.025, 0.975))
                          for name in side.index]
    side["within_2_mc_se"] = side["max_abs_diff"] <= 2 * side["mc_se_diff"]
    print(side.round(4).to_string())


def _endpoint_mc_se(draws: np.ndarray, q: float) -> float:
    """Monte Carlo SE of the q-quantile of ``draws`` (binomial order-statistic interval / 2*1.96)."""
    b = np.sort(draws)
    n = b.size
    half = 1.96 * np.sqrt(n * q * (1 - q))
    lo, hi = int(max(np.floor(n * q - half), 0)), int(min(np.ceil(n * q + half), n - 1))
    return (b[hi] - b[lo]) / (2 * 1.96)


if __name__ == "__main__":
    main()
