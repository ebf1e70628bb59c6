"""Stored chat completions end to end: the official `openai` SDK drives the reference server's store routes, and
each stored-completion fault of the reference server is caught through client, cases, plugin and reports."""

from __future__ import annotations

import os

import pytest

from conformance.reference import FAULTS
from tests._runs import assert_caught, certify
from tests._sdk import reference_sdk

openai = pytest.importorskip("openai")

pytest_plugins = ["pytester"]

KEY = "sk-chat-store-" + os.urandom(8).hex()
MODEL = "gpt-4o-mini"
CASES = "chat/test_chat_store.py"

# fault -> the requirements its run must fail
CAUGHT = {
    "chat-store-not-stored": ["chat.store.retrieve.same", "chat.store.list.contains"],
    "chat-store-delete-kept": ["chat.store.delete.deleted"],
    "chat-store-after-ignored": ["chat.store.pages.after-continues"],
    "chat-store-metadata-not-updated": ["chat.store.update.metadata"],
    "chat-store-filter-ignored": ["chat.store.list.metadata-filter"],
    "chat-store-messages-empty": ["chat.store.messages.stored"],
}


@pytest.fixture(scope="module")
def client():
    with reference_sdk(KEY) as sdk:
        yield sdk


def test_the_sdk_stores_lists_updates_and_deletes(client) -> None:
    tag = os.urandom(6).hex()
    made = client.chat.completions.create(
        model=MODEL,
        messages=[{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Say OK."}],
        max_tokens=16,
        store=True,
        metadata={"run": tag},
    )
    got = client.chat.completions.retrieve(made.id)
    assert got.id == made.id and got.choices[0].message.content == made.choices[0].message.content
    assert got.metadata == {"run": tag}
    updated = client.chat.completions.update(made.id, metadata={"run": tag, "step": "updated"})
    assert updated.metadata == {"run": tag, "step": "updated"}
    listed = client.chat.completions.list(metadata={"run": tag}, limit=10)
    assert [c.id for c in listed.data] == [made.id]
    messages = client.chat.completions.messages.list(made.id)
    assert [(m.role, m.content) for m in messages.data] == [("system", "Be brief."), ("user", "Say OK.")]
    assert all(m.id for m in messages.data)
    deleted = client.chat.completions.delete(made.id)
    assert deleted.deleted is True and deleted.id == made.id and deleted.object == "chat.completion.deleted"
    with pytest.raises(openai.NotFoundError):
        client.chat.completions.retrieve(made.id)


def test_the_sdk_pages_through_the_list(client) -> None:
    tag = os.urandom(6).hex()
    ids = [
        client.chat.completions.create(
            model=MODEL, messages=[{"role": "user", "content": f"Say {n}."}], max_tokens=16, store=True,
            metadata={"run": tag},
        ).id
        for n in range(3)
    ]  # fmt: skip
    walked = [c.id for c in client.chat.completions.list(metadata={"run": tag}, limit=2, order="asc")]
    assert walked == ids
    for ident in ids:
        client.chat.completions.delete(ident)


def test_a_completion_without_store_is_not_kept(client) -> None:
    made = client.chat.completions.create(model=MODEL, messages=[{"role": "user", "content": "Hi"}], max_tokens=16)
    with pytest.raises(openai.NotFoundError):
        client.chat.completions.retrieve(made.id)


def test_every_chat_store_fault_is_caught_here() -> None:
    assert set(CAUGHT) == {f for f in FAULTS if f.startswith("chat-store-")}


@pytest.mark.parametrize("fault", sorted(CAUGHT))
def test_fault_is_reported(pytester, monkeypatch, fault) -> None:
    rules = CAUGHT[fault]
    results = certify(pytester, monkeypatch, frozenset({fault}), CASES, "--oai-retries", "0", only=rules)
    assert_caught(results, fault, rules)
    assert results["resources"]["left"] == [] or fault == "chat-store-delete-kept"


def test_the_same_cases_pass_without_a_fault(pytester, monkeypatch) -> None:
    results = certify(pytester, monkeypatch, frozenset(), CASES, "--oai-retries", "0")
    judged = {r["id"]: r["status"] for r in results["requirements"] if r["id"].startswith("chat.store.")}
    assert judged == dict.fromkeys(judged, "pass") and len(judged) == 13
    assert results["verdict"] == "conformant"
    assert results["resources"]["left"] == [] and len(results["resources"]["created"]) == 4
