"""Error answers: status codes for a client's mistakes, and the error envelope."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from conformance.checks import CASE_BOUND, Context, Violation, check
from conformance.checks._answer import received, schema_violations
from conformance.exceptions import NotApplicable
from conformance.exchange import Exchange


def expects_status(
    requirement_id: str, status: int, mistake: str, when: Callable[[dict[str, Any]], bool] | None = None
) -> None:
    """Register a check that `mistake` is answered with exactly `status`.

    `when` tells from the request whether it holds the mistake; without it only the case that made the mistake
    knows, and the rule is case-bound (it is not run over captured traffic).
    """
    if when is None:
        CASE_BOUND.add(requirement_id)

    @check(requirement_id)
    def status_check(exchange: Exchange, ctx: Context) -> Iterator[Violation]:
        request = exchange.request.json if isinstance(exchange.request.json, dict) else {}
        if when is not None and not when(request):
            raise NotApplicable(f"the request does not hold {mistake}")
        if exchange.response is None or exchange.response.status != status:
            yield Violation(f"{received(exchange)}\nExpected: status {status} for {mistake}")

    status_check.__name__ = status_check.__qualname__ = requirement_id.replace(".", "_").replace("-", "_")


expects_status("errors.auth.missing-key", 401, "a request without an API key")
expects_status("errors.auth.wrong-key", 401, "a request with a wrong API key")
expects_status("errors.model.unknown", 404, "an unknown model id")
expects_status("errors.request.missing-parameter", 400, "a missing required parameter")
expects_status("errors.request.wrong-type", 400, "a parameter of the wrong type")
expects_status("errors.request.out-of-range", 400, "a parameter out of its range")
expects_status("errors.request.malformed-json", 400, "a body that is not valid JSON")
expects_status("errors.route.unknown", 404, "an unknown route")
expects_status("models.retrieve.unknown", 404, "retrieving an unknown model id")
expects_status(
    "chat.stream.options-require-stream",
    400,
    "`stream_options` without `stream: true`",
    when=lambda r: r.get("stream_options") is not None and r.get("stream") is not True,
)
expects_status(
    "chat.token-limits.both-rejected",
    400,
    "`max_tokens` and `max_completion_tokens` together",
    when=lambda r: r.get("max_tokens") is not None and r.get("max_completion_tokens") is not None,
)
expects_status("embeddings.input.invalid", 400, "an invalid embeddings `input`")


def _error_object(exchange: Exchange) -> dict:
    if exchange.response is None or exchange.response.status < 400:
        raise NotApplicable("the answer is not an error")
    body = exchange.response.json
    error = body.get("error") if isinstance(body, dict) else None
    if not isinstance(error, dict):
        raise NotApplicable("the answer has no error object (errors.envelope.schema judges that)")
    return error


@check("errors.envelope.schema")
def envelope_schema(exchange: Exchange, ctx: Context) -> Iterator[Violation]:
    if exchange.response is None or exchange.response.status < 400:
        raise NotApplicable("the answer is not an error")
    body = exchange.response.json
    if body is None:
        yield Violation(f'{received(exchange)}\nExpected: a JSON body {{"error": {{"message", "type", ...}}}}')
        return
    yield from schema_violations("error", body)


@check("errors.status.never-422")
def never_422(exchange: Exchange, ctx: Context) -> Iterator[Violation]:
    if exchange.response is not None and exchange.response.status == 422:
        yield Violation(f"{received(exchange)}\nExpected: 400 invalid_request_error (the API never answers 422)")


@check("errors.status.never-5xx")
def never_5xx(exchange: Exchange, ctx: Context) -> Iterator[Violation]:
    if exchange.response is None:
        yield Violation(f"{received(exchange)}\nExpected: a 4xx answer to a client's mistake")
    elif exchange.response.status >= 500:
        yield Violation(f"{received(exchange)}\nExpected: a 4xx answer to a client's mistake, never a 5xx")


@check("errors.request.type")
def invalid_request_type(exchange: Exchange, ctx: Context) -> Iterator[Violation]:
    error = _error_object(exchange)
    if (
        exchange.response is not None
        and exchange.response.status == 400
        and error.get("type") != "invalid_request_error"
    ):
        yield Violation(f"Received: type {error.get('type')!r}\nExpected: type 'invalid_request_error'", "$.error.type")


@check("errors.request.param-named")
def param_named(exchange: Exchange, ctx: Context) -> Iterator[Violation]:
    expected = ctx.expect.get("param")
    if not expected:
        raise NotApplicable("the real API names no parameter for this mistake")
    error = _error_object(exchange)
    param = error.get("param")
    if param != expected:
        yield Violation(
            f"Received: param {param!r}\nExpected: param {expected!r}, as the real API gives", "$.error.param"
        )


@check("errors.model.unknown-code")
def unknown_model_code(exchange: Exchange, ctx: Context) -> Iterator[Violation]:
    error = _error_object(exchange)
    if error.get("code") != "model_not_found":
        yield Violation(f"Received: code {error.get('code')!r}\nExpected: code 'model_not_found'", "$.error.code")


@check("chat.stream.errors-before-stream")
def errors_before_stream(exchange: Exchange, ctx: Context) -> Iterator[Violation]:
    response = exchange.response
    if response is None or not 400 <= response.status < 500 or response.content_type != "application/json":
        ctype = response.content_type if response is not None else "none"
        yield Violation(
            f"{received(exchange)} (content-type {ctype})\n"
            "Expected: a 4xx JSON error, not a stream: errors known before generation are not sent as events"
        )
