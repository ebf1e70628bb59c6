"""Containers of the reference server: an in-memory store of containers and their files, and the routes.

    POST   /v1/containers                                    create (name, file_ids, expires_after, memory_limit)
    GET    /v1/containers                                    list (`name`, `limit` 1..100 default 20, `order`
                                                             default desc, `after`)
    GET    /v1/containers/{container_id}                     the container
    DELETE /v1/containers/{container_id}                     {id, object: container.deleted, deleted: true}; its
                                                             files go with it
    POST   /v1/containers/{container_id}/files               put a file in: multipart `file`, or JSON `file_id` (a
                                                             file of /v1/files, copied)
    GET    /v1/containers/{container_id}/files               list (`limit`, `order`, `after`)
    GET    /v1/containers/{container_id}/files/{file_id}     the container file
    DELETE /v1/containers/{container_id}/files/{file_id}     {id, object: container.file.deleted, deleted: true}
    GET    /v1/containers/{container_id}/files/{file_id}/content  the bytes put in, unchanged

A container is `running` from its creation; nothing here expires (a run is shorter than the shortest expiry), and
`last_active_at` is its creation. A file put in lives at `/mnt/data/<name>`, `source: user`.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
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
from .files import FileStore
from .files import not_found as file_not_found
from .vector_stores import checked, page

DEFAULT_MINUTES = 20
DATA_DIR = "/mnt/data/"


@dataclass
class ContainerFile:
    body: dict[str, Any]
    data: bytes
    uploaded: bool  # put in by a multipart upload (not copied from /v1/files)
    late: bool  # put in after the container was created (not one of its `file_ids`)


@dataclass
class Container:
    body: dict[str, Any]
    files: dict[str, ContainerFile] = field(default_factory=dict)


def not_found(kind: str, ident: str) -> ApiError:
    return ApiError(404, f"No {kind} found with id '{ident[:100]}'.", client=False, validation=False)


class Containers:
    """The containers a server holds, in creation order. Every method takes the lock."""

    def __init__(self, ids: Ids, files: FileStore, config: ServerConfig, clock: Callable[[], float] = time.time):
        self._ids = ids
        self._files = files
        self._config = config
        self._clock = clock
        self._lock = threading.Lock()
        self._containers: dict[str, Container] = {}
        # The files of deleted containers, by (container id, file id): only a fault answers them.
        self._orphans: dict[tuple[str, str], ContainerFile] = {}

    def _has(self, fault: str) -> bool:
        return self._config.has(fault)

    def _get(self, ident: str) -> Container:
        found = self._containers.get(ident)
        if found is None:
            raise not_found("container", ident)
        return found

    def answered(self, container: Container) -> dict[str, Any]:
        body = dict(container.body)
        if self._has("containers-object-wrong"):
            body["object"] = "containers"
        if self._has("containers-name-dropped"):
            body["name"] = ""
        if self._has("containers-status-expired"):
            body["status"] = "expired"
        return body

    def create(self, body: Any) -> dict[str, Any]:
        request = checked(body, "container.create.request")
        file_ids = request.get("file_ids", [])
        sources = []
        for n, file_id in enumerate(file_ids):
            stored = self._files.get(file_id)
            if stored is None:
                error = file_not_found(file_id)
                error.param = f"file_ids[{n}]"
                raise error
            sources.append(stored)
        expires = request.get("expires_after", {"anchor": "last_active_at", "minutes": DEFAULT_MINUTES})
        if self._has("containers-expires-ignored"):
            expires = {"anchor": "last_active_at", "minutes": DEFAULT_MINUTES}
        now = int(self._clock())
        container = Container({
            "id": self._ids.item("cntr"),
            "object": "container",
            "name": request["name"],
            "created_at": now,
            "status": "running",
            "expires_after": dict(expires),
            "last_active_at": now,
            "memory_limit": request.get("memory_limit", "1g"),
        })  # fmt: skip
        if not self._has("containers-file-ids-ignored"):
            for stored in sources:
                self._put(container, stored.body["filename"], stored.data, uploaded=False, late=False)
        with self._lock:
            self._containers[container.body["id"]] = container
        return self.answered(container)

    def listing(self, query: dict[str, str]) -> dict[str, Any]:
        name = query.get("name")
        with self._lock:
            items = [c for c in self._containers.values() if name is None or c.body["name"] == name]
        if self._has("containers-list-stale") and items:
            items = items[:-1]
        paged = page([self.answered(c) for c in items], self._cursor(query, "containers-after-ignored"))
        return paged

    def _cursor(self, query: dict[str, str], fault: str) -> dict[str, str]:
        return {k: v for k, v in query.items() if k in ("limit", "order") or (k == "after" and not self._has(fault))}

    def retrieve(self, ident: str) -> dict[str, Any]:
        with self._lock:
            body = self.answered(self._get(ident))
        if self._has("containers-retrieve-renamed"):
            body["name"] = f"renamed-{body['name']}"
        return body

    def delete(self, ident: str) -> dict[str, Any]:
        with self._lock:
            container = self._get(ident)
            if self._has("containers-delete-kept"):
                container.files.clear()
            else:
                del self._containers[ident]
                if self._has("containers-delete-files-kept"):
                    self._orphans.update({(ident, k): f for k, f in container.files.items()})
        return {"id": ident, "object": "container.deleted", "deleted": True}

    # --- files ------------------------------------------------------------------------------------------

    def _put(self, container: Container, filename: str, data: bytes, *, uploaded: bool, late: bool) -> ContainerFile:
        ident = self._ids.item("cfile")
        body = {
            "id": ident,
            "object": "container.file",
            "created_at": int(self._clock()),
            "bytes": len(data) + (1 if uploaded and self._has("containers-files-bytes-wrong") else 0),
            "container_id": container.body["id"],
            "path": DATA_DIR + (ident if self._has("containers-files-path-bare") else filename),
            "source": "assistant" if self._has("containers-files-source-assistant") else "user",
        }
        if self._has("containers-files-wrong-container"):
            body["container_id"] = self._ids.item("cntr")
        put = ContainerFile(body, data, uploaded, late)
        container.files[ident] = put
        return put

    def create_file(self, ident: str, content_type: str, raw: bytes) -> dict[str, Any]:
        if content_type.startswith("multipart/form-data"):
            fields = _multipart.parse(content_type, raw)
            unknown = sorted(set(fields) - {"file", "file_id"})
            if unknown:
                raise invalid(f"Unknown parameter: '{unknown[0][:100]}'.", unknown[0][:100], "unknown_parameter")
            part = fields.get("file")
            file_id = fields["file_id"].text() if "file_id" in fields else None
            if part is not None and file_id is not None:
                raise invalid("Only one of 'file' and 'file_id' may be given.", "file", "invalid_value")
            if part is not None:
                if part.filename is None:
                    raise invalid("Invalid 'file': expected a file upload.", "file", "invalid_type")
                with self._lock:
                    container = self._get(ident)
                    return dict(self._put(container, part.filename or "upload", part.data, uploaded=True,
                                          late=True).body)  # fmt: skip
        else:
            try:
                body = json.loads(raw)
            except (ValueError, UnicodeDecodeError):
                raise invalid("We could not parse the JSON body of your request.") from None
            request = checked(body, "container.file.create.request")
            if "file" in request:
                raise invalid("Invalid 'file': send a file as multipart/form-data.", "file", "invalid_type")
            file_id = request["file_id"]
        if not file_id:
            raise invalid("Missing required parameter: 'file' or 'file_id'.", "file", "missing_required_parameter")
        stored = self._files.get(file_id)
        if stored is None:
            error = file_not_found(file_id)
            error.param = "file_id"
            raise error
        data = b"" if self._has("containers-files-file-id-empty") else stored.data
        with self._lock:
            container = self._get(ident)
            return dict(self._put(container, stored.body["filename"], data, uploaded=False, late=True).body)

    def _file(self, ident: str, file_id: str) -> ContainerFile:
        orphan = self._orphans.get((ident, file_id))
        if orphan is not None:
            return orphan
        found = self._get(ident).files.get(file_id)
        if found is None:
            raise not_found("container file", file_id)
        return found

    def list_files(self, ident: str, query: dict[str, str]) -> dict[str, Any]:
        with self._lock:
            files = list(self._get(ident).files.values())
        if self._has("containers-files-not-listed"):
            files = [f for f in files if not f.late]
        paged = page([dict(f.body) for f in files], self._cursor(query, "_"))
        if self._has("containers-files-page-repeat") and "after" in query and paged["data"]:
            repeated = next((dict(f.body) for f in files if f.body["id"] == query["after"]), None)
            if repeated is not None:
                paged["data"] = [repeated, *paged["data"][:-1]]
                paged["first_id"], paged["last_id"] = paged["data"][0]["id"], paged["data"][-1]["id"]
        return paged

    def retrieve_file(self, ident: str, file_id: str) -> dict[str, Any]:
        with self._lock:
            body = dict(self._file(ident, file_id).body)
        if self._has("containers-files-retrieve-shifted"):
            body["created_at"] += 1
        return body

    def content(self, ident: str, file_id: str) -> bytes:
        with self._lock:
            found = self._file(ident, file_id)
        if found.uploaded and self._has("containers-files-content-altered"):
            return found.data.replace(b"\n", b"\r\n") + b"\n"
        return found.data

    def delete_file(self, ident: str, file_id: str) -> dict[str, Any]:
        with self._lock:
            container = self._get(ident)
            if file_id not in container.files:
                raise not_found("container file", file_id)
            if not self._has("containers-files-delete-kept"):
                del container.files[file_id]
        return {"id": file_id, "object": "container.file.deleted", "deleted": True}


# --- routes -------------------------------------------------------------------------------------------------


class Server(Served, Protocol):
    """What the routes need of the reference server (app.py's `_Server`)."""

    containers: Containers


def routes(server: Server) -> list[Route]:
    """The /v1/containers routes, bound to `server`."""
    store = server.containers
    guarded = server.guarded

    def answer(body: Any) -> Response:
        return Response(json.dumps(body, ensure_ascii=False), media_type="application/json")

    async def collection(request: Request) -> Response:
        if request.method == "GET":
            return answer(store.listing(dict(request.query_params)))
        return answer(store.create(await server.json_body(request)))

    async def resource(request: Request) -> Response:
        ident = request.path_params["container_id"]
        return answer(store.delete(ident) if request.method == "DELETE" else store.retrieve(ident))

    async def files(request: Request) -> Response:
        ident = request.path_params["container_id"]
        if request.method == "GET":
            return answer(store.list_files(ident, dict(request.query_params)))
        return answer(store.create_file(ident, request.headers.get("content-type", ""), await request.body()))

    async def file(request: Request) -> Response:
        ident, file_id = request.path_params["container_id"], request.path_params["file_id"]
        if request.method == "DELETE":
            return answer(store.delete_file(ident, file_id))
        return answer(store.retrieve_file(ident, file_id))

    async def content(request: Request) -> Response:
        ident, file_id = request.path_params["container_id"], request.path_params["file_id"]
        return Response(store.content(ident, file_id), media_type="application/octet-stream")

    base = "/v1/containers/{container_id}"
    return [
        Route("/v1/containers", guarded(collection), methods=["GET", "POST"]),
        Route(base, guarded(resource), methods=["GET", "DELETE"]),
        Route(f"{base}/files", guarded(files), methods=["GET", "POST"]),
        Route(f"{base}/files/{{file_id}}", guarded(file), methods=["GET", "DELETE"]),
        Route(f"{base}/files/{{file_id}}/content", guarded(content), methods=["GET"]),
    ]
