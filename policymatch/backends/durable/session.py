"""The durable_rules runtime of one watcher: its rulesets, its facts, and the library's traps.

durable_rules 2.0.28 (its last release, 2020) is driven here through ``durable.engine.Ruleset``
directly, not through ``durable.lang``'s process-wide host, and every trap it sets is handled
in one place (each has a test in ``tests/backends/durable/test_traps.py``):

- Ruleset names are global to ``durable.lang``'s host ("Ruleset with name ... already
  registered"): a session owns its rulesets and names them ``pm<pid>_<n>_s<k>``, unique in the
  process. The host also starts timer threads that dispatch queued actions on their own; without
  a host, every action runs synchronously inside :meth:`Session.put`, before it returns.
- A fact that matches no rule of a ruleset raises ``MessageNotHandledException``: that shard
  has no candidate for the enterprise, and the fact is not stored there (nor retracted later).
- Asserting a fact equal to one already held raises ``MessageObservedException``, and so does a
  *different* fact whose content hash collides with one held (some ten thousand facts in): every
  fact carries its USCC as ``id``, and an update retracts the enterprise's old fact first.
- ``post()`` (an event) fires only the first matching rule: enterprises are asserted as facts.
- An exception inside a rule's action is caught by durable and written into the session state,
  and the assert returns as if nothing happened: actions here record their own failures and
  :meth:`Session.put` raises :class:`DurableError` after the assert.
- A ruleset fails with error 303 when more than 64 of its paths match one fact, and
  ``create_ruleset`` hangs past 512 paths: the compiler shards (:mod:`.compile`).
- An action runs once per matching path of a rule: matches are collected as a set.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Callable, Mapping
from typing import Any

from .compile import Program

try:
    import durable_rules_engine  # type: ignore[import-not-found]
    from durable import engine
except ImportError as exc:  # pragma: no cover - depends on the installation
    raise ImportError(
        "the event backend needs durable-rules: pip install 'policymatch[events]'"
    ) from exc

Fact = Mapping[str, int | str]

_rulesets_made = itertools.count()


class DurableError(RuntimeError):
    """durable_rules did not do what the watcher relies on (a bug here, never bad input)."""


def ruleset_name(shard: int) -> str:
    """A name no other ruleset in this process has."""
    return f"pm{os.getpid()}_{next(_rulesets_made)}_s{shard}"


class Session:
    """Enterprise facts in durable_rules' working memory, and the policies each one matched."""

    def __init__(self, program: Program) -> None:
        self._matches: set[int] = set()
        self._fired_for: set[str] = set()
        self._failures: list[BaseException] = []
        self._held: dict[str, tuple[dict[str, int | str], tuple[int, ...], frozenset[int]]] = {}
        self._rulesets: list[Any] = []
        try:
            for k, shard in enumerate(program.shards):
                definition = {
                    rule.name: {"all": [{"m": rule.condition()}], "run": self._action(rule.policy)}
                    for rule in shard
                }
                self._rulesets.append(engine.Ruleset(ruleset_name(k), None, definition))
        except BaseException:
            self.close()
            raise

    def _action(self, policy: int) -> Callable[[Any], None]:
        # One positional parameter exactly: durable treats a two-parameter function as an
        # asynchronous action that must call back, and would never complete it.
        def action(c: Any) -> None:
            try:
                self._on_match(policy, c.m.id)
            except BaseException as exc:  # durable would swallow it into the session state
                self._failures.append(exc)

        return action

    def _on_match(self, policy: int, fact_id: str) -> None:
        self._matches.add(policy)
        self._fired_for.add(fact_id)

    def put(self, fact: Fact) -> frozenset[int]:
        """Replace the enterprise's fact (by ``id``); the indexes of the policies it matches."""
        fact_id = str(fact["id"])
        held = self._held.get(fact_id)
        if held is not None and held[0] == fact:
            return held[2]
        self.drop(fact_id)
        self._matches, self._fired_for, self._failures = set(), set(), []
        stored: list[int] = []
        try:
            for k, ruleset in enumerate(self._rulesets):
                if self._assert(ruleset, fact):
                    stored.append(k)
        except BaseException:
            for k in stored:
                self._rulesets[k].retract_fact(dict(fact))
            raise
        if self._fired_for - {fact_id}:
            raise DurableError(f"rules fired for facts {sorted(self._fired_for)} on {fact_id}")
        matches = frozenset(self._matches)
        self._held[fact_id] = (dict(fact), tuple(stored), matches)
        return matches

    def _assert(self, ruleset: Any, fact: Fact) -> bool:
        """Assert into one ruleset and run its actions; False when no rule there matched."""
        errors: list[BaseException] = []
        try:
            state = ruleset.assert_fact(dict(fact))
        except engine.MessageNotHandledException:
            return False
        except engine.MessageObservedException:
            raise DurableError(f"durable already holds a fact with id {fact['id']}") from None
        except durable_rules_engine.error as exc:
            raise DurableError(f"durable_rules refused the fact of {fact['id']}: {exc}") from exc
        ruleset.do_actions(state, lambda error, _state: errors.append(error) if error else None)
        if self._failures:
            raise DurableError(f"a rule action failed: {self._failures[0]!r}") from self._failures[
                0
            ]
        if errors:
            raise DurableError(f"durable_rules failed running actions: {errors[0]!r}")
        return True

    def drop(self, fact_id: str) -> None:
        """Retract the enterprise's fact, if one is held."""
        held = self._held.pop(fact_id, None)
        if held is None:
            return
        fact, stored, _ = held
        for k in stored:
            self._rulesets[k].retract_fact(fact)

    def matches(self, fact_id: str) -> frozenset[int]:
        held = self._held.get(fact_id)
        return frozenset() if held is None else held[2]

    @property
    def shards(self) -> int:
        return len(self._rulesets)

    def close(self) -> None:
        """Free the rulesets in the engine (durable keeps them, and their facts, until then)."""
        while self._rulesets:
            # Ruleset has no public way to delete itself; its engine handle is all it takes.
            durable_rules_engine.delete_ruleset(self._rulesets.pop()._handle)
        self._held.clear()
