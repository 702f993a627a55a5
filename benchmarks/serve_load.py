"""A bounded load test of ``policymatch serve`` on loopback: POST /v1/match from several clients.

    .venv/bin/python -m benchmarks.serve_load [--requests 10000] [--clients 4]

Starts ``policymatch serve`` (shipped policies, its seeded 2,000-row demo registry, as of
2024-03-01, a rate limit far above the load) on 127.0.0.1 at a free port, then ``--clients``
processes each send their share of ``--requests`` match requests by USCC over one keep-alive
connection, as fast as the server answers. Prints requests a second, p50/p90/p99/max latency
(client side, request sent to answer read) and the number of answers that were not 200
(there must be none). Everything runs on this machine: the clients take CPU from the server.
"""

from __future__ import annotations

import argparse
import http.client
import json
import multiprocessing
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

TOKEN = "load-test-token-0123456789abcdef"
ROOT = Path(__file__).parents[1]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _usccs() -> list[str]:
    from policymatch import load
    from policymatch.commands.serve import DEMO_ROWS
    from policymatch.registry.generate import generate_frame

    frame = generate_frame(DEMO_ROWS, 1, schema=load(ROOT / "policies").schema)
    return [str(u) for u in frame["uscc"]]


def _client(args: tuple[int, list[str], int]) -> tuple[list[float], int]:
    port, usccs, n = args
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    headers = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"}
    latencies: list[float] = []
    errors = 0
    for i in range(n):
        body = json.dumps({"uscc": usccs[i % len(usccs)], "as_of": "2024-03-01"})
        start = time.perf_counter()
        conn.request("POST", "/v1/match", body=body, headers=headers)
        response = conn.getresponse()
        response.read()
        latencies.append(time.perf_counter() - start)
        errors += response.status != 200
    conn.close()
    return latencies, errors


def _wait(port: int, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        assert proc.poll() is None, "the server exited"
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", "/v1/health", headers={"Authorization": f"Bearer {TOKEN}"})
            if conn.getresponse().status == 200:
                return
        except OSError:
            time.sleep(0.2)
    raise TimeoutError("the server did not start")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=10_000)
    parser.add_argument("--clients", type=int, default=4)
    args = parser.parse_args()
    port = _free_port()
    env = {**os.environ, "POLICYMATCH_TOKENS": f"read:{TOKEN}"}
    server = subprocess.Popen(
        [sys.executable, "-m", "policymatch.cli", "serve", "--port", str(port),
         "--as-of", "2024-03-01", "--rate", "1000000", "--policies", str(ROOT / "policies")],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        _wait(port, server)
        usccs = _usccs()
        _client((port, usccs, 200))  # warm up: the policy set compiled for the date
        share = args.requests // args.clients
        started = time.perf_counter()
        with multiprocessing.Pool(args.clients) as pool:
            results = pool.map(
                _client, [(port, usccs[i :: args.clients], share) for i in range(args.clients)]
            )
        wall = time.perf_counter() - started
    finally:
        server.terminate()
        server.wait(timeout=30)
    latencies = sorted(x for lat, _ in results for x in lat)
    errors = sum(e for _, e in results)

    def pct(q: float) -> float:
        return latencies[min(int(len(latencies) * q), len(latencies) - 1)] * 1000

    load = os.getloadavg()[0]
    print(
        f"{len(latencies)} requests, {args.clients} clients: {len(latencies) / wall:,.0f} requests/s; "
        f"latency ms p50 {pct(0.50):.2f}, p90 {pct(0.90):.2f}, p99 {pct(0.99):.2f}, "
        f"max {latencies[-1] * 1000:.2f}; non-200 answers: {errors}; load average {load:.1f}"
    )
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
