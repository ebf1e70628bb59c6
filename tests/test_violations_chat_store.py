"""Every stored-chat-completion rule can fail, and says why: one violating subject per rule.

As in test_violations_responses.py: each row names a requirement, the violation, a factory of a VALID subject
(built by the reference server's own store functions, no HTTP) and one mutation that breaks the rule.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from conformance.reference import chat_store as ref
from conformance.reference._config import ServerConfig
from conformance.requirements import catalogue
from tests.test_violations import Http
from tests.test_violations_responses import Life, V, fails_with_evidence, page_rows, param, passes

MODEL = "gpt-4o-mini"
MESSAGES = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Say OK."}]


def completion(ident: str, metadata: dict[str, str]) -> tuple[dict[str, Any], dict[str, Any]]:
    request = {"model": MODEL, "messages": MESSAGES, "max_tokens": 16, "store": True, "metadata": metadata}
    answer = {"id": ident, "object": "chat.completion", "created": 1_738_960_610, "model": MODEL,
              "choices": [{"index": 0, "message": {"role": "assistant", "content": "Say OK.", "refusal": None},
                           "logprobs": None, "finish_reason": "stop"}],
              "usage": {"prompt_tokens": 5, "completion_tokens": 2, "total_tokens": 7}}  # fmt: skip
    return request, answer


def life() -> Life:
    store, config = ref.ChatStore(), ServerConfig()
    request, answer = completion("chatcmpl-1", {"run": "t", "case": "life"})
    ref.keep(request, answer, config, store)
    path = "/chat/completions/chatcmpl-1"
    got = json.loads(json.dumps(store.get("chatcmpl-1").body))
    new = {"metadata": {"run": "t", "case": "updated"}}
    updated = ref.update("chatcmpl-1", new, config, store)
    return Life(Http(request, answer), [
        ["retrieve", Http(None, got, path=path, method="GET")],
        ["messages", Http(None, ref.messages("chatcmpl-1", {}, config, store), path=f"{path}/messages", method="GET")],
        ["list", Http(None, ref.listing({"metadata[run]": "t"}, config, store),
                      path="/chat/completions?metadata%5Brun%5D=t", method="GET")],
        ["update", Http(new, dict(updated), path=path)],
        ["retrieve-updated", Http(None, dict(updated), path=path, method="GET")],
        ["delete", Http(None, ref.delete("chatcmpl-1", config, store), path=path, method="DELETE")],
        ["retrieve-deleted", Http(None, {"error": {"message": "not found", "type": "invalid_request_error",
                                                   "param": None, "code": None}}, 404, path=path, method="GET")],
    ])  # fmt: skip


def filtered() -> Life:
    store, config = ref.ChatStore(), ServerConfig()
    made = []
    for n in range(3):
        request, answer = completion(f"chatcmpl-{n}", {"run": "t", "picked": str(n != 1).lower()})
        ref.keep(request, answer, config, store)
        made.append(Http(request, answer))
    query = {"metadata[run]": "t", "metadata[picked]": "true"}
    listing = Http(None, ref.listing(query, config, store), method="GET",
                   path="/chat/completions?metadata%5Brun%5D=t&metadata%5Bpicked%5D=true")  # fmt: skip
    return Life(made[0], [["created", made[1]], ["created", made[2]], ["list-filtered", listing]])


def still_there(spec: Life) -> None:
    gone = spec.step("retrieve-deleted")
    gone.status, gone.body = 200, spec.created.body


VIOLATIONS: list[V] = [
    V("chat.store.retrieve.same", "other content on retrieve", life,
      lambda s: s.step("retrieve").body["choices"][0]["message"].update(content="else"), "as created"),
    V("chat.store.update.metadata", "the update not kept", life,
      lambda s: s.step("retrieve-updated").body.update(metadata={"run": "t", "case": "life"}), "as updated"),
    V("chat.store.delete.deleted", "still there after delete", life, still_there, "404 for the deleted"),
    V("chat.store.list.contains", "the stored completion not listed", life,
      lambda s: s.step("list").body.update(data=[], first_id=None, last_id=None), "among them"),
    V("chat.store.list.metadata-filter", "the filter ignored", filtered,
      lambda s: s.step("list-filtered").body["data"].insert(1, s.step("created").body), "not matching"),
    V("chat.store.messages.stored", "the messages reversed", life,
      lambda s: s.step("messages").body["data"].reverse(), "in order"),
    *page_rows("chat.store.pages"),
]  # fmt: skip


@pytest.mark.parametrize("v", [param(v) for v in VIOLATIONS])
def test_violation_fails(v: V) -> None:
    fails_with_evidence(v)


@pytest.mark.parametrize("v", [param(v) for v in VIOLATIONS])
def test_valid_counterpart_passes(v: V) -> None:
    passes(v)


def test_every_chat_store_requirement_has_a_violation() -> None:
    assert {v.rid for v in VIOLATIONS} == {r for r in catalogue() if r.startswith("chat.store.")}
