"""Peak memory and time of one ``policymatch run`` round: whole-registry read, or chunked.

    .venv/bin/python benchmarks/round_memory.py REGISTRY [--chunk-rows N | --whole]

Runs one round of the shipped policies (policies/) on REGISTRY as of 2024-03-01 into
/tmp/round-memory/round (``--work``), and prints the wall and CPU seconds of each step, the peak
resident memory of the process (``ru_maxrss``: run one round per process) and the round id,
which is the same whichever way the registry was read. Chunked, step "read" reads and matches:
the seconds the batch core spent matching chunks (on worker threads, beside the reading) are
printed apart, and what the round spends after the read (allocate, lists, write) is summed.
Figures: benchmarks/README.md, "Round memory" and "Issue 15, the whole round".
"""

from __future__ import annotations

import argparse
import datetime as dt
import resource
import shutil
import time
from pathlib import Path
from typing import Any

from policymatch.backends.vectorized import VectorizedBackend
from policymatch.rounds.progress import Progress
from policymatch.rounds.round import RoundRequest, run_round
from policymatch.rounds.stream import CHUNK_ROWS, ChunkedMatcher
from policymatch.rules import compile_policy_set


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("registry")
    parser.add_argument("--chunk-rows", type=int, default=CHUNK_ROWS)
    parser.add_argument("--whole", action="store_true", help="read the registry whole")
    parser.add_argument("--work", type=Path, default=Path("/tmp/round-memory"))
    args = parser.parse_args()
    policies = compile_policy_set("policies")
    # The same folder and ledger every time: they are in the manifest, hence in the round id.
    shutil.rmtree(args.work, ignore_errors=True)
    request = RoundRequest(
        args.registry, dt.date(2024, 3, 1), args.work / "round", str(args.work / "ledger.sqlite")
    )
    progress = Progress()
    matching = _time_matching()
    start, cpu = time.perf_counter(), time.process_time()
    matcher = None if args.whole else ChunkedMatcher(args.chunk_rows)
    report = run_round(policies, request, progress, matcher=matcher)
    wall, cpu = time.perf_counter() - start, time.process_time() - cpu
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2  # KiB -> GiB
    rows = report.draft.registry.rows_read
    how = "whole" if args.whole else f"chunks of {args.chunk_rows:,}"
    print(f"{rows:,} rows, {how}: {wall:.1f} s wall, {cpu:.1f} s CPU, peak RSS {peak:.2f} GiB")
    print(
        "  steps, wall (CPU) s: "
        + ", ".join(f"{k} {v:.2f} ({progress.cpu[k]:.2f})" for k, v in progress.timings.items())
    )
    after = sum(v for k, v in progress.timings.items() if k not in ("read", "match"))
    print(
        f"  of which matching chunks {sum(matching):.2f} s (worker threads, beside the read); "
        f"after the read: {after:.2f} s"
    )
    print(f"  {peak * 1024**3 / max(rows, 1):,.0f} bytes a row; round {report.round_id[:12]}")


def _time_matching() -> list[float]:
    """Seconds spent in each call of the batch core's chunk match (appended as they end)."""
    spent: list[float] = []
    match_raw = VectorizedBackend.match_raw

    def timed(self: VectorizedBackend, *args: Any, **kwargs: Any) -> Any:
        start = time.perf_counter()
        try:
            return match_raw(self, *args, **kwargs)
        finally:
            spent.append(time.perf_counter() - start)

    VectorizedBackend.match_raw = timed  # type: ignore[method-assign]
    return spent


if __name__ == "__main__":
    main()
