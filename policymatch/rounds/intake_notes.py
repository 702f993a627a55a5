"""What the registry did not give a round, in Chinese: the columns not read and the fields
missing (allowed by ``--allow-missing``, so unknown for every enterprise).

Said in the same words wherever a person reads about the round: the run's terminal summary,
the 汇总 sheet of the review workbook and report.html.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..schema import Schema

if TYPE_CHECKING:
    from .draft import RegistryInput


def ignored_note(reg: RegistryInput) -> str | None:
    """The registry's headers that no field reads, or None when every column was read."""
    if not reg.ignored_columns:
        return None
    return "登记表中未读取的列：" + "、".join(reg.ignored_columns)


def missing_note(reg: RegistryInput, schema: Schema) -> str | None:
    """The fields no column gives, with their Chinese labels, or None when none is missing."""
    if not reg.missing_fields:
        return None
    fields = (schema[name] for name in reg.missing_fields)
    return "登记表缺少的字段（--allow-missing，对所有企业按未知处理）：" + "、".join(
        f"{f.display}（{f.name}）" for f in fields
    )


def intake_notes(reg: RegistryInput, schema: Schema) -> list[str]:
    """The notes that apply (none for a registry that gives every field and column)."""
    return [n for n in (ignored_note(reg), missing_note(reg, schema)) if n is not None]
