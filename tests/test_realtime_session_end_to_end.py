"""The Realtime WebSocket session end to end: the reference server's session passes every rule through client,
cases, plugin and reports; each of its faults is caught; the official `openai` SDK's realtime client holds a
session with it."""

from __future__ import annotations

import os

import pytest

from conformance.reference import FAULTS
from tests._runs import assert_caught, certify

openai = pytest.importorskip("openai")

pytest_plugins = ["pytester"]

CASES = ("realtime/test_realtime_session.py",)
FEATURES = ("--oai-features", "realtime,realtime.websocket", "--oai-retries", "0", "--oai-read-timeout", "1")
KEY = "sk-realtime-ws-" + os.urandom(8).hex()

# fault -> the requirements its run must fail (warn, for a SHOULD rule)
CAUGHT = {
    "realtime-ws-no-event-id": ["realtime.session.event-id"],
    "realtime-ws-no-session-created": ["realtime.session.created-first", "realtime.session.client-secret"],
    "realtime-ws-update-ignored": ["realtime.session.updated"],
    "realtime-ws-done-before-item-done": ["realtime.session.response-order"],
    "realtime-ws-text-delta-lost": ["realtime.session.deltas-add-up"],
    "realtime-ws-no-usage": ["realtime.session.usage"],
    "realtime-ws-no-cleared": ["realtime.session.audio-buffer", "realtime.session.answers"],
    "realtime-ws-error-closes": ["realtime.session.continues", "realtime.session.answers"],
    "realtime-ws-secret-refused": ["realtime.session.client-secret"],
}


def test_every_realtime_session_fault_is_caught_here() -> None:
    assert set(CAUGHT) == {f for f in FAULTS if f.startswith("realtime-ws-")}


@pytest.mark.parametrize("fault", sorted(CAUGHT))
def test_fault_is_reported(pytester, monkeypatch, fault) -> None:
    rules = CAUGHT[fault]
    results = certify(pytester, monkeypatch, frozenset({fault}), CASES, *FEATURES, only=rules)
    assert_caught(results, fault, rules)


def test_the_same_cases_pass_without_a_fault(pytester, monkeypatch) -> None:
    results = certify(pytester, monkeypatch, frozenset(), CASES, *FEATURES)
    judged = {r["id"]: r["status"] for r in results["requirements"] if r["id"].startswith("realtime.session.")}
    assert judged == dict.fromkeys(judged, "pass") and len(judged) == 17
    assert results["verdict"] == "conformant"
