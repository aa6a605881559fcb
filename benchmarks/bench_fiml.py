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
without a warm-up run.

Usage: python benchmarks/bench_fiml.py [--sizes 1000 10000] [--reps 1]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import sqlib
from sqlib.survey.simulate import PopulationModel, delete_at_random, simulate

from _lavaan import lavaan_seconds

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


def time_sqlib(model, data, kwargs, reps: int) -> float:
    times = []
    for _ in range(reps):
        t0 = time.perf_counter()
        sqlib.fit(model, data, **kwargs)
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--reps", type=int, default=1)
    args = parser.parse_args()
    print(f"{'case':<10}{'n':>7}{'patterns':>10}{'sqlib (s)':>11}{'lavaan (s)':>12}{'ratio':>8}")
    with tempfile.TemporaryDirectory() as tmp:
        for n in args.sizes:
            model, data = survey_with_holes(n)
            path = Path(tmp) / f"fiml_{n}.csv"
            data.to_csv(path, index=False)
            patterns = len(data.isna().drop_duplicates())
            for name, (kwargs, r_body) in CASES.items():
                ours = time_sqlib(model, data, kwargs, args.reps)
                theirs = lavaan_seconds(r_body, path, model, args.reps, warmup=n < WARMUP_BELOW)
                ratio = f"{ours / theirs:.3f}" if theirs else "n/a"
                print(f"{name:<10}{n:>7}{patterns:>10}{ours:>11.2f}{(theirs or float('nan')):>12.2f}{ratio:>8}",
                      flush=True)


if __name__ == "__main__":
    main()
