"""Telling a database URL from a file path, and showing one without its password.

Kept apart from the readers (which import pandas and pyarrow) because the ledger commands ask
the same question of their ``--ledger`` argument: ``policymatch ledger check`` on a ledger that
does not exist yet answers without importing either.
"""

from __future__ import annotations

import re

_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*://")
_PASSWORD = re.compile(r"(://[^:/@]*:)[^@]*@")


def is_database_url(source: str) -> bool:
    """Whether ``source`` is a SQLAlchemy URL (``postgresql+psycopg://...``) rather than a path."""
    return bool(_URL.match(source))


def mask_url(url: str) -> str:
    """``url`` with its password replaced by ``***`` (for messages and manifests)."""
    try:
        from sqlalchemy.engine import make_url

        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # an unparsable URL is still shown, minus anything like a password
        return _PASSWORD.sub(r"\1***@", url)
