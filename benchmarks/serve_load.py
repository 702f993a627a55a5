"""A bounded load test of ``policymatch serve`` on loopback: POST /v1/match from several clients,
against the framework's floor in the same run.

    .venv/bin/python -m benchmarks.serve_load [--requests 10000] [--clients 2,4]

Starts ``policymatch serve`` (shipped policies, its seeded 2,000-row demo registry, as of
2024-03-01, a rate limit far above the load) on 127.0.0.1 at a free port; for each number of
clients, that many processes send their share of ``--requests`` match requests by USCC, each
over one keep-alive connection, as fast as the server answers. Then the same against the floor:
a FastAPI app whose POST /v1/match returns a fixed body the size of an answer (a plain route,
as the service's is), on the same uvicorn settings (one worker, its HTTP parser and event
loop), without tokens or a log: what any request costs on this stack. Prints, per server and
number of clients, requests a second, p50/p90/p99/max latency (client side, request sent to
answer read), the non-200 answers (there must be none), the server process's CPU time per
request (user + system, the figure a busy machine disturbs least) and the ratios to the floor.
Everything runs on this machine: the clients take CPU from the server.
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
from typing import Any

from fastapi import Request
from fastapi.responses import Response

TOKEN = "load-test-token-0123456789abcdef"
ROOT = Path(__file__).parents[1]
#: The floor's answer: as many bytes as a match answer on the shipped policies.
FLOOR_BODY = json.dumps({"results": "x" * 2650}).encode()


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


def floor_server(port: int) -> None:
    """The floor: one FastAPI route returning a fixed body, served as ``policymatch serve``
    serves (:func:`policymatch.commands.serve.serve_app`)."""
    from fastapi import FastAPI
    from starlette.routing import Route

    from policymatch.commands.serve import serve_app

    app = FastAPI()
    # A plain route in a FastAPI app, as the service's own POST /v1/match is.
    app.router.routes.append(Route("/v1/match", _floor_match, methods=["POST"]))
    app.get("/v1/health")(_floor_health)
    serve_app(app, "127.0.0.1", port)


async def _floor_match(request: Request) -> Response:
    await request.body()
    return Response(FLOOR_BODY, media_type="application/json")


def _floor_health() -> dict[str, str]:
    return {"status": "ok"}


def _cpu_seconds(pid: int) -> float:
    """The user and system CPU time a process has used (Linux)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _measure(pid: int, port: int, usccs: list[str], clients: int, requests: int) -> dict[str, Any]:
    _client((port, usccs, 200))  # warm up: the policy set compiled for the date
    share = requests // clients
    cpu = _cpu_seconds(pid)
    started = time.perf_counter()
    with multiprocessing.Pool(clients) as pool:
        results = pool.map(_client, [(port, usccs[i::clients], share) for i in range(clients)])
    wall = time.perf_counter() - started
    cpu = _cpu_seconds(pid) - cpu
    latencies = sorted(x for lat, _ in results for x in lat)

    def pct(q: float) -> float:
        return latencies[min(int(len(latencies) * q), len(latencies) - 1)] * 1000

    return {
        "requests": len(latencies),
        "rps": len(latencies) / wall,
        "p50": pct(0.50),
        "p90": pct(0.90),
        "p99": pct(0.99),
        "max": latencies[-1] * 1000,
        "errors": sum(e for _, e in results),
        "cpu": cpu / len(latencies) * 1000,
        "load": os.getloadavg()[0],
    }


def _run(command: list[str], usccs: list[str], counts: list[int], requests: int) -> list[Any]:
    port = _free_port()
    env = {**os.environ, "POLICYMATCH_TOKENS": f"read:{TOKEN}"}
    server = subprocess.Popen(
        [*command, str(port)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        _wait(port, server)
        return [_measure(server.pid, port, usccs, n, requests) for n in counts]
    finally:
        server.terminate()
        server.wait(timeout=30)


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--requests", type=int, default=10_000)
    parser.add_argument("--clients", default="2,4", help="numbers of clients, comma-separated")
    parser.add_argument("--floor-server", type=int, metavar="PORT", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.floor_server is not None:
        floor_server(args.floor_server)
        return 0
    counts = [int(n) for n in args.clients.split(",")]
    usccs = _usccs()
    serve = [sys.executable, "-m", "policymatch.cli", "serve", "--as-of", "2024-03-01",
             "--rate", "1000000", "--policies", str(ROOT / "policies"), "--port"]  # fmt: skip
    served = _run(serve, usccs, counts, args.requests)
    floor = _run([sys.executable, "-m", "benchmarks.serve_load", "--floor-server"], usccs, counts,
                 args.requests)  # fmt: skip
    print("| server | clients | requests | requests/s | p50 ms | p90 ms | p99 ms | max ms | "
          "non-200 | server CPU ms/request | load |")  # fmt: skip
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for name, rows in (("policymatch serve", served), ("floor", floor)):
        for n, r in zip(counts, rows, strict=True):
            print(f"| {name} | {n} | {r['requests']:,} | {r['rps']:,.0f} | {r['p50']:.2f} | "
                  f"{r['p90']:.2f} | {r['p99']:.2f} | {r['max']:.2f} | {r['errors']} | "
                  f"{r['cpu']:.3f} | {r['load']:.1f} |")  # fmt: skip
    for n, s, f in zip(counts, served, floor, strict=True):
        print(f"{n} clients: p50 x{s['p50'] / f['p50']:.2f}, p99 x{s['p99'] / f['p99']:.2f}, "
              f"requests/s x{s['rps'] / f['rps']:.2f}, server CPU x{s['cpu'] / f['cpu']:.2f} "
              "of the floor")  # fmt: skip
    return 1 if any(r["errors"] for r in served + floor) else 0


if __name__ == "__main__":
    sys.exit(main())
