"""The count of repeated key hashes every read of a registry starts from (one sort, then the
repeats only): exactly the hashes seen more than once, with how many times."""

from __future__ import annotations

from collections import Counter

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from policymatch.registry.assemble import repeated_keys


@given(st.lists(st.integers(0, 2**64 - 1) | st.integers(0, 5), max_size=60))
def test_repeated_keys_counts_every_hash_seen_more_than_once(values: list[int]) -> None:
    counted = Counter(values)
    hashes = np.array(values, dtype=np.uint64)
    assert repeated_keys(hashes) == {v: c for v, c in counted.items() if c > 1}
