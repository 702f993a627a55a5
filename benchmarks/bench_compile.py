"""Compiling policies: YAML files to the checked IR (``compile_policy_set``), in process.

    .venv/bin/python -m benchmarks.bench_compile            # best of 15, prints a table
    .venv/bin/pytest benchmarks/bench_compile.py -s          # the same, best of 7

Three policy folders: ``policygen``'s 200 policies (seed 0) in the sparse and the dense
profile, written out as YAML files, and the shipped ``policies/``. For each, in the same run:

* the floor: ``yaml.load`` of the same files with libyaml's ``CSafeLoader`` (reading the files
  included), the least any YAML-based compiler does;
* loading: the files read and turned into data with positions (``read_text`` and
  ``load_yaml``: libyaml composes, the loader builds values and checks tags, duplicates and
  limits);
* compiling: ``compile_policy_set`` on the folder, everything a ``policymatch check`` does
  before printing (loading, the model, expressions parsed and type-checked, examples, the
  PM35x warnings);
* the program: the checked IR to the batch core's program (``compile_program``: shared nodes,
  near-miss thresholds, plans), alone and after compiling (YAML to program, what a run does
  before its first match: issue 15's "compiling 200 policies" target).

Each figure is the best CPU time (``time.process_time``) of ``repeat`` runs in this process
after one warm-up run, beside the best wall time; the target (50 ms for 200 policies on a quiet
machine) is read against the floor's ratio on a shared one.

Then the commands a policy author runs, from a fresh process (start-up included, best wall of
``repeat // 3`` runs) beside ``python -c pass``: ``policymatch check`` and ``policymatch test``
on the shipped policies, and ``policymatch check`` on the 200 sparse policies.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from policymatch.backends.vectorized.program import compile_program
from policymatch.rules import compile_policy_set
from policymatch.rules.compiler import _source_files
from policymatch.rules.loader import SourceFile, load_yaml, read_text
from policymatch.testing.policygen import write_policy_set

SHIPPED = Path(__file__).resolve().parent.parent / "policies"
CLI = str(Path(sys.executable).with_name("policymatch"))


def best(fns: list[Callable[[], Any]], repeat: int) -> list[tuple[float, float]]:
    """(best CPU seconds, best wall seconds) of each of ``fns``, run in turn ``repeat`` times
    after a warm-up: taking turns, a busy moment of the machine is shared among them."""
    cpu: list[list[float]] = [[] for _ in fns]
    wall: list[list[float]] = [[] for _ in fns]
    for fn in fns:
        fn()
    for _ in range(repeat):
        for i, fn in enumerate(fns):
            start_cpu, start_wall = time.process_time(), time.perf_counter()
            fn()
            cpu[i].append(time.process_time() - start_cpu)
            wall[i].append(time.perf_counter() - start_wall)
    return [(min(c), min(w)) for c, w in zip(cpu, wall, strict=True)]


def floor(paths: list[Path]) -> None:
    for path in paths:
        yaml.load(path.read_text(encoding="utf-8"), Loader=yaml.CSafeLoader)


def load(paths: list[Path]) -> None:
    for path in paths:
        text = read_text(path, path.name)
        load_yaml(text, SourceFile(path.name, text))


def measure(folder: Path, repeat: int) -> list[tuple[str, float, float]]:
    paths = _source_files(folder)
    policies = compile_policy_set(folder).policies
    steps: dict[str, Callable[[], Any]] = {
        "yaml.load, CSafeLoader (floor)": lambda: floor(paths),
        "loading (read_text + load_yaml)": lambda: load(paths),
        "compile_policy_set (YAML to IR)": lambda: compile_policy_set(folder),
        "compile_program (IR to program)": lambda: compile_program(policies),
        "YAML to program": lambda: compile_program(compile_policy_set(folder).policies),
    }
    timed = best(list(steps.values()), repeat)
    return [(what, cpu, wall) for what, (cpu, wall) in zip(steps, timed, strict=True)]


def wall(argv: list[str], repeat: int) -> float:
    """Best wall seconds of ``argv`` in a fresh process (its exit status is not checked:
    ``check`` exits 1 on a set with errors, and is timed all the same)."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        subprocess.run(argv, capture_output=True, check=False)
        times.append(time.perf_counter() - start)
    return min(times)


def commands(sparse: Path, repeat: int) -> list[str]:
    rows = [
        ("python -c pass (baseline)", [sys.executable, "-c", "pass"]),
        ("policymatch check policies/", [CLI, "check", str(SHIPPED)]),
        ("policymatch test policies/", [CLI, "test", str(SHIPPED)]),
        ("policymatch check (200 sparse)", [CLI, "check", str(sparse)]),
    ]
    timed = [(what, wall(argv, repeat)) for what, argv in rows]
    base = timed[0][1]
    lines = [f"from the command line, best wall of {repeat}: {'wall ms':>8} {'x pass':>8}"]
    lines += [f"  {what:<32} {sec * 1000:8.0f} {sec / base:8.1f}" for what, sec in timed]
    return lines


def run(repeat: int) -> list[str]:
    lines = [f"{'what':<34} {'CPU ms':>8} {'wall ms':>8} {'x floor':>8}"]
    with tempfile.TemporaryDirectory(prefix="bench-compile-") as tmp:
        folders = {
            "200 policies, sparse (policygen seed 0)": write_policy_set(
                Path(tmp, "sparse"), 200, 0
            ),
            "200 policies, dense (policygen seed 0)": write_policy_set(
                Path(tmp, "dense"), 200, 0, dense=True
            ),
            "shipped policies/": SHIPPED,
        }
        for title, folder in folders.items():
            policies = len(compile_policy_set(folder).policies)
            lines.append(f"{title}: {policies} policies")
            rows = measure(folder, repeat)
            base = rows[0][1]
            lines += [
                f"  {what:<32} {cpu * 1000:8.1f} {wall * 1000:8.1f} {cpu / base:8.2f}"
                for what, cpu, wall in rows
            ]
        lines += commands(folders["200 policies, sparse (policygen seed 0)"], max(repeat // 3, 1))
    return lines


def test_compile() -> None:
    for line in run(repeat=7):
        print(line)


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args()
    for line in run(args.repeat):
        print(line)
