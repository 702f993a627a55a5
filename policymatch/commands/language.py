"""The language of a command's messages: ``--lang zh|en`` on every command, else the locale's.

Every subcommand takes ``--lang`` (after the command's name, like its other options); the
top-level parser takes none, so that the command is still the first word of the arguments
that does not start with ``-`` (``cli._command``). The choice is known before argparse parses,
so that argparse's own usage errors (exit 2) are in that language too.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Mapping, Sequence
from typing import Any

LANGUAGES = ("zh", "en")


def add_language_argument(parser: Any) -> None:
    """``--lang`` on ``parser`` and on the parsers of its actions (``pool replenish``), absent
    from the namespace unless given: a nested parser's default would undo the outer choice."""
    parser.add_argument(
        "--lang",
        choices=LANGUAGES,
        default=argparse.SUPPRESS,
        help="language of the messages (default: zh when LC_ALL/LC_MESSAGES/LANG is Chinese)",
    )
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for nested in dict.fromkeys(action.choices.values()):
                add_language_argument(nested)


def locale_language(environ: Mapping[str, str] = os.environ) -> str:
    """``zh`` when the first set of LC_ALL, LC_MESSAGES, LANG names Chinese, else ``en``."""
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = environ.get(name)
        if value:
            return "zh" if value.lower().startswith("zh") else "en"
    return "en"


def chosen_language(argv: Sequence[str], environ: Mapping[str, str] = os.environ) -> str:
    """The language ``argv`` asks for (``--lang zh``, ``--lang=zh``; the last one wins, as in
    argparse), else the locale's. A value that is not a language is left to argparse to refuse."""
    chosen = None
    for i, word in enumerate(argv):
        if word == "--":
            break
        value = argv[i + 1] if word == "--lang" and i + 1 < len(argv) else None
        if word.startswith("--lang="):
            value = word.removeprefix("--lang=")
        if value in LANGUAGES:
            chosen = value
    return chosen or locale_language(environ)
