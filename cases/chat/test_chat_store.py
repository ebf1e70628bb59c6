"""Stored chat completions (`store: true`): retrieve, messages, update, list, delete, the metadata filter and the
list's pages.

The list of stored completions is shared by the whole account (and by the other cases of the run), so each case
tags what it stores with a metadata value of its own and lists through that filter. What a case stores is
deleted by the case or, at the end of the run, by the ledger.
"""

import secrets

import pytest

from conformance.case import Lifecycle, chat_body, requirement, walk

PAGES = (
    "chat.store.pages.limit",
    "chat.store.pages.has-more",
    "chat.store.pages.first-last-ids",
    "chat.store.pages.after-continues",
    "chat.store.pages.walk-once",
    "chat.store.pages.order-reverses",
    "chat.store.pages.invalid-limit",
)
LIFE = (
    "chat.store.retrieve.same",
    "chat.store.messages.stored",
    "chat.store.update.metadata",
    "chat.store.list.contains",
    "chat.store.delete.deleted",
)


def tag() -> str:
    """A metadata value no other case (nor an earlier run) uses."""
    return f"oai-{secrets.token_hex(6)}"


def store(oai_client, oai_target, metadata: dict[str, str], **extra):
    body = chat_body(oai_target.model("chat"), store=True, metadata=metadata, **extra)
    exchange = oai_client.request("POST", "/chat/completions", json=body)
    found = exchange.response.json if exchange.response is not None and exchange.response.status == 200 else None
    if not isinstance(found, dict) or not isinstance(found.get("id"), str):
        pytest.skip(f"storing a chat completion failed, so its rules cannot be judged: {exchange.response}")
    return exchange, found["id"]


@requirement(*LIFE)
def test_stored_completion_life(oai_client, oai_target, oai_judge):
    run = tag()
    messages = [
        {"role": "system", "content": "Answer briefly."},
        {"role": "user", "content": "Say OK."},
    ]
    made, ident = store(oai_client, oai_target, {"oai_run": run, "case": "life"}, messages=messages)
    path = f"/chat/completions/{ident}"
    steps = (
        ("retrieve", oai_client.request("GET", path)),
        ("messages", oai_client.request("GET", f"{path}/messages", params={"order": "asc"})),
        ("list", oai_client.request("GET", "/chat/completions", params={"metadata[oai_run]": run, "limit": 100})),
        ("update", oai_client.request("POST", path, json={"metadata": {"oai_run": run, "case": "updated"}})),
        ("retrieve-updated", oai_client.request("GET", path)),
        ("delete", oai_client.request("DELETE", path)),
        ("retrieve-deleted", oai_client.request("GET", path)),
    )
    oai_judge(Lifecycle(made, steps), *LIFE)


@requirement("chat.store.list.metadata-filter", *PAGES)
def test_stored_completions_list(oai_client, oai_target, oai_judge):
    # Three completions under one tag, two of them also marked "picked": a page of two walks in two pages.
    run = tag()
    made = [store(oai_client, oai_target, {"oai_run": run, "picked": str(n != 1).lower()})[0] for n in range(3)]
    filtered = oai_client.request(
        "GET", "/chat/completions", params={"metadata[oai_run]": run, "metadata[picked]": "true", "limit": 100}
    )
    steps = (*(("created", e) for e in made[1:]), ("list-filtered", filtered))
    oai_judge(Lifecycle(made[0], steps), "chat.store.list.metadata-filter")
    oai_judge(walk(oai_client, "/chat/completions", limit=2, params={"metadata[oai_run]": run}), *PAGES)
