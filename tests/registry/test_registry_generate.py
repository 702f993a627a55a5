"""The generator: deterministic, valid, realistic in the ways tests and benchmarks rely on;
and the writers' text, which is what a county's export looks like."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from policymatch.registry.frame import DTYPES, frame_from_records, iter_records
from policymatch.registry.generate import REGIONS, generate_frame, generate_records
from policymatch.registry.size import derive_size
from policymatch.registry.uscc import uscc_problem
from policymatch.registry.writers import text_column, write_csv
from policymatch.schema import STANDARD_SCHEMA, FieldType

S = STANDARD_SCHEMA


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    return generate_frame(20_000, seed=5)


def test_same_seed_same_frame() -> None:
    pd.testing.assert_frame_equal(generate_frame(500, seed=3), generate_frame(500, seed=3))
    assert not generate_frame(50, seed=3).equals(generate_frame(50, seed=4))


def test_follows_the_frame_contract(frame: pd.DataFrame) -> None:
    assert list(frame.columns) == [f.name for f in S.input_fields]
    for f in S.input_fields:
        assert str(frame[f.name].dtype) == DTYPES[f.type], f.name
    records = generate_records(40, seed=9)
    pd.testing.assert_frame_equal(frame_from_records(records, S), generate_frame(40, seed=9))
    assert list(iter_records(generate_frame(40, seed=9), S)) == records


def test_codes_are_valid_unique_and_by_entity_type(frame: pd.DataFrame) -> None:
    codes = frame["uscc"]
    assert codes.is_unique
    assert all(uscc_problem(c) is None for c in codes)
    kind = frame["entity_type"].to_numpy()
    assert set(codes[kind == "个体工商户"].str[:2]) == {"92"}
    assert set(codes[kind == "农民专业合作社"].str[:2]) == {"93"}
    known = frame["registered_on"].notna()
    new = frame["registered_on"] >= pd.Timestamp("2015-10-01")
    assert (codes[new].str[8:10] == "MA").all()
    assert not (codes[known & ~new].str[8:10] == "MA").any()


def test_realistic_mix(frame: pd.DataFrame) -> None:
    n = len(frame)
    region = frame["region"].dropna()
    assert 0.87 < (region == "361126").mean() < 0.93
    assert set(region) <= set(REGIONS)
    sections = frame["industry"].dropna().str[0].value_counts(normalize=True)
    assert sections.index[0] == "C"
    assert set("CFEGHILMAK") <= set(sections.index)
    employees = frame["employees"].dropna()
    assert employees.min() >= 0
    assert employees.median() < employees.mean()
    since = frame["above_scale_since"].notna().mean()
    assert 0.005 < since < 0.015  # 规上 firms are about 1% of a rural county's entities
    tags = S["tags"]
    bit = {v: 1 << i for i, v in enumerate(tags.values)}
    has = {v: (frame["tags"] & b) != 0 for v, b in bit.items()}
    assert (frame["above_scale_since"].notna() <= has["规上企业"]).all()
    assert (has["专精特新小巨人"] <= has["专精特新"]).all()
    assert 0.001 < has["高新技术企业"].mean() < 0.01
    paying = frame["ui_paid"].dropna() > 0
    assert 0.05 < paying.mean() < 0.15  # few insure employees; sole traders almost never
    assert 0.015 < frame["credit_blacklisted"].mean() < 0.025
    years = frame["registered_on"].dropna().dt.year
    assert years.min() >= 1995
    assert years.max() <= 2026
    layoff = frame["layoff_rate"].dropna()
    assert (layoff == 0).mean() > 0.6
    assert layoff.max() <= 1_000_000
    accounts = frame["bank_account"].dropna().str.len()
    assert accounts.min() >= 16
    assert accounts.max() <= 19
    assert frame["contact_phone"].dropna().str.fullmatch(r"1[3-9][0-9]{9}").all()
    assert len(frame) == n


def test_null_rate_and_derived_size(frame: pd.DataFrame) -> None:
    rate = frame["name"].isna().mean()
    assert 0.01 < rate < 0.03
    assert frame["uscc"].notna().all()
    pd.testing.assert_series_equal(
        derive_size(frame.assign(size=None)), frame["size"], check_names=False
    )
    assert frame["size"].notna().mean() > 0.9
    none = generate_frame(2000, seed=1, null_rate=0.0)
    inputs = [f.name for f in S.input_fields if f.name not in ("above_scale_since", "size")]
    assert none[inputs].notna().all().all()


def test_csv_text_of_each_type(tmp_path: Path) -> None:
    frame = generate_frame(3, seed=2, null_rate=0.0)
    frame.loc[0, "revenue"] = 123450
    frame.loc[1, "revenue"] = -5
    frame.loc[2, "revenue"] = None
    frame.loc[0, "layoff_rate"] = 32_000
    frame.loc[1, "layoff_rate"] = 1_000_000
    frame.loc[0, "tags"] = 1 | 4
    frame.loc[1, "tags"] = 0
    frame.loc[0, "credit_blacklisted"] = True
    frame.loc[1, "credit_blacklisted"] = False
    frame.loc[0, "registered_on"] = pd.Timestamp("2023-01-05")
    text = {
        f.name: [None if pd.isna(t) else t for t in text_column(f, frame[f.name])]
        for f in S.input_fields
    }
    assert text["revenue"] == ["1234.50", "-0.05", None]
    assert text["layoff_rate"][:2] == ["0.032", "1"]
    assert text["tags"][:2] == ["高新技术企业、专精特新", None]
    assert text["credit_blacklisted"][:2] == ["是", "否"]
    assert text["registered_on"][0] == "2023-01-05"
    path = tmp_path / "r.csv"
    write_csv(frame, path, S)
    data = path.read_bytes()
    assert data.startswith("\ufeff统一社会信用代码,企业名称,".encode())
    assert [f.type for f in S.input_fields if f.name == "tags"] == [FieldType.TAGS]
