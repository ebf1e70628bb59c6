"""Error answers: status codes for a client's mistakes, the error envelope, and the type and code the real API gives
each situation (a missing or wrong key, an unknown model or object, a prompt too long, a rate limit)."""

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


@check("errors.auth.missing-key-code", case_bound=True)
def missing_key_code(exchange: Exchange, ctx: Context) -> Iterator[Violation]:
    # The real API says null; seed 001 names invalid_api_key for "invalid authentication": a client cannot be
    # misled by either, while "missing_api_key" or "401" match nothing a client of the API knows.
    code = _error_object(exchange).get("code")
    if code not in (None, "invalid_api_key"):
        yield Violation(
            f"Received: code {code!r}\nExpected: code null, as the real API refuses a request without a key "
            "(or 'invalid_api_key')",
            "$.error.code",
        )


@check("errors.auth.wrong-key-code", case_bound=True)
def wrong_key_code(exchange: Exchange, ctx: Context) -> Iterator[Violation]:
    code = _error_object(exchange).get("code")
    if code != "invalid_api_key":
        yield Violation(f"Received: code {code!r}\nExpected: code 'invalid_api_key'", "$.error.code")


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


@check("errors.object.unknown", case_bound=True)
def unknown_object(exchange: Exchange, ctx: Context) -> Iterator[Violation]:
    yield from status_violations(exchange, 404, "an object id the server never issued")


@check("errors.request.context-length", case_bound=True)
def context_length(exchange: Exchange, ctx: Context) -> Iterator[Violation]:
    if exchange.response is None or exchange.response.status != 400:
        yield Violation(
            f"{received(exchange)}\nExpected: 400 context_length_exceeded for a prompt longer than the model's "
            "context (refused before any generation, as the real API does)"
        )
        return
    body = exchange.response.json
    error = body.get("error") if isinstance(body, dict) else None
    code = error.get("code") if isinstance(error, dict) else None
    if code != "context_length_exceeded":
        yield Violation(f"Received: code {code!r}\nExpected: code 'context_length_exceeded'", "$.error.code")


# What a 429 of the real API says: too many requests or tokens for the limits, or no money left (the only one a
# client must not retry: it reads the code to tell them apart).
RATE_LIMIT_CODES = ("rate_limit_exceeded", "insufficient_quota")


@check("errors.rate-limit.code")
def rate_limit_code(exchange: Exchange, ctx: Context) -> Iterator[Violation]:
    if exchange.response is None or exchange.response.status != 429:
        raise NotApplicable("the answer is not a 429 (no run provokes one; a 429 that outlived the retries is judged)")
    body = exchange.response.json
    error = body.get("error") if isinstance(body, dict) else None
    if not isinstance(error, dict):
        yield Violation(f"{received(exchange)}\nExpected: an error object with code 'rate_limit_exceeded' or "
                        "'insufficient_quota'")
        return
    code = error.get("code")
    if code not in RATE_LIMIT_CODES:
        yield Violation(
            f"Received: code {code!r}\nExpected: code 'rate_limit_exceeded' or 'insufficient_quota'", "$.error.code"
        )
    elif code == "insufficient_quota" and error.get("type") != "insufficient_quota":
        yield Violation(
            f"Received: type {error.get('type')!r} with code 'insufficient_quota'\n"
            "Expected: type 'insufficient_quota', as the real API gives",
            "$.error.type",
        )


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


# The statuses whose every recorded or documented error has type invalid_request_error: validation (400), a
# missing or wrong key (401), an unknown model, object or route (404). 429s and 5xx have types of their own.
INVALID_REQUEST_STATUSES = (400, 401, 404)


@check("errors.request.type")
def invalid_request_type(exchange: Exchange, ctx: Context) -> Iterator[Violation]:
    error = _error_object(exchange)
    status = exchange.response.status if exchange.response is not None else None
    if status not in INVALID_REQUEST_STATUSES:
        raise NotApplicable(f"a {status} is not one of the statuses the real API types invalid_request_error")
    if error.get("type") != "invalid_request_error":
        yield Violation(
            f"Received: {status} with type {error.get('type')!r}\nExpected: type 'invalid_request_error'",
            "$.error.type",
        )


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
