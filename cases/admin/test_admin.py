"""The administration API, read only: every list of the organization and one object of each retrieved, the pages
of the users list, and the keys refused where they do not belong.

Everything here reads (GET) with the admin key; the objects retrieved are found by listing, never made. The
project key is sent once to an admin route and the admin key once to GET /models, each to be refused.
"""

from conformance.case import requirement
from conformance.checks.admin import AdminReads, AdminWalk, Read
from conformance.pagination import walk_pages

READS = (
    "admin.list.shape",
    "admin.retrieve.same",
    "admin.keys.redacted",
    "admin.auth.project-key",
    "admin.auth.admin-key-elsewhere",
    "admin.auth.key-never-echoed",
)
PAGES = ("admin.pages.limit", "admin.pages.after-continues")
# (list path, its schema, the retrieve path of one item or None); {project_id} is the first active project's.
LISTS = (
    ("/organization/users", "organization.user.list", "/organization/users/{id}"),
    ("/organization/invites", "organization.invite.list", "/organization/invites/{id}"),
    ("/organization/certificates", "organization.certificate.list", "/organization/certificates/{id}"),
    ("/organization/admin_api_keys", "organization.admin_api_key.list", "/organization/admin_api_keys/{id}"),
    (
        "/organization/projects/{project_id}/users",
        "organization.project.user.list",
        "/organization/projects/{project_id}/users/{id}",
    ),
    (
        "/organization/projects/{project_id}/service_accounts",
        "organization.project.service_account.list",
        "/organization/projects/{project_id}/service_accounts/{id}",
    ),
    (
        "/organization/projects/{project_id}/api_keys",
        "organization.project.api_key.list",
        "/organization/projects/{project_id}/api_keys/{id}",
    ),
    ("/organization/projects/{project_id}/rate_limits", "organization.project.rate_limit.list", None),
    ("/organization/projects/{project_id}/certificates", "organization.certificate.list", None),
)


def first_id(exchange, active_only=False):
    body = exchange.response.json if exchange.response is not None and exchange.response.status == 200 else None
    data = body.get("data") if isinstance(body, dict) else None
    for item in data if isinstance(data, list) else []:
        named = isinstance(item, dict) and isinstance(item.get("id"), str)
        if named and (not active_only or item.get("status") == "active"):
            return item["id"]
    return None


def read(oai_client, path, schema, item_path):
    listed = oai_client.request("GET", path)
    ident = first_id(listed)
    retrieved = oai_client.request("GET", item_path.format(id=ident)) if item_path and ident else None
    return Read(path, schema, listed, retrieved)


@requirement(*READS)
def test_admin_reads(oai_client, oai_judge):
    projects = oai_client.request("GET", "/organization/projects")
    project_id = first_id(projects, active_only=True)
    retrieved = oai_client.request("GET", f"/organization/projects/{project_id}") if project_id else None
    reads = [Read("/organization/projects", "organization.project.list", projects, retrieved)]
    for path, schema, item_path in LISTS:
        if "{project_id}" in path and not project_id:
            continue
        reads.append(
            read(
                oai_client,
                path.replace("{project_id}", project_id or ""),
                schema,
                item_path.replace("{project_id}", project_id or "") if item_path else None,
            )
        )
    project_key = oai_client.request("GET", "/organization/users", admin=False)
    admin_key = oai_client.request("GET", "/models", admin=True)
    oai_judge(AdminReads(tuple(reads), project_key, admin_key), *READS)


@requirement(*PAGES)
def test_admin_list_pages(oai_client, oai_judge):
    # One user a page: an organization has at least one, and the reference three.
    oai_judge(AdminWalk(walk_pages(oai_client, "/organization/users", 1, order=None, most=6), 1), *PAGES)
