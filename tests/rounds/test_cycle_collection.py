"""The round turns Python's cycle collector off for allocation and the lists, and always back on."""

from __future__ import annotations

import gc

import pytest

from policymatch.rounds.round import without_cycle_collection


def test_the_collector_is_off_in_the_block_and_on_after_it() -> None:
    assert gc.isenabled()
    with without_cycle_collection():
        assert not gc.isenabled()
    assert gc.isenabled()


def test_the_collector_is_on_again_after_an_error() -> None:
    with pytest.raises(ValueError, match="could not be written"), without_cycle_collection():
        raise ValueError("a list could not be written")
    assert gc.isenabled()


def test_a_caller_that_turned_it_off_keeps_it_off() -> None:
    gc.disable()
    try:
        with without_cycle_collection():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()
