"""Issue 11, item 9: a Parquet column of a nested type is never read as its Python repr.

A struct, list or map where text is expected (a bank account, a name) used to be read as
``"{'a': 1}"`` and paid. Each such cell is set aside, with the field and what the cell is; a
binary column holding UTF-8 text reads as text, other bytes are set aside too.
"""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from policymatch.registry.load import iter_registry, merge_loads, read_registry
from policymatch.registry.uscc import make_uscc
from policymatch.schema import STANDARD_SCHEMA

S = STANDARD_SCHEMA
CODES = [make_uscc(f"91361126MA{n:07d}") for n in range(1, 4)]


@pytest.mark.parametrize(
    ("column", "kind"),
    [
        (pa.array([{"a": 1}, {"a": 2}, None], pa.struct([("a", pa.int64())])), "结构（键值对）"),
        (pa.array([["1", "2"], ["3"], None], pa.list_(pa.string())), "列表"),
        (pa.array([[("k", "v")], [("k", "w")], None], pa.map_(pa.string(), pa.string())), "列表"),
        (pa.array([b"\xff\xfe", b"\x00\x81", None], pa.binary()), "二进制数据"),
    ],
    ids=["struct", "list", "map", "bytes"],
)
@pytest.mark.parametrize("field", ["bank_account", "name", "revenue", "registered_on"])
def test_a_nested_cell_is_set_aside(
    tmp_path: Path, column: pa.Array, kind: str, field: str
) -> None:
    path = tmp_path / "r.parquet"
    pq.write_table(pa.table({"uscc": CODES, field: column}), path)
    load = read_registry(path, S)
    assert load.rows_read == 3 == len(load.frame) + len(load.rejected)
    assert [r.row for r in load.rejected] == [1, 2]
    label = S[field].display
    assert all(r.reason.startswith(f"{label}: 不是单个值，而是{kind} ") for r in load.rejected)
    assert all("（来源里这一列是嵌套或二进制类型）" in r.reason for r in load.rejected)
    assert list(load.frame["uscc"]) == [CODES[2]]
    assert load.frame[field].isna().all()
    merged = merge_loads(iter_registry(path, S, chunk_rows=1))
    assert merged.rejected == load.rejected


def test_utf8_bytes_read_as_text(tmp_path: Path) -> None:
    path = tmp_path / "r.parquet"
    names = pa.array(["甲".encode(), "乙".encode(), None], pa.binary())
    pq.write_table(pa.table({"uscc": CODES, "name": names}), path)
    load = read_registry(path, S)
    assert load.rejected == []
    assert list(load.frame["name"].fillna("-")) == ["甲", "乙", "-"]


def test_tags_still_take_a_list(tmp_path: Path) -> None:
    path = tmp_path / "r.parquet"
    tags = pa.array([["高新技术企业"], ["专精特新", "瞪羚企业"], []], pa.list_(pa.string()))
    pq.write_table(pa.table({"uscc": CODES, "tags": tags}), path)
    load = read_registry(path, S)
    assert load.rejected == []
