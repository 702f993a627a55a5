"""Chunked matching equals matching the whole registry at once, whatever the chunk boundaries."""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from policymatch.backends.vectorized.results import Raw
from policymatch.engine import Engine, MatchResult
from policymatch.rules import PolicySet
from tests.backends.conftest import outcome
from tests.strategies import Case, cases


def policy_set(case: Case) -> PolicySet:
    return PolicySet(case.policies, {}, case.schema, (), "")


def chunks_of(frame: pd.DataFrame, cuts: list[int]) -> list[pd.DataFrame]:
    bounds = [0, *sorted(c % (len(frame) + 1) for c in cuts), len(frame)]
    return [frame.iloc[a:b].reset_index(drop=True) for a, b in itertools.pairwise(bounds)]


def assert_same_result(
    chunked: MatchResult | tuple[str, ...], whole: MatchResult | tuple[str, ...]
) -> None:
    """The same result, or the same refusal (:func:`~tests.backends.conftest.outcome`)."""
    if isinstance(chunked, tuple) or isinstance(whole, tuple):
        assert chunked == whole == ("PM311",)  # an amount beyond the most a grant may be
        return
    for name in ("grants", "unknown", "near", "counts"):
        pd.testing.assert_frame_equal(
            getattr(chunked.batch, name), getattr(whole.batch, name), obj=name
        )
    pd.testing.assert_frame_equal(chunked.grants, whole.grants, obj="grants with codes")


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(cases(max_policies=3, max_rows=25), st.lists(st.integers(0, 30), max_size=4))
def test_any_chunking_gives_the_one_shot_result(case: Case, cuts: list[int]) -> None:
    engine = Engine(policy_set(case), "vectorized")
    whole = outcome(lambda: engine.match(case.frame, case.as_of))
    chunked = outcome(lambda: engine.match_chunks(chunks_of(case.frame, cuts), case.as_of))
    assert_same_result(chunked, whole)


FEW = settings(max_examples=10, deadline=None, suppress_health_check=list(HealthCheck))


@pytest.mark.parametrize("backend", ["reference", "vectorized"])
@FEW
@given(case=cases(max_policies=2, max_rows=12))
def test_chunks_as_loads_and_empty_chunks(backend: str, case: Case) -> None:
    """Chunks may be registry loads (with ``.frame``) and may be empty; counts add up."""

    @dataclass
    class Load:
        frame: pd.DataFrame

    engine = Engine(policy_set(case), backend)
    whole = outcome(lambda: engine.match(case.frame, case.as_of))
    parts = chunks_of(case.frame, [3, 3, 7])  # one of them empty
    chunked = outcome(lambda: engine.match_chunks([Load(p) for p in parts], case.as_of))
    assert_same_result(chunked, whole)
    if not isinstance(chunked, tuple):
        assert list(chunked.frame.columns) == ["uscc", "name"]


@FEW
@given(cases(max_policies=2, max_rows=0))
def test_no_chunks_at_all_is_an_empty_registry(case: Case) -> None:
    engine = Engine(policy_set(case))
    result = engine.match_chunks([], case.as_of)
    assert len(result.batch.grants) == len(result.frame) == 0
    assert sorted(result.counts["policy_id"]) == sorted(p.id for p in case.policies)
    assert (result.counts.drop(columns="policy_id").to_numpy() == 0).all()


def test_rows_of_late_chunks_outgrow_int32_without_wrapping() -> None:
    raw = Raw(("P",))
    raw.add(raw.near, np.zeros(2, dtype=np.int32), row=np.array([5, 300_000_000]), text=np.zeros(2))
    assert raw.near["row"][0].dtype == np.int32
    early = raw.shifted(1_000)
    assert early.near["row"][0].dtype == np.int32  # narrow while it fits
    late = raw.shifted(2_000_000_000)
    assert late.near["row"][0].tolist() == [2_000_000_005, 2_300_000_000]
    assert late.near["row"][0].dtype == np.int64


@pytest.mark.parametrize("backend", ["reference", "vectorized"])
@FEW
@given(case=cases(max_policies=3, max_rows=25))
def test_text_columns_as_arrow_strings_match_the_same(backend: str, case: Case) -> None:
    """A frame read with ``arrow_text`` (code, string and enum columns of dtype ``str``, null
    NaN) matches as the frame of Python strings does, whole and in chunks."""
    engine = Engine(policy_set(case), backend)
    whole = outcome(lambda: engine.match(case.frame, case.as_of))
    text = {f.name: "str" for f in case.schema.input_fields if f.type.is_text}
    arrow = case.frame.astype({n: t for n, t in text.items() if n in case.frame.columns})
    assert_same_result(outcome(lambda: engine.match(arrow, case.as_of)), whole)
    in_chunks = outcome(lambda: engine.match_chunks(chunks_of(arrow, [5, 11]), case.as_of))
    assert_same_result(in_chunks, whole)
