"""JSON as the API means it: RFC 8259 text, nothing Python's parser accepts beyond it.

`json.loads` takes `NaN` and `Infinity`, turns `1e999` into infinity, and raises RecursionError (not ValueError)
on a body nested thousands deep. A server under test may send any of them; every part of the suite that reads
a server's JSON goes through `parse`, which refuses them all with a ValueError, so a hostile body is a failure
of the rule that wanted JSON, never a crash of the suite.
"""

from __future__ import annotations

import json
import math
from typing import Any


def _constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"the number {text[:40]} is beyond the range of a double")
    return value


# One decoder for every parse: json.loads with hooks builds a decoder (and its scanner) per call.
_DECODER = json.JSONDecoder(parse_constant=_constant, parse_float=_finite)


def parse(text: str | bytes | bytearray) -> Any:
    """The value of a JSON text; ValueError (UnicodeDecodeError for bytes that are not UTF-8) when it is not one."""
    # What json.loads does before decoding: bytes in the encoding they announce, a str with a BOM refused.
    if isinstance(text, (bytes, bytearray)):
        text = text.decode(json.detect_encoding(text), "surrogatepass")
    elif text.startswith("\ufeff"):
        raise json.JSONDecodeError("Unexpected UTF-8 BOM (decode using utf-8-sig)", text, 0)
    try:
        return _DECODER.decode(text)
    except RecursionError:
        raise ValueError("JSON nested too deep to read") from None


def copied(value: Any) -> Any:
    """A deep copy of a JSON value (what a server stores and answers must not share objects with the request)."""
    return json.loads(json.dumps(value))
