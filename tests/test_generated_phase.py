"""The generated phase end to end: the reference server passes it, and servers that break its rules are caught.
(That `-n 2` concludes and sends what a serial run does is test_plugin.py's test_parallel_run_matches_serial_run.)"""

from __future__ import annotations

import pytest

from tests._runs import CliRun, certify, statuses
from tests.test_violating_servers import CAUGHT, COMPLETION, GENERATED, caught

pytest_plugins = ["pytester"]


def generated(results: dict) -> dict[str, str]:
    return {rid: s for rid, s in statuses(results).items() if rid.startswith("generated.")}


@pytest.mark.slow
def test_the_reference_server_passes(default_run: CliRun):
    """The session's shared default run: every case, the generated phase with its default examples."""
    results = default_run.results
    assert generated(results), "the phase ran"
    assert set(generated(results).values()) == {"pass"}, generated(results)
    assert results["exit_code"] == 0


@pytest.mark.parametrize(
    ("fault", "rule"),
    [
        ("accept-anything", "generated.invalid.rejected"),
        ("server-error-sometimes", "generated.status.never-5xx"),
        ("missing-field", "generated.valid.answered"),
    ],
)
def test_a_broken_server_is_caught(pytester, monkeypatch, shared_runs, fault, rule):
    assert CAUGHT[fault] == (GENERATED, [rule])
    results = caught(pytester, monkeypatch, shared_runs, fault)  # the run test_violating_servers.py reads too
    assert generated(results)[rule] == "fail", generated(results)
    entry = next(r for r in results["requirements"] if r["id"] == rule)
    for failure in entry["failures"]:
        message = failure["message"]
        assert "Received:" in message and "Expected:" in message
        if failure["exchange"] is not None:  # one failure per example, with the request that reproduces it
            assert "curl -sS" in message and "$OPENAI_API_KEY" in message
            assert str(failure["exchange"]) in results["exchanges"]
    assert len(entry["failures"]) <= 3 * 6, "at most 5 examples (and a count of the rest) per operation and mode"
    assert results["exit_code"] == 1


def test_the_marker_leaves_the_phase_out(pytester, monkeypatch):
    results = certify(pytester, monkeypatch, frozenset(), (GENERATED, COMPLETION), "-m", "not generated")
    assert set(generated(results).values()) == {"skip"}, "not run"
    assert statuses(results)["chat.completion.schema"] == "pass", "the other cases ran"
