"""Where many independent jobs run: this machine's processes or a Dask cluster.

The Monte Carlo power analysis (:mod:`sqlib.power`) and the bootstrap
(:mod:`sqlib.bootstrap`) both cut their replications into *chunks* and call a
top-level function ``func(shared, chunk)`` on each: ``shared`` is what every
chunk needs (a population, a fitted model), sent once per worker where the
engine allows it, and ``chunk`` a short list of seeds or replication keys. The
random numbers are derived from the seeds inside ``func``, so the results never
depend on the engine, the number of workers or the chunk size.

Engines
-------
``"local"``
    joblib's loky processes on this machine (``n_workers=1`` runs in this
    process, ``-1`` uses every core). joblib limits BLAS to one thread per
    worker process.
``"dask"``
    Dask distributed: ``scheduler`` is the address of a running scheduler
    (``"tcp://host:8786"``), a ``distributed.Client``, or None to start a
    ``LocalCluster`` of ``n_workers`` single-threaded processes that is closed
    afterwards. Dask's nanny starts workers with one BLAS thread
    (``distributed.nanny.pre-spawn-environ``).

>>> from sqlib.core.engines import run_chunks
>>> sorted(run_chunks(pow, [2, 3], shared=10))   # (chunk index, pow(10, chunk))
[(0, 100), (1, 1000)]
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

ENGINES = ("local", "dask")


@dataclass
class EngineInfo:
    """What ran the chunks: ``engine``, ``n_workers`` and the dask ``scheduler`` address (or None)."""

    engine: str
    n_workers: int
    scheduler: str | None = None

    def __str__(self) -> str:
        unit = "process" if self.engine == "local" else "worker"
        units = {"process": "processes", "worker": "workers"}[unit] if self.n_workers != 1 else unit
        where = f" at {self.scheduler}" if self.scheduler else ""
        return f"{self.engine} engine{where} with {self.n_workers} {units}"


def check_engine(engine: str) -> str:
    """Return ``engine`` if it names an engine, else raise a ValueError saying which exist."""
    if engine not in ENGINES:
        raise ValueError(f"engine={engine!r} is not available; use 'local' (processes on this machine) "
                         "or 'dask' (a Dask cluster: give scheduler= an address, or None to start a LocalCluster).")
    return engine


def chunk_size_for(total: int, n_workers: int, *, per_worker: int = 10, largest: int = 20) -> int:
    """Chunk size giving about ``per_worker`` chunks per worker, at most ``largest`` jobs each.

    Jobs here are model fits (a tenth of a second or more each), so even a few jobs per
    chunk dwarf a scheduler's per-task cost (about a millisecond); several chunks per
    worker keep every worker busy to the end and give frequent progress and checkpoints.
    """
    return max(1, min(largest, math.ceil(total / max(1, n_workers * per_worker))))


def chunked(items: Sequence, size: int) -> list[list]:
    """Consecutive slices of ``items`` of length ``size`` (the last may be shorter)."""
    return [list(items[i:i + size]) for i in range(0, len(items), size)]


def resolve_workers(engine: str, n_workers: int | None, scheduler=None) -> int:
    """Number of workers a run will use (``None`` or ``-1``: every core of this machine).

    0 when the dask engine gets a scheduler address: the number is known once connected.
    """
    if engine == "dask" and isinstance(scheduler, str):
        return 0
    if engine == "dask" and scheduler is not None:  # a connected distributed.Client
        return len(scheduler.scheduler_info(n_workers=-1)["workers"])
    if n_workers is None or n_workers == -1:
        return os.cpu_count() or 1
    if n_workers < 1:
        raise ValueError(f"n_workers must be a positive number of workers (or -1 for every core), got {n_workers}.")
    return int(n_workers)


def _indexed(func: Callable, shared, index: int, chunk):
    return index, func(shared, chunk)


def run_chunks(func: Callable, chunks: Sequence, *, shared=None, engine: str = "local",
               n_workers: int | None = 1, scheduler=None, info: list | None = None) -> Iterator[tuple[int, object]]:
    """Call ``func(shared, chunk)`` for every chunk; yield ``(chunk index, result)`` as chunks finish.

    Parameters
    ----------
    func : callable
        A module-level (picklable) function.
    chunks : sequence
        One entry per task; results come back labelled by position.
    shared : object
        Passed to every call (sent once per worker on dask).
    engine : {"local", "dask"}
    n_workers : int or None
        Local processes, or the size of the LocalCluster dask starts; None or -1 for every core.
    scheduler : str, distributed.Client or None
        dask only: a scheduler address, a connected client, or None to start a LocalCluster.
    info : list, optional
        Receives one :class:`EngineInfo` once the engine is up.

    Yields
    ------
    tuple
        ``(index, result)`` in the order chunks finish (not the order given). Closing the
        generator early (an exception or Ctrl-C in the loop) cancels the chunks not yet run.
    """
    check_engine(engine)
    if engine == "dask":
        yield from _run_dask(func, chunks, shared, n_workers, scheduler, info)
        return
    workers = resolve_workers(engine, n_workers)
    if info is not None:
        info.append(EngineInfo("local", workers if len(chunks) > 1 else 1))
    if workers == 1 or len(chunks) <= 1:
        for i, chunk in enumerate(chunks):
            yield i, func(shared, chunk)
        return
    from joblib import Parallel, delayed

    jobs = Parallel(n_jobs=workers, return_as="generator_unordered", batch_size=1)(
        delayed(_indexed)(func, shared, i, chunk) for i, chunk in enumerate(chunks))
    yield from jobs


def _connect(scheduler, n_workers):
    """A client plus the objects to close afterwards (none for a client the caller owns)."""
    from distributed import Client, LocalCluster

    if isinstance(scheduler, Client):
        return scheduler, []
    if scheduler:
        client = Client(scheduler)
        return client, [client]
    cluster = LocalCluster(n_workers=resolve_workers("dask", n_workers), threads_per_worker=1, processes=True,
                           dashboard_address=":0")
    client = Client(cluster)
    return client, [client, cluster]


def _run_dask(func, chunks, shared, n_workers, scheduler, info):
    from distributed import as_completed

    client, owned = _connect(scheduler, n_workers)
    futures = []
    try:
        workers = len(client.scheduler_info(n_workers=-1)["workers"])
        if workers == 0:
            client.wait_for_workers(1, timeout=60)
            workers = len(client.scheduler_info(n_workers=-1)["workers"])
        if info is not None:
            info.append(EngineInfo("dask", workers, client.scheduler.address))
        # a one-element list: scatter would otherwise send the items of a tuple or dict separately
        shared_future = client.scatter([shared], broadcast=True, hash=False)[0]
        futures = [client.submit(_indexed, func, shared_future, i, chunk, pure=False) for i, chunk in enumerate(chunks)]
        for future in as_completed(futures):
            yield future.result()
    finally:
        for future in futures:
            if not future.done():
                future.cancel()
        for thing in owned:
            thing.close()
