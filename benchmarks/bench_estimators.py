"""MLR, WLSMV and FIML speed against lavaan on the bundled 7-factor CFA (issue 4).

Times sqlib's full result (estimates, SEs, all fit measures incl. scaled/robust
ones) and lavaan's ``cfa(..., estimator = "MLR")`` / ``cfa(..., missing = "ml")``
+ ``fitMeasures()`` on the same data in the same run, and prints the ratios
(targets: MLR and WLSMV at most 0.5, FIML at most 0.2). WLSMV treats all 29 items
as ordinal (7 categories: 174 thresholds, 406 polychoric correlations).

Usage: python benchmarks/bench_estimators.py [--reps 3]
"""

from __future__ import annotations

import argparse
import statistics
import time

import pandas as pd

import sqlib
from sqlib import config, models

from _lavaan import lavaan_seconds

CASES = {
    "MLR": ({"estimator": "MLR"}, 'f <- cfa(model, data = data, estimator = "MLR"); fitMeasures(f)'),
    "WLSMV": ({"ordered": True},
              'f <- cfa(model, data = data, ordered = lavNames(model, "ov"), estimator = "WLSMV"); fitMeasures(f)'),
    "FIML": ({"missing": "fiml"}, 'f <- cfa(model, data = data, missing = "ml"); fitMeasures(f)'),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=3)
    args = parser.parse_args()
    data = pd.read_csv(config.SAMPLE_DATA)
    model = models.cfa_syntax()
    print(f"{'estimator':<10}{'sqlib (s)':>12}{'lavaan (s)':>12}{'ratio':>8}")
    for name, (kwargs, r_body) in CASES.items():
        sqlib.fit(model, data, **kwargs)
        times = []
        for _ in range(args.reps):
            t0 = time.perf_counter()
            sqlib.fit(model, data, **kwargs)
            times.append(time.perf_counter() - t0)
        ours = statistics.median(times)
        theirs = lavaan_seconds(r_body, config.SAMPLE_DATA, model, args.reps)
        ratio = f"{ours / theirs:.2f}" if theirs else "n/a"
        print(f"{name:<10}{ours:>12.3f}{(theirs or float('nan')):>12.3f}{ratio:>8}")


if __name__ == "__main__":
    main()
