"""Files of the reference server: an in-memory, thread-safe store of uploaded bytes, and the /v1/files routes.

    POST   /v1/files                    upload (multipart: `file`, `purpose`, optional `expires_after[anchor]`
                                        and `expires_after[seconds]`)
    GET    /v1/files                    list (`purpose`, `limit` 1..10000 default 10000, `order` default desc,
                                        `after`)
    GET    /v1/files/{file_id}          the file object
    GET    /v1/files/{file_id}/content  the bytes that were uploaded, unchanged
    DELETE /v1/files/{file_id}          {id, object: file, deleted: true}; afterwards every route above is 404

`FileStore` is what other families build on (batches read their input file and write their output file into
it; vector stores name files in it): `add(purpose, filename, data)` returns the new file object, `get(file_id)`
a `StoredFile` (`body`, the object, and `data`, the bytes) or None, `delete(file_id)` whether it was there.

An upload is refused (400, the error envelope) when its purpose is not one a client may upload, its file is
empty, or a `batch` / `fine-tune` file is not JSON Lines (schemas/DECISIONS.md: files-jsonl-checked).
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from . import _multipart
from ._config import ServerConfig
from ._errors import ApiError, invalid
from ._ids import Ids
from ._pages import cursor_page, limit_of
from ._routing import Served

# What a client may upload (upstream CreateFileRequest.purpose); the store also holds what the server writes
# itself (`batch_output`, `fine-tune-results`, `assistants_output`).
UPLOAD_PURPOSES = ("assistants", "batch", "fine-tune", "vision", "user_data", "evals")
JSONL_PURPOSES = ("batch", "fine-tune")
# Files with purpose `batch` expire after 30 days unless `expires_after` says otherwise (upstream
# FileExpirationAfter); the others are kept until deleted.
BATCH_EXPIRY_SECONDS = 30 * 24 * 3600
EXPIRY_RANGE = (3600, 2_592_000)
MAX_LIMIT = 10_000
# The fields of an upload, as the SDKs send them (`expires_after` as two bracketed fields).
FIELDS = frozenset({"file", "purpose", "expires_after[anchor]", "expires_after[seconds]"})


@dataclass(frozen=True)
class StoredFile:
    """One stored file: its object (as answered by retrieve) and its bytes."""

    body: dict[str, Any]
    data: bytes


class FileStore:
    """The files a server holds, in creation order. Every method takes the store's lock."""

    def __init__(self, ids: Ids, clock: Callable[[], float] = time.time) -> None:
        self.lock = threading.Lock()
        self._ids = ids
        self._clock = clock
        self._files: dict[str, StoredFile] = {}

    def add(self, purpose: str, filename: str, data: bytes, *, expires_after: int | None = None) -> dict[str, Any]:
        """Store `data` and return its new file object (a copy: changing it changes nothing stored).

        expires_after: seconds after `created_at` when the file expires (its `expires_at`); None: never.
        """
        created = int(self._clock())
        body: dict[str, Any] = {
            "id": self._ids.file(),
            "object": "file",
            "bytes": len(data),
            "created_at": created,
            "filename": filename,
            "purpose": purpose,
            "status": "processed",
        }
        if expires_after is not None:
            body["expires_at"] = created + expires_after
        with self.lock:
            self._files[body["id"]] = StoredFile(body, bytes(data))
        return dict(body)

    def get(self, file_id: str) -> StoredFile | None:
        with self.lock:
            found = self._files.get(file_id)
        return None if found is None else StoredFile(dict(found.body), found.data)

    def delete(self, file_id: str) -> bool:
        with self.lock:
            return self._files.pop(file_id, None) is not None

    def list(self, purpose: str | None = None) -> list[dict[str, Any]]:
        """The file objects, oldest first, of one purpose or all."""
        with self.lock:
            return [dict(f.body) for f in self._files.values() if purpose is None or f.body["purpose"] == purpose]

    def __len__(self) -> int:
        with self.lock:
            return len(self._files)


def not_found(file_id: str) -> ApiError:
    """The real API's answer for a file it does not hold."""
    return ApiError(404, f"No such File object: {file_id}", param="id", client=False, validation=False)


# --- validation ---------------------------------------------------------------------------------------------


def _expires_after(fields: dict[str, _multipart.Part]) -> int | None:
    anchor = fields.get("expires_after[anchor]")
    seconds = fields.get("expires_after[seconds]")
    if anchor is None and seconds is None:
        return None
    if anchor is None or anchor.text() != "created_at":
        raise invalid(
            "Invalid value for 'expires_after.anchor': expected 'created_at'.", "expires_after.anchor", "invalid_value"
        )
    try:
        number = int(seconds.text()) if seconds is not None else None
    except ValueError:
        number = None
    low, high = EXPIRY_RANGE
    if number is None or not low <= number <= high:
        raise invalid(
            f"Invalid value for 'expires_after.seconds': expected an integer between {low} and {high}.",
            "expires_after.seconds",
            "invalid_value",
        )
    return number


def jsonl_problem(data: bytes) -> str | None:
    """Why `data` is not JSON Lines of objects (the first bad line), or None."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return "the file is not UTF-8 text"
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            value = json.loads(line)
        except ValueError:
            return f"line {number} is not valid JSON"
        if not isinstance(value, dict):
            return f"line {number} is not a JSON object"
    return None


def validate_upload(fields: dict[str, _multipart.Part], config: ServerConfig) -> tuple[str, str, bytes]:
    """(purpose, filename, bytes) of a valid upload, or the 400 the real API gives first."""
    unknown = sorted(set(fields) - FIELDS)
    if unknown:
        raise invalid(f"Unrecognized request argument supplied: {unknown[0][:100]}", unknown[0][:100])
    purpose_part = fields.get("purpose")
    if purpose_part is None:
        raise invalid("Missing required parameter: 'purpose'.", "purpose", "missing_required_parameter")
    purpose = purpose_part.text()
    if purpose not in UPLOAD_PURPOSES and not config.has("files-wrong-purpose-accepted"):
        raise invalid(
            f"Invalid value for 'purpose': '{purpose[:100]}'. Supported values are: "
            + ", ".join(f"'{p}'" for p in UPLOAD_PURPOSES)
            + ".",
            "purpose",
            "invalid_value",
        )
    file_part = fields.get("file")
    if file_part is None or file_part.filename is None:
        raise invalid("Missing required parameter: 'file'.", "file", "missing_required_parameter")
    filename = file_part.filename or "upload"
    data = file_part.data
    if not data and not config.has("files-empty-accepted"):
        raise invalid("The file you uploaded is empty. Please upload a file with content.", "file", "empty_file")
    if purpose in JSONL_PURPOSES and not config.has("files-bad-jsonl-accepted"):
        if not filename.endswith(".jsonl"):
            raise invalid(
                f"Invalid file format for purpose '{purpose}': the file must be a .jsonl file, got '{filename}'.",
                "file",
                "invalid_file_format",
            )
        problem = jsonl_problem(data)
        if problem is not None:
            raise invalid(
                f"Invalid file format for purpose '{purpose}': {problem}. Each line must be one JSON object.",
                "file",
                "invalid_file_format",
            )
    return purpose, filename, data


def listing(query: dict[str, str], store: FileStore, config: ServerConfig) -> dict[str, Any]:
    """A page of file objects: `purpose`, `limit` (1..10000, default 10000), `order` (default desc), `after`."""
    limit = limit_of(query, MAX_LIMIT, MAX_LIMIT)
    order = query.get("order", "desc")
    if order not in ("asc", "desc"):
        raise invalid(f"Invalid value: '{order[:100]}'. Supported values are: 'asc' and 'desc'.", "order")
    purpose = None if config.has("files-purpose-filter-ignored") else query.get("purpose")
    items = store.list(purpose)
    if "purpose" not in query and config.has("files-list-unfiltered-empty"):
        items = []
    ordered = items if order == "asc" else items[::-1]
    after = None if config.has("files-after-ignored") else query.get("after")
    if after is not None:
        position = next((n for n, item in enumerate(ordered) if item["id"] == after), None)
        if position is None:
            raise invalid(f"Invalid 'after': no file with id '{after[:100]}'.", "after")
        ordered = ordered[position + 1 :]
    return cursor_page(ordered, limit)


def answered(stored: StoredFile, config: ServerConfig) -> dict[str, Any]:
    """The object a retrieve answers, with the faults that change it."""
    body = dict(stored.body)
    if config.has("files-retrieve-renamed"):
        body["filename"] = f"renamed-{body['filename']}"
    return body


def content(stored: StoredFile, config: ServerConfig) -> bytes:
    data = stored.data
    if config.has("files-content-altered"):
        data = data.replace(b"\n", b"\r\n") + b"\n"
    return data


# --- routes -------------------------------------------------------------------------------------------------


class Server(Served, Protocol):
    """What the routes need of the reference server (app.py's `_Server`)."""

    files: FileStore


def create_file(fields: dict[str, _multipart.Part], store: FileStore, config: ServerConfig) -> dict[str, Any]:
    purpose, filename, data = validate_upload(fields, config)
    expires_after = _expires_after(fields)
    if expires_after is None and purpose == "batch":
        expires_after = BATCH_EXPIRY_SECONDS
    if config.has("files-expires-ignored"):
        expires_after = None
    body = store.add(purpose, filename, data, expires_after=expires_after)
    if config.has("files-bytes-wrong"):
        body["bytes"] = len(data) + 1
    return body


def routes(server: Server) -> list[Route]:
    """The /v1/files routes, bound to `server`."""

    guarded = server.guarded

    async def collection(request: Request) -> Response:
        if request.method == "GET":
            return server._json(listing(dict(request.query_params), server.files, server.config))
        fields = _multipart.parse(request.headers.get("content-type", ""), await request.body())
        return server._json(create_file(fields, server.files, server.config))

    def stored(request: Request) -> StoredFile:
        file_id = request.path_params["file_id"]
        found = server.files.get(file_id)
        if found is None:
            raise not_found(file_id)
        return found

    async def resource(request: Request) -> Response:
        found = stored(request)
        if request.method == "DELETE":
            if not server.config.has("files-delete-kept"):
                server.files.delete(found.body["id"])
            return server._json({"id": found.body["id"], "object": "file", "deleted": True})
        return server._json(answered(found, server.config))

    async def file_content(request: Request) -> Response:
        return Response(content(stored(request), server.config), media_type="application/octet-stream")

    return [
        Route("/v1/files", guarded(collection), methods=["GET", "POST"]),
        Route("/v1/files/{file_id}", guarded(resource), methods=["GET", "DELETE"]),
        Route("/v1/files/{file_id}/content", guarded(file_content), methods=["GET"]),
    ]
