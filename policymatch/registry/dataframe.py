"""A pandas DataFrame as a registry: typed and validated as a registry file is.

A DataFrame that is already a typed registry frame (the columns and dtypes of
:func:`policymatch.registry.frame.empty_frame`, e.g. from ``frame_from_records``) is taken as
it is. Any other DataFrame, typically ``pd.read_csv(...)``, is a raw table: it goes through the
same reader as a Parquet file (headers mapped to fields or their Chinese aliases, every cell
typed, USCC check digits, repeated codes set aside), so a missing ``uscc`` column is a
:class:`~policymatch.errors.RegistryError` naming it, not a ``KeyError`` later. Its rows are
numbered from 1 (row 1 is ``df.iloc[0]``) in the rows set aside.
"""

from __future__ import annotations

import dataclasses
import tempfile
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from ..errors import RegistryError
from ..schema import Schema
from .frame import empty_frame
from .load import RegistryLoad, read_registry

#: How a DataFrame is named in messages.
DISPLAY = "<DataFrame>"


def is_typed_frame(frame: pd.DataFrame, schema: Schema) -> bool:
    """Whether ``frame`` has exactly the typed frame's columns and dtypes."""
    expected = empty_frame(schema).dtypes
    return list(frame.columns) == list(expected.index) and all(
        frame[name].dtype == dtype for name, dtype in expected.items()
    )


def _column(series: pd.Series) -> pa.Array:
    """A raw column: its own Arrow type where it has one, else text (cells as written)."""
    try:
        return pa.array(series, from_pandas=True)
    except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError, ValueError, OverflowError):
        values = [None if pd.isna(v) else str(v) for v in series.astype(object)]
        return pa.array(values, pa.string())


def read_frame(frame: pd.DataFrame, schema: Schema) -> RegistryLoad:
    """The registry a DataFrame holds (see the module docstring)."""
    if is_typed_frame(frame, schema):
        typed = frame.reset_index(drop=True)
        return RegistryLoad(typed, [], len(typed), DISPLAY, [], [], None)
    headers = [str(c) for c in frame.columns]
    table = pa.table([_column(frame[c]) for c in frame.columns], names=headers)
    with tempfile.TemporaryDirectory(prefix="policymatch-frame-") as folder:
        path = Path(folder) / "registry.parquet"
        pq.write_table(table, path)
        try:
            load = read_registry(path, schema)
        except RegistryError as exc:  # name the DataFrame, not the temporary file
            shown = [dataclasses.replace(d, file=DISPLAY) for d in exc.diagnostics]
            raise type(exc)(shown) from None
    load.source = DISPLAY
    return load
