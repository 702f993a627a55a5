"""A round on a Dask cluster equals the single-process round: every file, byte for byte."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from policymatch.distributed import DaskMatcher, match_registry
from policymatch.distributed.assemble import DistributedRegistry
from policymatch.engine import Engine
from policymatch.registry.load import read_registry
from policymatch.rounds.round import RoundReport, RoundRequest, run_round
from policymatch.rules import PolicySet
from tests.distributed.conftest import TIMEOUT
from tests.distributed.registries import AS_OF, as_parquet, messy_csv, policy_set

ROWS = 6_000
PARTITION_ROWS = 700


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("dask-round")


@pytest.fixture(scope="module")
def policies(folder: Path) -> PolicySet:
    return policy_set(folder / "policies")


@pytest.fixture(scope="module", params=["csv", "parquet"])
def registry(request: pytest.FixtureRequest, folder: Path) -> Path:
    csv = messy_csv(folder / "registry.csv", ROWS, seed=7)
    if request.param == "csv":
        return csv
    return as_parquet(csv, folder / "registry.parquet", row_group_size=PARTITION_ROWS)


def run_both(
    policies: PolicySet, registry: Path, out: Path, client: Any, progress: Any = None
) -> tuple[RoundReport, RoundReport]:
    """The single-process round and the distributed one, on one ledger, into two folders."""
    ledger = str(out / "ledger.sqlite")
    single = run_round(policies, RoundRequest(str(registry), AS_OF, out / "single", ledger))
    matcher = DaskMatcher(client, partition_rows=PARTITION_ROWS, timeout=TIMEOUT)
    dask = run_round(
        policies,
        RoundRequest(str(registry), AS_OF, out / "dask", ledger),
        progress,
        matcher=matcher,
    )
    return single, dask


def assert_same_files(a: Path, b: Path) -> None:
    names = sorted(p.name for p in a.iterdir())
    assert names == sorted(p.name for p in b.iterdir())
    for name in names:
        assert (a / name).read_bytes() == (b / name).read_bytes(), name


def test_round_files_equal(
    policies: PolicySet, registry: Path, client: Any, tmp_path: Path
) -> None:
    single, dask = run_both(policies, registry, tmp_path, client)
    assert_same_files(tmp_path / "single", tmp_path / "dask")
    assert dask.round_id == single.round_id
    # The run did what the test is for: several partitions, rows set aside, budgets that bind.
    reg = dask.draft.registry
    assert isinstance(reg, DistributedRegistry)
    assert reg.partitions >= ROWS // PARTITION_ROWS
    reasons = " ".join(r.reason for r in reg.rejected)
    whys = ["行完全重复", "数据不同", "校验码不对", "十二人"]
    if registry.suffix == ".csv":
        whys.append("个单元格，表头有")
    for why in whys:
        assert why in reasons
    alloc = dask.draft.allocation
    assert any(u.factor is not None for u in alloc.policy_budgets)
    assert any(u.scaled_level is not None for u in alloc.fund_budgets)
    assert alloc.grants
    assert alloc.push
    assert alloc.excluded


def test_match_equals_single_machine(policies: PolicySet, registry: Path, client: Any) -> None:
    """Row numbers too: the distributed batch result is the one of the whole typed frame."""
    whole = read_registry(registry, policies.schema)
    expected = Engine(policies).match(whole.frame, AS_OF)
    done = match_registry(
        client, policies, registry, AS_OF, partition_rows=PARTITION_ROWS, timeout=TIMEOUT
    )
    for part in ("grants", "unknown", "near", "counts"):
        pd.testing.assert_frame_equal(
            getattr(done.match.batch, part), getattr(expected.batch, part), check_dtype=True
        )
    assert done.registry.rejected == whole.rejected
    assert done.registry.rows_read == whole.rows_read
    assert len(done.match.frame) == len(whole.frame)
    pd.testing.assert_frame_equal(done.match.grants, expected.grants, check_dtype=False)
    # Only the rows the results name were brought back.
    named = set(expected.batch.grants["row"]) | set(expected.batch.unknown["row"])
    named |= set(expected.batch.near["row"])
    frame = done.match.frame
    assert set(frame.index[frame["uscc"] != ""]) == named
    assert set(frame["bank_account"].dropna().index) <= set(expected.batch.grants["row"])


def test_empty_registry(policies: PolicySet, client: Any, tmp_path: Path) -> None:
    path = tmp_path / "empty.csv"
    path.write_text("统一社会信用代码,企业名称\n", encoding="utf-8")
    done = match_registry(client, policies, path, AS_OF, timeout=TIMEOUT)
    expected = Engine(policies).match(read_registry(path, policies.schema).frame, AS_OF)
    pd.testing.assert_frame_equal(done.match.batch.counts, expected.batch.counts)
    assert (done.registry.rows_read, len(done.match.batch.grants)) == (0, 0)
