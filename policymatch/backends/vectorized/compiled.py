"""Loops compiled to machine code (numba), for the steps that numpy would make in many passes.

Finding the set bits of a stack of packed masks, and what each one means (which top-level
condition a near miss failed, which fields an unknown result misses), is one read of the masks
and one write per result in a loop, but a dozen temporary arrays as long as the result in numpy.
The loops release the GIL, so the threads of a large batch run them side by side.

They are compiled on first use and the machine code is cached (beside the module, or in numba's
user cache, or in ``NUMBA_CACHE_DIR``), so only the first process on a machine pays the second
or two it takes. Where no cache folder can be written (a read-only install with a read-only
home), every process compiles them again: slower to start, never wrong. numba keys a module's
cache on that module's source only: the tables the loops read from :mod:`.bits` are fixed.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from functools import cache
from typing import TypeVar, cast

import numba

F = TypeVar("F", bound=Callable[..., object])


def compiled(fn: F) -> F:
    """``fn`` compiled in nopython mode (no Python objects inside), cached, without the GIL."""
    try:
        return cast(F, numba.njit(cache=True, nogil=True)(fn))
    except RuntimeError:  # numba finds no folder it may write its cache to
        _uncached()
        return cast(F, numba.njit(nogil=True)(fn))


@cache
def _uncached() -> None:
    warnings.warn(
        "numba can write its cache nowhere here: the batch core's loops are compiled again in "
        "every process, a few seconds each start (set NUMBA_CACHE_DIR to a writable folder)",
        RuntimeWarning,
        stacklevel=3,
    )
