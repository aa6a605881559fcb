"""Speed of sqlib.fit against lavaan on the bundled SERVQUAL sample.

For the 7-factor CFA and the dims -> satisfaction -> loyalty SEM, time the full
result (estimates, standard errors, all fit measures, standardized solution) with
sqlib, and -- when Rscript with lavaan is available -- lavaan's
``sem()`` + ``fitMeasures()`` + ``standardizedSolution()`` on the same data in the
same run. Prints the median time per fit and the ratio sqlib / lavaan
(target from issue 3: at most 0.5).

Usage: python benchmarks/bench_fit.py [--reps 10]
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

import pandas as pd

import sqlib
from sqlib import config, models

R_TIMER = r"""
suppressPackageStartupMessages(library(lavaan))
args <- commandArgs(TRUE)
data <- read.csv(args[1]); model <- paste(readLines(args[2]), collapse = "\n"); reps <- as.integer(args[3])
fun <- get(args[4])
one <- function() { f <- fun(model, data = data); fitMeasures(f); standardizedSolution(f); parameterEstimates(f) }
one()  # warm-up
times <- sapply(seq_len(reps), function(i) system.time(one())[["elapsed"]])
cat(jsonlite::toJSON(list(median = median(times)), auto_unbox = TRUE))
"""


def time_sqlib(model: str, data: pd.DataFrame, reps: int) -> float:
    sqlib.fit(model, data)  # warm-up (imports, caches)
    times = []
    for _ in range(reps):
        t0 = time.perf_counter()
        res = sqlib.fit(model, data)
        res.estimates, res.fit_measures  # noqa: B018 (already computed by fit)
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def time_lavaan(model: str, data_path: Path, reps: int, fun: str) -> float | None:
    if shutil.which("Rscript") is None:
        return None
    with tempfile.TemporaryDirectory() as tmp:
        script = Path(tmp) / "timer.R"
        script.write_text(R_TIMER)
        model_file = Path(tmp) / "model.lav"
        model_file.write_text(model)
        out = subprocess.run(["Rscript", str(script), str(data_path), str(model_file), str(reps), fun],
                             capture_output=True, text=True)
        if out.returncode != 0:
            print("lavaan timing failed:", out.stderr.strip().splitlines()[-1:])
            return None
        return json.loads(out.stdout.strip().splitlines()[-1])["median"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=10)
    args = parser.parse_args()
    data = pd.read_csv(config.SAMPLE_DATA)
    cb = sqlib.Codebook.servqual()
    cases = [("7-factor CFA", models.cfa_syntax(cb), "cfa"), ("structural SEM", models.structural_syntax(cb), "sem")]
    print(f"{'model':<16}{'sqlib (s)':>12}{'lavaan (s)':>12}{'ratio':>8}")
    for label, model, fun in cases:
        ours = time_sqlib(model, data, args.reps)
        theirs = time_lavaan(model, config.SAMPLE_DATA, args.reps, fun)
        ratio = f"{ours / theirs:.2f}" if theirs else "n/a"
        print(f"{label:<16}{ours:>12.3f}{(theirs or float('nan')):>12.3f}{ratio:>8}")


if __name__ == "__main__":
    main()
