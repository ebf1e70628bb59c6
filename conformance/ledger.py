"""The ledger of what a run creates on the server, so that the run can delete it again.

The client shows the ledger every exchange. A 2xx answer to `POST /responses` (stored: `store` not false), to
`POST /conversations`, `POST /files`, `POST /uploads`, or to `POST /chat/completions` whose request said `store:
true` (the whole answer or the chunks of a stream carry its id) names a new object; a 2xx or 404 answer to its
`DELETE` (or to the request that ends its kind, `ENDED_BY`: a cancel) ends it. A 2xx to a request that turns an
object into another (`BECOMES`: completing an upload makes a File) ends the first and names the second. A batch
(`POST /batches`) is ended by its cancel, or by any answer that shows it finished (`FINISHED`); the output and error
files an answer says it made (`PRODUCES`) are files the run deletes. At the end
of the run (`clean_up`) every object still alive is ended, whatever the cases did, and the run's report says what
was created, what was ended ("deleted") and what could not be.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from conformance import jsonvalue
from conformance.exceptions import ConformanceError
from conformance.exchange import Exchange
from conformance.sse import parse_events

# The collections whose objects a run creates, by the path that creates them.
CREATED_BY = {
    "/responses": "response",
    "/conversations": "conversation",
    "/chat/completions": "chat.completion",
    "/files": "file",
    "/uploads": "upload",
    "/batches": "batch",
    "/vector_stores": "vector_store",
    # A collection below one object: `{name}` stands for any one path segment (the object's id).
    "/vector_stores/{vector_store_id}/file_batches": "vector_store.file_batch",
    # Videos (media-visual): a job, and a remix of one, which is a new video job.
    "/videos": "video",
    "/videos/{video_id}/remix": "video",
    # containers: deleting a container deletes its files (their DELETE is then a 404, which ends them too)
    "/containers": "container",
    "/containers/{container_id}/files": "container.file",
    "/chatkit/sessions": "chatkit.session",  # chatkit
    # assistants: a thread created and run at once is named by the run's `thread_id` (CREATED_KEY)
    "/assistants": "assistant",
    "/threads": "thread",
    "/threads/runs": "thread",
    # administration API (admin.write cases only): what a run creates in the organization
    "/organization/invites": "organization.invite",
    "/organization/projects": "organization.project",
    "/organization/projects/{project_id}/users": "organization.project.user",
    "/organization/projects/{project_id}/service_accounts": "organization.project.service_account",
    "/organization/certificates": "organization.certificate",
    # fine-tuning: a job (cancelled unless it ended), a checkpoint's permission (sharing answers a list of them)
    "/fine_tuning/jobs": "fine_tuning.job",
    "/fine_tuning/checkpoints/{fine_tuned_model_checkpoint}/permissions": "checkpoint.permission",
    # evals: an eval, a run of one (deleted: deleting the eval first ends its runs, then a 404)
    "/evals": "eval",
    "/evals/{eval_id}/runs": "eval.run",
    # transports: a Realtime call (WebRTC), named by its answer's Location header
    "/realtime/calls": "realtime.call",
    # graders: seed 000's /v1/graders (a grader is deleted by DELETE /graders/{grader_id})
    "/graders": "grader",
}
# Where an object made by a POST below another object lives, when not below that path (a remix is a video of
# the /videos collection, deleted as DELETE /videos/{id}; a thread made and run is a thread of /threads).
LIVES_IN = {"/videos/{video_id}/remix": "/videos", "/threads/runs": "/threads"}
# assistants: the key of the answer (or of a streamed event) that names the object a POST made, when not its `id`
# (a thread made and run: the run's `thread_id`). Messages and runs go with their thread.
CREATED_KEY = {"/threads/runs": "thread_id"}
# How an object is ended, by kind, when not by `DELETE` on its path: the request (method, path suffix) that ends
# it. What cannot be deleted is cancelled (an upload, a batch): the run leaves nothing running.
ENDED_BY: dict[str, tuple[str, str]] = {
    "upload": ("POST", "/cancel"),
    "batch": ("POST", "/cancel"),
    "vector_store.file_batch": ("POST", "/cancel"),
    "chatkit.session": ("POST", "/cancel"),  # chatkit: a session cannot be deleted
    # administration API: a project cannot be deleted, only archived
    "organization.project": ("POST", "/archive"),
    "fine_tuning.job": ("POST", "/cancel"),  # fine-tuning
    # transports: a call is hung up
    "realtime.call": ("POST", "/hangup"),
}
# The statuses in which an object of a kind has ended by itself: seen in any answer, nothing is left to cancel.
FINISHED: dict[str, frozenset[str]] = {
    "batch": frozenset({"completed", "failed", "expired", "cancelled"}),
    "vector_store.file_batch": frozenset({"completed", "failed", "cancelled"}),
    "chatkit.session": frozenset({"expired", "cancelled"}),  # chatkit
    "fine_tuning.job": frozenset({"succeeded", "failed", "cancelled"}),  # fine-tuning
}
# The keys of an object that name files it made (a batch's output and error files): seen in any answer about an
# object of the run, each is a "file" the run deletes.
PRODUCES: dict[str, tuple[str, ...]] = {"batch": ("output_file_id", "error_file_id")}
# Requests that end an object of one kind by turning it into a new object of another, which the run must end
# too: (kind, method, path suffix) -> (the new kind, the key of the answer that holds it, its collection).
# Completing an upload ends it (no cancel is needed any more) and makes a File (its answer's `file.id`).
BECOMES: dict[tuple[str, str, str], tuple[str, str, str]] = {
    ("upload", "POST", "/complete"): ("file", "file", "/files"),
}


@dataclass
class Entry:
    kind: str  # "response", "conversation", "chat.completion", "file", "upload"
    id: str
    path: str  # the object's path relative to the API root, e.g. /responses/resp_123
    deleted: bool = False


class Ledger:
    def __init__(self, api_root_path: str = "") -> None:
        self.root = api_root_path.rstrip("/")
        self.entries: dict[str, Entry] = {}
        self._lock = threading.Lock()

    def relative(self, url: str) -> str:
        """The path of `url` below the API root ("/responses/resp_1")."""
        path = urlsplit(url).path
        return path[len(self.root) :] if self.root and path.startswith(self.root) else path

    def observe(self, exchange: Exchange) -> None:
        response = exchange.response
        if response is None:
            return
        method, path = exchange.request.method.upper(), self.relative(exchange.request.url).rstrip("/")
        with self._lock:
            kind = _created_kind(path) if method == "POST" else None
            if kind is not None and 200 <= response.status < 300:
                request = exchange.request.json if isinstance(exchange.request.json, dict) else {}
                if _stores(kind, request) and (ident := _created_id(exchange, CREATED_KEY.get(path, "id"))):
                    self.entries.setdefault(ident, Entry(kind, ident, f"{_home(path)}/{ident}"))
            elif response.status < 300 or response.status == 404:
                # A 404: someone else (the case itself, an expiry) ended it already.
                for entry in self._under(path):
                    if response.status < 300 and (made := _became(entry, method, path)):
                        # Even when the entry had ended: a server that completes a cancelled upload made a File.
                        entry.deleted = True
                        if ident := _nested_id(exchange, made[1]):
                            self.entries.setdefault(ident, Entry(made[0], ident, f"{made[2]}/{ident}"))
                    elif not entry.deleted and (method, path) == _ending(entry):
                        entry.deleted = True
            if 200 <= response.status < 300:
                self._learn(response.json)

    def _under(self, path: str) -> list[Entry]:
        """The entries a request to `path` may end or turn into another: those at `path` or above it. Each is found
        by its id, the last part of its own path (not by asking every entry the run made, at every answer)."""
        found = (self.entries.get(part) for part in dict.fromkeys(path.split("/")) if part)
        return [entry for entry in found if entry is not None and f"{path}/".startswith(f"{entry.path}/")]

    def _learn(self, body: Any) -> None:
        """What an answer says about the run's objects (itself, or the items of a list): a batch seen finished
        needs no cancel, and the files it made are the run's to delete. The lock is held."""
        listed = body.get("data") if isinstance(body, dict) else None
        for item in [body, *(listed if isinstance(listed, list) else [])]:
            ident = item.get("id") if isinstance(item, dict) else None
            entry = self.entries.get(ident) if isinstance(ident, str) else None
            if entry is None or not isinstance(item, dict):
                continue
            if item.get("status") in FINISHED.get(entry.kind, ()):
                entry.deleted = True
            for key in PRODUCES.get(entry.kind, ()):
                if isinstance(made := item.get(key), str) and made:
                    self.entries.setdefault(made, Entry("file", made, f"/files/{made}"))

    def clean_up(self, send: Callable[[str, str], Exchange], concurrency: int = 1) -> dict[str, Any]:
        """End every object still alive with `send(method, path)` (a DELETE, or the cancel of its kind), up to
        `concurrency` at once (each ends on its own: one its parent took with it answers 404, which ends it too);
        the summary the reports show."""

        def end(entry: Entry) -> None:
            try:
                self.observe(send(*_ending(entry)))
                if not entry.deleted and entry.kind in FINISHED:
                    # The cancel was refused: it may have finished by itself meanwhile (then its files show).
                    self.observe(send("GET", entry.path))
            except ConformanceError:
                pass  # still 429 after every retry, or no quota: the summary lists it as left

        for _ in range(3):  # ending a batch can show files it made: they are ended in the next round
            alive = [entry for entry in self.entries.values() if not entry.deleted]
            if concurrency > 1 and len(alive) > 1:
                with ThreadPoolExecutor(max_workers=min(concurrency, len(alive)), thread_name_prefix="oai-end") as pool:
                    list(pool.map(end, alive))
            else:
                for entry in alive:
                    end(entry)
            if all(entry.deleted for entry in self.entries.values()) or not alive:
                break
        return self.summary()

    def summary(self) -> dict[str, Any]:
        entries = list(self.entries.values())
        return {
            "created": [{"kind": e.kind, "id": e.id} for e in entries],
            "deleted": [e.id for e in entries if e.deleted],
            "left": [e.id for e in entries if not e.deleted],
        }


def _created_kind(path: str) -> str | None:
    """The kind of object a POST to the collection `path` creates (CREATED_BY), or None."""
    if path in CREATED_BY:
        return CREATED_BY[path]
    segments = path.split("/")
    for collection, kind in CREATED_BY.items():
        pattern = collection.split("/")
        if "{" in collection and len(pattern) == len(segments) and all(map(_segment_matches, pattern, segments)):
            return kind
    return None


def _home(path: str) -> str:
    """The collection an object made by a POST to `path` lives in (LIVES_IN), else `path` itself."""
    segments = path.split("/")
    for maker, home in LIVES_IN.items():
        pattern = maker.split("/")
        if len(pattern) == len(segments) and all(map(_segment_matches, pattern, segments)):
            return home
    return path


def _segment_matches(pattern: str, segment: str) -> bool:
    return pattern == segment or (pattern.startswith("{") and pattern.endswith("}") and bool(segment))


def _ending(entry: Entry) -> tuple[str, str]:
    """The request that ends `entry`: (method, path)."""
    method, suffix = ENDED_BY.get(entry.kind, ("DELETE", ""))
    return method, entry.path + suffix


def _became(entry: Entry, method: str, path: str) -> tuple[str, str, str] | None:
    """What `entry` becomes by the request `method path` (BECOMES), when that request is one that does so."""
    return next(
        (made for (kind, verb, suffix), made in BECOMES.items()
         if kind == entry.kind and verb == method and path == entry.path + suffix),
        None,
    )  # fmt: skip


def _nested_id(exchange: Exchange, key: str) -> str | None:
    assert exchange.response is not None
    body = exchange.response.json
    nested = body.get(key) if isinstance(body, dict) else None
    ident = nested.get("id") if isinstance(nested, dict) else None
    return ident if isinstance(ident, str) and ident else None


def _stores(kind: str, request: dict[str, Any]) -> bool:
    """Whether a successful create request keeps an object: responses unless `store: false`, chat completions
    only with `store: true`, conversations always."""
    if kind == "chat.completion":
        return request.get("store") is True
    return not (kind == "response" and request.get("store") is False)


def _created_id(exchange: Exchange, key: str = "id") -> str | None:
    """The new object's id: from the JSON body, or from a stream's first event that carries a response (a
    Responses stream) or an id of its own (a chat completion's chunks)."""
    assert exchange.response is not None
    body = exchange.response.json
    if isinstance(body, dict) and isinstance(body.get(key), str):
        return str(body[key])
    if isinstance(body, dict) and isinstance(body.get("id"), str):
        return body["id"]
    # Sharing a fine-tuning checkpoint answers a list of the permissions made (the cases make one at a time).
    made = body.get("data") if isinstance(body, dict) and body.get("object") == "list" else None
    if isinstance(made, list) and made and isinstance(made[0], dict) and isinstance(made[0].get("id"), str):
        return str(made[0]["id"])
    if (location := exchange.response.header("location")) and body is None:
        # An answer that is not JSON (a Realtime call's SDP) names what it made by its URL.
        return location.rstrip("/").rsplit("/", 1)[-1] or None
    if exchange.response.content_type != "text/event-stream":
        return None
    for event in parse_events(exchange.response.body)[0]:
        try:
            data = jsonvalue.parse(event.data)
        except ValueError:
            continue
        if key != "id" and isinstance(data, dict) and isinstance(data.get(key), str):
            return str(data[key])  # a thread created and run, streamed: its run's events name it
        response = data.get("response") if isinstance(data, dict) else None
        if isinstance(response, dict) and isinstance(response.get("id"), str):
            return response["id"]
        if isinstance(data, dict) and data.get("object") == "chat.completion.chunk" and isinstance(data.get("id"), str):
            return data["id"]
    return None


def merge(summaries: list[dict[str, Any]]) -> dict[str, Any]:
    """One summary from several (one per xdist worker)."""
    return {key: [item for s in summaries for item in s.get(key, [])] for key in ("created", "deleted", "left")}
