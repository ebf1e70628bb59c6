"""Helpers that turn an exchange into the data a rule needs, or into a violation that says why it can't."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from conformance import schemas
from conformance.checks import Broken, Violation
from conformance.exchange import Exchange

EXCERPT = 300


def excerpt(data: Any, limit: int = EXCERPT) -> str:
    text = data if isinstance(data, str) else json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return text if len(text) <= limit else text[:limit] + f"... ({len(text)} chars)"


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


def schema_violations(name: str, instance: Any, *, prefix: str = "$", limit: int = 8) -> Iterator[Violation]:
    """One violation per schema error (at most `limit`), located by JSON path under `prefix`."""
    errors = schemas.validate(name, instance)
    for error in errors[:limit]:
        at = prefix + error.path[1:] if error.path.startswith("$") else error.path
        hint = drift_hint(error, at)
        yield Violation(
            f"Received: {excerpt(error.instance, 120)} ({error.message})\n"
            f"Expected: a valid `{name}` (schema rule `{error.keyword}`)" + (f"\n{hint}" if hint else ""),
            at,
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
    value outside an enum, an unknown discriminator value, a field whose value has a type the schema does not
    list. Empty otherwise (a missing key, a bad format, a wrong root are the server's)."""
    value = excerpt(json.dumps(error.instance, ensure_ascii=False), 60)
    if error.keyword == "enum":
        return f"{DRIFT_HINT}: new enum value {value} at {at}"
    if error.keyword == "const" and at.rsplit(".", 1)[-1] in _DISCRIMINATORS:
        return f"{DRIFT_HINT}: unknown discriminator value {value} at {at}"
    scalars_expected = not any(f"'{t}'" in error.message.rsplit("is not of type", 1)[-1] for t in ("object", "array"))
    if error.keyword == "type" and at not in ("$", "") and scalars_expected:
        return f"{DRIFT_HINT}: a value of a new type ({value}) at {at}"
    return ""


def is_error_answer(exchange: Exchange) -> bool:
    return exchange.response is not None and 400 <= exchange.response.status < 500
