"""The administration API: the organization's objects read with the admin key, the audit log, usage and costs, and
what a run that claims `admin.write` changes (only objects it created).

Subjects, all plain data:
- `AdminReads`: for each list endpoint, the list answer, its schema, and the retrieve of its first object (`Read`);
  also the probes of the keys (a project key on an admin route, the admin key on GET /models).
- `AdminWalk`: a list followed by `after` in small pages (conformance.pagination.walk_pages), for the page rules.
- `AuditQuery`: the audit log asked with one filter (the filter is read back from the request's URL).
- `UsagePages`: a usage or costs query followed by its `next_page` cursor (each request's parameters are read
  from its URL, so the rules also judge captured traffic).
- `Lifecycle`s of what admin.write cases create, with named steps.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from conformance.checks._lifecycle import Lifecycle
from conformance.checks.evidence import cited as on
from conformance.checks.evidence import cited_answer as body_of
from conformance.checks.evidence import excerpt, received, schema_violations
from conformance.checks.rule import Broken, Context, Violation, check, first
from conformance.exceptions import NotApplicable
from conformance.exchange import REDACTED, Exchange

WIDTHS = {"1m": 60, "1h": 3600, "1d": 86_400}
# The fields a usage or costs result is grouped by, when asked (upstream's results; any may be absent).
GROUP_FIELDS = ("project_id", "user_id", "api_key_id", "model", "batch", "line_item", "size", "source", "service_tier")
# What a retrieve gives back as the list showed it (a certificate's `object` differs by design: seed 003).
SAME_KEYS = ("id", "name", "email", "created_at", "added_at", "redacted_value")


@dataclass(frozen=True)
class Read:
    """One admin list endpoint as read: the list answer, its schema, and the retrieve of the first object listed."""

    path: str
    schema: str  # the list's schema, e.g. organization.user.list
    listed: Exchange
    retrieved: Exchange | None = None


@dataclass(frozen=True)
class AdminReads:
    """Every list the case read (`Read`s) and the two key probes."""

    reads: tuple[Read, ...]
    project_key: Exchange | None = None  # an admin route asked with the project API key
    admin_key_elsewhere: Exchange | None = None  # GET /models asked with the admin key
    exchanges: tuple[Exchange, ...] = field(default=())

    def __post_init__(self) -> None:
        held = [e for r in self.reads for e in (r.listed, r.retrieved) if e is not None]
        held += [e for e in (self.project_key, self.admin_key_elsewhere) if e is not None]
        object.__setattr__(self, "exchanges", tuple(held))


@dataclass(frozen=True)
class AdminWalk:
    """A list read in pages of `limit`, each page's `after` the last id of the one before."""

    pages: tuple[Exchange, ...]
    limit: int

    @property
    def exchanges(self) -> tuple[Exchange, ...]:
        return self.pages


@dataclass(frozen=True)
class AuditQuery:
    """The audit log asked once with filters; the filters are the request's query parameters."""

    exchange: Exchange

    @property
    def params(self) -> list[tuple[str, str]]:
        return parse_qsl(urlsplit(self.exchange.request.url).query)


@dataclass(frozen=True)
class UsagePages:
    """A usage or costs query and the pages its `next_page` cursor led to, in order."""

    exchanges: tuple[Exchange, ...]


def _params(exchange: Exchange) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for name, value in parse_qsl(urlsplit(exchange.request.url).query):
        out.setdefault(name.removesuffix("[]"), []).append(value)
    return out


def _items(body: Any) -> list[Any]:
    data = body.get("data") if isinstance(body, dict) else None
    return data if isinstance(data, list) else []


# --- reads -----------------------------------------------------------------------------------------------------------


@check("admin.list.shape")
def list_shape(subject: AdminReads, ctx: Context) -> Iterator[Violation]:
    for read in subject.reads:
        yield from on(read.listed, schema_violations(read.schema, body_of(read.listed)), f"GET {read.path}")


@check("admin.retrieve.same")
def retrieve_same(subject: AdminReads, ctx: Context) -> Iterator[Violation]:
    judged = False
    for read in subject.reads:
        if read.retrieved is None:
            continue
        listed = _items(body_of(read.listed))
        if not listed or not isinstance(listed[0], dict):
            continue
        judged = True
        got = body_of(read.retrieved)
        got = got if isinstance(got, dict) else {}
        for key in SAME_KEYS:
            if key != "id" and (key not in got or key not in listed[0]):
                continue  # a field one side leaves out (upstream: optional) is not compared
            if got.get(key) != listed[0].get(key):
                yield Violation(
                    f"Received: {key} {excerpt(got.get(key))} from GET {urlsplit(read.retrieved.request.url).path}\n"
                    f"Expected: {excerpt(listed[0].get(key))}, as listed",
                    f"$.{key}",
                    read.retrieved.index,
                )
    if not judged:
        raise NotApplicable("no list held an object to retrieve")


def _walk_pages(walk: AdminWalk) -> list[Exchange]:
    return list(walk.pages)


@check("admin.pages.limit")
def pages_limit(walk: AdminWalk, ctx: Context) -> Iterator[Violation]:
    pages = _walk_pages(walk)
    for n, page in enumerate(pages):
        data = _items(body_of(page))
        if len(data) > walk.limit:
            yield Violation(
                f"Received: {len(data)} objects\nExpected: at most limit {walk.limit}", "$.data", page.index
            )
        body = body_of(page)
        last = n == len(pages) - 1
        if not last and isinstance(body, dict) and body.get("has_more") is not True:
            yield Violation(
                f"Received: has_more {body.get('has_more')!r}, and the walk found another page after it\n"
                "Expected: has_more true",
                "$.has_more",
                page.index,
            )


def _repeats(pages: list[Exchange]) -> Iterator[Violation]:
    seen: dict[Any, int] = {}
    for n, page in enumerate(pages):
        for item in _items(body_of(page)):
            ident = item.get("id") if isinstance(item, dict) else None
            if ident in seen and seen[ident] != n:
                yield Violation(
                    f"Received: {ident!r} on page {n + 1} (after={_params(page).get('after', [''])[0]!r}), already "
                    f"on page {seen[ident] + 1}\nExpected: each object once: `after` continues after the cursor",
                    "$.data",
                    page.index,
                )
            seen.setdefault(ident, n)


@check("admin.pages.after-continues")
def after_continues(walk: AdminWalk, ctx: Context) -> Iterator[Violation]:
    pages = _walk_pages(walk)
    if len(pages) < 2:
        raise NotApplicable("the list fit on one page: no cursor was followed")
    yield from first(_repeats(pages))


@check("admin.audit-logs.pages")
def audit_pages(walk: AdminWalk, ctx: Context) -> Iterator[Violation]:
    pages = _walk_pages(walk)
    if len(pages) < 2:
        raise NotApplicable("the audit log fit on one page: no cursor was followed")
    yield from first(_repeats(pages))


def _key_items(body: Any) -> list[Any]:
    return _items(body) if isinstance(body, dict) and body.get("object") == "list" else [body]


@check("admin.keys.redacted")
def keys_redacted(subject: AdminReads, ctx: Context) -> Iterator[Violation]:
    judged = False
    for read in subject.reads:
        if not read.path.endswith(("api_keys", "admin_api_keys")):
            continue
        for exchange in (read.listed, read.retrieved):
            if exchange is None or exchange.response is None or exchange.response.status != 200:
                continue
            for n, item in enumerate(_key_items(exchange.response.json)):
                if not isinstance(item, dict):
                    continue
                judged = True
                if "value" in item:
                    yield Violation(
                        f"Received: a key with `value` {excerpt(item['value'], 12)} from GET "
                        f"{urlsplit(exchange.request.url).path}\n"
                        "Expected: only `redacted_value` (a value shows on create only)",
                        f"$.data[{n}].value",
                        exchange.index,
                    )
                elif not isinstance(item.get("redacted_value"), str):
                    yield Violation(
                        f"Received: redacted_value {excerpt(item.get('redacted_value'))}\nExpected: the redacted value",
                        f"$.data[{n}].redacted_value",
                        exchange.index,
                    )
    if not judged:
        raise NotApplicable("no API key was listed")


def _refused(exchange: Exchange | None, what: str) -> Iterator[Violation]:
    if exchange is None:
        raise NotApplicable(f"the case sent no {what}")
    response = exchange.response
    body = response.json if response is not None else None
    if response is None or response.status not in (401, 403):
        yield Violation(f"{received(exchange)}\nExpected: 401 or 403 for {what}", exchange=exchange.index)
    elif not (
        isinstance(body, dict) and isinstance(body.get("error"), dict) and isinstance(body["error"].get("message"), str)
    ):
        yield Violation(
            f'{received(exchange)}\nExpected: the error envelope {{"error": {{"message", ...}}}}',
            "$.error",
            exchange.index,
        )


@check("admin.auth.project-key", case_bound=True)
def project_key_refused(subject: AdminReads, ctx: Context) -> Iterator[Violation]:
    yield from _refused(subject.project_key, "a project API key on an admin route")


@check("admin.auth.admin-key-elsewhere", case_bound=True)
def admin_key_elsewhere(subject: AdminReads, ctx: Context) -> Iterator[Violation]:
    yield from _refused(subject.admin_key_elsewhere, "the admin key on GET /models")


@check("admin.auth.key-never-echoed")
def key_never_echoed(subject: Any, ctx: Context) -> Iterator[Violation]:
    held = getattr(subject, "exchanges", ())
    if not held:
        raise NotApplicable("no exchange to read")
    for exchange in held:
        if exchange.response is None:
            continue
        body = exchange.response.body.decode("utf-8", "replace")
        if (at := body.find(REDACTED)) >= 0:
            yield Violation(
                f"Received: {exchange.request.method} {urlsplit(exchange.request.url).path} answered "
                f"...{body[max(0, at - 60) : at + 20]}... (the client's redaction of a key it sent)\n"
                "Expected: an answer that never contains the key",
                exchange=exchange.index,
            )


# --- audit logs -------------------------------------------------------------------------------------------------------


@check("admin.audit-logs.shape")
def audit_shape(walk: AdminWalk, ctx: Context) -> Iterator[Violation]:
    for page in _walk_pages(walk):
        yield from on(page, schema_violations("organization.audit_log.list", body_of(page)))


def _filtered(query: AuditQuery, names: tuple[str, ...]) -> dict[str, list[str]]:
    asked = {k: v for k, v in _params(query.exchange).items() if k in names}
    if not asked:
        raise NotApplicable(f"the query has none of the filters {', '.join(names)}")
    return asked


def _events(query: AuditQuery) -> list[tuple[int, dict[str, Any]]]:
    return [(n, e) for n, e in enumerate(_items(body_of(query.exchange))) if isinstance(e, dict)]


@check("admin.audit-logs.event-types")
def audit_event_types(query: AuditQuery, ctx: Context) -> Iterator[Violation]:
    types = _filtered(query, ("event_types",))["event_types"]
    for n, event in _events(query):
        if event.get("type") not in types:
            yield Violation(
                f"Received: an event of type {event.get('type')!r} (id {event.get('id')!r})\n"
                f"Expected: only the types asked by event_types[]: {types}",
                f"$.data[{n}].type",
                query.exchange.index,
            )


_BOUNDS = {
    "effective_at[gt]": (lambda a, b: a > b, ">"),
    "effective_at[gte]": (lambda a, b: a >= b, ">="),
    "effective_at[lt]": (lambda a, b: a < b, "<"),
    "effective_at[lte]": (lambda a, b: a <= b, "<="),
}


@check("admin.audit-logs.effective-at")
def audit_effective_at(query: AuditQuery, ctx: Context) -> Iterator[Violation]:
    bounds = _filtered(query, tuple(_BOUNDS))
    for n, event in _events(query):
        when = event.get("effective_at")
        for name, values in bounds.items():
            test, sign = _BOUNDS[name]
            bound = int(values[0])
            if not isinstance(when, int) or not test(when, bound):
                yield Violation(
                    f"Received: an event with effective_at {when!r} (id {event.get('id')!r})\n"
                    f"Expected: effective_at {sign} {bound}, as {name} asked",
                    f"$.data[{n}].effective_at",
                    query.exchange.index,
                )


def named_ids(event: dict[str, Any]) -> dict[str, set[str]]:
    """The ids an event names, by filter: its actor (the session's or the key's user, the key, the service
    account), its project, its resource (the details under its type's key, or `resource_id`)."""
    found = event.get("actor")
    actor: dict[str, Any] = found if isinstance(found, dict) else {}
    actors: set[str] = set()
    holders: list[dict[str, Any]] = [
        h for h in (actor, actor.get("session"), actor.get("api_key")) if isinstance(h, dict)
    ]
    for holder in holders:
        for key in ("user", "service_account"):
            named = holder.get(key)
            if isinstance(named, dict) and isinstance(named.get("id"), str):
                actors.add(named["id"])
        if holder is actor.get("api_key") and isinstance(holder.get("id"), str):
            actors.add(holder["id"])
    project = event.get("project")
    details = event.get(event.get("type", "")) if isinstance(event.get("type"), str) else None
    resources = {
        i
        for i in (event.get("resource_id"), details.get("id") if isinstance(details, dict) else None)
        if isinstance(i, str)
    }
    return {
        "actor_ids": actors,
        "project_ids": {project["id"]} if isinstance(project, dict) and isinstance(project.get("id"), str) else set(),
        "resource_ids": resources,
    }


@check("admin.audit-logs.ids")
def audit_ids(query: AuditQuery, ctx: Context) -> Iterator[Violation]:
    asked = _filtered(query, ("actor_ids", "project_ids", "resource_ids"))
    for n, event in _events(query):
        named = named_ids(event)
        for name, wanted in asked.items():
            if named[name] and not named[name] & set(wanted):
                yield Violation(
                    f"Received: an event naming {sorted(named[name])} (id {event.get('id')!r})\n"
                    f"Expected: only events naming one of {name}[] {wanted}",
                    f"$.data[{n}]",
                    query.exchange.index,
                )


# --- usage and costs --------------------------------------------------------------------------------------------------


def _buckets(page: Exchange) -> list[dict[str, Any]]:
    return [b for b in _items(body_of(page)) if isinstance(b, dict)]


def _results(bucket: Mapping[str, Any]) -> list[Any]:
    found = bucket.get("results", bucket.get("result"))
    return found if isinstance(found, list) else []


def _width(page: Exchange) -> int:
    return WIDTHS.get(_params(page).get("bucket_width", ["1d"])[0], WIDTHS["1d"])


def _times(bucket: Mapping[str, Any]) -> tuple[int, int] | None:
    start, end = bucket.get("start_time"), bucket.get("end_time")
    ok = all(isinstance(t, int) and not isinstance(t, bool) for t in (start, end))
    return (start, end) if ok else None  # type: ignore[return-value]


@check("admin.usage.shape")
def usage_shape(subject: UsagePages, ctx: Context) -> Iterator[Violation]:
    for page in subject.exchanges:
        yield from on(page, schema_violations("organization.usage.page", body_of(page)))


@check("admin.usage.buckets-ordered")
def buckets_ordered(subject: UsagePages, ctx: Context) -> Iterator[Violation]:
    previous: tuple[int, int] | None = None
    for page in subject.exchanges:
        for n, bucket in enumerate(_buckets(page)):
            times = _times(bucket)
            if times is None:
                continue
            start, end = times
            if end <= start:
                yield Violation(
                    f"Received: a bucket from {start} to {end}\nExpected: end_time after start_time",
                    f"$.data[{n}]",
                    page.index,
                )
            if previous is not None and start < previous[1]:
                yield Violation(
                    f"Received: a bucket starting at {start} after one from {previous[0]} to {previous[1]}\n"
                    "Expected: buckets oldest first, none overlapping the one before",
                    f"$.data[{n}].start_time",
                    page.index,
                )
            previous = times


@check("admin.usage.buckets-contiguous")
def buckets_contiguous(subject: UsagePages, ctx: Context) -> Iterator[Violation]:
    previous: tuple[int, int] | None = None
    for page in subject.exchanges:
        width = _width(page)
        for n, bucket in enumerate(_buckets(page)):
            times = _times(bucket)
            if times is None:
                continue
            start, end = times
            if end - start != width:
                yield Violation(
                    f"Received: a bucket of {end - start} s ({start} to {end})\nExpected: bucket_width, {width} s",
                    f"$.data[{n}]",
                    page.index,
                )
            elif previous is not None and start != previous[1] and start > previous[1]:
                yield Violation(
                    f"Received: a bucket starting at {start}, the one before ended at {previous[1]}\n"
                    "Expected: each bucket starts where the one before ends",
                    f"$.data[{n}].start_time",
                    page.index,
                )
            previous = times


@check("admin.usage.in-range")
def usage_in_range(subject: UsagePages, ctx: Context) -> Iterator[Violation]:
    for page in subject.exchanges:
        asked = _params(page)
        width = _width(page)
        try:
            start_time = int(asked["start_time"][0])
            end_time = int(asked["end_time"][0]) if "end_time" in asked else None
        except (KeyError, ValueError):
            raise NotApplicable("the query names no integer start_time") from None
        for n, bucket in enumerate(_buckets(page)):
            times = _times(bucket)
            if times is None:
                continue
            start, end = times
            if start <= start_time - width or (end_time is not None and start >= end_time):
                shown = f"[{start_time}, {end_time})" if end_time is not None else f"from {start_time}"
                yield Violation(
                    f"Received: a bucket from {start} to {end}\nExpected: buckets in the range asked, {shown} "
                    f"(the first may be aligned down by less than {width} s)",
                    f"$.data[{n}]",
                    page.index,
                )


@check("admin.usage.result-in-bucket")
def result_in_bucket(subject: UsagePages, ctx: Context) -> Iterator[Violation]:
    judged = False
    for page in subject.exchanges:
        for n, bucket in enumerate(_buckets(page)):
            times = _times(bucket)
            for m, result in enumerate(_results(bucket)):
                own = _times(result) if isinstance(result, dict) else None
                if own is None or times is None:
                    continue
                judged = True
                if own[0] < times[0] or own[1] > times[1]:
                    yield Violation(
                        f"Received: a result from {own[0]} to {own[1]} in the bucket from {times[0]} to {times[1]}\n"
                        "Expected: each result inside its bucket's window",
                        f"$.data[{n}].results[{m}]",
                        page.index,
                    )
    if not judged:
        raise NotApplicable("no result carries times of its own")


@check("admin.usage.group-by")
def usage_group_by(subject: UsagePages, ctx: Context) -> Iterator[Violation]:
    for page in subject.exchanges:
        grouped = set(_params(page).get("group_by", []))
        for n, bucket in enumerate(_buckets(page)):
            for m, result in enumerate(_results(bucket)):
                if not isinstance(result, dict):
                    continue
                at = f"$.data[{n}].results[{m}]"
                for name in sorted(grouped):
                    if result.get(name) is None:
                        yield Violation(
                            f"Received: {name} {excerpt(result.get(name))} in {excerpt(result, 160)}\n"
                            f"Expected: a value, as group_by asked {name}",
                            f"{at}.{name}",
                            page.index,
                        )
                for name in GROUP_FIELDS:
                    if name not in grouped and result.get(name) is not None:
                        yield Violation(
                            f"Received: {name} {excerpt(result[name])} when not grouped by it\n"
                            "Expected: null or absent",
                            f"{at}.{name}",
                            page.index,
                        )


def _numbers(value: Any, at: str) -> Iterator[tuple[str, float]]:
    if isinstance(value, bool):
        return
    if isinstance(value, int | float):
        yield at, value
    elif isinstance(value, dict):
        for key, inner in value.items():
            if key not in GROUP_FIELDS:
                yield from _numbers(inner, f"{at}.{key}")


@check("admin.usage.non-negative")
def usage_non_negative(subject: UsagePages, ctx: Context) -> Iterator[Violation]:
    for page in subject.exchanges:
        for n, bucket in enumerate(_buckets(page)):
            top = {k: v for k, v in bucket.items() if k not in ("start_time", "end_time", "results", "result")}
            found = list(_numbers(top, f"$.data[{n}]"))
            for m, result in enumerate(_results(bucket)):
                if isinstance(result, dict):
                    found += _numbers(
                        {k: v for k, v in result.items() if k not in ("start_time", "end_time")},
                        f"$.data[{n}].results[{m}]",
                    )
            for at, value in found:
                if value < 0:
                    yield Violation(
                        f"Received: {at.rsplit('.', 1)[-1]} {value}\nExpected: a count or amount >= 0", at, page.index
                    )


@check("admin.usage.limit")
def usage_limit(subject: UsagePages, ctx: Context) -> Iterator[Violation]:
    judged = False
    for page in subject.exchanges:
        asked = _params(page).get("limit")
        if not asked or not asked[0].isdigit():
            continue
        judged = True
        if len(found := _buckets(page)) > int(asked[0]):
            yield Violation(f"Received: {len(found)} buckets\nExpected: at most limit {asked[0]}", "$.data", page.index)
    if not judged:
        raise NotApplicable("no query set limit")


@check("admin.usage.next-page")
def usage_next_page(subject: UsagePages, ctx: Context) -> Iterator[Violation]:
    pages = list(subject.exchanges)
    cursors: dict[str, int] = {}
    last_start: int | None = None
    for n, page in enumerate(pages):
        body = body_of(page)
        if not isinstance(body, dict):
            continue
        cursor = _params(page).get("page", [None])[0]
        if cursor is not None:
            if cursor in cursors:
                yield Violation(
                    f"Received: page={cursor!r} again on request {n + 1} (first on {cursors[cursor] + 1})\n"
                    "Expected: each next_page a new page",
                    exchange=page.index,
                )
            cursors.setdefault(cursor, n)
            starts = [t[0] for b in _buckets(page) if (t := _times(b))]
            if last_start is not None and starts and starts[0] <= last_start:
                yield Violation(
                    f"Received: after next_page, a page starting at {starts[0]}; the page before reached {last_start}\n"
                    "Expected: the cursor's page goes on after the one before: a cursor never repeats a page",
                    "$.data[0].start_time",
                    page.index,
                )
        starts = [t[0] for b in _buckets(page) if (t := _times(b))]
        if starts:
            last_start = max(starts)
        if body.get("has_more") is True and not (isinstance(body.get("next_page"), str) and body["next_page"]):
            yield Violation(
                f"Received: has_more true, next_page {body.get('next_page')!r}\nExpected: a next_page cursor",
                "$.next_page",
                page.index,
            )
    if len(pages) < 2 and not any(isinstance(body_of(p), dict) and body_of(p).get("has_more") for p in pages):
        raise NotApplicable("the query fit on one page: no cursor was followed")


# --- admin.write ------------------------------------------------------------------------------------------------------


def _ok(life: Lifecycle, name: str) -> dict[str, Any]:
    exchange = life.step(name)
    body = body_of(exchange)
    if not isinstance(body, dict):
        raise Broken(f"{received(exchange)}\nExpected: a JSON object for the {name} step")
    return body


def _same(life: Lifecycle, name: str, key: str, want: Any) -> Iterator[Violation]:
    got = _ok(life, name).get(key)
    if got != want:
        yield Violation(
            f"Received: {key} {excerpt(got)} after the {name} step\nExpected: {excerpt(want)}",
            f"$.{key}",
            life.step(name).index,
        )


def _gone(life: Lifecycle, name: str) -> Iterator[Violation]:
    exchange = life.step(name)
    if exchange.response is None or exchange.response.status != 404:
        yield Violation(f"{received(exchange)}\nExpected: 404 once deleted ({name})", exchange=exchange.index)


def _deleted(life: Lifecycle, name: str) -> Iterator[Violation]:
    body = _ok(life, name)
    if body.get("deleted") is False:
        yield Violation(f"Received: {excerpt(body)}\nExpected: deleted true", "$.deleted", life.step(name).index)


def _made(life: Lifecycle) -> dict[str, Any]:
    body = body_of(life.created)
    if not isinstance(body, dict):
        raise Broken(f"{received(life.created)}\nExpected: the created object")
    return body


def _sent(exchange: Exchange) -> dict[str, Any]:
    body = exchange.request.json
    return body if isinstance(body, dict) else {}


@check("admin.write.invite-life")
def invite_life(life: Lifecycle, ctx: Context) -> Iterator[Violation]:
    made, sent = _made(life), _sent(life.created)
    for key in ("email", "role"):
        if made.get(key) != sent.get(key):
            yield Violation(
                f"Received: {key} {excerpt(made.get(key))}\nExpected: {excerpt(sent.get(key))}, as sent",
                f"$.{key}",
                life.created.index,
            )
    if made.get("status") != "pending":
        yield Violation(f"Received: status {made.get('status')!r}\nExpected: pending", "$.status", life.created.index)
    yield from _same(life, "retrieve", "id", made.get("id"))
    yield from _deleted(life, "delete")
    yield from _gone(life, "retrieve-deleted")


@check("admin.write.project-life")
def project_life(life: Lifecycle, ctx: Context) -> Iterator[Violation]:
    made, sent = _made(life), _sent(life.created)
    if made.get("name") != sent.get("name") or made.get("status") != "active":
        yield Violation(
            f"Received: {excerpt(made)}\nExpected: status active and the name sent {sent.get('name')!r}",
            "$",
            life.created.index,
        )
    yield from _same(life, "modify", "name", _sent(life.step("modify")).get("name"))
    yield from _same(life, "retrieve", "name", _sent(life.step("modify")).get("name"))
    archived = _ok(life, "archive")
    if archived.get("status") != "archived" or not isinstance(archived.get("archived_at"), int):
        yield Violation(
            f"Received: status {archived.get('status')!r}, archived_at {archived.get('archived_at')!r}\n"
            "Expected: status archived and an archived_at time",
            "$.status",
            life.step("archive").index,
        )


@check("admin.write.members")
def members(life: Lifecycle, ctx: Context) -> Iterator[Violation]:
    made, sent = _made(life), _sent(life.created)
    if made.get("id") != sent.get("user_id") or made.get("role") != sent.get("role"):
        yield Violation(
            f"Received: {excerpt(made)}\nExpected: id {sent.get('user_id')!r} and role {sent.get('role')!r}, as sent",
            "$",
            life.created.index,
        )
    yield from _same(life, "modify", "role", _sent(life.step("modify")).get("role"))
    yield from _same(life, "retrieve", "role", _sent(life.step("modify")).get("role"))
    yield from _deleted(life, "remove")
    yield from _gone(life, "retrieve-removed")


@check("admin.write.service-account-life")
def service_account_life(life: Lifecycle, ctx: Context) -> Iterator[Violation]:
    made = _made(life)
    key = made.get("api_key")
    if not isinstance(key, dict) or not isinstance(key.get("value"), str) or not key.get("value"):
        yield Violation(
            f"Received: api_key {excerpt(key, 60)}\nExpected: the new key with its value",
            "$.api_key",
            life.created.index,
        )
    retrieved = _ok(life, "retrieve")
    if retrieved.get("id") != made.get("id") or "api_key" in retrieved:
        yield Violation(
            f"Received: {excerpt(retrieved, 160)}\nExpected: the same account, without its key",
            "$",
            life.step("retrieve").index,
        )
    yield from _deleted(life, "delete")
    yield from _gone(life, "retrieve-deleted")


@check("admin.write.api-key-delete")
def api_key_delete(life: Lifecycle, ctx: Context) -> Iterator[Violation]:
    key = _made(life).get("api_key")
    key_id = key.get("id") if isinstance(key, dict) else None
    if not isinstance(key_id, str):
        raise NotApplicable("the service account came without a key id")
    yield from _deleted(life, "delete-key")
    listed = [i.get("id") for i in _items(_ok(life, "list-keys")) if isinstance(i, dict)]
    if key_id in listed:
        yield Violation(
            f"Received: {key_id!r} still listed\nExpected: the deleted key gone from the project's keys",
            "$.data",
            life.step("list-keys").index,
        )


@check("admin.write.rate-limit")
def rate_limit(life: Lifecycle, ctx: Context) -> Iterator[Violation]:
    sent = _sent(life.step("modify"))
    if not sent:
        raise NotApplicable("the case changed no limit")
    changed = _ok(life, "modify")
    for key, value in sent.items():
        if changed.get(key) != value:
            yield Violation(
                f"Received: {key} {excerpt(changed.get(key))}\nExpected: {value}, as sent",
                f"$.{key}",
                life.step("modify").index,
            )
    listed = {i.get("id"): i for i in _items(_ok(life, "list")) if isinstance(i, dict)}
    again = listed.get(changed.get("id"), {})
    for key, value in sent.items():
        if again.get(key) != value:
            yield Violation(
                f"Received: {key} {excerpt(again.get(key))} in the list\nExpected: {value}, as changed",
                "$.data",
                life.step("list").index,
            )


def _active_in(life: Lifecycle, name: str, cert_id: Any) -> Any:
    return next(
        (i.get("active") for i in _items(_ok(life, name)) if isinstance(i, dict) and i.get("id") == cert_id), None
    )


@check("admin.write.certificate-life")
def certificate_life(life: Lifecycle, ctx: Context) -> Iterator[Violation]:
    made = _made(life)
    cert_id = made.get("id")
    for step, want in (("listed", False), ("activate", True), ("deactivate", False)):
        if (got := _active_in(life, step, cert_id)) is not want:
            yield Violation(
                f"Received: active {got!r} for {cert_id!r} after the {step} step\nExpected: {want}",
                "$.data",
                life.step(step).index,
            )
    yield from _same(life, "rename", "name", _sent(life.step("rename")).get("name"))
    body = _ok(life, "delete")
    if body.get("id") != cert_id:
        yield Violation(
            f"Received: {excerpt(body)}\nExpected: the deletion of {cert_id!r}", "$.id", life.step("delete").index
        )
    yield from _gone(life, "retrieve-deleted")
