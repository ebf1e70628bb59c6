"""conformance.websocket against hostile WebSocket servers: a dropped connection, a silent server, a malformed frame
and an endless one end the session with a reason (never a hang), and no key reaches the record."""

from __future__ import annotations

import contextlib
import json
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from websockets.sync.server import ServerConnection, serve

from conformance import websocket
from conformance.checks.realtime_session import answers, event_json
from conformance.checks.rule import Context
from conformance.client import Client
from conformance.target import load_target

KEY = "sk-websocket-test-0123456789"


@pytest.fixture(autouse=True)
def key(monkeypatch) -> None:
    monkeypatch.setenv("OAI_TEST_WS_KEY", KEY)  # the target reads the key from the environment when it sends


@contextlib.contextmanager
def hostile(handler: Callable[[ServerConnection], None]) -> Iterator[str]:
    with serve(handler, "127.0.0.1", 0) as server:
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield f"http://127.0.0.1:{server.socket.getsockname()[1]}/v1"
        finally:
            server.shutdown()


def client(base_url: str, tmp_path: Path) -> Client:
    env = {"OAI_TEST_WS_KEY": KEY}
    return Client(load_target({"base_url": base_url, "api_key_env": "OAI_TEST_WS_KEY", "read_timeout": 0.5}, env,
                              None, tmp_path))  # fmt: skip


def session_of(handler: Callable[[ServerConnection], None], tmp_path: Path, script: Callable[[Any], None]):
    with hostile(handler) as base_url, client(base_url, tmp_path) as c:
        started = time.monotonic()
        session = websocket.open_session(c, "/realtime", {"model": "m"})
        script(session)
        transcript = session.close()
        return transcript, time.monotonic() - started, c


def wait_for_answer(session) -> None:
    session.send({"type": "session.update", "session": {}})
    session.receive_until(("session.updated",))


def test_a_dropped_connection_ends_the_wait_with_its_reason(tmp_path) -> None:
    transcript, took, _ = session_of(lambda ws: ws.close(1011, "gone"), tmp_path, wait_for_answer)
    assert "closed the connection (code 1011: gone)" in transcript.ending and took < 3
    [violation] = list(answers(transcript, Context()))
    assert "Received: the server closed the connection" in violation.message


def test_a_silent_server_ends_the_wait_at_the_read_timeout(tmp_path) -> None:
    transcript, took, _ = session_of(lambda ws: time.sleep(3), tmp_path, wait_for_answer)
    assert transcript.ending == "no frame within 0.5 s" and took < 2.5


def test_a_malformed_and_a_binary_frame_are_judged_not_fatal(tmp_path) -> None:
    def handler(ws: ServerConnection) -> None:
        ws.send("{not json")
        ws.send(b"\x00\x01")
        ws.send('{"type": "session.updated", "event_id": "e1", "session": {}}')
        time.sleep(1)

    transcript, _, _ = session_of(handler, tmp_path, wait_for_answer)
    assert transcript.ending == "" and [f.binary for _, f in transcript.received] == [False, True, False]
    messages = [v.message for v in event_json(transcript, Context())]
    assert len(messages) == 2 and "{not json" in messages[0] and "binary frame (0001" in messages[1]


def test_an_endless_server_is_cut_at_the_frame_bound(tmp_path, monkeypatch) -> None:
    monkeypatch.setattr(websocket, "MAX_FRAMES", 50)

    def handler(ws: ServerConnection) -> None:
        with contextlib.suppress(Exception):
            while True:
                ws.send('{"type": "rate_limits.updated", "event_id": "e"}')

    transcript, took, _ = session_of(handler, tmp_path, wait_for_answer)
    assert "reached its bound" in transcript.ending and len(transcript.received) == 50 and took < 3


def test_no_key_reaches_the_record(tmp_path) -> None:
    def echo(ws: ServerConnection) -> None:
        seen = ws.request.headers["authorization"]
        ws.send(json.dumps({"type": "session.updated", "event_id": "e", "seen": seen}))
        time.sleep(0.5)

    transcript, _, c = session_of(echo, tmp_path, wait_for_answer)
    assert transcript.exchange is not None and transcript.exchange.index == 0 and c.exchanges
    record = str(c.exchanges[0].to_json())
    assert transcript.received[0][1].event["seen"] == f"Bearer {KEY}", "the server saw the key"
    assert KEY not in record and "Bearer [REDACTED]" in record


def test_a_refused_handshake_keeps_the_status_and_body(tmp_path) -> None:
    from websockets.datastructures import Headers
    from websockets.http11 import Response

    def refuse(connection, request):
        return Response(401, "Unauthorized", Headers({"content-type": "application/json"}), b'{"error": {}}')

    with serve(lambda ws: None, "127.0.0.1", 0, process_request=refuse) as server:
        threading.Thread(target=server.serve_forever, daemon=True).start()
        base_url = f"http://127.0.0.1:{server.socket.getsockname()[1]}/v1"
        with client(base_url, tmp_path) as c:
            session = websocket.open_session(c, "/realtime")
            transcript = session.close()
        server.shutdown()
    assert (transcript.status, transcript.ending) == (401, "the handshake was refused with status 401")
    assert c.exchanges[0].response is not None and c.exchanges[0].response.body == b'{"error": {}}'


@pytest.mark.parametrize(("base", "wanted"), [
    ("https://api.openai.com/v1", "wss://api.openai.com/v1/realtime?model=m"),
    ("http://127.0.0.1:8/v1/", "ws://127.0.0.1:8/v1/realtime?model=m"),
])  # fmt: skip
def test_the_url_follows_the_base_url(base, wanted) -> None:
    assert websocket.ws_url(base, "/realtime", {"model": "m"}) == wanted
