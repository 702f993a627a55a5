"""5,000,000 enterprises × 200 policies, chunked: time and peak memory, in a child process.

    .venv/bin/pytest benchmarks/bench_chunked.py -s

Runs ``python -m benchmarks.chunked`` (see there) in a fresh process, so that its peak resident
memory is its own; the child's own timing (without interpreter start-up and compiling the
policies) is the figure. The first run generates and caches the registry file (a few minutes).
Set ``CHUNKED_ROWS`` for another size.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Any

import pytest

from benchmarks.summary import record

ROWS = int(os.environ.get("CHUNKED_ROWS", "5000000"))


@pytest.mark.benchmark(group="chunked")
def test_chunked_5m(benchmark: Any) -> None:
    command = [sys.executable, "-m", "benchmarks.chunked", "--rows", str(ROWS)]
    subprocess.run([*command, "--prepare"], check=True)  # the registry file, once: not timed

    def run() -> dict[str, Any]:
        out = subprocess.run(command, check=True, capture_output=True, text=True)
        report: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
        return report

    report = benchmark.pedantic(run, rounds=1, iterations=1)
    benchmark.extra_info.update(report)
    record(f"chunked {ROWS} (child)", report["wall_s"], report["cpu_s"])
    print(json.dumps(report))
