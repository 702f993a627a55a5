"""Library hints in the CLI's words: a parameter ``table=`` becomes the flag ``--table``.

The library says what is wrong in words of the domain and names, in a hint, the parameter of
the function the caller used (``table=``), never a CLI flag (docs/api.md); the CLI shows the
same diagnostic, same code, with the flag its user types instead.
"""

from __future__ import annotations

import dataclasses
import re

from ..errors import Diagnostic, PolicymatchError

#: Parameter of the library -> the flag that sets it.
FLAGS = {
    "table": "--table",
    "query": "--query",
    "out_dir": "--out",
    "ledger": "--ledger",
    "spec": "--dask",
    "allow_missing": "--allow-missing",
}
#: ``name=`` and the first character of a value after it (a word or a quoted text), if any.
_PARAMETER = re.compile(r"\b(" + "|".join(FLAGS) + r")=([\w'\"]?)")


def _flag(match: re.Match[str]) -> str:
    flag = FLAGS[match.group(1)]
    # ``table=NAME`` reads ``--table NAME``; a bare ``table=`` reads ``--table``.
    return f"{flag} {match.group(2)}" if match.group(2) else flag


def _reworded(diagnostic: Diagnostic) -> Diagnostic:
    if diagnostic.hint is None:
        return diagnostic
    return dataclasses.replace(diagnostic, hint=_PARAMETER.sub(_flag, diagnostic.hint))


def in_flags(exc: PolicymatchError) -> PolicymatchError:
    """``exc`` with every hint naming flags where the library named parameters."""
    return type(exc)([_reworded(d) for d in exc.diagnostics])
