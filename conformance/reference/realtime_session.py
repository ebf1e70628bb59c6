"""A Realtime WebSocket session on the reference server (`/v1/realtime?model=…`), deterministic and offline.

The key or a client secret the server issued (POST /v1/realtime/client_secrets) opens it; anything else is
refused at the handshake with 401 and the error envelope. The session then answers as the API does:

    (on connect)                    session.created
    session.update                  session.updated, the whole session with the change
    conversation.item.create        conversation.item.added, conversation.item.done (the item with its id)
    input_audio_buffer.append       nothing; commit: input_audio_buffer.committed and the user item it made;
                                    clear: input_audio_buffer.cleared
    response.create                 response.created, then per output item: output_item.added, content_part.added,
                                    the deltas (text; or audio bytes and their transcript), their .done,
                                    content_part.done, output_item.done; response.done with usage.
                                    A function call instead when tool_choice is `required` or names a function.
    anything else                   an `error` event naming the client event's event_id; the session goes on

The answer's text is "You said: …" and the words of the last user message (or "OK." when there is none), one
word a delta; audio is 24 kHz PCM16 silence, one 20 ms chunk per word; usage counts words as tokens.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from starlette.responses import Response
from starlette.routing import WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect

from ._config import ServerConfig
from ._ids import Ids
from ._validation import schema_errors
from .realtime import Calls, realtime_session

AUDIO_CHUNK = bytes(960)  # 20 ms of 24 kHz 16-bit mono silence
DEFAULT_TOOL = "get_weather"


class Session:
    """One connection's state, and the events it answers each client event with."""

    def __init__(self, config: ServerConfig, ids: Ids, model: str) -> None:
        self.config = config
        self.ids = ids
        self.session = realtime_session({"model": model}, ids, 0)
        self.items: list[dict[str, Any]] = []
        self.audio = b""
        self.first = True

    def event(self, kind: str, **fields: Any) -> dict[str, Any]:
        event = {"type": kind, "event_id": self.ids.item("event"), **fields}
        if self.config.has("realtime-ws-no-event-id") and kind == "response.created":
            del event["event_id"]
        return event

    def created(self) -> list[dict[str, Any]]:
        return [self.event("session.created", session=self.session)]

    def error(self, message: str, code: str, param: str | None, event_id: Any) -> dict[str, Any]:
        error = {"type": "invalid_request_error", "code": code, "message": message, "param": param,
                 "event_id": event_id if isinstance(event_id, str) else None}  # fmt: skip
        return self.event("error", error=error)

    def answer(self, text: str) -> list[dict[str, Any]]:
        """The events that answer one client frame."""
        try:
            event = json.loads(text)
        except ValueError:
            return [self.error("The event is not valid JSON.", "invalid_json", None, None)]
        if not isinstance(event, dict):
            return [self.error("An event is a JSON object.", "invalid_event", None, None)]
        if errors := schema_errors("realtime.client-event", event):
            first = errors[0]
            param = ".".join(str(p) for p in first.absolute_path) or None
            return [self.error(f"Invalid event: {first.message}", "invalid_value", param, event.get("event_id"))]
        kind = event["type"]
        handler = {
            "session.update": self.update,
            "conversation.item.create": self.add_item,
            "input_audio_buffer.append": self.append,
            "input_audio_buffer.commit": self.commit,
            "input_audio_buffer.clear": self.clear,
            "response.create": self.respond,
        }.get(kind)
        if handler is None:
            return [self.error(f"Event type '{kind}' is not supported by this server.", "unsupported_event", "type",
                               event.get("event_id"))]  # fmt: skip
        return handler(event)

    def update(self, event: dict[str, Any]) -> list[dict[str, Any]]:
        change = {k: v for k, v in event["session"].items() if k not in ("type", "id", "object")}
        if not self.config.has("realtime-ws-update-ignored"):
            self.session = {**self.session, **change}
        return [self.event("session.updated", session=self.session)]

    def _add(self, item: dict[str, Any]) -> list[dict[str, Any]]:
        item = {"id": self.ids.item("item"), "object": "realtime.item", "status": "completed", **item}
        previous = self.items[-1]["id"] if self.items else None
        self.items.append(item)
        return [self.event("conversation.item.added", previous_item_id=previous, item=item),
                self.event("conversation.item.done", previous_item_id=previous, item=item)]  # fmt: skip

    def add_item(self, event: dict[str, Any]) -> list[dict[str, Any]]:
        return self._add(event["item"])

    def append(self, event: dict[str, Any]) -> list[dict[str, Any]]:
        try:
            self.audio += base64.b64decode(event["audio"], validate=True)
        except (binascii.Error, ValueError):
            return [self.error("The audio is not valid base64.", "invalid_value", "audio", event.get("event_id"))]
        return []

    def commit(self, event: dict[str, Any]) -> list[dict[str, Any]]:
        if len(self.audio) < 2 * 24 * 100:  # the API wants at least 100 ms of audio
            return [self.error("Error committing input audio buffer: buffer too small. Expected at least 100ms of "
                               "audio.", "input_audio_buffer_commit_empty", None, event.get("event_id"))]  # fmt: skip
        self.audio = b""
        added = self._add({"type": "message", "role": "user", "content": [{"type": "input_audio", "transcript": None}]})
        previous = self.items[-2]["id"] if len(self.items) > 1 else None
        committed = self.event("input_audio_buffer.committed", previous_item_id=previous, item_id=self.items[-1]["id"])
        return [committed, *added]

    def clear(self, event: dict[str, Any]) -> list[dict[str, Any]]:
        self.audio = b""
        return [] if self.config.has("realtime-ws-no-cleared") else [self.event("input_audio_buffer.cleared")]

    def _said(self) -> list[str]:
        for item in reversed(self.items):
            if item.get("role") == "user":
                texts = [p.get("text", "") for p in item.get("content", []) if isinstance(p, dict)]
                words = " ".join(t for t in texts if isinstance(t, str)).split()
                return ["You", "said:", *words] if words else ["OK."]
        return ["OK."]

    def respond(self, event: dict[str, Any]) -> list[dict[str, Any]]:
        asked = event.get("response") or {}
        # `modalities` is the beta name (the SDK's client.beta.realtime sends it)
        modalities = (asked.get("output_modalities") or asked.get("modalities") or self.session.get("output_modalities")
                      or self.session.get("modalities") or ["audio"])  # fmt: skip
        choice = asked.get("tool_choice", self.session.get("tool_choice"))
        tools = asked.get("tools", self.session.get("tools")) or []
        response_id = self.ids.item("resp")
        base = {"id": response_id, "object": "realtime.response", "output_modalities": modalities,
                "conversation_id": "conv_reference", "metadata": asked.get("metadata")}  # fmt: skip
        out = [self.event("response.created", response={**base, "status": "in_progress", "output": [], "usage": None})]
        called = choice == "required" or (isinstance(choice, dict) and choice.get("type") == "function")
        if called and tools:
            name = choice["name"] if isinstance(choice, dict) else tools[0].get("name", DEFAULT_TOOL)
            item, events = self._call(response_id, name)
        else:
            item, events = self._message(response_id, "audio" in modalities)
        out += events
        self.items.append(item)
        words = sum(len(json.dumps(i).split()) for i in self.items[:-1])
        produced = len(json.dumps(item).split())
        usage = {"total_tokens": words + produced, "input_tokens": words, "output_tokens": produced,
                 "input_token_details": {"text_tokens": words, "audio_tokens": 0, "cached_tokens": 0},
                 "output_token_details": {"text_tokens": produced, "audio_tokens": 0}}  # fmt: skip
        if self.config.has("realtime-ws-no-usage"):
            usage = None  # type: ignore[assignment]
        done = self.event("response.done", response={**base, "status": "completed", "output": [item], "usage": usage})
        if self.config.has("realtime-ws-done-before-item-done"):
            out.insert(len(out) - 1, done)
            return out
        return [*out, done]

    def _message(self, response_id: str, audio: bool) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        item_id = self.ids.item("item")
        where = {"response_id": response_id, "item_id": item_id, "output_index": 0, "content_index": 0}
        item = {"id": item_id, "object": "realtime.item", "type": "message", "role": "assistant"}
        words = self._said()
        text = " ".join(words)
        kind, key = ("audio", "transcript") if audio else ("text", "text")
        events = [
            self.event("response.output_item.added", response_id=response_id, output_index=0,
                       item={**item, "status": "in_progress", "content": []}),
            self.event("response.content_part.added", **where, part={"type": kind, key: ""}),
        ]  # fmt: skip
        deltas = [w if n == 0 else f" {w}" for n, w in enumerate(words)]
        if self.config.has("realtime-ws-text-delta-lost") and len(deltas) > 1:
            deltas = deltas[:-1]
        for delta in deltas:
            if audio:
                events.append(self.event("response.output_audio.delta", **where,
                                         delta=base64.b64encode(AUDIO_CHUNK).decode()))  # fmt: skip
                events.append(self.event("response.output_audio_transcript.delta", **where, delta=delta))
            else:
                events.append(self.event("response.output_text.delta", **where, delta=delta))
        if audio:
            events.append(self.event("response.output_audio.done", **where))
            events.append(self.event("response.output_audio_transcript.done", **where, transcript=text))
            content = {"type": "output_audio", "transcript": text}
        else:
            events.append(self.event("response.output_text.done", **where, text=text))
            content = {"type": "output_text", "text": text}
        done_item = {**item, "status": "completed", "content": [content]}
        events += [
            self.event("response.content_part.done", **where, part={"type": kind, key: text}),
            self.event("response.output_item.done", response_id=response_id, output_index=0, item=done_item),
        ]
        return done_item, events

    def _call(self, response_id: str, name: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        item_id, call_id = self.ids.item("item"), self.ids.call()
        arguments = json.dumps({"location": "Paris"})
        where = {"response_id": response_id, "item_id": item_id, "output_index": 0, "call_id": call_id}
        item = {"id": item_id, "object": "realtime.item", "type": "function_call", "name": name, "call_id": call_id}
        events = [self.event("response.output_item.added", response_id=response_id, output_index=0,
                             item={**item, "arguments": "", "status": "in_progress"})]  # fmt: skip
        for n in range(0, len(arguments), 8):
            events.append(self.event("response.function_call_arguments.delta", **where, delta=arguments[n : n + 8]))
        done_item = {**item, "arguments": arguments, "status": "completed"}
        events += [
            self.event("response.function_call_arguments.done", **where, name=name, arguments=arguments),
            self.event("response.output_item.done", response_id=response_id, output_index=0, item=done_item),
        ]
        return done_item, events


def _credential(websocket: WebSocket) -> str:
    header = websocket.headers.get("authorization", "")
    scheme, _, given = header.partition(" ")
    return given.strip() if scheme.lower() == "bearer" else ""


def route(config: ServerConfig, ids: Ids, calls: Calls) -> WebSocketRoute:
    """`/v1/realtime`, a WebSocket session per connection."""

    def allowed(given: str) -> bool:
        if config.api_key is None or config.has("no-auth"):
            return True
        if given.startswith("ek_") and not config.has("realtime-ws-secret-refused"):
            return calls.valid_secret(given)
        return bool(given) and given == config.api_key

    async def endpoint(websocket: WebSocket) -> None:
        if not allowed(_credential(websocket)):
            body = {"error": {"message": "Incorrect API key provided.", "type": "invalid_request_error",
                              "param": None, "code": "invalid_api_key"}}  # fmt: skip
            await websocket.send_denial_response(Response(json.dumps(body), 401, media_type="application/json"))
            return
        session = Session(config, ids, websocket.query_params.get("model") or "gpt-realtime")
        await websocket.accept()
        created = session.created()
        if config.has("realtime-ws-no-session-created"):
            created = []
        for event in created:
            await websocket.send_text(json.dumps(event))
        try:
            while True:
                message = await websocket.receive()
                if message["type"] == "websocket.disconnect":
                    return
                text = message.get("text")
                if text is None:
                    text = (message.get("bytes") or b"").decode("utf-8", "replace")
                events = session.answer(text)
                for event in events:
                    await websocket.send_text(json.dumps(event))
                if config.has("realtime-ws-error-closes") and any(e["type"] == "error" for e in events):
                    await websocket.close(code=1011)
                    return
        except WebSocketDisconnect:
            return

    return WebSocketRoute("/v1/realtime", endpoint)
