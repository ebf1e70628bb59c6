"""The two judgements every violating example of the containers and ChatKit families makes: the mutated subject
fails its rule (WARNs a SHOULD) with a message that quotes the evidence, and the valid twin passes."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from conformance.judgement import Status, judge
from conformance.requirements import Level, catalogue
from tests.test_violations_responses import V


def assert_violation_fails(v: V) -> None:
    spec = v.good()
    v.mutate(spec)
    [obs] = judge(spec.subject(), [v.rid])
    wanted = Status.FAIL if catalogue()[v.rid].level is Level.MUST else Status.WARN
    assert obs.status is wanted, obs
    assert obs.failures
    for failure in obs.failures:
        assert failure.requirement == v.rid
        assert "Received:" in failure.message and "Expected:" in failure.message, failure.message
    assert v.shows in "\n".join(str(f) for f in obs.failures), f"{v.shows!r} not quoted in {obs.failures}"


def assert_valid_passes(v: V) -> None:
    [obs] = judge(v.good().subject(), [v.rid])
    assert obs.status is Status.PASS, obs


def violation_tests(violations: list[V]) -> tuple[Callable[[V], None], Callable[[V], None]]:
    """The two parametrized tests of a family's table of violations, to bind at module level as
    `test_violation_fails, test_valid_counterpart_passes = violation_tests(VIOLATIONS)`."""
    params = [pytest.param(v, id=f"{v.rid}: {v.what}") for v in violations]

    @pytest.mark.parametrize("v", params)
    def test_violation_fails(v: V) -> None:
        assert_violation_fails(v)

    @pytest.mark.parametrize("v", params)
    def test_valid_counterpart_passes(v: V) -> None:
        assert_valid_passes(v)

    return test_violation_fails, test_valid_counterpart_passes
