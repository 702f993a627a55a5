"""Writing a typed frame back out as a registry: CSV, Excel, Parquet or a SQL table.

What the readers get back is the same typed frame (the round trip is tested). The files look
like the ones counties export:

* CSV: UTF-8 with a BOM by default (so Excel shows the Chinese), Chinese label headers, money
  as plain decimals with two places (``1234.50``), rates as decimals (``0.032``), dates as
  ``2023-01-05``, booleans as 是/否, tags joined by ``、``; an empty cell is null. Any Python
  codec may be asked for (``gb18030`` gives the "ANSI" export of a Chinese Windows).
* Excel: the same headers and text, but money, rates and counts as number cells and dates as
  date cells; codes always as text cells (so leading zeros survive).
* Parquet: field names as column names (labels on request); money and rates as exact decimals,
  dates as dates, tags as text.
* SQL: the same columns and types as Parquet, in a new table.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from ..schema import Field, FieldType, Schema
from .frame import tags_of

Headers = Literal["label", "name"]

#: Rows an .xlsx worksheet holds below its header row.
XLSX_MAX_ROWS = 1_048_575
_TAG_JOIN = "、"


def _header(field: Field, headers: Headers) -> str:
    return field.display if headers == "label" else field.name


def _fixed(values: pd.Series, places: int, *, trim: bool) -> pd.Series:
    """Exact decimal text of integers scaled by 10**places (fen -> "12.50", millionths -> "0.032")."""
    ints = values.to_numpy(dtype=np.int64, na_value=0)
    scale = 10**places
    whole, part = np.divmod(np.abs(ints), scale)
    sign = np.where(ints < 0, "-", "")
    text = (
        pd.Series(sign, dtype="str")
        + pd.Series(whole, dtype="str")
        + "."
        + pd.Series(part, dtype="str").str.zfill(places)
    )
    if trim:
        text = text.str.rstrip("0").str.rstrip(".")
    return text.where(values.notna().to_numpy(), None)


def _tag_text(field: Field, bits: pd.Series) -> pd.Series:
    codes, uniques = pd.factorize(bits)
    names = [
        _TAG_JOIN.join(v for v in field.values if v in tags_of(field, int(u))) for u in uniques
    ]
    text = np.asarray(names, dtype=object)[codes]
    return pd.Series(text, dtype="str").where(bits.to_numpy() != 0, None)


def text_column(field: Field, values: pd.Series) -> pd.Series:
    """A typed column as the text a CSV export holds (None for an empty cell)."""
    kind = field.type
    values = values.reset_index(drop=True)
    if kind in (FieldType.CODE, FieldType.STRING, FieldType.ENUM):
        return pd.Series(values.to_numpy(dtype=object), dtype="str")
    if kind is FieldType.INTEGER:
        return pd.Series(values.astype("str").where(values.notna(), None), dtype="str")
    if kind is FieldType.MONEY:
        return _fixed(values, 2, trim=False)
    if kind is FieldType.RATE:
        return _fixed(values, 6, trim=True)
    if kind is FieldType.DATE:
        return pd.Series(values.dt.strftime("%Y-%m-%d"), dtype="str").where(values.notna(), None)
    if kind is FieldType.BOOLEAN:
        flags = values.to_numpy(dtype=object, na_value=None)
        return pd.Series([None if b is None else ("是" if b else "否") for b in flags], dtype="str")
    return _tag_text(field, values)


def _fields(frame: pd.DataFrame, schema: Schema) -> list[Field]:
    return [f for f in schema.input_fields if f.name in frame.columns]


def write_csv(
    frame: pd.DataFrame,
    path: str | os.PathLike[str],
    schema: Schema,
    *,
    encoding: str = "utf-8-sig",
    headers: Headers = "label",
) -> None:
    """Write ``frame`` as a CSV registry (see the module docstring)."""
    import pyarrow as pa
    import pyarrow.compute as pc
    from pyarrow import csv as pacsv

    fields = _fields(frame, schema)
    table = pa.table(
        {
            _header(f, headers): pa.array(text_column(f, frame[f.name]), type=pa.string())
            for f in fields
        }
    )
    # Arrow's "needed" quotes every text cell; office software quotes only the cells that hold
    # a comma, a quote or a line break, so the file is written that way when none does.
    structural = any(
        pc.any(pc.match_substring_regex(column, '[,"\r\n]')).as_py()
        for column in [*table.columns, pa.array(table.column_names)]
    )
    style = "needed" if structural else "none"
    options = pacsv.WriteOptions(include_header=True, quoting_style=style, quoting_header=style)
    target = Path(path)
    if encoding.replace("_", "-").lower() in ("utf-8", "utf8", "utf-8-sig"):
        with target.open("wb") as out:
            if encoding.lower().endswith("sig"):
                out.write("\ufeff".encode())
            pacsv.write_csv(table, out, write_options=options)
        return
    sink = pa.BufferOutputStream()
    pacsv.write_csv(table, sink, write_options=options)
    target.write_bytes(sink.getvalue().to_pybytes().decode("utf-8").encode(encoding))


def _xlsx_cells(field: Field, values: pd.Series) -> tuple[list[Any], str | None]:
    """Python values for the worksheet, and the number format of the column."""
    kind = field.type
    if kind is FieldType.MONEY:
        return [None if pd.isna(v) else int(v) / 100 for v in values], "0.00"
    if kind is FieldType.RATE:
        return [None if pd.isna(v) else int(v) / 1_000_000 for v in values], "0.0000%"
    if kind is FieldType.INTEGER:
        return [None if pd.isna(v) else int(v) for v in values], "0"
    if kind is FieldType.DATE:
        return [None if pd.isna(v) else v.to_pydatetime() for v in values], "yyyy-mm-dd"
    return list(text_column(field, values).to_numpy(dtype=object, na_value=None)), None


def write_xlsx(
    frame: pd.DataFrame,
    path: str | os.PathLike[str],
    schema: Schema,
    *,
    headers: Headers = "label",
    sheet: str = "市场主体",
) -> None:
    """Write ``frame`` as an .xlsx registry: one sheet, header in row 1."""
    import xlsxwriter

    if len(frame) > XLSX_MAX_ROWS:
        raise ValueError(f"a worksheet holds at most {XLSX_MAX_ROWS} rows, not {len(frame)}")
    fields = _fields(frame, schema)
    book = xlsxwriter.Workbook(
        os.fspath(path), {"constant_memory": True, "strings_to_numbers": False}
    )
    try:
        ws = book.add_worksheet(sheet)
        formats: dict[str, Any] = {}
        columns: list[tuple[list[Any], Any, bool]] = []
        for f in fields:
            cells, number_format = _xlsx_cells(f, frame[f.name])
            if number_format is not None:
                formats[number_format] = formats.get(number_format) or book.add_format(
                    {"num_format": number_format}
                )
            columns.append((cells, formats.get(number_format or ""), number_format is None))
        ws.write_row(0, 0, [_header(f, headers) for f in fields])
        for r in range(len(frame)):
            for c, (cells, fmt, text) in enumerate(columns):
                value = cells[r]
                if value is None:
                    continue
                if text:
                    ws.write_string(r + 1, c, value)
                elif fmt is not None and hasattr(value, "year"):
                    ws.write_datetime(r + 1, c, value, fmt)
                else:
                    ws.write_number(r + 1, c, value, fmt)
    finally:
        book.close()


def _decimal_array(values: pd.Series, places: int, precision: int) -> Any:
    """Exact decimals from scaled integers, by reading the integers' decimal128 buffer at a
    different scale (no Python loop, no float)."""
    import pyarrow as pa

    ints = pa.array(values.to_numpy(dtype=np.int64, na_value=0), mask=values.isna().to_numpy())
    unscaled = ints.cast(pa.decimal128(19, 0))  # every int64 fits; the same 16-byte layout
    return pa.Array.from_buffers(
        pa.decimal128(precision, places), len(unscaled), unscaled.buffers()
    )


def arrow_table(frame: pd.DataFrame, schema: Schema, *, headers: Headers = "name") -> Any:
    """``frame`` as an Arrow table of natural column types (used for Parquet)."""
    import pyarrow as pa

    columns = {}
    for f in _fields(frame, schema):
        values = frame[f.name].reset_index(drop=True)
        kind = f.type
        if kind is FieldType.MONEY:
            array = _decimal_array(values, 2, 20)
        elif kind is FieldType.RATE:
            array = _decimal_array(values, 6, 12)
        elif kind is FieldType.INTEGER:
            array = pa.array(
                values.to_numpy(dtype=np.int64, na_value=0), mask=values.isna().to_numpy()
            )
        elif kind is FieldType.DATE:
            array = pa.array(values.to_numpy(), type=pa.timestamp("ns")).cast(pa.date32())
        elif kind is FieldType.BOOLEAN:
            array = pa.array(
                values.to_numpy(dtype=bool, na_value=False), mask=values.isna().to_numpy()
            )
        else:
            array = pa.array(text_column(f, values), type=pa.string())
        columns[_header(f, headers)] = array
    return pa.table(columns)


def write_parquet(
    frame: pd.DataFrame,
    path: str | os.PathLike[str],
    schema: Schema,
    *,
    headers: Headers = "name",
    row_group_size: int | None = None,
) -> None:
    """Write ``frame`` as a Parquet registry."""
    import pyarrow.parquet as pq

    pq.write_table(
        arrow_table(frame, schema, headers=headers), os.fspath(path), row_group_size=row_group_size
    )


def _sql_type(field: Field) -> Any:
    import sqlalchemy as sa

    kind = field.type
    types: dict[FieldType, Any] = {
        FieldType.INTEGER: sa.BigInteger(),
        FieldType.MONEY: sa.Numeric(20, 2),
        FieldType.RATE: sa.Numeric(12, 6),
        FieldType.DATE: sa.Date(),
        FieldType.BOOLEAN: sa.Boolean(),
    }
    return types.get(kind, sa.Text())


def _sql_values(field: Field, values: pd.Series) -> list[Any]:
    kind = field.type
    if kind is FieldType.MONEY:
        return [None if pd.isna(v) else Decimal(int(v)).scaleb(-2) for v in values]
    if kind is FieldType.RATE:
        return [None if pd.isna(v) else Decimal(int(v)).scaleb(-6) for v in values]
    if kind is FieldType.INTEGER:
        return [None if pd.isna(v) else int(v) for v in values]
    if kind is FieldType.DATE:
        return [None if pd.isna(v) else v.date() for v in values]
    if kind is FieldType.BOOLEAN:
        return [None if pd.isna(v) else bool(v) for v in values]
    return list(text_column(field, values).to_numpy(dtype=object, na_value=None))


def _batches(count: int, size: int) -> Iterator[range]:
    for start in range(0, count, size):
        yield range(start, min(start + size, count))


def write_table(
    frame: pd.DataFrame,
    database: Any,
    table: str,
    schema: Schema,
    *,
    headers: Headers = "name",
    replace: bool = False,
) -> None:
    """Create ``table`` in ``database`` (a SQLAlchemy URL or Engine) and insert ``frame``.

    ``replace`` drops an existing table of that name first; otherwise it must not exist.
    """
    import sqlalchemy as sa

    engine = sa.create_engine(database) if isinstance(database, str) else database
    fields = _fields(frame, schema)
    schema_name, _, name = table.rpartition(".")
    meta = sa.MetaData()
    target = sa.Table(
        name,
        meta,
        *(sa.Column(_header(f, headers), _sql_type(f)) for f in fields),
        schema=schema_name or None,
    )
    data: dict[str, list[Any]] = {
        _header(f, headers): _sql_values(f, frame[f.name]) for f in fields
    }
    keys = list(data)
    rows: Callable[[range], list[dict[str, Any]]] = lambda span: [  # noqa: E731
        {k: data[k][i] for k in keys} for i in span
    ]
    try:
        with engine.begin() as conn:
            if replace:
                target.drop(conn, checkfirst=True)
            target.create(conn)
            for span in _batches(len(frame), 5_000):
                conn.execute(target.insert(), rows(span))
    finally:
        if isinstance(database, str):
            engine.dispose()
