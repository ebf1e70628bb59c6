"""Every rule of the Responses WebSocket mode can fail, and says why: the transcript of the reference server's own
socket (`responses_socket.answer`, no network) scripted as the case scripts it, broken by one mutation per rule;
the valid twin passes."""

from __future__ import annotations

import copy
import functools
import json
from collections.abc import Callable
from typing import Any

import pytest

from conformance.judgement import Status, judge
from conformance.reference import responses
from conformance.reference._config import ServerConfig
from conformance.reference._ids import Ids
from conformance.reference.responses_socket import SocketStore, answer
from conformance.requirements import catalogue
from conformance.websocket import Frame, Transcript
from tests._transports import fails_with_evidence

Frames = list[Frame]
UNKNOWN = "resp_unknown"


def frame(event: dict[str, Any], sent: bool = False) -> Frame:
    return Frame(sent, json.dumps(event), event)


def connection() -> Frames:
    return list(_connection())


@functools.cache
def _connection() -> tuple[Frame, ...]:
    config, ids, store = ServerConfig(), Ids(), SocketStore(responses.Store())
    frames: Frames = []
    last = None
    for extra in ({}, {"store": False}, {"store": False, "previous": True}, {"previous_response_id": UNKNOWN}, {}):
        request = {"type": "response.create", "model": "gpt-4o-mini", "input": "Say OK.",
                   **{k: v for k, v in extra.items() if k != "previous"}}  # fmt: skip
        if extra.get("previous") or (extra.get("store") is False and "previous" not in extra):
            request["previous_response_id"] = last
        frames.append(frame(request, sent=True))
        events = answer(request, config, ids, store)
        frames += [frame(e) for e in events]
        if events[-1].get("type") == "response.completed":
            last = events[-1]["response"]["id"]
    return tuple(frames)


def transcript(frames: Frames, ending: str = "") -> Transcript:
    return Transcript(None, tuple(frames), ending)


def positions(frames: Frames, kind: str) -> list[int]:
    return [n for n, f in enumerate(frames) if not f.sent and f.event and f.event.get("type") == kind]


def swap_text_done(frames: Frames) -> None:
    n = positions(frames, "response.output_text.done")[0]
    frames[n], frames[n + 1] = frames[n + 1], frames[n]


def drop(kind: str, nth: int = 0) -> Callable[[Frames], None]:
    return lambda frames: frames.pop(positions(frames, kind)[nth])


def edit(kind: str, change: Callable[[dict[str, Any]], Any], nth: int = 0) -> Callable[[Frames], None]:
    def run(frames: Frames) -> None:
        n = positions(frames, kind)[nth]
        event = copy.deepcopy(frames[n].event)
        assert event is not None
        change(event)
        frames[n] = frame(event)

    return run


def error_for_continuation(frames: Frames) -> None:
    n = positions(frames, "response.created")[2]
    end = positions(frames, "response.completed")[2]
    frames[n : end + 1] = [frame({"type": "error", "status": 400, "error": {"type": "invalid_request_error",
                                  "code": "previous_response_not_found", "message": "not found", "param": None}})]


def nothing_after_error(frames: Frames) -> None:
    n = positions(frames, "error")[0]
    del frames[n + 2 :]


VIOLATIONS: list[tuple[str, str, Callable[[Frames], None], str]] = [
    ("responses.websocket.stream", "text done after its part's done", swap_text_done,
     "responses.stream.item-order (response.create #0)"),
    ("responses.websocket.stream", "a lost delta", drop("response.output_text.delta"), "responses.stream.text-adds-up"),
    ("responses.websocket.stream", "no sequence numbers", edit("response.created", lambda e: e.pop(
        "sequence_number")), "responses.stream.sequence-number"),
    ("responses.websocket.several", "a response without its terminal event", drop("response.completed", 2),
     "for response.create #2"),
    ("responses.websocket.continues", "a store: false response forgotten", error_for_continuation,
     "a store: false response of this connection"),
    ("responses.websocket.continues", "previous_response_id not echoed", edit("response.completed",
     lambda e: e["response"].update(previous_response_id=None), 1), "its previous_response_id naming it"),
    ("responses.websocket.unknown-previous", "answered as if it existed", lambda f: f.__setitem__(
        positions(f, "error")[0], frame({"type": "response.completed", "response": {"id": "resp_x"}})),
     "Expected: an error event"),
    ("responses.websocket.unknown-previous", "the connection goes silent", nothing_after_error,
     "no answer to the request after the error"),
]


@pytest.mark.parametrize("row", VIOLATIONS, ids=lambda r: f"{r[0]}: {r[1]}" if isinstance(r, tuple) else str(r))
def test_violation_fails_with_evidence(row) -> None:
    rid, _, mutate, shows = row
    frames = connection()
    mutate(frames)
    fails_with_evidence(transcript(frames), rid, shows)


def test_the_valid_connection_passes_every_rule() -> None:
    rules = sorted(r for r in catalogue() if r.startswith("responses.websocket."))
    assert {row[0] for row in VIOLATIONS} | {"responses.websocket.answers"} == set(rules)
    for obs in judge(transcript(connection()), rules):
        assert obs.status is Status.PASS, obs


def test_an_ended_connection_fails_answers() -> None:
    [obs] = judge(transcript(connection(), "no frame within 1 s"), ["responses.websocket.answers"])
    assert obs.status is Status.FAIL and "no frame within 1 s" in obs.failures[0].message


# Every rule this module shows failing (tests/test_violations.py checks the catalogue is covered).
COVERED = frozenset(row[0] for row in VIOLATIONS) | {"responses.websocket.answers"}
