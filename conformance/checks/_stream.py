"""An event stream as received, the subject of the stream rules of chat, legacy completions and Responses.

Each API reads its own events (chunks and `[DONE]`, typed Responses events); how a stream is taken from an answer
or a captured body, and the two rules every stream has (a 200 `text/event-stream`, well-formed framing), are
written once here. Each family's rule keeps its own id in its own module and calls these.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Self

from conformance.checks.evidence import UNKNOWN_REQUEST, received
from conformance.checks.rule import Violation
from conformance.exceptions import NotApplicable
from conformance.exchange import Exchange
from conformance.sse import SseEvent, parse_events


@dataclass(frozen=True)
class EventStream:
    """A stream's SSE events, framing faults, content type, and the request that asked for it."""

    events: tuple[SseEvent, ...]
    faults: tuple[str, ...] = ()
    content_type: str = "text/event-stream"
    request: dict[str, Any] = field(default_factory=dict)
    exchange: Exchange | None = None
    request_known: bool = True  # False: a captured body alone (check-stream without --request)

    @classmethod
    def from_exchange(cls, exchange: Exchange) -> Self:
        response = exchange.response
        events, faults = parse_events(response.body if response is not None else b"")
        request = exchange.request.json if isinstance(exchange.request.json, dict) else {}
        content_type = response.content_type if response is not None else ""
        return cls(tuple(events), tuple(faults), content_type, request, exchange)

    @classmethod
    def from_bytes(cls, body: bytes, request: dict[str, Any] | None = None) -> Self:
        """A captured stream; without `request`, the rules that depend on what was asked do not judge it."""
        events, faults = parse_events(body)
        return cls(tuple(events), tuple(faults), "text/event-stream", request or {}, None, request is not None)

    def asked(self) -> dict[str, Any]:
        """The request that asked for the stream; NotApplicable when it is not known."""
        if not self.request_known:
            raise NotApplicable(UNKNOWN_REQUEST)
        return self.request


def content_type_violations(stream: EventStream) -> Iterator[Violation]:
    """A stream is a 200 answer of type text/event-stream (a captured body is taken to be one)."""
    response = stream.exchange.response if stream.exchange is not None else None
    if stream.exchange is not None and (response is None or response.status != 200):
        yield Violation(f"{received(stream.exchange)}\nExpected: 200 with a text/event-stream body")
    elif stream.content_type != "text/event-stream":
        yield Violation(f"Received: content-type {stream.content_type!r}\nExpected: 'text/event-stream'")


def framing_violations(stream: EventStream) -> Iterator[Violation]:
    """Each fault the SSE parser found in the stream's framing."""
    for fault in stream.faults:
        yield Violation(f"Received: {fault}\nExpected: events that follow the event-stream format")
