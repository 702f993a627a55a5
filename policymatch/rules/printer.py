"""IR -> expression text that parses back to the same IR (used in explanations and tests)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from . import ir


def literal(value: ir.Scalar) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        text = format(value, "f")
        return text
    if isinstance(value, dt.date):
        return f'date("{value.isoformat()}")'
    escaped = value.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'


def to_text(expr: ir.Expr) -> str:
    """Fully parenthesised text of ``expr``; labels are dropped (they are not expressions)."""
    match expr:
        case ir.Const(value=v):
            return literal(v)
        case ir.Field(name=name):
            return name
        case ir.AsOf():
            return "as_of"
        case ir.Labeled(expr=inner):
            return to_text(inner)
        case ir.Not(operand=o):
            return f"(not {to_text(o)})"
        case ir.And(operands=ops):
            return "(" + " and ".join(to_text(o) for o in ops) + ")"
        case ir.Or(operands=ops):
            return "(" + " or ".join(to_text(o) for o in ops) + ")"
        case ir.Compare(op=op, left=a, right=b) | ir.Arith(op=op, left=a, right=b):
            return f"({to_text(a)} {op} {to_text(b)})"
        case ir.Neg(operand=o):
            return f"(-{to_text(o)})"
        case ir.InList(needle=n, items=items, negated=neg):
            op = "not in" if neg else "in"
            return f"({to_text(n)} {op} [{', '.join(literal(i) for i in items)}])"
        case ir.HasTag(field=f, tag=tag, negated=neg):
            op = "not in" if neg else "in"
            return f"({literal(tag)} {op} {f.name})"
        case ir.StartsWith(subject=x, prefix=p):
            return f"({to_text(x)} startswith {literal(p)})"
        case ir.IfElse(cond=c, then=a, other=b):
            return f"({to_text(a)} if {to_text(c)} else {to_text(b)})"
        case ir.Call(func=f, args=args):
            return f"{f}({', '.join(to_text(a) for a in args)})"
    raise TypeError(f"No printing rule for {type(expr).__name__}")  # pragma: no cover
