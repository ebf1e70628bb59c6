"""Error answers: status codes for a client's mistakes, and the error envelope."""

from __future__ import annotations

from collections.abc import Iterator

from conformance.checks.evidence import received, schema_violations, status_violations
from conformance.checks.rule import Context, Violation, check
from conformance.exceptions import NotApplicable
from conformance.exchange import Exchange


@check("errors.auth.missing-key", case_bound=True)
def missing_key(exchange: Exchange, ctx: Context) -> Iterator[Violation]:
    yield from status_violations(exchange, 401, "a request without an API key")


@check("errors.auth.wrong-key", case_bound=True)
def wrong_key(exchange: Exchange, ctx: Context) -> Iterator[Violation]:
    yield from status_violations(exchange, 401, "a request with a wrong API key")


@check("errors.model.unknown", case_bound=True)
def unknown_model(exchange: Exchange, ctx: Context) -> Iterator[Violation]:
    yield from status_violations(exchange, 404, "an unknown model id")


@check("errors.request.missing-parameter", case_bound=True)
def missing_parameter(exchange: Exchange, ctx: Context) -> Iterator[Violation]:
    yield from status_violations(exchange, 400, "a missing required parameter")


@check("errors.request.wrong-type", case_bound=True)
def wrong_type(exchange: Exchange, ctx: Context) -> Iterator[Violation]:
    yield from status_violations(exchange, 400, "a parameter of the wrong type")


@check("errors.request.out-of-range", case_bound=True)
def out_of_range(exchange: Exchange, ctx: Context) -> Iterator[Violation]:
    yield from status_violations(exchange, 400, "a parameter out of its range")


@check("errors.request.malformed-json", case_bound=True)
def malformed_json(exchange: Exchange, ctx: Context) -> Iterator[Violation]:
    yield from status_violations(exchange, 400, "a body that is not valid JSON")


@check("errors.route.unknown", case_bound=True)
def unknown_route(exchange: Exchange, ctx: Context) -> Iterator[Violation]:
    yield from status_violations(exchange, 404, "an unknown route")


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
