"""Conversations: the conversation object over its life, its items, and the responses that append to it.

Subjects are `Lifecycle`s: the create exchange, then the case's named steps ("retrieve", "update",
"delete", "retrieve-deleted", "items-create", "item-retrieve", "item-delete", "items-after-delete",
"respond", "items-after-respond").
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from conformance.checks._lifecycle import Lifecycle
from conformance.checks.evidence import answer, excerpt, received, schema_violations
from conformance.checks.responses import deleted_violations, output_texts, sent_texts
from conformance.checks.rule import Broken, Context, Violation, check
from conformance.exchange import Exchange


def _body(exchange: Exchange) -> Any:
    try:
        return answer(exchange)
    except Broken as exc:
        raise Broken(exc.violation.message) from None


def _on(exchange: Exchange, violations: Iterator[Violation]) -> Iterator[Violation]:
    for violation in violations:
        yield violation._replace(exchange=exchange.index)


def _same(got: Exchange, created: dict[str, Any], keys: tuple[str, ...], what: str) -> Iterator[Violation]:
    body = _body(got)
    for key in keys:
        if key in created and json.dumps(body.get(key), sort_keys=True) != json.dumps(created[key], sort_keys=True):
            yield Violation(
                f"Received: {key} {excerpt(body.get(key), 160)}\nExpected: {excerpt(created[key], 160)}, {what}",
                f"$.{key}",
                got.index,
            )


def _item_ids(exchange: Exchange) -> list[Any]:
    body = _body(exchange)
    return [i.get("id") for i in body.get("data") or [] if isinstance(i, dict)] if isinstance(body, dict) else []


@check("conversations.create.schema")
def create_schema(life: Lifecycle, ctx: Context) -> Iterator[Violation]:
    body = _body(life.created)
    yield from schema_violations("conversation", body)
    asked = life.created.request.json if isinstance(life.created.request.json, dict) else {}
    if "metadata" in asked and isinstance(body, dict) and body.get("metadata") != asked["metadata"]:
        yield Violation(
            f"Received: metadata {excerpt(body.get('metadata'), 160)}\nExpected: {excerpt(asked['metadata'], 160)}",
            "$.metadata",
        )


@check("conversations.retrieve.same")
def retrieve_same(life: Lifecycle, ctx: Context) -> Iterator[Violation]:
    yield from _same(
        life.step("retrieve"), _body(life.created), ("id", "object", "created_at", "metadata"), "as created"
    )


@check("conversations.update.metadata")
def update_metadata(life: Lifecycle, ctx: Context) -> Iterator[Violation]:
    update = life.step("update")
    wanted = (update.request.json or {}).get("metadata") if isinstance(update.request.json, dict) else None
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


@check("conversations.delete.deleted")
def delete_deleted(life: Lifecycle, ctx: Context) -> Iterator[Violation]:
    yield from deleted_violations(life.step("delete"), "conversation.deleted", "conversation")
    gone = life.step("retrieve-deleted")
    if gone.response is None or gone.response.status != 404:
        yield Violation(f"{received(gone)}\nExpected: 404 for the deleted conversation", "", gone.index)


@check("conversations.items.create")
def items_create(life: Lifecycle, ctx: Context) -> Iterator[Violation]:
    made = life.step("items-create")
    body = _body(made)
    yield from _on(made, schema_violations("conversation.items.list", body))
    sent = sent_texts({"input": (made.request.json or {}).get("items")}) if isinstance(made.request.json, dict) else []
    got = [t for t in sent_texts({"input": body.get("data") if isinstance(body, dict) else []})]
    if got != sent:
        yield Violation(
            f"Received: items with texts {excerpt(got, 160)}\nExpected: {excerpt(sent, 160)}, in the order sent",
            "$.data",
            made.index,
        )


@check("conversations.items.retrieve")
def item_retrieve(life: Lifecycle, ctx: Context) -> Iterator[Violation]:
    made = _body(life.step("items-create"))
    first = (made.get("data") or [{}])[0] if isinstance(made, dict) else {}
    got = life.step("item-retrieve")
    yield from _on(got, schema_violations("response.item", _body(got)))
    yield from _same(got, first, ("id", "type", "role", "content"), "as created")


@check("conversations.items.delete")
def item_delete(life: Lifecycle, ctx: Context) -> Iterator[Violation]:
    deleted = life.step("item-delete")
    if deleted.response is None or deleted.response.status != 200:
        yield Violation(f"{received(deleted)}\nExpected: 200 for deleting the item", "", deleted.index)
        return
    gone_id = deleted.request.url.rstrip("/").rsplit("/", 1)[-1]
    after = life.step("items-after-delete")
    if gone_id in _item_ids(after):
        yield Violation(
            f"Received: item {gone_id!r} still listed\nExpected: the deleted item gone", "$.data", after.index
        )


@check("conversations.response.appends")
def response_appends(life: Lifecycle, ctx: Context) -> Iterator[Violation]:
    respond = life.step("respond")
    response = _body(respond)
    listing = life.step("items-after-respond")
    items = _body(listing).get("data") or []
    texts = sent_texts({"input": items})
    wanted = [*sent_texts(respond.request.json if isinstance(respond.request.json, dict) else {})]
    wanted += output_texts(response) if isinstance(response, dict) else []
    missing = [t for t in wanted if t not in texts]
    if missing:
        yield Violation(
            f"Received: conversation items with texts {excerpt(texts, 200)}\n"
            f"Expected: also {excerpt(missing, 160)} (the response's input and output)",
            "$.data",
            listing.index,
        )
