"""A Realtime WebSocket session, judged over its transcript (`conformance.websocket.Transcript`).

The case sends one client event at a time and waits for its answer, so the transcript splits into turns: a client
event and the server events received before the next one (`turns`). The order of a response's events is replayed
as a state machine (`response-order`), as `responses.stream.item-order` replays the Responses stream: per response
whether it was created and is done, per output item whether it was added and is done, per content part whether it
is open; the first event that arrives out of its place is reported.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from conformance import schemas
from conformance.checks.evidence import excerpt, schema_violations
from conformance.checks.rule import Context, Violation, check, first
from conformance.exceptions import NotApplicable
from conformance.websocket import Transcript

# The deltas of a content part and the .done event that carries their whole text, by the key that holds it.
TEXT_DELTAS = {
    "response.output_text.delta": ("response.output_text.done", "text"),
    "response.text.delta": ("response.text.done", "text"),
    "response.output_audio_transcript.delta": ("response.output_audio_transcript.done", "transcript"),
    "response.audio_transcript.delta": ("response.audio_transcript.done", "transcript"),
}
AUDIO_DELTAS = {
    "response.output_audio.delta": "response.output_audio.done",
    "response.audio.delta": "response.audio.done",
}
PART_DONE = frozenset({*(done for done, _ in TEXT_DELTAS.values()), *AUDIO_DELTAS.values()})
ARGUMENTS = ("response.function_call_arguments.delta", "response.function_call_arguments.done")
ITEM_ADDED = frozenset({"conversation.item.added", "conversation.item.created"})


@functools.cache
def known_types() -> frozenset[str]:
    return frozenset(schemas.document("realtime.server-event")["$defs"]["types"]["enum"])


@dataclass(frozen=True)
class Turn:
    """A client event and the server events that answered it (before the client sent the next one)."""

    sent: dict[str, Any]
    answers: list[dict[str, Any]] = field(default_factory=list)

    def of(self, *types: str) -> list[dict[str, Any]]:
        return [e for e in self.answers if e.get("type") in types]


def turns(transcript: Transcript) -> list[Turn]:
    out: list[Turn] = []
    for frame in transcript.frames:
        if frame.sent:
            out.append(Turn(frame.event or {"type": None, "frame": frame.text}))
        elif out and frame.event is not None:
            out[-1].answers.append(frame.event)
    return out


def _opened(transcript: Transcript) -> None:
    if transcript.status != 101:
        raise NotApplicable(f"no session: {transcript.ending} (realtime.session.answers' failure)")


def _of_type(transcript: Transcript, kind: str) -> list[Turn]:
    _opened(transcript)
    found = [t for t in turns(transcript) if t.sent.get("type") == kind]
    if not found:
        raise NotApplicable(f"the session sent no {kind}")
    return found


def _show(event: dict[str, Any]) -> str:
    return excerpt(event, 160)


@check("realtime.session.created-first")
def created_first(transcript: Transcript, ctx: Context) -> Iterator[Violation]:
    _opened(transcript)
    received = transcript.received
    if not received:
        yield Violation(f"Received: no event ({transcript.ending or 'none sent'})\nExpected: session.created first")
        return
    n, frame = received[0]
    event = frame.event or {}
    if event.get("type") != "session.created" or not isinstance(event.get("session"), dict):
        yield Violation(f"Received: first event {excerpt(frame.text, 160)}\nExpected: session.created with the "
                        "session", f"event {n}")  # fmt: skip


@check("realtime.session.event-json")
def event_json(transcript: Transcript, ctx: Context) -> Iterator[Violation]:
    _opened(transcript)

    def problems() -> Iterator[Violation]:
        for n, frame in transcript.received:
            if frame.binary:
                yield Violation(f"Received: a binary frame ({frame.text[:40]}…)\nExpected: a text frame", f"event {n}")
            elif frame.event is None or not isinstance(frame.event.get("type"), str):
                yield Violation(f"Received: {excerpt(frame.text, 120)}\nExpected: a JSON object with a string type",
                                f"event {n}")  # fmt: skip

    yield from first(problems(), limit=5)


@check("realtime.session.event-id")
def event_id(transcript: Transcript, ctx: Context) -> Iterator[Violation]:
    _opened(transcript)

    def problems() -> Iterator[Violation]:
        for n, event in transcript.events():
            value = event.get("event_id")
            if not isinstance(value, str) or not value:
                yield Violation(f"Received: {event.get('type')!r} event with event_id {value!r}\n"
                                "Expected: a non-empty string", f"event {n}")  # fmt: skip

    yield from first(problems(), limit=5)


@check("realtime.session.known-types")
def known_event_types(transcript: Transcript, ctx: Context) -> Iterator[Violation]:
    _opened(transcript)
    known = known_types()
    unknown = [(n, e.get("type")) for n, e in transcript.events() if isinstance(e.get("type"), str)
               and e.get("type") not in known]  # fmt: skip
    for n, kind in unknown[:5]:
        yield Violation(f"Received: event type {kind!r}\nExpected: a documented server event type", f"event {n}")


@check("realtime.session.event-schema")
def event_schema(transcript: Transcript, ctx: Context) -> Iterator[Violation]:
    _opened(transcript)
    known = known_types()

    def problems() -> Iterator[Violation]:
        for n, event in transcript.events():
            if event.get("type") in known:
                yield from schema_violations("realtime.server-event", event, prefix=f"event {n} $", limit=3)

    yield from first(problems(), limit=8)


@check("realtime.session.updated")
def session_updated(transcript: Transcript, ctx: Context) -> Iterator[Violation]:
    for turn in _of_type(transcript, "session.update"):
        change: dict[str, Any] = turn.sent["session"] if isinstance(turn.sent.get("session"), dict) else {}
        updated = turn.of("session.updated")
        if not updated:
            yield Violation(f"Received: {[e.get('type') for e in turn.answers]}\nExpected: session.updated")
            continue
        session: dict[str, Any] = updated[0]["session"] if isinstance(updated[0].get("session"), dict) else {}
        for key in ("instructions", "output_modalities"):
            if key in change and session.get(key) != change[key]:
                yield Violation(f"Received: session.{key} {excerpt(session.get(key), 80)}\n"
                                f"Expected: {excerpt(change[key], 80)}, as updated", f"session.{key}")  # fmt: skip


@check("realtime.session.item-added")
def item_added(transcript: Transcript, ctx: Context) -> Iterator[Violation]:
    for turn in _of_type(transcript, "conversation.item.create"):
        sent: dict[str, Any] = turn.sent["item"] if isinstance(turn.sent.get("item"), dict) else {}
        added = turn.of(*ITEM_ADDED)
        if not added:
            yield Violation(f"Received: {[e.get('type') for e in turn.answers]}\n"
                            "Expected: conversation.item.added (or .created) for the item sent")  # fmt: skip
            continue
        item: dict[str, Any] = added[0]["item"] if isinstance(added[0].get("item"), dict) else {}
        for key in ("id", "type", "role", "call_id"):
            if key in sent and item.get(key) != sent[key]:
                yield Violation(f"Received: item.{key} {item.get(key)!r}\nExpected: {sent[key]!r}, as sent",
                                f"item.{key}")  # fmt: skip


@dataclass
class _Response:
    created: bool = False
    done: bool = False
    items: dict[str, dict[str, Any]] = field(default_factory=dict)  # id -> {"done": bool, "parts": {ci: open?}}


def _order_problem(event: dict[str, Any], states: dict[str, _Response]) -> str:
    """Why `event` is out of its place (empty when it is in it); updates the states."""
    kind = event.get("type")
    response: dict[str, Any] = event["response"] if isinstance(event.get("response"), dict) else {}
    rid = response.get("id") if kind in ("response.created", "response.done") else event.get("response_id")
    if not isinstance(rid, str) or not str(kind).startswith("response."):
        return ""
    state = states.setdefault(rid, _Response())
    if kind == "response.created":
        was, state.created = state.created, True
        return "response.created a second time" if was else ""
    if not state.created:
        return "before response.created"
    if state.done:
        return "after response.done"
    item: dict[str, Any] = event["item"] if isinstance(event.get("item"), dict) else {}
    item_id = item.get("id") if kind in ("response.output_item.added", "response.output_item.done") else event.get(
        "item_id")
    if kind == "response.done":
        state.done = True
        open_items = [i for i, s in state.items.items() if not s["done"]]
        return f"while item(s) {open_items} are not done" if open_items else ""
    if kind == "response.output_item.added":
        if item_id in state.items:
            return "the item was added already"
        state.items[str(item_id)] = {"done": False, "parts": {}}
        return ""
    held = state.items.get(str(item_id))
    if held is None:
        return f"before response.output_item.added of item {item_id!r}"
    if held["done"]:
        return f"after response.output_item.done of item {item_id!r}"
    parts, index = held["parts"], event.get("content_index")
    if kind == "response.output_item.done":
        held["done"] = True
        still = [i for i, state in parts.items() if state != "done"]
        return f"while content part(s) {still} are open" if still else ""
    if kind == "response.content_part.added":
        if index in parts:
            return f"content part {index} was added already"
        parts[index] = "open"
        return ""
    if kind in TEXT_DELTAS or kind in AUDIO_DELTAS or kind in PART_DONE or kind == "response.content_part.done":
        if parts.get(index) != "open":
            return f"content part {index} is {'done' if parts.get(index) == 'done' else 'not added'}"
        if kind == "response.content_part.done":
            parts[index] = "done"
    return ""


@check("realtime.session.response-order")
def response_order(transcript: Transcript, ctx: Context) -> Iterator[Violation]:
    _of_type(transcript, "response.create")
    states: dict[str, _Response] = {}
    reported: set[str] = set()
    for n, event in transcript.events():
        problem = _order_problem(event, states)
        rid = event.get("response_id") or (event.get("response") or {}).get("id")
        if problem and rid not in reported:
            reported.add(str(rid))
            yield Violation(f"Received: {event.get('type')} {problem}: {_show(event)}\n"
                            "Expected: created, output items and content parts added, deltas, their .done events, "
                            "content_part.done, output_item.done, then response.done", f"event {n}")  # fmt: skip
    unfinished = [rid for rid, state in states.items() if not state.done]
    for rid in unfinished[:3]:
        yield Violation(f"Received: no response.done for {rid} ({transcript.ending or 'the session went on'})\n"
                        "Expected: every response created ends with response.done")  # fmt: skip


@check("realtime.session.deltas-add-up")
def deltas_add_up(transcript: Transcript, ctx: Context) -> Iterator[Violation]:
    _of_type(transcript, "response.create")
    joined: dict[tuple[Any, ...], str] = {}
    key: tuple[Any, ...]
    checked = 0
    for n, event in transcript.events():
        kind = event.get("type")
        if kind in TEXT_DELTAS:
            key = (TEXT_DELTAS[kind][0], event.get("item_id"), event.get("content_index"))
            joined[key] = joined.get(key, "") + str(event.get("delta", ""))
        elif kind == ARGUMENTS[0]:
            key = (ARGUMENTS[1], event.get("item_id"))
            joined[key] = joined.get(key, "") + str(event.get("delta", ""))
        elif kind in PART_DONE or kind == ARGUMENTS[1]:
            name = "arguments" if kind == ARGUMENTS[1] else next((k for d, k in TEXT_DELTAS.values() if d == kind), "")
            if not name:
                continue  # audio bytes: their .done carries nothing to compare
            key = (kind, event.get("item_id")) if kind == ARGUMENTS[1] else (kind, event.get("item_id"),
                                                                             event.get("content_index"))
            checked += 1
            got, whole = joined.get(key, ""), event.get(name)
            if got != whole:
                yield Violation(f"Received: deltas joined to {excerpt(got, 100)} but {kind}.{name} "
                                f"{excerpt(whole, 100)}\nExpected: the same text", f"event {n}")  # fmt: skip
    if not checked:
        raise NotApplicable("no text, transcript or arguments .done event to compare the deltas with")


def _count(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


@check("realtime.session.usage")
def usage(transcript: Transcript, ctx: Context) -> Iterator[Violation]:
    _of_type(transcript, "response.create")
    for n, event in transcript.events():
        if event.get("type") != "response.done" or not isinstance(event.get("response"), dict):
            continue
        got = event["response"].get("usage")
        counts: list[Any] = [got.get(k) for k in ("input_tokens", "output_tokens", "total_tokens")] \
            if isinstance(got, dict) else []  # fmt: skip
        if not counts or not all(map(_count, counts)):
            yield Violation(f"Received: usage {excerpt(got, 160)}\nExpected: input_tokens, output_tokens and "
                            "total_tokens, non-negative integers", f"event {n} $.response.usage")  # fmt: skip
        elif counts[2] != counts[0] + counts[1]:
            yield Violation(f"Received: total_tokens {counts[2]} for input {counts[0]} + output {counts[1]}\n"
                            f"Expected: {counts[0] + counts[1]}", f"event {n} $.response.usage")  # fmt: skip


@check("realtime.session.audio-buffer")
def audio_buffer(transcript: Transcript, ctx: Context) -> Iterator[Violation]:
    _opened(transcript)
    wanted = {"input_audio_buffer.commit": "input_audio_buffer.committed",
              "input_audio_buffer.clear": "input_audio_buffer.cleared"}  # fmt: skip
    judged = [t for t in turns(transcript) if t.sent.get("type") in wanted]
    if not judged:
        raise NotApplicable("the session sent no commit or clear")
    for turn in judged:
        answer = wanted[str(turn.sent.get("type"))]
        got = turn.of(answer)
        if not got:
            yield Violation(f"Received: {[e.get('type') for e in turn.answers] or 'nothing'} for "
                            f"{turn.sent.get('type')}\nExpected: {answer}")  # fmt: skip
        elif answer.endswith("committed") and not isinstance(got[0].get("item_id"), str):
            yield Violation(f"Received: {_show(got[0])}\nExpected: the item_id of the user item the audio became")


def _invalid_turns(transcript: Transcript) -> list[tuple[int, Turn]]:
    _opened(transcript)
    found = [(n, t) for n, t in enumerate(turns(transcript)) if t.sent.get("type") not in _client_types()]
    if not found:
        raise NotApplicable("the session sent no invalid event")
    return found


@functools.cache
def _client_types() -> frozenset[str]:
    return frozenset(schemas.document("realtime.client-event")["properties"]["type"]["enum"])


@check("realtime.session.error-event")
def error_event(transcript: Transcript, ctx: Context) -> Iterator[Violation]:
    for _, turn in _invalid_turns(transcript):
        errors = turn.of("error")
        error = errors[0].get("error") if errors else None
        if not isinstance(error, dict) or not all(isinstance(error.get(k), str) for k in ("type", "message")):
            yield Violation(f"Received: {[_show(e) for e in turn.answers] or 'nothing'} for {_show(turn.sent)}\n"
                            "Expected: an error event with error.type and error.message")  # fmt: skip


@check("realtime.session.error-names-event")
def error_names_event(transcript: Transcript, ctx: Context) -> Iterator[Violation]:
    for _, turn in _invalid_turns(transcript):
        errors = turn.of("error")
        error = errors[0].get("error") if errors else None
        if not isinstance(error, dict):
            continue  # realtime.session.error-event's failure
        if error.get("event_id") != turn.sent.get("event_id"):
            yield Violation(f"Received: error.event_id {error.get('event_id')!r}\n"
                            f"Expected: {turn.sent.get('event_id')!r}, the invalid event's event_id")  # fmt: skip


@check("realtime.session.continues")
def continues(transcript: Transcript, ctx: Context) -> Iterator[Violation]:
    found = _invalid_turns(transcript)
    all_turns = turns(transcript)
    for n, _ in found:
        later = all_turns[n + 1 :]
        if not later:
            raise NotApplicable("the session sent nothing after the invalid event")
        if not later[0].answers:
            yield Violation(f"Received: no answer to {_show(later[0].sent)} after the error "
                            f"({transcript.ending or 'no event'})\nExpected: the session goes on")  # fmt: skip


@check("realtime.session.answers")
def answers(transcript: Transcript, ctx: Context) -> Iterator[Violation]:
    if transcript.ending:
        yield Violation(f"Received: {transcript.ending}\nExpected: an answer to every client event that has one, "
                        "on a connection that stays open")  # fmt: skip


@check("realtime.session.client-secret")
def client_secret(transcript: Transcript, ctx: Context) -> Iterator[Violation]:
    events = transcript.events()
    if transcript.status != 101 or not events or events[0][1].get("type") != "session.created":
        first_event = _show(events[0][1]) if events else transcript.ending
        yield Violation(f"Received: status {transcript.status}, {first_event}\n"
                        "Expected: the client secret opens a session (101, then session.created)")  # fmt: skip


@check("realtime.session.wrong-key", case_bound=True)
def wrong_key(transcript: Transcript, ctx: Context) -> Iterator[Violation]:
    status = transcript.status
    if status is not None and 400 <= status < 500:
        return
    errors = [e for _, e in transcript.events() if e.get("type") == "error"]
    closed = "closed" in transcript.ending
    if status == 101 and errors and closed:
        return
    yield Violation(f"Received: status {status}, events {[e.get('type') for _, e in transcript.events()][:5]}, "
                    f"{transcript.ending or 'the connection open'}\nExpected: a 4xx handshake, or an error event "
                    "and the connection closed")  # fmt: skip
