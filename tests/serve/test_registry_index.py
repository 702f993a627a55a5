"""The service's registry index: records read at start and records typed on first use agree."""

from __future__ import annotations

import pytest

from policymatch.registry.dataframe import read_frame
from policymatch.registry.generate import generate_frame
from policymatch.schema import STANDARD_SCHEMA
from policymatch.serve import registry_index
from policymatch.serve.problems import ApiError


def test_a_large_registry_types_records_on_use_as_a_small_one_reads_them(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    load = read_frame(generate_frame(50, 4, null_rate=0.1, schema=STANDARD_SCHEMA), STANDARD_SCHEMA)
    preloaded = registry_index.index_registry(load, "sample", STANDARD_SCHEMA)
    monkeypatch.setattr(registry_index, "PRELOAD", 10)
    on_use = registry_index.index_registry(load, "sample", STANDARD_SCHEMA)
    codes = [str(c) for c in load.frame["uscc"]]
    for code in codes:
        assert on_use.lookup(code.lower()) == preloaded.lookup(code) != {}
    with pytest.raises(ApiError) as refused:
        on_use.lookup("91361126MA0000000X")
    assert (refused.value.status, refused.value.code) == (404, "PM623")
