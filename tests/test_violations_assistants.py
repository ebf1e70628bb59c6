"""Every Assistants API rule can fail, and says why: one violating subject per rule, and its valid twin; and the
seeds' example answers are accepted.

The valid subjects are recorded from the reference server in process (tests/_assistant_faults.py's `call`): what
a case would send and what a conforming server answers; each row's mutation breaks one rule.
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from conformance import schemas
from conformance.checks.assistants import REACHABLE, RunLife, RunStream
from conformance.exchange import Exchange
from conformance.judgement import Status, judge
from conformance.requirements import catalogue
from tests._assistant_faults import INCLUDE, WEATHER, call, searched_steps
from tests.test_violations import Http
from tests.test_violations_responses import Life, V, fails_with_evidence, page_rows, param, passes

CLEAN: frozenset[str] = frozenset()
TOOL = {
    **WEATHER,
    "function": {
        **WEATHER["function"],
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
    },
}


def recorded(method: str, path: str, body: Any = None, **params: Any) -> Http:
    """What the reference answers `method path` (a clean server), as an exchange to build."""
    kwargs: dict[str, Any] = {"json": body} if body is not None else {}
    got: httpx.Response = call(CLEAN, method, path, params=params or None, **kwargs)
    query = f"?{got.request.url.query.decode()}" if got.request.url.query else ""
    answer = got.json() if got.headers["content-type"].startswith("application/json") else got.content
    return Http(
        body,
        answer,
        got.status_code,
        path=path + query,
        method=method,
        content_type=got.headers["content-type"].split(";")[0],
    )


def made(http: Http) -> str:
    return str(http.body["id"])


@dataclass
class RLife:
    """A run followed over time, to build."""

    created: Http
    steps: list[list[Any]]
    functions: tuple[str, ...] = ()
    outputs: tuple[tuple[str, str], ...] = ()

    def subject(self) -> RunLife:
        steps = tuple((name, http.subject()) for name, http in self.steps)
        return RunLife(self.created.subject(), steps, functions=self.functions, outputs=self.outputs, waited=60.0)

    def step(self, name: str, last: bool = False) -> Http:
        found = [http for what, http in self.steps if what == name]
        return found[-1] if last else found[0]


@dataclass
class SStream:
    """A streamed run to build: (event name, data) pairs, then `done` unless left out."""

    events: list[list[Any]]
    resumed: bool = False
    done: bool = True
    content_type: str = "text/event-stream"

    def subject(self) -> RunStream:
        blocks = [
            f"event: {name}\ndata: {data if isinstance(data, str) else json.dumps(data)}\n\n"
            for name, data in self.events
        ]
        if self.done:
            blocks.append("event: done\ndata: [DONE]\n\n")
        exchange = Exchange.build(
            method="POST",
            url="https://api.example.test/v1/threads/runs",
            request_headers={"content-type": "application/json"},
            request_body=b'{"stream": true}',
            status=200,
            response_headers={"content-type": self.content_type},
            response_body="".join(blocks).encode(),
        )
        return RunStream(exchange, resumed=self.resumed)

    def event(self, name: str, nth: int = 0) -> dict[str, Any]:
        return [data for what, data in self.events if what == name][nth]  # type: ignore[no-any-return]


# --- valid subjects, from the reference server -----------------------------------------------------------------


def assistant_created() -> Http:
    return recorded(
        "POST",
        "/assistants",
        {
            "model": "gpt-4o-mini",
            "name": "Math Tutor",
            "instructions": "Help.",
            "tools": [{"type": "code_interpreter"}],
            "metadata": {"k": "v"},
        },
    )


def assistant_life() -> Life:
    created = assistant_created()
    other = recorded("POST", "/assistants", {"model": "gpt-4o-mini"})
    path = f"/assistants/{made(created)}"
    return Life(
        created,
        [
            ["retrieve", recorded("GET", path)],
            ["modify", recorded("POST", path, {"name": "Renamed", "metadata": {"k": "w"}})],
            ["retrieve-modified", recorded("GET", path)],
            ["created", other],
            ["list", recorded("GET", "/assistants", limit=100)],
            ["delete", recorded("DELETE", path)],
            ["retrieve-deleted", recorded("GET", path)],
        ],
    )


THREAD_SENT = [{"role": "user", "content": "Hello."}, {"role": "assistant", "content": "Hi."}]


def thread_created() -> Http:
    return recorded("POST", "/threads", {"messages": copy.deepcopy(THREAD_SENT), "metadata": {"k": "v"}})


def thread_life() -> Life:
    created = thread_created()
    path = f"/threads/{made(created)}"
    return Life(
        created,
        [
            ["messages", recorded("GET", f"{path}/messages", limit=100, order="asc")],
            ["retrieve", recorded("GET", path)],
            ["modify", recorded("POST", path, {"metadata": {"k": "w"}})],
            ["retrieve-modified", recorded("GET", path)],
            ["delete", recorded("DELETE", path)],
            ["retrieve-deleted", recorded("GET", path)],
        ],
    )


def message_created() -> Http:
    path = f"/threads/{made(thread_created())}/messages"
    return recorded(
        "POST",
        path,
        {
            "role": "user",
            "content": "One more.",
            "metadata": {"k": "v"},
            "attachments": [{"file_id": "file-abc123", "tools": [{"type": "file_search"}]}],
        },
    )


def message_life() -> Life:
    created = message_created()
    path = f"/threads/{created.body['thread_id']}/messages"
    at = f"{path}/{made(created)}"
    return Life(
        created,
        [
            ["retrieve", recorded("GET", at)],
            ["modify", recorded("POST", at, {"metadata": {"k": "w"}})],
            ["retrieve-modified", recorded("GET", at)],
            ["delete", recorded("DELETE", at)],
            ["list", recorded("GET", path, limit=100)],
        ],
    )


def _start(tools: bool) -> tuple[str, Http]:
    assistant = recorded("POST", "/assistants", {"model": "gpt-4o-mini", "tools": [TOOL] if tools else []})
    thread = made(recorded("POST", "/threads", {"messages": [{"role": "user", "content": "Say OK."}]}))
    return thread, recorded("POST", f"/threads/{thread}/runs", {"assistant_id": made(assistant)})


def run_life() -> RLife:
    thread, created = _start(tools=False)
    path = f"/threads/{thread}"
    at = f"{path}/runs/{made(created)}"
    polls = [["poll", recorded("GET", at)] for _ in range(2)]
    steps = recorded("GET", f"{at}/steps")
    return RLife(
        created,
        [
            *polls,
            ["steps", steps],
            ["step", recorded("GET", f"{at}/steps/{steps.body['data'][0]['id']}")],
            ["messages", recorded("GET", f"{path}/messages", run_id=made(created))],
            ["all-messages", recorded("GET", f"{path}/messages", limit=100)],
            ["modify", recorded("POST", at, {"metadata": {"k": "w"}})],
            ["runs", recorded("GET", f"{path}/runs", limit=100)],
            ["poll", recorded("GET", at)],
        ],
    )


def tool_life() -> RLife:
    thread, created = _start(tools=True)
    at = f"/threads/{thread}/runs/{made(created)}"
    polls = [["poll", recorded("GET", at)] for _ in range(2)]
    waiting = polls[-1][1].body
    outputs = [
        {"tool_call_id": c["id"], "output": "Sunny."}
        for c in waiting["required_action"]["submit_tool_outputs"]["tool_calls"]
    ]
    steps = [
        ["steps", recorded("GET", f"{at}/steps")],
        ["submit", recorded("POST", f"{at}/submit_tool_outputs", {"tool_outputs": outputs})],
    ]
    after = [["poll", recorded("GET", at)] for _ in range(2)]
    return RLife(
        created,
        [*polls, *steps, *after, ["steps", recorded("GET", f"{at}/steps")]],
        functions=("get_weather",),
        outputs=tuple((o["tool_call_id"], o["output"]) for o in outputs),
    )


def cancel_life() -> RLife:
    thread, created = _start(tools=True)
    at = f"/threads/{thread}/runs/{made(created)}"
    return RLife(created, [["cancel", recorded("POST", f"{at}/cancel")], ["poll", recorded("GET", at)]])


def thread_and_run() -> RLife:
    assistant = made(recorded("POST", "/assistants", {"model": "gpt-4o-mini"}))
    created = recorded(
        "POST",
        "/threads/runs",
        {"assistant_id": assistant, "thread": {"messages": [{"role": "user", "content": "Say OK."}]}},
    )
    thread = created.body["thread_id"]
    return RLife(
        created,
        [
            ["thread", recorded("GET", f"/threads/{thread}")],
            ["messages", recorded("GET", f"/threads/{thread}/messages", limit=100)],
        ],
    )


def file_search_life() -> RLife:
    listing = searched_steps(CLEAN)
    path = listing.request.url.path.removeprefix("/v1")
    steps = Http(None, listing.json(), path=f"{path}?{listing.request.url.query.decode()}", method="GET")
    step = next(s for s in listing.json()["data"] if s["type"] == "tool_calls")
    one = recorded("GET", f"{path}/{step['id']}", **{"include[]": INCLUDE})
    run = recorded("GET", path.removesuffix("/steps"))
    return RLife(run, [["steps-included", steps], ["step-included", one]])


def _events(http: Http) -> list[list[Any]]:
    out: list[list[Any]] = []
    for block in http.body.decode().split("\n\n"):
        lines = dict(line.split(": ", 1) for line in block.splitlines() if ": " in line)
        if lines and lines.get("event") != "done":
            out.append([lines["event"], json.loads(lines["data"])])
    return out


def streamed() -> SStream:
    assistant = made(recorded("POST", "/assistants", {"model": "gpt-4o-mini"}))
    sent = {"assistant_id": assistant, "stream": True, "thread": {"messages": [{"role": "user", "content": "Hi."}]}}
    return SStream(_events(recorded("POST", "/threads/runs", sent)))


def resumed() -> SStream:
    _, created = _start(tools=True)
    at = f"/threads/{created.body['thread_id']}/runs/{made(created)}"
    waiting = [recorded("GET", at) for _ in range(2)][-1].body
    outputs = [
        {"tool_call_id": c["id"], "output": "Sunny."}
        for c in waiting["required_action"]["submit_tool_outputs"]["tool_calls"]
    ]
    answer = recorded("POST", f"{at}/submit_tool_outputs", {"tool_outputs": outputs, "stream": True})
    return SStream(_events(answer), resumed=True)


def waiting_stream() -> SStream:
    _, created = _start(tools=True)
    thread = made(recorded("POST", "/threads", {}))
    sent = {"assistant_id": created.body["assistant_id"], "stream": True}
    return SStream(_events(recorded("POST", f"/threads/{thread}/runs", sent)))


def refusal() -> Http:
    return Http(
        None,
        {
            "error": {
                "message": "You must provide the 'OpenAI-Beta' header.",
                "type": "invalid_request_error",
                "param": None,
                "code": "invalid_beta",
            }
        },
        400,
        path="/assistants?limit=1",
        method="GET",
    )


def named(spec: SStream, name: str) -> int:
    return next(n for n, (what, _) in enumerate(spec.events) if what == name)


VIOLATIONS: list[V] = [
    V("assistants.create.schema", "no tools", assistant_created, lambda s: s.body.pop("tools"), "'tools'"),
    V(
        "assistants.create.echoes",
        "metadata dropped",
        assistant_created,
        lambda s: s.body.update(metadata={}),
        "as sent",
    ),
    V(
        "assistants.retrieve.same",
        "another model on retrieve",
        assistant_life,
        lambda s: s.step("retrieve").body.update(model="gpt-4o"),
        "as the assistant was created",
    ),
    V(
        "assistants.modify.kept",
        "the old name kept",
        assistant_life,
        lambda s: s.step("retrieve-modified").body.update(name="Math Tutor"),
        "Expected: Renamed",
    ),
    V(
        "assistants.list.contains",
        "the other assistant not listed",
        assistant_life,
        lambda s: s.step("list").body.update(
            data=[a for a in s.step("list").body["data"] if a["id"] != s.step("created").body["id"]]
        ),
        "among them",
    ),
    V(
        "assistants.delete.deleted",
        "still there after delete",
        assistant_life,
        lambda s: setattr(s.step("retrieve-deleted"), "status", 200),
        "404",
    ),
    V(
        "assistants.object.all-keys",
        "an assistant without metadata",
        assistant_life,
        lambda s: s.step("retrieve").body.pop("metadata"),
        "without metadata",
    ),
    V(
        "assistants.beta-header.required",
        "served without the header",
        refusal,
        lambda s: (setattr(s, "status", 200), setattr(s, "body", {"object": "list", "data": []})),
        "400",
    ),
    *[v for v in page_rows("assistants.pages") if not v.rid.endswith("order-reverses")],
    V(
        "assistants.threads.create.schema",
        "created_at in milliseconds",
        thread_created,
        lambda s: s.body.update(created_at=s.body["created_at"] * 1000),
        "created_at",
    ),
    V(
        "assistants.threads.create.messages",
        "the messages dropped",
        thread_life,
        lambda s: s.step("messages").body.update(data=[]),
        "in order",
    ),
    V(
        "assistants.threads.retrieve.same",
        "other metadata on retrieve",
        thread_life,
        lambda s: s.step("retrieve").body.update(metadata={}),
        "as the thread was created",
    ),
    V(
        "assistants.threads.modify.kept",
        "the old metadata kept",
        thread_life,
        lambda s: s.step("retrieve-modified").body.update(metadata={"k": "v"}),
        "as sent",
    ),
    V(
        "assistants.threads.delete.deleted",
        "the wrong object deleted",
        thread_life,
        lambda s: s.step("delete").body.update(object="thread"),
        "thread.deleted",
    ),
    V(
        "assistants.messages.create.schema",
        "the text changed",
        message_created,
        lambda s: s.body["content"][0]["text"].update(value="Another."),
        "as sent",
    ),
    V(
        "assistants.messages.retrieve.same",
        "another role on retrieve",
        message_life,
        lambda s: s.step("retrieve").body.update(role="assistant"),
        "as the message was created",
    ),
    V(
        "assistants.messages.modify.kept",
        "the old metadata kept",
        message_life,
        lambda s: s.step("retrieve-modified").body.update(metadata={"k": "v"}),
        "as sent",
    ),
    V(
        "assistants.messages.delete.deleted",
        "still listed",
        message_life,
        lambda s: s.step("list").body["data"].append(copy.deepcopy(s.created.body)),
        "after its deletion",
    ),
    *page_rows("assistants.messages.pages"),
    V(
        "assistants.runs.create.schema",
        "another assistant",
        run_life,
        lambda s: s.created.body.update(assistant_id="asst_other"),
        "the assistant named",
    ),
    V(
        "assistants.runs.status.transitions",
        "queued again after in_progress",
        run_life,
        lambda s: s.steps.insert(
            1, ["poll", Http(None, {**s.steps[0][1].body, "status": "queued"}, path="/r", method="GET")]
        ),
        "after 'in_progress'",
    ),
    V(
        "assistants.runs.completed.message",
        "no message written",
        run_life,
        lambda s: s.step("all-messages").body["data"].pop(0),
        "the message the run's step names",
    ),
    V(
        "assistants.messages.list.run-id",
        "the user's message listed for the run",
        run_life,
        lambda s: s.step("messages").body["data"].append(s.step("all-messages").body["data"][-1]),
        "only the messages",
    ),
    V(
        "assistants.runs.required-action",
        "no tool call named",
        tool_life,
        lambda s: s.steps[1][1].body["required_action"]["submit_tool_outputs"].update(tool_calls=[]),
        "submit_tool_outputs",
    ),
    V(
        "assistants.runs.step-tool-calls",
        "the step names another call",
        tool_life,
        lambda s: s.step("steps").body["data"][0]["step_details"]["tool_calls"][0].update(id="call_other"),
        "the calls of required_action",
    ),
    V(
        "assistants.runs.submit.continues",
        "still waiting after the outputs",
        tool_life,
        lambda s: s.step("submit").body.update(status="requires_action"),
        "the run going on",
    ),
    V(
        "assistants.runs.cancel.cancelled",
        "the cancel ignored",
        cancel_life,
        lambda s: s.step("cancel").body.update(status="in_progress"),
        "'cancelling'",
    ),
    V(
        "assistants.runs.retrieve.listed",
        "the run not listed",
        run_life,
        lambda s: s.step("runs").body["data"].clear(),
        "among them",
    ),
    V(
        "assistants.runs.steps.same",
        "a step retrieved unlike its listing",
        run_life,
        lambda s: s.step("step").body.update(status="in_progress"),
        "as listed",
    ),
    V(
        "assistants.runs.steps.file-search-content",
        "a result without its content",
        file_search_life,
        lambda s: (
            s.step("step-included").body["step_details"]["tool_calls"][0]["file_search"]["results"][0].pop("content")
        ),
        "as `include[]` asked",
    ),
    V(
        "assistants.runs.thread-and-run",
        "the thread's message dropped",
        thread_and_run,
        lambda s: s.step("messages").body["data"].clear(),
        "sent with the thread",
    ),
    V(
        "assistants.stream.content-type",
        "events without a name",
        streamed,
        lambda s: setattr(s, "content_type", "application/json"),
        "text/event-stream",
    ),
    V(
        "assistants.stream.run-order",
        "in_progress before created",
        streamed,
        lambda s: s.events.insert(1, s.events.pop(named(s, "thread.run.in_progress"))),
        "'thread.run.created'",
    ),
    V(
        "assistants.stream.item-order",
        "a message delta after its completion",
        streamed,
        lambda s: s.events.insert(
            named(s, "thread.message.completed") + 1, ["thread.message.delta", s.event("thread.message.delta")]
        ),
        "after 'completed'",
    ),
    V(
        "assistants.stream.message-text",
        "a delta lost",
        streamed,
        lambda s: s.events.pop(named(s, "thread.message.delta")),
        "the completed message's text",
    ),
    V(
        "assistants.stream.event-data",
        "an error event with a bare string",
        streamed,
        lambda s: s.events.append(["error", {"detail": "boom"}]),
        "an error object",
    ),
    V(
        "assistants.stream.event-data",
        "a step delta's tool call without its index",
        waiting_stream,
        lambda s: s.event("thread.run.step.delta")["delta"]["step_details"]["tool_calls"][0].pop("index"),
        "'index'",
    ),
    V("assistants.stream.done-last", "no done event", streamed, lambda s: setattr(s, "done", False), "done"),
]


@pytest.mark.parametrize("v", [param(v) for v in VIOLATIONS])
def test_violation_fails(v: V) -> None:
    fails_with_evidence(v)


@pytest.mark.parametrize("v", [param(v) for v in VIOLATIONS])
def test_valid_counterpart_passes(v: V) -> None:
    passes(v)


def test_every_assistants_requirement_has_a_violation() -> None:
    assert {v.rid for v in VIOLATIONS} == {r for r in catalogue() if r.startswith("assistants.")}


STREAM_RULES = sorted(r for r in catalogue() if r.startswith("assistants.stream."))


def test_a_resumed_stream_passes_every_stream_rule() -> None:
    for obs in judge(resumed().subject(), STREAM_RULES):
        assert obs.status is Status.PASS, obs


def test_a_stream_run_waiting_for_outputs_passes_and_skips_the_text() -> None:
    _, created = _start(tools=True)
    answer = recorded(
        "POST",
        f"/threads/{created.body['thread_id']}/runs",
        {"assistant_id": created.body["assistant_id"], "stream": True},
    )
    assert answer.status == 400, "one active run per thread"
    statuses = {obs.requirement: obs.status for obs in judge(waiting_stream().subject(), STREAM_RULES)}
    assert statuses.pop("assistants.stream.message-text") is Status.SKIP
    assert set(statuses.values()) == {Status.PASS}, statuses


def test_no_move_leads_back_without_tool_outputs() -> None:
    assert "queued" not in REACHABLE["in_progress"] and "in_progress" not in REACHABLE["cancelling"]
    assert {"queued", "in_progress"} <= REACHABLE["requires_action"]
    assert all(not REACHABLE[end] for end in ("completed", "failed", "cancelled", "expired", "incomplete"))


def test_a_run_still_running_skips_the_end_rules_saying_what_was_seen() -> None:
    life = run_life()
    life.steps = life.steps[:1]
    [obs] = judge(life.subject(), ["assistants.runs.completed.message"])
    assert obs.status is Status.SKIP and "in_progress" in obs.reason, obs


# --- the seeds' example answers --------------------------------------------------------------------------------

SEED_ASSISTANT = {  # seeds 002 and 003, Create assistant: Response
    "id": "asst_abc123",
    "object": "assistant",
    "created_at": 1698984975,
    "name": "Math Tutor",
    "description": None,
    "model": "gpt-4o",
    "instructions": "You are a personal math tutor.",
    "tools": [{"type": "code_interpreter"}],
    "metadata": {},
    "top_p": 1.0,
    "temperature": 1.0,
    "response_format": "auto",
}
SEED_LIST = {  # seed 003, List Assistants: Response (the items carry no metadata)
    "object": "list",
    "data": [
        {
            "id": "asst_abc123",
            "object": "assistant",
            "created_at": 1699009709,
            "name": "Data Analyst Assistant",
            "description": "Helps analyze datasets and create visualizations",
            "model": "gpt-4-turbo",
            "instructions": "You are a helpful data analyst...",
            "tools": [{"type": "code_interpreter"}, {"type": "file_search"}],
        }
    ],
    "first_id": "asst_abc123",
    "last_id": "asst_xyz789",
    "has_more": False,
}
SEED_REQUESTS = [  # seed 001: Create Assistant, Create Thread, Create Run, Create Thread and Run, Submit, Message
    (
        "assistant.create.request",
        {
            "model": "gpt-5",
            "name": "Data Analyst Assistant",
            "description": "Analyzes data and creates visualizations",
            "instructions": "You are a data analyst.",
            "tools": [
                {"type": "code_interpreter"},
                {"type": "file_search"},
                {
                    "type": "function",
                    "function": {
                        "name": "create_chart",
                        "description": "Create a data visualization",
                        "parameters": {
                            "type": "object",
                            "properties": {"data": {"type": "array"}},
                            "required": ["data"],
                        },
                    },
                },
            ],
            "tool_resources": {
                "code_interpreter": {"file_ids": ["file-123", "file-456"]},
                "file_search": {"vector_store_ids": ["vs-789"]},
            },
            "metadata": {"department": "analytics", "version": "2.0"},
            "temperature": 0.7,
            "top_p": 0.9,
            "response_format": {"type": "json_object"},
        },
    ),
    (
        "thread.create.request",
        {
            "messages": [
                {
                    "role": "user",
                    "content": "Analyze this sales data and identify trends",
                    "attachments": [
                        {"file_id": "file-abc123", "tools": [{"type": "code_interpreter"}, {"type": "file_search"}]}
                    ],
                }
            ],
            "tool_resources": {
                "code_interpreter": {"file_ids": ["file-def456"]},
                "file_search": {"vector_store_ids": ["vs-ghi789"]},
            },
            "metadata": {"user_id": "user_12345", "session_id": "sess_67890"},
        },
    ),
    (
        "thread.run.create.request",
        {
            "assistant_id": "asst_abc123",
            "model": "gpt-5",
            "instructions": "Focus on quarterly trends",
            "additional_instructions": "Use clear visualizations",
            "additional_messages": [{"role": "user", "content": "Also compare with industry benchmarks"}],
            "tools": [{"type": "code_interpreter"}, {"type": "file_search"}],
            "temperature": 0.7,
            "top_p": 0.9,
            "max_prompt_tokens": 5000,
            "max_completion_tokens": 2000,
            "truncation_strategy": {"type": "last_messages", "last_messages": 10},
            "tool_choice": "auto",
            "parallel_tool_calls": True,
            "response_format": {"type": "json_object"},
            "metadata": {"analysis_type": "quarterly_review"},
            "stream": True,
        },
    ),
    (
        "thread.run.create-thread.request",
        {
            "assistant_id": "asst_abc123",
            "thread": {"messages": [{"role": "user", "content": "Analyze this data"}]},
            "model": "gpt-5",
            "stream": True,
        },
    ),
    (
        "thread.run.submit-tool-outputs.request",
        {
            "tool_outputs": [{"tool_call_id": "call_abc123", "output": '{"result": "Chart created successfully"}'}],
            "stream": True,
        },
    ),
    (
        "thread.message.create.request",
        {
            "role": "user",
            "content": "What are the key insights from the analysis?",
            "attachments": [{"file_id": "file-xyz789", "tools": [{"type": "file_search"}]}],
        },
    ),
]


def test_the_seeds_example_answers_are_accepted() -> None:
    assert not schemas.validate("assistant", SEED_ASSISTANT)
    assert not schemas.validate("assistant.list", SEED_LIST)
    create = Http(
        {
            "model": "gpt-4o",
            "name": "Math Tutor",
            "instructions": "You are a personal math tutor.",
            "tools": [{"type": "code_interpreter"}],
        },
        SEED_ASSISTANT,
        path="/assistants",
    )
    for obs in judge(create.subject(), ["assistants.create.schema", "assistants.create.echoes"]):
        assert obs.status is Status.PASS, obs


@pytest.mark.parametrize(("name", "body"), SEED_REQUESTS, ids=[name for name, _ in SEED_REQUESTS])
def test_the_seeds_example_requests_are_valid(name: str, body: dict[str, Any]) -> None:
    assert not schemas.validate(name, body)
