"""Uploads of the reference server: a file sent in parts, which becomes a File in `FileStore` when completed.

    POST /v1/uploads                      create (JSON: filename, purpose, bytes, mime_type, expires_after):
                                          status pending, expires an hour after it was created
    POST /v1/uploads/{upload_id}/parts    add a part (multipart `data`); refused beyond the upload's `bytes`
                                          and once the upload is no longer pending
    POST /v1/uploads/{upload_id}/complete `part_ids` (the order of the file's bytes), optional `md5` of the
                                          whole: status completed and `file`, the new File
    POST /v1/uploads/{upload_id}/cancel   status cancelled

Completing refuses (400) a part id the upload does not hold, a total that is not the upload's `bytes`, an `md5`
that does not match, and an upload that is not pending; cancelling refuses an upload that is not pending.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from . import _multipart
from ._config import ServerConfig
from ._errors import ApiError, invalid
from ._ids import Ids
from ._routing import Served
from ._validation import param_of, schema_errors
from .files import JSONL_PURPOSES, FileStore, jsonl_problem

UPLOAD_SECONDS = 3600


@dataclass
class Upload:
    body: dict[str, Any]
    expires_after: int | None
    parts: dict[str, bytes] = field(default_factory=dict)  # part id -> bytes, in the order they came

    @property
    def received(self) -> int:
        return sum(len(p) for p in self.parts.values())


class UploadStore:
    """The uploads a server holds, pending or ended; the bytes of their parts until they are completed."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.uploads: dict[str, Upload] = {}

    def get(self, upload_id: str) -> Upload:
        found = self.uploads.get(upload_id)
        if found is None:
            raise ApiError(
                404, f"No such Upload object: {upload_id}", param="upload_id", client=False, validation=False
            )
        return found


def _checked(name: str, body: Any) -> dict[str, Any]:
    """`body` when it is valid by the request schema `name`; else the 400 for its first mistake."""
    from jsonschema.exceptions import best_match

    errors = schema_errors(name, body)
    if errors:
        error = best_match(errors)
        param = param_of(error.absolute_path)
        raise invalid(f"Invalid value for '{param or 'body'}': {error.message[:200]}", param, "invalid_value")
    assert isinstance(body, dict)
    return body


def create(body: Any, ids: Ids, store: UploadStore) -> dict[str, Any]:
    valid = _checked("upload.create.request", body)
    created = int(time.time())
    upload = {
        "id": ids.item("upload"),
        "object": "upload",
        "bytes": valid["bytes"],
        "created_at": created,
        "filename": valid["filename"],
        "purpose": valid["purpose"],
        "status": "pending",
        "expires_at": created + UPLOAD_SECONDS,
        "file": None,
    }
    expires = valid.get("expires_after")
    with store.lock:
        store.uploads[upload["id"]] = Upload(upload, expires["seconds"] if isinstance(expires, dict) else None)
    return dict(upload)


def _pending(upload: Upload, doing: str) -> None:
    status = upload.body["status"]
    if status != "pending":
        raise invalid(f"Cannot {doing} an Upload with status '{status}': it must be pending.", code="invalid_state")


def add_part(upload_id: str, data: bytes, ids: Ids, store: UploadStore, config: ServerConfig) -> dict[str, Any]:
    with store.lock:
        upload = store.get(upload_id)
        _pending(upload, "add a Part to")
        total = upload.received + len(data)
        if total > upload.body["bytes"] and not config.has("uploads-oversize-accepted"):
            raise invalid(
                f"Adding this Part ({len(data)} bytes) would make the Upload {total} bytes, more than the "
                f"{upload.body['bytes']} bytes it was created for.",
                "data",
                "upload_too_large",
            )
        part_id = ids.item("part")
        upload.parts[part_id] = data
    return {"id": part_id, "object": "upload.part", "created_at": int(time.time()), "upload_id": upload_id}


def complete(upload_id: str, body: Any, store: UploadStore, files: FileStore, config: ServerConfig) -> dict[str, Any]:
    valid = _checked("upload.complete.request", body)
    part_ids, md5 = valid["part_ids"], valid.get("md5")
    with store.lock:
        upload = store.get(upload_id)
        if not config.has("uploads-cancelled-completable") or upload.body["status"] != "cancelled":
            _pending(upload, "complete")
        unknown = [p for p in part_ids if not isinstance(p, str) or p not in upload.parts]
        if unknown:
            raise invalid(f"Part '{str(unknown[0])[:100]}' is not a Part of this Upload.", "part_ids", "invalid_value")
        data = b"".join(upload.parts[p] for p in part_ids)
        if len(data) != upload.body["bytes"] and not config.has("uploads-oversize-accepted"):
            raise invalid(
                f"The Parts listed add up to {len(data)} bytes, but the Upload was created for "
                f"{upload.body['bytes']} bytes.",
                "part_ids",
                "invalid_value",
            )
        if md5 is not None and md5.lower() != hashlib.md5(data).hexdigest() and not config.has("uploads-md5-ignored"):
            raise invalid("The md5 checksum given does not match the bytes uploaded.", "md5", "checksum_mismatch")
        if config.has("uploads-parts-unordered"):  # checked as asked, kept in the order the parts came
            data = b"".join(part for ident, part in upload.parts.items() if ident in part_ids)
        purpose = upload.body["purpose"]
        if purpose in JSONL_PURPOSES and (problem := jsonl_problem(data)) is not None:
            raise invalid(
                f"Invalid file format for purpose '{purpose}': {problem}. Each line must be one JSON object.",
                "file",
                "invalid_file_format",
            )
        made = files.add(purpose, upload.body["filename"], data, expires_after=upload.expires_after)
        upload.body = {**upload.body, "status": "completed", "file": made}
        if config.has("uploads-complete-no-file"):
            return {**upload.body, "file": None}
        return dict(upload.body)


def cancel(upload_id: str, store: UploadStore, config: ServerConfig) -> dict[str, Any]:
    with store.lock:
        upload = store.get(upload_id)
        _pending(upload, "cancel")
        if config.has("uploads-cancel-pending"):
            return dict(upload.body)
        upload.body = {**upload.body, "status": "cancelled"}
        return dict(upload.body)


# --- routes -------------------------------------------------------------------------------------------------


class Server(Served, Protocol):
    files: FileStore
    uploads: UploadStore


def routes(server: Server) -> list[Route]:
    """The /v1/uploads routes, bound to `server`."""

    def guarded(handler: Callable[[Request], Awaitable[dict[str, Any]]]) -> Callable[[Request], Awaitable[Response]]:
        async def answered(request: Request) -> Response:
            return server._json(await handler(request))

        return server.guarded(answered)

    async def create_upload(request: Request) -> dict[str, Any]:
        return create(await server.json_body(request), server.ids, server.uploads)

    async def parts(request: Request) -> dict[str, Any]:
        fields = _multipart.parse(request.headers.get("content-type", ""), await request.body())
        unknown = sorted(set(fields) - {"data"})
        if unknown:
            raise invalid(f"Unrecognized request argument supplied: {unknown[0][:100]}", unknown[0][:100])
        if "data" not in fields or fields["data"].filename is None:
            raise invalid("Missing required parameter: 'data' (a file).", "data", "missing_required_parameter")
        upload_id = request.path_params["upload_id"]
        return add_part(upload_id, fields["data"].data, server.ids, server.uploads, server.config)

    async def complete_upload(request: Request) -> dict[str, Any]:
        body = await server.json_body(request)
        return complete(request.path_params["upload_id"], body, server.uploads, server.files, server.config)

    async def cancel_upload(request: Request) -> dict[str, Any]:
        return cancel(request.path_params["upload_id"], server.uploads, server.config)

    return [
        Route("/v1/uploads", guarded(create_upload), methods=["POST"]),
        Route("/v1/uploads/{upload_id}/parts", guarded(parts), methods=["POST"]),
        Route("/v1/uploads/{upload_id}/complete", guarded(complete_upload), methods=["POST"]),
        Route("/v1/uploads/{upload_id}/cancel", guarded(cancel_upload), methods=["POST"]),
    ]
