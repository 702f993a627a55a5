"""Every diagnostic the test suite makes has its Chinese, or the suite fails.

``tests/conftest.py`` records each diagnostic that policymatch's own code makes while the tests
run (not those a test builds itself), and at the end of the session fails the run if one of
them has a message or hint the catalogue (:mod:`policymatch.messages`) renders with English
left in it. So a new message, raised by a test of its behaviour, comes with its Chinese.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterable, Iterator
from typing import Any

from policymatch.errors import Diagnostic
from policymatch.messages import MESSAGES, _compiled, lookup

#: (code, message, hint) of every diagnostic made by policymatch during the session.
SEEN: set[tuple[str, str, str | None]] = set()

#: Quoted text, which is the user's (a value, a header, a path), never translated.
_QUOTED = re.compile(r"'[^']*'|\"[^\"]*\"|“[^”]*”")
#: Three English words in a row, none part of a name (``policy_id``, ``Engine.explain``).
_ENGLISH = re.compile(r"(?<![\w.=/\-\[])[A-Za-z]{2,}(?: [A-Za-z]{2,}){2,}(?![\w.=/(\-\]])")
#: Chinese characters: a message raised in Chinese needs no template.
_CHINESE = re.compile(r"[\u4e00-\u9fff]")


def english_left(text: str) -> str | None:
    """The first run of English words in ``text`` outside quotes, or None."""
    found = _ENGLISH.search(_QUOTED.sub("''", text))
    return None if found is None else found.group()


def _quotes_another_program(code: str, text: str) -> bool:
    """Whether ``text`` fits a template with ``{why}``: the system's, a driver's or a parser's
    words, which stay as they are."""
    return any("{why}" in en and _compiled(en)[0].match(text) for en, _ in MESSAGES.get(code, ()))


def problem(code: str, text: str, *, hint: bool = False) -> str | None:
    """Why ``text`` (a message or hint of ``code``) does not render in Chinese, or None."""
    zh = lookup(code, text, hint=hint)
    if zh is None:
        if _CHINESE.search(text) and english_left(text) is None:
            return None  # written in Chinese where it is raised
        return "no template in the catalogue"
    left = english_left(zh)
    if left is None or (not hint and _quotes_another_program(code, text)):
        return None
    return f"English left in the Chinese: {left!r} ({zh!r})"


def untranslated(seen: Iterable[tuple[str, str, str | None]]) -> list[str]:
    """A line for each message or hint of ``seen`` without its Chinese."""
    out = []
    for code, message, hint in sorted(seen, key=lambda s: (s[0], s[1], s[2] or "")):
        for text, is_hint in ((message, False), (hint, True)):
            why = None if text is None else problem(code, text, hint=is_hint)
            if why is not None:
                kind = "hint" if is_hint else "message"
                out.append(f"{code} {kind} {text!r}: {why}")
    return out


def _made_by_policymatch() -> bool:
    frame = sys._getframe(2)
    while frame is not None and frame.f_globals.get("__name__") in (
        "policymatch.errors",
        "dataclasses",
    ):
        frame = frame.f_back  # simple(), dataclasses.replace(): who called them
    return frame is not None and str(frame.f_globals.get("__name__", "")).startswith("policymatch")


def recording() -> Iterator[None]:
    """Record, while it runs, the diagnostics policymatch makes (the conftest's fixture)."""
    original = Diagnostic.__init__

    def init(self: Diagnostic, *args: Any, **kwargs: Any) -> None:
        original(self, *args, **kwargs)
        if self.code.startswith("PM") and _made_by_policymatch():
            SEEN.add((self.code, self.message, self.hint))

    Diagnostic.__init__ = init  # type: ignore[method-assign]
    try:
        yield
    finally:
        Diagnostic.__init__ = original  # type: ignore[method-assign]
