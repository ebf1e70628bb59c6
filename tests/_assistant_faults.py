"""The Assistants API faults of the reference server, each as (request, what the fault breaks in its answer), for
tests/test_reference_server.py's FAULT_CASES: every fault must change what it says, and a clean server must not.

A run moves one state per read (conformance/reference/assistants.py), so a request here reads it a set number of
times; every call goes to an app of its own per fault set, in process.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import httpx

from tests._reference_calls import call_reference, reference_app

KEY = "sk-test-assistants-0123456789"
BETA = {"OpenAI-Beta": "assistants=v2"}
WEATHER = {"type": "function", "function": {"name": "get_weather", "parameters": {"type": "object"}}}

Faults = frozenset[str]
Request = Callable[[Faults], httpx.Response]
Violation = Callable[[httpx.Response], bool]


def _app(faults: Faults) -> Any:
    return reference_app(faults, KEY)


def call(faults: Faults, method: str, path: str, beta: bool = True, **kwargs: Any) -> httpx.Response:
    headers = {"Authorization": f"Bearer {KEY}", **(BETA if beta else {})}
    return call_reference(_app(faults), method, path, headers, **kwargs)


def answer(value: Any) -> httpx.Response:
    return httpx.Response(200, json=value)


def assistant(faults: Faults, **extra: Any) -> str:
    return str(call(faults, "POST", "/assistants", json={"model": "gpt-4o-mini", **extra}).json()["id"])


def thread(faults: Faults, *messages: str) -> str:
    sent = [{"role": "user", "content": m} for m in messages]
    return str(call(faults, "POST", "/threads", json={"messages": sent}).json()["id"])


def run(faults: Faults, tools: bool = False, stream: bool = False) -> tuple[str, httpx.Response]:
    ident = thread(faults, "Say OK.")
    body = {"assistant_id": assistant(faults, tools=[WEATHER] if tools else []), "stream": stream}
    return ident, call(faults, "POST", f"/threads/{ident}/runs", json=body)


def reads(faults: Faults, times: int, tools: bool = False) -> list[dict[str, Any]]:
    """A run read `times` times: what each read answered."""
    ident, made = run(faults, tools)
    return [call(faults, "GET", f"/threads/{ident}/runs/{made.json()['id']}").json() for _ in range(times)]


def waiting_steps(faults: Faults) -> httpx.Response:
    ident, made = run(faults, tools=True)
    path = f"/threads/{ident}/runs/{made.json()['id']}"
    waiting = [call(faults, "GET", path).json() for _ in range(2)][-1]
    steps = call(faults, "GET", f"{path}/steps").json()["data"]
    return answer(
        {
            "required": waiting["required_action"]["submit_tool_outputs"]["tool_calls"],
            "stepped": steps[0]["step_details"]["tool_calls"],
        }
    )


def submitted(faults: Faults) -> httpx.Response:
    ident, made = run(faults, tools=True)
    path = f"/threads/{ident}/runs/{made.json()['id']}"
    waiting = [call(faults, "GET", path).json() for _ in range(2)][-1]
    calls = waiting["required_action"]["submit_tool_outputs"]["tool_calls"]
    outputs = [{"tool_call_id": c["id"], "output": "sunny"} for c in calls]
    return call(faults, "POST", f"{path}/submit_tool_outputs", json={"tool_outputs": outputs})


def cancelled(faults: Faults) -> httpx.Response:
    ident, made = run(faults, tools=True)
    return call(faults, "POST", f"/threads/{ident}/runs/{made.json()['id']}/cancel")


def replies(faults: Faults) -> httpx.Response:
    ident, made = run(faults)
    for _ in range(2):
        call(faults, "GET", f"/threads/{ident}/runs/{made.json()['id']}")
    return call(faults, "GET", f"/threads/{ident}/messages", params={"run_id": made.json()["id"]})


def run_filter(faults: Faults) -> httpx.Response:
    ident, made = run(faults)
    return call(faults, "GET", f"/threads/{ident}/messages", params={"run_id": made.json()["id"]})


def stream_events(faults: Faults) -> httpx.Response:
    names = [line[7:] for line in run(faults, stream=True)[1].text.splitlines() if line.startswith("event: ")]
    text = "".join(
        line.split('"value": "', 1)[1].split('"', 1)[0]
        for line in run(faults, stream=True)[1].text.splitlines()
        if '"thread.message.delta"' in line
    )
    return answer({"names": names, "text": text})


def modified(faults: Faults) -> httpx.Response:
    ident = assistant(faults, name="before")
    call(faults, "POST", f"/assistants/{ident}", json={"name": "after"})
    return call(faults, "GET", f"/assistants/{ident}")


def second_page(faults: Faults) -> httpx.Response:
    ident = thread(faults, "one", "two", "three")
    first = call(faults, "GET", f"/threads/{ident}/messages", params={"limit": 1, "order": "asc"}).json()
    return call(
        faults, "GET", f"/threads/{ident}/messages", params={"limit": 1, "order": "asc", "after": first["last_id"]}
    )


INCLUDE = "step_details.tool_calls[*].file_search.results[*].content"


def searched_steps(faults: Faults, include: bool = True) -> httpx.Response:
    """The steps of a completed run with the file_search tool over a store of one file, with `include[]`."""
    notes = ("notes.txt", b"In spring a quokka visits the island by the lighthouse.")
    file_id = call(faults, "POST", "/files", files={"file": notes}, data={"purpose": "assistants"}).json()["id"]
    store = call(faults, "POST", "/vector_stores", json={"file_ids": [file_id]}).json()["id"]
    for _ in range(100):  # the file is indexed in a few tenths of a second
        if not call(faults, "GET", f"/vector_stores/{store}").json()["file_counts"]["in_progress"]:
            break
        time.sleep(0.02)
    tools = {"tools": [{"type": "file_search"}], "tool_resources": {"file_search": {"vector_store_ids": [store]}}}
    ident = thread(faults, "Which animal visits in spring?")
    made = call(faults, "POST", f"/threads/{ident}/runs", json={"assistant_id": assistant(faults, **tools)}).json()
    path = f"/threads/{ident}/runs/{made['id']}"
    for _ in range(2):
        call(faults, "GET", path)
    return call(faults, "GET", f"{path}/steps", params={"include[]": INCLUDE} if include else None)


def search_results(response: httpx.Response) -> list[dict[str, Any]]:
    return [r for s in response.json()["data"] for c in s["step_details"].get("tool_calls") or []
            for r in (c.get("file_search") or {}).get("results") or []]  # fmt: skip


ASSISTANT_FAULT_CASES: dict[str, tuple[Request, Violation]] = {
    "assistants-include-ignored": (searched_steps, lambda r: not all("content" in x for x in search_results(r))),
    "assistants-metadata-dropped": (
        lambda f: call(f, "POST", "/assistants", json={"model": "gpt-4o-mini", "metadata": {"a": "b"}}),
        lambda r: r.json()["metadata"] != {"a": "b"},
    ),
    "assistants-modify-not-kept": (modified, lambda r: r.json()["name"] != "after"),
    "assistants-delete-kept": (
        lambda f: call(f, "GET", f"/assistants/{call(f, 'DELETE', f'/assistants/{assistant(f)}').json()['id']}"),
        lambda r: r.status_code == 200,
    ),
    "assistants-beta-header-ignored": (
        lambda f: call(f, "GET", "/assistants", beta=False),
        lambda r: r.status_code == 200,
    ),
    "assistants-lists-repeat-cursor": (
        second_page,
        lambda r: r.json()["data"][0]["id"] == r.request.url.params["after"],
    ),
    "assistants-thread-messages-dropped": (
        lambda f: call(f, "GET", f"/threads/{thread(f, 'hello')}/messages"),
        lambda r: r.json()["data"] == [],
    ),
    "assistants-thread-delete-kept": (
        lambda f: call(f, "GET", f"/threads/{call(f, 'DELETE', f'/threads/{thread(f)}').json()['id']}"),
        lambda r: r.status_code == 200,
    ),
    "assistants-run-filter-ignored": (run_filter, lambda r: r.json()["data"] != []),
    "assistants-run-status-regresses": (
        lambda f: answer([r["status"] for r in reads(f, 3)]),
        lambda r: r.json()[1] == "queued",
    ),
    "assistants-required-action-empty": (
        lambda f: answer(reads(f, 2, tools=True)[-1]["required_action"]),
        lambda r: r.json()["submit_tool_outputs"]["tool_calls"] == [],
    ),
    "assistants-step-call-mismatch": (
        waiting_steps,
        lambda r: [c["id"] for c in r.json()["required"]] != [c["id"] for c in r.json()["stepped"]],
    ),
    "assistants-submit-ignored": (submitted, lambda r: r.json()["status"] == "requires_action"),
    "assistants-run-cancel-ignored": (cancelled, lambda r: r.json()["status"] != "cancelling"),
    "assistants-run-no-reply": (replies, lambda r: r.json()["data"] == []),
    "assistants-stream-in-progress-first": (stream_events, lambda r: r.json()["names"][0] == "thread.run.in_progress"),
    "assistants-stream-deltas-short": (stream_events, lambda r: not r.json()["text"].endswith("you.")),
    "assistants-stream-no-done": (stream_events, lambda r: r.json()["names"][-1] != "done"),
}
