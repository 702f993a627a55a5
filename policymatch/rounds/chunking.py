"""How many registry rows a round reads and matches at a time (``policymatch run --chunk-rows``).

Its own module so that the command's ``--help`` can say the default without importing the
chunked matcher (:mod:`policymatch.rounds.stream`), which brings pandas and the batch core.
"""

from __future__ import annotations

#: Source rows per chunk by default: a chunk's typed frame and the batch core's working arrays
#: stay well under a gigabyte against the generated 200-policy set (benchmarks/README.md).
CHUNK_ROWS = 100_000
