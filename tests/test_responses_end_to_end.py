"""The Responses API's newer parts end to end: the official `openai` SDK drives the reference server's input token
count, compaction, structured output (`responses.parse`), phases and image parts, and each of their faults is
caught through client, cases, plugin and reports."""

from __future__ import annotations

import json
import os

import pytest
from pydantic import BaseModel

from conformance.checks.responses import FUNCTION_TOOL_KEYS, OPTIONAL_KEYS, USAGE_DETAILS
from tests._runs import assert_caught, certify, statuses
from tests._sdk import reference_sdk

openai = pytest.importorskip("openai")

pytest_plugins = ["pytester"]

KEY = "sk-responses-" + os.urandom(8).hex()
MODEL = "gpt-4o-mini"
CREATE, INPUT, TOKENS = (
    "responses/test_responses.py",
    "responses/test_responses_input.py",
    "responses/test_responses_tokens.py",
)
PIXEL = (
    "data:image/png;base64,"
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
)
WEATHER = {
    "type": "function",
    "name": "get_weather",
    "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
}

# fault -> (the case file that exposes it, the requirements it must fail or, for a SHOULD, warn)
CAUGHT = {
    "responses-fewer-keys": (CREATE, ["responses.create.optional-keys"]),
    "responses-json-schema-ignored": (INPUT, ["responses.text.json-schema"]),
    "responses-phase-rejected": (INPUT, ["responses.input.phase"]),
    "responses-image-500": (INPUT, ["responses.input.image"]),
    "responses-unknown-file-accepted": (INPUT, ["responses.input.image-unknown-file"]),
    "responses-input-tokens-wrong-object": (TOKENS, ["responses.input-tokens.shape"]),
    "responses-input-tokens-constant": (TOKENS, ["responses.input-tokens.grows"]),
    "responses-compact-wrong-object": (TOKENS, ["responses.compact.shape"]),
    "responses-compact-no-compaction-item": (TOKENS, ["responses.compact.output"]),
}


@pytest.fixture(scope="module")
def client():
    with reference_sdk(KEY) as sdk:
        yield sdk


def test_the_sdk_counts_input_tokens_as_a_response_would_use_them(client) -> None:
    text = "Tell me a joke about a unicorn."
    count = client.responses.input_tokens.count(model=MODEL, input=text, instructions="Be brief.")
    assert count.object == "response.input_tokens"
    made = client.responses.create(model=MODEL, input=text, instructions="Be brief.", store=False)
    assert made.usage is not None and count.input_tokens == made.usage.input_tokens == 9
    longer = client.responses.input_tokens.count(model=MODEL, input=" ".join([text] * 10))
    assert longer.input_tokens > count.input_tokens


def test_the_sdk_compacts_a_conversation_and_continues_from_it(client) -> None:
    raw = client.responses.with_raw_response.compact(
        model=MODEL,
        input=[
            {"role": "user", "content": "Create a greeting for a dog cafe."},
            {"type": "message", "role": "assistant", "content": [{"type": "output_text", "text": "Welcome, paws!"}]},
            {"role": "user", "content": "Make it shorter."},
        ],
    )
    compacted = raw.parse()
    assert compacted.object == "response.compaction" and compacted.id.startswith("resp_")
    assert [item.type for item in compacted.output] == ["message", "message", "compaction"]
    kept = [item.content[0].text for item in compacted.output if item.type == "message"]  # type: ignore[union-attr]
    assert kept == ["Create a greeting for a dog cafe.", "Make it shorter."]
    assert compacted.output[-1].encrypted_content  # type: ignore[union-attr]
    assert compacted.usage.total_tokens == compacted.usage.input_tokens + compacted.usage.output_tokens
    # The compacted output, as it came, is the next request's input, compaction item included. (The SDK types the
    # kept user messages as output messages, so they are taken from the answer, not dumped from its models.)
    follow = raw.http_response.json()["output"]
    answer = client.responses.create(model=MODEL, input=[*follow, {"role": "user", "content": "Thanks."}])
    assert answer.status == "completed" and answer.output_text == "Thanks."


class City(BaseModel):
    city: str
    country: str
    population: int


def test_the_sdk_parses_structured_output_into_a_pydantic_model(client) -> None:
    response = client.responses.parse(model=MODEL, input="Paris", text_format=City)
    assert response.status == "completed"
    assert response.output_parsed == City(city="Paris", country="Paris", population=1)
    assert json.loads(response.output_text) == {"city": "Paris", "country": "Paris", "population": 1}
    assert response.text is not None and response.text.format.type == "json_schema"


def test_the_sdk_replays_assistant_messages_with_their_phase(client) -> None:
    response = client.responses.create(
        model=MODEL,
        input=[
            {"role": "user", "content": "Say OK."},
            {"type": "message", "role": "assistant", "phase": "final_answer", "content": "OK"},
            {"role": "user", "content": "Once more."},
        ],
    )
    assert response.status == "completed" and response.output_text == "Once more."
    listed = client.responses.input_items.list(response.id, order="asc")
    assert [getattr(item, "phase", None) for item in listed.data] == [None, "final_answer", None]


def test_the_sdk_sends_images_by_data_url_and_by_file_id(client) -> None:
    looking = {"type": "input_text", "text": "Describe it."}
    response = client.responses.create(
        model=MODEL, input=[{"role": "user", "content": [looking, {"type": "input_image", "image_url": PIXEL}]}]
    )
    assert response.status == "completed" and response.output_text == "Describe it."
    with pytest.raises(openai.BadRequestError) as bad:
        client.responses.create(
            model=MODEL, input=[{"role": "user", "content": [looking, {"type": "input_image", "file_id": "file-none"}]}]
        )
    assert bad.value.param == "input[0].content[1].file_id"


def test_the_reference_sends_every_key_the_real_api_sends(client) -> None:
    raw = client.responses.with_raw_response.create(model=MODEL, input="Paris", tools=[WEATHER], store=False)
    body = raw.http_response.json()
    assert set(OPTIONAL_KEYS) <= set(body) and set(USAGE_DETAILS) <= set(body["usage"])
    assert set(FUNCTION_TOOL_KEYS) <= set(body["tools"][0]) and body["tools"][0]["strict"] is True
    response = raw.parse()
    assert response.completed_at == response.created_at and response.safety_identifier is None
    assert response.top_logprobs == 0 and response.prompt_cache_key is None


def test_the_sdk_raises_on_the_documented_errors(client) -> None:
    with pytest.raises(openai.NotFoundError) as found:
        client.responses.input_tokens.count(model="oai-conformance-no-such-model", input="x")
    assert found.value.code == "model_not_found"
    with pytest.raises(openai.BadRequestError) as bad:
        client.responses.compact(model=MODEL, previous_response_id="resp_none")
    assert bad.value.param == "previous_response_id"


@pytest.mark.parametrize("fault", sorted(CAUGHT))
def test_fault_is_reported(pytester, monkeypatch, fault) -> None:
    cases, rules = CAUGHT[fault]
    results = certify(pytester, monkeypatch, frozenset({fault}), cases, "--oai-retries", "0", only=rules)
    assert_caught(results, fault, rules)
    if "fail" not in {statuses(results)[rid] for rid in rules}:
        assert results["verdict"] == "conformant", "a SHOULD rule warns, it never fails a run"


def test_the_same_cases_pass_without_a_fault(pytester, monkeypatch) -> None:
    results = certify(pytester, monkeypatch, frozenset(), [CREATE, INPUT, TOKENS], "--oai-retries", "0")
    rules = {rid for _, ids in CAUGHT.values() for rid in ids}
    assert {rid: statuses(results)[rid] for rid in rules} == dict.fromkeys(rules, "pass")
    assert results["verdict"] == "conformant"
