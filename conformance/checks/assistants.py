"""The Assistants API: assistants, threads and their messages over their lives, runs and their status machine as
observed over polling, tool outputs, run steps, and streamed runs as a state machine over their events.

Subjects: an `Exchange` for one answer (a create), a `Lifecycle` for a stored object (the create exchange, then
named steps: "retrieve", "modify", "retrieve-modified", "list", "delete", "retrieve-deleted", "messages" (a
thread's list), "created" (more objects of the list)), a `RunLife` for a run followed over time (the create
exchange, then "poll", "submit", "cancel", "steps", "step", "messages" (the thread's messages with `run_id`),
"all-messages", "runs" (the thread's runs), "modify"), and a `RunStream` for a streamed run. The lists' page
invariants are `checks.pagination`'s, under `assistants.pages.*` and `assistants.messages.pages.*`.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from conformance import jsonvalue
from conformance.checks._lifecycle import (
    Lifecycle,
    Observed,
    created_object,
    listed_violations,
    made_objects,
    observed,
    statuses_seen,
)
from conformance.checks.evidence import (
    answer,
    asked,
    created_violations,
    excerpt,
    received,
    schema_violations,
    status_violations,
)
from conformance.checks.evidence import cited as _on
from conformance.checks.evidence import cited_answer as _body
from conformance.checks.rule import Broken, Context, Violation, check
from conformance.exceptions import NotApplicable
from conformance.exchange import Exchange
from conformance.sse import SseEvent, parse_events

ENDS = frozenset({"completed", "failed", "cancelled", "expired", "incomplete"})
# Where a run's status may go next; a poll can miss states, so a rule allows any status reachable from the last.
NEXT: dict[str, frozenset[str]] = {
    "queued": frozenset({"in_progress", "cancelling", "failed", "expired", "incomplete", "cancelled"}),
    "in_progress": frozenset({"requires_action", "completed", "failed", "cancelling", "incomplete", "expired"}),
    "requires_action": frozenset({"queued", "in_progress", "cancelling", "failed", "expired"}),
    "cancelling": frozenset({"cancelled", "completed", "failed", "expired", "incomplete"}),
    **{end: frozenset() for end in ENDS},
}
# The keys upstream requires of each object beyond what our schemas require (DECISIONS.md: assistant-keys).
ALL_KEYS: dict[str, tuple[str, ...]] = {
    "assistant": ("name", "description", "instructions", "tool_resources", "metadata"),
    "thread": ("tool_resources", "metadata"),
    "thread.message": ("status", "assistant_id", "run_id", "attachments", "metadata"),
    "thread.run": (
        "model",
        "instructions",
        "tools",
        "metadata",
        "required_action",
        "last_error",
        "expires_at",
        "started_at",
        "cancelled_at",
        "failed_at",
        "completed_at",
    ),
}
# The object a streamed event's data is, by the event name's prefix (the longest that fits).
EVENT_OBJECTS = (
    ("thread.run.step.delta", "thread.run.step.delta"),
    ("thread.run.step.", "thread.run.step"),
    ("thread.run.", "thread.run"),
    ("thread.message.delta", "thread.message.delta"),
    ("thread.message.", "thread.message"),
    ("thread.created", "thread"),
)
ITEM_ENDS = {
    "thread.run.step": frozenset({"completed", "failed", "cancelled", "expired"}),
    "thread.message": frozenset({"completed", "incomplete"}),
}


# Tool outputs take a run back to queued: a move made by the client, seen on the submit's answer. Past it, the
# statuses a run reaches on its own never lead back, so the moves a poll can miss leave that edge out.
RESUMED = frozenset({"queued", "in_progress"})


def _reach(status: str) -> frozenset[str]:
    seen: set[str] = set(RESUMED | _reach("queued")) if status == "requires_action" else set()
    todo = [status]
    while todo:
        now = todo.pop()
        for after in NEXT.get(now, frozenset()) - (RESUMED if now == "requires_action" else frozenset()):
            if after not in seen:
                seen.add(after)
                todo.append(after)
    return frozenset(seen)


REACHABLE = {status: _reach(status) for status in NEXT}


@dataclass(frozen=True)
class RunLife(Lifecycle):
    """A run followed over time. `functions`: the function tools' names the run has; `outputs`: the tool outputs
    the case submitted (tool_call_id -> output); `waited`: how long the case polled at most (seconds)."""

    functions: tuple[str, ...] = ()
    outputs: tuple[tuple[str, str], ...] = ()
    waited: float = 0.0


@dataclass(frozen=True)
class RunStream:
    """A streamed run: the answer of a create, a create-thread-and-run or a submit (`resumed`: the run existed)."""

    exchange: Exchange
    resumed: bool = False
    events: tuple[SseEvent, ...] = field(default=())
    exchanges: tuple[Exchange, ...] = field(default=())

    def __post_init__(self) -> None:
        response = self.exchange.response
        found = parse_events(response.body)[0] if response is not None and response.status == 200 else []
        object.__setattr__(self, "events", tuple(found))
        object.__setattr__(self, "exchanges", (self.exchange,))


# --- reading ---------------------------------------------------------------------------------------------------


def _changed(sent: dict[str, Any], got: dict[str, Any], keys: tuple[str, ...], at: Exchange) -> Iterator[Violation]:
    """A violation per key of `keys` sent whose value in `got` is not the one sent (metadata: {} is no metadata)."""
    for key in keys:
        if key not in sent:
            continue
        want, have = sent[key], got.get(key)
        if key == "metadata":
            want, have = want or {}, have or {}
        if have != want:
            yield Violation(
                f"Received: {key} {excerpt(have, 120)}\nExpected: {excerpt(want, 120)}, as sent", f"$.{key}", at.index
            )


def _same(made: dict[str, Any], got: Exchange, what: str) -> Iterator[Violation]:
    body = _body(got)
    if not isinstance(body, dict):
        return
    for key, value in made.items():
        if key in body and body[key] != value:
            yield Violation(
                f"Received: {key} {excerpt(body[key], 100)}\nExpected: {excerpt(value, 100)}, as the {what} was "
                "created",
                f"$.{key}",
                got.index,
            )


def _deleted(life: Lifecycle, kind: str, what: str) -> Iterator[Violation]:
    ident = created_object(life, kind)["id"]
    gone = life.step("delete")
    body = _body(gone)
    yield from _on(gone, schema_violations(f"{kind}.deleted", body))
    if isinstance(body, dict) and body.get("id") != ident:
        yield Violation(f"Received: id {body.get('id')!r}\nExpected: {ident!r}, the {what} deleted", "$.id", gone.index)
    after = life.step("retrieve-deleted")
    if after.response is None or after.response.status != 404:
        yield Violation(f"{received(after)}\nExpected: 404 for the {what} deleted", "", after.index)


def _listed(listing: Exchange) -> list[Any]:
    body = _body(listing)
    data = body.get("data") if isinstance(body, dict) else None
    return [item.get("id") for item in data if isinstance(item, dict)] if isinstance(data, list) else []


# --- assistants ----------------------------------------------------------------------------------------------


@check("assistants.create.schema")
def create_schema(exchange: Exchange, ctx: Context) -> Iterator[Violation]:
    body = answer(exchange)
    yield from schema_violations("assistant", body)
    if isinstance(body, dict):
        yield from created_violations(body.get("created_at"), ctx, "$.created_at")


ASSISTANT_ECHOED = (
    "model",
    "name",
    "description",
    "instructions",
    "tools",
    "metadata",
    "temperature",
    "top_p",
    "response_format",
    "tool_resources",
)


@check("assistants.create.echoes")
def create_echoes(exchange: Exchange, ctx: Context) -> Iterator[Violation]:
    body = answer(exchange)
    if not isinstance(body, dict):
        raise NotApplicable("the answer is not a JSON object")
    yield from _changed(asked(exchange), body, ASSISTANT_ECHOED, exchange)


@check("assistants.retrieve.same")
def retrieve_same(life: Lifecycle, ctx: Context) -> Iterator[Violation]:
    yield from _same(created_object(life, "assistant"), life.step("retrieve"), "assistant")


@check("assistants.modify.kept")
def modify_kept(life: Lifecycle, ctx: Context) -> Iterator[Violation]:
    yield from _modified(life, "assistant", ASSISTANT_ECHOED)


def _modified(life: Lifecycle, kind: str, keys: tuple[str, ...]) -> Iterator[Violation]:
    made = created_object(life, kind)
    modify = life.step("modify")
    sent = asked(modify)
    for exchange in (modify, life.step("retrieve-modified")):
        body = _body(exchange)
        if not isinstance(body, dict):
            continue
        yield from _changed(sent, body, keys, exchange)
        for key in keys:  # what was not sent stays as it was
            if key not in sent and key in made and body.get(key) != made[key]:
                yield Violation(
                    f"Received: {key} {excerpt(body.get(key), 100)}\nExpected: {excerpt(made[key], 100)}"
                    ", unchanged: the modification did not send it",
                    f"$.{key}",
                    exchange.index,
                )


@check("assistants.list.contains")
def list_contains(life: Lifecycle, ctx: Context) -> Iterator[Violation]:
    wanted = [a["id"] for a in made_objects(life, "assistants")]
    yield from listed_violations(life.step("list"), "assistant.list", wanted, "assistants")


@check("assistants.delete.deleted")
def delete_deleted(life: Lifecycle, ctx: Context) -> Iterator[Violation]:
    yield from _deleted(life, "assistant", "assistant")


def _objects(exchange: Exchange) -> Iterator[tuple[str, dict[str, Any]]]:
    """The objects an answer shows: itself, or a list's items."""
    body = exchange.ok_json
    listed = body.get("data") if isinstance(body, dict) and body.get("object") == "list" else None
    for n, item in enumerate(listed if isinstance(listed, list) else [body]):
        if isinstance(item, dict) and item.get("object") in ALL_KEYS:
            yield (f"$.data[{n}]" if isinstance(listed, list) else "$"), item


@check("assistants.object.all-keys")
def all_keys(life: Lifecycle, ctx: Context) -> Iterator[Violation]:
    judged = False
    for exchange in life.exchanges:
        for at, item in _objects(exchange):
            judged = True
            missing = [key for key in ALL_KEYS[item["object"]] if key not in item]
            if missing:
                yield Violation(
                    f"Received: a {item['object']} without {', '.join(missing)}\nExpected: every key of "
                    f"the {item['object']} object",
                    at,
                    exchange.index,
                )
                return  # one object shows it; the others would repeat it
    if not judged:
        raise NotApplicable("no answer showed an assistant, thread, message or run")


@check("assistants.beta-header.required", case_bound=True)
def beta_header(exchange: Exchange, ctx: Context) -> Iterator[Violation]:
    yield from status_violations(exchange, 400, "a request without `OpenAI-Beta: assistants=v2`")


# --- threads and messages ----------------------------------------------------------------------------------


@check("assistants.threads.create.schema")
def thread_schema(exchange: Exchange, ctx: Context) -> Iterator[Violation]:
    body = answer(exchange)
    yield from schema_violations("thread", body)
    if isinstance(body, dict):
        yield from created_violations(body.get("created_at"), ctx, "$.created_at")
        yield from _changed(asked(exchange), body, ("metadata",), exchange)


def _text(message: Any) -> str:
    """A message's text: its text parts joined, or the string sent."""
    content = message.get("content") if isinstance(message, dict) else None
    if isinstance(content, str):
        return content
    parts = []
    for part in content if isinstance(content, list) else []:
        text = part.get("text") if isinstance(part, dict) else None
        parts.append(text.get("value", "") if isinstance(text, dict) else text if isinstance(text, str) else "")
    return "".join(str(p) for p in parts)


@check("assistants.threads.create.messages")
def thread_messages(life: Lifecycle, ctx: Context) -> Iterator[Violation]:
    sent = asked(life.created).get("messages") or asked(life.created).get("thread", {}).get("messages") or []
    if not sent:
        raise NotApplicable("the thread was created without messages")
    listing = life.step("messages")
    body = _body(listing)
    data = body.get("data") if isinstance(body, dict) else None
    got = [m for m in data if isinstance(m, dict) and not m.get("run_id")] if isinstance(data, list) else []
    if "order=asc" not in listing.request.url:
        got = got[::-1]
    have = [(m.get("role"), _text(m)) for m in got]
    want = [(m.get("role"), _text(m)) for m in sent]
    if have != want:
        yield Violation(
            f"Received: messages {excerpt(have, 200)}\nExpected: {excerpt(want, 200)}, the messages the "
            "thread was created with, in order",
            "$.data",
            listing.index,
        )


@check("assistants.threads.retrieve.same")
def thread_retrieve(life: Lifecycle, ctx: Context) -> Iterator[Violation]:
    yield from _same(created_object(life, "thread"), life.step("retrieve"), "thread")


@check("assistants.threads.modify.kept")
def thread_modify(life: Lifecycle, ctx: Context) -> Iterator[Violation]:
    yield from _modified(life, "thread", ("metadata",))


@check("assistants.threads.delete.deleted")
def thread_delete(life: Lifecycle, ctx: Context) -> Iterator[Violation]:
    yield from _deleted(life, "thread", "thread")


@check("assistants.messages.create.schema")
def message_schema(exchange: Exchange, ctx: Context) -> Iterator[Violation]:
    body = answer(exchange)
    yield from schema_violations("thread.message", body)
    if not isinstance(body, dict):
        return
    yield from created_violations(body.get("created_at"), ctx, "$.created_at")
    sent = asked(exchange)
    thread = exchange.request.url.split("/threads/", 1)[-1].split("/", 1)[0]
    if body.get("thread_id") != thread:
        yield Violation(
            f"Received: thread_id {body.get('thread_id')!r}\nExpected: {thread!r}, the thread of the request",
            "$.thread_id",
        )
    if body.get("role") != sent.get("role"):
        yield Violation(f"Received: role {body.get('role')!r}\nExpected: {sent.get('role')!r}, as sent", "$.role")
    if _text(body) != _text(sent):
        yield Violation(
            f"Received: text {excerpt(_text(body), 120)}\nExpected: {excerpt(_text(sent), 120)}, as sent", "$.content"
        )
    yield from _changed(sent, body, ("metadata",), exchange)
    files = [a.get("file_id") for a in sent.get("attachments") or [] if isinstance(a, dict)]
    kept = [a.get("file_id") for a in body.get("attachments") or [] if isinstance(a, dict)]
    if files and kept != files:
        yield Violation(
            f"Received: attachments of {excerpt(kept, 100)}\nExpected: {excerpt(files, 100)}, as sent", "$.attachments"
        )


@check("assistants.messages.retrieve.same")
def message_retrieve(life: Lifecycle, ctx: Context) -> Iterator[Violation]:
    yield from _same(created_object(life, "thread.message"), life.step("retrieve"), "message")


@check("assistants.messages.modify.kept")
def message_modify(life: Lifecycle, ctx: Context) -> Iterator[Violation]:
    yield from _modified(life, "thread.message", ("metadata",))


@check("assistants.messages.delete.deleted")
def message_delete(life: Lifecycle, ctx: Context) -> Iterator[Violation]:
    ident = created_object(life, "thread.message")["id"]
    gone = life.step("delete")
    body = _body(gone)
    yield from _on(gone, schema_violations("thread.message.deleted", body))
    listing = life.step("list")
    if ident in _listed(listing):
        yield Violation(
            f"Received: {ident!r} listed after its deletion\nExpected: the message gone from the list",
            "$.data",
            listing.index,
        )


# --- runs ------------------------------------------------------------------------------------------------------


def _run(life: Lifecycle) -> dict[str, Any]:
    return created_object(life, "thread.run")


def _observed(life: Lifecycle) -> Observed:
    """Every answer that shows the run (create, polls, submit, cancel, the runs list), in the order received."""
    return observed(life, "thread.run", listed=True)


def _seen(life: Lifecycle) -> str:
    return statuses_seen(_observed(life))


def _last(life: Lifecycle) -> tuple[Exchange, dict[str, Any]]:
    return _observed(life)[-1]


def _ended(life: Lifecycle, wanted: str) -> tuple[Exchange, dict[str, Any]]:
    exchange, last = _last(life)
    if last.get("status") == wanted:
        return exchange, last
    waited = life.waited if isinstance(life, RunLife) else 0.0
    raise NotApplicable(
        f"the run was {last.get('status')!r} when the case stopped polling after {waited:.0f} s, not "
        f"{wanted!r} (seen: {_seen(life)})"
    )


@check("assistants.runs.create.schema")
def run_schema(life: Lifecycle, ctx: Context) -> Iterator[Violation]:
    made = life.created.ok_json
    if made is None:
        raise Broken(f"{received(life.created)}\nExpected: status 200 with the run")
    sent = asked(life.created)
    thread = life.created.request.url.split("/threads/", 1)[-1].split("/", 1)[0]
    for exchange, body in (
        [(life.created, made), *_observed(life)[1:]] if isinstance(made, dict) else [(life.created, made)]
    ):
        yield from _on(exchange, schema_violations("thread.run", body, limit=4))
        if not isinstance(body, dict):
            continue
        if body.get("assistant_id") != sent.get("assistant_id"):
            yield Violation(
                f"Received: assistant_id {body.get('assistant_id')!r}\nExpected: "
                f"{sent.get('assistant_id')!r}, the assistant named",
                "$.assistant_id",
                exchange.index,
            )
        if thread != "runs" and body.get("thread_id") != thread:
            yield Violation(
                f"Received: thread_id {body.get('thread_id')!r}\nExpected: {thread!r}, the thread run",
                "$.thread_id",
                exchange.index,
            )
        if sent.get("model") and body.get("model") != sent["model"]:
            yield Violation(
                f"Received: model {body.get('model')!r}\nExpected: {sent['model']!r}, as sent",
                "$.model",
                exchange.index,
            )
        if exchange is life.created:
            yield from created_violations(body.get("created_at"), ctx, "$.created_at")


@check("assistants.runs.status.transitions")
def status_transitions(life: Lifecycle, ctx: Context) -> Iterator[Violation]:
    observed = _observed(life)
    if not observed:
        raise NotApplicable(f"no answer showed the run ({received(life.created)[10:90]})")
    previous = None
    for exchange, body in observed:
        status = body.get("status")
        if status not in NEXT:
            yield Violation(f"Received: status {status!r}\nExpected: one of {sorted(NEXT)}", "$.status", exchange.index)
            return
        if previous is not None and status != previous and status not in REACHABLE[previous]:
            yield Violation(
                f"Received: status {status!r} after {previous!r} (seen: {_seen(life)})\nExpected: "
                f"{' or '.join(sorted(REACHABLE[previous])) or 'no change: ' + repr(previous) + ' is an end'}",
                "$.status",
                exchange.index,
            )
            return
        previous = status


@check("assistants.runs.completed.message")
def completed_message(life: Lifecycle, ctx: Context) -> Iterator[Violation]:
    _, run = _ended(life, "completed")
    steps = life.step("steps")
    listed = _body(steps)
    data = listed.get("data") if isinstance(listed, dict) else []
    named = [
        s.get("step_details", {}).get("message_creation", {}).get("message_id")
        for s in data or []
        if isinstance(s, dict) and s.get("type") == "message_creation"
    ]
    if not named:
        yield Violation(
            f"Received: steps {excerpt([s.get('type') for s in data or [] if isinstance(s, dict)], 100)}"
            "\nExpected: a message_creation step naming the message the run wrote",
            "$.data",
            steps.index,
        )
        return
    messages = life.step("all-messages")
    body = _body(messages)
    found = {m.get("id"): m for m in body.get("data") or [] if isinstance(m, dict)} if isinstance(body, dict) else {}
    for ident in named:
        message = found.get(ident)
        if message is None:
            yield Violation(
                f"Received: the thread's messages {excerpt(list(found), 160)}\nExpected: {ident!r}, the "
                "message the run's step names",
                "$.data",
                messages.index,
            )
            continue
        if message.get("role") != "assistant" or message.get("run_id") != run.get("id") or not _text(message):
            yield Violation(
                f"Received: role {message.get('role')!r}, run_id {message.get('run_id')!r}, text "
                f"{excerpt(_text(message), 60)}\nExpected: the assistant's text, run_id {run.get('id')!r}",
                "$.data",
                messages.index,
            )


@check("assistants.messages.list.run-id")
def messages_run_id(life: Lifecycle, ctx: Context) -> Iterator[Violation]:
    run = _run(life)
    listing = life.step("messages")
    body = _body(listing)
    data = body.get("data") if isinstance(body, dict) else None
    others = [m.get("id") for m in data or [] if isinstance(m, dict) and m.get("run_id") != run["id"]]
    if others:
        yield Violation(
            f"Received: {excerpt(others, 120)} listed for run_id {run['id']!r}\nExpected: only the "
            "messages that run wrote",
            "$.data",
            listing.index,
        )


def _calls(run: dict[str, Any]) -> Any:
    action = run.get("required_action")
    outputs = action.get("submit_tool_outputs") if isinstance(action, dict) else None
    return outputs.get("tool_calls") if isinstance(outputs, dict) else None


@check("assistants.runs.required-action")
def required_action(life: Lifecycle, ctx: Context) -> Iterator[Violation]:
    functions = life.functions if isinstance(life, RunLife) else ()
    judged = False
    for exchange, run in _observed(life):
        action = run.get("required_action")
        if run.get("status") != "requires_action":
            if action is not None:
                yield Violation(
                    f"Received: required_action {excerpt(action, 100)} in status {run.get('status')!r}\nExpected: null",
                    "$.required_action",
                    exchange.index,
                )
            continue
        judged = True
        calls = _calls(run)
        if not isinstance(action, dict) or action.get("type") != "submit_tool_outputs" or not calls:
            yield Violation(
                f"Received: required_action {excerpt(action, 160)}\nExpected: submit_tool_outputs with "
                "the tool calls to answer",
                "$.required_action",
                exchange.index,
            )
            continue
        for n, call in enumerate(calls):
            function = call.get("function") if isinstance(call, dict) else None
            name = function.get("name") if isinstance(function, dict) else None
            arguments = function.get("arguments") if isinstance(function, dict) else None
            try:
                parsed = jsonvalue.parse(arguments) if isinstance(arguments, str) else None
            except ValueError:
                parsed = None
            if (
                not isinstance(call, dict)
                or not call.get("id")
                or call.get("type") != "function"
                or (functions and name not in functions)
                or not isinstance(parsed, dict)
            ):
                yield Violation(
                    f"Received: {excerpt(call, 160)}\nExpected: an id, type function, a function of the "
                    f"run ({excerpt(list(functions), 60)}) and JSON object arguments",
                    f"$.required_action.submit_tool_outputs.tool_calls[{n}]",
                    exchange.index,
                )
    if not judged:
        raise NotApplicable(f"the run never required action (seen: {_seen(life)})")


@check("assistants.runs.step-tool-calls")
def step_tool_calls(life: Lifecycle, ctx: Context) -> Iterator[Violation]:
    waiting = [(e, r) for e, r in _observed(life) if r.get("status") == "requires_action" and _calls(r)]
    if not waiting:
        raise NotApplicable(f"the run never named tool calls (seen: {_seen(life)})")
    wanted = sorted(str(c.get("id")) for c in _calls(waiting[0][1]) if isinstance(c, dict))
    steps = life.all("steps")
    if not steps:
        raise NotApplicable("the case did not list the run's steps")
    listing = steps[0]
    body = _body(listing)
    data = body.get("data") if isinstance(body, dict) else []
    got = sorted(
        str(c.get("id"))
        for s in data or []
        if isinstance(s, dict) and s.get("type") == "tool_calls"
        for c in s.get("step_details", {}).get("tool_calls") or []
        if isinstance(c, dict)
    )
    if got != wanted:
        yield Violation(
            f"Received: tool_calls steps with calls {excerpt(got, 120)}\nExpected: {excerpt(wanted, 120)}, "
            "the calls of required_action",
            "$.data",
            listing.index,
        )


@check("assistants.runs.submit.continues")
def submit_continues(life: Lifecycle, ctx: Context) -> Iterator[Violation]:
    submit = life.step("submit")
    body = _body(submit)
    if isinstance(body, dict) and body.get("status") not in (
        "queued",
        "in_progress",
        "completed",
        "failed",
        "incomplete",
    ):
        yield Violation(
            f"Received: status {body.get('status')!r} answering the tool outputs\nExpected: the run going "
            "on (queued or in_progress)",
            "$.status",
            submit.index,
        )
        return
    exchange, last = _last(life)
    outputs = dict(life.outputs) if isinstance(life, RunLife) else {}
    again = {c.get("id") for c in _calls(last) or [] if isinstance(c, dict)}
    if last.get("status") == "requires_action" and again and not again & set(outputs):
        raise NotApplicable(f"the run went on to ask for more tool calls {excerpt(sorted(again), 80)}")
    if last.get("status") != "completed":
        if last.get("status") in ENDS or last.get("status") == "requires_action":
            yield Violation(
                f"Received: status {last.get('status')!r} after the tool outputs (seen: {_seen(life)})\n"
                "Expected: 'completed'",
                "$.status",
                exchange.index,
            )
            return
        _ended(life, "completed")
    steps = life.all("steps")
    if not outputs or not steps:
        return
    listing = steps[-1]
    data = (_body(listing) or {}).get("data") or []
    given = {
        c.get("id"): (c.get("function") or {}).get("output")
        for s in data
        if isinstance(s, dict)
        for c in s.get("step_details", {}).get("tool_calls") or []
        if isinstance(c, dict)
    }
    for call, output in outputs.items():
        if given.get(call) != output:
            yield Violation(
                f"Received: output {excerpt(given.get(call), 80)} for {call!r} in the run's steps\n"
                f"Expected: {output!r}, as submitted",
                "$.data",
                listing.index,
            )


@check("assistants.runs.cancel.cancelled")
def cancel_cancelled(life: Lifecycle, ctx: Context) -> Iterator[Violation]:
    cancel = life.step("cancel")
    body = _body(cancel)
    if isinstance(body, dict) and body.get("status") not in ("cancelling", "cancelled"):
        yield Violation(
            f"Received: status {body.get('status')!r} answering the cancel\nExpected: 'cancelling' (or 'cancelled')",
            "$.status",
            cancel.index,
        )
        return
    exchange, last = _last(life)
    if last.get("status") in ENDS and last.get("status") != "cancelled":
        yield Violation(
            f"Received: status {last.get('status')!r} after the cancel (seen: {_seen(life)})\nExpected: 'cancelled'",
            "$.status",
            exchange.index,
        )
    elif last.get("status") != "cancelled":
        _ended(life, "cancelled")


@check("assistants.runs.retrieve.listed")
def runs_listed(life: Lifecycle, ctx: Context) -> Iterator[Violation]:
    ident = _run(life)["id"]
    listing = life.step("runs")
    yield from _on(listing, schema_violations("thread.run.list", _body(listing)))
    if ident not in _listed(listing):
        yield Violation(
            f"Received: runs {excerpt(_listed(listing), 120)}\nExpected: {ident!r} among them", "$.data", listing.index
        )
    modify = life.step("modify")
    sent = asked(modify)
    for exchange in (modify, *life.all("poll")[-1:]):
        body = _body(exchange)
        if isinstance(body, dict):
            yield from _changed(sent, body, ("metadata",), exchange)


@check("assistants.runs.steps.same")
def steps_same(life: Lifecycle, ctx: Context) -> Iterator[Violation]:
    run = _run(life)
    listing = life.step("steps")
    body = _body(listing)
    yield from _on(listing, schema_violations("thread.run.step.list", body))
    data = body.get("data") if isinstance(body, dict) else None
    if not data:
        if _last(life)[1].get("status") not in ENDS:
            raise NotApplicable(f"the run had not ended and had no steps yet (seen: {_seen(life)})")
        yield Violation(f"Received: {excerpt(body, 120)}\nExpected: the steps of the run", "$.data", listing.index)
        return
    for n, step in enumerate(data):
        if isinstance(step, dict) and (step.get("run_id"), step.get("thread_id")) != (run["id"], run["thread_id"]):
            yield Violation(
                f"Received: run_id {step.get('run_id')!r}, thread_id {step.get('thread_id')!r}\nExpected: "
                f"{run['id']!r}, {run['thread_id']!r}",
                f"$.data[{n}]",
                listing.index,
            )
    one = life.step("step")
    got = _body(one)
    yield from _on(one, schema_violations("thread.run.step", got))
    listed = next(
        (s for s in data if isinstance(s, dict) and isinstance(got, dict) and s.get("id") == got.get("id")), None
    )
    if listed is None or listed != got:
        yield Violation(
            f"Received: {excerpt(got, 160)}\nExpected: the step as listed: {excerpt(listed, 160)}", "", one.index
        )


@check("assistants.runs.steps.file-search-content")
def file_search_content(life: Lifecycle, ctx: Context) -> Iterator[Violation]:
    judged = False
    for exchange in (*life.all("steps-included"), *life.all("step-included")):
        body = _body(exchange)
        items = body.get("data") if isinstance(body, dict) and body.get("object") == "list" else [body]
        for n, step in enumerate(items if isinstance(items, list) else []):
            calls = (step.get("step_details") or {}).get("tool_calls") if isinstance(step, dict) else None
            for c, call in enumerate(calls if isinstance(calls, list) else []):
                if not isinstance(call, dict) or call.get("type") != "file_search":
                    continue
                results = (call.get("file_search") or {}).get("results")
                for r, result in enumerate(results if isinstance(results, list) else []):
                    judged = True
                    content = result.get("content") if isinstance(result, dict) else None
                    texts = [p.get("text") for p in content or [] if isinstance(p, dict)]
                    if not texts or not all(isinstance(t, str) and t for t in texts):
                        yield Violation(
                            f"Received: a file_search result {excerpt(result, 160)}\nExpected: its content (text "
                            "parts), as `include[]` asked",
                            f"$.data[{n}].step_details.tool_calls[{c}].file_search.results[{r}].content"
                            if body is not step
                            else f"$.step_details.tool_calls[{c}].file_search.results[{r}].content",
                            exchange.index,
                        )
    if not judged:
        raise NotApplicable(f"the run's steps show no file_search result (seen: {_seen(life)})")


@check("assistants.runs.thread-and-run")
def thread_and_run(life: Lifecycle, ctx: Context) -> Iterator[Violation]:
    run = _run(life)
    thread = life.step("thread")
    body = _body(thread)
    if isinstance(body, dict) and body.get("id") != run.get("thread_id"):
        yield Violation(
            f"Received: thread {body.get('id')!r}\nExpected: {run.get('thread_id')!r}, the run's thread",
            "$.id",
            thread.index,
        )
    sent = (asked(life.created).get("thread") or {}).get("messages") or []
    listing = life.step("messages")
    data = (_body(listing) or {}).get("data") or []
    have = [_text(m) for m in reversed(data) if isinstance(m, dict) and m.get("role") == "user"]
    want = [_text(m) for m in sent if m.get("role") == "user"]
    if have != want:
        yield Violation(
            f"Received: user messages {excerpt(have, 160)}\nExpected: {excerpt(want, 160)}, the messages "
            "sent with the thread",
            "$.data",
            listing.index,
        )


# --- streamed runs: a state machine over the events --------------------------------------------------------------


def _parsed(stream: RunStream) -> list[tuple[SseEvent, Any]]:
    out = []
    for event in stream.events:
        try:
            data: Any = jsonvalue.parse(event.data) if not event.is_done else "[DONE]"
        except ValueError:
            data = event.data
        out.append((event, data))
    return out


def _streamed(stream: RunStream) -> list[tuple[SseEvent, Any]]:
    response = stream.exchange.response
    if response is None or response.status != 200:
        raise NotApplicable(
            f"no stream to judge ({received(stream.exchange)[10:90]}): assistants.stream.content-type reports it"
        )
    return _parsed(stream)


@check("assistants.stream.content-type")
def stream_content_type(stream: RunStream, ctx: Context) -> Iterator[Violation]:
    response = stream.exchange.response
    if response is None or response.status != 200 or response.content_type != "text/event-stream":
        yield Violation(f"{received(stream.exchange)}\nExpected: 200 text/event-stream")
        return
    unnamed = [event.index for event in stream.events if not event.event]
    if unnamed:
        yield Violation(
            f"Received: events {excerpt(unnamed, 60)} without an `event:` line\nExpected: every event "
            "named (thread.run.created, ..., done)",
            f"event {unnamed[0]}",
        )


@check("assistants.stream.run-order")
def stream_run_order(stream: RunStream, ctx: Context) -> Iterator[Violation]:
    """created (or, resumed by a submit, queued) first of the run's events, queued, in_progress, then moves the
    status machine allows."""
    expected = (
        ["thread.run.queued", "thread.run.in_progress"]
        if stream.resumed
        else ["thread.run.created", "thread.run.queued", "thread.run.in_progress"]
    )
    status: str | None = None
    opening = list(expected)
    for event, data in _streamed(stream):
        name = event.event or ""
        if name in ("done", "error", "thread.created"):
            continue
        if opening:
            if name != opening[0]:
                yield Violation(
                    f"Received: {name!r} at event {event.index}\nExpected: {opening[0]!r} (the run's "
                    f"events begin {' → '.join(expected)})",
                    f"event {event.index}",
                )
                return
            opening.pop(0)
        if not name.startswith("thread.run.") or name.startswith("thread.run.step."):
            continue
        now = data.get("status") if isinstance(data, dict) else None
        if (
            name != "thread.run.created"
            and status is not None
            and now != status
            and now not in REACHABLE.get(status, ())
        ):
            yield Violation(
                f"Received: {name!r} (status {now!r}) after status {status!r}\nExpected: "
                f"{' or '.join(sorted(REACHABLE.get(status, ()))) or 'nothing: ' + repr(status) + ' is an end'}",
                f"event {event.index}",
            )
            return
        status = now if isinstance(now, str) else status
    if opening:
        yield Violation(f"Received: the stream ended before {opening[0]!r}\nExpected: {' → '.join(expected)}")


@check("assistants.stream.item-order")
def stream_item_order(stream: RunStream, ctx: Context) -> Iterator[Violation]:
    state: dict[tuple[str, str], str] = {}  # (kind, id) -> created | in_progress | the end reached
    for event, data in _streamed(stream):
        name = event.event or ""
        kind = (
            "thread.run.step"
            if name.startswith("thread.run.step.")
            else ("thread.message" if name.startswith("thread.message.") else None)
        )
        if kind is None or not isinstance(data, dict):
            continue
        what = name[len(kind) + 1 :]
        key = (kind, str(data.get("id")))
        now = state.get(key)
        wrong = None
        if what == "created":
            wrong = "created twice" if now is not None else None
        elif now is None and not stream.resumed:
            wrong = f"{what!r} before created"
        elif now is None:
            pass  # a stream resumed by tool outputs goes on with the step the run stopped in
        elif now in ITEM_ENDS[kind]:
            wrong = f"{what!r} after {now!r}"
        elif what == "in_progress" and now != "created":
            wrong = "in_progress twice"
        if wrong:
            yield Violation(
                f"Received: {name} of {key[1]!r} at event {event.index}: {wrong}\nExpected: created, "
                "in_progress, deltas, then one end",
                f"event {event.index}",
            )
            return
        if what != "delta":
            state[key] = what
    open_items = [ident for (kind, ident), now in state.items() if now not in ITEM_ENDS[kind]]
    ended = [
        e
        for e, d in _parsed(stream)
        if (e.event or "").startswith("thread.run.") and isinstance(d, dict) and d.get("status") in ("completed",)
    ]
    if open_items and ended:
        yield Violation(
            f"Received: {excerpt(open_items, 120)} never ended though the run completed\nExpected: each "
            "step and message ends (completed) before the run does"
        )


@check("assistants.stream.message-text")
def stream_message_text(stream: RunStream, ctx: Context) -> Iterator[Violation]:
    joined: dict[tuple[str, int], str] = {}
    finals: list[tuple[SseEvent, dict[str, Any]]] = []
    for event, data in _streamed(stream):
        if not isinstance(data, dict):
            continue
        if event.event == "thread.message.delta":
            for part in (data.get("delta") or {}).get("content") or []:
                text = part.get("text") if isinstance(part, dict) else None
                if isinstance(text, dict) and isinstance(text.get("value"), str):
                    key = (str(data.get("id")), int(part.get("index", 0)))
                    joined[key] = joined.get(key, "") + text["value"]
        elif event.event == "thread.message.completed":
            finals.append((event, data))
    if not finals:
        raise NotApplicable("the stream completed no message")
    for event, message in finals:
        for n, part in enumerate(message.get("content") or []):
            text = part.get("text") if isinstance(part, dict) else None
            if not isinstance(text, dict):
                continue
            got = joined.get((str(message.get("id")), n), "")
            if got != text.get("value"):
                yield Violation(
                    f"Received: deltas adding up to {excerpt(got, 120)}\nExpected: "
                    f"{excerpt(text.get('value'), 120)}, the completed message's text",
                    f"event {event.index} $.content[{n}].text.value",
                )


@check("assistants.stream.event-data")
def stream_event_data(stream: RunStream, ctx: Context) -> Iterator[Violation]:
    found = 0
    for event, data in _streamed(stream):
        name = event.event or ""
        if name == "done":
            continue
        if name == "error":
            error = data.get("error", data) if isinstance(data, dict) else None
            if not isinstance(error, dict) or not isinstance(error.get("message"), str):
                yield Violation(
                    f"Received: error event data {excerpt(data, 120)}\nExpected: an error object with a message",
                    f"event {event.index}",
                )
            continue
        schema = next((s for prefix, s in EVENT_OBJECTS if name.startswith(prefix)), None)
        if schema is None:
            continue
        found += 1
        yield from schema_violations(schema, data, prefix=f"event {event.index} $", limit=3)
    if not found:
        raise NotApplicable("the stream held no thread.* event")


@check("assistants.stream.done-last")
def stream_done_last(stream: RunStream, ctx: Context) -> Iterator[Violation]:
    events = _streamed(stream)
    if not events:
        yield Violation("Received: no events\nExpected: the run's events, then `done`")
        return
    last, _ = events[-1]
    done = [e.index for e, _ in events if e.event == "done" or e.is_done]
    if last.event != "done" or not last.is_done:
        yield Violation(
            f"Received: the stream ends with {last.event!r} ({excerpt(last.data, 60)}), done at "
            f"{excerpt(done, 40)}\nExpected: `event: done` with `data: [DONE]` last",
            f"event {last.index}",
        )


def tool_outputs(run: dict[str, Any], output: str) -> list[dict[str, str]]:
    """An output for each call a run requires (what a case submits)."""
    return [{"tool_call_id": str(c.get("id")), "output": output} for c in _calls(run) or [] if isinstance(c, dict)]


def run_of(stream: RunStream) -> dict[str, Any] | None:
    """The run as the last thread.run.* event of a stream shows it."""
    found = None
    for event, data in _parsed(stream):
        if (event.event or "").startswith("thread.run.") and not (event.event or "").startswith("thread.run.step"):
            found = data if isinstance(data, dict) else found
    return found


__all__ = ["RunLife", "RunStream", "run_of", "tool_outputs"]
