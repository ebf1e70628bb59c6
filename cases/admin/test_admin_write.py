"""What changes the organization (feature admin.write, claimed only by name): each case creates its own objects,
changes only those, and removes or archives them before it ends; the ledger ends what an interrupted case left.
Pre-existing users, projects and keys are only read: a user is added to the run's own project and removed from it.

What a write run does, in order (its three cases: `pytest cases/admin/test_admin_write.py --collect-only -q`):
- invites: create one for oai-conformance-<random>@example.com (reader), retrieve it, delete it;
- a project "oai-conformance <random>": create, rename, change one rate limit, add a user of the organization as a
  member then owner and remove them, create a service account, retrieve it, delete its key, delete it; archive the
  project (projects cannot be deleted);
- a certificate: upload, activate, deactivate, rename, delete.
"""

import secrets

import pytest

from conformance.case import Lifecycle, requirement

PEM = """-----BEGIN CERTIFICATE-----
MIIBszCCAVmgAwIBAgIUTrJ3QfP1kQm2s0aI9oT7xY7l0wEwCgYIKoZIzj0EAwIw
LzEtMCsGA1UEAwwkb2FpLWNvbmZvcm1hbmNlIHRlc3QgY2VydGlmaWNhdGUgKENB
KTAeFw0yNTAxMDEwMDAwMDBaFw0zNTAxMDEwMDAwMDBaMC8xLTArBgNVBAMMJG9h
aS1jb25mb3JtYW5jZSB0ZXN0IGNlcnRpZmljYXRlIChDQSkwWTATBgcqhkjOPQIB
BggqhkjOPQMBBwNCAAQx3GkZ1nXy0c4bq8m7mFjK9w2x0ZsR2oJd0m1h7C9gYv2s
-----END CERTIFICATE-----
"""


def made_id(exchange):
    body = exchange.response.json if exchange.response is not None and exchange.response.status == 200 else None
    ident = body.get("id") if isinstance(body, dict) else None
    return ident if isinstance(ident, str) and ident else None


def refused(exchange, what):
    """A creation the server refused leaves nothing to judge after it: skip with its answer."""
    if made_id(exchange) is None:
        status = exchange.response.status if exchange.response is not None else exchange.error
        pytest.skip(f"the server did not create the {what} ({status}): nothing to change")


@requirement("admin.write.invite-life")
def test_invite_life(oai_client, oai_judge):
    email = f"oai-conformance-{secrets.token_hex(4)}@example.com"
    made = oai_client.request("POST", "/organization/invites", json={"email": email, "role": "reader"})
    refused(made, "invite")
    path = f"/organization/invites/{made_id(made)}"
    steps = (
        ("retrieve", oai_client.request("GET", path)),
        ("delete", oai_client.request("DELETE", path)),
        ("retrieve-deleted", oai_client.request("GET", path)),
    )
    oai_judge(Lifecycle(made, steps), "admin.write.invite-life")


def first_id(exchange, keep=lambda item: True):
    body = exchange.response.json if exchange.response is not None and exchange.response.status == 200 else None
    data = body.get("data") if isinstance(body, dict) else None
    return next((i["id"] for i in data or [] if isinstance(i, dict) and isinstance(i.get("id"), str) and keep(i)), None)


PROJECT = (
    "admin.write.project-life",
    "admin.write.rate-limit",
    "admin.write.members",
    "admin.write.service-account-life",
    "admin.write.api-key-delete",
)


@requirement(*PROJECT)
def test_project_life(oai_client, oai_judge):
    name = f"oai-conformance {secrets.token_hex(4)}"
    made = oai_client.request("POST", "/organization/projects", json={"name": name})
    refused(made, "project")
    path = f"/organization/projects/{made_id(made)}"
    try:
        modified = oai_client.request("POST", path, json={"name": f"{name} renamed"})
        retrieved = oai_client.request("GET", path)
        # A rate limit of the run's own project.
        limits = oai_client.request("GET", f"{path}/rate_limits")
        if limit_id := first_id(limits):
            changed = oai_client.request(
                "POST", f"{path}/rate_limits/{limit_id}", json={"max_requests_per_1_minute": 7}
            )
            listed = oai_client.request("GET", f"{path}/rate_limits")
            oai_judge(Lifecycle(limits, (("modify", changed), ("list", listed))), "admin.write.rate-limit")
        # A user of the organization, a member of the run's project for the length of the case.
        present = {first_id(oai_client.request("GET", f"{path}/users"))}
        user_id = first_id(oai_client.request("GET", "/organization/users"), lambda u: u["id"] not in present)
        if user_id:
            added = oai_client.request("POST", f"{path}/users", json={"user_id": user_id, "role": "member"})
            if made_id(added):
                member = f"{path}/users/{user_id}"
                steps = (
                    ("modify", oai_client.request("POST", member, json={"role": "owner"})),
                    ("retrieve", oai_client.request("GET", member)),
                    ("remove", oai_client.request("DELETE", member)),
                    ("retrieve-removed", oai_client.request("GET", member)),
                )
                oai_judge(Lifecycle(added, steps), "admin.write.members")
        account = oai_client.request("POST", f"{path}/service_accounts", json={"name": "oai-conformance"})
        if account_id := made_id(account):
            key = account.response.json.get("api_key") if isinstance(account.response.json, dict) else None
            key_id = key.get("id") if isinstance(key, dict) else None
            at = f"{path}/service_accounts/{account_id}"
            steps = [("retrieve", oai_client.request("GET", at))]
            if isinstance(key_id, str):
                steps += [
                    ("delete-key", oai_client.request("DELETE", f"{path}/api_keys/{key_id}")),
                    ("list-keys", oai_client.request("GET", f"{path}/api_keys")),
                ]
            steps += [("delete", oai_client.request("DELETE", at)), ("retrieve-deleted", oai_client.request("GET", at))]
            life = Lifecycle(account, tuple(steps))
            oai_judge(life, "admin.write.service-account-life", "admin.write.api-key-delete")
    finally:
        archived = oai_client.request("POST", f"{path}/archive")
    steps = (("modify", modified), ("retrieve", retrieved), ("archive", archived))
    oai_judge(Lifecycle(made, steps), "admin.write.project-life")


@requirement("admin.write.certificate-life")
def test_certificate_life(oai_client, oai_judge):
    made = oai_client.request(
        "POST", "/organization/certificates", json={"certificate": PEM, "name": "oai-conformance"}
    )
    refused(made, "certificate")
    cert_id = made_id(made)
    path = f"/organization/certificates/{cert_id}"
    steps = (
        ("listed", oai_client.request("GET", "/organization/certificates", params={"limit": 100})),
        (
            "activate",
            oai_client.request("POST", "/organization/certificates/activate", json={"certificate_ids": [cert_id]}),
        ),
        (
            "deactivate",
            oai_client.request("POST", "/organization/certificates/deactivate", json={"certificate_ids": [cert_id]}),
        ),
        ("rename", oai_client.request("POST", path, json={"name": "oai-conformance renamed"})),
        ("delete", oai_client.request("DELETE", path)),
        ("retrieve-deleted", oai_client.request("GET", path)),
    )
    oai_judge(Lifecycle(made, steps), "admin.write.certificate-life")
