"""Name resolution and type checking: syntax tree -> typed IR.

Every name is resolved against the registry schema (field names and Chinese aliases), the
set's ``define`` names and ``as_of``; every operator and function is checked for the types it
takes, and string constants compared with enum or tags fields must be values the field has. A
failure is a :class:`CheckError` with the span of the offending text and, where one is likely,
the fix.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

from ..errors import suggest
from ..schema import FieldType, Schema
from . import ir
from . import syntax as s
from .ir import T


class CheckError(Exception):
    """An error in one expression, at ``[start, end)`` of its text."""

    def __init__(
        self, code: str, message: str, node: s.Node | tuple[int, int], hint: str | None = None
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.start, self.end = (node.start, node.end) if isinstance(node, s.Node) else node
        self.hint = hint


class CheckErrors(Exception):
    """Several independent errors in one expression (the operands of and/or are checked apart)."""

    def __init__(self, errors: list[CheckError]) -> None:
        super().__init__("; ".join(e.message for e in errors))
        self.errors = errors


class PoisonedDefine(Exception):
    """A define that failed to compile was used; its own error is already reported."""


#: Resolves a define name to its compiled IR (raising CheckError for cycles, PoisonedDefine for
#: defines that failed), or returns None when the name is not a define.
DefineResolver = Callable[[str], "ir.Expr | None"]

#: Derived fields, lowered here once to what they mean, so that no evaluator, backend or
#: explanation needs to know them by name.
_DERIVED: dict[str, ir.Expr] = {
    "age_years": ir.Call(
        "years_between", (ir.Field("registered_on", FieldType.DATE), ir.AsOf()), T.NUMBER
    ),
}

#: How each function is called, for the hint of a call with the wrong number of arguments.
_SIGNATURES = {
    "min": "min(a, b, ...)",
    "max": "max(a, b, ...)",
    "abs": "abs(x)",
    "round": "round(x) or round(x, 2)",
    "year": "year(registered_on)",
    "years_between": "years_between(registered_on, as_of)",
    "is_null": "is_null(revenue)",
    "coalesce": "coalesce(revenue, 0)",
    "date": 'date("2023-01-01")',
}
#: A value of each type, for hints.
_EXAMPLES = {
    T.NUMBER: "employees or 10",
    T.TEXT: '"361126"',
    T.BOOL: "employees >= 10",
    T.DATE: 'registered_on or date("2023-01-01")',
    T.TAGS: "tags",
    T.NULL: "null",
}

_ARITY: dict[str, tuple[int, int | None]] = {
    "min": (2, None),
    "max": (2, None),
    "abs": (1, 1),
    "round": (1, 2),
    "year": (1, 1),
    "years_between": (2, 2),
    "is_null": (1, 1),
    "coalesce": (2, None),
    "date": (1, 1),
}


@dataclass
class Checker:
    """Checks expressions against one schema and one define table."""

    schema: Schema
    resolve_define: DefineResolver
    define_names: tuple[str, ...] = ()
    #: One node per field read: the expressions of a set share them (the batch core interns
    #: each expression object once).
    fields: dict[str, ir.Field] = field(default_factory=dict, repr=False)

    def check(self, node: s.Node) -> ir.Expr:
        return self._check(node)

    def condition(self, node: s.Node) -> ir.Expr:
        """An expression that must be a condition (boolean)."""
        out = self._check(node)
        if out.type is not T.BOOL:
            raise CheckError(
                "PM204",
                f"a condition must be true or false, but this is a {out.type.value}",
                node,
                hint="compare it with something, e.g. employees >= 10",
            )
        return out

    def number(self, node: s.Node, what: str = "an amount") -> ir.Expr:
        out = self._check(node)
        if out.type not in (T.NUMBER, T.NULL):
            raise CheckError(
                "PM204",
                f"{what} must be a number, but this is a {out.type.value}",
                node,
                hint="write a number such as 5万 or a formula such as min(revenue * 1%, 50万)",
            )
        return out

    # --- dispatch ---------------------------------------------------------------------------

    def _check(self, node: s.Node) -> ir.Expr:
        match node:
            case s.Number(value=v):
                return ir.Const(v, T.NUMBER)
            case s.Text(value=v):
                return ir.Const(v, T.TEXT)
            case s.Bool(value=v):
                return ir.Const(v, T.BOOL)
            case s.Null():
                return ir.Const(None, T.NULL)
            case s.Name():
                return self._name(node)
            case s.ListLit():
                raise CheckError(
                    "PM204",
                    "a list can only stand after 'in' or 'not in'",
                    node,
                    hint='e.g. size in ["小型", "微型"]',
                )
            case s.Unary():
                return self._unary(node)
            case s.Binary():
                return self._binary(node)
            case s.Chain():
                return self._chain(node)
            case s.Call():
                return self._call(node)
            case s.IfElse():
                return self._if_else(node)
        raise CheckError("PM206", "unsupported expression", node)  # pragma: no cover

    def _name(self, node: s.Name) -> ir.Expr:
        if node.name == "as_of":
            return ir.AsOf()
        field = self.schema.lookup(node.name)
        if field is not None and field.derived:
            return _DERIVED[field.name]
        if field is not None:
            found = self.fields.get(field.name)
            if found is None:
                found = self.fields[field.name] = ir.Field(field.name, field.type)
            return found
        resolved = self.resolve_define(node.name)
        if resolved is not None:
            return resolved
        candidates = [*self.schema.all_names(), *self.define_names, "as_of"]
        best = suggest(node.name, candidates)
        hint = None
        if node.name in ir.FUNCTIONS:
            hint = f"'{node.name}' is a function: write {node.name}(...)"
        if hint is None and best is None:
            hint = "a name is a registry field, its Chinese alias, a define, or as_of"
        raise CheckError(
            "PM201",
            f"unknown name '{node.name}'" + (f" (did you mean '{best}'?)" if best else ""),
            node,
            hint=hint,
        )

    def _unary(self, node: s.Unary) -> ir.Expr:
        operand = self._check(node.operand)
        if node.op == "not":
            self._want(operand, node.operand, T.BOOL, "'not'")
            if isinstance(operand, ir.Const) and operand.value is not None:
                return ir.Const(not operand.value, T.BOOL)
            return ir.Not(operand)
        self._want(operand, node.operand, T.NUMBER, f"'{node.op}'")
        if node.op == "+":
            return operand
        if isinstance(operand, ir.Const) and isinstance(operand.value, Decimal):
            return ir.Const(-operand.value, T.NUMBER)
        return ir.Neg(operand)

    def _binary(self, node: s.Binary) -> ir.Expr:
        if node.op in ("and", "or"):
            left, right = self._both(node.left, node.right)
            self._want(left, node.left, T.BOOL, f"'{node.op}'")
            self._want(right, node.right, T.BOOL, f"'{node.op}'")
            cls = ir.And if node.op == "and" else ir.Or
            parts: list[ir.Expr] = []
            for part in (left, right):
                parts.extend(part.operands if isinstance(part, cls) else (part,))
            return cls(tuple(parts))
        left, right = self._check(node.left), self._check(node.right)
        for side, sub in ((left, node.left), (right, node.right)):
            if side.type is T.DATE:
                raise CheckError(
                    "PM204",
                    f"'{node.op}' does not work on dates",
                    sub,
                    hint="use year(d) or years_between(d1, d2) to turn dates into numbers",
                )
            self._want(side, sub, T.NUMBER, f"'{node.op}'")
        return ir.Arith(node.op, left, right)

    def _both(self, a: s.Node, b: s.Node) -> tuple[ir.Expr, ir.Expr]:
        """Check both operands, reporting the errors of each rather than only the first."""
        found: list[CheckError] = []
        out: list[ir.Expr] = []
        for node in (a, b):
            try:
                out.append(self._check(node))
            except CheckError as exc:
                found.append(exc)
            except CheckErrors as many:
                found.extend(many.errors)
        if found:
            raise CheckErrors(found)
        return out[0], out[1]

    def _chain(self, node: s.Chain) -> ir.Expr:
        if len(node.ops) > 1 and any(op in ("in", "not in", "startswith") for op in node.ops):
            raise CheckError(
                "PM206",
                "'in' and 'startswith' cannot be chained",
                node,
                hint="join the tests with 'and'",
            )
        if node.ops[0] in ("in", "not in"):
            # The right side is a list literal (checked item by item) or a tags field; a list
            # is not an expression of its own, so it must not go through _check.
            na, nb = node.operands
            return self._membership(node.ops[0] == "not in", self._check(na), na, nb)
        operands = [self._check(o) for o in node.operands]
        parts: list[ir.Expr] = []
        for i, op in enumerate(node.ops):
            a, b = operands[i], operands[i + 1]
            na, nb = node.operands[i], node.operands[i + 1]
            if op == "startswith":
                parts.append(self._startswith(a, na, nb))
            else:
                parts.append(self._compare(op, a, na, b, nb))
        return parts[0] if len(parts) == 1 else ir.And(tuple(parts))

    def _compare(self, op: str, a: ir.Expr, na: s.Node, b: ir.Expr, nb: s.Node) -> ir.Expr:
        for side, sub, other in ((a, na, nb), (b, nb, na)):
            if side.type is T.NULL:
                raise CheckError(
                    "PM204",
                    "comparing with null is always unknown",
                    sub,
                    hint=f"write is_null({_text_of(other)}) or not is_null(...)",
                )
            if side.type is T.TAGS:
                raise CheckError(
                    "PM204",
                    "a tags field is a set of values",
                    sub,
                    hint='test one value: "专精特新" in tags',
                )
        if a.type is not b.type:
            raise CheckError(
                "PM204",
                f"cannot compare a {a.type.value} with a {b.type.value}",
                nb,
                hint=_mismatch_hint(a, b),
            )
        if op not in ("==", "!=") and a.type not in (T.NUMBER, T.DATE):
            hint = (
                'codes are hierarchical: use startswith, e.g. industry startswith "C3"'
                if a.type is T.TEXT
                else None
            )
            raise CheckError(
                "PM204", f"'{op}' compares numbers or dates, not {a.type.value}s", nb, hint=hint
            )
        self._enum_value(a, b, nb)
        self._enum_value(b, a, na)
        return ir.Compare(op, a, b)

    def _membership(self, negated: bool, a: ir.Expr, na: s.Node, nb: s.Node) -> ir.Expr:
        if not isinstance(nb, s.ListLit):
            b = self._check(nb)
            if b.type is not T.TAGS:
                raise CheckError(
                    "PM204",
                    f"'in' needs a list [..] or a tags field, not a {b.type.value}",
                    nb,
                    hint='e.g. size in ["小型", "微型"]',
                )
            assert isinstance(b, ir.Field)
            if not (isinstance(a, ir.Const) and a.type is T.TEXT):
                raise CheckError(
                    "PM204",
                    "the value tested against a tags field must be a quoted text",
                    na,
                    hint='e.g. "专精特新" in tags',
                )
            field = self.schema[b.name]
            tag = str(a.value)
            if tag not in field.values:
                raise CheckError(
                    "PM205",
                    f"'{tag}' is not a value of {field.name}" + _did_you_mean(tag, field.values),
                    na,
                    hint=f"{field.name} takes: {'、'.join(field.values)}",
                )
            return ir.HasTag(b, tag, negated)
        items: list[ir.Scalar] = []
        for item_node in nb.items:
            item = self._check(item_node)
            if not isinstance(item, ir.Const) or item.type is T.NULL:
                raise CheckError(
                    "PM204",
                    "list items must be constants (not null)",
                    item_node,
                    hint='e.g. size in ["小型", "微型"]',
                )
            if item.type is not a.type:
                raise CheckError(
                    "PM204",
                    f"cannot test a {a.type.value} against a {item.type.value}",
                    item_node,
                    hint=_mismatch_hint(a, item),
                )
            self._enum_value(a, item, item_node)
            items.append(item.value)
        if not items:
            raise CheckError(
                "PM204", "an empty list never matches", nb, hint='e.g. size in ["小型", "微型"]'
            )
        return ir.InList(a, tuple(items), negated)

    def _startswith(self, a: ir.Expr, na: s.Node, nb: s.Node) -> ir.Expr:
        if a.type is not T.TEXT:
            raise CheckError(
                "PM204",
                f"startswith tests codes and text, not a {a.type.value}",
                na,
                hint='e.g. industry startswith "C3"',
            )
        if not isinstance(nb, s.Text):
            raise CheckError(
                "PM204",
                "startswith takes a quoted prefix",
                nb,
                hint='e.g. industry startswith "C3"',
            )
        return ir.StartsWith(a, nb.value)

    def _enum_value(self, subject: ir.Expr, const: ir.Expr, node: s.Node) -> None:
        if not (isinstance(subject, ir.Field) and subject.ftype is FieldType.ENUM):
            return
        if not (isinstance(const, ir.Const) and isinstance(const.value, str)):
            return
        field = self.schema[subject.name]
        if const.value not in field.values:
            raise CheckError(
                "PM205",
                f"'{const.value}' is not a value of {field.name}"
                + _did_you_mean(const.value, field.values),
                node,
                hint=f"{field.name} takes: {'、'.join(field.values)}",
            )

    def _call(self, node: s.Call) -> ir.Expr:
        name_span = (node.start, node.name_end)
        if node.func not in _ARITY:
            best = suggest(node.func, ir.FUNCTIONS)
            raise CheckError(
                "PM202",
                f"unknown function '{node.func}'" + (f" (did you mean '{best}'?)" if best else ""),
                name_span,
                hint="functions: " + ", ".join(ir.FUNCTIONS),
            )
        low, high = _ARITY[node.func]
        n = len(node.args)
        if n < low or (high is not None and n > high):
            want = str(low) if low == high else f"{low} or {high}" if high else f"at least {low}"
            raise CheckError(
                "PM203",
                f"{node.func}() takes {want} argument(s), got {n}",
                node,
                hint=f"write {_SIGNATURES[node.func]}",
            )
        if node.func == "date":
            return self._date(node)
        args = [self._check(a) for a in node.args]
        if node.func in ("min", "max", "coalesce"):
            kinds = {a.type for a in args} - {T.NULL}
            allowed = (
                (T.NUMBER, T.DATE)
                if node.func != "coalesce"
                else (T.NUMBER, T.DATE, T.TEXT, T.BOOL)
            )
            if len(kinds) > 1 or not kinds <= set(allowed):
                raise CheckError(
                    "PM204",
                    f"{node.func}() takes values of one type ({' or '.join(k.value for k in allowed)})",
                    node,
                    hint=f"write {_SIGNATURES[node.func]}",
                )
            return ir.Call(node.func, tuple(args), kinds.pop() if kinds else T.NULL)
        if node.func == "is_null":
            return ir.Call("is_null", tuple(args), T.BOOL)
        if node.func in ("year", "years_between"):
            for a, sub in zip(args, node.args, strict=True):
                self._want(a, sub, T.DATE, f"{node.func}()")
            return ir.Call(node.func, tuple(args), T.NUMBER)
        self._want(args[0], node.args[0], T.NUMBER, f"{node.func}()")
        if node.func == "round" and n == 2:
            places = args[1]
            if not (
                isinstance(places, ir.Const)
                and isinstance(places.value, Decimal)
                and places.value == places.value.to_integral_value()
                and 0 <= places.value <= 10
            ):
                raise CheckError(
                    "PM204",
                    "round()'s places must be a whole number from 0 to 10",
                    node.args[1],
                    hint="write round(x) or round(x, 2)",
                )
        return ir.Call(node.func, tuple(args), T.NUMBER)

    def _date(self, node: s.Call) -> ir.Expr:
        arg = node.args[0]
        if not isinstance(arg, s.Text):
            raise CheckError(
                "PM204",
                'date() takes a quoted date, e.g. date("2023-01-01")',
                arg,
                hint='write date("YYYY-MM-DD")',
            )
        try:
            return ir.Const(dt.date.fromisoformat(arg.value), T.DATE)
        except ValueError:
            raise CheckError(
                "PM104",
                f"'{arg.value}' is not a date that exists",
                arg,
                hint='write date("YYYY-MM-DD")',
            ) from None

    def _if_else(self, node: s.IfElse) -> ir.Expr:
        cond = self.condition(node.cond)
        then, other = self._check(node.then), self._check(node.other)
        kinds = {then.type, other.type} - {T.NULL}
        if len(kinds) > 1:
            raise CheckError(
                "PM204",
                f"both branches must have one type, not {then.type.value} and {other.type.value}",
                node,
                hint="e.g. 5万 if employees >= 10 else 2万",
            )
        return ir.IfElse(cond, then, other, kinds.pop() if kinds else T.NULL)

    def _want(self, expr: ir.Expr, node: s.Node, want: T, where: str) -> None:
        if expr.type is not want and expr.type is not T.NULL:
            raise CheckError(
                "PM204",
                f"{where} needs a {want.value}, not a {expr.type.value}",
                node,
                hint=f"give it a {want.value}, e.g. {_EXAMPLES[want]}",
            )


def _did_you_mean(value: str, values: tuple[str, ...]) -> str:
    best = suggest(value, values)
    return f" (did you mean '{best}'?)" if best else ""


def _mismatch_hint(a: ir.Expr, b: ir.Expr) -> str | None:
    types = {a.type, b.type}
    if types == {T.TEXT, T.NUMBER}:
        text_side = a if a.type is T.TEXT else b
        if isinstance(text_side, ir.Const):
            return "numbers are written without quotes, e.g. employees >= 10"
        return 'codes are text: quote them, e.g. region == "361126"'
    if T.DATE in types and T.NUMBER in types:
        return 'write a date as date("2023-01-01"), or compare year(d) with a number'
    if T.DATE in types and T.TEXT in types:
        return 'write a date as date("2023-01-01")'
    return None


def _text_of(node: s.Node) -> str:
    return node.name if isinstance(node, s.Name) else "the value"
