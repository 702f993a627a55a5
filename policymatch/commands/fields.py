"""``policymatch fields [--policies DIR]``: the registry fields an expression may name.

Without ``--policies`` the standard schema; with it, the schema as the policy set extends it
(its ``schema:`` blocks), extension fields and widened standard fields marked.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from ..rules import compile_policy_set
from ..schema import STANDARD_SCHEMA, Field, FieldType, Schema
from ..texttable import text_table

TYPE_LABELS: dict[FieldType, str] = {
    FieldType.CODE: "代码",
    FieldType.STRING: "文字",
    FieldType.INTEGER: "整数",
    FieldType.MONEY: "金额(元)",
    FieldType.RATE: "比率(0-1)",
    FieldType.DATE: "日期",
    FieldType.BOOLEAN: "是否",
    FieldType.ENUM: "枚举",
    FieldType.TAGS: "标签",
}


def register(sub: Any) -> None:
    p = sub.add_parser("fields", help="list the registry fields (with a policy set's extensions)")
    p.add_argument(
        "--policies",
        metavar="DIR",
        help="policy folder or file whose schema: extensions to include (default: standard fields only)",
    )
    p.set_defaults(handler=run)


def _source(f: Field) -> str:
    standard = STANDARD_SCHEMA.lookup(f.name)
    if standard is None or standard.name != f.name:
        return "扩展"
    if standard != f:
        return "标准+扩展"
    return "派生" if f.derived else "标准"


def _row(f: Field) -> tuple[str, ...]:
    aliases = "、".join(a for a in f.aliases if a != f.label)
    notes = [_source(f)]
    if f.key:
        notes.append("主键")
    if f.sensitive:
        notes.append("敏感")
    return (
        f.name,
        f.label or "-",
        aliases or "-",
        f"{f.type.value} {TYPE_LABELS[f.type]}",
        " ".join(notes),
        "、".join(f.values) or "-",
    )


def fields_table(schema: Schema) -> str:
    headers = ("字段", "中文名", "其他别名", "类型", "来源", "取值")
    return text_table(headers, [_row(f) for f in schema.fields])


def run(args: argparse.Namespace) -> int:
    schema = STANDARD_SCHEMA if args.policies is None else compile_policy_set(args.policies).schema
    sys.stdout.write(fields_table(schema))
    where = "标准字段" if args.policies is None else f"标准字段和 {args.policies} 的扩展字段"
    sys.stdout.write(
        f"共 {len(schema.fields)} 个字段（{where}）。表达式里写字段名或中文名均可；"
        "详见 docs/registry-schema.md。\n"
    )
    return 0
