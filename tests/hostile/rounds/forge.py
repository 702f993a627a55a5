"""Forging a round folder as an attacker would: rewrite grants.csv and make the manifest agree
(its hash of grants.csv, its counts and totals), so that only what commit recomputes can tell."""

from __future__ import annotations

import csv
import hashlib
import io
import json
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

Rows = list[dict[str, str]]


def read_grants(folder: Path) -> Rows:
    with (folder / "grants.csv").open(encoding="utf-8-sig", newline="") as f:
        return list(csv.DictReader(f))


def forge(
    folder: Path,
    grants: Callable[[Rows], Rows] = lambda rows: rows,
    manifest: Callable[[dict[str, Any]], None] = lambda m: None,
) -> None:
    """Rewrite grants.csv with ``grants(rows)``, then the manifest to match, then ``manifest``."""
    rows = grants(read_grants(folder))
    text = io.StringIO()
    header = list(read_grants(folder)[0]) if not rows else list(rows[0])
    writer = csv.DictWriter(text, header, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    data = ("\ufeff" + text.getvalue()).encode("utf-8")
    (folder / "grants.csv").write_bytes(data)
    path = folder / "manifest.json"
    m = json.loads(path.read_text("utf-8"))
    m["outputs"]["grants.csv"] = hashlib.sha256(data).hexdigest()
    m["counts"]["grants"] = len(rows)
    m["totals"]["granted"] = f"{sum(Decimal(r['amount']) for r in rows):.2f}"
    manifest(m)
    path.write_text(json.dumps(m, ensure_ascii=False, indent=2) + "\n", "utf-8")
