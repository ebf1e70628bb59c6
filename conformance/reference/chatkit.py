"""ChatKit of the reference server: sessions for its one workflow, the threads it holds, and uploads.

    POST   /v1/chatkit/sessions                     a session of CHATKIT_WORKFLOW (any other workflow: 404)
    POST   /v1/chatkit/sessions/{session_id}/cancel the session, `status: cancelled`
    GET    /v1/chatkit/threads                      the threads (`user`, `limit` 0..100 default 20, `order`
                                                    default desc, `after`)
    GET    /v1/chatkit/threads/{thread_id}          the thread
    DELETE /v1/chatkit/threads/{thread_id}          {id, object: chatkit.thread.deleted, deleted: true}
    GET    /v1/chatkit/threads/{thread_id}/items    its items (`limit`, `order`, `after`)
    POST   /v1/chatkit/files                        multipart `file` (a PDF or an image): a file or image part

Threads are made by a ChatKit UI talking to a workflow, never by the API: the server holds DEMO_THREADS from its
start (fixed ids and times, like the fine-tuned model app.py holds), so that the rules over threads have something
to read. Every route wants the `OpenAI-Beta: chatkit_beta=v1` header the official SDKs send.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from . import _multipart
from ._config import ServerConfig
from ._errors import ApiError, invalid
from ._ids import Ids
from ._routing import Served
from .vector_stores import checked, page

# The one workflow the server runs; a run against it is given this id (conformance/plugin.py).
CHATKIT_WORKFLOW = "wf_oai_conformance_reference"
BETA = "chatkit_beta=v1"
DEFAULT_SECONDS = 600
DEFAULT_RATE = 10
DEMO_USER = "oai-conformance-demo"
DEMO_CREATED = 1_760_000_000
UPLOAD_TYPES = {"application/pdf": "file", "image/png": "image", "image/jpeg": "image", "image/gif": "image",
                "image/webp": "image"}  # fmt: skip


def _demo_threads() -> dict[str, tuple[dict[str, Any], list[dict[str, Any]]]]:
    """One thread of another user, then two of DEMO_USER, the newest with three items (so that its items walk in
    pages of two: the cases read the newest thread)."""
    threads: dict[str, tuple[dict[str, Any], list[dict[str, Any]]]] = {}
    for n, (user, title, texts) in enumerate(
        [
            ("someone-else", "Returns", ["How do I return a parcel?", "With the label in the box."]),
            (DEMO_USER, None, ["Hello"]),
            (DEMO_USER, "Opening hours", ["When do you open?", "At nine.", "And on Sundays?"]),
        ],
        start=1,
    ):
        ident = f"cthr_demo_{n}"
        created = DEMO_CREATED + 100 * n
        thread = {"id": ident, "object": "chatkit.thread", "created_at": created, "title": title,
                  "status": {"type": "active"}, "user": user}  # fmt: skip
        items = []
        for k, text in enumerate(texts):
            mine = k % 2 == 0
            item: dict[str, Any] = {"id": f"cthi_demo_{n}_{k + 1}", "object": "chatkit.thread_item",
                                    "created_at": created + k + 1, "thread_id": ident}  # fmt: skip
            if mine:
                item |= {"type": "chatkit.user_message", "content": [{"type": "input_text", "text": text}],
                         "attachments": [], "inference_options": None}  # fmt: skip
            else:
                item |= {"type": "chatkit.assistant_message",
                         "content": [{"type": "output_text", "text": text, "annotations": []}]}  # fmt: skip
            items.append(item)
        threads[ident] = (thread, items)
    return threads


def not_found(kind: str, ident: str) -> ApiError:
    return ApiError(404, f"{kind} with id '{ident[:100]}' not found.", client=False, validation=False)


def _page(items: list[dict[str, Any]], query: dict[str, str]) -> dict[str, Any]:
    """A cursor page; `limit` 0 (which the API allows) is an empty page."""
    if query.get("limit") == "0":
        return {"object": "list", "data": [], "first_id": None, "last_id": None, "has_more": bool(items)}
    return page(items, query)


class ChatKit:
    """The sessions and threads a server holds. Every method takes the lock."""

    def __init__(self, ids: Ids, config: ServerConfig, clock: Callable[[], float] = time.time) -> None:
        self._ids = ids
        self._config = config
        self._clock = clock
        self._lock = threading.Lock()
        self._sessions: dict[str, dict[str, Any]] = {}
        self._threads = _demo_threads()

    def _has(self, fault: str) -> bool:
        return self._config.has(fault)

    def create_session(self, body: Any) -> dict[str, Any]:
        request = checked(body, "chatkit.session.create.request")
        workflow = request["workflow"]
        if workflow["id"] != CHATKIT_WORKFLOW and not self._has("chatkit-unknown-workflow-accepted"):
            raise not_found("Workflow", workflow["id"])
        seconds = request.get("expires_after", {}).get("seconds", DEFAULT_SECONDS)
        if self._has("chatkit-session-expiry-ignored"):
            seconds = DEFAULT_SECONDS
        rate = request.get("rate_limits", {}).get("max_requests_per_1_minute", DEFAULT_RATE)
        if self._has("chatkit-session-rate-limit-ignored"):
            rate = DEFAULT_RATE
        wanted = request.get("chatkit_configuration", {})
        configuration = {
            "automatic_thread_titling": {"enabled": True, **wanted.get("automatic_thread_titling", {})},
            "file_upload": {"enabled": False, "max_file_size": 512, "max_files": 10, **wanted.get("file_upload", {})},
            "history": {"enabled": True, "recent_threads": None, **wanted.get("history", {})},
        }
        session = {
            "id": self._ids.item("cksess"),
            "object": "session" if self._has("chatkit-session-object-wrong") else "chatkit.session",
            "expires_at": int(self._clock()) + seconds,
            "client_secret": f"ek_ref{self._ids.item('secret')}",
            "workflow": {
                "id": "wf_other" if self._has("chatkit-session-workflow-wrong") else workflow["id"],
                "version": workflow.get("version"),
                "state_variables": workflow.get("state_variables"),
                "tracing": {"enabled": workflow.get("tracing", {}).get("enabled", True)},
            },
            "user": request["user"],
            "rate_limits": {"max_requests_per_1_minute": rate},
            "max_requests_per_1_minute": rate,
            "status": "expired" if self._has("chatkit-session-expired-at-once") else "active",
            "chatkit_configuration": configuration,
        }
        if self._has("chatkit-session-no-secret"):
            del session["client_secret"]
        with self._lock:
            self._sessions[session["id"]] = session
        return dict(session)

    def cancel_session(self, ident: str) -> dict[str, Any]:
        with self._lock:
            session = self._sessions.get(ident)
            if session is None:
                raise not_found("Session", ident)
            if not self._has("chatkit-cancel-ignored"):
                session["status"] = "cancelled"
            return dict(session)

    def _thread(self, ident: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        found = self._threads.get(ident)
        if found is None:
            if self._has("chatkit-threads-unknown-200"):
                return {"id": ident, "object": "chatkit.thread", "created_at": DEMO_CREATED, "title": None,
                        "status": {"type": "active"}, "user": DEMO_USER}, []  # fmt: skip
            raise not_found("Thread", ident)
        return found

    def list_threads(self, query: dict[str, str]) -> dict[str, Any]:
        user = None if self._has("chatkit-threads-user-filter-ignored") else query.get("user")
        with self._lock:
            threads = [dict(t) for t, _ in self._threads.values() if user is None or t["user"] == user]
        if self._has("chatkit-threads-no-status"):
            threads = [{k: v for k, v in t.items() if k != "status"} for t in threads]
        return _page(threads, query)

    def retrieve_thread(self, ident: str) -> dict[str, Any]:
        with self._lock:
            thread = dict(self._thread(ident)[0])
        if self._has("chatkit-thread-retrieve-shifted"):
            thread["created_at"] += 1
        return thread

    def delete_thread(self, ident: str) -> dict[str, Any]:
        with self._lock:
            self._thread(ident)
            self._threads.pop(ident, None)
        return {"id": ident, "object": "chatkit.thread.deleted", "deleted": True}

    def list_items(self, ident: str, query: dict[str, str]) -> dict[str, Any]:
        with self._lock:
            items = [dict(item) for item in self._thread(ident)[1]]
        if self._has("chatkit-thread-items-wrong-thread"):
            items = [{**item, "thread_id": "cthr_other"} for item in items]
        cursor = {k: v for k, v in query.items() if k != "after" or not self._has("chatkit-thread-items-after-ignored")}
        return _page(items, cursor)

    def upload(self, content_type: str, raw: bytes) -> dict[str, Any]:
        fields = _multipart.parse(content_type, raw)
        unknown = sorted(set(fields) - {"file"})
        if unknown:
            raise invalid(f"Unknown parameter: '{unknown[0][:100]}'.", unknown[0][:100], "unknown_parameter")
        part = fields.get("file")
        if part is None or part.filename is None:
            raise invalid("Missing required parameter: 'file'.", "file", "missing_required_parameter")
        mime = (part.content_type or "").split(";")[0].strip().lower()
        kind = UPLOAD_TYPES.get(mime)
        if kind is None:
            raise invalid(f"Unsupported file type '{mime[:100]}': upload a PDF, or a PNG, JPEG, GIF or WEBP image.",
                          "file", "unsupported_file")  # fmt: skip
        ident = self._ids.item("cfile")
        body: dict[str, Any] = {"id": ident, "type": kind, "name": part.filename, "mime_type": mime,
                                "upload_url": None}  # fmt: skip
        if kind == "image":
            body["preview_url"] = f"https://reference.invalid/chatkit/files/{ident}/preview"
        if self._has("chatkit-files-type-wrong"):
            body["type"] = "attachment"
        return body


# --- routes -------------------------------------------------------------------------------------------------


class Server(Served, Protocol):
    """What the routes need of the reference server (app.py's `_Server`)."""

    chatkit: ChatKit


def routes(server: Server) -> list[Route]:
    """The /v1/chatkit routes, bound to `server`."""
    kit = server.chatkit

    def beta(handler: Callable[[Request], Awaitable[Any]]) -> Callable[[Request], Awaitable[Response]]:
        async def answer(request: Request) -> Response:
            if BETA not in request.headers.get("openai-beta", ""):
                raise invalid(f"The ChatKit API is in beta: send the header 'OpenAI-Beta: {BETA}'.", None,
                              "missing_beta_header")  # fmt: skip
            return Response(json.dumps(await handler(request), ensure_ascii=False), media_type="application/json")

        return server.guarded(answer)

    async def sessions(request: Request) -> Any:
        return kit.create_session(await server.json_body(request))

    async def cancel(request: Request) -> Any:
        return kit.cancel_session(request.path_params["session_id"])

    async def threads(request: Request) -> Any:
        return kit.list_threads(dict(request.query_params))

    async def thread(request: Request) -> Any:
        ident = request.path_params["thread_id"]
        return kit.delete_thread(ident) if request.method == "DELETE" else kit.retrieve_thread(ident)

    async def items(request: Request) -> Any:
        return kit.list_items(request.path_params["thread_id"], dict(request.query_params))

    async def files(request: Request) -> Any:
        return kit.upload(request.headers.get("content-type", ""), await request.body())

    return [
        Route("/v1/chatkit/sessions", beta(sessions), methods=["POST"]),
        Route("/v1/chatkit/sessions/{session_id}/cancel", beta(cancel), methods=["POST"]),
        Route("/v1/chatkit/threads", beta(threads), methods=["GET"]),
        Route("/v1/chatkit/threads/{thread_id}", beta(thread), methods=["GET", "DELETE"]),
        Route("/v1/chatkit/threads/{thread_id}/items", beta(items), methods=["GET"]),
        Route("/v1/chatkit/files", beta(files), methods=["POST"]),
    ]
