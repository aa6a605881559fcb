"""The four-step invariance sequence on the bundled 7-factor model with 3 groups,
sqlib against lavaan (four cfa() fits + fitMeasures, as semTools' workflow runs
them) in the same run (issue 6 target: at most 0.5).

Usage: python benchmarks/bench_invariance.py [--reps 3]
"""

from __future__ import annotations

import argparse
import statistics
import time

import pandas as pd

import sqlib
from sqlib import config, models

from _lavaan import lavaan_seconds

R_BODY = """
eq <- list("", c("loadings"), c("loadings", "intercepts"), c("loadings", "intercepts", "residuals"))
for (e in eq) { f <- cfa(model, data = data, group = "country", group.equal = e); fitMeasures(f) }
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=3)
    args = parser.parse_args()
    data = pd.read_csv(config.SAMPLE_DATA)
    model = models.cfa_syntax()
    sqlib.invariance(model, data, group="country")
    times = []
    for _ in range(args.reps):
        t0 = time.perf_counter()
        sqlib.invariance(model, data, group="country")
        times.append(time.perf_counter() - t0)
    ours = statistics.median(times)
    theirs = lavaan_seconds(R_BODY, config.SAMPLE_DATA, model, args.reps)
    ratio = f"{ours / theirs:.2f}" if theirs else "n/a"
    print(f"invariance sequence (4 levels, 3 groups): sqlib {ours:.3f} s, lavaan {theirs or float('nan'):.3f} s, ratio {ratio}")


if __name__ == "__main__":
    main()
