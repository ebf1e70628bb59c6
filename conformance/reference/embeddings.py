"""`POST /v1/embeddings`: a deterministic unit vector per input item.

Each item (a string, or a list of token ids) is hashed with SHAKE-256; the digest, read as int16 values, gives
the full-length vector, normalized to unit length. `dimensions` keeps the first components and normalizes
again (as the real text-embedding-3 models shorten theirs). The floats sent are exactly float32 values, so the
`base64` encoding (little-endian float32) decodes to the very same numbers.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import json
import math
import sys
from array import array
from typing import Any

from starlette.responses import Response

from ._config import DEFAULT_DIMENSIONS, ServerConfig
from ._errors import invalid, model_not_found
from ._validation import (
    EMBEDDINGS_SCHEMA,
    INPUT_INVALID,
    bad_encoding_format,
    describe_embeddings,
    schema_errors,
    split_unknown,
    unrecognized,
    valid_embeddings_input,
)

MAX_TOKEN_ID = 100257
_BIG_ENDIAN_HOST = sys.byteorder == "big"


def validate(body: Any, config: ServerConfig) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise invalid("Invalid type for body: expected an object.", None, "invalid_type")
    model = body.get("model")
    if model == "":
        raise invalid("You must provide a model parameter.")
    if isinstance(model, str) and config.model(model) is None and not config.has("unknown-model-200"):
        raise model_not_found(model)
    kept, unknown = split_unknown(schema_errors(EMBEDDINGS_SCHEMA, body))
    # Token ids out of range have their own message; any other bad `input` is '$.input' is invalid.
    if valid_embeddings_input(body.get("input")):
        _check_token_ids(body["input"])
    if kept:
        raise describe_embeddings(kept[0])
    if unknown:
        raise unrecognized(unknown[:1])
    if not valid_embeddings_input(body.get("input")):
        raise invalid(INPUT_INVALID)
    _check_token_ids(body["input"])
    fmt = body.get("encoding_format")
    if fmt is not None and fmt not in ("float", "base64"):
        raise bad_encoding_format(fmt)
    dims = body.get("dimensions")
    if dims is not None:
        if not isinstance(dims, int) or isinstance(dims, bool):
            raise invalid(f"{dims!r} is not of type 'integer' - 'dimensions'")
        if dims < 1:
            raise invalid(f"{dims} is less than the minimum of 1 - 'dimensions'")
        limit = _model_dimensions(body, config)
        if dims > limit:
            raise invalid(
                f"Invalid 'dimensions': integer above maximum value. Expected a value <= {limit}, but got "
                f"{dims} instead.",
                "dimensions",
                "integer_above_max_value",
            )
    return body


def _check_token_ids(value: Any) -> None:
    for token in _token_ids(value):
        if not 0 <= token <= MAX_TOKEN_ID:
            raise invalid(
                f"Invalid token in prompt: {token}. Minimum value is 0, maximum value is {MAX_TOKEN_ID} (inclusive)."
            )


def _model_dimensions(body: dict[str, Any], config: ServerConfig) -> int:
    model = config.model(str(body.get("model")))
    return model.dimensions if model is not None else DEFAULT_DIMENSIONS


def _items(value: Any) -> list[Any]:
    if isinstance(value, str):
        return [value]
    if all(isinstance(v, int) for v in value):
        return [value]
    return list(value)


def _token_ids(value: Any) -> list[int]:
    if isinstance(value, str):
        return []
    out: list[int] = []
    for item in value:
        if isinstance(item, int):
            out.append(item)
        elif isinstance(item, list):
            out.extend(item)
    return out


def _key(item: Any) -> bytes:
    if isinstance(item, str):
        return b"s:" + item.encode()
    return b"t:" + ",".join(str(t) for t in item).encode()


@functools.lru_cache(maxsize=1024)
def _full(key: bytes, size: int) -> tuple[float, ...]:
    raw = array("h", hashlib.shake_256(key).digest(2 * size))
    if _BIG_ENDIAN_HOST:
        raw.byteswap()
    return tuple(v + 0.5 for v in raw)


@functools.lru_cache(maxsize=1024)
def vector(key: bytes, size: int, dims: int) -> tuple[list[float], str, str]:
    """(the float32 values as floats, the same as JSON, their base64 little-endian float32) for one item.

    Cached with the JSON text: encoding 1536 floats is most of the cost of an answer.
    """
    values = _full(key, size)[:dims]
    norm = math.sqrt(math.fsum(v * v for v in values))
    packed = array("f", (v / norm for v in values))
    floats = packed.tolist()
    if _BIG_ENDIAN_HOST:
        packed.byteswap()
    return floats, json.dumps(floats), json.dumps(base64.b64encode(packed.tobytes()).decode())


def _big_endian(floats: list[float]) -> str:
    packed = array("f", floats)
    if not _BIG_ENDIAN_HOST:
        packed.byteswap()
    return base64.b64encode(packed.tobytes()).decode()


def _count(item: Any) -> int:
    return max(1, len(item.split())) if isinstance(item, str) else len(item)


def embed(body: dict[str, Any], config: ServerConfig) -> Response:
    items = _items(body["input"])
    size = _model_dimensions(body, config)
    dims = body.get("dimensions")
    if dims is None or config.has("dimensions-ignored"):
        dims = size
    base64_wanted = body.get("encoding_format") == "base64" and not config.has("base64-ignored")
    data = []
    for index, item in enumerate(items):
        floats, as_json, as_base64 = vector(_key(item), size, dims)
        embedding = as_json
        if base64_wanted:
            embedding = json.dumps(_big_endian(floats)) if config.has("base64-big-endian") else as_base64
        data.append(f'{{"object":"embedding","index":{index},"embedding":{embedding}}}')
    if config.has("embeddings-reversed"):
        data.reverse()
    tokens = sum(_count(item) for item in items)
    model = "" if config.has("model-empty") else body["model"]
    usage = {"prompt_tokens": tokens, "total_tokens": tokens}
    # Assembled by hand around the cached JSON of each vector.
    listed = "" if config.has("missing-field") else f'"data":[{",".join(data)}],'
    answer = f'{{"object":"list",{listed}"model":{json.dumps(model)},"usage":{json.dumps(usage)}}}'
    return Response(answer.encode(), media_type="application/json")
