"""Every Realtime session rule can fail, and says why: a transcript of the reference server's own session (its
`Session` class, no network) scripted as the case scripts it, broken by one mutation per rule; the valid twin
passes. The seeds' example server events are accepted by the event schema and the event rules."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from typing import Any

import pytest

from cases.realtime.test_realtime_session import BAD, SCRIPT
from conformance.judgement import Status, judge
from conformance.reference._config import ServerConfig
from conformance.reference._ids import Ids
from conformance.reference.realtime_session import Session
from conformance.requirements import catalogue
from conformance.schemas import validate
from conformance.websocket import Frame, Transcript
from tests._transports import fails_with_evidence

Frames = list[Frame]


def frame(event: dict[str, Any], sent: bool = False) -> Frame:
    return Frame(sent, json.dumps(event), event)


def session(script: list[tuple[dict[str, Any], Any]] = SCRIPT) -> Frames:
    server = Session(ServerConfig(), Ids(), "gpt-realtime")
    frames = [frame(e) for e in server.created()]
    for event, _ in script:
        frames.append(frame(event, sent=True))
        frames += [frame(e) for e in server.answer(json.dumps(event))]
    return frames


def transcript(frames: Frames, ending: str = "", status: int | None = 101) -> Transcript:
    return Transcript(None, tuple(frames), ending, status)


def where(frames: Frames, kind: str, nth: int = 0) -> int:
    return [n for n, f in enumerate(frames) if not f.sent and f.event and f.event.get("type") == kind][nth]


def edit(kind: str, change: Callable[[dict[str, Any]], Any], nth: int = 0) -> Callable[[Frames], None]:
    def run(frames: Frames) -> None:
        n = where(frames, kind, nth)
        event = copy.deepcopy(frames[n].event)
        assert event is not None
        change(event)
        frames[n] = frame(event)

    return run


def drop(kind: str, nth: int = 0) -> Callable[[Frames], None]:
    return lambda frames: frames.pop(where(frames, kind, nth))


def swap_done(frames: Frames) -> None:
    done = where(frames, "response.done")
    frames[done - 1], frames[done] = frames[done], frames[done - 1]


def after_error(frames: Frames) -> None:
    n = where(frames, "error")
    del frames[n + 2 :]  # the next client event is sent, and nothing answers it


# (rule, what, mutation of the valid session's frames, evidence the failure quotes)
VIOLATIONS: list[tuple[str, str, Callable[[Frames], None], str]] = [
    ("realtime.session.created-first", "session.updated first", drop("session.created"), "session.updated"),
    ("realtime.session.event-json", "a frame that is not JSON", lambda f: f.insert(3, Frame(False, "{oops", None)),
     "{oops"),
    ("realtime.session.event-json", "a binary frame", lambda f: f.insert(3, Frame(False, "00ff", None, binary=True)),
     "binary frame (00ff"),
    ("realtime.session.event-id", "no event_id", edit("response.created", lambda e: e.pop("event_id")),
     "'response.created' event with event_id None"),
    ("realtime.session.event-id", "an empty event_id", edit("session.updated", lambda e: e.update(event_id="")),
     "event_id ''"),
    ("realtime.session.known-types", "an undocumented type", edit("session.updated", lambda e: e.update(
        type="session.refreshed")), "session.refreshed"),
    ("realtime.session.event-schema", "a delta without item_id", edit("response.output_text.delta",
     lambda e: e.pop("item_id")), "item_id"),
    ("realtime.session.updated", "the change not applied", edit("session.updated", lambda e: e["session"].update(
        instructions="You are a helpful, witty, and friendly AI.")), "witty"),
    ("realtime.session.updated", "no session.updated", drop("session.updated"), "Expected: session.updated"),
    ("realtime.session.item-added", "no acknowledgement", drop("conversation.item.added"), "conversation.item.added"),
    ("realtime.session.item-added", "the item's role changed", edit("conversation.item.added",
     lambda e: e["item"].update(role="system")), "'system'"),
    ("realtime.session.response-order", "response.done before output_item.done", swap_done, "while item(s)"),
    ("realtime.session.response-order", "a delta before its part", drop("response.content_part.added"),
     "not added"),
    ("realtime.session.response-order", "no response.created", drop("response.created"), "before response.created"),
    ("realtime.session.response-order", "no response.done", drop("response.done", 2), "no response.done"),
    ("realtime.session.deltas-add-up", "a text delta lost", drop("response.output_text.delta", 1),
     "deltas joined to"),
    ("realtime.session.deltas-add-up", "a transcript that differs", edit("response.output_audio_transcript.done",
     lambda e: e.update(transcript="something else")), "something else"),
    ("realtime.session.deltas-add-up", "arguments that differ", edit("response.function_call_arguments.done",
     lambda e: e.update(arguments="{}")), "{}"),
    ("realtime.session.usage", "no usage", edit("response.done", lambda e: e["response"].update(usage=None)),
     "usage null"),
    ("realtime.session.usage", "a wrong total", edit("response.done", lambda e: e["response"]["usage"].update(
        total_tokens=e["response"]["usage"]["total_tokens"] + 1)), "total_tokens"),
    ("realtime.session.audio-buffer", "clear not acknowledged", drop("input_audio_buffer.cleared"),
     "input_audio_buffer.clear"),
    ("realtime.session.audio-buffer", "committed without item_id", edit("input_audio_buffer.committed",
     lambda e: e.pop("item_id")), "input_audio_buffer.committed"),
    ("realtime.session.error-event", "no error event", drop("error"), "nothing"),
    ("realtime.session.error-names-event", "the error names no event", edit("error", lambda e: e["error"].update(
        event_id=None)), "error.event_id None"),
    ("realtime.session.continues", "nothing after the error", after_error, "no answer to"),
]


def ids(row: tuple[Any, ...]) -> str:
    return f"{row[0]}: {row[1]}"


@pytest.mark.parametrize("row", VIOLATIONS, ids=ids)
def test_violation_fails_with_evidence(row) -> None:
    rid, _, mutate, shows = row
    frames = session()
    mutate(frames)
    fails_with_evidence(transcript(frames), rid, shows)


SESSION_RULES = sorted(r for r in catalogue() if r.startswith("realtime.session.") and r not in (
    "realtime.session.wrong-key", "realtime.session.client-secret", "realtime.session.answers"))  # fmt: skip


def test_the_valid_session_passes_every_session_rule() -> None:
    for obs in judge(transcript(session()), SESSION_RULES):
        assert obs.status is Status.PASS, obs


@pytest.mark.parametrize(("rid", "ending", "status", "events", "outcome"), [
    ("realtime.session.answers", "", 101, True, Status.PASS),
    ("realtime.session.answers", "no frame within 2 s", 101, True, Status.FAIL),
    ("realtime.session.client-secret", "", 101, True, Status.PASS),
    ("realtime.session.client-secret", "the handshake was refused with status 401", 401, False, Status.FAIL),
    ("realtime.session.wrong-key", "the handshake was refused with status 401", 401, False, Status.PASS),
    ("realtime.session.wrong-key", "the server closed the connection (code 1008)", 101, True, Status.PASS),
    ("realtime.session.wrong-key", "", 101, True, Status.FAIL),
])  # fmt: skip
def test_the_session_level_rules(rid, ending, status, events, outcome) -> None:
    frames = session([(BAD, ())]) if events else []
    [obs] = judge(transcript(frames, ending, status), [rid])
    assert obs.status is outcome, obs
    if outcome is Status.FAIL:
        assert "Received:" in obs.failures[0].message


# The seeds' example server events: seed 001 (Realtime API › Server Events) and the session.created of seed 000.
SEED_EVENTS = [
    {"type": "session.created", "session": {"id": "sess_abc123", "model": "gpt-5", "created": 1234567890}},
    {"type": "response.audio.delta", "response_id": "resp_123", "item_id": "item_456", "output_index": 0,
     "content_index": 0, "delta": "base64_audio_chunk"},
    {"type": "response.text.delta", "response_id": "resp_123", "item_id": "item_456", "output_index": 0,
     "content_index": 0, "delta": "Hello, how can I"},
    {"type": "response.function_call_arguments.delta", "response_id": "resp_123", "item_id": "item_789",
     "output_index": 0, "call_id": "call_abc", "delta": '{"location": "San'},
]  # fmt: skip
SEED_CLIENT_EVENTS = [
    {"type": "input_audio_buffer.append", "audio": "base64_encoded_audio_chunk"},
    {"type": "input_audio_buffer.commit"},
    {"type": "response.create", "response": {"modalities": ["text", "audio"], "instructions": "Please be concise"}},
    {"type": "session.update", "session": {"modalities": ["text", "audio"], "instructions": "You are a helpful "
     "assistant.", "voice": "alloy", "input_audio_format": "pcm16", "output_audio_format": "pcm16",
     "input_audio_transcription": {"model": "whisper-1"}}},
    {"type": "conversation.item.create", "item": {"type": "function_call_output", "call_id": "call_1",
                                                  "output": "{}"}},
]  # fmt: skip


@pytest.mark.parametrize("event", SEED_EVENTS, ids=[e["type"] for e in SEED_EVENTS])
def test_the_seeds_server_events_are_accepted(event) -> None:
    assert validate("realtime.server-event", event) == []
    frames = [frame(event)]
    rules = ["realtime.session.event-json", "realtime.session.known-types", "realtime.session.event-schema"]
    assert [o.status for o in judge(transcript(frames), rules)] == [Status.PASS] * 3


@pytest.mark.parametrize("event", SEED_CLIENT_EVENTS, ids=[e["type"] for e in SEED_CLIENT_EVENTS])
def test_the_seeds_client_events_are_valid(event) -> None:
    assert validate("realtime.client-event", event) == []


# Every rule this module shows failing (tests/test_violations.py checks the catalogue is covered).
COVERED = frozenset(row[0] for row in VIOLATIONS) | {"realtime.session.answers", "realtime.session.client-secret",
                                                    "realtime.session.wrong-key"}
