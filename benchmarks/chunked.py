"""A province-sized registry matched chunk by chunk, in a process of its own (for its peak RSS).

    .venv/bin/python -m benchmarks.chunked --rows 5000000 --chunk-rows 500000

The registry is generated once (chunk by chunk, seed 1 + chunk number) into a Parquet file of
typed frames, one row group a chunk, cached under ``.benchmarks/data/``. The timed part reads it
row group by row group with pyarrow (the columns ``Engine.fields`` names: those the policies read,
and the codes and names) and hands the frames to ``Engine.match_chunks``: only one chunk is in
memory at a time, with the code and name of every row (kept for the result) and the results. Printed as JSON: wall and CPU seconds, of which reading Parquet, peak resident memory
of this process (``ru_maxrss``), and the sizes of the result.
Reading a registry *file* through the project's loader (``iter_registry``: every cell typed and
checked) is measured by ``benchmarks/registry_load.py``; here the chunks are typed frames already.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import resource
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from policymatch.backends.vectorized import VectorizedBackend
from policymatch.engine import Engine
from policymatch.registry.generate import generate_frame
from policymatch.testing.policygen import generate_policy_set

AS_OF = dt.date(2024, 3, 1)
DATA = Path(".benchmarks") / "data"


def registry_file(rows: int, chunk_rows: int, schema: object) -> Path:
    path = DATA / f"registry-{rows}-{chunk_rows}-seed1.parquet"
    if path.exists():
        return path
    DATA.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".partial")
    writer: pq.ParquetWriter | None = None
    for i, start in enumerate(range(0, rows, chunk_rows)):
        frame = generate_frame(min(chunk_rows, rows - start), 1 + i, schema=schema)  # type: ignore[arg-type]
        table = pa.Table.from_pandas(frame, preserve_index=False)
        if writer is None:
            writer = pq.ParquetWriter(partial, table.schema)
        writer.write_table(table, row_group_size=chunk_rows)
    assert writer is not None
    writer.close()
    os.replace(partial, path)
    return path


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=5_000_000)
    parser.add_argument("--chunk-rows", type=int, default=500_000)
    parser.add_argument("--policies", type=int, default=200)
    parser.add_argument("--prepare", action="store_true", help="only generate the registry file")
    parser.add_argument("--workers", type=int, default=None, help="threads per chunk")
    parser.add_argument(
        "--no-hugepages",
        action="store_true",
        help="stop numpy asking for transparent huge pages (see benchmarks/README.md)",
    )
    args = parser.parse_args()
    if args.no_hugepages:
        np._core.multiarray._set_madvise_hugepage(False)

    policy_set = generate_policy_set(args.policies, seed=0)
    path = registry_file(args.rows, args.chunk_rows, policy_set.schema)
    if args.prepare:
        return
    backend = VectorizedBackend(workers=args.workers)
    engine = Engine(policy_set, backend)
    reading = [0.0]

    columns = engine.fields(AS_OF)  # what the policies read, and the codes and names

    def chunks() -> Iterator[pd.DataFrame]:
        parquet = pq.ParquetFile(path)
        for group in range(parquet.num_row_groups):
            start = time.perf_counter()
            frame = parquet.read_row_group(group, columns=columns).to_pandas()
            reading[0] += time.perf_counter() - start
            yield frame

    start, cpu = time.perf_counter(), time.process_time()
    result = engine.match_chunks(chunks(), AS_OF)
    wall, cpu = time.perf_counter() - start, time.process_time() - cpu
    print(
        json.dumps(
            {
                "rows": len(result.frame),
                "policies": len(result.policies),
                "chunk_rows": args.chunk_rows,
                "wall_s": round(wall, 2),
                "cpu_s": round(cpu, 2),
                "reading_parquet_s": round(reading[0], 2),
                "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024,
                "hugepages": not args.no_hugepages,
                "workers": backend.workers,
                "grants": len(result.batch.grants),
                "unknown": len(result.batch.unknown),
                "near": len(result.batch.near),
            }
        )
    )


if __name__ == "__main__":
    main()
