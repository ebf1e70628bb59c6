"""Audio: transcriptions and translations (multipart uploads answered as json, text, srt, vtt or verbose_json,
and a transcription streamed as `transcript.text.*` events), and speech (audio bytes in six formats, or
`speech.audio.*` events).

Every rule reads what was asked from the request itself (the multipart fields, or the speech request's JSON), so
the rules also judge captured traffic: a rule whose option the request did not ask for is not applicable. The
timing rules compare with the real length of the uploaded audio when it is a WAV file (`conformance.tone`).
Speech is decoded by mutagen's parsers (container and frame headers), the standard library's `wave`, and, for
raw pcm, its framing. `spent(exchange)` counts the audio units an exchange billed.
"""

from __future__ import annotations

import base64
import binascii
import io
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from email import policy
from email.parser import BytesParser
from typing import Any

import mutagen
import mutagen.aac
import mutagen.flac
import mutagen.mp3
import mutagen.mp4
import mutagen.oggopus
import srt
import webvtt
from webvtt.errors import MalformedFileError

from conformance.checks.evidence import answer, asked, declined, excerpt, received, schema_violations
from conformance.checks.files import refused_violations
from conformance.checks.rule import Broken, Context, Violation, check, first
from conformance.exceptions import NotApplicable
from conformance.exchange import Exchange
from conformance.spend import COUNTERS
from conformance.sse import parse_events
from conformance.tone import wav_seconds

# How far a reported time may pass the audio's real length, and `duration` differ from it: a decoder's frames
# and a model's timestamps are rounded (Whisper's to 20 ms; its `duration` is the decoded length).
TOLERANCE = 0.5
# The content types a speech format may be answered with (the API's own first).
SPEECH_TYPES = {
    "mp3": ("audio/mpeg", "audio/mp3"),
    "opus": ("audio/ogg", "audio/opus"),
    "aac": ("audio/aac", "audio/aacp", "audio/mp4", "audio/x-aac"),
    "flac": ("audio/flac", "audio/x-flac"),
    "wav": ("audio/wav", "audio/x-wav", "audio/wave", "audio/vnd.wave"),
    "pcm": ("audio/pcm", "audio/l16", "application/octet-stream"),
}
# What each container starts with: a pcm answer must be none of them.
MAGIC = {b"RIFF": "wav", b"ID3": "mp3", b"OggS": "ogg", b"fLaC": "flac", b"\xff\xf1": "aac", b"\xff\xf9": "aac"}


# --- reading requests ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Field:
    value: bytes
    filename: str | None = None


def form(exchange: Exchange) -> dict[str, list[Field]]:
    """The multipart fields of the request, by name (a repeated name, `include[]`, keeps every value)."""
    ctype = exchange.request.header("content-type") or ""
    if not ctype.lower().startswith("multipart/form-data"):
        return {}
    head = f"Content-Type: {ctype}\r\n\r\n".encode("latin-1", "replace")
    message = BytesParser(policy=policy.HTTP).parsebytes(head + exchange.request.body)
    fields: dict[str, list[Field]] = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        payload = part.get_payload(decode=True)
        if isinstance(name, str) and isinstance(payload, bytes):
            fields.setdefault(name, []).append(Field(payload, part.get_filename()))
    return fields


def field(fields: dict[str, list[Field]], name: str, default: str = "") -> str:
    values = fields.get(name)
    return values[0].value.decode("utf-8", "replace") if values else default


def values(fields: dict[str, list[Field]], name: str) -> set[str]:
    """Every value of an array field, as the SDKs send it (`name[]`) or plainly repeated."""
    return {f.value.decode("utf-8", "replace") for key in (name, f"{name}[]") for f in fields.get(key, [])}


def endpoint(exchange: Exchange, *paths: str) -> None:
    """Not applicable unless the request went to one of `paths` (a rule may judge captured traffic of any kind)."""
    path = exchange.request.url.split("?", 1)[0]
    if not path.endswith(paths):
        raise NotApplicable(f"the request is not POST {' or '.join(paths)}")


def asked_format(exchange: Exchange, want: str) -> dict[str, list[Field]]:
    """The request's fields when it asked for `response_format` `want` (json is the default), unstreamed."""
    endpoint(exchange, "/audio/transcriptions", "/audio/translations")
    fields = form(exchange)
    if not fields:
        raise NotApplicable("the request is not a multipart upload")
    if field(fields, "stream").lower() == "true":
        raise NotApplicable("the request asked for a stream")
    got = field(fields, "response_format", "json")
    if got != want:
        raise NotApplicable(f"the request asked for response_format {got}, not {want}")
    return fields


def audio_seconds(fields: dict[str, list[Field]]) -> float:
    """The real length of the uploaded audio; not applicable when it is not a WAV file."""
    seconds = wav_seconds(fields["file"][0].value) if fields.get("file") else None
    if seconds is None:
        raise NotApplicable("the uploaded audio is not a WAV file: its length is unknown to the suite")
    return seconds


def text_answer(exchange: Exchange) -> str:
    response = exchange.response
    if response is None or response.status != 200:
        raise Broken(f"{received(exchange)}\nExpected: status 200")
    try:
        return response.body.decode("utf-8")
    except UnicodeDecodeError:
        raise Broken(f"Received: {excerpt(repr(response.body[:80]))}\nExpected: UTF-8 text") from None


# --- transcriptions and translations --------------------------------------------------------------------------


@check("audio.transcriptions.json", "audio.translations.json")
def json_answer(exchange: Exchange, ctx: Context) -> Iterator[Violation]:
    asked_format(exchange, "json")
    body = answer(exchange)
    if exchange.response is not None and exchange.response.content_type != "application/json":
        yield Violation(f"Received: content-type {exchange.response.content_type!r}\nExpected: application/json")
    yield from schema_violations("audio.transcription", body)


@check("audio.transcriptions.text", "audio.translations.text")
def text_format(exchange: Exchange, ctx: Context) -> Iterator[Violation]:
    asked_format(exchange, "text")
    text = text_answer(exchange)
    assert exchange.response is not None
    if exchange.response.content_type != "text/plain":
        yield Violation(f"Received: content-type {exchange.response.content_type!r}\nExpected: text/plain")
    body = exchange.response.json
    if isinstance(body, dict):
        yield Violation(f"Received: a JSON object {excerpt(text, 160)}\nExpected: the bare text, not JSON")


@dataclass(frozen=True)
class Cue:
    index: str
    start: float
    end: float
    text: str


def srt_cues(text: str) -> list[Cue]:
    try:
        subtitles = list(srt.parse(text, ignore_errors=False))
    except (srt.SRTParseError, ValueError) as exc:
        raise Broken(f"Received: {excerpt(text, 200)}\nExpected: SubRip (srt) text ({exc})") from None
    return [Cue(str(s.index), s.start.total_seconds(), s.end.total_seconds(), s.content) for s in subtitles]


_VTT_TIME = re.compile(r"^(?:(\d+):)?(\d{2}):(\d{2})\.(\d{3})$")


def _vtt_seconds(stamp: str) -> float:
    match = _VTT_TIME.match(stamp)
    if match is None:
        raise Broken(f"Received: cue time {stamp!r}\nExpected: a WebVTT timestamp [hh:]mm:ss.ttt")
    hours, minutes, seconds, millis = match.groups()
    return int(hours or 0) * 3600 + int(minutes) * 60 + int(seconds) + int(millis) / 1000


def vtt_cues(text: str) -> list[Cue]:
    if not text.lstrip("\ufeff").startswith("WEBVTT"):
        raise Broken(f"Received: {excerpt(text, 120)}\nExpected: WebVTT text, starting with `WEBVTT`")
    try:
        captions = webvtt.from_string(text)
    except (MalformedFileError, ValueError) as exc:
        raise Broken(f"Received: {excerpt(text, 200)}\nExpected: WebVTT text ({exc})") from None
    return [Cue(c.identifier or "", _vtt_seconds(c.start), _vtt_seconds(c.end), c.text) for c in captions.captions]


def timing_violations(items: list[tuple[str, float, float]], length: float | None, what: str) -> Iterator[Violation]:
    """Each item (where, start, end) starts no later than it ends, no earlier than the one before, and ends
    within the audio's length."""
    previous = 0.0
    for where, start, end in items:
        if start > end:
            yield Violation(f"Received: {what} from {start} to {end}\nExpected: start <= end", where)
        if start < previous:
            yield Violation(f"Received: {what} starting at {start}, after one starting at {previous}\n"
                            "Expected: starts in order", where)  # fmt: skip
        previous = max(previous, start)
        if length is not None and end > length + TOLERANCE:
            yield Violation(f"Received: {what} ending at {end}\nExpected: within the audio's {length:g} s", where)


def _cue_violations(exchange: Exchange, cues: list[Cue], numbered: bool) -> Iterator[Violation]:
    length = audio_seconds(form(exchange))
    if numbered:
        for n, cue in enumerate(cues, 1):
            if cue.index != str(n):
                yield Violation(f"Received: cue {n} numbered {cue.index!r}\nExpected: cues numbered 1, 2, 3...")
                break
    yield from timing_violations([(f"cue {n}", c.start, c.end) for n, c in enumerate(cues, 1)], length, "a cue")


@check("audio.transcriptions.srt", "audio.translations.srt")
def srt_format(exchange: Exchange, ctx: Context) -> Iterator[Violation]:
    asked_format(exchange, "srt")
    cues = srt_cues(text_answer(exchange))
    yield from first(_cue_violations(exchange, cues, numbered=True))


@check("audio.transcriptions.vtt", "audio.translations.vtt")
def vtt_format(exchange: Exchange, ctx: Context) -> Iterator[Violation]:
    asked_format(exchange, "vtt")
    cues = vtt_cues(text_answer(exchange))
    yield from first(_cue_violations(exchange, cues, numbered=False))


def verbose(exchange: Exchange) -> tuple[dict[str, list[Field]], dict[str, Any]]:
    fields = asked_format(exchange, "verbose_json")
    body = answer(exchange)
    if not isinstance(body, dict):
        raise Broken(f"{received(exchange)}\nExpected: a JSON object")
    return fields, body


@check("audio.transcriptions.verbose", "audio.translations.verbose")
def verbose_shape(exchange: Exchange, ctx: Context) -> Iterator[Violation]:
    yield from schema_violations("audio.transcription.verbose", verbose(exchange)[1])


@check("audio.transcriptions.duration", "audio.translations.duration")
def verbose_duration(exchange: Exchange, ctx: Context) -> Iterator[Violation]:
    fields, body = verbose(exchange)
    length = audio_seconds(fields)
    got = body.get("duration")
    if not isinstance(got, int | float) or isinstance(got, bool) or abs(got - length) > TOLERANCE:
        yield Violation(f"Received: duration {excerpt(got, 40)}\nExpected: the audio's length, {length:g} s "
                        f"(within {TOLERANCE} s)", "$.duration")  # fmt: skip


def _timed(body: dict[str, Any], key: str) -> list[tuple[str, float, float]]:
    items = body.get(key)
    out = []
    for n, item in enumerate(items if isinstance(items, list) else []):
        start, end = (item.get("start"), item.get("end")) if isinstance(item, dict) else (None, None)
        if all(isinstance(v, int | float) and not isinstance(v, bool) for v in (start, end)):
            out.append((f"$.{key}[{n}]", float(start), float(end)))  # type: ignore[arg-type]
    return out


@check("audio.transcriptions.timing", "audio.translations.timing")
def verbose_timing(exchange: Exchange, ctx: Context) -> Iterator[Violation]:
    fields, body = verbose(exchange)
    length = audio_seconds(fields)
    yield from first(timing_violations(_timed(body, "segments"), length, "a segment"))
    yield from first(timing_violations(_timed(body, "words"), length, "a word"))


@check("audio.transcriptions.granularities")
def granularities(exchange: Exchange, ctx: Context) -> Iterator[Violation]:
    fields, body = verbose(exchange)
    wanted = values(fields, "timestamp_granularities")
    if not wanted:
        raise NotApplicable("the request asked for no timestamp_granularities[]")
    for granularity, key in (("word", "words"), ("segment", "segments")):
        if granularity in wanted and not isinstance(body.get(key), list):
            got = excerpt(body.get(key, "(absent)"), 80)
            want = f"`{key}`, an array, for timestamp_granularities[]={granularity}"
            yield Violation(f"Received: {key} {got}\nExpected: {want}", f"$.{key}")


@check("audio.transcriptions.logprobs")
def logprobs(exchange: Exchange, ctx: Context) -> Iterator[Violation]:
    fields = asked_format(exchange, "json")
    if "logprobs" not in values(fields, "include"):
        raise NotApplicable("the request did not ask for include[]=logprobs")
    declined(exchange, "include[]=logprobs")
    body = answer(exchange)
    got = body.get("logprobs") if isinstance(body, dict) else None
    text = body.get("text") if isinstance(body, dict) else None
    if not isinstance(got, list) or (text and not got):
        yield Violation(f"Received: logprobs {excerpt(got, 80)}\nExpected: an array of token log probabilities"
                        f" for the text {excerpt(text, 60)}", "$.logprobs")  # fmt: skip
        return
    yield from schema_violations("audio.transcription", {"text": "", "logprobs": got})


@check("audio.transcriptions.unsupported-format", case_bound=True)
def unsupported_format(exchange: Exchange, ctx: Context) -> Iterator[Violation]:
    yield from refused_violations(exchange, "a response_format the model does not support", status=None)


@check("audio.transcriptions.not-audio", "audio.translations.not-audio", case_bound=True)
def not_audio(exchange: Exchange, ctx: Context) -> Iterator[Violation]:
    yield from refused_violations(exchange, "a file that is not audio", status=None)


@check("audio.transcriptions.missing-file", "audio.translations.missing-file", case_bound=True)
def missing_file(exchange: Exchange, ctx: Context) -> Iterator[Violation]:
    yield from refused_violations(exchange, "a request without its `file` part", status=None)


@check("audio.transcriptions.oversize", case_bound=True)
def oversize(exchange: Exchange, ctx: Context) -> Iterator[Violation]:
    yield from refused_violations(exchange, "a file over the 25 MB limit", status=None)


# --- streamed transcriptions ----------------------------------------------------------------------------------


def stream_events(exchange: Exchange, asked_for: Callable[[Exchange], bool], kind: str) -> list[dict[str, Any]]:
    """The JSON events of a streamed answer (`[DONE]` left out); Broken when it is not an event stream."""
    if not asked_for(exchange):
        raise NotApplicable(f"the request did not ask for {kind}")
    response = exchange.response
    if response is None or response.status != 200:
        raise Broken(f"{received(exchange)}\nExpected: 200 and {kind}")
    if response.content_type != "text/event-stream":
        start = excerpt(response.body[:120].decode("utf-8", "replace"))
        raise Broken(
            f"Received: content-type {response.content_type!r}, {start}\nExpected: text/event-stream for {kind}"
        )
    events, faults = parse_events(response.body)
    out = []
    for event in events:
        if event.is_done:
            continue
        try:
            data = event.json()
        except ValueError:
            message = f"Received: event data {excerpt(event.data, 120)}\nExpected: JSON"
            raise Broken(message, f"event {event.index}") from None
        out.append(data if isinstance(data, dict) else {"type": None, "data": data})
    if not out:
        raise Broken(f"Received: no events{'; ' + faults[0] if faults else ''}\nExpected: {kind}")
    return out


def _streamed(exchange: Exchange) -> bool:
    endpoint(exchange, "/audio/transcriptions")
    return field(form(exchange), "stream").lower() == "true"


def order_violations(events: list[dict[str, Any]], delta: str, done: str, schema: str) -> Iterator[Violation]:
    """`delta` events, then exactly one `done`, last; each event valid against `schema`."""
    for n, event in enumerate(events):
        yield from schema_violations(schema, event, prefix=f"event {n} $")
    types = [event.get("type") for event in events]
    dones = [n for n, t in enumerate(types) if t == done]
    if len(dones) != 1 or dones[0] != len(types) - 1:
        yield Violation(f"Received: events {excerpt(types, 200)}\nExpected: `{delta}` events, then one `{done}`, last")
    said = next((e for e in events if e.get("type") == done), {})
    # A transcript of silence (or of a tone) may be empty: then there is nothing to send in a delta.
    if delta not in types and said.get("text") != "":
        yield Violation(f"Received: events {excerpt(types, 200)}\nExpected: at least one `{delta}` before `{done}`")


@check("audio.transcriptions.stream")
def transcript_stream(exchange: Exchange, ctx: Context) -> Iterator[Violation]:
    events = stream_events(exchange, _streamed, "a transcription stream")
    yield from first(order_violations(events, "transcript.text.delta", "transcript.text.done",
                                      "audio.transcript.stream-event"))  # fmt: skip


@check("audio.transcriptions.stream-text")
def transcript_stream_text(exchange: Exchange, ctx: Context) -> Iterator[Violation]:
    events = stream_events(exchange, _streamed, "a transcription stream")
    deltas = "".join(str(e.get("delta", "")) for e in events if e.get("type") == "transcript.text.delta")
    done = next((e for e in events if e.get("type") == "transcript.text.done"), None)
    if done is None:
        raise NotApplicable("the stream has no transcript.text.done (audio.transcriptions.stream says so)")
    if done.get("text") != deltas:
        message = (
            f"Received: done text {excerpt(done.get('text'), 160)}\nExpected: the deltas joined, {excerpt(deltas, 160)}"
        )
        yield Violation(message, "transcript.text.done $.text")


# --- speech ---------------------------------------------------------------------------------------------------


def speech_format(exchange: Exchange) -> str:
    endpoint(exchange, "/audio/speech")
    body = asked(exchange)
    if not body.get("input"):
        raise NotApplicable("the request is not a speech request")
    if body.get("stream_format") == "sse":
        raise NotApplicable("the request asked for server-sent events")
    fmt = body.get("response_format", "mp3")
    if fmt not in SPEECH_TYPES:
        raise NotApplicable(f"the request asked for response_format {fmt!r}, not one of the API's")
    return str(fmt)


def _mutagen(kind: Callable[[Any], Any]) -> Callable[[bytes], str]:
    def read(data: bytes) -> str:
        try:
            info = kind(io.BytesIO(data)).info
        except (mutagen.MutagenError, ValueError, IndexError, EOFError) as exc:
            return f"not readable ({type(exc).__name__}: {exc})"
        return "" if getattr(info, "length", 0) > 0 else f"no audio ({info.pprint()})"

    return read


def _starts(data: bytes, *magic: bytes) -> bool:
    return any(data.startswith(m) for m in magic)


def _mp3(data: bytes) -> str:
    # mutagen looks for a frame sync anywhere in the first bytes: the file must start as an MP3 does.
    if not (_starts(data, b"ID3") or (len(data) > 1 and data[0] == 0xFF and data[1] & 0xE0 == 0xE0)):
        return "it does not start with an ID3 tag or an MPEG frame sync"
    return _mutagen(mutagen.mp3.MP3)(data)


def _aac(data: bytes) -> str:
    if len(data) > 8 and data[4:8] == b"ftyp":  # AAC in an MP4 container is AAC too
        return _mutagen(mutagen.mp4.MP4)(data)
    if not _starts(data, b"ADIF") and not (len(data) > 1 and data[0] == 0xFF and data[1] & 0xF6 == 0xF0):
        return "it does not start with an ADTS frame header, ADIF or an MP4 `ftyp` box"
    return _mutagen(mutagen.aac.AAC)(data)


def _wav(data: bytes) -> str:
    if not _starts(data, b"RIFF") or data[8:12] != b"WAVE":
        return "it does not start with a RIFF WAVE header"
    seconds = wav_seconds(data)
    return "" if seconds else f"no audio ({'unreadable' if seconds is None else '0 frames'})"


def _is_mpeg(data: bytes) -> bool:
    """Whether `data` starts with MPEG audio frames, one after the other (mutagen found no gap to guess over)."""
    if not (len(data) > 1 and data[0] == 0xFF and data[1] & 0xE0 == 0xE0):
        return False
    try:
        info = mutagen.mp3.MP3(io.BytesIO(data)).info
        return info is not None and not info.sketchy
    except (mutagen.MutagenError, ValueError, IndexError, EOFError):
        return False


def _pcm(data: bytes) -> str:
    container = next((name for magic, name in MAGIC.items() if data.startswith(magic)), None)
    if container is None and _is_mpeg(data):
        container = "mp3"
    if container:
        return f"it starts as a {container} file does ({data[:4]!r}), not raw samples"
    return "" if data and len(data) % 2 == 0 else f"{len(data)} bytes: not whole 16-bit samples"


def _opus(data: bytes) -> str:
    return "it is not an Ogg stream" if not _starts(data, b"OggS") else _mutagen(mutagen.oggopus.OggOpus)(data)


def _flac(data: bytes) -> str:
    if not _starts(data, b"fLaC"):
        return "it does not start with fLaC"
    problem = _mutagen(mutagen.flac.FLAC)(data)
    # A FLAC written to a pipe (ffmpeg to stdout, a streamed answer) cannot go back to fill in its length:
    # STREAMINFO's 0 total samples is the format's "unknown", so then the frames after the metadata are the audio.
    return "" if problem.startswith("no audio") and _flac_frame_follows(data) else problem


def _flac_frame_follows(data: bytes) -> bool:
    """Whether a frame (its sync code, 0xFFF8 or 0xFFF9) starts right after the last metadata block."""
    offset = 4  # past "fLaC"; each block: a byte (last-block flag, type), a 24-bit length, the data
    while offset + 4 <= len(data):
        last = data[offset] & 0x80
        offset += 4 + int.from_bytes(data[offset + 1 : offset + 4], "big")
        if last:
            return data[offset : offset + 2] in (b"\xff\xf8", b"\xff\xf9")
    return False


DECODERS: dict[str, Callable[[bytes], str]] = {
    "mp3": _mp3,
    "opus": _opus,
    "aac": _aac,
    "flac": _flac,
    "wav": _wav,
    "pcm": _pcm,
}


def decode_problem(fmt: str, data: bytes) -> str:
    """Why `data` is not audio in `fmt` ("" when it is)."""
    return DECODERS[fmt](data) if data else "no bytes"


@check("audio.speech.format")
def speech_bytes(exchange: Exchange, ctx: Context) -> Iterator[Violation]:
    fmt = speech_format(exchange)
    response = exchange.response
    if response is None or response.status != 200:
        yield Violation(f"{received(exchange)}\nExpected: 200 and {fmt} audio")
        return
    if problem := decode_problem(fmt, response.body):
        yield Violation(f"Received: {len(response.body)} bytes {response.body[:16]!r}...: {problem}\n"
                        f"Expected: {fmt} audio, as response_format asked")  # fmt: skip


@check("audio.speech.content-type")
def speech_content_type(exchange: Exchange, ctx: Context) -> Iterator[Violation]:
    fmt = speech_format(exchange)
    response = exchange.response
    if response is None or response.status != 200:
        raise NotApplicable(f"the speech request failed ({received(exchange)[10:90]})")
    if response.content_type not in SPEECH_TYPES[fmt]:
        yield Violation(f"Received: content-type {response.content_type!r} for {fmt}\n"
                        f"Expected: {' or '.join(SPEECH_TYPES[fmt])}")  # fmt: skip


@check("audio.speech.instructions")
def speech_instructions(exchange: Exchange, ctx: Context) -> Iterator[Violation]:
    endpoint(exchange, "/audio/speech")
    if not asked(exchange).get("instructions"):
        raise NotApplicable("the request gave no `instructions`")
    yield from speech_bytes(exchange, ctx)


@dataclass(frozen=True)
class SpeedPair:
    """The same text spoken as wav at speed 1 (`normal`) and faster (`fast`, its `speed` above 1)."""

    normal: Exchange
    fast: Exchange


@check("audio.speech.speed")
def speech_speed(pair: SpeedPair, ctx: Context) -> Iterator[Violation]:
    lengths = []
    for exchange in (pair.normal, pair.fast):
        response = exchange.response
        seconds = wav_seconds(response.body) if response is not None and response.status == 200 else None
        if seconds is None:
            raise NotApplicable(f"no wav audio to measure ({received(exchange)[10:90]})")
        lengths.append(seconds)
    speed = asked(pair.fast).get("speed")
    if lengths[1] >= lengths[0]:
        yield Violation(f"Received: {lengths[1]:g} s at speed {speed}, {lengths[0]:g} s at speed 1\n"
                        f"Expected: shorter audio at speed {speed}", "", pair.fast.index)  # fmt: skip


@check("audio.speech.speed-range", case_bound=True)
def speed_range(exchange: Exchange, ctx: Context) -> Iterator[Violation]:
    yield from refused_violations(exchange, "a `speed` outside 0.25 to 4.0", status=None)


@check("audio.speech.input-too-long", case_bound=True)
def input_too_long(exchange: Exchange, ctx: Context) -> Iterator[Violation]:
    yield from refused_violations(exchange, "an `input` over 4096 characters", status=None)


@check("audio.speech.missing-input", case_bound=True)
def missing_input(exchange: Exchange, ctx: Context) -> Iterator[Violation]:
    yield from refused_violations(exchange, "a speech request without `input`", status=None)


@check("audio.speech.unknown-format", case_bound=True)
def unknown_format(exchange: Exchange, ctx: Context) -> Iterator[Violation]:
    yield from refused_violations(exchange, "a `response_format` the API does not know", status=None)


def _sse(exchange: Exchange) -> bool:
    endpoint(exchange, "/audio/speech")
    return asked(exchange).get("stream_format") == "sse"


@check("audio.speech.stream")
def speech_stream(exchange: Exchange, ctx: Context) -> Iterator[Violation]:
    events = stream_events(exchange, _sse, "a speech stream (stream_format sse)")
    yield from first(order_violations(events, "speech.audio.delta", "speech.audio.done", "audio.speech.stream-event"))


@check("audio.speech.stream-audio")
def speech_stream_audio(exchange: Exchange, ctx: Context) -> Iterator[Violation]:
    events = stream_events(exchange, _sse, "a speech stream (stream_format sse)")
    total = 0
    for n, event in enumerate(events):
        if event.get("type") != "speech.audio.delta":
            continue
        chunk = event.get("audio")
        try:
            total += len(base64.b64decode(chunk, validate=True)) if isinstance(chunk, str) else -1
        except (binascii.Error, ValueError):
            yield Violation(f"Received: audio {excerpt(chunk, 60)}\nExpected: base64", f"event {n} $.audio")
    if total <= 0:
        yield Violation(f"Received: {total if total > 0 else 'no'} audio bytes in the deltas\n"
                        "Expected: the speech's audio, base64 in `speech.audio.delta` events")  # fmt: skip


# --- what a run spent -----------------------------------------------------------------------------------------


def spent(exchange: Exchange) -> dict[str, float]:
    """The audio units an answered exchange billed: seconds of audio transcribed or translated (the uploaded
    WAV's length, else the `duration` or `usage.seconds` the answer reports), characters of speech asked for."""
    response, path = exchange.response, exchange.request.url.split("?", 1)[0]
    if response is None or response.status != 200 or exchange.request.method != "POST":
        return {}
    if path.endswith("/audio/speech"):
        text = asked(exchange).get("input")
        return {"speech_characters": float(len(text))} if isinstance(text, str) else {}
    if not path.endswith(("/audio/transcriptions", "/audio/translations")):
        return {}
    fields = form(exchange)
    seconds = wav_seconds(fields["file"][0].value) if fields.get("file") else None
    body: dict[str, Any] = response.json if isinstance(response.json, dict) else {}
    usage: dict[str, Any] = body["usage"] if isinstance(body.get("usage"), dict) else {}
    for candidate in (seconds, body.get("duration"), usage.get("seconds")):
        if isinstance(candidate, int | float) and not isinstance(candidate, bool):
            return {"audio_seconds": float(candidate)}
    return {}


# The client counts what each audio answer spent with `spent` (conformance.spend), as @check registers the rules.
COUNTERS.update(dict.fromkeys(("POST /audio/speech", "POST /audio/transcriptions", "POST /audio/translations"), spent))
