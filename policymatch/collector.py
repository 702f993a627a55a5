"""Python's cyclic garbage collector paused for a block of work that makes many small objects.

Compiling a policy set and a round's allocation, lists and writing each make some 100,000 to a
million small objects (tuples, nodes) and no cycles; the collector would walk them, and every
other object of the process, over and over for nothing (a tenth of a compile's time, a third of
those round steps'). What the block leaves is collected after it, as ever.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def collector_paused() -> Iterator[None]:
    """The cyclic collector off inside the block, back as it was after it (errors included)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
