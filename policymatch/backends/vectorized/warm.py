"""Compile the batch core's loops, and the registry reader's key hash, ahead of a user's first
run: ``python -m`` this module.

The loops of :mod:`.compiled` are compiled by numba on first use (seconds) and cached; the
set-up script runs this once after installing, so that the first ``policymatch run`` loads them
from the cache instead. It matches a small generated policy set against a small generated
registry (of each profile), and compiles the result loops for every width of codes: the real
code paths, so the real argument types are the ones compiled.
"""

from __future__ import annotations

import datetime as dt
import time


def warm_up() -> float:
    """Match a small generated set of each profile; returns the seconds it took."""
    import numpy as np

    from ...registry.cells import warm_loops
    from ...registry.generate import generate_frame
    from ...testing.policygen import generate_policy_set
    from . import VectorizedBackend
    from .bits import rows_of
    from .results import compile_code_widths

    start = time.perf_counter()
    as_of = dt.date(2024, 3, 1)
    # Both profiles: the sparse one tests text and tags, the dense one grants tiered amounts.
    for dense in (False, True):
        policy_set = generate_policy_set(40, seed=0, dense=dense)
        frame = generate_frame(200, seed=1, schema=policy_set.schema)
        backend = VectorizedBackend(workers=1)
        backend.match(policy_set.in_force(as_of), frame, as_of, policy_set.schema)
    compile_code_widths()
    # A loop the generated sets do not reach but the shipped policies do (the rows of an amount
    # the one-pass settlement leaves to the general path; tests/backends/test_warm.py finds
    # such loops), and the registry reader's: white space, numbers and dates, codes, key hash.
    rows_of(np.zeros(1, dtype=np.uint8))
    warm_loops()
    return time.perf_counter() - start


if __name__ == "__main__":
    print(f"policymatch: batch core compiled and cached ({warm_up():.1f} s)")
