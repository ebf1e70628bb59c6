"""The administration API faults of the reference server, each as (request, what the fault breaks in its answer),
for tests/test_reference_server.py's FAULT_CASES: every fault must change what it says, and a clean server must not.
The requests go to an in-process app that takes KEY on project routes and ADMIN_KEY on admin routes."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx

from tests._reference_calls import call_reference, reference_app

KEY, ADMIN_KEY = "sk-test-admin-project-0123456789", "sk-test-admin-0123456789abcdef"
START = 1_730_419_200
DAY = 86_400

Faults = frozenset[str]
Request = Callable[[Faults], httpx.Response]
Violation = Callable[[httpx.Response], bool]


def _app(faults: Faults) -> Any:
    return reference_app(faults, KEY, ADMIN_KEY)


def call(faults: Faults, method: str, path: str, key: str = ADMIN_KEY, **kwargs: Any) -> httpx.Response:
    return call_reference(_app(faults), method, path, {"Authorization": f"Bearer {key}"}, **kwargs)


def usage(**params: Any) -> Request:
    query = {"start_time": START, "end_time": START + 5 * DAY, "limit": 2, **params}
    return lambda faults: call(faults, "GET", "/organization/usage/completions", params=query)


def starts(response: httpx.Response) -> list[int]:
    return [b["start_time"] for b in response.json()["data"]]


def second_users_page(faults: Faults) -> httpx.Response:
    return call(faults, "GET", "/organization/users", params={"limit": 1, "after": "user_ref_owner"})


def archived(faults: Faults) -> httpx.Response:
    made = call(faults, "POST", "/organization/projects", json={"name": "faults"}).json()
    return call(faults, "POST", f"/organization/projects/{made['id']}/archive")


def results(response: httpx.Response) -> list[dict[str, Any]]:
    return [r for b in response.json()["data"] for r in b["results"]]


ADMIN_FAULT_CASES: dict[str, tuple[Request, Violation]] = {
    "admin-project-key-accepted": (
        lambda faults: call(faults, "GET", "/organization/users", key=KEY),
        lambda r: r.status_code == 200,
    ),
    "admin-echo-key": (lambda faults: call(faults, "GET", "/organization/users"), lambda r: ADMIN_KEY in r.text),
    "admin-cursor-repeats": (second_users_page, lambda r: r.json()["data"][0]["id"] == "user_ref_owner"),
    "admin-audit-filter-ignored": (
        lambda faults: call(faults, "GET", "/organization/audit_logs", params={"event_types[]": "user.added"}),
        lambda r: {e["type"] for e in r.json()["data"]} != {"user.added"},
    ),
    "admin-buckets-unordered": (usage(), lambda r: starts(r) != sorted(starts(r))),
    "admin-buckets-gap": (usage(), lambda r: any(b["end_time"] - b["start_time"] != DAY for b in r.json()["data"])),
    "admin-page-repeats": (usage(), lambda r: r.json()["next_page"] == f"page_{START}"),
    "admin-group-by-ignored": (usage(group_by=["model"]), lambda r: any(x["model"] is None for x in results(r))),
    "admin-usage-negative": (usage(), lambda r: any(x["num_model_requests"] < 0 for x in results(r))),
    "admin-result-outside-bucket": (usage(), lambda r: any("start_time" in x for x in results(r))),
    "admin-limit-ignored": (usage(), lambda r: len(r.json()["data"]) > 2),
    "admin-archive-ignored": (archived, lambda r: r.json()["status"] != "archived"),
}
