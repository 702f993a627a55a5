"""The compiled loops work where numba can cache nothing (a read-only install): compiled in every
process, with a warning that says how to keep them."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import numba
import numpy as np
import pytest

from policymatch.backends.vectorized import compiled as C


def test_without_a_cache_folder_loops_are_compiled_uncached_and_say_so(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    real = numba.njit
    asked: list[dict[str, Any]] = []

    def njit(**options: Any) -> Any:
        asked.append(options)
        if options.get("cache"):
            # What numba raises when neither the module's folder nor its user cache is writable.
            raise RuntimeError("cannot cache function 'total': no locator available for file")
        return real(**options)

    # Only compiled.py's view of numba: numba's own modules keep the real njit.
    monkeypatch.setattr(C, "numba", SimpleNamespace(njit=njit))
    C._uncached.cache_clear()

    def total(values: np.ndarray) -> int:
        out = 0
        for v in values:
            out += v
        return out

    with pytest.warns(RuntimeWarning, match="NUMBA_CACHE_DIR"):
        fast = C.compiled(total)
    assert fast(np.arange(10)) == 45
    assert asked == [{"cache": True, "nogil": True}, {"nogil": True}]
