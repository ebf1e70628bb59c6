"""The official `openai` SDK drives every documented audio operation against the reference server: speech in
every format (read back by a decoder), with speed, instructions and server-sent events; transcriptions in every
response format, with timestamps, logprobs and a stream; translations; the voice consents the server holds; and the
errors the SDK raises."""

from __future__ import annotations

import base64
import io
import json
import os
import wave

import openai
import pytest
import srt
import webvtt

from conformance.checks.audio import decode_problem
from conformance.tone import tone_wav
from tests._sdk import reference_sdk
from tests._shared import SHARED

KEY = "sk-sdk-audio-" + os.urandom(8).hex()
TONE = ("tone.wav", tone_wav(), "audio/wav")
TRANSCRIPT = "A steady tone sounds for a while, then it stops."
NOT_DRIVEN: set[str] = set()
DRIVEN = {"POST /v1/audio/speech", "POST /v1/audio/transcriptions", "POST /v1/audio/translations"}
DRIVEN |= {"GET /v1/audio/voice_consents/{consent_id}"}  # voice consents: the ones the reference server holds


@pytest.fixture(scope="module")
def client():
    with reference_sdk(KEY) as sdk:
        yield sdk


def test_the_sdk_transcribes_in_every_response_format(client) -> None:
    transcription = client.audio.transcriptions.create(model="whisper-1", file=TONE)
    assert transcription.text == TRANSCRIPT
    assert (
        client.audio.transcriptions.create(model="whisper-1", file=TONE, response_format="text").strip() == TRANSCRIPT
    )
    cues = list(srt.parse(client.audio.transcriptions.create(model="whisper-1", file=TONE, response_format="srt")))
    assert [c.index for c in cues] == [1, 2] and cues[-1].end.total_seconds() == 2.0
    vtt = client.audio.transcriptions.create(model="whisper-1", file=TONE, response_format="vtt")
    assert [c.end for c in webvtt.from_string(vtt)] == ["00:00:01.000", "00:00:02.000"]
    verbose = client.audio.transcriptions.create(
        model="whisper-1", file=TONE, response_format="verbose_json", timestamp_granularities=["word", "segment"]
    )
    assert verbose.duration == 2.0 and verbose.language == "english"
    assert verbose.words and verbose.words[-1].end == 2.0 and verbose.segments and verbose.segments[0].start == 0.0


def test_the_sdk_streams_a_transcription_and_reads_its_logprobs(client) -> None:
    stream = client.audio.transcriptions.create(model="gpt-4o-mini-transcribe", file=TONE, stream=True)
    events = list(stream)
    assert [e.type for e in events][-1] == "transcript.text.done"
    assert "".join(e.delta for e in events[:-1]) == events[-1].text == TRANSCRIPT
    with_logprobs = client.audio.transcriptions.create(
        model="gpt-4o-mini-transcribe", file=TONE, response_format="json", include=["logprobs"]
    )
    assert with_logprobs.logprobs and all(p.logprob <= 0 for p in with_logprobs.logprobs)


@pytest.mark.filterwarnings("ignore:deprecated:DeprecationWarning")  # the SDK marks translations deprecated
def test_the_sdk_translates(client) -> None:
    assert client.audio.translations.create(model="whisper-1", file=TONE).text == TRANSCRIPT
    verbose = client.audio.translations.create(model="whisper-1", file=TONE, response_format="verbose_json")
    assert verbose.duration == 2.0 and verbose.segments


@pytest.mark.parametrize("fmt", ["mp3", "opus", "aac", "flac", "wav", "pcm"])
def test_the_sdk_speaks_in_every_format(client, fmt) -> None:
    speech = client.audio.speech.create(
        model="gpt-4o-mini-tts", voice="alloy", input="Hello there.", response_format=fmt
    )
    assert decode_problem(fmt, speech.content) == ""


def test_the_sdk_sends_speed_and_instructions_and_streams_speech(client) -> None:
    def seconds(**extra) -> float:
        speech = client.audio.speech.create(
            model="gpt-4o-mini-tts", voice="coral", input="Hello there, how are you?", response_format="wav", **extra
        )
        with wave.open(io.BytesIO(speech.content)) as wav:
            return wav.getnframes() / wav.getframerate()

    assert seconds(speed=2.0) < seconds() == seconds(instructions="Speak calmly.")
    streamed = client.audio.speech.create(
        model="gpt-4o-mini-tts", voice="alloy", input="Hello there.", response_format="pcm", stream_format="sse"
    )
    events = [json.loads(line[6:]) for line in streamed.text.splitlines() if line.startswith("data: ")]
    assert [e["type"] for e in events][-1] == "speech.audio.done"
    assert b"".join(base64.b64decode(e["audio"]) for e in events[:-1]) == bytes(2 * 24_000 * 1 // 2)


def test_the_sdk_raises_on_the_documented_errors(client) -> None:
    with pytest.raises(openai.BadRequestError) as bad:
        client.audio.transcriptions.create(model="whisper-1", file=("notes.txt", b"not audio", "text/plain"))
    assert bad.value.param == "file"
    with pytest.raises(openai.BadRequestError) as bad:
        client.audio.transcriptions.create(model="gpt-4o-transcribe", file=TONE, response_format="srt")
    assert bad.value.param == "response_format"
    with pytest.raises(openai.BadRequestError):
        client.audio.speech.create(model="tts-1", voice="alloy", input="Hi", stream_format="sse")
    with pytest.raises(openai.BadRequestError) as bad:
        client.audio.speech.create(model="gpt-4o-mini-tts", voice="alloy", input="Hi", speed=4.5)
    assert bad.value.param == "speed"
    with pytest.raises(openai.NotFoundError):
        client.audio.speech.create(model="oai-conformance-no-such-model", voice="alloy", input="Hi")


def test_the_sdk_reads_the_voice_consents_the_account_holds(client) -> None:
    listed = list(client.audio.voice_consents.list(limit=1))  # the SDK follows `after` page by page
    assert [c.id for c in listed] == ["cons_demo_2", "cons_demo_1"]
    for consent in listed:
        assert client.audio.voice_consents.retrieve(consent.id) == consent
    assert listed[0].object == "audio.voice_consent" and listed[0].language == "fr-FR"
    with pytest.raises(openai.NotFoundError) as unknown:
        client.audio.voice_consents.retrieve("cons_oai_conformance_no_such_consent")
    assert unknown.value.param == "consent_id"


@pytest.mark.skipif(not (SHARED / "documented-operations.tsv").is_file(), reason="no documented-operations.tsv")
def test_every_documented_audio_operation_is_driven() -> None:
    rows = [line.split("\t") for line in (SHARED / "documented-operations.tsv").read_text().splitlines()[1:]]
    documented = {f"{method} {path}" for method, path, feature, *_ in rows if feature == "audio"}
    assert documented == DRIVEN | NOT_DRIVEN, documented ^ (DRIVEN | NOT_DRIVEN)
