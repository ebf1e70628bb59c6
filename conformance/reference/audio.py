"""The Audio API of the reference server, deterministic and without a model.

    POST /v1/audio/transcriptions   multipart: `file`, `model`, `response_format` (json, text, srt, vtt,
                                    verbose_json), `timestamp_granularities[]`, `include[]`, `stream`, ...
    POST /v1/audio/translations     multipart: `file`, `model`, `response_format`, `prompt`, `temperature`
    POST /v1/audio/speech           JSON: `model`, `input`, `voice`, `response_format`, `speed`,
                                    `instructions`, `stream_format` (sse or audio)

Whatever the audio, its transcript is TRANSCRIPT, timed over the uploaded file's real length: a WAV's frames
(`conformance.tone.wav_seconds`), another container's length as mutagen reads it; a file neither can read is
refused as the API refuses a file that is not audio. The words share the length evenly, the segments are halves.
A model's kind (reference._config.DEFAULT_MODELS) says what it serves: TRANSCRIBE (every format, timestamps,
translations) and STREAMING (json and text only, `stream`, `include[]=logprobs`), as the API's whisper-1 and
gpt-4o-transcribe models do, and the speech kinds (tts-1 streams no events).

Speech is silence of a length that grows with the input and shrinks with `speed`, in the format asked
(`_audio_formats`); `stream_format: sse` sends it base64 in `speech.audio.delta` events, then
`speech.audio.done`.
"""

from __future__ import annotations

import base64
import io
import json
import math
from collections.abc import Iterator
from typing import Any

import mutagen
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

from conformance.tone import wav_seconds

from . import _multipart
from ._audio_formats import CONTENT_TYPES, FORMATS, audio
from ._config import ServerConfig
from ._errors import ApiError, invalid, model_not_found
from ._routing import Served as Server
from ._validation import describe_chat, schema_errors, split_unknown, unrecognized

TRANSCRIPT = "A steady tone sounds for a while, then it stops."
MAX_UPLOAD = 25 * 1024 * 1024  # bytes: the API's limit for an audio file
RESPONSE_FORMATS = ("json", "text", "srt", "verbose_json", "vtt")
STREAMING_FORMATS = ("json", "text")
SUPPORTED_UPLOADS = ["flac", "m4a", "mp3", "mp4", "mpeg", "mpga", "oga", "ogg", "wav", "webm"]
# Model kinds (reference._config.ModelInfo.kind).
TRANSCRIBE, STREAMING, SPEECH, SPEECH_PLAIN = "transcription", "transcription-stream", "speech", "speech-plain"
CHARACTERS_PER_SECOND = 50


# --- transcriptions and translations --------------------------------------------------------------------------


def _fields(parts: list[_multipart.Part]) -> dict[str, list[_multipart.Part]]:
    fields: dict[str, list[_multipart.Part]] = {}
    for part in parts:
        fields.setdefault(part.name.removesuffix("[]"), []).append(part)
    return fields


def _text(fields: dict[str, list[_multipart.Part]], name: str, default: str = "") -> str:
    return fields[name][0].text() if name in fields else default


def _model(fields: dict[str, list[_multipart.Part]], config: ServerConfig, kinds: tuple[str, ...]) -> str:
    model = _text(fields, "model")
    if not model:
        raise invalid("you must provide a model parameter", "model")
    kind = model_kind(model, config)
    if kind is None:
        if config.has("unknown-model-200"):
            return kinds[0]
        raise model_not_found(model)
    if kind not in kinds:
        raise invalid(f"The model `{model}` does not support this endpoint.", "model", "invalid_model")
    return kind


def model_kind(model: str, config: ServerConfig) -> str | None:
    """The kind of a model the server serves (reference._config.ModelInfo.kind), None when it has no such model."""
    info = config.model(model)
    return info.kind if info is not None else None


def audio_length(data: bytes) -> float | None:
    """The length in seconds of an uploaded audio file; None when it is not audio the server can read."""
    seconds = wav_seconds(data)
    if seconds is not None:
        return seconds
    try:
        found = mutagen.File(io.BytesIO(data))
    except (mutagen.MutagenError, ValueError, IndexError, EOFError):
        return None
    length = getattr(getattr(found, "info", None), "length", None)
    return float(length) if isinstance(length, int | float) and length > 0 else None


def _audio(fields: dict[str, list[_multipart.Part]], config: ServerConfig) -> float:
    if "file" not in fields or fields["file"][0].filename is None:
        raise invalid("Missing required parameter: 'file'.", "file", "missing_required_parameter")
    data = fields["file"][0].data
    if len(data) > MAX_UPLOAD and not config.has("audio-oversize-accepted"):
        raise ApiError(413, f"Maximum content size limit ({MAX_UPLOAD}) exceeded ({len(data)} bytes read)",
                       param="file", code="file_too_large")  # fmt: skip
    length = audio_length(data)
    if length is None:
        if config.has("audio-not-audio-500"):
            raise ApiError(500, "The server had an error while processing your request.", type="server_error",
                           client=False, validation=False)  # fmt: skip
        raise invalid(f"Invalid file format. Supported formats: {json.dumps(SUPPORTED_UPLOADS)}", "file",
                      "invalid_value")  # fmt: skip
    if config.has("audio-oversize-accepted"):
        return min(length, 600.0)
    return length


def _timings(length: float, config: ServerConfig) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(segments, words) of TRANSCRIPT spread over `length` seconds."""
    words = TRANSCRIPT.split(" ")
    step = length / len(words)
    timed: list[dict[str, Any]] = [
        {"word": w, "start": round(n * step, 3), "end": round((n + 1) * step, 3)} for n, w in enumerate(words)
    ]
    half = math.ceil(len(words) / 2)
    segments = []
    for n, group in enumerate((timed[:half], timed[half:])):
        segments.append({
            "id": n, "seek": 0, "start": group[0]["start"], "end": group[-1]["end"],
            "text": " " + " ".join(w["word"] for w in group), "tokens": [50364 + n], "temperature": 0.0,
            "avg_logprob": -0.25, "compression_ratio": 1.0, "no_speech_prob": 0.1,
        })  # fmt: skip
    if config.has("audio-segments-beyond"):
        segments[-1]["end"] = round(length + 3.0, 3)
    return segments, timed


def _stamp(seconds: float, separator: str) -> str:
    millis = round(seconds * 1000)
    hours, rest = divmod(millis, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    return f"{hours:02d}:{minutes:02d}:{rest // 1000:02d}{separator}{rest % 1000:03d}"


def _srt(segments: list[dict[str, Any]], config: ServerConfig) -> str:
    if config.has("audio-srt-out-of-order"):
        segments = [{**s, "text": s["text"]} for s in reversed(segments)]
    return "".join(f"{n}\n{_stamp(s['start'], ',')} --> {_stamp(s['end'], ',')}\n{s['text'].strip()}\n\n"
                   for n, s in enumerate(segments, 1))  # fmt: skip


def _vtt(segments: list[dict[str, Any]], config: ServerConfig) -> str:
    cues = "".join(f"{_stamp(s['start'], '.')} --> {_stamp(s['end'], '.')}\n{s['text'].strip()}\n\n" for s in segments)
    return cues if config.has("audio-vtt-no-header") else "WEBVTT\n\n" + cues


def _usage(kind: str, length: float) -> dict[str, Any]:
    if kind == STREAMING:
        audio_tokens, text_tokens = math.ceil(length * 10), len(TRANSCRIPT.split(" "))
        return {"type": "tokens", "input_tokens": audio_tokens, "output_tokens": text_tokens,
                "total_tokens": audio_tokens + text_tokens,
                "input_token_details": {"text_tokens": 0, "audio_tokens": audio_tokens}}  # fmt: skip
    return {"type": "duration", "seconds": math.ceil(length)}


def _logprobs(words: list[str]) -> list[dict[str, Any]]:
    return [{"token": w, "logprob": -0.01 * (n + 1), "bytes": list(w.encode())} for n, w in enumerate(words)]


def transcribe(parts: list[_multipart.Part], config: ServerConfig, *, translate: bool = False) -> Response:
    fields = _fields(parts)
    kind = _model(fields, config, (TRANSCRIBE,) if translate else (TRANSCRIBE, STREAMING))
    length = _audio(fields, config)
    fmt = _text(fields, "response_format", "json")
    if fmt not in RESPONSE_FORMATS:
        raise invalid(f"Invalid value: '{fmt}'. Supported values are: {', '.join(RESPONSE_FORMATS)}.",
                      "response_format", "invalid_value")  # fmt: skip
    if kind == STREAMING and fmt not in STREAMING_FORMATS and not config.has("audio-format-unchecked"):
        raise invalid(f"response_format '{fmt}' is not compatible with model '{_text(fields, 'model')}'. "
                      "Use 'json' or 'text' instead.", "response_format", "unsupported_value")  # fmt: skip
    stream = _text(fields, "stream").lower() == "true"
    if stream and kind != STREAMING:
        raise invalid("Streaming is not supported for this model.", "stream", "unsupported_value")
    include = {p.text() for p in fields.get("include", [])}
    if include - {"logprobs"}:
        raise invalid(f"Invalid value for include: {sorted(include - {'logprobs'})}.", "include", "invalid_value")
    if include and (kind != STREAMING or fmt != "json"):
        raise invalid("include[]=logprobs needs a gpt-4o transcription model and response_format json.", "include",
                      "unsupported_value")  # fmt: skip
    granularities = {p.text() for p in fields.get("timestamp_granularities", [])}
    if granularities - {"word", "segment"}:
        raise invalid("timestamp_granularities takes word and segment.", "timestamp_granularities", "invalid_value")
    if granularities and fmt != "verbose_json":
        raise invalid("timestamp_granularities needs response_format verbose_json.", "timestamp_granularities",
                      "unsupported_value")  # fmt: skip
    segments, words = _timings(length, config)
    if stream:
        return StreamingResponse(_transcript_events(kind, length, include, config), media_type="text/event-stream",
                                 headers={"cache-control": "no-cache"})  # fmt: skip
    if fmt == "text":
        if config.has("audio-text-json"):
            return _plain(json.dumps({"text": TRANSCRIPT}), "application/json")
        return _plain(TRANSCRIPT + "\n", "text/plain; charset=utf-8")
    if fmt == "srt":
        return _plain(_srt(segments, config), "text/plain; charset=utf-8")
    if fmt == "vtt":
        return _plain(_vtt(segments, config), "text/plain; charset=utf-8")
    body: dict[str, Any]
    if fmt == "verbose_json":
        duration = length * 1000 if config.has("audio-duration-ms") else length
        body = {"task": "translate" if translate else "transcribe", "language": "english",
                "duration": round(duration, 3), "text": TRANSCRIPT}  # fmt: skip
        if "segment" in granularities or not granularities:
            body["segments"] = segments
        if "word" in granularities and not translate and not config.has("audio-words-ignored"):
            body["words"] = words
    else:
        body = {"text": TRANSCRIPT}
        if include and not config.has("audio-logprobs-ignored"):
            body["logprobs"] = _logprobs(TRANSCRIPT.split(" "))
    body["usage"] = _usage(kind, length)
    return _plain(json.dumps(body), "application/json")


def _plain(text: str, media_type: str) -> Response:
    return Response(text.encode("utf-8"), media_type=media_type)


def _event(body: dict[str, Any]) -> bytes:
    return f"data: {json.dumps(body)}\n\n".encode()


def _transcript_events(kind: str, length: float, include: set[str], config: ServerConfig) -> Iterator[bytes]:
    words = TRANSCRIPT.split(" ")
    deltas = [w if n == 0 else " " + w for n, w in enumerate(words)]
    done: dict[str, Any] = {"type": "transcript.text.done", "text": TRANSCRIPT, "usage": _usage(kind, length)}
    if config.has("audio-stream-done-differs"):
        done["text"] = TRANSCRIPT.upper()
    if include:
        done["logprobs"] = _logprobs(words)
    for n, delta in enumerate(deltas):
        if n == len(deltas) - 1 and config.has("audio-stream-done-early"):
            yield _event(done)
        event: dict[str, Any] = {"type": "transcript.text.delta", "delta": delta}
        if include:
            event["logprobs"] = _logprobs([delta])
        yield _event(event)
    if not config.has("audio-stream-done-early"):
        yield _event(done)


# --- speech ---------------------------------------------------------------------------------------------------


def validate_speech(body: Any, config: ServerConfig) -> tuple[dict[str, Any], str]:
    """The speech request and its model's kind, or the ApiError the API answers."""
    if not isinstance(body, dict):
        raise invalid("Invalid type for body: expected an object.", None, "invalid_type")
    for name in ("model", "input", "voice"):
        if name not in body:
            raise invalid(f"Missing required parameter: '{name}'.", name, "missing_required_parameter")
    lenient = {k: v for k, v in body.items() if not (k == "speed" and config.has("audio-speed-unchecked"))}
    if config.has("audio-long-input-accepted") and isinstance(body.get("input"), str):
        lenient["input"] = body["input"][:4096]
    kept, unknown = split_unknown(schema_errors("audio.speech.request", lenient))
    if kept:
        raise describe_chat(kept[0])
    if unknown:
        raise unrecognized(unknown[:1])
    kind = model_kind(body["model"], config)
    if kind is None and not config.has("unknown-model-200"):
        raise model_not_found(body["model"])
    kind = kind or SPEECH
    if kind not in (SPEECH, SPEECH_PLAIN):
        raise invalid(f"The model `{body['model']}` does not support this endpoint.", "model", "invalid_model")
    if body.get("stream_format") == "sse" and kind == SPEECH_PLAIN:
        raise invalid(f"stream_format 'sse' is not supported for model '{body['model']}'.", "stream_format",
                      "unsupported_value")  # fmt: skip
    return body, kind


def speak(body: dict[str, Any], config: ServerConfig) -> Response:
    fmt = body.get("response_format", "mp3")
    speed = 1.0 if config.has("audio-speed-ignored") else float(body.get("speed", 1.0))
    seconds = min(max(len(body["input"]) / CHARACTERS_PER_SECOND, 0.5) / max(speed, 0.25), 60.0)
    sent = "wav" if fmt == "mp3" and config.has("audio-speech-wav-for-mp3") else fmt
    data = audio(sent, seconds)
    if body.get("stream_format") == "sse":
        return StreamingResponse(_speech_events(data, body, config), media_type="text/event-stream",
                                 headers={"cache-control": "no-cache"})  # fmt: skip
    ctype = "application/octet-stream" if config.has("audio-speech-content-type") else CONTENT_TYPES[fmt]
    return Response(data, media_type=ctype)


def _speech_events(data: bytes, body: dict[str, Any], config: ServerConfig) -> Iterator[bytes]:
    size = 4800
    for start in range(0, len(data), size):
        chunk = base64.b64encode(data[start : start + size]).decode()
        if config.has("audio-speech-sse-bad-base64"):
            chunk = "%" + chunk
        yield _event({"type": "speech.audio.delta", "audio": chunk})
    if not config.has("audio-speech-sse-no-done"):
        tokens = len(body["input"].split())
        usage = {"input_tokens": tokens, "output_tokens": len(data) // 100, "total_tokens": tokens + len(data) // 100}
        yield _event({"type": "speech.audio.done", "usage": usage})


def routes(server: Server) -> list[Route]:
    """The /v1/audio routes, bound to `server`."""

    async def transcriptions(request: Request) -> Response:
        parts = _multipart.parts(request.headers.get("content-type", ""), await request.body())
        return transcribe(parts, server.config)

    async def translations(request: Request) -> Response:
        parts = _multipart.parts(request.headers.get("content-type", ""), await request.body())
        return transcribe(parts, server.config, translate=True)

    async def speech(request: Request) -> Response:
        raw = await request.body()
        try:
            body = json.loads(raw)
        except (ValueError, UnicodeDecodeError):
            raise invalid("We could not parse the JSON body of your request.") from None
        return speak(validate_speech(body, server.config)[0], server.config)

    return [
        Route("/v1/audio/transcriptions", server.guarded(transcriptions), methods=["POST"]),
        Route("/v1/audio/translations", server.guarded(translations), methods=["POST"]),
        Route("/v1/audio/speech", server.guarded(speech), methods=["POST"]),
    ]


__all__ = ["FORMATS", "routes"]
