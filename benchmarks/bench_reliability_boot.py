"""Speed of the omega/AVE bootstrap against lavaan + semTools, and the intervals side by side.

Runs ``draws`` bootstrap refits of the seven-factor SERVQUAL CFA on the bundled sample with
:func:`sqlib.analysis.reliability_bootstrap.reliability_bootstrap` (serial) and, when Rscript
with lavaan and semTools is available, ``bootstrapLavaan(fit, R = draws, FUN = function(f)
c(compRelSEM(f), AVE(f)))`` (serial) in the same run. Prints both times (elapsed and CPU), the
ratio sqlib/lavaan, and the 95% percentile interval endpoints side by side (different
resamples, so they agree only within Monte Carlo error, about 0.005 for 1000 draws).

Usage: python benchmarks/bench_reliability_boot.py [--draws 1000]
"""

from __future__ import annotations

import argparse
import time

import pandas as pd

import sqlib
from _lavaan import run_r_script
from sqlib import config, models
from sqlib.analysis.reliability_bootstrap import reliability_bootstrap

R_BOOT = r"""
suppressPackageStartupMessages({library(lavaan); library(semTools)})
args <- commandArgs(TRUE)
data <- read.csv(args[1]); model <- paste(readLines(args[2]), collapse = "\n"); draws <- as.integer(args[3])
set.seed(1)
t0 <- proc.time()
fit <- cfa(model, data = data)
statistic <- function(f) c(omega = compRelSEM(f), ave = AVE(f))
boot <- bootstrapLavaan(fit, R = draws, FUN = statistic)
t <- proc.time() - t0
q <- apply(boot, 2, quantile, c(0.025, 0.975), na.rm = TRUE)
cat(jsonlite::toJSON(list(seconds = t[["elapsed"]], cpu = t[["user.self"]] + t[["sys.self"]],
                          names = names(statistic(fit)), lower = q[1, ], upper = q[2, ]), digits = NA, auto_unbox = TRUE))
"""


def lavaan_bootstrap(model: str, draws: int):
    return run_r_script(R_BOOT, model, draws)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--draws", type=int, default=1000)
    args = parser.parse_args()
    codebook = sqlib.Codebook.from_yaml(config.SAMPLE_CODEBOOK)
    model = models.cfa_syntax(codebook)
    data = sqlib.read_survey(config.SAMPLE_DATA, codebook)
    t0, c0 = time.perf_counter(), time.process_time()
    table = reliability_bootstrap(sqlib.fit(model, data), args.draws, seed=20261123, progress=False)
    ours, ours_cpu = time.perf_counter() - t0, time.process_time() - c0
    print(f"draws: {args.draws}; sqlib (fit + bootstrap, serial): {ours:.2f} s elapsed, {ours_cpu:.2f} s CPU, "
          f"failed draws: {int(table['draws_failed'].max())}")
    theirs = lavaan_bootstrap(model, args.draws)
    if theirs is None:
        print("lavaan/semTools not available: no ratio")
        return
    print(f"lavaan bootstrapLavaan + compRelSEM/AVE (serial): {theirs['seconds']:.2f} s elapsed, "
          f"{theirs['cpu']:.2f} s CPU; ratio sqlib/lavaan = {ours / theirs['seconds']:.3f} elapsed, "
          f"{ours_cpu / theirs['cpu']:.3f} CPU")
    ref = pd.DataFrame({"lavaan_lower": theirs["lower"], "lavaan_upper": theirs["upper"]}, index=theirs["names"])
    table.index = [f"{s}.{c}" for s, c in zip(table["statistic"], table["construct"])]
    side = ref.join(table[["ci_lower", "ci_upper"]].rename(columns={"ci_lower": "sqlib_lower",
                                                                       "ci_upper": "sqlib_upper"}))
    side["max_abs_diff"] = pd.concat([(side.lavaan_lower - side.sqlib_lower).abs(),
                                      (side.lavaan_upper - side.sqlib_upper).abs()], axis=1).max(axis=1)
    print(side.round(4).to_string())


if __name__ == "__main__":
    main()
