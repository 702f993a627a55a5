"""Enterprise records as durable_rules facts: flat JSON objects of integers and plain strings.

durable_rules facts must be JSON, compare numbers as C ``long``/``double`` and strings with
``strcmp``, and know nothing of nulls, decimals, dates or sets. So a record is encoded as an
*interval* per field that the candidate rules read:

=============================  ===============================================================
money, rate, integer           ``f<i>_lo``, ``f<i>_hi``: the value as an exact integer at the
                               typed frame's scale (fen, millionths, units)
date                           the same, as the date's ordinal (days since 0001-01-01)
boolean                        the same, as 0 or 1
code, string, enum             the same, as the text itself
tags                           ``t<i>_<j>``: 1 when the tag is held, else 0 (never null)
``is_null(field)``             ``f<i>_n``: 1 when the field is null, else 0
=============================  ===============================================================

A known value is the point ``lo == hi``. A null is the whole range (``-2**62 .. 2**62``, or
``"" .. "\\U0010ffff" * 4``), so that every comparison the compiler writes holds on it: an
unknown value never rules an enterprise out, as three-valued logic demands. Values durable
cannot compare faithfully (an integer at or past 2**62; text with characters JSON escapes, since
escaping does not keep ``strcmp`` order, or that ``strcmp`` would cut short) are encoded as the
whole range too: the candidate rules then admit the enterprise and the reference evaluator
decides. ``age_years`` is derived from ``registered_on`` and the watcher's as-of date.

Every fact carries ``id`` (the USCC: durable hashes facts without an id, and distinct facts
collide after some ten thousand) and ``pm: 1``, which rules with no atom of their own test so
that they never match durable's own session-state fact.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from decimal import Decimal

from ...registry.frame import to_cell
from ...schema import SCALE, Field, FieldType
from ...values import Value

#: Magnitude of the integer range a null spans; values this large are treated like nulls.
SENTINEL = 2**62
TEXT_LOW = ""
TEXT_HIGH = "\U0010ffff" * 4
#: Characters that json.dumps escapes (so strcmp would see the escape, not the character),
#: NUL (which ends a C string), lone surrogates (not UTF-8) and the top code point (TEXT_HIGH).
_UNSAFE_TEXT = re.compile('[\x00-\x1f"\\\\\ud800-\udfff\U0010ffff]')
#: Properties of every fact besides the field attributes: ``id`` and ``pm``.
FIXED_PROPERTIES = 2


def safe_text(text: str) -> bool:
    """Whether durable compares ``text`` exactly as Python does (code point order)."""
    return _UNSAFE_TEXT.search(text) is None


def number_interval(value: int | None) -> tuple[int, int]:
    if value is None or not -SENTINEL < value < SENTINEL:
        return -SENTINEL, SENTINEL
    return value, value


def text_interval(value: str | None) -> tuple[str, str]:
    if value is None or not safe_text(value):
        return TEXT_LOW, TEXT_HIGH
    return value, value


@dataclass(frozen=True)
class Slot:
    """One registry field as the facts carry it."""

    field: Field
    index: int

    @property
    def lo(self) -> str:
        return f"f{self.index}_lo"

    @property
    def hi(self) -> str:
        return f"f{self.index}_hi"

    @property
    def null(self) -> str:
        return f"f{self.index}_n"

    @property
    def text(self) -> bool:
        return self.field.type.is_text

    def scaled(self, value: Value) -> int | str | None:
        """The field's value on the attribute scale (None for null)."""
        if value is None:
            return None
        if self.field.type is FieldType.DATE:
            assert isinstance(value, dt.date)
            return value.toordinal()
        if self.field.type is FieldType.BOOLEAN:
            return int(bool(value))
        if self.text:
            return str(value)
        cell = to_cell(self.field, value)
        assert isinstance(cell, int)
        return cell

    def constant(self, value: object) -> Decimal | str | None:
        """A policy constant on the attribute scale: exact, possibly fractional for numbers."""
        if value is None:
            return None
        if self.text:
            return str(value)
        if isinstance(value, dt.date):
            return Decimal(value.toordinal())
        if isinstance(value, bool):
            return Decimal(int(value))
        return Decimal(value) * SCALE[self.field.type]  # type: ignore[arg-type]


@dataclass
class Layout:
    """Which attributes the facts carry, allotted as the compiler asks for them.

    A fact holds at most ``max_properties`` properties (durable_rules refuses more with error
    302); when there is no room left, :meth:`slot` and friends return None and the compiler
    leaves that test to the confirmation step.
    """

    as_of: dt.date
    max_properties: int
    slots: dict[str, Slot] = field(default_factory=dict)
    tags: dict[tuple[str, str], str] = field(default_factory=dict)
    nulls: dict[str, str] = field(default_factory=dict)

    @property
    def properties(self) -> int:
        return FIXED_PROPERTIES + 2 * len(self.slots) + len(self.tags) + len(self.nulls)

    def _room(self, needed: int) -> bool:
        return self.properties + needed <= self.max_properties

    def slot(self, fld: Field) -> Slot | None:
        if fld.name not in self.slots:
            if not self._room(2):
                return None
            self.slots[fld.name] = Slot(fld, len(self.slots))
        return self.slots[fld.name]

    def tag(self, fld: Field, tag: str) -> str | None:
        key = (fld.name, tag)
        if key not in self.tags:
            if not self._room(1):
                return None
            self.tags[key] = f"t{len(self.tags)}"
        return self.tags[key]

    def null_flag(self, fld: Field) -> str | None:
        slot = self.slot(fld)
        if slot is None:
            return None
        if fld.name not in self.nulls:
            if not self._room(1):
                return None
            self.nulls[fld.name] = slot.null
        return self.nulls[fld.name]

    def value(self, record: dict[str, Value], name: str) -> Value:
        return record.get(name)

    def encode(self, uscc: str, record: dict[str, Value]) -> dict[str, int | str]:
        """The fact of one typed record."""
        fact: dict[str, int | str] = {"id": uscc, "pm": 1}
        for name, slot in self.slots.items():
            value = slot.scaled(self.value(record, name))
            lo, hi = (
                text_interval(value)  # type: ignore[arg-type]
                if slot.text
                else number_interval(value)  # type: ignore[arg-type]
            )
            fact[slot.lo], fact[slot.hi] = lo, hi
            if name in self.nulls:
                fact[slot.null] = int(value is None)
        for (name, tag), attr in self.tags.items():
            held = record.get(name) or frozenset()
            assert isinstance(held, frozenset)
            fact[attr] = int(tag in held)
        return fact
