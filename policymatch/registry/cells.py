"""Typing a raw column into a typed-frame column, recording every cell that does not type.

The rules are those of :func:`policymatch.values.parse_value`; this module only makes them fast.
Cells in the common shapes (any text for a code or string, plain digits, ``1,234.50``,
``0.032``, ``3.2%``, ``2023-01-05``) are typed vectorized: text in compiled loops over Arrow's
bytes in place (numba, cached, compiled ahead by :func:`warm_loops`), enumerations by set lookup
in Arrow; every other cell goes through ``parse_value`` itself, once per distinct value, so the
odd forms (``50万``, ``2023年1月5日``, ``是``) and every error message come from one place. A
fast path only accepts cells on which it provably gives what ``parse_value`` gives;
``tests/registry`` checks that on random text and on every edge of each shape.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import cache
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ..arrowtext import layout, single_array
from ..schema import SCALE, Field, FieldType
from ..values import _FALSE, _TRUE, is_blank, parse_code, parse_value
from .frame import DTYPES, arrow_text_series, to_cell
from .runaway import BREAK_PATTERN, may_break
from .uscc import _WEIGHTS, ALPHABET, uscc_problem

#: The characters ``str.strip()`` removes (``str.isspace``), so that the vectorized strip is
#: exactly Python's; a test recomputes the set.
WHITESPACE = (
    "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005"
    "\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
)

#: Largest magnitude an Int64 cell holds (money in fen: about 92 trillion yuan).
_INT_LIMIT = 2**63 - 1
#: Dates a ``datetime64[ns]`` column holds, in whole years.
_YEARS = (1678, 2261)
_TEXT_TYPES = (FieldType.CODE, FieldType.STRING, FieldType.ENUM)
_ERRORS = (ValueError, TypeError, ArithmeticError)

#: Texts a boolean cell is written as, exactly (``parse_boolean`` lower-cases; these are the
#: spellings whose lower case it accepts, so a hit here is a hit there).
_BOOLEAN_TEXTS = {
    value: form
    for form, words in ((True, _TRUE), (False, _FALSE))
    for word in words
    for value in (word, word.upper(), word.capitalize())
    if value.lower() == word
}

_USCC_VALUE = np.zeros(256, dtype=np.int32)
_USCC_VALUE[np.frombuffer(ALPHABET.encode(), dtype=np.uint8)] = np.arange(len(ALPHABET))
_USCC_CHECK = np.frombuffer(ALPHABET.encode(), dtype=np.uint8)
_USCC_ALLOWED = np.zeros(256, dtype=bool)
_USCC_ALLOWED[_USCC_CHECK] = True
_USCC_WEIGHTS = np.array(_WEIGHTS, dtype=np.int64)


def uscc_check_bytes(bodies: np.ndarray) -> np.ndarray:
    """The check characters (ASCII bytes) of many 17-character bodies (n x >=17 ASCII bytes
    of the code alphabet): :func:`policymatch.registry.uscc.check_char`, vectorized (the
    generator's; a read checks codes with :func:`_valid_codes`)."""
    total = np.zeros(len(bodies), dtype=np.int32)
    for position, weight in enumerate(_WEIGHTS):  # column by column: no n x 17 temporaries
        byte = np.ascontiguousarray(bodies[:, position])  # (lookups run faster unstrided)
        total += _USCC_VALUE[byte] * np.int32(weight)
    checks: np.ndarray = _USCC_CHECK[(31 - total % 31) % 31]
    return checks


@dataclass
class TypedColumn:
    """One field's column for a chunk, and what went wrong where."""

    values: pd.Series  # in the frame dtype of the field; a cell with a problem is null
    problem: np.ndarray  # int32 per cell: -1, or an index into ``messages``
    messages: list[str]  # "field label: what is wrong"
    blank: np.ndarray  # bool per cell: the source cell was empty
    text: Any = None  # the stripped cells as Arrow text, for a text source

    def add(self, positions: np.ndarray, message: str) -> None:
        self.problem[positions] = len(self.messages)
        self.messages.append(message)


def is_text(raw: pd.Series) -> bool:
    return isinstance(raw.dtype, pd.StringDtype)


#: First and last UTF-8 bytes of the white-space characters: a cell that strips to something
#: else starts or ends with one of them.
_EDGE_FIRST = np.zeros(256, dtype=bool)
_EDGE_FIRST[[ch.encode()[0] for ch in WHITESPACE]] = True
_EDGE_LAST = np.zeros(256, dtype=bool)
_EDGE_LAST[[ch.encode()[-1] for ch in WHITESPACE]] = True


def _layout(text: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The UTF-8 bytes of Arrow text (one array, string or binary of either width) and where
    each cell starts and ends in them: always read-only uint8 bytes and int64 positions, so that
    a compiled loop has one signature whatever the source (numba compiles one per array type)."""
    data, start, end = layout(text)
    if start.dtype != np.int64:  # (a copy of the positions only: Arrow's cast copies the bytes)
        start, end = start.astype(np.int64), end.astype(np.int64)
    if not len(data):  # one byte, so that edge lookups need no special case
        data = np.zeros(1, dtype=np.uint8)
    for array in (data, start, end):
        array.flags.writeable = False
    return data, start, end


def _edges(
    data: np.ndarray, start: np.ndarray, end: np.ndarray, first: np.ndarray, last: np.ndarray
) -> np.ndarray:
    """Cells whose first byte is in ``first`` or last in ``last`` (white space at an edge)."""
    out = np.zeros(len(start), dtype=np.bool_)
    for i in range(len(start)):
        if end[i] > start[i]:
            out[i] = first[data[start[i]]] or last[data[end[i] - 1]]
    return out


def _stripped(raw: pd.Series) -> tuple[Any, np.ndarray]:
    """The cells stripped as ``str.strip`` does, and which are blank (null or empty once
    stripped). A column none of whose cells has white space at an edge (most) is kept as it is
    and its blanks read from the cells' lengths."""
    text = single_array(pa.array(raw.array))
    data, start, end = _layout(text)
    edge = _compiled(_edges)(data, start, end, _EDGE_FIRST, _EDGE_LAST) if len(text) else None
    if edge is None or not edge.any():
        blank: np.ndarray = end == start
        if text.null_count:
            blank |= _numpy(text.is_null())
        return text, blank
    # The whole column at once: putting the trimmed cells back (replace_with_mask) rebuilds it
    # anyway, at twice the cost of trimming every cell.
    text = pc.utf8_trim(text, characters=WHITESPACE)
    blank = _numpy(pc.or_kleene(pc.is_null(text), pc.equal(text, "")).fill_null(True))
    return text, blank


def _numpy(array: Any) -> np.ndarray:
    out: np.ndarray = array.to_numpy(zero_copy_only=False)
    return out


def _objects(text: Any) -> np.ndarray:
    """Arrow text as an object array of str. A column of few distinct values (regions,
    industries, banks) converts each value once and shares the str objects."""
    if len(text) > 4096 and pc.count_distinct(text.slice(0, 2048)).as_py() < 256:
        encoded = pc.dictionary_encode(single_array(text))
        shared: np.ndarray = _numpy(encoded.dictionary).astype(object)[_numpy(encoded.indices)]
        return shared
    objects: np.ndarray = _numpy(text).astype(object)
    return objects


def blank_mask(raw: pd.Series) -> np.ndarray:
    """Empty cells, exactly as :func:`policymatch.values.is_blank` says."""
    raw = as_cells(raw)
    if is_text(raw):
        return _stripped(raw)[1]
    missing: np.ndarray = raw.isna().to_numpy(dtype=bool, copy=True)
    if raw.dtype == object:  # is_blank's other case: a text cell of white space only
        missing |= np.fromiter(
            (type(v) is str and not v.strip() for v in raw.to_numpy()), dtype=bool, count=len(raw)
        )
    return missing


def labelled(field: Field, message: str) -> str:
    """A problem as reported: prefixed with the field's label unless it names it already."""
    return message if message.startswith(field.display) else f"{field.display}: {message}"


def source_keys(raw: pd.Series) -> np.ndarray:
    """The key column as written (stripped), or None: what duplicate detection groups by and
    what a rejected row shows. A number cell shows as its code where it is one."""
    raw = as_cells(raw)
    if is_text(raw):
        stripped, blank = _stripped(raw)
        out = _numpy(stripped).astype(object)
        out[blank] = None
        return out
    keys = np.full(len(raw), None, dtype=object)
    for i, value in enumerate(raw.to_numpy(dtype=object)):
        if is_blank(value):
            continue
        try:
            keys[i] = parse_code(value) or None
        except _ERRORS:  # shown as a spreadsheet user types it: digits, not 9.13611E+17
            whole = isinstance(value, float) and value.is_integer()
            keys[i] = f"{value:.0f}" if whole else str(value).strip() or None
    return keys


def hash_keys(keys: np.ndarray) -> np.ndarray:
    """The hash of each non-null key (:func:`text_hashes` of its UTF-8 bytes), the same as
    :class:`Keys` gives a key read as Arrow text. Two keys that share a hash are only held back
    together and then told apart by their text, so a collision costs time, never a wrong
    result."""
    # surrogatepass: a str that is no valid Unicode still hashes (Arrow text never holds one).
    present = [k.encode("utf-8", "surrogatepass") for k in keys if k is not None]
    return text_hashes(pa.array(present, pa.large_binary()))


def _hash_cells(data: np.ndarray, start: np.ndarray, end: np.ndarray, out: np.ndarray) -> None:
    for i in range(len(start)):
        h = np.uint64(14695981039346656037)  # FNV-1a over the bytes ...
        for j in range(start[i], end[i]):
            h = (h ^ np.uint64(data[j])) * np.uint64(1099511628211)
        h ^= h >> np.uint64(33)  # ... and a final mix (MurmurHash3's), so every bit counts
        h *= np.uint64(0xFF51AFD7ED558CCD)
        h ^= h >> np.uint64(33)
        out[i] = h


@cache
def _compiled(loop: Any) -> Any:
    # Compiled on first use: reading a registry must not import numba before it needs a loop.
    # Every loop is compiled ahead by warm.py (:func:`warm_loops`): a first read compiles none.
    from ..backends.vectorized.compiled import compiled

    return compiled(loop)


def text_hashes(text: Any) -> np.ndarray:
    """A 64-bit hash (uint64) of each cell's UTF-8 bytes, computed over Arrow's buffers in place:
    the same in every process, and no Python string per cell. Null cells get a meaningless hash."""
    data, start, end = _layout(single_array(text))
    out = np.empty(len(start), dtype=np.uint64)
    if len(out):
        _compiled(_hash_cells)(data, start, end, out)
    return out


@dataclass(frozen=True)
class Keys:
    """The key of each row of a chunk: its hash (:func:`text_hashes`), and its text as a Python
    string only for the rows that ask (rejected and held back rows), few in a clean registry."""

    hashes: np.ndarray  # uint64; meaningless where there is no key
    present: np.ndarray  # bool: the row has a key
    shown: Any  # the keys as written: an object array or Arrow text

    def __len__(self) -> int:
        return len(self.present)

    def __getitem__(self, position: int) -> str | None:
        if not self.present[position]:
            return None
        key: str = (
            self.shown[position]
            if isinstance(self.shown, np.ndarray)
            else self.shown[position].as_py()
        )
        return key

    @classmethod
    def of(cls, keys: np.ndarray) -> Keys:
        """Keys given as an object array of str, or None."""
        present = np.fromiter((k is not None for k in keys), bool, len(keys))
        hashes = np.zeros(len(keys), dtype=np.uint64)
        hashes[present] = hash_keys(keys)
        return cls(hashes, present, keys)


def key_column(raw: pd.Series) -> Keys:
    """:func:`source_keys` as :class:`Keys`: text is hashed and stripped as Arrow text."""
    raw = as_cells(raw)
    if not len(raw) or not is_text(raw):
        return Keys.of(source_keys(raw))
    stripped, blank = _stripped(raw)
    return Keys(text_hashes(stripped), ~blank, stripped)


def typed_keys(column: TypedColumn, arrow_text: bool) -> Keys:
    """The keys of a key column typed from text (``column.text``), taken before any check masks
    its values: a code typed from text is its stripped text, None where blank."""
    values = column.values
    shown = (
        pa.array(values.array)
        if arrow_text
        else values.to_numpy(dtype=object, na_value=None, copy=True)
    )
    return Keys(text_hashes(column.text), values.notna().to_numpy(dtype=bool), shown)


class _Cells:
    """The frame cells of one column under construction (a value array and a null mask).

    With ``arrow`` a text column is built as Arrow strings (pandas' ``str`` dtype): the cells
    typed by the fast path are taken from the source's stripped text (:meth:`share`), never
    turned into Python strings; only the few that ``parse_value`` typed are."""

    def __init__(self, field: Field, n: int, arrow: bool = False) -> None:
        self.field = field
        kind = field.type
        self.null = np.ones(n, dtype=bool)
        self.arrow = arrow and kind in _TEXT_TYPES
        self.text: Any = None  # Arrow text whose cells at ``shared`` are the column's
        self.shared = np.zeros(n, dtype=bool)
        if kind in _TEXT_TYPES:
            self.data: np.ndarray = np.full(n, None, dtype=object)
        elif kind is FieldType.DATE:
            self.data = np.full(n, np.datetime64("NaT"), dtype="datetime64[ns]")
        elif kind is FieldType.BOOLEAN:
            self.data = np.zeros(n, dtype=bool)
        else:  # integer, money, rate, tags
            self.data = np.zeros(n, dtype=np.int64)

    def put(self, positions: np.ndarray, values: np.ndarray) -> None:
        self.data[positions] = values
        self.null[positions] = False

    def share(self, done: np.ndarray, text: Any) -> None:
        """The cells ``done`` are the cells of ``text`` (the column's stripped Arrow text)."""
        if not self.arrow:
            self.put(np.flatnonzero(done), _objects(text.filter(pa.array(done))))
            return
        self.text = text
        self.shared = done
        self.null[done] = False

    def series(self) -> pd.Series:
        kind = self.field.type
        if self.arrow:
            return arrow_text_series(self._arrow_text())
        # The arrays are this column's alone: pandas (copy on write) would copy each again.
        if kind is FieldType.TAGS:
            return pd.Series(self.data, copy=False)
        if kind in _TEXT_TYPES or kind is FieldType.DATE:
            return pd.Series(self.data, dtype=DTYPES[kind], copy=False)
        if kind is FieldType.BOOLEAN:
            return pd.Series(pd.arrays.BooleanArray(self.data, self.null), copy=False)
        return pd.Series(pd.arrays.IntegerArray(self.data, self.null), copy=False)

    def _arrow_text(self) -> Any:
        put = ~self.null & ~self.shared  # typed by parse_value: Python values already
        if self.text is None:
            return pa.array(self.data, pa.large_string(), from_pandas=True)
        text = single_array(self.text)
        # A null of the text is never shared nor put (it is blank): when the nulls are all the
        # other cells, as in a Parquet column, the text has them already.
        if text.null_count != len(text) - int(np.count_nonzero(self.shared | put)):
            text = pc.if_else(pa.array(self.shared), text, pa.scalar(None, text.type))
        if put.any():
            values = pa.array(self.data[put], text.type)
            text = pc.replace_with_mask(text, pa.array(put), values)
        return text


def null_column(field: Field, n: int, arrow_text: bool = False) -> pd.Series:
    """An all-null column of ``field`` (tags: empty sets), built without a Python loop."""
    return _Cells(field, n, arrow_text).series()


# --- vectorized paths -------------------------------------------------------------------------

#: The shapes :func:`_typed_cells` reads, by field type.
_SHAPES = {FieldType.INTEGER: 0, FieldType.MONEY: 1, FieldType.RATE: 2, FieldType.DATE: 3}
_NS_A_DAY = 86_400 * 10**9
#: The first instant of the years the frame holds, and the first after them, in nanoseconds.
_FIRST_NS, _AFTER_NS = (
    int(np.datetime64(f"{year}-01-01", "ns").view(np.int64)) for year in (_YEARS[0], _YEARS[1] + 1)
)


def _typed_cells(
    data: np.ndarray,
    start: np.ndarray,
    end: np.ndarray,
    todo: np.ndarray,
    shape: int,
    values: np.ndarray,
    done: np.ndarray,
) -> None:
    r"""Type in one pass over the bytes the cells in ``todo`` that have a common shape, exactly,
    as the frame holds them (``values``: int64, nanoseconds for a date), marking them ``done``:

    * integer: ``[0-9]{1,15}``;
    * money: ``(?:[0-9]{1,13}|[0-9]{1,3}(?:,[0-9]{3}){1,3})(?:\.[0-9]{1,2})?``, in fen;
    * rate: ``0(?:\.[0-9]{1,6})?|1(?:\.0{1,6})?`` or
      ``(?:[0-9]{1,2}(?:\.[0-9]{1,4})?|100(?:\.0{1,4})?)%``, in millionths;
    * date: ``YYYY-MM-DD``, a day that exists, in the years the frame holds.

    Other cells are left to ``parse_value`` (its value or its message), so a shape only has to be
    one parse_value reads as this value, never every such one."""
    for i in range(len(start)):
        if not todo[i]:
            continue
        s, e = start[i], end[i]
        if shape == 3:
            if e - s != 10 or data[s + 4] != 45 or data[s + 7] != 45:  # "-"
                continue
            number = 0
            for j in (0, 1, 2, 3, 5, 6, 8, 9):
                digit = int(data[s + j]) - 48
                if digit < 0 or digit > 9:
                    number = -1
                    break
                number = number * 10 + digit
            if number < 0:
                continue
            year, month, day = number // 10000, number // 100 % 100, number % 100
            if year < _YEARS[0] or year > _YEARS[1] or month < 1 or month > 12 or day < 1:
                continue
            leap = year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)
            most = (29 if leap else 28) if month == 2 else 30 + (month + month // 8) % 2
            if day > most:
                continue
            # Days since 1970-01-01 (H. Hinnant's days_from_civil; years here are positive).
            y = year - 1 if month <= 2 else year
            doy = (153 * (month - 3 if month > 2 else month + 9) + 2) // 5 + day - 1
            yoe = y % 400
            days = y // 400 * 146097 + yoe * 365 + yoe // 4 - yoe // 100 + doy - 719468
            values[i] = days * _NS_A_DAY
            done[i] = True
            continue
        # A number: digits (with "," between groups of three, for money), "." and digits, "%".
        j = s
        whole = digits = group = commas = 0
        ok = True
        while j < e:
            c = int(data[j])
            if 48 <= c <= 57:
                if digits == 15:
                    ok = False
                    break
                whole = whole * 10 + c - 48
                digits += 1
                group += 1
            elif (
                c == 44
                and shape == 1
                and commas < 3
                and 1 <= group <= 3
                and (commas == 0 or group == 3)
            ):
                commas += 1
                group = 0
            else:
                break
            j += 1
        if not ok or digits == 0 or (commas > 0 and group != 3):
            continue
        fraction = places = 0
        if j < e and data[j] == 46:  # "."
            j += 1
            while j < e and 48 <= data[j] <= 57 and places < 7:
                fraction = fraction * 10 + int(data[j]) - 48
                places += 1
                j += 1
            if places == 0:
                continue
        percent = j + 1 == e and data[j] == 37  # "%"
        if j + percent != e:
            continue
        if shape == 0:
            if places > 0 or percent:
                continue
            values[i] = whole
        elif shape == 1:
            if percent or places > 2 or (commas == 0 and digits > 13):
                continue
            values[i] = whole * 100 + fraction * 10 ** (2 - places)
        elif percent:
            if places > 4 or digits > 3 or (digits == 3 and (whole != 100 or fraction != 0)):
                continue
            values[i] = whole * 10_000 + fraction * 10 ** (4 - places)
        else:
            if places > 6 or digits > 1 or whole > 1 or (whole == 1 and fraction != 0):
                continue
            values[i] = whole * 1_000_000 + fraction * 10 ** (6 - places)
        done[i] = True


def _text_fast(field: Field, text: Any, todo: np.ndarray, cells: _Cells) -> np.ndarray:
    """Type the cells of a text column that have a common shape; which cells were done."""
    kind = field.type
    done = np.zeros(len(todo), dtype=bool)
    if kind in (FieldType.CODE, FieldType.STRING):
        done = todo.copy()
        cells.share(done, text)
    elif kind in _SHAPES:
        if todo.any():
            values = cells.data.view(np.int64)  # (a date column's nanoseconds)
            _compiled(_typed_cells)(*_layout(text), todo, _SHAPES[kind], values, done)
            cells.null[done] = False
    elif kind is FieldType.ENUM:
        done = todo & _numpy(pc.is_in(text, value_set=pa.array(field.values, pa.string())))
        cells.share(done, text)
    elif kind is FieldType.BOOLEAN:
        words = pa.array(list(_BOOLEAN_TEXTS), pa.string())
        picked = pc.index_in(text, value_set=words)  # (null where no word: one lookup a cell)
        done = todo & _numpy(picked.is_valid())
        truth = np.array(list(_BOOLEAN_TEXTS.values()), dtype=bool)
        cells.put(np.flatnonzero(done), truth[_numpy(picked.fill_null(0))[done]])
    return done


def decimals(raw: pd.Series) -> Any:
    """The Arrow decimals of a decimal column (Parquet, SQL NUMERIC), or None."""
    kind = raw.dtype
    if not (isinstance(kind, pd.ArrowDtype) and pa.types.is_decimal(kind.pyarrow_dtype)):
        return None
    numbers = pa.array(raw.array)
    return single_array(numbers)


def decimal_text(numbers: Any) -> pd.Series:
    """Decimals as their exact text (``12.50``), which the text rules type."""
    return pd.Series(pc.cast(numbers, pa.string()).to_pandas(), dtype="str")


def as_cells(raw: pd.Series) -> pd.Series:
    """``raw`` as cells a Python rule reads: a decimal column as its text."""
    numbers = decimals(raw)
    return raw if numbers is None else decimal_text(numbers)


def _decimal_fast(field: Field, numbers: Any, todo: np.ndarray, cells: _Cells) -> np.ndarray:
    """Type the non-negative decimal128 cells of a number field whose scale is no finer than
    the field's, from their unscaled integers (the value as written, so the same as typing its
    text); the rest go by their text."""
    kind = field.type
    done = np.zeros(len(todo), dtype=bool)
    digits = {FieldType.INTEGER: 0, FieldType.MONEY: 2, FieldType.RATE: 6}.get(kind)
    scale = numbers.type.scale
    if digits is None or numbers.type.byte_width != 16 or not 0 <= scale <= digits:
        return done
    data = numbers.buffers()[1]
    words = np.frombuffer(data, dtype=np.int64)[
        2 * numbers.offset : 2 * (numbers.offset + len(numbers))
    ]
    factor = 10 ** (digits - scale)
    most = 10**6 // factor if kind is FieldType.RATE else _INT_LIMIT // factor
    if todo.any():
        _compiled(_decimal_cells)(words, todo, factor, most, cells.data, done)
        cells.null[done] = False
    return done


def _decimal_cells(
    words: np.ndarray,
    todo: np.ndarray,
    factor: int,
    most: int,
    values: np.ndarray,
    done: np.ndarray,
) -> None:
    """The cells in ``todo`` of decimal128 ``words`` (little-endian 128-bit two's complement,
    two int64 a cell) that are 0 to ``most``, times ``factor``."""
    for i in range(len(todo)):
        if todo[i] and words[2 * i + 1] == 0 and 0 <= words[2 * i] <= most:
            values[i] = words[2 * i] * factor
            done[i] = True


def _typed_fast(field: Field, raw: pd.Series, todo: np.ndarray, cells: _Cells) -> np.ndarray:
    """Type the cells of an integer, float or boolean column where that is exact."""
    kind = field.type
    done = np.zeros(len(raw), dtype=bool)
    if isinstance(raw.dtype, pd.Int64Dtype) and kind in SCALE:
        ints = raw.to_numpy(dtype=np.int64, na_value=0)
        scale = SCALE[kind]
        if kind is FieldType.RATE:
            done = todo & ((ints == 0) | (ints == 1))
        else:  # negative counts and amounts go through parse_value, which has the rules
            done = todo & (ints >= 0) & (ints <= _INT_LIMIT // scale)
        cells.put(np.flatnonzero(done), ints[done] * scale)
    elif raw.dtype == np.float64 and kind in SCALE:
        floats = raw.to_numpy()
        with np.errstate(invalid="ignore", over="ignore"):
            if kind is FieldType.INTEGER:
                ok = (floats >= 0) & (floats < 2.0**53) & (np.floor(floats) == floats)
                scaled = floats
            elif kind is FieldType.MONEY:
                # Below 1e13 yuan, a float equal to k/100 prints as k/100, which is exactly
                # parse_money's Decimal(repr(f)).
                scaled = np.rint(floats * 100)
                ok = (floats >= 0) & (floats < 1e13) & (scaled / 100 == floats)
            else:
                scaled = np.rint(floats * 1e6)
                ok = (floats >= 0) & (floats <= 1) & (scaled / 1e6 == floats)
        done = todo & ok
        cells.put(np.flatnonzero(done), scaled[done].astype(np.int64))
    elif raw.dtype == "datetime64[ns]" and kind is FieldType.DATE:
        # parse_date keeps the day of a timestamp; years the frame cannot hold are reported there.
        stamps = raw.to_numpy().view(np.int64)
        done = todo & (stamps >= _FIRST_NS) & (stamps < _AFTER_NS)
        picked = stamps[done]
        cells.put(np.flatnonzero(done), (picked - picked % _NS_A_DAY).view("datetime64[ns]"))
    elif isinstance(raw.dtype, pd.BooleanDtype) and kind is FieldType.BOOLEAN:
        done = todo.copy()
        cells.put(np.flatnonzero(done), raw.to_numpy(dtype=bool, na_value=False)[done])
    return done


# --- one distinct value at a time -------------------------------------------------------------


def _cell(field: Field, raw: object) -> Any:
    """``parse_value`` then ``to_cell``, within the limits of the frame's dtypes."""
    value = parse_value(field, raw)
    if value is None:
        return None
    if isinstance(value, dt.date) and not _YEARS[0] <= value.year <= _YEARS[1]:
        raise ValueError(f"'{raw}' 不在 {_YEARS[0]} 到 {_YEARS[1]} 年之间")
    cell = to_cell(field, value)
    if field.type in SCALE and abs(cell) > _INT_LIMIT:
        raise ValueError(f"'{raw}' 太大")
    if field.type is FieldType.DATE:
        return np.datetime64(cell.to_datetime64(), "ns")
    return cell


def _distinct(raw: pd.Series, text: Any, positions: np.ndarray) -> tuple[np.ndarray, list[object]]:
    """Codes and distinct values of the cells at ``positions``. Cells of different Python
    types stay apart (1, 1.0 and True are equal in Python but not as registry cells)."""
    if text is not None:
        picked = single_array(pa.array(raw.array).take(pa.array(positions)))
        encoded = pc.dictionary_encode(picked)
        return _numpy(encoded.indices).astype(np.int64), encoded.dictionary.to_pylist()
    subset = raw.iloc[positions]
    if raw.dtype != object:
        codes, uniques = pd.factorize(subset)
        return codes, list(uniques)
    index: dict[tuple[type, object], int] = {}
    values: list[object] = []
    codes = np.empty(len(subset), dtype=np.int64)
    for i, value in enumerate(subset):
        try:
            key: tuple[type, object] = (type(value), value)
            hash(key)
        except TypeError:
            key = (type(value), repr(value))
        code = index.get(key)
        if code is None:
            code = index[key] = len(values)
            values.append(value)
        codes[i] = code
    return codes, values


def _slow(
    field: Field, raw: pd.Series, todo: np.ndarray, cells: _Cells, column: TypedColumn
) -> None:
    positions = np.flatnonzero(todo)
    codes, uniques = _distinct(raw, column.text, positions)
    good: list[int] = []
    good_cells: list[Any] = []
    for u, value in enumerate(uniques):
        try:
            cell = _cell(field, value)
        except _ERRORS as exc:
            column.add(positions[codes == u], labelled(field, str(exc)))
            continue
        if cell is not None:
            good.append(u)
            good_cells.append(cell)
    if not good:
        return
    slot = np.full(len(uniques), -1, dtype=np.int64)
    slot[good] = np.arange(len(good))
    where = slot[codes]
    keep = where >= 0
    table = np.empty(len(good_cells), dtype=cells.data.dtype)
    table[:] = good_cells
    cells.put(positions[keep], table[where[keep]])


def type_column(field: Field, raw: pd.Series, arrow_text: bool = False) -> TypedColumn:
    """Type ``raw`` (one source column of a chunk) as ``field``; with ``arrow_text`` a code,
    string or enum field as Arrow strings (see :mod:`.frame`)."""
    n = len(raw)
    if not raw.index.equals(pd.RangeIndex(n)):  # (a reader's columns are: no copy then)
        raw = raw.reset_index(drop=True)
    cells = _Cells(field, n, arrow_text)
    problem = np.full(n, -1, dtype=np.int32)
    done = np.zeros(n, dtype=bool)
    numbers = decimals(raw)
    if numbers is not None:
        blank = _numpy(pc.is_null(numbers))
        done = _decimal_fast(field, numbers, ~blank, cells)
        if not (~blank & ~done).any():
            return TypedColumn(cells.series(), problem, [], blank)
        raw = decimal_text(numbers)  # the other cells are typed by their text, as written
    if is_text(raw):
        text, blank = _stripped(raw)
        column = TypedColumn(pd.Series(dtype=object), problem, [], blank, text)
        done |= _text_fast(field, text, ~blank & ~done, cells)
    else:
        blank = blank_mask(raw)
        column = TypedColumn(pd.Series(dtype=object), problem, [], blank)
        done = _typed_fast(field, raw, ~blank, cells)
    todo = ~blank & ~done
    if todo.any():
        _slow(field, raw, todo, cells, column)
    column.values = cells.series()
    return column


def compiled_loops() -> list[Any]:
    """The compiled loops of this module (numba dispatchers)."""
    return [
        _compiled(loop)
        for loop in (_edges, _hash_cells, _typed_cells, _decimal_cells, _valid_codes)
    ]


def warm_loops() -> None:
    """Run every compiled loop of this module once, on the argument types a registry read gives
    them (:mod:`policymatch.backends.vectorized.warm` calls it: a first read compiles none)."""
    from ..schema import STANDARD_SCHEMA

    key, amount = STANDARD_SCHEMA["uscc"], STANDARD_SCHEMA["revenue"]
    code = pd.Series([" 91361126MA35X0000X"], dtype="str")  # (white space to strip)
    column = type_column(key, code)
    check_uscc(key, column)
    text_hashes(column.text)
    type_column(amount, code)
    numbers = pa.array([1], pa.decimal128(15, 2))
    type_column(amount, pd.Series(pd.arrays.ArrowExtensionArray(numbers)))


#: A code or text value of the registry with a line break (see :func:`check_single_line`).
MULTI_LINE = "值中有换行（登记表的字段都不跨行；是否有引号未闭合？）"


def check_single_line(field: Field, column: TypedColumn) -> None:
    """Add a problem for each code or text value with a line break: no registry field spans
    lines, so one is a quote left open in a CSV file (:mod:`.runaway`) or a paste gone wrong,
    never a name or an account. (A registry rule, not a value rule: events and policy examples
    are not files that quotes run away in.)"""
    if field.type not in (FieldType.CODE, FieldType.STRING) or not len(column.values):
        return
    if column.text is not None:  # the same cells as Arrow text: no Python strings
        if not may_break(column.text):
            return
        breaks = _numpy(pc.match_substring_regex(column.text, BREAK_PATTERN).fill_null(False))
    else:
        breaks = column.values.str.contains(BREAK_PATTERN, regex=True, na=False).to_numpy(bool)
    found = breaks & (column.problem < 0)
    if found.any():
        column.add(np.flatnonzero(found), labelled(field, MULTI_LINE))
        column.values = column.values.mask(found, None)


def _valid_codes(
    data: np.ndarray,
    start: np.ndarray,
    end: np.ndarray,
    present: np.ndarray,
    value: np.ndarray,
    allowed: np.ndarray,
    check: np.ndarray,
    weights: np.ndarray,
) -> np.ndarray:
    """Cells ``present`` that are valid codes: :func:`.uscc.uscc_problem` is None, read in the
    bytes (18 of the code's ASCII alphabet, the last the check character of the others)."""
    out = np.zeros(len(start), dtype=np.bool_)
    for i in range(len(start)):
        s = start[i]
        if not present[i] or end[i] - s != 18:
            continue
        total = 0
        for k in range(17):
            byte = data[s + k]
            if not allowed[byte]:
                total = -1
                break
            total += value[byte] * weights[k]
        out[i] = total >= 0 and data[s + 17] == check[(31 - total % 31) % 31]
    return out


def check_uscc(field: Field, column: TypedColumn) -> None:
    """Add the key problems: missing, or not a valid unified social credit code."""
    if column.blank.any():
        column.add(np.flatnonzero(column.blank), f"{field.display}缺失")
    codes: Any = column.values.array  # a cell as Python text only where a message shows it
    present = (column.problem < 0) & ~column.blank
    text = column.text  # the same cells as Arrow text, read in place
    if text is None:  # (a code typed from a number or a date: never a valid one, but shown)
        ascii_codes = [c if isinstance(c, str) and c.isascii() else None for c in codes]
        text = pa.array(ascii_codes, pa.large_string())
    valid = np.zeros(len(codes), dtype=bool)
    if present.any():
        valid = _compiled(_valid_codes)(
            *_layout(single_array(text)),
            present,
            _USCC_VALUE,
            _USCC_ALLOWED,
            _USCC_CHECK,
            _USCC_WEIGHTS,
        )
    for i in np.flatnonzero(present & ~valid):
        problem = uscc_problem(codes[i])
        if problem is not None:  # the vectorized check agrees with uscc.py; this is its message
            column.add(np.array([i]), labelled(field, problem))
    bad = column.problem >= 0
    if bad.any():
        column.values = column.values.mask(bad, None)
