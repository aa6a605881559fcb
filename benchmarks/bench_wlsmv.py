"""WLSMV with missing answers (pairwise) and with mixed ordinal/continuous items: sqlib
against lavaan in the same run (issue 15, target: ratio at most 0.5).

Data: the bundled sample's 7-factor CFA (29 items, 900 respondents).

* ``pairwise``: every item ordinal, 5% of the answers removed completely at random
  (seeded), ``cfa(..., ordered = TRUE, estimator = "WLSMV", missing = "pairwise")``;
* ``mixed``: the five SERVQUAL dimensions' 22 items ordinal, the satisfaction and loyalty
  items continuous (lavaan's ``ordered = c(...)``), complete answers;
* ``mixed pairwise``: the mixed model on the data with missing answers.

Both sides compute the full result: sqlib's ``fit`` (estimates, robust SEs, every fit
measure) and lavaan's ``cfa`` + ``fitMeasures``. R's start-up is not timed. BLAS runs one
thread per process (as in bench_power.py; R's reference BLAS is single-threaded too): on this
2-core machine shared with other jobs, two OpenBLAS threads turn a 0.01 s eigendecomposition of
the information matrix into 0.7 s of spinning.

Usage: python benchmarks/bench_wlsmv.py [--reps 3]
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import statistics  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

import sqlib  # noqa: E402
from sqlib import config, models  # noqa: E402

from _lavaan import lavaan_seconds  # noqa: E402

SEED = 15


def with_missing(data: pd.DataFrame, items: list[str], share: float = 0.05) -> pd.DataFrame:
    rng = np.random.default_rng(SEED)
    out = data.copy()
    out[items] = out[items].mask(rng.random((len(out), len(items))) < share)
    return out


def r_vector(names: list[str]) -> str:
    return "c(" + ", ".join(f'"{v}"' for v in names) + ")"


def time_sqlib(model: str, data: pd.DataFrame, reps: int, **kwargs) -> float:
    sqlib.fit(model, data, **kwargs)
    times = []
    for _ in range(reps):
        t0 = time.perf_counter()
        sqlib.fit(model, data, **kwargs)
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=3)
    args = parser.parse_args()
    model = models.cfa_syntax()
    items = [v for line in model.splitlines() for v in line.split("=~")[1].replace(" ", "").split("+")]
    complete = pd.read_csv(config.SAMPLE_DATA)[items].dropna()
    gappy = with_missing(complete, items)
    ordinal = [v for v in items if not v.startswith(("sat", "loy"))]
    cases = [
        ("pairwise", gappy, {"ordered": True, "missing": "pairwise"}, "TRUE", "pairwise"),
        ("mixed", complete, {"ordered": ordinal}, r_vector(ordinal), "listwise"),
        ("mixed pairwise", gappy, {"ordered": ordinal, "missing": "pairwise"}, r_vector(ordinal), "pairwise"),
    ]
    print(f"{'case':<16}{'n':>6}{'sqlib (s)':>12}{'lavaan (s)':>12}{'ratio':>8}")
    with tempfile.TemporaryDirectory() as tmp:
        for name, data, kwargs, r_ordered, missing in cases:
            path = Path(tmp) / "data.csv"
            data.to_csv(path, index=False)
            ours = time_sqlib(model, data, args.reps, **kwargs)
            body = (f'f <- cfa(model, data = data, ordered = {r_ordered}, estimator = "WLSMV", '
                    f'missing = "{missing}"); fitMeasures(f)')
            theirs = lavaan_seconds(body, path, model, args.reps)
            ratio = f"{ours / theirs:.2f}" if theirs else "n/a"
            print(f"{name:<16}{len(data):>6}{ours:>12.3f}{(theirs or float('nan')):>12.3f}{ratio:>8}")


if __name__ == "__main__":
    main()
