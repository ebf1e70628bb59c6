"""Transcriptions and translations (POST /v1/audio/transcriptions, /v1/audio/translations): a two-second WAV tone
the suite makes (conformance/tone.py) in every response format, with timestamps, logprobs and a stream; and the
uploads the API refuses. What the tone is transcribed as does not matter (a model may hear nothing): the rules
judge the formats, the timings against the tone's real length, and the stream's consistency.

Two model roles: `transcription` (whisper-1: every format, timestamps, translations) and `transcription-stream`
(a gpt-4o transcription model: streams, logprobs, json and text only). Two seconds of audio per request: the
whole file costs well under a minute of transcription.
"""

import pytest

from conformance.case import requirement
from conformance.tone import silent_wav, tone_wav

TONE = tone_wav()
# response_format -> the rules its answer is judged by, for transcriptions and for translations
TRANSCRIPTIONS = {
    "json": ("audio.transcriptions.json",),
    "text": ("audio.transcriptions.text",),
    "srt": ("audio.transcriptions.srt",),
    "vtt": ("audio.transcriptions.vtt",),
    "verbose_json": ("audio.transcriptions.verbose", "audio.transcriptions.duration", "audio.transcriptions.timing"),
}
TRANSLATIONS = {
    "json": ("audio.translations.json",),
    "text": ("audio.translations.text",),
    "srt": ("audio.translations.srt",),
    "vtt": ("audio.translations.vtt",),
    "verbose_json": ("audio.translations.verbose", "audio.translations.duration", "audio.translations.timing"),
}
OVER_LIMIT = 25 * 1024 * 1024 + 1024  # bytes: just over the API's 25 MB


def send(oai_client, path, model, *fields, file=("tone.wav", TONE, "audio/wav")):
    """POST a multipart upload: the file (None: no file part), the model, then `fields` as (name, value)."""
    parts = [("file", file)] if file is not None else []
    parts += [("model", (None, model)), *((name, (None, value)) for name, value in fields)]
    return oai_client.request("POST", path, files=parts)


@requirement(*(rule for rules in TRANSCRIPTIONS.values() for rule in rules))
@pytest.mark.parametrize("fmt", TRANSCRIPTIONS)
def test_transcription_formats(oai_client, oai_target, oai_judge, fmt):
    fields = [("response_format", fmt)] if fmt != "json" else []  # json is the default: ask for it by omission
    exchange = send(oai_client, "/audio/transcriptions", oai_target.model("transcription"), *fields)
    oai_judge(exchange, *TRANSCRIPTIONS[fmt])


@requirement("audio.transcriptions.granularities", "audio.transcriptions.timing", "audio.transcriptions.verbose")
@pytest.mark.parametrize("granularities", [("word",), ("segment",), ("word", "segment")], ids="+".join)
def test_timestamp_granularities(oai_client, oai_target, oai_judge, granularities):
    fields = [("response_format", "verbose_json"), *(("timestamp_granularities[]", g) for g in granularities)]
    exchange = send(oai_client, "/audio/transcriptions", oai_target.model("transcription"), *fields)
    oai_judge(exchange, "audio.transcriptions.granularities", "audio.transcriptions.timing",
              "audio.transcriptions.verbose")  # fmt: skip


@requirement("audio.transcriptions.logprobs", "audio.transcriptions.json")
def test_logprobs(oai_client, oai_target, oai_judge):
    model = oai_target.model("transcription-stream")
    exchange = send(oai_client, "/audio/transcriptions", model, ("response_format", "json"), ("include[]", "logprobs"))
    oai_judge(exchange, "audio.transcriptions.logprobs", "audio.transcriptions.json")


@requirement("audio.transcriptions.stream", "audio.transcriptions.stream-text")
def test_transcription_stream(oai_client, oai_target, oai_judge):
    exchange = send(oai_client, "/audio/transcriptions", oai_target.model("transcription-stream"), ("stream", "true"))
    oai_judge(exchange, "audio.transcriptions.stream", "audio.transcriptions.stream-text")


@requirement("audio.transcriptions.unsupported-format")
def test_format_the_model_does_not_support(oai_client, oai_target, oai_judge):
    model = oai_target.model("transcription-stream")
    oai_judge(send(oai_client, "/audio/transcriptions", model, ("response_format", "srt")),
              "audio.transcriptions.unsupported-format")  # fmt: skip


@requirement("audio.transcriptions.not-audio", "audio.transcriptions.missing-file")
def test_refused_transcriptions(oai_client, oai_target, oai_judge):
    model = oai_target.model("transcription")
    text = ("notes.txt", b"This is a text file, not audio.\n", "text/plain")
    oai_judge(send(oai_client, "/audio/transcriptions", model, file=text), "audio.transcriptions.not-audio")
    oai_judge(send(oai_client, "/audio/transcriptions", model, file=None), "audio.transcriptions.missing-file")


@requirement("audio.transcriptions.oversize")
def test_oversize_file(oai_client, oai_target, oai_judge):
    big = ("long.wav", silent_wav(OVER_LIMIT), "audio/wav")
    exchange = send(oai_client, "/audio/transcriptions", oai_target.model("transcription"), file=big)
    oai_judge(exchange, "audio.transcriptions.oversize")


@requirement(*(rule for rules in TRANSLATIONS.values() for rule in rules))
@pytest.mark.parametrize("fmt", TRANSLATIONS)
def test_translation_formats(oai_client, oai_target, oai_judge, fmt):
    fields = [("response_format", fmt)] if fmt != "json" else []
    exchange = send(oai_client, "/audio/translations", oai_target.model("transcription"), *fields)
    oai_judge(exchange, *TRANSLATIONS[fmt])


@requirement("audio.translations.not-audio", "audio.translations.missing-file")
def test_refused_translations(oai_client, oai_target, oai_judge):
    model = oai_target.model("transcription")
    text = ("notes.txt", b"This is a text file, not audio.\n", "text/plain")
    oai_judge(send(oai_client, "/audio/translations", model, file=text), "audio.translations.not-audio")
    oai_judge(send(oai_client, "/audio/translations", model, file=None), "audio.translations.missing-file")
