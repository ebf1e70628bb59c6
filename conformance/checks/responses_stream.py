"""Responses API streams: the state machine of `POST /v1/responses` with `stream: true`.

A stream is a sequence of typed events, each with a `sequence_number`: `response.created`, then
`response.in_progress`; per output item `response.output_item.added`, per content part
`response.content_part.added`, the deltas, their `.done` events, `response.content_part.done`,
`response.output_item.done`; and exactly one terminal event (`response.completed`, `response.failed` or
`response.incomplete`), last, carrying the final response. No `data: [DONE]`: that is the chat stream's end.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from conformance import jsonvalue, schemas
from conformance.checks._stream import EventStream, content_type_violations, framing_violations
from conformance.checks.evidence import bound_hit, excerpt, received, schema_violations
from conformance.checks.responses import CORE_KEYS, cut_violations, missing_keys, response_usage_violations
from conformance.checks.rule import Context, Violation, check, first
from conformance.exceptions import NotApplicable

TERMINAL = {"response.completed": "completed", "response.failed": "failed", "response.incomplete": "incomplete"}
EVENT_SCHEMA = "response.stream-event"


@dataclass(frozen=True)
class Payload:
    """One event of the stream whose data is a JSON object: its position, its SSE name and its data."""

    index: int
    name: str | None
    data: dict[str, Any]

    @property
    def type(self) -> str:
        kind = self.data.get("type")
        return kind if isinstance(kind, str) else ""

    @property
    def at(self) -> str:
        return f"event {self.index}"


class ResponseStream(EventStream):
    """A Responses stream as received: its SSE events, framing faults, content type and the request."""

    @classmethod
    def from_events(cls, events: Sequence[dict[str, Any]], request: dict[str, Any] | None = None) -> ResponseStream:
        """A stream framed as the real API frames it: `event: <type>` and `data: <json>` per event."""
        body = b"".join(f"event: {e.get('type')}\ndata: {json.dumps(e)}\n\n".encode() for e in events)
        return cls.from_bytes(body, request or {})

    def require_stream(self) -> None:
        """Only a 200 holds a stream to judge: any other status is responses.stream.content-type's failure."""
        if self.exchange is not None and self.exchange.response is not None and self.exchange.response.status != 200:
            raise NotApplicable(f"no stream to judge: {received(self.exchange)} (responses.stream.content-type fails)")

    @cached_property
    def payloads(self) -> list[Payload]:
        self.require_stream()
        out = []
        for event in self.events:
            try:
                data = jsonvalue.parse(event.data)
            except ValueError:
                continue
            if isinstance(data, dict):
                out.append(Payload(event.index, event.event, data))
        return out

    def of_type(self, *types: str) -> list[Payload]:
        return [p for p in self.payloads if p.type in types]

    @cached_property
    def terminals(self) -> list[Payload]:
        return self.of_type(*TERMINAL)

    def final_response(self) -> tuple[Payload, dict[str, Any]]:
        """The terminal event and its response; not applicable when there is no single terminal to read."""
        if len(self.terminals) != 1 or not isinstance(self.terminals[0].data.get("response"), dict):
            raise NotApplicable("no single terminal event with a response (responses.stream.one-terminal judges)")
        return self.terminals[0], self.terminals[0].data["response"]


def _payloads(stream: ResponseStream) -> list[Payload]:
    if not stream.payloads:
        raise NotApplicable("the stream holds no JSON event (responses.stream.event-json judges that)")
    return stream.payloads


@check("responses.stream.content-type")
def content_type(stream: ResponseStream, ctx: Context) -> Iterator[Violation]:
    yield from content_type_violations(stream)


@check("responses.stream.event-json")
def event_json(stream: ResponseStream, ctx: Context) -> Iterator[Violation]:
    def problems() -> Iterator[Violation]:
        yield from framing_violations(stream)
        stream.require_stream()
        if not stream.events:
            yield Violation("Received: an empty stream\nExpected: events from response.created to a terminal event")
        for event in stream.events:
            if event.is_done:
                continue  # responses.stream.no-done judges it
            try:
                data = jsonvalue.parse(event.data)
            except ValueError:
                data = None
            if not isinstance(data, dict):
                yield Violation(
                    f"Received: data {excerpt(event.data, 120)!r}\nExpected: a JSON object", f"event {event.index}"
                )

    yield from first(problems())


@check("responses.stream.event-schema")
def event_schema(stream: ResponseStream, ctx: Context) -> Iterator[Violation]:
    def problems() -> Iterator[Violation]:
        for payload in _payloads(stream):
            yield from schema_violations(EVENT_SCHEMA, payload.data, prefix=f"{payload.at} $", limit=3)

    yield from first(problems())


def known_types() -> frozenset[str]:
    return frozenset(schemas.document(EVENT_SCHEMA).get("$defs", {}))


@check("responses.stream.known-types")
def known_event_types(stream: ResponseStream, ctx: Context) -> Iterator[Violation]:
    known = known_types()
    unknown = [p for p in _payloads(stream) if p.type not in known]
    for payload in unknown[:3]:
        yield Violation(
            f"Received: event type {payload.type!r}\nExpected: one of the event types the API documents",
            f"{payload.at} $.type",
        )


@check("responses.stream.created-first")
def created_first(stream: ResponseStream, ctx: Context) -> Iterator[Violation]:
    head = _payloads(stream)[0]
    if head.type != "response.created":
        yield Violation(f"Received: {head.type!r} first\nExpected: 'response.created' first", head.at)


@check("responses.stream.in-progress-second")
def in_progress_second(stream: ResponseStream, ctx: Context) -> Iterator[Violation]:
    payloads = _payloads(stream)
    second = payloads[1] if len(payloads) > 1 else None
    if second is None or second.type != "response.in_progress":
        got = second.type if second is not None else "nothing"
        yield Violation(
            f"Received: {got!r} after the first event\nExpected: 'response.in_progress' second",
            second.at if second else "",
        )


@check("responses.stream.sequence-number")
def sequence_number(stream: ResponseStream, ctx: Context) -> Iterator[Violation]:
    def problems() -> Iterator[Violation]:
        previous: int | None = None
        for payload in _payloads(stream):
            number = payload.data.get("sequence_number")
            if not isinstance(number, int) or isinstance(number, bool):
                yield Violation(
                    f"Received: sequence_number {excerpt(number, 40)} in {payload.type!r}\n"
                    "Expected: an integer in every event",
                    f"{payload.at} $.sequence_number",
                )
                continue
            if previous is not None and number <= previous:
                yield Violation(
                    f"Received: sequence_number {number} after {previous}\nExpected: strictly increasing numbers",
                    f"{payload.at} $.sequence_number",
                )
            previous = number

    yield from first(problems(), 5)


@check("responses.stream.event-name")
def event_name(stream: ResponseStream, ctx: Context) -> Iterator[Violation]:
    def problems() -> Iterator[Violation]:
        for payload in _payloads(stream):
            if payload.name is not None and payload.name != payload.type:
                yield Violation(
                    f"Received: `event: {payload.name}` for data of type {payload.type!r}\n"
                    "Expected: the SSE event name equals data.type",
                    payload.at,
                )

    yield from first(problems(), 5)


@check("responses.stream.event-name-present")
def event_name_present(stream: ResponseStream, ctx: Context) -> Iterator[Violation]:
    nameless = [p for p in _payloads(stream) if p.name is None]
    if nameless:
        yield Violation(
            f"Received: {len(nameless)} events without an `event:` line, first {nameless[0].type!r}\n"
            "Expected: `event: <type>` before every `data:` line, as the API sends",
            nameless[0].at,
        )


@check("responses.stream.no-done")
def no_done(stream: ResponseStream, ctx: Context) -> Iterator[Violation]:
    stream.require_stream()
    done = [e for e in stream.events if e.is_done]
    if done:
        yield Violation(
            "Received: `data: [DONE]`\nExpected: the stream ends with its terminal event (no [DONE])",
            f"event {done[0].index}",
        )


@check("responses.stream.one-terminal")
def one_terminal(stream: ResponseStream, ctx: Context) -> Iterator[Violation]:
    payloads = _payloads(stream)
    terminals = stream.terminals
    if len(terminals) != 1:
        yield Violation(
            f"Received: {len(terminals)} terminal events ({', '.join(p.type for p in terminals) or 'none'})"
            f"{bound_hit(stream.exchange)}\n"
            "Expected: exactly one of response.completed, response.failed, response.incomplete",
            terminals[1].at if len(terminals) > 1 else "",
        )
    elif terminals[0] is not payloads[-1]:
        yield Violation(
            f"Received: {payloads[-1].type!r} after the terminal {terminals[0].type!r}\n"
            "Expected: the terminal event last",
            payloads[-1].at,
        )


@check("responses.stream.terminal-status")
def terminal_status(stream: ResponseStream, ctx: Context) -> Iterator[Violation]:
    terminal, response = stream.final_response()
    yield from schema_violations("response", response, prefix=f"{terminal.at} $.response", limit=5)
    if response.get("status") != TERMINAL[terminal.type]:
        yield Violation(
            f"Received: status {response.get('status')!r} in {terminal.type!r}\nExpected: {TERMINAL[terminal.type]!r}",
            f"{terminal.at} $.response.status",
        )
    created = stream.of_type("response.created")
    first_id = created[0].data.get("response", {}).get("id") if created else None
    if isinstance(created[0].data.get("response") if created else None, dict) and response.get("id") != first_id:
        yield Violation(
            f"Received: response id {response.get('id')!r} at the end\nExpected: {first_id!r}, as created",
            f"{terminal.at} $.response.id",
        )


@check("responses.stream.usage-adds-up")
def stream_usage(stream: ResponseStream, ctx: Context) -> Iterator[Violation]:
    terminal, response = stream.final_response()
    yield from response_usage_violations(response, f"{terminal.at} $.response")


@check("responses.stream.terminal-keys")
def terminal_keys(stream: ResponseStream, ctx: Context) -> Iterator[Violation]:
    terminal, response = stream.final_response()
    yield from missing_keys(response, CORE_KEYS, f"{terminal.at} $.response")


@check("responses.stream.max-output-tokens")
def stream_cut(stream: ResponseStream, ctx: Context) -> Iterator[Violation]:
    terminal, response = stream.final_response()
    yield from cut_violations(response, stream.asked(), f"{terminal.at} $.response")
    if response.get("status") == "incomplete" and terminal.type != "response.incomplete":
        yield Violation(
            f"Received: {terminal.type!r} for an incomplete response\nExpected: 'response.incomplete'", terminal.at
        )


# --- items, parts and deltas -----------------------------------------------------------------------------------

PART_EVENTS = ("response.content_part.added", "response.content_part.done")
TEXT_DELTAS = {
    "response.output_text.delta": "response.output_text.done",
    "response.refusal.delta": "response.refusal.done",
}
ARGUMENT_EVENTS = ("response.function_call_arguments.delta", "response.function_call_arguments.done")


@dataclass
class _Item:
    output_index: int
    added_at: int
    done_at: int | None = None
    parts_open: set[int] = field(default_factory=set)
    parts_done: set[int] = field(default_factory=set)


def _walk_items(stream: ResponseStream) -> Iterator[Violation]:
    """Replay the item events, and say where one comes out of order or names the wrong indices."""
    items: dict[str, _Item] = {}
    for payload in _payloads(stream):
        data, kind = payload.data, payload.type
        if kind == "response.output_item.added":
            added: Any = data.get("item") if isinstance(data.get("item"), dict) else {}
            item_id, index = added.get("id"), data.get("output_index")
            if index != len(items):
                yield Violation(
                    f"Received: output_item.added with output_index {index!r} after {len(items)} items\n"
                    f"Expected: output_index {len(items)}",
                    f"{payload.at} $.output_index",
                )
            if isinstance(item_id, str):
                items[item_id] = _Item(index if isinstance(index, int) else -1, payload.index)
            continue
        if not kind.startswith("response.") or kind in TERMINAL or ("item_id" not in data and "item" not in data):
            continue
        item = data.get("item")
        item_id = data.get("item_id", item.get("id") if isinstance(item, dict) else None)
        state = items.get(item_id) if isinstance(item_id, str) else None
        if state is None:
            yield Violation(
                f"Received: {kind!r} for item {item_id!r} before its output_item.added\n"
                "Expected: output_item.added first",
                payload.at,
            )
            continue
        if data.get("output_index") != state.output_index:
            yield Violation(
                f"Received: output_index {data.get('output_index')!r} for item {item_id!r}\n"
                f"Expected: {state.output_index}, as added",
                f"{payload.at} $.output_index",
            )
        if state.done_at is not None:
            yield Violation(
                f"Received: {kind!r} for item {item_id!r} after its output_item.done\n"
                "Expected: every event of an item before its output_item.done",
                payload.at,
            )
        part: Any = data.get("content_index")
        if kind == "response.content_part.added":
            state.parts_open.add(part)
        elif kind == "response.content_part.done":
            if part not in state.parts_open:
                yield Violation(
                    f"Received: content_part.done for part {part!r} of {item_id!r} that was not added\n"
                    "Expected: content_part.added first",
                    payload.at,
                )
            state.parts_open.discard(part)
            state.parts_done.add(part)
        elif kind == "response.output_item.done":
            if state.parts_open:
                yield Violation(
                    f"Received: output_item.done for {item_id!r} with parts {sorted(state.parts_open)} still open\n"
                    "Expected: content_part.done for each part first",
                    payload.at,
                )
            state.done_at = payload.index
        elif "content_index" in data and (part not in state.parts_open or part in state.parts_done):
            where = "after its content_part.done" if part in state.parts_done else "before its content_part.added"
            yield Violation(
                f"Received: {kind!r} for part {part!r} of {item_id!r} {where}\n"
                "Expected: content_part.added, then the deltas and their .done, then content_part.done",
                payload.at,
            )
    for item_id, state in items.items():
        if state.done_at is None and stream.terminals:
            yield Violation(
                f"Received: no output_item.done for item {item_id!r}\nExpected: output_item.done for every item added",
                f"event {state.added_at}",
            )


@check("responses.stream.item-order")
def item_order(stream: ResponseStream, ctx: Context) -> Iterator[Violation]:
    yield from first(_walk_items(stream), 5)


def _text_parts(stream: ResponseStream) -> Iterator[tuple[str, Any, str, list[Payload], Payload | None]]:
    """Per (item, part, kind of delta): its deltas and its `.done` event."""
    deltas: dict[tuple[str, Any, str], list[Payload]] = defaultdict(list)
    done: dict[tuple[str, Any, str], Payload] = {}
    for payload in _payloads(stream):
        for delta, finished in TEXT_DELTAS.items():
            key = (str(payload.data.get("item_id")), payload.data.get("content_index"), delta)
            if payload.type == delta:
                deltas[key].append(payload)
            elif payload.type == finished:
                done[key] = payload
    for key in dict.fromkeys([*deltas, *done]):
        yield (*key, deltas.get(key, []), done.get(key))


@check("responses.stream.text-adds-up")
def text_adds_up(stream: ResponseStream, ctx: Context) -> Iterator[Violation]:
    parts = list(_text_parts(stream))
    if not parts:
        raise NotApplicable("the stream holds no text delta")
    for item_id, part, delta, pieces, done in parts:
        field_name = "text" if delta == "response.output_text.delta" else "refusal"
        joined = "".join(p.data.get("delta") or "" for p in pieces)
        if done is None:
            yield Violation(
                f"Received: {len(pieces)} deltas of part {part!r} of {item_id!r} and no {TEXT_DELTAS[delta]!r}\n"
                "Expected: a .done event with the whole text",
                pieces[-1].at,
            )
        elif done.data.get(field_name) != joined:
            yield Violation(
                f"Received: deltas that join to {excerpt(joined, 120)!r}, done {field_name} "
                f"{excerpt(done.data.get(field_name), 120)!r}\nExpected: the deltas concatenate to the .done text",
                done.at,
            )
    for payload in stream.of_type("response.content_part.done"):
        given: Any = payload.data.get("part") if isinstance(payload.data.get("part"), dict) else {}
        key = (str(payload.data.get("item_id")), payload.data.get("content_index"))
        text_done = [d for i, p, _, _, d in parts if (i, p) == key and d is not None]
        if text_done and given.get("type") == "output_text" and given.get("text") != text_done[0].data.get("text"):
            yield Violation(
                f"Received: content_part.done text {excerpt(given.get('text'), 120)!r}\n"
                f"Expected: {excerpt(text_done[0].data.get('text'), 120)!r}, the output_text.done text",
                f"{payload.at} $.part.text",
            )


@check("responses.stream.arguments-add-up")
def arguments_add_up(stream: ResponseStream, ctx: Context) -> Iterator[Violation]:
    deltas: dict[str, list[Payload]] = defaultdict(list)
    done: dict[str, Payload] = {}
    for payload in stream.of_type(*ARGUMENT_EVENTS):
        item_id = str(payload.data.get("item_id"))
        (deltas[item_id].append(payload) if payload.type == ARGUMENT_EVENTS[0] else done.__setitem__(item_id, payload))
    if not deltas and not done:
        raise NotApplicable("the stream holds no function call arguments")
    for item_id in dict.fromkeys([*deltas, *done]):
        joined = "".join(p.data.get("delta") or "" for p in deltas.get(item_id, []))
        final = done.get(item_id)
        if final is None:
            yield Violation(
                f"Received: argument deltas for {item_id!r} and no function_call_arguments.done\n"
                "Expected: a .done event with the whole arguments",
                deltas[item_id][-1].at,
            )
        elif final.data.get("arguments") != joined and deltas.get(item_id):
            yield Violation(
                f"Received: deltas that join to {excerpt(joined, 120)!r}, done arguments "
                f"{excerpt(final.data.get('arguments'), 120)!r}\n"
                "Expected: the deltas concatenate to the .done arguments",
                final.at,
            )


@check("responses.stream.final-output")
def final_output(stream: ResponseStream, ctx: Context) -> Iterator[Violation]:
    """The final response holds what the stream built: each finished item, at its index, with the same text."""
    terminal, response = stream.final_response()
    output: list[Any] = response["output"] if isinstance(response.get("output"), list) else []
    finished = stream.of_type("response.output_item.done")
    if len(output) != len(finished):
        yield Violation(
            f"Received: {len(output)} output items in the final response, {len(finished)} output_item.done events\n"
            "Expected: the same items",
            f"{terminal.at} $.response.output",
        )
    for payload in finished:
        index, item = payload.data.get("output_index"), payload.data.get("item")
        final = output[index] if isinstance(index, int) and 0 <= index < len(output) else None
        if not isinstance(item, dict) or not isinstance(final, dict):
            continue
        for key in ("id", "type", "arguments", "name"):
            if key in item and final.get(key) != item.get(key):
                yield Violation(
                    f"Received: {key} {excerpt(final.get(key), 120)!r} in the final response\n"
                    f"Expected: {excerpt(item.get(key), 120)!r}, as in output_item.done",
                    f"{terminal.at} $.response.output[{index}].{key}",
                )
        streamed = [
            done.data.get("text")
            for _, _, kind, _, done in _text_parts(stream)
            if done is not None and kind == "response.output_text.delta" and done.data.get("item_id") == item.get("id")
        ]
        parts: list[Any] = final["content"] if isinstance(final.get("content"), list) else []
        texts = [p.get("text") for p in parts if isinstance(p, dict) and p.get("type") == "output_text"]
        if streamed and texts != streamed:
            yield Violation(
                f"Received: final text {excerpt(texts, 160)}\nExpected: {excerpt(streamed, 160)}, the streamed text",
                f"{terminal.at} $.response.output[{index}].content",
            )
