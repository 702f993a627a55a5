"""Warnings about a policy set that compiles but would pay the wrong money without a word.

Each check returns :class:`Finding`\\ s (policy, where in it, code, message, hint); the compiler
places them in the file. They are warnings (``policymatch check`` prints them and succeeds)
unless ``--strict`` makes them errors:

- PM350 a ``once`` policy whose tiers tell a first award from a repeat one (首次/再次): the
  enterprise paid the first award is never paid the repeat one.
- PM351 two policies that can both hold for an enterprise with the same qualification (tag),
  amounts of the same kind and no stacking group between them: both are paid.
- PM352 an eligibility that can never hold (its tests contradict each other).
- PM353 an eligibility no registry record can satisfy given the fields' value ranges (money
  and head counts are never negative, a rate is 0..100%, an enum holds one of its values).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from ..schema import Schema
from . import ir
from .regions import Region, Shape, ValueSet, domain, meet, shape

PathKey = tuple[str | int, ...]

#: Words that mark an award for a second or renewed qualification.
_REPEAT = re.compile(r"再次|重新认定|复审|复核|第二次|续期|再认定|repeat|renew|recert", re.I)


@dataclass(frozen=True)
class Finding:
    policy: ir.Policy
    path: PathKey
    code: str
    message: str
    hint: str
    #: Point at the key (``eligibility:``) rather than at a value that spans many lines.
    at_key: bool = False


def findings(policies: Sequence[ir.Policy], schema: Schema) -> list[Finding]:
    out: list[Finding] = []
    shapes = [shape(p.eligibility) for p in policies]
    # What a registry can hold, per field: worked out once for every field the policies test.
    bounds = domain(schema, {key for s in shapes for key in s.region})
    for p, mine in zip(policies, shapes, strict=True):
        out.extend(_once_repeat(p, schema))
        out.extend(_never_holds(p, mine, bounds, schema))
    out.extend(_overlaps(policies, shapes))
    return out


def _words(expr: ir.Expr, schema: Schema) -> str:
    """The names a condition is known by where it holds: its labels, the boolean fields and
    tags it requires true, and the values it requires (a negated test names what is not)."""
    labels = [n.label for n in ir.walk(expr) if isinstance(n, ir.Labeled)]
    required: list[str] = []
    for key, c in shape(expr).region.items():
        if not isinstance(c, ValueSet) or c.only is None:
            continue
        name = key.split(":", 1)[0]
        if c.only == frozenset((True,)):
            required.append(key.split(":", 1)[1] if ":" in key else name)
            if name in schema and ":" not in key:
                required.append(schema[name].display)
        else:
            required.extend(str(v) for v in c.only)
    return " ".join([*labels, *required])


def _once_repeat(p: ir.Policy, schema: Schema) -> Iterator[Finding]:
    if p.frequency is not ir.Frequency.ONCE:
        return
    for i, tier in enumerate(p.amount.tiers):
        found = _REPEAT.search(_words(tier.when, schema))
        if found:
            yield Finding(
                p,
                ("amount", "tiers", i, "when"),
                "PM350",
                f"policy '{p.id}' is paid once, but tier {i + 1} is a repeat award "
                f"('{found[0]}'): an enterprise paid the first award is never paid it",
                "make the repeat award a policy of its own, or write 'frequency: yearly' and "
                "a condition on the year of the qualification",
            )
            return


def _never_holds(p: ir.Policy, mine: Shape, bounds: Region, schema: Schema) -> Iterator[Finding]:
    if mine.empty:
        yield Finding(
            p,
            ("eligibility",),
            "PM352",
            f"the eligibility of policy '{p.id}' can never hold: its tests contradict each other",
            "check the numbers, values and 'not's of its conditions",
            at_key=True,
        )
        return
    limited = meet(mine.region, {k: bounds[k] for k in mine.region if k in bounds})
    empty = [k for k, c in limited.items() if c.empty]
    if empty:
        names = "、".join(schema[k].display if k in schema else k for k in empty)
        yield Finding(
            p,
            ("eligibility",),
            "PM353",
            f"no enterprise can satisfy the eligibility of policy '{p.id}': "
            f"no value of {names} a registry can hold passes its tests",
            "money and head counts are never negative, a rate is between 0 and 100%, and "
            "an enum field holds only its listed values: correct the number or the value",
            at_key=True,
        )


def _tags_required(s: Shape) -> set[str]:
    return {
        key
        for key, c in s.region.items()
        if ":" in key and isinstance(c, ValueSet) and c.only == frozenset((True,))
    }


def _amount_kind(p: ir.Policy) -> frozenset[str]:
    """The fields an amount is computed from: none for a fixed award."""
    values = (
        (p.amount.expr,) if p.amount.expr is not None else tuple(t.value for t in p.amount.tiers)
    )
    return frozenset(name for e in values for name in ir.fields_of(e))


def _periods_meet(a: ir.Policy, b: ir.Policy) -> bool:
    return (
        a.effective_to is None or b.effective_from is None or b.effective_from <= a.effective_to
    ) and (b.effective_to is None or a.effective_from is None or a.effective_from <= b.effective_to)


def _overlaps(policies: Sequence[ir.Policy], shapes: Sequence[Shape]) -> Iterator[Finding]:
    tags = [_tags_required(s) for s in shapes]
    kinds = [_amount_kind(p) for p in policies]
    # Only pairs that share a required tag can overlap: look those up rather than try all
    # n² pairs (200 policies are 19,900 pairs).
    holders: dict[str, list[int]] = {}
    for j, q in enumerate(policies):
        earlier = sorted({i for tag in tags[j] for i in holders.get(tag, ())})
        for tag in tags[j]:
            holders.setdefault(tag, []).append(j)
        for i in earlier:
            p = policies[i]
            if p.stacking_group is not None and p.stacking_group == q.stacking_group:
                continue
            common = sorted(tags[i] & tags[j])
            if kinds[i] != kinds[j] or not _periods_meet(p, q):
                continue
            both = meet(shapes[i].region, shapes[j].region)
            if any(c.empty for c in both.values()):
                continue
            tag = common[0].split(":", 1)[1]
            group = p.stacking_group or q.stacking_group or f"{tag}奖励"
            yield Finding(
                q,
                ("id",),
                "PM351",
                f"policies '{p.id}' and '{q.id}' both reward '{tag}' with amounts of the "
                "same kind and no stacking group between them: an enterprise qualifying "
                "for both is paid both",
                f"if they must not be paid together, give both 'stacking_group: {group}' "
                "(the larger amount is paid); if both are meant, ignore this warning",
                at_key=True,
            )
