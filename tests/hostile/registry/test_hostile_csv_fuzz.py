"""Arbitrary input to the CSV reader: a coded error or a result, never another exception, and
rows read = rows kept + rows set aside (issue 11, acceptance).

Two generators: any bytes or text at all, and registries of well-formed records with quotes
damaged at random (a name that opens a quote and never closes it, a name properly quoted), where
the truth is known: every physical record is counted, and a record kept is exactly a record of
the file (its code, name and bank account together; never a field of another record).
"""

from __future__ import annotations

import re
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from policymatch.errors import PolicymatchError
from policymatch.registry.load import iter_registry, merge_loads, read_registry
from policymatch.registry.uscc import make_uscc
from policymatch.schema import STANDARD_SCHEMA

S = STANDARD_SCHEMA
SETTINGS = settings(
    max_examples=120,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
HEADER = "统一社会信用代码,企业名称,银行账号\r\n"
PIECES = [
    '"',
    ",",
    "\r\n",
    "\n",
    "\r",
    "甲",
    "x",
    " ",
    '""',
    "91361126MA00000011",
    "\ufeff",
    "\x00",
]


def read(path: Path) -> None:
    """Read ``path`` whole and in chunks: both give a coded error or the same reconciled load."""
    try:
        whole = read_registry(path, S)
    except PolicymatchError as exc:
        codes: list[str] | None = [d.code for d in exc.diagnostics]
    else:
        codes = None
    if codes is not None:
        assert codes
        assert all(re.fullmatch(r"PM\d{3}", c) for c in codes)
        return
    assert whole.rows_read == len(whole.frame) + len(whole.rejected)
    merged = merge_loads(iter_registry(path, S, chunk_rows=2))
    assert merged.rows_read == whole.rows_read
    assert merged.rejected == whole.rejected


@SETTINGS
@given(data=st.binary(max_size=300))
def test_any_bytes(tmp_path_factory: object, data: bytes) -> None:
    path: Path = tmp_path_factory.mktemp("bytes") / "r.csv"  # type: ignore[attr-defined]
    path.write_bytes(data)
    read(path)


@SETTINGS
@given(body=st.lists(st.one_of(st.sampled_from(PIECES), st.text(max_size=4)), max_size=40))
def test_any_text_after_a_header(tmp_path_factory: object, body: list[str]) -> None:
    path: Path = tmp_path_factory.mktemp("text") / "r.csv"  # type: ignore[attr-defined]
    path.write_text(HEADER + "".join(body), encoding="utf-8")
    read(path)


# A record's name: plain, properly quoted, or a quote opened and never closed.
NAMES = st.tuples(
    st.sampled_from(["plain", "quoted", "open"]), st.sampled_from(["甲", "乙公司", "x y"])
)


@SETTINGS
@given(names=st.lists(NAMES, min_size=1, max_size=14), chunk_rows=st.integers(1, 5))
def test_damaged_quotes_never_lose_or_move_a_field(
    tmp_path_factory: object, names: list[tuple[str, str]], chunk_rows: int
) -> None:
    truth: dict[str, tuple[str, str]] = {}
    lines = []
    for i, (form, name) in enumerate(names):
        uscc, account = make_uscc(f"91361126MA{i:07d}"), f"62170000{i:08d}"
        cell = {"plain": name, "quoted": f'"{name}"', "open": f'"{name}'}[form]
        lines.append(f"{uscc},{cell},{account}\r\n")
        if form != "open":
            truth[uscc] = (name, account)
    path: Path = tmp_path_factory.mktemp("quotes") / "r.csv"  # type: ignore[attr-defined]
    path.write_text(HEADER + "".join(lines), encoding="utf-8")
    whole = read_registry(path, S)
    assert whole.rows_read == len(names)  # every physical record, whatever the quotes did
    for kept in whole.frame[["uscc", "name", "bank_account"]].itertuples(index=False):
        assert truth[kept.uscc] == (kept.name, kept.bank_account)
    merged = merge_loads(iter_registry(path, S, chunk_rows=chunk_rows))
    assert merged.rejected == whole.rejected
    assert list(merged.frame["uscc"]) == list(whole.frame["uscc"])
