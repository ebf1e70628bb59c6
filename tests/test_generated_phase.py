"""The generated phase end to end: the reference server passes it, servers that break its rules are caught, and
`-n 2` concludes what a serial run concludes."""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from conformance.cli import cases_args
from tests.test_violating_servers import certify, statuses

pytest_plugins = ["pytester"]

GENERATED = "generated/test_generated.py"
# Few examples and no retries: a 500 is final, and the tests stay fast.
CHEAP = ("--oai-examples", "5", "--oai-retries", "0")


def generated(results: dict) -> dict[str, str]:
    return {rid: s for rid, s in statuses(results).items() if rid.startswith("generated.")}


def test_the_reference_server_passes(pytester, monkeypatch):
    results = certify(pytester, monkeypatch, frozenset(), GENERATED, *CHEAP)
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
def test_a_broken_server_is_caught(pytester, monkeypatch, fault, rule):
    results = certify(pytester, monkeypatch, frozenset({fault}), GENERATED, *CHEAP)
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
    results = certify(pytester, monkeypatch, frozenset(), "", "-m", "not generated")
    assert set(generated(results).values()) == {"skip"}, "not run"
    assert statuses(results)["chat.completion.schema"] == "pass", "the other cases ran"


@pytest.mark.slow
def test_two_workers_send_and_conclude_what_one_does(pytester, monkeypatch):
    serial = _subprocess_run(pytester, "serial")
    parallel = _subprocess_run(pytester, "parallel", "-n", "2")
    assert generated(results(serial)) == generated(results(parallel))
    assert sent(serial) == sent(parallel), "the same seed sends the same requests, in the same report order"
    assert len(sent(serial)) > 10


def results(report_dir: Path) -> dict:
    return json.loads((report_dir / "results.json").read_text())


def sent(report_dir: Path) -> list[tuple[str, str, str | None]]:
    """What each exchange of the run sent: method, path and body (ports and timings differ from run to run)."""
    out = []
    for line in (report_dir / "exchanges.jsonl").read_text().splitlines():
        request = json.loads(line)["request"]
        out.append((request["method"], urlsplit(request["url"]).path, request.get("body")))
    return out


def _subprocess_run(pytester: pytest.Pytester, name: str, *extra: str) -> Path:
    report_dir = pytester.path / name
    result = pytester.runpytest_subprocess(
        *cases_args(report_dir, GENERATED), "--oai-examples", "3", "--oai-retries", "0", *extra
    )
    assert result.ret == 0, result.stdout.str()[-2000:]
    return report_dir
