"""Expression text -> syntax tree. A hand-written tokenizer and precedence-climbing parser.

Nothing here evaluates anything: the text is only ever tokenized and parsed, so no policy can
run code. Every failure is an :class:`ExprSyntaxError` with the span of the offending text.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import NamedTuple

from ..money import SUFFIXES
from . import syntax as s

KEYWORDS = {"and", "or", "not", "in", "if", "else", "true", "false", "null", "startswith"}
_MAX_LENGTH = 4000
_MAX_DEPTH = 60

# Full-width punctuation that a Chinese input method produces by habit.
_FULL_WIDTH = {
    "（": "(", "）": ")", "，": ",", "“": '"', "”": '"', "‘": "'", "’": "'",
    "＝": "=", "＜": "<", "＞": ">", "！": "!", "【": "[", "】": "]", "［": "[", "］": "]",
    "＋": "+", "－": "-", "＊": "*", "／": "/", "．": ".",
}  # fmt: skip
_WRONG_WORDS = {
    "True": "true", "False": "false", "None": "null", "AND": "and", "OR": "or", "NOT": "not",
    "&&": "and", "||": "or", "=": "==", "<>": "!=", "null()": "null",
}  # fmt: skip

#: One token after any whitespace; a position where no group matches is an error. ``\s`` and
#: ``\w`` are exactly ``str.isspace`` and ``_`` or ``str.isalnum``; a quote may escape any
#: character with a backslash.
_TOKEN = re.compile(
    r"""\s*(?:
        (?P<num>\d[\d_]*(?:\.\d[\d_]*)?)
        |(?P<name>\w+)
        |(?P<str>"[^"\\]*(?:\\.[^"\\]*)*"|'[^'\\]*(?:\\.[^'\\]*)*')
        |(?P<op>==|!=|<=|>=|[<>+\-*/()\[\],])
    )?""",
    re.VERBOSE | re.DOTALL,
)
_ESCAPE = re.compile(r"\\(.)", re.DOTALL)
_NAME_CHARS = re.compile("[\\w" + re.escape("".join(SUFFIXES)) + "]*")


class Token(NamedTuple):
    kind: str  # "num", "str", "name", "op", "kw", "end"
    text: str
    start: int
    end: int
    value: object = None


class ExprSyntaxError(Exception):
    def __init__(self, message: str, start: int, end: int, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.start = start
        self.end = max(end, start + 1)
        self.hint = hint


def _is_name_start(ch: str) -> bool:
    return ch == "_" or (ch.isalpha() and ch not in SUFFIXES)


def tokenize(text: str) -> list[Token]:
    tokens: list[Token] = []
    append = tokens.append
    i, n = 0, len(text)
    match = _TOKEN.match
    while True:
        m = match(text, i)
        assert m is not None  # every part of the pattern is optional
        kind = m.lastgroup
        if kind is None:
            i = m.end()
            if i == n:
                break
            raise _bad_character(text, i)
        i, end = m.span(kind)
        word = m[kind]
        if kind == "name":
            if not _is_name_start(word[0]):
                raise _bad_character(text, i)
            token = Token("kw" if word in KEYWORDS else "name", word, i, end)
        elif kind == "op":
            token = Token("op", word, i, end)
        elif kind == "num":
            token = _number(text, word, i, end)
        else:
            body = word[1:-1]
            token = Token("str", word, i, end, _ESCAPE.sub(r"\1", body) if "\\" in body else body)
        append(token)
        i = token.end
    append(Token("end", "", n, n))
    return tokens


def _number(text: str, digits: str, i: int, end: int) -> Token:
    if digits.endswith("_") or "__" in digits:
        raise ExprSyntaxError(f"malformed number '{digits}'", i, end)
    value = Decimal(digits.replace("_", ""))
    n = len(text)
    if end < n and text[end] in SUFFIXES:
        value *= SUFFIXES[text[end]]
        end += 1
    if end < n and (text[end] in SUFFIXES or text[end] == "_" or text[end].isalnum()):
        rest = _NAME_CHARS.match(text, end)
        j = rest.end() if rest else end
        raise ExprSyntaxError(
            f"'{text[i:j]}' is not a number",
            i,
            j,
            hint="numbers take one suffix: 万, 亿 or %, e.g. 50万, 1.5亿, 5.5%",
        )
    return Token("num", text[i:end], i, end, value)


def _bad_character(text: str, i: int) -> ExprSyntaxError:
    """The error at ``text[i]``, where no token starts."""
    ch = text[i]
    if ch in _FULL_WIDTH:
        return ExprSyntaxError(
            f"full-width character '{ch}'",
            i,
            i + 1,
            hint=f"switch the input method to half-width and write '{_FULL_WIDTH[ch]}'",
        )
    if ch in "\"'":
        return ExprSyntaxError("unterminated string", i, len(text), hint=f"close it with {ch}")
    for wrong, right in _WRONG_WORDS.items():
        if text.startswith(wrong, i):
            return ExprSyntaxError(
                f"'{wrong}' is not an operator here", i, i + len(wrong), f"write '{right}'"
            )
    return ExprSyntaxError(f"unexpected character '{ch}'", i, i + 1)


#: What ``comp_op`` takes as a comparison operator, and the tokens one may start with.
_COMPARE_OPS = frozenset(("==", "!=", "<", "<=", ">", ">=", "in", "startswith"))
_COMPARE_START = _COMPARE_OPS | {"not"}


class _Parser:
    """Precedence climbing over the token list. Operators and keywords are recognised by
    their text alone: no number, string or name token is spelt like one."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = tokenize(text)
        self.i = 0
        self.tok = self.tokens[0]
        self.depth = 0

    def take(self) -> Token:
        t = self.tok
        self.i += 1
        self.tok = self.tokens[self.i]
        return t

    def expect(self, text: str, what: str) -> Token:
        t = self.tok
        if t.text != text:
            found = "the end of the expression" if t.kind == "end" else f"'{t.text}'"
            raise ExprSyntaxError(f"expected {what}, found {found}", t.start, t.end)
        return self.take()

    def nest(self) -> None:
        self.depth += 1
        if self.depth > _MAX_DEPTH:
            raise ExprSyntaxError("expression nested too deeply", self.tok.start, self.tok.end)

    def parse(self) -> s.Node:
        if self.tok.kind == "end":
            raise ExprSyntaxError("empty expression", 0, max(len(self.text), 1))
        node = self.ternary()
        t = self.tok
        if t.kind != "end":
            hint = None
            if t.kind in ("name", "num", "str"):
                hint = "is an operator missing here? (and, or, ==, ...)"
            raise ExprSyntaxError(f"unexpected '{t.text}'", t.start, t.end, hint)
        return node

    def ternary(self) -> s.Node:
        self.nest()
        then = self.or_expr()
        if self.tok.text == "if":
            self.take()
            cond = self.or_expr()
            self.expect("else", "'else' after 'if'")
            other = self.ternary()
            node: s.Node = s.IfElse(then.start, other.end, then, cond, other)
        else:
            node = then
        self.depth -= 1
        return node

    def or_expr(self) -> s.Node:
        left = self.and_expr()
        while self.tok.text == "or":
            self.take()
            right = self.and_expr()
            left = s.Binary(left.start, right.end, "or", left, right)
        return left

    def and_expr(self) -> s.Node:
        left = self.not_expr()
        while self.tok.text == "and":
            self.take()
            right = self.not_expr()
            left = s.Binary(left.start, right.end, "and", left, right)
        return left

    def not_expr(self) -> s.Node:
        if self.tok.text == "not":
            t = self.take()
            self.nest()
            operand = self.not_expr()
            self.depth -= 1
            return s.Unary(t.start, operand.end, "not", operand)
        return self.comparison()

    def comp_op(self) -> str | None:
        text = self.tok.text
        if text in _COMPARE_OPS:
            self.take()
            return text
        if text == "not" and self.tokens[self.i + 1].text == "in":
            self.take()
            self.take()
            return "not in"
        return None

    def comparison(self) -> s.Node:
        first = self.additive()
        if self.tok.text not in _COMPARE_START:
            return first
        operands, ops = [first], []
        while (op := self.comp_op()) is not None:
            ops.append(op)
            operands.append(self.additive())
        if not ops:
            return first
        return s.Chain(first.start, operands[-1].end, tuple(operands), tuple(ops))

    def additive(self) -> s.Node:
        left = self.term()
        while self.tok.text in ("+", "-"):
            op = self.take().text
            right = self.term()
            left = s.Binary(left.start, right.end, op, left, right)
        return left

    def term(self) -> s.Node:
        left = self.unary()
        while self.tok.text in ("*", "/"):
            op = self.take().text
            right = self.unary()
            left = s.Binary(left.start, right.end, op, left, right)
        return left

    def unary(self) -> s.Node:
        if self.tok.text in ("-", "+"):
            t = self.take()
            self.nest()
            operand = self.unary()
            self.depth -= 1
            return s.Unary(t.start, operand.end, t.text, operand)
        return self.primary()

    def primary(self) -> s.Node:
        t = self.tok
        kind = t.kind
        if kind == "num":
            self.take()
            assert isinstance(t.value, Decimal)
            return s.Number(t.start, t.end, t.value)
        if kind == "name":
            self.take()
            if self.tok.text == "(":
                self.take()
                args = self.items(")")
                close = self.expect(")", "')' to close the call")
                return s.Call(t.start, close.end, t.text, tuple(args), t.end)
            return s.Name(t.start, t.end, t.text)
        if kind == "str":
            self.take()
            return s.Text(t.start, t.end, str(t.value))
        text = t.text
        if text in ("true", "false"):
            self.take()
            return s.Bool(t.start, t.end, text == "true")
        if text == "null":
            self.take()
            return s.Null(t.start, t.end)
        if text == "(":
            self.take()
            inner = self.ternary()
            self.expect(")", "')'")
            return inner
        if text == "[":
            self.take()
            items = self.items("]")
            close = self.expect("]", "']' to close the list")
            return s.ListLit(t.start, close.end, tuple(items))
        found = "the end of the expression" if kind == "end" else f"'{text}'"
        raise ExprSyntaxError(f"expected a value, found {found}", t.start, t.end)

    def items(self, closing: str) -> list[s.Node]:
        out: list[s.Node] = []
        if self.tok.text == closing:
            return out
        while True:
            out.append(self.ternary())
            if self.tok.text != ",":
                return out
            self.take()


def parse(text: str) -> s.Node:
    """Parse one expression; raises :class:`ExprSyntaxError`."""
    if len(text) > _MAX_LENGTH:
        raise ExprSyntaxError(f"expression longer than {_MAX_LENGTH} characters", 0, 1)
    return _Parser(text).parse()
