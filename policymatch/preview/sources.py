"""The two policy sets of a preview: the base from a folder or a git revision, one shared schema.

Both sets are matched on one registry read, so the registry is typed by a schema that holds
both sets' extensions; each set is then given that schema (its IR names fields and tag values,
never positions, so a wider schema reads the same).
"""

from __future__ import annotations

import io
import subprocess
import tarfile
from dataclasses import replace
from pathlib import Path

from ..errors import PolicyError, UsageError, simple
from ..rules import PolicySet
from ..schema import Schema, SchemaError


def shared_schema(proposed: PolicySet, base: PolicySet) -> Schema:
    """``proposed``'s schema widened by every field, alias and value of ``base``'s (PM901)."""
    schema = proposed.schema
    for f in base.schema.fields:
        current = next((g for g in schema.fields if g.name == f.name), None)
        if current == f or (f.derived and current is not None):
            continue
        try:
            schema = schema.extend(
                f.name,
                type_=f.type,
                label=f.label or None,
                aliases=f.aliases,
                values=f.values,
                sensitive=f.sensitive,
            )
        except SchemaError as exc:
            raise PolicyError(
                [
                    simple(
                        "PM901",
                        f"the two policy sets' schema: blocks do not fit together: {exc}",
                        hint="give the field the same type in both sets, or rename it in one",
                    )
                ]
            ) from None
    return schema


def on_schema(policy_set: PolicySet, schema: Schema) -> PolicySet:
    return replace(policy_set, schema=schema)


def _git(args: list[str], cwd: Path, what: str) -> bytes:
    try:
        done = subprocess.run(["git", *args], cwd=cwd, capture_output=True, check=False)
    except OSError as exc:
        raise UsageError([simple("PM902", f"cannot run git: {exc}")]) from None
    if done.returncode != 0:
        detail = done.stderr.decode("utf-8", "replace").strip().splitlines()
        raise UsageError(
            [
                simple(
                    "PM902",
                    what + (f" ({detail[-1]})" if detail else ""),
                    hint="give a commit, tag or branch of this repository, e.g. --base-rev main",
                )
            ]
        )
    return done.stdout


def policies_at_revision(folder: Path, rev: str, into: Path) -> Path:
    """The policy folder ``folder`` as it was at git revision ``rev``, extracted into ``into``."""
    here = folder.resolve()
    anchor = here if here.is_dir() else here.parent
    while not anchor.exists():
        anchor = anchor.parent
    top = Path(
        _git(["rev-parse", "--show-toplevel"], anchor, "not in a git repository").decode().strip()
    )
    if not here.is_relative_to(top):
        raise UsageError([simple("PM902", f"'{folder}' is not inside the git repository {top}")])
    rel = here.relative_to(top).as_posix()
    if rev.startswith("-"):
        # git would read it as an option (``--output=...`` writes a file): never pass it on.
        raise UsageError([simple("PM902", f"'{rev}' is not a git revision")])
    commit = _git(
        ["rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}"],
        top,
        f"'{rev}' is not a revision of this repository",
    )
    archive = _git(
        ["archive", "--format=tar", commit.decode().strip(), "--", rel],
        top,
        f"cannot read '{rel}' at revision '{rev}'",
    )
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(into, filter="data")
    return into / rel
