"""The policy set the service answers from, reloaded atomically when its folder changes.

A watcher thread hashes the folder's policy files every ``interval`` seconds; when the bytes
changed, it compiles the whole folder. A set that compiles replaces the current one in one
reference assignment (a request sees the old set or the new one, never half of each); a set
that does not compile leaves the last good one in place, and its diagnostics are reported at
``/v1/health`` until a later change compiles.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import threading
from dataclasses import dataclass
from pathlib import Path

from ..errors import Diagnostic, PolicymatchError
from ..rules import PolicySet, compile_policy_set

SUFFIXES = (".yaml", ".yml")


@dataclass(frozen=True)
class Loaded:
    policy_set: PolicySet
    fingerprint: str
    loaded_at: dt.datetime


def fingerprint(root: Path) -> str:
    """A digest of the policy files' names and bytes (an unreadable file counts as changed)."""
    digest = hashlib.sha256()
    files = [root] if root.is_file() else sorted(p for p in root.rglob("*") if p.suffix in SUFFIXES)
    for path in files:
        digest.update(str(path.relative_to(root.parent)).encode() + b"\0")
        try:
            digest.update(hashlib.sha256(path.read_bytes()).digest())
        except OSError:
            digest.update(b"unreadable")
    return digest.hexdigest()


class PolicyStore:
    def __init__(self, root: Path, interval: float = 1.0) -> None:
        self.root = root
        self.interval = interval
        mark = fingerprint(root)
        self.current = Loaded(compile_policy_set(root), mark, _now())
        #: The diagnostics of the last change that did not compile (empty: the current set is
        #: the folder as it is).
        self.errors: tuple[Diagnostic, ...] = ()
        self.failed_fingerprint: str | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def check(self) -> bool:
        """Reload if the folder changed; whether the current set was replaced."""
        mark = fingerprint(self.root)
        if mark in (self.current.fingerprint, self.failed_fingerprint):
            return False
        try:
            policy_set = compile_policy_set(self.root)
        except PolicymatchError as exc:
            self.errors = exc.diagnostics
            self.failed_fingerprint = mark
            return False
        self.current = Loaded(policy_set, mark, _now())
        self.errors = ()
        self.failed_fingerprint = None
        return True

    def start(self) -> None:
        def loop() -> None:
            while not self._stop.wait(self.interval):
                self.check()

        self._thread = threading.Thread(target=loop, name="policy-reload", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(microsecond=0)
