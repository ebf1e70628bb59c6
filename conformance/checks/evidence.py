"""What every family's checks share: reading an answer (or saying why it can't be read), the evidence lines of a
message, and the rules that several families state the same way (timestamps, token usage, a declined option,
an expected error status)."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from typing import Any

from conformance import schemas
from conformance.checks.rule import Broken, Context, Violation
from conformance.exceptions import NotApplicable
from conformance.exchange import Exchange, excerpt


def received(exchange: Exchange) -> str:
    """`Received: <status> <body excerpt>` — the evidence line every status-related message starts with."""
    if exchange.response is None:
        return f"Received: no response ({exchange.error})"
    body = exchange.response.body.decode("utf-8", "replace")
    return f"Received: {exchange.response.status} {excerpt(body)}"


def answer(exchange: Exchange, status: int = 200) -> Any:
    """The parsed JSON body of an answer with `status`; `Broken` when the answer is something else."""
    if exchange.response is None or exchange.response.status != status:
        raise Broken(f"{received(exchange)}\nExpected: status {status}")
    body = exchange.response.json
    if body is None:
        raise Broken(f"{received(exchange)}\nExpected: a JSON body")
    return body


def cited_answer(exchange: Exchange) -> Any:
    """`answer(exchange)`, for a subject of several exchanges: a Broken that cites the exchange it is about."""
    try:
        return answer(exchange)
    except Broken as exc:
        broken = Broken(exc.violation.message, exc.violation.at)
        broken.violation = broken.violation._replace(exchange=exchange.index)
        raise broken from None


def cited(exchange: Exchange, violations: Iterator[Violation], prefix: str = "") -> Iterator[Violation]:
    """`violations` as shown by `exchange` (a subject of several exchanges says which one), their place under
    `prefix` when one is given."""
    for violation in violations:
        at = f"{prefix} {violation.at}".strip() if prefix else violation.at
        yield violation._replace(exchange=exchange.index, at=at)


def schema_violations(name: str, instance: Any, *, prefix: str = "$", limit: int = 8) -> Iterator[Violation]:
    """One violation per schema error (at most `limit`), located by JSON path under `prefix`."""
    errors = schemas.validate(name, instance)
    for error in errors[:limit]:
        at = prefix + error.path[1:] if error.path.startswith("$") else error.path
        yield Violation(
            f"Received: {excerpt(error.instance, 120)} ({error.message})\n"
            f"Expected: a valid `{name}` (schema rule `{error.keyword}`)",
            at,
            hint=drift_hint(error, at),
        )
    if len(errors) > limit:
        yield Violation(
            f"Received: {len(errors) - limit} more schema errors (the first {limit} are shown)\n"
            f"Expected: a valid `{name}`",
            prefix,
        )


DRIFT_HINT = "Possibly our schema is behind the API"
_DISCRIMINATORS = frozenset({"type", "object"})


def drift_hint(error: schemas.SchemaError, at: str) -> str:
    """A line saying when the evidence fits an API that moved on rather than a server that broke the rule: a
    value outside an enum, an unknown discriminator value, null where the schema wants a scalar (the API makes
    fields nullable as it grows). Empty otherwise: a missing key, a bad format, a wrong root, and a value of
    another type (an integer error `code` where the schema wants a string or null) are plainly the server's."""
    value = excerpt(json.dumps(error.instance, ensure_ascii=False), 60)
    if error.keyword == "enum":
        return f"{DRIFT_HINT}: new enum value {value} at {at}"
    if error.keyword == "const" and at.rsplit(".", 1)[-1] in _DISCRIMINATORS:
        return f"{DRIFT_HINT}: unknown discriminator value {value} at {at}"
    scalars_expected = not any(f"'{t}'" in error.message.rsplit("is not of type", 1)[-1] for t in ("object", "array"))
    if error.keyword == "type" and at not in ("$", "") and scalars_expected and error.instance is None:
        return f"{DRIFT_HINT}: a value of a new type ({value}) at {at}"
    return ""


Chunks = Sequence[tuple[int, dict[str, Any]]]  # a stream's parsed chunks with their event positions


def usage_chunk_violations(chunks: Chunks) -> Iterator[Violation]:
    """With `stream_options.include_usage`, exactly one chunk carries usage: the last, with `choices: []`
    (chat completions and legacy completions stream alike)."""
    with_usage = [(i, c) for i, c in chunks if c.get("usage") is not None]
    if len(with_usage) != 1:
        yield Violation(f"Received: {len(with_usage)} chunks with usage\nExpected: exactly one, the last chunk")
        return
    index, chunk = with_usage[0]
    if index != chunks[-1][0]:
        yield Violation(
            "Received: usage in a chunk that is not the last\nExpected: the usage chunk last before [DONE]",
            f"event {index}",
        )
    if chunk.get("choices") != []:
        yield Violation(
            f"Received: choices {excerpt(chunk.get('choices'), 120)} in the usage chunk\nExpected: choices []",
            f"event {index} $.choices",
        )


def unrequested_usage_violations(chunks: Chunks) -> Iterator[Violation]:
    """Without `stream_options.include_usage`, no chunk carries usage and none comes without choices."""
    for index, chunk in chunks:
        if chunk.get("usage") is not None or chunk.get("choices") == []:
            yield Violation(
                f"Received: {excerpt(chunk, 160)}\nExpected: no usage chunk (and no chunk without choices) "
                "unless stream_options.include_usage is true",
                f"event {index}",
            )
            return


def bound_hit(exchange: Exchange | None) -> str:
    """`; stopped reading: <the bound>` when the client stopped reading the answer at one of its bounds (an
    endless stream, a body past the size limit), else "": the evidence a stream's ending rules add."""
    return f"; stopped reading: {exchange.bound}" if exchange is not None and exchange.bound else ""


def is_error_answer(exchange: Exchange) -> bool:
    return exchange.response is not None and 400 <= exchange.response.status < 500


# Why a rule that depends on the request skips a captured stream whose request is not known.
UNKNOWN_REQUEST = "the request is not known (check-stream --request FILE judges this rule)"


def asked(exchange: Exchange) -> dict[str, Any]:
    """The JSON request body of an exchange (empty when it had none)."""
    body = exchange.request.json
    return body if isinstance(body, dict) else {}


def declined(exchange: Exchange, what: str) -> None:
    """A server may decline an optional feature with an explicit 4xx: that is a skip with a reason, not a pass."""
    if is_error_answer(exchange):
        raise NotApplicable(f"the server declined {what} explicitly ({received(exchange)})")


def status_violations(exchange: Exchange, status: int, mistake: str) -> Iterator[Violation]:
    """A request holding `mistake` is answered with exactly `status`."""
    if exchange.response is None or exchange.response.status != status:
        yield Violation(f"{received(exchange)}\nExpected: status {status} for {mistake}")


MILLISECONDS = 10**11  # a time above this is in milliseconds: seconds reach it in the year 5138
CLOCK_SKEW = 86_400


def created_violations(created: Any, ctx: Context, at: str = "$.created") -> Iterator[Violation]:
    """A creation time is an integer Unix time in seconds, near now when the answer was just received."""
    key = at.rsplit(".", 1)[-1]  # `created`, or the Responses API's `created_at`
    if not isinstance(created, int) or isinstance(created, bool):
        yield Violation(f"Received: {key} {created!r}\nExpected: an integer Unix time in seconds", at)
    elif created > MILLISECONDS:
        yield Violation(f"Received: {key} {created}, in milliseconds\nExpected: Unix time in seconds", at)
    elif ctx.live and ctx.now is not None and abs(created - ctx.now) > CLOCK_SKEW:
        yield Violation(
            f"Received: {key} {created}\nExpected: Unix seconds near the time of the request ({int(ctx.now)})", at
        )


CHAT_TOKENS = ("prompt_tokens", "completion_tokens")  # chat completions, embeddings
RESPONSES_TOKENS = ("input_tokens", "output_tokens")  # the Responses API


def usage_violations(usage: Any, at: str = "$.usage", parts: tuple[str, str] = CHAT_TOKENS) -> Iterator[Violation]:
    """Token counts are non-negative integers and `total_tokens` is the sum of the two `parts`."""
    if not isinstance(usage, dict):
        yield Violation(f"Received: usage {excerpt(usage)}\nExpected: an object with token counts", at)
        return
    counts: list[Any] = [usage.get(k) for k in (*parts, "total_tokens")]
    if not all(isinstance(v, int) and not isinstance(v, bool) and v >= 0 for v in counts):
        yield Violation(f"Received: usage {excerpt(usage, 200)}\nExpected: non-negative integer token counts", at)
        return
    first, second, total = counts
    if first + second != total:
        yield Violation(
            f"Received: {parts[0]} {first} + {parts[1]} {second} = {first + second}, total_tokens {total}\n"
            f"Expected: total_tokens = {parts[0]} + {parts[1]}",
            at,
        )
