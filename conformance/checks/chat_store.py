"""Stored chat completions: a completion created with `store: true` over its life, the list and its filter.

Subjects are `Lifecycle`s: the create exchange (a POST /chat/completions with `store: true`), then the case's
named steps ("retrieve", "messages", "update", "retrieve-updated", "list", "delete", "retrieve-deleted"; the
filter rule reads "created" steps, more completions stored by the same case, and "list-filtered").
The list's page invariants are `checks.pagination`'s, under `chat.store.pages.*`.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from conformance.checks._lifecycle import Lifecycle
from conformance.checks.evidence import cited as _on
from conformance.checks.evidence import cited_answer as _body
from conformance.checks.evidence import excerpt, received, schema_violations
from conformance.checks.responses import deleted_violations
from conformance.checks.rule import Context, Violation, check
from conformance.exceptions import NotApplicable
from conformance.exchange import Exchange


def _created(life: Lifecycle) -> dict[str, Any]:
    """The stored completion as the create answer gave it; not applicable when the create failed."""
    body = life.created.response.json if life.created.response is not None else None
    if life.created.response is None or life.created.response.status != 200 or not isinstance(body, dict):
        raise NotApplicable(f"creating the stored completion failed ({received(life.created)[10:90]})")
    return body


def _contents(completion: Any) -> list[Any]:
    choices = completion.get("choices") if isinstance(completion, dict) else None
    return [
        (c.get("message") or {}).get("content") if isinstance(c, dict) else None
        for c in (choices if isinstance(choices, list) else [])
    ]


def _text(content: Any) -> Any:
    """A message's text: a string as it is, text parts joined."""
    if isinstance(content, list):
        return "".join(p.get("text", "") for p in content if isinstance(p, dict) and p.get("type") == "text")
    return content


def _filters(exchange: Exchange) -> dict[str, str]:
    """The `metadata[key]=value` filters of a list request."""
    query = parse_qsl(urlsplit(exchange.request.url).query)
    return {k[len("metadata[") : -1]: v for k, v in query if k.startswith("metadata[") and k.endswith("]")}


def _listed(exchange: Exchange) -> list[dict[str, Any]]:
    body = _body(exchange)
    data = body.get("data") if isinstance(body, dict) else None
    return [item for item in data if isinstance(item, dict)] if isinstance(data, list) else []


@check("chat.store.retrieve.same")
def retrieve_same(life: Lifecycle, ctx: Context) -> Iterator[Violation]:
    created = _created(life)
    got = life.step("retrieve")
    body = _body(got)
    yield from _on(got, schema_violations("chat.completion", body))
    if not isinstance(body, dict):
        return
    for key in ("id", "object", "created", "model"):
        if key in created and body.get(key) != created[key]:
            yield Violation(
                f"Received: {key} {excerpt(body.get(key), 120)}\nExpected: {excerpt(created[key], 120)}, as created",
                f"$.{key}",
                got.index,
            )
    if _contents(body) != _contents(created):
        yield Violation(
            f"Received: choices with contents {excerpt(_contents(body), 160)}\n"
            f"Expected: {excerpt(_contents(created), 160)}, as created",
            "$.choices",
            got.index,
        )


@check("chat.store.update.metadata")
def update_metadata(life: Lifecycle, ctx: Context) -> Iterator[Violation]:
    update = life.step("update")
    wanted = update.request.json.get("metadata") if isinstance(update.request.json, dict) else None
    for step in ("update", "retrieve-updated"):
        got = life.step(step)
        body = _body(got)
        if not isinstance(body, dict) or body.get("metadata") != wanted:
            yield Violation(
                f"Received: metadata {excerpt(body.get('metadata') if isinstance(body, dict) else body, 160)}\n"
                f"Expected: {excerpt(wanted, 160)}, as updated",
                "$.metadata",
                got.index,
            )


@check("chat.store.delete.deleted")
def delete_deleted(life: Lifecycle, ctx: Context) -> Iterator[Violation]:
    deleted = life.step("delete")
    yield from deleted_violations(deleted, "chat.completion.deleted", "stored chat completion")
    ident = _created(life).get("id")
    body = deleted.response.json if deleted.response is not None and deleted.response.status == 200 else None
    if isinstance(body, dict) and body.get("id") != ident:
        yield Violation(
            f"Received: id {body.get('id')!r}\nExpected: {ident!r}, the deleted completion", "$.id", deleted.index
        )
    gone = life.step("retrieve-deleted")
    if gone.response is None or gone.response.status != 404:
        yield Violation(f"{received(gone)}\nExpected: 404 for the deleted completion", "", gone.index)


@check("chat.store.list.contains")
def list_contains(life: Lifecycle, ctx: Context) -> Iterator[Violation]:
    ident = _created(life).get("id")
    listing = life.step("list")
    body = _body(listing)
    yield from _on(listing, schema_violations("chat.completion.list", body))
    ids = [item.get("id") for item in _listed(listing)]
    if ident not in ids:
        yield Violation(
            f"Received: a list of {len(ids)} completions {excerpt(ids, 160)}\n"
            f"Expected: the stored completion {ident!r} among them",
            "$.data",
            listing.index,
        )


@check("chat.store.list.metadata-filter")
def metadata_filter(life: Lifecycle, ctx: Context) -> Iterator[Violation]:
    listing = life.step("list-filtered")
    filters = _filters(listing)
    if not filters:
        raise NotApplicable("the list was not filtered by metadata")
    made = [life.created, *life.all("created")]
    stored = [e.response.json for e in made if e.response is not None and e.response.status == 200]
    matching = [
        b.get("id")
        for b, e in zip(stored, made, strict=False)
        if isinstance(b, dict)
        and isinstance(e.request.json, dict)
        and all((e.request.json.get("metadata") or {}).get(k) == v for k, v in filters.items())
    ]
    listed = _listed(listing)
    ids = [item.get("id") for item in listed]
    missing = [i for i in matching if i not in ids]
    others = [
        item.get("id")
        for item in listed
        if not all(isinstance(item.get("metadata"), dict) and item["metadata"].get(k) == v for k, v in filters.items())
    ]
    if missing or others:
        yield Violation(
            f"Received: {excerpt(ids, 200)} for {excerpt(filters, 80)}, missing {excerpt(missing, 120)}, "
            f"not matching {excerpt(others, 120)}\nExpected: exactly the stored completions with that metadata",
            "$.data",
            listing.index,
        )


@check("chat.store.messages.stored")
def messages_stored(life: Lifecycle, ctx: Context) -> Iterator[Violation]:
    got = life.step("messages")
    body = _body(got)
    yield from _on(got, schema_violations("chat.completion.messages.list", body))
    sent = life.created.request.json.get("messages") if isinstance(life.created.request.json, dict) else None
    wanted = [(m.get("role"), _text(m.get("content"))) for m in sent or [] if isinstance(m, dict)]
    listed = _listed(got)
    have = [(m.get("role"), _text(m.get("content"))) for m in listed]
    if have != wanted:
        yield Violation(
            f"Received: messages {excerpt(have, 200)}\nExpected: {excerpt(wanted, 200)}, the input sent, in order",
            "$.data",
            got.index,
        )
    ids = [m.get("id") for m in listed]
    if any(not isinstance(i, str) or not i for i in ids) or len(set(map(json.dumps, ids))) != len(ids):
        yield Violation(f"Received: message ids {excerpt(ids, 160)}\nExpected: a distinct id each", "$.data", got.index)
