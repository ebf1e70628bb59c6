"""The objects a generated request on one object names: created by the run for the purpose, then judged upon.

An operation's path can name an object (`/responses/{response_id}`): a drawn id would name nothing and earn a
404, which judges nothing. So `schemas/openapi.json` says which kind of object each such path parameter names
(`x-oai-created-by`), and the generated phase creates one of that kind before it draws: the cheapest request that
makes one. What is created goes through the run's client, so the ledger deletes whatever the operation itself did
not (DECISIONS.md: created-path-ids).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

from conformance.case import chat_body, responses_body
from conformance.checks.realtime import OFFER, call_id
from conformance.client import Client
from conformance.exchange import Exchange, excerpt
from conformance.target import Target

SHORT = "Say OK."
# Where a stored object says it came from: a run's objects are told apart from the account's other ones.
METADATA = {"oai_conformance": "generated"}


class NotProvided(Exception):
    """The server would not create the object a request needs: the operation cannot be judged (a skip)."""


def _created(exchange: Exchange, kind: str, find: Callable[[Any], Any] = lambda body: body.get("id")) -> str:
    response = exchange.response
    body = response.json if response is not None and response.status == 200 else None
    ident = find(body) if isinstance(body, dict) else None
    if not isinstance(ident, str) or not ident:
        answer = exchange.error
        if response is not None:
            answer = f"{response.status} {excerpt(response.body.decode('utf-8', 'replace'), 200)}"
        raise NotProvided(
            f"creating a {kind} for the request to name failed ({exchange.request.method} {exchange.request.url}: "
            f"{answer}), so the operation is judged by its cases only"
        )
    return ident


def _chat_completion(client: Client, target: Target, _: dict[str, str]) -> str:
    body = chat_body(target.model("chat"), SHORT, store=True, metadata=METADATA)
    return _created(client.request("POST", "/chat/completions", json=body), "stored chat completion")


def _response(client: Client, target: Target, _: dict[str, str]) -> str:
    body = responses_body(target.model("responses"), SHORT, store=True)
    return _created(client.request("POST", "/responses", json=body), "stored response")


def _background_response(client: Client, target: Target, _: dict[str, str]) -> str:
    body = responses_body(target.model("responses"), SHORT, store=True, background=True)
    return _created(client.request("POST", "/responses", json=body), "background response")


def _conversation(client: Client, target: Target, _: dict[str, str]) -> str:
    body = {"metadata": METADATA, "items": [{"type": "message", "role": "user", "content": SHORT}]}
    return _created(client.request("POST", "/conversations", json=body), "conversation")


def _conversation_item(client: Client, target: Target, made: dict[str, str]) -> str:
    # An item of the conversation the same request names (its parameter comes first in the path).
    body = {"items": [{"type": "message", "role": "user", "content": SHORT}]}
    exchange = client.request("POST", f"/conversations/{made['conversation']}/items", json=body)
    return _created(exchange, "conversation item", lambda listed: _first_id(listed.get("data")))


# What the generated phase uploads: one JSON object, so that the answer of GET /files/{file_id}/content parses
# (file.content.json); purpose user_data, the one that takes any bytes.
GENERATED_FILE = b'{"oai_conformance": "generated"}'
# What a generated upload's parts may add up to: one byte each, for every example of one operation.
UPLOAD_BYTES = 1024


def _file(client: Client, target: Target, _: dict[str, str]) -> str:
    files = [("purpose", (None, "user_data")), ("file", ("oai-conformance.json", GENERATED_FILE, "application/json"))]
    return _created(client.request("POST", "/files", files=files), "file")


def _upload(client: Client, target: Target, _: dict[str, str]) -> str:
    # Never completed: the run cancels it (the ledger), so it never becomes a file.
    body = {"filename": "oai-conformance.txt", "purpose": "user_data", "bytes": UPLOAD_BYTES, "mime_type": "text/plain"}
    return _created(client.request("POST", "/uploads", json=body), "pending upload")


def _batch(client: Client, target: Target, _: dict[str, str]) -> str:
    # The cheapest batch: one embeddings line of two characters, in a file of its own (both ended by the ledger:
    # the file deleted, the batch cancelled unless it finished, its output file deleted).
    line = {"custom_id": "oai-conformance-1", "method": "POST", "url": "/v1/embeddings",
            "body": {"model": target.model("embeddings"), "input": "OK"}}  # fmt: skip
    data = json.dumps(line).encode() + b"\n"
    files = [("purpose", (None, "batch")), ("file", ("oai-conformance-batch.jsonl", data, "application/jsonl"))]
    input_file = _created(client.request("POST", "/files", files=files), "batch input file")
    body = {"input_file_id": input_file, "endpoint": "/v1/embeddings", "completion_window": "24h", "metadata": METADATA}
    return _created(client.request("POST", "/batches", json=body), "batch")


# --- vector stores: an empty store; a small text file uploaded beside it, attached to it, or in a batch of one ---
# The files are uploaded for purpose `assistants` (file search's) and deleted by the ledger; deleting the store
# (the ledger, or the operation itself) detaches them and ends its batches.
VECTOR_STORE_FILE = ("oai-conformance.txt", b"OK. A small text file the conformance run indexes.\n", "text/plain")


def _vector_store(client: Client, target: Target, _: dict[str, str]) -> str:
    body = {"name": "oai-conformance", "metadata": METADATA}
    return _created(client.request("POST", "/vector_stores", json=body), "vector store")


def _upload_for_vector_store(client: Client) -> str:
    files = [("purpose", (None, "assistants")), ("file", VECTOR_STORE_FILE)]
    return _created(client.request("POST", "/files", files=files), "file for a vector store")


def _vector_store_upload(client: Client, target: Target, made: dict[str, str]) -> str:
    """An empty vector store, and a file uploaded beside it (not attached) that the request's body attaches:
    `made["file"]`, which conformance/cheapen.py puts in a generated attach or file batch."""
    made["file"] = _upload_for_vector_store(client)
    return _vector_store(client, target, made)


def _vector_store_file(client: Client, target: Target, made: dict[str, str]) -> str:
    # A file attached to the store the same request names (its parameter comes first in the path).
    body = {"file_id": _upload_for_vector_store(client)}
    exchange = client.request("POST", f"/vector_stores/{made['vector_store']}/files", json=body)
    return _created(exchange, "vector store file")


def _vector_store_file_batch(client: Client, target: Target, made: dict[str, str]) -> str:
    body = {"file_ids": [_upload_for_vector_store(client)]}
    exchange = client.request("POST", f"/vector_stores/{made['vector_store']}/file_batches", json=body)
    return _created(exchange, "vector store file batch")


def _first_id(items: Any) -> Any:
    return items[0].get("id") if isinstance(items, list) and items and isinstance(items[0], dict) else None


def _realtime_call(client: Client, target: Target, _: dict[str, str]) -> str:
    """transports: a WebRTC call (the operations that name one are not generated; the maker is for completeness)."""
    session = json.dumps({"type": "realtime", "model": target.model("realtime"), "output_modalities": ["text"]})
    fields = [("sdp", (None, OFFER, "application/sdp")), ("session", (None, session, "application/json"))]
    made = client.request("POST", "/realtime/calls", files=fields)
    if made.response is not None and made.response.status == 201 and (ident := call_id(made)):
        return ident
    return _created(made, "realtime call")


# Each kind `x-oai-created-by` names, and how to make one; a kind may use the kinds made before it.
MAKERS: dict[str, Callable[[Client, Target, dict[str, str]], str]] = {
    "chat.completion": _chat_completion,
    "response": _response,
    "response.background": _background_response,
    "conversation": _conversation,
    "conversation.item": _conversation_item,
    "vector_store": _vector_store,
    "vector_store.upload": _vector_store_upload,
    "vector_store.file": _vector_store_file,
    "vector_store.file_batch": _vector_store_file_batch,
    "file": _file,
    "upload": _upload,
    "batch": _batch,
    # transports
    "realtime.call": _realtime_call,
}


def provide(
    created_by: Mapping[str, str], client: Client, target: Target, made: dict[str, str] | None = None
) -> dict[str, str]:
    """A value for each path parameter of `created_by` (name -> kind), each naming an object just created.

    `made`, when given, receives every object made by kind, and what a maker made beside it for the request's
    body (the `file` of `vector_store.upload`): the shaping of generated bodies reads it (conformance/cheapen.py).
    Raises NotProvided when the server does not create one."""
    made = {} if made is None else made
    values = {}
    for name, kind in created_by.items():
        made[kind] = values[name] = MAKERS[kind](client, target, made)
    return values
