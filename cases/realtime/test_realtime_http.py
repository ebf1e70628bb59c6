"""The Realtime API over HTTP: client secrets for a realtime and a transcription session, their expiry, the beta
session endpoints, and a WebRTC call (an SDP offer answered in SDP) hung up at once.

A client secret is a key for ten seconds (the least the API takes), so what the run records of it is of no use to
anyone by the time a report is read. The call sends no audio: it is made and hung up; the ledger hangs up what a
case left.
"""

import json

import pytest

from conformance.case import requirement
from conformance.checks.realtime import OFFER, call_id

SECRET = (
    "realtime.client-secret.schema",
    "realtime.client-secret.session-type",
    "realtime.client-secret.expires-at",
    "realtime.client-secret.session-echo",
)
SHORTEST = {"anchor": "created_at", "seconds": 10}


def client_secret(oai_client, body):
    return oai_client.request("POST", "/realtime/client_secrets", json=body)


@requirement(*SECRET)
def test_client_secret_for_a_realtime_session(oai_client, oai_target, oai_judge):
    session = {"type": "realtime", "model": oai_target.model("realtime"), "instructions": "Answer in one word.",
               "output_modalities": ["text"]}  # fmt: skip
    exchange = client_secret(oai_client, {"expires_after": SHORTEST, "session": session})
    oai_judge(exchange, *SECRET)


@requirement(*SECRET)
def test_client_secret_for_a_transcription_session(oai_client, oai_judge):
    exchange = client_secret(oai_client, {"expires_after": SHORTEST, "session": {"type": "transcription"}})
    oai_judge(exchange, *SECRET)


@requirement("realtime.client-secret.schema", "realtime.client-secret.expires-at")
def test_client_secret_default_expiry(oai_client, oai_target, oai_judge):
    exchange = client_secret(oai_client, {"session": {"type": "realtime", "model": oai_target.model("realtime")}})
    oai_judge(exchange, "realtime.client-secret.schema", "realtime.client-secret.expires-at")


@requirement("realtime.client-secret.expires-range", "errors.envelope.schema")
@pytest.mark.parametrize("seconds", [5, 7201])
def test_client_secret_expiry_out_of_range(oai_client, oai_judge, seconds):
    exchange = client_secret(oai_client, {"expires_after": {"anchor": "created_at", "seconds": seconds}})
    oai_judge(exchange, "realtime.client-secret.expires-range", "errors.envelope.schema")


@requirement("realtime.sessions.schema")
def test_beta_session(oai_client, oai_target, oai_judge):
    body = {"model": oai_target.model("realtime"), "modalities": ["text"], "instructions": "Answer in one word."}
    oai_judge(oai_client.request("POST", "/realtime/sessions", json=body), "realtime.sessions.schema")


@requirement("realtime.transcription-sessions.schema")
def test_beta_transcription_session(oai_client, oai_judge):
    exchange = oai_client.request("POST", "/realtime/transcription_sessions", json={"input_audio_format": "pcm16"})
    oai_judge(exchange, "realtime.transcription-sessions.schema")


@requirement("realtime.calls.sdp-answer", "realtime.calls.location", "realtime.calls.hangup")
def test_call_answered_and_hung_up(oai_client, oai_target, oai_judge):
    session = json.dumps({"type": "realtime", "model": oai_target.model("realtime"), "output_modalities": ["text"]})
    fields = [("sdp", (None, OFFER, "application/sdp")), ("session", (None, session, "application/json"))]
    created = oai_client.request("POST", "/realtime/calls", files=fields)
    oai_judge(created, "realtime.calls.sdp-answer", "realtime.calls.location")
    ident = call_id(created)
    if created.response is None or created.response.status != 201 or ident is None:
        pytest.skip("no call was made, so none can be hung up (realtime.calls.sdp-answer and .location say why)")
    oai_judge(oai_client.request("POST", f"/realtime/calls/{ident}/hangup"), "realtime.calls.hangup")


@requirement("realtime.calls.unknown-call")
@pytest.mark.parametrize(
    ("verb", "body"),
    [("accept", {"type": "realtime"}), ("hangup", None), ("refer", {"target_uri": "tel:+14155550123"}),
     ("reject", {"status_code": 486})],
)  # fmt: skip
def test_unknown_call(oai_client, oai_judge, verb, body):
    exchange = oai_client.request("POST", f"/realtime/calls/rtc_oaiconformancenosuchcall/{verb}", json=body)
    oai_judge(exchange, "realtime.calls.unknown-call")
