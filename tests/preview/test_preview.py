"""政策沙盘: the deltas equal the difference of two ordinary rounds, and the outputs say so.

The demo case of the issue: the shipped policies on a seeded sample registry, against a copy
with one policy's amount doubled and one new policy, with a fund small enough that budgets
bind (so a doubled amount takes money from other enterprises through pro-rata).
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import io
import json
import re
import shutil
import subprocess
from collections import defaultdict
from decimal import Decimal
from html.parser import HTMLParser
from pathlib import Path

import pytest

from policymatch import cli, load
from policymatch.registry.generate import generate_frame
from policymatch.registry.writers import write_csv
from policymatch.rounds.round import RoundRequest, run_round
from tests.golden import assert_golden
from tests.rounds.test_carry import write_county

ROOT = Path(__file__).resolve().parents[2]
AS_OF = dt.date(2024, 3, 1)
ROWS = 4000
NEW_POLICY = """
  - id: YY-KJ-2024-09
    title: 规上企业稳增长奖励
    basis: 示例文号 第九条
    frequency: yearly
    eligibility:
      all:
        - 本地企业
        - label: 规上企业
          when: '"规上企业" in tags'
    amount: 2万
"""


def _policy_sets(root: Path) -> tuple[Path, Path]:
    base, new = root / "base", root / "new"
    shutil.copytree(ROOT / "policies", base)
    funds = base / "funds.yaml"
    funds.write_text(funds.read_text(encoding="utf-8").replace("2000万", "150万"), "utf-8")
    shutil.copytree(base, new)
    keji = new / "keji.yaml"
    text = keji.read_text(encoding="utf-8")
    assert text.count("    amount: 20万\n") == 1  # 高新技术企业奖励
    keji.write_text(text.replace("    amount: 20万\n", "    amount: 40万\n") + NEW_POLICY, "utf-8")
    return base, new


@pytest.fixture(scope="module")
def case(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("preview")
    base, _ = _policy_sets(root)
    schema = load(base).schema
    write_csv(generate_frame(ROWS, 7, schema=schema), root / "registry.csv", schema)
    return root


def _run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    code = cli.main(argv)
    captured = capsys.readouterr()
    assert code == 0, captured.err
    return captured.out


@pytest.fixture(scope="module")
def previewed(case: Path) -> tuple[Path, str]:
    out = case / "out"
    argv = ["preview", "--policies", str(case / "new"), "--base", str(case / "base")]
    argv += ["--registry", str(case / "registry.csv"), "--as-of", str(AS_OF), "--out", str(out)]
    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        assert cli.main(argv) == 0
    return out, buffer.getvalue()


def _round_grants(case: Path, policies: str) -> dict[tuple[str, str], Decimal]:
    folder = case / f"round-{policies}"
    request = RoundRequest(
        str(case / "registry.csv"), AS_OF, folder, ledger=str(case / f"ledger-{policies}.sqlite")
    )
    run_round(load(case / policies), request)
    with (folder / "grants.csv").open(encoding="utf-8-sig", newline="") as f:
        return {(r["uscc"], r["policy_id"]): Decimal(r["amount"]) for r in csv.DictReader(f)}


@pytest.fixture(scope="module")
def rounds(case: Path) -> tuple[dict[tuple[str, str], Decimal], dict[tuple[str, str], Decimal]]:
    """Two ordinary rounds (``run_round`` into folders), one per policy set."""
    return _round_grants(case, "base"), _round_grants(case, "new")


def _read(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as f:
        return list(csv.DictReader(f))


def _per_enterprise(grants: dict[tuple[str, str], Decimal]) -> dict[str, Decimal]:
    out: dict[str, Decimal] = defaultdict(Decimal)
    for (uscc, _), amount in grants.items():
        out[uscc] += amount
    return out


def test_the_deltas_equal_the_difference_of_two_ordinary_rounds(
    previewed: tuple[Path, str], rounds: tuple[dict[tuple[str, str], Decimal], ...]
) -> None:
    out, _ = previewed
    before, after = rounds
    per_b, per_a = _per_enterprise(before), _per_enterprise(after)
    expected = {
        u: per_a.get(u, Decimal(0)) - per_b.get(u, Decimal(0)) for u in set(per_b) | set(per_a)
    }
    expected = {u: d for u, d in expected.items() if d}
    gainers, losers = _read(out / "gainers.csv"), _read(out / "losers.csv")
    got = {r["uscc"]: Decimal(r["delta"]) for r in gainers + losers}
    assert got == expected
    assert gainers
    assert losers
    assert all(Decimal(r["delta"]) > 0 for r in gainers)
    assert [Decimal(r["delta"]) for r in losers] == sorted(Decimal(r["delta"]) for r in losers)
    for r in gainers + losers:
        assert Decimal(r["before"]) == per_b.get(r["uscc"], 0)
        assert Decimal(r["after"]) == per_a.get(r["uscc"], 0)
    # Per policy: the granted money of each ordinary round.
    for row in _read(out / "policies.csv"):
        pid = row["policy_id"]
        assert Decimal(row["granted_before"]) == sum(
            (a for (_, p), a in before.items() if p == pid), Decimal(0)
        )
        assert Decimal(row["granted_after"]) == sum(
            (a for (_, p), a in after.items() if p == pid), Decimal(0)
        )
    statuses = {r["policy_id"]: r["status"] for r in _read(out / "policies.csv")}
    assert statuses["YY-KJ-2023-02"] == "修改"
    assert statuses["YY-KJ-2024-09"] == "新增"
    assert statuses["YY-RS-2023-01"] == "未变"


def test_demand_and_fund_rates_match_the_rounds_summaries(
    case: Path, previewed: tuple[Path, str], rounds: object
) -> None:
    out, _ = previewed
    col = {"base": "before", "new": "after"}
    policies = {r["policy_id"]: r for r in _read(out / "policies.csv")}
    for side in ("base", "new"):
        for row in _read(case / f"round-{side}" / "summary.csv"):
            mine = policies[row["policy_id"]]
            assert mine[f"demand_{col[side]}"] == row["demand"]
            assert mine[f"eligible_{col[side]}"] == row["eligible"]
    (fund,) = _read(out / "funds.csv")
    assert fund["budget"] == "1500000.00"
    assert Decimal(fund["granted_after"]) <= Decimal("1500000.00")
    # Doubling an award raises demand on the same budget: the pro-rata rate falls.
    assert Decimal(fund["rate_after"]) < Decimal(fund["rate_before"]) <= 1
    demand_delta = Decimal(fund["demand_after"]) - Decimal(fund["demand_before"])
    doubled = policies["YY-KJ-2023-02"]
    new = policies["YY-KJ-2024-09"]
    assert demand_delta == (
        Decimal(doubled["demand_after"]) - Decimal(doubled["demand_before"])
    ) + Decimal(new["demand_after"])
    assert Decimal(doubled["demand_after"]) == 2 * Decimal(doubled["demand_before"]) > 0
    # The new policy reaches enterprises and costs money: its whole demand is new.
    assert int(new["eligible_after"]) > 0
    assert int(new["eligible_before"]) == 0
    assert Decimal(new["demand_after"]) == 20_000 * int(new["eligible_after"])
    assert Decimal(new["granted_after"]) > 0


def test_the_terminal_summary_names_the_changes(previewed: tuple[Path, str]) -> None:
    out, text = previewed
    assert "政策沙盘：基准日期 2024-03-01" in text
    assert "不写台账" in text
    assert re.search(r"YY-KJ-2023-02\s+高新技术企业奖励\s+修改", text)
    assert "新政策 YY-KJ-2024-09 规上企业稳增长奖励：符合条件" in text
    gainers = len(_read(out / "gainers.csv"))
    assert f"多得的企业 {gainers} 户" in text
    assert "核减比例" in text


def test_the_terminal_summary_matches_the_golden_file(
    case: Path, previewed: tuple[Path, str]
) -> None:
    _, text = previewed
    text = text.replace(str(case), "<tmp>")
    assert_golden(Path(__file__).parent / "golden" / "summary.txt", text)


def test_regions_and_industries_add_up(previewed: tuple[Path, str]) -> None:
    out, _ = previewed
    total = sum(Decimal(r["delta"]) for r in _read(out / "gainers.csv") + _read(out / "losers.csv"))
    for name in ("regions.csv", "industries.csv"):
        rows = _read(out / name)
        assert sum(Decimal(r["delta"]) for r in rows) == total
        assert sum(int(r["gainers"]) for r in rows) == len(_read(out / "gainers.csv"))
        assert sum(int(r["losers"]) for r in rows) == len(_read(out / "losers.csv"))
    sections = {r["key"] for r in _read(out / "industries.csv")}
    assert sections
    assert all(re.fullmatch(r"[A-T]|（空）", s) for s in sections)


class _Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.svgs = 0
        self.bars: list[int] = []
        self.budgets: list[int] = []
        self.ids: dict[str, str] = {}
        self.data = ""
        self._in: str | None = None
        self.external: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "svg":
            self.svgs += 1
        if tag == "rect" and a.get("class") == "bar":
            self.bars.append(int(a["data-fen"] or 0))
        if tag == "line" and a.get("class") == "budget":
            self.budgets.append(int(a["data-fen"] or 0))
        if a.get("id"):
            self._in = a["id"]
        for key in ("src", "href"):
            if a.get(key):
                self.external.append(str(a[key]))

    def handle_data(self, data: str) -> None:
        if self._in == "preview-data":
            self.data += data
        elif self._in:
            self.ids[self._in] = self.ids.get(self._in, "") + data

    def handle_endtag(self, tag: str) -> None:
        self._in = None


def test_the_page_is_self_contained_and_shows_the_figures(previewed: tuple[Path, str]) -> None:
    out, _ = previewed
    page = _Page()
    page.feed((out / "preview.html").read_text(encoding="utf-8"))
    assert page.external == []  # no script, style sheet or image from anywhere
    assert page.svgs >= 4
    data = json.loads(page.data)
    policies = {r["policy_id"]: r for r in _read(out / "policies.csv")}
    for pid, fig in data["policies"].items():
        assert fig["granted"] == [
            int(Decimal(policies[pid]["granted_before"]) * 100),
            int(Decimal(policies[pid]["granted_after"]) * 100),
        ]
    granted = data["totals"]["granted"]
    assert page.ids["granted-before"] == f"{Decimal(granted['before']) / 100:.2f}"
    assert page.ids["granted-after"] == f"{Decimal(granted['after']) / 100:.2f}"
    # The policy chart draws each policy's granted money, before then after.
    drawn = [v for pid in sorted(data["policies"]) for v in data["policies"][pid]["granted"]]
    assert page.bars[: len(drawn)] == drawn
    assert data["gainers"] == len(_read(out / "gainers.csv"))
    assert page.budgets == [150_000_000]  # the fund's budget drawn on its demand chart


def test_the_page_renders_in_a_headless_browser(previewed: tuple[Path, str]) -> None:
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None:
        pytest.skip("chromium is not installed (apt-get install -y chromium)")
    out, _ = previewed
    try:
        done = subprocess.run(
            [browser, "--headless", "--no-sandbox", "--disable-gpu", "--dump-dom",
             (out / "preview.html").resolve().as_uri()],
            capture_output=True, text=True, timeout=120, check=False,
        )  # fmt: skip
    except subprocess.TimeoutExpired:
        pytest.skip("chromium did not finish within 120 s on this machine")
    if done.returncode != 0 or "<html" not in done.stdout:
        pytest.skip(f"chromium cannot run here: {done.stderr.strip()[-200:]}")
    dom = done.stdout
    assert dom.count("<svg") >= 4
    assert "政策沙盘" in dom
    data = json.loads(re.search(r'id="preview-data">(.*?)</script>', dom, re.S).group(1))  # type: ignore[union-attr]
    assert data["policies"]["YY-KJ-2024-09"]["status"] == "新增"


def test_base_rev_reads_the_policies_at_a_git_revision(
    case: Path,
    previewed: tuple[Path, str],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    repo = tmp_path / "repo"
    shutil.copytree(case / "base", repo / "policies")

    def git(*args: str) -> None:
        subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True)

    git("init", "-q")
    git("add", ".")
    git("-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "in force")
    shutil.rmtree(repo / "policies")
    shutil.copytree(case / "new", repo / "policies")
    out = tmp_path / "out"
    monkeypatch.chdir(tmp_path)
    _run(
        ["preview", "--policies", str(repo / "policies"), "--base-rev", "HEAD",
         "--registry", str(case / "registry.csv"), "--as-of", str(AS_OF), "--out", str(out)],
        capsys,
    )  # fmt: skip
    first, _ = previewed
    for name in ("gainers.csv", "losers.csv", "policies.csv", "funds.csv"):
        assert (out / name).read_bytes() == (first / name).read_bytes(), name
    assert not (tmp_path / "ledger.sqlite").exists()  # no ledger given: none opened or made
    code = cli.main(
        ["preview", "--policies", str(repo / "policies"), "--base-rev", "no-such-rev",
         "--registry", str(case / "registry.csv"), "--as-of", str(AS_OF), "--out", str(out)]
    )  # fmt: skip
    assert code == 2
    assert "[PM902]" in capsys.readouterr().err


def test_conflicting_schema_extensions_are_reported(
    case: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    base, new = tmp_path / "b", tmp_path / "n"
    for folder, kind in ((base, "date"), (new, "money")):
        shutil.copytree(case / "base", folder)
        (folder / "extra.yaml").write_text(
            f"version: 1\nschema:\n  fields:\n    award_x: {{type: {kind}}}\n", "utf-8"
        )
    code = cli.main(
        ["preview", "--policies", str(new), "--base", str(base), "--registry",
         str(case / "registry.csv"), "--as-of", str(AS_OF), "--out", str(tmp_path / "o")]
    )  # fmt: skip
    assert code == 1
    err = capsys.readouterr().err
    assert "[PM901]" in err
    assert "award_x" in err
    assert not (tmp_path / "o").exists()


def test_a_ledger_is_read_for_history_and_never_written(
    case: Path, rounds: object, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # The base round, committed: every `once` policy has paid these enterprises.
    ledger = case / "ledger-base.sqlite"
    _run(["commit", str(case / "round-base"), "--policies", str(case / "base"), "--ledger", str(ledger)], capsys)  # fmt: skip
    recorded = ledger.read_bytes()
    out = tmp_path / "out"
    _run(
        ["preview", "--policies", str(case / "new"), "--base", str(case / "base"),
         "--registry", str(case / "registry.csv"), "--as-of", str(AS_OF), "--out", str(out),
         "--ledger", str(ledger)],
        capsys,
    )  # fmt: skip
    assert ledger.read_bytes() == recorded
    policies = {r["policy_id"]: r for r in _read(out / "policies.csv")}
    # 高新技术企业奖励 is `once`: those paid 20万 in the committed round get neither 20万 nor
    # the doubled 40万 now.
    paid = [
        r for r in _read(case / "round-base" / "grants.csv") if r["policy_id"] == "YY-KJ-2023-02"
    ]
    assert paid
    assert int(policies["YY-KJ-2023-02"]["grants_after"]) == 0
    assert int(policies["YY-KJ-2023-02"]["grants_before"]) == 0
    assert int(policies["YY-KJ-2023-02"]["eligible_after"]) >= len(paid)


def test_fund_shortfall_is_demand_less_granted(previewed: tuple[Path, str]) -> None:
    out, _ = previewed
    (fund,) = _read(out / "funds.csv")
    for side in ("before", "after"):
        assert Decimal(fund[f"shortfall_{side}"]) == Decimal(fund[f"demand_{side}"]) - Decimal(
            fund[f"granted_{side}"]
        )
    assert Decimal(fund["shortfall_after"]) > Decimal(fund["shortfall_before"]) > 0


def _policy_rows(page: str) -> dict[str, list[str]]:
    """The policies table of the page: each row's cells as shown, by policy id."""
    table = page[page.index("<th>政策编号</th>") :]
    table = table[: table.index("</table>")]
    rows = re.findall(r"<tr>(.*?)</tr>", table)
    cells = [re.findall(r"<td[^>]*>(.*?)</td>", row) for row in rows]
    return {row[0]: row for row in cells if row}


def test_a_push_list_policy_shows_no_demand(previewed: tuple[Path, str]) -> None:
    """A push-list policy (承诺兑现, 即申即享) asks nothing of a round: its 应兑现 cells on the
    page are a dash, as they are blank in policies.csv and the round's summary.csv, never a
    0.00 a reader would take for "nothing owed"."""
    out, _ = previewed
    rows = _policy_rows((out / "preview.html").read_text(encoding="utf-8"))
    csv_rows = {r["policy_id"]: r for r in _read(out / "policies.csv")}
    push = [pid for pid, r in csv_rows.items() if r["mode"] != "免申即享"]
    assert push  # the shipped set has both kinds
    for pid, row in rows.items():
        demand = row[8:10]  # 应兑现 现行, 拟议
        if pid in push:
            assert demand == ["—", "—"]
            assert csv_rows[pid]["demand_before"] == csv_rows[pid]["demand_after"] == ""
        else:
            assert demand == [csv_rows[pid]["demand_before"], csv_rows[pid]["demand_after"]]


def test_a_new_push_list_policy_is_summarised_without_a_demand(
    case: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The terminal's line for a new 即申即享 policy says it takes no budget, not 应兑现 0.00."""
    pushed = case / "pushed"
    shutil.copytree(case / "base", pushed)
    keji = pushed / "keji.yaml"
    policy = NEW_POLICY.replace("    frequency:", "    mode: 即申即享\n    frequency:")
    keji.write_text(keji.read_text(encoding="utf-8") + policy, "utf-8")
    argv = ["preview", "--policies", str(pushed), "--base", str(case / "base")]
    argv += ["--registry", str(case / "registry.csv"), "--as-of", str(AS_OF)]
    text = _run([*argv, "--out", str(case / "out-pushed")], capsys)
    line = next(x for x in text.splitlines() if x.startswith("新政策 YY-KJ-2024-09"))
    assert "应兑现 —（推送清单政策，不占预算），兑现 0.00 元" in line
    assert re.search(r"符合条件 [1-9]\d* 户", line)


def test_the_pool_caps_both_sides_as_a_round_on_the_ledger_would(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A fund's pool (its scale, less what the ledger paid from it) caps the preview's rounds
    exactly as it caps ``policymatch run``: a sandbox must not promise more than the pool."""
    monkeypatch.chdir(tmp_path)
    write_county(tmp_path)  # a pool of 200.00 for two policies of 100.00 and two enterprises

    def previewed(out: str) -> dict[str, str]:
        _run(
            ["preview", "--policies", "policies", "--base", "policies", "--registry", "r.csv",
             "--as-of", str(AS_OF), "--out", out, "--ledger", "ledger.sqlite"],
            capsys,
        )  # fmt: skip
        (row,) = _read(tmp_path / out / "funds.csv")
        return row

    def granted(out: str) -> Decimal:
        _run(["run", "--registry", "r.csv", "--as-of", str(AS_OF), "--out", out], capsys)
        return sum((Decimal(r["amount"]) for r in _read(tmp_path / out / "grants.csv")), Decimal())

    # 400.00 asked of a pool of 200.00, then of what the first round left (nothing)
    for out, pool in (("p1", "200.00"), ("p2", "0.00")):
        fund = previewed(out)
        assert Decimal(fund["granted_before"]) == Decimal(fund["granted_after"]) == Decimal(pool)
        assert granted(f"r-{out}") == Decimal(pool)
        _run(["commit", f"r-{out}", "--ledger", "ledger.sqlite"], capsys)
