"""A Realtime WebSocket session (wss://…/v1/realtime?model=…), scripted one client event at a time, each waiting
for its answer: the session configured, a user message, a text response, an audio response, a function call, the
audio buffer committed and cleared, an invalid event and the session going on. Every wait is bounded
(conformance.websocket), so a silent or dropped server ends the session with a reason the rules quote.

A few words of text and a second of audio: the cheapest session that shows every event.
"""

import base64

import pytest

from conformance.case import requirement
from conformance.websocket import open_session

SESSION = (
    "realtime.session.created-first",
    "realtime.session.event-json",
    "realtime.session.event-id",
    "realtime.session.known-types",
    "realtime.session.event-schema",
    "realtime.session.updated",
    "realtime.session.item-added",
    "realtime.session.response-order",
    "realtime.session.deltas-add-up",
    "realtime.session.usage",
    "realtime.session.audio-buffer",
    "realtime.session.error-event",
    "realtime.session.error-names-event",
    "realtime.session.continues",
    "realtime.session.answers",
)
SILENCE = base64.b64encode(bytes(2 * 24_000 // 5)).decode()  # 200 ms of 24 kHz PCM16 silence
TOOL = {"type": "function", "name": "get_weather", "description": "The weather in a city",
        "parameters": {"type": "object", "properties": {"location": {"type": "string"}}, "required": ["location"]}}
BAD = {"type": "oai_conformance.not_an_event", "event_id": "evt_oaiconformance_bad"}
# (client event, the server event types that end its wait: empty for an event the API does not acknowledge)
SCRIPT = [
    ({"type": "session.update", "session": {"type": "realtime", "instructions": "Answer in at most three words.",
                                            "output_modalities": ["text"]}}, ("session.updated", "error")),
    ({"type": "conversation.item.create", "event_id": "evt_oaiconformance_item",
      "item": {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "Say OK."}]}},
     ("conversation.item.added", "conversation.item.created", "error")),
    ({"type": "response.create"}, ("response.done", "error")),
    ({"type": "response.create", "response": {"output_modalities": ["audio"]}}, ("response.done", "error")),
    ({"type": "response.create", "response": {"tools": [TOOL], "tool_choice": "required"}}, ("response.done", "error")),
    ({"type": "input_audio_buffer.append", "audio": SILENCE}, ()),
    ({"type": "input_audio_buffer.commit"}, ("input_audio_buffer.committed", "error")),
    ({"type": "input_audio_buffer.append", "audio": SILENCE}, ()),
    ({"type": "input_audio_buffer.clear"}, ("input_audio_buffer.cleared", "error")),
    (BAD, ("error",)),
    ({"type": "session.update", "session": {"type": "realtime", "instructions": "Answer in one word."}},
     ("session.updated", "error")),
]  # fmt: skip


def run(session, script):
    session.receive_until(("session.created", "error"))
    for event, answers in script:
        session.send(event)
        if answers:
            session.receive_until(answers)
    return session.close()


@requirement(*SESSION)
def test_realtime_session(oai_client, oai_target, oai_judge):
    session = open_session(oai_client, "/realtime", {"model": oai_target.model("realtime")})
    oai_judge(run(session, SCRIPT), *SESSION)


@requirement("realtime.session.client-secret", "realtime.session.created-first", "realtime.session.answers")
def test_a_client_secret_opens_a_session(oai_client, oai_target, oai_judge):
    if not oai_target.claims("realtime"):
        pytest.skip("the server does not claim `realtime` (POST /v1/realtime/client_secrets): no secret to open with")
    made = oai_client.request("POST", "/realtime/client_secrets", json={
        "expires_after": {"anchor": "created_at", "seconds": 10},
        "session": {"type": "realtime", "model": oai_target.model("realtime"), "output_modalities": ["text"]}})
    body = made.response.json if made.response is not None and made.response.status == 200 else None
    value = body.get("value") if isinstance(body, dict) else None
    if not isinstance(value, str) or not value:
        pytest.skip("no client secret was made (realtime.client-secret.schema says why)")
    session = open_session(oai_client, "/realtime", {"model": oai_target.model("realtime")}, api_key=value)
    transcript = run(session, SCRIPT[:1])
    oai_judge(transcript, "realtime.session.client-secret", "realtime.session.created-first",
              "realtime.session.answers")  # fmt: skip


@requirement("realtime.session.wrong-key")
def test_a_wrong_key_is_refused(oai_client, oai_target, oai_judge):
    session = open_session(oai_client, "/realtime", {"model": oai_target.model("realtime")},
                           api_key="sk-oaiconformance-wrong-key-000000000000")  # fmt: skip
    if session.open:
        events = session.receive_until(("error", "session.created"))
        if events and events[-1].get("type") == "error":
            session.receive()  # the close that should follow the error, or a frame that shows there is none
        # An accepted session (session.created) already breaks the rule: waiting for a frame that a server with
        # an open session need not send would only add the read timeout (60 s) to the run.
    oai_judge(session.close(), "realtime.session.wrong-key")
