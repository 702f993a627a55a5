"""The process keeps the programs of the last few policy sets matched, by their policies' identity."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Sequence

import pytest

import policymatch.backends.vectorized as vectorized
from policymatch.backends.vectorized import PROGRAMS_KEPT, VectorizedBackend, forget_programs
from policymatch.backends.vectorized.program import Program
from policymatch.rules import ir
from policymatch.testing.policygen import generate_policy_set
from tests.backends.conftest import AS_OF, frame_of


@pytest.fixture
def compiles(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[int]]:
    """The number of policies of every program compiled from here on (none kept before)."""
    forget_programs()
    calls: list[int] = []
    compile_program = vectorized.compile_program

    def counted(policies: Sequence[ir.Policy]) -> Program:
        calls.append(len(policies))
        return compile_program(policies)

    monkeypatch.setattr(vectorized, "compile_program", counted)
    yield calls
    forget_programs()


def test_a_new_backend_on_a_set_already_matched_reuses_its_program(compiles: list[int]) -> None:
    ps = generate_policy_set(12, seed=2)
    frame = frame_of([{"region": "361126", "employees": e} for e in range(20)], ps)
    first = VectorizedBackend(workers=1).match(ps.policies, frame, AS_OF, ps.schema)
    again = VectorizedBackend(workers=1).match(ps.policies, frame, AS_OF, ps.schema)
    assert compiles == [12]
    for a, b in zip(dataclasses.astuple(first), dataclasses.astuple(again), strict=True):
        assert a.equals(b)


def test_equal_policies_that_are_other_objects_are_compiled_again(compiles: list[int]) -> None:
    ps = generate_policy_set(5, seed=2)
    copies = [dataclasses.replace(p) for p in ps.policies]
    assert copies == list(ps.policies)
    VectorizedBackend().program(ps.policies)
    VectorizedBackend().program(copies)
    assert compiles == [5, 5]


def test_only_the_last_few_sets_are_kept(compiles: list[int]) -> None:
    sets = [generate_policy_set(3, seed=s).policies for s in range(PROGRAMS_KEPT + 1)]
    for policies in sets:
        VectorizedBackend().program(policies)
    VectorizedBackend().program(sets[-1])  # kept
    VectorizedBackend().program(sets[0])  # the oldest, dropped when the last came
    assert compiles == [3] * (PROGRAMS_KEPT + 2)


def test_a_backend_keeps_its_own_set_when_the_process_drops_it(compiles: list[int]) -> None:
    mine = generate_policy_set(3, seed=9).policies
    backend = VectorizedBackend()
    program = backend.program(mine)
    for s in range(PROGRAMS_KEPT):
        VectorizedBackend().program(generate_policy_set(3, seed=s).policies)
    assert backend.program(mine) is program
    assert len(compiles) == PROGRAMS_KEPT + 1
