"""The Responses API's WebSocket mode, judged over a connection's transcript (`conformance.websocket.Transcript`).

The case sends one `response.create` at a time and waits for its terminal event (or an `error`), so the transcript
splits into turns. Each turn's events are the stream the same request would have had over SSE: they are judged by
the Responses stream rules themselves (`responses.stream.*`, the MUST ones that are not about SSE framing), through
`ResponseStream.from_events`, so the state machine of `responses.stream.item-order` is the one that runs.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from typing import Any

from conformance.checks.evidence import excerpt
from conformance.checks.realtime_session import Turn, turns
from conformance.checks.responses_stream import TERMINAL, ResponseStream
from conformance.checks.rule import CHECKS, Context, Violation, check
from conformance.exceptions import NotApplicable
from conformance.websocket import Transcript

# The stream rules that are about the HTTP answer or its SSE framing, not about the events.
FRAMING = frozenset({"responses.stream.content-type", "responses.stream.event-name"})
ENDS = frozenset({*TERMINAL, "error"})


@functools.cache
def stream_rules() -> tuple[str, ...]:
    from conformance.requirements import Level, catalogue

    return tuple(sorted(r.id for r in catalogue().values() if r.id.startswith("responses.stream.")
                        and r.level is Level.MUST and r.id not in FRAMING))  # fmt: skip


def _requests(transcript: Transcript) -> list[tuple[int, Turn]]:
    if transcript.status != 101:
        raise NotApplicable(f"no connection: {transcript.ending} (responses.websocket.answers' failure)")
    found = [(n, t) for n, t in enumerate(turns(transcript)) if t.sent.get("type") == "response.create"]
    if not found:
        raise NotApplicable("the connection sent no response.create")
    return found


def _terminal(turn: Turn) -> dict[str, Any] | None:
    return next((e for e in turn.answers if e.get("type") in ENDS), None)


def stream_of(turn: Turn) -> ResponseStream:
    """The turn's events as the stream POST /v1/responses with `stream: true` would have sent."""
    request = {k: v for k, v in turn.sent.items() if k not in ("type", "stream_id")} | {"stream": True}
    return ResponseStream.from_events(turn.answers, request)


@check("responses.websocket.stream")
def stream(transcript: Transcript, ctx: Context) -> Iterator[Violation]:
    for n, turn in _requests(transcript):
        end = _terminal(turn)
        if end is not None and end.get("type") == "error":
            continue  # a refused request has no stream (the case's other rules say whether it should have been)
        subject = stream_of(turn)
        for rid in stream_rules():
            try:
                found = list(CHECKS[rid](subject, ctx))
            except NotApplicable:
                continue
            for violation in found[:3]:
                yield violation._replace(message=f"{rid} (response.create #{n}): {violation.message}",
                                         at=f"response.create #{n} {violation.at}".strip())  # fmt: skip


@check("responses.websocket.several")
def several(transcript: Transcript, ctx: Context) -> Iterator[Violation]:
    found = _requests(transcript)
    if len(found) < 2:
        raise NotApplicable("one response.create: nothing follows it on the connection")
    for n, turn in found:
        if _terminal(turn) is None:
            kinds = [e.get("type") for e in turn.answers]
            yield Violation(f"Received: {excerpt(kinds[-5:], 160) if kinds else 'no event'} for response.create "
                            f"#{n} ({transcript.ending or 'the next request was sent'})\n"
                            "Expected: a terminal event (response.completed, .incomplete, .failed) "
                            "or an error")  # fmt: skip


def _response_id(turn: Turn) -> str | None:
    end = _terminal(turn)
    response = end.get("response") if end is not None and isinstance(end.get("response"), dict) else None
    ident = response.get("id") if response is not None else None
    return ident if isinstance(ident, str) else None


@check("responses.websocket.continues")
def continues(transcript: Transcript, ctx: Context) -> Iterator[Violation]:
    found = _requests(transcript)
    made = {ident for _, t in found if (ident := _response_id(t))}
    judged = 0
    for n, turn in found:
        previous = turn.sent.get("previous_response_id")
        if previous not in made:
            continue  # an unknown id: responses.websocket.unknown-previous
        judged += 1
        end = _terminal(turn)
        response: dict[str, Any] = end["response"] if end is not None and isinstance(end.get("response"), dict) \
            else {}  # fmt: skip
        if end is None or end.get("type") == "error" or response.get("previous_response_id") != previous:
            stored = "a store: false response" if any(t.sent.get("store") is False and _response_id(t) == previous
                                                      for _, t in found) else "a response"  # fmt: skip
            yield Violation(f"Received: {excerpt(end or 'no terminal event', 200)} for response.create #{n}\n"
                            f"Expected: a response continuing {previous} ({stored} of this connection), "
                            "its previous_response_id naming it")  # fmt: skip
    if not judged:
        raise NotApplicable("no response.create continued a response of the connection")


@check("responses.websocket.unknown-previous", case_bound=True)
def unknown_previous(transcript: Transcript, ctx: Context) -> Iterator[Violation]:
    found = _requests(transcript)
    made = {ident for _, t in found if (ident := _response_id(t))}
    unknown = [(n, t) for n, t in found if isinstance(t.sent.get("previous_response_id"), str)
               and t.sent["previous_response_id"] not in made]  # fmt: skip
    if not unknown:
        raise NotApplicable("no response.create named an unknown previous response")
    all_turns = turns(transcript)
    for n, turn in unknown:
        end = _terminal(turn)
        error = end.get("error") if end is not None and end.get("type") == "error" else None
        if not isinstance(error, dict) or not isinstance(error.get("message"), str):
            yield Violation(f"Received: {excerpt(end or 'no event', 200)} for previous_response_id "
                            f"{turn.sent['previous_response_id']!r}\nExpected: an error event")  # fmt: skip
            continue
        later = all_turns[n + 1 :]
        if later and not later[0].answers:
            yield Violation(f"Received: no answer to the request after the error ({transcript.ending or 'none'})\n"
                            "Expected: the connection stays open and answers")  # fmt: skip


@check("responses.websocket.answers")
def answers(transcript: Transcript, ctx: Context) -> Iterator[Violation]:
    if transcript.ending:
        yield Violation(f"Received: {transcript.ending}\nExpected: every response.create answered, on a connection "
                        "that stays open")  # fmt: skip
