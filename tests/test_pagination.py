"""The pagination walker over a real server: any list length and page size, and servers that page wrongly."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conformance.checks.pagination import INVARIANTS
from conformance.client import Client
from conformance.judgement import Status, judge
from conformance.pagination import MAX_PAGES, walk, walk_pages
from conformance.reference import ServerConfig, serve

RULES = [f"conversations.items.pages.{rule}" for rule in INVARIANTS]


@dataclass(frozen=True)
class Settings:
    base_url: str
    headers: dict[str, str] = field(default_factory=dict)
    connect_timeout: float = 5.0
    read_timeout: float = 10.0
    retries: int = 0
    answer_time_limit: float = 60.0

    def api_key(self) -> str | None:
        return None


@pytest.fixture(scope="module")
def client() -> Iterator[Client]:
    with serve(ServerConfig()) as server, Client(Settings(server.base_url)) as running:
        yield running


@pytest.fixture(scope="module")
def faulty() -> Iterator[Client]:
    with (
        serve(ServerConfig(faults=frozenset({"pages-no-has-more"}))) as server,
        Client(Settings(server.base_url)) as running,
    ):
        yield running


def conversation(client: Client, count: int) -> str:
    """A conversation holding `count` items (at most 20 go in one request)."""
    ident = client.request("POST", "/conversations", json={}).response.json["id"]  # type: ignore[union-attr]
    for start in range(0, count, 20):
        items = [
            {"type": "message", "role": "user", "content": f"Item {n}."} for n in range(start, min(count, start + 20))
        ]
        client.request("POST", f"/conversations/{ident}/items", json={"items": items})
    return ident


def texts(pages: Any) -> list[str]:
    return [item["content"][0]["text"] for page in pages for item in page.response.json["data"]]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(count=st.integers(0, 45), limit=st.integers(1, 10), order=st.sampled_from(["asc", "desc"]))
def test_the_walker_yields_every_item_once_in_order(client: Client, count: int, limit: int, order: str) -> None:
    ident = conversation(client, count)
    pages = walk_pages(client, f"/conversations/{ident}/items", limit, order)
    expected = [f"Item {n}." for n in range(count)]
    assert texts(pages) == (expected if order == "asc" else expected[::-1])
    assert len(pages) == max(1, -(-count // limit)), "one request per page, and one for an empty list"
    for obs in judge(walk(client, f"/conversations/{ident}/items", limit), RULES):
        assert obs.status is Status.PASS, obs


def test_a_server_that_never_says_has_more_is_caught(faulty: Client) -> None:
    ident = conversation(faulty, 5)
    found = {obs.requirement: obs for obs in judge(walk(faulty, f"/conversations/{ident}/items", 2), RULES)}
    assert found["conversations.items.pages.has-more"].status is Status.FAIL
    assert found["conversations.items.pages.walk-once"].status is Status.FAIL
    assert "missing" in str(found["conversations.items.pages.walk-once"].failures[0])


def test_the_walker_stops_on_a_cursor_that_does_not_move(client: Client) -> None:
    ident = conversation(client, 3)
    path = f"/conversations/{ident}/items"
    first = client.request("GET", path, params={"limit": 1, "order": "asc"})
    stuck = {**first.response.json, "has_more": True}  # type: ignore[union-attr]

    answer = replace(first, response=replace(first.response, body=json.dumps(stuck).encode()))  # type: ignore[arg-type]

    class Stuck:
        """Always the same page, always `has_more`: a server whose cursor does not move."""

        calls = 0

        def request(self, method: str, path: str, *, params: Any = None) -> Any:
            Stuck.calls += 1
            return answer

    pages = walk_pages(Stuck(), path, 1)
    assert 1 < len(pages) <= MAX_PAGES and Stuck.calls == len(pages)


def test_a_filter_walks_only_the_stored_chat_completions_it_names(client: Client) -> None:
    """`params` go with every request of the walk: the shared list of stored completions, walked by a tag."""
    for n in range(5):
        tag = "mine" if n != 2 else "other"
        body = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": f"Item {n}."}], "store": True,
                "metadata": {"tag": tag}}  # fmt: skip
        client.request("POST", "/chat/completions", json=body)
    subject = walk(client, "/chat/completions", limit=2, params={"metadata[tag]": "mine"})
    assert all("metadata%5Btag%5D=mine" in e.request.url for e in subject.exchanges)
    assert len(subject.whole.response.json["data"]) == 4  # type: ignore[union-attr]
    rules = [f"chat.store.pages.{rule}" for rule in INVARIANTS]
    assert {o.status for o in judge(subject, rules)} == {Status.PASS}
