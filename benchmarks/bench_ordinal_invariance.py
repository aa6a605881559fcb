"""The ordinal invariance sequence (configural, thresholds, loadings, intercepts; Wu &
Estabrook 2016) on 22 five-point items, 4 factors, 3 groups of 500, sqlib against
lavaan + semTools in the same run: measEq.syntax + cfa(estimator = "WLSMV") per step,
fitMeasures, and lavTestLRT (DIFFTEST) between steps (issue 15 target: at most 0.3).

Usage: python benchmarks/bench_ordinal_invariance.py [--reps 3]
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")  # one BLAS thread, as bench_power: no spinning on a shared 2-core machine

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

import sqlib  # noqa: E402

from _lavaan import lavaan_seconds  # noqa: E402

FACTORS = {"f1": 6, "f2": 6, "f3": 5, "f4": 5}
R_BODY = """
library(semTools)
items <- setdiff(names(data), "g")
eq <- list("", "thresholds", c("thresholds", "loadings"), c("thresholds", "loadings", "intercepts"))
prev <- NULL
for (e in eq) {
  syn <- as.character(measEq.syntax(model, data = data, ordered = items, parameterization = "delta",
                                    ID.fac = "std.lv", ID.cat = "Wu.Estabrook.2016", group = "g", group.equal = e))
  f <- cfa(syn, data = data, ordered = items, group = "g", estimator = "WLSMV", parameterization = "delta")
  fitMeasures(f)
  if (!is.null(prev)) lavTestLRT(f, prev)
  prev <- f
}
"""


def survey(seed: int = 15, n: int = 500) -> tuple[str, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    items, factor = [], []
    for k, (f, count) in enumerate(FACTORS.items()):
        items += [f"{f}_{i + 1}" for i in range(count)]
        factor += [k] * count
    factor = np.array(factor)
    cuts = np.array([-1.5, -0.5, 0.4, 1.3])
    frames = []
    for g in range(3):
        cov = np.full((4, 4), 0.4) + 0.6 * np.eye(4)
        eta = rng.multivariate_normal(np.full(4, 0.2 * g), cov, size=n)
        loading = rng.uniform(0.55, 0.8, len(items))
        ystar = eta[:, factor] * loading + rng.normal(size=(n, len(items))) * np.sqrt(1 - loading ** 2)
        frame = pd.DataFrame(1 + np.searchsorted(cuts, ystar.ravel()).reshape(ystar.shape), columns=items)
        frame["g"] = f"g{g + 1}"
        frames.append(frame)
    model = "\n".join(f"{f} =~ " + " + ".join(i for i in items if i.startswith(f + "_")) for f in FACTORS)
    return model, pd.concat(frames, ignore_index=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=3)
    args = parser.parse_args()
    model, data = survey()
    sqlib.invariance(model, data, group="g", ordered=True)
    times = []
    for _ in range(args.reps):
        t0 = time.perf_counter()
        sqlib.invariance(model, data, group="g", ordered=True)
        times.append(time.perf_counter() - t0)
    ours = statistics.median(times)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "ordinal_invariance.csv"
        data.to_csv(path, index=False)
        theirs = lavaan_seconds(R_BODY, path, model, args.reps)
    print(f"ordinal invariance, 4 steps, 3 groups x 500, {data.shape[1] - 1} items: sqlib {ours:.2f} s")
    if theirs is None:
        print("lavaan + semTools: not available (Rscript missing)")
        return
    print(f"lavaan + semTools: {theirs:.2f} s   ratio sqlib/lavaan = {ours / theirs:.2f} (target <= 0.3)")


if __name__ == "__main__":
    main()
