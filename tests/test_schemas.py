"""The schemas in `schemas/` and their registry: they load, they accept what the real API sent, they reject
what broken servers send, and a broken schema file stops the run with one clear line."""

from __future__ import annotations

import gzip
import json
import os
import re
from collections.abc import Iterable, Iterator
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from conformance import schemas
from conformance.exceptions import ConfigError
from tests._shared import RECORDINGS

# Recorded real OpenAI answers (aliok/FauxpenAI-spec, Apache-2.0); they live in ../shared beside the repository.
RECORDINGS_CANDIDATES = [os.environ.get("OAI_CONFORMANCE_RECORDINGS", ""), str(RECORDINGS)]

REQUEST_SCHEMA = {"chat-completions": "chat.completion.request", "embeddings": "embeddings.request"}
ANSWER_SCHEMA = {"chat-completions": "chat.completion", "embeddings": "embeddings.list"}

# Recorded 400s caused by one value's type, range, enum or shape: the request schema must reject them.
# Everything else is a rule across parameters (stream_options without stream, top_logprobs without logprobs,
# metadata without store, both token limits) or of the model (prediction, reasoning_effort, json_object,
# audio, images, context length), which no schema can see.
SCHEMA_MATTERS = [
    r"^Invalid type for '",
    r"integer below minimum value|decimal (below|above) m(in|ax)imum value",
    r"^Invalid property name in 'metadata'|string too long|too many properties",
    r"^Missing required parameter",
    r"^you must provide a model parameter",
    r"^Logit bias value .* outside of range",
    r"^Invalid value: '.*'\. (Supported values are|Value must be)",
    r"^Invalid value for 'modalities'\. Only",
    # The validator in front of gpt-4o-audio-preview speaks pydantic. Its `string_type` error for `stop: []`
    # is left out: gpt-4 answered the same value with 200.
    r"'type': '(int_parsing|float_parsing|bool_parsing|greater_than_equal|less_than_equal)'",
    # The embeddings endpoint's messages.
    r"^'\$\.input' is invalid",
    r"is not of type '",
    r"is less than the minimum of",
    r"^Invalid value for 'encoding_format'",
    r"^Invalid token in prompt: -",
]


def recordings_dir() -> Path | None:
    for candidate in RECORDINGS_CANDIDATES:
        if candidate and (Path(candidate) / "chat-completions.json.gz").is_file():
            return Path(candidate)
    return None


@cache
def recordings(endpoint: str) -> dict[str, Any]:
    folder = recordings_dir()
    if folder is None:
        pytest.skip("no recordings: set OAI_CONFORMANCE_RECORDINGS to the folder of chat-completions.json.gz")
    with gzip.open(folder / f"{endpoint}.json.gz", "rt", encoding="utf-8") as file:
        loaded: dict[str, Any] = json.load(file)
    return loaded


def recorded(endpoint: str, *statuses: int) -> Iterator[tuple[str, dict[str, Any], Any]]:
    """(label, request body, answer body) of each recording with one of `statuses`; unrun ones skipped."""
    for key, entry in recordings(endpoint).items():
        response = entry["response"]
        if response is None or response["status"] not in statuses:
            continue
        label = f"{endpoint} {key[:12]} ({entry['scenario']['spec']['name']}, status {response['status']})"
        yield label, entry["scenario"]["requestBody"], response["body"]


def first_errors(name: str, instance: object, limit: int = 3) -> str:
    return "; ".join(str(error) for error in schemas.validate(name, instance)[:limit])


def assert_none_failed(failures: list[str], checked: int, what: str) -> None:
    assert checked > 0, f"no recordings to check: {what}"
    shown = "\n".join(failures[:20])
    assert not failures, f"{what}: {len(failures)} of {checked} failed\n{shown}"


# --- the files and the registry ---------------------------------------------------------------------------

EXPECTED_NAMES = [
    "batch",
    "batch.create.request",
    "batch.error-line",
    "batch.list",
    "batch.output-line",
    "chat.completion",
    "chat.completion.chunk",
    "chat.completion.deleted",
    "chat.completion.list",
    "chat.completion.messages.list",
    "chat.completion.request",
    "chat.completion.update.request",
    "chat.logprobs",
    "chat.message",
    "chat.tool-call",
    "chat.tool-call-delta",
    "chat.usage",
    "completion",
    "completion.chunk",
    "completion.request",
    "conversation",
    "conversation.create.request",
    "conversation.deleted",
    "conversation.items.create.request",
    "conversation.items.list",
    "conversation.update.request",
    "deleted",
    "embedding",
    "embeddings.list",
    "embeddings.request",
    "error",
    "file",
    "file.content",
    "file.create.request",
    "file.deleted",
    "file.list",
    "list",
    "model",
    "model.deleted",
    "models.list",
    "moderation",
    "moderation.request",
    # administration API
    "organization.admin_api_key",
    "organization.admin_api_key.create.request",
    "organization.admin_api_key.deleted",
    "organization.admin_api_key.list",
    "organization.audit_log",
    "organization.audit_log.list",
    "organization.certificate",
    "organization.certificate.activate.request",
    "organization.certificate.create.request",
    "organization.certificate.deleted",
    "organization.certificate.list",
    "organization.certificate.update.request",
    "organization.invite",
    "organization.invite.create.request",
    "organization.invite.deleted",
    "organization.invite.list",
    "organization.project",
    "organization.project.api_key",
    "organization.project.api_key.deleted",
    "organization.project.api_key.list",
    "organization.project.create.request",
    "organization.project.list",
    "organization.project.rate_limit",
    "organization.project.rate_limit.list",
    "organization.project.rate_limit.update.request",
    "organization.project.service_account",
    "organization.project.service_account.create.request",
    "organization.project.service_account.created",
    "organization.project.service_account.deleted",
    "organization.project.service_account.list",
    "organization.project.update.request",
    "organization.project.user",
    "organization.project.user.create.request",
    "organization.project.user.deleted",
    "organization.project.user.list",
    "organization.project.user.update.request",
    "organization.usage.page",
    "organization.user",
    "organization.user.deleted",
    "organization.user.list",
    "organization.user.update.request",
    "response",
    "response.compact.request",
    "response.compaction",
    "response.create.request",
    "response.deleted",
    "response.file-search-call",
    "response.input-items.list",
    "response.input-tokens",
    "response.input-tokens.request",
    "response.item",
    "response.output-item",
    "response.stream-event",
    "upload",
    "upload.complete.request",
    "upload.create.request",
    "upload.part",
    "upload.part.request",
    "vector_store",
    "vector_store.create.request",
    "vector_store.deleted",
    "vector_store.file",
    "vector_store.file.content",
    "vector_store.file.create.request",
    "vector_store.file.deleted",
    "vector_store.file.list",
    "vector_store.file.update.request",
    "vector_store.file_batch",
    "vector_store.file_batch.create.request",
    "vector_store.list",
    "vector_store.search.request",
    "vector_store.search.results",
    "vector_store.update.request",
]
# assistants: the Assistants API's objects and requests
EXPECTED_NAMES = sorted([
    *EXPECTED_NAMES, "assistant", "assistant.create.request", "assistant.deleted", "assistant.list", "assistant.tools",
    "assistant.update.request", "thread", "thread.create.request", "thread.deleted", "thread.message",
    "thread.message.create.request", "thread.message.deleted", "thread.message.delta", "thread.message.list",
    "thread.message.update.request", "thread.run", "thread.run.create-thread.request", "thread.run.create.request",
    "thread.run.list", "thread.run.step", "thread.run.step.delta", "thread.run.step.list",
    "thread.run.submit-tool-outputs.request", "thread.run.update.request", "thread.update.request",
    # Images and Videos (merged from main without their names here)
    "images.edit.request", "images.generate.request", "images.response", "images.stream-event",
    "images.variation.request", "video", "video.content", "video.create.request", "video.deleted", "video.list",
    "video.remix.request",
    # audio, containers and ChatKit
    "audio.speech.request", "audio.speech.stream-event", "audio.transcript.stream-event", "audio.transcription",
    "audio.transcription.request", "audio.transcription.verbose", "audio.translation.request",
    "chatkit.file", "chatkit.file.create.request", "chatkit.session", "chatkit.session.create.request",
    "chatkit.thread", "chatkit.thread-item.list", "chatkit.thread.deleted", "chatkit.thread.list",
    "container", "container.create.request", "container.deleted", "container.file", "container.file.create.request",
    "container.file.deleted", "container.file.list", "container.list",
    # transports: the Realtime API, webhooks
    "realtime.call.create.request", "realtime.call.refer.request", "realtime.call.reject.request",
    "realtime.client-event", "realtime.client-secret", "realtime.client-secret.create.request",
    "realtime.server-event", "realtime.session", "realtime.session-config", "realtime.session.create.request",
    "realtime.transcription-config", "realtime.transcription-session", "realtime.transcription-session.create.request",
    "webhook.event",
])
# fine-tuning (helper finetune-evals)
EXPECTED_NAMES = sorted([
    *EXPECTED_NAMES,
    "fine_tuning.checkpoint.permission.create.request",
    "fine_tuning.checkpoint.permission.deleted",
    "fine_tuning.checkpoint.permission.list",
    "fine_tuning.job",
    "fine_tuning.job.checkpoint.list",
    "fine_tuning.job.create.request",
    "fine_tuning.job.event.list",
    "fine_tuning.job.list",
    "grader",
    "grader.run",
    "grader.run.request",
    "grader.validate",
    "grader.validate.request",
    "eval",
    "eval.create.request",
    "eval.deleted",
    "eval.list",
    "eval.run",
    "eval.run.create.request",
    "eval.run.deleted",
    "eval.run.list",
    "eval.run.output_item",
    "eval.run.output_item.list",
    "eval.update.request",
])  # fmt: skip
EXPECTED_NAMES = sorted([*EXPECTED_NAMES, "audio.voice-consent"])  # audio: voice consents
# graders: seed 000's /v1/graders
EXPECTED_NAMES = sorted([
    *EXPECTED_NAMES, "graders.create.request", "graders.deleted", "graders.grade", "graders.grade.request",
    "graders.grader", "graders.list", "graders.update.request",
])  # fmt: skip




def test_names_lists_every_schema_file() -> None:
    assert schemas.names() == EXPECTED_NAMES


@pytest.mark.parametrize("name", EXPECTED_NAMES)
def test_schema_file_loads_with_its_own_id(name: str) -> None:
    contents = schemas.registry().contents(f"{name}.json")
    assert contents["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert contents["$id"] == f"{name}.json"
    assert contents["title"] and contents["description"]
    assert schemas.validator(name).schema is contents


@pytest.mark.parametrize("name", EXPECTED_NAMES)
def test_every_ref_resolves(name: str) -> None:
    contents = schemas.registry().contents(f"{name}.json")
    resolver = schemas.registry().resolver(base_uri=f"{name}.json")
    for ref in schemas.refs(contents):
        resolved = resolver.lookup(ref).contents
        assert isinstance(resolved, dict | bool), f"{name}.json: $ref {ref!r} resolves to {resolved!r}"


@pytest.mark.parametrize("name", [name for name in EXPECTED_NAMES if not name.endswith(".request")])
def test_response_schemas_never_forbid_unknown_properties(name: str) -> None:
    # Request schemas are strict on purpose; answers carry fields the docs never mention.
    text = json.dumps(schemas.registry().contents(f"{name}.json"))
    assert '"additionalProperties": false' not in text
    assert '"unevaluatedProperties": false' not in text


def test_every_decision_cited_in_a_schema_is_in_the_table() -> None:
    table = (schemas.SCHEMAS_DIR / "DECISIONS.md").read_text(encoding="utf-8")
    rows = set(re.findall(r"^\| ([a-z0-9-]+) \|", table, flags=re.MULTILINE))
    for name in EXPECTED_NAMES:
        text = json.dumps(schemas.registry().contents(f"{name}.json"))
        for cited in re.findall(r"DECISIONS\.md: ([a-z0-9-]+)", text):
            assert cited in rows, f"{name}.json cites DECISIONS.md row {cited!r}, which does not exist"


def test_registry_and_validators_are_built_once() -> None:
    assert schemas.registry() is schemas.registry()
    assert schemas.validator("error") is schemas.validator("error")


def test_unknown_schema_name_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match=r"^unknown schema 'chat\.completions'; known: (\S+, )*chat\.completion, "):
        schemas.validator("chat.completions")


def test_schema_error_reads_as_path_and_message() -> None:
    [error] = schemas.validate("error", {"error": "a string"})
    assert error == schemas.SchemaError(
        path="$.error",
        message="'a string' is not of type 'object'",
        schema_path="error.json#/properties/error/type",
        instance="a string",
        keyword="type",
    )
    assert str(error) == "$.error: 'a string' is not of type 'object'"


@pytest.mark.parametrize(
    ("value", "conforms"),
    [
        (0, True),
        (1_700_000_000, True),
        (10**11, True),
        (1_700_000_000_000, False),  # milliseconds
        (-1, False),
        ("1700000000", True),  # not a number: `type` judges it, not the format
    ],
)
def test_unixtime_format_is_seconds(value: object, conforms: bool) -> None:
    assert schemas.FORMATS.conforms(value, "unixtime") is conforms


# --- every recording is accepted ------------------------------------------------------------------------


def assert_all_valid(name: str, items: Iterable[tuple[str, Any]], what: str) -> None:
    """Every (label, instance) validates against schema `name`; the failures name their label."""
    failures, checked = [], 0
    for label, instance in items:
        checked += 1
        if schemas.validate(name, instance):
            failures.append(f"{label}: {first_errors(name, instance)}")
    assert_none_failed(failures, checked, what)


@pytest.mark.parametrize("endpoint", ["chat-completions", "embeddings"])
def test_recorded_answers_are_valid(endpoint: str) -> None:
    name = ANSWER_SCHEMA[endpoint]
    answers = [(label, body) for label, _, body in recorded(endpoint, 200) if not isinstance(body, list)]
    assert_all_valid(name, answers, f"recorded 200 answers are valid {name}")


def test_recorded_stream_chunks_are_valid() -> None:
    chunks = [
        (f"{label} chunk {number}", chunk)
        for label, _, body in recorded("chat-completions", 200)
        if isinstance(body, list)
        for number, chunk in enumerate(body)
    ]
    assert_all_valid("chat.completion.chunk", chunks, "recorded chunks are valid chat.completion.chunk")


@pytest.mark.parametrize("endpoint", ["chat-completions", "embeddings"])
def test_recorded_error_bodies_are_valid(endpoint: str) -> None:
    bodies = [(label, body) for label, _, body in recorded(endpoint, 400, 404)]
    assert_all_valid("error", bodies, "recorded 400/404 bodies are valid error")


@pytest.mark.parametrize("endpoint", ["chat-completions", "embeddings"])
def test_recorded_accepted_requests_are_valid(endpoint: str) -> None:
    name = REQUEST_SCHEMA[endpoint]
    requests = [(label, request) for label, request, _ in recorded(endpoint, 200)]
    assert_all_valid(name, requests, f"requests answered 200 are valid {name}")


@pytest.mark.parametrize("endpoint", ["chat-completions", "embeddings"])
def test_recorded_schema_rejections_are_invalid(endpoint: str) -> None:
    name = REQUEST_SCHEMA[endpoint]
    failures, checked = [], 0
    for label, request, body in recorded(endpoint, 400):
        error = body["error"]
        if not any(re.search(pattern, error["message"]) for pattern in SCHEMA_MATTERS):
            continue
        checked += 1
        found = schemas.validate(name, request)
        if not found:
            failures.append(f"{label}: accepted, but the API said {error['message'][:120]!r}")
            continue
        # The schema must object to the parameter the API named, not to something else in the body.
        param = re.split(r"[.\[]", error["param"] or "")[0]
        if param and not any(names_param(e, param) for e in found):
            failures.append(
                f"{label}: the API named {error['param']!r}, the schema said {first_errors(name, request)}"
            )
    assert_none_failed(failures, checked, f"requests rejected for a single value are invalid {name}")


def names_param(error: schemas.SchemaError, param: str) -> bool:
    """Whether `error` is about the top-level request parameter `param`."""
    if error.keyword == "required" and error.path == "$":
        return error.message == f"{param!r} is a required property"
    return re.match(rf"^\$\.{re.escape(param)}\b", error.path) is not None


# --- what broken servers send is rejected, at the right place ----------------------------------------------


def completion(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "created": 1_700_000_000,
        "model": "gpt-4o-2024-08-06",
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": "Hello!", "refusal": None},
                "logprobs": None,
                "finish_reason": "stop",
            }
        ],
        "usage": {"prompt_tokens": 9, "completion_tokens": 2, "total_tokens": 11},
        "system_fingerprint": None,
    }
    return body | changes


def chunk(delta: dict[str, Any], **changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": "chatcmpl-1",
        "object": "chat.completion.chunk",
        "created": 1_700_000_000,
        "model": "gpt-4o-2024-08-06",
        "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": None}],
    }
    return body | changes


def tool_call_answer(arguments: object) -> dict[str, Any]:
    call = {"id": "call_1", "type": "function", "function": {"name": "get_weather", "arguments": arguments}}
    message = {"role": "assistant", "content": None, "refusal": None, "tool_calls": [call]}
    return completion(
        choices=[{"index": 0, "message": message, "logprobs": None, "finish_reason": "tool_calls"}]
    )


def models_list(*items: dict[str, Any]) -> dict[str, Any]:
    return {"object": "list", "data": list(items)}


def chat_request(**changes: Any) -> dict[str, Any]:
    return {"model": "gpt-4o", "messages": [{"role": "user", "content": "Hello"}]} | changes


VIOLATIONS = [
    pytest.param(
        "chat.completion",
        tool_call_answer({"location": "Paris"}),
        "$.choices[0].message.tool_calls[0].function.arguments",
        "is not of type 'string'",
        id="tool-call-arguments-as-object",
    ),
    pytest.param(
        "chat.completion.chunk",
        chunk({"tool_calls": [{"index": 0, "function": {"arguments": {"location": "Paris"}}}]}),
        "$.choices[0].delta.tool_calls[0].function.arguments",
        "is not of type 'string'",
        id="tool-call-delta-arguments-as-object",
    ),
    pytest.param(
        "chat.completion.chunk",
        chunk(
            {"tool_calls": [{"id": "call_1", "type": "function", "function": {"name": "f", "arguments": ""}}]}
        ),
        "$.choices[0].delta.tool_calls[0]",
        "'index' is a required property",
        id="tool-call-delta-without-index",
    ),
    pytest.param(
        "error",
        {"error": {"message": "bad", "type": "BadRequestError", "param": None, "code": 400}},
        "$.error.code",
        "400 is not of type 'string', 'null'",
        id="error-code-integer",
    ),
    pytest.param(
        "error",
        {"object": "error", "message": "bad", "type": "BadRequestError", "param": None, "code": 400},
        "$",
        "'error' is a required property",
        id="error-flat-envelope",
    ),
    pytest.param(
        "error",
        {"error": "a string"},
        "$.error",
        "'a string' is not of type 'object'",
        id="error-as-string",
    ),
    pytest.param(
        "error",
        {"error": {"message": "The model `x` does not exist", "type": "invalid_request_error"}},
        "$.error",
        "'param' is a required property",
        id="error-without-param",
    ),
    pytest.param(
        "chat.completion",
        completion(created=1_700_000_000_000),
        "$.created",
        "milliseconds",
        id="created-in-milliseconds",
    ),
    pytest.param(
        "chat.completion.chunk",
        chunk({"content": "Hi"}, created=1_700_000_000_123),
        "$.created",
        "milliseconds",
        id="chunk-created-in-milliseconds",
    ),
    pytest.param(
        "models.list",
        models_list({"name": "llama-3", "object": "model", "created": 1_700_000_000, "owned_by": "me"}),
        "$.data[0]",
        "'id' is a required property",
        id="model-name-instead-of-id",
    ),
    pytest.param(
        "model",
        {"id": "llama-3", "object": "model", "owned_by": "me"},
        "$",
        "'created' is a required property",
        id="model-without-created",
    ),
    pytest.param(
        "chat.completion",
        {key: value for key, value in completion().items() if key != "choices"},
        "$",
        "'choices' is a required property",
        id="completion-without-choices",
    ),
    pytest.param(
        "chat.completion",
        completion(model=""),
        "$.model",
        "should be non-empty",
        id="completion-empty-model",
    ),
    pytest.param(
        "chat.completion",
        completion(
            choices=[
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": "x", "refusal": None},
                    "logprobs": None,
                    "finish_reason": None,
                }
            ]
        ),
        "$.choices[0].finish_reason",
        "None is not one of",
        id="completion-finish-reason-null",
    ),
    pytest.param(
        "chat.completion",
        completion(
            choices=[
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": "x", "refusal": None},
                    "logprobs": {"tokens": ["x"], "token_logprobs": [-0.1]},
                    "finish_reason": "stop",
                }
            ]
        ),
        "$.choices[0].logprobs",
        "'content' is a required property",
        id="logprobs-legacy-completions-shape",
    ),
    pytest.param(
        "chat.completion.chunk",
        {**chunk({"content": "Hi"}), "choices": [{"index": 0, "delta": {"content": "Hi"}}]},
        "$.choices[0]",
        "'finish_reason' is a required property",
        id="chunk-without-finish-reason-key",
    ),
    pytest.param(
        "chat.completion.chunk",
        chunk({"role": "", "content": ""}),
        "$.choices[0].delta.role",
        "'assistant' was expected",
        id="chunk-empty-role",
    ),
    pytest.param(
        "chat.completion.chunk",
        chunk({"content": "Hi"}, usage={"prompt_tokens": 1, "completion_tokens": 1}),
        "$.usage",
        "'total_tokens' is a required property",
        id="chunk-usage-incomplete",
    ),
    pytest.param(
        "embeddings.list",
        {
            "object": "list",
            "data": [{"object": "embedding", "index": 0, "embedding": "not base64!"}],
            "model": "text-embedding-3-small",
            "usage": {"prompt_tokens": 1, "total_tokens": 1},
        },
        "$.data[0].embedding",
        "does not match",
        id="embedding-neither-floats-nor-base64",
    ),
    pytest.param(
        "deleted",
        {"id": "ft:gpt-4o:x", "object": "model", "deleted": False},
        "$.deleted",
        "True was expected",
        id="deleted-false",
    ),
    pytest.param(
        "chat.completion.request",
        chat_request(reasoning="high"),
        "$",
        "Additional properties are not allowed ('reasoning' was unexpected)",
        id="request-unknown-argument",
    ),
    pytest.param(
        "chat.completion.request",
        chat_request(messages=[{"role": "tool", "content": "22C"}]),
        "$.messages[0]",
        "'tool_call_id' is a required property",
        id="request-tool-message-without-call-id",
    ),
    pytest.param(
        "chat.completion.request",
        chat_request(messages=[{"role": "assistant", "content": None}]),
        "$.messages[0]",
        "is not valid under any of the given schemas",
        id="request-assistant-message-without-content-or-calls",
    ),
    pytest.param(
        "chat.completion.request",
        chat_request(stop=["a", "b", "c", "d", "e"]),
        "$.stop",
        "is too long",
        id="request-five-stop-sequences",
    ),
    pytest.param(
        "embeddings.request",
        {"model": "text-embedding-3-small", "input": ""},
        "$.input",
        "should be non-empty",
        id="embeddings-empty-input",
    ),
]


@pytest.mark.parametrize(("name", "instance", "path", "message"), VIOLATIONS)
def test_violation_is_rejected_at_its_path(name: str, instance: object, path: str, message: str) -> None:
    errors = schemas.validate(name, instance)
    assert errors, f"{name} accepted {instance!r}"
    assert any(error.path == path and message in error.message for error in errors), (
        f"expected {path}: ...{message}..., got {[str(error) for error in errors]}"
    )


CONFORMING = [
    pytest.param("chat.completion", tool_call_answer('{"location": "Paris"}'), id="tool-call-answer"),
    pytest.param(
        "chat.completion.chunk",
        chunk({}, choices=[], usage={"prompt_tokens": 9, "completion_tokens": 2, "total_tokens": 11}),
        id="final-usage-chunk",
    ),
    pytest.param(
        "chat.completion.chunk",
        chunk({"tool_calls": [{"index": 1, "function": {"arguments": '{"loc'}}]}),
        id="later-tool-call-fragment",
    ),
    pytest.param(
        "chat.completion",
        completion(unknown_field={"x": 1}, service_tier="default", created=1_234_567_890),
        id="unknown-fields-allowed",
    ),
    pytest.param("models.list", models_list(), id="empty-models-list"),
    pytest.param(
        "list",
        {
            "object": "list",
            "data": [{"id": "file-1"}],
            "first_id": "file-1",
            "last_id": "file-1",
            "has_more": False,
        },
        id="cursor-list",
    ),
    pytest.param(
        "embedding",
        {"object": "embedding", "index": 0, "embedding": "AACAPwAAAEA="},
        id="base64-embedding",
    ),
    pytest.param("deleted", {"id": "file-1", "object": "file", "deleted": True}, id="deleted-file"),
    pytest.param(
        "chat.completion.request",
        chat_request(
            messages=[
                {"role": "developer", "content": [{"type": "text", "text": "Be brief."}]},
                {"role": "user", "content": [{"type": "image_url", "image_url": {"url": "https://x/y.png"}}]},
                {
                    "role": "assistant",
                    "content": None,
                    "tool_calls": [
                        {"id": "call_1", "type": "function", "function": {"name": "f", "arguments": "{}"}}
                    ],
                },
                {"role": "tool", "tool_call_id": "call_1", "content": "{}"},
            ],
            tools=[{"type": "function", "function": {"name": "f", "parameters": {"type": "object"}}}],
            tool_choice={"type": "function", "function": {"name": "f"}},
            response_format={"type": "json_schema", "json_schema": {"name": "answer", "schema": {}}},
            stream=True,
            stream_options={"include_usage": True},
        ),
        id="request-with-tools",
    ),
]


@pytest.mark.parametrize(("name", "instance"), CONFORMING)
def test_conforming_instance_is_accepted(name: str, instance: object) -> None:
    assert schemas.validate(name, instance) == []


def test_errors_come_best_first_and_all_of_them() -> None:
    body = completion(created=-5, model=3)
    del body["id"]
    errors = schemas.validate("chat.completion", body)
    assert {error.keyword for error in errors} == {"required", "format", "type"}
    assert errors[0].path == "$"  # a missing key of the body outranks a wrong value inside it


# --- a broken schema file stops the run ---------------------------------------------------------------------


@pytest.fixture
def schemas_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """An empty schemas folder in place of the real one; the registry's caches are emptied around the test."""
    monkeypatch.setattr(schemas, "SCHEMAS_DIR", tmp_path)
    clear_caches()
    yield tmp_path
    clear_caches()


def clear_caches() -> None:
    schemas.clear_caches()


def schema_file(folder: Path, name: str, contents: object) -> None:
    text = contents if isinstance(contents, str) else json.dumps(contents)
    (folder / name).write_text(text, encoding="utf-8")


def good(name: str, **changes: object) -> dict[str, object]:
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": name,
        "title": "t",
        "description": "d",
        "type": "object",
    } | changes


def test_a_well_formed_folder_loads(schemas_dir: Path) -> None:
    schema_file(schemas_dir, "thing.json", good("thing.json", properties={"part": {"$ref": "part.json"}}))
    schema_file(schemas_dir, "part.json", good("part.json", required=["x"]))
    schema_file(schemas_dir, "openapi.json", {"openapi": "3.1.0"})  # not a schema, never loaded
    assert schemas.names() == ["part", "thing"]
    assert [str(error) for error in schemas.validate("thing", {"part": {}})] == [
        "$.part: 'x' is a required property"
    ]


@pytest.mark.parametrize(
    ("contents", "problem"),
    [
        pytest.param('{"$schema": ', "not valid JSON", id="not-json"),
        pytest.param([1, 2], "not a JSON object", id="not-an-object"),
        pytest.param(
            {k: v for k, v in good("x.json").items() if k != "$schema"}, "$schema must be", id="no-schema"
        ),
        pytest.param(
            good("x.json", **{"$schema": "http://json-schema.org/draft-07/schema#"}),
            "$schema must be",
            id="other-dialect",
        ),
        pytest.param({k: v for k, v in good("x.json").items() if k != "$id"}, "$id must equal", id="no-id"),
        pytest.param(
            good("y.json"), "$id must equal the file name 'x.json' (found 'y.json')", id="id-mismatch"
        ),
        pytest.param(good("x.json", type=5), "not a valid 2020-12 schema at /type", id="invalid-schema"),
        pytest.param(good("x.json", minLength=-1), "not a valid 2020-12 schema", id="invalid-keyword-value"),
        pytest.param(
            good("x.json", properties={"a": {"$ref": "missing.json"}}),
            "$ref 'missing.json' does not resolve",
            id="dangling-ref",
        ),
        pytest.param(
            good("x.json", properties={"a": {"$ref": "#/$defs/nowhere"}}),
            "$ref '#/$defs/nowhere' does not resolve",
            id="dangling-pointer",
        ),
    ],
)
def test_a_broken_schema_file_is_a_config_error(schemas_dir: Path, contents: object, problem: str) -> None:
    schema_file(schemas_dir, "x.json", contents)
    with pytest.raises(ConfigError) as raised:
        schemas.registry()
    message = str(raised.value)
    assert "x.json" in message
    assert problem in message
    assert "\n" not in message


def test_files_checked_once_are_not_checked_again_until_one_changes(
    schemas_dir: Path, tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path_factory.mktemp("cache")))
    checked: list[object] = []
    real_check = jsonschema.Draft202012Validator.check_schema
    monkeypatch.setattr(jsonschema.Draft202012Validator, "check_schema",
                        classmethod(lambda cls, schema: checked.append(schema) or real_check(schema)))  # fmt: skip
    schema_file(schemas_dir, "x.json", good("x.json"))
    assert schemas.names() == ["x"] and len(checked) == 1
    clear_caches()
    assert schemas.names() == ["x"] and len(checked) == 1  # the same bytes: marked as checked, not checked again
    schema_file(schemas_dir, "x.json", good("x.json", type=5))
    clear_caches()
    with pytest.raises(ConfigError, match="not a valid 2020-12 schema at /type"):
        schemas.names()  # a changed file is checked again
    clear_caches()
    with pytest.raises(ConfigError, match="not a valid 2020-12 schema at /type"):
        schemas.names()  # and a broken one is never marked


def test_a_process_whose_starter_checks_the_files_does_not_check_them(
    schemas_dir: Path, tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A run's drawing processes (`generation`'s pool starts each with `schemas.checked_elsewhere`) read the files
    the run's process checked, and mark nothing: a broken file is still the run's ConfigError."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path_factory.mktemp("cache")))
    monkeypatch.setattr(schemas, "_checked_elsewhere", False)
    checked: list[object] = []
    monkeypatch.setattr(jsonschema.Draft202012Validator, "check_schema",
                        classmethod(lambda cls, schema: checked.append(schema)))  # fmt: skip
    schema_file(schemas_dir, "x.json", good("x.json"))
    schemas.checked_elsewhere()
    assert schemas.names() == ["x"] and checked == []
    monkeypatch.setattr(schemas, "_checked_elsewhere", False)
    clear_caches()
    assert schemas.names() == ["x"] and len(checked) == 1, "not marked by the process that did not check"
    from conformance import generation

    assert generation._drawing_pool() is not None
    try:
        assert generation._pool is not None and generation._pool._initializer is schemas.checked_elsewhere
    finally:
        generation.stop_drawing_apart()


def test_a_missing_folder_is_a_config_error(schemas_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(schemas, "SCHEMAS_DIR", schemas_dir / "nowhere")
    with pytest.raises(ConfigError, match="does not exist"):
        schemas.names()


# --- the fast path ------------------------------------------------------------------------------------------------


def test_every_format_the_schemas_use_is_known_to_the_fast_path() -> None:
    """The fast validator is given no formats: each one our schemas use must have its stand-in (FAST_FORMATS)."""
    used: set[str] = set()

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if isinstance(node.get("format"), str):
                used.add(node["format"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    for name in schemas.names():
        walk(schemas.document(name))
    assert used <= set(schemas.FAST_FORMATS), used - set(schemas.FAST_FORMATS)


@pytest.mark.parametrize(
    ("name", "instance"),
    [
        ("chat.completion.chunk", {"id": "c", "object": "chat.completion.chunk", "created": 1_730_000_000_000,
                                   "model": "m", "choices": []}),  # milliseconds: the unixtime stand-in refuses
        ("chat.completion.chunk", {"id": "c", "object": "chat.completion.chunk", "created": -1, "model": "m",
                                   "choices": []}),
        ("chat.completion.chunk", {"id": "c", "object": "chat.completion.chunk", "created": "1", "model": "m",
                                   "choices": []}),
        ("error", {"error": {"message": "m", "type": "t", "param": None, "code": 400}}),
        ("chat.completion.chunk", {"id": "c", "object": "chat.completion.chunk", "created": float("nan"),
                                   "model": "m", "choices": []}),  # not JSON: the full validator decides
    ],
)
def test_the_fast_path_never_accepts_what_the_full_validator_refuses(name: str, instance: Any) -> None:
    full = list(schemas.validator(name).iter_errors(instance))
    assert full, "the example must be invalid"
    assert schemas.validate(name, instance), "refused through validate() too"


@pytest.mark.parametrize("endpoint", ["chat-completions", "embeddings"])
def test_the_fast_path_agrees_with_the_full_validator_on_every_recorded_request(endpoint: str) -> None:
    """Over every recorded request, the 400s among them (what the API refused, the schema mostly too): the fast
    validator never accepts what the full one refuses. (A `format` property once vanished from its copy.)"""
    name = REQUEST_SCHEMA[endpoint]
    accepts = schemas._fast_acceptor(name)
    disagree = [label for label, request, _ in recorded(endpoint, 200, 400)
                if accepts(request) and list(schemas.validator(name).iter_errors(request))]  # fmt: skip
    assert not disagree, disagree
