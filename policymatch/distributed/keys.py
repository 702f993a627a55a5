"""The first pass: which unified social credit codes occur on more than one row, globally.

The reader holds back the rows of a repeated code until every row of that code is read
(:mod:`policymatch.registry.assemble`), so it must know the repeated codes before the second pass.
Here each partition's code column is hashed where it is (on a worker for Parquet), and one task
counts the hashes of all partitions; only the repeated ones, with their counts, come back.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from ..registry.assemble import chunk_key_hashes, repeated_keys
from ..registry.columns import Columns
from ..registry.readers import RawChunk
from .partitions import Partition


@dataclass(frozen=True)
class KeyPass:
    """A partition's first pass: its records and the hashes of their codes (the reader's, the same
    in every process)."""

    records: int
    hashes: np.ndarray


def key_pass(chunk: RawChunk, cols: Columns) -> KeyPass:
    """The first pass over a chunk that holds the code column alone."""
    return KeyPass(len(chunk) + len(chunk.broken), chunk_key_hashes(chunk, cols, 0))


def partition_key_pass(part: Partition, cols: Columns) -> KeyPass:
    """On a worker: the first pass over one partition, reading its code column alone."""
    return key_pass(part.read([cols.key]), cols)


def repeated(passes: Iterable[KeyPass]) -> dict[int, int]:
    """The key hashes that occur more than once across ``passes``, with their counts."""
    hashes = [p.hashes for p in passes]
    return repeated_keys(np.concatenate(hashes) if hashes else np.empty(0, dtype=np.uint64))


def repeated_of(*passes: KeyPass) -> dict[int, int]:
    """:func:`repeated` as a task over the partitions' first passes."""
    return repeated(passes)
