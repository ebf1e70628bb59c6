"""The Responses API's WebSocket mode on the reference server (`/v1/responses` over WebSocket).

The key opens the connection (a wrong one: 401 at the handshake). Each `response.create` event (the body of
POST /v1/responses with `type`, without `stream`) is answered with the very events the SSE stream carries, as one
JSON text frame each; several responses follow one another on one connection. A response continues another with
`previous_response_id`, stored or not: the connection keeps its own responses (`store: false` ones included) for
the responses after them. A request the API refuses is answered with an `error` event (`status`, and the error
envelope's fields) and the connection stays open.
"""

from __future__ import annotations

import json
from collections import ChainMap
from typing import Any

from starlette.responses import Response
from starlette.routing import WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect

from . import responses
from ._config import ServerConfig
from ._errors import ApiError
from ._ids import Ids
from .realtime_session import _credential


class SocketStore(responses.Store):
    """The server's store, seen from one connection: its responses, and the connection's own unstored ones."""

    def __init__(self, shared: responses.Store) -> None:
        self.lock = shared.lock
        self.local: dict[str, responses.Stored] = {}
        self.responses = ChainMap(shared.responses, self.local)  # type: ignore[assignment]
        self.conversations = shared.conversations


def answer(event: Any, config: ServerConfig, ids: Ids, store: SocketStore) -> list[dict[str, Any]]:
    """The events that answer one client frame."""
    if not isinstance(event, dict) or event.get("type") != "response.create":
        kind = event.get("type") if isinstance(event, dict) else None
        return [_error(400, ApiError(400, f"Invalid event type {kind!r}: expected 'response.create'.", param="type",
                                     code="invalid_event"))]  # fmt: skip
    body = {k: v for k, v in event.items() if k not in ("type", "stream_id")}
    try:
        valid = responses.validate(body, config, store)
        if valid.get("background") is True:
            raise ApiError(400, "Background mode is not supported over WebSocket.", param="background")
        created = responses.create(valid, config, ids, store)
    except ApiError as error:
        return [_error(error.status, error)]
    if valid.get("store") is False and not config.has("responses-ws-forgets"):
        store.local[created.body["id"]] = responses.Stored(created.body, created.items)
    events = list(responses.events(created, config))
    if config.has("responses-ws-order"):
        # The text's .done after its content part's .done: an order the SSE stream never has.
        texts = [n for n, e in enumerate(events) if e["type"] == "response.output_text.done"]
        for n in texts:
            if n + 1 < len(events) and events[n + 1]["type"] == "response.content_part.done":
                events[n], events[n + 1] = events[n + 1], events[n]
    return events


def _error(status: int, error: ApiError) -> dict[str, Any]:
    return {"type": "error", "status": status, "error": error.envelope()["error"]}


def route(config: ServerConfig, ids: Ids, shared: responses.Store) -> WebSocketRoute:
    async def endpoint(websocket: WebSocket) -> None:
        key = config.api_key
        if key is not None and not config.has("no-auth") and _credential(websocket) != key:
            body = {"error": {"message": "Incorrect API key provided.", "type": "invalid_request_error",
                              "param": None, "code": "invalid_api_key"}}  # fmt: skip
            await websocket.send_denial_response(Response(json.dumps(body), 401, media_type="application/json"))
            return
        await websocket.accept()
        store = SocketStore(shared)
        try:
            while True:
                text = await websocket.receive_text()
                try:
                    event = json.loads(text)
                except ValueError:
                    event = None
                events = answer(event, config, ids, store)
                for sent in events:
                    await websocket.send_text(json.dumps(sent, ensure_ascii=False))
                if config.has("responses-ws-error-closes") and events and events[0]["type"] == "error":
                    await websocket.close(code=1011)
                    return
        except WebSocketDisconnect:
            return

    return WebSocketRoute("/v1/responses", endpoint)
