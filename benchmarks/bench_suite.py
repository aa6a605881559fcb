"""Time the whole report suite (issue 7): every notebook of the default run on the bundled data.

Runs ``sqlib report`` with ``notebooks/params/default.yaml`` (notebook 03 draws 1000
bootstrap resamples) into a temporary folder, or reads the manifest of an existing run
folder, and prints each notebook's time from ``manifest.json`` and the total against
the 3-minute target for a 2-core machine.

Usage: python benchmarks/bench_suite.py [--run-dir reports/<run>] [--keep]
"""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile
import time
from pathlib import Path

from sqlib import config
from sqlib.report.runner import read_manifest, run_report

TARGET_SECONDS = 180.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--run-dir", type=Path, help="report the manifest of this existing run instead of running")
    parser.add_argument("--keep", action="store_true", help="keep the temporary run folder")
    args = parser.parse_args()
    wall = None
    root = None
    if args.run_dir is None:
        root = Path(tempfile.mkdtemp(prefix="sqlib-suite-"))
        start = time.perf_counter()
        run_dir = run_report(config.DEFAULT_PARAMS, output_root=root)
        wall = time.perf_counter() - start
    else:
        run_dir = args.run_dir
    manifest = read_manifest(run_dir)
    print(f"cores: {os.cpu_count()}   run folder: {run_dir}")
    print(f"{'notebook':<32}{'status':>10}{'seconds':>10}")
    total = 0.0
    for record in manifest["notebooks"]:
        total += record["duration_seconds"]
        print(f"{record['notebook']:<32}{record['status']:>10}{record['duration_seconds']:>10.1f}")
    print(f"{'all notebooks':<32}{manifest['status']:>10}{total:>10.1f}")
    if wall is not None:
        print(f"{'whole run (with HTML export)':<32}{'':>10}{wall:>10.1f}")
    measured = wall if wall is not None else total
    print(f"ratio to the {TARGET_SECONDS:.0f} s target: {measured / TARGET_SECONDS:.2f}")
    if root is not None and not args.keep:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
