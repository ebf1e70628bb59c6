"""The Responses API without streaming: the `response` object, what a stored response promises afterwards, the
input parts a request may send, and the two operations beside it (counting input tokens, compacting a conversation).

Subjects: an `Exchange` for one answer, or a `Lifecycle` for a rule that needs several (create, then
retrieve, delete, continue, list input items). The rules shared with streams (usage, the token cap) take a
`response` object, so `responses_stream` judges a stream's final response with the same functions.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from typing import Any

import jsonschema

from conformance import jsonvalue
from conformance.checks._lifecycle import Lifecycle
from conformance.checks.evidence import (
    RESPONSES_TOKENS,
    answer,
    asked,
    created_violations,
    declined,
    excerpt,
    is_error_answer,
    received,
    schema_violations,
    status_violations,
    usage_violations,
)
from conformance.checks.rule import Broken, Context, Violation, check
from conformance.exceptions import NotApplicable
from conformance.exchange import Exchange

TERMINAL_STATUSES = frozenset({"completed", "failed", "incomplete", "cancelled"})


def output_texts(response: dict[str, Any]) -> list[str]:
    """The text of every `output_text` part of every message item, in order."""
    texts: list[str] = []
    for item in response.get("output") or []:
        if isinstance(item, dict) and item.get("type") == "message":
            for part in item.get("content") or []:
                if isinstance(part, dict) and part.get("type") == "output_text":
                    text = part.get("text")
                    texts.append(text if isinstance(text, str) else "")
    return texts


def function_calls(response: dict[str, Any]) -> list[dict[str, Any]]:
    return [i for i in response.get("output") or [] if isinstance(i, dict) and i.get("type") == "function_call"]


def response_usage_violations(response: dict[str, Any], at: str = "$") -> Iterator[Violation]:
    """`total_tokens` is `input_tokens + output_tokens`, when the response reports usage at all."""
    if not isinstance(response.get("usage"), dict):
        raise NotApplicable("the response reports no usage")
    yield from usage_violations(response["usage"], f"{at}.usage", RESPONSES_TOKENS)


def output_tokens(response: dict[str, Any]) -> int | None:
    usage = response.get("usage")
    produced = usage.get("output_tokens") if isinstance(usage, dict) else None
    return produced if isinstance(produced, int) else None


def says_cut(response: dict[str, Any]) -> bool:
    """Status `incomplete` with incomplete_details.reason `max_output_tokens`."""
    details = response.get("incomplete_details")
    reason = details.get("reason") if isinstance(details, dict) else None
    return response.get("status") == "incomplete" and reason == "max_output_tokens"


def ran_to_cap(response: dict[str, Any], request: dict[str, Any]) -> bool:
    """The response was cut by its cap, said so, and its usage shows the cap reached."""
    cap, produced = request.get("max_output_tokens"), output_tokens(response)
    return isinstance(cap, int) and produced is not None and produced >= cap and says_cut(response)


def cut_violations(response: dict[str, Any], request: dict[str, Any], at: str = "$") -> Iterator[Violation]:
    """A response cut by `max_output_tokens` says so: status `incomplete`, reason `max_output_tokens`.

    The cut is read from usage (output tokens at the cap); without usage, the cases ask for more than the cap
    holds, so the status alone is judged.
    """
    cap = request.get("max_output_tokens")
    if not isinstance(cap, int):
        raise NotApplicable("the request sets no max_output_tokens")
    produced = output_tokens(response)
    if produced is not None and produced > cap:
        yield Violation(f"Received: output_tokens {produced}\nExpected: at most max_output_tokens {cap}", f"{at}.usage")
    if produced is not None and produced < cap and response.get("status") == "completed":
        return  # the answer ended on its own before the cap
    if not says_cut(response):
        yield Violation(
            f"Received: status {response.get('status')!r}, incomplete_details "
            f"{excerpt(response.get('incomplete_details'), 120)} with max_output_tokens {cap} and "
            f"{produced if produced is not None else 'unreported'} output tokens\n"
            "Expected: status 'incomplete' with incomplete_details.reason 'max_output_tokens'",
            f"{at}.status",
        )


def response_body(exchange: Exchange) -> dict[str, Any]:
    body = answer(exchange)
    if not isinstance(body, dict):
        raise Broken(f"{received(exchange)}\nExpected: a `response` object")
    return body


@check("responses.create.schema")
def create_schema(exchange: Exchange, ctx: Context) -> Iterator[Violation]:
    yield from schema_violations("response", response_body(exchange))


@check("responses.create.completed")
def create_completed(exchange: Exchange, ctx: Context) -> Iterator[Violation]:
    body = response_body(exchange)
    if ran_to_cap(body, asked(exchange)):
        raise NotApplicable(
            "the model ran to max_output_tokens and the response says so (a small or random model may not stop "
            "early; responses.create.max-output-tokens judges cuts)"
        )
    if body.get("status") != "completed" or body.get("error") is not None:
        yield Violation(
            f"Received: status {body.get('status')!r}, error {excerpt(body.get('error'), 120)}\n"
            "Expected: status 'completed' and error null for a short answer well within its cap",
            "$.status",
        )
    elif not any(text.strip() for text in output_texts(body)) and not function_calls(body):
        yield Violation(
            f"Received: output {excerpt(body.get('output'), 200)}\n"
            "Expected: a message item with a non-empty output_text part",
            "$.output",
        )


# What a finished response carries. The core keys are in every seed example of a final response and read by
# the SDKs (`output_text` walks `output`); the rest are the keys upstream's `Response` requires, which the real API
# always sends (null when empty). Our schema requires neither (DECISIONS.md: response-required): these rules do.
CORE_KEYS = ("object", "created_at", "status", "output")
UPSTREAM_KEYS = (
    "error", "incomplete_details", "instructions", "metadata", "parallel_tool_calls", "temperature", "tool_choice",
    "tools", "top_p",
)  # fmt: skip


def missing_keys(body: dict[str, Any], keys: Sequence[str], at: str = "$") -> Iterator[Violation]:
    if missing := [key for key in keys if key not in body]:
        yield Violation(
            f"Received: a response without {', '.join(f'`{k}`' for k in missing)}\n"
            f"Expected: every one of {', '.join(keys)} (null when empty), as the real API sends",
            at,
        )


@check("responses.create.core-keys")
def create_core_keys(exchange: Exchange, ctx: Context) -> Iterator[Violation]:
    yield from missing_keys(response_body(exchange), CORE_KEYS)


@check("responses.create.all-keys")
def create_all_keys(exchange: Exchange, ctx: Context) -> Iterator[Violation]:
    yield from missing_keys(response_body(exchange), UPSTREAM_KEYS)


# The keys upstream declares optional that the real API sends all the same (schemas/response.keys.md gives each
# one's source). Asked only of a whole response, one that carries every key upstream requires: the seeds' examples
# are abbreviated for the page and leave out even those, and a response that does is all-keys' matter.
OPTIONAL_KEYS = (
    "completed_at", "background", "max_output_tokens", "max_tool_calls", "previous_response_id", "reasoning",
    "service_tier", "store", "text", "top_logprobs", "truncation", "usage", "user", "safety_identifier",
    "prompt_cache_key",
)  # fmt: skip
USAGE_DETAILS = ("input_tokens_details", "output_tokens_details")
FUNCTION_TOOL_KEYS = ("parameters", "strict")


def optional_key_violations(body: dict[str, Any]) -> Iterator[Violation]:
    upstream_required = ("id", "model", *CORE_KEYS, *UPSTREAM_KEYS)
    if short := [key for key in upstream_required if key not in body]:
        raise NotApplicable(
            f"an abbreviated response (without {', '.join(short)}): responses.create.all-keys and "
            "responses.create.core-keys judge what it leaves out"
        )
    yield from missing_keys(body, OPTIONAL_KEYS)
    if isinstance(usage := body.get("usage"), dict) and (gone := [k for k in USAGE_DETAILS if k not in usage]):
        yield Violation(
            f"Received: usage without {', '.join(f'`{k}`' for k in gone)}\n"
            "Expected: both token details, as the real API sends (upstream ResponseUsage requires them)",
            "$.usage",
        )
    functions = [
        (n, t) for n, t in enumerate(body.get("tools") or []) if isinstance(t, dict) and t.get("type") == "function"
    ]
    for n, tool in functions:
        if gone := [k for k in FUNCTION_TOOL_KEYS if k not in tool]:
            yield Violation(
                f"Received: the function tool {excerpt(tool.get('name'), 60)} echoed without "
                f"{', '.join(f'`{k}`' for k in gone)}\n"
                "Expected: parameters and strict on every function tool (upstream FunctionTool requires them)",
                f"$.tools[{n}]",
            )


@check("responses.create.optional-keys")
def create_optional_keys(exchange: Exchange, ctx: Context) -> Iterator[Violation]:
    yield from optional_key_violations(response_body(exchange))


@check("responses.create.created-at")
def create_created_at(exchange: Exchange, ctx: Context) -> Iterator[Violation]:
    yield from created_violations(response_body(exchange).get("created_at"), ctx, "$.created_at")


@check("responses.create.usage-adds-up")
def create_usage(exchange: Exchange, ctx: Context) -> Iterator[Violation]:
    yield from response_usage_violations(response_body(exchange))


@check("responses.create.max-output-tokens")
def create_cut(exchange: Exchange, ctx: Context) -> Iterator[Violation]:
    yield from cut_violations(response_body(exchange), asked(exchange))


@check("responses.create.echoes-request")
def echoes_request(exchange: Exchange, ctx: Context) -> Iterator[Violation]:
    """The response repeats the parameters it was created with (SDKs and UIs read them back from it)."""
    request, body = asked(exchange), response_body(exchange)
    keys = [k for k in ("instructions", "metadata", "max_output_tokens", "previous_response_id") if k in request]
    if not keys:
        raise NotApplicable("the request sets none of instructions, metadata, max_output_tokens")
    for key in keys:
        if body.get(key) != request[key]:
            yield Violation(
                f"Received: {key} {excerpt(body.get(key), 120)}\nExpected: {excerpt(request[key], 120)}, as sent",
                f"$.{key}",
            )


# --- a stored response over its life ---------------------------------------------------------------------------


def _at(exchange: Exchange, message: str, at: str = "") -> Violation:
    return Violation(message, at, exchange.index)


# What retrieve must give back as it was created; `usage` and timings may be filled in later by the server.
SAME_ON_RETRIEVE = ("id", "object", "created_at", "model", "status", "output", "instructions", "metadata")


@check("responses.retrieve.same")
def retrieve_same(life: Lifecycle, ctx: Context) -> Iterator[Violation]:
    created = response_body(life.created)
    got = life.step("retrieve")
    try:
        body = response_body(got)
    except Broken as exc:
        yield _at(got, exc.violation.message)
        return
    for key in SAME_ON_RETRIEVE:
        if key in created and json.dumps(body.get(key), sort_keys=True) != json.dumps(created[key], sort_keys=True):
            yield _at(
                got,
                f"Received: {key} {excerpt(body.get(key), 160)}\nExpected: {excerpt(created[key], 160)}, as created",
                f"$.{key}",
            )


def _gone(exchange: Exchange, what: str) -> Iterator[Violation]:
    if not is_error_answer(exchange) or exchange.response is None or exchange.response.status != 404:
        yield _at(exchange, f"{received(exchange)}\nExpected: 404 for the deleted {what}")


def deleted_violations(exchange: Exchange, object_type: str | None, what: str) -> Iterator[Violation]:
    """A delete answers 200; a JSON body, when there is one, says `deleted: true` for the same id."""
    if exchange.response is None or exchange.response.status != 200:
        yield _at(exchange, f"{received(exchange)}\nExpected: 200 for deleting the {what}")
        return
    body = exchange.response.json
    if body is None:
        return  # the reference documents no body for a deleted response
    if not isinstance(body, dict) or body.get("deleted") is not True:
        yield _at(exchange, f"{received(exchange)}\nExpected: a body with deleted true", "$.deleted")
    elif object_type is not None and body.get("object") != object_type:
        yield _at(exchange, f"Received: object {body.get('object')!r}\nExpected: {object_type!r}", "$.object")


@check("responses.delete.deleted")
def delete_deleted(life: Lifecycle, ctx: Context) -> Iterator[Violation]:
    yield from deleted_violations(life.step("delete"), None, "response")
    yield from _gone(life.step("retrieve-deleted"), "response")


@check("responses.previous.continues")
def previous_continues(life: Lifecycle, ctx: Context) -> Iterator[Violation]:
    created = response_body(life.created)
    follow = life.step("continue")
    try:
        body = response_body(follow)
    except Broken as exc:
        yield _at(follow, exc.violation.message)
        return
    if body.get("previous_response_id") != created.get("id"):
        yield _at(
            follow,
            f"Received: previous_response_id {body.get('previous_response_id')!r}\n"
            f"Expected: {created.get('id')!r}, the response it continues",
            "$.previous_response_id",
        )
    if body.get("status") != "completed" and not ran_to_cap(body, asked(follow)):
        yield _at(
            follow,
            f"Received: status {body.get('status')!r}\nExpected: 'completed' (or 'incomplete' at max_output_tokens)",
            "$.status",
        )


def _texts_of(items: Sequence[Any]) -> list[str]:
    """Every text an input item holds: a string content, or the `text` of its content parts."""
    out: list[str] = []
    for item in items:
        if not isinstance(item, dict):
            continue
        content = item.get("content")
        if isinstance(content, str):
            out.append(content)
        for part in content if isinstance(content, list) else []:
            if isinstance(part, dict) and isinstance(part.get("text"), str):
                out.append(part["text"])
    return out


def sent_texts(request: dict[str, Any]) -> list[str]:
    given = request.get("input")
    return [given] if isinstance(given, str) else _texts_of(given if isinstance(given, list) else [])


@check("responses.input-items.lists-input")
def input_items_list_input(life: Lifecycle, ctx: Context) -> Iterator[Violation]:
    listing = life.step("input_items")
    try:
        body = answer(listing)
    except Broken as exc:
        yield _at(listing, exc.violation.message)
        return
    yield from (v._replace(exchange=listing.index) for v in schema_violations("response.input-items.list", body))
    listed = _texts_of(body.get("data") or []) if isinstance(body, dict) else []
    for text in sent_texts(asked(life.created)):
        if text not in listed:
            yield _at(
                listing,
                f"Received: input items with texts {excerpt(listed, 160)}\nExpected: the input sent, {text!r}",
                "$.data",
            )


@check("responses.function-call.shape")
def function_call_shape(exchange: Exchange, ctx: Context) -> Iterator[Violation]:
    body = response_body(exchange)
    calls = function_calls(body)
    if not calls:
        yield Violation(
            f"Received: output {excerpt(body.get('output'), 200)}\n"
            "Expected: a function_call item (tool_choice asked for the function)",
            "$.output",
        )
    names = {t.get("name") for t in asked(exchange).get("tools") or [] if isinstance(t, dict)}
    for n, call in enumerate(calls):
        problems = []
        if not isinstance(call.get("call_id"), str) or not call.get("call_id"):
            problems.append("a call_id")
        if call.get("name") not in names:
            problems.append(f"a name among the tools {sorted(map(str, names))}")
        try:
            parsed = jsonvalue.parse(call.get("arguments"))  # type: ignore[arg-type]  # a TypeError is the answer
        except (TypeError, ValueError):
            parsed = None
        if not isinstance(parsed, dict):
            problems.append("arguments that are a JSON object in a string")
        if problems:
            yield Violation(f"Received: {excerpt(call, 200)}\nExpected: {', '.join(problems)}", f"$.output[{n}]")


@check("responses.function-call.round-trip")
def function_call_round_trip(life: Lifecycle, ctx: Context) -> Iterator[Violation]:
    follow = life.step("call-output")
    try:
        body = response_body(follow)
    except Broken as exc:
        yield _at(follow, exc.violation.message)
        return
    if body.get("status") != "completed" or not any(t.strip() for t in output_texts(body)):
        yield _at(
            follow,
            f"Received: status {body.get('status')!r}, output {excerpt(body.get('output'), 200)}\n"
            "Expected: a completed response with a message after the function_call_output",
            "$.output",
        )


@check("responses.background.lifecycle")
def background_lifecycle(life: Lifecycle, ctx: Context) -> Iterator[Violation]:
    created = response_body(life.created)
    if created.get("status") not in ("queued", "in_progress"):
        yield Violation(
            f"Received: status {created.get('status')!r} for background: true\nExpected: 'queued' or 'in_progress'",
            "$.status",
        )
    polls = life.all("poll")
    if not polls:
        raise NotApplicable("the case polled nothing")
    last = polls[-1]
    try:
        status = response_body(last).get("status")
    except Broken as exc:
        yield _at(last, exc.violation.message)
        return
    if status not in TERMINAL_STATUSES:
        yield _at(last, f"Received: status {status!r} after polling\nExpected: a final status", "$.status")


@check("responses.background.cancel")
def background_cancel(life: Lifecycle, ctx: Context) -> Iterator[Violation]:
    cancel = life.step("cancel")
    try:
        body = response_body(cancel)
    except Broken as exc:
        _unless_finished_first(life)
        yield _at(cancel, exc.violation.message)
        return
    if body.get("status") != "cancelled":
        _unless_finished_first(life)
        yield _at(cancel, f"Received: status {body.get('status')!r}\nExpected: 'cancelled'", "$.status")


FINISHED = ("completed", "incomplete", "failed")


def _unless_finished_first(life: Lifecycle) -> None:
    """A fast server may finish a background response before the cancel arrives: nothing was left to cancel."""
    after = life.all("after")
    if not after or is_error_answer(after[-1]) or not isinstance(body := answer(after[-1]), dict):
        return
    if (status := body.get("status")) in FINISHED:
        raise NotApplicable(f"the response was already {status} when the cancel arrived (nothing left to cancel)")


@check("responses.previous.unknown", case_bound=True)
def previous_unknown(exchange: Exchange, ctx: Context) -> Iterator[Violation]:
    yield from status_violations(exchange, 400, "a `previous_response_id` the server never issued")


@check("responses.retrieve.unknown", case_bound=True)
def retrieve_unknown(exchange: Exchange, ctx: Context) -> Iterator[Violation]:
    yield from status_violations(exchange, 404, "retrieving a response id the server never issued")


# --- structured output and input parts ---------------------------------------------------------------------------


@check("responses.text.json-schema")
def text_json_schema(exchange: Exchange, ctx: Context) -> Iterator[Violation]:
    """The output text parses as JSON valid against `text.format.schema` (what `responses.parse` reads back)."""
    fmt = (asked(exchange).get("text") or {}).get("format") or {}
    schema = fmt.get("schema") if isinstance(fmt, dict) and fmt.get("type") == "json_schema" else None
    if not isinstance(schema, dict):
        raise NotApplicable("the request gives no text.format json_schema")
    declined(exchange, "text.format json_schema")
    body = response_body(exchange)
    if says_cut(body):
        raise NotApplicable("the response was cut by max_output_tokens: a cut output may be cut JSON")
    text = "".join(output_texts(body))
    try:
        parsed = jsonvalue.parse(text)
    except ValueError:
        yield Violation(
            f"Received: output text {excerpt(text, 160)!r}\nExpected: JSON valid against the given schema", "$.output"
        )
        return
    error = jsonschema.exceptions.best_match(jsonschema.Draft202012Validator(schema).iter_errors(parsed))
    if error is not None:
        yield Violation(
            f"Received: {excerpt(text, 160)} ({error.message})\nExpected: JSON valid against the given schema",
            "$.output",
        )


def input_parts(request: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any], dict[str, Any]]]:
    """(where, message, part) of every content part of every input message the request sends."""
    given = request.get("input")
    for n, item in enumerate(given if isinstance(given, list) else []):
        content = item.get("content") if isinstance(item, dict) else None
        for m, part in enumerate(content if isinstance(content, list) else []):
            if isinstance(part, dict):
                yield f"input[{n}].content[{m}]", item, part


def accepted_violations(exchange: Exchange, what: str) -> Iterator[Violation]:
    """The request was answered with a response that ran: 200, and a status other than failed."""
    try:
        body = response_body(exchange)
    except Broken as exc:
        yield Violation(f"{exc.violation.message} for {what}")
        return
    if body.get("status") not in ("completed", "incomplete") or body.get("error") is not None:
        yield Violation(
            f"Received: status {body.get('status')!r}, error {excerpt(body.get('error'), 120)} for {what}\n"
            "Expected: a completed response (or incomplete at max_output_tokens)",
            "$.status",
        )


@check("responses.input.phase")
def input_phase(exchange: Exchange, ctx: Context) -> Iterator[Violation]:
    given = asked(exchange).get("input")
    items = given if isinstance(given, list) else []
    phases = [i.get("phase") for i in items if isinstance(i, dict) and i.get("phase")]
    if not phases:
        raise NotApplicable("the request sends no message with a phase")
    yield from accepted_violations(exchange, f"input messages with phase {', '.join(map(str, phases))}")


@check("responses.input.image")
def input_image(exchange: Exchange, ctx: Context) -> Iterator[Violation]:
    if not any(p.get("type") == "input_image" and p.get("image_url") for _, _, p in input_parts(asked(exchange))):
        raise NotApplicable("the request sends no input_image by image_url")
    declined(exchange, "an input_image part (a model without vision)")
    yield from accepted_violations(exchange, "an input_image part")


@check("responses.input.image-unknown-file", case_bound=True)
def input_image_unknown_file(exchange: Exchange, ctx: Context) -> Iterator[Violation]:
    if exchange.response is None or exchange.response.status not in (400, 404):
        yield Violation(f"{received(exchange)}\nExpected: status 400 or 404 for an input_image naming no file")


# --- counting input tokens ---------------------------------------------------------------------------------------


def counted(exchange: Exchange) -> int:
    """The `input_tokens` of a count answer; `Broken` when there is none."""
    body = answer(exchange)
    tokens = body.get("input_tokens") if isinstance(body, dict) else None
    if not isinstance(tokens, int) or isinstance(tokens, bool):
        raise Broken(f"{received(exchange)}\nExpected: a `response.input_tokens` object with an integer count")
    return tokens


@check("responses.input-tokens.shape")
def input_tokens_shape(exchange: Exchange, ctx: Context) -> Iterator[Violation]:
    yield from schema_violations("response.input-tokens", answer(exchange))


@check("responses.input-tokens.grows")
def input_tokens_grow(life: Lifecycle, ctx: Context) -> Iterator[Violation]:
    """The case counts a short input (`created`), then the same text many times over (`longer`)."""
    short = counted(life.created)
    longer = life.step("longer")
    try:
        more = counted(longer)
    except Broken as exc:
        yield _at(longer, exc.violation.message)
        return
    if more <= short:
        yield _at(
            longer,
            f"Received: input_tokens {more} for the longer input, {short} for the shorter one\n"
            "Expected: more input tokens for the longer input",
            "$.input_tokens",
        )


# --- compaction --------------------------------------------------------------------------------------------------


def compaction_body(exchange: Exchange) -> dict[str, Any]:
    body = answer(exchange)
    if not isinstance(body, dict):
        raise Broken(f"{received(exchange)}\nExpected: a `response.compaction` object")
    return body


@check("responses.compact.shape")
def compact_shape(exchange: Exchange, ctx: Context) -> Iterator[Violation]:
    yield from schema_violations("response.compaction", compaction_body(exchange))


def user_texts(request: dict[str, Any]) -> list[str]:
    """The text of every user message the request sends (a string input is one)."""
    given = request.get("input")
    if isinstance(given, str):
        return [given]
    users = [i for i in given if isinstance(i, dict) and i.get("role") == "user"] if isinstance(given, list) else []
    return _texts_of(users)


@check("responses.compact.output")
def compact_output(exchange: Exchange, ctx: Context) -> Iterator[Violation]:
    output = compaction_body(exchange).get("output")
    items = [i for i in output if isinstance(i, dict)] if isinstance(output, list) else []
    kept = _texts_of([i for i in items if i.get("type") == "message" and i.get("role") == "user"])
    position = 0
    for text in user_texts(asked(exchange)):
        found = next((n for n in range(position, len(kept)) if kept[n] == text), None)
        if found is None:
            yield Violation(
                f"Received: user texts {excerpt(kept, 160)}\nExpected: {text!r}, sent, kept in its place", "$.output"
            )
            return
        position = found + 1
    compactions = [n for n, i in enumerate(items) if i.get("type") == "compaction"]
    last = items[-1] if items else {}
    if compactions != [len(items) - 1] or not isinstance(last.get("encrypted_content"), str):
        yield Violation(
            f"Received: output item types {[i.get('type') for i in items]}\n"
            "Expected: exactly one `compaction` item, last, with its encrypted_content",
            "$.output",
        )
