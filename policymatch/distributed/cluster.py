"""Starting or joining a Dask cluster (``policymatch run --dask local|tcp://HOST:PORT``).

Dask is an optional extra (``pip install 'policymatch[dask]'``): it is imported only when a
distributed run is asked for.

=====  =======================================================================================
PM801  Dask is not installed
PM802  a ``--dask`` value that is neither ``local`` nor a scheduler address (a usage error)
PM803  the scheduler cannot be reached, or no worker joins it in time
PM805  a worker cannot run policymatch (not installed there, or another version); the cluster
       lost workers until a partition could not be run, or gave no result in time
=====  =======================================================================================
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from .. import __version__
from ..errors import PolicymatchError, UsageError, simple

_ADDRESS = re.compile(r"^(tcp|tls)://[^/\s]+:\d+$")
START_HINT = (
    "start a scheduler with 'dask scheduler' and workers with 'dask worker tcp://HOST:8786', "
    "or use this machine's cores with spec=local"
)


#: Dask starts workers with ``MALLOC_TRIM_THRESHOLD_=65536``, which also fixes glibc's mmap
#: threshold: every large temporary array of the batch core is then mapped and unmapped again,
#: and a partition takes two to three times as long (measured). Workers a Nanny starts (again,
#: after a loss, too) read this when the cluster is made.
LOCAL_WORKER_CONFIG = {"distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": None}


class ClusterError(PolicymatchError):
    """Dask is missing, or the cluster cannot run the round."""


def cluster_error(code: str, message: str, hint: str | None = None) -> ClusterError:
    return ClusterError([simple(code, message, hint=hint)])


def require_dask() -> Any:
    """The ``distributed`` module, or a clear error when the extra is not installed."""
    try:
        import dask.dataframe  # noqa: F401  (the extra installs both: fail early on either)
        import distributed
    except ImportError as exc:
        raise cluster_error(
            "PM801",
            f"running on a cluster needs Dask, which is not installed ({exc})",
            "pip install 'policymatch[dask]'",
        ) from None
    return distributed


def check_spec(spec: str) -> None:
    """Refuse a ``--dask`` value that is neither ``local`` nor a scheduler address."""
    if spec != "local" and not _ADDRESS.match(spec):
        raise UsageError(
            [
                simple(
                    "PM802",
                    f"'{spec}' is neither 'local' nor a scheduler address",
                    hint="spec=local (a cluster of this machine's cores) or "
                    "spec=tcp://HOST:8786 (a running scheduler)",
                )
            ]
        )


@contextmanager
def connect(spec: str, *, timeout: float = 30.0) -> Iterator[Any]:
    """A ``distributed.Client`` for ``spec``, closed (with its local cluster) on exit.

    ``"local"`` starts a ``LocalCluster`` of one single-threaded worker process per core (the
    batch core is single-threaded numpy, and processes do not share the GIL);
    ``"tcp://HOST:PORT"`` joins a running scheduler, waiting ``timeout`` seconds for it and
    for a first worker.
    """
    check_spec(spec)
    distributed = require_dask()
    if spec == "local":
        import dask

        with dask.config.set(LOCAL_WORKER_CONFIG):
            cluster = distributed.LocalCluster(
                n_workers=os.cpu_count() or 1,
                threads_per_worker=1,
                processes=True,
                dashboard_address=":0",
                silence_logs=logging.ERROR,
            )
        try:
            with distributed.Client(cluster) as client:
                yield client
        finally:
            cluster.close()
        return
    try:
        client = distributed.Client(spec, timeout=timeout)
    except (OSError, TimeoutError) as exc:
        raise cluster_error(
            "PM803", f"cannot reach the Dask scheduler at {spec}: {exc}", START_HINT
        ) from None
    with client:
        try:
            client.wait_for_workers(1, timeout=timeout)
        except (OSError, TimeoutError):
            raise cluster_error(
                "PM803", f"the Dask scheduler at {spec} has no worker", START_HINT
            ) from None
        check_workers(client)
        yield client


def worker_version() -> str:
    """Run on each worker: the policymatch version it imports."""
    return __version__


def check_workers(client: Any) -> None:
    """Every worker must run this version of policymatch: partitions are typed and matched
    there, and the lists must not depend on which worker did which."""
    try:
        versions: dict[str, str] = client.run(worker_version)
    except Exception as exc:  # unpickling the function fails where policymatch is missing
        raise cluster_error(
            "PM805",
            f"a Dask worker cannot run policymatch: {exc}",
            f"install policymatch {__version__} (with its [dask] extra) on every worker",
        ) from None
    other = {addr: v for addr, v in versions.items() if v != __version__}
    if other:
        shown = ", ".join(f"{addr} has {v}" for addr, v in sorted(other.items()))
        raise cluster_error(
            "PM805",
            f"Dask workers run another version of policymatch than this one ({__version__}): "
            + shown,
            f"install policymatch {__version__} on every worker",
        )
