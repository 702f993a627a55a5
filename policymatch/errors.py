"""One error hierarchy for the whole tool, and the rendering of diagnostics.

A :class:`Diagnostic` is what a policy author or an operator reads: a stable code, where, what,
and how to fix it. Every user-facing failure becomes a :class:`PolicymatchError` carrying one or
more diagnostics; the CLI renders them and exits non-zero without a traceback.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Sequence
from contextvars import ContextVar
from dataclasses import dataclass, field

#: The language diagnostics render in ("en" or "zh"); the CLI sets it from --lang or the locale.
_LANGUAGE: ContextVar[str] = ContextVar("policymatch_language", default="en")


def set_language(lang: str) -> None:
    """Render every later diagnostic in ``lang`` ("en" or "zh")."""
    _LANGUAGE.set(lang)


def language() -> str:
    return _LANGUAGE.get()


@dataclass(frozen=True)
class Span:
    """A place in a source file: 1-based line and column, and a length in characters."""

    line: int
    col: int
    length: int = 1


@dataclass(frozen=True)
class Diagnostic:
    """One problem, with a stable code (``PM201``), a place, and an optional hint."""

    code: str
    message: str
    file: str | None = None
    span: Span | None = None
    source_line: str | None = None
    hint: str | None = None
    severity: str = "error"

    def to_dict(self) -> dict[str, object]:
        """The diagnostic as JSON-ready data (``--format json``, the HTTP service)."""
        return {
            "code": self.code,
            "severity": self.severity,
            "message": self.message,
            "file": self.file,
            "line": None if self.span is None else self.span.line,
            "col": None if self.span is None else self.span.col,
            "hint": self.hint,
        }

    def render(self, lang: str | None = None) -> str:
        """Render like a compiler: ``file:line:col: error: message [code]``, the line, a caret.

        In Chinese (``lang`` or the current :func:`language`) the message, hint and severity
        come from the catalogue of :mod:`policymatch.messages`; the code stays the same.
        """
        from .messages import translate

        zh = (lang or language()) == "zh"
        message = translate(self.code, self.message) if zh else self.message
        hint = translate(self.code, self.hint, hint=True) if zh and self.hint else self.hint
        severity = {"error": "错误", "warning": "警告"}.get(self.severity, self.severity)
        where = self.file or "<input>"
        if self.span is not None:
            where += f":{self.span.line}:{self.span.col}"
        lines = [f"{where}: {severity if zh else self.severity}: {message} [{self.code}]"]
        if self.span is not None and self.source_line is not None:
            text = self.source_line.rstrip("\n")
            lines.append("    " + text)
            lines.append("    " + caret_line(text, self.span.col, self.span.length))
        if hint:
            lines.append(f"    = {'提示' if zh else 'help'}: {hint}")
        return "\n".join(lines)


def display_width(text: str) -> int:
    """Terminal columns taken by ``text``: wide (CJK) characters take two."""
    return sum(2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1 for ch in text)


def caret_line(text: str, col: int, length: int) -> str:
    """A ``^~~~`` marker under characters ``col .. col+length-1`` of ``text``, by display width.

    Tabs are kept as tabs in the padding so the caret lines up whatever the tab width.
    """
    start = max(col - 1, 0)
    prefix = text[:start]
    pad = "".join("\t" if ch == "\t" else " " * display_width(ch) for ch in prefix)
    marked = text[start : start + max(length, 1)]
    width = max(display_width(marked), 1)
    return pad + "^" + "~" * (width - 1)


class PolicymatchError(Exception):
    """Base of every error that reaches a user as a message rather than a traceback."""

    def __init__(self, diagnostics: Sequence[Diagnostic]) -> None:
        self.diagnostics = tuple(diagnostics)
        super().__init__(self.render())

    def render(self) -> str:
        return "\n\n".join(d.render() for d in self.diagnostics)

    def __reduce__(self) -> tuple[type[PolicymatchError], tuple[tuple[Diagnostic, ...]]]:
        # Rebuilt from the diagnostics, not the rendered text: errors raised in another
        # process (a Dask worker) reach the caller as the same error.
        return type(self), (self.diagnostics,)


class PolicyError(PolicymatchError):
    """A policy set does not compile; carries every diagnostic of the set."""


class RegistryError(PolicymatchError):
    """A registry cannot be read at all (as opposed to single bad rows, which are set aside)."""


class LedgerError(PolicymatchError):
    """The ledger refuses an operation (a tampered round, an unreachable database)."""


class UsageError(PolicymatchError):
    """A command was called with arguments that do not make sense."""


def simple(
    code: str, message: str, *, file: str | None = None, hint: str | None = None
) -> Diagnostic:
    """A diagnostic with no source position (a missing file, a database that does not answer)."""
    return Diagnostic(code=code, message=message, file=file, hint=hint)


@dataclass
class DiagnosticBag:
    """Collects diagnostics so that a whole policy set is reported in one go."""

    items: list[Diagnostic] = field(default_factory=list)

    def add(self, diagnostic: Diagnostic) -> None:
        self.items.append(diagnostic)

    def extend(self, diagnostics: Iterable[Diagnostic]) -> None:
        self.items.extend(diagnostics)

    def __bool__(self) -> bool:
        return bool(self.items)

    def raise_if_any(self) -> None:
        if self.items:
            raise PolicyError(sorted_diagnostics(self.items))


def sorted_diagnostics(items: Iterable[Diagnostic]) -> list[Diagnostic]:
    """File, then line, then column order; diagnostics without a place come first."""

    def key(d: Diagnostic) -> tuple[str, int, int, str]:
        span = d.span or Span(0, 0)
        return (d.file or "", span.line, span.col, d.code)

    unique: dict[tuple[str | None, Span | None, str, str], Diagnostic] = {}
    for d in items:
        unique.setdefault((d.file, d.span, d.code, d.message), d)
    return sorted(unique.values(), key=key)


def suggest(name: str, candidates: Iterable[str]) -> str | None:
    """The closest candidate to a misspelt ``name``, or None when nothing is close."""
    import difflib

    pool = list(dict.fromkeys(candidates))
    found = difflib.get_close_matches(name, pool, n=1, cutoff=0.6)
    if found:
        return found[0]
    # Chinese names are short: one wrong character out of two or three is still a likely typo.
    for cand in pool:
        if len(cand) == len(name) and len(name) >= 2:
            same = sum(a == b for a, b in zip(cand, name, strict=True))
            if same >= len(name) - 1:
                return cand
    return None
