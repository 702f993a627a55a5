"""The registry the service looks USCCs up in: read and typed at start, indexed by USCC."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

import pandas as pd

from ..registry.assemble import RegistryLoad
from ..registry.frame import iter_records, to_record
from ..rules import PolicySet
from ..schema import Schema
from ..values import Value
from .config import ServeConfig
from .problems import ApiError

#: Registries up to this many rows are read into Python values at start (about 1 KB a row):
#: a record typed on a request costs a few hundred microseconds, as much as the answer.
PRELOAD = 50_000


@dataclass
class Registry:
    """The configured registry, typed by the policy set's schema at start, indexed by USCC;
    its records read at start (up to :data:`PRELOAD` rows), else typed on first use and kept
    (a bounded cache)."""

    load: RegistryLoad
    source: str
    positions: dict[str, int]
    schema: Schema

    def __post_init__(self) -> None:
        self.record: Callable[[int], dict[str, Value]]
        if len(self.frame) <= PRELOAD:
            self.record = list(iter_records(self.frame, self.schema)).__getitem__
        else:
            self.record = lru_cache(maxsize=20_000)(self._record)

    @property
    def frame(self) -> pd.DataFrame:
        return self.load.frame

    def _record(self, position: int) -> dict[str, Value]:
        return to_record(self.frame, position, self.schema)

    def lookup(self, uscc: str) -> dict[str, Value]:
        position = self.positions.get(uscc.strip().upper())
        if position is None:
            raise ApiError(404, "PM623", f"no enterprise with USCC '{uscc}' in the registry")
        return self.record(position)


def load_registry(config: ServeConfig, policy_set: PolicySet) -> Registry | None:
    if config.registry is None:
        return None
    from ..registry.load import read_registry

    load = read_registry(config.registry, policy_set.schema, table=config.table, query=config.query)
    return index_registry(load, load.source, policy_set.schema)


def index_registry(load: RegistryLoad, source: str, schema: Schema) -> Registry:
    codes = load.frame["uscc"].to_numpy(dtype=object)
    return Registry(load, source, {str(c): i for i, c in enumerate(codes)}, schema)
