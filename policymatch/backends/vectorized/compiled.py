"""Loops compiled to machine code (numba), for the steps that numpy would make in many passes.

Finding the set bits of a stack of packed masks, and what each one means (which top-level
condition a near miss failed, which labelled conditions an unknown result could not decide),
is one read of the masks and one write per result in a loop, but a dozen temporary arrays as
long as the result in numpy. The loops are compiled once per machine (``cache=True`` keeps the
machine code beside the module, or in numba's user cache when that is read-only) and release
the GIL, so the threads of a large batch run them side by side.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar, cast

import numba

F = TypeVar("F", bound=Callable[..., object])


def compiled(fn: F) -> F:
    """``fn`` compiled in nopython mode (no Python objects inside), cached, without the GIL."""
    return cast(F, numba.njit(cache=True, nogil=True)(fn))
