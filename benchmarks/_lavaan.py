"""Timing lavaan from Python benchmarks: run an R snippet on the bundled sample and
read the median elapsed seconds it prints (R startup is not counted)."""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
from pathlib import Path

TEMPLATE = r"""
suppressPackageStartupMessages({library(lavaan)})
args <- commandArgs(TRUE)
data <- read.csv(args[1]); model <- paste(readLines(args[2], warn = FALSE), collapse = "\n"); reps <- as.integer(args[3])
run <- function() { %s }
if (as.logical(args[4])) run()  # warm-up run, not timed
times <- sapply(seq_len(reps), function(i) {
  t <- system.time(run())
  c(elapsed = t[["elapsed"]], cpu = t[["user.self"]] + t[["sys.self"]])
})
cat(jsonlite::toJSON(list(median = median(times["elapsed", ]), cpu = median(times["cpu", ])), auto_unbox = TRUE))
"""


def lavaan_seconds(body: str, data_path: Path, model: str, reps: int = 3, warmup: bool = True) -> float | None:
    """Median seconds of ``body`` (R code using ``data`` and ``model``), or None without R.

    ``warmup=False`` skips the untimed first run (for fits that take minutes, where start-up
    costs do not matter)."""
    times = lavaan_times(body, data_path, model, reps, warmup)
    return None if times is None else times["median"]


def lavaan_times(body: str, data_path: Path, model: str, reps: int = 3, warmup: bool = True) -> dict | None:
    """Median elapsed (``median``) and CPU (``cpu``: user + system) seconds of ``body``, or None without R.

    CPU seconds compare fairly with a single-threaded Python run when the machine is shared."""
    if shutil.which("Rscript") is None:
        return None
    with tempfile.TemporaryDirectory() as tmp:
        script, model_file = Path(tmp) / "run.R", Path(tmp) / "model.lav"
        script.write_text(TEMPLATE % body)
        model_file.write_text(model)
        out = subprocess.run(["Rscript", str(script), str(data_path), str(model_file), str(reps), str(warmup).upper()],
                             capture_output=True, text=True)
        if out.returncode != 0:
            print("lavaan timing failed:", out.stderr.strip().splitlines()[-1:])
            return None
        return json.loads(out.stdout.strip().splitlines()[-1])


def run_r_script(script_text: str, model: str, *args) -> dict | None:
    """Run an R script on the bundled sample: ``commandArgs`` are the sample's path, a file
    holding ``model``, then ``args``; returns the JSON of its last output line, or None
    without R (or when the script fails, after printing R's last error line)."""
    from sqlib import config

    if shutil.which("Rscript") is None:
        return None
    with tempfile.TemporaryDirectory() as tmp:
        script, model_file = Path(tmp) / "script.R", Path(tmp) / "model.lav"
        script.write_text(script_text)
        model_file.write_text(model)
        out = subprocess.run(["Rscript", str(script), str(config.SAMPLE_DATA), str(model_file), *map(str, args)],
                             capture_output=True, text=True)
        if out.returncode != 0:
            print("R script failed:", out.stderr.strip().splitlines()[-1:])
            return None
        return json.loads(out.stdout.strip().splitlines()[-1])
