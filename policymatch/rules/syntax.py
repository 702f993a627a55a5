"""The untyped syntax tree of one expression, with character spans into its text.

The parser builds these; :mod:`policymatch.rules.check` resolves names and types and turns them
into IR. Spans are 0-based ``[start, end)`` offsets into the expression string.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True)
class Node:
    """Base of every syntax node."""

    start: int
    end: int


@dataclass(frozen=True)
class Number(Node):
    """A number literal, suffixes (万, 亿, %) already applied."""

    value: Decimal


@dataclass(frozen=True)
class Text(Node):
    """A string literal."""

    value: str


@dataclass(frozen=True)
class Bool(Node):
    """``true`` or ``false``."""

    value: bool


@dataclass(frozen=True)
class Null(Node):
    """``null``."""


@dataclass(frozen=True)
class Name(Node):
    """A field, alias, define or ``as_of``."""

    name: str


@dataclass(frozen=True)
class ListLit(Node):
    """``[a, b, ...]``."""

    items: tuple[Node, ...]


@dataclass(frozen=True)
class Unary(Node):
    """``not x``, ``-x``, ``+x``."""

    op: str
    operand: Node


@dataclass(frozen=True)
class Binary(Node):
    """Arithmetic and logic: ``+ - * / and or``."""

    op: str
    left: Node
    right: Node


@dataclass(frozen=True)
class Chain(Node):
    """Comparisons, possibly chained: ``20 <= employees < 300``; ops include ``in``,
    ``not in`` and ``startswith``."""

    operands: tuple[Node, ...]
    ops: tuple[str, ...]


@dataclass(frozen=True)
class Call(Node):
    """``fn(args)``; ``name_end`` marks the end of the function name for error carets."""

    func: str
    args: tuple[Node, ...]
    name_end: int


@dataclass(frozen=True)
class IfElse(Node):
    """``a if cond else b``."""

    then: Node
    cond: Node
    other: Node
