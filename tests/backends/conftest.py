"""Helpers for the backend tests: small policy sets written as YAML, compiled for real."""

from __future__ import annotations

import datetime as dt
import textwrap
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TypeVar

import pandas as pd
import pytest

from policymatch.backends.base import BatchResult
from policymatch.engine import BACKENDS, get_backend
from policymatch.errors import PolicyError
from policymatch.registry.frame import frame_from_records
from policymatch.registry.uscc import make_uscc
from policymatch.rules import PolicySet, compile_policy_set
from policymatch.values import Value

AS_OF = dt.date(2024, 3, 1)

HEADER = """\
version: 1
funds:
  - {id: pool, title: 资金池}
defaults:
  fund: pool
"""

Compile = Callable[[str], PolicySet]


@pytest.fixture
def compile_yaml(tmp_path: Path) -> Compile:
    """Compile the YAML text of one policy file (funds and a default fund are added)."""

    def run(text: str) -> PolicySet:
        folder = tmp_path / f"set{len(list(tmp_path.iterdir()))}"
        folder.mkdir()
        (folder / "p.yaml").write_text(HEADER + textwrap.dedent(text), encoding="utf-8")
        return compile_policy_set(folder)

    return run


T = TypeVar("T")


def outcome(work: Callable[[], T]) -> T | tuple[str, ...]:
    """What ``work`` returns, or the codes of the :class:`PolicyError` it raises (an amount
    beyond the most one grant may be stops every backend, PM311): what two backends, or a
    whole and a chunked match, must agree on."""
    try:
        return work()
    except PolicyError as refused:
        return tuple(d.code for d in refused.diagnostics)


def frame_of(records: Sequence[Mapping[str, Value]], policy_set: PolicySet) -> pd.DataFrame:
    """A typed frame; each record gets a distinct code unless it has one."""
    keyed = [{"uscc": make_uscc(f"91361126MA{i:07d}"), **r} for i, r in enumerate(records)]
    return frame_from_records(keyed, policy_set.schema)


@pytest.fixture(params=sorted(BACKENDS))
def backend_name(request: pytest.FixtureRequest) -> str:
    """Every batch backend the engine knows: the conformance suite runs against each."""
    name: str = request.param
    return name


def match(
    policy_set: PolicySet,
    records: Sequence[Mapping[str, Value]],
    backend: str,
    as_of: dt.date = AS_OF,
) -> BatchResult:
    """The in-force policies of ``policy_set`` matched by ``backend`` against ``records``."""
    frame = frame_of(records, policy_set)
    return get_backend(backend).match(policy_set.in_force(as_of), frame, as_of, policy_set.schema)
