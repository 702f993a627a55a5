"""Loud intake (issue 13 item 1): a field the policies read and no column gives stops the read.

The golden file holds the message a clerk sees for a renamed header; run with
``UPDATE_GOLDEN=1`` to rewrite it after an intended change, then review the diff.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from policymatch.errors import RegistryError, UsageError
from policymatch.registry.intake import SIZE_INPUTS, needed
from policymatch.registry.load import iter_registry, merge_loads, read_registry
from policymatch.schema import STANDARD_SCHEMA
from tests.golden import assert_golden

S = STANDARD_SCHEMA
GOLDEN = Path(__file__).parent / "golden" / "missing_field.err"
HEADER = "统一社会信用代码,企业名称,是否严重失信,备注,上年营业收入\r\n"


@pytest.fixture
def renamed(write_text: Callable[..., Path], code: Callable[[int], str]) -> Path:
    """严重失信主体 renamed to 是否严重失信, and a remark column."""
    return write_text(HEADER + f"{code(1)},甲,否,x,100\r\n{code(2)},乙,是,y,200\r\n")


def test_a_renamed_required_column_stops_the_read(renamed: Path) -> None:
    with pytest.raises(RegistryError) as info:
        read_registry(renamed, S, require={"uscc", "credit_blacklisted", "revenue"})
    text = info.value.render().replace(str(renamed), "registry.csv")
    assert_golden(GOLDEN, text + "\n")
    assert [d.code for d in info.value.diagnostics] == ["PM521"]
    assert "did you mean 是否严重失信?" in text


def test_every_missing_field_is_named(renamed: Path) -> None:
    with pytest.raises(RegistryError) as info:
        merge_loads(iter_registry(renamed, S, require={"credit_blacklisted", "employees"}))
    assert [d.message.split(" (")[0] for d in info.value.diagnostics] == [
        "no column gives 从业人数",
        "no column gives 严重失信主体",
    ]


def test_allow_missing_reads_and_lists_the_field(renamed: Path) -> None:
    load = read_registry(
        renamed, S, require={"credit_blacklisted", "revenue"}, allow_missing=["严重失信主体"]
    )
    assert load.rows_read == 2
    assert load.missing_fields == ["credit_blacklisted"]
    assert load.ignored_columns == ["是否严重失信", "备注"]
    assert load.frame["credit_blacklisted"].isna().all()
    chunked = merge_loads(
        iter_registry(
            renamed, S, require={"credit_blacklisted"}, allow_missing=["credit_blacklisted"]
        )
    )
    assert chunked.missing_fields == ["credit_blacklisted"]


def test_without_require_every_absent_field_is_listed(renamed: Path) -> None:
    load = read_registry(renamed, S)
    absent = [f.name for f in S.input_fields if f.name not in {"uscc", "name", "revenue", "size"}]
    assert load.missing_fields == absent


def test_size_needs_what_it_is_derived_from(renamed: Path) -> None:
    assert needed({"size", "revenue"}, {"uscc", "revenue"}) == set(SIZE_INPUTS)
    assert needed({"size"}, {"size"}) == {"size"}
    with pytest.raises(RegistryError) as info:
        read_registry(renamed, S, require={"size"})
    names = [d.message.split(" (")[1].split(")")[0] for d in info.value.diagnostics]
    assert names == ["industry", "employees", "total_assets"]
    assert "企业规模 is derived from it" in info.value.render()


def test_allow_missing_of_no_field_is_a_usage_error(renamed: Path) -> None:
    with pytest.raises(UsageError) as info:
        read_registry(renamed, S, require={"uscc"}, allow_missing=["严重失信"])
    assert info.value.diagnostics[0].code == "PM523"
    assert "'严重失信' is not a registry field (did you mean 严重失信主体?)" in (
        info.value.render()
    )
