"""Every graders rule can fail, and says why: one violating subject per rule, and its valid twin.

As in test_violations_evals.py: a grader over its life, the list, a grade, and a refused grader, each with one
mutation that breaks the rule. Seed 000 shows the requests of the Graders API and no answer: its example requests
are accepted by the request schemas, and the answers the rules read are built from them (DECISIONS.md:
graders-seed-000).
"""

from __future__ import annotations

import copy
from typing import Any

import pytest

from conformance.judgement import Status, judge
from conformance.requirements import Level, catalogue
from conformance.schemas import validate
from tests.test_violations import Http
from tests.test_violations_responses import Life, V, param, violating

T = 1_738_960_610
GRADER = "grader_123"
PATH = f"/graders/{GRADER}"
# Seed 000's example requests (Create Grader, Grade Response).
SEED_CREATE = {
    "name": "Response Quality Grader",
    "instructions": "Grade responses on helpfulness, accuracy, and clarity",
    "grading_model": "gpt-4o",
}
SEED_GRADE = {"input": "What is the capital of France?", "output": "The capital of France is Paris.",
              "expected_output": "Paris is the capital of France."}  # fmt: skip
CLAIMS = frozenset({"graders"})  # graders is claimed only by name
NOT_FOUND = {"error": {"message": "Not found.", "type": "invalid_request_error", "param": None, "code": None}}
INVALID = {"error": {"message": "Invalid type for 'grading_model': expected a string, but got an integer instead.",
                     "type": "invalid_request_error", "param": "grading_model", "code": "invalid_type"}}  # fmt: skip


def a_grader(ident: str = GRADER, **over: Any) -> dict[str, Any]:
    return {"object": "grader", "id": ident, "created_at": T, **copy.deepcopy(SEED_CREATE), **over}


def get(body: Any, path: str = PATH, status: int = 200) -> Http:
    return Http(None, body, status, path=path, method="GET")


def created(**over: Any) -> Http:
    return Http(copy.deepcopy(SEED_CREATE), a_grader(**over), path="/graders")


def grader_life() -> Life:
    renamed = {"name": "renamed", "instructions": "Grade accuracy only"}
    return Life(created(), [
        ["retrieve", get(a_grader())],
        ["update", Http(renamed, a_grader(**renamed), path=PATH)],
        ["retrieve-updated", get(a_grader(**renamed))],
        ["delete", Http(None, {"id": GRADER, "object": "grader.deleted", "deleted": True}, path=PATH,
                        method="DELETE")],
        ["retrieve-deleted", get(copy.deepcopy(NOT_FOUND), status=404)],
    ])  # fmt: skip


def listed() -> Life:
    second = Http(copy.deepcopy(SEED_CREATE), a_grader("grader_2", created_at=T + 1), path="/graders")
    page = {"object": "list", "data": [a_grader(), a_grader("grader_2", created_at=T + 1)], "first_id": GRADER,
            "last_id": "grader_2", "has_more": False}  # fmt: skip
    return Life(created(), [["created", second], ["list", get(page, "/graders")]])


def graded() -> Http:
    return Http(copy.deepcopy(SEED_GRADE), {"object": "grader.grade", "grader_id": GRADER, "score": 0.62},
                path=f"{PATH}/grade")  # fmt: skip


def refused() -> Http:
    return Http({**SEED_CREATE, "grading_model": 42}, copy.deepcopy(INVALID), 400, path="/graders")


def answered(status: int, body: Any):
    return lambda s: (setattr(s, "status", status), setattr(s, "body", body))


VIOLATIONS: list[V] = [
    V("graders.create.schema", "created_at an ISO string", created,
      lambda s: s.body.update(created_at="2025-02-07T20:36:50Z"), "'2025-02-07T20:36:50Z'"),
    V("graders.create.echoes", "another grading model", created, lambda s: s.body.update(grading_model="gpt-4o-mini"),
      "as sent"),
    V("graders.object.keys", "no instructions on retrieve", grader_life,
      lambda s: s.step("retrieve").body.pop("instructions"), "without instructions"),
    V("graders.retrieve.same", "another name on retrieve", grader_life,
      lambda s: s.step("retrieve").body.update(name="other"), "as created"),
    V("graders.update.applied", "the update ignored", grader_life,
      lambda s: s.step("retrieve-updated").body.update(name="Response Quality Grader"), "as updated"),
    V("graders.delete.deleted", "still there once deleted", grader_life,
      lambda s: answered(200, a_grader())(s.step("retrieve-deleted")), "404"),
    V("graders.list.contains", "a grader not listed", listed, lambda s: s.step("list").body["data"].pop(),
      "grader_2"),
    V("graders.retrieve.unknown", "an unknown id answered 200", lambda: get(copy.deepcopy(NOT_FOUND), status=404),
      answered(200, a_grader()), "404"),
    V("graders.create.invalid", "a number as grading model accepted", refused,
      answered(200, a_grader(grading_model=42)), "4xx"),
    V("graders.grade.schema", "the score a string", graded, lambda s: s.body.update(score="0.62"), "'0.62'"),
    V("graders.grade.score", "no score", graded, lambda s: s.body.pop("score"), "numeric score"),
]  # fmt: skip


@pytest.mark.parametrize("v", [param(v) for v in VIOLATIONS])
def test_violation_fails(v: V) -> None:
    """The mutated subject FAILs v's rule (WARNs a SHOULD), each failure quoting what was received and expected."""
    [obs] = judge(violating(v), [v.rid], claims=CLAIMS)
    assert obs.status is (Status.FAIL if catalogue()[v.rid].level is Level.MUST else Status.WARN), obs
    for failure in obs.failures:
        assert failure.requirement == v.rid
        assert "Received:" in failure.message and "Expected:" in failure.message, failure.message
    assert v.shows in "\n".join(str(f) for f in obs.failures), f"{v.shows!r} not quoted in {obs.failures}"


@pytest.mark.parametrize("v", [param(v) for v in VIOLATIONS])
def test_valid_counterpart_passes(v: V) -> None:
    [obs] = judge(v.good().subject(), [v.rid], claims=CLAIMS)
    assert obs.status is Status.PASS, obs


def test_unclaimed_nothing_is_judged() -> None:
    [obs] = judge(VIOLATIONS[0].good().subject(), [VIOLATIONS[0].rid])
    assert obs.status is Status.NOT_CLAIMED, obs


def test_every_graders_requirement_has_a_violation() -> None:
    assert {v.rid for v in VIOLATIONS} == {r for r in catalogue() if r.startswith("graders.")}


def test_a_reward_is_a_score_too() -> None:
    spec = graded()
    spec.body = {"reward": 1.0, "metadata": {}}
    [obs] = judge(spec.subject(), ["graders.grade.score"], claims=CLAIMS)
    assert obs.status is Status.PASS, obs


def test_a_grader_answered_with_only_its_id_passes_the_schema_and_warns() -> None:
    """Seed 000 shows no grader object: an id is all a MUST asks; the keys it was made with are a SHOULD."""
    spec = grader_life()
    spec.created.body = {"id": GRADER}
    spec.step("retrieve").body = {"id": GRADER}
    [schema] = judge(spec.created.subject(), ["graders.create.schema"], claims=CLAIMS)
    [keys] = judge(spec.subject(), ["graders.object.keys"], claims=CLAIMS)
    assert schema.status is Status.PASS and keys.status is Status.WARN, (schema, keys)


def test_an_update_no_answer_shows_is_not_judged() -> None:
    """A grader answered without the keys updated shows no update: a skip (graders.object.keys warns of it)."""
    spec = grader_life()
    for step in ("update", "retrieve-updated"):
        spec.step(step).body = {"id": GRADER}
    [obs] = judge(spec.subject(), ["graders.update.applied"], claims=CLAIMS)
    assert obs.status is Status.SKIP and "graders.object.keys" in obs.reason, obs


def test_a_deletion_naming_another_grader_fails() -> None:
    spec = grader_life()
    spec.step("delete").body["id"] = "grader_other"
    [obs] = judge(spec.subject(), ["graders.delete.deleted"], claims=CLAIMS)
    assert obs.status is Status.FAIL and "grader_other" in str(obs.failures), obs


# The seeds' examples -------------------------------------------------------------------------------------------


def test_the_seeds_example_requests_are_accepted() -> None:
    assert not validate("graders.create.request", SEED_CREATE)
    assert not validate("graders.update.request", {"name": "Response Quality Grader"})
    assert not validate("graders.grade.request", SEED_GRADE)
    assert validate("graders.create.request", {"name": "no model"}), "instructions and grading_model are required"
