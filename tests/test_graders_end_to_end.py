"""Graders end to end: each graders fault of the reference server is caught through client, cases, plugin and
reports, the same cases pass against a clean one leaving nothing behind, and the feature is claimed only by name
(the SDK's side is tests/test_sdk_graders.py)."""

from __future__ import annotations

import json
import re
from urllib.parse import urlsplit

import pytest

from conformance.reference import FAULTS
from conformance.requirements import feature_claimed
from tests._runs import assert_caught, certify, statuses

pytest_plugins = ["pytester"]

CASES = "graders/test_graders.py"
NAMED = ("--oai-retries", "0", "--oai-features", "graders")

# fault -> the requirements its run must fail (or warn, for a SHOULD)
CAUGHT = {
    "graders-create-renamed": ["graders.create.echoes"],
    "graders-keys-dropped": ["graders.object.keys"],
    "graders-retrieve-shifted": ["graders.retrieve.same"],
    "graders-update-ignored": ["graders.update.applied"],
    "graders-delete-kept": ["graders.delete.deleted"],
    "graders-not-listed": ["graders.list.contains"],
    "graders-unknown-200": ["graders.retrieve.unknown"],
    "graders-invalid-accepted": ["graders.create.invalid"],
    "graders-grade-not-object": ["graders.grade.schema"],
    "graders-grade-no-score": ["graders.grade.score"],
}


def graders(results: dict) -> dict[str, str]:
    return {rid: s for rid, s in statuses(results).items() if rid.startswith("graders.")}


def test_every_graders_fault_is_caught_here() -> None:
    assert set(CAUGHT) == {f for f in FAULTS if f.startswith("graders-")}


@pytest.mark.parametrize("fault", sorted(CAUGHT))
def test_fault_is_reported(pytester, monkeypatch, fault) -> None:
    rules = CAUGHT[fault]
    results = certify(pytester, monkeypatch, frozenset({fault}), CASES, *NAMED, only=rules)
    assert_caught(results, fault, rules)
    judged = graders(results)
    assert {rid for rid, status in judged.items() if status in ("fail", "warn")} == set(rules), judged


def test_the_same_cases_pass_without_a_fault(pytester, monkeypatch) -> None:
    results = certify(pytester, monkeypatch, frozenset(), CASES, *NAMED)
    judged = graders(results)
    assert judged == dict.fromkeys(judged, "pass") and len(judged) == 11, judged
    assert results["verdict"] == "conformant"
    resources = results["resources"]
    assert resources["left"] == [] and sorted(resources["deleted"]) == sorted(c["id"] for c in resources["created"])
    assert {c["kind"] for c in resources["created"]} == {"grader"}


def test_unnamed_the_cases_send_nothing_and_claim_nothing(pytester, monkeypatch) -> None:
    # Beside a family every default run claims (the models), so that the run judges something and reports.
    results = certify(pytester, monkeypatch, frozenset(), (CASES, "models"), "--oai-retries", "0")
    assert set(graders(results).values()) == {"not-claimed"}, graders(results)
    assert results["resources"]["created"] == []


def test_graders_is_claimed_only_by_name() -> None:
    assert not feature_claimed("graders", None), "not by claiming everything"
    assert not feature_claimed("graders", frozenset({"-chat", "-responses"})), "not by a list of exclusions"
    assert feature_claimed("graders", frozenset({"graders"}))


def test_the_generated_phase_draws_the_graders_operations_without_a_false_failure(pytester, monkeypatch) -> None:
    """Named, the six operations are drawn (valid and invalid bodies) on graders the run made, and it deleted them."""
    # The other operations' features are not claimed: their rounds skip.
    named = ("--oai-retries", "0", "--oai-features", "graders,generated")
    results = certify(pytester, monkeypatch, frozenset(), "generated", *named)
    judged = {rid: s for rid, s in statuses(results).items() if rid.startswith("generated.")}
    assert judged and set(judged.values()) == {"pass"}, judged
    exchanges = [json.loads(line) for line in (pytester.path / "reports" / "exchanges.jsonl").read_text().splitlines()]
    paths = [(e["request"]["method"], urlsplit(e["request"]["url"]).path[3:], e["response"]) for e in exchanges]
    sent = {(method, re.sub(r"^/graders/[^/]+", "/graders/{id}", path)) for method, path, _ in paths}
    assert {("GET", "/graders"), ("POST", "/graders"), ("GET", "/graders/{id}"), ("POST", "/graders/{id}"),
            ("DELETE", "/graders/{id}"), ("POST", "/graders/{id}/grade")} <= sent, sent  # fmt: skip
    made = {c["id"] for c in results["resources"]["created"]}
    named = [path.split("/")[2] for _, path, answer in paths
             if path.startswith("/graders/") and answer and 200 <= answer["status"] < 300]  # fmt: skip
    assert named and set(named) <= made, (named, made)
    assert results["resources"]["left"] == []
