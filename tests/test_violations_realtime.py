"""Every Realtime HTTP rule can fail, and says why: one violating exchange per rule, built from what the reference
server answers (its own functions, no HTTP) and broken by one mutation; the valid twin passes. The seeds' session
examples are accepted by the request schemas."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest

from conformance.checks.realtime import OFFER
from conformance.exchange import Exchange
from conformance.judgement import Status, judge
from conformance.reference import realtime as ref
from conformance.reference._config import ServerConfig
from conformance.reference._ids import Ids
from conformance.requirements import catalogue
from conformance.schemas import validate
from tests._transports import fails_with_evidence
from tests.test_violations import Http, raw

CONFIG = ServerConfig()
SENT = 1_800_000_000.0  # when each request below was sent


@dataclass
class Sent:
    """An exchange to build whose request left at SENT, with response headers of its own."""

    http: Http
    headers: dict[str, str] = field(default_factory=dict)

    def subject(self) -> Exchange:
        h = self.http
        exchange = Exchange.build(
            method=h.method, url="http://127.0.0.1:1/v1" + h.path, request_headers={}, request_body=raw(h.request),
            status=h.status, response_headers={"content-type": h.content_type, **self.headers},
            response_body=raw(h.body), started=SENT,
        )  # fmt: skip
        return exchange


def secret(request: dict[str, Any]) -> Sent:
    calls = ref.Calls(Ids())
    answer = ref.client_secret(request, calls, CONFIG)
    after = request.get("expires_after", {}).get("seconds", ref.DEFAULT_EXPIRY)
    answer["expires_at"] = int(SENT) + after
    return Sent(Http(request, answer, path="/realtime/client_secrets"))


REALTIME = {"expires_after": {"anchor": "created_at", "seconds": 10},
            "session": {"type": "realtime", "model": "gpt-realtime", "instructions": "Be brief.",
                        "output_modalities": ["text"]}}  # fmt: skip


def realtime_secret() -> Sent:
    return secret(REALTIME)


def transcription_secret() -> Sent:
    return secret({"session": {"type": "transcription"}})


def refused(request: dict[str, Any], path: str = "/realtime/client_secrets") -> Callable[[], Sent]:
    body = {"error": {"message": "Invalid 'expires_after.seconds'", "type": "invalid_request_error",
                      "param": "expires_after.seconds", "code": "integer_below_min_value"}}  # fmt: skip
    return lambda: Sent(Http(request, body, status=400, path=path))


def beta(schema: str, path: str) -> Callable[[], Sent]:
    return lambda: Sent(Http({}, ref.beta_session({}, schema, ref.Calls(Ids()), CONFIG), path=path))


def call() -> Sent:
    answer = ref.sdp_answer(OFFER).encode()
    http = Http(None, answer, status=201, path="/realtime/calls", content_type="application/sdp")
    return Sent(http, {"location": "/v1/realtime/calls/rtc_123"})


def control(status: int, verb: str = "hangup") -> Callable[[], Sent]:
    return lambda: Sent(Http(None, b"" if status == 200 else {"error": {"message": "not found", "type": "x",
                                                                        "param": None, "code": None}},
                             status=status, path=f"/realtime/calls/rtc_123/{verb}"))  # fmt: skip


def body_of(spec: Sent) -> dict[str, Any]:
    assert isinstance(spec.http.body, dict)
    return spec.http.body


def http(spec: Sent, **changes: Any) -> None:
    spec.http = dataclasses.replace(spec.http, **changes)


# (rule, what, valid subject, mutation, evidence the failure quotes)
VIOLATIONS: list[tuple[str, str, Callable[[], Sent], Callable[[Sent], None], str]] = [
    ("realtime.client-secret.schema", "no value", realtime_secret, lambda s: body_of(s).pop("value"), "value"),
    ("realtime.client-secret.schema", "expires_at a string", realtime_secret,
     lambda s: body_of(s).__setitem__("expires_at", "soon"), "soon"),
    ("realtime.client-secret.session-type", "a realtime session for a transcription one", transcription_secret,
     lambda s: body_of(s)["session"].__setitem__("type", "realtime"), "'realtime'"),
    ("realtime.client-secret.expires-at", "600 s instead of 10", realtime_secret,
     lambda s: body_of(s).__setitem__("expires_at", int(SENT) + 600), "600 s after"),
    ("realtime.client-secret.expires-at", "10 s where 600 is the default", transcription_secret,
     lambda s: body_of(s).__setitem__("expires_at", int(SENT) + 10), "10 s after"),
    ("realtime.client-secret.session-echo", "instructions dropped", realtime_secret,
     lambda s: body_of(s)["session"].__setitem__("instructions", "You are a helpful AI."), "helpful"),
    ("realtime.client-secret.expires-range", "5 s accepted", refused({"expires_after": {"seconds": 5}}),
     lambda s: http(s, status=200, body=realtime_secret().http.body), "200"),
    ("realtime.sessions.schema", "no client_secret", beta("realtime.session.create.request", "/realtime/sessions"),
     lambda s: body_of(s).pop("client_secret"), "client_secret"),
    ("realtime.transcription-sessions.schema", "client_secret without value",
     beta("realtime.transcription-session.create.request", "/realtime/transcription_sessions"),
     lambda s: body_of(s)["client_secret"].pop("value"), "value"),
    ("realtime.calls.sdp-answer", "sent as JSON", call, lambda s: http(s, content_type="application/json"),
     "application/json"),
    ("realtime.calls.sdp-answer", "not a session description", call, lambda s: http(s, body=b"<html>ok</html>"),
     "html"),
    ("realtime.calls.sdp-answer", "200 instead of 201", call, lambda s: http(s, status=200), "200"),
    ("realtime.calls.location", "no Location", call, lambda s: s.headers.clear(), "None"),
    ("realtime.calls.hangup", "404 for the run's call", control(200), lambda s: http(s, status=404,
     body={"error": {"message": "Call not found", "type": "x", "param": None, "code": None}}), "404"),
    ("realtime.calls.unknown-call", "200 for a call that does not exist", control(404, "accept"),
     lambda s: http(s, status=200, body=b""), "200"),
]


def ids(row: tuple[Any, ...]) -> str:
    return f"{row[0]}: {row[1]}"


@pytest.mark.parametrize("row", VIOLATIONS, ids=ids)
def test_violation_fails_with_evidence(row) -> None:
    rid, _, good, mutate, shows = row
    spec = good()
    mutate(spec)
    fails_with_evidence(spec.subject(), rid, shows)


@pytest.mark.parametrize("row", VIOLATIONS, ids=ids)
def test_valid_twin_passes(row) -> None:
    rid, _, good, _, _ = row
    [obs] = judge(good().subject(), [rid])
    assert obs.status is Status.PASS, obs


def test_every_realtime_rule_has_a_violating_example() -> None:
    http_rules = {r for r in catalogue() if r.startswith("realtime.") and not r.startswith("realtime.session.")}
    assert http_rules == {row[0] for row in VIOLATIONS}


def test_a_recorded_secret_without_its_send_time_is_not_judged_for_expiry() -> None:
    spec = realtime_secret()
    exchange = dataclasses.replace(spec.subject(), started=0.0)
    assert [o.status for o in judge(exchange, ["realtime.client-secret.expires-at"])] == [Status.SKIP]


# The seeds' session configurations: seed 000 (Realtime API › WebRTC Connection) asks /realtime/sessions for
# model and voice; seeds 000 and 001 (Session Configuration) send these keys in session.update.
SEED_SESSIONS = [
    {"model": "gpt-4o-realtime-preview", "voice": "alloy"},
    {"modalities": ["text", "audio"], "instructions": "You are a helpful assistant. Speak clearly and concisely.",
     "voice": "alloy", "input_audio_format": "pcm16", "output_audio_format": "pcm16",
     "input_audio_transcription": {"model": "whisper-1"},
     "turn_detection": {"type": "server_vad", "threshold": 0.5, "prefix_padding_ms": 300, "silence_duration_ms": 500},
     "tools": [{"type": "function", "name": "get_weather", "description": "Get the current weather",
                "parameters": {"type": "object", "properties": {"location": {"type": "string"}}}}]},
]  # fmt: skip


@pytest.mark.parametrize("session", SEED_SESSIONS)
def test_the_seeds_session_configurations_are_valid_requests(session) -> None:
    assert validate("realtime.session.create.request", session) == []


def test_the_reference_answers_pass_their_schemas() -> None:
    calls = ref.Calls(Ids())
    assert validate("realtime.client-secret", ref.client_secret(REALTIME, calls, CONFIG)) == []
    assert validate("realtime.session", ref.beta_session({}, "realtime.session.create.request", calls, CONFIG)) == []
    assert time.time() < ref.Calls(Ids()).issue(10)[1] <= time.time() + 11


# Every rule this module shows failing (tests/test_violations.py checks the catalogue is covered).
COVERED = frozenset(row[0] for row in VIOLATIONS)
