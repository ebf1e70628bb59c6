"""The Realtime API's HTTP operations: client secrets and the sessions they open (`POST /v1/realtime/client_secrets`,
the beta `/realtime/sessions` and `/realtime/transcription_sessions`), and calls (`POST /v1/realtime/calls`, an SDP
offer answered in SDP, and the control requests on a call)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from conformance.checks.evidence import answer, asked, excerpt, received, schema_violations
from conformance.checks.rule import Context, Violation, check
from conformance.exceptions import NotApplicable
from conformance.exchange import Exchange

DEFAULT_EXPIRY = 600  # seconds: a client secret's life when expires_after leaves it out (seed 003)
EXPIRY_SKEW = 120  # seconds between the request's start and the server's clock that are not the server's fault
ECHOED = ("model", "instructions", "output_modalities")  # what a session configuration gives back as asked
# A WebRTC offer as a browser makes one: one audio line (Opus) and the data channel the events travel on.
OFFER = "\r\n".join([
    "v=0", "o=- 4611731400430051336 2 IN IP4 127.0.0.1", "s=-", "t=0 0", "a=group:BUNDLE 0 1",
    "a=msid-semantic: WMS",
    "m=audio 9 UDP/TLS/RTP/SAVPF 111", "c=IN IP4 0.0.0.0", "a=rtcp:9 IN IP4 0.0.0.0",
    "a=ice-ufrag:oaic", "a=ice-pwd:oaiconformanceoaiconformance", "a=ice-options:trickle",
    "a=fingerprint:sha-256 " + ":".join(["AB"] * 32), "a=setup:actpass", "a=mid:0", "a=sendrecv", "a=rtcp-mux",
    "a=rtpmap:111 opus/48000/2", "a=fmtp:111 minptime=10;useinbandfec=1",
    "m=application 9 UDP/DTLS/SCTP webrtc-datachannel", "c=IN IP4 0.0.0.0", "a=ice-ufrag:oaic",
    "a=ice-pwd:oaiconformanceoaiconformance", "a=fingerprint:sha-256 " + ":".join(["AB"] * 32),
    "a=setup:actpass", "a=mid:1", "a=sctp-port:5000",
]) + "\r\n"  # fmt: skip


def _session(exchange: Exchange) -> dict[str, Any]:
    body = answer(exchange)
    session = body.get("session") if isinstance(body, dict) else None
    if not isinstance(session, dict):
        raise NotApplicable("the answer holds no session (realtime.client-secret.schema's failure)")
    return session


def _asked_session(exchange: Exchange) -> dict[str, Any]:
    session = asked(exchange).get("session")
    return session if isinstance(session, dict) else {"type": "realtime"}


@check("realtime.client-secret.schema")
def client_secret_schema(exchange: Exchange, ctx: Context) -> Iterator[Violation]:
    yield from schema_violations("realtime.client-secret", answer(exchange))


@check("realtime.client-secret.session-type")
def session_type(exchange: Exchange, ctx: Context) -> Iterator[Violation]:
    wanted, got = _asked_session(exchange).get("type", "realtime"), _session(exchange).get("type")
    if got != wanted:
        yield Violation(f"Received: session.type {got!r}\nExpected: {wanted!r}, the type asked", "$.session.type")


@check("realtime.client-secret.expires-at")
def expires_at(exchange: Exchange, ctx: Context) -> Iterator[Violation]:
    body = answer(exchange)
    got = body.get("expires_at") if isinstance(body, dict) else None
    if not isinstance(got, int) or isinstance(got, bool):
        raise NotApplicable("no integer expires_at (realtime.client-secret.schema's failure)")
    after = asked(exchange).get("expires_after")
    seconds = after.get("seconds", DEFAULT_EXPIRY) if isinstance(after, dict) else DEFAULT_EXPIRY
    sent = exchange.started
    if not sent:
        raise NotApplicable("the time the request was sent is not known (a recorded exchange)")
    wanted = int(sent) + seconds
    if abs(got - wanted) > EXPIRY_SKEW:
        yield Violation(
            f"Received: expires_at {got}, {got - int(sent)} s after the request was sent\n"
            f"Expected: about {wanted}, {seconds} s after it (expires_after.seconds"
            f"{'' if isinstance(after, dict) and 'seconds' in after else ' left out: 600'})",
            "$.expires_at",
        )


@check("realtime.client-secret.session-echo")
def session_echo(exchange: Exchange, ctx: Context) -> Iterator[Violation]:
    wanted, got = _asked_session(exchange), _session(exchange)
    for key in ECHOED:
        if key in wanted and got.get(key) != wanted[key]:
            yield Violation(
                f"Received: session.{key} {excerpt(got.get(key), 80)}\nExpected: {excerpt(wanted[key], 80)}, as asked",
                f"$.session.{key}",
            )


@check("realtime.client-secret.expires-range", case_bound=True)
def expires_range(exchange: Exchange, ctx: Context) -> Iterator[Violation]:
    after = asked(exchange).get("expires_after")
    seconds = after.get("seconds") if isinstance(after, dict) else None
    if not isinstance(seconds, int) or 10 <= seconds <= 7200:
        raise NotApplicable("the request's expires_after.seconds is within 10..7200")
    if exchange.response is None or exchange.response.status != 400:
        yield Violation(f"{received(exchange)}\nExpected: status 400 for expires_after.seconds {seconds}")


@check("realtime.sessions.schema")
def sessions_schema(exchange: Exchange, ctx: Context) -> Iterator[Violation]:
    yield from schema_violations("realtime.session", answer(exchange))


@check("realtime.transcription-sessions.schema")
def transcription_sessions_schema(exchange: Exchange, ctx: Context) -> Iterator[Violation]:
    yield from schema_violations("realtime.transcription-session", answer(exchange))


def _created_call(exchange: Exchange) -> Any:
    response = exchange.response
    if response is None or response.status != 201:
        yield Violation(f"{received(exchange)}\nExpected: status 201 with the SDP answer")
        return None
    return response


@check("realtime.calls.sdp-answer")
def sdp_answer(exchange: Exchange, ctx: Context) -> Iterator[Violation]:
    response = yield from _created_call(exchange)
    if response is None:
        return
    if response.content_type != "application/sdp":
        yield Violation(
            f"Received: content-type {response.header('content-type')!r}\nExpected: application/sdp",
            "content-type",
        )
    text = response.body.decode("utf-8", "replace")
    if not text.startswith("v=0"):
        yield Violation(f"Received: body {excerpt(text, 80)}\nExpected: a session description beginning v=0", "$")


def call_id(exchange: Exchange) -> str | None:
    """The call id a created call's Location header names (its last path segment)."""
    response = exchange.response
    location = response.header("location") if response is not None else None
    ident = location.rstrip("/").rsplit("/", 1)[-1] if location else ""
    return ident or None


@check("realtime.calls.location")
def location(exchange: Exchange, ctx: Context) -> Iterator[Violation]:
    response = yield from _created_call(exchange)
    if response is not None and call_id(exchange) is None:
        yield Violation(
            f"Received: Location {response.header('location')!r}\nExpected: the call's URL, ending in its id",
            "location",
        )


@check("realtime.calls.hangup", case_bound=True)
def hangup(exchange: Exchange, ctx: Context) -> Iterator[Violation]:
    if exchange.response is None or exchange.response.status != 200:
        yield Violation(f"{received(exchange)}\nExpected: status 200: the call the run made is hung up")


@check("realtime.calls.unknown-call", case_bound=True)
def unknown_call(exchange: Exchange, ctx: Context) -> Iterator[Violation]:
    status = exchange.response.status if exchange.response is not None else None
    if status is None or not 400 <= status < 500:
        yield Violation(f"{received(exchange)}\nExpected: a 4xx error: no call has that id")
