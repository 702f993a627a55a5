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
"""

from __future__ import annotations

import os
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


def table(rows: list[tuple[str, float, str]]) -> list[str]:
    base = rows[0][1]
    lines = [f"{'what':<40} {'seconds':>8} {'x pass':>7}  note"]
    lines += [f"{what:<40} {sec:8.3f} {sec / base:7.1f}  {note}" for what, sec, note in rows]
    return lines


def test_startup() -> None:
    for line in table(measure(repeat=3)):
        print(line)


if __name__ == "__main__":
    for line in table(measure()):
        print(line)
