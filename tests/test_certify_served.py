"""certify.served: what a server does not serve, told by its own answers on a real port, and shown by the matrix."""

from __future__ import annotations

import contextlib
import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import uvicorn
from starlette.applications import Starlette
from starlette.responses import JSONResponse
from starlette.routing import Route

from certify.matrix import render
from certify.served import not_served
from tests._runs import free_port

KEY = "sk-served-0123456789"


async def models(_request):
    return JSONResponse({"object": "list", "data": []})


async def refused(_request):
    return JSONResponse({"error": {"message": "bad body", "type": "invalid_request_error"}}, status_code=400)


SERVER = Starlette(routes=[Route("/v1/models", models), Route("/v1/chat/completions", refused, methods=["POST"])])


async def app(scope, receive, send):
    """SERVER, and a WebSocket handshake to /v1/responses refused with 404 (others: Starlette's own 403)."""
    if scope["type"] == "websocket" and scope["path"] == "/v1/responses":
        await send(
            {"type": "websocket.http.response.start", "status": 404, "headers": [(b"content-type", b"text/plain")]}
        )
        await send({"type": "websocket.http.response.body", "body": b"no such route"})
        return
    await SERVER(scope, receive, send)


@contextlib.contextmanager
def serving() -> Iterator[str]:
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="error"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}/v1"
    finally:
        server.should_exit = True
        thread.join()


def test_a_feature_whose_routes_are_not_there_is_not_served_with_the_answers_as_evidence() -> None:
    with serving() as base_url:
        found = not_served(base_url, KEY, ["models", "chat", "-chat.store"])
    assert found["files"] == "GET /v1/files: 404 Not Found; POST /v1/files: 404 Not Found"
    # a route that is there for POST only: GET (the stored completions list) is 405
    assert found["chat.store"].startswith("GET /v1/chat/completions: 405")
    assert found["responses.stream"] == "as `responses`"  # no route of its own
    assert found["fine-tuning.checkpoint-permissions"] == "as `fine-tuning`"  # its routes all name objects
    assert found["responses.websocket"] == "WebSocket /v1/responses: 404 no such route"


def test_what_is_claimed_served_or_unknowable_is_never_said_not_served() -> None:
    with serving() as base_url:
        found = not_served(base_url, KEY, ["models", "-models.delete", "chat"])
    assert not {"models", "chat", "chat.stream", "chat.tools"} & set(found)  # claimed
    assert "realtime.websocket" not in found  # refused with 403: a refusal, not a missing route
    assert "webhooks" not in found  # nothing to ask a server
    assert "models.delete" not in found  # every route names an object, and `models` is served


def test_the_matrix_says_not_served_where_the_server_json_says_so(tmp_path: Path) -> None:
    row = tmp_path / "some-server"
    row.mkdir()
    source = Path(__file__).resolve().parent.parent / "docs" / "compatibility" / "fakellm"
    (row / "results.json").write_text((source / "results.json").read_text(encoding="utf-8"), encoding="utf-8")
    about = {"version": "1", "notes": "n", "not_served": {"files": "GET /v1/files: 404"}}
    (row / "server.json").write_text(json.dumps(about), encoding="utf-8")
    table = next(line for line in render(tmp_path).splitlines() if line.startswith("| some-server"))
    header = next(line for line in render(tmp_path).splitlines() if line.startswith("| Server"))
    cells = dict(zip(header.split(" | "), table.split(" | "), strict=True))
    assert cells["`files`"] == "not served"
    assert cells["`uploads`"] == "—"  # not claimed, and nothing said about it
