"""The fine-tuning faults of the reference server, each as (request, what the fault breaks in its answer), for
tests/test_reference_server.py's FAULT_CASES: every fault must change what it says, and a clean server must not.

Jobs move one state per read (conformance/reference/fine_tuning.py), so a request here creates a job in process and
reads it as often as the fault needs.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx

from tests._batch_faults import call  # a request to an in-process reference server with the faults given

EXAMPLE = {"messages": [{"role": "user", "content": "Say OK."}, {"role": "assistant", "content": "OK."}]}
CHECK = {"type": "string_check", "name": "same", "input": "{{sample.output_text}}", "reference": "{{item.answer}}",
         "operation": "eq"}  # fmt: skip

Faults = frozenset[str]
Request = Callable[[Faults], httpx.Response]
Violation = Callable[[httpx.Response], bool]


def create(faults: Faults, lines: Any = (EXAMPLE,), purpose: str = "fine-tune", **extra: Any) -> httpx.Response:
    data = b"".join(json.dumps(line).encode() + b"\n" for line in lines)
    made = call(faults, "POST", "/files", files={"file": ("t.jsonl", data)}, data={"purpose": purpose}).json()
    body = {"model": "gpt-4o-mini", "training_file": made["id"], **extra}
    return call(faults, "POST", "/fine_tuning/jobs", json=body)


def read(faults: Faults, times: int, lines: Any = (EXAMPLE,)) -> tuple[str, httpx.Response]:
    """A new job read `times` times: its id and the last read."""
    ident = create(faults, lines).json()["id"]
    got = [call(faults, "GET", f"/fine_tuning/jobs/{ident}") for _ in range(times)]
    return ident, got[-1]


def ended(faults: Faults, lines: Any = (EXAMPLE,)) -> httpx.Response:
    return read(faults, 3, lines)[1]


def succeeded(faults: Faults, path: str = "") -> httpx.Response:
    ident = read(faults, 3)[0]
    return call(faults, "GET", f"/fine_tuning/jobs/{ident}{path}")


def checkpoint(faults: Faults) -> str:
    return str(succeeded(faults, "/checkpoints").json()["data"][0]["fine_tuned_model_checkpoint"])


def shared(faults: Faults, *projects: str) -> tuple[str, httpx.Response]:
    path = f"/fine_tuning/checkpoints/{checkpoint(faults)}/permissions"
    return path, call(faults, "POST", path, json={"project_ids": list(projects)})


def as_answer(value: Any) -> httpx.Response:
    return httpx.Response(200, json=value)


def events_after_first(faults: Faults) -> httpx.Response:
    path = f"/fine_tuning/jobs/{read(faults, 3)[0]}/events"
    first = call(faults, "GET", path, params={"limit": 1}).json()["data"][0]["id"]
    return call(faults, "GET", path, params={"limit": 1, "after": first})


def filtered(faults: Faults) -> httpx.Response:
    create(faults, metadata={"run": "tagged"})
    untagged = create(faults).json()["id"]
    page = call(faults, "GET", "/fine_tuning/jobs", params={"metadata[run]": "tagged"}).json()
    return as_answer({"untagged listed": untagged in [j["id"] for j in page["data"]]})


def listed(faults: Faults) -> httpx.Response:
    ident = create(faults).json()["id"]
    page = call(faults, "GET", "/fine_tuning/jobs", params={"limit": 100}).json()
    return as_answer({"listed": ident in [j["id"] for j in page["data"]]})


def second_page(faults: Faults) -> httpx.Response:
    newest = [create(faults).json()["id"] for _ in range(3)][-1]
    return call(faults, "GET", "/fine_tuning/jobs", params={"limit": 1, "after": newest})


def retrieved_as_created(faults: Faults) -> httpx.Response:
    made = create(faults).json()
    got = call(faults, "GET", f"/fine_tuning/jobs/{made['id']}").json()
    return as_answer({"same": got["created_at"] == made["created_at"]})


def paused(faults: Faults) -> httpx.Response:
    return call(faults, "POST", f"/fine_tuning/jobs/{read(faults, 2)[0]}/pause")


def permissions_of_a(faults: Faults) -> httpx.Response:
    path, _ = shared(faults, "proj_a", "proj_b")
    return call(faults, "GET", path, params={"project_id": "proj_a"})


def after_delete(faults: Faults) -> httpx.Response:
    path, made = shared(faults, "proj_a")
    call(faults, "DELETE", f"{path}/{made.json()['data'][0]['id']}")
    return call(faults, "GET", path)


def run(faults: Faults, grader: dict[str, Any], sample: str = "Paris") -> httpx.Response:
    body = {"grader": grader, "model_sample": sample, "item": {"answer": "Paris"}}
    return call(faults, "POST", "/fine_tuning/alpha/graders/run", json=body)


def validated(faults: Faults, grader: dict[str, Any]) -> httpx.Response:
    return call(faults, "POST", "/fine_tuning/alpha/graders/validate", json={"grader": grader})


def newest_is_not_first(answer: httpx.Response) -> bool:
    times = [e["created_at"] for e in answer.json()["data"]]
    return times != sorted(times, reverse=True)


NO_EXAMPLES = ({"text": "not a training example"},)
SIMILAR = {**CHECK, "type": "text_similarity", "evaluation_metric": "fuzzy_match"}
SIMILAR.pop("operation")
SCORE = {"type": "score_model", "name": "score", "model": "gpt-4o-mini", "input": [{"role": "user", "content": "?"}]}
MULTI = {"type": "multi", "name": "both", "calculate_output": "(a + b) / 2",
         "graders": {"a": CHECK, "b": {**CHECK, "operation": "ne"}}}  # fmt: skip

FINE_TUNING_FAULT_CASES: dict[str, tuple[Request, Violation]] = {
    "fine-tuning-status-regresses": (lambda f: read(f, 2)[1], lambda r: r.json()["status"] == "validating_files"),
    "fine-tuning-succeeded-no-model": (ended, lambda r: r.json()["fine_tuned_model"] is None),
    "fine-tuning-failed-error-no-code": (lambda f: read(f, 1, NO_EXAMPLES)[1],
                                         lambda r: r.json()["error"]["code"] is None),
    "fine-tuning-cancel-ignored": (lambda f: call(f, "POST", f"/fine_tuning/jobs/{create(f).json()['id']}/cancel"),
                                   lambda r: r.json()["status"] != "cancelled"),
    "fine-tuning-pause-ignored": (paused, lambda r: r.json()["status"] != "paused"),
    "fine-tuning-events-out-of-order": (lambda f: succeeded(f, "/events"),
                                        lambda r: newest_is_not_first(r)),
    "fine-tuning-events-page-repeats": (events_after_first,
                                        lambda r: r.json()["data"][0]["id"] == r.request.url.params["after"]),
    "fine-tuning-checkpoint-other-job": (lambda f: succeeded(f, "/checkpoints"),
                                         lambda r: r.json()["data"][0]["fine_tuning_job_id"] == "ftjob-other"),
    "fine-tuning-model-changed": (create, lambda r: r.json()["model"] != "gpt-4o-mini"),
    "fine-tuning-hyperparameters-dropped": (
        lambda f: create(f, method={"type": "supervised", "supervised": {"hyperparameters": {"n_epochs": 2}}}),
        lambda r: r.json()["method"]["supervised"]["hyperparameters"]["n_epochs"] != 2,
    ),
    "fine-tuning-retrieve-created-shifted": (retrieved_as_created, lambda r: not r.json()["same"]),
    "fine-tuning-metadata-filter-ignored": (filtered, lambda r: r.json()["untagged listed"]),
    "fine-tuning-not-listed": (listed, lambda r: not r.json()["listed"]),
    "fine-tuning-after-ignored": (second_page, lambda r: r.json()["data"][0]["id"] == r.request.url.params["after"]),
    "fine-tuning-any-file-accepted": (lambda f: create(f, purpose="user_data"), lambda r: r.status_code == 200),
    "fine-tuning-bad-file-succeeds": (lambda f: ended(f, NO_EXAMPLES), lambda r: r.json()["status"] != "failed"),
    "fine-tuning-permission-project-wrong": (lambda f: shared(f, "proj_a")[1],
                                            lambda r: r.json()["data"][0]["project_id"] != "proj_a"),
    "fine-tuning-permission-filter-ignored": (permissions_of_a,
                                              lambda r: any(p["project_id"] != "proj_a" for p in r.json()["data"])),
    "fine-tuning-permission-not-deleted": (after_delete, lambda r: bool(r.json()["data"])),
    "fine-tuning-grader-string-check-out-of-range": (lambda f: run(f, CHECK), lambda r: r.json()["reward"] > 1),
    "fine-tuning-grader-similarity-not-one": (lambda f: run(f, SIMILAR), lambda r: r.json()["reward"] != 1),
    "fine-tuning-grader-model-out-of-range": (lambda f: run(f, SCORE), lambda r: r.json()["reward"] > 1),
    "fine-tuning-grader-multi-wrong": (lambda f: run(f, MULTI), lambda r: r.json()["reward"] != 0.5),
    "fine-tuning-grader-validate-renamed": (lambda f: validated(f, CHECK),
                                            lambda r: r.json()["grader"]["name"] != "same"),
    "fine-tuning-grader-invalid-accepted": (lambda f: validated(f, {**CHECK, "operation": "contains"}),
                                            lambda r: r.status_code == 200),
}  # fmt: skip
