"""durable_rules 2.0.28's traps, one test each: what the library does, and that we handle it.

Each test first pins the library's own behaviour (so an upgrade that changes it shows up here),
then shows the backend living with it. Anything that can hang runs in a subprocess with a
timeout: the test suite itself never waits on durable.
"""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
import textwrap
import threading
from decimal import Decimal
from typing import Any

import pytest

pytest.importorskip("durable")

import durable.lang
import durable_rules_engine
from durable import engine

from policymatch.backends.durable import DurableError, Watcher
from policymatch.backends.durable.compile import (
    MAX_FACT_PROPERTIES,
    POLICY_PATHS,
    SHARD_PATHS,
    compile_program,
)
from policymatch.backends.durable.cond import Atom
from policymatch.backends.durable.session import Session, ruleset_name
from policymatch.rules import ir
from policymatch.schema import STANDARD_SCHEMA
from policymatch.testing.policygen import generate_policy_set
from tests.backends.durable.helpers import (
    AS_OF,
    USCC,
    compare,
    policy,
    policy_set,
    record,
    uscc,
)

#: Long enough for any durable call that returns at all (they take milliseconds).
HANG_SECONDS = 3


def _ruleset(rules: dict[str, dict[str, Any]], name: str = "probe") -> Any:
    """A bare durable ruleset; every rule's action appends its name to the returned list."""
    fired: list[str] = []

    def action(rule: str) -> Any:
        return lambda c: fired.append(rule)

    definition = {r: {"all": [{"m": cond}], "run": action(r)} for r, cond in rules.items()}
    rs = engine.Ruleset(name, None, definition)
    rs.fired = fired
    return rs


def _assert(rs: Any, fact: dict[str, Any]) -> list[str]:
    rs.fired.clear()
    rs.do_actions(rs.assert_fact(fact), lambda e, s: None)
    return sorted(rs.fired)


def _run(script: str, timeout: float = 30) -> subprocess.CompletedProcess[str] | None:
    """Run ``script`` in a fresh interpreter; None when it had to be killed."""
    try:
        return subprocess.run(
            [sys.executable, "-c", textwrap.dedent(script)],
            capture_output=True,
            text=True,
            timeout=timeout,
        )
    except subprocess.TimeoutExpired:
        return None


def test_a_fact_that_matches_no_rule_raises_not_handled() -> None:
    rs = _ruleset({"r": {"$gte": {"x": 10}}})
    with pytest.raises(engine.MessageNotHandledException):
        rs.assert_fact({"id": "a", "x": 1})

    # The watcher takes it as "no candidate": no error, nothing due, and it can change later.
    policies = (policy("P-1", compare(">=", "employees", 10)),)
    with Watcher(policy_set(policies), AS_OF) as watcher:
        assert watcher.update(record(employees=1)) == []
        assert [n.kind for n in watcher.update(record(employees=10))] == ["grant"]
        assert [n.kind for n in watcher.update(record(employees=1))] == ["revoke"]
        assert [n.kind for n in watcher.remove(USCC)] == []


def test_asserting_an_identical_fact_twice_raises_observed() -> None:
    rs = _ruleset({"r": {"$gte": {"x": 0}}})
    _assert(rs, {"id": "a", "x": 1})
    with pytest.raises(engine.MessageObservedException):
        rs.assert_fact({"id": "a", "x": 1})

    # A session's rulesets hold no fact between matches: the same row, or a changed one, asserts
    # as if for the first time (and a county registry is not kept in durable, at ~9 KB a fact).
    policies = (policy("P-1", compare(">=", "employees", 10)),)
    with Watcher(policy_set(policies), AS_OF) as watcher:
        assert len(watcher.update(record(employees=50))) == 1
        assert watcher.update(record(employees=50)) == []  # the same row again: nothing new
        assert watcher.update(record(employees=60)) == []  # changed, asserted, still due
        assert [(d.uscc, d.policy_id) for d in watcher.due()] == [(USCC, "P-1")]
        session = watcher._session
        fact = watcher.program.layout.encode(USCC, {"employees": 70})
        assert session.match(fact) == session.match(fact) == {0}
        assert [durable_rules_engine.get_facts(h, "0") for h in session._handles] == ["[]"]


def test_distinct_facts_without_an_id_collide() -> None:
    # durable identifies a fact without "id" by a hash of its content; these two collide
    # (found by asserting {"x": 1, "i": 0..} until the first false MessageObservedException).
    rs = _ruleset({"r": {"$gte": {"x": 0}}})
    _assert(rs, {"x": 1, "i": 6931})
    with pytest.raises(engine.MessageObservedException):
        rs.assert_fact({"x": 1, "i": 17986})

    # Every fact of ours carries the USCC as its id: the same two contents are told apart.
    rs = _ruleset({"r": {"$gte": {"x": 0}}}, name="with-ids")
    _assert(rs, {"id": "A", "x": 1, "i": 6931})
    assert _assert(rs, {"id": "B", "x": 1, "i": 17986}) == ["r"]
    program = compile_program(
        (policy("P-1", compare(">=", "employees", 0)),), STANDARD_SCHEMA, AS_OF
    )
    assert program.layout.encode(USCC, {"employees": 1})["id"] == USCC


def test_post_fires_only_one_rule_so_enterprises_are_facts() -> None:
    rules = {"a": {"$gte": {"x": 0}}, "b": {"$gte": {"x": 1}}}
    rs = _ruleset(rules)
    rs.fired.clear()
    rs.do_actions(rs.assert_event({"id": "e", "x": 5}), lambda e, s: None)
    assert len(rs.fired) == 1
    assert _assert(_ruleset(rules, "facts"), {"id": "f", "x": 5}) == ["a", "b"]

    policies = tuple(policy(f"P-{i}", compare(">=", "employees", i)) for i in range(5))
    with Watcher(policy_set(policies), AS_OF) as watcher:
        assert sorted(n.policy_id for n in watcher.update(record(employees=9))) == [
            f"P-{i}" for i in range(5)
        ]


def test_an_exception_in_an_action_is_swallowed_into_the_state() -> None:
    def boom(c: Any) -> None:
        raise ValueError("kaboom")

    rs = engine.Ruleset("boom", None, {"r": {"all": [{"m": {"$gte": {"x": 0}}}], "run": boom}})
    outcome: list[Any] = []
    rs.do_actions(rs.assert_fact({"id": "a", "x": 1}), lambda e, s: outcome.append((e, s)))
    error, _state = outcome[0]
    assert error is None  # the caller is told nothing went wrong ...
    assert "kaboom" in rs.get_state(None)["exception"]  # ... only the session state knows

    # The session runs no Python inside durable: it takes the fired rules itself, so a failure
    # while handling one surfaces, and the half-taken action is abandoned, not left queued.
    program = compile_program(
        (policy("P-1", compare(">=", "employees", 0)),), STANDARD_SCHEMA, AS_OF
    )
    session = Session(program)
    try:
        rule = session._policy.pop("p0_0")
        with pytest.raises(DurableError, match="p0_0"):
            session.match(program.layout.encode(USCC, {"employees": 3}))
        session._policy["p0_0"] = rule
        assert session.match(program.layout.encode(USCC, {"employees": 4})) == {0}
    finally:
        session.close()


def test_fired_rules_queue_whichever_fact_fired_them() -> None:
    rs = _ruleset({"r": {"$gte": {"x": 0}}})
    rs.assert_fact({"id": "a", "x": 1})  # its fired rule is not taken
    state = rs.assert_fact({"id": "b", "x": 1})
    taken = [json.loads(durable_rules_engine.start_action_for_state(rs._handle, state)[1])]
    taken.append(json.loads(durable_rules_engine.complete_and_start_action(rs._handle, state)))
    assert sorted(t["r"]["m"]["id"] for t in taken) == ["a", "b"]  # b's assert hands back a's

    # A fired rule taken but not completed blocks the session: nothing more can be taken.
    rs = _ruleset({"r": {"$gte": {"x": 0}}}, "blocked")
    state = rs.assert_fact({"id": "a", "x": 1})
    assert durable_rules_engine.start_action_for_state(rs._handle, state)
    state = rs.assert_fact({"id": "b", "x": 1})
    assert durable_rules_engine.start_action_for_state(rs._handle, state) is None
    # One abandoned (as durable.engine does on an error) and then retracted crashes the process.
    crashed = _run(
        """
        import json, durable_rules_engine as dre
        h = dre.create_ruleset("t", json.dumps({"r": {"all": [{"m": {"$gte": {"x": 0}}}]}}))
        fact = json.dumps({"id": "a", "x": 1})
        code, state = dre.assert_fact(h, fact)
        dre.start_action_for_state(h, state)
        dre.abandon_action(h, state)
        dre.retract_fact(h, fact)
        code, state = dre.assert_fact(h, json.dumps({"id": "a", "x": 2}))
        dre.start_action_for_state(h, state)
        dre.complete_and_start_action(h, state)
        print("survived")
        """
    )
    assert crashed is not None
    assert crashed.returncode < 0  # killed by a signal (SIGSEGV)
    assert "survived" not in crashed.stdout

    # The session takes every fired rule after each assert, and checks whose it is.
    program = compile_program(
        (policy("P-1", compare(">=", "employees", 0)),), STANDARD_SCHEMA, AS_OF
    )
    session = Session(program)
    try:
        stray = json.dumps(program.layout.encode(uscc(9), {"employees": 1}))
        durable_rules_engine.assert_fact(session._handles[0], stray)  # fired, never taken
        with pytest.raises(DurableError, match=f"fired for {uscc(9)}"):
            session.match(program.layout.encode(USCC, {"employees": 3}))
        assert session.match(program.layout.encode(USCC, {"employees": 4})) == {0}
        # A blocked session is an error, never "no candidates".
        stray = json.dumps(program.layout.encode(uscc(8), {"employees": 1}))
        _, state = durable_rules_engine.assert_fact(session._handles[0], stray)
        assert durable_rules_engine.start_action_for_state(session._handles[0], state)
        with pytest.raises(DurableError, match="could not be taken"):
            session.match(program.layout.encode(USCC, {"employees": 5}))
    finally:
        session.close()


def test_a_two_parameter_action_never_completes() -> None:
    # durable takes a function of two parameters for an asynchronous action that calls back.
    calls: list[Any] = []
    rs = engine.Ruleset(
        "async",
        None,
        {"r": {"all": [{"m": {"$gte": {"x": 0}}}], "run": lambda c, cb: calls.append(cb)}},
    )
    done: list[Any] = []
    rs.do_actions(rs.assert_fact({"id": "a", "x": 1}), lambda e, s: done.append(e))
    assert calls
    assert not done

    # The session has no Python actions at all: every assert completes.
    program = compile_program(
        (policy("P-1", compare(">=", "employees", 0)),), STANDARD_SCHEMA, AS_OF
    )
    session = Session(program)
    try:
        assert session.match(program.layout.encode(USCC, {"employees": 3})) == {0}
    finally:
        session.close()


def test_ruleset_names_are_global_to_durable_lang() -> None:
    result = _run(
        """
        from durable.lang import ruleset, when_all, m, assert_fact
        for _ in range(2):
            with ruleset("same"):
                @when_all(m.x > 0)
                def seen(c):
                    pass
            try:
                assert_fact("same", {"x": 1})
            except Exception as exc:
                print(exc)
        """
    )
    assert result is not None
    assert "Ruleset with name same already registered" in result.stdout

    # Two watchers over one policy set in one process: each owns its uniquely named rulesets.
    policies = policy_set((policy("P-1", compare(">=", "employees", 0)),))
    with Watcher(policies, AS_OF) as one, Watcher(policies, AS_OF) as two:
        assert len(one.update(record(employees=1))) == 1
        assert len(two.update(record(employees=1))) == 1
        assert one._session._handles != two._session._handles
    assert ruleset_name(0) != ruleset_name(0)


def test_durable_lang_host_starts_threads_the_session_does_not() -> None:
    # In a subprocess: the host's timers re-arm themselves and would outlive this test.
    result = _run(
        """
        import threading
        from durable import engine
        before = threading.active_count()
        engine.Host()
        print(threading.active_count() - before)
        """
    )
    assert result is not None
    assert int(result.stdout) > 0  # timers that dispatch actions on their own

    before = set(threading.enumerate())
    with Watcher(policy_set((policy("P-1", compare(">=", "employees", 0)),)), AS_OF) as watcher:
        watcher.update(record(employees=1))
        assert set(threading.enumerate()) <= before


def test_more_than_64_matching_paths_in_one_ruleset_fail_with_303() -> None:
    def rules(n: int) -> dict[str, dict[str, Any]]:
        return {f"r{i}": {"$gte": {"x": i}} for i in range(n)}

    assert len(_assert(_ruleset(rules(SHARD_PATHS), "64"), {"id": "a", "x": 10**6})) == 64
    with pytest.raises(durable_rules_engine.error, match="303"):
        _ruleset(rules(SHARD_PATHS + 1), "65").assert_fact({"id": "a", "x": 10**6})
    # An "or" is one path per branch, and fires once per branch that holds.
    both = _ruleset({"r": {"$or": [{"$gte": {"x": 0}}, {"$gte": {"y": 0}}]}}, "or")
    assert _assert(both, {"id": "a", "x": 1, "y": 1}) == ["r", "r"]

    # The compiler never puts more than SHARD_PATHS paths in one ruleset, so a fact that meets
    # every rule of every shard (employees unknown) asserts fine.
    policies = tuple(
        policy(f"P-{i}", compare(">=", "employees", i)) for i in range(3 * SHARD_PATHS)
    )
    program = compile_program(policies, STANDARD_SCHEMA, AS_OF)
    assert max(len(s) for s in program.shards) <= SHARD_PATHS
    assert POLICY_PATHS <= SHARD_PATHS
    with Watcher(policy_set(policies), AS_OF) as watcher:
        assert len(watcher._session.match(program.layout.encode(USCC, {}))) == len(policies)


def test_the_generated_policies_do_not_fit_one_ruleset() -> None:
    policies = generate_policy_set(200, seed=0).in_force(AS_OF)
    program = compile_program(policies, STANDARD_SCHEMA, AS_OF)
    local = program.layout.encode(USCC, {"region": "361126", "credit_blacklisted": False})
    rules = {r.name: {"all": [{"m": r.condition()}]} for shard in program.shards for r in shard}
    assert SHARD_PATHS < len(rules) <= 512
    handle = durable_rules_engine.create_ruleset("all-in-one", json.dumps(rules))
    try:
        with pytest.raises(durable_rules_engine.error, match="error code: 303"):
            durable_rules_engine.assert_fact(handle, json.dumps(local))
    finally:
        durable_rules_engine.delete_ruleset(handle)

    session = Session(program)
    try:
        assert session.shards == 5
        assert len(session.match(local)) > SHARD_PATHS
    finally:
        session.close()


def test_more_than_512_paths_in_one_ruleset_hang() -> None:
    script = """
        from durable import engine
        rules = {{f"r{{i}}": {{"all": [{{"m": {{"$gte": {{"x": i}}}}}}], "run": lambda c: None}}
                 for i in range({n})}}
        engine.Ruleset("big", None, rules)
        print("created")
    """
    done = _run(script.format(n=512))
    assert done is not None
    assert "created" in done.stdout
    assert _run(script.format(n=513), timeout=HANG_SECONDS) is None  # it never returns

    policies = tuple(policy(f"P-{i}", compare(">=", "employees", i)) for i in range(600))
    program = compile_program(policies, STANDARD_SCHEMA, AS_OF)
    assert sum(len(s) for s in program.shards) == 600
    assert max(len(s) for s in program.shards) <= SHARD_PATHS


def test_a_fact_holds_at_most_253_properties() -> None:
    rs = _ruleset({"r": {"$gte": {"x": 0}}})
    fact = {"id": "a", "x": 1, **{f"p{i}": i for i in range(251)}}
    assert _assert(rs, fact) == ["r"]
    with pytest.raises(durable_rules_engine.error, match="302"):
        rs.assert_fact({"id": "b", "x": 1, **{f"p{i}": i for i in range(252)}})

    # A policy set reading more fields than a fact can carry still compiles: the extra tests
    # are left to the confirmation step, and the fact stays within the limit.
    schema = STANDARD_SCHEMA
    for i in range(150):
        schema = schema.extend(f"extra{i}", type_=STANDARD_SCHEMA["employees"].type)
    policies = tuple(policy(f"P-{i}", compare(">=", f"extra{i}", 1, schema)) for i in range(150))
    program = compile_program(policies, schema, AS_OF)
    fact = program.layout.encode(USCC, {f"extra{i}": 5 for i in range(150)})
    assert len(fact) <= MAX_FACT_PROPERTIES < 253
    session = Session(program)
    try:
        assert session.match(fact) == set(range(150))
    finally:
        session.close()


def test_facts_must_be_json() -> None:
    rs = _ruleset({"r": {"$gte": {"x": 0}}})
    for value in (dt.date(2024, 3, 1), Decimal("1.10"), {"专精特新"}):
        with pytest.raises(TypeError, match="not JSON serializable"):
            rs.assert_fact({"id": "a", "x": 1, "v": value})

    # Encoded facts are integers and plain strings, exact at the typed frame's scale.
    policies = (
        policy("P-1", compare(">=", "revenue", Decimal("500.01"))),
        policy("P-2", compare("<=", "registered_on", dt.date(2020, 1, 1))),
        policy("P-3", ir.HasTag(ir.Field("tags", STANDARD_SCHEMA["tags"].type), "专精特新")),
    )
    program = compile_program(policies, STANDARD_SCHEMA, AS_OF)
    fact = program.layout.encode(
        USCC,
        {
            "revenue": Decimal("500.01"),
            "registered_on": dt.date(2020, 1, 1),
            "tags": frozenset({"专精特新"}),
        },
    )
    assert json.loads(json.dumps(fact, ensure_ascii=False)) == fact
    assert {type(v) for v in fact.values()} <= {int, str}
    assert 50001 in fact.values()
    assert dt.date(2020, 1, 1).toordinal() in fact.values()


def test_our_atoms_are_what_durable_lang_writes() -> None:
    m = durable.lang.m
    assert Atom("x", "$eq", 5).to_json() == (m.x == 5).define()
    assert Atom("x", "$neq", "a").to_json() == (m.x != "a").define()
    assert Atom("x", "$lt", 5).to_json() == (m.x < 5).define()
    assert Atom("x", "$lte", 5).to_json() == (m.x <= 5).define()
    assert Atom("x", "$gt", 5).to_json() == (m.x > 5).define()
    assert Atom("x", "$gte", 5).to_json() == (m.x >= 5).define()
