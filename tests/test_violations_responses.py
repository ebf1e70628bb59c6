"""Every Responses, Conversations and pagination rule can fail, and says why: one violating subject per rule.

As in test_violations.py, each row names a requirement, the violation (the pytest id), a factory of a VALID
subject and one mutation that breaks the rule. Valid streams and lists are made by the reference server's own
functions (no HTTP), mutated here; the check must PASS the valid subject and FAIL (MUST) or WARN (SHOULD) the
mutated one, quoting what was received and what was expected.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conformance.checks._lifecycle import Lifecycle
from conformance.checks.pagination import INVARIANTS, Walk
from conformance.checks.responses_stream import ResponseStream
from conformance.judgement import Status, judge
from conformance.reference import responses as ref
from conformance.reference._config import ServerConfig
from conformance.reference._ids import Ids
from conformance.requirements import Level, catalogue
from tests.test_violations import Http

MODEL = "gpt-4o-mini"
WORDS = "one two three four five"
LONG = " ".join(["word"] * 30)
TOOL = {"type": "function", "name": "get_weather", "parameters": {"type": "object", "properties": {
    "city": {"type": "string"}}, "required": ["city"]}}


def created(request: dict[str, Any]) -> ref.Created:
    return ref.create(request, ServerConfig(), Ids(), ref.Store())


# Streams ---------------------------------------------------------------------------------------------------


@dataclass
class RStream:
    """A Responses stream to build: the request, its events (dicts, or strings sent as data as they are)."""

    request: dict[str, Any]
    events: list[Any]
    named: bool = True
    names: dict[int, str] = field(default_factory=dict)  # event index -> an `event:` name other than its type
    done: bool = False
    content_type: str = "text/event-stream"

    def subject(self) -> ResponseStream:
        blocks = []
        for n, event in enumerate(self.events):
            data = event if isinstance(event, str) else json.dumps(event)
            name = self.names.get(n, event.get("type") if isinstance(event, dict) else None)
            blocks.append((f"event: {name}\n" if self.named and name else "") + f"data: {data}\n\n")
        body = "".join(blocks) + ("data: [DONE]\n\n" if self.done else "")
        http = Http(self.request, body.encode(), path="/responses", content_type=self.content_type)
        return ResponseStream.from_exchange(http.subject())


def stream(request: dict[str, Any] | None = None) -> RStream:
    request = request or {"model": MODEL, "input": WORDS, "stream": True}
    return RStream(request, list(ref.events(created(request), ServerConfig())))


def cut_stream() -> RStream:
    return stream({"model": MODEL, "input": LONG, "max_output_tokens": 16, "stream": True})


def call_stream() -> RStream:
    return stream({"model": MODEL, "input": "Paris", "tools": [TOOL], "tool_choice": "required", "stream": True})


def of_type(spec: RStream, kind: str) -> dict[str, Any]:
    return next(e for e in spec.events if isinstance(e, dict) and e.get("type") == kind)


def terminal(spec: RStream) -> dict[str, Any]:
    return spec.events[-1]["response"]


def renumber(spec: RStream) -> None:
    for n, event in enumerate(spec.events):
        if isinstance(event, dict):
            event["sequence_number"] = n


# Answers and lifecycles ------------------------------------------------------------------------------------

REQUEST = {"model": MODEL, "input": WORDS, "instructions": "Answer briefly.", "metadata": {"case": "v"}}


def answer(request: dict[str, Any] | None = None) -> Http:
    request = request or dict(REQUEST)
    return Http(request, created(request).body, path="/responses")


def cut_answer() -> Http:
    return answer({"model": MODEL, "input": LONG, "max_output_tokens": 16})


def call_answer() -> Http:
    return answer({"model": MODEL, "input": "Paris", "tools": [TOOL], "tool_choice": "required"})


def error(status: int, message: str, path: str, method: str = "GET", request: Any = None) -> Http:
    body = {"error": {"message": message, "type": "invalid_request_error", "param": None, "code": None}}
    return Http(request, body, status, path=path, method=method)


@dataclass
class Life:
    created: Http
    steps: list[list[Any]]  # [name, Http]

    def subject(self) -> Lifecycle:
        return Lifecycle(self.created.subject(), tuple((name, http.subject()) for name, http in self.steps))

    def step(self, name: str) -> Http:
        return next(http for what, http in self.steps if what == name)


def stored_life() -> Life:
    made = answer()
    ident = made.body["id"]
    follow = answer({"model": MODEL, "input": "And then?", "previous_response_id": ident})
    items = {"object": "list", "data": ref.as_items(WORDS, Ids()), "has_more": False}
    items["first_id"] = items["last_id"] = items["data"][0]["id"]
    return Life(made, [
        ["retrieve", Http(None, copy.deepcopy(made.body), path=f"/responses/{ident}", method="GET")],
        ["input_items", Http(None, items, path=f"/responses/{ident}/input_items", method="GET")],
        ["continue", follow],
        ["delete", Http(None, {"id": ident, "object": "response", "deleted": True}, path=f"/responses/{ident}",
                        method="DELETE")],
        ["retrieve-deleted", error(404, f"Response with id '{ident}' not found.", f"/responses/{ident}")],
    ])  # fmt: skip


def round_trip() -> Life:
    made = call_answer()
    call = made.body["output"][0]
    output = [{"type": "function_call_output", "call_id": call["call_id"], "output": "Sunny."}]
    follow = answer({"model": MODEL, "input": output, "previous_response_id": made.body["id"]})
    return Life(made, [["call-output", follow]])


def background(status: str = "completed") -> Life:
    request = {**REQUEST, "background": True}
    made = created(request).body
    final = {**made, "status": status}
    return Life(Http(request, made, path="/responses"),
                [["poll", Http(None, final, path=f"/responses/{made['id']}", method="GET")],
                 ["cancel", Http(None, {**made, "status": "cancelled"}, path=f"/responses/{made['id']}/cancel")],
                 ["after", Http(None, {**made, "status": "cancelled"}, path=f"/responses/{made['id']}", method="GET")]])


# Input parts, structured output, counting and compacting ------------------------------------------------------

CITY = {"type": "object", "properties": {"city": {"type": "string"}, "country": {"type": "string"}},
        "required": ["city", "country"], "additionalProperties": False}  # fmt: skip
PIXEL = ("data:image/png;base64,"
         "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==")
REPLAY = [
    {"role": "user", "content": "Say OK."},
    {"type": "message", "role": "assistant", "phase": "final_answer",
     "content": [{"type": "output_text", "text": "OK"}]},
    {"role": "user", "content": "Once more."},
]  # fmt: skip


def json_answer() -> Http:
    fmt = {"type": "json_schema", "name": "city", "schema": CITY, "strict": True}
    return answer({"model": MODEL, "input": "Paris", "text": {"format": fmt}})


def output_text(spec: Http, text: str) -> None:
    spec.body["output"][0]["content"][0]["text"] = text


def looking_at(image: dict[str, Any]) -> list[dict[str, Any]]:
    return [{"role": "user", "content": [{"type": "input_text", "text": "What is it?"}, image]}]


def image_answer() -> Http:
    return answer({"model": MODEL, "input": looking_at({"type": "input_image", "image_url": PIXEL})})


def unknown_file() -> Http:
    request = {"model": MODEL, "input": looking_at({"type": "input_image", "file_id": "file-none"})}
    return error(400, "The file 'file-none' does not exist.", "/responses", "POST", request)


def refused(spec: Http, status: int, message: str) -> None:
    spec.status = status
    spec.body = {"error": {"message": message, "type": "invalid_request_error", "param": None, "code": None}}


def counted(text: str) -> Http:
    request = {"model": MODEL, "input": text}
    body = ref.count_input_tokens(copy.deepcopy(request), ServerConfig(), Ids(), ref.Store())
    return Http(request, body, path="/responses/input_tokens")


def count_pair() -> Life:
    return Life(counted("Tell me a joke."), [["longer", counted(" ".join(["Tell me a joke."] * 10))]])


COMPACT_REQUEST = {"model": MODEL, "input": [
    {"role": "user", "content": "Create a greeting."},
    {"type": "message", "role": "assistant", "content": [{"type": "output_text", "text": "Welcome!"}]},
    {"role": "user", "content": "Make it shorter."},
]}  # fmt: skip


def compaction() -> Http:
    body = ref.compact(copy.deepcopy(COMPACT_REQUEST), ServerConfig(), Ids(), ref.Store())
    return Http(copy.deepcopy(COMPACT_REQUEST), body, path="/responses/compact")


# Conversations ---------------------------------------------------------------------------------------------


def message(text: str) -> dict[str, Any]:
    return {"type": "message", "role": "user", "content": [{"type": "input_text", "text": text}]}


def conversation_life() -> Life:
    store, ids = ref.Store(), Ids()
    request = {"metadata": {"case": "v"}, "items": [message("Hello!")]}
    made = ref.create_conversation(request, ids, store)
    path = f"/conversations/{made['id']}"
    conv = store.conversation(made["id"])
    added_request = {"items": [message("First."), message("Second.")]}
    added = ref.add_items(conv, copy.deepcopy(added_request), ids)
    first = added["data"][0]
    remaining = [i for i in conv.items if i["id"] != first["id"]]
    updated = {**made, "metadata": {"case": "v", "step": "updated"}}
    respond_request = {"model": MODEL, "input": "Say hello.", "conversation": made["id"]}
    response = ref.create(respond_request, ServerConfig(), ids, store)
    def owned(request: Any, body: Any, *args: Any, **kwargs: Any) -> Http:  # each step owns its body
        return Http(copy.deepcopy(request), copy.deepcopy(body), *args, **kwargs)

    return Life(owned(request, made, path="/conversations"), [
        ["retrieve", owned(None, made, path=path, method="GET")],
        ["update", owned({"metadata": updated["metadata"]}, updated, path=path)],
        ["retrieve-updated", owned(None, updated, path=path, method="GET")],
        ["delete", owned(None, {"id": made["id"], "object": "conversation.deleted", "deleted": True}, path=path,
                        method="DELETE")],
        ["retrieve-deleted", error(404, "Conversation not found.", path)],
        ["items-create", owned(added_request, added, path=f"{path}/items")],
        ["item-retrieve", owned(None, first, path=f"{path}/items/{first['id']}", method="GET")],
        ["item-delete", owned(None, made, path=f"{path}/items/{first['id']}", method="DELETE")],
        ["items-after-delete", owned(None, {"object": "list", "data": remaining}, path=f"{path}/items", method="GET")],
        ["respond", owned(respond_request, response.body, path="/responses")],
        ["items-after-respond", owned(None, {"object": "list", "data": conv.items}, path=f"{path}/items",
                                     method="GET")],
    ])  # fmt: skip


# Pages -----------------------------------------------------------------------------------------------------


@dataclass
class Pages:
    """One list of `count` items, read as `walk` reads it: whole, in pages of `limit`, reversed, invalid."""

    count: int = 7
    limit: int = 2
    whole: dict[str, Any] = field(default_factory=dict)
    pages: list[dict[str, Any]] = field(default_factory=list)
    reverse: dict[str, Any] = field(default_factory=dict)
    invalid: Http | None = None

    def __post_init__(self) -> None:
        items = [{"id": f"msg_{n:03d}", "type": "message", "role": "user",
                  "content": [{"type": "input_text", "text": f"Item {n}."}]} for n in range(self.count)]  # fmt: skip
        config = ServerConfig()
        self.whole = ref.page(items, {"limit": "100", "order": "asc"}, config)
        after: dict[str, str] = {}
        while True:
            self.pages.append(ref.page(items, {"limit": str(self.limit), "order": "asc", **after}, config))
            if not self.pages[-1]["has_more"]:
                break
            after = {"after": self.pages[-1]["last_id"]}
        self.reverse = ref.page(items, {"limit": "100", "order": "desc"}, config)
        self.invalid = error(400, "Invalid 'limit': integer below minimum value.", "/items")

    def subject(self) -> Walk:
        def get(body: dict[str, Any]) -> Any:
            return Http(None, body, path="/items", method="GET").subject()

        assert self.invalid is not None
        return Walk(get(self.whole), tuple(get(p) for p in self.pages), get(self.reverse), self.invalid.subject(),
                    self.limit)  # fmt: skip


# The table -------------------------------------------------------------------------------------------------

Spec = RStream | Http | Life | Pages
Mutation = Callable[[Any], Any]


class V(NamedTuple):
    rid: str
    what: str
    good: Callable[[], Spec]
    mutate: Mutation
    shows: str = ""


def do(*steps: Callable[[Any], Any]) -> Mutation:
    def run(spec: Any) -> None:
        for step in steps:
            step(spec)

    return run


def set_in(getter: Callable[[Any], dict[str, Any]], key: str, value: Any) -> Mutation:
    return lambda spec: getter(spec).__setitem__(key, value)


def first_text_delta(spec: RStream) -> dict[str, Any]:
    return of_type(spec, "response.output_text.delta")


def swap_part_and_delta(spec: RStream) -> None:
    part = spec.events.index(of_type(spec, "response.content_part.added"))
    spec.events[part], spec.events[part + 1] = spec.events[part + 1], spec.events[part]
    renumber(spec)


def skip_one(spec: Pages) -> None:
    spec.pages[1]["data"] = spec.whole["data"][3:5]
    data = spec.pages[1]["data"]
    spec.pages[1].update(first_id=data[0]["id"], last_id=data[-1]["id"])


def page_rows(prefix: str) -> list[V]:
    return [
        V(f"{prefix}.limit", "three items for limit 2", Pages, lambda s: s.pages[0]["data"].append(s.whole["data"][6]),
          "at most limit 2"),
        V(f"{prefix}.has-more", "has_more false with items left", Pages, lambda s: s.pages[0].update(has_more=False),
          "has_more False"),
        V(f"{prefix}.first-last-ids", "first_id of another item", Pages,
          lambda s: s.pages[0].update(first_id="msg_999"), "'msg_999'"),
        V(f"{prefix}.after-continues", "a gap after the cursor", Pages, skip_one, "msg_003"),
        V(f"{prefix}.walk-once", "the last page missing", Pages, lambda s: s.pages.pop(), "missing"),
        V(f"{prefix}.order-reverses", "desc in asc order", Pages, lambda s: s.reverse.update(data=s.whole["data"]),
          "asc reversed"),
        V(f"{prefix}.invalid-limit", "limit 0 answered with a list", Pages,
          lambda s: setattr(s, "invalid", Http(None, s.whole, path="/items", method="GET")), "200"),
    ]  # fmt: skip


VIOLATIONS: list[V] = [
    # Streams (REAL-WORLD row 22)
    V("responses.stream.content-type", "sent as application/json", stream,
      lambda s: setattr(s, "content_type", "application/json"), "application/json"),
    V("responses.stream.event-json", "an event that is not JSON", stream, lambda s: s.events.insert(2, "oops"),
      "'oops'"),
    V("responses.stream.event-schema", "a delta without item_id", stream,
      lambda s: first_text_delta(s).pop("item_id"), "item_id"),
    V("responses.stream.known-types", "an undocumented event type", stream,
      set_in(lambda s: s.events[1], "type", "response.thinking"), "response.thinking"),
    V("responses.stream.created-first", "in_progress first", stream, lambda s: s.events.pop(0),
      "'response.in_progress' first"),
    V("responses.stream.in-progress-second", "no response.in_progress", stream, lambda s: s.events.pop(1),
      "response.output_item.added"),
    V("responses.stream.sequence-number", "stuck at 0 (litellm PR #28899)", stream,
      lambda s: [e.update(sequence_number=0) for e in s.events], "sequence_number 0 after 0"),
    V("responses.stream.sequence-number", "missing (llama.cpp#20607)", stream,
      lambda s: [e.pop("sequence_number") for e in s.events], "sequence_number null"),
    V("responses.stream.event-name", "`event: message` for every event", stream,
      lambda s: s.names.update({n: "message" for n in range(len(s.events))}), "event: message"),
    V("responses.stream.event-name-present", "no event lines", stream, lambda s: setattr(s, "named", False),
      "without an `event:` line"),
    V("responses.stream.no-done", "data: [DONE] at the end", stream, lambda s: setattr(s, "done", True), "[DONE]"),
    V("responses.stream.one-terminal", "response.completed twice", stream,
      lambda s: s.events.append(copy.deepcopy(s.events[-1])), "2 terminal events"),
    V("responses.stream.one-terminal", "no terminal event", stream, lambda s: s.events.pop(), "0 terminal events"),
    V("responses.stream.terminal-status", "completed with status in_progress", stream,
      lambda s: terminal(s).update(status="in_progress"), "status 'in_progress'"),
    V("responses.stream.usage-adds-up", "total one more than the sum", stream,
      lambda s: terminal(s)["usage"].update(total_tokens=terminal(s)["usage"]["total_tokens"] + 1),
      "= input_tokens + output_tokens"),
    V("responses.stream.max-output-tokens", "cut but completed", cut_stream,
      do(set_in(lambda s: s.events[-1], "type", "response.completed"),
         lambda s: terminal(s).update(status="completed", incomplete_details=None)), "status 'completed'"),
    V("responses.stream.item-order", "a delta before its content_part.added", stream, swap_part_and_delta,
      "before its content_part.added"),
    V("responses.stream.item-order", "no output_index (llama.cpp#20607)", stream,
      lambda s: first_text_delta(s).pop("output_index"), "output_index None"),
    V("responses.stream.text-adds-up", "a delta that is not in the done text", stream,
      set_in(first_text_delta, "delta", "zero "), "join to"),
    V("responses.stream.text-adds-up", "no output_text.done (litellm PR #28899)", stream,
      lambda s: s.events.remove(of_type(s, "response.output_text.done")), "no 'response.output_text.done'"),
    V("responses.stream.arguments-add-up", "an argument delta lost", call_stream,
      set_in(lambda s: of_type(s, "response.function_call_arguments.delta"), "delta", ""), "join to"),
    V("responses.stream.final-output", "final text other than streamed", stream,
      lambda s: terminal(s)["output"][0]["content"][0].update(text="something else"), "the streamed text"),
    # Answers
    V("responses.create.schema", "an unknown status", answer, lambda s: s.body.update(status="finished"),
      "'finished'"),
    V("responses.create.completed", "an empty output text", answer,
      lambda s: s.body["output"][0]["content"][0].update(text=""), "non-empty output_text"),
    V("responses.create.core-keys", "no output (llama-server's response.created shape)", answer,
      lambda s: s.body.pop("output"), "without `output`"),
    V("responses.create.all-keys", "no instructions, tools or top_p", answer,
      lambda s: [s.body.pop(k) for k in ("instructions", "tools", "top_p")],
      "without `instructions`, `tools`, `top_p`"),
    V("responses.stream.terminal-keys", "a terminal response without created_at", stream,
      lambda s: terminal(s).pop("created_at"), "without `created_at`"),
    V("responses.create.created-at", "created_at in milliseconds", answer,
      lambda s: s.body.update(created_at=s.body["created_at"] * 1000), "in milliseconds"),
    V("responses.create.created-at", "created_at as an ISO string", answer,
      lambda s: s.body.update(created_at="2025-03-09T00:00:00Z"), "2025-03-09T00:00:00Z"),
    V("responses.create.usage-adds-up", "total one more than the sum", answer,
      lambda s: s.body["usage"].update(total_tokens=s.body["usage"]["total_tokens"] + 1),
      "= input_tokens + output_tokens"),
    V("responses.create.max-output-tokens", "cut but completed", cut_answer,
      lambda s: s.body.update(status="completed", incomplete_details=None), "status 'completed'"),
    V("responses.create.echoes-request", "metadata dropped", answer, lambda s: s.body.update(metadata={}),
      "metadata {}"),
    V("responses.function-call.shape", "arguments not JSON", call_answer,
      lambda s: s.body["output"][0].update(arguments="city=Paris"), "JSON object"),
    V("responses.retrieve.unknown", "an unknown id answered 200", lambda: error(404, "not found", "/responses/x"),
      lambda s: (setattr(s, "status", 200), setattr(s, "body", answer().body)), "200"),
    V("responses.previous.unknown", "an unknown previous id answered 404",
      lambda: error(400, "Previous response with id 'resp_0' not found.", "/responses", "POST",
                    {"model": MODEL, "input": "x", "previous_response_id": "resp_0"}),
      lambda s: setattr(s, "status", 404), "404"),
    V("responses.create.optional-keys", "no completed_at, safety_identifier or prompt_cache_key", answer,
      lambda s: [s.body.pop(k) for k in ("completed_at", "safety_identifier", "prompt_cache_key")],
      "without `completed_at`, `safety_identifier`, `prompt_cache_key`"),
    V("responses.create.optional-keys", "usage without its details", answer,
      lambda s: [s.body["usage"].pop(k) for k in ("input_tokens_details", "output_tokens_details")],
      "usage without `input_tokens_details`, `output_tokens_details`"),
    V("responses.create.optional-keys", "a function tool echoed without strict", call_answer,
      lambda s: s.body["tools"][0].pop("strict"), "without `strict`"),
    V("responses.text.json-schema", "plain text for a json_schema", json_answer, lambda s: output_text(s, "Paris"),
      "'Paris'"),
    V("responses.text.json-schema", "JSON without a required key", json_answer,
      lambda s: output_text(s, '{"city": "Paris"}'), "'country' is a required property"),
    V("responses.input.phase", "phase refused with 400", lambda: answer({"model": MODEL, "input": REPLAY}),
      lambda s: refused(s, 400, "Unknown parameter: 'input[1].phase'."), "input[1].phase"),
    V("responses.input.image", "an image answered 500", image_answer,
      lambda s: refused(s, 500, "The server had an error while processing your request."), "500"),
    V("responses.input.image-unknown-file", "an unknown file answered 200", unknown_file,
      lambda s: (setattr(s, "status", 200), setattr(s, "body", image_answer().body)), "200"),
    V("responses.input-tokens.shape", "object input_tokens", lambda: counted("Hello."),
      lambda s: s.body.update(object="input_tokens"), "'response.input_tokens' was expected"),
    V("responses.input-tokens.shape", "a count as a string", lambda: counted("Hello."),
      lambda s: s.body.update(input_tokens="3"), "'3'"),
    V("responses.input-tokens.grows", "the same count for ten times the text", count_pair,
      lambda s: s.step("longer").body.update(input_tokens=s.created.body["input_tokens"]), "for the longer input"),
    V("responses.compact.shape", "object response", compaction, lambda s: s.body.update(object="response"),
      "'response.compaction' was expected"),
    V("responses.compact.output", "no compaction item", compaction, lambda s: s.body["output"].pop(),
      "exactly one `compaction` item"),
    V("responses.compact.output", "a user message dropped", compaction, lambda s: s.body["output"].pop(0),
      "'Create a greeting.'"),
    # Lifecycles
    V("responses.retrieve.same", "retrieve gives other output", stored_life,
      lambda s: s.step("retrieve").body["output"][0]["content"][0].update(text="else"), "as created"),
    V("responses.delete.deleted", "still there after delete", stored_life,
      lambda s: (setattr(s.step("retrieve-deleted"), "status", 200),
                 setattr(s.step("retrieve-deleted"), "body", s.created.body)), "404 for the deleted"),
    V("responses.previous.continues", "previous_response_id not echoed", stored_life,
      lambda s: s.step("continue").body.update(previous_response_id=None), "previous_response_id None"),
    V("responses.input-items.lists-input", "no input listed", stored_life,
      lambda s: s.step("input_items").body.update(data=[]), "the input sent"),
    V("responses.function-call.round-trip", "no answer after the output", round_trip,
      lambda s: s.step("call-output").body.update(status="incomplete"), "status 'incomplete'"),
    V("responses.background.lifecycle", "still in progress after polling", background,
      lambda s: s.step("poll").body.update(status="in_progress"), "status 'in_progress' after polling"),
    V("responses.background.cancel", "cancel answers completed", background,
      lambda s: s.step("cancel").body.update(status="completed"), "'cancelled'"),
    V("conversations.create.schema", "object thread", conversation_life,
      lambda s: s.created.body.update(object="thread"), "thread ('conversation' was expected)"),
    V("conversations.retrieve.same", "other metadata on retrieve", conversation_life,
      lambda s: s.step("retrieve").body.update(metadata={"x": "y"}), "as created"),
    V("conversations.update.metadata", "the update not kept", conversation_life,
      lambda s: s.step("retrieve-updated").body.update(metadata={"case": "v"}), "as updated"),
    V("conversations.delete.deleted", "object conversation on delete", conversation_life,
      lambda s: s.step("delete").body.update(object="conversation"), "'conversation.deleted'"),
    V("conversations.items.create", "items in reverse order", conversation_life,
      lambda s: s.step("items-create").body["data"].reverse(), "in the order sent"),
    V("conversations.items.retrieve", "other content on retrieve", conversation_life,
      lambda s: s.step("item-retrieve").body.update(content=[{"type": "input_text", "text": "?"}]), "as created"),
    V("conversations.items.delete", "the item still listed", conversation_life,
      lambda s: s.step("items-after-delete").body["data"].insert(0, s.step("item-retrieve").body), "still listed"),
    V("conversations.response.appends", "the response's items not added", conversation_life,
      lambda s: s.step("items-after-respond").body.update(data=s.step("items-after-respond").body["data"][:3]),
      "Say hello."),
    *page_rows("responses.input-items.pages"),
    *page_rows("conversations.items.pages"),
]  # fmt: skip


def param(v: V) -> Any:
    return pytest.param(v, id=f"{v.rid}: {v.what}")


def violating(v: V) -> Any:
    spec = v.good()
    v.mutate(spec)
    return spec.subject()


def fails_with_evidence(v: V) -> None:
    """The mutated subject FAILs v's rule (WARNs a SHOULD), each failure quoting what was received and expected."""
    [obs] = judge(violating(v), [v.rid])
    wanted = Status.FAIL if catalogue()[v.rid].level is Level.MUST else Status.WARN
    assert obs.status is wanted, obs
    for failure in obs.failures:
        assert failure.requirement == v.rid
        assert "Received:" in failure.message and "Expected:" in failure.message, failure.message
    assert v.shows in "\n".join(str(f) for f in obs.failures), f"{v.shows!r} not quoted in {obs.failures}"


def passes(v: V) -> None:
    [obs] = judge(v.good().subject(), [v.rid])
    assert obs.status is Status.PASS, obs


@pytest.mark.parametrize("v", [param(v) for v in VIOLATIONS])
def test_violation_fails(v: V) -> None:
    fails_with_evidence(v)


@pytest.mark.parametrize("v", [param(v) for v in VIOLATIONS])
def test_valid_counterpart_passes(v: V) -> None:
    passes(v)


STREAM_RULES = sorted(r for r in catalogue() if r.startswith("responses.stream."))


@pytest.mark.parametrize("spec", [stream, cut_stream, call_stream], ids=["text", "cut", "function call"])
def test_valid_streams_pass_every_stream_rule(spec: Callable[[], RStream]) -> None:
    for obs in judge(spec().subject(), STREAM_RULES):
        assert obs.status in (Status.PASS, Status.SKIP), obs


@settings(max_examples=40, deadline=None)
@given(count=st.integers(0, 25), limit=st.integers(1, 8))
def test_any_list_walks_cleanly(count: int, limit: int) -> None:
    """Whatever the length and the page size, a well-paginated list passes every invariant."""
    rules = [f"conversations.items.pages.{rule}" for rule in INVARIANTS]
    for obs in judge(Pages(count, limit).subject(), rules):
        assert obs.status in (Status.PASS, Status.SKIP), obs


@settings(max_examples=40, deadline=None)
@given(count=st.integers(3, 25), limit=st.integers(1, 4), data=st.data())
def test_a_dropped_or_repeated_item_is_caught(count: int, limit: int, data: st.DataObject) -> None:
    """Any single item dropped from, or repeated in, a walk breaks walk-once."""
    spec = Pages(count, limit)
    page = data.draw(st.sampled_from([p for p in spec.pages if p["data"]]))
    n = data.draw(st.integers(0, len(page["data"]) - 1))
    if data.draw(st.booleans()):
        page["data"].pop(n)
    else:
        page["data"].insert(n, page["data"][n])
    [obs] = judge(spec.subject(), ["conversations.items.pages.walk-once"])
    assert obs.status is Status.FAIL, obs


def test_every_new_requirement_has_a_violation() -> None:
    # (the WebSocket mode's rules have theirs in test_violations_responses_websocket.py)
    ids = {r for r in catalogue() if r.startswith(("responses.", "conversations.")) and ".websocket." not in r}
    assert {v.rid for v in VIOLATIONS} == ids


def test_a_fixed_created_at_fails_a_live_answer() -> None:
    """LiteLLM's mock answers the docs' example time, 1741476542: wrong for an answer received now."""
    from conformance.checks.responses import create_created_at
    from conformance.checks.rule import Context

    spec = answer()
    assert not list(create_created_at(spec.subject(), Context(live=True, now=spec.body["created_at"])))
    spec.body["created_at"] = 1741476542
    violations = list(create_created_at(spec.subject(), Context(live=True, now=1795334336.0)))
    assert violations and "created_at 1741476542" in violations[0].message



def test_a_response_that_ran_to_its_cap_is_not_judged_complete() -> None:
    """A random-weights model never stops early: running to the cap is the max-output-tokens rule's matter."""
    [obs] = judge(cut_answer().subject(), ["responses.create.completed"])
    assert obs.status is Status.SKIP, obs
    early = cut_answer()
    early.body["usage"].update(output_tokens=3, total_tokens=early.body["usage"]["input_tokens"] + 3)
    [obs] = judge(early.subject(), ["responses.create.completed"])
    assert obs.status is Status.FAIL, obs


def test_a_stream_answered_with_a_500_fails_once_not_per_rule() -> None:
    """LiteLLM's mocked stream: a 500 with `data: {"error": ...}` and `[DONE]`. One rule fails; the rest have no
    stream to judge."""
    body = b'data: {"error": {"message": "Error processing stream start", "code": "500"}}\n\ndata: [DONE]\n\n'
    http = Http({"model": MODEL, "input": WORDS, "stream": True}, body, 500, path="/responses",
                content_type="text/event-stream")
    observations = {obs.requirement: obs for obs in judge(ResponseStream.from_exchange(http.subject()), STREAM_RULES)}
    assert observations.pop("responses.stream.content-type").status is Status.FAIL
    assert {rid: obs.status for rid, obs in observations.items()} == dict.fromkeys(observations, Status.SKIP)
    assert all("500" in obs.reason for obs in observations.values())


@pytest.mark.parametrize(("after", "status"), [("completed", Status.SKIP), ("in_progress", Status.FAIL)])
def test_a_cancel_that_came_too_late_is_not_judged(after: str, status: Status) -> None:
    """vLLM finishes a tiny background response before the cancel arrives and declines the cancel with a 400."""
    life = background()
    ident = life.created.body["id"]
    life.steps[1][1] = error(400, "Cannot cancel a synchronous response.", f"/responses/{ident}/cancel", "POST")
    life.step("after").body.update(status=after)
    [obs] = judge(life.subject(), ["responses.background.cancel"])
    assert obs.status is status, obs


def test_a_continuation_that_ran_to_its_cap_still_continues() -> None:
    life = stored_life()
    follow = life.step("continue")
    follow.request["max_output_tokens"] = 16
    follow.body.update(status="incomplete", incomplete_details={"reason": "max_output_tokens"})
    follow.body["usage"].update(output_tokens=16, total_tokens=follow.body["usage"]["input_tokens"] + 16)
    [obs] = judge(life.subject(), ["responses.previous.continues"])
    assert obs.status is Status.PASS, obs
    follow.body["usage"].update(output_tokens=3, total_tokens=follow.body["usage"]["input_tokens"] + 3)
    [obs] = judge(life.subject(), ["responses.previous.continues"])
    assert obs.status is Status.FAIL, obs


# The keys a whole response carries (responses.create.optional-keys, schemas/response.keys.md) ---------------------


def test_the_optional_keys_rule_accepts_every_seed_example_of_a_response() -> None:
    """The seeds' examples (000 Response Object Structure, 001 Response Format, 000 response.created's `response`, 001
    Rate Limits and Usage) are abbreviated: the rule never warns on them, whatever they leave out."""
    from tests.test_responses_schemas import NEEDS_SEEDS, answer_examples

    if NEEDS_SEEDS.args[0]:
        pytest.skip(NEEDS_SEEDS.kwargs["reason"])
    bodies = [(label, body) for label, name, body in answer_examples() if name == "response"]
    bodies += [(label, body["response"]) for label, name, body in answer_examples()
               if name == "response.stream-event" and isinstance(body.get("response"), dict)]  # fmt: skip
    assert len(bodies) >= 4, bodies
    for label, body in bodies:
        [obs] = judge(Http({"model": MODEL, "input": WORDS}, body, path="/responses").subject(),
                      ["responses.create.optional-keys"])  # fmt: skip
        assert obs.status in (Status.PASS, Status.SKIP), (label, obs)


def test_a_response_without_an_upstream_required_key_is_left_to_all_keys() -> None:
    spec = answer()
    spec.body.pop("top_p")
    spec.body.pop("completed_at")
    [optional, every] = judge(spec.subject(), ["responses.create.optional-keys", "responses.create.all-keys"])
    assert optional.status is Status.SKIP and "responses.create.all-keys" in optional.reason, optional
    assert every.status is Status.WARN, every


def test_the_keys_table_lists_every_key_the_rule_asks_for_and_the_reference_sends_them() -> None:
    from conformance.checks.responses import FUNCTION_TOOL_KEYS, OPTIONAL_KEYS, USAGE_DETAILS
    from conformance.schemas import SCHEMAS_DIR

    table = (SCHEMAS_DIR / "response.keys.md").read_text(encoding="utf-8")
    listed = {key for key in OPTIONAL_KEYS} | {f"usage.{k}" for k in USAGE_DETAILS}
    listed |= {f"tools[].{k}" for k in FUNCTION_TOOL_KEYS}
    for key in listed:
        assert f"| `{key}`" in table, f"{key} has no row in schemas/response.keys.md"
    body = call_answer().body
    assert set(OPTIONAL_KEYS) <= set(body) and set(USAGE_DETAILS) <= set(body["usage"])
    assert all(set(FUNCTION_TOOL_KEYS) <= set(tool) for tool in body["tools"])


def test_a_declined_json_schema_is_a_skip() -> None:
    spec = json_answer()
    refused(spec, 400, "Invalid parameter: 'text.format' of type 'json_schema' is not supported with this model.")
    [obs] = judge(spec.subject(), ["responses.text.json-schema"])
    assert obs.status is Status.SKIP and "declined" in obs.reason, obs


def test_a_declined_image_is_a_skip_and_a_crash_a_failure() -> None:
    spec = image_answer()
    refused(spec, 400, "Invalid content type. image_url is only supported by certain models.")
    [obs] = judge(spec.subject(), ["responses.input.image"])
    assert obs.status is Status.SKIP and "declined" in obs.reason, obs
