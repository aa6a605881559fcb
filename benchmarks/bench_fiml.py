"""FIML with scattered missing answers against lavaan (issue 15, item 4).

29 SERVQUAL items (the structural model of :func:`sqlib.survey.model_builders.structural_syntax`:
five dimensions -> satisfaction -> loyalty) simulated with :func:`sqlib.survey.simulate.simulate`
(seeded), then 5% of all answers deleted completely at random
(:func:`sqlib.survey.simulate.delete_at_random`), so most respondents have a missingness
pattern of their own. Times sqlib's full result (estimates, SEs, every fit measure)
for ``missing="fiml"`` and ``estimator="MLR", missing="fiml"`` against
``lavaan::sem(model, data, missing = "ml")`` (+ ``estimator = "MLR"``) and
``fitMeasures()`` in the same run, at two sample sizes so that growth is visible.
Target: ratio at most 0.05. At n >= 5000 lavaan's fits take minutes and are timed
without a warm-up run. Elapsed and CPU seconds are both printed: on a shared machine the
elapsed times of both programs grow with the load, CPU seconds do not (sqlib's FIML is
single-threaded, lavaan uses R's BLAS).

Usage: python benchmarks/bench_fiml.py [--sizes 1000 10000] [--cases FIML MLR+FIML] [--reps 1]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import sqlib
from sqlib.survey.simulate import PopulationModel, delete_at_random, simulate

from _lavaan import lavaan_times

CASES = {
    "FIML": ({"missing": "fiml"}, 'f <- sem(model, data = data, missing = "ml"); fitMeasures(f)'),
    "MLR+FIML": ({"missing": "fiml", "estimator": "MLR"},
                 'f <- sem(model, data = data, missing = "ml", estimator = "MLR"); fitMeasures(f)'),
}
SHARE_MISSING = 0.05
# lavaan needs minutes per fit from here on: its first run is timed (no untimed warm-up run)
WARMUP_BELOW = 5000


def survey_with_holes(n: int, seed: int = 15):
    """The benchmark data: n respondents, 29 items, 5% of the answers missing completely at random."""
    model = sqlib.models.structural_syntax()
    population = PopulationModel()
    items = [v for v in population.items if v in model.replace("+", " ").split()]
    data = simulate(population, n=n, seed=seed).data[items]
    return model, delete_at_random(data, items, SHARE_MISSING, seed=seed + 1)


def time_sqlib(model, data, kwargs, reps: int) -> tuple[float, float]:
    """Median elapsed and CPU seconds of ``sqlib.fit`` (FIML runs single-threaded)."""
    wall, cpu = [], []
    for _ in range(reps):
        t0, c0 = time.perf_counter(), time.process_time()
        sqlib.fit(model, data, **kwargs)
        wall.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    return statistics.median(wall), statistics.median(cpu)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--cases", nargs="+", default=list(CASES), choices=list(CASES))
    parser.add_argument("--reps", type=int, default=1)
    args = parser.parse_args()
    print(f"{'case':<10}{'n':>7}{'patterns':>10}{'sqlib s':>9}{'lavaan s':>10}{'ratio':>7}"
          f"{'sqlib cpu':>11}{'lavaan cpu':>12}{'cpu ratio':>11}")
    with tempfile.TemporaryDirectory() as tmp:
        for n in args.sizes:
            model, data = survey_with_holes(n)
            path = Path(tmp) / f"fiml_{n}.csv"
            data.to_csv(path, index=False)
            patterns = len(data.isna().drop_duplicates())
            for name in args.cases:
                kwargs, r_body = CASES[name]
                sqlib.fit(model, data, **kwargs)  # warm-up (imports, first-call costs)
                wall, cpu = time_sqlib(model, data, kwargs, args.reps)
                theirs = lavaan_times(r_body, path, model, args.reps, warmup=n < WARMUP_BELOW) or {}
                r_wall, r_cpu = theirs.get("median", float("nan")), theirs.get("cpu", float("nan"))
                print(f"{name:<10}{n:>7}{patterns:>10}{wall:>9.2f}{r_wall:>10.2f}{wall / r_wall:>7.3f}"
                      f"{cpu:>11.2f}{r_cpu:>12.2f}{cpu / r_cpu:>11.3f}", flush=True)


if __name__ == "__main__":
    main()
