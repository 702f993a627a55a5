"""Reading a registry against pyarrow's own read of the same file, in the same run.

    .venv/bin/python -m benchmarks.bench_read --rows 50000
    .venv/bin/python -m benchmarks.bench_read --rows 5000000 --repeat 2

Generates a seeded registry (:func:`policymatch.registry.generate.generate_frame`, what
``policymatch sample-registry`` writes), writes it as Parquet, CSV UTF-8 (with a BOM, as Excel
saves it) and CSV GB18030 into a temporary folder, and times, best of ``--repeat``:

* pyarrow's own read of the file (``pq.read_table``, ``pyarrow.csv.read_csv``; GB18030 with
  ``encoding="gb18030"``): untyped columns, no checks, the floor;
* ``read_registry``: the whole registry typed, validated, bad rows set aside;
* ``iter_registry``: the same in chunks of ``--chunk-rows``, text as Arrow strings
  (``arrow_text``: what the streaming round reads).

Prints microseconds a row (wall clock; CPU seconds of the process in parentheses, which count
pyarrow's threads too) and each reader's ratio to pyarrow's read in this run.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from policymatch.registry.generate import generate_frame
from policymatch.registry.load import iter_registry, read_registry
from policymatch.registry.writers import write_csv, write_parquet
from policymatch.schema import STANDARD_SCHEMA


def best(work: Callable[[], Any], repeat: int) -> tuple[float, float]:
    """Best wall and best CPU seconds of ``repeat`` runs."""
    walls, cpus = [], []
    for _ in range(repeat):
        wall, cpu = time.perf_counter(), time.process_time()
        work()
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    return min(walls), min(cpus)


def pyarrow_read(path: Path, encoding: str | None) -> Callable[[], Any]:
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    if path.suffix == ".parquet":
        return lambda: pq.read_table(path)
    options = pacsv.ReadOptions(encoding=encoding) if encoding else None
    return lambda: pacsv.read_csv(path, read_options=options)


def whole(path: Path, rows: int) -> Callable[[], Any]:
    def work() -> None:
        load = read_registry(path, STANDARD_SCHEMA)
        assert load.rows_read == rows
        assert len(load.frame) + len(load.rejected) == rows

    return work


def chunked(path: Path, rows: int, chunk_rows: int) -> Callable[[], Any]:
    def work() -> None:
        loads = iter_registry(path, STANDARD_SCHEMA, chunk_rows=chunk_rows, arrow_text=True)
        read = sum(load.rows_read for load in loads)
        assert read == rows

    return work


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=50_000)
    parser.add_argument("--repeat", type=int, default=5, help="best of this many runs")
    parser.add_argument("--chunk-rows", type=int, default=200_000, help="iter_registry's chunks")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--formats", default="parquet,csv,gb18030", help="comma-separated: parquet,csv,gb18030"
    )
    args = parser.parse_args()
    frame = generate_frame(args.rows, args.seed)
    wanted = args.formats.split(",")
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"{args.rows:,} rows, best of {args.repeat}, load average {load:.2f}")
    print(f"{'file':<22} {'pyarrow read':>18} {'read_registry':>18} {'ratio':>6} "
          f"{'iter_registry':>18} {'ratio':>6}")  # fmt: skip
    with tempfile.TemporaryDirectory() as folder:
        files: list[tuple[str, Path, str | None]] = []
        if "parquet" in wanted:
            path = Path(folder) / "registry.parquet"
            write_parquet(frame, path, STANDARD_SCHEMA)
            files.append(("Parquet", path, None))
        if "csv" in wanted:
            path = Path(folder) / "registry.csv"
            write_csv(frame, path, STANDARD_SCHEMA)
            files.append(("CSV UTF-8", path, None))
        if "gb18030" in wanted:
            path = Path(folder) / "registry-gb18030.csv"
            write_csv(frame, path, STANDARD_SCHEMA, encoding="gb18030")
            files.append(("CSV GB18030", path, "gb18030"))
        del frame
        for label, path, encoding in files:
            size = path.stat().st_size / 1e6
            floor = best(pyarrow_read(path, encoding), args.repeat)
            ours = best(whole(path, args.rows), args.repeat)
            chunks = best(chunked(path, args.rows, args.chunk_rows), args.repeat)

            def shown(t: tuple[float, float]) -> str:
                return f"{t[0] / args.rows * 1e6:6.2f} ({t[1] / args.rows * 1e6:5.2f}) µs"

            print(
                f"{label + f' {size:.0f} MB':<22} {shown(floor):>18} {shown(ours):>18} "
                f"{ours[0] / floor[0]:6.1f} {shown(chunks):>18} {chunks[0] / floor[0]:6.1f}"
            )


if __name__ == "__main__":
    main()
