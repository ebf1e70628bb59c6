"""The audit log, read only: its pages followed by `after`, and each filter asked with values the log itself
showed (a type, a time range, an actor, a project, a resource of its first events), so that a filter has
something to keep and something to leave out."""

from conformance.case import requirement
from conformance.checks.admin import AdminWalk, AuditQuery, named_ids
from conformance.pagination import walk_pages

PAGES = ("admin.audit-logs.shape", "admin.audit-logs.pages")
FILTERS = ("admin.audit-logs.event-types", "admin.audit-logs.effective-at", "admin.audit-logs.ids")
PATH = "/organization/audit_logs"


def events(exchange):
    body = exchange.response.json if exchange.response is not None and exchange.response.status == 200 else None
    data = body.get("data") if isinstance(body, dict) else None
    return [e for e in data if isinstance(e, dict)] if isinstance(data, list) else []


@requirement(*PAGES)
def test_audit_log_pages(oai_client, oai_judge):
    oai_judge(AdminWalk(walk_pages(oai_client, PATH, 2, order=None, most=6), 2), *PAGES)


@requirement(*FILTERS)
def test_audit_log_filters(oai_client, oai_judge):
    recent = events(oai_client.request("GET", PATH, params={"limit": 10}))
    times = sorted(e["effective_at"] for e in recent if isinstance(e.get("effective_at"), int))
    if types := [e["type"] for e in recent if isinstance(e.get("type"), str)]:
        asked = oai_client.request("GET", PATH, params={"event_types[]": types[-1], "limit": 10})
        oai_judge(AuditQuery(asked), "admin.audit-logs.event-types")
    if len(times) >= 2:
        bounds = {"effective_at[gte]": times[0], "effective_at[lt]": times[-1], "limit": 10}
        oai_judge(AuditQuery(oai_client.request("GET", PATH, params=bounds)), "admin.audit-logs.effective-at")
        bounds = {"effective_at[gt]": times[0], "effective_at[lte]": times[-1], "limit": 10}
        oai_judge(AuditQuery(oai_client.request("GET", PATH, params=bounds)), "admin.audit-logs.effective-at")
    named = named_ids(recent[0]) if recent else {}
    for name, ids in sorted(named.items()):
        if ids:
            asked = oai_client.request("GET", PATH, params={f"{name}[]": sorted(ids)[0], "limit": 10})
            oai_judge(AuditQuery(asked), "admin.audit-logs.ids")
