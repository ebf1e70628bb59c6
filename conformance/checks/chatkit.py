"""ChatKit (beta): sessions of a workflow, the account's threads and their items, and uploads.

The subject of the session rules is a `SessionLife`: the create exchange (POST /v1/chatkit/sessions, with the
overrides of `SentSession`), then the case's named steps: "plain" (a second session made right after, without
`expires_after`), "cancel" (the first session cancelled), "unknown-workflow" (a session asked for a workflow that
does not exist).

The API cannot make a thread (a ChatKit UI does, talking to a workflow), so the thread rules read what the account
holds: a `ThreadsRead` whose `created` is GET /v1/chatkit/threads, then "by-user" (the list for the user of its
newest thread), "retrieve" and "items" (of that thread), and "unknown-retrieve", "unknown-items", "unknown-delete"
(a thread id that does not exist). A rule that needs a thread is not applicable when the account holds none. The
items' page invariants are `checks.pagination`'s, under `chatkit.threads.items.pages.*`.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from conformance.checks._lifecycle import Lifecycle
from conformance.checks.containers import listed, made
from conformance.checks.evidence import cited as on
from conformance.checks.evidence import cited_answer as body_of
from conformance.checks.evidence import excerpt, received, schema_violations
from conformance.checks.files import refused_violations
from conformance.checks.rule import Context, Violation, check
from conformance.exceptions import NotApplicable
from conformance.exchange import Exchange

DEFAULT_SECONDS = 600  # "Defaults to 10 minutes."
EXPIRY_SLACK = 30  # seconds two sessions made one after the other may be apart
SAME_THREAD_KEYS = ("id", "object", "created_at", "user")


@dataclass(frozen=True)
class SentSession:
    """What the case asked of its first session."""

    workflow: str
    user: str
    seconds: int | None = None
    rate: int | None = None


@dataclass(frozen=True)
class SessionLife(Lifecycle):
    """A `Lifecycle` of one ChatKit session, with what was sent to make it."""

    sent: SentSession = SentSession("", "")


@dataclass(frozen=True)
class ThreadsRead(Lifecycle):
    """The account's threads as the case read them (`created` is the list)."""


def _mismatch(key: str, got: Any, want: Any, where: str, exchange: Exchange) -> Violation:
    return Violation(f"Received: {key} {excerpt(got, 120)}\nExpected: {excerpt(want, 120)}, {where}", f"$.{key}",
                     exchange.index)  # fmt: skip


def session(life: SessionLife) -> dict[str, Any]:
    return made(life, "ChatKit session")


# --- sessions -----------------------------------------------------------------------------------------------


@check("chatkit.sessions.shape")
def session_shape(life: SessionLife, ctx: Context) -> Iterator[Violation]:
    for exchange in (life.created, *life.all("plain"), *life.all("cancel")):
        yield from on(exchange, schema_violations("chatkit.session", body_of(exchange)))


@check("chatkit.sessions.client-secret")
def client_secret(life: SessionLife, ctx: Context) -> Iterator[Violation]:
    got = session(life).get("client_secret")
    if not isinstance(got, str) or not got:
        yield Violation(f"Received: client_secret {excerpt(got, 40)}\nExpected: a non-empty string, the secret a "
                        "ChatKit UI authenticates the session with", "$.client_secret", life.created.index)  # fmt: skip


@check("chatkit.sessions.workflow")
def session_workflow(life: SessionLife, ctx: Context) -> Iterator[Violation]:
    body = session(life)
    workflow = body.get("workflow")
    got = workflow.get("id") if isinstance(workflow, dict) else workflow
    if got != life.sent.workflow:
        yield _mismatch("workflow.id", got, life.sent.workflow, "the workflow asked for", life.created)
    if body.get("user") != life.sent.user:
        yield _mismatch("user", body.get("user"), life.sent.user, "the user asked for", life.created)


@check("chatkit.sessions.active")
def session_active(life: SessionLife, ctx: Context) -> Iterator[Violation]:
    got = session(life).get("status")
    if got != "active":
        yield _mismatch("status", got, "active", "for a session just created", life.created)


@check("chatkit.sessions.expires-at")
def expires_at(life: SessionLife, ctx: Context) -> Iterator[Violation]:
    seconds = life.sent.seconds
    if seconds is None:
        raise NotApplicable("the case sent no expires_after")
    first, plain = session(life).get("expires_at"), life.step("plain")
    second = body_of(plain).get("expires_at") if isinstance(body_of(plain), dict) else None
    if not all(isinstance(v, int) and not isinstance(v, bool) for v in (first, second)):
        raise NotApplicable("a session has no integer expires_at (the shape rule says so)")
    assert isinstance(first, int) and isinstance(second, int)
    want = DEFAULT_SECONDS - seconds
    if abs((second - first) - want) > EXPIRY_SLACK:
        yield Violation(
            f"Received: expires_at {first} with expires_after {seconds} s, then {second} without it "
            f"({second - first} s apart)\nExpected: {want} s apart (within {EXPIRY_SLACK} s): {seconds} s and the "
            f"default {DEFAULT_SECONDS} s after creation",
            "$.expires_at",
            plain.index,
        )


@check("chatkit.sessions.rate-limits")
def rate_limits(life: SessionLife, ctx: Context) -> Iterator[Violation]:
    rate = life.sent.rate
    if rate is None:
        raise NotApplicable("the case sent no rate_limits")
    body = session(life)
    limits = body.get("rate_limits")
    got = limits.get("max_requests_per_1_minute") if isinstance(limits, dict) else limits
    if got != rate:
        yield _mismatch("rate_limits.max_requests_per_1_minute", got, rate, "as sent", life.created)
    if body.get("max_requests_per_1_minute") != rate:
        yield _mismatch("max_requests_per_1_minute", body.get("max_requests_per_1_minute"), rate,
                        "the convenience copy of rate_limits", life.created)  # fmt: skip


@check("chatkit.sessions.cancel")
def cancel(life: SessionLife, ctx: Context) -> Iterator[Violation]:
    ident = session(life).get("id")
    cancelled = life.step("cancel")
    body = body_of(cancelled)
    if not isinstance(body, dict):
        yield Violation(f"{received(cancelled)}\nExpected: the session, cancelled", "", cancelled.index)
        return
    if body.get("id") != ident:
        yield _mismatch("id", body.get("id"), ident, "the session cancelled", cancelled)
    if body.get("status") != "cancelled":
        yield _mismatch("status", body.get("status"), "cancelled", "after the cancel", cancelled)


@check("chatkit.sessions.unknown-workflow")
def unknown_workflow(life: SessionLife, ctx: Context) -> Iterator[Violation]:
    refused = life.step("unknown-workflow")
    yield from on(refused, refused_violations(refused, "a session for a workflow that does not exist", None))


# --- threads ------------------------------------------------------------------------------------------------


def newest(read: ThreadsRead) -> dict[str, Any]:
    """The thread the case read further: the first listed; not applicable when the account holds none."""
    threads = listed(read.created)
    if not threads:
        raise NotApplicable("the account holds no ChatKit thread (the API cannot make one: a ChatKit UI does)")
    return threads[0]


@check("chatkit.threads.list.shape")
def list_shape(read: ThreadsRead, ctx: Context) -> Iterator[Violation]:
    for exchange in (read.created, *read.all("by-user")):
        yield from on(exchange, schema_violations("chatkit.thread.list", body_of(exchange)))


@check("chatkit.threads.user-filter")
def user_filter(read: ThreadsRead, ctx: Context) -> Iterator[Violation]:
    thread = newest(read)
    by_user = read.step("by-user")
    items = listed(by_user)
    others = [f"{t.get('id')} ({t.get('user')})" for t in items if t.get("user") != thread.get("user")]
    missing = thread.get("id") not in [t.get("id") for t in items]
    if others or missing:
        yield Violation(
            f"Received: {len(items)} threads for user={thread.get('user')}, of another user {excerpt(others, 160)}"
            f"{', without ' + repr(thread.get('id')) if missing else ''}\n"
            f"Expected: only threads of user {thread.get('user')!r}, {thread.get('id')!r} among them",
            "$.data",
            by_user.index,
        )


@check("chatkit.threads.retrieve.same")
def retrieve_same(read: ThreadsRead, ctx: Context) -> Iterator[Violation]:
    thread = newest(read)
    got = read.step("retrieve")
    body = body_of(got)
    if not isinstance(body, dict):
        yield Violation(f"{received(got)}\nExpected: the thread", "", got.index)
        return
    yield from on(got, schema_violations("chatkit.thread", body))
    for key in SAME_THREAD_KEYS:
        if key in thread and body.get(key) != thread[key]:
            yield _mismatch(key, body.get(key), thread[key], "as the list showed it", got)


@check("chatkit.threads.items.shape")
def items_shape(read: ThreadsRead, ctx: Context) -> Iterator[Violation]:
    thread = newest(read)
    items = read.step("items")
    yield from on(items, schema_violations("chatkit.thread-item.list", body_of(items)))
    strangers = [f"{i.get('id')} ({i.get('thread_id')})" for i in listed(items) if i.get("thread_id") != thread["id"]]
    if strangers:
        yield Violation(f"Received: items of another thread {excerpt(strangers, 160)}\n"
                        f"Expected: thread_id {thread['id']!r} on every item", "$.data", items.index)  # fmt: skip


@check("chatkit.threads.unknown")
def unknown_thread(read: ThreadsRead, ctx: Context) -> Iterator[Violation]:
    steps = [*read.all("unknown-retrieve"), *read.all("unknown-items"), *read.all("unknown-delete")]
    if not steps:
        raise NotApplicable("the case asked for no thread that does not exist")
    for exchange in steps:
        yield from on(exchange, refused_violations(exchange, "a thread that does not exist", 404))


# --- files --------------------------------------------------------------------------------------------------


@check("chatkit.files.shape", case_bound=True)
def file_shape(exchange: Exchange, ctx: Context) -> Iterator[Violation]:
    response = exchange.response
    if response is not None and 400 <= response.status < 500:
        raise NotApplicable(f"the server did not take the upload with the API key ({received(exchange)[10:120]})")
    body = body_of(exchange)
    yield from schema_violations("chatkit.file", body)
    if isinstance(body, dict) and body.get("type") != "image":
        yield _mismatch("type", body.get("type"), "image", "for a PNG image", exchange)
