"""Batches of the reference server: a batch of requests read from an uploaded file, run by the server's own routes.

    POST /v1/batches                     create from a `.jsonl` file of purpose `batch` (files.py's FileStore)
    GET  /v1/batches                     list, newest first (`after`, `limit` 1..100, default 20; no `order`)
    GET  /v1/batches/{batch_id}          the batch, as far as it has come
    POST /v1/batches/{batch_id}/cancel   `cancelling`, then `cancelled` (again: the same); 400 once it has ended

A batch moves by the time elapsed since it was created, `STEP_SECONDS` a state: `validating`, then `failed` (the
input file's lines are not batch requests: `errors` says which line and why) or `in_progress`, `finalizing`,
`completed`. The move is made when the batch is read (any of the routes above), so it is deterministic: what a read
answers depends only on how long ago the batch was created and cancelled. When the batch completes, each input line
is sent to the server's own route for the batch's endpoint (through the whole app, so a line's answer is exactly
what the live endpoint answers, `x-request-id` included): the 2xx answers go to the output file, the others to the
error file, both added to the FileStore with purpose `batch_output` (and `output_expires_after`'s expiry). A batch
cancelled before it completed has run nothing and has no files (`cancelled` `STEP_SECONDS` after the cancel); one
past its 24 h window expires.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass
from typing import Any, Protocol

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message

from ._config import ServerConfig
from ._errors import ApiError, invalid
from ._pages import cursor_page, limit_of
from ._routing import Served
from ._validation import describe_chat, schema_errors, split_unknown, unrecognized
from .files import FileStore

SCHEMA = "batch.create.request"
STEP_SECONDS = 0.2  # each state of a batch lasts this long (background responses: responses.BACKGROUND_SECONDS)
WINDOW_SECONDS = 24 * 3600
TERMINAL = frozenset({"completed", "failed", "expired", "cancelled"})
TIMES = (
    "in_progress_at", "expires_at", "finalizing_at", "completed_at", "failed_at", "expired_at", "cancelling_at",
    "cancelled_at",
)  # fmt: skip
MAX_LIMIT = 100
DEFAULT_LIMIT = 20


class _Problem(Exception):
    """Why one input line is not a batch request (the batch fails validation)."""

    def __init__(self, code: str, message: str, param: str | None = None) -> None:
        super().__init__(message)
        self.code, self.message, self.param = code, message, param


@dataclass
class Batch:
    """One batch: its object as answered, its input lines, and when it was created and cancelled."""

    body: dict[str, Any]
    lines: list[dict[str, Any]]  # the input lines, parsed (valid ones only matter: a problem fails the batch)
    problems: list[dict[str, Any]]  # validation errors, `errors.data` of a failed batch
    started: float  # time.monotonic() at creation
    wall: float  # time.time() at creation
    output_expires: int | None = None
    cancelled_at: float | None = None  # time.monotonic() of the cancel
    running: bool = False  # its lines are being sent (a second reader meanwhile sees it `finalizing`)
    reads: int = 0  # reads since the cancel (the `batches-status-regresses` fault)


class BatchStore:
    """The batches a server holds, in creation order."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.batches: dict[str, Batch] = {}

    def get(self, ident: str) -> Batch:
        with self.lock:
            found = self.batches.get(ident)
        if found is None:
            raise ApiError(404, f"No batch found with id '{ident}'.", param="batch_id", client=False, validation=False)
        return found

    def newest_first(self) -> list[Batch]:
        with self.lock:
            return list(self.batches.values())[::-1]


class Server(Served, Protocol):
    """What the routes need of the reference server (app.py's `_Server`)."""

    files: FileStore
    batches: BatchStore


# --- create ------------------------------------------------------------------------------------------------


def _validated(body: Any, config: ServerConfig) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise invalid("The request body must be a JSON object.")
    errors = schema_errors(SCHEMA, body)
    if config.has("batches-unknown-endpoint-accepted"):
        errors = [e for e in errors if list(e.absolute_path)[:1] != ["endpoint"]]
    if config.has("batches-wrong-window-accepted"):
        errors = [e for e in errors if list(e.absolute_path)[:1] != ["completion_window"]]
    kept, unknown = split_unknown(errors)
    if kept:
        raise describe_chat(kept[0])
    if unknown:
        raise unrecognized(unknown[:1])
    return body


def _line(text: str, endpoint: str, seen: set[str]) -> dict[str, Any]:
    """One input line as a batch request, or the _Problem that makes the batch fail."""
    try:
        line = json.loads(text)
    except ValueError:
        raise _Problem("invalid_json_line", "This line is not valid JSON.") from None
    if not isinstance(line, dict):
        raise _Problem("invalid_json_line", "This line is not a JSON object.")
    custom_id = line.get("custom_id")
    if not isinstance(custom_id, str) or not custom_id:
        raise _Problem("missing_required_parameter", "Missing required parameter: 'custom_id'.", "custom_id")
    if custom_id in seen:
        raise _Problem("duplicate_custom_id", f"The custom_id '{custom_id[:100]}' is used by an earlier line.",
                       "custom_id")  # fmt: skip
    seen.add(custom_id)
    if line.get("method") != "POST":
        raise _Problem("invalid_value", "Invalid value for 'method': only 'POST' is supported.", "method")
    if line.get("url") != endpoint:
        raise _Problem(
            "mismatched_endpoint",
            f"The url of this line ({str(line.get('url'))[:100]}) is not the batch's endpoint {endpoint}.",
            "url",
        )
    if not isinstance(line.get("body"), dict):
        raise _Problem("missing_required_parameter", "Missing required parameter: 'body' (a JSON object).", "body")
    return line


def _read_lines(data: bytes, endpoint: str) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(the requests, the problems) of an input file."""
    lines: list[dict[str, Any]] = []
    problems: list[dict[str, Any]] = []
    seen: set[str] = set()
    text = data.decode("utf-8", errors="replace")
    for number, raw in enumerate(text.splitlines(), start=1):
        if not raw.strip():
            continue
        try:
            lines.append(_line(raw, endpoint, seen))
        except _Problem as problem:
            problems.append({"code": problem.code, "message": problem.message, "param": problem.param, "line": number})
    if not lines and not problems:
        problems.append({"code": "empty_file", "message": "The input file has no requests.", "param": None,
                         "line": None})  # fmt: skip
    return lines, problems


def create(body: Any, server: Server) -> dict[str, Any]:
    config = server.config
    valid = _validated(body, config)
    file_id = valid["input_file_id"]
    stored = server.files.get(file_id)
    if stored is None:
        raise ApiError(404, f"No such File object: {file_id[:100]}", param="input_file_id", validation=False)
    purpose = stored.body.get("purpose")
    if purpose != "batch" and not config.has("batches-any-file-accepted"):
        raise invalid(
            f"The file {file_id} has purpose '{purpose}': a batch's input file must be uploaded with purpose 'batch'.",
            "input_file_id",
            "invalid_file_purpose",
        )
    lines, problems = _read_lines(stored.data, valid["endpoint"])
    if config.has("batches-invalid-file-completes"):
        problems = []
    wall = time.time()
    created = int(wall)
    expires = valid.get("output_expires_after")
    models = {m for line in lines if isinstance(m := line["body"].get("model"), str)}
    model = models.pop() if len(models) == 1 else None
    metadata = valid.get("metadata")
    answer: dict[str, Any] = {
        "id": server.ids.item("batch"),
        "object": "batch",
        "endpoint": valid["endpoint"],
        "errors": None,
        "input_file_id": file_id,
        "completion_window": valid["completion_window"],
        "status": "validating",
        "output_file_id": None,
        "error_file_id": None,
        "created_at": created,
        "in_progress_at": None,
        "expires_at": created + WINDOW_SECONDS,
        "finalizing_at": None,
        "completed_at": None,
        "failed_at": None,
        "expired_at": None,
        "cancelling_at": None,
        "cancelled_at": None,
        "request_counts": {"total": 0, "completed": 0, "failed": 0},
        "metadata": None if config.has("batches-metadata-dropped") else metadata,
    }
    if isinstance(model, str):
        answer["model"] = model  # the model every line names (none when they differ)
    batch = Batch(answer, lines, problems, time.monotonic(), wall,
                  expires.get("seconds") if isinstance(expires, dict) else None)  # fmt: skip
    with server.batches.lock:
        server.batches.batches[answer["id"]] = batch
    return dict(answer)


# --- the status machine --------------------------------------------------------------------------------------


def _at(batch: Batch, steps: float) -> int:
    """The Unix time of `steps` STEP_SECONDS after the batch was created."""
    return int(batch.wall + steps * STEP_SECONDS)


def _due(batch: Batch, steps: float, now: float) -> bool:
    return now >= batch.started + steps * STEP_SECONDS


async def advance(batch: Batch, server: Server, app: ASGIApp) -> None:
    """Move `batch` as far as the time elapsed takes it (its lines run through `app` when it completes)."""
    body = batch.body
    while True:
        now = time.monotonic()
        status = body["status"]
        if status in TERMINAL or batch.running:
            return
        if status == "cancelling":
            if batch.cancelled_at is not None and now >= batch.cancelled_at + STEP_SECONDS:
                body["status"], body["cancelled_at"] = "cancelled", body["cancelling_at"] + int(STEP_SECONDS + 0.999)
                continue
            return
        if _due(batch, WINDOW_SECONDS / STEP_SECONDS, now):
            body["status"], body["expired_at"] = "expired", _at(batch, WINDOW_SECONDS / STEP_SECONDS)
        elif status == "validating" and _due(batch, 1, now):
            if batch.problems:
                body["status"], body["failed_at"] = "failed", _at(batch, 1)
                body["errors"] = {"object": "list", "data": [dict(p) for p in batch.problems]}
            else:
                body["status"] = "in_progress"
                body["in_progress_at"] = None if server.config.has("batches-no-in-progress-at") else _at(batch, 1)
                extra = 1 if server.config.has("batches-counts-wrong") else 0
                body["request_counts"] = {"total": len(batch.lines) + extra, "completed": 0, "failed": 0}
        elif status == "in_progress" and _due(batch, 2, now):
            body["status"], body["finalizing_at"] = "finalizing", _at(batch, 2)
        elif status == "finalizing" and _due(batch, 3, now):
            batch.running = True
            try:
                outputs, failures = await _run(batch, server, app)
            finally:
                batch.running = False
            if body["status"] != "finalizing":  # cancelled while its lines ran: nothing is kept
                continue
            _complete(batch, outputs, failures, server)
        else:
            return


async def _run(batch: Batch, server: Server, app: ASGIApp) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Each input line sent to the server's own route: (the output lines, the error lines)."""
    outputs: list[dict[str, Any]] = []
    failures: list[dict[str, Any]] = []
    for number, line in enumerate(batch.lines, start=1):
        status: int
        request_id: str | None
        answer: Any
        if line["body"].get("stream") is True:
            refused = "Streaming is not supported in a batch: each line is answered whole."
            error = {"message": refused, "type": "invalid_request_error", "param": "stream", "code": None}
            status, request_id, answer = 400, server.ids.request(), {"error": error}
        else:
            status, request_id, answer = await _call(app, server.config, line["url"], line["body"])
        custom_id = f"request-{number}" if server.config.has("batches-custom-id-lost") else line["custom_id"]
        ok = 200 <= status < 300
        usage = answer.get("usage")
        wrong = ok and server.config.has("batches-output-usage-wrong")
        if wrong and isinstance(usage, dict) and isinstance(usage.get("total_tokens"), int):
            usage["total_tokens"] += 1
        response: dict[str, Any] = {"status_code": status, "request_id": request_id, "body": answer}
        if ok and server.config.has("batches-output-no-status-code"):
            del response["status_code"]
        record = {"id": server.ids.item("batch_req"), "custom_id": custom_id, "response": response, "error": None}
        (outputs if ok or server.config.has("batches-failed-line-in-output") else failures).append(record)
    return outputs, failures


async def _call(app: ASGIApp, config: ServerConfig, url: str, body: dict[str, Any]) -> tuple[int, str | None, Any]:
    """POST `body` to `url` through the whole app: (status, x-request-id, JSON answer)."""
    payload = json.dumps(body).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(payload)).encode())]
    if config.api_key is not None:
        headers.append((b"authorization", f"Bearer {config.api_key}".encode()))
    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST", "scheme": "http",
        "path": url, "raw_path": url.encode(), "root_path": "", "query_string": b"", "headers": headers,
        "client": ("127.0.0.1", 0), "server": ("reference", 80),
    }  # fmt: skip
    sent = False
    start: dict[str, Any] = {}
    chunks: list[bytes] = []

    async def receive() -> Message:
        nonlocal sent
        if sent:
            return {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": payload, "more_body": False}

    async def send(message: Message) -> None:
        if message["type"] == "http.response.start":
            start.update(message)
        elif message["type"] == "http.response.body":
            chunks.append(message.get("body", b""))

    await app(scope, receive, send)
    found = {k.decode().lower(): v.decode() for k, v in start.get("headers", [])}
    status = int(start.get("status", 500))
    try:
        answer = json.loads(b"".join(chunks))
    except ValueError:
        answer = None
    if not isinstance(answer, dict):
        status, answer = 500, {"error": {"message": "The endpoint's answer was not a JSON object.",
                                         "type": "server_error", "param": None, "code": None}}  # fmt: skip
    return status, found.get("x-request-id"), answer


def _jsonl(records: list[dict[str, Any]]) -> bytes:
    return b"".join(json.dumps(r, ensure_ascii=False, separators=(",", ":")).encode() + b"\n" for r in records)


def _complete(batch: Batch, outputs: list[dict[str, Any]], failures: list[dict[str, Any]], server: Server) -> None:
    body = batch.body
    purpose = "batch" if server.config.has("batches-output-purpose-wrong") else "batch_output"
    for key, records, suffix in (("output_file_id", outputs, "output"), ("error_file_id", failures, "error")):
        if records:
            made = server.files.add(purpose, f"{body['id']}_{suffix}.jsonl", _jsonl(records),
                                    expires_after=batch.output_expires)  # fmt: skip
            body[key] = made["id"]
    counts = body["request_counts"]
    counts["completed"], counts["failed"] = len(outputs), len(failures)
    body["usage"] = _usage(outputs)
    body["status"], body["completed_at"] = "completed", max(_at(batch, 3), int(time.time()))


def _usage(outputs: list[dict[str, Any]]) -> dict[str, Any]:
    """The batch's tokens: the sum over its answers (chat and legacy counts named as the Responses API's)."""
    used = [r["response"]["body"].get("usage") for r in outputs]
    counts = [u for u in used if isinstance(u, dict)]
    inputs = sum(int(u.get("input_tokens", u.get("prompt_tokens", 0)) or 0) for u in counts)
    out = sum(int(u.get("output_tokens", u.get("completion_tokens", 0)) or 0) for u in counts)
    return {
        "input_tokens": inputs,
        "input_tokens_details": {"cached_tokens": 0},
        "output_tokens": out,
        "output_tokens_details": {"reasoning_tokens": 0},
        "total_tokens": inputs + out,
    }


def cancel(batch: Batch) -> dict[str, Any]:
    body = batch.body
    if body["status"] in ("cancelling", "cancelled"):  # cancelled already: said again, changes nothing
        return dict(body)
    if body["status"] in TERMINAL:
        raise invalid(f"Cannot cancel a batch with status '{body['status']}'.", None)
    body["status"], body["cancelling_at"] = "cancelling", int(time.time())
    batch.cancelled_at = time.monotonic()
    batch.reads = 0
    return dict(body)


def answered(batch: Batch, config: ServerConfig, read: bool = True) -> dict[str, Any]:
    """The batch as a read answers it, with the faults that change it."""
    out = json.loads(json.dumps(batch.body))
    if read:
        batch.reads += 1
        if config.has("batches-retrieve-created-shifted"):
            out["created_at"] += 1
        if config.has("batches-status-regresses") and out["status"] == "cancelling" and batch.reads == 1:
            out["status"] = "in_progress"
    return out


# --- list --------------------------------------------------------------------------------------------------


def listing(query: dict[str, str], batches: list[Batch], config: ServerConfig) -> dict[str, Any]:
    limit = limit_of(query, DEFAULT_LIMIT, MAX_LIMIT)
    items = [answered(b, config, read=False) for b in batches]
    if config.has("batches-not-listed") and items:
        items = items[1:]
    after = None if config.has("batches-after-ignored") else query.get("after")
    if after is not None:
        position = next((n for n, item in enumerate(items) if item["id"] == after), None)
        if position is None:
            raise invalid(f"Invalid 'after': no batch with id '{after[:100]}'.", "after")
        items = items[position + 1 :]
    return cursor_page(items, limit, more=not config.has("pages-no-has-more"))


# --- routes ------------------------------------------------------------------------------------------------


def routes(server: Server) -> list[Route]:
    """The /v1/batches routes, bound to `server`; a batch's lines run through the app that was asked."""

    guarded = server.guarded

    async def collection(request: Request) -> Response:
        if request.method == "POST":
            return server._json(create(await server.json_body(request), server))
        every = server.batches.newest_first()
        for batch in every:
            await advance(batch, server, request.scope["app"])
        return server._json(listing(dict(request.query_params), every, server.config))

    async def resource(request: Request) -> Response:
        batch = server.batches.get(request.path_params["batch_id"])
        await advance(batch, server, request.scope["app"])
        return server._json(answered(batch, server.config))

    async def cancelled(request: Request) -> Response:
        batch = server.batches.get(request.path_params["batch_id"])
        await advance(batch, server, request.scope["app"])
        if server.config.has("batches-cancel-ignored"):
            return server._json(answered(batch, server.config, read=False))
        return server._json(cancel(batch))

    return [
        Route("/v1/batches", guarded(collection), methods=["GET", "POST"]),
        Route("/v1/batches/{batch_id}", guarded(resource), methods=["GET"]),
        Route("/v1/batches/{batch_id}/cancel", guarded(cancelled), methods=["POST"]),
    ]
