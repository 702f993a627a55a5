"""Exact arithmetic on number columns: scaled int64 while it fits, the reference's Decimals after.

A :class:`~.columns.Num` is ``v / 10**k``: money columns arrive at ``k = 2`` (fen), rates at
``k = 6``, integers at ``k = 0``, and a constant such as ``5.5%`` is ``55 / 10**3``. Sums align
the scales, products add them, comparisons align and compare integers: no binary floating point
anywhere. Every operation first checks, from the operands' ``bound``, that no row can leave
int64; if one could, the operation is done on Python ``Decimal`` objects instead
(:class:`~.columns.Dec`), row by row, with the very operators and contexts of
:mod:`policymatch.backends.reference`, so the two agree to the last digit whichever path runs.
Division always takes the Decimal path: the reference divides in a 40-digit context, and
copying that is simpler and surer than reproducing its rounding in integers.

Rounding (``round()``, the final half-up to the fen) is :mod:`policymatch.money`'s, which takes
the precision a value needs. Should a Decimal operation still trap (an exponent beyond the
context's range, nothing a registry holds), that row's value is unknown rather than an error.
"""

from __future__ import annotations

import decimal
import operator
from collections.abc import Callable, Sequence
from decimal import Decimal
from functools import lru_cache, reduce
from typing import TYPE_CHECKING, Any

import numpy as np

from ...money import MAX_GRANT, MAX_GRANT_FEN, round_half_up
from ..reference import DIVISION, finish_amount
from . import bits as B
from .bits import Bits, BoolArray, IntArray
from .columns import INT64_MAX, NARROW, Column, Dec, Ints, Null, Num, ObjArray, Rows, Tri
from .compiled import compiled

if TYPE_CHECKING:
    from .program import Node

COMPARE: dict[str, Callable[[Any, Any], Any]] = {
    "==": operator.eq,
    "!=": operator.ne,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}


@lru_cache(maxsize=1 << 14)
def scaled(value: Decimal) -> tuple[int, int]:
    """``value`` as ``(numerator, k)`` with ``value == numerator / 10**k`` and the least ``k >= 0``."""
    sign, digits, exp = value.as_tuple()
    assert isinstance(exp, int)
    num = int("".join(map(str, digits)) or "0") * (-1 if sign else 1)
    if exp >= 0:
        return num * 10**exp, 0
    k = -exp
    while k and num % 10 == 0:
        num //= 10
        k -= 1
    return num, k


def constant(value: Decimal, rows: Rows) -> Num | Dec:
    num, k = scaled(value)
    if abs(num) > INT64_MAX:
        return Dec(np.full(rows.n, value, dtype=object), rows.all)
    return Num(np.int64(num), k, rows.all, abs(num))


def unknown_num(rows: Rows) -> Num:
    return Num(np.int64(0), 0, rows.none, 0)


def as_number(col: Column, rows: Rows) -> Num | Dec:
    if isinstance(col, Null):
        return unknown_num(rows)
    assert isinstance(col, (Num, Dec))
    return col


def to_dec(col: Num | Dec, rows: Rows) -> Dec:
    if isinstance(col, Dec):
        return col
    out = np.full(rows.n, None, dtype=object)
    idx = B.rows_of(col.known)
    if idx.size:
        values = np.broadcast_to(col.v, (rows.n,))[idx]
        out[idx] = [Decimal(int(x)).scaleb(-col.k) for x in values]
    return Dec(out, col.known)


def _rescale(col: Num, k: int) -> tuple[Ints, int] | None:
    """``col``'s values at the larger scale ``k``, with their bound, or None on overflow."""
    factor = 10 ** (k - col.k)
    bound = col.bound * factor
    if bound > INT64_MAX or factor > INT64_MAX:
        return None
    return (col.v * np.int64(factor) if factor != 1 else col.v), bound


def align(cols: Sequence[Num]) -> tuple[list[Ints], int, int] | None:
    """The values of ``cols`` at one common scale, that scale and a bound, or None on overflow."""
    k = max(c.k for c in cols)
    out: list[Ints] = []
    bound = 0
    for c in cols:
        done = _rescale(c, k)
        if done is None:
            return None
        out.append(done[0])
        bound = max(bound, done[1])
    return out, k, bound


def _elementwise(
    fn: Callable[..., Decimal | None], cols: Sequence[Dec], known: Bits, rows: Rows
) -> Dec:
    """``fn`` on the Decimals of each row known in every column (None or a trap: unknown)."""
    out = np.full(rows.n, None, dtype=object)
    ok = np.zeros(rows.n, dtype=np.bool_)
    for i in B.rows_of(known):
        try:
            value = fn(*(c.v[i] for c in cols))
        except decimal.DecimalException:
            value = None
        if value is not None:
            out[i] = value
            ok[i] = True
    return Dec(out, B.pack(ok))


def arith(op: str, a: Num | Dec, b: Num | Dec, rows: Rows) -> Num | Dec:
    known = a.known & b.known
    if isinstance(a, Num) and isinstance(b, Num) and op != "/":
        if op == "*":
            bound = a.bound * b.bound
            if bound <= INT64_MAX:
                return Num(a.v * b.v, a.k + b.k, known, bound)
        else:
            aligned = align((a, b))
            if aligned is not None and aligned[2] * 2 <= INT64_MAX:
                (va, vb), k, bound = aligned
                return Num(va + vb if op == "+" else va - vb, k, known, bound * 2)
    da, db = to_dec(a, rows), to_dec(b, rows)
    return _elementwise(_DECIMAL_OPS[op], (da, db), known, rows)


def _divide(x: Decimal, y: Decimal) -> Decimal | None:
    return None if y == 0 else DIVISION.divide(x, y)


_DECIMAL_OPS: dict[str, Callable[..., Decimal | None]] = {
    "+": operator.add,
    "-": operator.sub,
    "*": operator.mul,
    "/": _divide,
}


def negate(a: Num | Dec, rows: Rows) -> Num | Dec:
    if isinstance(a, Num):
        return Num(-a.v, a.k, a.known, a.bound)
    return _elementwise(operator.neg, (a,), a.known, rows)


def absolute(a: Num | Dec, rows: Rows) -> Num | Dec:
    if isinstance(a, Num):
        return Num(np.abs(a.v), a.k, a.known, a.bound)
    return _elementwise(abs, (a,), a.known, rows)


def extreme(func: str, cols: Sequence[Num | Dec], rows: Rows) -> Num | Dec:
    """``min(...)`` or ``max(...)``: unknown when any argument is."""
    known = reduce(np.bitwise_and, [c.known for c in cols])
    nums = [c for c in cols if isinstance(c, Num)]
    if len(nums) == len(cols):
        aligned = align(nums)
        if aligned is not None:
            values, k, bound = aligned
            pick = np.minimum if func == "min" else np.maximum
            return Num(reduce(pick, values), k, known, bound)
    fn = min if func == "min" else max
    return _elementwise(lambda *xs: fn(xs), [to_dec(c, rows) for c in cols], known, rows)


def round_to(a: Num | Dec, places: int, rows: Rows) -> Num | Dec:
    """Half-up (away from zero) to ``places`` decimals, as :func:`policymatch.money.round_half_up`."""
    if isinstance(a, Num):
        if a.k <= places:
            return a
        d = 10 ** (a.k - places)
        if a.bound + d <= INT64_MAX:
            q = (np.abs(a.v) + np.int64(d // 2)) // np.int64(d)
            return Num(np.where(a.v < 0, -q, q), places, a.known, (a.bound + d // 2) // d)
    return _elementwise(lambda x: round_half_up(x, places), (to_dec(a, rows),), a.known, rows)


def compare(op: str, a: Num | Dec, b: Num | Dec, rows: Rows) -> Tri:
    known = a.known & b.known
    if isinstance(a, Num) and isinstance(b, Num):
        aligned = align((a, b))
        if aligned is not None:
            (va, vb), _, _ = aligned
            return holds(COMPARE[op](va, vb), known, rows)
    da, db = to_dec(a, rows), to_dec(b, rows)
    test = COMPARE[op]
    return holds_where(known, lambda i: bool(test(da.v[i], db.v[i])), rows)


def compare_constant(op: str, a: Num | Dec, value: Decimal, num: int, k: int, rows: Rows) -> Tri:
    """``a op value`` (``value == num / 10**k``, see :func:`scaled`): the constant is brought to
    the column's scale, never the column to it."""
    if isinstance(a, Num):
        test = _integer_test(op, num, k, a.k)
        if test is not None:
            fn, edge = test
            if edge is None:
                return holds(fn(a.v), a.known, rows)
            values: Any = a.v
            if a.narrow is not None:
                _, low, high = NARROW[a.narrow.dtype.itemsize]
                if low <= edge <= high:
                    values, edge = a.narrow, a.narrow.dtype.type(edge)
            return holds(fn(values, edge), a.known, rows)
    return compare(op, a, constant(value, rows), rows)


def compare_constants(nodes: Sequence[Node], a: Column, rows: Rows) -> dict[int, Tri]:
    """The ``compare_constant`` nodes of one subject ``a`` at once (by node id): every node
    that :func:`compare_constant` would test as ``v op edge`` on the column's integers (the
    others are left out, for it).

    Each such test is ``v >= c`` for one or two cut points ``c`` (``v > e`` is ``v >= e + 1``,
    ``v < e`` is not ``v >= e``, ``v == e`` is ``v >= e`` and not ``v >= e + 1``), so every row
    is placed once among the sorted cuts and each test's mask is an OR of the rows placed at or
    above its cut: one pass over the rows for all of a field's thresholds, instead of one
    comparison and one packing per threshold."""
    if not (isinstance(a, Num) and isinstance(a.v, np.ndarray) and a.v.ndim == 1):
        return {}
    ids: list[int] = []
    specs: list[tuple[int, int | None, bool]] = []
    for node in nodes:
        op, _, num, k = node.param
        test = _integer_test(op, num, k, a.k)
        if test is None or test[1] is None or int(test[1]) == INT64_MAX:
            continue
        edge = int(test[1])
        cut = edge + 1 if op in (">", "<=") else edge
        ids.append(node.id)
        specs.append((cut, edge + 1 if op in ("==", "!=") else None, op in ("<", "<=", "!=")))
    if not ids:
        return {}
    cuts = np.unique([c for cut, upper, _ in specs for c in (cut, upper) if c is not None])
    at = {int(c): i for i, c in enumerate(cuts)}
    first = np.array([at[cut] for cut, _, _ in specs], dtype=np.int64)
    second = np.array([-1 if upper is None else at[upper] for _, upper, _ in specs], dtype=np.int64)
    negated = np.array([neg for _, _, neg in specs], dtype=np.bool_)
    # Contiguous and writable (a copy only otherwise): the cached machine code is for those.
    values = np.require(a.v, np.int64, ["C", "W"])
    t, f = _cut_tests(values, a.known, cuts.astype(np.int64), first, second, negated)
    return {nid: Tri(t[i], f[i]) for i, nid in enumerate(ids)}


@compiled
def _cut_tests(
    values: IntArray, known: Bits, cuts: IntArray, first: IntArray, second: IntArray,
    negated: BoolArray,
) -> tuple[Bits, Bits]:  # fmt: skip
    """Per test ``i``: ``t`` and ``f`` of ``values >= cuts[first[i]]`` (and not ``>=
    cuts[second[i]]`` where ``second[i] >= 0``), negated where ``negated[i]``, known where
    ``known``. ``cuts`` ascending."""
    width = known.size
    size = cuts.size
    # Line r: the rows with r cuts at or below their value; then, from the top, line r
    # collects every line above it: the rows >= cuts[r - 1].
    above = np.zeros((size + 1, width), dtype=np.uint8)
    for i in range(values.size):
        v = values[i]
        lo, n = 0, size
        while n > 0:
            half = n >> 1
            if cuts[lo + half] <= v:
                lo += half + 1
                n -= half + 1
            else:
                n = half
        above[lo, i >> 3] |= 128 >> (i & 7)
    for r in range(size - 1, -1, -1):
        for j in range(width):
            above[r, j] |= above[r + 1, j]
    tests = first.size
    t = np.empty((tests, width), dtype=np.uint8)
    f = np.empty((tests, width), dtype=np.uint8)
    for i in range(tests):
        hit = above[first[i] + 1]
        # Negating sets the bits of unknown rows and of the padding too: ANDing with ``known``
        # clears them again.
        flip = 255 if negated[i] else 0
        if second[i] >= 0:
            miss = above[second[i] + 1]
            for j in range(width):
                truth = (hit[j] & ~miss[j]) ^ flip
                t[i, j] = truth & known[j]
                f[i, j] = known[j] & ~truth
        else:
            for j in range(width):
                truth = hit[j] ^ flip
                t[i, j] = truth & known[j]
                f[i, j] = known[j] & ~truth
    return t, f


def _never(v: Ints) -> BoolArray:
    return np.zeros(np.shape(v), dtype=np.bool_)


def _always(v: Ints) -> BoolArray:
    return np.ones(np.shape(v), dtype=np.bool_)


@lru_cache(maxsize=1 << 14)
def _integer_test(op: str, num: int, k: int, column_k: int) -> tuple[Any, Any] | None:
    """How to test ``v / 10**column_k op num / 10**k`` on the integers ``v``: a function and
    an int64 operand (None: a function of ``v`` alone), or None when int64 cannot hold it."""
    if k <= column_k:
        edge = num * 10 ** (column_k - k)
        return (COMPARE[op], np.int64(edge)) if abs(edge) <= INT64_MAX else None
    # The constant lies strictly between two integers at the column's scale (or on one).
    d = 10 ** (k - column_k)
    floor, ceil = num // d, -(-num // d)
    if max(abs(floor), abs(ceil)) > INT64_MAX:
        return None
    if op in ("==", "!="):
        if floor != ceil:  # never equal
            return (_never if op == "==" else _always), None
        return COMPARE[op], np.int64(floor)
    return COMPARE[op], np.int64(ceil if op in (">=", "<") else floor)


def holds(result: BoolArray | np.bool_, known: Bits, rows: Rows) -> Tri:
    """A condition from a per-row test (broadcast if a scalar) that counts only where known."""
    packed = (
        B.pack(result) if isinstance(result, np.ndarray) and result.ndim else _full(result, rows)
    )
    return Tri(packed & known, known & ~packed)


def _full(value: BoolArray | np.bool_, rows: Rows) -> Bits:
    return rows.all if bool(value) else rows.none


def holds_where(known: Bits, test: Callable[[int], bool], rows: Rows) -> Tri:
    """A condition from a Python test run on the known rows only."""
    result = np.zeros(rows.n, dtype=np.bool_)
    for i in B.rows_of(known):
        result[i] = test(int(i))
    return holds(result, known, rows)


def member(a: Num | Dec, items: Sequence[Decimal], rows: Rows) -> BoolArray:
    """Per row: is the value one of ``items`` (unknown rows: arbitrary)."""
    if isinstance(a, Num):
        wanted: list[int] = []
        for item in items:
            num, k = scaled(item)
            if k > a.k:
                continue  # finer than any value of the column: never equal
            value = num * 10 ** (a.k - k)
            if abs(value) <= INT64_MAX:
                wanted.append(value)
        return np.broadcast_to(np.isin(a.v, np.array(wanted, dtype=np.int64)), (rows.n,))
    values = set(items)
    found = np.zeros(rows.n, dtype=np.bool_)
    for i in B.rows_of(a.known):
        found[i] = a.v[i] in values
    return found


def select(cond: Tri, then: Num | Dec, other: Num | Dec, rows: Rows) -> Num | Dec:
    """``then if cond else other``: unknown where ``cond`` is."""
    known = (cond.t & then.known) | (cond.f & other.known)
    if isinstance(then, Num) and isinstance(other, Num):
        aligned = align((then, other))
        if aligned is not None:
            (vt, vo), k, bound = aligned
            return Num(np.where(B.unpack(cond.t, rows.n), vt, vo), k, known, bound)
    dt_, do = to_dec(then, rows), to_dec(other, rows)
    return Dec(np.where(B.unpack(cond.t, rows.n), dt_.v, do.v), known)


def first_known(cols: Sequence[Num | Dec], rows: Rows) -> Num | Dec:
    """``coalesce(...)``: the first argument known in each row."""
    known = reduce(np.bitwise_or, [c.known for c in cols])
    nums = [c for c in cols if isinstance(c, Num)]
    if len(nums) == len(cols):
        aligned = align(nums)
        if aligned is not None:
            values, k, bound = aligned
            out: Ints = values[-1]
            for c, v in zip(cols[-2::-1], values[-2::-1], strict=True):
                out = np.where(B.unpack(c.known, rows.n), v, out)
            return Num(out, k, known, bound)
    decs = [to_dec(c, rows) for c in cols]
    objs: ObjArray = decs[-1].v
    for c in decs[-2::-1]:
        objs = np.where(B.unpack(c.known, rows.n), c.v, objs)
    return Dec(objs, known)


class TooLarge(Exception):
    """The finished amount of row ``row`` is beyond :data:`~policymatch.money.MAX_GRANT`."""

    def __init__(self, row: int, amount: Decimal) -> None:
        super().__init__(row, amount)
        self.row, self.amount = row, amount


def to_fen(
    raw: Num | Dec, cap: Decimal | None, rows: Rows, paid: BoolArray | None = None
) -> tuple[IntArray, BoolArray]:
    """The payable amount in fen (``cap`` applied, then half-up) and where it is known.
    :class:`TooLarge` for the first known one beyond :data:`~policymatch.money.MAX_GRANT` among
    the rows ``paid`` (a tier's value matters only where the tier is the one that holds; the
    others may be left 0); without ``paid``, every row."""
    known = B.unpack(raw.known, rows.n)
    todo = known if paid is None else known & paid
    if isinstance(raw, Num):
        capped: Num | Dec = raw
        if cap is not None:
            capped = extreme("min", (raw, constant(cap, rows)), rows)
        if isinstance(capped, Num):
            fen = round_to(capped, 2, rows)
            if isinstance(fen, Num):
                done = _rescale(fen, 2)
                if done is not None:
                    cents = np.broadcast_to(done[0], (rows.n,)).astype(np.int64)
                    over = np.flatnonzero(todo & (cents > MAX_GRANT_FEN))
                    if over.size:
                        raise TooLarge(int(over[0]), Decimal(int(cents[over[0]])).scaleb(-2))
                    return cents, known
    dec = to_dec(raw, rows)
    out = np.zeros(rows.n, dtype=np.int64)
    for i in np.flatnonzero(todo):
        amount = finish_amount(dec.v[i], cap)
        if amount > MAX_GRANT:
            raise TooLarge(int(i), amount)
        # An amount below zero is not paid, however far below: int64's least stands for it.
        out[i] = max(int(amount * 100), -INT64_MAX)
    return out, known
