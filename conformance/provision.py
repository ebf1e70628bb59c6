"""The objects a generated request on one object names: created by the run for the purpose, then judged upon.

An operation's path can name an object (`/responses/{response_id}`): a drawn id would name nothing and earn a
404, which judges nothing. So `schemas/openapi.json` says which kind of object each such path parameter names
(`x-oai-created-by`), and the generated phase creates one of that kind before it draws: the cheapest request that
makes one. What is created goes through the run's client, so the ledger deletes whatever the operation itself did
not (DECISIONS.md: created-path-ids).
"""

from __future__ import annotations

import json
import time
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


# --- fine-tuning: a job of ten chat examples from a file of its own (both ended by the ledger: the job cancelled
# unless it ended, the file deleted); a checkpoint of such a job once it succeeded; a permission on that checkpoint.
FINE_TUNE_EXAMPLE = {"messages": [{"role": "user", "content": SHORT}, {"role": "assistant", "content": "OK."}]}
CHECKPOINT_READS = 10  # how often the job is read for it to succeed (the reference: one state a read)


def _fine_tuning_job(client: Client, target: Target, _: dict[str, str]) -> str:
    data = b"".join(json.dumps(FINE_TUNE_EXAMPLE).encode() + b"\n" for _ in range(10))
    files = [("purpose", (None, "fine-tune")), ("file", ("oai-conformance-fine-tune.jsonl", data, "application/jsonl"))]
    training = _created(client.request("POST", "/files", files=files), "fine-tune training file")
    body = {"model": target.model("chat"), "training_file": training, "metadata": METADATA}
    return _created(client.request("POST", "/fine_tuning/jobs", json=body), "fine-tuning job")


def _fine_tuning_checkpoint(client: Client, target: Target, made: dict[str, str]) -> str:
    job = _fine_tuning_job(client, target, made)
    for _ in range(CHECKPOINT_READS):
        read = client.request("GET", f"/fine_tuning/jobs/{job}")
        body = read.response.json if read.response is not None and read.response.status == 200 else None
        if not isinstance(body, dict) or body.get("status") in ("succeeded", "failed", "cancelled"):
            break
    listed = client.request("GET", f"/fine_tuning/jobs/{job}/checkpoints")
    return _created(
        listed,
        "checkpoint of a fine-tuning job that succeeded",
        lambda body: (_first(body.get("data")) or {}).get("fine_tuned_model_checkpoint"),
    )


def _first(items: Any) -> Any:
    return items[0] if isinstance(items, list) and items and isinstance(items[0], dict) else None


def _checkpoint_permission(client: Client, target: Target, made: dict[str, str]) -> str:
    path = f"/fine_tuning/checkpoints/{made['fine_tuning.checkpoint']}/permissions"
    exchange = client.request("POST", path, json={"project_ids": ["proj_oai_conformance"]})
    return _created(exchange, "checkpoint permission", lambda body: (_first(body.get("data")) or {}).get("id"))


# --- evals: an eval of two string_check criteria over a custom item schema; a run of four given items (free:
# nothing is sampled); an output item of that run, read once the run completed (the ledger deletes the eval).
EVAL_ITEM = {"type": "object", "properties": {"answer": {"type": "string"}, "expected": {"type": "string"}}}
EVAL_CRITERION = {"type": "string_check", "name": "same", "input": "{{item.answer}}", "reference": "{{item.expected}}",
                  "operation": "eq"}  # fmt: skip
EVAL_ITEMS = [{"item": {"answer": "OK", "expected": "OK"}}, {"item": {"answer": "no", "expected": "OK"}}]
RUN_READS = 10  # how often a run is read for it to complete (the reference: one state a read)


def _eval(client: Client, target: Target, _: dict[str, str]) -> str:
    body = {"name": "oai-conformance", "metadata": METADATA, "testing_criteria": [EVAL_CRITERION],
            "data_source_config": {"type": "custom", "item_schema": EVAL_ITEM}}  # fmt: skip
    return _created(client.request("POST", "/evals", json=body), "eval")


def _eval_run(client: Client, target: Target, made: dict[str, str]) -> str:
    source = {"type": "jsonl", "source": {"type": "file_content", "content": EVAL_ITEMS}}
    exchange = client.request("POST", f"/evals/{made['eval']}/runs", json={"data_source": source})
    return _created(exchange, "eval run")


def _eval_run_output_item(client: Client, target: Target, made: dict[str, str]) -> str:
    path = f"/evals/{made['eval']}/runs/{made['eval.run']}"
    for _ in range(RUN_READS):
        read = client.request("GET", path)
        body = read.response.json if read.response is not None and read.response.status == 200 else None
        if not isinstance(body, dict) or body.get("status") not in ("queued", "in_progress"):
            break
    listed = client.request("GET", f"{path}/output_items")
    return _created(listed, "output item of a completed eval run", lambda body: _first_id(body.get("data")))


def _first_id(items: Any) -> Any:
    return items[0].get("id") if isinstance(items, list) and items and isinstance(items[0], dict) else None


# --- assistants: an assistant on the chat model, a thread with one message, a run of it polled to its end -------
# A run is polled soon, then less and less often (a local server ends it in a poll or two, the API in seconds).
RUN_WAIT = 30.0
FIRST_RUN_POLL, LONGEST_RUN_POLL = 0.05, 2.0
RUN_ENDS = ("completed", "failed", "cancelled", "expired", "incomplete")


def _assistant(client: Client, target: Target, _: dict[str, str]) -> str:
    body = {"model": target.model("chat"), "name": "oai-conformance", "instructions": SHORT, "metadata": METADATA}
    return _created(client.request("POST", "/assistants", json=body), "assistant")


def _thread(client: Client, target: Target, _: dict[str, str]) -> str:
    body = {"messages": [{"role": "user", "content": SHORT}], "metadata": METADATA}
    return _created(client.request("POST", "/threads", json=body), "thread")


def _thread_message(client: Client, target: Target, made: dict[str, str]) -> str:
    exchange = client.request("POST", f"/threads/{made['thread']}/messages", json={"role": "user", "content": SHORT})
    return _created(exchange, "message")


def _thread_run(client: Client, target: Target, made: dict[str, str]) -> str:
    """A run of a new assistant on the thread the request names, polled until it ended (an active run would
    refuse what the request does to the thread)."""
    assistant = made.get("assistant") or _assistant(client, target, made)
    path = f"/threads/{made['thread']}/runs"
    ident = _created(client.request("POST", path, json={"assistant_id": assistant}), "run")
    wait, deadline = FIRST_RUN_POLL, time.monotonic() + RUN_WAIT
    while time.monotonic() < deadline:
        polled = client.request("GET", f"{path}/{ident}")
        body = polled.response.json if polled.response is not None and polled.response.status == 200 else None
        if isinstance(body, dict) and body.get("status") in RUN_ENDS:
            break
        time.sleep(wait)
        wait = min(wait * 2, LONGEST_RUN_POLL)
    return ident


def _thread_run_step(client: Client, target: Target, made: dict[str, str]) -> str:
    exchange = client.request("GET", f"/threads/{made['thread']}/runs/{made['thread.run']}/steps")
    return _created(exchange, "run step", lambda listed: _first_id(listed.get("data")))


# --- videos (media-visual): the cheapest clip, 4 s of sora-2, deleted by the ledger ---------------------------------


def _video(client: Client, target: Target, _: dict[str, str]) -> str:
    fields = [("prompt", (None, "A red square")), ("model", (None, "sora-2")), ("seconds", (None, "4")),
              ("size", (None, "720x1280"))]  # fmt: skip
    return _created(client.request("POST", "/videos", files=fields), "video")


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
    # assistants
    "assistant": _assistant,
    "thread": _thread,
    "thread.message": _thread_message,
    "thread.run": _thread_run,
    "thread.run.step": _thread_run_step,
    "video": _video,  # videos (media-visual)
    # fine-tuning
    "fine_tuning.job": _fine_tuning_job,
    "fine_tuning.checkpoint": _fine_tuning_checkpoint,
    "checkpoint.permission": _checkpoint_permission,
    # evals
    "eval": _eval,
    "eval.run": _eval_run,
    "eval.run.output_item": _eval_run_output_item,
    # transports
    "realtime.call": _realtime_call,
}


# --- containers: the smallest container (it expires after a minute idle), and a small JSON file put in it ----------


def _container(client: Client, target: Target, _: dict[str, str]) -> str:
    body = {"name": "oai-conformance", "expires_after": {"anchor": "last_active_at", "minutes": 1}}
    return _created(client.request("POST", "/containers", json=body), "container")


def _container_file(client: Client, target: Target, made: dict[str, str]) -> str:
    # A file of the container the same request names (its parameter comes first in the path); it holds one JSON
    # object, so that the answer of its content parses (file.content.json).
    files = [("file", ("oai-conformance.json", GENERATED_FILE, "application/json"))]
    exchange = client.request("POST", f"/containers/{made['container']}/files", files=files)
    return _created(exchange, "container file")


MAKERS |= {"container": _container, "container.file": _container_file}  # containers


# --- chatkit: a session of the workflow the user gave; a thread the account holds (the API cannot make one) --------


def _chatkit_session(client: Client, target: Target, _: dict[str, str]) -> str:
    if not target.chatkit_workflow:
        raise NotProvided(NO_WORKFLOW)
    body = {"workflow": {"id": target.chatkit_workflow}, "user": "oai-conformance"}
    return _created(client.request("POST", "/chatkit/sessions", json=body), "ChatKit session")


NO_WORKFLOW = "no ChatKit workflow id was given (--chatkit-workflow wf_...): a session needs one"


def _chatkit_thread(client: Client, target: Target, _: dict[str, str]) -> str:
    """The newest thread the account holds: read only (its delete is never generated)."""
    exchange = client.request("GET", "/chatkit/threads", params={"limit": 1})
    return _created(exchange, "listed ChatKit thread (the API cannot make one; a ChatKit UI does)",
                    lambda listed: _first_id(listed.get("data")))  # fmt: skip


MAKERS |= {"chatkit.session": _chatkit_session, "chatkit.thread": _chatkit_thread}  # chatkit
# --- administration API: objects FOUND by listing, never made. A generated request on them reads (every operation
# that changes the organization is `x-oai-generate: false`), so it needs one that exists; none enters the ledger,
# so the run never deletes it.


def _found(path: str, what: str, pick: Callable[[list[Any]], Any] = lambda items: _first_id(items)) -> Callable:
    def find(client: Client, target: Target, made: dict[str, str]) -> str:
        named = path
        for kind, ident in made.items():
            named = named.replace(f"{{{kind}}}", ident)
        exchange = client.request("GET", named, params={"limit": 100})
        return _created(exchange, what, lambda listed: pick(listed.get("data")))

    return find


def _active(items: Any) -> Any:
    listed = items if isinstance(items, list) else []
    return _first_id([i for i in listed if isinstance(i, dict) and i.get("status") == "active"])


ADMIN_FINDERS: dict[str, Callable[[Client, Target, dict[str, str]], str]] = {
    "organization.user": _found("/organization/users", "user of the organization"),
    "organization.invite": _found("/organization/invites", "invite of the organization"),
    "organization.project": _found("/organization/projects", "active project", _active),
    "organization.project.user": _found("/organization/projects/{organization.project}/users", "project member"),
    "organization.project.service_account": _found(
        "/organization/projects/{organization.project}/service_accounts", "service account"
    ),
    "organization.project.api_key": _found("/organization/projects/{organization.project}/api_keys", "project API key"),
    "organization.project.rate_limit": _found(
        "/organization/projects/{organization.project}/rate_limits", "project rate limit"
    ),
    "organization.certificate": _found("/organization/certificates", "certificate"),
    "organization.admin_api_key": _found("/organization/admin_api_keys", "admin API key"),
}  # fmt: skip
MAKERS.update(ADMIN_FINDERS)
# The kinds a maker finds rather than makes (a ChatKit thread, which the API cannot make; the organization's
# objects, which a run must not change): none enters the ledger, so the run never deletes one.
FOUND = frozenset({"chatkit.thread", *ADMIN_FINDERS})


# What a maker makes beside its own object, put in `made` too (see _vector_store_upload).
ALSO_MADE = {"vector_store.upload": ("file",)}


def kinds_made(created_by: Mapping[str, str]) -> list[str]:
    """The kinds of object `provide(created_by, ...)` puts in `made`, known before anything is made: a generated
    case draws its requests first, and makes what they name only then, when nothing is left between the making and
    the sending (a background response ends by itself 0.5 s after it is made on the reference server)."""
    kinds = set(created_by.values())
    for kind in created_by.values():
        kinds.update(ALSO_MADE.get(kind, ()))
    return sorted(kinds)


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


# --- audio: voice consents. A consent needs a person's recorded statement, which a run cannot give: the newest the
# account lists is FOUND (read only: no operation that changes one is wired), never made, never deleted.
MAKERS["audio.voice_consent"] = _found("/audio/voice_consents", "listed voice consent (a run cannot make one)")
FOUND = FOUND | {"audio.voice_consent"}


# --- graders: seed 000's /v1/graders (helper graders): a grader of the chat model, deleted by the ledger.
def _grader(client: Client, target: Target, _: dict[str, str]) -> str:
    body = {"name": "oai-conformance-generated", "instructions": "Score 1 when the output answers the input.",
            "grading_model": target.model("chat")}  # fmt: skip
    return _created(client.request("POST", "/graders", json=body), "grader")


MAKERS["grader"] = _grader
