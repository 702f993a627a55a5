"""Benchmarks live outside tests/ (pytest's testpaths) and run only when named on the command line."""

from __future__ import annotations

from typing import Any

from benchmarks.summary import report


def pytest_terminal_summary(terminalreporter: Any) -> None:
    for line in report():
        terminalreporter.write_line(line)
