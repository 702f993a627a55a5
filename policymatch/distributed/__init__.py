"""Scaling out: a round's registry read and matched on a Dask cluster, the rest done once here.

::

    from policymatch.distributed import DaskMatcher, connect, match_registry
    from policymatch.rounds.round import RoundRequest, run_round

    with connect("local") as client:            # or "tcp://scheduler:8786", or your own Client
        report = run_round(policy_set, RoundRequest("registry.parquet", as_of, out),
                           matcher=DaskMatcher(client))
        # or just the match, equal to Engine.match on the whole registry:
        done = match_registry(client, policy_set, "registry.parquet", as_of)
        done.match.grants, done.registry.rejected

Each partition of the registry is typed, validated and matched on a worker by the same code as
on one machine; what is global (repeated codes, row numbers, stacking, policy and fund budgets,
pro-rata) is done once, on the partitions' small results. The lists and the manifest equal the
single-machine round's, byte for byte. See docs/scale-out.md.

Dask is an optional extra (``pip install 'policymatch[dask]'``): importing this package does not
import it.
"""

from .assemble import DistributedRegistry
from .cluster import ClusterError, connect
from .match import DaskMatcher, DistributedMatch, match_registry
from .partitions import PARTITION_ROWS

__all__ = [
    "PARTITION_ROWS",
    "ClusterError",
    "DaskMatcher",
    "DistributedMatch",
    "DistributedRegistry",
    "connect",
    "match_registry",
]
