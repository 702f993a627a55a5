"""Syntax trees and syntax errors of a fixed set of expression texts, against a golden file.

The texts are written-out edge cases (precedence, chains, ``not in``, calls, lists, nesting at
the depth limit, every error the parser raises) and a seeded soup of tokens and characters.
The golden file holds the tree, spans included, or the error (message, span, hint) of each:
a parser change that moves a node or a caret shows up here line by line.
"""

from __future__ import annotations

import random
from pathlib import Path

from policymatch.rules.parser import ExprSyntaxError, parse
from tests.golden import assert_golden
from tests.rules.test_tokenizer_reference import NUMBER_EDGES

GOLDEN = Path(__file__).parent / "fixtures" / "expressions.golden"

WRITTEN = [
    "",
    "   ",
    "employees >= 50",
    "20 <= employees < 300",
    "a == b == c",
    "a + b * c - d / e",
    "-a * -b",
    "- - 1",
    "+x",
    "not a and b or c",
    "not not a",
    "a and not b in [1, 2]",
    "x not in [1, 2]",
    "x not y",
    "x in tags",
    '"专精特新" in tags and industry startswith "C3"',
    "a if b else c if d else e",
    "(a if b else c) + 1",
    "a if b",
    "a if b else",
    "min(a, b, c)",
    "min()",
    "f(a,)",
    "f(a b)",
    "[",
    "[1, 2",
    "[]",
    "[1, [2]]",
    "(a",
    "(a))",
    "a)",
    "a b",
    "1 2",
    '"x" "y"',
    "and",
    "a and",
    "a ==",
    "== a",
    "a = b",
    "a && b",
    "a || b",
    "a <> b",
    "True",
    "null()",
    "is_null(x) or x > 0",
    "coalesce(revenue, 0) * 1%",
    "round(x, 2)",
    "50万 + 1.5亿 + 5.5%",
    "1_000_000",
    *NUMBER_EDGES,
    "'it\\'s'",
    '"unterminated',
    "'",
    "（a）",
    "a ＝ b",
    "a ! b",
    "a @ b",
    "万",
    "²",
    "x" * 4001,
    "(" * 59 + "a" + ")" * 59,
    "(" * 60 + "a" + ")" * 60,
    "not " * 59 + "a",
    "not " * 60 + "a",
    "-" * 59 + "1",
    "-" * 60 + "1",
    "f(" * 30 + ")" * 30,
    "[" * 61 + "]" * 61,
]

PIECES = [
    "a", "b", "x1", "上年营业收入", "1", "2.5", "50万", '"s"', "'t'", "(", ")", "[", "]", ",",
    "and", "or", "not", "in", "if", "else", "==", "!=", "<", "<=", ">", ">=", "+", "-", "*",
    "/", "min(", "startswith", "true", "false", "null", "as_of", "=", "&&", "（", "%", "万",
]  # fmt: skip


def soup(count: int = 400, seed: int = 0) -> list[str]:
    rnd = random.Random(seed)
    return [
        rnd.choice(("", " ")).join(rnd.choices(PIECES, k=rnd.randint(1, 9))) for _ in range(count)
    ]


def render(texts: list[str]) -> str:
    lines = []
    for text in texts:
        try:
            outcome = repr(parse(text))
        except ExprSyntaxError as exc:
            outcome = f"error {exc.message!r} at {exc.start}..{exc.end} hint {exc.hint!r}"
        lines.append(f"{text!r}\n    {outcome}\n")
    return "".join(lines)


def test_trees_and_errors_match_the_golden_file() -> None:
    assert_golden(GOLDEN, render(WRITTEN + soup()))
