"""The Responses API and Conversations schemas: they load and resolve, they accept every example the seeds give of
the objects they describe (or reject it for a recorded reason), they reject what broken servers send, and the
stream event schema knows every `response.*` stream event the seeds name."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from functools import cache
from typing import Any

import pytest

from conformance import schemas
from tests import test_schemas as chat_schema_tests
from tests._shared import SEEDS

NEW_NAMES = [
    "conversation",
    "conversation.create.request",
    "conversation.deleted",
    "conversation.items.create.request",
    "conversation.items.list",
    "conversation.update.request",
    "response",
    "response.create.request",
    "response.deleted",
    "response.input-items.list",
    "response.item",
    "response.output-item",
    "response.stream-event",
]

STREAM_EVENT = "response.stream-event"


def contents(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = schemas.registry().contents(f"{name}.json")
    return loaded


def event_types() -> set[str]:
    return set(contents(STREAM_EVENT)["$defs"])


# --- the files and the registry ---------------------------------------------------------------------------


def test_every_new_schema_is_listed() -> None:
    assert set(NEW_NAMES) <= set(schemas.names())


@pytest.mark.parametrize("name", NEW_NAMES)
def test_schema_is_a_valid_2020_12_document_with_its_own_id(name: str) -> None:
    schema = contents(name)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["$id"] == f"{name}.json"
    assert schema["title"] and schema["description"]
    type(schemas.validator(name)).check_schema(schema)


@pytest.mark.parametrize("name", NEW_NAMES)
def test_every_ref_resolves_through_the_registry(name: str) -> None:
    resolver = schemas.registry().resolver(base_uri=f"{name}.json")
    for ref in schemas.refs(contents(name)):
        resolved = resolver.lookup(ref).contents
        assert isinstance(resolved, dict | bool), f"{name}.json: $ref {ref!r} resolves to {resolved!r}"


@pytest.mark.parametrize("name", [name for name in NEW_NAMES if not name.endswith(".request")])
def test_answers_never_forbid_unknown_properties(name: str) -> None:
    text = json.dumps(contents(name))
    assert '"additionalProperties": false' not in text
    assert '"unevaluatedProperties": false' not in text


@pytest.mark.parametrize("name", [name for name in NEW_NAMES if name.endswith(".request")])
def test_requests_reject_unknown_top_level_arguments(name: str) -> None:
    assert contents(name)["additionalProperties"] is False


def test_every_cited_decision_is_in_the_table() -> None:
    table = (schemas.SCHEMAS_DIR / "DECISIONS.md").read_text(encoding="utf-8")
    section = table.split("## Responses API and Conversations", 1)[1].split("\n## ", 1)[0]
    rows = set(re.findall(r"^\| ([a-z0-9-]+) \|", table, flags=re.MULTILINE))
    cited = set()
    for name in NEW_NAMES:
        for row in re.findall(r"DECISIONS\.md: ([a-z0-9-]+)", json.dumps(contents(name))):
            assert row in rows, f"{name}.json cites DECISIONS.md row {row!r}, which does not exist"
            cited.add(row)
    new_rows = set(re.findall(r"^\| ([a-z][a-z0-9-]*) \|", section, flags=re.MULTILINE)) - {"id"}
    assert new_rows <= cited, f"rows of the new section no schema cites: {sorted(new_rows - cited)}"


# --- the seeds' examples --------------------------------------------------------------------------------------

FENCE = re.compile(r"```json\n(.*?)```", re.DOTALL)
CURL = re.compile(
    r"curl\s+(?:-X \w+\s+)?['\"]?https://api\.openai\.com/v1/(?P<path>[^\s'\"?]+)[^\s]*\s*\\\n"
    r"(?:[^\n]*\\\n)*?\s*-d '(?P<body>.*?)'",
    re.DOTALL,
)
HEADING = re.compile(r"^#{1,6} (.+)$", re.MULTILINE)


NEEDS_SEEDS = pytest.mark.skipif(not SEEDS.is_dir(), reason=f"the seeds are not at {SEEDS}")


@cache
def seed_text(number: str) -> str:
    """The seed's text; empty where the seeds are absent (the tests drawn from it then have no examples)."""
    found = sorted(SEEDS.glob(f"{number}_*.txt"))
    return found[0].read_text(encoding="utf-8") if found else ""


# Headings that only name a language or a kind of block; the heading above them says what the example is.
GENERIC_HEADINGS = frozenset({"Python", "JavaScript", "cURL", "Example Requests"})


@cache
def headings(number: str) -> list[tuple[int, str]]:
    """(position, title) of the seed's headings, leaving out comments (`# ...`) inside code blocks."""
    text = seed_text(number)
    blocks = [match.span() for match in re.finditer(r"```.*?```", text, flags=re.DOTALL)]
    return [
        (match.start(), match.group(1))
        for match in HEADING.finditer(text)
        if match.group(1) not in GENERIC_HEADINGS and not any(start < match.start() < end for start, end in blocks)
    ]


def heading_before(number: str, position: int) -> str:
    found = [title for start, title in headings(number) if start < position]
    return found[-1] if found else ""


def examples(*numbers: str) -> Iterator[tuple[str, str, Any]]:
    """(label, request path or '', body) of every JSON block and every curl body of the seeds `numbers`."""
    for number in numbers:
        text = seed_text(number)
        for match in FENCE.finditer(text):
            try:
                body = json.loads(match.group(1))
            except ValueError:
                continue  # abbreviated blocks ("...") are not JSON
            yield f"{number} {heading_before(number, match.start())}", "", body
        for match in CURL.finditer(text):
            try:
                body = json.loads(match.group("body"))
            except ValueError:
                continue  # a placeholder such as '{...}'
            yield f"{number} {heading_before(number, match.start())} (curl)", match.group("path"), body


def answer_examples() -> list[tuple[str, str, Any]]:
    """Each seed example of an answer object, with the schema it is an example of."""
    found = []
    for label, path, body in examples("000", "001", "002", "003", "004"):
        if path or not isinstance(body, dict):
            continue
        if body.get("object") == "response":
            found.append((label, "response", body))
        elif body.get("object") == "conversation":
            found.append((label, "conversation", body))
        elif body.get("object") == "conversation.deleted":
            found.append((label, "conversation.deleted", body))
        elif body.get("type") in event_types() and "sequence_number" in body:
            # Realtime events (001, "response.text.delta" with response_id) have no sequence_number; the
            # webhook "response.completed" of 000 has none either.
            found.append((label, STREAM_EVENT, body))
        elif set(body) == {"usage"} and "input_tokens" in body["usage"]:
            # 001 (Rate Limits and Usage) shows the usage of a response alone.
            found.append((label, "response", {"id": "resp_1", "model": "gpt-5"} | body))
    return found


@NEEDS_SEEDS
def test_the_seeds_have_the_examples_this_file_relies_on() -> None:
    labels = [label for label, _, _ in answer_examples()]
    assert labels == [
        "000 Response Object Structure",
        "000 response.created",
        "000 response.output_text.delta",
        "001 Response Format",
        "001 Rate Limits and Usage",
    ]


@pytest.mark.parametrize(("label", "name", "body"), answer_examples(), ids=lambda value: str(value)[:40])
def test_seed_answer_example_is_valid(label: str, name: str, body: Any) -> None:
    assert schemas.validate(name, body) == [], label


# Request examples of the seeds that the API would refuse, and the decision that explains why.
REFUSED_REQUEST_EXAMPLES = {
    "000 Function Calling (curl)": "request-tools",  # Chat's nested `function`
    "001 Example: Complete Request with All Features": "request-tools",  # nested function; json_schema nested too
    # 003, Create Conversation Items: {type: message, message: {role, content}}, under "### Item Types".
    "003 Item Types (curl)": "item-message",
}

# The 001 blocks that are Responses request bodies (001 shows Chat, audio, embeddings and moderation bodies too).
RESPONSES_BLOCKS_001 = {
    "Text Input",
    "Image Input",
    "File Input",
    "Conversation State",
    "Streaming Support",
    "New (Responses):",
    "Example: Complete Request with All Features",
}


def request_examples() -> list[tuple[str, str, Any]]:
    """Each seed example of a request body of these endpoints, with its schema."""
    found = []
    for label, path, body in examples("000", "001", "003"):
        in_001 = label.removeprefix("001 ") in RESPONSES_BLOCKS_001 and isinstance(body, dict) and "input" in body
        if path == "responses" or in_001:
            found.append((label, "response.create.request", body))
        elif path == "conversations" or label == "001 Create Conversation":
            found.append((label, "conversation.create.request", body))
        elif re.fullmatch(r"conversations/[^/]+/items", path):
            found.append((label, "conversation.items.create.request", body))
    return found


@NEEDS_SEEDS
def test_the_seeds_have_the_request_examples_this_file_relies_on() -> None:
    labels = {label for label, _, _ in request_examples()}
    assert len(labels) >= 14, sorted(labels)
    assert set(REFUSED_REQUEST_EXAMPLES) <= labels


@pytest.mark.parametrize(("label", "name", "body"), request_examples(), ids=lambda value: str(value)[:40])
def test_seed_request_example_is_judged_as_decided(label: str, name: str, body: Any) -> None:
    errors = schemas.validate(name, body)
    if label in REFUSED_REQUEST_EXAMPLES:
        assert errors, f"{label} should be refused (DECISIONS.md: {REFUSED_REQUEST_EXAMPLES[label]})"
    else:
        assert errors == [], f"{label}: {[str(error) for error in errors]}"


# --- every stream event the seeds name ------------------------------------------------------------------------

# `response.*` names in seeds 000 and 003 that are not events of the Responses stream.
NOT_STREAM_EVENTS = {
    "response.cancelled": "a webhook (000 Webhook Events; 003 WebhookResponseCancelled)",
    "response.create": "a Realtime client event",
    "response.cancel": "a Realtime client event",
    "response.done": "a Realtime server event",
    "response.text.delta": "the Realtime beta name of output_text.delta",
    "response.output_audio.delta": "a Realtime server event",
    "response.output_audio.done": "a Realtime server event",
    "response.output_audio_transcript.delta": "a Realtime server event",
    "response.output_audio_transcript.done": "a Realtime server event",
    "response.choices": "code: an attribute of an SDK object",
    "response.data": "code: an attribute of an SDK object",
    "response.data.length": "code: an attribute of an SDK object",
    "response.deleted": "code: an attribute of an SDK object",
    "response.status": "code: an attribute of an SDK object",
    "response.stream_to_file": "code: an SDK method",
}


def named_in_seeds() -> set[str]:
    names = set()
    for number in ("000", "003"):
        names |= set(re.findall(r"\bresponse(?:\.[a-z_]+)+", seed_text(number)))
    return names


@NEEDS_SEEDS
def test_every_stream_event_the_seeds_name_is_defined() -> None:
    missing = named_in_seeds() - set(NOT_STREAM_EVENTS) - event_types()
    assert not missing, f"not in response.stream-event.json $defs: {sorted(missing)}"


@NEEDS_SEEDS
def test_every_event_table_of_seed_003_is_defined() -> None:
    text = seed_text("003")
    found = re.findall(r"^## (Response\w*Event)\n(.*?)(?=^## )", text, flags=re.MULTILINE | re.DOTALL)
    tables = [table for name, table in found if name != "ResponseStreamEvent"]  # the union, without a table
    assert len(tables) == 53
    named = {match for table in tables for match in re.findall(r"Always\s*[`']([a-z_.]+)[`']", table)}
    assert len(named) >= 48  # two tables say only "The event type identifier"; one has no description
    assert named <= event_types()


@NEEDS_SEEDS
def test_the_exclusions_are_still_needed() -> None:
    assert set(NOT_STREAM_EVENTS) <= named_in_seeds() | {"response.text.delta"}
    assert not set(NOT_STREAM_EVENTS) & event_types()


def test_event_definitions_are_named_by_their_type_and_need_a_sequence_number() -> None:
    definitions = contents(STREAM_EVENT)["$defs"]
    assert len(definitions) == 58
    for name, definition in definitions.items():
        assert definition["properties"]["type"] == {"const": name}
        assert {"type", "sequence_number"} <= set(definition["required"])


# --- crafted answers: accepted and rejected ---------------------------------------------------------------


def response(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": "resp_1",
        "object": "response",
        "created_at": 1_741_476_542,
        "status": "completed",
        "model": "gpt-4.1-2025-04-14",
        "output": [
            {
                "type": "message",
                "id": "msg_1",
                "status": "completed",
                "role": "assistant",
                "content": [{"type": "output_text", "text": "Hi", "annotations": []}],
            }
        ],
        "error": None,
        "incomplete_details": None,
        "usage": {"input_tokens": 3, "output_tokens": 1, "total_tokens": 4},
    }
    return body | changes


def event(kind: str, **fields: Any) -> dict[str, Any]:
    return {"type": kind, "sequence_number": 3} | fields


def delta(**changes: Any) -> dict[str, Any]:
    body = event("response.output_text.delta", item_id="msg_1", output_index=0, content_index=0, delta="Hi")
    return body | changes


def without(body: dict[str, Any], key: str) -> dict[str, Any]:
    return {name: value for name, value in body.items() if name != key}


CONVERSATION = {"id": "conv_1", "object": "conversation", "created_at": 1_741_900_000, "metadata": {}}
ITEM = {"id": "msg_1", "type": "message", "role": "user", "content": [{"type": "input_text", "text": "Hi"}]}

VIOLATIONS = [
    pytest.param("response", without(response(), "id"), "$", "'id' is a required property", id="no-id"),
    pytest.param("response", response(status="done"), "$.status", "is not one of", id="wrong-status"),
    pytest.param("response", response(created_at="1741476542"), "$.created_at", "not of type", id="date-string"),
    pytest.param("response", response(created_at=1_741_476_542_000), "$.created_at", "milliseconds", id="millis"),
    pytest.param("response", response(object="chat.completion"), "$.object", "was expected", id="wrong-object"),
    pytest.param(
        "response",
        response(output=[{"type": "function_call", "call_id": "c", "name": "f", "arguments": {"a": 1}}]),
        "$.output[0].arguments",
        "is not of type 'string'",
        id="arguments-as-object",
    ),
    pytest.param(
        "response",
        response(output=[{"type": "message", "id": "m", "role": "user", "content": []}]),
        "$.output[0].role",
        "'assistant' was expected",
        id="output-message-not-assistant",
    ),
    pytest.param(
        "response",
        response(usage={"input_tokens": 3, "output_tokens": 1}),
        "$.usage",
        "'total_tokens' is a required property",
        id="usage-without-total",
    ),
    pytest.param(
        "response",
        response(error={"message": "boom"}),
        "$.error",
        "'code' is a required property",
        id="error-without-code",
    ),
    pytest.param(STREAM_EVENT, without(delta(), "sequence_number"), "$", "'sequence_number'", id="no-sequence"),
    pytest.param(STREAM_EVENT, without(delta(), "item_id"), "$", "'item_id' is a required", id="no-item-id"),
    pytest.param(STREAM_EVENT, delta(sequence_number=-1), "$.sequence_number", "minimum", id="negative-sequence"),
    pytest.param(STREAM_EVENT, delta(delta=None), "$.delta", "is not of type 'string'", id="null-delta"),
    pytest.param(
        STREAM_EVENT,
        event("response.created", response=response(status="started")),
        "$.response.status",
        "is not one of",
        id="created-with-wrong-status",
    ),
    pytest.param(
        STREAM_EVENT,
        event("response.output_item.added", output_index=0, item={"type": "message", "role": "assistant"}),
        "$.item",
        "'content' is a required property",
        id="item-added-without-content",
    ),
    pytest.param(STREAM_EVENT, event("error", message="boom"), "$", "'code' is a required", id="error-no-code"),
    pytest.param(STREAM_EVENT, {"sequence_number": 1}, "$", "'type' is a required property", id="no-type"),
    pytest.param("conversation", without(CONVERSATION, "created_at"), "$", "'created_at'", id="conversation"),
    pytest.param(
        "conversation.deleted",
        {"id": "conv_1", "object": "conversation.deleted", "deleted": False},
        "$.deleted",
        "True was expected",
        id="conversation-not-deleted",
    ),
    pytest.param("response.item", without(ITEM, "id"), "$", "'id' is a required property", id="item-no-id"),
    pytest.param(
        "conversation.items.list",
        {"object": "list", "data": [ITEM], "first_id": "msg_1", "last_id": "msg_1"},
        "$",
        "'has_more' is a required property",
        id="items-list-without-has-more",
    ),
    pytest.param(
        "response.deleted",
        {"id": "resp_1", "object": "response"},
        "$",
        "'deleted' is a required property",
        id="response-deleted-without-deleted",
    ),
]


CONFORMING = [
    pytest.param("response", response(), id="response"),
    pytest.param(
        "response",
        response(status="in_progress", output=[], usage=None, output_text=None, future_field={"x": 1}),
        id="in-progress-without-usage",
    ),
    pytest.param(
        "response",
        response(output=[{"type": "some_future_call", "id": "x_1", "anything": [1]}]),
        id="unknown-output-item-type",
    ),
    pytest.param(
        "response",
        response(
            output=[
                {"type": "reasoning", "id": "rs_1", "summary": [], "encrypted_content": None},
                {"type": "function_call", "id": "fc_1", "call_id": "call_1", "name": "f", "arguments": "{}"},
                {"type": "web_search_call", "id": "ws_1", "status": "completed", "action": {"type": "search"}},
            ]
        ),
        id="reasoning-function-and-tool-items",
    ),
    pytest.param(STREAM_EVENT, delta(), id="text-delta"),
    pytest.param(STREAM_EVENT, delta(logprobs=[{"token": "Hi", "logprob": -0.1}]), id="text-delta-logprobs"),
    pytest.param(STREAM_EVENT, event("response.some_future.event", anything=1), id="unknown-event-type"),
    pytest.param(STREAM_EVENT, event("response.completed", response=response()), id="completed"),
    pytest.param(STREAM_EVENT, event("error", code=None, message="boom", param=None), id="error-event"),
    pytest.param(
        STREAM_EVENT,
        event(
            "response.content_part.added",
            item_id="msg_1",
            output_index=0,
            content_index=0,
            part={"type": "output_text", "text": "", "annotations": []},
        ),
        id="content-part-added",
    ),
    pytest.param("conversation", CONVERSATION, id="conversation"),
    pytest.param("conversation.deleted", {"id": "conv_1", "object": "conversation.deleted", "deleted": True}),
    pytest.param("response.deleted", {"id": "resp_1", "object": "response", "deleted": True}, id="deleted"),
    pytest.param(
        "response.input-items.list",
        {"object": "list", "data": [ITEM], "first_id": "msg_1", "last_id": "msg_1", "has_more": False},
        id="input-items",
    ),
    pytest.param(
        "conversation.items.list",
        {"object": "list", "data": [], "first_id": None, "last_id": None, "has_more": False},
        id="empty-items-list",
    ),
]


# --- crafted requests -------------------------------------------------------------------------------------


def request(**changes: Any) -> dict[str, Any]:
    return {"model": "gpt-4.1", "input": "Hello"} | changes


GOOD_REQUESTS = [
    pytest.param("response.create.request", request(), id="minimal"),
    pytest.param("response.create.request", {"prompt": {"id": "pmpt_1"}}, id="prompt-without-model"),
    pytest.param(
        "response.create.request",
        request(
            input=[
                {"role": "developer", "content": "Be brief."},
                {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "Hi"}]},
                {"type": "function_call", "call_id": "call_1", "name": "f", "arguments": "{}"},
                {"type": "function_call_output", "call_id": "call_1", "output": "22C"},
                {"id": "msg_1"},
            ],
            tools=[{"type": "function", "name": "f", "parameters": {"type": "object"}, "strict": True}],
            tool_choice={"type": "function", "name": "f"},
            text={"format": {"type": "json_schema", "name": "answer", "schema": {}, "strict": True}},
            reasoning={"effort": "low", "summary": "auto"},
            max_output_tokens=16,
            metadata={"k": "v"},
            include=["reasoning.encrypted_content"],
            conversation={"id": "conv_1"},
            stream=None,
        ),
        id="full",
    ),
    pytest.param("conversation.create.request", {}, id="empty-conversation"),
    pytest.param("conversation.update.request", {"metadata": {"topic": "x"}}, id="update"),
]

BAD_REQUESTS = [
    pytest.param("response.create.request", request(messages=[]), "$", "'messages' was unexpected", id="unknown"),
    pytest.param("response.create.request", request(temperature="hot"), "$.temperature", "not of type", id="type"),
    pytest.param("response.create.request", request(max_output_tokens=15), "$.max_output_tokens", "minimum"),
    pytest.param("response.create.request", request(include=["everything"]), "$.include[0]", "is not one of"),
    pytest.param("response.create.request", {"input": "Hi"}, "$", "is not valid under any", id="no-model"),
    pytest.param(
        "response.create.request",
        request(metadata={f"k{i}": "v" for i in range(17)}),
        "$.metadata",
        "has too many properties",
        id="metadata-17-keys",
    ),
    pytest.param(
        "response.create.request",
        request(tools=[{"type": "function", "function": {"name": "f"}}]),
        "$.tools[0]",
        "'name' is a required property",
        id="chat-style-function-tool",
    ),
    pytest.param(
        "response.create.request",
        request(input=[{"role": "user", "content": [{"type": "text", "text": "Hi"}]}]),
        "$.input[0].content[0].type",
        "is not one of",
        id="chat-content-part",
    ),
    pytest.param(
        "conversation.items.create.request",
        {"items": [{"role": "user", "content": "Hi"}] * 21},
        "$.items",
        "is too long",
        id="21-items",
    ),
    pytest.param("conversation.update.request", {}, "$", "'metadata' is a required property", id="update-empty"),
]


# One judge for the chat schemas and these: the functions of tests/test_schemas.py, called, not collected twice.
@pytest.mark.parametrize(("name", "instance", "path", "message"), VIOLATIONS + BAD_REQUESTS)
def test_violation_is_rejected_at_its_path(name: str, instance: object, path: str, message: str) -> None:
    chat_schema_tests.test_violation_is_rejected_at_its_path(name, instance, path, message)


@pytest.mark.parametrize(("name", "instance"), CONFORMING + GOOD_REQUESTS)
def test_conforming_instance_is_accepted(name: str, instance: object) -> None:
    chat_schema_tests.test_conforming_instance_is_accepted(name, instance)
