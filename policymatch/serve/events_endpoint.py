"""``POST /v1/events``: the watcher (``policymatch watch``) behind the HTTP service.

Notifications are the watcher's JSON form, with bank accounts and phone numbers masked in
their explanations, as in every answer of the service.
"""

from __future__ import annotations

import datetime as dt
import threading
from typing import Any

from ..registry.frame import iter_records
from ..rules import PolicySet
from .config import ServeConfig
from .problems import ApiError
from .registry_index import Registry


class EventsEndpoint:
    """The watcher behind ``POST /v1/events``: one, serialised, rebuilt when the policy set or
    the date changes; it starts from the configured registry."""

    def __init__(self, config: ServeConfig, registry: Registry | None) -> None:
        self.config = config
        self.registry = registry
        self._lock = threading.Lock()
        self._watcher: Any = None
        self._key: tuple[str, dt.date] | None = None

    def _ensure(self, policy_set: PolicySet, as_of: dt.date) -> Any:
        try:
            from ..backends.durable import Watcher
        except ImportError:
            raise ApiError(
                503, "PM626", "events need the events extra: pip install 'policymatch[events]'"
            ) from None
        key = (policy_set.digest, as_of)
        if self._watcher is None or self._key != key:
            from ..rounds.history import LedgerHistory
            from ..rounds.ledger import Ledger

            self.close()
            ledger = (
                None
                if self.config.ledger is None
                else LedgerHistory.read(Ledger(self.config.ledger), policy_set.policies)
            )
            watcher = Watcher(policy_set, as_of, ledger=ledger, masked=True)
            if self.registry is not None:
                watcher.load(iter_records(self.registry.frame, policy_set.schema))
            self._watcher, self._key = watcher, key
        return self._watcher

    def handle(self, text: str, policy_set: PolicySet, as_of: dt.date) -> dict[str, Any]:
        from ..backends.durable.events import EventError, apply_line, notification_json

        notes: list[dict[str, Any]] = []
        errors: list[dict[str, Any]] = []
        with self._lock:
            watcher = self._ensure(policy_set, as_of)
            for number, line in enumerate(text.splitlines(), start=1):
                if not line.strip():
                    continue
                try:
                    found = apply_line(watcher, line)
                except EventError as exc:
                    errors.append({"line": number, "code": exc.code, "message": exc.message})
                    continue
                notes.extend(notification_json(n, number) for n in found)
        return {"as_of": as_of.isoformat(), "notifications": notes, "errors": errors}

    def close(self) -> None:
        if self._watcher is not None:
            self._watcher.close()
            self._watcher = None
