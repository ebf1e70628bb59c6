"""The Realtime API's HTTP operations on the reference server: ephemeral keys and calls.

    POST /v1/realtime/client_secrets          {value: ek_…, expires_at, session}: a realtime or a transcription
                                              session, what was asked echoed with the defaults filled in
    POST /v1/realtime/sessions                the beta form: a realtime.session with `client_secret`
    POST /v1/realtime/transcription_sessions  the beta transcription form, with `client_secret`
    POST /v1/realtime/calls                   an SDP offer (multipart `sdp` and `session`, or a bare
                                              application/sdp body) answered 201 with an SDP answer and
                                              `Location: /v1/realtime/calls/{call_id}`
    POST /v1/realtime/calls/{id}/accept       an incoming (SIP) call accepted; refer moves an active one, reject
    POST /v1/realtime/calls/{id}/refer        declines an incoming one, hangup ends any call: each 200, empty
    POST /v1/realtime/calls/{id}/reject
    POST /v1/realtime/calls/{id}/hangup

A call made by POST /v1/realtime/calls is active at once (WebRTC); an incoming SIP call rings only when a test
says so (`Calls.ring`), as a telephone line would. The secrets a server issued open its Realtime WebSocket
sessions as the key does.
"""

from __future__ import annotations

import json
import secrets
import threading
import time
from typing import Any, Protocol

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from . import _multipart
from ._config import ServerConfig
from ._errors import ApiError, invalid
from ._ids import Ids
from ._routing import Served
from ._validation import describe_chat, schema_errors

DEFAULT_MODEL = "gpt-realtime"
DEFAULT_INSTRUCTIONS = "You are a helpful, witty, and friendly AI."
DEFAULT_EXPIRY = 600  # seconds: a client secret's life when expires_after leaves it out (seed 003)
SESSION_EXPIRY = 60  # the beta sessions' keys live a minute (seed 003 RealtimeSessionCreateRequest)
EXPIRY_RANGE = (10, 7200)
SIP_DECLINE = 603


class Server(Served, Protocol):
    realtime: Calls


class Calls:
    """The calls and client secrets a server knows; every method takes the lock."""

    def __init__(self, ids: Ids) -> None:
        self.ids = ids
        self.lock = threading.Lock()
        self.calls: dict[str, str] = {}  # id -> "incoming", "active" or "ended"
        self.secrets: dict[str, int] = {}  # ek_ value -> expires_at
        # Told of each incoming call (the realtime.call.incoming webhook), when the server sends webhooks.
        self.announce: Any = None

    def start(self, state: str) -> str:
        ident = f"rtc_{self.ids.item('call').removeprefix('call_')}"
        with self.lock:
            self.calls[ident] = state
        return ident

    def ring(self) -> str:
        """An incoming SIP call, as the API announces one with the realtime.call.incoming webhook."""
        ident = self.start("incoming")
        if self.announce is not None:
            self.announce("realtime.call.incoming", {"call_id": ident, "sip_headers": [
                {"name": "From", "value": "sip:+14155550123@example.com"},
                {"name": "To", "value": "sip:+18005550123@sip.api.openai.com"}]})  # fmt: skip
        return ident

    def issue(self, seconds: int) -> tuple[str, int]:
        value, expires_at = f"ek_{secrets.token_hex(16)}", int(time.time()) + seconds
        with self.lock:
            self.secrets[value] = expires_at
        return value, expires_at

    def valid_secret(self, value: str) -> bool:
        with self.lock:
            return self.secrets.get(value, 0) > time.time()

    def move(self, ident: str, allowed: tuple[str, ...], to: str, verb: str) -> None:
        with self.lock:
            state = self.calls.get(ident)
            if state is None:
                raise ApiError(404, f"Call with id '{ident}' not found.", param="call_id", client=False,
                               validation=False)  # fmt: skip
            if state not in allowed:
                raise invalid(f"Cannot {verb} a call that is {state}.", "call_id", "invalid_call_state")
            self.calls[ident] = to


def _validated(schema: str, body: Any) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise invalid("Invalid type for body: expected an object.", None, "invalid_type")
    if errors := schema_errors(schema, body):
        raise describe_chat(errors[0])
    return body


def realtime_session(asked: dict[str, Any], ids: Ids, expires_at: int) -> dict[str, Any]:
    """A GA realtime session: what was asked, over the defaults."""
    return {
        "type": "realtime",
        "object": "realtime.session",
        "id": ids.item("sess"),
        "model": DEFAULT_MODEL,
        "output_modalities": ["audio"],
        "instructions": DEFAULT_INSTRUCTIONS,
        "tools": [],
        "tool_choice": "auto",
        "max_output_tokens": "inf",
        "tracing": None,
        "truncation": "auto",
        "prompt": None,
        "expires_at": expires_at,
        "include": None,
        "audio": {"input": {"format": {"type": "audio/pcm", "rate": 24000}, "turn_detection": None},
                  "output": {"format": {"type": "audio/pcm", "rate": 24000}, "voice": "alloy", "speed": 1.0}},
        **asked,
    }  # fmt: skip


def transcription_session(asked: dict[str, Any], ids: Ids, expires_at: int) -> dict[str, Any]:
    return {
        "type": "transcription",
        "object": "realtime.transcription_session",
        "id": ids.item("sess"),
        "expires_at": expires_at,
        "include": None,
        "audio": {"input": {"format": {"type": "audio/pcm", "rate": 24000}, "transcription": None}},
        **asked,
    }


def client_secret(body: Any, calls: Calls, config: ServerConfig) -> dict[str, Any]:
    if config.has("realtime-expiry-range-accepted") and isinstance(body, dict):
        body = {k: v for k, v in body.items() if k != "expires_after"}
    body = _validated("realtime.client-secret.create.request", body)
    seconds = body.get("expires_after", {}).get("seconds", DEFAULT_EXPIRY)
    if config.has("realtime-secret-expiry-ignored"):
        seconds = DEFAULT_EXPIRY
    value, expires_at = calls.issue(seconds)
    asked = body.get("session", {"type": "realtime"})
    if asked.get("type") == "transcription" and not config.has("realtime-secret-wrong-type"):
        session = transcription_session(asked, calls.ids, 0)
    else:
        session = realtime_session({**asked, "type": "realtime"}, calls.ids, 0)
    answer = {"value": value, "expires_at": expires_at, "session": session}
    if config.has("realtime-secret-no-value"):
        del answer["value"]
    return answer


def beta_session(body: Any, schema: str, calls: Calls, config: ServerConfig) -> dict[str, Any]:
    body = _validated(schema, body)
    value, expires_at = calls.issue(SESSION_EXPIRY)
    if schema == "realtime.transcription-session.create.request":
        answer: dict[str, Any] = {
            "object": "realtime.transcription_session", "modalities": ["text"], "input_audio_format": "pcm16",
            "input_audio_transcription": {"model": "gpt-4o-transcribe"}, "turn_detection": None, **body,
        }  # fmt: skip
    else:
        answer = {
            "id": calls.ids.item("sess"), "object": "realtime.session", "model": DEFAULT_MODEL,
            "modalities": ["text", "audio"], "instructions": DEFAULT_INSTRUCTIONS, "voice": "alloy",
            "input_audio_format": "pcm16", "output_audio_format": "pcm16", "tools": [], "tool_choice": "auto",
            "temperature": 0.8, "max_response_output_tokens": "inf", "expires_at": expires_at, **body,
        }  # fmt: skip
    if not config.has("realtime-sessions-no-secret"):
        answer["client_secret"] = {"value": value, "expires_at": expires_at}
    return answer


def sdp_answer(offer: str) -> str:
    """An SDP answer to `offer`: its media lines accepted, with the server's ICE credentials."""
    media = [line for line in offer.splitlines() if line.startswith("m=")] or ["m=audio 9 UDP/TLS/RTP/SAVPF 111"]
    lines = ["v=0", f"o=- {int(time.time())} 2 IN IP4 127.0.0.1", "s=-", "t=0 0"]
    for line in media:
        lines += [line, "c=IN IP4 127.0.0.1", "a=ice-ufrag:ref0", "a=ice-pwd:reference0reference0refer",
                  "a=setup:passive", "a=sendrecv"]  # fmt: skip
    return "\r\n".join(lines) + "\r\n"


async def _offer(request: Request) -> str:
    content_type = request.headers.get("content-type", "")
    raw = await request.body()
    if content_type.startswith("application/sdp"):
        offer = raw.decode("utf-8", "replace")
    else:
        fields = _multipart.parse(content_type, raw)
        if "sdp" not in fields:
            raise invalid("Missing required parameter: 'sdp'.", "sdp", "missing_required_parameter")
        offer = fields["sdp"].text()
        if "session" in fields:
            try:
                session = json.loads(fields["session"].text())
            except ValueError:
                raise invalid("The session part is not valid JSON.", "session") from None
            _validated("realtime.session-config", session)
    if not offer.startswith("v=0"):
        raise invalid("The SDP offer is not a session description (it must begin with v=0).", "sdp")
    return offer


def routes(server: Server) -> list[Route]:
    """The /v1/realtime HTTP routes, bound to `server`."""
    guarded, calls, config = server.guarded, server.realtime, server.config

    async def create_secret(request: Request) -> Response:
        return server._json(client_secret(await _json(request), calls, config))

    async def create_session(request: Request) -> Response:
        return server._json(beta_session(await _json(request), "realtime.session.create.request", calls, config))

    async def create_transcription(request: Request) -> Response:
        schema = "realtime.transcription-session.create.request"
        return server._json(beta_session(await _json(request), schema, calls, config))

    async def create_call(request: Request) -> Response:
        offer = await _offer(request)
        ident = calls.start("active")
        media = "application/json" if config.has("realtime-sdp-json") else "application/sdp"
        headers = {} if config.has("realtime-calls-no-location") else {"location": f"/v1/realtime/calls/{ident}"}
        return Response(sdp_answer(offer), status_code=201, media_type=media, headers=headers)

    def control(verb: str, schema: str | None, allowed: tuple[str, ...], to: str) -> Route:
        async def handle(request: Request) -> Response:
            ident = request.path_params["call_id"]
            if schema is not None:
                _validated(schema, await _json(request))
            if not (config.has("realtime-unknown-call-200") and ident not in calls.calls):
                calls.move(ident, allowed, to, verb)
            return Response(b"", status_code=200)

        return Route(f"/v1/realtime/calls/{{call_id}}/{verb}", guarded(handle), methods=["POST"])

    return [
        Route("/v1/realtime/client_secrets", guarded(create_secret), methods=["POST"]),
        Route("/v1/realtime/sessions", guarded(create_session), methods=["POST"]),
        Route("/v1/realtime/transcription_sessions", guarded(create_transcription), methods=["POST"]),
        Route("/v1/realtime/calls", guarded(create_call), methods=["POST"]),
        control("accept", "realtime.session-config", ("incoming",), "active"),
        control("reject", "realtime.call.reject.request", ("incoming",), "ended"),
        control("refer", "realtime.call.refer.request", ("active",), "ended"),
        control("hangup", None, ("incoming", "active"), "ended"),
    ]


async def _json(request: Request) -> Any:
    raw = await request.body()
    try:
        return json.loads(raw) if raw.strip() else {}
    except (ValueError, UnicodeDecodeError):
        raise invalid("We could not parse the JSON body of your request.") from None
