"""Stored chat completions of the reference server: what `store: true` keeps, and the routes that read it.

    GET    /v1/chat/completions                          list (limit, after, order: default asc, model,
                                                         metadata[key]=value)
    GET    /v1/chat/completions/{completion_id}          retrieve
    POST   /v1/chat/completions/{completion_id}          update `metadata`
    DELETE /v1/chat/completions/{completion_id}          delete: {id, object: chat.completion.deleted, deleted}
    GET    /v1/chat/completions/{completion_id}/messages the input messages, paginated (default asc)

A whole answer to a request with `store: true` is kept with the request's `metadata` (a streamed one is not: the
reference server stores only what it answers whole).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

from ._config import ServerConfig
from .responses import not_found, page, schema_checked


@dataclass
class StoredCompletion:
    body: dict[str, Any]
    messages: list[dict[str, Any]]


class ChatStore:
    """The stored chat completions, in creation order."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.completions: dict[str, StoredCompletion] = {}

    def get(self, ident: str) -> StoredCompletion:
        found = self.completions.get(ident)
        if found is None:
            raise not_found("Chat completion", ident)
        return found


def _message(ident: str, number: int, message: dict[str, Any]) -> dict[str, Any]:
    content = message.get("content")
    parts = content if isinstance(content, list) else None
    text = (
        "".join(p.get("text", "") for p in content if isinstance(p, dict) and p.get("type") == "text")
        if isinstance(content, list)
        else content
    )
    out = {"id": f"{ident}-{number}", "role": message.get("role"), "content": text, "content_parts": parts}
    if isinstance(message.get("name"), str):
        out["name"] = message["name"]
    return out


def keep(request: dict[str, Any], answer: dict[str, Any], config: ServerConfig, store: ChatStore) -> None:
    """Store a whole answer to `request` when it asked for `store: true`."""
    if request.get("store") is not True or config.has("chat-store-not-stored") or "id" not in answer:
        return
    ident = answer["id"]
    messages = [_message(ident, n, m) for n, m in enumerate(request.get("messages") or []) if isinstance(m, dict)]
    body = {**answer, "metadata": dict(request.get("metadata") or {})}
    with store.lock:
        store.completions[ident] = StoredCompletion(body, messages)


def listing(query: dict[str, str], config: ServerConfig, store: ChatStore) -> dict[str, Any]:
    filters = {k[len("metadata[") : -1]: v for k, v in query.items() if k.startswith("metadata[") and k.endswith("]")}
    if config.has("chat-store-filter-ignored"):
        filters = {}
    model = query.get("model")
    with store.lock:
        items = [
            s.body
            for s in store.completions.values()
            if (model is None or s.body.get("model") == model)
            and all(s.body.get("metadata", {}).get(k) == v for k, v in filters.items())
        ]
    asked = {"order": "asc", **{k: v for k, v in query.items() if k in ("limit", "order", "after")}}
    if config.has("chat-store-after-ignored"):
        asked.pop("after", None)
    return page(items, asked, config)


def update(ident: str, body: Any, config: ServerConfig, store: ChatStore) -> dict[str, Any]:
    schema_checked("chat.completion.update.request", body)
    with store.lock:
        stored = store.get(ident)
        if config.has("chat-store-metadata-not-updated"):
            return stored.body
        stored.body = {**stored.body, "metadata": dict(body["metadata"] or {})}
        return stored.body


def delete(ident: str, config: ServerConfig, store: ChatStore) -> dict[str, Any]:
    with store.lock:
        store.get(ident)
        if not config.has("chat-store-delete-kept"):
            del store.completions[ident]
    return {"id": ident, "object": "chat.completion.deleted", "deleted": True}


def messages(ident: str, query: dict[str, str], config: ServerConfig, store: ChatStore) -> dict[str, Any]:
    with store.lock:
        stored = store.get(ident)
        items = [] if config.has("chat-store-messages-empty") else list(stored.messages)
    return page(items, {"order": "asc", **query}, config)

