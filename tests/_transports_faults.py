"""The transports faults of the reference server (the Realtime API over HTTP and WebSocket, the Responses API's
WebSocket mode, webhooks), each as (request, what the fault breaks in its result), for
tests/test_reference_server.py's FAULT_CASES: every fault must change what it says, and a clean server must not.
HTTP and WebSocket requests go to the app in process; webhooks to a local receiver."""

from __future__ import annotations

import base64
import functools
import json
import time
from collections.abc import Callable
from typing import Any

from starlette.testclient import TestClient

from conformance.reference import ServerConfig, create_app
from conformance.reference._ids import Ids
from conformance.reference.webhooks import Announcer, Sender
from conformance.webhooks import Receiver, WebhookVerificationError, refuse_first, verify_webhook

KEY = "sk-test-transports-0123456789"
AUTH = {"authorization": f"Bearer {KEY}"}
SECRET = "whsec_" + base64.b64encode(b"the reference's webhook secret").decode()
OFFER = "v=0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\n"

Faults = frozenset[str]


@functools.cache
def _client(faults: Faults) -> TestClient:
    return TestClient(create_app(ServerConfig(api_key=KEY, faults=faults)))


def post(path: str, body: Any = None, **kwargs: Any) -> Callable[[Faults], Any]:
    return lambda faults: _client(faults).post(f"/v1{path}", json=body, headers=AUTH, **kwargs)


def call(faults: Faults) -> Any:
    files = [("sdp", (None, OFFER, "application/sdp"))]
    return _client(faults).post("/v1/realtime/calls", files=files, headers=AUTH)


def realtime(script: list[dict[str, Any]], last: str) -> Callable[[Faults], list[dict[str, Any]]]:
    """The events a Realtime session answers `script` with, up to the first of type `last` (or a close)."""

    def run(faults: Faults) -> list[dict[str, Any]]:
        events: list[dict[str, Any]] = []
        with _client(faults).websocket_connect("/v1/realtime?model=gpt-realtime", headers=AUTH) as ws:
            for event in script:
                ws.send_text(json.dumps(event))
            try:
                while not events or events[-1]["type"] != last:
                    events.append(json.loads(ws.receive_text()))
            except Exception:  # the server closed the connection: what arrived is the result
                events.append({"type": "closed"})
        return events

    return run


def with_secret(faults: Faults) -> str:
    value = _client(faults).post("/v1/realtime/client_secrets", json={}, headers=AUTH).json()["value"]
    try:
        with _client(faults).websocket_connect("/v1/realtime", headers={"authorization": f"Bearer {value}"}) as ws:
            return str(json.loads(ws.receive_text())["type"])
    except Exception:
        return "refused"


def responses_socket(script: list[dict[str, Any]]) -> Callable[[Faults], list[dict[str, Any]]]:
    def run(faults: Faults) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        with _client(faults).websocket_connect("/v1/responses", headers=AUTH) as ws:
            for event in script:
                ws.send_text(json.dumps(event))
                try:
                    while True:
                        got = json.loads(ws.receive_text())
                        out.append(got)
                        if got["type"] in ("response.completed", "response.incomplete", "error"):
                            break
                except Exception:
                    out.append({"type": "closed"})
                    break
        return out

    return run


def continuation(faults: Faults) -> str:
    """How a `store: false` response's continuation on its own connection ends."""
    with _client(faults).websocket_connect("/v1/responses", headers=AUTH) as ws:
        ends = []
        for previous in (None, "first"):
            event = {**CREATE, **({"previous_response_id": ends[0]} if previous else {})}
            ws.send_text(json.dumps(event))
            while (got := json.loads(ws.receive_text()))["type"] not in ("response.completed", "error"):
                pass
            ends.append(got["response"]["id"] if got["type"] == "response.completed" else "error")
        return ends[1]


def webhooks(seen: dict[str, Any], refuse: bool = False) -> Callable[[Faults], list[Any]]:
    """The deliveries the server makes once `seen` (an answer) shows an object ended."""

    def run(faults: Faults) -> list[Any]:
        with Receiver(policy=refuse_first if refuse else lambda d, n: 200) as receiver:
            config = ServerConfig(api_key=KEY, faults=faults, webhook_url=receiver.url, webhook_secrets=(SECRET,))
            Announcer(lambda *a: None, Sender(config, Ids())).seen(json.dumps(seen).encode())
            return receiver.wait(lambda ds: len(ds) >= (2 if refuse else 1), 1.5)

    return run


def _verifies(deliveries: list[Any]) -> bool:
    try:
        verify_webhook(deliveries[0].headers, deliveries[0].body, SECRET)
    except WebhookVerificationError:
        return False
    return True


RESPONSE = {"id": "resp_1", "object": "response", "status": "completed", "background": True}
BATCH = {"id": "batch_1", "object": "batch", "status": "completed"}
SESSION = [{"type": "session.update", "session": {"type": "realtime", "instructions": "New."}},
           {"type": "conversation.item.create", "item": {"type": "message", "role": "user",
                                                         "content": [{"type": "input_text", "text": "Hi there"}]}},
           {"type": "response.create", "response": {"output_modalities": ["text"]}}]  # fmt: skip
CREATE = {"type": "response.create", "model": "gpt-4o-mini", "input": "Say OK.", "store": False}


def _types(events: list[dict[str, Any]]) -> list[str]:
    return [e["type"] for e in events]


def _joined(events: list[dict[str, Any]]) -> bool:
    text = "".join(e["delta"] for e in events if e["type"] == "response.output_text.delta")
    return any(e["type"] == "response.output_text.done" and e["text"] != text for e in events)


TRANSPORTS_FAULT_CASES: dict[str, tuple[Callable[[Faults], Any], Callable[[Any], bool]]] = {
    "realtime-secret-expiry-ignored": (post("/realtime/client_secrets", {"expires_after": {"seconds": 20}}),
                                       lambda r: r.json()["expires_at"] - time.time() > 100),
    "realtime-secret-wrong-type": (post("/realtime/client_secrets", {"session": {"type": "transcription"}}),
                                   lambda r: r.json()["session"]["type"] != "transcription"),
    "realtime-secret-no-value": (post("/realtime/client_secrets", {}), lambda r: "value" not in r.json()),
    "realtime-expiry-range-accepted": (post("/realtime/client_secrets", {"expires_after": {"seconds": 5}}),
                                       lambda r: r.status_code == 200),
    "realtime-sessions-no-secret": (post("/realtime/sessions", {}), lambda r: "client_secret" not in r.json()),
    "realtime-sdp-json": (call, lambda r: not r.headers["content-type"].startswith("application/sdp")),
    "realtime-calls-no-location": (call, lambda r: "location" not in r.headers),
    "realtime-unknown-call-200": (post("/realtime/calls/rtc_none/hangup"), lambda r: r.status_code == 200),
    "realtime-ws-no-event-id": (realtime(SESSION, "response.done"), lambda es: any("event_id" not in e for e in es)),
    "realtime-ws-no-session-created": (realtime(SESSION[:1], "session.updated"),
                                       lambda es: "session.created" not in _types(es)),
    "realtime-ws-update-ignored": (realtime(SESSION[:1], "session.updated"),
                                   lambda es: es[-1]["session"].get("instructions") != "New."),
    "realtime-ws-done-before-item-done": (realtime(SESSION, "response.done"),
                                          lambda es: "response.output_item.done" not in _types(es)),
    "realtime-ws-text-delta-lost": (realtime(SESSION, "response.done"), _joined),
    "realtime-ws-no-usage": (realtime(SESSION, "response.done"),
                             lambda es: any(e["type"] == "response.done" and not e["response"]["usage"] for e in es)),
    "realtime-ws-no-cleared": (realtime([{"type": "input_audio_buffer.clear"}, SESSION[0]], "session.updated"),
                               lambda es: "input_audio_buffer.cleared" not in _types(es)),
    "realtime-ws-error-closes": (realtime([{"type": "nope"}, SESSION[0]], "session.updated"),
                                 lambda es: "closed" in _types(es)),
    "realtime-ws-secret-refused": (with_secret, lambda kind: kind != "session.created"),
    "responses-ws-order": (responses_socket([CREATE]), lambda es: _types(es).index("response.output_text.done")
                           > _types(es).index("response.content_part.done")),
    "responses-ws-error-closes": (responses_socket([{**CREATE, "previous_response_id": "resp_x"}, CREATE]),
                                  lambda es: "closed" in _types(es)),
    "responses-ws-forgets": (continuation, lambda end: end == "error"),
    "webhooks-bad-signature": (webhooks(RESPONSE), lambda ds: not _verifies(ds)),
    "webhooks-old-timestamp": (webhooks(RESPONSE), lambda ds: int(ds[0].headers["webhook-timestamp"])
                               < ds[0].received_at - 600),
    "webhooks-no-retry": (webhooks(RESPONSE, refuse=True), lambda ds: len(ds) < 2),
    "webhooks-created-at-iso": (webhooks(RESPONSE), lambda ds: isinstance(ds[0].event["created_at"], str)),
    "webhooks-batch-silent": (webhooks(BATCH), lambda ds: ds == []),
    "webhooks-wrong-id": (webhooks(RESPONSE), lambda ds: ds[0].event["data"]["id"] != "resp_1"),
}
