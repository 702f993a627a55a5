"""A seeded generator of realistic policy sets, for benchmarks and tests.

It writes policy files in the real format (so the compiler checks them like any other) with the
shape the batch-core benchmarks are specified with:

* every policy starts with the county's ``本地企业`` define (``region == "361126" and not
  credit_blacklisted``), then has 3 to 8 top-level conditions in all;
* one predicate in three is drawn from a shared pool (qualification tags, size classes, industry
  sections, common thresholds), as county policies repeat the same tests; the others have their
  own thresholds, so they are distinct expressions;
* a third of the policies have an ``any:`` group of two or three predicates;
* amounts are a constant (``10万``), a rate with a cap (``rd_expense * 5%``, ``cap: 50万``), or,
  for one policy in ten, tiers on a threshold;
* thresholds are set against the registries of :mod:`policymatch.registry.generate`, so that most
  policies select a few percent of the registry, as real ones do.

The same seed gives the same files.
"""

from __future__ import annotations

import random
import tempfile
from pathlib import Path

from ..rules import PolicySet, compile_policy_set

#: Predicates that many policies use: each is one shared node in the batch core.
SHARED = (
    'size in ["中型", "小型", "微型"]',
    'size in ["小型", "微型"]',
    'size != "大型"',
    '"高新技术企业" in tags',
    '"科技型中小企业" in tags',
    '"专精特新" in tags',
    '"规上企业" in tags',
    '"外贸企业" in tags',
    'industry startswith "C"',
    'industry startswith "F"',
    'industry startswith "I"',
    'industry startswith "M"',
    'entity_type != "个体工商户"',
    'entity_type in ["有限责任公司", "股份有限公司"]',
    "employees >= 10",
    "employees >= 50",
    "age_years >= 3",
    "age_years < 5",
    "revenue >= 2000万",
    "revenue >= 500万",
    "tax_paid >= 100万",
    "tax_paid >= 10万",
    "layoff_rate <= 5.5%",
    "ui_paid > 0",
    "rd_expense >= revenue * 3%",
    "rd_expense >= 100万",
    "export_value >= 500万",
    "above_scale_since >= 2020",
    'registered_on >= date("2021-01-01")',
    "total_assets >= 1000万",
)

SECTIONS = (
    "C13",
    "C17",
    "C26",
    "C29",
    "C30",
    "C33",
    "C38",
    "F51",
    "F52",
    "G54",
    "H62",
    "I65",
    "L72",
    "M73",
)
TAGS = ("高新技术企业", "科技型中小企业", "专精特新", "规上企业", "外贸企业", "瞪羚企业")
MONEY_BASES = ("revenue", "tax_paid", "rd_expense", "export_value", "ui_paid")
LABELS = (
    "经营规模达标",
    "纳税贡献达标",
    "研发投入达标",
    "稳定就业",
    "成立年限符合",
    "行业符合",
    "资质符合",
)


def _unique(rng: random.Random) -> str:
    """A predicate with its own threshold (rarely the same text twice)."""
    kind = rng.randrange(14)
    if kind == 0:
        return f"revenue >= {rng.choice((50, 100, 200, 300, 800, 1500, 3000, 5000)) + rng.randrange(50)}万"
    if kind == 1:
        return f"employees >= {rng.randrange(5, 120)}"
    if kind == 2:
        return f"tax_paid >= {rng.randrange(5, 400)}万"
    if kind == 3:
        return f"total_assets >= {rng.randrange(100, 5000)}万"
    if kind == 4:
        return f"rd_expense >= {rng.randrange(10, 300)}万"
    if kind == 5:
        return f"export_value >= {rng.randrange(50, 2000)}万"
    if kind == 6:
        return f"ui_paid >= {rng.randrange(1000, 80000)}"
    if kind == 7:
        return f"age_years >= {rng.randrange(1, 15)}"
    if kind == 8:
        return f'registered_on >= date("{rng.randrange(2005, 2024)}-{rng.randrange(1, 13):02d}-01")'
    if kind == 9:
        return f'industry startswith "{rng.choice(SECTIONS)}{rng.randrange(10)}"'
    if kind == 10:
        return f"layoff_rate <= {rng.choice((1, 2, 3, 5, 8, 10, 20))}.{rng.randrange(10)}%"
    if kind == 11:
        return f"rd_expense >= revenue * {rng.randrange(2, 12)}%"
    if kind == 12:
        return f"above_scale_since == {rng.randrange(2015, 2025)}"
    return f'"{rng.choice(TAGS)}" in tags and revenue >= {rng.randrange(100, 3000)}万'


#: The dense profile's predicates: loose, so that an enterprise qualifies for 15 to 20 of 200
#: policies (thresholds near the low end of the generated registries, where many enterprises
#: are within the near-miss margin of them, and on fields with nulls, for unknowns).
DENSE_SHARED = (
    'size != "大型"',
    'entity_type != "个体工商户"',
    "employees >= 3",
    "age_years >= 1",
    "layoff_rate <= 20%",
    "revenue >= 20万",
    "tax_paid >= 1万",
    'registered_on >= date("2000-01-01")',
)


def _dense_unique(rng: random.Random) -> str:
    kind = rng.randrange(6)
    if kind == 0:
        return f"revenue >= {rng.randrange(20, 200)}万"
    if kind == 1:
        return f"employees >= {rng.randrange(3, 20)}"
    if kind == 2:
        return f"tax_paid >= {rng.randrange(5, 80) * 1000}"
    if kind == 3:
        return f"age_years >= {rng.randrange(1, 5)}"
    if kind == 4:
        return f"total_assets >= {rng.randrange(30, 300)}万"
    return f"layoff_rate <= {rng.randrange(3, 15)}%"


def _predicate(rng: random.Random, dense: bool = False) -> str:
    if dense:
        return rng.choice(DENSE_SHARED) if rng.random() < 1 / 3 else _dense_unique(rng)
    return rng.choice(SHARED) if rng.random() < 1 / 3 else _unique(rng)


def _quoted(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _condition(rng: random.Random, lines: list[str], indent: str, dense: bool = False) -> None:
    text = _predicate(rng, dense)
    if rng.random() < 0.2:
        lines.append(f"{indent}- label: {rng.choice(LABELS)}{rng.randrange(100)}")
        lines.append(f"{indent}  when: {_quoted(text)}")
    else:
        lines.append(f"{indent}- {_quoted(text)}")


def _amount(rng: random.Random, lines: list[str]) -> None:
    kind = rng.random()
    if kind < 0.1:
        top = rng.choice((3000, 5000, 10000))
        lines.append("    amount:")
        lines.append("      tiers:")
        for share, value in ((1, 30), (5, 10), (25, 5)):
            lines.append(f"        - when: revenue >= {top // share}万")
            lines.append(f"          value: {value}万")
    elif kind < 0.55:
        lines.append(f"    amount: {rng.choice((1, 2, 3, 5, 10, 20, 50))}万")
    else:
        base = rng.choice(MONEY_BASES)
        lines.append(
            f"    amount: {base} * {rng.choice(('0.5', '1', '3', '5', '10', '30', '60'))}%"
        )
        lines.append(f"    cap: {rng.choice((5, 10, 20, 30, 50, 100))}万")


def policy_files(n_policies: int = 200, seed: int = 0, *, dense: bool = False) -> dict[str, str]:
    """The files of a generated policy set, by file name; ``dense``: the dense profile (an
    enterprise qualifies for 15 to 20 of 200 policies, with many near misses and unknowns)."""
    rng = random.Random(seed)
    common = "\n".join(
        [
            "version: 1",
            "define:",
            '  本地企业: region == "361126" and not credit_blacklisted',
            "funds:",
            "  - id: huiqi-pool",
            "    title: 弋阳县惠企政策资金池",
            "    budget: 2000万",
            "",
        ]
    )
    lines = [
        "version: 1",
        "defaults:",
        "  issuer: 县工信局",
        "  fund: huiqi-pool",
        "  effective: {from: 2023-01-01, to: 2025-12-31}",
        "policies:",
    ]
    for i in range(n_policies):
        lines.append(f"  - id: GEN-{i:04d}")
        lines.append(f"    title: 生成政策{i}")
        lines.append(f"    frequency: {rng.choice(('once', 'yearly'))}")
        lines.append("    eligibility:")
        lines.append("      all:")
        lines.append("        - 本地企业")
        n_conditions = rng.randint(4, 8) if dense else rng.randint(3, 8)
        has_any = rng.random() < 1 / 3
        for _ in range(n_conditions - 1 - has_any):
            _condition(rng, lines, "        ", dense)
        if has_any:
            lines.append("        - any:")
            for _ in range(rng.randint(2, 3)):
                _condition(rng, lines, "            ", dense)
        _amount(rng, lines)
    return {"common.yaml": common, "policies.yaml": "\n".join(lines) + "\n"}


def write_policy_set(
    folder: Path, n_policies: int = 200, seed: int = 0, *, dense: bool = False
) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in policy_files(n_policies, seed, dense=dense).items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


def generate_policy_set(n_policies: int = 200, seed: int = 0, *, dense: bool = False) -> PolicySet:
    """A compiled generated policy set (written to a temporary folder and compiled there)."""
    with tempfile.TemporaryDirectory(prefix="policygen-") as tmp:
        return compile_policy_set(write_policy_set(Path(tmp), n_policies, seed, dense=dense))
