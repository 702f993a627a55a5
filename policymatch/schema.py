"""The registry schema: every field an expression may name, with its type, aliases and values.

The standard schema of ``registry-schema.md`` ships here as data; a policy set extends it with a
``schema:`` block (new fields, more aliases, more enum or tag values). The compiler type-checks
expressions against it and the registry readers type every cell by it.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import StrEnum


class FieldType(StrEnum):
    """The value types of registry fields (registry-schema.md, "Types")."""

    CODE = "code"
    STRING = "string"
    INTEGER = "integer"
    MONEY = "money"
    RATE = "rate"
    DATE = "date"
    BOOLEAN = "boolean"
    ENUM = "enum"
    TAGS = "tags"

    @property
    def is_numeric(self) -> bool:
        return self in (FieldType.INTEGER, FieldType.MONEY, FieldType.RATE)

    @property
    def is_text(self) -> bool:
        return self in (FieldType.CODE, FieldType.STRING, FieldType.ENUM)


#: Numeric fields are held in typed frames as exact integers at these scales: money in fen
#: (0.01 CNY), rates in millionths. Exact arithmetic on int64 columns is what lets the batch core
#: be both fast and correct to the fen; the reference evaluator divides back into Decimal.
SCALE: dict[FieldType, int] = {
    FieldType.INTEGER: 1,
    FieldType.MONEY: 100,
    FieldType.RATE: 1_000_000,
}

#: Most tag values a tags field may have: a typed frame holds a tags cell as an int64 bit set.
MAX_TAG_VALUES = 62


@dataclass(frozen=True)
class Field:
    """One registry field."""

    name: str
    type: FieldType
    label: str = ""
    aliases: tuple[str, ...] = ()
    values: tuple[str, ...] = ()
    sensitive: bool = False
    key: bool = False
    derived: bool = False

    @property
    def display(self) -> str:
        """The Chinese label where there is one, else the name."""
        return self.label or self.name


def _f(
    name: str, type_: FieldType, label: str, *, values: tuple[str, ...] = (), **kw: bool
) -> Field:
    return Field(name=name, type=type_, label=label, aliases=(label,), values=values, **kw)


ENTITY_TYPES = (
    "有限责任公司",
    "股份有限公司",
    "个人独资企业",
    "合伙企业",
    "个体工商户",
    "农民专业合作社",
    "其他",
)
SIZES = ("大型", "中型", "小型", "微型")
TAG_VALUES = (
    "高新技术企业",
    "科技型中小企业",
    "专精特新",
    "专精特新小巨人",
    "规上企业",
    "外贸企业",
    "上市企业",
    "瞪羚企业",
)

STANDARD_FIELDS: tuple[Field, ...] = (
    _f("uscc", FieldType.CODE, "统一社会信用代码", key=True),
    _f("name", FieldType.STRING, "企业名称"),
    _f("region", FieldType.CODE, "行政区划代码"),
    _f("industry", FieldType.CODE, "行业代码"),
    _f("entity_type", FieldType.ENUM, "市场主体类型", values=ENTITY_TYPES),
    _f("registered_on", FieldType.DATE, "成立日期"),
    _f("employees", FieldType.INTEGER, "从业人数"),
    _f("revenue", FieldType.MONEY, "上年营业收入"),
    _f("total_assets", FieldType.MONEY, "资产总额"),
    _f("tax_paid", FieldType.MONEY, "上年纳税额"),
    _f("rd_expense", FieldType.MONEY, "上年研发费用"),
    _f("export_value", FieldType.MONEY, "上年出口额"),
    _f("ui_paid", FieldType.MONEY, "上年失业保险缴费"),
    _f("layoff_rate", FieldType.RATE, "上年裁员率"),
    _f("size", FieldType.ENUM, "企业规模", values=SIZES),
    _f("above_scale_since", FieldType.INTEGER, "首次纳入规上年份"),
    _f("tags", FieldType.TAGS, "资质标签", values=TAG_VALUES),
    _f("credit_blacklisted", FieldType.BOOLEAN, "严重失信主体"),
    _f("bank_name", FieldType.STRING, "开户银行", sensitive=True),
    _f("bank_account", FieldType.STRING, "银行账号", sensitive=True),
    _f("contact_phone", FieldType.STRING, "联系电话", sensitive=True),
    # Derived at match time from registered_on and the as-of date; never read from a file.
    Field("age_years", FieldType.INTEGER, "成立年限", aliases=("成立年限",), derived=True),
)


class SchemaError(ValueError):
    """An extension that does not fit the schema; the compiler turns it into a diagnostic."""


@dataclass(frozen=True)
class Schema:
    """An immutable set of fields, looked up by name or alias."""

    fields: tuple[Field, ...]

    def __post_init__(self) -> None:
        index: dict[str, Field] = {}
        for f in self.fields:
            for key in (f.name, *f.aliases):
                index.setdefault(key, f)
        object.__setattr__(self, "_index", index)

    def lookup(self, name: str) -> Field | None:
        """The field called ``name`` or aliased so."""
        index: dict[str, Field] = self._index  # type: ignore[attr-defined]
        return index.get(name)

    def __getitem__(self, name: str) -> Field:
        found = self.lookup(name)
        if found is None:
            raise KeyError(name)
        return found

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and self.lookup(name) is not None

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields)

    def all_names(self) -> list[str]:
        """Names and aliases, for "did you mean" suggestions."""
        return [k for f in self.fields for k in (f.name, *f.aliases)]

    @property
    def input_fields(self) -> tuple[Field, ...]:
        """Fields a registry may carry (everything but the derived ones)."""
        return tuple(f for f in self.fields if not f.derived)

    def extend(
        self,
        name: str,
        *,
        type_: FieldType | None = None,
        label: str | None = None,
        aliases: tuple[str, ...] = (),
        values: tuple[str, ...] = (),
        sensitive: bool | None = None,
    ) -> Schema:
        """A new schema with ``name`` added or widened (registry-schema.md, ``schema:`` block)."""
        current = next((f for f in self.fields if f.name == name), None)
        for alias in aliases:
            owner = self.lookup(alias)
            if owner is not None and owner.name != name:
                raise SchemaError(f"alias '{alias}' already names field '{owner.name}'")
        if current is None:
            if type_ is None:
                raise SchemaError(f"new field '{name}' needs a type")
            if self.lookup(name) is not None:
                raise SchemaError(f"'{name}' is already an alias of field '{self[name].name}'")
            new = Field(
                name=name,
                type=type_,
                label=label or "",
                aliases=tuple(dict.fromkeys(aliases)),
                values=tuple(dict.fromkeys(values)),
                sensitive=bool(sensitive),
            )
            if type_ in (FieldType.ENUM, FieldType.TAGS) and not new.values:
                raise SchemaError(f"field '{name}' of type {type_.value} needs a list of values")
        else:
            if current.derived:
                raise SchemaError(f"field '{name}' is derived and cannot be extended")
            if type_ is not None and type_ != current.type:
                raise SchemaError(
                    f"field '{name}' is already of type {current.type.value}, not {type_.value}"
                )
            if values and current.type not in (FieldType.ENUM, FieldType.TAGS):
                raise SchemaError(
                    f"field '{name}' is of type {current.type.value}, which takes no values"
                )
            new = replace(
                current,
                label=label or current.label,
                aliases=tuple(dict.fromkeys((*current.aliases, *aliases))),
                values=tuple(dict.fromkeys((*current.values, *values))),
                sensitive=current.sensitive if sensitive is None else sensitive,
            )
        if new.type is FieldType.TAGS and len(new.values) > MAX_TAG_VALUES:
            raise SchemaError(f"field '{name}' has more than {MAX_TAG_VALUES} tag values")
        fields = tuple(new if f.name == name else f for f in self.fields)
        if current is None:
            fields = (*fields, new)
        return Schema(fields)


STANDARD_SCHEMA = Schema(STANDARD_FIELDS)
