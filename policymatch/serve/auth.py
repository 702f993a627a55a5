"""Bearer tokens compared in constant time, scopes, and a rate limit per token.

Every configured token is compared (:func:`hmac.compare_digest`) whatever matches first, so the
time taken says nothing about which token or how much of it was right. A caller is known in
the logs by a short digest of its token, never by the token.
"""

from __future__ import annotations

import hashlib
import hmac
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass

from .config import Token


@dataclass(frozen=True)
class Caller:
    scope: str
    #: A short digest of the token, for logs and rate limits (not reversible to the token).
    id: str


def caller_id(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()[:12]


class Tokens:
    def __init__(self, tokens: Sequence[Token]) -> None:
        self._tokens = [(t.secret.encode(), Caller(t.scope, caller_id(t.secret))) for t in tokens]

    def check(self, header: str | None) -> Caller | None:
        """The caller an ``Authorization`` header names, or None."""
        if header is None or not header.startswith("Bearer "):
            return None
        given = header[len("Bearer ") :].strip().encode()
        found = None
        for secret, caller in self._tokens:
            if hmac.compare_digest(given, secret):
                found = caller
        return found


class RateLimit:
    """A token bucket per caller: ``rate`` requests a second, bursts up to ``burst``."""

    def __init__(self, rate: float, burst: int) -> None:
        self.rate = rate
        self.burst = burst
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def allow(self, key: str) -> bool:
        now = time.monotonic()
        with self._lock:
            level, then = self._buckets.get(key, (float(self.burst), now))
            level = min(float(self.burst), level + (now - then) * self.rate)
            if level < 1:
                self._buckets[key] = (level, now)
                return False
            self._buckets[key] = (level - 1, now)
            return True
