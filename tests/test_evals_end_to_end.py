"""Evals end to end: each evals fault of the reference server is caught through client, cases, plugin and reports,
and the same cases pass against a clean one, leaving nothing behind (the SDK's side is tests/test_sdk_evals.py)."""

from __future__ import annotations

import pytest

from conformance.reference import FAULTS
from tests._runs import assert_caught, certify

pytest_plugins = ["pytester"]

CASES = "evals/test_evals.py"

# fault -> the requirements its run must fail
CAUGHT = {
    "evals-update-ignored": ["evals.update.applied"],
    "evals-not-listed": ["evals.list.contains"],
    "evals-delete-kept": ["evals.delete.deleted"],
    "evals-run-status-regresses": ["evals.runs.status.transitions"],
    "evals-result-counts-off": ["evals.runs.result-counts"],
    "evals-criteria-results-off": ["evals.runs.criteria-results"],
    "evals-output-items-page-repeats": ["evals.runs.output-items", "evals.runs.output-items.pages.after-continues",
                                        "evals.runs.output-items.pages.walk-once"],
    "evals-cancel-ignored": ["evals.runs.cancel.canceled"],
    "evals-run-delete-kept": ["evals.runs.delete.deleted"],
    "evals-sample-missing": ["evals.runs.sampled"],
}


def test_every_evals_fault_is_caught_here() -> None:
    assert set(CAUGHT) == {f for f in FAULTS if f.startswith("evals-")}


@pytest.mark.parametrize("fault", sorted(CAUGHT))
def test_fault_is_reported(pytester, monkeypatch, fault) -> None:
    rules = CAUGHT[fault]
    results = certify(pytester, monkeypatch, frozenset({fault}), CASES, "--oai-retries", "0", only=rules)
    assert_caught(results, fault, rules)
    judged = {r["id"]: r["status"] for r in results["requirements"] if r["id"].startswith("evals.")}
    assert {rid for rid, status in judged.items() if status in ("fail", "warn")} == set(rules), judged


def test_the_same_cases_pass_without_a_fault(pytester, monkeypatch) -> None:
    results = certify(pytester, monkeypatch, frozenset(), CASES, "--oai-retries", "0")
    judged = {r["id"]: r["status"] for r in results["requirements"] if r["id"].startswith("evals.")}
    assert judged == dict.fromkeys(judged, "pass") and len(judged) == 24, judged
    assert results["verdict"] == "conformant"
    resources = results["resources"]
    assert resources["left"] == [] and sorted(resources["deleted"]) == sorted(c["id"] for c in resources["created"])
    assert {c["kind"] for c in resources["created"]} == {"eval", "eval.run"}
