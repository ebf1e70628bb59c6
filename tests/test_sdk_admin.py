"""The official `openai` SDK drives every operation of the administration API (families organization and usage of
documented-operations.tsv: 51) against the reference server, with its admin key; a request that reaches the
server is recorded by an httpx hook, so the test proves which operations were sent, not which methods were called."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from conformance.reference import ServerConfig, serve

openai = pytest.importorskip("openai")

KEY, ADMIN_KEY = "sk-proj-sdk-" + os.urandom(8).hex(), "sk-admin-sdk-" + os.urandom(8).hex()
DOCUMENTED = Path(__file__).resolve().parents[1] / ".." / "shared" / "documented-operations.tsv"
START = 1_730_419_200
PEM = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"


def documented() -> set[tuple[str, str]]:
    rows = [line.split("\t") for line in DOCUMENTED.read_text(encoding="utf-8").splitlines()[1:]]
    return {(method, path) for method, path, feature, *_ in rows if feature in ("organization", "usage")}


def operation(method: str, path: str, templates: set[tuple[str, str]]) -> tuple[str, str] | None:
    for verb, template in templates:
        pattern = "^" + re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(template)) + "$"
        # A literal segment beats a parameter: /certificates/activate is not /certificates/{certificate_id}.
        if (
            verb == method
            and re.match(pattern, path)
            and not any(
                v == method
                and t != template
                and t.count("{") < template.count("{")
                and re.match("^" + re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(t)) + "$", path)
                for v, t in templates
            )
        ):
            return verb, template
    return None


@pytest.fixture(scope="module")
def sdk() -> Iterator[tuple[object, list[tuple[str, str, str]]]]:
    sent: list[tuple[str, str, str]] = []
    hook = {"request": [lambda r: sent.append((r.method, r.url.path, r.headers.get("authorization", "")))]}
    with (
        serve(ServerConfig(api_key=KEY, admin_key=ADMIN_KEY)) as server,
        openai.OpenAI(
            base_url=server.base_url,
            api_key=KEY,
            admin_api_key=ADMIN_KEY,
            max_retries=0,
            http_client=openai.DefaultHttpxClient(event_hooks=hook),
        ) as client,
    ):
        yield client, sent


@pytest.mark.skipif(not DOCUMENTED.is_file(), reason=f"no {DOCUMENTED}")
def test_the_sdk_drives_every_admin_operation(sdk) -> None:
    client, sent = sdk
    org = client.admin.organization
    # Reads: users, invites, projects and what is below them, certificates, admin keys, audit log, usage, costs.
    users = list(org.users.list())
    assert [u.object for u in users] == ["organization.user"] * 3 and users[0].role == "owner"
    assert org.users.retrieve(users[1].id).email == users[1].email
    invites = list(org.invites.list())
    assert org.invites.retrieve(invites[0].id).status == "pending"
    projects = list(org.projects.list())
    assert all(p.status == "active" for p in projects) and len(list(org.projects.list(include_archived=True))) == 3
    pid = projects[0].id
    assert org.projects.retrieve(pid).name == projects[0].name
    members = list(org.projects.users.list(pid))
    assert org.projects.users.retrieve(members[0].id, project_id=pid).role == members[0].role
    accounts = list(org.projects.service_accounts.list(pid))
    assert org.projects.service_accounts.retrieve(accounts[0].id, project_id=pid).name == accounts[0].name
    keys = list(org.projects.api_keys.list(pid))
    assert org.projects.api_keys.retrieve(keys[0].id, project_id=pid).redacted_value == keys[0].redacted_value
    limits = list(org.projects.rate_limits.list_rate_limits(pid))
    assert limits and limits[0].object == "project.rate_limit"
    assert [c.active for c in org.projects.certificates.list(pid)] == [False]
    certificates = list(org.certificates.list())
    assert certificates[0].active is True and org.certificates.retrieve(certificates[0].id).id == certificates[0].id
    admin_keys = list(org.admin_api_keys.list())
    assert org.admin_api_keys.retrieve(admin_keys[0].id).id == admin_keys[0].id
    logs = list(org.audit_logs.list(event_types=["project.created"], effective_at={"gte": START}))
    assert logs and {log.type for log in logs} == {"project.created"}
    for usage in (
        org.usage.completions,
        org.usage.embeddings,
        org.usage.moderations,
        org.usage.images,
        org.usage.audio_speeches,
        org.usage.audio_transcriptions,
        org.usage.vector_stores,
        org.usage.code_interpreter_sessions,
    ):
        page = usage(start_time=START, limit=2, group_by=["project_id"])
        assert page.has_more is False and len(page.data) == 2 and page.data[0].end_time == page.data[1].start_time
    costs = org.usage.costs(start_time=START, limit=3, end_time=START + 5 * 86_400, group_by=["line_item"])
    assert costs.has_more and costs.next_page and len(costs.data) == 3
    # Changes: on what this test makes, then the two that change what exists (users, the admin key made here).
    invite = org.invites.create(email="sdk@example.com", role="reader")
    assert org.invites.delete(invite.id).deleted is True
    project = org.projects.create(name="sdk")
    assert org.projects.update(project.id, name="sdk renamed").name == "sdk renamed"
    added = org.projects.users.create(project.id, user_id=users[1].id, role="member")
    assert org.projects.users.update(added.id, project_id=project.id, role="owner").role == "owner"
    assert org.projects.users.delete(added.id, project_id=project.id).deleted is True
    account = org.projects.service_accounts.create(project.id, name="sdk")
    assert account.api_key is not None and account.api_key.value
    assert org.projects.api_keys.delete(account.api_key.id, project_id=project.id).deleted is True
    assert org.projects.service_accounts.delete(account.id, project_id=project.id).deleted is True
    limit = next(iter(org.projects.rate_limits.list_rate_limits(project.id)))
    changed = org.projects.rate_limits.update_rate_limit(limit.id, project_id=project.id, max_requests_per_1_minute=7)
    assert changed.max_requests_per_1_minute == 7
    certificate = org.certificates.create(certificate=PEM, name="sdk")
    assert org.certificates.update(certificate.id, name="sdk renamed").name == "sdk renamed"
    assert [c.active for c in org.certificates.activate(certificate_ids=[certificate.id])] == [True]
    assert [c.active for c in org.certificates.deactivate(certificate_ids=[certificate.id])] == [False]
    assert [c.active for c in org.projects.certificates.activate(project.id, certificate_ids=[certificate.id])] == [
        True
    ]
    assert [c.active for c in org.projects.certificates.deactivate(project.id, certificate_ids=[certificate.id])] == [
        False
    ]
    assert org.certificates.delete(certificate.id).id == certificate.id
    assert org.projects.archive(project.id).status == "archived"
    made = org.admin_api_keys.create(name="sdk")
    assert made.value and made.value != ADMIN_KEY
    assert org.admin_api_keys.delete(made.id).deleted is True
    assert org.users.update(users[2].id, role="owner").role == "owner"
    assert org.users.delete(users[2].id).deleted is True
    with pytest.raises(openai.NotFoundError):
        org.users.retrieve(users[2].id)

    templates = {(m, p.removeprefix("/v1")) for m, p in documented()}
    reached = {operation(method, path.removeprefix("/v1"), templates) for method, path, _ in sent}
    assert templates - reached == set(), sorted(templates - reached)
    assert len(templates) == 51
    assert all(auth == f"Bearer {ADMIN_KEY}" for _, path, auth in sent if "/organization" in path)


def test_the_sdk_sees_the_key_refused(sdk) -> None:
    client, _ = sdk
    with pytest.raises(openai.PermissionDeniedError, match="insufficient permissions"):
        client.with_options(admin_api_key=KEY).admin.organization.users.list()
    with pytest.raises(openai.AuthenticationError):
        client.with_options(api_key=ADMIN_KEY).models.list()
