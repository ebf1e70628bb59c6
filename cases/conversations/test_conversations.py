"""Conversations: the object over its life, its items and their pages, and responses that append to it."""

import pytest

from conformance.case import Lifecycle, not_claimed_reason, requirement, responses_body, walk

PAGES = (
    "conversations.items.pages.limit",
    "conversations.items.pages.has-more",
    "conversations.items.pages.first-last-ids",
    "conversations.items.pages.after-continues",
    "conversations.items.pages.walk-once",
    "conversations.items.pages.order-reverses",
    "conversations.items.pages.invalid-limit",
)


def message(text: str) -> dict:
    return {"type": "message", "role": "user", "content": [{"type": "input_text", "text": text}]}


def create(oai_client, **body):
    exchange = oai_client.request("POST", "/conversations", json=body)
    found = exchange.response.json if exchange.response is not None and exchange.response.status == 200 else None
    if not isinstance(found, dict) or not isinstance(found.get("id"), str):
        pytest.skip(f"creating a conversation failed, so its rules cannot be judged: {exchange.response}")
    return exchange, found["id"]


@requirement(
    "conversations.create.schema",
    "conversations.retrieve.same",
    "conversations.update.metadata",
    "conversations.delete.deleted",
)
def test_conversation_life(oai_client, oai_judge):
    made, ident = create(oai_client, metadata={"case": "life"}, items=[message("Hello!")])
    path = f"/conversations/{ident}"
    steps = (
        ("retrieve", oai_client.request("GET", path)),
        ("update", oai_client.request("POST", path, json={"metadata": {"case": "life", "step": "updated"}})),
        ("retrieve-updated", oai_client.request("GET", path)),
        ("delete", oai_client.request("DELETE", path)),
        ("retrieve-deleted", oai_client.request("GET", path)),
    )
    oai_judge(
        Lifecycle(made, steps),
        "conversations.create.schema",
        "conversations.retrieve.same",
        "conversations.update.metadata",
        "conversations.delete.deleted",
    )


@requirement("conversations.items.create", "conversations.items.retrieve", "conversations.items.delete")
def test_conversation_items(oai_client, oai_judge):
    made, ident = create(oai_client)
    path = f"/conversations/{ident}/items"
    added = oai_client.request("POST", path, json={"items": [message("First."), message("Second.")]})
    first = (added.response.json or {}).get("data", [{}])[0].get("id") if added.response is not None else None
    steps = [("items-create", added)]
    if isinstance(first, str):
        steps += [
            ("item-retrieve", oai_client.request("GET", f"{path}/{first}")),
            ("item-delete", oai_client.request("DELETE", f"{path}/{first}")),
            ("items-after-delete", oai_client.request("GET", path, params={"order": "asc"})),
        ]
    oai_judge(
        Lifecycle(made, tuple(steps)),
        "conversations.items.create",
        "conversations.items.retrieve",
        "conversations.items.delete",
    )


@requirement(*PAGES)
def test_conversation_item_pages(oai_client, oai_judge):
    # Seven items: four pages of two.
    _, ident = create(oai_client, items=[message(f"Item {n}.") for n in range(1, 8)])
    oai_judge(walk(oai_client, f"/conversations/{ident}/items", limit=2), *PAGES)


@requirement("conversations.response.appends")
def test_response_appends_to_conversation(oai_client, oai_target, oai_judge):
    if not oai_target.claims("responses"):
        pytest.skip(not_claimed_reason("responses") + " (a response adds the items)")
    made, ident = create(oai_client)
    respond = oai_client.request(
        "POST", "/responses", json=responses_body(oai_target.model("responses"), "Say hello.", conversation=ident)
    )
    listing = oai_client.request("GET", f"/conversations/{ident}/items", params={"order": "asc", "limit": 100})
    oai_judge(
        Lifecycle(made, (("respond", respond), ("items-after-respond", listing))), "conversations.response.appends"
    )
