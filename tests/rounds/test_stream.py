"""The chunked round (``ChunkedMatcher``, the default of ``policymatch run``) writes the files
of the whole-registry round, byte for byte, with repeats and bad rows across chunk boundaries."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pytest

from policymatch.cli import main
from policymatch.rounds.round import RoundRequest, run_round
from policymatch.rounds.stream import LOOKED_UP, ChunkedMatcher, StreamedRegistry, one_chunk
from policymatch.rules import PolicySet
from tests.distributed.registries import AS_OF, as_parquet, messy_csv, policy_set
from tests.distributed.test_dask_round import assert_same_files

ROWS = 3_000
CHUNK_ROWS = 400


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("stream-round")


@pytest.fixture(scope="module")
def policies(folder: Path) -> PolicySet:
    return policy_set(folder / "policies")


@pytest.fixture(scope="module", params=["csv", "parquet"])
def registry(request: pytest.FixtureRequest, folder: Path) -> Path:
    csv = messy_csv(folder / "registry.csv", ROWS, seed=11)
    if request.param == "csv":
        return csv
    return as_parquet(csv, folder / "registry.parquet", row_group_size=CHUNK_ROWS // 3)


def test_chunked_round_writes_the_same_files(
    policies: PolicySet, registry: Path, tmp_path: Path
) -> None:
    ledger = str(tmp_path / "ledger.sqlite")
    whole = run_round(policies, RoundRequest(str(registry), AS_OF, tmp_path / "whole", ledger))
    chunked = run_round(
        policies,
        RoundRequest(str(registry), AS_OF, tmp_path / "chunked", ledger),
        matcher=ChunkedMatcher(chunk_rows=CHUNK_ROWS),
    )
    assert_same_files(tmp_path / "whole", tmp_path / "chunked")
    assert chunked.round_id == whole.round_id
    reg = chunked.draft.registry
    assert isinstance(reg, StreamedRegistry)
    # Every row accounted for, as in the whole read; and only the looked-up columns kept.
    assert reg.rows_read == len(reg.frame) + len(reg.rejected) == whole.draft.registry.rows_read
    assert [r.row for r in reg.rejected] == [r.row for r in whole.draft.registry.rejected]
    assert tuple(reg.frame.columns) == LOOKED_UP
    # The run did what the test is for: many chunks, rows set aside for every reason.
    assert reg.rows_read > 5 * CHUNK_ROWS
    reasons = " ".join(r.reason for r in reg.rejected)
    for why in ["完全重复", "数据不同", "校验码不对", "十二人"]:
        assert why in reasons
    assert chunked.draft.allocation.grants
    assert len(chunked.draft.match.batch.near)


def test_chunk_rows_must_be_positive() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        ChunkedMatcher(chunk_rows=0)


def test_cli_chunk_rows(
    policies: PolicySet, registry: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``run --chunk-rows`` gives the round of any other chunk size; a bad value is refused."""
    folder = str(registry.parent / "policies")
    base = ["run", "--registry", str(registry), "--as-of", AS_OF.isoformat(), "--policies", folder]
    ledger = ["--ledger", str(tmp_path / "ledger.sqlite")]
    assert main([*base, "--out", str(tmp_path / "a"), *ledger, "--chunk-rows", "250"]) == 0
    assert main([*base, "--out", str(tmp_path / "b"), *ledger]) == 0
    assert_same_files(tmp_path / "a", tmp_path / "b")
    out = capsys.readouterr().out
    assert re.search(r"\+ 数据问题 [1-9][0-9,]* 行", out)  # rows were set aside, and said so
    with pytest.raises(SystemExit) as exit_:
        main([*base, "--out", str(tmp_path / "c"), *ledger, "--chunk-rows", "0"])
    assert exit_.value.code == 2
    assert "'0' is not a whole number of rows >= 1" in capsys.readouterr().err


@pytest.mark.parametrize("pieces", [0, 1, 3])
def test_kept_columns_come_in_one_piece_with_the_same_values(pieces: int) -> None:
    """Taking the lists' rows from one Arrow piece, not one per chunk read: nothing else
    changes (values, missing values, dtypes, columns that are not Arrow text)."""
    parts = [
        pd.DataFrame(
            {
                "uscc": pd.Series([f"91{i:016d}" if i % 3 else None for i in range(k, k + 4)]),
                "number": range(k, k + 4),
            }
        ).astype({"uscc": "str"})
        for k in range(0, 4 * pieces, 4)
    ]
    frame = (
        pd.concat(parts, ignore_index=True)
        if parts
        else pd.DataFrame(
            {"uscc": pd.Series([], dtype="str"), "number": pd.Series([], dtype="int64")}
        )
    )
    whole = one_chunk(frame)
    pd.testing.assert_frame_equal(whole, frame)
    assert pa.chunked_array(pa.array(whole["uscc"].array)).num_chunks <= 1
