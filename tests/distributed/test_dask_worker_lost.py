"""A worker process killed in the middle of a distributed round: Dask runs its tasks again
elsewhere, and the round still equals the single-process one (no grant lost, none twice)."""

from __future__ import annotations

import os
import signal
from pathlib import Path
from typing import Any

import pytest

from policymatch.rounds.progress import Progress
from tests.distributed.conftest import TIMEOUT
from tests.distributed.registries import as_parquet, messy_csv, policy_set
from tests.distributed.test_dask_round import assert_same_files, run_both


class KillAWorker(Progress):
    """Kills one worker process (SIGKILL: no goodbye to the scheduler) when the first
    partition's result arrives, while the other partitions are still queued or running."""

    def __init__(self, client: Any) -> None:
        super().__init__()
        self.client = client
        self.killed: list[int] = []

    def note(self, text: str) -> None:
        if self.killed:
            return
        pids: dict[str, int] = self.client.run(os.getpid)
        victim = pids[sorted(pids)[0]]
        os.kill(victim, signal.SIGKILL)
        self.killed.append(victim)


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_worker_killed_mid_run(client: Any, tmp_path: Path, suffix: str) -> None:
    policies = policy_set(tmp_path / "policies")
    registry = messy_csv(tmp_path / "registry.csv", 6_000, seed=11)
    if suffix == ".parquet":
        registry = as_parquet(registry, tmp_path / "registry.parquet", row_group_size=700)
    progress = KillAWorker(client)
    single, dask = run_both(policies, registry, tmp_path, client, progress)
    assert progress.killed, "no worker was killed: the test did not test anything"
    assert_same_files(tmp_path / "single", tmp_path / "dask")
    assert dask.round_id == single.round_id
    # The Nanny started a new worker process in place of the one killed.
    client.wait_for_workers(2, timeout=TIMEOUT)
    assert progress.killed[0] not in client.run(os.getpid).values()
