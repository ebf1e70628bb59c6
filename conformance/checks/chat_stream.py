"""Chat completion streams: the event stream of `chat.completion.chunk` objects that ends with `data: [DONE]`."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterator, Sequence
from functools import cached_property
from typing import Any

from conformance import jsonvalue
from conformance.checks._stream import EventStream, content_type_violations, framing_violations
from conformance.checks.chat import arguments_violation
from conformance.checks.evidence import (
    asked,
    bound_hit,
    created_violations,
    excerpt,
    received,
    schema_violations,
    status_violations,
    unrequested_usage_violations,
    usage_chunk_violations,
    usage_violations,
)
from conformance.checks.rule import Context, Violation, check, first
from conformance.exceptions import NotApplicable
from conformance.exchange import Exchange


class ChatStream(EventStream):
    """A chat stream as received: its SSE events, framing faults, content type and the request that asked for it."""

    @classmethod
    def from_chunks(cls, chunks: Sequence[dict[str, Any]], request: dict[str, Any] | None = None) -> ChatStream:
        """A stream rebuilt from parsed chunks (the recordings keep chunks, not the SSE framing) and `[DONE]`."""
        body = b"".join(b"data: " + json.dumps(c).encode() + b"\n\n" for c in chunks) + b"data: [DONE]\n\n"
        return cls.from_bytes(body, request or {})

    @cached_property
    def done_index(self) -> int | None:
        return next((e.index for e in self.events if e.is_done), None)

    @cached_property
    def chunks(self) -> list[tuple[int, dict[str, Any]]]:
        """(event index, chunk) for every event before `[DONE]` whose data is a JSON object."""
        out = []
        for event in self.events:
            if event.is_done:
                break
            try:
                data = jsonvalue.parse(event.data)
            except ValueError:
                continue
            if isinstance(data, dict):
                out.append((event.index, data))
        return out

    def choice_deltas(self) -> dict[int, list[tuple[int, dict[str, Any]]]]:
        """Per choice index, (event index, choice object) in stream order."""
        out: dict[int, list[tuple[int, dict[str, Any]]]] = defaultdict(list)
        for index, chunk in self.chunks:
            for choice in chunk.get("choices") or []:
                if isinstance(choice, dict) and isinstance(choice.get("index"), int):
                    out[choice["index"]].append((index, choice))
        return out

    @property
    def usage_requested(self) -> bool:
        options = self.asked().get("stream_options")
        return isinstance(options, dict) and options.get("include_usage") is True


def _events(stream: ChatStream) -> ChatStream:
    if not stream.events:
        raise NotApplicable("the stream holds no event (chat.stream.done-last judges that)")
    return stream


@check("chat.stream.content-type")
def content_type(stream: ChatStream, ctx: Context) -> Iterator[Violation]:
    yield from content_type_violations(stream)


@check("chat.stream.framing")
def framing(stream: ChatStream, ctx: Context) -> Iterator[Violation]:
    yield from framing_violations(stream)


@check("chat.stream.event-json")
def event_json(stream: ChatStream, ctx: Context) -> Iterator[Violation]:
    def problems() -> Iterator[Violation]:
        for event in _events(stream).events:
            if event.is_done:
                return
            try:
                data = jsonvalue.parse(event.data)
            except ValueError:
                yield Violation(
                    f"Received: data {excerpt(event.data, 120)!r}\nExpected: a JSON object or [DONE]",
                    f"event {event.index}",
                )
                continue
            if not isinstance(data, dict):
                yield Violation(
                    f"Received: data {excerpt(event.data, 120)}\nExpected: a JSON object", f"event {event.index}"
                )

    yield from first(problems())


@check("chat.stream.done-last")
def done_last(stream: ChatStream, ctx: Context) -> Iterator[Violation]:
    if stream.done_index is None:
        yield Violation(
            f"Received: {len(stream.events)} events and no `data: [DONE]`{bound_hit(stream.exchange)}\n"
            "Expected: `data: [DONE]` last"
        )
    elif stream.done_index != len(stream.events) - 1:
        after = len(stream.events) - 1 - stream.done_index
        yield Violation(
            f"Received: {after} events after [DONE], "
            f"first {excerpt(stream.events[stream.done_index + 1].data, 120)!r}\n"
            "Expected: nothing after `data: [DONE]`",
            f"event {stream.done_index + 1}",
        )


@check("chat.stream.chunk-schema")
def chunk_schema(stream: ChatStream, ctx: Context) -> Iterator[Violation]:
    def problems() -> Iterator[Violation]:
        for index, chunk in _events(stream).chunks:
            yield from schema_violations("chat.completion.chunk", chunk, prefix=f"event {index} $", limit=3)

    yield from first(problems())


@check("chat.stream.same-identity")
def same_identity(stream: ChatStream, ctx: Context) -> Iterator[Violation]:
    chunks = _events(stream).chunks
    for key in ("id", "created", "model"):
        values = list(dict.fromkeys(json.dumps(c.get(key)) for _, c in chunks))
        if len(values) > 1:
            at = next(i for i, c in chunks if json.dumps(c.get(key)) == values[1])
            yield Violation(
                f"Received: {len(values)} different `{key}` values ({', '.join(values[:3])})\n"
                f"Expected: one `{key}` in every chunk",
                f"event {at} $.{key}",
            )


@check("chat.stream.created-seconds")
def stream_created(stream: ChatStream, ctx: Context) -> Iterator[Violation]:
    chunks = _events(stream).chunks
    if not chunks:
        raise NotApplicable("no JSON chunk")
    index, chunk = chunks[0]
    yield from created_violations(chunk.get("created"), ctx, f"event {index} $.created")


@check("chat.stream.role-first")
def role_first(stream: ChatStream, ctx: Context) -> Iterator[Violation]:
    for choice, deltas in sorted(_events(stream).choice_deltas().items()):
        index, item = deltas[0]
        role = (item.get("delta") or {}).get("role")
        if role != "assistant":
            yield Violation(
                f"Received: role {role!r} in the first delta of choice {choice}\nExpected: 'assistant'",
                f"event {index} $.choices[{choice}].delta.role",
            )


@check("chat.stream.role-once")
def role_once(stream: ChatStream, ctx: Context) -> Iterator[Violation]:
    def problems() -> Iterator[Violation]:
        for choice, deltas in sorted(_events(stream).choice_deltas().items()):
            for index, item in deltas[1:]:
                if "role" in (item.get("delta") or {}):
                    yield Violation(
                        f"Received: role again in a later delta of choice {choice}\n"
                        "Expected: role in the first delta only",
                        f"event {index} $.delta.role",
                    )

    yield from first(problems(), 3)


@check("chat.stream.finish-reason-once")
def finish_reason_once(stream: ChatStream, ctx: Context) -> Iterator[Violation]:
    for choice, deltas in sorted(_events(stream).choice_deltas().items()):
        finishes = [(i, d.get("finish_reason")) for i, d in deltas if d.get("finish_reason") is not None]
        if len(finishes) != 1:
            yield Violation(
                f"Received: {len(finishes)} non-null finish_reason values for choice {choice} "
                f"({[f for _, f in finishes]})\nExpected: exactly one, in the choice's last chunk",
                f"event {finishes[1][0] if len(finishes) > 1 else deltas[-1][0]}",
            )
            continue
        at, _ = finishes[0]
        later = [
            i
            for i, d in deltas
            if i > at and ((d.get("delta") or {}).get("content") or (d.get("delta") or {}).get("tool_calls"))
        ]
        if later:
            yield Violation(
                f"Received: content for choice {choice} after its finish_reason\n"
                "Expected: finish_reason in the choice's last chunk",
                f"event {later[0]}",
            )


@check("chat.stream.max-tokens-length")
def stream_cut(stream: ChatStream, ctx: Context) -> Iterator[Violation]:
    if not any(isinstance(stream.asked().get(k), int) for k in ("max_tokens", "max_completion_tokens")):
        raise NotApplicable("the request sets no token limit")
    for choice, deltas in sorted(_events(stream).choice_deltas().items()):
        reasons = [(i, d.get("finish_reason")) for i, d in deltas if d.get("finish_reason") is not None]
        if not reasons or reasons[-1][1] != "length":
            got = reasons[-1][1] if reasons else None
            yield Violation(
                f"Received: finish_reason {got!r} for choice {choice} with a token limit\n"
                "Expected: 'length' when the limit cut the output",
                f"event {reasons[-1][0] if reasons else deltas[-1][0]}",
            )


def _usage_chunks(stream: ChatStream) -> list[tuple[int, dict[str, Any]]]:
    return [(i, c) for i, c in stream.chunks if c.get("usage") is not None]


@check("chat.stream.usage-last")
def usage_last(stream: ChatStream, ctx: Context) -> Iterator[Violation]:
    if not _events(stream).usage_requested:
        raise NotApplicable("the request does not set stream_options.include_usage")
    yield from usage_chunk_violations(stream.chunks)


@check("chat.stream.usage-adds-up")
def stream_usage_adds_up(stream: ChatStream, ctx: Context) -> Iterator[Violation]:
    with_usage = _usage_chunks(_events(stream))
    if not with_usage:
        raise NotApplicable("no chunk carries usage")
    for index, chunk in with_usage:
        yield from usage_violations(chunk["usage"], f"event {index} $.usage")


@check("chat.stream.no-usage-unrequested")
def no_usage_unrequested(stream: ChatStream, ctx: Context) -> Iterator[Violation]:
    if _events(stream).usage_requested:
        raise NotApplicable("the request asks for usage")
    yield from unrequested_usage_violations(stream.chunks)


# Tool-call deltas ----------------------------------------------------------------------------------------------


def tool_call_deltas(stream: ChatStream) -> list[tuple[int, int, dict[str, Any]]]:
    """(event index, choice index, tool-call delta) in stream order."""
    out = []
    for choice, deltas in sorted(stream.choice_deltas().items()):
        for index, item in deltas:
            for call in (item.get("delta") or {}).get("tool_calls") or []:
                out.append((index, choice, call if isinstance(call, dict) else {}))
    if not out:
        raise NotApplicable("the stream holds no tool-call delta")
    return out


@check("chat.tools.stream-index")
def stream_tool_index(stream: ChatStream, ctx: Context) -> Iterator[Violation]:
    def problems() -> Iterator[Violation]:
        for index, choice, call in tool_call_deltas(_events(stream)):
            if not isinstance(call.get("index"), int) or isinstance(call.get("index"), bool):
                yield Violation(
                    f"Received: tool-call delta {excerpt(call, 120)}\nExpected: an integer `index`",
                    f"event {index} $.choices[{choice}].delta.tool_calls",
                )

    yield from first(problems(), 3)


@check("chat.tools.stream-first-delta")
def stream_first_delta(stream: ChatStream, ctx: Context) -> Iterator[Violation]:
    seen: dict[tuple[int, Any], Any] = {}
    for index, choice, call in tool_call_deltas(_events(stream)):
        key = (choice, call.get("index"))
        function: dict[str, Any] = call["function"] if isinstance(call.get("function"), dict) else {}
        if key not in seen:
            seen[key] = call.get("id")
            missing = [
                n
                for n, v in (
                    ("id", call.get("id")),
                    ("type", call.get("type")),
                    ("function.name", function.get("name")),
                )
                if not v
            ]
            if missing:
                yield Violation(
                    f"Received: a first delta for tool call {key[1]} without {', '.join(missing)}\n"
                    "Expected: id, type and function.name in the first delta of each call",
                    f"event {index}",
                )
        elif call.get("id") and call.get("id") != seen[key]:
            yield Violation(
                f"Received: a second call ({call.get('id')!r}) at index {key[1]}\n"
                "Expected: distinct indices for distinct calls",
                f"event {index}",
            )


@check("chat.tools.stream-arguments-json")
def stream_arguments(stream: ChatStream, ctx: Context) -> Iterator[Violation]:
    joined: dict[tuple[int, Any], list[str]] = defaultdict(list)
    for _, choice, call in tool_call_deltas(_events(stream)):
        piece = (call.get("function") or {}).get("arguments") if isinstance(call.get("function"), dict) else None
        if piece is not None and not isinstance(piece, str):
            yield Violation(f"Received: arguments fragment {excerpt(piece, 120)}\nExpected: string fragments")
            return
        joined[(choice, call.get("index"))].append(piece or "")
    for (choice, index), pieces in joined.items():
        violation = arguments_violation("".join(pieces), f"choice {choice} tool call {index} arguments")
        if violation:
            yield violation


# Rules about the request and its answer rather than a stream body: a captured body alone cannot show them.
REQUEST_RULES = frozenset({"chat.stream.options-require-stream", "chat.stream.errors-before-stream"})


@check("chat.stream.options-require-stream")
def options_require_stream(exchange: Exchange, ctx: Context) -> Iterator[Violation]:
    request = asked(exchange)
    if request.get("stream_options") is None or request.get("stream") is True:
        raise NotApplicable("the request does not hold `stream_options` without `stream: true`")
    yield from status_violations(exchange, 400, "`stream_options` without `stream: true`")


@check("chat.stream.errors-before-stream")
def errors_before_stream(exchange: Exchange, ctx: Context) -> Iterator[Violation]:
    response = exchange.response
    if response is None or not 400 <= response.status < 500 or response.content_type != "application/json":
        ctype = response.content_type if response is not None else "none"
        yield Violation(
            f"{received(exchange)} (content-type {ctype})\n"
            "Expected: a 4xx JSON error, not a stream: errors known before generation are not sent as events"
        )
