"""Scaling out: reading and matching a province-sized registry on Dask against one process.

    .venv/bin/python benchmarks/bench_dask.py                          # 0.5 M .. 5 M rows x 200
    .venv/bin/python benchmarks/bench_dask.py --rows 500000 1000000 --single 500000
    .venv/bin/python benchmarks/bench_dask.py --json dask.json

What is timed, on a generated registry (``generate_frame``, seed 1) written as Parquet with row
groups of ``--partition-rows`` rows, and a generated set of 200 policies (``policygen``, seed 0):

* ``dask``: :func:`policymatch.distributed.match_registry` on a fresh ``LocalCluster`` of one
  single-threaded worker process per core (what ``--dask local`` starts): the first pass over
  the code column, every partition read, typed, validated and matched on the workers, and the
  results put together on the client, row numbers and all.
* ``single``, the baseline in the same run: the single-process chunked core on the same file,
  ``Engine.match_chunks(iter_registry(path, chunk_rows=--partition-rows))``.

Both give the same batch result (checked: every grant, unknown and near-miss pair and its row).
Printed for each size: wall seconds, the ratio single / dask, the per-partition task time (mean
and max, from Dask's task stream), the CPU seconds of the workers (all of them, during the run)
and of the single process, the peak resident memory of each worker process and of the client
(``ru_maxrss``), and the result sizes. Cluster start-up is not in the timings.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import resource
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import pyarrow as pa

from policymatch.distributed import connect, match_registry
from policymatch.engine import Engine
from policymatch.registry.generate import generate_frame
from policymatch.registry.load import iter_registry
from policymatch.registry.writers import write_parquet
from policymatch.rules import PolicySet
from policymatch.testing.policygen import generate_policy_set

AS_OF = dt.date(2024, 3, 1)


def peak_rss_mib() -> float:
    """This process's peak resident memory (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def cpu_seconds() -> float:
    """CPU time of this process so far, all threads (the steadier number on a shared machine)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def run_dask(policies: PolicySet, path: Path, partition_rows: int) -> tuple[dict[str, Any], Any]:
    import distributed

    with connect("local") as client:
        workers = len(client.nthreads())
        cpu_before = client.run(cpu_seconds)
        with distributed.get_task_stream(client) as stream:
            start = time.perf_counter()
            done = match_registry(client, policies, path, AS_OF, partition_rows=partition_rows)
            wall = time.perf_counter() - start
        parts = [
            sum(s["stop"] - s["start"] for s in t["startstops"] if s["action"] == "compute")
            for t in stream.data
            if str(t["key"]).startswith("pm-part-")
        ]
        peaks = client.run(peak_rss_mib)
        cpu_after = client.run(cpu_seconds)
    return {
        "wall_s": wall,
        "workers": workers,
        "partitions": len(parts),
        "partition_mean_s": statistics.mean(parts),
        "partition_max_s": max(parts),
        "worker_peak_mib": sorted(round(v) for v in peaks.values()),
        "worker_cpu_s": sum(cpu_after[w] - cpu_before[w] for w in cpu_after),
    }, done.match.batch


def run_single(policies: PolicySet, path: Path, partition_rows: int) -> tuple[float, float, Any]:
    start, cpu = time.perf_counter(), time.process_time()
    chunks = iter_registry(path, policies.schema, chunk_rows=partition_rows)
    result = Engine(policies).match_chunks(chunks, AS_OF)
    return time.perf_counter() - start, time.process_time() - cpu, result.batch


def same(a: Any, b: Any) -> bool:
    """Equal batch results, column for column (Arrow compares tens of millions of rows fast)."""
    return all(
        pa.Table.from_pandas(getattr(a, part), preserve_index=False).equals(
            pa.Table.from_pandas(getattr(b, part), preserve_index=False)
        )
        for part in ("grants", "unknown", "near", "counts")
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--rows", type=int, nargs="+", default=[500_000, 1_000_000, 2_000_000, 5_000_000]
    )
    parser.add_argument(
        "--single",
        type=int,
        nargs="*",
        default=[500_000, 5_000_000],
        help="sizes at which the single-process baseline also runs",
    )
    parser.add_argument("--partition-rows", type=int, default=250_000)
    parser.add_argument("--policies", type=int, default=200)
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()
    policies = generate_policy_set(args.policies, seed=0)
    figures: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as folder:
        for rows in args.rows:
            path = Path(folder) / f"registry-{rows}.parquet"
            write_parquet(
                generate_frame(rows, 1), path, policies.schema, row_group_size=args.partition_rows
            )
            row: dict[str, Any] = {"rows": rows, "policies": args.policies}
            dask, batch = run_dask(policies, path, args.partition_rows)
            row["dask"] = dask
            row["grants"], row["unknown"], row["near"] = (
                len(batch.grants),
                len(batch.unknown),
                len(batch.near),
            )
            if rows in args.single:
                wall, cpu, expected = run_single(policies, path, args.partition_rows)
                row["single_wall_s"] = wall
                row["single_cpu_s"] = cpu
                row["ratio_single_over_dask"] = wall / dask["wall_s"]
                row["identical"] = same(batch, expected)
                del expected
            del batch
            row["client_peak_mib"] = round(peak_rss_mib())
            path.unlink()
            figures.append(row)
            print(json.dumps(row), flush=True)
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
