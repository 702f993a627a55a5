"""The ledger: every grant ever committed, so that nobody is paid twice.

An embedded SQLite file by default, any SQLAlchemy URL for a shared database (SQLAlchemy Core
only; three tables prefixed ``pm_`` so the ledger can live in a county's existing database):

``pm_ledger``  one row; its ``commits`` counter is updated first in every commit transaction,
               which serializes committers on every database (a row lock on PostgreSQL and
               MySQL, the write lock on SQLite) before anything is read.
``pm_rounds``  one row per committed round, keyed by the round id (SHA-256 of its manifest).
``pm_grants``  one row per grant, keyed by (policy_id, uscc, period): ``period`` is the calendar
               year for ``yearly`` policies and ``once`` otherwise, so the database itself
               refuses a second record of the same grant.

A commit is one transaction: it re-checks the round's grants against the ledger as it is at
that moment (frequency and stacking, the same rules a run applies), so a draft that went stale
because another round was committed since is refused rather than paid twice. The ledger also
keeps its own word on each policy: the frequency (hence the period rule) and stacking group a
policy was recorded with at its payments are what later grants are checked against, whatever a
round folder says. A transaction the database aborts to resolve a conflict (a deadlock, a
serialization failure, MariaDB's "table definition has changed" while another process creates
the ledger) is run again, a bounded number of times.
"""

from __future__ import annotations

import datetime as dt
import random
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import sqlalchemy as sa
from sqlalchemy.engine import URL, Connection, Engine, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, IntegrityError, SQLAlchemyError

from ..errors import LedgerError, simple
from ..moneytext import fen_text
from ..registry.urls import is_database_url
from .allocate import Candidate, Paid, ledger_filter
from .ledger_records import Event, still_paid

# What a commit records, without the database; its names are this module's too.
from .ledger_records import LedgerGrant as LedgerGrant
from .ledger_records import RoundEntry as RoundEntry

SCHEMA_VERSION = 1
#: Rows per INSERT batch when recording a round.
BATCH = 2000
#: Seconds a SQLite committer waits for another one to finish.
SQLITE_TIMEOUT = 60
#: Times a transaction the database aborted to resolve a conflict is tried in all.
ATTEMPTS = 6
#: Seconds to wait before the second attempt (doubling, with jitter, after each failure).
RETRY_PAUSE = 0.05
#: Seconds to wait for another process to finish creating the ledger's tables and indexes.
SCHEMA_WAIT = 60
#: MySQL/MariaDB errors that abort a transaction for a conflict: lock wait timeout, deadlock,
#: table definition changed (DDL of another process since the transaction began).
_MYSQL_RETRY = {1205, 1213, 1412}
#: SQLSTATEs of the same (PostgreSQL): serialization failure, deadlock detected.
_SQLSTATE_RETRY = {"40001", "40P01"}

R = TypeVar("R")

metadata = sa.MetaData()

meta_table = sa.Table(
    "pm_ledger",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("schema_version", sa.Integer, nullable=False),
    sa.Column("commits", sa.Integer, nullable=False),
)

rounds_table = sa.Table(
    "pm_rounds",
    metadata,
    sa.Column("round_id", sa.String(64), primary_key=True),
    sa.Column("as_of", sa.Date, nullable=False),
    sa.Column("committed_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("policy_set_sha256", sa.String(64), nullable=False),
    sa.Column("registry_sha256", sa.String(64), nullable=True),
    sa.Column("grants", sa.Integer, nullable=False),
    sa.Column("amount_fen", sa.BigInteger, nullable=False),
    sa.Column("software_version", sa.String(40), nullable=False),
    sa.Column("folder", sa.String(1000), nullable=False),
)

grants_table = sa.Table(
    "pm_grants",
    metadata,
    sa.Column("policy_id", sa.String(200), nullable=False),
    sa.Column("uscc", sa.String(18), nullable=False),
    sa.Column("period", sa.String(8), nullable=False),
    sa.Column("year", sa.Integer, nullable=False),
    sa.Column("round_id", sa.String(64), sa.ForeignKey("pm_rounds.round_id"), nullable=False),
    sa.Column("as_of", sa.Date, nullable=False),
    sa.Column("name", sa.String(500), nullable=True),
    sa.Column("fund", sa.String(200), nullable=False),
    sa.Column("stacking_group", sa.String(200), nullable=True),
    sa.Column("frequency", sa.String(8), nullable=False),
    sa.Column("demand_fen", sa.BigInteger, nullable=False),
    sa.Column("amount_fen", sa.BigInteger, nullable=False),
    sa.PrimaryKeyConstraint("policy_id", "uscc", "period", name="pm_grants_once"),
    sa.Index("pm_grants_uscc", "uscc"),
)


@dataclass(frozen=True)
class CommitResult:
    round_id: str
    recorded: bool
    grants: int
    amount_fen: int
    committed_at: dt.datetime


def ledger_url(target: str) -> URL:
    """A SQLAlchemy URL, or a file path for the embedded SQLite ledger."""
    if not is_database_url(target):
        return URL.create("sqlite", database=str(Path(target)))
    try:
        return make_url(target)
    except (ArgumentError, ValueError) as exc:
        raise LedgerError([simple("PM701", f"not a database URL: {exc}", file=target)]) from exc


class Ledger:
    """A ledger database. Reads need no tables (an absent ledger holds nothing); a commit
    creates them on first use."""

    def __init__(self, target: str) -> None:
        self.url = ledger_url(target)
        self.display = self.url.render_as_string(hide_password=True)
        connect_args: dict[str, object] = {}
        if self.url.get_backend_name() == "sqlite":
            connect_args["timeout"] = SQLITE_TIMEOUT
        try:
            self.engine: Engine = sa.create_engine(self.url, connect_args=connect_args)
        except (SQLAlchemyError, ImportError) as exc:
            raise self._error("cannot open", exc) from exc

    def _error(self, doing: str, exc: BaseException) -> LedgerError:
        detail = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
        return LedgerError([simple("PM702", f"ledger: {doing}: {detail}", file=self.display)])

    @property
    def is_sqlite_file(self) -> bool:
        return self.url.get_backend_name() == "sqlite"

    @property
    def identity(self) -> str:
        """The ledger, named the same from any working folder (a SQLite file by its absolute
        path): what a committed folder's marker records."""
        if self.is_sqlite_file and self.url.database:
            return str(Path(self.url.database).resolve())
        return self.display

    def _exists(self) -> bool:
        if self.is_sqlite_file and not Path(self.url.database or "").exists():
            return False
        return sa.inspect(self.engine).has_table(grants_table.name)

    def history(self) -> list[Paid]:
        """Every grant the ledger holds (what frequency and stacking are checked against)."""
        try:
            if not self._exists():
                return []
            return retrying(lambda: self._read(lambda c: _history(c, journal.read_events(c))))
        except SQLAlchemyError as exc:
            raise self._error("cannot read", exc) from exc

    def recorded(self) -> tuple[list[Paid], list[Event]]:
        """Every grant recorded (returned ones too) and the pool journal, read in one
        connection: one state of the ledger, each read once."""
        try:
            if not self._exists():
                return [], []
            return retrying(lambda: self._read(lambda c: (_grants(c), journal.read_events(c))))
        except SQLAlchemyError as exc:
            raise self._error("cannot read", exc) from exc

    def committed(self, round_id: str) -> dt.datetime | None:
        """When the round was committed, or None."""
        try:
            if not self._exists():
                return None
            return retrying(lambda: self._read(lambda conn: _committed_at(conn, round_id)))
        except SQLAlchemyError as exc:
            raise self._error("cannot read", exc) from exc

    def commit_times(self) -> dict[str, dt.datetime]:
        """When each round was committed (to the second)."""
        r = rounds_table.c
        query = sa.select(r.round_id, r.committed_at)
        try:
            if not self._exists():
                return {}
            rows = retrying(lambda: self._read(lambda conn: conn.execute(query).all()))
            return dict(rows)
        except SQLAlchemyError as exc:
            raise self._error("cannot read", exc) from exc

    def round_in_folder(self, folder: str) -> str | None:
        """The id of a round committed from ``folder`` (an absolute path), or None."""
        r = rounds_table.c
        query = sa.select(r.round_id).where(r.folder == folder[:1000]).limit(1)
        try:
            if not self._exists():
                return None
            return retrying(lambda: self._read(lambda conn: conn.execute(query).scalar()))
        except SQLAlchemyError as exc:
            raise self._error("cannot read", exc) from exc

    def _read(self, query: Callable[[Connection], R]) -> R:
        with self.engine.connect() as conn:
            return query(conn)

    def create(self) -> None:
        """The tables, their indexes and the lock row, if absent (safe when several processes
        race: each one returns only once the whole schema is there)."""
        for attempt in range(1, ATTEMPTS + 1):
            try:
                metadata.create_all(self.engine, checkfirst=True)
                break
            except SQLAlchemyError:
                # Another process created a table between our check and our CREATE: check again.
                if attempt == ATTEMPTS:
                    raise
                _pause(attempt)
        self._wait_for_schema()
        retrying(self._insert_lock_row)

    def _missing(self) -> list[str]:
        """The tables and indexes of the ledger the database does not hold (yet)."""
        inspector = sa.inspect(self.engine)
        missing: list[str] = []
        for table in metadata.sorted_tables:
            if not inspector.has_table(table.name):
                missing.append(table.name)
                continue
            present = {i["name"] for i in inspector.get_indexes(table.name)}
            missing += [str(i.name) for i in table.indexes if i.name not in present]
        return missing

    def _wait_for_schema(self) -> None:
        """Until every table and index is there. ``create_all`` skips a table that exists, so a
        process can find ``pm_grants`` created by another one that is still creating its index;
        using the table meanwhile fails (MariaDB: "Table definition has changed")."""
        deadline = time.monotonic() + SCHEMA_WAIT
        while self._missing():
            if time.monotonic() > deadline:
                # Nobody is creating them (an index dropped by hand): create what is missing.
                for table in metadata.sorted_tables:
                    for index in table.indexes:
                        index.create(self.engine, checkfirst=True)
                return
            time.sleep(RETRY_PAUSE)

    def _insert_lock_row(self) -> None:
        try:
            with self.engine.begin() as conn:
                if conn.execute(sa.select(meta_table.c.id)).first() is None:
                    conn.execute(
                        sa.insert(meta_table).values(id=1, schema_version=SCHEMA_VERSION, commits=0)
                    )
        except IntegrityError:
            pass  # another process inserted it first

    def commit(self, entry: RoundEntry) -> CommitResult:
        """Record a round in one transaction, or find it already recorded; refuse a round that
        would pay a grant the ledger already holds, or that contradicts what it recorded of a
        policy."""
        total = sum(g.amount_fen for g in entry.grants)
        try:
            self.create()
            return retrying(lambda: self._record(entry, total))
        except IntegrityError as exc:
            # Only reachable when the serialization above is bypassed (a database without row
            # locks): the keys still refuse the double record.
            done = self.committed(entry.round_id)
            if done is not None:
                return CommitResult(entry.round_id, False, len(entry.grants), total, done)
            raise self._error("refused (a grant of this round is already recorded)", exc) from exc
        except SQLAlchemyError as exc:
            raise self._error("cannot commit", exc) from exc

    def _record(self, entry: RoundEntry, total: int) -> CommitResult:
        with self.engine.begin() as conn:
            _lock(conn)
            done = _committed_at(conn, entry.round_id)
            if done is not None:
                return CommitResult(entry.round_id, False, len(entry.grants), total, done)
            _refuse_contradictions(conn, entry)
            events = journal.read_events(conn)
            _refuse_conflicts(entry, _history(conn, events), journal.carried(events))
            # The pool re-check and the journal; grants paid again after a return are
            # already keyed in pm_grants and go to the journal only.
            fresh = journal.record_round(conn, entry)
            now = dt.datetime.now(dt.UTC).replace(microsecond=0)
            conn.execute(sa.insert(rounds_table).values(**_round_row(entry, total, now)))
            for batch in _batches(fresh):
                insert_grants(conn, entry, batch)
        return CommitResult(entry.round_id, True, len(entry.grants), total, now)

    def dispose(self) -> None:
        self.engine.dispose()


def is_conflict(exc: BaseException) -> bool:
    """Whether the database aborted the transaction to resolve a conflict with another one
    (running it again is the documented remedy), on MySQL/MariaDB and PostgreSQL."""
    if not isinstance(exc, DBAPIError) or isinstance(exc, IntegrityError):
        return False
    orig = exc.orig
    if getattr(orig, "sqlstate", None) in _SQLSTATE_RETRY:
        return True
    args: tuple[object, ...] = getattr(orig, "args", ())
    return bool(args) and args[0] in _MYSQL_RETRY


def _pause(attempt: int) -> None:
    time.sleep(RETRY_PAUSE * 2 ** (attempt - 1) * (1 + random.random()))


def retrying(work: Callable[[], R]) -> R:
    """``work()`` (one transaction), run again while the database aborts it for a conflict,
    at most :data:`ATTEMPTS` times in all."""
    attempt = 1
    while True:
        try:
            return work()
        except DBAPIError as exc:
            if attempt == ATTEMPTS or not is_conflict(exc):
                raise
        _pause(attempt)
        attempt += 1


def _lock(conn: Connection) -> None:
    conn.execute(
        sa.update(meta_table).where(meta_table.c.id == 1).values(commits=meta_table.c.commits + 1)
    )


def _committed_at(conn: Connection, round_id: str) -> dt.datetime | None:
    row = conn.execute(
        sa.select(rounds_table.c.committed_at).where(rounds_table.c.round_id == round_id)
    ).first()
    if row is None:
        return None
    when: dt.datetime = row[0]
    # Stored in UTC; SQLite hands it back without a zone, PostgreSQL in the session's zone.
    return when.replace(tzinfo=dt.UTC) if when.tzinfo is None else when.astimezone(dt.UTC)


def _grants(conn: Connection) -> list[Paid]:
    """Every grant recorded, returned or not."""
    g = grants_table.c
    rows = conn.execute(
        sa.select(g.policy_id, g.uscc, g.year, g.stacking_group, g.round_id, g.frequency, g.period)
    )
    return [Paid(r[0], r[1], int(r[2]), r[3], r[4], r[5] == "once", r[6]) for r in rows]


def _history(conn: Connection, events: Sequence[Event]) -> list[Paid]:
    return still_paid(_grants(conn), events)


def _refuse_contradictions(conn: Connection, entry: RoundEntry) -> None:
    """The terms the ledger recorded a policy with are its own: a round whose policy set says
    another frequency, or moves a policy out of the stacking group it was paid in, would open
    second payments (a forged or edited policy set, or a policy changed under the same id).
    Joining a group is no contradiction: the ledger counts the old payments in it too."""
    ids = sorted({g.policy_id for g in entry.grants})
    if not ids:
        return
    g = grants_table.c
    problems: list[str] = []
    for start in range(0, len(ids), BATCH):
        rows = conn.execute(
            sa.select(g.policy_id, g.frequency, g.stacking_group, sa.func.min(g.round_id))
            .where(g.policy_id.in_(ids[start : start + BATCH]))
            .group_by(g.policy_id, g.frequency, g.stacking_group)
        )
        for pid, frequency, group, rid in rows:
            t = entry.terms[pid]
            if frequency != t.frequency.value:
                problems.append(
                    f"{pid}: recorded as {frequency} (round {rid[:12]}), "
                    f"this round says {t.frequency.value}"
                )
            if group is not None and group != t.stacking_group:
                problems.append(
                    f"{pid}: paid in stacking group {group} (round {rid[:12]}), "
                    f"this round says {t.stacking_group or 'no group'}"
                )
    if problems:
        raise LedgerError(
            [
                simple(
                    "PM724",
                    file=entry.folder,
                    message=f"round {entry.round_id[:12]} not committed: it contradicts what the "
                    "ledger recorded of its policies:\n  " + "\n  ".join(sorted(problems)),
                    hint="a policy whose frequency or stacking group changes needs a new policy id",
                )
            ]
        )


def _refuse_conflicts(
    entry: RoundEntry, history: list[Paid], due: Mapping[tuple[str, str, str], int]
) -> None:
    """Under the lock: no grant of the round (paid or withheld) already paid, and no 补发 of a
    remainder other than the one the ledger owes now: a draft run while a remainder was owed
    asks for all of it, so once another round paid some of it, or a first payment cut short
    opened it since, the draft would pay the same money twice."""
    candidates = [
        Candidate(i, g.uscc, g.policy_id, g.amount_fen) for i, g in enumerate(entry.grants)
    ]
    candidates += [
        Candidate(len(candidates) + i, w.uscc, w.policy_id, w.amount_fen)
        for i, w in enumerate(entry.withheld)
    ]
    _, excluded = ledger_filter(candidates, entry.terms, history, entry.as_of, due)
    blocked = [
        f"{b.candidate.policy_id} {b.candidate.uscc}: {b.reason.value}"
        + (f" ({b.other})" if b.other else "")
        for b in excluded
    ]
    for g in entry.grants:
        left = due.get((g.policy_id, g.uscc, entry.terms[g.policy_id].period(entry.as_of)))
        if left is not None and g.demand_fen != left:
            blocked.append(
                f"{g.policy_id} {g.uscc}: carried remainder due {fen_text(left)}, "
                f"this round pays {fen_text(g.amount_fen)} of {fen_text(g.demand_fen)}"
            )
    if not blocked:
        return
    shown = blocked[:10]
    more = f"\n  ... and {len(blocked) - 10} more" if len(blocked) > 10 else ""
    raise LedgerError(
        [
            simple(
                "PM703",
                file=entry.folder,
                message=f"round {entry.round_id[:12]} not committed: {len(blocked)} of its grants are "
                "already paid according to the ledger (another round was committed after this "
                "one was run):\n  " + "\n  ".join(shown) + more,
                hint="run the round again against the current ledger, review it, commit that",
            )
        ]
    )


def _round_row(entry: RoundEntry, total: int, now: dt.datetime) -> dict[str, object]:
    return {
        "round_id": entry.round_id,
        "as_of": entry.as_of,
        "committed_at": now,
        "policy_set_sha256": entry.policy_set_sha256,
        "registry_sha256": entry.registry_sha256,
        "grants": len(entry.grants),
        "amount_fen": total,
        "software_version": entry.software_version,
        "folder": entry.folder[:1000],
    }


def _batches(grants: Sequence[LedgerGrant]) -> Iterator[Sequence[LedgerGrant]]:
    for start in range(0, len(grants), BATCH):
        yield grants[start : start + BATCH]


def insert_grants(conn: Connection, entry: RoundEntry, batch: Sequence[LedgerGrant]) -> None:
    """One INSERT of a batch of the round's grants (a seam the atomicity tests break)."""
    rows = []
    for g in batch:
        t = entry.terms[g.policy_id]
        rows.append(
            {
                "policy_id": g.policy_id,
                "uscc": g.uscc,
                "period": t.period(entry.as_of),
                "year": entry.as_of.year,
                "round_id": entry.round_id,
                "as_of": entry.as_of,
                "name": g.name,
                "fund": t.fund,
                "stacking_group": t.stacking_group,
                "frequency": t.frequency.value,
                "demand_fen": g.demand_fen,
                "amount_fen": g.amount_fen,
            }
        )
    conn.execute(sa.insert(grants_table), rows)


# At the end: the journal module registers pm_journal on this module's metadata (and uses it).
from . import journal  # noqa: E402
