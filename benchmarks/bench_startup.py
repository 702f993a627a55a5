"""Start-up: what a user waits for before any matching, each in a fresh process.

    .venv/bin/python -m benchmarks.bench_startup            # best of 5, prints a table
    .venv/bin/pytest benchmarks/bench_startup.py -s          # the same, best of 3

Every figure is the best wall time of a new Python process (``subprocess``), beside baselines
timed in the same run (``python -c pass``: the interpreter alone; ``import pandas``): on a
shared machine only the ratios mean something.

* ``import policymatch`` and ``policymatch --help`` (target 0.3 s on a quiet machine);
* compiling the generated 200-policy set (``policygen``, seed 0: YAML to IR) then to the batch
  core's program, timed inside the process after its imports, the first compile of the process
  (target 50 ms; ``bench_compile.py`` times YAML to IR warm, best of N, beside ``yaml.load``);
* the first match of a process: a small generated match with numba's cache in a fresh folder
  (``NUMBA_CACHE_DIR``: what a user's first run would pay without the install-time warm-up of
  ``scripts/setup.sh``), then again with that cache filled (every later run, and the first one
  after ``setup.sh``).

The demo round from the command line (``policymatch run`` on the shipped policies and a
50,000-row sample, a fresh folder and ledger each time), best wall and best user CPU of N::

    .venv/bin/python -m benchmarks.bench_startup --demo 5
    .venv/bin/python -m benchmarks.bench_startup --demo 5 --against ../main   # alternating

``--against`` runs the same round with another checkout's ``policymatch`` (first on
``PYTHONPATH``) run by run in turn with this one, and checks both wrote the same files.
"""

from __future__ import annotations

import argparse
import filecmp
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PYTHON = sys.executable
CLI = str(Path(PYTHON).with_name("policymatch"))

COMPILE = """
import tempfile, time
from pathlib import Path
from policymatch.testing.policygen import write_policy_set
from policymatch.rules import compile_policy_set
from policymatch.backends.vectorized.program import compile_program
folder = Path(tempfile.mkdtemp())
write_policy_set(folder, 200, 0)
start = time.perf_counter()
policy_set = compile_policy_set(folder)
middle = time.perf_counter()
compile_program(policy_set.policies)
end = time.perf_counter()
print(middle - start, end - middle)
"""

FIRST_MATCH = """
from policymatch.backends.vectorized.warm import warm_up
print(warm_up())
"""


def wall(argv: list[str], env: dict[str, str] | None = None) -> tuple[float, str]:
    start = time.perf_counter()
    done = subprocess.run(argv, capture_output=True, text=True, env=env, check=True)
    return time.perf_counter() - start, done.stdout


def best(argv: list[str], repeat: int) -> float:
    return min(wall(argv)[0] for _ in range(repeat))


def measure(repeat: int = 5) -> list[tuple[str, float, str]]:
    """(what, seconds, note) rows, baselines first."""
    rows: list[tuple[str, float, str]] = []
    base = best([PYTHON, "-c", "pass"], repeat)
    rows.append(("python -c pass (baseline)", base, ""))
    rows.append(
        ("python -c 'import pandas' (baseline)", best([PYTHON, "-c", "import pandas"], repeat), "")
    )
    rows.append(("import policymatch", best([PYTHON, "-c", "import policymatch"], repeat), ""))
    rows.append(("policymatch --help", best([CLI, "--help"], repeat), ""))
    compiled = [wall([PYTHON, "-c", COMPILE])[1].split() for _ in range(repeat)]
    rows.append(
        (
            "compile 200 policies (YAML to IR)",
            min(float(c[0]) for c in compiled),
            "first in process",
        )
    )
    rows.append(("  then IR to program", min(float(c[1]) for c in compiled), "in-process"))
    with tempfile.TemporaryDirectory() as cache:
        env = {**os.environ, "NUMBA_CACHE_DIR": cache}
        cold_wall, cold = wall([PYTHON, "-c", FIRST_MATCH], env)
        rows.append(("first match, empty numba cache", cold_wall, f"match {float(cold):.2f} s"))
        warm = [wall([PYTHON, "-c", FIRST_MATCH], env) for _ in range(repeat)]
        warm_wall, warm_out = min(warm)
        rows.append(
            ("first match, numba cache filled", warm_wall, f"match {float(warm_out):.2f} s")
        )
    return rows


def timed(argv: list[str], cwd: Path, env: dict[str, str] | None) -> tuple[float, float]:
    """Wall and user CPU seconds of a child process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_utime
    start = time.perf_counter()
    subprocess.run(argv, capture_output=True, cwd=cwd, env=env, check=True)
    wall = time.perf_counter() - start
    return wall, resource.getrusage(resource.RUSAGE_CHILDREN).ru_utime - before


def demo_round(repeat: int, against: Path | None) -> list[str]:
    """``policymatch run`` on the demo, best wall and user CPU of ``repeat`` runs each."""
    with tempfile.TemporaryDirectory(prefix="bench_demo_") as tmp:
        return _demo_round(Path(tmp), repeat, against)


def _demo_round(root: Path, repeat: int, against: Path | None) -> list[str]:
    rows = root / "sample.csv"
    policies = str(Path(__file__).resolve().parents[1] / "policies")
    sample = ["sample-registry", "--rows", "50000", "--seed", "1", "--policies", policies]
    subprocess.run([CLI, *sample, "--out", str(rows)], capture_output=True, check=True)
    checkouts: dict[str, dict[str, str] | None] = {"this checkout": None}
    if against is not None:
        checkouts[str(against)] = {**os.environ, "PYTHONPATH": str(against.resolve())}
    times: dict[str, list[tuple[float, float]]] = {name: [] for name in checkouts}
    out, ledger = root / "out", root / "ledger.sqlite"
    argv = [PYTHON, "-m", "policymatch.cli", "run", "--registry", str(rows), "--as-of"]
    argv += ["2024-03-01", "--policies", policies, "--out", str(out), "--ledger", str(ledger)]
    for _ in range(repeat):
        for n, (name, env) in enumerate(checkouts.items()):
            shutil.rmtree(root / f"out{n}", ignore_errors=True)
            # In a folder of its own: ``python -m`` puts the working folder first on sys.path.
            times[name].append(timed(argv, root, env))
            out.rename(root / f"out{n}")  # the same folder and ledger path: the same manifest
    if against is not None:
        names = [p.name for p in (root / "out0").iterdir()]
        _, differ, missing = filecmp.cmpfiles(root / "out0", root / "out1", names, shallow=False)
        print(f"files that differ from {against}'s: {differ + missing or 'none'}")
    lines = [
        f"{'demo round':<40} {'wall':>8} {'user':>8}  (best of {repeat}, load {os.getloadavg()[0]:.1f})"
    ]
    for name, t in times.items():
        lines.append(f"{name:<40} {min(w for w, _ in t):8.3f} {min(u for _, u in t):8.3f}")
    return lines


def table(rows: list[tuple[str, float, str]]) -> list[str]:
    base = rows[0][1]
    lines = [f"{'what':<40} {'seconds':>8} {'x pass':>7}  note"]
    lines += [f"{what:<40} {sec:8.3f} {sec / base:7.1f}  {note}" for what, sec, note in rows]
    return lines


def test_startup() -> None:
    for line in table(measure(repeat=3)):
        print(line)


if __name__ == "__main__":
    cli = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    cli.add_argument("--demo", type=int, metavar="N", help="time the demo round, best of N")
    cli.add_argument("--against", type=Path, metavar="CHECKOUT", help="alternate with CHECKOUT")
    options = cli.parse_args()
    for line in demo_round(options.demo, options.against) if options.demo else table(measure()):
        print(line)
