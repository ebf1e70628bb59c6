"""The audio faults of the reference server, each as (request, what the fault breaks in its answer), for
tests/test_reference_server.py's FAULT_CASES: every fault must change what it says, and a clean server must not.
The violations are read with the rules' own parsers (srt, webvtt, the speech decoders)."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable
from typing import Any

import httpx
import srt

from conformance.checks.audio import decode_problem
from conformance.tone import silent_wav, tone_wav, wav_seconds
from tests._reference_calls import call_reference, reference_app

KEY = "sk-test-audio-0123456789"
TONE = ("tone.wav", tone_wav(), "audio/wav")
SPEECH = {"model": "gpt-4o-mini-tts", "input": "The quick brown fox jumped over the lazy dog.", "voice": "alloy"}

Faults = frozenset[str]
Request = Callable[[Faults], httpx.Response]
Violation = Callable[[httpx.Response], bool]


def _app(faults: Faults) -> Any:
    return reference_app(faults, KEY)


def _call(faults: Faults, path: str, method: str = "POST", **kwargs: Any) -> httpx.Response:
    return call_reference(_app(faults), method, path, {"authorization": f"Bearer {KEY}"}, **kwargs)


def transcribe(*fields: tuple[str, str], model: str = "whisper-1", path: str = "/audio/transcriptions",
               file: tuple[str, bytes, str] = TONE) -> Request:  # fmt: skip
    parts = [("file", file), ("model", (None, model)), *((name, (None, value)) for name, value in fields)]
    return lambda faults: _call(faults, path, files=parts)


def speak(**extra: Any) -> Request:
    return lambda faults: _call(faults, "/audio/speech", json={**SPEECH, **extra})


def consent(ident: str) -> Request:
    return lambda faults: _call(faults, f"/audio/voice_consents/{ident}", "GET")


def _events(response: httpx.Response) -> list[dict[str, Any]]:
    return [json.loads(line[6:]) for line in response.text.splitlines() if line.startswith("data: ")]


def _joined(response: httpx.Response) -> str:
    return "".join(e.get("delta", "") for e in _events(response))


def _starts_in_order(response: httpx.Response) -> bool:
    starts = [cue.start for cue in srt.parse(response.text)]
    return starts == sorted(starts)


def _not_base64(response: httpx.Response) -> bool:
    try:
        for event in _events(response):
            if event["type"] == "speech.audio.delta":
                base64.b64decode(event["audio"], validate=True)
    except binascii.Error:
        return True
    return False


def _speed_ignored(faults: Faults) -> httpx.Response:
    fast = speak(response_format="wav", speed=2.0)(faults)
    fast.extensions["normal"] = wav_seconds(speak(response_format="wav")(faults).content)
    return fast


VERBOSE = ("response_format", "verbose_json")
AUDIO_FAULT_CASES: dict[str, tuple[Request, Violation]] = {
    "audio-text-json": (transcribe(("response_format", "text")),
                        lambda r: r.headers["content-type"] == "application/json"),
    "audio-srt-out-of-order": (transcribe(("response_format", "srt")), lambda r: not _starts_in_order(r)),
    "audio-vtt-no-header": (transcribe(("response_format", "vtt")), lambda r: not r.text.startswith("WEBVTT")),
    "audio-duration-ms": (transcribe(VERBOSE), lambda r: r.json()["duration"] != 2.0),
    "audio-segments-beyond": (transcribe(VERBOSE), lambda r: r.json()["segments"][-1]["end"] > 2.0),
    "audio-words-ignored": (transcribe(VERBOSE, ("timestamp_granularities[]", "word")),
                            lambda r: "words" not in r.json()),
    "audio-logprobs-ignored": (transcribe(("include[]", "logprobs"), model="gpt-4o-transcribe"),
                               lambda r: "logprobs" not in r.json()),
    "audio-format-unchecked": (transcribe(("response_format", "srt"), model="gpt-4o-transcribe"),
                               lambda r: r.status_code == 200),
    "audio-not-audio-500": (transcribe(file=("a.txt", b"text", "text/plain")), lambda r: r.status_code == 500),
    "audio-oversize-accepted": (transcribe(file=("big.wav", silent_wav(25 * 1024 * 1024 + 2), "audio/wav")),
                                lambda r: r.status_code == 200),
    "audio-stream-done-differs": (transcribe(("stream", "true"), model="gpt-4o-mini-transcribe"),
                                  lambda r: _joined(r) != _events(r)[-1].get("text")),
    "audio-stream-done-early": (transcribe(("stream", "true"), model="gpt-4o-mini-transcribe"),
                                lambda r: _events(r)[-1]["type"] != "transcript.text.done"),
    "audio-speech-wav-for-mp3": (speak(), lambda r: decode_problem("mp3", r.content) != ""),
    "audio-speech-content-type": (speak(response_format="flac"), lambda r: r.headers["content-type"] != "audio/flac"),
    "audio-speed-ignored": (_speed_ignored, lambda r: wav_seconds(r.content) == r.extensions["normal"]),
    "audio-speed-unchecked": (speak(speed=4.5), lambda r: r.status_code == 200),
    "audio-long-input-accepted": (speak(input="a" * 4097), lambda r: r.status_code == 200),
    "audio-speech-sse-bad-base64": (speak(response_format="pcm", stream_format="sse"), _not_base64),
    "audio-speech-sse-no-done": (speak(response_format="pcm", stream_format="sse"),
                                 lambda r: _events(r)[-1]["type"] != "speech.audio.done"),
    # voice consents: the reference server holds cons_demo_1 and cons_demo_2
    "audio-voice-consent-object-wrong": (consent("cons_demo_1"), lambda r: r.json()["object"] != "audio.voice_consent"),
    "audio-voice-consent-other-id": (consent("cons_demo_1"), lambda r: r.json()["id"] != "cons_demo_1"),
    "audio-voice-consent-unknown-200": (consent("cons_none"), lambda r: r.status_code == 200),
}  # fmt: skip
