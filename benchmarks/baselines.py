"""Baselines the batch core is measured against, in the same run.

* :class:`PandasMasks`: the plain way, one policy at a time, each condition a pandas boolean mask
  (the nullable ``boolean`` dtype gives Kleene logic), money as ``Int64`` fen; nothing is shared
  between policies.
* :class:`PolarsExpressions`: every policy as polars expressions, evaluated in one lazy query
  (polars parallelises it and eliminates common sub-expressions itself).

* :class:`PandasBoolMasks` and :class:`NumpyFloor` (issue 15 item 1): two-valued, grants only,
  float amounts in yuan computed on the eligible rows: pandas with plain ``bool`` masks, one
  policy at a time, and the hand-written numpy floor that evaluates each distinct condition
  once for the whole set.

The first two: same semantics as far as they go, on the shapes the generated policy sets use (comparisons of
numbers, dates and text with constants, ``in``, ``startswith``, tags, ``and``/``or``/``not``,
products with a rate, ``age_years``): eligibility in three-valued logic, grants with exact amounts
in fen (cap, then half-up), the unknown pairs, and the near misses with their failed condition
(one threshold short, within the margin: the margin test of ``backends/nearmiss.py`` is one
more condition for them too).
Simplified: an unknown pair is reported with every null field the policy reads (the batch core
blames the unknown leaves only). Both return the total number of grants, unknowns and near
misses, so a benchmark can check that they did the same work.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal
from typing import Any, cast

import numpy as np
import numpy.typing as npt
import pandas as pd
import polars as pl
from pandas.api.extensions import ExtensionDtype

from policymatch.backends.nearmiss import thresholds
from policymatch.backends.reference import finish_amount
from policymatch.backends.vectorized.exact import COMPARE, scaled
from policymatch.rules import ir
from policymatch.schema import SCALE, FieldType, Schema

_DIGITS = {t: len(str(s)) - 1 for t, s in SCALE.items()}
_EPOCH = dt.date(1970, 1, 1)


def _fen(value: Any, k: int, cap: Decimal | None) -> Any:
    """Scaled integers (``value / 10**k``) capped and rounded half-up to fen, vectorised.

    Works on pandas and polars integer columns alike (only ``+ - * //`` and comparisons).
    """
    if cap is not None:
        c, ck = scaled(cap)
        if ck > k:
            value, k = value * 10 ** (ck - k), ck
        limit = c * 10 ** (k - ck)
        value = (
            value.clip(upper_bound=limit) if isinstance(value, pl.Expr) else value.clip(upper=limit)
        )
    if k <= 2:
        return value * 10 ** (2 - k)
    d = 10 ** (k - 2)
    return (value + d // 2) // d  # amounts of the generated sets are never negative


class BaselineResult:
    def __init__(self, grants: pd.DataFrame, unknown: pd.DataFrame, near: pd.DataFrame) -> None:
        self.grants, self.unknown, self.near = grants, unknown, near


# --- pandas ---------------------------------------------------------------------------------


class PandasMasks:
    name = "pandas masks"

    def match(
        self, policies: Sequence[ir.Policy], frame: pd.DataFrame, as_of: dt.date, schema: Schema
    ) -> BaselineResult:
        self.frame, self.as_of, self.schema = frame, as_of, schema
        grants, unknown, near = [], [], []
        for policy in sorted(policies, key=lambda p: p.id):
            tops = ir.top_conditions(policy.eligibility)
            top_masks = [self.cond(t) for t in tops]
            elig = top_masks[0]
            for m in top_masks[1:]:
                elig = elig & m
            yes = elig.fillna(False).to_numpy(dtype=bool)
            rows = np.flatnonzero(yes)
            fen = self.amount(policy, yes)
            keep = fen > 0
            grants.append(
                pd.DataFrame({"row": rows[keep], "policy_id": policy.id, "amount_fen": fen[keep]})
            )
            unknown_rows = np.flatnonzero(elig.isna().to_numpy())
            read = sorted(ir.fields_of(policy.eligibility) - {"tags"})
            nulls = self.frame[read].iloc[unknown_rows].isna().to_numpy()
            fields = np.full(len(unknown_rows), "", dtype=object)
            for j, name in enumerate(read):
                fields = fields + np.where(nulls[:, j], name + ",", "")
            unknown.append(
                pd.DataFrame({"row": unknown_rows, "policy_id": policy.id, "fields": fields})
            )
            found = thresholds(policy)
            if found:
                false = np.column_stack(
                    [(~m).fillna(False).to_numpy(dtype=bool) for m in top_masks]
                )
                known = np.column_stack([m.notna().to_numpy() for m in top_masks]).all(axis=1)
                # The failed condition must be a threshold, with the value within its margin.
                close = np.zeros(len(self.frame), dtype=bool)
                for j, th in enumerate(found):
                    if th is not None:
                        within = self.cond(th.within).fillna(False).to_numpy(dtype=bool)
                        close |= false[:, j] & within
                is_near = (false.sum(axis=1) == 1) & known & close
                near_rows = np.flatnonzero(is_near)
                labels = _labels(tops)
                near.append(
                    pd.DataFrame(
                        {
                            "row": near_rows,
                            "policy_id": policy.id,
                            "condition": labels[false[near_rows].argmax(axis=1)],
                        }
                    )
                )
        return BaselineResult(pd.concat(grants), pd.concat(unknown), pd.concat(near))

    def amount(self, policy: ir.Policy, yes: np.ndarray) -> np.ndarray:
        out = np.zeros(int(yes.sum()), dtype=np.int64)
        if policy.amount.expr is not None:
            value, k = self.num(policy.amount.expr)
            if isinstance(value, pd.Series):
                return np.asarray(
                    _fen(value[yes], k, policy.cap).fillna(-1).to_numpy(dtype=np.int64)
                )
            return out + int(finish_amount(Decimal(value).scaleb(-k), policy.cap) * 100)
        chosen = np.zeros(len(yes), dtype=bool)
        full = np.zeros(len(yes), dtype=np.int64)
        for tier in policy.amount.tiers:
            hit = self.cond(tier.when).fillna(False).to_numpy(dtype=bool) & ~chosen
            value, k = self.num(tier.value)
            full[hit] = int(finish_amount(Decimal(value).scaleb(-k), policy.cap) * 100)
            chosen |= hit
        return full[yes]

    def num(self, expr: ir.Expr) -> tuple[Any, int]:
        match expr:
            case ir.Labeled(expr=e):
                return self.num(e)
            case ir.Const(value=Decimal() as v):
                return scaled(v)
            case ir.Call(func="years_between", args=(ir.Field(name="registered_on"), ir.AsOf())):
                reg = self.frame["registered_on"]
                years = self.as_of.year - reg.dt.year
                before = (reg.dt.month * 100 + reg.dt.day) > (
                    self.as_of.month * 100 + self.as_of.day
                )
                return (years - before.astype(int)).astype("Int64"), 0
            case ir.Field(name=name, ftype=ftype):
                return self.frame[name], _DIGITS[ftype]
            case ir.Arith(op="*", left=a, right=b):
                (va, ka), (vb, kb) = self.num(a), self.num(b)
                return va * vb, ka + kb
            case ir.Call(func="year", args=(ir.AsOf(),)):
                return self.as_of.year, 0
            case ir.Arith(op="-", left=a, right=b):
                (va, ka), (vb, kb) = self.num(a), self.num(b)
                assert ka == kb
                return va - vb, ka
        raise NotImplementedError(expr)

    def cond(self, expr: ir.Expr) -> pd.Series:
        frame = self.frame
        match expr:
            case ir.Labeled(expr=e):
                return self.cond(e)
            case ir.And(operands=ops):
                out = self.cond(ops[0])
                for o in ops[1:]:
                    out = out & self.cond(o)
                return out
            case ir.Or(operands=ops):
                out = self.cond(ops[0])
                for o in ops[1:]:
                    out = out | self.cond(o)
                return out
            case ir.Not(operand=o):
                return ~self.cond(o)
            case ir.Field(name=name, ftype=FieldType.BOOLEAN):
                return frame[name]
            case ir.HasTag(field=f, tag=tag, negated=neg):
                bit = 1 << self.schema[f.name].values.index(tag)
                has = pd.Series((frame[f.name].to_numpy() & bit) != 0, dtype="boolean")
                return ~has if neg else has
            case ir.StartsWith(subject=ir.Field(name=name), prefix=p):
                return frame[name].str.startswith(p).astype("boolean")
            case ir.InList(needle=ir.Field(name=name), items=items, negated=neg):
                col = frame[name]
                out = col.isin(items).astype("boolean").mask(col.isna())
                return ~out if neg else out
            case ir.Compare(op=op, left=a, right=b) if a.type is ir.T.TEXT:
                col = frame[a.name]  # type: ignore[attr-defined]
                out = (col == b.value).astype("boolean").mask(col.isna())  # type: ignore[attr-defined]
                return out if op == "==" else ~out
            case ir.Compare(op=op, left=a, right=b) if a.type is ir.T.DATE:
                col = frame[a.name]  # type: ignore[attr-defined]
                other = (
                    pd.Timestamp(b.value) if isinstance(b, ir.Const) else pd.Timestamp(self.as_of)
                )
                return _cmp(op, col, other).astype("boolean").mask(col.isna())
            case ir.Compare(op=op, left=a, right=b):
                (va, ka), (vb, kb) = self.num(a), self.num(b)
                k = max(ka, kb)
                return _cmp(op, va * 10 ** (k - ka), vb * 10 ** (k - kb)).astype("boolean")
        raise NotImplementedError(expr)


def _cmp(op: str, a: Any, b: Any) -> Any:
    return COMPARE[op](a, b)


# --- polars ---------------------------------------------------------------------------------


class PolarsExpressions:
    name = "polars expressions"

    def match(
        self, policies: Sequence[ir.Policy], frame: pd.DataFrame, as_of: dt.date, schema: Schema
    ) -> BaselineResult:
        self.as_of, self.schema = as_of, schema
        # Every field the policies read, amounts included (ir.registry_fields: age_years as
        # registered_on).
        read = sorted(ir.registry_fields(policies))
        df = pl.from_pandas(
            frame[[*read, *(["registered_on"] if "registered_on" not in read else [])]]
        )
        ordered = sorted(policies, key=lambda p: p.id)
        exprs: list[pl.Expr] = []
        for i, policy in enumerate(ordered):
            tops = ir.top_conditions(policy.eligibility)
            top_exprs = [self.cond(t) for t in tops]
            elig = pl.all_horizontal(top_exprs) if len(top_exprs) > 1 else top_exprs[0]
            # One Int8 per pair: 1 eligible, 0 not, -1 unknown; near misses as 2 + failed index.
            state = pl.when(elig).then(1).when(elig.not_()).then(0).otherwise(-1)
            found = thresholds(policy)
            if found:
                false = [t.not_().fill_null(False).cast(pl.Int8) for t in top_exprs]
                known = pl.all_horizontal([t.is_not_null() for t in top_exprs])
                which = pl.lit(0, dtype=pl.Int32)
                for j, t in enumerate(top_exprs):
                    which = pl.when(t.not_().fill_null(False)).then(j).otherwise(which)
                # The failed condition must be a threshold, with the value within its margin.
                close = pl.any_horizontal(
                    [
                        t.not_().fill_null(False) & self.cond(th.within).fill_null(False)
                        for t, th in zip(top_exprs, found, strict=True)
                        if th is not None
                    ]
                )
                state = (
                    pl.when((pl.sum_horizontal(false) == 1) & known & close)
                    .then(2 + which)
                    .otherwise(state)
                )
            exprs.append(state.cast(pl.Int8).alias(f"s{i}"))
            exprs.append(self.amount(policy).cast(pl.Int64).alias(f"a{i}"))
        out = df.lazy().select(exprs).collect()
        grants, unknown, near = [], [], []
        for i, policy in enumerate(ordered):
            state = out[f"s{i}"].to_numpy()
            rows = np.flatnonzero(state == 1)
            fen = out[f"a{i}"].to_numpy()[rows]
            keep = fen > 0
            grants.append(
                pd.DataFrame({"row": rows[keep], "policy_id": policy.id, "amount_fen": fen[keep]})
            )
            unknown.append(
                pd.DataFrame({"row": np.flatnonzero(state == -1), "policy_id": policy.id})
            )
            near_rows = np.flatnonzero(state >= 2)
            if near_rows.size:
                tops = ir.top_conditions(policy.eligibility)
                labels = _labels(tops)
                near.append(
                    pd.DataFrame(
                        {
                            "row": near_rows,
                            "policy_id": policy.id,
                            "condition": labels[state[near_rows] - 2],
                        }
                    )
                )
        return BaselineResult(pd.concat(grants), pd.concat(unknown), pd.concat(near))

    def amount(self, policy: ir.Policy) -> pl.Expr:
        if policy.amount.expr is not None:
            value, k = self.num(policy.amount.expr)
            if isinstance(value, pl.Expr):
                return _fen(value, k, policy.cap)
            return pl.lit(int(finish_amount(Decimal(value).scaleb(-k), policy.cap) * 100))
        out = pl.lit(0, dtype=pl.Int64)
        for tier in reversed(policy.amount.tiers):
            value, k = self.num(tier.value)
            fen = int(finish_amount(Decimal(value).scaleb(-k), policy.cap) * 100)
            out = pl.when(self.cond(tier.when).fill_null(False)).then(fen).otherwise(out)
        return out

    def num(self, expr: ir.Expr) -> tuple[Any, int]:
        match expr:
            case ir.Labeled(expr=e):
                return self.num(e)
            case ir.Const(value=Decimal() as v):
                return scaled(v)
            case ir.Call(func="years_between", args=(ir.Field(name="registered_on"), ir.AsOf())):
                reg = pl.col("registered_on")
                before = (reg.dt.month().cast(pl.Int32) * 100 + reg.dt.day()) > (
                    self.as_of.month * 100 + self.as_of.day
                )
                return (self.as_of.year - reg.dt.year() - before.cast(pl.Int32)).cast(pl.Int64), 0
            case ir.Field(name=name, ftype=ftype):
                return pl.col(name), _DIGITS[ftype]
            case ir.Arith(op="*", left=a, right=b):
                (va, ka), (vb, kb) = self.num(a), self.num(b)
                return va * vb, ka + kb
            case ir.Call(func="year", args=(ir.AsOf(),)):
                return self.as_of.year, 0
            case ir.Arith(op="-", left=a, right=b):
                (va, ka), (vb, kb) = self.num(a), self.num(b)
                return va - vb, ka
        raise NotImplementedError(expr)

    def cond(self, expr: ir.Expr) -> pl.Expr:
        match expr:
            case ir.Labeled(expr=e):
                return self.cond(e)
            case ir.And(operands=ops):
                return pl.all_horizontal([self.cond(o) for o in ops])
            case ir.Or(operands=ops):
                return pl.any_horizontal([self.cond(o) for o in ops])
            case ir.Not(operand=o):
                return self.cond(o).not_()
            case ir.Field(name=name, ftype=FieldType.BOOLEAN):
                return pl.col(name)
            case ir.HasTag(field=f, tag=tag, negated=neg):
                bit = 1 << self.schema[f.name].values.index(tag)
                has = (pl.col(f.name) & bit) != 0
                return has.not_() if neg else has
            case ir.StartsWith(subject=ir.Field(name=name), prefix=p):
                return pl.col(name).str.starts_with(p)
            case ir.InList(needle=ir.Field(name=name), items=items, negated=neg):
                out = (
                    pl.when(pl.col(name).is_null())
                    .then(None)
                    .otherwise(pl.col(name).is_in(list(items)))
                )
                return out.not_() if neg else out
            case ir.Compare(op=op, left=a, right=b) if a.type is ir.T.TEXT:
                out = pl.col(a.name) == b.value  # type: ignore[attr-defined]
                return out if op == "==" else out.not_()
            case ir.Compare(op=op, left=a, right=b) if a.type is ir.T.DATE:
                other = b.value if isinstance(b, ir.Const) else self.as_of
                return _cmp(op, pl.col(a.name), pl.lit(other))  # type: ignore[attr-defined]
            case ir.Compare(op=op, left=a, right=b):
                (va, ka), (vb, kb) = self.num(a), self.num(b)
                k = max(ka, kb)
                return _cmp(
                    op,
                    va * 10 ** (k - ka),
                    vb * 10 ** (k - kb) if isinstance(vb, pl.Expr) else pl.lit(vb * 10 ** (k - kb)),
                )
        raise NotImplementedError(expr)


# --- two-valued baselines (issue 15 item 1) -----------------------------------------------------


class _TwoValued:
    """Eligibility as plain bool masks, nulls as false; float64 amounts in yuan.

    A leaf whose value is null is false in both polarities: ``not`` is pushed down to the
    leaves (``not (a and b)`` is ``not a or not b``), so ``not credit_blacklisted`` is false, not
    true, for a null flag. That costs nothing over the naive two-valued rule and makes the
    eligible set exactly the three-valued one's (the naive rule would grant on unknowns).
    Grants are the rows where the eligibility holds and the amount is > 0 (a null amount is NaN,
    never granted); only the grants are produced: no unknown pairs, no near misses.
    """

    name = ""

    def match(
        self, policies: Sequence[ir.Policy], frame: pd.DataFrame, as_of: dt.date, schema: Schema
    ) -> pd.DataFrame:
        """The grants as ``row``, ``policy_id``, ``amount`` (float yuan, rounded to the fen)."""
        self.as_of, self.schema = as_of, schema
        read = sorted(ir.registry_fields(policies) | {"registered_on"})
        self.prepare({name: frame[name] for name in read})
        ordered = sorted(policies, key=lambda p: p.id)
        rows, codes, amounts = [], [], []
        for i, policy in enumerate(ordered):
            eligible = np.flatnonzero(np.asarray(self.holds(policy.eligibility, True)))
            yuan = self.amount(policy, eligible)
            granted = yuan > 0  # a null amount is NaN: never granted
            rows.append(eligible[granted])
            codes.append(np.full(int(granted.sum()), i))
            amounts.append(np.floor(yuan[granted] * 100 + 0.5) / 100)
        policy_id = pd.Categorical.from_codes(np.concatenate(codes), [p.id for p in ordered])
        return pd.DataFrame(
            {"row": np.concatenate(rows), "policy_id": policy_id, "amount": np.concatenate(amounts)}
        )

    def prepare(self, columns: dict[str, pd.Series]) -> None:
        """The columns the policies read, each converted once."""
        raise NotImplementedError

    def leaf(self, expr: ir.Expr) -> tuple[Any, Any]:
        """A leaf condition's value (a bool mask, anything where null) and where it is known."""
        raise NotImplementedError

    def num(self, expr: ir.Expr) -> Any:
        """A number in yuan (or its own unit) as float64, NaN where null; or a float."""
        match expr:
            case ir.Labeled(expr=e):
                return self.num(e)
            case ir.Const(value=Decimal() as v):
                return float(v)
            case ir.Call(func="years_between", args=(ir.Field(name="registered_on"), ir.AsOf())):
                return self.age()
            case ir.Field(name=name, ftype=ftype):
                return self.column(name) / SCALE[ftype]
            case ir.Arith(op="*", left=a, right=b):
                return self.num(a) * self.num(b)
            case ir.Arith(op="-", left=a, right=b):
                return self.num(a) - self.num(b)
            case ir.Call(func="year", args=(ir.AsOf(),)):
                return float(self.as_of.year)
        raise NotImplementedError(expr)

    def column(self, name: str) -> Any:
        """A number field's column as :meth:`prepare` converted it (in its stored unit)."""
        raise NotImplementedError

    def age(self) -> Any:
        """``years_between(registered_on, as_of)``: whole years, NaN where the date is null."""
        raise NotImplementedError

    def holds(self, expr: ir.Expr, want: bool) -> Any:
        """Where ``expr`` is known to be ``want``."""
        match expr:
            case ir.Labeled(expr=e):
                return self.holds(e, want)
            case ir.Not(operand=o):
                return self.holds(o, not want)
            case ir.And(operands=ops) | ir.Or(operands=ops):
                # ``and`` holds where every operand holds, fails where any fails; ``or`` dually.
                every = isinstance(expr, ir.And) == want
                out = self.holds(ops[0], want)
                for o in ops[1:]:
                    out = (out & self.holds(o, want)) if every else (out | self.holds(o, want))
                return out
        value, known = self.leaf(expr)
        return (value & known) if want else (~value & known)

    def amount(self, policy: ir.Policy, rows: npt.NDArray[np.intp]) -> npt.NDArray[np.float64]:
        """The amounts of the eligible ``rows`` (float yuan, capped, NaN where unknown)."""
        cap = float(policy.cap) if policy.cap is not None else np.inf
        if policy.amount.expr is not None:
            value = np.asarray(self.num(policy.amount.expr), dtype=np.float64)
            return np.minimum(value[rows] if value.ndim else np.full(rows.size, value), cap)
        out = np.zeros(rows.size)
        chosen = np.zeros(rows.size, dtype=np.bool_)
        for tier in policy.amount.tiers:
            hit = np.asarray(self.holds(tier.when, True))[rows] & ~chosen
            out[hit] = min(float(self.num(tier.value)), cap)
            chosen |= hit
        return out


class PandasBoolMasks(_TwoValued):
    """The simplest fast pandas: numpy-backed columns (float64 with NaN, object text,
    ``datetime64``), one policy at a time, each condition a pandas ``bool`` mask, nothing shared
    between policies."""

    name = "pandas bool masks (nulls as false)"

    def prepare(self, columns: dict[str, pd.Series]) -> None:
        self.frame = pd.DataFrame(
            {
                # Int64 and boolean (extension dtypes) as float64 with NaN for null.
                name: col.astype("float64") if isinstance(col.dtype, ExtensionDtype) else col
                for name, col in columns.items()
            }
        )
        self.known = {name: col.notna().to_numpy() for name, col in self.frame.items()}

    def leaf(self, expr: ir.Expr) -> tuple[Any, Any]:
        """Compared in pandas, combined as numpy ``bool`` arrays (no index alignment)."""
        value, known = self._leaf(expr)
        return np.asarray(value, dtype=bool), known

    def _leaf(self, expr: ir.Expr) -> tuple[Any, Any]:
        frame, known = self.frame, self.known
        match expr:
            case ir.Field(name=name, ftype=FieldType.BOOLEAN):
                return frame[name] == 1.0, known[name]
            case ir.HasTag(field=f, tag=tag, negated=neg):
                bit = 1 << self.schema[f.name].values.index(tag)
                return ((frame[f.name] & bit) != 0) ^ neg, True
            case ir.StartsWith(subject=ir.Field(name=name), prefix=p):
                return frame[name].str.startswith(p, na=False), known[name]
            case ir.InList(needle=ir.Field(name=name), items=items, negated=neg):
                return frame[name].isin(items) ^ neg, known[name]
            case ir.Compare(op=op, left=ir.Field(name=name), right=b) if expr.left.type in (
                ir.T.TEXT,
                ir.T.DATE,
            ):
                other = b.value if isinstance(b, ir.Const) else self.as_of
                if expr.left.type is ir.T.DATE:
                    other = pd.Timestamp(other)
                return _cmp(op, frame[name], other), known[name]
            case ir.Compare(op=op, left=a, right=b):
                va, vb = self.num(a), self.num(b)
                return _cmp(op, va, vb), np.asarray(pd.notna(va) & pd.notna(vb))
        raise NotImplementedError(expr)

    def column(self, name: str) -> Any:
        return self.frame[name]

    def age(self) -> Any:
        reg = self.frame["registered_on"]
        before = (reg.dt.month * 100 + reg.dt.day) > self.as_of.month * 100 + self.as_of.day
        return self.as_of.year - reg.dt.year - before


class NumpyFloor(_TwoValued):
    """The floor that does the least work: every column once to a numpy array (text as codes
    into its distinct values), each distinct condition (a leaf, a define, a group) evaluated
    once per polarity for the whole set and shared between the policies that use it, float
    amounts on the eligible rows only."""

    name = "numpy two-valued floor"

    def prepare(self, columns: dict[str, pd.Series]) -> None:
        self.cols: dict[str, Any] = {}
        self.known: dict[str, npt.NDArray[np.bool_]] = {}
        self.held: dict[tuple[int, bool], Any] = {}
        for name, col in columns.items():
            if col.dtype.kind == "M":
                values = col.to_numpy()
                self.cols[name], self.known[name] = values, ~np.isnat(values)
            elif col.dtype == object:
                codes, uniques = pd.factorize(col)  # null as code -1
                self.cols[name] = (codes, np.asarray(uniques, dtype=object))
                self.known[name] = codes >= 0
            else:
                values = col.to_numpy(dtype=np.float64, na_value=np.nan)
                self.cols[name], self.known[name] = values, ~np.isnan(values)
        self.leaves: dict[ir.Expr, tuple[Any, Any]] = {}
        self.nums: dict[ir.Expr, Any] = {}

    def holds(self, expr: ir.Expr, want: bool) -> Any:
        """Each condition once per polarity: a define is one object wherever it is used (equal
        leaves written apart are shared by :meth:`leaf`); by identity, since hashing a frozen
        tree walks all of it."""
        key = (id(expr), want)
        found = self.held.get(key)
        if found is None:
            found = self.held[key] = super().holds(expr, want)
        return found

    def leaf(self, expr: ir.Expr) -> tuple[Any, Any]:
        if expr not in self.leaves:
            self.leaves[expr] = self._leaf(expr)
        return self.leaves[expr]

    def _leaf(self, expr: ir.Expr) -> tuple[Any, Any]:
        match expr:
            case ir.Field(name=name, ftype=FieldType.BOOLEAN):
                return self.cols[name] == 1.0, self.known[name]
            case ir.HasTag(field=f, tag=tag, negated=neg):
                bit = 1 << self.schema[f.name].values.index(tag)
                return ((self.cols[f.name].astype(np.int64) & bit) != 0) ^ neg, True
            case ir.StartsWith(subject=ir.Field(name=name), prefix=p):
                codes, uniques = self.cols[name]
                table = np.array([u.startswith(p) for u in uniques] + [False])
                return table[codes], self.known[name]
            case ir.InList(needle=ir.Field(name=name), items=items, negated=neg):
                codes, uniques = self.cols[name]
                table = np.append(np.isin(uniques, np.array(items, dtype=object)), False)
                return table[codes] ^ neg, self.known[name]
            case ir.Compare(op=op, left=ir.Field(name=name), right=b) if (
                expr.left.type is ir.T.TEXT
            ):
                codes, uniques = self.cols[name]
                table = np.append(uniques == b.value, False)  # type: ignore[attr-defined]
                return _cmp(op, table[codes], True), self.known[name]
            case ir.Compare(op=op, left=ir.Field(name=name), right=b) if (
                expr.left.type is ir.T.DATE
            ):
                other = b.value if isinstance(b, ir.Const) else self.as_of
                return _cmp(
                    op, self.cols[name], np.datetime64(cast(dt.date, other), "ns")
                ), self.known[name]
            case ir.Compare(op=op, left=a, right=b):
                va, vb = self.num(a), self.num(b)
                return _cmp(op, va, vb), ~np.isnan(va) & ~np.isnan(vb)
        raise NotImplementedError(expr)

    def num(self, expr: ir.Expr) -> Any:
        if expr not in self.nums:
            self.nums[expr] = super().num(expr)
        return self.nums[expr]

    def column(self, name: str) -> Any:
        return self.cols[name]

    def age(self) -> Any:
        day = self.cols["registered_on"].astype("datetime64[D]")
        month = day.astype("datetime64[M]")
        years = day.astype("datetime64[Y]").astype(np.int64) + 1970
        before = ((month.astype(np.int64) % 12 + 1) * 100 + (day - month).astype(np.int64) + 1) > (
            self.as_of.month * 100 + self.as_of.day
        )
        age = (self.as_of.year - years - before).astype(np.float64)
        return np.where(self.known["registered_on"], age, np.nan)


def _labels(tops: Sequence[ir.Expr]) -> npt.NDArray[np.str_]:
    """The labels of top-level conditions, to name a near miss's failed one."""
    return np.array([t.label if isinstance(t, ir.Labeled) else "(condition)" for t in tops])
