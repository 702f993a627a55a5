"""Masking of sensitive fields in anything published (公示名单).

A bank account keeps its first 4 and last 4 characters (``6222********1234``), a phone number
its first 3 and last 4 (``138****5678``); every character in between becomes ``*``, so the
length still shows. Spaces and dashes that people type into account numbers are dropped first.
A value too short to keep both ends and hide at least one character is masked entirely: a
short value would otherwise be published whole. Works on whole columns (Arrow arrays); null
stays null.
"""

from __future__ import annotations

from typing import Any

import pyarrow as pa
import pyarrow.compute as pc


def mask(values: Any, keep_head: int, keep_tail: int) -> pa.Array:
    """``values`` with all but the first ``keep_head`` and last ``keep_tail`` characters hidden."""
    text = pc.replace_substring_regex(pa.array(values, pa.string()), r"[\s\-]", "")
    length = pc.utf8_length(text)
    hidden = pc.subtract(length, keep_head + keep_tail)
    kept = pc.binary_join_element_wise(
        pc.utf8_slice_codeunits(text, 0, keep_head),
        pc.binary_repeat("*", pc.max_element_wise(hidden, 0)),
        pc.utf8_slice_codeunits(text, -keep_tail),
        "",
    )
    return pc.if_else(pc.greater(hidden, 0), kept, pc.binary_repeat("*", length))


def mask_account(values: Any) -> pa.Array:
    """``6222021234561234`` -> ``6222********1234``."""
    return mask(values, 4, 4)


def mask_phone(values: Any) -> pa.Array:
    """``13812345678`` -> ``138****5678``."""
    return mask(values, 3, 4)


#: The masking of each sensitive field shown outside the finance bureau (API, HTTP service).
MASKED_FIELDS = {"bank_account": mask_account, "contact_phone": mask_phone}


def mask_value(name: str, value: Any) -> Any:
    """One value of field ``name``, masked if the field is a bank account or phone number."""
    masker = MASKED_FIELDS.get(name)
    if masker is None or value is None:
        return value
    return masker([str(value)])[0].as_py()
