"""A policy folder -> a checked :class:`PolicySet`, or every error of the set at once.

The pipeline per file: bytes -> text (UTF-8 only) -> YAML with a source map -> top-level keys ->
schema extensions and defines (one namespace across files) -> funds -> policies (pydantic for
the structured keys, the expression checker for conditions and amounts) -> examples. Nothing
stops at the first error: each part that can be checked is checked, and all diagnostics are
raised together in a :class:`~policymatch.errors.PolicyError`.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal
from functools import cached_property, partial
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from ..collector import collector_paused
from ..errors import Diagnostic, DiagnosticBag, PolicyError, simple, sorted_diagnostics, suggest
from ..schema import STANDARD_SCHEMA, FieldType, Schema, SchemaError
from ..values import parse_value
from . import ir
from . import syntax as s
from .check import Checker, CheckError, CheckErrors, PoisonedDefine
from .lint import findings
from .loader import LoadFailure, PathKey, SourceFile, load_yaml, read_text
from .model import (
    CONDITION_KEYS,
    FILE_KEYS,
    DefaultsModel,
    ExampleModel,
    FieldExtensionModel,
    FundModel,
    PolicyModel,
    SchemaExtensionModel,
)
from .parser import ExprSyntaxError, parse
from .tiers import unreachable_tiers


@dataclass(frozen=True)
class PolicySet:
    """A compiled, checked policy set: what every backend and command works from."""

    policies: tuple[ir.Policy, ...]
    funds: dict[str, ir.Fund]
    schema: Schema
    sources: tuple[tuple[str, str], ...]
    digest: str
    #: Finds :attr:`warnings`, the first time they are read: only ``check`` and ``test`` show
    #: them, and a run that compiles the set only to match does not pay for them.
    find_warnings: Callable[[], tuple[Diagnostic, ...]] = field(
        default=tuple, repr=False, compare=False
    )

    @cached_property
    def warnings(self) -> tuple[Diagnostic, ...]:
        """Problems that do not stop the set from compiling (PM35x); ``--strict`` makes them
        errors."""
        return self.find_warnings()

    def policy(self, policy_id: str) -> ir.Policy:
        for p in self.policies:
            if p.id == policy_id:
                return p
        raise KeyError(policy_id)

    def in_force(self, as_of: dt.date) -> tuple[ir.Policy, ...]:
        return tuple(p for p in self.policies if p.in_force(as_of))


@dataclass
class _File:
    src: SourceFile
    data: dict[str, Any]


@dataclass
class _Define:
    name: str
    src: SourceFile
    path: PathKey
    raw: Any
    state: str = "new"  # new | busy | done | failed
    expr: ir.Expr | None = None


@dataclass
class _Compiler:
    bag: DiagnosticBag = field(default_factory=DiagnosticBag)
    schema: Schema = STANDARD_SCHEMA
    defines: dict[str, _Define] = field(default_factory=dict)
    define_stack: list[str] = field(default_factory=list)
    #: Names and aliases of schema fields whose declaration failed (already reported): their
    #: uses are not reported again as unknown names.
    poisoned: set[str] = field(default_factory=set)
    #: Where each compiled policy is written (file and path), to place the warnings about it.
    placed: dict[str, tuple[str, PathKey]] = field(default_factory=dict)
    #: What each (text, kind) of expression came to: a predicate shared by many policies is
    #: parsed and checked once. Sound because the schema and the define names are complete
    #: before the first expression is compiled, and a define, once resolved (or failed),
    #: always gives the same answer.
    outcomes: dict[tuple[str, str], ir.Expr | Exception] = field(default_factory=dict)
    #: The labelled condition of each text written as a condition: one object for all the
    #: policies that write it, so that the batch core interns it once.
    leaves: dict[str, ir.Labeled] = field(default_factory=dict)
    made_checker: Checker | None = None

    # --- reporting ---------------------------------------------------------------------------

    def error(
        self,
        src: SourceFile,
        code: str,
        message: str,
        path: PathKey,
        *,
        key: bool = False,
        hint: str | None = None,
    ) -> None:
        if any(path[: len(done)] == done for done in src.reported):
            return
        pos = src.key_pos(path) if key else src.value_pos(path)
        self.bag.add(src.diag(code, message, pos, hint))

    def unknown_key(
        self,
        src: SourceFile,
        path: PathKey,
        allowed: Sequence[str],
        where: str,
        hint: str | None = None,
    ) -> None:
        """PM101 for the key at the end of ``path``, with the closest allowed key if any."""
        key = str(path[-1])
        best = suggest(key, allowed)
        self.error(
            src,
            "PM101",
            f"unknown key '{key}' {where}" + (f" (did you mean '{best}'?)" if best else ""),
            path,
            key=True,
            hint=hint,
        )

    # --- expressions -------------------------------------------------------------------------

    @property
    def checker(self) -> Checker:
        """The checker of the schema and defines as they stand (one for all the expressions of
        a set: both are complete before the first expression is compiled)."""
        found = self.made_checker
        if (
            found is None
            or found.schema is not self.schema
            or found.define_names != tuple(self.defines)
        ):
            found = self.made_checker = Checker(
                self.schema, self.resolve_define, tuple(self.defines)
            )
        return found

    def expr_text(self, src: SourceFile, path: PathKey, raw: Any) -> str | None:
        if isinstance(raw, bool):
            return "true" if raw else "false"
        if isinstance(raw, (int, Decimal)):
            return str(raw)
        if isinstance(raw, str):
            return raw
        kind = (
            "a list" if isinstance(raw, list) else "a mapping" if isinstance(raw, dict) else "empty"
        )
        self.error(
            src, "PM103", f"expected an expression, found {kind}", path, hint=_EXPRESSION_HINT
        )
        return None

    def expression(self, src: SourceFile, path: PathKey, raw: Any, kind: str) -> ir.Expr | None:
        """Compile the expression at ``path``; ``kind`` is condition, number or any."""
        text = self.expr_text(src, path, raw)
        return None if text is None else self.compiled(src, path, text, kind)

    def compiled(self, src: SourceFile, path: PathKey, text: str, kind: str) -> ir.Expr | None:
        """The expression ``text`` written at ``path``, or None once its errors are reported."""
        outcome = self.outcomes.get((text, kind))
        if outcome is None:
            outcome = self.outcomes[text, kind] = self.compile_text(text, kind)
        if isinstance(outcome, ir.Expr):
            return outcome
        if isinstance(outcome, ExprSyntaxError):
            pos = src.expr_pos(path, outcome.start, outcome.end - outcome.start)
            hint = outcome.hint or (
                'an expression is made of fields, numbers, "texts", comparisons, and/or/not '
                "and functions such as min(a, b)"
            )
            self.bag.add(src.diag("PM206", f"syntax error: {outcome.message}", pos, hint))
        elif isinstance(outcome, (CheckError, CheckErrors)):
            for err in outcome.errors if isinstance(outcome, CheckErrors) else [outcome]:
                pos = src.expr_pos(path, err.start, err.end - err.start)
                self.bag.add(src.diag(err.code, err.message, pos, err.hint))
        return None

    def compile_text(self, text: str, kind: str) -> ir.Expr | Exception:
        """The IR of an expression text, or the exception that says why there is none."""
        try:
            node = parse(text)
            checker = self.checker
            if kind == "condition":
                return checker.condition(node)
            if kind == "number":
                return checker.number(node)
            return checker.check(node)
        except (ExprSyntaxError, CheckError, CheckErrors, PoisonedDefine) as exc:
            return exc

    def poison_field(self, name: str, spec: Any) -> None:
        self.poisoned.add(name)
        if isinstance(spec, dict):
            names = [spec.get("label"), *(spec.get("aliases") or [])]
            self.poisoned.update(n for n in names if isinstance(n, str))

    def resolve_define(self, name: str) -> ir.Expr | None:
        if name in self.poisoned:
            raise PoisonedDefine(name)
        entry = self.defines.get(name)
        if entry is None:
            return None
        if entry.state == "done":
            return entry.expr
        if entry.state == "failed":
            raise PoisonedDefine(name)
        if entry.state == "busy":
            cycle = [*self.define_stack[self.define_stack.index(name) :], name]
            for member in set(cycle[:-1]):
                self.defines[member].state = "failed"
            self.error(
                entry.src,
                "PM301",
                f"define '{name}' refers to itself: {' → '.join(cycle)}",
                entry.path,
                key=True,
                hint="a define may use other defines, but not in a circle",
            )
            raise PoisonedDefine(name)
        entry.state = "busy"
        self.define_stack.append(name)
        try:
            expr = self.expression(entry.src, entry.path, entry.raw, "any")
        finally:
            self.define_stack.pop()
        if entry.state == "failed" or expr is None:
            entry.state = "failed"
            raise PoisonedDefine(name)
        entry.state, entry.expr = "done", expr
        return expr

    def condition(self, src: SourceFile, path: PathKey, raw: Any) -> ir.Expr | None:
        """A condition tree: expression, all/any/not, or label+when; leaves are labelled."""
        if isinstance(raw, dict):
            keys = set(raw)
            unknown = keys - set(CONDITION_KEYS)
            for key in sorted(unknown):
                self.unknown_key(
                    src,
                    (*path, key),
                    CONDITION_KEYS,
                    "in a condition",
                    hint="a condition is an expression, {all: [...]}, {any: [...]}, {not: ...} or {label: ..., when: ...}",
                )
            if unknown:
                return None
            if keys == {"label", "when"}:
                inner = self.condition(src, (*path, "when"), raw["when"])
                label = raw["label"]
                if not isinstance(label, str) or not label.strip():
                    self.error(
                        src,
                        "PM103",
                        "a label must be a text",
                        (*path, "label"),
                        hint="write {label: 名称, when: 条件}",
                    )
                    return None
                if inner is None:
                    return None
                # The label names the whole condition; inner leaves keep their own names.
                return ir.Labeled(label.strip(), _strip_label(inner))
            if len(keys) != 1 or keys & {"label", "when"}:
                self.error(
                    src,
                    "PM102" if keys <= {"label", "when"} else "PM103",
                    "'label' and 'when' go together"
                    if keys <= {"label", "when"}
                    else "a condition has exactly one of all, any, not",
                    path,
                    hint="write {label: 名称, when: 条件}"
                    if keys <= {"label", "when"}
                    else "nest them: all: [{any: [...]}, ...]",
                )
                return None
            (key,) = keys
            if key == "not":
                inner = self.condition(src, (*path, "not"), raw["not"])
                return None if inner is None else ir.Not(inner)
            items = raw[key]
            if not isinstance(items, list) or not items:
                self.error(
                    src,
                    "PM103",
                    f"'{key}' takes a non-empty list of conditions",
                    (*path, key),
                    hint="write all: [...] or any: [...]",
                )
                return None
            parts = [self.condition(src, (*path, key, i), item) for i, item in enumerate(items)]
            if any(p is None for p in parts):
                return None
            done = [p for p in parts if p is not None]
            if len(done) == 1:
                return done[0]
            return ir.And(tuple(done)) if key == "all" else ir.Or(tuple(done))
        if isinstance(raw, list):
            self.error(
                src,
                "PM103",
                "a list of conditions must stand under 'all:' or 'any:'",
                path,
                hint="write all: [...] or any: [...]",
            )
            return None
        text = self.expr_text(src, path, raw)
        if text is None:
            return None
        leaf = self.leaves.get(text)
        if leaf is None:
            expr = self.compiled(src, path, text, "condition")
            if expr is None:
                return None
            leaf = self.leaves[text] = ir.Labeled(text.strip(), expr)
        return leaf

    def constant_amount(
        self, src: SourceFile, path: PathKey, raw: Any, what: str
    ) -> Decimal | None:
        expr = self.expression(src, path, raw, "number")
        if expr is None:
            return None
        if not (isinstance(expr, ir.Const) and isinstance(expr.value, Decimal)):
            self.error(
                src,
                "PM204",
                f"{what} must be a fixed amount such as 50万",
                path,
                hint="write a number, e.g. 5万",
            )
            return None
        if expr.value < 0:
            self.error(
                src, "PM103", f"{what} cannot be negative", path, hint="write a number, e.g. 5万"
            )
            return None
        return expr.value


#: What to write for a missing key (PM102 hints).
_KEY_EXAMPLES = {
    "id": "YY-KJ-2024-01",
    "title": "政策名称",
    "fund": "huiqi-pool",
    "eligibility": "条件, e.g. employees >= 10",
    "amount": "金额, e.g. 5万",
    "name": "示例名称",
    "as_of": "2024-03-01",
    "enterprise": "{employees: 10}",
    "eligible": "true, false or unknown",
    "fields": "{字段名: {type: ...}}",
}
#: A value of each registry type (PM103 hints on an example's enterprise).
_VALUE_EXAMPLES = {
    FieldType.CODE: '"361126"',
    FieldType.STRING: "某某有限公司",
    FieldType.INTEGER: "50",
    FieldType.MONEY: "100万 or 1000000.00",
    FieldType.RATE: "5% or 0.05",
    FieldType.DATE: "2023-01-01",
    FieldType.BOOLEAN: "true or false",
    FieldType.ENUM: "one of the field's values",
    FieldType.TAGS: "[高新技术企业, 专精特新]",
}
#: Hints by pydantic error family (int_parsing -> "int").
_TYPE_HINTS = {
    "int": "write a whole number, e.g. 100",
    "string": "write a text",
    "bool": "write true or false",
    "list": "write a list: [a, b] or one '- ' item per line",
    "dict": "write a mapping: key: value",
    "decimal": "write a number, e.g. 5万",
}


_EXPRESSION_HINT = "write a condition such as employees >= 10, or an amount such as 5万"


def _strip_label(expr: ir.Expr) -> ir.Expr:
    """A label+when names its condition; a single leaf inside needs no second name."""
    return expr.expr if isinstance(expr, ir.Labeled) else expr


def _source_files(root: Path) -> list[Path]:
    if root.is_dir():
        return sorted(p for p in root.iterdir() if p.suffix in (".yaml", ".yml") and p.is_file())
    return [root]


def display_path(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def _pydantic_errors(
    comp: _Compiler,
    src: SourceFile,
    base: PathKey,
    exc: ValidationError,
    model: type[BaseModel],
    what: str,
    quiet: frozenset[str] = frozenset(),
) -> None:
    """Report pydantic's errors at their place; errors on the keys in ``quiet`` (a default
    already reported where it is written) are left out."""
    for err in exc.errors():
        if err["loc"] and err["loc"][0] in quiet:
            continue
        loc = tuple(
            x
            for x in err["loc"]
            if not (isinstance(x, str) and x in ("function-after", "str", "int", "decimal"))
        )
        # pydantic reports alternatives of a union as separate locations; keep the data path.
        path: PathKey = (
            *base,
            *(("from" if x == "from_" else x) for x in loc if isinstance(x, (str, int))),
        )
        kind = err["type"]
        last = path[-1] if len(path) > len(base) else what
        if kind == "extra_forbidden":
            allowed = _allowed_keys(model, loc[:-1])
            comp.unknown_key(
                src, path, allowed, f"in {what}", hint="allowed keys: " + ", ".join(allowed)
            )
        elif kind == "missing":
            comp.error(
                src,
                "PM102",
                f"{what} is missing the required key '{last}'",
                path[:-1],
                key=False,
                hint=f"add '{last}: {_KEY_EXAMPLES.get(str(last), '...')}'",
            )
        elif kind == "literal_error":
            expected = str(err.get("ctx", {}).get("expected", ""))
            choices = re.findall(r"'([^']*)'", expected)
            best = suggest(str(err.get("input", "")), choices)
            comp.error(
                src,
                "PM103",
                f"'{last}' must be one of {expected}",
                path,
                hint=f"write '{best}'" if best else f"write one of: {', '.join(choices)}",
            )
        elif kind in (
            "date_from_datetime_parsing",
            "date_parsing",
            "date_type",
            "date_from_datetime_inexact",
        ):
            comp.error(
                src,
                "PM103",
                f"'{last}' must be a date such as 2023-01-01",
                path,
                hint="write the date as YYYY-MM-DD, e.g. 2023-01-01",
            )
        elif kind == "string_pattern_mismatch":
            comp.error(
                src,
                "PM103",
                f"'{last}' may contain only letters, digits, '_', '.' and '-'",
                path,
                hint="e.g. YY-KJ-2024-01",
            )
        else:
            comp.error(
                src,
                "PM103",
                f"'{last}': {err['msg']}",
                path,
                hint=_TYPE_HINTS.get(kind.split("_")[0]),
            )


def _allowed_keys(model: type[BaseModel], loc: tuple[Any, ...]) -> list[str]:
    """The keys a (possibly nested) model accepts at ``loc``, by their YAML names."""
    current: Any = model
    for part in loc:
        if isinstance(part, int):
            continue
        info = current.model_fields.get(part) if hasattr(current, "model_fields") else None
        if info is None:
            break
        ann = info.annotation
        for candidate in getattr(ann, "__args__", ()) or (ann,):
            inner = getattr(candidate, "__args__", (candidate,))
            found = next(
                (
                    c
                    for c in (candidate, *inner)
                    if isinstance(c, type) and issubclass(c, BaseModel)
                ),
                None,
            )
            if found is not None:
                current = found
                break
    fields = getattr(current, "model_fields", {})
    return [f.alias or name for name, f in fields.items()]


def compile_policy_set(root: str | Path = "policies") -> PolicySet:
    """Compile a policy folder (or one file). Raises PolicyError with every diagnostic."""
    with collector_paused():
        return _compile(Path(root))


def _compile(root: Path) -> PolicySet:
    if not root.exists():
        raise PolicyError(
            [
                simple(
                    "PM005",
                    f"policy folder '{root}' does not exist",
                    hint="give the folder of *.yaml files, e.g. policies/",
                )
            ]
        )
    paths = _source_files(root)
    if not paths:
        raise PolicyError(
            [
                simple(
                    "PM005",
                    f"no *.yaml files in '{root}'",
                    hint="give the folder of *.yaml files, e.g. policies/",
                )
            ]
        )
    comp = _Compiler()
    files: list[_File] = []
    hashes: list[tuple[str, str]] = []
    for path in paths:
        display = display_path(path)
        hashes.append((display, hashlib.sha256(path.read_bytes()).hexdigest()))
        try:
            src = SourceFile(display, read_text(path, display))
            data, problems = load_yaml(src.text, src)
        except LoadFailure as failure:
            comp.bag.extend(failure.diagnostics)
            continue
        comp.bag.extend(problems)
        if data is None:
            comp.bag.add(
                src.diag(
                    "PM102",
                    "file is empty: it needs at least 'version: 1'",
                    None,
                    hint="add 'version: 1' as the first line",
                )
            )
            continue
        if not isinstance(data, dict):
            comp.bag.add(
                src.diag(
                    "PM103",
                    "a policy file is a mapping of keys (version, policies, ...)",
                    src.value_pos(()),
                    hint="a policy file holds: " + ", ".join(FILE_KEYS),
                )
            )
            continue
        files.append(_File(src, data))
        _check_top_level(comp, src, data)
    for f in files:
        _extend_schema(comp, f)
    for f in files:
        _collect_defines(comp, f)
    funds = _collect_funds(comp, files)
    for entry in comp.defines.values():
        with contextlib.suppress(PoisonedDefine):
            comp.resolve_define(entry.name)
    policies = _compile_policies(comp, files, funds)
    # A policy reads only fields of the schema: with MAX_FIELDS or fewer, there is no count.
    read = ir.registry_fields(policies) if len(comp.schema.input_fields) > ir.MAX_FIELDS else ()
    if len(read) > ir.MAX_FIELDS:
        comp.bag.add(
            simple(
                "PM310",
                f"the policies read {len(read)} registry fields; at most {ir.MAX_FIELDS} are allowed",
                file=display_path(root),
                hint="split the policy set into sets that read fewer fields each",
            )
        )
    comp.bag.raise_if_any()
    digest = hashlib.sha256("\n".join(f"{p}\t{h}" for p, h in hashes).encode()).hexdigest()
    done = tuple(policies)
    texts = {f.src.path: f.src.text for f in files}
    warnings = partial(_warnings, done, comp.schema, comp.placed, texts)
    return PolicySet(done, funds, comp.schema, tuple(hashes), digest, warnings)


def _warnings(
    policies: tuple[ir.Policy, ...],
    schema: Schema,
    placed: dict[str, tuple[str, PathKey]],
    texts: dict[str, str],
) -> tuple[Diagnostic, ...]:
    """The PM35x warnings of a compiled set. The files' YAML is composed again for the
    positions of the few policies warned about: keeping every file's node graph alive until
    the warnings are asked for (if ever) would cost the collector more than this costs."""
    out: list[Diagnostic] = []
    with collector_paused():
        found_all = findings(policies, schema)
    sources: dict[str, SourceFile] = {}
    for found in found_all:
        file, base = placed[found.policy.id]
        src = sources.get(file)
        if src is None:
            src = sources[file] = SourceFile(file, texts[file])
            load_yaml(src.text, src)
        path = (*base, *found.path)
        pos = src.key_pos(path) if found.at_key else src.value_pos(path)
        out.append(src.diag(found.code, found.message, pos, found.hint, severity="warning"))
    return tuple(sorted_diagnostics(out))


def _check_top_level(comp: _Compiler, src: SourceFile, data: dict[str, Any]) -> None:
    for key in data:
        if key not in FILE_KEYS:
            comp.unknown_key(
                src,
                (key,),
                FILE_KEYS,
                "at the top level",
                hint="a policy file holds: " + ", ".join(FILE_KEYS),
            )
    if "version" not in data:
        comp.bag.add(
            src.diag(
                "PM102",
                "missing 'version: 1' (required in every file)",
                None,
                hint="add 'version: 1' as the first line",
            )
        )
    elif data["version"] != 1:
        comp.error(
            src,
            "PM105",
            f"unsupported format version {data['version']!r}",
            ("version",),
            hint="this policymatch reads version 1",
        )


def _extend_schema(comp: _Compiler, f: _File) -> None:
    """Extend the schema field by field: one field written wrong does not lose the others."""
    raw = f.data.get("schema")
    if raw is None:
        return
    fields = raw.get("fields") if isinstance(raw, dict) else None
    shell = {**raw, "fields": {key: {} for key in fields}} if isinstance(fields, dict) else raw
    try:
        SchemaExtensionModel.model_validate(shell)
    except ValidationError as exc:
        _pydantic_errors(comp, f.src, ("schema",), exc, SchemaExtensionModel, "schema")
        return
    assert isinstance(fields, dict)
    for name, item in fields.items():
        path: PathKey = ("schema", "fields", name)
        try:
            spec = FieldExtensionModel.model_validate(item)
        except ValidationError as exc:
            _pydantic_errors(comp, f.src, path, exc, FieldExtensionModel, f"field '{name}'")
            comp.poison_field(name, item)
            continue
        try:
            comp.schema = comp.schema.extend(
                name,
                type_=FieldType(spec.type) if spec.type else None,
                label=spec.label,
                aliases=tuple(spec.aliases) + ((spec.label,) if spec.label else ()),
                values=tuple(spec.values),
                sensitive=spec.sensitive,
            )
        except SchemaError as exc:
            comp.error(
                f.src,
                "PM308",
                str(exc),
                path,
                key=True,
                hint="a new field needs a type (and values for enum/tags); an existing field "
                "takes only new aliases and values",
            )
            comp.poison_field(name, item)


def _collect_defines(comp: _Compiler, f: _File) -> None:
    raw = f.data.get("define")
    if raw is None:
        return
    if not isinstance(raw, dict):
        comp.error(
            f.src,
            "PM103",
            "'define' is a mapping of names to conditions or values",
            ("define",),
            hint="write define: then one '名称: 条件' per line",
        )
        return
    for name, value in raw.items():
        if name in comp.defines:
            first = comp.defines[name]
            comp.error(
                f.src,
                "PM304",
                f"define '{name}' is already defined in {first.src.path}",
                ("define", name),
                key=True,
                hint="define names form one namespace across all files",
            )
            continue
        if name in comp.schema or name == "as_of" or name in ir.FUNCTIONS:
            comp.error(
                f.src,
                "PM304",
                f"define '{name}' would hide a field or built-in name",
                ("define", name),
                key=True,
                hint="choose another name",
            )
            continue
        try:
            node = parse(name)
        except ExprSyntaxError:
            node = None
        if not isinstance(node, s.Name):
            comp.error(
                f.src,
                "PM103",
                f"'{name}' is not a usable name (letters, digits and _; not starting with a digit)",
                ("define", name),
                key=True,
                hint="choose another name",
            )
            continue
        comp.defines[name] = _Define(name, f.src, ("define", name), value)


def _collect_funds(comp: _Compiler, files: list[_File]) -> dict[str, ir.Fund]:
    funds: dict[str, ir.Fund] = {}
    for f in files:
        raw = f.data.get("funds")
        if raw is None:
            continue
        if not isinstance(raw, list):
            comp.error(
                f.src,
                "PM103",
                "'funds' is a list",
                ("funds",),
                hint="write each fund as - id: ... title: ...",
            )
            continue
        for i, item in enumerate(raw):
            try:
                model = FundModel.model_validate(item)
            except ValidationError as exc:
                _pydantic_errors(comp, f.src, ("funds", i), exc, FundModel, "a fund")
                continue
            if model.id in funds:
                comp.error(
                    f.src,
                    "PM306",
                    f"fund id '{model.id}' is used twice",
                    ("funds", i, "id"),
                    hint="give each fund its own id, or remove the second one",
                )
                continue
            budget = None
            if model.budget is not None:
                budget = comp.constant_amount(
                    f.src, ("funds", i, "budget"), model.budget, "a fund budget"
                )
            funds[model.id] = _pool_terms(
                comp, f.src, i, model, ir.Fund(model.id, model.title, budget)
            )
    return funds


def _pool_terms(
    comp: _Compiler, src: SourceFile, i: int, model: FundModel, fund: ir.Fund
) -> ir.Fund:
    """A fund's pool terms: ``scale``, ``annual`` appropriations by year, 回补 ``sources``."""
    scale = None
    if model.scale is not None:
        scale = comp.constant_amount(src, ("funds", i, "scale"), model.scale, "a fund scale")
    annual = []
    for year, raw in sorted((model.annual or {}).items()):
        value = comp.constant_amount(
            src, ("funds", i, "annual", year), raw, "an annual appropriation"
        )
        if value is not None:
            annual.append((year, value))
    sources = tuple(model.sources) if model.sources else fund.sources
    return replace(fund, scale=scale, annual=tuple(annual), sources=sources)


def _compile_policies(
    comp: _Compiler, files: list[_File], funds: dict[str, ir.Fund]
) -> list[ir.Policy]:
    out: list[ir.Policy] = []
    seen: dict[str, str] = {}
    for f in files:
        defaults, wrong = _defaults(comp, f)
        raw = f.data.get("policies")
        if raw is None:
            continue
        if not isinstance(raw, list):
            comp.error(
                f.src,
                "PM103",
                "'policies' is a list of policies (each item starts with '- id:')",
                ("policies",),
                hint="write each policy as - id: ... title: ...",
            )
            continue
        for i, item in enumerate(raw):
            policy = _policy(comp, f.src, ("policies", i), item, defaults, wrong, funds)
            if policy is None:
                continue
            if policy.id in seen:
                comp.error(
                    f.src,
                    "PM302",
                    f"policy id '{policy.id}' is already used in {seen[policy.id]}",
                    ("policies", i, "id"),
                    hint="policy ids are unique across the whole set",
                )
                continue
            seen[policy.id] = f.src.path
            comp.placed[policy.id] = (f.src.path, ("policies", i))
            out.append(policy)
    return out


def _defaults(comp: _Compiler, f: _File) -> tuple[dict[str, Any], frozenset[str]]:
    """The file's valid defaults, and the keys whose default was wrong (reported once, here).

    The policies take the valid defaults and say nothing about the wrong ones: a bad date in
    ``defaults:`` is one error at its line, not also a missing key in every policy.
    """
    raw = f.data.get("defaults")
    if raw is None:
        return {}, frozenset()
    try:
        DefaultsModel.model_validate(raw)
    except ValidationError as exc:
        _pydantic_errors(comp, f.src, ("defaults",), exc, DefaultsModel, "defaults")
        if not isinstance(raw, dict):
            return {}, frozenset(DefaultsModel.model_fields)
        bad = frozenset(str(e["loc"][0]) for e in exc.errors() if e["loc"])
        return {k: v for k, v in raw.items() if k not in bad}, bad
    return dict(raw), frozenset()


def _policy(
    comp: _Compiler,
    src: SourceFile,
    path: PathKey,
    item: Any,
    defaults: dict[str, Any],
    wrong_defaults: frozenset[str],
    funds: dict[str, ir.Fund],
) -> ir.Policy | None:
    if not isinstance(item, dict):
        comp.error(
            src,
            "PM103",
            "a policy is a mapping of keys (id, title, ...)",
            path,
            hint="write each policy as - id: ... title: ...",
        )
        return None
    merged = {**defaults, **item}

    def origin(key: str) -> PathKey:
        """Where the policy's ``key`` is written: in the policy, else under ``defaults:``."""
        return (*path, key) if key in item else ("defaults", key) if key in defaults else path

    # Conditions and amounts are checked even when the structured keys fail validation: all
    # errors of the policy belong in the same report.
    eligibility = (
        comp.condition(src, (*path, "eligibility"), merged["eligibility"])
        if "eligibility" in merged
        else None
    )
    amount = _amount(comp, src, (*path, "amount"), merged["amount"]) if "amount" in merged else None
    fund = merged.get("fund")
    if isinstance(fund, str) and fund not in funds:
        best = suggest(fund, funds)
        comp.error(
            src,
            "PM303",
            f"fund '{fund}' does not exist" + (f" (did you mean '{best}'?)" if best else ""),
            origin("fund"),
            hint=None if best else "funds are declared under 'funds:' (usually in funds.yaml)",
        )
    try:
        model = PolicyModel.model_validate(merged)
    except ValidationError as exc:
        _pydantic_errors(
            comp,
            src,
            path,
            exc,
            PolicyModel,
            f"policy '{item.get('id', '?')}'",
            quiet=wrong_defaults - set(item),
        )
        return None
    cap = (
        comp.constant_amount(src, (*path, "cap"), model.cap, "cap")
        if model.cap is not None
        else None
    )
    budget = (
        comp.constant_amount(src, (*path, "budget"), model.budget, "budget")
        if model.budget is not None
        else None
    )
    margin = (
        comp.constant_amount(src, (*path, "near_miss_margin"), model.near_miss_margin, "margin")
        if model.near_miss_margin is not None
        else None
    )
    if margin is not None and margin > 1:
        comp.error(
            src, "PM103", "near_miss_margin is a share: 0 to 100%", (*path, "near_miss_margin")
        )
        margin = None
    effective = model.effective
    if effective and effective.from_ and effective.to and effective.from_ > effective.to:
        comp.error(
            src,
            "PM307",
            f"effective period ends ({effective.to}) before it starts ({effective.from_})",
            origin("effective"),
            hint="write the start date under 'from' and the end date under 'to'",
        )
    if eligibility is None:
        return None
    # Examples are checked even when the amount failed, so a mistyped label is reported too.
    examples = tuple(_examples(comp, src, (*path, "examples"), model, eligibility))
    if amount is None:
        return None
    pos = src.value_pos(path)
    return ir.Policy(
        id=model.id,
        title=model.title,
        issuer=model.issuer or "",
        basis=model.basis or "",
        fund=model.fund,
        mode=ir.Mode(model.mode),
        effective_from=effective.from_ if effective else None,
        effective_to=effective.to if effective else None,
        priority=model.priority,
        frequency=ir.Frequency(model.frequency),
        stacking_group=model.stacking_group,
        eligibility=eligibility,
        amount=amount,
        cap=cap,
        budget=budget,
        examples=examples,
        file=src.path,
        line=pos.line if pos else 0,
        shortfall=model.shortfall,
        near_miss_margin=margin,
    )


def _amount(comp: _Compiler, src: SourceFile, path: PathKey, raw: Any) -> ir.Amount | None:
    if isinstance(raw, dict) and set(raw) != {"tiers"}:
        for key in sorted(set(raw) - {"tiers"}):
            comp.unknown_key(
                src,
                (*path, key),
                ("tiers",),
                "in amount",
                hint="an amount is an expression, or tiers: [...]",
            )
        return None
    if not isinstance(raw, dict):
        expr = comp.expression(src, path, raw, "number")
        return None if expr is None else ir.Amount(expr=expr)
    items = raw["tiers"]
    if not isinstance(items, list) or not items:
        comp.error(
            src,
            "PM305",
            "tiers is empty: no tier can ever match",
            (*path, "tiers"),
            hint="list tiers as - when: ... value: ...",
        )
        return None
    tiers: list[ir.Tier | None] = []
    for i, tier in enumerate(items):
        tpath = (*path, "tiers", i)
        if not isinstance(tier, dict) or set(tier) != {"when", "value"}:
            keys = set(tier) if isinstance(tier, dict) else set()
            for key in sorted(keys - {"when", "value"}):
                comp.unknown_key(src, (*tpath, key), ("when", "value"), "in a tier")
            missing = sorted({"when", "value"} - keys)
            if missing and keys <= {"when", "value"}:
                comp.error(
                    src,
                    "PM102",
                    f"a tier needs '{missing[0]}'",
                    tpath,
                    hint="each tier is - when: 条件 / value: 金额",
                )
            tiers.append(None)
            continue
        when = comp.condition(src, (*tpath, "when"), tier["when"])
        value = comp.expression(src, (*tpath, "value"), tier["value"], "number")
        tiers.append(None if when is None or value is None else ir.Tier(when, value))
    done = [t for t in tiers if t is not None]
    if len(done) != len(tiers):
        return None
    for index, reason in unreachable_tiers(done):
        comp.error(
            src,
            "PM305",
            f"tier {index + 1} can never match: {reason}",
            (*path, "tiers", index, "when"),
            hint="its tests contradict each other: check the numbers, values and 'not's"
            if reason.endswith("never true")
            else "order tiers from the strictest condition to the loosest (first match wins)",
        )
    return ir.Amount(tiers=tuple(done))


def _examples(
    comp: _Compiler, src: SourceFile, path: PathKey, model: PolicyModel, eligibility: ir.Expr
) -> Iterator[ir.Example]:
    top_labels = [c.label for c in ir.top_conditions(eligibility) if isinstance(c, ir.Labeled)]
    for i, ex in enumerate(model.examples):
        epath = (*path, i)
        record = _example_record(comp, src, (*epath, "enterprise"), ex)
        for j, label in enumerate(ex.fails or []):
            if label not in top_labels:
                best = suggest(label, top_labels)
                comp.error(
                    src,
                    "PM107",
                    f"'{label}' is not a top-level condition of this policy"
                    + (f" (did you mean '{best}'?)" if best else ""),
                    (*epath, "fails", j),
                    hint="fails lists the names of the items of eligibility that do not hold: "
                    + "、".join(top_labels),
                )
        if record is None:
            continue
        amount = None
        if ex.amount is not None:
            amount = comp.constant_amount(src, (*epath, "amount"), ex.amount, "an example's amount")
        pos = src.value_pos(epath)
        yield ir.Example(
            name=ex.name,
            as_of=ex.as_of,
            enterprise=tuple(record.items()),
            eligible=None if ex.eligible == "unknown" else bool(ex.eligible),
            amount=amount,
            fails=tuple(ex.fails) if ex.fails is not None else None,
            file=src.path,
            line=pos.line if pos else 0,
        )


def _example_record(
    comp: _Compiler, src: SourceFile, path: PathKey, ex: ExampleModel
) -> dict[str, object] | None:
    record: dict[str, object] = {}
    ok = True
    for key, raw in ex.enterprise.items():
        field_ = comp.schema.lookup(key)
        if field_ is None and key in comp.poisoned:
            ok = False
            continue
        if field_ is None or field_.derived:
            best = suggest(key, comp.schema.all_names())
            comp.error(
                src,
                "PM201",
                f"unknown field '{key}'" + (f" (did you mean '{best}'?)" if best else ""),
                (*path, key),
                key=True,
                hint=None
                if best
                else "an example's enterprise lists registry fields or their Chinese names",
            )
            ok = False
            continue
        try:
            value = parse_value(field_, raw)
        except ValueError as exc:
            comp.error(
                src,
                "PM103",
                f"{field_.name}: {exc}",
                (*path, key),
                hint=f"write a {field_.type.value} value, e.g. {_VALUE_EXAMPLES[field_.type]}",
            )
            ok = False
            continue
        record[field_.name] = value
    return record if ok else None
