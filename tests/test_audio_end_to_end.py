"""Audio end to end: each audio fault of the reference server is caught through client, cases, plugin and reports,
and the same cases pass without one (tests/test_sdk_audio.py drives the operations with the official SDK)."""

from __future__ import annotations

import pytest

from conformance.reference import FAULTS
from tests._runs import assert_caught, certify

pytest_plugins = ["pytester"]

CASES = ("audio/test_audio_transcriptions.py", "audio/test_audio_speech.py", "audio/test_audio_voice_consents.py")

# fault -> the requirements its run must fail (or warn, for a SHOULD)
CAUGHT = {
    "audio-text-json": ["audio.transcriptions.text", "audio.translations.text"],
    "audio-srt-out-of-order": ["audio.transcriptions.srt", "audio.translations.srt"],
    "audio-vtt-no-header": ["audio.transcriptions.vtt", "audio.translations.vtt"],
    "audio-duration-ms": ["audio.transcriptions.duration", "audio.translations.duration"],
    "audio-segments-beyond": ["audio.transcriptions.timing", "audio.translations.timing"],
    "audio-words-ignored": ["audio.transcriptions.granularities"],
    "audio-logprobs-ignored": ["audio.transcriptions.logprobs"],
    "audio-format-unchecked": ["audio.transcriptions.unsupported-format"],
    "audio-not-audio-500": ["audio.transcriptions.not-audio", "audio.translations.not-audio"],
    "audio-oversize-accepted": ["audio.transcriptions.oversize"],
    "audio-stream-done-differs": ["audio.transcriptions.stream-text"],
    "audio-stream-done-early": ["audio.transcriptions.stream"],
    "audio-speech-wav-for-mp3": ["audio.speech.format"],
    "audio-speech-content-type": ["audio.speech.content-type"],
    "audio-speed-ignored": ["audio.speech.speed"],
    "audio-speed-unchecked": ["audio.speech.speed-range"],
    "audio-long-input-accepted": ["audio.speech.input-too-long"],
    "audio-speech-sse-bad-base64": ["audio.speech.stream-audio"],
    "audio-speech-sse-no-done": ["audio.speech.stream"],
    # voice consents (read only: the reference server holds two)
    "audio-voice-consent-object-wrong": ["audio.voice-consents.shape"],
    "audio-voice-consent-other-id": ["audio.voice-consents.same-id"],
    "audio-voice-consent-unknown-200": ["audio.voice-consents.unknown"],
}


def test_every_audio_fault_is_caught_here() -> None:
    assert set(CAUGHT) == {f for f in FAULTS if f.startswith("audio-")}


@pytest.mark.parametrize("fault", sorted(CAUGHT))
def test_fault_is_reported(pytester, monkeypatch, fault) -> None:
    rules = CAUGHT[fault]
    results = certify(pytester, monkeypatch, frozenset({fault}), CASES, "--oai-retries", "0", only=rules)
    assert_caught(results, fault, rules)
    if fault.startswith("audio-voice-consent-"):  # one case judges the three rules: the fault breaks only its own
        others = {r["id"]: r["status"] for r in results["requirements"]
                  if r["id"].startswith("audio.voice-consents.") and r["id"] not in rules}  # fmt: skip
        assert len(others) == 2 and set(others.values()) == {"pass"}, others


def test_the_same_cases_pass_without_a_fault(pytester, monkeypatch) -> None:
    results = certify(pytester, monkeypatch, frozenset(), CASES, "--oai-retries", "0")
    judged = {r["id"]: r["status"] for r in results["requirements"] if r["id"].startswith("audio.")}
    assert judged == dict.fromkeys(judged, "pass") and len(judged) == 37
    assert results["verdict"] == "conformant"
    # 2 s of tone per answered upload, the sentence's characters per answered speech request (checks.audio.spent)
    units = results["usage"]["units"]
    assert units["audio_seconds"] > 0 and units["audio_seconds"] % 2 == 0 and units["speech_characters"] > 0
