"""A chunked read reads the next chunk in a background thread while the current one is typed:
errors reach the caller unchanged, at most one chunk is read ahead, and a read stopped early
(the generator closed, Ctrl-C) stops the thread before the source is closed."""

from __future__ import annotations

import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import closing
from pathlib import Path

import pandas as pd
import pytest

from policymatch.errors import RegistryError, simple
from policymatch.registry.load import ReadAhead, iter_registry, merge_loads, read_registry
from policymatch.registry.readers import CsvSource
from policymatch.schema import STANDARD_SCHEMA

S = STANDARD_SCHEMA
HEADER = "统一社会信用代码,企业名称,备注,银行账号\r\n"


def readers() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "policymatch-read-ahead"]


def wait_for(condition: Callable[[], bool]) -> None:
    deadline = time.monotonic() + 10
    while not condition():
        assert time.monotonic() < deadline, "the reading thread did not get there"
        time.sleep(0.001)


def test_items_come_in_order_and_the_thread_ends() -> None:
    with closing(ReadAhead(iter(range(5)))) as ahead:
        assert list(ahead) == [0, 1, 2, 3, 4]
        assert list(ahead) == []  # the end, again
    assert readers() == []


def test_an_error_reaches_the_consumer_unchanged_after_the_items_before_it() -> None:
    error = RegistryError([])

    def items() -> Iterator[int]:
        yield 1
        raise error

    with closing(ReadAhead(items())) as ahead:
        assert next(ahead) == 1
        with pytest.raises(RegistryError) as info:
            next(ahead)
        assert info.value is error
        with pytest.raises(RegistryError):  # and again: the source is not read further
            next(ahead)


def test_at_most_one_item_is_read_ahead() -> None:
    made: list[int] = []

    def items() -> Iterator[int]:
        for i in range(10):
            made.append(i)
            yield i

    with closing(ReadAhead(items())) as ahead:
        assert next(ahead) == 0
        wait_for(lambda: len(made) == 2)  # the next one is read while the first is worked on
        time.sleep(0.05)
        assert made == [0, 1]
        assert next(ahead) == 1
        wait_for(lambda: len(made) == 3)


def test_closing_early_stops_the_thread_then_closes_the_items() -> None:
    events: list[str] = []

    def items() -> Iterator[int]:
        try:
            yield from range(10)
        finally:
            events.append("closed in " + threading.current_thread().name)

    ahead = ReadAhead(items())
    assert next(ahead) == 0
    ahead.close()
    assert readers() == []
    assert events == ["closed in " + threading.current_thread().name]


def records(code: Callable[[int], str], count: int) -> str:
    return "".join(f"{code(i)},企业{i},,62170000{i:08d}\r\n" for i in range(count))


def test_a_chunked_read_stopped_early_stops_the_thread_and_removes_the_copy(
    write_text: Callable[..., Path], code: Callable[[int], str]
) -> None:
    path = write_text(HEADER + records(code, 20), "gb.csv", encoding="gb18030")
    before = set(Path(tempfile.gettempdir()).glob("policymatch-*.csv"))
    chunks = iter_registry(path, S, chunk_rows=3)
    next(chunks)
    assert readers()
    chunks.close()
    assert readers() == []
    assert set(Path(tempfile.gettempdir()).glob("policymatch-*.csv")) == before

    def interrupted() -> None:  # Ctrl-C (and SIGTERM, which the CLI raises alike)
        for _ in iter_registry(path, S, chunk_rows=3):
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        interrupted()
    assert readers() == []
    assert set(Path(tempfile.gettempdir()).glob("policymatch-*.csv")) == before


def test_an_interruption_before_the_first_chunk_leaves_no_thread(
    write_text: Callable[..., Path], code: Callable[[int], str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Ctrl-C between the pass over the codes and the first chunk (while the assembler is
    made) starts no reading thread that nothing would stop."""
    from policymatch.registry import load

    def interrupted(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(load, "Assembler", interrupted)
    path = write_text(HEADER + records(code, 20), "r.csv")
    with pytest.raises(KeyboardInterrupt):
        next(iter_registry(path, S, chunk_rows=3))
    assert readers() == []


def test_an_error_in_a_later_chunk_stops_the_read_with_its_message(
    write_text: Callable[..., Path], code: Callable[[int], str], monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write_text(HEADER + records(code, 10))
    original = CsvSource._split
    calls = 0
    problem = RegistryError([simple("PM508", "broken block", file=str(path))])

    def broken(self: CsvSource, *args: object, **kwargs: object) -> object:
        nonlocal calls
        calls += args[3] is None  # the full pass's chunks (it asks for every column)
        if calls == 2:
            raise problem
        return original(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(CsvSource, "_split", broken)
    loads = iter_registry(path, S, chunk_rows=4)
    assert next(loads).rows_read == 4  # the chunk before it
    with pytest.raises(RegistryError) as info:
        next(loads)
    assert info.value is problem
    assert "broken block" in str(info.value)
    assert readers() == []


@pytest.mark.parametrize("chunk_rows", [1, 2, 3, 7])
def test_chunks_read_ahead_equal_the_one_shot_read_on_a_runaway(
    write_text: Callable[..., Path], code: Callable[[int], str], chunk_rows: int
) -> None:
    body = records(code, 6) + f'{code(7)},"乙,x,1\r\n' + records(code, 4) + f"{code(1)},甲,,1\r\n"
    path = write_text(HEADER + body)
    whole = read_registry(path, S)
    merged = merge_loads(iter_registry(path, S, chunk_rows=chunk_rows))
    assert merged.rows_read == whole.rows_read
    assert merged.rejected == whole.rejected
    pd.testing.assert_frame_equal(merged.frame, whole.frame)
