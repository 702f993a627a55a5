"""The typed registry frame: the one in-memory form every reader produces and every backend reads.

One pandas column per input field of the schema, in schema order, always all present (a field
the source lacks is all null). Column dtypes by field type:

==================  =====================================================================
code, string, enum  ``object``: ``str`` or ``None``
integer             ``Int64``
money               ``Int64`` in fen (0.01 CNY): exact, and fast to compare and add
rate                ``Int64`` in millionths (3.2% is 32000)
date                ``datetime64[ns]`` (``NaT`` is null)
boolean             ``boolean``
tags                ``int64`` bit set: bit *i* is the field's *i*-th value; never null
==================  =====================================================================

A reader asked for ``arrow_text`` (:func:`policymatch.registry.load.iter_registry`, which the
streaming round uses) gives code, string and enum columns as :data:`ARROW_TEXT` instead: pandas'
``str`` dtype, Arrow strings with NaN for null, so that no Python string is made for a cell
nobody reads as Python. Every backend reads both forms.

:func:`to_record` turns a row back into the Python values of :mod:`policymatch.values` (a null
text cell of either form is None).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Mapping
from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ..arrowtext import single_array
from ..schema import SCALE, Field, FieldType, Schema
from ..values import Value

DTYPES: dict[FieldType, str] = {
    FieldType.CODE: "object",
    FieldType.STRING: "object",
    FieldType.ENUM: "object",
    FieldType.INTEGER: "Int64",
    FieldType.MONEY: "Int64",
    FieldType.RATE: "Int64",
    FieldType.DATE: "datetime64[ns]",
    FieldType.BOOLEAN: "boolean",
    FieldType.TAGS: "int64",
}


#: pandas' default string dtype (Arrow strings, null NaN, what ``astype("str")`` gives): the
#: code, string and enum columns of a frame read with ``arrow_text``.
ARROW_TEXT = pd.StringDtype("pyarrow", na_value=np.nan)


def arrow_text_series(text: Any, index: pd.Index | None = None) -> pd.Series:
    """Arrow text (one array) as a ``str`` Series; large_string cells are not copied."""
    return pd.Series(pd.arrays.ArrowStringArray(text, dtype=ARROW_TEXT), index=index)


def replaced(column: pd.Series, positions: np.ndarray, values: np.ndarray) -> Any:
    """The Arrow text of a ``str`` column with the cells at ``positions`` set to ``values``
    (str or None), no other cell made a Python string."""
    text = single_array(pa.array(column.array))
    mask = np.zeros(len(text), dtype=bool)
    mask[positions] = True
    return pc.replace_with_mask(text, pa.array(mask), pa.array(values, text.type))


def tag_bits(field: Field, tags: Iterable[str]) -> int:
    """The bit set of ``tags`` for a tags field."""
    bits = 0
    for tag in tags:
        bits |= 1 << field.values.index(tag)
    return bits


def tags_of(field: Field, bits: int) -> frozenset[str]:
    return frozenset(v for i, v in enumerate(field.values) if bits >> i & 1)


def to_cell(field: Field, value: Value) -> Any:
    """A Python value (as parsed by :mod:`policymatch.values`) in its frame representation."""
    if field.type is FieldType.TAGS:
        return tag_bits(field, value or frozenset())  # type: ignore[arg-type]
    if value is None:
        return None
    if field.type in SCALE:
        scaled = Decimal(value) * SCALE[field.type]  # type: ignore[arg-type]
        if scaled != scaled.to_integral_value():
            raise ValueError(f"{field.display}: {value} is finer than the field's precision")
        return int(scaled)
    if field.type is FieldType.DATE:
        return pd.Timestamp(value)
    return value


def from_cell(field: Field, cell: Any) -> Value:
    """The Python value of one frame cell (inverse of :func:`to_cell`)."""
    if field.type is FieldType.TAGS:
        return tags_of(field, int(cell))
    if (
        cell is None
        or cell is pd.NA
        or cell is pd.NaT
        or (isinstance(cell, float) and cell != cell)
    ):
        return None
    if field.type is FieldType.INTEGER:
        return int(cell)
    if field.type in SCALE:
        return Decimal(int(cell)) / SCALE[field.type]
    if field.type is FieldType.DATE:
        return dt.date(cell.year, cell.month, cell.day)
    if field.type is FieldType.BOOLEAN:
        return bool(cell)
    return str(cell)


def empty_column(field: Field, n: int, arrow_text: bool = False) -> pd.Series:
    if field.type is FieldType.TAGS:
        return pd.Series(np.zeros(n, dtype=np.int64))
    if field.type is FieldType.DATE:
        return pd.Series(pd.NaT, index=range(n), dtype=DTYPES[field.type])
    text = arrow_text and field.type.is_text
    return pd.Series([None] * n, dtype=ARROW_TEXT if text else DTYPES[field.type])


def column(field: Field, cells: list[Any]) -> pd.Series:
    """A frame column from cells already in frame representation (see :func:`to_cell`)."""
    if field.type is FieldType.TAGS:
        return pd.Series(np.asarray(cells, dtype=np.int64))
    if field.type is FieldType.DATE:
        return pd.Series(pd.to_datetime(pd.Series(cells, dtype=object)), dtype=DTYPES[field.type])
    if field.type in (FieldType.CODE, FieldType.STRING, FieldType.ENUM):
        return pd.Series(cells, dtype=object)
    return pd.Series(pd.array(cells, dtype=DTYPES[field.type]))


def frame_from_records(records: Iterable[Mapping[str, Value]], schema: Schema) -> pd.DataFrame:
    """A typed frame from records of Python values keyed by field name (absent keys are null).

    Values must already be typed (see :func:`policymatch.values.parse_value`); the registry
    readers and the test generators both end here, so every frame has the same shape.
    """
    rows = list(records)
    data: dict[str, pd.Series] = {}
    for field in schema.input_fields:
        cells = [to_cell(field, row.get(field.name)) for row in rows]
        data[field.name] = column(field, cells)
    frame = pd.DataFrame(data, index=pd.RangeIndex(len(rows)))
    return frame


def empty_frame(schema: Schema, arrow_text: bool = False) -> pd.DataFrame:
    return pd.DataFrame({f.name: empty_column(f, 0, arrow_text) for f in schema.input_fields})


def to_record(frame: pd.DataFrame, position: int, schema: Schema) -> dict[str, Value]:
    """Row ``position`` (0-based) of a typed frame as Python values."""
    return {
        f.name: from_cell(f, frame[f.name].iat[position])
        for f in schema.input_fields
        if f.name in frame.columns
    }


def iter_records(frame: pd.DataFrame, schema: Schema) -> Iterator[dict[str, Value]]:
    """Every row as Python values. Columns are converted to lists once: cell access through
    pandas costs microseconds per cell, which for a registry is minutes."""
    fields = [f for f in schema.input_fields if f.name in frame.columns]
    columns = [
        [from_cell(f, cell) for cell in frame[f.name].astype(object).tolist()] for f in fields
    ]
    names = [f.name for f in fields]
    for values in zip(*columns, strict=True):
        yield dict(zip(names, values, strict=True))


def conform(frame: pd.DataFrame, schema: Schema) -> pd.DataFrame:
    """Add all-null columns for fields the frame lacks and order columns as the schema does."""
    n = len(frame)
    out = {
        f.name: frame[f.name].reset_index(drop=True)
        if f.name in frame.columns
        else empty_column(f, n)
        for f in schema.input_fields
    }
    return pd.DataFrame(out, index=pd.RangeIndex(n))
