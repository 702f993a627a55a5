"""report.html: its figures equal summary.csv (read back from what headless Chromium renders),
it is self-contained, and its figures for the golden round are golden."""

from __future__ import annotations

import csv
import hashlib
import json
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest

from policymatch.rounds.ledger import Ledger
from policymatch.rounds.report import REPORT
from tests.golden import assert_golden
from tests.rounds.shipped_round import fen, shipped_round, summary_rows
from tests.rounds.test_held import run
from tests.rounds.test_round_outputs import GOLDEN, golden_round  # noqa: F401 - a fixture

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
needs_chromium = pytest.mark.skipif(
    CHROMIUM is None, reason="needs Chromium: run scripts/setup-system.sh"
)


class Figures(HTMLParser):
    """``data-figure`` key -> the text shown; and every link and resource the page names."""

    def __init__(self) -> None:
        super().__init__()
        self.figures: dict[str, str] = {}
        self.links: list[str] = []
        self.resources: list[str] = []
        self._open: list[str | None] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag in ("script", "link", "img", "iframe", "object", "embed"):
            self.resources.append(tag)
        if a.get("src"):
            self.resources.append(str(a["src"]))
        if tag == "a" and a.get("href"):
            self.links.append(str(a["href"]))
        key = a.get("data-figure")
        self._open.append(key)
        if key is not None:
            self.figures[key] = ""

    def handle_endtag(self, tag: str) -> None:
        if self._open:
            self._open.pop()

    def handle_data(self, data: str) -> None:
        for key in self._open:
            if key is not None:
                self.figures[key] += data


def figures(html: str) -> Figures:
    parser = Figures()
    parser.feed(html)
    return parser


def chromium(*args: str, profile: Path) -> str:
    assert CHROMIUM is not None
    return subprocess.run(
        [
            CHROMIUM,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            f"--user-data-dir={profile}",
            *args,
        ],
        check=True,
        capture_output=True,
        text=True,
        timeout=300,
    ).stdout


@pytest.fixture(scope="module")
def shipped(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return shipped_round(tmp_path_factory.mktemp("report")).out_dir


@needs_chromium
def test_the_browser_shows_the_figures_of_summary_csv(shipped: Path, tmp_path: Path) -> None:
    url = (shipped / REPORT).resolve().as_uri()
    page = figures(chromium("--dump-dom", url, profile=tmp_path / "profile"))
    money = ("demand", "granted", "shortfall", "notify_amount", "budget", "remaining")
    shown = {k: fen(v) for k, v in page.figures.items() if k.rsplit("/", 1)[-1] in money}
    summary = summary_rows(shipped)
    assert summary
    for row in summary:
        k = f"policy/{row['policy_id']}"
        for column in ("demand", "granted", "shortfall", "notify_amount"):
            assert shown[f"{k}/{column}"] == fen(row[column]), (k, column)
        for column in ("eligible", "grants"):
            assert page.figures[f"{k}/{column}"].replace(",", "") == row[column], (k, column)
    granted = sum(fen(r["granted"]) for r in summary)
    demand = sum(fen(r["demand"]) for r in summary)
    for kind in ("policy", "issuer", "region", "industry"):
        assert shown[f"{kind}/total/granted"] == granted, kind
    assert shown["total/granted"] == granted
    assert shown["total/demand"] == demand
    assert sum(v for k, v in shown.items() if k.startswith("band/") and k.endswith("/granted")) == (
        granted
    )
    manifest = json.loads((shipped / "manifest.json").read_text("utf-8"))
    for fund, use in manifest["funds"].items():
        assert shown[f"fund/{fund}/granted"] == fen(use["granted"])
        assert shown[f"fund/{fund}/budget"] == fen(use["budget"] or "")
    shot = tmp_path / "report.png"
    chromium(f"--screenshot={shot}", "--window-size=1200,3600", url, profile=tmp_path / "p2")
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert shot.stat().st_size > 50_000  # drawn, not blank


def test_the_report_is_self_contained(golden_round: Path) -> None:  # noqa: F811 - the fixture
    page = figures((golden_round / REPORT).read_text("utf-8"))
    assert page.resources == []  # no script, stylesheet, image or frame to fetch
    assert page.links
    for link in page.links:
        assert "/" not in link
        assert (golden_round / link).is_file(), link  # every link is a file of the round


def test_the_report_figures_are_golden(golden_round: Path) -> None:  # noqa: F811 - the fixture
    page = figures((golden_round / REPORT).read_text("utf-8"))
    # The round id is the manifest's hash (it changes with any byte of any file): checked apart.
    rid = hashlib.sha256((golden_round / "manifest.json").read_bytes()).hexdigest()
    assert page.figures.pop("round_id") == rid[:12]
    actual = json.dumps(page.figures, ensure_ascii=False, indent=1, sort_keys=True) + "\n"
    assert_golden(GOLDEN / "report-figures.json", actual)


def test_the_held_section_shows_held_csv_by_department(tmp_path: Path) -> None:
    folder = run(tmp_path, "r1", Ledger(str(tmp_path / "ledger.sqlite")), complete=False)
    with (folder / "held.csv").open(encoding="utf-8-sig", newline="") as f:
        held = list(csv.DictReader(f))
    assert len(held) == 3  # the round holds grants, or the test would compare nothing
    page = figures((folder / REPORT).read_text("utf-8")).figures
    by_issuer: dict[str, list[int]] = {}
    for row in held:
        by_issuer.setdefault(row["issuer"] or "（未填）", []).append(fen(row["demand"]))
    for issuer, demands in by_issuer.items():
        assert page[f"held/{issuer}/grants"] == str(len(demands))
        assert fen(page[f"held/{issuer}/demand"]) == sum(demands)
    assert page["held/total/grants"] == str(len(held))
    assert fen(page["held/total/demand"]) == sum(fen(r["demand"]) for r in held)
    shown = {k.split("/")[1] for k in page if k.startswith("held/")} - {"total"}
    assert shown == set(by_issuer)
