"""A round folder's protection: a committed round is the record of a payment.

Commit leaves a marker in the folder (``COMMITTED.json``: the round id, the ledger and the
time) and makes the files read-only, so the folder itself says it was committed, whichever
ledger a later command names. ``run`` refuses to write into a folder that holds the marker, that
the ledger it is given recorded a round in, or whose manifest was removed from a committed round
(read-only lists and no manifest); and into a folder holding a symbolic link, which could send a
list out of the folder.
"""

from __future__ import annotations

import datetime as dt
import json
import stat
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import LedgerError, simple
from .manifest import round_id
from .manifest_model import MANIFEST

if TYPE_CHECKING:
    from .ledger import Ledger

MARKER = "COMMITTED.json"


def _committed(out_dir: Path, message: str) -> LedgerError:
    return LedgerError(
        [
            simple(
                "PM713",
                file=str(out_dir),
                message=message,
                hint="write the new round into another folder (out_dir=)",
            )
        ]
    )


def read_marker(folder: Path) -> dict[str, Any] | None:
    """The marker commit left in ``folder``, or None (an unreadable marker still marks it)."""
    path = folder / MARKER
    if not path.exists() and not path.is_symlink():
        return None
    try:
        data = json.loads(path.read_text("utf-8"))
    except (OSError, UnicodeDecodeError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def refuse_links(folder: Path) -> None:
    """PM725 if ``folder`` holds a symbolic link: writing or reading through it would reach a
    file outside the folder."""
    try:
        links = sorted(p.name for p in folder.iterdir() if p.is_symlink())
    except OSError:
        return  # no folder yet (run creates it), or one commit reports as not a round folder
    if links:
        raise LedgerError(
            [
                simple(
                    "PM725",
                    f"the round folder holds symbolic links ({', '.join(links)}): a round is "
                    "written and committed only as plain files of its folder",
                    file=str(folder),
                    hint="remove the links, or choose another folder",
                )
            ]
        )


def refuse_committed_folder(out_dir: Path, ledger: Ledger | None = None) -> None:
    """PM713 if ``out_dir`` holds a committed round (see the module's doc); without a ledger,
    from what the folder says alone."""
    marker = read_marker(out_dir)
    if marker is not None:
        rid = str(marker.get("round_id", "?"))
        raise _committed(
            out_dir,
            f"this folder holds round {rid[:12]}, committed to {marker.get('ledger', '?')} on "
            f"{str(marker.get('committed_at', '?'))[:10]} ({MARKER}): it is the record of that "
            "payment",
        )
    path = out_dir / MANIFEST
    if path.is_file():
        if ledger is None:
            return
        rid = round_id(path.read_bytes())
        when = ledger.committed(rid)
        if when is not None:
            raise _committed(
                out_dir,
                f"this folder holds round {rid[:12]}, committed to the ledger on {when:%Y-%m-%d}: "
                "it is the record of that payment",
            )
        return
    recorded = None
    if ledger is not None and out_dir.is_dir():
        recorded = ledger.round_in_folder(str(out_dir.resolve()))
    if recorded is not None:
        raise _committed(
            out_dir,
            f"the ledger recorded round {recorded[:12]} from this folder, whose {MANIFEST} is "
            "gone: the folder is the record of that payment",
        )
    locked = _read_only_files(out_dir)
    if locked:
        raise _committed(
            out_dir,
            f"this folder has no {MANIFEST} but read-only lists ({', '.join(locked[:3])}"
            f"{', ...' if len(locked) > 3 else ''}): it looks like a committed round whose "
            f"{MANIFEST} was removed",
        )


def _read_only_files(folder: Path) -> list[str]:
    try:
        entries = sorted(folder.iterdir())
    except OSError:
        return []
    return [
        p.name
        for p in entries
        if p.is_file() and not p.is_symlink() and not p.stat().st_mode & stat.S_IWUSR
    ]


def refuse_other_ledger(folder: Path, rid: str, ledger: Ledger) -> None:
    """PM726 if the folder's marker says this round was committed to another ledger: one
    round, one ledger (two ledgers would each let it be paid)."""
    marker = read_marker(folder)
    if marker is None or marker.get("ledger") == ledger.identity:
        return
    raise LedgerError(
        [
            simple(
                "PM726",
                file=str(folder),
                message=f"round {rid[:12]} was committed to {marker.get('ledger', '?')} on "
                f"{str(marker.get('committed_at', '?'))[:10]} ({MARKER}); not committing it to "
                f"{ledger.display} as well",
                hint="commit with the ledger that holds it (ledger=)",
            )
        ]
    )


def mark_committed(folder: Path, rid: str, ledger: Ledger, when: dt.datetime) -> None:
    """Write the marker (unless it is there) and make every file of the folder read-only."""
    if read_marker(folder) is None:
        marker = {"round_id": rid, "ledger": ledger.identity, "committed_at": when.isoformat()}
        (folder / MARKER).write_text(
            json.dumps(marker, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
        )
    for path in folder.iterdir():
        if path.is_file() and not path.is_symlink():
            mode = path.stat().st_mode
            path.chmod(mode & ~(stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH))
