"""Expression text -> syntax tree. A hand-written tokenizer and precedence-climbing parser.

Nothing here evaluates anything: the text is only ever tokenized and parsed, so no policy can
run code. Every failure is an :class:`ExprSyntaxError` with the span of the offending text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

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

_NUMBER = re.compile(r"\d[\d_]*(?:\.\d[\d_]*)?")
_OPERATORS = ("==", "!=", "<=", ">=", "<", ">", "+", "-", "*", "/", "(", ")", "[", "]", ",")


@dataclass(frozen=True)
class Token:
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


def _is_name_char(ch: str) -> bool:
    return ch == "_" or ch.isalnum()


def tokenize(text: str) -> list[Token]:
    tokens: list[Token] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch.isspace():
            i += 1
            continue
        if ch in _FULL_WIDTH:
            raise ExprSyntaxError(
                f"full-width character '{ch}'",
                i,
                i + 1,
                hint=f"switch the input method to half-width and write '{_FULL_WIDTH[ch]}'",
            )
        m = _NUMBER.match(text, i)
        if m:
            end = m.end()
            if m.group().endswith("_") or "__" in m.group():
                raise ExprSyntaxError(f"malformed number '{m.group()}'", i, end)
            value = Decimal(m.group().replace("_", ""))
            if end < n and text[end] in SUFFIXES:
                value *= SUFFIXES[text[end]]
                end += 1
            if end < n and (_is_name_char(text[end]) or text[end] in SUFFIXES):
                j = end
                while j < n and (_is_name_char(text[j]) or text[j] in SUFFIXES):
                    j += 1
                raise ExprSyntaxError(
                    f"'{text[i:j]}' is not a number",
                    i,
                    j,
                    hint="numbers take one suffix: 万, 亿 or %, e.g. 50万, 1.5亿, 5.5%",
                )
            tokens.append(Token("num", text[i:end], i, end, value))
            i = end
            continue
        if ch in "\"'":
            j, buf = i + 1, []
            while j < n and text[j] != ch:
                if text[j] == "\\" and j + 1 < n:
                    j += 1
                buf.append(text[j])
                j += 1
            if j >= n:
                raise ExprSyntaxError("unterminated string", i, n, hint=f"close it with {ch}")
            tokens.append(Token("str", text[i : j + 1], i, j + 1, "".join(buf)))
            i = j + 1
            continue
        if _is_name_start(ch):
            j = i + 1
            while j < n and _is_name_char(text[j]):
                j += 1
            word = text[i:j]
            kind = "kw" if word in KEYWORDS else "name"
            tokens.append(Token(kind, word, i, j))
            i = j
            continue
        for op in _OPERATORS:
            if text.startswith(op, i):
                tokens.append(Token("op", op, i, i + len(op)))
                i += len(op)
                break
        else:
            for wrong, right in _WRONG_WORDS.items():
                if text.startswith(wrong, i):
                    raise ExprSyntaxError(
                        f"'{wrong}' is not an operator here", i, i + len(wrong), f"write '{right}'"
                    )
            raise ExprSyntaxError(f"unexpected character '{ch}'", i, i + 1)
    tokens.append(Token("end", "", n, n))
    return tokens


_COMPARE = {"==", "!=", "<", "<=", ">", ">="}


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = tokenize(text)
        self.i = 0
        self.depth = 0

    @property
    def tok(self) -> Token:
        return self.tokens[self.i]

    def take(self) -> Token:
        t = self.tokens[self.i]
        self.i += 1
        return t

    def at(self, kind: str, text: str | None = None) -> bool:
        t = self.tok
        return t.kind == kind and (text is None or t.text == text)

    def expect(self, kind: str, text: str, what: str) -> Token:
        if not self.at(kind, text):
            t = self.tok
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
        if not self.at("end"):
            t = self.tok
            hint = None
            if t.kind == "name" or t.kind in ("num", "str"):
                hint = "is an operator missing here? (and, or, ==, ...)"
            raise ExprSyntaxError(f"unexpected '{t.text}'", t.start, t.end, hint)
        return node

    def ternary(self) -> s.Node:
        self.nest()
        then = self.or_expr()
        if self.at("kw", "if"):
            self.take()
            cond = self.or_expr()
            self.expect("kw", "else", "'else' after 'if'")
            other = self.ternary()
            node: s.Node = s.IfElse(then.start, other.end, then, cond, other)
        else:
            node = then
        self.depth -= 1
        return node

    def or_expr(self) -> s.Node:
        left = self.and_expr()
        while self.at("kw", "or"):
            self.take()
            right = self.and_expr()
            left = s.Binary(left.start, right.end, "or", left, right)
        return left

    def and_expr(self) -> s.Node:
        left = self.not_expr()
        while self.at("kw", "and"):
            self.take()
            right = self.not_expr()
            left = s.Binary(left.start, right.end, "and", left, right)
        return left

    def not_expr(self) -> s.Node:
        if self.at("kw", "not"):
            t = self.take()
            self.nest()
            operand = self.not_expr()
            self.depth -= 1
            return s.Unary(t.start, operand.end, "not", operand)
        return self.comparison()

    def comp_op(self) -> str | None:
        t = self.tok
        if t.kind == "op" and t.text in _COMPARE:
            self.take()
            return t.text
        if t.kind == "kw" and t.text in ("in", "startswith"):
            self.take()
            return t.text
        if t.kind == "kw" and t.text == "not" and self.tokens[self.i + 1].text == "in":
            self.i += 2
            return "not in"
        return None

    def comparison(self) -> s.Node:
        first = self.additive()
        operands, ops = [first], []
        while (op := self.comp_op()) is not None:
            ops.append(op)
            operands.append(self.additive())
        if not ops:
            return first
        return s.Chain(first.start, operands[-1].end, tuple(operands), tuple(ops))

    def additive(self) -> s.Node:
        left = self.term()
        while self.tok.kind == "op" and self.tok.text in ("+", "-"):
            op = self.take().text
            right = self.term()
            left = s.Binary(left.start, right.end, op, left, right)
        return left

    def term(self) -> s.Node:
        left = self.unary()
        while self.tok.kind == "op" and self.tok.text in ("*", "/"):
            op = self.take().text
            right = self.unary()
            left = s.Binary(left.start, right.end, op, left, right)
        return left

    def unary(self) -> s.Node:
        if self.tok.kind == "op" and self.tok.text in ("-", "+"):
            t = self.take()
            self.nest()
            operand = self.unary()
            self.depth -= 1
            return s.Unary(t.start, operand.end, t.text, operand)
        return self.primary()

    def primary(self) -> s.Node:
        t = self.tok
        if t.kind == "num":
            self.take()
            assert isinstance(t.value, Decimal)
            return s.Number(t.start, t.end, t.value)
        if t.kind == "str":
            self.take()
            return s.Text(t.start, t.end, str(t.value))
        if t.kind == "kw" and t.text in ("true", "false"):
            self.take()
            return s.Bool(t.start, t.end, t.text == "true")
        if t.kind == "kw" and t.text == "null":
            self.take()
            return s.Null(t.start, t.end)
        if t.kind == "name":
            self.take()
            if self.at("op", "("):
                self.take()
                args = self.items(")")
                close = self.expect("op", ")", "')' to close the call")
                return s.Call(t.start, close.end, t.text, tuple(args), t.end)
            return s.Name(t.start, t.end, t.text)
        if t.kind == "op" and t.text == "(":
            self.take()
            inner = self.ternary()
            self.expect("op", ")", "')'")
            return inner
        if t.kind == "op" and t.text == "[":
            self.take()
            items = self.items("]")
            close = self.expect("op", "]", "']' to close the list")
            return s.ListLit(t.start, close.end, tuple(items))
        found = "the end of the expression" if t.kind == "end" else f"'{t.text}'"
        raise ExprSyntaxError(f"expected a value, found {found}", t.start, t.end)

    def items(self, closing: str) -> list[s.Node]:
        out: list[s.Node] = []
        if self.at("op", closing):
            return out
        while True:
            out.append(self.ternary())
            if not self.at("op", ","):
                return out
            self.take()


def parse(text: str) -> s.Node:
    """Parse one expression; raises :class:`ExprSyntaxError`."""
    if len(text) > _MAX_LENGTH:
        raise ExprSyntaxError(f"expression longer than {_MAX_LENGTH} characters", 0, 1)
    return _Parser(text).parse()
