"""The expression tokenizer (one compiled pattern) against a character-by-character reference.

The reference below spells out the token rules one character at a time, the way the language
is described in docs/policy-format.md: whatever the text, both must give the same tokens, or
the same error with the same span and hint. The texts are well-formed expressions, expressions
cut and spliced, and soups of the characters where the rules have edges (suffixes after
numbers and names, escapes, unterminated strings, full-width punctuation, Unicode digits and
spaces that ``str`` methods and regular expressions might see differently).
"""

from __future__ import annotations

from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from policymatch.money import SUFFIXES
from policymatch.rules.parser import (
    _FULL_WIDTH,
    _WRONG_WORDS,
    KEYWORDS,
    ExprSyntaxError,
    tokenize,
)
from tests.rules.test_expression_properties import expressions

Ref = tuple[str, str, int, int, object]
_OPS = ("==", "!=", "<=", ">=", "<", ">", "+", "-", "*", "/", "(", ")", "[", "]", ",")


def _name_char(ch: str) -> bool:
    return ch == "_" or ch.isalnum()


def _number_end(text: str, i: int) -> int:
    """End of ``digit (digit|_)* ('.' digit (digit|_)*)?`` from ``i`` (a decimal digit)."""
    j = i + 1
    while j < len(text) and (text[j].isdecimal() or text[j] == "_"):
        j += 1
    if j + 1 < len(text) and text[j] == "." and text[j + 1].isdecimal():
        j += 2
        while j < len(text) and (text[j].isdecimal() or text[j] == "_"):
            j += 1
    return j


def reference_tokens(text: str) -> list[Ref]:
    out: list[Ref] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch.isspace():
            i += 1
        elif ch in _FULL_WIDTH:
            hint = f"switch the input method to half-width and write '{_FULL_WIDTH[ch]}'"
            raise ExprSyntaxError(f"full-width character '{ch}'", i, i + 1, hint)
        elif ch.isdecimal():
            end = _number_end(text, i)
            digits = text[i:end]
            if digits.endswith("_") or "__" in digits:
                raise ExprSyntaxError(f"malformed number '{digits}'", i, end)
            value = Decimal(digits.replace("_", ""))
            if end < n and text[end] in SUFFIXES:
                value *= SUFFIXES[text[end]]
                end += 1
            if end < n and (_name_char(text[end]) or text[end] in SUFFIXES):
                j = end
                while j < n and (_name_char(text[j]) or text[j] in SUFFIXES):
                    j += 1
                hint = "numbers take one suffix: 万, 亿 or %, e.g. 50万, 1.5亿, 5.5%"
                raise ExprSyntaxError(f"'{text[i:j]}' is not a number", i, j, hint)
            out.append(("num", text[i:end], i, end, value))
            i = end
        elif ch in "\"'":
            j, chars = i + 1, []
            while j < n and text[j] != ch:
                if text[j] == "\\" and j + 1 < n:
                    j += 1
                chars.append(text[j])
                j += 1
            if j >= n:
                raise ExprSyntaxError("unterminated string", i, n, f"close it with {ch}")
            out.append(("str", text[i : j + 1], i, j + 1, "".join(chars)))
            i = j + 1
        elif ch == "_" or (ch.isalpha() and ch not in SUFFIXES):
            j = i + 1
            while j < n and _name_char(text[j]):
                j += 1
            word = text[i:j]
            out.append(("kw" if word in KEYWORDS else "name", word, i, j, None))
            i = j
        else:
            op = next((op for op in _OPS if text.startswith(op, i)), None)
            if op is None:
                for wrong, right in _WRONG_WORDS.items():
                    if text.startswith(wrong, i):
                        message = f"'{wrong}' is not an operator here"
                        raise ExprSyntaxError(message, i, i + len(wrong), f"write '{right}'")
                raise ExprSyntaxError(f"unexpected character '{ch}'", i, i + 1)
            out.append(("op", op, i, i + len(op), None))
            i += len(op)
    out.append(("end", "", n, n, None))
    return out


def outcome(tokens_of: object, text: str) -> object:
    try:
        return [tuple(t) for t in tokens_of(text)]  # type: ignore[operator]
    except ExprSyntaxError as exc:
        return ("error", exc.message, exc.start, exc.end, exc.hint)


EDGES = (
    "0123456789_.万亿%aZ_é中文字段"  # numbers, suffixes, names
    "\"'\\"  # strings and escapes
    " \t\n\u3000\xa0\u2028\x1c"  # spaces str.isspace knows, and a file separator
    "()[],+-*/=<>!&|"  # operators and wrong ones
    "（），“”＝！．０"  # full width (and a full-width digit)
    "²½Ⅻ٣߀\u0301"  # digits and numerals that are not decimal, combining accent
)
#: Texts at the edges of the number rule: doubled or trailing '_', a suffix and more, a lone '.'.
NUMBER_EDGES = ["1__0", "10_", "3万元", "2%%", "1.", ".5"]
soup = st.text(alphabet=st.sampled_from(EDGES), max_size=24)
words = st.lists(
    st.sampled_from(
        [
            "employees",
            "上年营业收入",
            "and",
            "not",
            "in",
            "null",
            "true",
            "True",
            "&&",
            "||",
            "=",
            "<>",
            "null()",
            "50万",
            "1.5亿",
            "5.5%",
            "1_000",
            *NUMBER_EDGES,
            '"a\\"b"',
            "'it\\'s'",
            '"line\\\nbreak"',
            '"open',
            "\\",
            "万",
            "（",
            " ",
        ]
    ),
    max_size=10,
).map("".join)
spliced = st.builds(
    lambda a, cut, b: a[:cut] + b, expressions, st.integers(0, 40), st.one_of(soup, words)
)


@settings(max_examples=1500, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(expressions, soup, words, spliced))
def test_tokens_and_errors_match_the_reference(text: str) -> None:
    assert outcome(tokenize, text) == outcome(reference_tokens, text)
