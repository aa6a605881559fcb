"""Monte Carlo power: replications per second on a Dask LocalCluster, and overhead over a bare fit.

The population is the dims -> satisfaction -> loyalty SEM fitted to the bundled sample;
every replication draws ``n`` normal respondents from it and refits the model.

1. Overhead: processor time per power replication in this process (``n_workers=1``:
   data generation, fit, bookkeeping) against a bare ``sqlib.fit`` of the same data set,
   in ``--blocks`` blocks of 8; the median ratio is the overhead (target from issue 9:
   at most 1.10). Processor time, not wall time, so that other programs on the machine
   do not blur a difference of a few per cent.
2. Scale: replications per second with 1 and 2 LocalCluster workers (one thread each),
   after a warm-up, timed in ``--rounds`` alternating runs (best of each), and the
   speed-up (target: at least 1.8).

Usage: python benchmarks/bench_power.py [--reps 120] [--n 300] [--blocks 16] [--rounds 2]
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")  # as on the dask workers: one BLAS thread per process

import argparse  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402

import numpy as np  # noqa: E402

import sqlib  # noqa: E402
from sqlib import models  # noqa: E402
from sqlib.analysis.power import power  # noqa: E402


def cpu_seconds(call):
    """Processor time of ``call()`` in this process (time other programs take from the CPU does not count)."""
    start = time.process_time()
    out = call()
    return time.process_time() - start, out


def overhead(fitted, n: int, blocks: int, block_size: int) -> tuple[float, float, np.ndarray]:
    """Processor seconds per replication of bare fits and of power replications of the same data,
    and the ratio of the two in every block.

    A power replication's cost is the marginal cost of a run: a run of ``block_size + 1``
    replications minus a run of 1 (the setup, including the pilot fit, cancels), against bare
    ``sqlib.fit`` calls on the data sets of replications 1..block_size, regenerated from their seeds.
    """
    def run(reps, seed):
        return power(fitted, n=[n], reps=reps, seed=seed, n_workers=1, progress=False)

    def bare_fits(data_sets):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for data in data_sets:
                sqlib.fit(fitted.model_syntax, data)

    bare, replicated = [], []
    for block in range(blocks):
        seed = 100 + block
        layout = run(1, seed)  # any run of this seed regenerates every replication's data
        data_sets = [layout.replication_data(n, rep) for rep in range(1, block_size + 1)]
        order = ["full", "setup", "bare"] if block % 2 == 0 else ["bare", "setup", "full"]
        cost = {}
        for what in order:  # alternating order: warm-up and load drifts hit both sides alike
            if what == "bare":
                cost[what], _ = cpu_seconds(lambda: bare_fits(data_sets))
            else:
                cost[what], _ = cpu_seconds(lambda: run(block_size + 1 if what == "full" else 1, seed))
        replicated.append((cost["full"] - cost["setup"]) / block_size)
        bare.append(cost["bare"] / block_size)
    return float(np.mean(bare)), float(np.mean(replicated)), np.array(replicated) / np.array(bare)


def overhead_paired(fitted, n: int, pairs: int) -> tuple[float, float]:
    """Processor seconds of one power replication (data generation, fit, bookkeeping) and of a bare
    ``sqlib.fit`` on the same data set, measured in alternating pairs over ``pairs`` replications."""
    from sqlib.analysis.power import _replicate

    layout = power(fitted, n=[n], reps=1, seed=7, n_workers=1, progress=False)
    design = layout._design
    bare = replicated = 0.0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for rep in range(1, pairs + 1):
            data = layout.replication_data(n, rep)
            steps = [("bare", lambda: sqlib.fit(fitted.model_syntax, data)), ("rep", lambda: _replicate(design, n, rep))]
            for what, call in (steps if rep % 2 else steps[::-1]):
                cost, _ = cpu_seconds(call)
                if what == "bare":
                    bare += cost
                else:
                    replicated += cost
    return bare / pairs, replicated / pairs


def cluster_rates(fitted, n: int, reps: int, rounds: int) -> dict[int, float]:
    """Replications per second on LocalClusters of 1 and 2 single-threaded worker processes.

    Both clusters stay up and are timed in alternation, ``rounds`` times each; the best round
    counts (an idle worker costs nothing, and alternating keeps load drifts from favouring one).
    """
    from distributed import Client, LocalCluster

    clusters = {w: LocalCluster(n_workers=w, threads_per_worker=1, processes=True, dashboard_address=":0")
                for w in (1, 2)}
    clients = {w: Client(cluster) for w, cluster in clusters.items()}
    try:
        for w, client in clients.items():  # warm-up: imports on the workers
            power(fitted, n=[n], reps=2 * w, seed=2, engine="dask", scheduler=client, progress=False)
        rates = {w: [] for w in clients}
        for round_ in range(rounds):
            for w, client in clients.items():
                run = power(fitted, n=[n], reps=reps, seed=3 + round_, engine="dask", scheduler=client,
                            progress=False)
                rates[w].append(run.reps_per_second)
        return {w: max(r) for w, r in rates.items()}
    finally:
        for thing in [*clients.values(), *clusters.values()]:
            thing.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=120, help="replications per timed cluster run")
    parser.add_argument("--n", type=int, default=300, help="sample size of every replication")
    parser.add_argument("--blocks", type=int, default=16, help="blocks of 8 replications (overhead)")
    parser.add_argument("--rounds", type=int, default=2, help="alternating timed runs per cluster size")
    args = parser.parse_args()
    fitted = sqlib.fit(models.structural_syntax(), sqlib.load_sample())
    print(f"bundled SEM: {len(fitted.observed)} observed variables, {fitted.spec.n_free} free parameters, "
          f"n = {args.n} per replication, {os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f}")
    bare, replicated, ratios = overhead(fitted, args.n, args.blocks, 8)
    q1, median, q3 = np.quantile(ratios, [0.25, 0.5, 0.75])
    print(f"bare sqlib.fit: {1000 * bare:.0f} ms CPU per fit; power replication in-process: {1000 * replicated:.0f} ms "
          f"CPU; ratio median over {len(ratios)} blocks {median:.3f} (quartiles {q1:.3f}-{q3:.3f}), target <= 1.10")
    bare_p, rep_p = overhead_paired(fitted, args.n, 8 * args.blocks)
    print(f"paired per replication ({8 * args.blocks} pairs): bare fit {1000 * bare_p:.0f} ms CPU, power replication "
          f"{1000 * rep_p:.0f} ms CPU, ratio {rep_p / bare_p:.3f}, target <= 1.10")
    rates = cluster_rates(fitted, args.n, args.reps, args.rounds)
    for workers, rate in rates.items():
        print(f"LocalCluster, {workers} worker(s): {rate:.2f} replications per second")
    print(f"speed-up 1 -> 2 workers: {rates[2] / rates[1]:.2f}x (target >= 1.8)")
    print("load average (1, 5, 15 min) at the end: " + ", ".join(f"{v:.2f}" for v in os.getloadavg())
          + " (other processes on the machine lower the speed-up)")


if __name__ == "__main__":
    main()
