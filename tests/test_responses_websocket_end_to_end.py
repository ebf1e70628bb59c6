"""The Responses API's WebSocket mode end to end: the reference server's socket passes every rule (the Responses
stream rules among them) through client, cases, plugin and reports; each of its faults is caught; the official
SDK's `responses.connect()` holds a connection with it."""

from __future__ import annotations

import os

import pytest

from conformance.reference import FAULTS
from tests._runs import assert_caught, certify

openai = pytest.importorskip("openai")

pytest_plugins = ["pytester"]

CASES = ("responses/test_responses_websocket.py",)
FEATURES = ("--oai-features", "responses.websocket", "--oai-retries", "0", "--oai-read-timeout", "1")
KEY = "sk-responses-ws-" + os.urandom(8).hex()

# fault -> the requirements its run must fail
CAUGHT = {
    "responses-ws-order": ["responses.websocket.stream"],
    "responses-ws-error-closes": ["responses.websocket.unknown-previous", "responses.websocket.answers"],
    "responses-ws-forgets": ["responses.websocket.continues"],
}


def test_every_responses_websocket_fault_is_caught_here() -> None:
    assert set(CAUGHT) == {f for f in FAULTS if f.startswith("responses-ws-")}


@pytest.mark.parametrize("fault", sorted(CAUGHT))
def test_fault_is_reported(pytester, monkeypatch, fault) -> None:
    rules = CAUGHT[fault]
    assert_caught(certify(pytester, monkeypatch, frozenset({fault}), CASES, *FEATURES, only=rules), fault, rules)


def test_the_same_cases_pass_without_a_fault(pytester, monkeypatch) -> None:
    results = certify(pytester, monkeypatch, frozenset(), CASES, *FEATURES)
    judged = {r["id"]: r["status"] for r in results["requirements"] if r["id"].startswith("responses.websocket.")}
    assert judged == dict.fromkeys(judged, "pass") and len(judged) == 5, judged
    assert results["verdict"] == "conformant"


def test_the_sdk_holds_a_responses_connection() -> None:
    from conformance.reference import ServerConfig, serve

    with (
        serve(ServerConfig(api_key=KEY)) as server,
        openai.OpenAI(base_url=server.base_url, api_key=KEY, max_retries=0) as sdk,
        sdk.responses.connect() as connection,
    ):
        connection.response.create(model="gpt-4o-mini", input="Say OK.", store=False)
        first = [event for event in _until_end(connection)]
        assert first[0].type == "response.created" and first[-1].type == "response.completed"
        previous = first[-1].response.id
        connection.response.create(model="gpt-4o-mini", input="Again.", previous_response_id=previous, store=False)
        second = _until_end(connection)
        assert second[-1].type == "response.completed" and second[-1].response.previous_response_id == previous
        connection.response.create(model="gpt-4o-mini", input="Again.", previous_response_id="resp_unknown")
        [error] = _until_end(connection)
        assert error.type == "error" and error.error.code == "previous_response_not_found" and error.status == 400
    assert server.store.responses == {}, "store: false kept nothing on the server"


def _until_end(connection):
    events = []
    for event in connection:
        events.append(event)
        if event.type in ("response.completed", "response.incomplete", "response.failed", "error"):
            return events
    return events
