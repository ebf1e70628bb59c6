"""The administration API of the reference server: one organization, its usage history, and the admin key.

    /v1/organization/users[/{user_id}]                        list, retrieve; modify the role, delete
    /v1/organization/invites[/{invite_id}]                    list, create, retrieve, delete
    /v1/organization/projects[/{project_id}]                  list (`include_archived`), create, retrieve, modify
    /v1/organization/projects/{project_id}/archive            archive
    /v1/organization/projects/{project_id}/users[/{user_id}]  list, add, retrieve, modify the role, remove
    /v1/organization/projects/{project_id}/service_accounts[/{service_account_id}]  list, create, retrieve, delete
    /v1/organization/projects/{project_id}/api_keys[/{key_id}]                       list, retrieve, delete
    /v1/organization/projects/{project_id}/rate_limits[/{rate_limit_id}]            list, modify
    /v1/organization/projects/{project_id}/certificates[/activate|/deactivate]       list, (de)activate
    /v1/organization/certificates[/{certificate_id}|/activate|/deactivate]           list, upload, retrieve, rename,
                                                                                     delete, (de)activate
    /v1/organization/admin_api_keys[/{key_id}]                list, create, retrieve, delete
    /v1/organization/audit_logs                               filters (effective_at[gt|gte|lt|lte], event_types[],
                                                              actor_ids[], actor_emails[], project_ids[],
                                                              resource_ids[]), `after`/`before` cursors
    /v1/organization/usage/{kind}, /v1/organization/costs     time buckets from `start_time`, `page` cursor

Every admin route takes only the admin key (`ServerConfig.admin_key`): the project key gets the 403 a restricted key
gets from the real API, and the admin key gets 401 on the project routes (app.py's key check). The organization
and its history are fixed: timestamps count from `EPOCH`, and a usage bucket's amounts are a function of its start
time alone, so two runs read the same answers. What a run creates (invites, projects, service accounts, project
members, certificates, admin keys) lives in the server's memory, in creation order.
"""

from __future__ import annotations

import copy
import threading
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ._config import ServerConfig
from ._errors import ApiError, invalid
from ._ids import Ids
from ._routing import Served as Server

EPOCH = 1_730_419_200  # 2024-11-01T00:00:00Z: when the reference organization was made
DAY = 86_400
WIDTHS = {"1m": 60, "1h": 3600, "1d": DAY}
# (default, maximum) buckets per page, by width (the seeds' limits for usage; costs take 1d only, up to 180).
USAGE_LIMITS = {"1m": (60, 1440), "1h": (24, 168), "1d": (7, 31)}
COSTS_LIMITS = {"1d": (7, 180)}
LIST_LIMIT = (20, 100)
PERMISSION = (
    "You have insufficient permissions for this operation. Missing scopes: api.management.read. Check that you "
    "have the correct role in your organization (Reader, Writer, Owner) and project (Member, Owner), and if you're "
    "using a restricted API key, that it has the necessary scopes."
)
PROJECTS = ("proj_ref_default", "proj_ref_alpha")
MODELS = ("gpt-4o-mini", "text-embedding-3-small")
USERS = ("user_ref_owner", "user_ref_reader")
KEYS = ("key_ref_owner", "key_ref_bot")


@dataclass(frozen=True)
class UsageKind:
    """One usage endpoint: its result object, counters and what it can be grouped by."""

    object: str
    counters: tuple[str, ...]
    groups: tuple[str, ...]


USAGE: dict[str, UsageKind] = {
    "completions": UsageKind(
        "organization.usage.completions.result",
        (
            "input_tokens",
            "input_cached_tokens",
            "output_tokens",
            "input_audio_tokens",
            "output_audio_tokens",
            "num_model_requests",
        ),
        ("project_id", "user_id", "api_key_id", "model", "batch"),
    ),
    "embeddings": UsageKind(
        "organization.usage.embeddings.result",
        ("input_tokens", "num_model_requests"),
        ("project_id", "user_id", "api_key_id", "model"),
    ),
    "moderations": UsageKind(
        "organization.usage.moderations.result",
        ("input_tokens", "num_model_requests"),
        ("project_id", "user_id", "api_key_id", "model"),
    ),
    "images": UsageKind(
        "organization.usage.images.result",
        ("images", "num_model_requests"),
        ("project_id", "user_id", "api_key_id", "model", "size", "source"),
    ),
    "audio_speeches": UsageKind(
        "organization.usage.audio_speeches.result",
        ("characters", "num_model_requests"),
        ("project_id", "user_id", "api_key_id", "model"),
    ),
    "audio_transcriptions": UsageKind(
        "organization.usage.audio_transcriptions.result",
        ("seconds", "num_model_requests"),
        ("project_id", "user_id", "api_key_id", "model"),
    ),
    "vector_stores": UsageKind("organization.usage.vector_stores.result", ("usage_bytes",), ("project_id",)),
    "code_interpreter_sessions": UsageKind(
        "organization.usage.code_interpreter_sessions.result", ("num_sessions",), ("project_id",)
    ),
}
COSTS = UsageKind("organization.costs.result", ("amount",), ("project_id", "line_item", "user_id", "api_key_id"))
# What a record of usage holds for each grouping field (besides project, user, key and model).
EXTRA_GROUPS = {"batch": False, "size": "1024x1024", "source": "image.generation"}

AUDIT_TYPES = (
    "project.created",
    "user.added",
    "api_key.created",
    "invite.sent",
    "project.updated",
    "service_account.created",
    "rate_limit.updated",
    "login.succeeded",
)


def not_found(kind: str, ident: str) -> ApiError:
    return ApiError(404, f"No such {kind}: '{ident}'", code="not_found", validation=False)


def _user(ident: str, name: str, role: str, n: int) -> dict[str, Any]:
    return {
        "object": "organization.user",
        "id": ident,
        "name": name,
        "email": f"{name.lower()}@example.com",
        "role": role,
        "added_at": EPOCH + n * 3600,
    }


def _project(ident: str, name: str, n: int, archived: bool = False) -> dict[str, Any]:
    return {
        "id": ident,
        "object": "organization.project",
        "name": name,
        "created_at": EPOCH + n * 3600,
        "archived_at": EPOCH + DAY if archived else None,
        "status": "archived" if archived else "active",
    }


def _audit_log(n: int) -> dict[str, Any]:
    """The n-th event of the organization's history: one a day before EPOCH + 30 days, newest first in lists."""
    kind = AUDIT_TYPES[n % len(AUDIT_TYPES)]
    user = USERS[n % 2]
    project = PROJECTS[n % 2]
    resource = project if kind.startswith("project") else f"res_ref_{n:03d}"
    actor: dict[str, Any]
    if n % 3 == 2:
        actor = {
            "type": "api_key",
            "api_key": {"id": KEYS[n % 2], "type": "user", "user": {"id": user, "email": f"{user[9:]}@example.com"}},
        }
    else:
        actor = {
            "type": "session",
            "session": {"user": {"id": user, "email": f"{user[9:]}@example.com"}, "ip_address": "127.0.0.1"},
        }
    return {
        "id": f"audit_log-ref{n:04d}",
        "type": kind,
        "effective_at": EPOCH + n * DAY,
        "project": {"id": project, "name": project[9:]},
        "actor": actor,
        kind: {"id": resource},
    }


class Organization:
    """The organization the admin routes serve: fixed members and history, and what runs create. Locked."""

    def __init__(self, ids: Ids) -> None:
        self.lock = threading.Lock()
        self.ids = ids
        self.users = {
            u["id"]: u
            for u in (
                _user("user_ref_owner", "Owner", "owner", 0),
                _user("user_ref_reader", "Reader", "reader", 1),
                _user("user_ref_auditor", "Auditor", "reader", 2),
            )
        }
        self.projects = {
            p["id"]: p
            for p in (
                _project("proj_ref_default", "Default project", 0),
                _project("proj_ref_alpha", "Alpha", 1),
                _project("proj_ref_old", "Old", 2, archived=True),
            )
        }
        self.members: dict[str, dict[str, dict[str, Any]]] = {
            pid: {
                uid: self._member(uid, "owner" if uid == "user_ref_owner" else "member", n)
                for n, uid in enumerate(self.users)
            }
            for pid in self.projects
        }
        self.service_accounts: dict[str, dict[str, dict[str, Any]]] = {pid: {} for pid in self.projects}
        self.service_accounts["proj_ref_default"]["svc_acct_ref_bot"] = {
            "object": "organization.project.service_account",
            "id": "svc_acct_ref_bot",
            "name": "Bot",
            "role": "member",
            "created_at": EPOCH + 4 * 3600,
        }
        self.api_keys: dict[str, dict[str, dict[str, Any]]] = {pid: {} for pid in self.projects}
        for pid in self.projects:
            self.api_keys[pid]["key_ref_owner"] = self._api_key(
                "key_ref_owner", "Owner's key", 5, {"type": "user", "user": self.users["user_ref_owner"]}
            )
        bot = self.service_accounts["proj_ref_default"]["svc_acct_ref_bot"]
        self.api_keys["proj_ref_default"]["key_ref_bot"] = self._api_key(
            "key_ref_bot", "Bot key", 6, {"type": "service_account", "service_account": bot}
        )
        self.rate_limits = {pid: {f"rl-{m}": self._rate_limit(m) for m in MODELS} for pid in self.projects}
        self.invites = {
            "invite-ref-pending": {
                "object": "organization.invite",
                "id": "invite-ref-pending",
                "email": "newcomer@example.com",
                "role": "reader",
                "status": "pending",
                "invited_at": EPOCH + DAY,
                "expires_at": EPOCH + 8 * DAY,
                "accepted_at": None,
                "projects": [],
            }
        }
        self.certificates: dict[str, dict[str, Any]] = {
            "cert_ref_one": {
                "object": "certificate",
                "id": "cert_ref_one",
                "name": "Reference CA",
                "created_at": EPOCH + 7 * 3600,
                "certificate_details": {"valid_at": EPOCH, "expires_at": EPOCH + 3650 * DAY},
            }
        }
        self.active_certificates: dict[str, set[str]] = {"": {"cert_ref_one"}} | {pid: set() for pid in self.projects}
        self.admin_keys = {
            "key_admin_ref": {
                "object": "organization.admin_api_key",
                "id": "key_admin_ref",
                "name": "Reference admin key",
                "redacted_value": "sk-admin-ref***",
                "created_at": EPOCH + 8 * 3600,
                "last_used_at": None,
                "owner": {
                    "type": "user",
                    "object": "organization.user",
                    "id": "user_ref_owner",
                    "name": "Owner",
                    "created_at": EPOCH,
                    "role": "owner",
                },
            }
        }
        self.audit_logs = [_audit_log(n) for n in range(30)][::-1]  # newest first

    def _member(self, uid: str, role: str, n: int) -> dict[str, Any]:
        user = self.users[uid]
        return {
            "object": "organization.project.user",
            "id": uid,
            "name": user["name"],
            "email": user["email"],
            "role": role,
            "added_at": EPOCH + n * 3600,
        }

    @staticmethod
    def _api_key(ident: str, name: str, n: int, owner: dict[str, Any]) -> dict[str, Any]:
        return {
            "object": "organization.project.api_key",
            "id": ident,
            "name": name,
            "redacted_value": f"sk-proj-***{ident[-3:]}",
            "created_at": EPOCH + n * 3600,
            "last_used_at": EPOCH + DAY,
            "owner": owner,
        }

    @staticmethod
    def _rate_limit(model: str) -> dict[str, Any]:
        return {
            "object": "project.rate_limit",
            "id": f"rl-{model}",
            "model": model,
            "max_requests_per_1_minute": 500,
            "max_tokens_per_1_minute": 200_000,
            "batch_1_day_max_input_tokens": 2_000_000,
        }


# --- request parsing ----------------------------------------------------------------------------------------------


def _many(request: Request, name: str) -> list[str]:
    """An array parameter, as `name[]=a&name[]=b` (the SDKs) or `name=a&name=b`."""
    return [*request.query_params.getlist(f"{name}[]"), *request.query_params.getlist(name)]


def _integer(request: Request, name: str, default: int | None = None, low: int = 0, high: int | None = None) -> int:
    raw = request.query_params.get(name)
    if raw is None:
        if default is None:
            raise invalid(f"Missing required parameter: '{name}'.", param=name, code="missing_required_parameter")
        return default
    try:
        value = int(raw)
    except ValueError:
        raise invalid(f"Invalid '{name}': expected an integer, but got '{raw}' instead.", param=name) from None
    if value < low or (high is not None and value > high):
        bound = f"between {low} and {high}" if high is not None else f"at least {low}"
        raise invalid(f"Invalid '{name}': {value} must be {bound}.", param=name, code="integer_out_of_range")
    return value


def _page(items: list[dict[str, Any]], request: Request, config: ServerConfig, *, before: bool = False) -> dict:
    """A cursor page of `items` (in their listing order): `after`, `before` (audit logs), `limit`."""
    limit = _integer(request, "limit", LIST_LIMIT[0], 1, LIST_LIMIT[1])
    ids = [item["id"] for item in items]
    start, end = 0, len(items)
    if (after := request.query_params.get("after")) is not None:
        if after not in ids:
            raise invalid(f"Invalid 'after': no object with id '{after}' in this list.", param="after")
        start = ids.index(after) + 1
        if config.has("admin-cursor-repeats"):
            start = max(0, start - limit)
    if before and (cursor := request.query_params.get("before")) is not None:
        if cursor not in ids:
            raise invalid(f"Invalid 'before': no object with id '{cursor}' in this list.", param="before")
        end = ids.index(cursor)
        start = max(start, end - limit)
    data = items[start:end][:limit]
    return {
        "object": "list",
        "data": data,
        "first_id": data[0]["id"] if data else None,
        "last_id": data[-1]["id"] if data else None,
        "has_more": start + len(data) < end,
    }


# --- usage --------------------------------------------------------------------------------------------------------


def _records(kind: str, start: int, width: int) -> list[dict[str, Any]]:
    """What was used in the bucket starting at `start`: a function of the bucket alone (deterministic)."""
    slot = start // width
    out = []
    for n, (project, model) in enumerate((p, m) for p in PROJECTS for m in MODELS):
        amount = (slot * 7 + n * 3) % 5
        if amount == 0:
            continue
        record: dict[str, Any] = {
            "project_id": project,
            "user_id": USERS[n % 2],
            "api_key_id": KEYS[n % 2],
            "model": model,
            "line_item": f"{model}, input",
            **EXTRA_GROUPS,
        }
        record["amount"] = round(amount * 0.0125, 6)
        record["counts"] = amount
        out.append(record)
    return out


def _result(kind: UsageKind, records: list[dict[str, Any]], grouped: tuple[str, ...], config: ServerConfig) -> dict:
    result: dict[str, Any] = {"object": kind.object}
    total = sum(r["counts"] for r in records)
    if kind is COSTS:
        result["amount"] = {"value": round(sum(r["amount"] for r in records), 6), "currency": "usd"}
    else:
        for n, counter in enumerate(kind.counters):
            counted = counter in ("num_model_requests", "num_sessions", "images")
            result[counter] = total if counted else total * 1000 // (n + 1)
        if config.has("admin-usage-negative"):
            result[kind.counters[-1]] = -1
    for field in kind.groups:
        keep = field in grouped and not config.has("admin-group-by-ignored")
        result[field] = records[0][field] if keep else None
    return result


def _buckets(request: Request, kind: UsageKind, config: ServerConfig) -> dict[str, Any]:
    limits = COSTS_LIMITS if kind is COSTS else USAGE_LIMITS
    width_name = request.query_params.get("bucket_width", "1d")
    if width_name not in limits:
        raise invalid(
            f"Invalid 'bucket_width': '{width_name}'. Supported values are: {', '.join(limits)}.",
            param="bucket_width",
        )
    width = WIDTHS[width_name]
    default, high = limits[width_name]
    start_time = _integer(request, "start_time")
    limit = _integer(request, "limit", default, 1, high)
    end_time = _integer(request, "end_time", start_time + limit * width)
    grouped = tuple(_many(request, "group_by"))
    if unknown := [g for g in grouped if g not in kind.groups]:
        raise invalid(
            f"Invalid 'group_by': '{unknown[0]}'. Supported values are: {', '.join(kind.groups)}.", param="group_by"
        )
    projects = set(_many(request, "project_ids"))
    first = start_time
    if (page := request.query_params.get("page")) is not None:
        try:
            first = int(page.removeprefix("page_"))
        except ValueError:
            raise invalid(f"Invalid 'page': '{page}'.", param="page") from None
    starts: list[int] = []
    at = first
    cap = limit + (2 if config.has("admin-limit-ignored") else 0)
    while at < end_time and len(starts) < cap:
        starts.append(at)
        at += width
    data = []
    for bucket_start in starts:
        records = [r for r in _records(kind.object, bucket_start, width) if not projects or r["project_id"] in projects]
        groups: dict[tuple[Any, ...], list[dict[str, Any]]] = {}
        for record in records:
            groups.setdefault(tuple(record[g] for g in grouped), []).append(record)
        results = [_result(kind, group, grouped, config) for group in groups.values()]
        bucket_end = bucket_start + width
        if config.has("admin-result-outside-bucket"):
            for result in results:
                result["start_time"], result["end_time"] = bucket_start - width, bucket_start
        if config.has("admin-buckets-gap"):
            bucket_end -= 1
        data.append({"object": "bucket", "start_time": bucket_start, "end_time": bucket_end, "results": results})
    if config.has("admin-buckets-unordered"):
        data.reverse()
    has_more = at < end_time
    next_page = f"page_{at}" if has_more else None
    if has_more and config.has("admin-page-repeats"):
        next_page = f"page_{first}"
    return {"object": "page", "data": data, "has_more": has_more, "next_page": next_page}


# --- audit logs ---------------------------------------------------------------------------------------------------


def _actor(log: dict[str, Any]) -> tuple[str, str]:
    """(id, email) of an audit log's actor: the session's user, or the key's."""
    actor = log["actor"]
    holder = actor.get("session") or actor.get("api_key") or {}
    user = holder.get("user") or {}
    return (actor.get("api_key", {}).get("id") or user.get("id", "")), user.get("email", "")


def _audit_logs(request: Request, org: Organization, config: ServerConfig) -> dict[str, Any]:
    logs = org.audit_logs
    bounds = {op: _integer(request, f"effective_at[{op}]", -1) for op in ("gt", "gte", "lt", "lte")}
    tests: dict[str, Callable[[int, int], bool]] = {
        "gt": lambda a, b: a > b,
        "gte": lambda a, b: a >= b,
        "lt": lambda a, b: a < b,
        "lte": lambda a, b: a <= b,
    }
    for op, bound in bounds.items():
        if bound >= 0:
            logs = [log for log in logs if tests[op](log["effective_at"], bound)]
    if (types := _many(request, "event_types")) and not config.has("admin-audit-filter-ignored"):
        logs = [log for log in logs if log["type"] in types]
    if projects := _many(request, "project_ids"):
        logs = [log for log in logs if log.get("project", {}).get("id") in projects]
    if actors := _many(request, "actor_ids"):
        logs = [
            log
            for log in logs
            if _actor(log)[0] in actors
            or log["actor"].get("session", {}).get("user", {}).get("id") in actors
            or log["actor"].get("api_key", {}).get("user", {}).get("id") in actors
        ]
    if emails := _many(request, "actor_emails"):
        logs = [log for log in logs if _actor(log)[1] in emails]
    if resources := _many(request, "resource_ids"):
        logs = [log for log in logs if log[log["type"]].get("id") in resources]
    return _page(logs, request, config, before=True)


# --- routes -------------------------------------------------------------------------------------------------------


def routes(server: Server, org: Organization) -> list[Route]:
    """The /v1/organization routes, bound to `server` and its organization."""
    config = server.config

    def admin(handler: Callable[[Request], Awaitable[Any]]) -> Callable[[Request], Awaitable[Response]]:
        async def run(request: Request) -> Response:
            try:
                given = authenticate(request, config)
                with_lock = await handler(request)
            except ApiError as error:
                return server.error(error)
            if config.has("admin-echo-key") and isinstance(with_lock, dict) and given:
                with_lock = {**with_lock, "requested_with": given}
            return server._json(with_lock)

        return run

    async def body(request: Request) -> dict[str, Any]:
        import json

        try:
            parsed = json.loads(await request.body() or b"{}")
        except ValueError:
            raise invalid("We could not parse the JSON body of your request.") from None
        if not isinstance(parsed, dict):
            raise invalid("The body of the request must be a JSON object.")
        return parsed

    def project(request: Request) -> dict[str, Any]:
        pid = request.path_params["project_id"]
        if pid not in org.projects:
            raise not_found("project", pid)
        return org.projects[pid]

    def text(value: Any, param: str) -> str:
        if not isinstance(value, str) or not value.strip():
            raise invalid(f"Invalid '{param}': expected a non-empty string.", param=param)
        return value

    def role(value: Any, allowed: tuple[str, ...], param: str = "role") -> str:
        if value not in allowed:
            raise invalid(f"Invalid '{param}': expected one of {', '.join(allowed)}.", param=param)
        return str(value)

    async def users(request: Request) -> Any:
        with org.lock:
            listed = list(org.users.values())
        if emails := _many(request, "emails"):
            listed = [u for u in listed if u["email"] in emails]
        return _page(listed, request, config)

    async def user(request: Request) -> Any:
        uid = request.path_params["user_id"]
        with org.lock:
            if uid not in org.users:
                raise not_found("user", uid)
            if request.method == "POST":
                org.users[uid]["role"] = role((await body(request)).get("role"), ("owner", "reader"))
            elif request.method == "DELETE":
                del org.users[uid]
                return {"object": "organization.user.deleted", "id": uid, "deleted": True}
            return copy.deepcopy(org.users[uid])

    async def invites(request: Request) -> Any:
        if request.method == "GET":
            with org.lock:
                return _page(list(org.invites.values()), request, config)
        sent = await body(request)
        invite = {
            "object": "organization.invite",
            "id": server.ids.item("invite"),
            "email": text(sent.get("email"), "email"),
            "role": role(sent.get("role"), ("owner", "reader")),
            "status": "pending",
            "invited_at": EPOCH + 40 * DAY,
            "expires_at": EPOCH + 47 * DAY,
            "accepted_at": None,
            "projects": list(sent.get("projects") or []),
        }
        with org.lock:
            org.invites[str(invite["id"])] = invite
        return copy.deepcopy(invite)

    async def invite(request: Request) -> Any:
        iid = request.path_params["invite_id"]
        with org.lock:
            if iid not in org.invites:
                raise not_found("invite", iid)
            if request.method == "DELETE":
                del org.invites[iid]
                return {"object": "organization.invite.deleted", "id": iid, "deleted": True}
            return copy.deepcopy(org.invites[iid])

    async def projects(request: Request) -> Any:
        if request.method == "GET":
            archived = request.query_params.get("include_archived", "false") == "true"
            with org.lock:
                listed = [p for p in org.projects.values() if archived or p["status"] == "active"]
            return _page(copy.deepcopy(listed), request, config)
        sent = await body(request)
        made = _project(server.ids.item("proj"), text(sent.get("name"), "name"), 40 * 24)
        with org.lock:
            pid = made["id"]
            org.projects[pid] = made
            org.members[pid], org.service_accounts[pid], org.api_keys[pid] = {}, {}, {}
            org.rate_limits[pid] = {f"rl-{m}": org._rate_limit(m) for m in MODELS}
            org.active_certificates[pid] = set()
        return copy.deepcopy(made)

    async def one_project(request: Request) -> Any:
        with org.lock:
            found = project(request)
        if request.method == "POST":
            name = text((await body(request)).get("name"), "name")
            with org.lock:
                if found["status"] == "archived":
                    raise invalid(f"Project {found['id']} is archived and cannot be modified.")
                found["name"] = name
        return copy.deepcopy(found)

    async def archive(request: Request) -> Any:
        with org.lock:
            found = project(request)
            if not config.has("admin-archive-ignored"):
                found["status"], found["archived_at"] = "archived", EPOCH + 41 * DAY
            return copy.deepcopy(found)

    async def members(request: Request) -> Any:
        with org.lock:
            pid = project(request)["id"]
            if request.method == "GET":
                return _page(list(org.members[pid].values()), request, config)
        sent = await body(request)
        chosen = role(sent.get("role"), ("owner", "member"))
        with org.lock:
            # By id, or by the email of a user of the organization (upstream takes either).
            by_email = {u["email"]: u["id"] for u in org.users.values()}
            uid = by_email.get(sent.get("email"), "") if "user_id" not in sent else text(sent["user_id"], "user_id")
            if uid not in org.users:
                raise not_found("user", uid)
            if uid in org.members[pid]:
                raise invalid(f"User {uid} is already a member of project {pid}.", param="user_id")
            org.members[pid][uid] = org._member(uid, chosen, 40 * 24)
            return copy.deepcopy(org.members[pid][uid])

    async def member(request: Request) -> Any:
        uid = request.path_params["user_id"]
        sent = await body(request) if request.method == "POST" else {}
        with org.lock:
            pid = project(request)["id"]
            if uid not in org.members[pid]:
                raise not_found("project user", uid)
            if request.method == "POST":
                org.members[pid][uid]["role"] = role(sent.get("role"), ("owner", "member"))
            elif request.method == "DELETE":
                del org.members[pid][uid]
                return {"object": "organization.project.user.deleted", "id": uid, "deleted": True}
            return copy.deepcopy(org.members[pid][uid])

    async def service_accounts(request: Request) -> Any:
        with org.lock:
            pid = project(request)["id"]
            if request.method == "GET":
                return _page(list(org.service_accounts[pid].values()), request, config)
        name = text((await body(request)).get("name"), "name")
        sid = server.ids.item("svc_acct")
        made = {
            "object": "organization.project.service_account",
            "id": sid,
            "name": name,
            "role": "member",
            "created_at": EPOCH + 40 * DAY,
        }
        key_id = server.ids.item("key")
        with org.lock:
            org.service_accounts[pid][sid] = made
            org.api_keys[pid][key_id] = org._api_key(
                key_id, f"{name} key", 40 * 24, {"type": "service_account", "service_account": made}
            )
        # The new key's value is not a secret of the run: it opens nothing on this server.
        key = {
            "object": "organization.project.service_account.api_key",
            "value": f"sk-svcacct-ref-{key_id}",
            "name": "Secret Key",
            "created_at": EPOCH + 40 * DAY,
            "id": key_id,
        }
        return {**copy.deepcopy(made), "api_key": key}

    async def service_account(request: Request) -> Any:
        sid = request.path_params["service_account_id"]
        with org.lock:
            pid = project(request)["id"]
            if sid not in org.service_accounts[pid]:
                raise not_found("service account", sid)
            if request.method == "DELETE":
                del org.service_accounts[pid][sid]
                for key_id, key in list(org.api_keys[pid].items()):
                    if key["owner"].get("service_account", {}).get("id") == sid:
                        del org.api_keys[pid][key_id]
                return {"object": "organization.project.service_account.deleted", "id": sid, "deleted": True}
            return copy.deepcopy(org.service_accounts[pid][sid])

    async def api_keys(request: Request) -> Any:
        with org.lock:
            return _page(copy.deepcopy(list(org.api_keys[project(request)["id"]].values())), request, config)

    async def api_key(request: Request) -> Any:
        kid = request.path_params["key_id"]
        with org.lock:
            pid = project(request)["id"]
            if kid not in org.api_keys[pid]:
                raise not_found("API key", kid)
            if request.method == "DELETE":
                del org.api_keys[pid][kid]
                return {"object": "organization.project.api_key.deleted", "id": kid, "deleted": True}
            return copy.deepcopy(org.api_keys[pid][kid])

    async def rate_limits(request: Request) -> Any:
        with org.lock:
            return _page(copy.deepcopy(list(org.rate_limits[project(request)["id"]].values())), request, config)

    async def rate_limit(request: Request) -> Any:
        rid = request.path_params["rate_limit_id"]
        sent = await body(request)
        with org.lock:
            pid = project(request)["id"]
            if rid not in org.rate_limits[pid]:
                raise not_found("rate limit", rid)
            found = org.rate_limits[pid][rid]
            for name, value in sent.items():
                if not name.startswith(("max_", "batch_")) or not isinstance(value, int) or value < 0:
                    raise invalid(f"Invalid '{name}'.", param=name)
            found.update(sent)
            return copy.deepcopy(found)

    def certificate_listed(cert: dict[str, Any], scope: str) -> dict[str, Any]:
        kind = "organization.project.certificate" if scope else "organization.certificate"
        return {**copy.deepcopy(cert), "object": kind, "active": cert["id"] in org.active_certificates[scope]}

    async def certificates(request: Request) -> Any:
        scope = project(request)["id"] if "project_id" in request.path_params else ""
        if request.method == "GET":
            with org.lock:
                return _page([certificate_listed(c, scope) for c in org.certificates.values()], request, config)
        sent = await body(request)
        pem = text(sent.get("certificate"), "certificate")
        if "BEGIN CERTIFICATE" not in pem:
            raise invalid("Invalid 'certificate': not a PEM-encoded X.509 certificate.", param="certificate")
        made = {
            "object": "certificate",
            "id": server.ids.item("cert"),
            "name": sent.get("name") or "certificate",
            "created_at": EPOCH + 40 * DAY,
            "certificate_details": {"valid_at": EPOCH, "expires_at": EPOCH + 365 * DAY},
        }
        with org.lock:
            org.certificates[str(made["id"])] = made
        return copy.deepcopy(made)

    async def switch_certificates(request: Request) -> Any:
        active = request.url.path.endswith("/activate")
        ids = (await body(request)).get("certificate_ids")
        if not isinstance(ids, list) or not ids or not all(isinstance(i, str) for i in ids):
            raise invalid("Invalid 'certificate_ids': expected a non-empty array of ids.", param="certificate_ids")
        with org.lock:
            scope = project(request)["id"] if "project_id" in request.path_params else ""
            if unknown := [i for i in ids if i not in org.certificates]:
                raise not_found("certificate", unknown[0])
            for ident in ids:
                (org.active_certificates[scope].add if active else org.active_certificates[scope].discard)(ident)
            data = [certificate_listed(org.certificates[i], scope) for i in ids]
        return {"object": "list", "data": data, "first_id": ids[0], "last_id": ids[-1], "has_more": False}

    async def certificate(request: Request) -> Any:
        cid = request.path_params["certificate_id"]
        sent = await body(request) if request.method == "POST" else {}
        with org.lock:
            if cid not in org.certificates:
                raise not_found("certificate", cid)
            found = org.certificates[cid]
            if request.method == "DELETE":
                if any(cid in active for active in org.active_certificates.values()):
                    raise invalid(f"Certificate {cid} is active: deactivate it before deleting it.")
                del org.certificates[cid]
                return {"object": "certificate.deleted", "id": cid}
            if request.method == "POST" and "name" in sent:
                found["name"] = text(sent.get("name"), "name")
            out = copy.deepcopy(found)
        if "content" in _many(request, "include"):
            out["certificate_details"]["content"] = "-----BEGIN CERTIFICATE-----\nreference\n-----END CERTIFICATE-----"
        return out

    async def admin_keys(request: Request) -> Any:
        if request.method == "GET":
            with org.lock:
                return _page(copy.deepcopy(list(org.admin_keys.values())), request, config)
        name = text((await body(request)).get("name"), "name")
        kid = server.ids.item("key")
        made = {
            **copy.deepcopy(org.admin_keys["key_admin_ref"]),
            "id": kid,
            "name": name,
            "created_at": EPOCH + 40 * DAY,
            "redacted_value": "sk-admin-new***",
        }
        with org.lock:
            org.admin_keys[kid] = made
        # Not the server's admin key: a new one that opens nothing here.
        return {**copy.deepcopy(made), "value": f"sk-admin-ref-new-{kid}"}

    async def admin_key(request: Request) -> Any:
        kid = request.path_params["key_id"]
        with org.lock:
            if kid not in org.admin_keys:
                raise not_found("admin API key", kid)
            if request.method == "DELETE":
                del org.admin_keys[kid]
                return {"object": "organization.admin_api_key.deleted", "id": kid, "deleted": True}
            return copy.deepcopy(org.admin_keys[kid])

    async def audit_logs(request: Request) -> Any:
        return _audit_logs(request, org, config)

    def usage(kind: UsageKind) -> Callable[[Request], Awaitable[Any]]:
        async def run(request: Request) -> Any:
            return _buckets(request, kind, config)

        return run

    root = "/v1/organization"
    project_root = f"{root}/projects/{{project_id}}"
    return [
        Route(f"{root}/users", admin(users), methods=["GET"]),
        Route(f"{root}/users/{{user_id}}", admin(user), methods=["GET", "POST", "DELETE"]),
        Route(f"{root}/invites", admin(invites), methods=["GET", "POST"]),
        Route(f"{root}/invites/{{invite_id}}", admin(invite), methods=["GET", "DELETE"]),
        Route(f"{root}/projects", admin(projects), methods=["GET", "POST"]),
        Route(project_root, admin(one_project), methods=["GET", "POST"]),
        Route(f"{project_root}/archive", admin(archive), methods=["POST"]),
        Route(f"{project_root}/users", admin(members), methods=["GET", "POST"]),
        Route(f"{project_root}/users/{{user_id}}", admin(member), methods=["GET", "POST", "DELETE"]),
        Route(f"{project_root}/service_accounts", admin(service_accounts), methods=["GET", "POST"]),
        Route(
            f"{project_root}/service_accounts/{{service_account_id}}", admin(service_account), methods=["GET", "DELETE"]
        ),
        Route(f"{project_root}/api_keys", admin(api_keys), methods=["GET"]),
        Route(f"{project_root}/api_keys/{{key_id}}", admin(api_key), methods=["GET", "DELETE"]),
        Route(f"{project_root}/rate_limits", admin(rate_limits), methods=["GET"]),
        Route(f"{project_root}/rate_limits/{{rate_limit_id}}", admin(rate_limit), methods=["POST"]),
        Route(f"{project_root}/certificates", admin(certificates), methods=["GET"]),
        Route(f"{project_root}/certificates/activate", admin(switch_certificates), methods=["POST"]),
        Route(f"{project_root}/certificates/deactivate", admin(switch_certificates), methods=["POST"]),
        Route(f"{root}/certificates", admin(certificates), methods=["GET", "POST"]),
        Route(f"{root}/certificates/activate", admin(switch_certificates), methods=["POST"]),
        Route(f"{root}/certificates/deactivate", admin(switch_certificates), methods=["POST"]),
        Route(f"{root}/certificates/{{certificate_id}}", admin(certificate), methods=["GET", "POST", "DELETE"]),
        Route(f"{root}/admin_api_keys", admin(admin_keys), methods=["GET", "POST"]),
        Route(f"{root}/admin_api_keys/{{key_id}}", admin(admin_key), methods=["GET", "DELETE"]),
        Route(f"{root}/audit_logs", admin(audit_logs), methods=["GET"]),
        Route(f"{root}/costs", admin(usage(COSTS)), methods=["GET"]),
        *(Route(f"{root}/usage/{name}", admin(usage(kind)), methods=["GET"]) for name, kind in USAGE.items()),
    ]


def authenticate(request: Request, config: ServerConfig) -> str:
    """The admin key check; the key that was given (which the echo fault echoes), "" when none was."""
    key, project_key = config.admin_key, config.api_key
    scheme, _, given = request.headers.get("authorization", "").partition(" ")
    given = given.strip()
    if (key is None and project_key is None) or config.has("no-auth"):
        return given
    if scheme.lower() != "bearer" or not given:
        raise ApiError(401, "You didn't provide an API key.", client=False, validation=False)
    if given == key:
        return given
    if given == project_key:
        if config.has("admin-project-key-accepted"):
            return given
        raise ApiError(403, PERMISSION, client=False, validation=False)
    raise ApiError(401, "Incorrect API key provided.", code="invalid_api_key", client=False, validation=False)
