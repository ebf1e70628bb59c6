"""The official `openai` SDK drives every documented operation of the inference families against the reference
server without an exception: chat (stored completions included), legacy completions, embeddings, models,
moderations, the Responses API and Conversations. Each family's end-to-end file drives its own operations in depth;
this one holds the whole list in one place and proves it complete against ../shared/documented-operations.tsv."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from typing import Any

import openai
import pytest
from pydantic import BaseModel

from tests._sdk import reference_sdk
from tests._shared import SHARED

KEY = "sk-sdk-inference-" + os.urandom(8).hex()
CHAT, EMBEDDINGS, INSTRUCT = "gpt-4o-mini", "text-embedding-3-small", "gpt-3.5-turbo-instruct"
FAMILIES = {"models", "chat", "completions", "embeddings", "moderations", "responses", "conversations"}
SAY_OK = [{"role": "user", "content": "Say OK."}]


class City(BaseModel):
    city: str


@pytest.fixture(scope="module")
def sdk() -> Iterator[openai.OpenAI]:
    with reference_sdk(KEY) as client:
        yield client


def stored_completion(sdk: openai.OpenAI) -> str:
    made = sdk.chat.completions.create(model=CHAT, messages=SAY_OK, store=True, max_tokens=8)  # type: ignore[arg-type]
    return made.id


def stored_response(sdk: openai.OpenAI, **extra: Any) -> str:
    return sdk.responses.create(model=CHAT, input="Say OK.", store=True, max_output_tokens=16, **extra).id


def conversation(sdk: openai.OpenAI) -> str:
    return sdk.conversations.create(items=[{"type": "message", "role": "user", "content": "Hello"}]).id


def conversation_item(sdk: openai.OpenAI) -> tuple[str, str]:
    ident = conversation(sdk)
    added = sdk.conversations.items.create(ident, items=[{"type": "message", "role": "user", "content": "More"}])
    return ident, added.data[0].id


def deleted_response(sdk: openai.OpenAI) -> str:
    ident = stored_response(sdk)
    sdk.responses.delete(ident)  # the SDK returns None for this one: gone is the proof
    with pytest.raises(openai.NotFoundError):
        sdk.responses.retrieve(ident)
    return ident


def streamed_chat(sdk: openai.OpenAI) -> None:
    chunks = list(sdk.chat.completions.create(model=CHAT, messages=SAY_OK, stream=True, max_tokens=8))  # type: ignore[arg-type]
    assert chunks and chunks[-1].choices[0].finish_reason in ("stop", "length")


def streamed_response(sdk: openai.OpenAI) -> None:
    with sdk.responses.stream(model=CHAT, input="Say OK.", max_output_tokens=16) as stream:
        assert stream.get_final_response().status == "completed"


# Each documented operation (method and path as ../shared/documented-operations.tsv writes them), driven through
# the SDK's own method for it; the SDK raises on a status or a body it cannot read.
OPERATIONS: dict[str, Callable[[openai.OpenAI], Any]] = {
    "GET /v1/models": lambda sdk: sdk.models.list().data[0].id,
    "GET /v1/models/{model}": lambda sdk: sdk.models.retrieve(CHAT).id,
    "DELETE /v1/models/{model}": lambda sdk: sdk.models.delete("ft:gpt-4o-mini:reference::demo").deleted,
    "POST /v1/chat/completions": lambda sdk: (
        sdk.chat.completions.create(model=CHAT, messages=SAY_OK, max_tokens=8),  # type: ignore[arg-type]
        streamed_chat(sdk),
        sdk.chat.completions.parse(model=CHAT, messages=SAY_OK, response_format=City),  # type: ignore[arg-type]
    ),
    "GET /v1/chat/completions": lambda sdk: sdk.chat.completions.list(limit=2).data,
    "GET /v1/chat/completions/{completion_id}": lambda sdk: sdk.chat.completions.retrieve(stored_completion(sdk)),
    "POST /v1/chat/completions/{completion_id}": lambda sdk: sdk.chat.completions.update(
        stored_completion(sdk), metadata={"k": "v"}
    ),
    "DELETE /v1/chat/completions/{completion_id}": lambda sdk: sdk.chat.completions.delete(stored_completion(sdk)),
    "GET /v1/chat/completions/{completion_id}/messages": lambda sdk: sdk.chat.completions.messages.list(
        stored_completion(sdk)
    ).data,
    "POST /v1/completions": lambda sdk: sdk.completions.create(model=INSTRUCT, prompt="Say OK.", max_tokens=4),
    "POST /v1/embeddings": lambda sdk: sdk.embeddings.create(model=EMBEDDINGS, input="hello").data[0].embedding,
    "POST /v1/moderations": lambda sdk: sdk.moderations.create(input="A calm lake.").results[0].flagged,
    "POST /v1/responses": lambda sdk: (
        sdk.responses.create(model=CHAT, input="Say OK.", max_output_tokens=16, store=False),
        streamed_response(sdk),
        sdk.responses.parse(model=CHAT, input="A city.", text_format=City, max_output_tokens=64, store=False),
    ),
    "GET /v1/responses/{response_id}": lambda sdk: sdk.responses.retrieve(stored_response(sdk)),
    "DELETE /v1/responses/{response_id}": lambda sdk: deleted_response(sdk),
    "POST /v1/responses/{response_id}/cancel": lambda sdk: sdk.responses.cancel(
        stored_response(sdk, background=True)
    ).status,
    "GET /v1/responses/{response_id}/input_items": lambda sdk: sdk.responses.input_items.list(
        stored_response(sdk)
    ).data,
    "POST /v1/conversations": conversation,
    "GET /v1/conversations/{conversation_id}": lambda sdk: sdk.conversations.retrieve(conversation(sdk)),
    "POST /v1/conversations/{conversation_id}": lambda sdk: sdk.conversations.update(
        conversation(sdk), metadata={"k": "v"}
    ),
    "DELETE /v1/conversations/{conversation_id}": lambda sdk: sdk.conversations.delete(conversation(sdk)).deleted,
    "GET /v1/conversations/{conversation_id}/items": lambda sdk: sdk.conversations.items.list(conversation(sdk)).data,
    "POST /v1/conversations/{conversation_id}/items": conversation_item,
    "GET /v1/conversations/{conversation_id}/items/{item_id}": lambda sdk: sdk.conversations.items.retrieve(
        (made := conversation_item(sdk))[1], conversation_id=made[0]
    ),
    "DELETE /v1/conversations/{conversation_id}/items/{item_id}": lambda sdk: sdk.conversations.items.delete(
        (made := conversation_item(sdk))[1], conversation_id=made[0]
    ),
}


@pytest.mark.parametrize("operation", sorted(OPERATIONS))
def test_the_sdk_drives_the_operation(sdk: openai.OpenAI, operation: str) -> None:
    assert OPERATIONS[operation](sdk) is not None


@pytest.mark.skipif(not (SHARED / "documented-operations.tsv").is_file(), reason="no documented-operations.tsv")
def test_every_documented_inference_operation_is_driven() -> None:
    rows = [line.split("\t") for line in (SHARED / "documented-operations.tsv").read_text().splitlines()[1:]]
    documented = {f"{method} {path}" for method, path, feature, *_ in rows if feature in FAMILIES}
    assert documented == set(OPERATIONS), documented ^ set(OPERATIONS)
