"""The workbooks as a person prints them: rendered to PDF by LibreOffice, read back page by page.

The 兑现清单 sheet prints one page wide (every page holds the first and the last column and
the header row), its rows once each, its 合计 row equal to summary.csv; 汇总's 合计 rows equal
summary.csv; no code or account is shown in scientific notation. Needs LibreOffice and
poppler-utils (scripts/setup-system.sh installs them); skipped without them.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.rounds.shipped_round import fen, shipped_round, summary_rows

SOFFICE = shutil.which("soffice")
PDFTOTEXT = shutil.which("pdftotext")
pytestmark = pytest.mark.skipif(
    not (SOFFICE and PDFTOTEXT),
    reason="needs LibreOffice (soffice) and poppler-utils: run scripts/setup-system.sh",
)
USCC = re.compile(r"\b[0-9A-HJ-NP-RTUW-Y]{2}\d{6}[0-9A-HJ-NP-RTUW-Y]{10}\b")
AMOUNT = re.compile(r"-?\d{1,3}(?:,\d{3})*\.\d{2}")


def to_pdf(book: Path, out: Path) -> Path:
    """``book`` printed to PDF by LibreOffice (a profile of its own: runs never meet)."""
    assert SOFFICE is not None
    subprocess.run(
        [
            SOFFICE,
            f"-env:UserInstallation=file://{out / 'profile'}",
            "--headless",
            "--convert-to",
            "pdf",
            "--outdir",
            str(out),
            str(book),
        ],
        check=True,
        capture_output=True,
        timeout=600,
    )
    return out / (book.stem + ".pdf")


def pages(pdf: Path) -> list[str]:
    """The text of each page, laid out as printed."""
    assert PDFTOTEXT is not None
    text = subprocess.run(
        [PDFTOTEXT, "-layout", str(pdf), "-"], check=True, capture_output=True, text=True
    ).stdout
    return [p for p in text.split("\f") if p.strip()]


@pytest.fixture(scope="module")
def printed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, list[str]]]:
    root = tmp_path_factory.mktemp("printed")
    folder = shipped_round(root).out_dir
    return folder, {
        book: pages(to_pdf(folder / book, root / "pdf"))
        for book in ("兑现清单.xlsx", "公示名单.xlsx")
    }


def _sheet(all_pages: list[str], name: str) -> list[str]:
    """The pages of one sheet: its name is printed in the middle of each footer."""
    return [
        p for p in all_pages if re.search(rf"\s{name}\s+第\s*\d+\s*页", p.strip().splitlines()[-1])
    ]


def test_the_payment_list_prints_one_page_wide(printed: tuple[Path, dict[str, list[str]]]) -> None:
    folder, books = printed
    sheet = _sheet(books["兑现清单.xlsx"], "兑现清单")
    grants = (folder / "grants.csv").read_text("utf-8-sig").splitlines()[1:]
    assert len(sheet) > 2
    rows = 0
    for page in sheet:
        lines = page.splitlines()
        header = next(line for line in lines if "统一社会信用代码" in line)
        assert "企业名称" in header
        assert "银行账号" in header  # the last column on the page of the first: one page wide
        assert "清单编号" in lines[-1]
        assert re.search(r"第\s*\d+\s*页\s*共\s*\d+\s*页", lines[-1])
        data = [line for line in lines if USCC.search(line)]
        # each row whole on its page: the code, the two amounts, the period
        assert all(len(AMOUNT.findall(line)) >= 2 for line in data)
        rows += len(data)
    assert rows == len(grants)
    per_page = sum(1 for line in sheet[0].splitlines() if USCC.search(line))
    assert len(sheet) == -(-(len(grants) + 1) // per_page)  # one page wide: no page twice


def test_totals_equal_summary_csv(printed: tuple[Path, dict[str, list[str]]]) -> None:
    folder, books = printed
    summary = summary_rows(folder)
    demand = sum(fen(r["demand"]) for r in summary)
    granted = sum(fen(r["granted"]) for r in summary)
    grants = (folder / "grants.csv").read_text("utf-8-sig").splitlines()[1:]
    last = _sheet(books["兑现清单.xlsx"], "兑现清单")[-1]
    total = next(line for line in last.splitlines() if line.lstrip().startswith("合计"))
    assert f"共{len(grants):,}笔" in total.replace(" ", "")
    assert [fen(a) for a in AMOUNT.findall(total)] == [demand, granted]
    front = "\n".join(_sheet(books["兑现清单.xlsx"], "汇总"))
    policies = next(line for line in front.splitlines() if line.lstrip().startswith("合计"))
    amounts = [fen(a) for a in AMOUNT.findall(policies)]
    shortfall = sum(fen(r["shortfall"]) for r in summary)
    notify = sum(fen(r["notify_amount"]) for r in summary)
    assert amounts == [demand, granted, shortfall, notify]
    public = _sheet(books["公示名单.xlsx"], "公示名单")
    total = next(line for line in public[-1].splitlines() if line.lstrip().startswith("合计"))
    assert [fen(a) for a in AMOUNT.findall(total)] == [granted]


def test_no_code_in_scientific_notation(printed: tuple[Path, dict[str, list[str]]]) -> None:
    _, books = printed
    for book, text in books.items():
        assert not re.search(r"\d\.\d+E\+\d", "".join(text)), book
    listed = "".join(_sheet(books["兑现清单.xlsx"], "兑现清单"))
    assert re.search(r"\b\d{16,19}\b", listed)  # accounts printed whole
