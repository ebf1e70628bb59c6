"""The Realtime API's HTTP operations end to end: the official `openai` SDK drives every one of them (8, the list
proved complete against documented-operations.tsv) against the reference server, and each of their faults is
caught through client, cases, plugin and reports."""

from __future__ import annotations

import os
import time

import pytest

from conformance.reference import FAULTS
from tests._runs import assert_caught, certify
from tests._transports import served
from tests.test_openapi import DOCUMENTED

openai = pytest.importorskip("openai")

pytest_plugins = ["pytester"]

KEY = "sk-realtime-" + os.urandom(8).hex()
CASES = ("realtime/test_realtime_http.py",)
OFFER = "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\n"
# What the SDK tests below call, by documented operation.
DRIVEN = {
    "POST /v1/realtime/client_secrets", "POST /v1/realtime/sessions", "POST /v1/realtime/transcription_sessions",
    "POST /v1/realtime/calls", "POST /v1/realtime/calls/{call_id}/accept", "POST /v1/realtime/calls/{call_id}/hangup",
    "POST /v1/realtime/calls/{call_id}/refer", "POST /v1/realtime/calls/{call_id}/reject",
}  # fmt: skip

# fault -> the requirements its run must fail (warn, for a SHOULD rule)
CAUGHT = {
    "realtime-secret-expiry-ignored": ["realtime.client-secret.expires-at"],
    "realtime-secret-wrong-type": ["realtime.client-secret.session-type"],
    "realtime-secret-no-value": ["realtime.client-secret.schema"],
    "realtime-expiry-range-accepted": ["realtime.client-secret.expires-range"],
    "realtime-sessions-no-secret": ["realtime.sessions.schema", "realtime.transcription-sessions.schema"],
    "realtime-sdp-json": ["realtime.calls.sdp-answer"],
    "realtime-calls-no-location": ["realtime.calls.location"],
    "realtime-unknown-call-200": ["realtime.calls.unknown-call"],
}


@pytest.fixture(scope="module")
def reference():
    with served(KEY) as both:
        yield both


def test_the_sdk_drives_every_documented_realtime_operation() -> None:
    rows = [line.split("\t") for line in DOCUMENTED.read_text(encoding="utf-8").splitlines()[1:]]
    assert {f"{method} {path}" for method, path, feature, *_ in rows if feature == "realtime"} == DRIVEN


def test_the_sdk_makes_client_secrets(reference) -> None:
    _, sdk = reference
    made = sdk.realtime.client_secrets.create(
        expires_after={"anchor": "created_at", "seconds": 120},
        session={"type": "realtime", "model": "gpt-realtime", "instructions": "Be brief.",
                 "output_modalities": ["text"]},
    )
    assert made.value.startswith("ek_") and abs(made.expires_at - (time.time() + 120)) < 5
    session = made.session
    assert (session.type, session.model, session.instructions) == ("realtime", "gpt-realtime", "Be brief.")
    assert made.session.output_modalities == ["text"]
    other = sdk.realtime.client_secrets.create(session={"type": "transcription"})
    assert other.session.type == "transcription" and abs(other.expires_at - (time.time() + 600)) < 5
    with pytest.raises(openai.BadRequestError, match=r"expires_after\.seconds"):
        sdk.realtime.client_secrets.create(expires_after={"anchor": "created_at", "seconds": 5})


def test_the_sdk_makes_beta_sessions(reference) -> None:
    _, sdk = reference
    session = sdk.beta.realtime.sessions.create(model="gpt-realtime", modalities=["text"])
    assert session.client_secret.value.startswith("ek_") and session.modalities == ["text"]
    transcription = sdk.beta.realtime.transcription_sessions.create(input_audio_format="pcm16")
    assert transcription.client_secret.value.startswith("ek_") and transcription.input_audio_format == "pcm16"


def test_the_sdk_makes_a_call_and_hangs_up(reference) -> None:
    _, sdk = reference
    raw = sdk.realtime.calls.with_raw_response.create(sdp=OFFER, session={"type": "realtime", "model": "gpt-realtime"})
    assert raw.status_code == 201 and raw.headers["content-type"].startswith("application/sdp")
    answer = raw.parse().text
    assert answer.startswith("v=0") and "m=audio" in answer
    call_id = raw.headers["location"].rsplit("/", 1)[-1]
    assert call_id.startswith("rtc_")
    sdk.realtime.calls.refer(call_id, target_uri="tel:+14155550123")  # moves the call elsewhere: it has ended
    with pytest.raises(openai.BadRequestError, match="ended"):
        sdk.realtime.calls.hangup(call_id)
    with pytest.raises(openai.NotFoundError):
        sdk.realtime.calls.hangup("rtc_unknown")


def test_the_sdk_accepts_and_rejects_incoming_calls(reference) -> None:
    server, sdk = reference
    calls = server._server.config.app.state.realtime  # a SIP call rings only from a telephone line: rung here
    accepted, rejected = calls.ring(), calls.ring()
    sdk.realtime.calls.accept(accepted, type="realtime", model="gpt-realtime", instructions="Greet the caller.")
    sdk.realtime.calls.hangup(accepted)
    sdk.realtime.calls.reject(rejected, status_code=486)
    with pytest.raises(openai.BadRequestError, match="ended"):
        sdk.realtime.calls.accept(rejected, type="realtime")
    with pytest.raises(openai.BadRequestError, match="target_uri"):
        sdk.realtime.calls.refer(calls.ring(), target_uri=None)  # type: ignore[arg-type]


def test_every_realtime_fault_is_caught_here() -> None:
    assert set(CAUGHT) == {f for f in FAULTS if f.startswith("realtime-") and not f.startswith("realtime-ws-")}


@pytest.mark.parametrize("fault", sorted(CAUGHT))
def test_fault_is_reported(pytester, monkeypatch, fault) -> None:
    rules = CAUGHT[fault]
    results = certify(pytester, monkeypatch, frozenset({fault}), CASES, "--oai-retries", "0",
                      "--oai-features", "realtime,realtime.calls", only=rules)  # fmt: skip
    assert_caught(results, fault, rules)
    assert results["resources"]["left"] == []


def test_the_same_cases_pass_without_a_fault(pytester, monkeypatch) -> None:
    results = certify(pytester, monkeypatch, frozenset(), CASES, "--oai-retries", "0",
                      "--oai-features", "realtime,realtime.calls")  # fmt: skip
    judged = {r["id"]: r["status"] for r in results["requirements"]
              if r["id"].startswith("realtime.") and not r["id"].startswith("realtime.session.")}  # fmt: skip
    assert judged == dict.fromkeys(judged, "pass") and len(judged) == 11
    assert results["verdict"] == "conformant"
    resources = results["resources"]
    assert [c["kind"] for c in resources["created"]] == ["realtime.call"] and resources["left"] == []
