"""Tokens for ``policymatch serve``: file and environment forms, refused when unusable."""

from __future__ import annotations

from pathlib import Path

import pytest

from policymatch.errors import UsageError
from policymatch.serve.auth import RateLimit, Tokens, caller_id
from policymatch.serve.config import ENV, Token, load_tokens, parse_tokens

LONG = "x" * 20


def test_file_and_environment_forms() -> None:
    text = f"# county tokens\nread {LONG}1  # the portal\n\nevents {LONG}2\n"
    assert parse_tokens(text, "tokens.txt") == [
        Token("read", LONG + "1"),
        Token("events", LONG + "2"),
    ]
    assert parse_tokens(f"read:{LONG}1,events:{LONG}2", ENV) == [
        Token("read", LONG + "1"),
        Token("events", LONG + "2"),
    ]


@pytest.mark.parametrize(
    ("text", "words"),
    [
        (f"admin {LONG}", "SCOPE read or events"),
        ("read short", "at least 16 characters"),
        (f"read {LONG} extra", "expected 'SCOPE TOKEN'"),
    ],
)
def test_bad_tokens_are_refused_with_a_code(text: str, words: str) -> None:
    with pytest.raises(UsageError) as exc:
        parse_tokens(text, "tokens.txt")
    assert exc.value.diagnostics[0].code == "PM628"
    assert words in exc.value.diagnostics[0].message


def test_missing_file_and_demo_tokens(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(UsageError) as exc:
        load_tokens(str(tmp_path / "none.txt"))
    assert exc.value.diagnostics[0].code == "PM628"
    monkeypatch.delenv(ENV, raising=False)
    tokens, generated = load_tokens(None)
    assert generated
    assert [t.scope for t in tokens] == ["read", "events"]
    assert all(len(t.secret) >= 16 for t in tokens)
    assert load_tokens(None)[0] != tokens  # fresh each start


def test_token_check_and_rate_limit() -> None:
    tokens = Tokens([Token("read", LONG + "1"), Token("events", LONG + "2")])
    caller = tokens.check(f"Bearer {LONG}2")
    assert caller is not None
    assert caller.scope == "events"
    assert caller.id == caller_id(LONG + "2")
    assert LONG not in caller.id
    assert tokens.check(f"Bearer {LONG}3") is None
    assert tokens.check(LONG + "1") is None  # not a bearer header
    assert tokens.check(None) is None
    limit = RateLimit(rate=0.001, burst=3)
    assert [limit.allow("a") for _ in range(4)] == [True, True, True, False]
    assert limit.allow("b")


def test_serve_without_the_extra_says_how_to_install_it(tmp_path: Path) -> None:
    import subprocess
    import sys

    program = (
        "import sys\nsys.modules['uvicorn'] = None\nsys.modules['fastapi'] = None\n"
        "from policymatch.cli import main\nsys.exit(main(['serve']))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", program],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
        env={"PYTHONPATH": str(Path(__file__).parents[2]), "PATH": "/usr/bin:/bin"},
    )
    assert done.returncode == 2
    assert done.stderr == (
        "<input>: error: serve needs the serve extra (FastAPI, uvicorn), which is not installed:"
        " pip install 'policymatch[serve]' [PM627]\n"
    )
