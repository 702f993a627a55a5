"""A two-worker Dask cluster of separate processes for the distributed tests, always closed."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import pytest

#: Seconds any wait on the test cluster may take before the test fails instead of hanging.
TIMEOUT = 120


@pytest.fixture(scope="session")
def client() -> Iterator[Any]:
    distributed = pytest.importorskip("distributed")
    import dask

    from policymatch.distributed.cluster import LOCAL_WORKER_CONFIG

    with (
        dask.config.set(LOCAL_WORKER_CONFIG),
        distributed.LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            dashboard_address=":0",
            silence_logs=logging.ERROR,
            death_timeout=TIMEOUT,
        ) as cluster,
        distributed.Client(cluster, timeout=TIMEOUT) as client,
    ):
        client.wait_for_workers(2, timeout=TIMEOUT)
        yield client
