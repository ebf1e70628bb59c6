"""The graders faults of the reference server, each as (request, what the fault breaks in its answer), for
tests/test_reference_server.py's FAULT_CASES: every fault must change what it says, and a clean server must not."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx

from tests._batch_faults import call
from tests._fine_tuning_faults import as_answer

GRADER = {"name": "t", "instructions": "Score 1 when the output answers the input.", "grading_model": "gpt-4o-mini"}
GRADED = {"input": "Capital of France?", "output": "Paris", "expected_output": "Paris"}

Faults = frozenset[str]
Request = Callable[[Faults], httpx.Response]
Violation = Callable[[httpx.Response], bool]


def create(faults: Faults, **over: Any) -> httpx.Response:
    return call(faults, "POST", "/graders", json={**GRADER, **over})


def a_grader(faults: Faults) -> str:
    return str(create(faults).json()["id"])


def retrieved(faults: Faults) -> httpx.Response:
    made = create(faults).json()
    got = call(faults, "GET", f"/graders/{made['id']}").json()
    return as_answer({"shift": got["created_at"] - made["created_at"]})


def deleted(faults: Faults) -> httpx.Response:
    path = f"/graders/{a_grader(faults)}"
    call(faults, "DELETE", path)
    return call(faults, "GET", path)


def listed(faults: Faults) -> httpx.Response:
    ident = a_grader(faults)
    return as_answer({"listed": ident in [g["id"] for g in call(faults, "GET", "/graders").json()["data"]]})


def graded(faults: Faults) -> httpx.Response:
    return call(faults, "POST", f"/graders/{a_grader(faults)}/grade", json=GRADED)


GRADERS_FAULT_CASES: dict[str, tuple[Request, Violation]] = {
    "graders-create-renamed": (create, lambda r: r.json()["name"] != "t"),
    "graders-keys-dropped": (create, lambda r: "grading_model" not in r.json()),
    "graders-retrieve-shifted": (retrieved, lambda r: r.json()["shift"] != 0),
    "graders-update-ignored": (lambda f: call(f, "POST", f"/graders/{a_grader(f)}", json={"name": "renamed"}),
                               lambda r: r.json()["name"] != "renamed"),
    "graders-delete-kept": (deleted, lambda r: r.status_code == 200),
    "graders-not-listed": (listed, lambda r: not r.json()["listed"]),
    "graders-unknown-200": (lambda f: call(f, "GET", "/graders/grader_never"), lambda r: r.status_code == 200),
    "graders-invalid-accepted": (lambda f: create(f, grading_model=42), lambda r: r.status_code == 200),
    "graders-grade-not-object": (graded, lambda r: not isinstance(r.json(), dict)),
    "graders-grade-no-score": (graded, lambda r: "score" not in r.json()),
}  # fmt: skip
