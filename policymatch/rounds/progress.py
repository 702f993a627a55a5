"""Step timings of a round, and a progress line on a terminal (quiet otherwise)."""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TextIO


class Progress:
    """Times each step; shows ``[2/5] 匹配政策 …`` on ``stream`` when there is one."""

    def __init__(self, stream: TextIO | None = None, steps: int = 0) -> None:
        self.stream = stream
        self.steps = steps
        self.timings: dict[str, float] = {}
        #: CPU seconds of each step, all threads (steadier than wall time on a busy machine).
        self.cpu: dict[str, float] = {}

    @classmethod
    def for_terminal(cls, steps: int) -> Progress:
        """Shown only when both stdout and stderr are a terminal (never in logs or pipes)."""
        tty = sys.stdout.isatty() and sys.stderr.isatty()
        return cls(sys.stderr if tty else None, steps)

    @contextmanager
    def step(self, key: str, label: str) -> Iterator[None]:
        n = len(self.timings) + 1
        self._show(f"[{n}/{self.steps}] {label} …")
        start, cpu = time.perf_counter(), time.process_time()
        try:
            yield
        finally:
            self.timings[key] = time.perf_counter() - start
            self.cpu[key] = time.process_time() - cpu
        self._show(f"[{n}/{self.steps}] {label} {self.timings[key]:.1f} s", end="\n")

    def note(self, text: str) -> None:
        """A transient detail of the current step (e.g. rows matched so far)."""
        self._show(text)

    def _show(self, text: str, end: str = "") -> None:
        if self.stream is not None:
            self.stream.write("\r\x1b[K" + text + end)
            self.stream.flush()
