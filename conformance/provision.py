"""The objects a generated request on one object names: created by the run for the purpose, then judged upon.

An operation's path can name an object (`/responses/{response_id}`): a drawn id would name nothing and earn a
404, which judges nothing. So `schemas/openapi.json` says which kind of object each such path parameter names
(`x-oai-created-by`), and the generated phase creates one of that kind before it draws: the cheapest request that
makes one. What is created goes through the run's client, so the ledger deletes whatever the operation itself did
not (DECISIONS.md: created-path-ids).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from conformance.case import chat_body, responses_body
from conformance.client import Client
from conformance.exchange import Exchange, excerpt
from conformance.target import Target

SHORT = "Say OK."
# Where a stored object says it came from: a run's objects are told apart from the account's other ones.
METADATA = {"oai_conformance": "generated"}


class NotProvided(Exception):
    """The server would not create the object a request needs: the operation cannot be judged (a skip)."""


def _created(exchange: Exchange, kind: str, find: Callable[[Any], Any] = lambda body: body.get("id")) -> str:
    response = exchange.response
    body = response.json if response is not None and response.status == 200 else None
    ident = find(body) if isinstance(body, dict) else None
    if not isinstance(ident, str) or not ident:
        answer = exchange.error
        if response is not None:
            answer = f"{response.status} {excerpt(response.body.decode('utf-8', 'replace'), 200)}"
        raise NotProvided(
            f"creating a {kind} for the request to name failed ({exchange.request.method} {exchange.request.url}: "
            f"{answer}), so the operation is judged by its cases only"
        )
    return ident


def _chat_completion(client: Client, target: Target, _: dict[str, str]) -> str:
    body = chat_body(target.model("chat"), SHORT, store=True, metadata=METADATA)
    return _created(client.request("POST", "/chat/completions", json=body), "stored chat completion")


def _response(client: Client, target: Target, _: dict[str, str]) -> str:
    body = responses_body(target.model("responses"), SHORT, store=True)
    return _created(client.request("POST", "/responses", json=body), "stored response")


def _background_response(client: Client, target: Target, _: dict[str, str]) -> str:
    body = responses_body(target.model("responses"), SHORT, store=True, background=True)
    return _created(client.request("POST", "/responses", json=body), "background response")


def _conversation(client: Client, target: Target, _: dict[str, str]) -> str:
    body = {"metadata": METADATA, "items": [{"type": "message", "role": "user", "content": SHORT}]}
    return _created(client.request("POST", "/conversations", json=body), "conversation")


def _conversation_item(client: Client, target: Target, made: dict[str, str]) -> str:
    # An item of the conversation the same request names (its parameter comes first in the path).
    body = {"items": [{"type": "message", "role": "user", "content": SHORT}]}
    exchange = client.request("POST", f"/conversations/{made['conversation']}/items", json=body)
    return _created(exchange, "conversation item", lambda listed: _first_id(listed.get("data")))


def _first_id(items: Any) -> Any:
    return items[0].get("id") if isinstance(items, list) and items and isinstance(items[0], dict) else None


# Each kind `x-oai-created-by` names, and how to make one; a kind may use the kinds made before it.
MAKERS: dict[str, Callable[[Client, Target, dict[str, str]], str]] = {
    "chat.completion": _chat_completion,
    "response": _response,
    "response.background": _background_response,
    "conversation": _conversation,
    "conversation.item": _conversation_item,
}


def provide(created_by: Mapping[str, str], client: Client, target: Target) -> dict[str, str]:
    """A value for each path parameter of `created_by` (name -> kind), each naming an object just created.

    Raises NotProvided when the server does not create one."""
    made: dict[str, str] = {}
    values = {}
    for name, kind in created_by.items():
        made[kind] = values[name] = MAKERS[kind](client, target, made)
    return values
