"""How long registry input takes: generating, writing and loading a county-sized registry.

    .venv/bin/python benchmarks/registry_load.py                # 500,000 rows, 5,000,000 generated
    .venv/bin/python benchmarks/registry_load.py --rows 100000 --generate 1000000

Prints wall-clock and CPU seconds of each step (the CPU time is the steadier number on a
shared machine). The files go to a temporary folder that is removed afterwards.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from policymatch.registry.generate import generate_frame
from policymatch.registry.load import iter_registry, merge_loads, read_registry
from policymatch.registry.writers import write_csv, write_parquet
from policymatch.schema import STANDARD_SCHEMA


def timed(label: str, work: Callable[[], Any]) -> Any:
    wall, cpu = time.perf_counter(), time.process_time()
    result = work()
    print(
        f"{label:<44} {time.perf_counter() - wall:7.2f} s wall {time.process_time() - cpu:7.2f} s cpu"
    )
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=500_000, help="rows of the registry files")
    parser.add_argument("--generate", type=int, default=5_000_000, help="rows to generate")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    schema = STANDARD_SCHEMA

    big = timed(
        f"generate_frame({args.generate:,})", lambda: generate_frame(args.generate, args.seed)
    )
    del big
    frame = timed(f"generate_frame({args.rows:,})", lambda: generate_frame(args.rows, args.seed))
    with tempfile.TemporaryDirectory() as folder:
        csv_path = Path(folder) / "registry.csv"
        gb_path = Path(folder) / "registry-gb18030.csv"
        parquet_path = Path(folder) / "registry.parquet"
        timed("write_csv (UTF-8 with BOM)", lambda: write_csv(frame, csv_path, schema))
        timed("write_csv (GB18030)", lambda: write_csv(frame, gb_path, schema, encoding="gb18030"))
        timed("write_parquet", lambda: write_parquet(frame, parquet_path, schema))
        for label, path in (
            ("CSV UTF-8", csv_path),
            ("CSV GB18030", gb_path),
            ("Parquet", parquet_path),
        ):
            load = timed(f"read_registry {label}", lambda p=path: read_registry(p, schema))
            assert len(load.frame) == len(frame)
            assert not load.rejected
            merged = timed(
                f"iter_registry {label} (chunks of 100,000)",
                lambda p=path: merge_loads(iter_registry(p, schema, chunk_rows=100_000)),
            )
            assert len(merged.frame) == len(frame)


if __name__ == "__main__":
    main()
