"""Loud registry intake: a field the policies read and no column gives stops the read.

A renamed header (严重失信主体 → 是否严重失信) used to make that field null for every enterprise:
a round of "missing data" and no grants, exit 0, no word about the column. Now each such field
is an error (PM521) naming the field, its label, the columns that were ignored and the closest
of them, before a row is read. ``--allow-missing FIELD`` (``allow_missing``) accepts the gap: the
field is then unknown for every enterprise, and the load lists it in ``missing_fields``.

``size`` is derived when no column gives it (registry-schema.md), so it is never missing
itself; the fields it is derived from are needed in its place.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from ..errors import Diagnostic, RegistryError, UsageError, simple, suggest
from ..schema import Field, Schema

#: What ``size`` is derived from when no column gives it (registry/size.py).
SIZE_INPUTS = ("industry", "employees", "revenue", "total_assets")


def needed(read: Iterable[str], present: Iterable[str]) -> frozenset[str]:
    """The fields a registry must give for policies that read ``read``, when the columns
    ``present`` are there (``size`` is derived when it is not one of them)."""
    out = set(read)
    if "size" in out and "size" not in set(present):
        out = (out - {"size"}) | set(SIZE_INPUTS)
    return frozenset(out)


def allowed_fields(names: Iterable[str], schema: Schema) -> frozenset[str]:
    """The field names of ``allow_missing`` (a name or a header alias each); PM523 for one
    that is no registry field."""
    inputs = {f.name for f in schema.input_fields}
    out: set[str] = set()
    problems: list[Diagnostic] = []
    for name in names:
        target = schema.lookup(name.strip())
        if target is not None and target.name in inputs:
            out.add(target.name)
            continue
        guess = suggest(name, [*inputs, *(f.display for f in schema.input_fields)])
        problems.append(
            simple(
                "PM523",
                f"'{name}' is not a registry field"
                + (f" (did you mean {guess}?)" if guess else ""),
                hint="give a field name or its Chinese header to allow missing, e.g. "
                "allow_missing=credit_blacklisted or allow_missing=严重失信主体",
            )
        )
    if problems:
        raise UsageError(problems)
    return frozenset(out)


def _closest(fld: Field, ignored: Sequence[str]) -> str | None:
    for name in (fld.display, *fld.aliases, fld.name):
        guess = suggest(name, ignored)
        if guess is not None:
            return guess
    return None


def missing_error(
    fields: Sequence[Field], ignored: Sequence[str], display: str, derived_size: bool
) -> RegistryError:
    """PM521, one diagnostic per field the policies read that no column gives."""
    shown = ", ".join(f"'{h}'" for h in ignored) if ignored else "none"
    out = []
    for fld in fields:
        guess = _closest(fld, ignored)
        why = (
            " (企业规模 is derived from it: there is no 企业规模 column)"
            if derived_size and fld.name in SIZE_INPUTS
            else ""
        )
        headers = " or ".join(dict.fromkeys([fld.display, *fld.aliases, fld.name]))
        out.append(
            simple(
                "PM521",
                f"no column gives {fld.display} ({fld.name}), which the policies in force "
                f"read{why}; columns ignored: {shown}",
                file=display,
                hint=(f"did you mean {guess}? " if guess else "")
                + f"name the column {headers}, or allow missing it (allow_missing={fld.name}) to treat "
                "it as unknown for every enterprise",
            )
        )
    return RegistryError(out)
