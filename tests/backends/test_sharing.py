"""Predicate sharing: a sub-expression written in many policies is evaluated once per batch."""

from __future__ import annotations

import collections
from decimal import Decimal
from typing import Any

import pytest

from policymatch.backends.nearmiss import with_margin
from policymatch.backends.vectorized import VectorizedBackend, evaluate, kernels
from policymatch.backends.vectorized.evaluate import Pass, schedule
from policymatch.backends.vectorized.program import compile_program
from policymatch.testing.policygen import generate_policy_set
from tests.backends.conftest import AS_OF, Compile, frame_of

POLICIES = "\n".join(
    ["define:", '  本地企业: region == "361126" and not credit_blacklisted', "policies:"]
    + [
        f"""\
  - id: P{i:02d}
    title: 政策{i}
    eligibility:
      all:
        - 本地企业
        - region == "361126"
        - employees >= {10 + i}
        - '"专精特新" in tags'
    amount: 1万"""
        for i in range(40)
    ]
)


def test_shared_predicates_are_one_node_evaluated_once(
    compile_yaml: Compile, monkeypatch: pytest.MonkeyPatch
) -> None:
    ps = compile_yaml(POLICIES)
    # With a near-miss margin of 0 a threshold's margin test is the threshold itself: one node.
    policies = with_margin(ps.policies, Decimal(0))
    program = compile_program(policies)
    kinds = collections.Counter(n.kind for n in program.nodes)
    # region == "361126" (in the define and written out again), the tag test and not
    # credit_blacklisted are one node each; the 40 thresholds are 40 nodes on one field node.
    assert kinds["text_in"] == 1
    assert kinds["has_tag"] == 1
    assert kinds["not"] == 1
    assert kinds["compare_constant"] == 40
    assert kinds["field"] == 4  # region, credit_blacklisted, employees, tags

    calls: collections.Counter[str] = collections.Counter()
    for kind, kernel in list(kernels.KERNELS.items()):

        def counted(node: Any, args: Any, src: Any, kernel: Any = kernel, kind: str = kind) -> Any:
            calls[kind] += 1
            return kernel(node, args, src)

        monkeypatch.setitem(kernels.KERNELS, kind, counted)
    together = evaluate.compare_constants

    def counted_together(nodes: Any, subject: Any, rows: Any) -> Any:
        out = together(nodes, subject, rows)
        calls["compare_constant"] += len(out)  # the comparisons run together, each once
        return out

    monkeypatch.setattr(evaluate, "compare_constants", counted_together)
    frame = frame_of([{"region": "361126", "employees": e} for e in range(60)], ps)
    VectorizedBackend(workers=1).match(policies, frame, AS_OF, ps.schema)
    assert calls["text_in"] == calls["has_tag"] == calls["not"] == 1
    assert calls["compare_constant"] == 40
    assert calls["field"] == 4


def test_the_eligibility_pass_frees_every_node_after_its_last_read() -> None:
    ps = generate_policy_set(60, seed=3)
    program = compile_program(ps.policies)
    frame = frame_of([{"region": "361126"}] * 10, ps)
    from policymatch.backends.vectorized.amounts import Stacked
    from policymatch.backends.vectorized.outcomes import BLOCK, Blame, Stack, layout, match_block
    from policymatch.backends.vectorized.results import Raw
    from policymatch.backends.vectorized.source import FrameSource

    source = FrameSource(frame, ps.schema, AS_OF)
    raw = Raw(tuple(p.policy.id for p in program.plans), list(program.texts))
    run = Pass(schedule(program, 0, len(program.plans)), source)
    blame, values = Blame(source, raw, program.fields), Stacked(source, program.plans)
    blocks = [program.plans[first : first + BLOCK] for first in range(0, len(program.plans), BLOCK)]
    layouts = [layout(block) for block in blocks]
    stack = Stack(layouts, source)
    for first, block, laid in zip(
        range(0, len(program.plans), BLOCK), blocks, layouts, strict=True
    ):
        match_block(block, laid, first, program, run, source, raw, blame, values, stack)
    assert run.memo == {}
