"""The batches faults of the reference server, each as (request, what the fault breaks in its answer), for
tests/test_reference_server.py's FAULT_CASES: every fault must change what it says, and a clean server must not.

Batches move with time (conformance/reference/batches.py, `STEP_SECONDS` a state), so a request here creates a
batch in process and reads it until it has ended.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

import httpx

from tests._reference_calls import call_reference, reference_app

KEY = "sk-test-batches-0123456789"
ENDPOINT = "/v1/chat/completions"
GOOD = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "Say OK."}], "max_tokens": 8}
LINES = [{"custom_id": "a", "method": "POST", "url": ENDPOINT, "body": GOOD}]
WITH_BAD = [*LINES, {"custom_id": "b", "method": "POST", "url": ENDPOINT, "body": {"model": "gpt-4o-mini"}}]
NO_REQUESTS = [{"method": "POST", "url": ENDPOINT, "body": GOOD}]

Faults = frozenset[str]
Request = Callable[[Faults], httpx.Response]
Violation = Callable[[httpx.Response], bool]


def _app(faults: Faults) -> Any:
    return reference_app(faults, KEY)


def call(faults: Faults, method: str, path: str, **kwargs: Any) -> httpx.Response:
    return call_reference(_app(faults), method, path, {"Authorization": f"Bearer {KEY}"}, **kwargs)


def upload(faults: Faults, lines: list[dict[str, Any]], purpose: str = "batch") -> str:
    data = b"".join(json.dumps(line).encode() + b"\n" for line in lines)
    made = call(faults, "POST", "/files", files={"file": ("in.jsonl", data)}, data={"purpose": purpose})
    return str(made.json()["id"])


def create(faults: Faults, lines: list[dict[str, Any]] = LINES, purpose: str = "batch", **extra: Any) -> httpx.Response:
    body = {"input_file_id": upload(faults, lines, purpose), "endpoint": ENDPOINT, "completion_window": "24h"}
    body.update(extra)
    return call(faults, "POST", "/batches", json=body)


def ended(faults: Faults, lines: list[dict[str, Any]] = LINES) -> httpx.Response:
    ident = create(faults, lines).json()["id"]
    deadline = time.monotonic() + 5
    while True:
        got = call(faults, "GET", f"/batches/{ident}")
        if got.json()["status"] in ("completed", "failed", "expired", "cancelled") or time.monotonic() > deadline:
            return got
        time.sleep(0.05)


def output_line(faults: Faults) -> dict[str, Any]:
    content = call(faults, "GET", f"/files/{ended(faults).json()['output_file_id']}/content")
    return dict(json.loads(content.text.splitlines()[0]))


def cancelled_then_read(faults: Faults) -> httpx.Response:
    ident = create(faults).json()["id"]
    call(faults, "POST", f"/batches/{ident}/cancel")
    return call(faults, "GET", f"/batches/{ident}")


def second_page(faults: Faults) -> httpx.Response:
    newest = [create(faults).json()["id"] for _ in range(3)][-1]
    return call(faults, "GET", "/batches", params={"limit": 1, "after": newest})


def as_answer(value: Any) -> httpx.Response:
    return httpx.Response(200, json=value)


def retrieved_as_created(faults: Faults) -> httpx.Response:
    made = create(faults).json()
    got = call(faults, "GET", f"/batches/{made['id']}").json()
    return as_answer({"same": got["created_at"] == made["created_at"]})


def listed(faults: Faults) -> httpx.Response:
    ident = create(faults).json()["id"]
    page = call(faults, "GET", "/batches", params={"limit": 100}).json()
    return as_answer({"listed": ident in [b["id"] for b in page["data"]]})


def output_file(faults: Faults) -> httpx.Response:
    return call(faults, "GET", f"/files/{ended(faults).json()['output_file_id']}")


def usage_adds_up(faults: Faults) -> httpx.Response:
    usage = output_line(faults)["response"]["body"]["usage"]
    return as_answer({"adds_up": usage["prompt_tokens"] + usage["completion_tokens"] == usage["total_tokens"]})


BATCH_FAULT_CASES: dict[str, tuple[Request, Violation]] = {
    "batches-status-regresses": (cancelled_then_read, lambda r: r.json()["status"] == "in_progress"),
    "batches-no-in-progress-at": (ended, lambda r: r.json()["in_progress_at"] is None),
    "batches-counts-wrong": (ended, lambda r: r.json()["request_counts"]["total"] != 1),
    "batches-output-no-status-code": (
        lambda f: as_answer(output_line(f)["response"]),
        lambda r: "status_code" not in r.json(),
    ),
    "batches-output-usage-wrong": (usage_adds_up, lambda r: not r.json()["adds_up"]),
    "batches-custom-id-lost": (lambda f: as_answer(output_line(f)), lambda r: r.json()["custom_id"] != "a"),
    "batches-failed-line-in-output": (
        lambda f: ended(f, WITH_BAD),
        lambda r: r.json()["error_file_id"] is None,
    ),
    "batches-cancel-ignored": (
        lambda f: call(f, "POST", f"/batches/{create(f).json()['id']}/cancel"),
        lambda r: r.json()["status"] != "cancelling",
    ),
    "batches-wrong-window-accepted": (lambda f: create(f, completion_window="48h"), lambda r: r.status_code == 200),
    "batches-unknown-endpoint-accepted": (
        lambda f: create(f, endpoint="/v1/audio/speech"),
        lambda r: r.status_code == 200,
    ),
    "batches-any-file-accepted": (lambda f: create(f, purpose="user_data"), lambda r: r.status_code == 200),
    "batches-invalid-file-completes": (lambda f: ended(f, NO_REQUESTS), lambda r: r.json()["status"] != "failed"),
    "batches-after-ignored": (second_page, lambda r: r.json()["data"][0]["id"] == r.request.url.params["after"]),
    "batches-output-purpose-wrong": (output_file, lambda r: r.json()["purpose"] != "batch_output"),
    "batches-metadata-dropped": (lambda f: create(f, metadata={"run": "t"}), lambda r: r.json()["metadata"] is None),
    "batches-retrieve-created-shifted": (retrieved_as_created, lambda r: not r.json()["same"]),
    "batches-not-listed": (listed, lambda r: not r.json()["listed"]),
}
