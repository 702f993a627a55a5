"""The service's settings, and its bearer tokens from a file or the environment.

Tokens file: one token a line, ``SCOPE TOKEN`` (``read`` or ``events``; ``#`` starts a
comment). Environment: ``POLICYMATCH_TOKENS="read:TOKEN1,events:TOKEN2"``. A ``read`` token may
call every GET route and ``POST /v1/match``; an ``events`` token may also post registry changes.
No token can write the ledger: the service has no route that does.
"""

from __future__ import annotations

import datetime as dt
import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import UsageError, simple

SCOPES = ("read", "events")
ENV = "POLICYMATCH_TOKENS"
#: A token shorter than this is refused: a guessable token is no authentication.
MIN_TOKEN = 16


@dataclass(frozen=True)
class Token:
    scope: str
    secret: str


@dataclass(frozen=True)
class ServeConfig:
    policies: Path
    registry: str | None
    #: The ledger explanations, ``/v1/rounds``, ``/v1/pool`` and events read (None: none).
    ledger: str | None
    tokens: tuple[Token, ...]
    as_of: dt.date | None = None  # None: today, each request
    max_body: int = 64 * 1024
    max_events_body: int = 1 << 20
    rate: float = 2000.0  # requests a second per token, sustained
    burst: int = 4000
    reload_seconds: float = 1.0
    table: str | None = None
    query: str | None = None
    extra: dict[str, str] = field(default_factory=dict)


def _bad(message: str, where: str | None = None) -> UsageError:
    return UsageError([simple("PM628", message, file=where)])


def parse_tokens(text: str, where: str) -> list[Token]:
    """Tokens of a file's text (``SCOPE TOKEN`` lines) or of the environment (``SCOPE:TOKEN,...``)."""
    tokens = []
    entries = (
        [line.split("#", 1)[0] for line in text.splitlines()]
        if where != ENV
        else [e.replace(":", " ", 1) for e in text.split(",")]
    )
    for number, entry in enumerate(entries, start=1):
        parts = entry.split()
        if not parts:
            continue
        if len(parts) != 2 or parts[0] not in SCOPES:
            raise _bad(f"entry {number}: expected 'SCOPE TOKEN' with SCOPE read or events", where)
        if len(parts[1]) < MIN_TOKEN:
            raise _bad(f"entry {number}: a token has at least {MIN_TOKEN} characters", where)
        tokens.append(Token(parts[0], parts[1]))
    return tokens


def load_tokens(path: str | None) -> tuple[list[Token], bool]:
    """The configured tokens, and whether they were generated here (a demo without any)."""
    if path is not None:
        try:
            text = Path(path).read_text("utf-8")
        except OSError as exc:
            raise _bad(f"cannot read the tokens: {exc.strerror}", path) from None
        tokens = parse_tokens(text, path)
    elif os.environ.get(ENV):
        tokens = parse_tokens(os.environ[ENV], ENV)
    else:
        return [
            Token("read", secrets.token_urlsafe(24)),
            Token("events", secrets.token_urlsafe(24)),
        ], True
    if not tokens:
        raise _bad("no tokens configured", path or ENV)
    return tokens, False
