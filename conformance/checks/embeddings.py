"""Embeddings: the list, input order, base64 encoding and `dimensions`."""

from __future__ import annotations

import base64
import binascii
import math
import struct
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from conformance.checks.evidence import answer, asked, declined, excerpt, schema_violations, status_violations
from conformance.checks.rule import Context, Violation, check
from conformance.exceptions import NotApplicable
from conformance.exchange import Exchange

SAME_VECTOR = 0.99  # cosine similarity: the API's own floats vary slightly from call to call


@dataclass(frozen=True)
class EmbeddingPair:
    """The same input embedded twice: once as floats, once as base64."""

    floats: Exchange
    encoded: Exchange

    @property
    def exchange(self) -> Exchange:
        return self.encoded


def decode_base64_vector(text: str) -> list[float]:
    """Little-endian float32, as the API and its SDKs read it."""
    raw = base64.b64decode(text, validate=True)
    if len(raw) % 4:
        raise ValueError(f"{len(raw)} bytes is not a whole number of float32 values")
    return list(struct.unpack(f"<{len(raw) // 4}f", raw))


def vectors(body: Any) -> list[Any]:
    data = body.get("data") if isinstance(body, dict) else None
    return [item.get("embedding") if isinstance(item, dict) else None for item in data or []]


def cosine(a: list[float], b: list[float]) -> float:
    norm = math.sqrt(sum(x * x for x in a)) * math.sqrt(sum(y * y for y in b))
    return sum(x * y for x, y in zip(a, b, strict=True)) / norm if norm else 0.0


def input_count(request: dict[str, Any]) -> int:
    value = request.get("input")
    if isinstance(value, list) and value and not all(isinstance(v, int) for v in value):
        return len(value)
    return 1


@check("embeddings.list.schema")
def list_schema(exchange: Exchange, ctx: Context) -> Iterator[Violation]:
    yield from schema_violations("embeddings.list", answer(exchange))


@check("embeddings.data.order")
def data_order(exchange: Exchange, ctx: Context) -> Iterator[Violation]:
    body = answer(exchange)
    data = body.get("data") if isinstance(body.get("data"), list) else []
    wanted = input_count(asked(exchange))
    if len(data) != wanted:
        yield Violation(f"Received: {len(data)} embeddings for {wanted} inputs\nExpected: one per input", "$.data")
    indices = [item.get("index") if isinstance(item, dict) else None for item in data]
    if indices != list(range(len(data))):
        yield Violation(f"Received: indices {indices}\nExpected: {list(range(len(data)))}, in input order", "$.data")


@check("embeddings.base64.decodes")
def base64_decodes(pair: EmbeddingPair, ctx: Context) -> Iterator[Violation]:
    floats, encoded = vectors(answer(pair.floats)), vectors(answer(pair.encoded))
    for n, (plain, text) in enumerate(zip(floats, encoded, strict=False)):
        at = f"$.data[{n}].embedding"
        if not isinstance(text, str):
            yield Violation(f"Received: {excerpt(text, 80)} for encoding_format base64\nExpected: a base64 string", at)
            continue
        try:
            decoded = decode_base64_vector(text)
        except (ValueError, binascii.Error) as exc:
            yield Violation(f"Received: {excerpt(text, 80)!r} ({exc})\nExpected: base64 of little-endian float32", at)
            continue
        if not isinstance(plain, list) or len(plain) != len(decoded):
            got = len(plain) if isinstance(plain, list) else plain
            yield Violation(
                f"Received: {len(decoded)} values decoded against {got} floats\nExpected: the same dimensions", at
            )
            continue
        similarity = cosine(decoded, plain)
        if not similarity >= SAME_VECTOR:
            yield Violation(
                f"Received: a decoded vector with cosine {similarity:.3f} to the float one "
                f"(first values {[round(v, 4) for v in decoded[:3]]} vs {plain[:3]})\n"
                "Expected: the same vector as encoding_format float (little-endian float32)",
                at,
            )
    if len(floats) != len(encoded):
        yield Violation(
            f"Received: {len(encoded)} base64 and {len(floats)} float embeddings\nExpected: as many", "$.data"
        )


@check("embeddings.dimensions.honoured")
def dimensions_honoured(exchange: Exchange, ctx: Context) -> Iterator[Violation]:
    wanted = asked(exchange).get("dimensions")
    if not isinstance(wanted, int):
        raise NotApplicable("the request sets no dimensions")
    declined(exchange, f"dimensions={wanted}")
    for n, vector in enumerate(vectors(answer(exchange))):
        try:
            values = decode_base64_vector(vector) if isinstance(vector, str) else vector
        except (ValueError, binascii.Error) as exc:
            yield Violation(
                f"Received: {excerpt(vector, 80)!r} ({exc})\nExpected: base64 of little-endian float32",
                f"$.data[{n}].embedding",
            )
            continue
        if not isinstance(values, list) or len(values) != wanted:
            got = len(values) if isinstance(values, list) else values
            yield Violation(f"Received: {got} dimensions\nExpected: {wanted}, as requested", f"$.data[{n}].embedding")


@check("embeddings.input.invalid", case_bound=True)
def invalid_input(exchange: Exchange, ctx: Context) -> Iterator[Violation]:
    yield from status_violations(exchange, 400, "an invalid embeddings `input`")
