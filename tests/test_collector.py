"""Compiling a policy set and a round (allocation, lists, writing) pause Python's cycle collector, and
always give it back as it was."""

from __future__ import annotations

import gc

import pytest

from policymatch.collector import collector_paused


def test_the_collector_is_off_in_the_block_and_on_after_it() -> None:
    assert gc.isenabled()
    with collector_paused():
        assert not gc.isenabled()
    assert gc.isenabled()


def test_the_collector_is_on_again_after_an_error() -> None:
    with pytest.raises(ValueError, match="could not be written"), collector_paused():
        raise ValueError("a list could not be written")
    assert gc.isenabled()


def test_a_caller_that_turned_it_off_keeps_it_off() -> None:
    gc.disable()
    try:
        with collector_paused():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()
