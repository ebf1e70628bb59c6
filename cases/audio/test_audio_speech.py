"""Speech (POST /v1/audio/speech): one short sentence in each of the six formats, read back by a decoder; the
default format; `instructions`; `speed` (shorter audio at speed 2, refused outside 0.25 to 4); server-sent events;
and the requests the API refuses. About 500 characters of speech in all, with the `speech` model role
(gpt-4o-mini-tts: instructions and sse; tts-1 has neither)."""

import pytest

from conformance.case import requirement
from conformance.checks.audio import SpeedPair

TEXT = "The quick brown fox jumped over the lazy dog."
FORMATS = ("mp3", "opus", "aac", "flac", "wav", "pcm")


def speak(oai_client, oai_target, **extra):
    body = {"model": oai_target.model("speech"), "input": TEXT, "voice": "alloy", **extra}
    return oai_client.request("POST", "/audio/speech", json={k: v for k, v in body.items() if v is not None})


@requirement("audio.speech.format", "audio.speech.content-type")
@pytest.mark.parametrize("fmt", (None, *FORMATS), ids=lambda f: f or "default")
def test_speech_format(oai_client, oai_target, oai_judge, fmt):
    oai_judge(speak(oai_client, oai_target, response_format=fmt), "audio.speech.format", "audio.speech.content-type")


@requirement("audio.speech.instructions")
def test_speech_instructions(oai_client, oai_target, oai_judge):
    exchange = speak(oai_client, oai_target, response_format="wav", instructions="Speak slowly and calmly.")
    oai_judge(exchange, "audio.speech.instructions")


@requirement("audio.speech.speed")
def test_speech_speed(oai_client, oai_target, oai_judge):
    normal = speak(oai_client, oai_target, response_format="wav")
    fast = speak(oai_client, oai_target, response_format="wav", speed=2.0)
    oai_judge(SpeedPair(normal, fast), "audio.speech.speed")


@requirement("audio.speech.stream", "audio.speech.stream-audio")
def test_speech_stream(oai_client, oai_target, oai_judge):
    exchange = speak(oai_client, oai_target, response_format="pcm", stream_format="sse")
    oai_judge(exchange, "audio.speech.stream", "audio.speech.stream-audio")


@requirement("audio.speech.speed-range", "audio.speech.input-too-long", "audio.speech.missing-input",
             "audio.speech.unknown-format")  # fmt: skip
def test_refused_speech(oai_client, oai_target, oai_judge):
    oai_judge(speak(oai_client, oai_target, speed=4.5), "audio.speech.speed-range")
    oai_judge(speak(oai_client, oai_target, input="a" * 4097), "audio.speech.input-too-long")
    body = {"model": oai_target.model("speech"), "voice": "alloy"}
    oai_judge(oai_client.request("POST", "/audio/speech", json=body), "audio.speech.missing-input")
    oai_judge(speak(oai_client, oai_target, response_format="wma"), "audio.speech.unknown-format")
