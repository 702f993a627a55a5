"""The durable_rules runtime of one watcher: its rulesets, and the library's traps.

The session drives durable_rules' engine (``durable_rules_engine``, the C Rete network that
``durable.engine`` wraps) with the calls ``durable.engine.Ruleset`` itself makes:
``create_ruleset``, ``assert_fact``, ``start_action_for_state`` and ``complete_and_start_action``
to take the fired rules one by one, and ``retract_fact``. It leaves out the Python action layer
(a ``Closure``, a JSON round trip of the session state and a callback per fired rule), which
cost eight times the rest of a match; a fired rule's name is all the watcher needs.

An enterprise's fact is asserted into every ruleset, its fired rules are taken, and it is
retracted at once: durable keeps some 9 KB per fact and ruleset, which for a county registry
held in five rulesets would be gigabytes, while the watcher needs only the answer (it keeps
each enterprise's candidates itself).

The traps of durable_rules 2.0.28 (its last release, 2020), each with a test in
``tests/backends/durable/test_traps.py``:

- Ruleset names are global to ``durable.lang``'s process-wide host ("Ruleset with name ...
  already registered"), whose timer threads also dispatch queued actions on their own: the
  session uses no host, names its rulesets ``pm<pid>_<n>_s<k>`` (unique in the process), and
  takes every fired rule itself, synchronously, before :meth:`Session.match` returns.
- A fact that matches no rule of a ruleset is refused (``MessageNotHandledException``, code 1):
  that ruleset has no candidate for the enterprise, and holds nothing to retract.
- Asserting a fact equal to one held is refused (``MessageObservedException``, code 2), and so
  is a *different* fact whose content hash collides with one held (some ten thousand facts in):
  a ruleset never holds more than the one fact being matched, and every fact carries its USCC
  as ``id``. A refusal here is a bug, raised as :class:`DurableError`.
- ``post()`` (an event) fires only the first matching rule: enterprises are asserted as facts.
- An exception inside a Python action is swallowed into the session state: no code of ours runs
  inside durable, so there is nothing to swallow.
- Fired rules queue in the session state until taken, whichever fact fired them, and one taken
  but neither completed nor abandoned blocks the session; one abandoned and then retracted
  crashes the process (durable frees the fact under it). The session takes and completes every
  fired rule after each assert, even after a problem with one, and checks that each names the
  fact just asserted; a blocked session is an error, never "no candidates".
- A ruleset fails with error 303 when more than 64 of its paths match one fact, and
  ``create_ruleset`` hangs past 512 paths: the compiler shards (:mod:`.compile`). Any engine
  error is raised as :class:`DurableError`, after the fact is retracted from every ruleset.
- A rule fires once per matching path of its condition: matches are collected as a set.
"""

from __future__ import annotations

import itertools
import json
import os
from collections.abc import Mapping

from .compile import Program

try:
    import durable_rules_engine  # type: ignore[import-not-found]
except ImportError as exc:  # pragma: no cover - depends on the installation
    raise ImportError(
        "the event backend needs durable-rules: pip install 'policymatch[events]'"
    ) from exc

Fact = Mapping[str, int | str]

#: Result codes of durable_rules_engine's assert and retract calls.
_HANDLED, _NOT_HANDLED, _OBSERVED = 0, 1, 2

_rulesets_made = itertools.count()


class DurableError(RuntimeError):
    """durable_rules did not do what the watcher relies on (a bug here, never bad input)."""


def ruleset_name(shard: int) -> str:
    """A name no other ruleset in this process has."""
    return f"pm{os.getpid()}_{next(_rulesets_made)}_s{shard}"


class Session:
    """A policy set's candidate rules in durable_rules, sharded into rulesets."""

    def __init__(self, program: Program) -> None:
        self._policy = {rule.name: rule.policy for shard in program.shards for rule in shard}
        self._handles: list[int] = []
        try:
            for k, shard in enumerate(program.shards):
                rules = {rule.name: {"all": [{"m": rule.condition()}]} for rule in shard}
                text = json.dumps(rules, ensure_ascii=False)
                self._handles.append(durable_rules_engine.create_ruleset(ruleset_name(k), text))
        except BaseException:
            self.close()
            raise

    def match(self, fact: Fact) -> frozenset[int]:
        """The indexes of the policies whose candidate rules ``fact`` meets."""
        text = json.dumps(fact, ensure_ascii=False)
        matches: set[int] = set()
        for handle in self._handles:
            try:
                handled = self._assert(handle, text, matches)
            except BaseException:
                # Retracting a fact a ruleset does not hold is a no-op.
                durable_rules_engine.retract_fact(handle, text)
                raise
            if handled:
                durable_rules_engine.retract_fact(handle, text)
        return frozenset(matches)

    def _assert(self, handle: int, text: str, matches: set[int]) -> bool:
        """Assert into one ruleset and take the rules it fired; False when none matched."""
        try:
            code, state = durable_rules_engine.assert_fact(handle, text)
        except durable_rules_engine.error as exc:
            raise DurableError(f"durable_rules refused the fact {_id(text)}: {exc}") from exc
        if code == _NOT_HANDLED:
            return False
        if code != _HANDLED:
            why = "it holds a fact with that id" if code == _OBSERVED else f"code {code}"
            raise DurableError(f"durable_rules refused the fact {_id(text)}: {why}")
        fired = durable_rules_engine.start_action_for_state(handle, state)
        if not fired:
            raise DurableError(f"the rules the fact {_id(text)} fired could not be taken")
        messages, problem = fired[1], None
        while messages:
            # Every fired rule is completed, even after a problem: an action abandoned or left
            # started blocks the session, and durable frees its fact under it (a crash).
            if problem is None:
                try:
                    self._take(messages, text, matches)
                except BaseException as exc:
                    problem = exc
            messages = durable_rules_engine.complete_and_start_action(handle, state)
        if problem is not None:
            raise problem
        return True

    def _take(self, message: str, text: str, matches: set[int]) -> None:
        """Record one fired rule: ``{"<rule>":{"m":<the fact as asserted>}}``."""
        rule, _, rest = message[2:].partition('":{"m":')
        if not message.startswith('{"') or rest != text + "}}":
            # Not the shape durable hands back for the fact just asserted: say whose it is.
            (rule, content), *_ = json.loads(message).items()
            raise DurableError(f"rule {rule} fired for {content['m']['id']}, not {_id(text)}")
        policy = self._policy.get(rule)
        if policy is None:
            raise DurableError(f"durable fired rule {rule}, which no shard of this session has")
        matches.add(policy)

    @property
    def shards(self) -> int:
        return len(self._handles)

    def close(self) -> None:
        """Free the rulesets in the engine (durable keeps them until then)."""
        while self._handles:
            durable_rules_engine.delete_ruleset(self._handles.pop())


def _id(text: str) -> str:
    return str(json.loads(text)["id"])
