"""The ledger of what a run creates on the server, so that the run can delete it again.

The client shows the ledger every exchange. A 2xx answer to `POST /responses` (stored: `store` not false), to
`POST /conversations`, or to `POST /chat/completions` whose request said `store: true` (the whole answer or the
chunks of a stream carry its id) names a new object; a 2xx or 404 answer to its `DELETE` (or to the request that
ends its kind, `ENDED_BY`: a cancel) ends it. At the end of the run (`clean_up`) every object still alive is
ended, whatever the cases did, and the run's report says what was created, what was ended ("deleted") and what
could not be.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from conformance import jsonvalue
from conformance.exceptions import ConformanceError
from conformance.exchange import Exchange
from conformance.sse import parse_events

# The collections whose objects a run creates, by the path that creates them.
CREATED_BY = {"/responses": "response", "/conversations": "conversation", "/chat/completions": "chat.completion"}
# How an object is ended, by kind, when not by `DELETE` on its path: the request (method, path suffix) that ends
# it. What cannot be deleted is cancelled (an upload, a batch): the run leaves nothing running.
ENDED_BY: dict[str, tuple[str, str]] = {}


@dataclass
class Entry:
    kind: str  # "response", "conversation" or "chat.completion"
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
            if method == "POST" and path in CREATED_BY and 200 <= response.status < 300:
                request = exchange.request.json if isinstance(exchange.request.json, dict) else {}
                if _stores(CREATED_BY[path], request) and (ident := _created_id(exchange)):
                    self.entries.setdefault(ident, Entry(CREATED_BY[path], ident, f"{path}/{ident}"))
            elif response.status < 300 or response.status == 404:
                # A 404: someone else (the case itself, an expiry) ended it already.
                for entry in self.entries.values():
                    if not entry.deleted and (method, path) == _ending(entry):
                        entry.deleted = True

    def clean_up(self, send: Callable[[str, str], Exchange]) -> dict[str, Any]:
        """End every object still alive with `send(method, path)` (a DELETE, or the cancel of its kind); the
        summary the reports show."""
        for entry in list(self.entries.values()):
            if not entry.deleted:
                try:
                    self.observe(send(*_ending(entry)))
                except ConformanceError:
                    continue  # still 429 after every retry, or no quota: the summary lists it as left
        return self.summary()

    def summary(self) -> dict[str, Any]:
        entries = list(self.entries.values())
        return {
            "created": [{"kind": e.kind, "id": e.id} for e in entries],
            "deleted": [e.id for e in entries if e.deleted],
            "left": [e.id for e in entries if not e.deleted],
        }


def _ending(entry: Entry) -> tuple[str, str]:
    """The request that ends `entry`: (method, path)."""
    method, suffix = ENDED_BY.get(entry.kind, ("DELETE", ""))
    return method, entry.path + suffix


def _stores(kind: str, request: dict[str, Any]) -> bool:
    """Whether a successful create request keeps an object: responses unless `store: false`, chat completions
    only with `store: true`, conversations always."""
    if kind == "chat.completion":
        return request.get("store") is True
    return not (kind == "response" and request.get("store") is False)


def _created_id(exchange: Exchange) -> str | None:
    """The new object's id: from the JSON body, or from a stream's first event that carries a response (a
    Responses stream) or an id of its own (a chat completion's chunks)."""
    assert exchange.response is not None
    body = exchange.response.json
    if isinstance(body, dict) and isinstance(body.get("id"), str):
        return body["id"]
    if exchange.response.content_type != "text/event-stream":
        return None
    for event in parse_events(exchange.response.body)[0]:
        try:
            data = jsonvalue.parse(event.data)
        except ValueError:
            continue
        response = data.get("response") if isinstance(data, dict) else None
        if isinstance(response, dict) and isinstance(response.get("id"), str):
            return response["id"]
        if isinstance(data, dict) and data.get("object") == "chat.completion.chunk" and isinstance(data.get("id"), str):
            return data["id"]
    return None


def merge(summaries: list[dict[str, Any]]) -> dict[str, Any]:
    """One summary from several (one per xdist worker)."""
    return {key: [item for s in summaries for item in s.get(key, [])] for key in ("created", "deleted", "left")}
