"""Every administration rule can fail, and says why: one violating subject per rule, and its valid twin.

The valid subjects are what the cases would judge, read from a reference server through the suite's client (its
organization, audit log and usage are fixed); each row breaks one answer of its subject and names a text the
message must hold. The seeds' example answers (the audit log and the costs of seed 003) are accepted.
"""

from __future__ import annotations

import copy
import dataclasses
import json
import os
import time
from collections.abc import Callable, Iterator
from typing import Any, NamedTuple

import pytest

from conformance.checks._lifecycle import Lifecycle
from conformance.checks.admin import AdminReads, AdminWalk, AuditQuery, Read, UsagePages, named_ids
from conformance.client import Client
from conformance.exchange import REDACTED, Exchange
from conformance.judgement import Status, judge
from conformance.pagination import walk_pages
from conformance.reference import ServerConfig, serve
from conformance.requirements import Level, catalogue
from conformance.schemas import validate
from conformance.target import Target
from tests.test_violations import Http

KEY, ADMIN_KEY = "sk-proj-violations-" + os.urandom(6).hex(), "sk-admin-violations-" + os.urandom(6).hex()
DAY = 86_400
CLAIMS = frozenset({"admin", "admin.write"})  # admin.write is claimed only by name
PEM = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"


def first_id(exchange: Exchange) -> str:
    return exchange.response.json["data"][0]["id"]  # type: ignore[union-attr]


def follow(client: Client, path: str, params: dict[str, Any]) -> UsagePages:
    pages = [client.request("GET", path, params=params)]
    while (cursor := pages[-1].response.json.get("next_page")) and len(pages) < 4:  # type: ignore[union-attr]
        pages.append(client.request("GET", path, params={**params, "page": cursor}))
    return UsagePages(tuple(pages))


def build(client: Client) -> dict[str, Any]:
    """The valid subjects, as the cases make them."""
    get = client.request
    project = get("GET", "/organization/projects")
    pid = first_id(project)
    reads = [
        Read(
            "/organization/projects", "organization.project.list", project, get("GET", f"/organization/projects/{pid}")
        )
    ]
    for path, schema in (
        ("/organization/users", "organization.user.list"),
        ("/organization/admin_api_keys", "organization.admin_api_key.list"),
        (f"/organization/projects/{pid}/api_keys", "organization.project.api_key.list"),
    ):
        listed = get("GET", path)
        reads.append(Read(path, schema, listed, get("GET", f"{path}/{first_id(listed)}")))
    subjects: dict[str, Any] = {
        "reads": AdminReads(
            tuple(reads), get("GET", "/organization/users", admin=False), get("GET", "/models", admin=True)
        ),
        "walk": AdminWalk(walk_pages(client, "/organization/users", 1, order=None), 1),
        "audit": AdminWalk(walk_pages(client, "/organization/audit_logs", 2, order=None, most=6), 2),
    }
    logs = get("GET", "/organization/audit_logs", params={"limit": 10}).response.json["data"]  # type: ignore[union-attr]
    audit = "/organization/audit_logs"
    subjects["types"] = AuditQuery(get("GET", audit, params={"event_types[]": logs[0]["type"]}))
    times = sorted(e["effective_at"] for e in logs)
    subjects["range"] = AuditQuery(
        get("GET", audit, params={"effective_at[gte]": times[0], "effective_at[lt]": times[-1]})
    )
    actor = sorted(named_ids(logs[0])["actor_ids"])[0]
    subjects["actors"] = AuditQuery(get("GET", audit, params={"actor_ids[]": actor}))
    start = int(time.time()) // DAY * DAY - 5 * DAY
    window = {"start_time": start, "end_time": start + 5 * DAY, "limit": 2}
    subjects["usage"] = follow(client, "/organization/usage/completions", {**window, "group_by": ["project_id"]})
    subjects["costs"] = follow(client, "/organization/costs", {**window, "group_by": ["project_id", "line_item"]})
    subjects.update(write_lives(client))
    return subjects


def write_lives(client: Client) -> dict[str, Lifecycle]:
    get = client.request
    invite = get("POST", "/organization/invites", json={"email": "someone@example.com", "role": "reader"})
    at = f"/organization/invites/{invite.response.json['id']}"  # type: ignore[union-attr]
    lives = {
        "invite": Lifecycle(
            invite, (("retrieve", get("GET", at)), ("delete", get("DELETE", at)), ("retrieve-deleted", get("GET", at)))
        )
    }
    project = get("POST", "/organization/projects", json={"name": "violations"})
    path = f"/organization/projects/{project.response.json['id']}"  # type: ignore[union-attr]
    modified = get("POST", path, json={"name": "violations renamed"})
    retrieved = get("GET", path)
    limits = get("GET", f"{path}/rate_limits")
    changed = get("POST", f"{path}/rate_limits/{first_id(limits)}", json={"max_requests_per_1_minute": 7})
    lives["rate"] = Lifecycle(limits, (("modify", changed), ("list", get("GET", f"{path}/rate_limits"))))
    added = get("POST", f"{path}/users", json={"user_id": "user_ref_reader", "role": "member"})
    member = f"{path}/users/user_ref_reader"
    lives["members"] = Lifecycle(
        added,
        (
            ("modify", get("POST", member, json={"role": "owner"})),
            ("retrieve", get("GET", member)),
            ("remove", get("DELETE", member)),
            ("retrieve-removed", get("GET", member)),
        ),
    )
    account = get("POST", f"{path}/service_accounts", json={"name": "violations"})
    body = account.response.json  # type: ignore[union-attr]
    at = f"{path}/service_accounts/{body['id']}"
    lives["account"] = Lifecycle(
        account,
        (
            ("retrieve", get("GET", at)),
            ("delete-key", get("DELETE", f"{path}/api_keys/{body['api_key']['id']}")),
            ("list-keys", get("GET", f"{path}/api_keys")),
            ("delete", get("DELETE", at)),
            ("retrieve-deleted", get("GET", at)),
        ),
    )
    lives["project"] = Lifecycle(
        project, (("modify", modified), ("retrieve", retrieved), ("archive", get("POST", f"{path}/archive")))
    )
    cert = get("POST", "/organization/certificates", json={"certificate": PEM, "name": "violations"})
    cid = cert.response.json["id"]  # type: ignore[union-attr]
    toggle = {"certificate_ids": [cid]}
    at = f"/organization/certificates/{cid}"
    lives["certificate"] = Lifecycle(
        cert,
        (
            ("listed", get("GET", "/organization/certificates")),
            ("activate", get("POST", "/organization/certificates/activate", json=toggle)),
            ("deactivate", get("POST", "/organization/certificates/deactivate", json=toggle)),
            ("rename", get("POST", at, json={"name": "renamed"})),
            ("delete", get("DELETE", at)),
            ("retrieve-deleted", get("GET", at)),
        ),
    )
    return lives


@pytest.fixture(scope="module")
def good(monkeypatch_module: pytest.MonkeyPatch) -> Iterator[dict[str, Any]]:
    monkeypatch_module.setenv("OAI_TEST_VIOLATIONS_KEY", KEY)
    monkeypatch_module.setenv("OAI_TEST_VIOLATIONS_ADMIN_KEY", ADMIN_KEY)
    with serve(ServerConfig(api_key=KEY, admin_key=ADMIN_KEY)) as server:
        target = Target(
            base_url=server.base_url,
            api_key_env="OAI_TEST_VIOLATIONS_KEY",
            admin_key_env="OAI_TEST_VIOLATIONS_ADMIN_KEY",
        )
        with Client(target) as client:  # type: ignore[arg-type]
            yield build(client)


@pytest.fixture(scope="module")
def monkeypatch_module() -> Iterator[pytest.MonkeyPatch]:
    with pytest.MonkeyPatch.context() as patch:
        yield patch


# --- mutations: each returns a new subject with one answer changed ------------------------------------------------


def edit(exchange: Exchange, change: Callable[[Any], Any], status: int | None = None) -> Exchange:
    assert exchange.response is not None
    body = copy.deepcopy(exchange.response.json)
    body = change(body) or body
    response = dataclasses.replace(
        exchange.response, body=json.dumps(body).encode(), status=exchange.response.status if status is None else status
    )
    return dataclasses.replace(exchange, response=response)


def in_read(n: int, which: str, change: Callable[[Any], Any]) -> Callable[[AdminReads], AdminReads]:
    def mutate(subject: AdminReads) -> AdminReads:
        reads = list(subject.reads)
        reads[n] = dataclasses.replace(reads[n], **{which: edit(getattr(reads[n], which), change)})
        return dataclasses.replace(subject, reads=tuple(reads))

    return mutate


def probe(which: str) -> Callable[[AdminReads], AdminReads]:
    """The probe answered 200 with a list, as a server that takes the wrong key would."""
    return lambda s: dataclasses.replace(
        s, **{which: edit(getattr(s, which), lambda b: {"object": "list", "data": []}, status=200)}
    )


def page(n: int, change: Callable[[Any], Any]) -> Callable[[Any], Any]:
    def mutate(subject: Any) -> Any:
        name = "pages" if isinstance(subject, AdminWalk) else "exchanges"
        pages = list(getattr(subject, name))
        pages[n] = edit(pages[n], change)
        return dataclasses.replace(subject, **{name: tuple(pages)})

    return mutate


def copy_page(source: int, target: int) -> Callable[[Any], Any]:
    def mutate(subject: Any) -> Any:
        name = "pages" if isinstance(subject, AdminWalk) else "exchanges"
        pages = list(getattr(subject, name))
        data = pages[source].response.json["data"]
        pages[target] = edit(pages[target], lambda b: {**b, "data": copy.deepcopy(data)})
        return dataclasses.replace(subject, **{name: tuple(pages)})

    return mutate


def repeat_page(subject: UsagePages) -> UsagePages:
    """The last page asked again with the cursor of the one before: a cursor that repeats a page."""
    pages = list(subject.exchanges)
    pages.append(dataclasses.replace(pages[-2], index=99))
    return UsagePages(tuple(pages))


def query(change: Callable[[Any], Any]) -> Callable[[AuditQuery], AuditQuery]:
    return lambda q: AuditQuery(edit(q.exchange, change))


def step(name: str, change: Callable[[Any], Any]) -> Callable[[Lifecycle], Lifecycle]:
    def mutate(life: Lifecycle) -> Lifecycle:
        steps = tuple((what, edit(e, change) if what == name else e) for what, e in life.steps)
        return Lifecycle(life.created, steps)

    return mutate


def created(change: Callable[[Any], Any]) -> Callable[[Lifecycle], Lifecycle]:
    return lambda life: Lifecycle(edit(life.created, change), life.steps)


def bucket(change: Callable[[dict[str, Any]], Any], n: int = 0) -> Callable[[Any], Any]:
    return lambda body: change(body["data"][n])


def result(change: Callable[[dict[str, Any]], Any]) -> Callable[[Any], Any]:
    return bucket(lambda b: change(b["results"][0]))


def timed(inside: bool) -> Callable[[UsagePages], UsagePages]:
    """Each result given times of its own: its bucket's (inside), or the day before (outside)."""

    def stamp(body: Any) -> None:
        for b in body["data"]:
            for r in b["results"]:
                r["start_time"], r["end_time"] = (
                    (b["start_time"], b["end_time"]) if inside else (b["start_time"] - DAY, b["start_time"])
                )

    return lambda s: page(0, stamp)(s)


class Row(NamedTuple):
    rid: str
    subject: str
    mutate: Callable[[Any], Any]
    shows: str
    prepare: Callable[[Any], Any] = lambda s: s  # what makes the valid twin judgeable (results with times)


def set_key(key: str, value: Any) -> Callable[[dict[str, Any]], None]:
    return lambda d: d.__setitem__(key, value)


ROWS = [
    Row(
        "admin.list.shape",
        "reads",
        in_read(1, "listed", lambda b: set_key("id", 5)(b["data"][0])),
        "organization.user.list",
    ),
    Row("admin.retrieve.same", "reads", in_read(1, "retrieved", set_key("id", "user_other")), "user_other"),
    Row("admin.retrieve.same", "reads", in_read(1, "retrieved", set_key("email", "else@example.com")), "else@"),
    Row(
        "admin.keys.redacted",
        "reads",
        in_read(2, "listed", lambda b: set_key("value", "sk-admin-shown")(b["data"][0])),
        "`value`",
    ),
    Row("admin.auth.project-key", "reads", probe("project_key"), "401 or 403"),
    Row("admin.auth.admin-key-elsewhere", "reads", probe("admin_key_elsewhere"), "401 or 403"),
    Row(
        "admin.auth.key-never-echoed",
        "reads",
        in_read(1, "listed", set_key("requested_with", REDACTED)),
        "never contains",
    ),
    Row(
        "admin.pages.limit", "walk", page(0, lambda b: b["data"].append(copy.deepcopy(b["data"][0]))), "at most limit 1"
    ),
    Row("admin.pages.after-continues", "walk", copy_page(0, 1), "already on page 1"),
    Row(
        "admin.audit-logs.shape",
        "audit",
        page(0, lambda b: set_key("effective_at", "today")(b["data"][0])),
        "organization.audit_log.list",
    ),
    Row("admin.audit-logs.pages", "audit", copy_page(0, 1), "already on page 1"),
    Row(
        "admin.audit-logs.event-types",
        "types",
        query(lambda b: set_key("type", "other.type")(b["data"][0])),
        "other.type",
    ),
    Row(
        "admin.audit-logs.effective-at",
        "range",
        query(lambda b: set_key("effective_at", 3)(b["data"][0])),
        "effective_at 3",
    ),
    Row(
        "admin.audit-logs.ids",
        "actors",
        query(
            lambda b: b["data"][0].__setitem__(
                "actor", {"type": "session", "session": {"user": {"id": "user_stranger"}}}
            )
        ),
        "user_stranger",
    ),
    Row("admin.usage.shape", "usage", page(0, bucket(set_key("start_time", "monday"))), "organization.usage.page"),
    Row("admin.usage.buckets-ordered", "usage", page(0, lambda b: b["data"].reverse()), "oldest first"),
    Row(
        "admin.usage.buckets-contiguous",
        "usage",
        page(0, bucket(lambda b: set_key("end_time", b["end_time"] - 1)(b))),
        "bucket_width",
    ),
    Row(
        "admin.usage.in-range",
        "costs",
        page(0, bucket(lambda b: b.update(start_time=b["start_time"] - 9 * DAY, end_time=b["start_time"] - 8 * DAY))),
        "range asked",
    ),
    Row("admin.usage.result-in-bucket", "usage", timed(False), "inside its bucket", timed(True)),
    Row("admin.usage.group-by", "usage", page(0, result(set_key("project_id", None))), "as group_by asked"),
    Row("admin.usage.non-negative", "costs", page(0, result(lambda r: r["amount"].__setitem__("value", -0.5))), "-0.5"),
    Row(
        "admin.usage.limit",
        "usage",
        page(0, lambda b: b["data"].append(copy.deepcopy(b["data"][-1]))),
        "at most limit 2",
    ),
    Row("admin.usage.next-page", "usage", repeat_page, "again"),
    Row("admin.write.invite-life", "invite", created(set_key("status", "accepted")), "pending"),
    Row("admin.write.project-life", "project", step("archive", set_key("status", "active")), "archived"),
    Row("admin.write.members", "members", step("modify", set_key("role", "member")), "role"),
    Row("admin.write.service-account-life", "account", created(lambda b: b["api_key"].pop("value") and None), "value"),
    Row("admin.write.api-key-delete", "account", lambda life: life, "still listed"),  # see fix_key_row
    Row("admin.write.rate-limit", "rate", step("modify", set_key("max_requests_per_1_minute", 500)), "as sent"),
    Row(
        "admin.write.certificate-life",
        "certificate",
        step("activate", lambda b: set_key("active", False)(b["data"][0])),
        "after the activate step",
    ),
]


def test_every_admin_rule_has_a_row() -> None:
    assert sorted({r.rid for r in ROWS}) == sorted(rid for rid in catalogue() if rid.startswith("admin."))


def fix_key_row(row: Row, subject: Any) -> Row:
    """The api-key-delete row lists the service account's own key again: its id is known only now."""
    if row.rid != "admin.write.api-key-delete":
        return row
    key_id = subject.created.response.json["api_key"]["id"]
    return row._replace(mutate=step("list-keys", lambda b: b["data"].append({"id": key_id, "object": "x"})))


@pytest.mark.parametrize("row", ROWS, ids=[f"{r.rid}-{r.shows}" for r in ROWS])
def test_the_rule_fails_on_its_violation_and_passes_its_twin(row: Row, good: dict[str, Any]) -> None:
    valid = row.prepare(good[row.subject])
    row = fix_key_row(row, valid)
    [passed] = judge(valid, [row.rid], claims=CLAIMS)
    assert passed.status is Status.PASS, (passed.status, passed.reason, [str(f) for f in passed.failures])
    [failed] = judge(row.mutate(valid), [row.rid], claims=CLAIMS)
    wanted = Status.FAIL if catalogue()[row.rid].level is Level.MUST else Status.WARN
    assert failed.status is wanted, (failed.status, failed.reason)
    messages = " | ".join(f.message for f in failed.failures)
    assert row.shows in messages and "Received:" in messages, messages


# --- the seeds' examples -------------------------------------------------------------------------------------------

AUDIT_EXAMPLE = {  # seed 003, List Audit Logs Response
    "object": "list",
    "data": [
        {
            "id": "audit_log_abc123",
            "type": "project.created",
            "effective_at": 1699564176,
            "actor": {"type": "user", "user": {"id": "user_abc123", "email": "admin@company.com"}},
            "resource_id": "proj_def456",
            "details": {"name": "Customer Support Project"},
        }
    ],
    "first_id": "audit_log_abc123",
    "last_id": "audit_log_xyz789",
    "has_more": False,
}
COSTS_EXAMPLE = {  # seed 003, Get Costs Response
    "object": "list",
    "data": [
        {
            "start_time": 1699564176,
            "end_time": 1699650576,
            "cost_usd": 125.50,
            "results": [
                {"project_id": "proj_abc123", "line_item": "gpt-4-turbo", "cost_usd": 87.25},
                {"project_id": "proj_def456", "line_item": "gpt-3.5-turbo", "cost_usd": 38.25},
            ],
        }
    ],
    "has_more": False,
    "next_page": None,
}


def test_the_seeds_examples_are_accepted() -> None:
    assert validate("organization.audit_log.list", AUDIT_EXAMPLE) == []
    assert validate("organization.usage.page", COSTS_EXAMPLE) == []
    audit = Http(
        None,
        AUDIT_EXAMPLE,
        path="/organization/audit_logs?event_types[]=project.created&resource_ids[]=proj_def456",
        method="GET",
    ).subject()
    for rid in ("admin.audit-logs.event-types", "admin.audit-logs.ids"):
        [seen] = judge(AuditQuery(audit), [rid])
        assert seen.status is Status.PASS, (rid, [str(f) for f in seen.failures])
    [seen] = judge(AdminWalk((audit,), 20), ["admin.audit-logs.shape"])
    assert seen.status is Status.PASS
    costs = Http(
        None,
        COSTS_EXAMPLE,
        method="GET",
        path="/organization/costs?start_time=1699564176&end_time=1700168976&bucket_width=1d"
        "&group_by[]=project_id&group_by[]=line_item",
    ).subject()
    for rid in (
        "admin.usage.shape",
        "admin.usage.buckets-ordered",
        "admin.usage.buckets-contiguous",
        "admin.usage.in-range",
        "admin.usage.group-by",
        "admin.usage.non-negative",
    ):
        [seen] = judge(UsagePages((costs,)), [rid])
        assert seen.status is Status.PASS, (rid, [str(f) for f in seen.failures])
