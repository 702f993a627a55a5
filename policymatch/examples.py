"""Running the ``examples`` of a policy set (``policymatch test``) on the reference evaluator."""

from __future__ import annotations

from dataclasses import dataclass

from .backends.reference import Outcome, evaluate_policy
from .rules import PolicySet, ir
from .values import Value


@dataclass(frozen=True)
class ExampleResult:
    policy: ir.Policy
    example: ir.Example
    problems: tuple[str, ...]
    outcome: Outcome | None

    @property
    def passed(self) -> bool:
        return not self.problems


def example_record(example: ir.Example) -> dict[str, Value]:
    """The example's enterprise as a registry record, with ``size`` derived when not given."""
    from .registry.size import classify_record

    record: dict[str, Value] = dict(example.enterprise)  # type: ignore[arg-type]
    if record.get("size") is None:
        record["size"] = classify_record(record)
    return record


def _describe(outcome: Outcome) -> str:
    if outcome.status == "unknown":
        return f"unknown (missing: {', '.join(outcome.missing)})"
    if outcome.status == "eligible":
        return f"eligible, amount {outcome.amount}"
    if outcome.eligible:
        return f"not granted: the conditions hold but the amount is {outcome.amount}"
    return "not eligible" + (
        f" (fails: {', '.join(outcome.failed_top)})" if outcome.failed_top else ""
    )


def run_example(policy: ir.Policy, example: ir.Example) -> ExampleResult:
    if not policy.in_force(example.as_of):
        period = f"{policy.effective_from or '…'} to {policy.effective_to or '…'}"
        return ExampleResult(
            policy,
            example,
            (f"as_of {example.as_of} is outside the policy's effective period {period}",),
            None,
        )
    outcome = evaluate_policy(policy, example_record(example), example.as_of)
    problems: list[str] = []
    if example.eligible is None:
        if outcome.status != "unknown":
            problems.append(f"expected unknown (missing data), got {_describe(outcome)}")
    elif outcome.status == "unknown" and example.eligible is False:
        problems.append(
            f"expected not eligible, got {_describe(outcome)}: missing data makes the result "
            "unknown, not 'not eligible'; give the missing fields or write eligible: unknown"
        )
    elif (outcome.status == "eligible") is not example.eligible:
        want = "eligible" if example.eligible else "not eligible"
        problems.append(f"expected {want}, got {_describe(outcome)}")
    if example.amount is not None and outcome.eligible and outcome.amount != example.amount:
        problems.append(
            f"expected amount {example.amount}, got {outcome.amount if outcome.amount is not None else 'unknown'}"
        )
    if example.fails is not None and set(example.fails) != set(outcome.failed_top):
        got = ", ".join(outcome.failed_top) or "nothing"
        problems.append(f"expected to fail [{', '.join(example.fails)}], failed: {got}")
    return ExampleResult(policy, example, tuple(problems), outcome)


def run_examples(policy_set: PolicySet) -> list[ExampleResult]:
    return [run_example(p, ex) for p in policy_set.policies for ex in p.examples]
