"""The Realtime WebSocket session end to end: the reference server's session passes every rule through client,
cases, plugin and reports; each of its faults is caught; the official `openai` SDK's realtime client holds a
session with it."""

from __future__ import annotations

import os

import pytest

from conformance.reference import FAULTS
from tests._runs import assert_caught, certify
from tests._transports import served

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


def test_a_session_opened_with_a_wrong_key_is_judged_without_waiting_for_a_frame(pytester, monkeypatch) -> None:
    """A server that accepts any key sends session.created and then nothing: the rule is broken already, so the
    case must not wait the read timeout for a close (60 s by default, which a keyed run of every case paid)."""
    rules = ["realtime.session.wrong-key"]
    results = certify(pytester, monkeypatch, frozenset({"no-auth"}), CASES, *FEATURES, only=rules)
    assert_caught(results, "no-auth", rules)
    failure = next(r for r in results["requirements"] if r["id"] == rules[0])["failures"][0]
    assert "session.created" in failure["message"] and "the connection open" in failure["message"], failure


def test_the_same_cases_pass_without_a_fault(pytester, monkeypatch) -> None:
    results = certify(pytester, monkeypatch, frozenset(), CASES, *FEATURES)
    judged = {r["id"]: r["status"] for r in results["requirements"] if r["id"].startswith("realtime.session.")}
    assert judged == dict.fromkeys(judged, "pass") and len(judged) == 17
    assert results["verdict"] == "conformant"


@pytest.fixture(scope="module")
def reference():
    with served(KEY) as both:
        yield both


def test_the_sdk_realtime_client_holds_a_session(reference) -> None:
    _, sdk = reference
    with sdk.realtime.connect(model="gpt-realtime") as connection:
        assert connection.recv().type == "session.created"
        connection.session.update(session={"type": "realtime", "output_modalities": ["text"], "instructions": "Hi."})
        updated = connection.recv()
        assert updated.type == "session.updated" and updated.session.instructions == "Hi."
        connection.conversation.item.create(
            item={"type": "message", "role": "user", "content": [{"type": "input_text", "text": "Say OK now."}]}
        )
        assert [connection.recv().type for _ in range(2)] == ["conversation.item.added", "conversation.item.done"]
        connection.response.create()
        text, events = "", []
        for event in connection:
            events.append(event.type)
            if event.type == "response.output_text.delta":
                text += event.delta
            if event.type == "response.done":
                assert event.response.usage.total_tokens > 0
                break
        assert text == "You said: Say OK now." and events[0] == "response.created"
        connection.input_audio_buffer.append(audio="AAAA" * 2000)
        connection.input_audio_buffer.commit()
        assert connection.recv().type == "input_audio_buffer.committed"


def test_the_sdk_opens_a_session_with_a_client_secret_and_not_with_a_wrong_key(reference) -> None:
    server, sdk = reference
    secret = sdk.realtime.client_secrets.create(session={"type": "realtime", "model": "gpt-realtime"}).value
    with (
        openai.OpenAI(base_url=server.base_url, api_key=secret, max_retries=0) as ephemeral,
        ephemeral.realtime.connect(model="gpt-realtime") as connection,
    ):
        assert connection.recv().type == "session.created"
    with (
        openai.OpenAI(base_url=server.base_url, api_key="sk-wrong-0000000000", max_retries=0) as wrong,
        pytest.raises(Exception, match="401"),
        wrong.realtime.connect(model="gpt-realtime") as refused,
    ):
        refused.recv()


def test_the_sdk_beta_realtime_client_holds_a_session(reference) -> None:
    server, _ = reference
    websocket_base_url = server.base_url.replace("http://", "ws://")  # the beta client always says wss otherwise
    with (
        openai.OpenAI(base_url=server.base_url, api_key=KEY, websocket_base_url=websocket_base_url) as sdk,
        sdk.beta.realtime.connect(model="gpt-realtime") as connection,
    ):
        assert connection.recv().type == "session.created"
        connection.session.update(session={"instructions": "Hi."})
        assert connection.recv().session.instructions == "Hi."
        connection.response.create(response={"modalities": ["text"]})
        types = []
        for event in connection:
            types.append(event.type)
            if event.type == "response.done":
                break
        assert types[0] == "response.created" and "response.output_text.delta" in types
