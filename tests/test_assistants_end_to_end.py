"""The Assistants API end to end: the bundled cases pass against the reference server and delete what they made,
and each assistants fault of the reference server is caught through client, cases, plugin and reports."""

from __future__ import annotations

import pytest

from conformance.reference import FAULTS
from tests._runs import assert_caught, certify

pytest_plugins = ["pytester"]

CASES = "assistants/test_assistants.py"
# fault -> the requirements its run must fail
CAUGHT = {
    "assistants-metadata-dropped": ["assistants.create.echoes"],
    "assistants-modify-not-kept": ["assistants.modify.kept"],
    "assistants-delete-kept": ["assistants.delete.deleted"],
    "assistants-beta-header-ignored": ["assistants.beta-header.required"],
    "assistants-lists-repeat-cursor": ["assistants.pages.walk-once", "assistants.messages.pages.after-continues"],
    "assistants-thread-messages-dropped": ["assistants.threads.create.messages", "assistants.runs.thread-and-run"],
    "assistants-thread-delete-kept": ["assistants.threads.delete.deleted"],
    "assistants-run-filter-ignored": ["assistants.messages.list.run-id"],
    "assistants-run-status-regresses": ["assistants.runs.status.transitions"],
    "assistants-required-action-empty": ["assistants.runs.required-action"],
    "assistants-step-call-mismatch": ["assistants.runs.step-tool-calls"],
    "assistants-submit-ignored": ["assistants.runs.submit.continues"],
    "assistants-run-cancel-ignored": ["assistants.runs.cancel.cancelled"],
    "assistants-run-no-reply": ["assistants.runs.completed.message"],
    "assistants-stream-in-progress-first": ["assistants.stream.run-order"],
    "assistants-stream-deltas-short": ["assistants.stream.message-text"],
    "assistants-stream-no-done": ["assistants.stream.done-last"],
}
ASSISTANTS_FAULTS = {f for f in FAULTS if f.startswith("assistants-")}


def test_every_assistants_fault_is_caught_here() -> None:
    assert set(CAUGHT) == ASSISTANTS_FAULTS | {"assistants-lists-repeat-cursor"}


@pytest.mark.parametrize("fault", sorted(CAUGHT))
def test_fault_is_reported(pytester, monkeypatch, fault) -> None:
    rules = CAUGHT[fault]
    results = certify(pytester, monkeypatch, frozenset({fault}), CASES, "--oai-retries", "0", only=rules)
    assert_caught(results, fault, rules)
    assert results["resources"]["left"] == []


def test_the_same_cases_pass_without_a_fault(pytester, monkeypatch) -> None:
    results = certify(pytester, monkeypatch, frozenset(), CASES, "--oai-retries", "0")
    judged = {r["id"]: r["status"] for r in results["requirements"] if r["id"].startswith("assistants.")}
    assert judged == dict.fromkeys(judged, "pass") and len(judged) == 47, judged
    assert results["verdict"] == "conformant"
    resources = results["resources"]
    assert resources["left"] == [] and sorted(resources["deleted"]) == sorted(c["id"] for c in resources["created"])
    assert {c["kind"] for c in resources["created"]} == {"assistant", "thread"}
