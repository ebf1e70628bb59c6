"""Graders end to end: each graders fault of the reference server is caught through client, cases, plugin and
reports, the same cases pass against a clean one leaving nothing behind, and the feature is claimed only by name
(the SDK's side is tests/test_sdk_graders.py)."""

from __future__ import annotations

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
