"""Which source column gives which field of the schema: headers, aliases, and loud intake.

A header is a field name or alias of the schema, after stripping white space and a BOM. Other
headers are ignored and listed. Two columns that give the same field are an error (PM506); no
column for the code is PM503; a field the policies read and no column gives is PM521
(:mod:`.intake`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from ..errors import RegistryError, simple, suggest
from ..schema import Field, Schema
from .intake import allowed_fields, missing_error, needed
from .readers import column_letter

__all__ = ["Columns", "map_columns"]


@dataclass(frozen=True)
class Columns:
    """Which source column gives which field."""

    fields: tuple[tuple[int, Field], ...]  # (source column, field) in schema order
    key: int  # source column of the key field
    key_field: Field
    ignored: tuple[str, ...]
    missing: tuple[str, ...] = ()  # fields no column gives (see map_columns)


def _clean_header(header: str) -> str:
    return header.replace("\ufeff", "").strip()


def _column_name(index: int, header: str) -> str:
    return f"column {index + 1} ({column_letter(index)}) '{header}'"


def map_columns(
    headers: list[str],
    schema: Schema,
    display: str,
    *,
    require: Iterable[str] | None = None,
    allow_missing: Iterable[str] = (),
) -> Columns:
    """Map source headers to schema fields; raises PM506 and PM503, and PM521 when a field in
    ``require`` (what the policies read) has no column and is not in ``allow_missing``
    (:mod:`.intake`). ``missing`` is then the required fields without a column (those
    allowed); without ``require``, every input field without a column but ``size``."""
    found: dict[str, int] = {}
    ignored: list[str] = []
    clean = [_clean_header(str(h)) for h in headers]
    inputs = {f.name for f in schema.input_fields}
    for index, header in enumerate(clean):
        target = schema.lookup(header)
        if target is None or target.name not in inputs:
            ignored.append(header or f"(column {index + 1} ({column_letter(index)}): no header)")
            continue
        if target.name in found:
            first = found[target.name]
            raise RegistryError(
                [
                    simple(
                        "PM506",
                        f"{_column_name(first, clean[first])} and {_column_name(index, header)} "
                        f"both give the field '{target.name}' ({target.display})",
                        file=display,
                        hint="delete or rename one of the two columns",
                    )
                ]
            )
        found[target.name] = index
    key_field = next(f for f in schema.input_fields if f.key)
    if key_field.name not in found:
        names = [key_field.name, *key_field.aliases]
        guess = next((g for h in clean if h and (g := suggest(h, names))), None)
        near = next((h for h in clean if h and suggest(h, names)), None)
        hint = f"is '{near}' meant to be '{guess}'? " if near and guess else ""
        raise RegistryError(
            [
                simple(
                    "PM503",
                    f"no column gives the {key_field.display} (a header '"
                    + "' or '".join(names)
                    + f"'); the headers are: {', '.join(repr(h) for h in clean[:12])}"
                    + (" ..." if len(clean) > 12 else ""),
                    file=display,
                    hint=hint + "the first row must be the header row, one column per field",
                )
            ]
        )
    pairs = tuple((found[f.name], f) for f in schema.input_fields if f.name in found)
    if require is None:
        missing = [f.name for f in schema.input_fields if f.name not in found and f.name != "size"]
    else:
        allowed = allowed_fields(allow_missing, schema)
        need = needed(require, found)
        missing = [f.name for f in schema.input_fields if f.name in need and f.name not in found]
        refused = [schema[n] for n in missing if n not in allowed]
        if refused:
            raise missing_error(refused, ignored, display, "size" not in found)
    return Columns(pairs, found[key_field.name], key_field, tuple(ignored), tuple(missing))
