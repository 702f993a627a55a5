"""YAML policy files -> plain data plus a source map, safely.

PyYAML's safe composer gives a node graph with marks; we build the Python values ourselves so
that (1) every value keeps its file position for error messages, (2) duplicate keys are errors
rather than a silent last-one-wins, (3) floats become exact decimals, and (4) size, depth and
alias expansion are bounded: an alias bomb fails in milliseconds instead of eating memory.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from functools import cached_property
from pathlib import Path
from typing import Any

import yaml

from ..errors import Diagnostic, Span

MAX_FILE_BYTES = 1 << 20
MAX_DEPTH = 40
MAX_NODES = 100_000

PathKey = tuple[str | int, ...]
_FLATTER = "a policy file needs a few levels: write conditions as all: [...] lists, not nested"
_DID_YOU_MEAN = re.compile(r"\(did you mean '(.+?)'\?\)")


@dataclass(frozen=True)
class Pos:
    """Where a YAML value starts: 1-based line and column, and how it was written."""

    line: int
    col: int
    length: int
    style: str | None = None


@dataclass
class SourceFile:
    """One policy file: its display path, its text, and the position of every value in it."""

    path: str
    text: str
    #: The YAML node of every value and key by its path; positions are worked out only for
    #: the few that a diagnostic or a policy's line asks for.
    values: dict[PathKey, yaml.Node] = field(default_factory=dict)
    keys: dict[PathKey, yaml.Node] = field(default_factory=dict)
    #: Paths whose value was already reported (an impossible date): later checks stay quiet there.
    reported: set[PathKey] = field(default_factory=set)

    @cached_property
    def lines(self) -> list[str]:
        """The text split once: every diagnostic quotes a line of it."""
        return self.text.splitlines()

    def line(self, n: int) -> str:
        lines = self.lines
        return lines[n - 1] if 0 < n <= len(lines) else ""

    def diag(
        self,
        code: str,
        message: str,
        pos: Pos | None,
        hint: str | None = None,
        severity: str = "error",
    ) -> Diagnostic:
        if hint is None:
            suggested = _DID_YOU_MEAN.search(message)
            hint = f"write '{suggested[1]}'" if suggested else None
        if pos is None:
            return Diagnostic(
                code=code, message=message, file=self.path, hint=hint, severity=severity
            )
        return Diagnostic(
            code=code,
            message=message,
            file=self.path,
            span=Span(pos.line, pos.col, pos.length),
            source_line=self.line(pos.line),
            hint=hint,
            severity=severity,
        )

    def value_pos(self, path: PathKey) -> Pos | None:
        """The position of the value at ``path``, or of its nearest ancestor."""
        while True:
            if path in self.values:
                return node_pos(self.values[path])
            if not path:
                return None
            path = path[:-1]

    def key_pos(self, path: PathKey) -> Pos | None:
        node = self.keys.get(path)
        return self.value_pos(path) if node is None else node_pos(node)

    def expr_pos(self, path: PathKey, offset: int, length: int) -> Pos | None:
        """The file position of characters ``offset ..`` of the expression string at ``path``.

        Exact for plain and quoted one-line scalars and for ``|``/``>`` block scalars whose
        lines are kept; otherwise it falls back to the start of the value.
        """
        node = self.values.get(path)
        if node is None:
            return self.value_pos(path)
        pos = node_pos(node)
        if pos.style in (None, "'", '"'):
            shift = 1 if pos.style in ("'", '"') else 0
            return Pos(pos.line, pos.col + shift + offset, length)
        if pos.style in ("|", ">"):
            # Find the expression text line by line below the indicator.
            lines = self.lines
            line_no = pos.line
            remaining = offset
            for idx in range(pos.line, len(lines)):
                raw = lines[idx]
                content = raw.lstrip(" ")
                if not content:
                    continue
                indent = len(raw) - len(content)
                if remaining <= len(content):
                    line_no = idx + 1
                    return Pos(line_no, indent + 1 + remaining, length)
                remaining -= len(content) + 1
        return pos


def node_pos(node: yaml.Node) -> Pos:
    """Where ``node`` stands in its file, and how long the underline under it is."""
    start, end = node.start_mark, node.end_mark
    style = (node.style or None) if isinstance(node, yaml.ScalarNode) else None
    if end.line == start.line:
        # Columns, not indexes: libyaml counts indexes in bytes, columns in characters.
        length = end.column - start.column
    elif isinstance(node, yaml.ScalarNode):
        # A multi-line value: underline its first line only.
        length = len(node.value.split("\n")[0])
    else:
        length = 1
    return Pos(start.line + 1, start.column + 1, max(length, 1), style)


class LoadFailure(Exception):
    """A file cannot be loaded at all; carries its diagnostics."""

    def __init__(self, diagnostics: list[Diagnostic]) -> None:
        super().__init__("; ".join(d.message for d in diagnostics))
        self.diagnostics = diagnostics


def read_text(path: Path, display: str) -> str:
    """The file as text; not UTF-8 (or too large) is a diagnostic, not a crash."""
    data = path.read_bytes()
    if len(data) > MAX_FILE_BYTES:
        raise LoadFailure(
            [
                Diagnostic(
                    "PM004",
                    f"file is {len(data):,} bytes; a policy file may be at most {MAX_FILE_BYTES:,}",
                    file=display,
                    hint="split the policies over several files in the folder",
                )
            ]
        )
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        col = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        raise LoadFailure(
            [
                Diagnostic(
                    "PM001",
                    f"file is not UTF-8 (byte 0x{data[exc.start]:02x} at offset {exc.start})",
                    file=display,
                    span=Span(line, col),
                    hint="save the file as UTF-8 (in Notepad: 另存为, 编码 UTF-8); "
                    "GBK/GB18030 files are not accepted",
                )
            ]
        ) from None


_TIMESTAMP_TAG = "tag:yaml.org,2002:timestamp"
_FLOAT_TAG = "tag:yaml.org,2002:float"
_STR_TAG = "tag:yaml.org,2002:str"
_MAP_TAG = "tag:yaml.org,2002:map"
_SEQ_TAG = "tag:yaml.org,2002:seq"
#: The safe constructors of the other tags a plain scalar resolves to, called directly:
#: ``construct_object``'s bookkeeping (for aliases and recursion) is no use for a scalar.
_SCALARS = {
    tag: yaml.constructor.SafeConstructor.yaml_constructors[tag]
    for tag in ("tag:yaml.org,2002:null", "tag:yaml.org,2002:bool", "tag:yaml.org,2002:int")
}
_DATE_RE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")


class _Builder:
    def __init__(self, source: SourceFile) -> None:
        self.source = source
        self.errors: list[Diagnostic] = []
        self.constructor = yaml.constructor.SafeConstructor()
        #: At least the number of values the node graph expands to, when it is a tree (the
        #: text has no anchor): counted on the way rather than in a walk of its own.
        self.count = 0

    def build(self, node: yaml.Node, path: PathKey, depth: int) -> Any:
        if depth > MAX_DEPTH:
            raise LoadFailure(
                [
                    self.source.diag(
                        "PM004",
                        f"nesting deeper than {MAX_DEPTH} levels",
                        node_pos(node),
                        hint=_FLATTER,
                    )
                ]
            )
        self.source.values[path] = node
        self.count += 1
        if isinstance(node, yaml.MappingNode):
            out: dict[str, Any] = {}
            keys = self.source.keys
            for key_node, value_node in node.value:
                if not isinstance(key_node, yaml.ScalarNode):
                    self.count += _expanded_size(key_node) + _expanded_size(value_node)
                    self.errors.append(
                        self.source.diag(
                            "PM103",
                            "a key must be a plain name",
                            node_pos(key_node),
                            hint="write the key as a plain name followed by ': '",
                        )
                    )
                    continue
                self.count += 1
                key = str(key_node.value)
                if key in out:
                    self.count += _expanded_size(value_node)
                    first = keys.get((*path, key))
                    where = f" (first at line {node_pos(first).line})" if first is not None else ""
                    self.errors.append(
                        self.source.diag(
                            "PM003",
                            f"duplicate key '{key}'{where}",
                            node_pos(key_node),
                            hint="YAML keeps only one of them: remove or rename the other",
                        )
                    )
                    continue
                keys[(*path, key)] = key_node
                out[key] = self.build(value_node, (*path, key), depth + 1)
            return out
        if isinstance(node, yaml.SequenceNode):
            return [self.build(item, (*path, i), depth + 1) for i, item in enumerate(node.value)]
        assert isinstance(node, yaml.ScalarNode)
        return self.scalar(node, path)

    def scalar(self, node: yaml.ScalarNode, path: PathKey) -> Any:
        tag = node.tag
        if tag == _STR_TAG:
            return node.value
        if tag == _TIMESTAMP_TAG:
            m = _DATE_RE.match(node.value)
            if m:
                try:
                    return dt.date(*(int(g) for g in m.groups()))
                except ValueError:
                    self.source.reported.add(path)
                    self.errors.append(
                        self.source.diag(
                            "PM104",
                            f"'{node.value}' is not a date that exists",
                            node_pos(node),
                            hint="check the day of the month",
                        )
                    )
                    return None
            return node.value  # a timestamp with a time part: kept as text, rejected by the model
        if tag == _FLOAT_TAG:
            try:
                return Decimal(node.value.replace("_", ""))
            except InvalidOperation:
                return node.value  # .inf / .nan: the model rejects it with a message
        if node.style is not None and node.style in ("'", '"', "|", ">"):
            return node.value
        construct = _SCALARS.get(tag)
        if construct is None:
            # A plain scalar YAML resolves to a tag the safe constructor lacks ('=' is
            # tag:yaml.org,2002:value, '<<' a merge key): it is just text to a policy author.
            return node.value
        try:
            return construct(self.constructor, node)
        except yaml.YAMLError:
            return node.value


def load_yaml(text: str, source: SourceFile) -> tuple[Any, list[Diagnostic]]:
    """Parse ``text`` into plain data, filling ``source``'s position maps.

    Raises LoadFailure when nothing usable comes out (syntax, limits); returns the data with
    the diagnostics that still let the rest of the file be checked (duplicate keys: the first
    value is kept; impossible dates: null, and the path marked as reported).
    """
    try:
        tags = _tags(text, source)
        if tags:
            raise LoadFailure(tags)
        node = _compose(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or "invalid YAML"
        pos = Pos(mark.line + 1, mark.column + 1, 1) if mark else None
        raise LoadFailure([_syntax_error(source, problem, text, pos)]) from None
    except yaml.YAMLError as exc:
        raise LoadFailure(
            [
                source.diag(
                    "PM002",
                    f"YAML syntax error: {exc}",
                    None,
                    hint="check the indentation and quoting of the file",
                )
            ]
        ) from None
    except RecursionError:
        raise LoadFailure([source.diag("PM004", "nesting too deep", None, hint=_FLATTER)]) from None
    if node is None:
        return None, []
    # Without an anchor there is no alias: the graph is a tree, and the build counts it.
    tree = "&" not in text
    if not tree:
        _check_size(node, source)
    builder = _Builder(source)
    try:
        data = builder.build(node, (), 0)
    except LoadFailure:
        if tree:
            _check_size(node, source)  # too large is said before too deep
        raise
    except RecursionError:
        if tree:
            _check_size(node, source)
        raise LoadFailure([source.diag("PM004", "nesting too deep", None, hint=_FLATTER)]) from None
    if tree and builder.count > MAX_NODES:
        _check_size(node, source)
    return data, builder.errors


def _check_size(node: yaml.Node, source: SourceFile) -> None:
    """PM004 when the node graph expands to more than MAX_NODES values."""
    expanded = _expanded_size(node)
    if expanded > MAX_NODES:
        raise LoadFailure(
            [
                source.diag(
                    "PM004",
                    f"file expands to {expanded:,} values, more than the {MAX_NODES:,} allowed",
                    Pos(node.start_mark.line + 1, node.start_mark.column + 1, 1),
                    hint="YAML anchors and aliases (& and *) multiply values; policy files do not need them",
                )
            ]
        )


class _PlainTags:
    """PyYAML's resolver, with the tag of each plain scalar remembered by its text: libyaml
    calls it from C for every scalar, and a policy file writes the same keys and values many
    times over. The tag of a plain scalar depends only on its text (the safe loaders have no
    path resolvers)."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)  # type: ignore[call-arg]
        self.plain_tags: dict[str, str] = {}

    def resolve(self, kind: type[yaml.Node], value: str, implicit: tuple[bool, bool]) -> str:
        if kind is not yaml.ScalarNode:
            return _MAP_TAG if kind is yaml.MappingNode else _SEQ_TAG
        if not implicit[0]:
            return _STR_TAG  # quoted or a block: text
        tag = self.plain_tags.get(value)
        if tag is None:
            tag = self.plain_tags[value] = super().resolve(kind, value, implicit)  # type: ignore[misc]
        return tag


_FAST: Any = getattr(yaml, "CSafeLoader", None)
if _FAST is not None:
    _FAST = type("_FastLoader", (_PlainTags, _FAST), {})


def _compose(text: str) -> yaml.Node | None:
    """The node graph of ``text``, by libyaml where PyYAML has it (most of the time of compiling
    a policy set was PyYAML's pure-Python scanner). A text libyaml rejects is composed again by
    PyYAML, so that syntax errors read the same with or without libyaml."""
    if _FAST is not None:
        try:
            return yaml.compose(text, Loader=_FAST)
        except yaml.YAMLError:
            pass
    return yaml.compose(text, Loader=yaml.SafeLoader)


def _expanded_size(root: yaml.Node) -> int:
    """How many values the node graph becomes once aliases are expanded, in linear time.

    Aliases make the composed graph a DAG whose expansion can be exponential (an alias bomb);
    sizes are memoised per node, so this never expands anything.
    """
    sizes: dict[int, int] = {}
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, children_done = stack.pop()
        if id(node) in sizes:
            continue
        if isinstance(node, yaml.ScalarNode):
            sizes[id(node)] = 1
            continue
        kids: list[yaml.Node] = (
            [n for pair in node.value for n in pair]
            if isinstance(node, yaml.MappingNode)
            else list(node.value)
        )
        if children_done:
            sizes[id(node)] = 1 + sum(sizes.get(id(k), 0) for k in kids)
        else:
            stack.append((node, True))
            stack.extend((k, False) for k in kids if id(k) not in sizes)
    return sizes[id(root)]


def _tags(text: str, source: SourceFile) -> list[Diagnostic]:
    """A PM006 for every YAML tag (``!!python/name:..``, ``!include``, ``!<..>``, ``%TAG``).

    Tags are refused rather than ignored: a tag is either an attempt to run or fetch something,
    or a type the author expects to matter and that policymatch would silently drop. A scan
    error stops the search; compose then reports it as a syntax error.
    """
    if not _may_have_tags(text):
        return []
    fast = getattr(yaml, "CSafeLoader", None)
    if fast is not None:
        try:
            return _scan_tags(fast, text, source, [])
        except yaml.YAMLError:
            pass  # scanned again below: the tags before the error are reported as ever
    found: list[Diagnostic] = []
    with contextlib.suppress(yaml.YAMLError):
        _scan_tags(yaml.SafeLoader, text, source, found)
    return found


#: What may stand before a tag on its line, but not at the end of a plain scalar.
_BEFORE_TAG = frozenset("-?:,[]{}\"'|>.")


def _may_have_tags(text: str) -> bool:
    """Whether a YAML scanner could read a tag in ``text``: a '%TAG', or a '!' first on its
    line or after an indicator, a quote, or a word that may hold an anchor, an alias or a tag. Anywhere else a '!'
    stands inside a plain scalar (``employees != 10``) and is no tag."""
    if "%TAG" in text:
        return True
    i = text.find("!")
    while i >= 0:
        start = max(text.rfind("\n", 0, i), text.rfind("\r", 0, i)) + 1
        before = text[start:i]
        if any(c in before for c in "\x85\u2028\u2029"):
            return True  # a line break PyYAML knows: the line may start later
        before = before.rstrip(" \t\ufeff")
        words = before.split()
        # An anchor, alias or tag may follow an indicator with no space between (",&a !t"):
        # a last word holding one of their signs anywhere is treated as one.
        if not words or before[-1] in _BEFORE_TAG or any(c in words[-1] for c in "&*!%"):
            return True
        i = text.find("!", i + 1)
    return False


def _scan_tags(
    loader: Any, text: str, source: SourceFile, found: list[Diagnostic]
) -> list[Diagnostic]:
    """Append to ``found`` the PM006 of each tag the ``loader``'s scanner meets (libyaml's is
    ten times PyYAML's, which would undo the fast compose); a scan error propagates."""
    for token in yaml.scan(text, Loader=loader):
        if isinstance(token, yaml.TagToken):
            handle, suffix = token.value
            written = f"!<{suffix}>" if handle is None else f"{handle}{suffix}"
        elif isinstance(token, yaml.DirectiveToken) and token.name == "TAG":
            written = "%TAG"
        else:
            continue
        mark = token.start_mark
        found.append(
            source.diag(
                "PM006",
                f"YAML tags are not allowed: '{written}'",
                Pos(mark.line + 1, mark.column + 1, max(len(written), 1)),
                hint="remove the tag and write the plain value; a policy file holds only "
                "text, numbers, dates, true/false, lists and mappings",
            )
        )
    return found


#: PyYAML problems that mean a line is not indented like the block it belongs to.
_INDENT_PROBLEMS = ("expected <block end>", "did not find expected key", "expected '-' indicator")
_KEY_RE = re.compile(r"^(- +)?[^\s#'\"][^:#]*:( |$)")


def _syntax_error(source: SourceFile, problem: str, text: str, pos: Pos | None) -> Diagnostic:
    """PM002 for a YAML syntax error, or PM007 when the cause is the indentation of a line."""
    lines = text.splitlines()
    if pos is not None and 0 < pos.line <= len(lines):
        indent = _indentation(lines, pos.line, problem)
        if indent is not None:
            message, hint = indent
            line = lines[pos.line - 1]
            at = Pos(pos.line, 1, max(len(line) - len(line.lstrip(" ")), 1))
            return source.diag("PM007", message, at, hint=hint)
    return source.diag(
        "PM002", f"YAML syntax error: {problem}", pos, hint=_yaml_hint(problem, text, pos)
    )


def _indentation(lines: list[str], n: int, problem: str) -> tuple[str, str] | None:
    """(message, hint) when line ``n`` is mis-indented, else None."""
    line = lines[n - 1]
    if not line.strip() or "\t" in line[: len(line) - len(line.lstrip())]:
        return None
    own = len(line) - len(line.lstrip(" "))
    above = [
        (i + 1, lines[i])
        for i in range(n - 2, -1, -1)
        if lines[i].strip() and not lines[i].lstrip().startswith("#")
    ]
    if not above:
        return None
    prev_no, prev = above[0]
    prev_indent = len(prev) - len(prev.lstrip(" "))
    if any(p in problem for p in _INDENT_PROBLEMS) and "'<scalar>'" not in problem:
        levels = sorted(_levels(text_line for _, text_line in above))
        best = min(levels, key=lambda lv: (abs(lv - own), lv))
        if best == own:
            deeper = min((lv for lv in levels if lv > own), default=own + 2)
            return (
                "indentation error: a key stands among the items of the list above it",
                f"if it belongs to the item above, indent it {deeper} spaces like that "
                "item's keys; to end the list, indent it like the key that holds the list",
            )
        return (
            f"indentation error: this line is indented {own} spaces, "
            "which matches no block above it",
            f"indent it {best} spaces like the keys of the same block above "
            f"(line {prev_no} is indented {prev_indent}); indent with spaces only",
        )
    if (
        "mapping values are not allowed" in problem
        and _KEY_RE.match(line.strip())
        and own > prev_indent
        and _KEY_RE.match(prev.strip())
        and not prev.rstrip().endswith(":")
    ):
        return (
            f"indentation error: this line is indented {own} spaces, more than line "
            f"{prev_no} ({prev_indent}), so YAML reads it as part of that line's value",
            f"indent it {prev_indent} spaces like line {prev_no}",
        )
    return None


def _levels(lines: Iterator[str]) -> set[int]:
    """The indentations at which keys stand in ``lines`` (a '- ' item opens a level after it)."""
    out: set[int] = set()
    for line in lines:
        indent = len(line) - len(line.lstrip(" "))
        out.add(indent)
        rest = line.lstrip(" ")
        while rest.startswith("- "):
            dash = len(rest) - len(rest[2:].lstrip(" "))
            indent += dash
            rest = rest[dash:]
            out.add(indent)
    return out


def _yaml_hint(problem: str, text: str, pos: Pos | None) -> str | None:
    line = text.splitlines()[pos.line - 1] if pos and 0 < pos.line <= len(text.splitlines()) else ""
    if "\t" in line or "tab" in problem:
        return "YAML indentation must use spaces, not tabs"
    if "：" in line:
        return "a full-width colon '：' was used; YAML needs ':' followed by a space"
    stripped = line.strip().removeprefix("- ").lstrip()
    if stripped[:1] in ("'", '"'):
        # "专精特新" in tags: YAML reads the quoted part as the whole value and trips on the rest.
        return (
            f"a value that starts with a quote must be quoted as a whole: write '{stripped}'"
            if stripped[0] == '"'
            else f'write "{stripped}"'
        )
    if "<stream end>" in problem:
        return "the file ends inside a '[' or '{' that is never closed: add the closing bracket"
    above = (
        text.splitlines()[pos.line - 2] if pos and 1 < pos.line <= len(text.splitlines()) else ""
    )
    squeezed = re.search(r"[^\s:-][^\s:]*:[^\s:/]\S*", above)
    if squeezed and ": " not in above:
        return f"a ':' needs a space after it: on the line above, write '{squeezed[0].replace(':', ': ', 1)}'"
    if "mapping values are not allowed" in problem:
        return "a value containing ': ' must be quoted, e.g. when: \"...\""
    return "check the indentation and quoting of this line and the one above"
