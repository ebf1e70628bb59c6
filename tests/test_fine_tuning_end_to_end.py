"""Fine-tuning end to end: each fine-tuning fault of the reference server is caught through client, cases, plugin and
reports, and the same cases pass against a clean one, leaving nothing behind (the official SDK's side is
tests/test_sdk_fine_tuning.py)."""

from __future__ import annotations

import pytest

from conformance.reference import FAULTS
from tests._runs import assert_caught, certify

pytest_plugins = ["pytester"]

CASES = "fine_tuning/test_fine_tuning.py"

# fault -> the requirements its run must fail
CAUGHT = {
    "fine-tuning-status-regresses": ["fine-tuning.status.transitions"],
    "fine-tuning-succeeded-no-model": ["fine-tuning.status.finished"],
    "fine-tuning-failed-error-no-code": ["fine-tuning.failed.error"],
    "fine-tuning-cancel-ignored": ["fine-tuning.cancel.cancelled"],
    "fine-tuning-pause-ignored": ["fine-tuning.pause.resume"],
    "fine-tuning-events-out-of-order": ["fine-tuning.events.order"],
    "fine-tuning-events-page-repeats": ["fine-tuning.events.order"],
    "fine-tuning-checkpoint-other-job": ["fine-tuning.checkpoints.schema"],
    "fine-tuning-model-changed": ["fine-tuning.create.echoes"],
    "fine-tuning-hyperparameters-dropped": ["fine-tuning.create.method"],
    "fine-tuning-retrieve-created-shifted": ["fine-tuning.retrieve.same"],
    "fine-tuning-metadata-filter-ignored": ["fine-tuning.list.metadata-filter"],
    "fine-tuning-not-listed": ["fine-tuning.list.contains"],
    "fine-tuning-after-ignored": ["fine-tuning.pages.after-continues", "fine-tuning.pages.walk-once"],
    "fine-tuning-any-file-accepted": ["fine-tuning.create.not-fine-tune-file"],
    "fine-tuning-bad-file-succeeds": ["fine-tuning.create.bad-training-file"],
    "fine-tuning-permission-project-wrong": ["fine-tuning.permissions.create"],
    "fine-tuning-permission-filter-ignored": ["fine-tuning.permissions.list"],
    "fine-tuning-permission-not-deleted": ["fine-tuning.permissions.delete"],
    "fine-tuning-grader-string-check-out-of-range": ["fine-tuning.graders.string-check"],
    "fine-tuning-grader-similarity-not-one": ["fine-tuning.graders.text-similarity"],
    "fine-tuning-grader-model-out-of-range": ["fine-tuning.graders.model-range"],
    "fine-tuning-grader-multi-wrong": ["fine-tuning.graders.multi"],
    "fine-tuning-grader-validate-renamed": ["fine-tuning.graders.validate"],
    "fine-tuning-grader-invalid-accepted": ["fine-tuning.graders.invalid"],
    # Every list of the reference server honours it, the jobs list too.
    "pages-no-has-more": ["fine-tuning.pages.has-more", "fine-tuning.pages.walk-once"],
}


def test_every_fine_tuning_fault_is_caught_here() -> None:
    assert {f for f in CAUGHT if f.startswith("fine-tuning-")} == {f for f in FAULTS if f.startswith("fine-tuning-")}


@pytest.mark.parametrize("fault", sorted(CAUGHT))
def test_fault_is_reported(pytester, monkeypatch, fault) -> None:
    rules = CAUGHT[fault]
    results = certify(pytester, monkeypatch, frozenset({fault}), CASES, "--oai-retries", "0", only=rules)
    assert_caught(results, fault, rules)
    judged = {r["id"]: r["status"] for r in results["requirements"] if r["id"].startswith("fine-tuning.")}
    assert {rid for rid, status in judged.items() if status in ("fail", "warn")} == set(rules), judged
    assert results["resources"]["left"] == []


def test_the_same_cases_pass_without_a_fault(pytester, monkeypatch) -> None:
    results = certify(pytester, monkeypatch, frozenset(), CASES, "--oai-retries", "0")
    judged = {r["id"]: r["status"] for r in results["requirements"] if r["id"].startswith("fine-tuning.")}
    assert judged == dict.fromkeys(judged, "pass") and len(judged) == 32, judged
    assert results["verdict"] == "conformant"
    resources = results["resources"]
    assert resources["left"] == [] and sorted(resources["deleted"]) == sorted(c["id"] for c in resources["created"])
    kinds = {c["kind"] for c in resources["created"]}
    assert kinds == {"file", "fine_tuning.job", "checkpoint.permission"}, kinds
