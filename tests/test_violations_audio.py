"""Every audio rule (speech, transcriptions, translations) can fail, and says why: one violating subject per rule.

As in test_violations.py, each row names a requirement, the violation (the pytest id), a factory of a VALID
subject and one mutation that breaks the rule; the check must PASS the valid subject and FAIL (MUST) or WARN
(SHOULD) the mutated one, quoting what was received. Uploads are real multipart bodies (built by httpx, as the
client sends them) holding the suite's two-second WAV tone; valid answers are written out as the API answers
them, and the seeds' example answers are accepted as they are.
"""

from __future__ import annotations

import base64
import copy
import io
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import httpx
import mutagen
import mutagen.aac
import pytest

from conformance.checks.audio import SpeedPair, decode_problem, spent
from conformance.exchange import Exchange
from conformance.judgement import Status, judge
from conformance.reference import _audio_formats as formats
from conformance.requirements import Level, catalogue
from conformance.schemas import validate
from conformance.tone import tone_wav, wav_seconds
from tests.test_violations import BASE, HEADERS, Http, Mutation, drop, mutated, put, raw, sse

TONE = tone_wav(2.0)
TEXT = "A steady tone sounds for a while, then it stops."
SRT = (
    "1\n00:00:00,000 --> 00:00:01,000\nA steady tone sounds for\n\n"
    "2\n00:00:01,000 --> 00:00:02,000\na while, then it stops.\n\n"
)
VTT = (
    "WEBVTT\n\n00:00:00.000 --> 00:00:01.000\nA steady tone sounds for\n\n"
    "00:00:01.000 --> 00:00:02.000\na while, then it stops.\n\n"
)


def segment(n: int, start: float, end: float, text: str) -> dict[str, Any]:
    return {"id": n, "seek": 0, "start": start, "end": end, "text": text, "tokens": [50364, 32], "temperature": 0.0,
            "avg_logprob": -0.3, "compression_ratio": 0.9, "no_speech_prob": 0.02}  # fmt: skip


VERBOSE = {
    "task": "transcribe",
    "language": "english",
    "duration": 2.0,
    "text": TEXT,
    "segments": [segment(0, 0.0, 1.0, " A steady tone sounds for"), segment(1, 1.0, 2.0, " a while, then it stops.")],
    "words": [{"word": w, "start": n * 0.2, "end": (n + 1) * 0.2} for n, w in enumerate(TEXT.split())],
    "usage": {"type": "duration", "seconds": 2},
}
# Seed 003, Audio API › Create Transcription › Response Formats.
SEED_JSON = {
    "text": "Imagine the wildest idea that you've ever had, and you're curious about how it might scale to something "
    "that's a 100, a 1,000 times bigger."
}
SEED_VERBOSE = {
    "task": "transcribe",
    "language": "english",
    "duration": 8.470000267028809,
    "text": "The beach was a popular spot on a hot summer day. People were swimming, sunbathing, and playing beach "
    "volleyball.",
    "words": [{"word": "The", "start": 0.0, "end": 0.23999999463558197},
              {"word": "beach", "start": 0.23999999463558197, "end": 0.52}],
}  # fmt: skip


@dataclass
class Upload:
    """A multipart upload to an audio endpoint and its answer (a dict as JSON, text or bytes as they are)."""

    fields: list[tuple[str, str]]
    body: Any
    status: int = 200
    content_type: str = "application/json"
    path: str = "/audio/transcriptions"
    file: tuple[str, bytes, str] | None = ("tone.wav", TONE, "audio/wav")

    def subject(self) -> Exchange:
        parts: list[tuple[str, Any]] = [("file", self.file)] if self.file is not None else []
        parts += [(name, (None, value)) for name, value in self.fields]
        request = httpx.Request(
            "POST", BASE + self.path, files=parts, headers={"authorization": HEADERS["authorization"]}
        )
        request.read()
        body = self.body.encode() if isinstance(self.body, str) else raw(self.body)
        return Exchange.build(method="POST", url=str(request.url), request_headers=dict(request.headers),
                              request_body=request.content, status=self.status,
                              response_headers={"content-type": self.content_type}, response_body=body)  # fmt: skip


def upload(
    fmt: str | None = None,
    *more: tuple[str, str],
    model: str = "whisper-1",
    path: str = "/audio/transcriptions",
    **answer: Any,
) -> Upload:
    """A valid upload asking for `fmt` (None: the default, json) and its valid answer."""
    fields = [("model", model), *((("response_format", fmt),) if fmt else ()), *more]
    body: Any = {"json": {"text": TEXT, "usage": {"type": "duration", "seconds": 2}}, "text": TEXT + "\n", "srt": SRT,
                 "vtt": VTT, "verbose_json": copy.deepcopy(VERBOSE)}[fmt or "json"]  # fmt: skip
    ctype = "application/json" if (fmt or "json") in ("json", "verbose_json") else "text/plain; charset=utf-8"
    return Upload(fields, answer.get("body", body), content_type=answer.get("content_type", ctype), path=path)


def translation(fmt: str | None = None) -> Upload:
    spec = upload(fmt, path="/audio/translations")
    if isinstance(spec.body, dict) and "words" in spec.body:
        del spec.body["words"]
        spec.body["task"] = "translate"
    return spec


def logprobs() -> Upload:
    tokens = [{"token": "A", "logprob": -0.01, "bytes": [65]}, {"token": " tone.", "logprob": -0.2, "bytes": [32]}]
    body = {"text": "A tone.", "logprobs": tokens}
    return upload("json", ("include[]", "logprobs"), model="gpt-4o-mini-transcribe", body=body)


def granular(*granularities: str) -> Callable[[], Upload]:
    return lambda: upload("verbose_json", *(("timestamp_granularities[]", g) for g in granularities))


STREAM_EVENTS = [
    {"type": "transcript.text.delta", "delta": "A steady"},
    {"type": "transcript.text.delta", "delta": " tone."},
    {"type": "transcript.text.done", "text": "A steady tone.", "usage": {"type": "tokens", "input_tokens": 20,
                                                                         "output_tokens": 4, "total_tokens": 24}},
]  # fmt: skip


@dataclass
class Events:
    """A streamed answer: the events (dicts as JSON), sent as text/event-stream."""

    request: Any
    events: list[Any] = field(default_factory=list)
    content_type: str = "text/event-stream"

    def subject(self) -> Exchange:
        body = sse(*self.events, done=False)
        if isinstance(self.request, Upload):
            spec = copy.copy(self.request)
            spec.body, spec.content_type = body, self.content_type
            return spec.subject()
        return Http(self.request, body, path="/audio/speech", content_type=self.content_type).subject()


def transcript_stream() -> Events:
    return Events(upload(None, ("stream", "true"), model="gpt-4o-mini-transcribe"), copy.deepcopy(STREAM_EVENTS))


SPEECH = {"model": "gpt-4o-mini-tts", "input": "The quick brown fox jumped over the lazy dog.", "voice": "alloy"}


def speech(fmt: str | None = None, **extra: Any) -> Http:
    request = {**SPEECH, **({"response_format": fmt} if fmt else {}), **extra}
    data = formats.audio(fmt or "mp3", 1.0)
    return Http(request, data, path="/audio/speech", content_type=formats.CONTENT_TYPES[fmt or "mp3"])


def unknown_length(flac: bytes, frames: bool = True) -> bytes:
    """`flac` as a pipe gets it: STREAMINFO's total samples 0 (unknown); `frames=False` also cuts it after
    its metadata blocks."""
    data = flac[:21] + bytes([flac[21] & 0xF0]) + b"\0" * 4 + flac[26:]  # the 36-bit count: 4 bits, then 4 bytes
    offset = 4
    while not data[offset] & 0x80:  # up to the last metadata block
        offset += 4 + int.from_bytes(data[offset + 1 : offset + 4], "big")
    end = offset + 4 + int.from_bytes(data[offset + 1 : offset + 4], "big")
    return data if frames else data[:end]


def speech_stream() -> Events:
    data = formats.audio("pcm", 0.3)
    chunks = [base64.b64encode(data[n : n + 4800]).decode() for n in range(0, len(data), 4800)]
    events = [{"type": "speech.audio.delta", "audio": c} for c in chunks]
    done = {"type": "speech.audio.done", "usage": {"input_tokens": 9, "output_tokens": 30, "total_tokens": 39}}
    return Events({**SPEECH, "response_format": "pcm", "stream_format": "sse"}, [*events, done])


@dataclass
class Speeds:
    normal: Http
    fast: Http

    def subject(self) -> SpeedPair:
        return SpeedPair(self.normal.subject(), self.fast.subject())


def speeds() -> Speeds:
    fast = speech("wav", speed=2.0)
    fast.body = formats.audio("wav", 0.5)
    return Speeds(speech("wav"), fast)


def refused(request: Any, path: str = "/audio/speech", status: int = 400) -> Callable[[], Http]:
    body = {"error": {"message": "Invalid value.", "type": "invalid_request_error", "param": None, "code": None}}
    return lambda: Http(request, copy.deepcopy(body), status, path=path)


def refused_upload(file: tuple[str, bytes, str] | None, fields: list[tuple[str, str]], status: int = 400,
                   path: str = "/audio/transcriptions") -> Callable[[], Upload]:  # fmt: skip
    body = {"error": {"message": "Invalid file format.", "type": "invalid_request_error", "param": "file",
                      "code": None}}  # fmt: skip
    return lambda: Upload(fields, copy.deepcopy(body), status, path=path, file=file)


NOT_AUDIO = ("notes.txt", b"This is a text file, not audio.\n", "text/plain")
WHISPER = [("model", "whisper-1")]


def answered(status: int, body: Any, content_type: str = "application/json") -> Mutation:
    return lambda spec: (setattr(spec, "status", status), setattr(spec, "body", body),
                         setattr(spec, "content_type", content_type))  # fmt: skip


def events(change: Callable[[list[Any]], Any]) -> Mutation:
    return lambda spec: change(spec.events)


def first_delta_audio(value: str) -> Mutation:
    return lambda spec: spec.events[0].update(audio=value)


class V(NamedTuple):
    rid: str
    what: str
    good: Callable[[], Any]
    mutate: Mutation
    shows: str = ""


def _transcript_violations(family: str, good: Callable[[str | None], Upload]) -> list[V]:
    """The rules transcriptions and translations share, for `family`."""
    rid = f"audio.{family}."
    return [
        V(rid + "json", "text a number", lambda: good(None), put("body.text", 3), shows="3"),
        V(
            rid + "json",
            "sent as text/plain",
            lambda: good(None),
            put("content_type", "text/plain"),
            shows="text/plain",
        ),
        V(rid + "json", "a 500", lambda: good(None), answered(500, {"error": {"message": "boom"}}), shows="500"),
        V(
            rid + "text",
            "answered as a JSON object",
            lambda: good("text"),
            answered(200, {"text": TEXT}, "application/json"),
            shows="application/json",
        ),
        V(rid + "srt", "not SubRip", lambda: good("srt"), put("body", "A steady tone.\n"), shows="A steady tone."),
        V(
            rid + "srt",
            "cues out of order",
            lambda: good("srt"),
            put(
                "body",
                SRT.replace("00:00:01,000 --> 00:00:02,000", "00:00:00,000 --> 00:00:00,500").replace(
                    "00:00:00,000 --> 00:00:01,000", "00:00:01,000 --> 00:00:01,500", 1
                ),
            ),
            shows="after one",
        ),
        V(
            rid + "srt",
            "a cue beyond the audio",
            lambda: good("srt"),
            put("body", SRT.replace("00:00:02,000", "00:00:05,000")),
            shows="ending at 5.0",
        ),
        V(
            rid + "srt",
            "numbered from 0",
            lambda: good("srt"),
            put("body", SRT.replace("1\n", "0\n", 1).replace("2\n00", "1\n00")),
            shows="numbered '0'",
        ),
        V(
            rid + "srt",
            "a cue ending before it starts",
            lambda: good("srt"),
            put("body", SRT.replace("00:00:00,000 --> 00:00:01,000", "00:00:00,900 --> 00:00:00,100")),
            shows="from 0.9 to 0.1",
        ),
        V(
            rid + "vtt",
            "no WEBVTT line",
            lambda: good("vtt"),
            put("body", VTT.removeprefix("WEBVTT\n\n")),
            shows="00:00:00.000",
        ),
        V(
            rid + "vtt",
            "a cue beyond the audio",
            lambda: good("vtt"),
            put("body", VTT.replace("00:00:02.000", "00:00:09.000")),
            shows="ending at 9.0",
        ),
        V(
            rid + "vtt",
            "cues out of order",
            lambda: good("vtt"),
            put(
                "body",
                VTT.replace("00:00:01.000 --> 00:00:02.000", "00:00:00.200 --> 00:00:00.400").replace(
                    "00:00:00.000 --> 00:00:01.000", "00:00:00.500 --> 00:00:01.000"
                ),
            ),
            shows="after one",
        ),
        V(
            rid + "verbose",
            "no duration",
            lambda: good("verbose_json"),
            drop("body.duration"),
            shows="'duration' is a required property",
        ),
        V(
            rid + "verbose",
            "a segment's start a string",
            lambda: good("verbose_json"),
            put("body.segments.0.start", "0.0"),
            shows="'0.0'",
        ),
        V(
            rid + "duration",
            "in milliseconds",
            lambda: good("verbose_json"),
            put("body.duration", 2000.0),
            shows="duration 2000.0",
        ),
        V(
            rid + "duration",
            "half the length",
            lambda: good("verbose_json"),
            put("body.duration", 1.0),
            shows="duration 1.0",
        ),
        V(
            rid + "timing",
            "a segment beyond the audio",
            lambda: good("verbose_json"),
            put("body.segments.1.end", 5.0),
            shows="ending at 5.0",
        ),
        V(
            rid + "timing",
            "a segment ending before it starts",
            lambda: good("verbose_json"),
            lambda s: s.body["segments"][0].update(start=0.9, end=0.1),
            shows="from 0.9 to 0.1",
        ),
        V(
            rid + "timing",
            "a segment starting before the one before",
            lambda: good("verbose_json"),
            lambda s: s.body["segments"][0].update(start=1.5),
            shows="after one starting at 1.5",
        ),
        V(
            rid + "not-audio",
            "a text file answered 500",
            refused_upload(NOT_AUDIO, WHISPER, path=f"/audio/{family}"),
            answered(500, {"error": {"message": "Internal error", "type": "server_error"}}),
            shows="500",
        ),
        V(
            rid + "not-audio",
            "a text file transcribed",
            refused_upload(NOT_AUDIO, WHISPER, path=f"/audio/{family}"),
            answered(200, {"text": ""}),
            shows="200",
        ),
        V(
            rid + "missing-file",
            "no file answered 200",
            refused_upload(None, WHISPER, path=f"/audio/{family}"),
            answered(200, {"text": ""}),
            shows="200",
        ),
        V(
            rid + "missing-file",
            "an error without the envelope",
            refused_upload(None, WHISPER, path=f"/audio/{family}"),
            answered(400, {"detail": "file: field required"}),
            shows="detail",
        ),
    ]


VIOLATIONS: list[V] = [
    *_transcript_violations("transcriptions", upload),
    *_transcript_violations("translations", translation),
    V(
        "audio.transcriptions.timing",
        "words out of order",
        lambda: upload("verbose_json"),
        put("body.words.3.start", 0.1),
        shows="after one starting at 0.4",
    ),
    V(
        "audio.transcriptions.timing",
        "a word beyond the audio",
        lambda: upload("verbose_json"),
        put("body.words.9.end", 4.0),
        shows="ending at 4.0",
    ),
    V(
        "audio.transcriptions.granularities",
        "word asked, no words",
        granular("word"),
        drop("body.words"),
        shows="for timestamp_granularities[]=word",
    ),
    V(
        "audio.transcriptions.granularities",
        "both asked, no segments",
        granular("word", "segment"),
        drop("body.segments"),
        shows="timestamp_granularities[]=segment",
    ),
    V("audio.transcriptions.logprobs", "asked, none sent", logprobs, drop("body.logprobs"), shows="logprobs"),
    V(
        "audio.transcriptions.logprobs",
        "a positive log probability",
        logprobs,
        put("body.logprobs.1.logprob", 0.7),
        shows="0.7",
    ),
    V(
        "audio.transcriptions.unsupported-format",
        "srt answered by gpt-4o-transcribe",
        refused_upload(("tone.wav", TONE, "audio/wav"), [("model", "gpt-4o-transcribe"), ("response_format", "srt")]),
        answered(200, SRT, "text/plain"),
        shows="200",
    ),
    V(
        "audio.transcriptions.oversize",
        "a big file answered 500",
        refused_upload(("long.wav", TONE, "audio/wav"), WHISPER, status=413),
        answered(500, {"error": {"message": "Internal error", "type": "server_error"}}),
        shows="500",
    ),
    V(
        "audio.transcriptions.stream",
        "done before the last delta",
        transcript_stream,
        events(lambda e: e.insert(1, e.pop())),
        shows="transcript.text.done",
    ),
    V(
        "audio.transcriptions.stream",
        "no done",
        transcript_stream,
        events(lambda e: e.pop()),
        shows="then one `transcript.text.done`",
    ),
    V(
        "audio.transcriptions.stream",
        "a text done with no delta before it",
        transcript_stream,
        events(lambda e: e.__delitem__(slice(0, 2))),
        shows="at least one `transcript.text.delta`",
    ),
    V(
        "audio.transcriptions.stream",
        "two dones",
        transcript_stream,
        events(lambda e: e.append(dict(e[-1]))),
        shows="transcript.text.done",
    ),
    V(
        "audio.transcriptions.stream",
        "sent as application/json",
        transcript_stream,
        put("content_type", "application/json"),
        shows="application/json",
    ),
    V(
        "audio.transcriptions.stream",
        "a delta without its text",
        transcript_stream,
        events(lambda e: e[0].pop("delta")),
        shows="'delta' is a required property",
    ),
    V(
        "audio.transcriptions.stream-text",
        "done text not the deltas joined",
        transcript_stream,
        events(lambda e: e[-1].update(text="A steady tone")),
        shows="A steady tone.",
    ),
    *[
        V(
            "audio.speech.format",
            f"{asked} asked, {sent} sent",
            lambda asked=asked: speech(asked),
            put("body", formats.audio(sent, 1.0)),
            shows=f"Expected: {asked} audio",
        )
        for asked, sent in (
            ("mp3", "wav"),
            ("opus", "mp3"),
            ("aac", "mp3"),
            ("flac", "wav"),
            ("wav", "pcm"),
            ("pcm", "wav"),
            ("pcm", "mp3"),
        )
    ],
    V(
        "audio.speech.format",
        "the default (mp3) answered as wav",
        speech,
        put("body", formats.audio("wav", 1.0)),
        shows="RIFF",
    ),
    V(
        "audio.speech.format",
        "flac cut after its header",
        lambda: speech("flac"),
        put("body", formats.audio("flac", 1.0)[:20]),
        shows="not readable",
    ),
    V(
        "audio.speech.format",
        "flac of unknown length without a frame",
        lambda: speech("flac"),
        lambda s: setattr(s, "body", unknown_length(s.body, frames=False)),
        shows="no audio",
    ),
    V(
        "audio.speech.format",
        "an odd number of pcm bytes",
        lambda: speech("pcm"),
        put("body", b"\x00" * 4801),
        shows="4801 bytes",
    ),
    V("audio.speech.format", "a 400", speech, put("status", 400), shows="400"),
    V(
        "audio.speech.content-type",
        "mp3 as application/octet-stream",
        speech,
        put("content_type", "application/octet-stream"),
        shows="application/octet-stream",
    ),
    V(
        "audio.speech.content-type",
        "flac as audio/mpeg",
        lambda: speech("flac"),
        put("content_type", "audio/mpeg"),
        shows="audio/mpeg",
    ),
    V(
        "audio.speech.instructions",
        "refused",
        lambda: speech("wav", instructions="Speak calmly."),
        lambda s: (setattr(s, "status", 400), setattr(s, "body", {"error": {"message": "no"}})),
        shows="400",
    ),
    V(
        "audio.speech.instructions",
        "not the format asked",
        lambda: speech("wav", instructions="Speak calmly."),
        put("body", formats.audio("mp3", 1.0)),
        shows="RIFF WAVE",
    ),
    V("audio.speech.speed", "speed ignored", speeds, put("fast.body", formats.audio("wav", 1.0)), shows="at speed 2.0"),
    V(
        "audio.speech.speed-range",
        "speed 4.5 spoken",
        refused({**SPEECH, "speed": 4.5}),
        answered(200, formats.audio("mp3", 0.5), "audio/mpeg"),
        shows="200",
    ),
    V(
        "audio.speech.input-too-long",
        "4097 characters spoken",
        refused({**SPEECH, "input": "a" * 4097}),
        answered(200, formats.audio("mp3", 0.5), "audio/mpeg"),
        shows="200",
    ),
    V(
        "audio.speech.missing-input",
        "no input answered 500",
        refused({"model": "tts-1", "voice": "alloy"}),
        answered(500, {"error": {"message": "Internal error", "type": "server_error"}}),
        shows="500",
    ),
    V(
        "audio.speech.unknown-format",
        "wma answered as mp3",
        refused({**SPEECH, "response_format": "wma"}),
        answered(200, formats.audio("mp3", 0.5), "audio/mpeg"),
        shows="200",
    ),
    V("audio.speech.stream", "no done", speech_stream, events(lambda e: e.pop()), shows="speech.audio.delta"),
    V(
        "audio.speech.stream",
        "done first",
        speech_stream,
        events(lambda e: e.insert(0, e.pop())),
        shows="speech.audio.done",
    ),
    V(
        "audio.speech.stream",
        "sent as audio/mpeg",
        speech_stream,
        put("content_type", "audio/mpeg"),
        shows="audio/mpeg",
    ),
    V(
        "audio.speech.stream-audio",
        "audio not base64",
        speech_stream,
        first_delta_audio("%%%not base64"),
        shows="%%%not base64",
    ),
    V(
        "audio.speech.stream-audio",
        "no audio in the deltas",
        speech_stream,
        events(lambda e: [d.update(audio="") for d in e if d["type"] == "speech.audio.delta"]),
        shows="no audio bytes",
    ),
]


def _param(v: V) -> Any:
    return pytest.param(v, id=f"{v.rid}: {v.what}")


@pytest.mark.parametrize("v", [_param(v) for v in VIOLATIONS])
def test_violation_fails(v: V) -> None:
    spec = v.good()
    v.mutate(spec)
    [obs] = judge(spec.subject(), [v.rid])
    wanted = Status.FAIL if catalogue()[v.rid].level is Level.MUST else Status.WARN
    assert obs.status is wanted, obs
    assert obs.failures
    for failure in obs.failures:
        assert failure.requirement == v.rid
        assert "Received:" in failure.message and "Expected:" in failure.message, failure.message
        evidence = failure.message.split("Received:", 1)[1].split("Expected:", 1)[0]
        assert evidence.strip(), f"no evidence after Received: {failure.message!r}"
    assert v.shows in "\n".join(str(f) for f in obs.failures), f"{v.shows!r} not quoted in {obs.failures}"


@pytest.mark.parametrize("v", [_param(v) for v in VIOLATIONS])
def test_valid_counterpart_passes(v: V) -> None:
    [obs] = judge(v.good().subject(), [v.rid])
    assert obs.status is Status.PASS, obs


def test_every_audio_requirement_has_a_violation() -> None:
    # Voice consents have their own: tests/test_violations_voice_consents.py.
    audio = {rid for rid in catalogue() if rid.startswith("audio.") and not rid.startswith("audio.voice-consents.")}
    assert {v.rid for v in VIOLATIONS} == audio


NOT_APPLICABLE = [
    ("audio.transcriptions.json", "srt asked", lambda: upload("srt")),
    ("audio.transcriptions.srt", "json asked", lambda: upload(None)),
    ("audio.transcriptions.json", "a stream asked", transcript_stream),
    ("audio.transcriptions.granularities", "no granularity asked", lambda: upload("verbose_json")),
    ("audio.transcriptions.logprobs", "no include[]", lambda: upload(None)),
    (
        "audio.transcriptions.logprobs",
        "declined with a 400",
        mutated(
            logprobs,
            answered(
                400,
                {
                    "error": {
                        "message": "logprobs are not supported",
                        "type": "invalid_request_error",
                        "param": "include",
                        "code": None,
                    }
                },
            ),
        ),
    ),
    ("audio.transcriptions.stream", "no stream asked", lambda: upload(None)),
    (
        "audio.transcriptions.duration",
        "an mp3 upload: its length is unknown",
        mutated(lambda: upload("verbose_json"), put("file", ("a.mp3", formats.audio("mp3", 2.0), "audio/mpeg"))),
    ),
    ("audio.speech.format", "an event stream asked", speech_stream),
    ("audio.speech.content-type", "a refusal", mutated(speech, put("status", 400))),
    ("audio.speech.instructions", "no instructions", speech),
    ("audio.speech.stream", "no stream_format", speech),
    ("audio.speech.speed", "no wav to measure", mutated(speeds, put("fast.status", 400))),
    # captured traffic of other endpoints: a file upload is multipart, an embeddings request has `input`, a
    # Responses request `instructions`
    ("audio.transcriptions.json", "a file upload", mutated(lambda: upload(None), put("path", "/files"))),
    (
        "audio.speech.format",
        "an embeddings request",
        lambda: Http({"model": "m", "input": "Hi"}, {"data": []}, path="/embeddings"),
    ),
    (
        "audio.speech.instructions",
        "a Responses request",
        lambda: Http({"model": "m", "input": "Hi", "instructions": "Be brief."}, {}, path="/responses"),
    ),
    (
        "audio.speech.stream",
        "a Responses request",
        lambda: Http({"model": "m", "input": "Hi", "stream_format": "sse"}, {}, path="/responses"),
    ),
]


@pytest.mark.parametrize(("rid", "spec"), [pytest.param(r, s, id=f"{r}: {w}") for r, w, s in NOT_APPLICABLE])
def test_not_applicable_is_skip(rid: str, spec: Callable[[], Any]) -> None:
    [obs] = judge(spec().subject(), [rid])
    assert obs.status is Status.SKIP, obs
    assert obs.reason


def seed_upload(body: Any, fmt: str | None, seconds: float) -> Callable[[], Upload]:
    def build() -> Upload:
        spec = upload(fmt, body=copy.deepcopy(body))
        spec.file = ("seed.wav", tone_wav(seconds, rate=8000), "audio/wav")
        return spec

    return build


LOOSER = [
    *[(rid, "seed 003's json example", seed_upload(SEED_JSON, None, 8.47)) for rid in ("audio.transcriptions.json",)],
    *[
        (rid, "seed 003's verbose_json example (words, no segments)", seed_upload(SEED_VERBOSE, "verbose_json", 8.47))
        for rid in ("audio.transcriptions.verbose", "audio.transcriptions.duration", "audio.transcriptions.timing")
    ],
    ("audio.transcriptions.json", "an empty text (a tone has no words)", lambda: upload(None, body={"text": ""})),
    ("audio.transcriptions.srt", "no cues at all", lambda: upload("srt", body="\n")),
    ("audio.transcriptions.srt", "CR LF line ends", lambda: upload("srt", body=SRT.replace("\n", "\r\n"))),
    (
        "audio.transcriptions.vtt",
        "cue identifiers and hours left out",
        lambda: upload("vtt", body="WEBVTT\n\n1\n00:00.000 --> 00:01.000\nA tone\n\n"),
    ),
    ("audio.transcriptions.text", "text/plain with a charset", lambda: upload("text")),
    (
        "audio.transcriptions.timing",
        "a word 0.3 s past the end (rounding)",
        mutated(lambda: upload("verbose_json"), put("body.words.9.end", 2.3)),
    ),
    (
        "audio.transcriptions.timing",
        "touching segments, zero-length words",
        mutated(lambda: upload("verbose_json"), put("body.words.0.end", 0.0)),
    ),
    (
        "audio.transcriptions.verbose",
        "undocumented keys",
        mutated(lambda: upload("verbose_json"), put("body.new_key", {"x": 1}), put("body.segments.0.extra", True)),
    ),
    (
        "audio.transcriptions.stream",
        "an empty transcript: no delta, an empty done",
        mutated(
            transcript_stream, events(lambda e: e.__delitem__(slice(0, 2))), events(lambda e: e[0].update(text=""))
        ),
    ),
    (
        "audio.transcriptions.stream",
        "a [DONE] after the done event",
        mutated(transcript_stream, events(lambda e: e.append("[DONE]"))),
    ),
    (
        "audio.transcriptions.stream-text",
        "logprobs in the deltas",
        mutated(
            transcript_stream, events(lambda e: e[0].update(logprobs=[{"token": "A", "logprob": -0.1, "bytes": [65]}]))
        ),
    ),
    (
        "audio.speech.content-type",
        "opus as audio/opus",
        mutated(lambda: speech("opus"), put("content_type", "audio/opus")),
    ),
    (
        "audio.speech.content-type",
        "wav as audio/x-wav with a charset",
        mutated(lambda: speech("wav"), put("content_type", "audio/x-wav; codecs=1")),
    ),
    (
        "audio.speech.format",
        "mp3 with an ID3 tag first",
        mutated(speech, put("body", b"ID3\x04\x00\x00\x00\x00\x00\x00" + formats.audio("mp3", 1.0))),
    ),
    (
        "audio.speech.format",
        "a streamed wav whose header says 0xFFFFFFFF frames",
        mutated(
            lambda: speech("wav"),
            lambda s: setattr(s, "body", s.body[:4] + b"\xff" * 4 + s.body[8:40] + b"\xff" * 4 + s.body[44:]),
        ),
    ),
    (
        "audio.speech.format",
        "a flac written to a pipe: 0 total samples (unknown), then its frames",
        mutated(lambda: speech("flac"), lambda s: setattr(s, "body", unknown_length(s.body))),
    ),
    (
        "audio.speech.stream",
        "a speech stream with a [DONE]",
        mutated(speech_stream, events(lambda e: e.append("[DONE]"))),
    ),
]


@pytest.mark.parametrize(("rid", "spec"), [pytest.param(r, s, id=f"{r}: {w}") for r, w, s in LOOSER])
def test_real_api_looseness_passes(rid: str, spec: Callable[[], Any]) -> None:
    [obs] = judge(spec().subject(), [rid])
    assert obs.status is Status.PASS, obs


def test_the_seed_examples_and_documented_requests_are_valid() -> None:
    assert not validate("audio.transcription", SEED_JSON)
    assert not validate("audio.transcription.verbose", SEED_VERBOSE)
    # Seeds 000-003's speech requests, and seed 002's with every option.
    for request in ({"model": "tts-1", "input": "The quick brown fox jumped over the lazy dog.", "voice": "alloy"},
                    {"model": "tts-1-hd", "input": "Hello, this is a test of text-to-speech.", "voice": "nova",
                     "response_format": "mp3", "speed": 1.0},
                    {"model": "gpt-4o-mini-tts", "input": "Hi", "voice": "coral", "instructions": "Cheerful.",
                     "stream_format": "sse"}):  # fmt: skip
        assert not validate("audio.speech.request", request), request
    for bad in ({"model": "tts-1", "voice": "alloy"}, {**SPEECH, "speed": 5}, {**SPEECH, "response_format": "wma"},
                {**SPEECH, "input": "a" * 4097}):  # fmt: skip
        assert validate("audio.speech.request", bad), bad
    assert not validate("audio.transcription.request", {"file": "x", "model": "whisper-1", "language": "en",
                                                        "response_format": "json", "temperature": 0.2})  # fmt: skip


@pytest.mark.parametrize("fmt", formats.FORMATS)
def test_the_reference_formats_are_read_by_a_decoder_as_about_the_length_asked(fmt: str) -> None:
    data = formats.audio(fmt, 1.5)
    assert decode_problem(fmt, data) == ""
    if fmt == "pcm":
        assert len(data) == 2 * 24_000 * 3 // 2
    else:
        found = (mutagen.aac.AAC if fmt == "aac" else mutagen.File)(io.BytesIO(data))
        assert found is not None and abs(found.info.length - 1.5) < 0.1, (fmt, found and found.info.pprint())
    others = [other for other in formats.FORMATS if other != fmt and other not in ("pcm",)]
    assert all(decode_problem(other, data) for other in others), "a file reads as one format only"


def test_spent_counts_seconds_transcribed_and_characters_spoken() -> None:
    assert spent(upload("verbose_json").subject()) == {"audio_seconds": 2.0}
    assert spent(translation().subject()) == {"audio_seconds": 2.0}
    assert spent(speech("wav").subject()) == {"speech_characters": float(len(SPEECH["input"]))}
    mp3 = mutated(lambda: upload("verbose_json"), put("file", ("a.mp3", formats.audio("mp3", 2.0), "audio/mpeg")))
    assert spent(mp3().subject()) == {"audio_seconds": 2.0}  # the answer's duration
    assert spent(refused_upload(NOT_AUDIO, WHISPER)().subject()) == {}
    assert wav_seconds(TONE) == 2.0 and json.dumps(spent(speech().subject()))
