"""Hostile JSON and hostile text: what a server sends is read strictly and shown safely, never a crash."""

from __future__ import annotations

import pytest

from conformance import jsonvalue
from conformance.exchange import Exchange, printable
from conformance.sse import SseEvent


@pytest.mark.parametrize(
    "text",
    ["NaN", '{"x": Infinity}', "[-Infinity]", '{"n": 1e999}', "[" * 100_000 + "]" * 100_000, b"\xff\xfe{}", "<html>"],
    ids=["NaN", "Infinity", "-Infinity", "beyond a double", "nested 100000 deep", "not UTF-8", "HTML"],
)
def test_what_is_not_json_is_a_value_error(text: str | bytes) -> None:
    with pytest.raises(ValueError):
        jsonvalue.parse(text)


def test_json_is_read_as_json() -> None:
    assert jsonvalue.parse(b'{"a": [1, 2.5, null, "\\u00e9"], "a": true}') == {"a": True}  # the last duplicate


def test_a_hostile_body_is_no_json_not_a_crash() -> None:
    deep = ("[" * 50_000 + "]" * 50_000).encode()
    exchange = Exchange.build(method="GET", url="http://h/v1/models", request_headers={}, request_body=b"",
                              status=200, response_headers={"content-type": "application/json"},
                              response_body=deep)  # fmt: skip
    assert exchange.response is not None and exchange.response.json is None
    with pytest.raises(ValueError):
        SseEvent(data='{"x": NaN}').json()


def test_printable_escapes_what_a_terminal_or_xml_would_act_on() -> None:
    assert printable("a\x1b[31mred\x07\tok\nline\ud800\x85é") == "a\\x1b[31mred\\x07\tok\nline\\ud800\\x85é"
