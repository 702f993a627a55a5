"""A Parquet file damaged inside a data page (a disk or a copy gone wrong): pyarrow raises an
OSError for it, which stops the read with PM508 and the file's name, never a traceback, whole
or in chunks."""

from __future__ import annotations

from pathlib import Path

import pyarrow.parquet as pq
import pytest

from policymatch.cli import main
from policymatch.errors import RegistryError
from policymatch.registry.generate import generate_frame
from policymatch.registry.load import iter_registry, read_registry
from policymatch.registry.writers import write_parquet
from policymatch.schema import STANDARD_SCHEMA as S

POLICIES = Path(__file__).resolve().parents[3] / "policies"


@pytest.fixture
def registry(tmp_path: Path) -> Path:
    path = tmp_path / "r.parquet"
    write_parquet(generate_frame(3_000, 7), path, S, row_group_size=1_000)
    return path


def _damaged(registry: Path, tmp_path: Path) -> Path:
    """``registry`` with 64 bytes overwritten in the middle of a compressed data page."""
    column = pq.ParquetFile(registry).metadata.row_group(1).column(7)  # revenue, snappy
    data = bytearray(registry.read_bytes())
    middle = column.data_page_offset + column.total_compressed_size // 2
    data[middle : middle + 64] = bytes(range(64))
    damaged = tmp_path / "damaged.parquet"
    damaged.write_bytes(bytes(data))
    return damaged


def test_a_damaged_page_is_pm508_not_a_traceback(registry: Path, tmp_path: Path) -> None:
    damaged = _damaged(registry, tmp_path)
    for read in (
        lambda: read_registry(damaged, S),
        lambda: list(iter_registry(damaged, S, chunk_rows=500)),
    ):
        with pytest.raises(RegistryError) as caught:
            read()
        assert [d.code for d in caught.value.diagnostics] == ["PM508"]


def test_the_round_refuses_a_damaged_file_with_its_name(
    registry: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    damaged = _damaged(registry, tmp_path)
    out = tmp_path / "out"
    code = main(["run", "--registry", str(damaged), "--as-of", "2024-03-01", "--out", str(out),
                 "--policies", str(POLICIES), "--ledger", str(tmp_path / "l.sqlite"),
                 "--allow-missing", "converted_on"])  # fmt: skip
    err = capsys.readouterr().err
    assert code == 1
    assert err.startswith(f"{damaged}: error: cannot read the file as Parquet: ")
    assert err.splitlines()[0].endswith("[PM508]")
    assert "Traceback" not in err
    assert not out.exists()  # nothing written for a registry that could not be read
