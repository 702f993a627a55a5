"""One registry row from a change event, typed exactly as a registry file's row would be.

Every value goes through :func:`policymatch.values.parse_value` (``"50万"``, ``"是"``,
``"2023年1月5日"`` and already-typed Python values alike), must fit the typed frame
(:func:`policymatch.registry.frame.to_cell`), the USCC must pass its check digit, and ``size``
is derived by the SME standard when the row does not give it, as the registry readers do.
Keys are field names or their Chinese aliases; a key the schema does not know is an error
rather than a silently ignored column, since in a change event it is most likely a typo.
"""

from __future__ import annotations

from collections.abc import Mapping

from ...errors import suggest
from ...registry.frame import to_cell
from ...registry.size import classify_record
from ...registry.uscc import uscc_problem
from ...schema import SCALE, Schema
from ...values import Value, parse_value

#: Exact integers a typed frame column (Int64) holds.
_INT64 = 2**63


class RecordError(ValueError):
    """A row that cannot be typed; ``problems`` says what, field by field."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


def key_field_name(schema: Schema) -> str:
    return next(f.name for f in schema.input_fields if f.key)


def type_record(raw: Mapping[str, object], schema: Schema) -> dict[str, Value]:
    """The typed record of ``raw``; raises :class:`RecordError` listing every problem."""
    problems: list[str] = []
    record: dict[str, Value] = {}
    inputs = {f.name for f in schema.input_fields}
    for key, value in raw.items():
        field = schema.lookup(key)
        if field is None or field.name not in inputs:
            best = suggest(key, [n for f in schema.input_fields for n in (f.name, *f.aliases)])
            why = "is derived, not an input" if field is not None else "is not a registry field"
            problems.append(f"'{key}' {why}" + (f" (did you mean '{best}'?)" if best else ""))
            continue
        if field.name in record:
            problems.append(f"'{key}' gives {field.name} a second time")
            continue
        try:
            typed = parse_value(field, value)
            cell = to_cell(field, typed)
        except (ValueError, TypeError, OverflowError) as exc:
            problems.append(f"{field.name} ({field.display}): {exc}")
            continue
        except ArithmeticError:  # decimal.InvalidOperation: beyond the decimal context (1e26)
            problems.append(f"{field.name} ({field.display}): {value} is too large")
            continue
        if field.type in SCALE and cell is not None and not -_INT64 <= cell < _INT64:
            problems.append(f"{field.name} ({field.display}): {value} is too large")
            continue
        record[field.name] = typed
    key = key_field_name(schema)
    uscc = record.get(key)
    if uscc is None:
        problems.insert(0, f"no {key} ({schema[key].display})")
    elif (problem := uscc_problem(str(uscc))) is not None:
        problems.insert(0, problem)
    if problems:
        raise RecordError(problems)
    if record.get("size") is None and "size" in inputs:
        record["size"] = classify_record(record)
    return record
