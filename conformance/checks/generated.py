"""Generated requests: what every answer to a request drawn from the schemas must be.

The subject is one operation's examples in one mode (`GeneratedExamples`). Each rule is written for one example
and run over all of them; a rule shows at most `SHOWN` failing examples (a broken server breaks it for every
example, and hundreds of identical failures help nobody), and every failure carries a curl line that reproduces
its request, the key read from the environment.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, Literal

from conformance.checks import completions, responses_stream
from conformance.checks.chat_stream import ChatStream, chunk_schema, done_last, event_json, framing
from conformance.checks.evidence import excerpt, received, schema_violations
from conformance.checks.rule import Context, Violation, check, first
from conformance.exceptions import NotApplicable
from conformance.exchange import Exchange
from conformance.generation import DEFAULT_RESPONSE_TIME_LIMIT

SHOWN = 5  # failing examples shown per rule, per operation and mode


@dataclass(frozen=True)
class GeneratedExchange:
    """One generated request and its answer, with the schemas the operation's document names for them."""

    exchange: Exchange
    operation: str  # "POST /chat/completions"
    mode: Literal["positive", "negative"]
    response_schema: str  # the 200 JSON body
    request_schema: str | None = None
    event_schema: str | None = None  # each event of a 200 text/event-stream
    error_schema: str = "error"

    @property
    def status(self) -> int | None:
        return self.exchange.response.status if self.exchange.response is not None else None


@dataclass(frozen=True)
class GeneratedExamples:
    """Every example of one operation in one mode, in the order they were sent."""

    operation: str
    mode: Literal["positive", "negative"]
    examples: tuple[GeneratedExchange, ...]

    @property
    def exchanges(self) -> tuple[Exchange, ...]:
        return tuple(e.exchange for e in self.examples)


Rule = Callable[[GeneratedExchange, Context], Iterator[Violation]]


def each(mode: Literal["positive", "negative"] | None = None) -> Callable[[Rule], Callable[..., Iterator[Violation]]]:
    """Run a per-example rule over every example (of `mode`, when given); violations name their exchange."""

    def wrap(rule: Rule) -> Callable[..., Iterator[Violation]]:
        def over(subject: GeneratedExamples, ctx: Context) -> Iterator[Violation]:
            if mode is not None and subject.mode != mode:
                raise NotApplicable(f"the rule judges {mode} examples; these are {subject.mode}")
            if not subject.examples:
                raise NotApplicable(f"no {subject.mode} example was generated for {subject.operation}")

            def violations() -> Iterator[Violation]:
                judged = 0
                for example in subject.examples:
                    try:
                        found = list(rule(example, ctx))
                    except NotApplicable:
                        continue
                    judged += 1
                    if found:
                        yield _with_request(found, example)
                if not judged:
                    raise NotApplicable(f"no {subject.mode} example of {subject.operation} had an answer to judge")

            yield from first(violations(), limit=SHOWN)

        over.__name__ = over.__qualname__ = rule.__name__
        over.__doc__ = rule.__doc__
        return over

    return wrap


def _with_request(found: list[Violation], example: GeneratedExchange) -> Violation:
    """The example's violations as one, with the request that reproduces them."""
    message = "\n".join(v.message for v in found[:3])
    if len(found) > 3:
        message += f"\n... and {len(found) - 3} more in this answer"
    return Violation(
        f"{message}\nRequest ({example.mode}, {example.operation}): {example.exchange.curl()}",
        found[0].at,
        example.exchange.index,
    )


def _answered(example: GeneratedExchange) -> int:
    """The status; NotApplicable when there is none or a 5xx (the connection and never-5xx rules judge those)."""
    status = example.status
    if status is None:
        raise NotApplicable("no response (generated.connection.intact judges that)")
    if status >= 500:
        raise NotApplicable("a 5xx (generated.status.never-5xx judges that)")
    return status


def _error_envelope(example: GeneratedExchange) -> Iterator[Violation]:
    response = example.exchange.response
    assert response is not None
    if response.json is None:
        yield Violation(f'{received(example.exchange)}\nExpected: a JSON error envelope {{"error": {{...}}}}')
        return
    yield from schema_violations(example.error_schema, response.json, limit=3)


def _request_mistake(example: GeneratedExchange) -> str:
    """What makes a negative example's request invalid, by our own schema."""
    from conformance import schemas

    body = example.exchange.request.json
    if body is None:
        return "a body that is not JSON"
    if example.request_schema is None:
        return "a wrong parameter"
    errors = schemas.validate(example.request_schema, body)
    return f"{errors[0].path}: {excerpt(errors[0].message, 120)}" if errors else "nothing our schema rejects"


# Positive mode ---------------------------------------------------------------------------------------------


@check("generated.valid.answered")
@each("positive")
def valid_answered(example: GeneratedExchange, ctx: Context) -> Iterator[Violation]:
    status = _answered(example)
    if 400 <= status < 500:
        yield from _error_envelope(example)  # a decline (generated.valid.accepted warns), but a well-formed one
        return
    if not 200 <= status < 300:
        yield Violation(f"{received(example.exchange)}\nExpected: 2xx for a valid request")
        return
    response = example.exchange.response
    assert response is not None
    request = example.exchange.request.json
    streamed = isinstance(request, dict) and request.get("stream") is True and example.event_schema is not None
    if streamed:
        yield from _stream_violations(example)
    elif response.json is None:
        yield Violation(f"{received(example.exchange)}\nExpected: a JSON `{example.response_schema}` body")
    else:
        yield from schema_violations(example.response_schema, response.json, limit=3)


def _stream_violations(example: GeneratedExchange) -> Iterator[Violation]:
    # A Responses stream ends with its terminal event, a chat stream with [DONE]: each has its own framing rules.
    responses = example.event_schema == responses_stream.EVENT_SCHEMA
    stream = (responses_stream.ResponseStream if responses else ChatStream).from_exchange(example.exchange)
    if stream.content_type != "text/event-stream":
        yield Violation(
            f"Received: content-type {stream.content_type!r}\nExpected: text/event-stream for `stream: true`"
        )
        return
    ctx = Context()
    rules: tuple[Any, ...] = (
        (responses_stream.event_json, responses_stream.event_schema, responses_stream.one_terminal)
        if responses
        else (framing, event_json, done_last, chunk_schema)
        if example.event_schema != "completion.chunk"
        else (framing, done_last, completions.chunk_schema)
    )
    for rule in rules:
        try:
            yield from rule(stream, ctx)
        except NotApplicable:
            continue


@check("generated.valid.accepted")
@each("positive")
def valid_accepted(example: GeneratedExchange, ctx: Context) -> Iterator[Violation]:
    status = _answered(example)
    if 400 <= status < 500:
        yield Violation(
            f"{received(example.exchange)}\n"
            "Expected: 2xx for a request valid by the schema (a server may decline a combination it does not "
            "support; this one was declined)"
        )


# Negative mode ---------------------------------------------------------------------------------------------


@check("generated.invalid.rejected")
@each("negative")
def invalid_rejected(example: GeneratedExchange, ctx: Context) -> Iterator[Violation]:
    status = _answered(example)
    if 200 <= status < 300:
        yield Violation(
            f"{received(example.exchange)}: the server accepted garbage\n"
            f"Expected: 4xx for an invalid request ({_request_mistake(example)})"
        )
    elif 400 <= status < 500:
        yield from _error_envelope(example)
    else:
        yield Violation(f"{received(example.exchange)}\nExpected: 4xx for an invalid request")


# Both modes ------------------------------------------------------------------------------------------------


@check("generated.status.never-5xx")
@each()
def never_5xx(example: GeneratedExchange, ctx: Context) -> Iterator[Violation]:
    status = example.status
    if status is None:
        raise NotApplicable("no response (generated.connection.intact judges that)")
    if status >= 500:
        yield Violation(f"{received(example.exchange)}\nExpected: never a 5xx, for a valid or an invalid request")


@check("generated.response.time-limit")
@each()
def response_time(example: GeneratedExchange, ctx: Context) -> Iterator[Violation]:
    limit = float(ctx.expect.get("response_time_limit", DEFAULT_RESPONSE_TIME_LIMIT))
    response = example.exchange.response
    if response is None:
        raise NotApplicable("no response (generated.connection.intact judges that)")
    if response.elapsed > limit:
        yield Violation(f"Received: the answer after {response.elapsed:.1f} s\nExpected: at most {limit:g} s")


@check("generated.connection.intact")
@each()
def connection(example: GeneratedExchange, ctx: Context) -> Iterator[Violation]:
    exchange = example.exchange
    if exchange.bound:  # the client stopped reading at a bound: not a broken connection (the stream rules judge)
        raise NotApplicable(f"the client stopped reading: {exchange.bound}")
    if exchange.response is None:
        yield Violation(f"Received: no response ({exchange.error})\nExpected: an HTTP answer")
    elif exchange.error:
        yield Violation(
            f"Received: {exchange.response.status}, then the connection broke mid-body ({exchange.error})\n"
            "Expected: a whole HTTP answer"
        )
