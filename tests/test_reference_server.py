"""The bundled reference server: it speaks the API correctly, and each fault breaks exactly what it says.

The happy paths run against a real port (`serve()`); the error taxonomy and the faults run in process through
httpx's ASGI transport (fast: one app per fault configuration, built once).
"""

from __future__ import annotations

import asyncio
import base64
import functools
import importlib
import json
import math
import socket
import struct
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import jsonschema
import pytest

from conformance import schemas
from conformance.case import LONG_PROMPT, SMALLEST_OUTPUT
from conformance.cli import main
from conformance.reference import FAULTS, RunningServer, ServerConfig, create_app, serve, serve_apart
from conformance.sse import parse_events

KEY = "sk-test-reference-0123456789"
AUTH = {"Authorization": f"Bearer {KEY}"}
CHAT = "gpt-4o-mini"
EMBED = "text-embedding-3-small"
HELLO = [{"role": "user", "content": "Hello there brave new world"}]
WEATHER = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "parameters": {
            "type": "object",
            "properties": {
                "city": {"type": "string"},
                "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]},
                "days": {"type": "integer", "minimum": 1},
                "detail": {
                    "type": "object",
                    "properties": {"hourly": {"type": "boolean"}},
                    "required": ["hourly"],
                },
            },
            "required": ["city", "unit", "days", "detail"],
            "additionalProperties": False,
        },
    },
}
TIME = {
    "type": "function",
    "function": {
        "name": "get_time",
        "parameters": {"type": "object", "properties": {"zone": {"type": "string"}}, "required": ["zone"]},
    },
}


# --- helpers ------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def server() -> Iterator[RunningServer]:
    with serve(ServerConfig(api_key=KEY)) as running:
        yield running


@pytest.fixture(scope="module")
def client(server: RunningServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.base_url, headers=AUTH, timeout=10) as http:
        yield http


@functools.cache
def _app(faults: frozenset[str]) -> Any:
    return create_app(ServerConfig(api_key=KEY, faults=faults))


def call(
    method: str,
    path: str,
    body: Any = None,
    *,
    faults: frozenset[str] = frozenset(),
    headers: dict[str, str] | None = None,
    content: bytes | None = None,
) -> httpx.Response:
    """One request to an in-process app (the ASGI transport buffers streams, which is fine here)."""

    async def go() -> httpx.Response:
        transport = httpx.ASGITransport(app=_app(faults))
        async with httpx.AsyncClient(transport=transport, base_url="http://reference/v1") as http:
            return await http.request(
                method, path, json=body, content=content, headers=AUTH if headers is None else headers
            )

    return asyncio.run(go())


def chat(body: dict[str, Any], **kwargs: Any) -> httpx.Response:
    return call("POST", "/chat/completions", {"model": CHAT, "messages": HELLO, **body}, **kwargs)


def chunks_of(response: httpx.Response) -> list[dict[str, Any]]:
    events, faults = parse_events(response.content)
    assert not faults
    return [e.json() for e in events if not e.is_done]


def data_of(response: httpx.Response) -> list[str]:
    events, _ = parse_events(response.content)
    return [e.data for e in events]


def conforms(name: str, instance: Any) -> None:
    errors = schemas.validate(name, instance)
    assert not errors, [str(e) for e in errors]


def decode(encoded: str, fmt: str = "<") -> list[float]:
    raw = base64.b64decode(encoded)
    return list(struct.unpack(f"{fmt}{len(raw) // 4}f", raw))


def norm(vector: list[float]) -> float:
    return math.sqrt(sum(v * v for v in vector))


# --- models -------------------------------------------------------------------------------------------------


def test_models_list_and_retrieve(client: httpx.Client) -> None:
    listed = client.get("/models")
    assert listed.status_code == 200
    body = listed.json()
    conforms("models.list", body)
    ids = [m["id"] for m in body["data"]]
    assert ids == [
        "gpt-4o-mini",
        "text-embedding-3-small",
        "ref-chat",
        "ref-embed",
        "gpt-3.5-turbo-instruct",
        "omni-moderation-latest",
        # audio
        "gpt-4o-mini-tts",
        "tts-1",
        "whisper-1",
        "gpt-4o-mini-transcribe",
        "gpt-4o-transcribe",
        "gpt-realtime",  # transports
    ]
    for model in body["data"]:
        assert model["object"] == "model" and model["owned_by"] == "oai-conformance"
        assert isinstance(model["created"], int)
        assert client.get(f"/models/{model['id']}").json() == model


def test_unknown_model_retrieve_is_404(client: httpx.Client) -> None:
    response = client.get("/models/nope-model")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "model_not_found"
    conforms("error", response.json())


@pytest.mark.parametrize(
    "model",
    ["gpt-4o-mini", "text-embedding-3-small", "ref-chat", "ref-embed", "gpt-3.5-turbo-instruct",
     "omni-moderation-latest"],
)  # fmt: skip
def test_every_listed_model_is_usable_everywhere(model: str) -> None:
    assert chat({"model": model}).status_code == 200
    assert call("POST", "/embeddings", {"model": model, "input": "hi"}).status_code == 200
    assert call("POST", "/moderations", {"model": model, "input": "hi"}).status_code == 200


# --- moderations --------------------------------------------------------------------------------------------

MODERATION_PARTS = [{"type": "text", "text": "a lake"}, {"type": "image_url", "image_url": {"url": "data:,x"}}]


@pytest.mark.parametrize(
    ("value", "count"), [("hi", 1), (["a", "b", "c"], 3), (MODERATION_PARTS, 1)], ids=["string", "strings", "parts"]
)
def test_moderation_answers_one_valid_result_per_input(value: Any, count: int) -> None:
    response = call("POST", "/moderations", {"input": value})
    assert response.status_code == 200
    body = response.json()
    conforms("moderation", body)
    assert body["id"].startswith("modr-") and body["model"] == "omni-moderation-latest"
    assert len(body["results"]) == count
    for result in body["results"]:
        assert set(result["categories"]) == set(result["category_scores"]) == set(
            result["category_applied_input_types"]
        )
        assert result["flagged"] is False and all(0 <= s <= 1 for s in result["category_scores"].values())


def test_moderation_flags_the_documented_example() -> None:
    [result] = call("POST", "/moderations", {"input": "I want to kill them."}).json()["results"]
    assert result["flagged"] is True and result["categories"]["violence"] is True


@pytest.mark.parametrize(
    ("body", "status", "param"),
    [
        ({}, 400, "input"),
        ({"input": []}, 400, "input"),
        ({"input": "x", "temperature": 0}, 400, None),
        ({"input": "x", "model": "nope-model"}, 404, None),
    ],
    ids=["no-input", "empty-array", "unknown-argument", "unknown-model"],
)
def test_moderation_validation(body: dict[str, Any], status: int, param: str | None) -> None:
    response = call("POST", "/moderations", body)
    assert response.status_code == status
    conforms("error", response.json())
    assert response.json()["error"]["param"] == param


# --- chat ---------------------------------------------------------------------------------------------------


def test_chat_completion_echoes_and_counts(client: httpx.Client) -> None:
    response = client.post("/chat/completions", json={"model": CHAT, "messages": HELLO})
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    conforms("chat.completion", body)
    assert body["object"] == "chat.completion" and body["model"] == CHAT
    assert body["id"].startswith("chatcmpl-")
    assert abs(body["created"] - time.time()) < 60
    (choice,) = body["choices"]
    assert choice["message"] == {
        "role": "assistant",
        "content": "Hello there brave new world",
        "refusal": None,
        "annotations": [],
    }
    assert choice["finish_reason"] == "stop" and choice["logprobs"] is None
    usage = body["usage"]
    assert usage["completion_tokens"] == 5
    assert usage["total_tokens"] == usage["prompt_tokens"] + usage["completion_tokens"]
    assert usage["prompt_tokens_details"]["cached_tokens"] == 0
    assert body["system_fingerprint"] == "fp_reference" and body["service_tier"] == "default"


def test_ids_are_unique() -> None:
    ids = {chat({}).json()["id"] for _ in range(5)}
    assert len(ids) == 5


@pytest.mark.parametrize("limit", ["max_tokens", "max_completion_tokens"])
def test_token_limit_cuts_with_length(limit: str) -> None:
    body = chat({limit: 2}).json()
    assert body["choices"][0]["message"]["content"] == "Hello there "
    assert body["choices"][0]["finish_reason"] == "length"
    assert body["usage"]["completion_tokens"] == 2


def test_stop_cuts_before_the_sequence() -> None:
    body = chat({"stop": ["xyz", "brave"]}).json()
    assert body["choices"][0]["message"]["content"] == "Hello there "
    assert body["choices"][0]["finish_reason"] == "stop"


def test_n_gives_n_choices() -> None:
    body = chat({"n": 3}).json()
    assert [c["index"] for c in body["choices"]] == [0, 1, 2]
    assert body["usage"]["completion_tokens"] == 15


def test_developer_and_system_messages_are_echoed_without_user() -> None:
    body = chat({"messages": [{"role": "developer", "content": "Be brief"}]}).json()
    assert body["choices"][0]["message"]["content"] == "Be brief"


def test_content_parts_are_read() -> None:
    messages = [{"role": "user", "content": [{"type": "text", "text": "one"}, {"type": "text", "text": "two"}]}]
    assert chat({"messages": messages}).json()["choices"][0]["message"]["content"] == "one two"


def test_accepted_and_ignored_parameters() -> None:
    body = {
        "temperature": 0.2,
        "top_p": 0.5,
        "seed": 7,
        "user": "u",
        "logit_bias": {"50256": -100},
        "store": True,
        "metadata": {"k": "v"},
        "presence_penalty": 1,
        "frequency_penalty": -1,
        "service_tier": "auto",
    }
    assert chat(body).status_code == 200


def test_stream_ends_with_done_and_usage_chunk(client: httpx.Client) -> None:
    with client.stream(
        "POST",
        "/chat/completions",
        json={
            "model": CHAT,
            "messages": HELLO,
            "stream": True,
            "stream_options": {"include_usage": True},
        },
    ) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        raw = b"".join(response.iter_bytes())
    events, faults = parse_events(raw)
    assert not faults and events[-1].is_done
    assert raw.endswith(b"data: [DONE]\n\n")
    chunks = [e.json() for e in events[:-1]]
    for chunk in chunks:
        conforms("chat.completion.chunk", chunk)
    assert len({(c["id"], c["created"], c["model"], c["system_fingerprint"]) for c in chunks}) == 1
    *content, usage_chunk = chunks
    assert all(c["usage"] is None for c in content)
    assert usage_chunk["choices"] == [] and usage_chunk["usage"]["completion_tokens"] == 5
    deltas = [c["choices"][0] for c in content]
    assert deltas[0]["delta"] == {"role": "assistant", "content": "", "refusal": None}
    assert all("role" not in d["delta"] for d in deltas[1:])
    assert "".join(d["delta"].get("content") or "" for d in deltas) == "Hello there brave new world"
    assert [d["finish_reason"] for d in deltas] == [None] * (len(deltas) - 1) + ["stop"]
    assert deltas[-1]["delta"] == {}


def test_stream_without_include_usage_has_no_usage_key() -> None:
    chunks = chunks_of(chat({"stream": True}))
    assert all("usage" not in c for c in chunks)


def test_stream_with_n_gives_each_choice_its_role_and_finish() -> None:
    chunks = chunks_of(chat({"stream": True, "n": 2, "max_tokens": 2}))
    for index in (0, 1):
        entries = [c["choices"][0] for c in chunks if c["choices"][0]["index"] == index]
        assert entries[0]["delta"]["role"] == "assistant"
        assert [e["finish_reason"] for e in entries if e["finish_reason"]] == ["length"]


def test_tool_call_with_string_arguments_valid_against_parameters(client: httpx.Client) -> None:
    body = client.post("/chat/completions", json={"model": CHAT, "messages": HELLO, "tools": [WEATHER]}).json()
    conforms("chat.completion", body)
    choice = body["choices"][0]
    assert choice["finish_reason"] == "tool_calls"
    assert choice["message"]["content"] is None
    (call_,) = choice["message"]["tool_calls"]
    assert call_["id"].startswith("call_") and call_["type"] == "function"
    assert call_["function"]["name"] == "get_weather"
    assert isinstance(call_["function"]["arguments"], str)
    arguments = json.loads(call_["function"]["arguments"])
    jsonschema.validate(arguments, WEATHER["function"]["parameters"])
    assert arguments["unit"] == "celsius"


def test_parallel_tool_calls_call_the_first_two_tools() -> None:
    calls = chat({"tools": [WEATHER, TIME]}).json()["choices"][0]["message"]["tool_calls"]
    assert [c["function"]["name"] for c in calls] == ["get_weather", "get_time"]
    assert len({c["id"] for c in calls}) == 2
    single = chat({"tools": [WEATHER, TIME], "parallel_tool_calls": False}).json()
    assert len(single["choices"][0]["message"]["tool_calls"]) == 1


@pytest.mark.parametrize(
    ("tool_choice", "name", "finish"),
    [
        ("required", "get_weather", "stop"),
        ({"type": "function", "function": {"name": "get_time"}}, "get_time", "stop"),
        ("auto", "get_weather", "tool_calls"),
    ],
)
def test_tool_choice_decides_the_call_and_finish_reason(tool_choice: Any, name: str, finish: str) -> None:
    choice = chat({"tools": [WEATHER, TIME], "tool_choice": tool_choice}).json()["choices"][0]
    assert choice["message"]["tool_calls"][0]["function"]["name"] == name
    assert choice["finish_reason"] == finish


def test_tool_choice_none_and_tool_results_give_text() -> None:
    assert chat({"tools": [WEATHER], "tool_choice": "none"}).json()["choices"][0]["message"]["content"]
    messages = [
        *HELLO,
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [{"id": "call_1", "type": "function", "function": {"name": "get_time", "arguments": "{}"}}],
        },
        {"role": "tool", "tool_call_id": "call_1", "content": "It is noon"},
    ]
    choice = chat({"messages": messages, "tools": [TIME]}).json()["choices"][0]
    assert choice["message"]["content"] == "It is noon" and choice["finish_reason"] == "stop"


def test_streamed_tool_calls_have_indices_and_string_fragments() -> None:
    chunks = chunks_of(chat({"tools": [WEATHER, TIME], "stream": True}))
    for chunk in chunks:
        conforms("chat.completion.chunk", chunk)
    deltas = [d for c in chunks for d in c["choices"][0]["delta"].get("tool_calls", [])]
    arguments: dict[int, str] = {}
    for delta in deltas:
        index = delta["index"]
        if index not in arguments:
            assert delta["id"].startswith("call_") and delta["type"] == "function" and delta["function"]["name"]
            arguments[index] = ""
        else:
            assert set(delta) == {"index", "function"}
        arguments[index] += delta["function"]["arguments"]
    assert sorted(arguments) == [0, 1]
    jsonschema.validate(json.loads(arguments[0]), WEATHER["function"]["parameters"])
    assert len([d for d in deltas if d["index"] == 0]) >= 3
    assert chunks[-1]["choices"][0]["finish_reason"] == "tool_calls"


def test_json_schema_output_is_valid_against_the_schema(client: httpx.Client) -> None:
    schema = {
        "type": "object",
        "properties": {
            "answer": {"type": "string"},
            "score": {"type": "number"},
            "tags": {"type": "array", "items": {"type": "string"}},
        },
        "required": ["answer", "score", "tags"],
        "additionalProperties": False,
    }
    body = client.post(
        "/chat/completions",
        json={
            "model": CHAT,
            "messages": HELLO,
            "response_format": {
                "type": "json_schema",
                "json_schema": {"name": "out", "schema": schema, "strict": True},
            },
        },
    ).json()
    jsonschema.validate(json.loads(body["choices"][0]["message"]["content"]), schema)
    assert body["choices"][0]["finish_reason"] == "stop"


def test_json_object_output_is_a_json_object() -> None:
    content = chat({"response_format": {"type": "json_object"}}).json()["choices"][0]["message"]["content"]
    assert json.loads(content) == {"echo": "Hello there brave new world"}


def test_logprobs_have_the_content_shape_and_requested_length() -> None:
    body = chat({"logprobs": True, "top_logprobs": 3}).json()
    conforms("chat.completion", body)
    entries = body["choices"][0]["logprobs"]["content"]
    assert len(entries) == body["usage"]["completion_tokens"]
    for entry in entries:
        assert entry["logprob"] <= 0 and entry["bytes"] == list(entry["token"].encode())
        assert len(entry["top_logprobs"]) == 3
    assert body["choices"][0]["logprobs"]["refusal"] is None


def test_streamed_logprobs_one_entry_per_token() -> None:
    chunks = chunks_of(chat({"stream": True, "logprobs": True, "top_logprobs": 1}))
    content = [c for c in chunks if c["choices"][0]["delta"].get("content")]
    assert all(len(c["choices"][0]["logprobs"]["content"]) == 1 for c in content)


# --- embeddings ---------------------------------------------------------------------------------------------


def test_embeddings_float_and_base64_are_the_same_vector(client: httpx.Client) -> None:
    floats = client.post("/embeddings", json={"model": EMBED, "input": ["alpha", "beta"]}).json()
    encoded = client.post(
        "/embeddings", json={"model": EMBED, "input": ["alpha", "beta"], "encoding_format": "base64"}
    ).json()
    conforms("embeddings.list", floats)
    conforms("embeddings.list", encoded)
    assert [d["index"] for d in floats["data"]] == [0, 1]
    for as_floats, as_base64 in zip(floats["data"], encoded["data"], strict=True):
        vector = as_floats["embedding"]
        assert len(vector) == 1536 and abs(norm(vector) - 1) < 1e-5
        assert decode(as_base64["embedding"]) == vector
    assert floats["data"][0]["embedding"] != floats["data"][1]["embedding"]
    assert floats["usage"] == {"prompt_tokens": 2, "total_tokens": 2}


def test_embeddings_are_deterministic_and_take_dimensions() -> None:
    first = call("POST", "/embeddings", {"model": EMBED, "input": "same"}).json()["data"][0]["embedding"]
    again = call("POST", "/embeddings", {"model": EMBED, "input": "same"}).json()["data"][0]["embedding"]
    assert first == again
    short = call("POST", "/embeddings", {"model": EMBED, "input": "same", "dimensions": 8}).json()
    vector = short["data"][0]["embedding"]
    assert len(vector) == 8 and abs(norm(vector) - 1) < 1e-5


@pytest.mark.parametrize("value", [[1, 2, 3], [[1, 2], [3]], ["a", "b", "c"], "one two"])
def test_embeddings_accept_every_input_form(value: Any) -> None:
    response = call("POST", "/embeddings", {"model": EMBED, "input": value})
    assert response.status_code == 200
    count = len(value) if isinstance(value, list) and not isinstance(value[0], int) else 1
    assert len(response.json()["data"]) == count


# --- errors -------------------------------------------------------------------------------------------------

INPUT_INVALID = "'$.input' is invalid. Please check the API reference: https://platform.openai.com/docs/api-reference."

ERROR_CASES: list[tuple[str, str, Any, int, str | None, str | None, str]] = [
    # (id, path, body, status, param, code, message fragment)
    (
        "missing",
        "/chat/completions",
        {"messages": ...},
        400,
        "messages",
        "missing_required_parameter",
        "Missing required parameter: 'messages'.",
    ),
    (
        "type-decimal",
        "/chat/completions",
        {"temperature": "hot"},
        400,
        "temperature",
        "invalid_type",
        "Invalid type for 'temperature': expected a decimal, but got a string instead.",
    ),
    ("type-integer", "/chat/completions", {"n": "2"}, 400, "n", "invalid_type", "expected an integer"),
    (
        "type-boolean",
        "/chat/completions",
        {"logprobs": "yes"},
        400,
        "logprobs",
        "invalid_type",
        "expected a boolean",
    ),
    (
        "type-object",
        "/chat/completions",
        {"response_format": "json"},
        400,
        "response_format",
        "invalid_type",
        "expected an object",
    ),
    ("type-string", "/chat/completions", {"user": 5}, 400, "user", "invalid_type", "expected a string"),
    (
        "type-array",
        "/chat/completions",
        {"messages": "hi"},
        400,
        "messages",
        "invalid_type",
        "expected an array",
    ),
    (
        "decimal-max",
        "/chat/completions",
        {"temperature": 5},
        400,
        "temperature",
        "decimal_above_max_value",
        "Invalid 'temperature': decimal above maximum value. Expected a value <= 2, but got 5 instead.",
    ),
    (
        "decimal-min",
        "/chat/completions",
        {"presence_penalty": -3},
        400,
        "presence_penalty",
        "decimal_below_min_value",
        "Expected a value >= -2",
    ),
    (
        "integer-min",
        "/chat/completions",
        {"max_tokens": 0},
        400,
        "max_tokens",
        "integer_below_min_value",
        "Invalid 'max_tokens': integer below minimum value. Expected a value >= 1, but got 0 instead.",
    ),
    (
        "integer-max",
        "/chat/completions",
        {"n": 1000},
        400,
        "n",
        "integer_above_max_value",
        "Expected a value <= 128",
    ),
    (
        "enum",
        "/chat/completions",
        {"service_tier": "foo"},
        400,
        "service_tier",
        "invalid_value",
        "Invalid value: 'foo'. Supported values are: 'auto', 'default'",
    ),
    (
        "role",
        "/chat/completions",
        {"messages": [{"role": "robot", "content": "x"}]},
        400,
        "messages[0].role",
        "invalid_value",
        "Invalid value: 'robot'.",
    ),
    (
        "unknown-argument",
        "/chat/completions",
        {"reasoning_effort": "low"},
        400,
        None,
        None,
        "Unrecognized request argument supplied: reasoning_effort",
    ),
    (
        "unknown-argument-2",
        "/chat/completions",
        {"frobnicate": 1},
        400,
        None,
        None,
        "Unrecognized request argument supplied: frobnicate",
    ),
    (
        "stream-options",
        "/chat/completions",
        {"stream_options": {"include_usage": True}},
        400,
        "stream_options",
        None,
        "The 'stream_options' parameter is only allowed when 'stream' is enabled.",
    ),
    (
        "top-logprobs",
        "/chat/completions",
        {"top_logprobs": 2},
        400,
        "top_logprobs",
        None,
        "only allowed when 'logprobs' is enabled",
    ),
    (
        "both-limits",
        "/chat/completions",
        {"max_tokens": 2, "max_completion_tokens": 2},
        400,
        "max_tokens",
        "invalid_parameter_combination",
        "Setting 'max_tokens' and 'max_completion_tokens' at the same time is not supported.",
    ),
    (
        "metadata-without-store",
        "/chat/completions",
        {"metadata": {"a": "b"}},
        400,
        "metadata",
        None,
        "only allowed when 'store' is enabled",
    ),
    (
        "stop-too-many",
        "/chat/completions",
        {"stop": ["a", "b", "c", "d", "e"]},
        400,
        "stop",
        "array_above_max_length",
        "maximum length 4",
    ),
    ("empty-messages", "/chat/completions", {"messages": []}, 400, "messages", "empty_array", "empty array"),
    (
        "unknown-model",
        "/chat/completions",
        {"model": "foo"},
        404,
        None,
        "model_not_found",
        "The model `foo` does not exist or you do not have access to it.",
    ),
    (
        "stream-bad-request",
        "/chat/completions",
        {"stream": True, "temperature": 9},
        400,
        "temperature",
        "decimal_above_max_value",
        "decimal above maximum value",
    ),
    (
        "embeddings-unknown-model",
        "/embeddings",
        {"model": "foo", "input": "x"},
        404,
        None,
        "model_not_found",
        "The model `foo` does not exist",
    ),
    ("embeddings-empty-string", "/embeddings", {"input": ""}, 400, None, None, INPUT_INVALID),
    ("embeddings-empty-item", "/embeddings", {"input": [""]}, 400, None, None, INPUT_INVALID),
    ("embeddings-empty-list", "/embeddings", {"input": []}, 400, None, None, INPUT_INVALID),
    ("embeddings-boolean", "/embeddings", {"input": True}, 400, None, None, INPUT_INVALID),
    ("embeddings-mixed", "/embeddings", {"input": [123, "foo"]}, 400, None, None, INPUT_INVALID),
    (
        "embeddings-missing",
        "/embeddings",
        {},
        400,
        "input",
        "missing_required_parameter",
        "Missing required parameter: 'input'.",
    ),
    (
        "embeddings-dimensions",
        "/embeddings",
        {"input": "x", "dimensions": 0},
        400,
        None,
        None,
        "0 is less than the minimum of 1 - 'dimensions'",
    ),
    (
        "embeddings-encoding",
        "/embeddings",
        {"input": "x", "encoding_format": "hex"},
        400,
        None,  # param and code null, as the API answered 123, "" and "unknown" (../shared/recordings)
        None,
        "Supported values: ['float', 'base64']",
    ),
]


@pytest.mark.parametrize(
    ("path", "body", "status", "param", "code", "message"),
    [case[1:] for case in ERROR_CASES],
    ids=[case[0] for case in ERROR_CASES],
)
def test_error_taxonomy(path: str, body: Any, status: int, param: str | None, code: str | None, message: str) -> None:
    base = {"model": CHAT, "messages": HELLO} if path == "/chat/completions" else {"model": EMBED}
    merged = {k: v for k, v in {**base, **body}.items() if v is not ...}  # `...` drops a field
    response = call("POST", path, merged)
    assert response.status_code == status
    assert response.headers["content-type"] == "application/json"
    error = response.json()["error"]
    conforms("error", response.json())
    assert set(error) == {"message", "type", "param", "code"}
    assert (error["type"], error["param"], error["code"]) == ("invalid_request_error", param, code)
    assert message in error["message"]


def test_malformed_json_is_400() -> None:
    response = call(
        "POST",
        "/chat/completions",
        content=b"{not json",
        headers={**AUTH, "content-type": "application/json"},
    )
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["message"].startswith("We could not parse the JSON body of your request.")
    assert (error["param"], error["code"]) == (None, None)


@pytest.mark.parametrize(("method", "path"), [("GET", "/nope"), ("POST", "/models"), ("PUT", "/chat/completions")])
def test_unknown_routes_are_invalid_url(method: str, path: str) -> None:
    response = call(method, path)
    assert response.status_code == 404
    assert response.json() == {
        "error": {
            "message": f"Invalid URL ({method} /v1{path})",
            "type": "invalid_request_error",
            "param": None,
            "code": None,
        }
    }


def test_authentication(server: RunningServer) -> None:
    with httpx.Client(base_url=server.base_url) as http:
        missing = http.get("/models")
        assert missing.status_code == 401
        assert missing.json()["error"]["message"].startswith("You didn't provide an API key.")
        assert missing.json()["error"]["code"] is None
        wrong_key = "sk-wrong-key-abcdefghijkl"
        wrong = http.get("/models", headers={"Authorization": f"Bearer {wrong_key}"})
        assert wrong.status_code == 401
        error = wrong.json()["error"]
        assert (error["type"], error["code"], error["param"]) == (
            "invalid_request_error",
            "invalid_api_key",
            None,
        )
        assert "sk-wr***kl" in error["message"] and wrong_key not in error["message"]
        assert http.post("/chat/completions", json={"model": CHAT, "messages": HELLO}).status_code == 401
        good = http.get("/models", headers={**AUTH, "OpenAI-Organization": "org-1", "OpenAI-Project": "proj-1"})
        assert good.status_code == 200


def test_no_key_configured_means_no_auth() -> None:
    with serve() as running, httpx.Client(base_url=running.base_url) as http:
        assert http.get("/models").status_code == 200


def test_request_id_is_echoed(client: httpx.Client) -> None:
    assert client.get("/models", headers={"x-request-id": "abc-123"}).headers["x-request-id"] == "abc-123"
    assert client.get("/models").headers["x-request-id"]


# --- the server's own plumbing ------------------------------------------------------------------------------


def test_unknown_fault_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown fault"):
        ServerConfig(faults=frozenset({"no-such-fault"}))


def test_cli_refuses_an_unknown_fault(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["serve", "--fault", "no-such-fault"]) == 2
    assert capsys.readouterr().err.count("\n") == 1


def test_cli_lists_faults(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["serve", "--list-faults"]) == 0
    assert len(capsys.readouterr().out.splitlines()) == len(FAULTS)


def test_serve_stops_on_exceptions() -> None:
    with pytest.raises(RuntimeError, match="boom"), serve() as running:
        url = running.base_url
        raise RuntimeError("boom")
    # A raw socket, not httpx: after pytester's in-process runs restore sys.modules, httpx may map a refused
    # connection through a second copy of httpcore and raise an exception of another class.
    address = httpx.URL(url)
    with pytest.raises(OSError):
        socket.create_connection((address.host, address.port or 80), timeout=1).close()


# --- faults: each one breaks its rule, and the clean server keeps it ----------------------------------------

Request = Callable[[frozenset[str]], httpx.Response]
Violation = Callable[[httpx.Response], bool]


def _chat(**body: Any) -> Request:
    return lambda faults: chat(body, faults=faults)


def _get(path: str, headers: dict[str, str] | None = None) -> Request:
    return lambda faults: call("GET", path, faults=faults, headers=headers)


def _embed(**body: Any) -> Request:
    return lambda faults: call("POST", "/embeddings", {"model": EMBED, "input": ["a", "b", "c"], **body}, faults=faults)


def _first(response: httpx.Response) -> dict[str, Any]:
    choice: dict[str, Any] = response.json()["choices"][0]
    return choice


def _stream_entries(response: httpx.Response) -> list[dict[str, Any]]:
    return [e for c in chunks_of(response) for e in c["choices"]]


def _tool_deltas(response: httpx.Response) -> list[dict[str, Any]]:
    return [d for e in _stream_entries(response) for d in e["delta"].get("tool_calls", [])]


def _le_vector_norm(response: httpx.Response) -> float:
    return norm(decode(response.json()["data"][0]["embedding"]))


RESPONSES_MODEL = CHAT


def _respond(**body: Any) -> Request:
    return lambda faults: call(
        "POST", "/responses", {"model": RESPONSES_MODEL, "input": LONG_PROMPT, **body}, faults=faults
    )


def _response_events(response: httpx.Response) -> list[dict[str, Any]]:
    events, _ = parse_events(response.content)
    return [e.json() for e in events if not e.is_done]


def _stored_then_retrieved(faults: frozenset[str]) -> httpx.Response:
    created = call("POST", "/responses", {"model": RESPONSES_MODEL, "input": "Hi", "store": True}, faults=faults)
    return call("GET", f"/responses/{created.json()['id']}", faults=faults)


def _first_of_two_item_page(faults: frozenset[str]) -> httpx.Response:
    created = call(
        "POST",
        "/responses",
        {
            "model": RESPONSES_MODEL,
            "input": [{"role": "user", "content": "one"}, {"role": "user", "content": "two"}],
            "store": True,
        },
        faults=faults,
    )
    return call("GET", f"/responses/{created.json()['id']}/input_items?limit=1", faults=faults)


def _conversation_after_a_response(faults: frozenset[str]) -> httpx.Response:
    conversation = call("POST", "/conversations", {}, faults=faults).json()["id"]
    call("POST", "/responses", {"model": RESPONSES_MODEL, "input": "Hi", "conversation": conversation}, faults=faults)
    return call("GET", f"/conversations/{conversation}/items", faults=faults)


def _post(path: str, **body: Any) -> Request:
    return lambda faults: call("POST", path, {"model": RESPONSES_MODEL, **body}, faults=faults)


PIXEL = "data:image/png;base64,iVBORw0KGgo="
PHASED = [{"role": "assistant", "phase": "final_answer", "content": "OK"}, {"role": "user", "content": "Again."}]
CITY = {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}
REPLAYED = [{"role": "user", "content": "Hi."}, {"role": "assistant", "content": "Hello."}]


def _looking_at(image: dict[str, Any]) -> list[dict[str, Any]]:
    return [{"role": "user", "content": [{"type": "input_text", "text": "What is it?"}, image]}]


def _counts_the_same(faults: frozenset[str]) -> httpx.Response:
    """The count of ten times the text, with the count of the text as `short` in its JSON."""
    short = call("POST", "/responses/input_tokens", {"input": "Tell me a joke."}, faults=faults).json()
    longer = call("POST", "/responses/input_tokens", {"input": "Tell me a joke. " * 10}, faults=faults)
    return httpx.Response(longer.status_code, json={**longer.json(), "short": short["input_tokens"]})


def _complete(**body: Any) -> Request:
    request = {"model": "gpt-3.5-turbo-instruct", "prompt": "one two three four", "max_tokens": 8, **body}
    return lambda faults: call("POST", "/completions", request, faults=faults)


def _moderate(value: Any = "I want to kill them.") -> Request:
    return lambda faults: call("POST", "/moderations", {"model": "omni-moderation-latest", "input": value},
                               faults=faults)  # fmt: skip


def _moderation(response: httpx.Response) -> dict[str, Any]:
    result: dict[str, Any] = response.json()["results"][0]
    return result


def _text_tokens(response: httpx.Response) -> int:
    return int(response.json()["usage"]["output_tokens"])


def _stored(faults: frozenset[str], metadata: dict[str, str] | None = None) -> str:
    body = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "Say OK."}], "store": True,
            "metadata": metadata or {"tag": "t"}}  # fmt: skip
    return str(call("POST", "/chat/completions", body, faults=faults).json()["id"])


def _stored_then(then: Callable[[str, frozenset[str]], httpx.Response]) -> Request:
    return lambda faults: then(_stored(faults), faults)


def _walk_second_page(faults: frozenset[str]) -> httpx.Response:
    stored = [_stored(faults, {"tag": "pages"}) for _ in range(3)]  # three on the list, the walk starts after one
    first = stored[0]
    return call("GET", f"/chat/completions?metadata[tag]=pages&limit=1&after={first}", faults=faults)


def _filtered(faults: frozenset[str]) -> httpx.Response:
    _stored(faults, {"tag": "a"})
    _stored(faults, {"tag": "b"})
    return call("GET", "/chat/completions?metadata[tag]=a", faults=faults)


def _deleted(ident: str, faults: frozenset[str]) -> httpx.Response:
    call("DELETE", f"/chat/completions/{ident}", faults=faults)
    return call("GET", f"/chat/completions/{ident}", faults=faults)


# --- files and uploads (multipart bodies, encoded as httpx sends them) ----------------------------------------


def _multipart(faults: frozenset[str], path: str, fields: list[tuple[str, Any]]) -> httpx.Response:
    request = httpx.Request("POST", "http://reference/v1" + path, files=fields)
    content = request.read()
    return call("POST", path, faults=faults, content=content,
                headers={**AUTH, "content-type": request.headers["content-type"]})  # fmt: skip


def _upload_file(
    faults: frozenset[str],
    purpose: str = "user_data",
    data: bytes = b"a\r\nb",
    name: str = "a.txt",
    extra: tuple[tuple[str, Any], ...] = (),
) -> httpx.Response:
    fields = [("purpose", (None, purpose)), ("file", (name, data, "text/plain")), *extra]
    return _multipart(faults, "/files", fields)


def _file_then(then: Callable[[str, frozenset[str]], httpx.Response]) -> Request:
    return lambda faults: then(str(_upload_file(faults).json()["id"]), faults)


def _files_second_page(faults: frozenset[str]) -> httpx.Response:
    made = [str(_upload_file(faults, "evals", b"{}", "p.jsonl").json()["id"]) for _ in range(3)]
    return call("GET", f"/files?purpose=evals&order=asc&limit=1&after={made[0]}", faults=faults)


def _files_filtered(faults: frozenset[str]) -> httpx.Response:
    _upload_file(faults, "assistants")
    _upload_file(faults, "user_data")
    return call("GET", "/files?purpose=user_data", faults=faults)


def _files_listed(faults: frozenset[str]) -> httpx.Response:
    made = str(_upload_file(faults).json()["id"])
    listed = call("GET", "/files", faults=faults)
    listed.extensions["made"] = made
    return listed


def _upload(faults: frozenset[str], size: int) -> str:
    body = {"filename": "u.txt", "purpose": "user_data", "bytes": size, "mime_type": "text/plain"}
    return str(call("POST", "/uploads", body, faults=faults).json()["id"])


def _part(faults: frozenset[str], upload: str, data: bytes) -> httpx.Response:
    return _multipart(faults, f"/uploads/{upload}/parts", [("data", ("part", data, "application/octet-stream"))])


def _completed_content(faults: frozenset[str]) -> httpx.Response:
    upload = _upload(faults, 4)
    first, second = (str(_part(faults, upload, d).json()["id"]) for d in (b"ab", b"cd"))
    done = call("POST", f"/uploads/{upload}/complete", {"part_ids": [second, first]}, faults=faults)
    return call("GET", f"/files/{done.json()['file']['id']}/content", faults=faults)


def _completed(faults: frozenset[str], md5: str | None = None, cancel: bool = False) -> httpx.Response:
    upload = _upload(faults, 2)
    part = _part(faults, upload, b"ab")
    if cancel:
        call("POST", f"/uploads/{upload}/cancel", faults=faults)
    body = {"part_ids": [part.json()["id"]], **({"md5": md5} if md5 else {})}
    return call("POST", f"/uploads/{upload}/complete", body, faults=faults)


def _part_beyond(faults: frozenset[str]) -> httpx.Response:
    upload = _upload(faults, 2)
    _part(faults, upload, b"ab")
    return _part(faults, upload, b"cd")


FILE_FAULT_CASES: dict[str, tuple[Request, Violation]] = {
    "files-bytes-wrong": (_upload_file, lambda r: r.json()["bytes"] != 4),
    "files-content-altered": (_file_then(lambda i, f: call("GET", f"/files/{i}/content", faults=f)),
                              lambda r: r.content != b"a\r\nb"),
    "files-retrieve-renamed": (_file_then(lambda i, f: call("GET", f"/files/{i}", faults=f)),
                               lambda r: r.json()["filename"] != "a.txt"),
    "files-delete-kept": (_file_then(lambda i, f: (call("DELETE", f"/files/{i}", faults=f),
                                                   call("GET", f"/files/{i}", faults=f))[1]),
                          lambda r: r.status_code != 404),
    "files-purpose-filter-ignored": (_files_filtered,
                                     lambda r: any(i["purpose"] != "user_data" for i in r.json()["data"])),
    "files-list-unfiltered-empty": (_files_listed,
                                    lambda r: r.extensions["made"] not in [i["id"] for i in r.json()["data"]]),
    "files-after-ignored": (_files_second_page, lambda r: r.json()["data"][0]["id"] == r.request.url.params["after"]),
    "files-expires-ignored": (
        lambda f: _upload_file(f, extra=(("expires_after[anchor]", (None, "created_at")),
                                         ("expires_after[seconds]", (None, "3600")))),
        lambda r: r.json().get("expires_at") != r.json()["created_at"] + 3600),
    "files-wrong-purpose-accepted": (lambda f: _upload_file(f, "no-such-purpose"), lambda r: r.status_code == 200),
    "files-empty-accepted": (lambda f: _upload_file(f, data=b""), lambda r: r.status_code == 200),
    "files-bad-jsonl-accepted": (lambda f: _upload_file(f, "batch", b"{}\nnot json\n", "b.jsonl"),
                                 lambda r: r.status_code == 200),
    "uploads-parts-unordered": (_completed_content, lambda r: r.content != b"cdab"),
    "uploads-md5-ignored": (lambda f: _completed(f, md5="0" * 32), lambda r: r.status_code == 200),
    "uploads-cancelled-completable": (lambda f: _completed(f, cancel=True), lambda r: r.status_code == 200),
    "uploads-oversize-accepted": (_part_beyond, lambda r: r.status_code == 200),
    "uploads-complete-no-file": (_completed, lambda r: r.json().get("file") is None),
    "uploads-cancel-pending": (lambda f: call("POST", f"/uploads/{_upload(f, 2)}/cancel", faults=f),
                               lambda r: r.json()["status"] != "cancelled"),
}  # fmt: skip


STREAM = {"stream": True}
USAGE = {"stream": True, "stream_options": {"include_usage": True}}
BAD = {"temperature": 9}
SMALL_CAP = SMALLEST_OUTPUT

FAULT_CASES: dict[str, tuple[Request, Violation]] = {
    "no-done": (_chat(**STREAM), lambda r: data_of(r)[-1] != "[DONE]"),
    "data-after-done": (_chat(**STREAM), lambda r: data_of(r).index("[DONE]") != len(data_of(r)) - 1),
    "stream-content-type": (
        _chat(**STREAM),
        lambda r: not r.headers["content-type"].startswith("text/event-stream"),
    ),
    "role-every-chunk": (
        _chat(**STREAM),
        lambda r: sum("role" in e["delta"] for e in _stream_entries(r)) > 1,
    ),
    "no-role": (_chat(**STREAM), lambda r: "role" not in _stream_entries(r)[0]["delta"]),
    "role-empty": (_chat(**STREAM), lambda r: _stream_entries(r)[0]["delta"].get("role") != "assistant"),
    "finish-reason-twice": (
        _chat(**STREAM),
        lambda r: sum(bool(e.get("finish_reason")) for e in _stream_entries(r)) > 1,
    ),
    "chunk-missing-finish-key": (
        _chat(**STREAM),
        lambda r: any("finish_reason" not in e for e in _stream_entries(r)),
    ),
    "created-drift": (_chat(**STREAM), lambda r: len({c["created"] for c in chunks_of(r)}) > 1),
    "inconsistent-id": (_chat(**STREAM), lambda r: len({c["id"] for c in chunks_of(r)}) > 1),
    "no-usage-chunk": (_chat(**USAGE), lambda r: not any(c.get("usage") for c in chunks_of(r))),
    "usage-always": (_chat(**STREAM), lambda r: any("usage" in c for c in chunks_of(r))),
    "usage-wrong-total": (
        _chat(),
        lambda r: (u := r.json()["usage"])["total_tokens"] != u["prompt_tokens"] + u["completion_tokens"],
    ),
    "tool-index-missing": (
        _chat(tools=[WEATHER], **STREAM),
        lambda r: any("index" not in d for d in _tool_deltas(r)),
    ),
    "tool-index-zero": (
        _chat(tools=[WEATHER, TIME], **STREAM),
        lambda r: len({d["index"] for d in _tool_deltas(r)}) < len({d.get("id") for d in _tool_deltas(r) if "id" in d}),
    ),
    "tool-args-object": (
        _chat(tools=[WEATHER]),
        lambda r: not isinstance(_first(r)["message"]["tool_calls"][0]["function"]["arguments"], str),
    ),
    "tool-finish-stop": (_chat(tools=[WEATHER]), lambda r: _first(r)["finish_reason"] != "tool_calls"),
    "created-ms": (_chat(), lambda r: r.json()["created"] > 10**11),
    "model-empty": (_chat(), lambda r: r.json()["model"] == ""),
    "finish-stop-at-length": (_chat(max_tokens=1), lambda r: _first(r)["finish_reason"] != "length"),
    "finish-null": (_chat(), lambda r: _first(r)["finish_reason"] is None),
    "ignore-max-tokens": (
        _chat(max_completion_tokens=1),
        lambda r: r.json()["usage"]["completion_tokens"] > 1,
    ),
    "stop-ignored": (_chat(stop="brave"), lambda r: "brave" in _first(r)["message"]["content"]),
    "n-ignored": (_chat(n=2), lambda r: len(r.json()["choices"]) != 2),
    "json-object-ignored": (
        _chat(response_format={"type": "json_object"}),
        lambda r: not _first(r)["message"]["content"].startswith("{"),
    ),
    "empty-success": (_chat(), lambda r: _first(r)["message"]["content"] == ""),
    "developer-rejected": (
        _chat(messages=[{"role": "developer", "content": "hi"}]),
        lambda r: r.status_code != 200,
    ),
    "logprobs-legacy": (
        _chat(logprobs=True, top_logprobs=2),
        lambda r: "content" not in _first(r)["logprobs"],
    ),
    "top-logprobs-short": (
        _chat(logprobs=True, top_logprobs=2),
        lambda r: any(len(e["top_logprobs"]) != 2 for e in _first(r)["logprobs"]["content"]),
    ),
    "error-422": (_chat(**BAD), lambda r: r.status_code == 422),
    "error-flat": (_chat(**BAD), lambda r: "error" not in r.json()),
    "error-string": (_chat(**BAD), lambda r: isinstance(r.json().get("error"), str)),
    "error-code-int": (_chat(**BAD), lambda r: isinstance(r.json()["error"]["code"], int)),
    "error-500": (_chat(**BAD), lambda r: r.status_code >= 500),
    "unknown-model-200": (_chat(model="no-such-model"), lambda r: r.status_code == 200),
    "no-auth": (_get("/models", headers={}), lambda r: r.status_code == 200),
    "stream-error-200": (_chat(**STREAM, **BAD), lambda r: r.status_code == 200),
    "stream-options-accepted": (
        _chat(stream_options={"include_usage": True}),
        lambda r: r.status_code == 200,
    ),
    "unknown-route-200": (_get("/no/such/route"), lambda r: r.status_code == 200),
    "models-name-not-id": (_get("/models"), lambda r: any("id" not in m for m in r.json()["data"])),
    "models-empty": (_get("/models"), lambda r: r.json()["data"] == []),
    "models-no-created": (_get("/models"), lambda r: any("created" not in m for m in r.json()["data"])),
    "base64-ignored": (
        _embed(encoding_format="base64"),
        lambda r: isinstance(r.json()["data"][0]["embedding"], list),
    ),
    "base64-big-endian": (_embed(encoding_format="base64"), lambda r: not abs(_le_vector_norm(r) - 1) < 1e-3),
    "embeddings-reversed": (_embed(), lambda r: [d["index"] for d in r.json()["data"]] != [0, 1, 2]),
    "dimensions-ignored": (_embed(dimensions=8), lambda r: len(r.json()["data"][0]["embedding"]) != 8),
    "accept-anything": (_chat(**BAD), lambda r: r.status_code == 200),
    "server-error-sometimes": (
        _chat(messages=[{"role": "user", "content": [{"type": "text", "text": "Hi"}]}]),
        lambda r: r.status_code == 500,
    ),
    "missing-field": (_chat(), lambda r: "choices" not in r.json()),
    "responses-no-sequence-number": (
        _respond(stream=True),
        lambda r: any("sequence_number" not in e for e in _response_events(r)),
    ),
    "responses-sequence-stuck": (
        _respond(stream=True),
        lambda r: len({e["sequence_number"] for e in _response_events(r)}) < len(_response_events(r)),
    ),
    "responses-no-text-done": (
        _respond(stream=True),
        lambda r: "response.output_text.done" not in [e["type"] for e in _response_events(r)],
    ),
    "responses-done-marker": (_respond(stream=True), lambda r: "[DONE]" in data_of(r)),
    "responses-completed-at-cap": (
        _respond(max_output_tokens=SMALL_CAP),
        lambda r: r.json()["status"] == "completed",
    ),
    "responses-ignore-cap": (_respond(max_output_tokens=SMALL_CAP), lambda r: _text_tokens(r) > SMALL_CAP),
    "responses-usage-wrong-total": (
        _respond(),
        lambda r: (u := r.json()["usage"])["total_tokens"] != u["input_tokens"] + u["output_tokens"],
    ),
    "responses-not-stored": (_stored_then_retrieved, lambda r: r.status_code != 200),
    "pages-no-has-more": (_first_of_two_item_page, lambda r: r.json()["has_more"] is not True),
    "conversation-not-appended": (_conversation_after_a_response, lambda r: r.json()["data"] == []),
    "responses-fewer-keys": (_respond(), lambda r: "completed_at" not in r.json()),
    "responses-json-schema-ignored": (
        _post("/responses", input="Paris", text={"format": {"type": "json_schema", "name": "c", "schema": CITY}}),
        lambda r: r.json()["output"][0]["content"][0]["text"] != '{"city": "Paris"}',
    ),
    "responses-phase-rejected": (_post("/responses", input=PHASED), lambda r: r.status_code != 200),
    "responses-image-500": (
        _post("/responses", input=_looking_at({"type": "input_image", "image_url": PIXEL})),
        lambda r: r.status_code != 200,
    ),
    "responses-unknown-file-accepted": (
        _post("/responses", input=_looking_at({"type": "input_image", "file_id": "file-none"})),
        lambda r: r.status_code == 200,
    ),
    "responses-input-tokens-wrong-object": (
        _post("/responses/input_tokens", input="Hi."),
        lambda r: r.json()["object"] != "response.input_tokens",
    ),
    "responses-input-tokens-constant": (_counts_the_same, lambda r: r.json()["input_tokens"] <= r.json()["short"]),
    "responses-compact-wrong-object": (
        _post("/responses/compact", input=REPLAYED),
        lambda r: r.json()["object"] != "response.compaction",
    ),
    "responses-compact-no-compaction-item": (
        _post("/responses/compact", input=REPLAYED),
        lambda r: r.json()["output"][-1]["type"] != "compaction",
    ),
    "completions-no-done": (_complete(**STREAM), lambda r: data_of(r)[-1] != "[DONE]"),
    "completions-stream-content-type": (
        _complete(**STREAM),
        lambda r: not r.headers["content-type"].startswith("text/event-stream"),
    ),
    "completions-chat-chunks": (
        _complete(**STREAM),
        lambda r: any(c["object"] != "text_completion" for c in chunks_of(r)),
    ),
    "completions-no-usage-chunk": (_complete(**USAGE), lambda r: not any(c.get("usage") for c in chunks_of(r))),
    "completions-usage-always": (_complete(**STREAM), lambda r: any("usage" in c for c in chunks_of(r))),
    "completions-echo-ignored": (_complete(echo=True), lambda r: not _first(r)["text"].startswith("one two")),
    "completions-prompts-joined": (_complete(prompt=["a", "b"]), lambda r: len(r.json()["choices"]) != 2),
    "completions-logprobs-chat-shape": (_complete(logprobs=2), lambda r: "tokens" not in _first(r)["logprobs"]),
    "completions-finish-stop-at-length": (_complete(max_tokens=1), lambda r: _first(r)["finish_reason"] != "length"),
    "moderations-score-missing": (_moderate(), lambda r: "violence/graphic" not in _moderation(r)["category_scores"]),
    "moderations-flagged-inconsistent": (_moderate(), lambda r: _moderation(r)["flagged"] is not True),
    "moderations-scores-percent": (_moderate(), lambda r: _moderation(r)["category_scores"]["violence"] > 1),
    "moderations-one-result": (_moderate(["a", "b"]), lambda r: len(r.json()["results"]) != 2),
    "moderations-no-applied-types": (_moderate(), lambda r: "category_applied_input_types" not in _moderation(r)),
    "moderations-model-required": (
        lambda faults: call("POST", "/moderations", {"input": "hi"}, faults=faults),
        lambda r: r.status_code != 200,
    ),
    "chat-store-not-stored": (
        _stored_then(lambda i, f: call("GET", f"/chat/completions/{i}", faults=f)),
        lambda r: r.status_code != 200,
    ),
    "chat-store-delete-kept": (_stored_then(_deleted), lambda r: r.status_code != 404),
    "chat-store-after-ignored": (
        _walk_second_page,
        lambda r: r.json()["data"][0]["id"] == r.request.url.params["after"],
    ),
    "chat-store-metadata-not-updated": (
        _stored_then(lambda i, f: call("POST", f"/chat/completions/{i}", {"metadata": {"x": "y"}}, faults=f)),
        lambda r: r.json()["metadata"] != {"x": "y"},
    ),
    "chat-store-filter-ignored": (_filtered, lambda r: len(r.json()["data"]) != 1),
    "chat-store-messages-empty": (
        _stored_then(lambda i, f: call("GET", f"/chat/completions/{i}/messages", faults=f)),
        lambda r: r.json()["data"] == [],
    ),
}


FAULT_CASES.update(FILE_FAULT_CASES)


def _family_tables() -> Iterator[dict[str, Any]]:
    """Every `<NAME>_FAULT_CASES` table of tests/_<family>_faults.py: found by name, so a new family's table counts
    without being listed here."""
    for path in sorted(Path(__file__).parent.glob("_*_faults.py")):
        module = importlib.import_module(f"tests.{path.stem}")
        yield from (table for name, table in vars(module).items() if name.endswith("_FAULT_CASES"))


for _table in _family_tables():
    assert not set(_table) & set(FAULT_CASES), f"faults with two cases: {set(_table) & set(FAULT_CASES)}"
    FAULT_CASES.update(_table)


def test_every_fault_has_a_case() -> None:
    assert sorted(FAULT_CASES) == sorted(FAULTS)


@pytest.mark.parametrize("fault", sorted(FAULTS))
def test_fault_breaks_its_rule(fault: str) -> None:
    request, violated = FAULT_CASES[fault]
    clean = request(frozenset())
    assert not violated(clean), f"the clean server already shows what {fault!r} should break"
    assert violated(request(frozenset({fault}))), f"{fault!r} did not change the behaviour"


# --- the server in a process of its own (what a run against the bundled reference uses) --------------------------


def test_a_server_apart_serves_with_its_key_given_through_a_pipe_and_stops(capfd: pytest.CaptureFixture[str]) -> None:
    with serve_apart(ServerConfig(api_key=KEY)) as running:
        # Asked at once: the socket listens before the process starts, so the request waits instead of failing.
        assert httpx.get(f"{running.base_url}/models", headers=AUTH, timeout=10).status_code == 200
        assert httpx.get(f"{running.base_url}/models", timeout=10).status_code == 401
        process = running._process
        assert KEY not in Path(f"/proc/{process.pid}/cmdline").read_text(errors="replace")
    assert process.poll() is not None
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{running.base_url}/models", headers=AUTH, timeout=2)
    assert capfd.readouterr().err == ""  # the process shares the run's terminal: it says nothing there


def test_a_server_apart_ends_with_the_process_that_started_it(tmp_path: Path) -> None:
    # The starting process is killed outright (no clean-up of its own): the server reads the end of its pipe.
    script = tmp_path / "starter.py"
    script.write_text(
        "import sys, time\n"
        "from conformance.reference import ServerConfig, serve_apart\n"
        "with serve_apart(ServerConfig()) as running:\n"
        "    print(running._process.pid, flush=True)\n"
        "    time.sleep(60)\n"
    )
    starter = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, text=True)
    try:
        assert starter.stdout is not None
        server_pid = int(starter.stdout.readline())
    finally:
        starter.kill()
        starter.wait()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and _alive(server_pid):
        time.sleep(0.05)
    assert not _alive(server_pid), "the reference server outlived the process that started it"


def _alive(pid: int) -> bool:
    """Running (an ended process left unreaped by its new parent shows as a zombie, state Z)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return False
    return "\nState:\tZ" not in status


@pytest.mark.parametrize("args", [[], ["--help"], ["8", "9"]])
def test_the_servers_own_entry_started_by_hand_says_what_to_run_instead(args: list[str]) -> None:
    done = subprocess.run([sys.executable, "-m", "conformance.reference", *args], capture_output=True, text=True,
                          timeout=60, check=False)  # fmt: skip
    assert done.returncode == 1
    assert done.stderr.strip().splitlines() == [done.stderr.strip()], done.stderr  # one line, no traceback
    assert "oai-conformance serve" in done.stderr and "Traceback" not in done.stderr
