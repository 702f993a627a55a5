"""Arguments several commands share: an ISO date, the registry (``--registry`` with
``--table``/``--query``) and the ledger (``--ledger``). One definition, so that every command
spells and explains them the same way."""

from __future__ import annotations

import argparse
import datetime as dt
from typing import Any


def iso_date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a date (YYYY-MM-DD)") from None


def add_registry_arguments(
    p: Any,
    *,
    required: bool = True,
    help: str = "registry file (.csv, .xlsx, .parquet) or SQLAlchemy URL",
) -> None:
    """``--registry`` with ``--table``/``--query`` (``help``: what the command does with it)."""
    p.add_argument("--registry", required=required, metavar="PATH_OR_URL", help=help)
    src = p.add_mutually_exclusive_group()
    src.add_argument("--table", help="table to read when --registry is a database URL")
    src.add_argument(
        "--query", metavar="SQL", help="query to run when --registry is a database URL"
    )


def add_ledger_argument(p: Any) -> None:
    p.add_argument(
        "--ledger",
        default="ledger.sqlite",
        metavar="URL",
        help="ledger: SQLite file or SQLAlchemy URL (default: ledger.sqlite here)",
    )
