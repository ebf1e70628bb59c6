"""Chat completions without streaming: the completion, its choices, usage, and what the request asked for."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import jsonschema

from conformance import jsonvalue
from conformance.checks.evidence import (
    answer,
    asked,
    created_violations,
    declined,
    excerpt,
    schema_violations,
    status_violations,
    usage_violations,
)
from conformance.checks.rule import Context, Violation, check
from conformance.exceptions import NotApplicable
from conformance.exchange import Exchange

FINISH_REASONS = ("stop", "length", "tool_calls", "content_filter", "function_call")


def choices(body: Any) -> list[dict]:
    items = body.get("choices") if isinstance(body, dict) else None
    return [c for c in items or [] if isinstance(c, dict)]


# What may follow a model id in its answered form: a date or version (gpt-4 -> gpt-4-0613, gpt-4o ->
# gpt-4o-2024-08-06) or a tag (llama3 -> llama3:latest). Anything else names another model (gpt-4o-mini).
_VERSION_SUFFIX = re.compile(r"^(-[0-9][0-9-]*|:[\w.-]+)$")


def model_related(requested: str, answered: str) -> bool:
    """One id is the other, or a version or tag of it, ignoring a provider prefix (`openai/`)."""
    a, b = requested.lower().rsplit("/", 1)[-1], answered.lower().rsplit("/", 1)[-1]
    longer, shorter = (a, b) if len(a) >= len(b) else (b, a)
    return longer == shorter or (longer.startswith(shorter) and bool(_VERSION_SUFFIX.match(longer[len(shorter) :])))


@check("chat.completion.schema")
def completion_schema(exchange: Exchange, ctx: Context) -> Iterator[Violation]:
    yield from schema_violations("chat.completion", answer(exchange))


@check("chat.completion.created-seconds")
def completion_created(exchange: Exchange, ctx: Context) -> Iterator[Violation]:
    yield from created_violations(answer(exchange).get("created"), ctx)


@check("chat.completion.model-present")
def model_present(exchange: Exchange, ctx: Context) -> Iterator[Violation]:
    model = answer(exchange).get("model")
    if not isinstance(model, str) or not model.strip():
        yield Violation(f"Received: model {model!r}\nExpected: the id of the model that answered", "$.model")


@check("chat.completion.model-related")
def model_echo_related(exchange: Exchange, ctx: Context) -> Iterator[Violation]:
    model, requested = answer(exchange).get("model"), asked(exchange).get("model")
    if not isinstance(model, str) or not isinstance(requested, str) or not model:
        raise NotApplicable("no model to compare (chat.completion.model-present judges that)")
    if not model_related(requested, model):
        yield Violation(f"Received: model {model!r}\nExpected: {requested!r} or a version of it", "$.model")


@check("chat.completion.choice-indices")
def choice_indices(exchange: Exchange, ctx: Context) -> Iterator[Violation]:
    n = asked(exchange).get("n", 1)
    if n != 1:  # several choices are optional: a declined n is chat.n.choices' SKIP, not a broken answer
        declined(exchange, f"n={n}")
    indices = [c.get("index") for c in choices(answer(exchange))]
    if indices != list(range(len(indices))):
        yield Violation(f"Received: choice indices {indices}\nExpected: {list(range(len(indices)))}", "$.choices")


@check("chat.completion.finish-reason")
def finish_reason_set(exchange: Exchange, ctx: Context) -> Iterator[Violation]:
    for n, choice in enumerate(choices(answer(exchange))):
        if choice.get("finish_reason") not in FINISH_REASONS:
            yield Violation(
                f"Received: finish_reason {choice.get('finish_reason')!r}\n"
                f"Expected: one of {', '.join(FINISH_REASONS)}",
                f"$.choices[{n}].finish_reason",
            )


@check("chat.usage.adds-up")
def usage_adds_up(exchange: Exchange, ctx: Context) -> Iterator[Violation]:
    yield from usage_violations(answer(exchange).get("usage"))


def _cut_by(parameter: str, exchange: Exchange) -> Iterator[Violation]:
    """The limit holds and a cut says so: `length`, never `stop`, once the output reached the limit.

    An output that ended on its own before the limit may say `stop`, so the rule judges what usage reports;
    without usage it falls back to the finish_reason alone (the cases ask for more than the limit holds).
    """
    limit = asked(exchange).get(parameter)
    if not isinstance(limit, int):
        raise NotApplicable(f"the request sets no {parameter}")
    body = answer(exchange)
    items = choices(body)
    usage = body.get("usage") if isinstance(body.get("usage"), dict) else {}
    produced = usage.get("completion_tokens") if isinstance(usage.get("completion_tokens"), int) else None
    allowed = limit * max(1, len(items))
    if produced is not None and produced > allowed:
        yield Violation(
            f"Received: completion_tokens {produced}\nExpected: at most {allowed} ({parameter} {limit} per choice)",
            "$.usage.completion_tokens",
        )
    reached = produced is None or produced >= allowed
    for n, choice in enumerate(items):
        if reached and choice.get("finish_reason") != "length":
            yield Violation(
                f"Received: finish_reason {choice.get('finish_reason')!r} with {parameter} {limit} "
                f"and {produced if produced is not None else 'unreported'} completion tokens\n"
                "Expected: 'length' when the limit cut the output",
                f"$.choices[{n}].finish_reason",
            )


@check("chat.max-tokens.length")
def max_tokens_cut(exchange: Exchange, ctx: Context) -> Iterator[Violation]:
    yield from _cut_by("max_tokens", exchange)


@check("chat.max-completion-tokens.length")
def max_completion_tokens_cut(exchange: Exchange, ctx: Context) -> Iterator[Violation]:
    yield from _cut_by("max_completion_tokens", exchange)


@check("chat.n.choices")
def n_choices(exchange: Exchange, ctx: Context) -> Iterator[Violation]:
    n = asked(exchange).get("n", 1)
    declined(exchange, f"n={n}")
    got = len(choices(answer(exchange)))
    if got != n:
        yield Violation(f"Received: {got} choices for n={n}\nExpected: {n} choices, or an explicit 400", "$.choices")


@check("chat.stop.honoured")
def stop_honoured(exchange: Exchange, ctx: Context) -> Iterator[Violation]:
    stop = asked(exchange).get("stop")
    sequences = [stop] if isinstance(stop, str) else [s for s in stop or [] if isinstance(s, str) and s]
    if not sequences:
        raise NotApplicable("the request sets no stop sequence")
    for n, choice in enumerate(choices(answer(exchange))):
        content = (choice.get("message") or {}).get("content") or ""
        for seq in sequences:
            if seq in content:
                yield Violation(
                    f"Received: content {excerpt(content, 120)!r} containing {seq!r}\n"
                    "Expected: the output stops before the stop sequence",
                    f"$.choices[{n}].message.content",
                )


@check("chat.developer-role.accepted")
def developer_role(exchange: Exchange, ctx: Context) -> Iterator[Violation]:
    answer(exchange)
    return iter(())


@check("chat.completion.null-keys")
def null_keys(exchange: Exchange, ctx: Context) -> Iterator[Violation]:
    for n, choice in enumerate(choices(answer(exchange))):
        if "logprobs" not in choice:
            yield Violation(
                "Received: a choice without the `logprobs` key\nExpected: `logprobs: null` when not asked for",
                f"$.choices[{n}]",
            )
        if isinstance(choice.get("message"), dict) and "refusal" not in choice["message"]:
            yield Violation(
                "Received: a message without the `refusal` key\nExpected: `refusal: null` when there is none",
                f"$.choices[{n}].message",
            )
        if isinstance(choice.get("logprobs"), dict) and "refusal" not in choice["logprobs"]:
            yield Violation(
                "Received: `logprobs` without the `refusal` key\nExpected: `refusal: null` beside `content`",
                f"$.choices[{n}].logprobs",
            )


@check("chat.completion.not-empty")
def not_empty(exchange: Exchange, ctx: Context) -> Iterator[Violation]:
    for n, choice in enumerate(choices(answer(exchange))):
        message = choice.get("message") or {}
        if not message.get("content") and not message.get("tool_calls") and not message.get("refusal"):
            yield Violation(
                f"Received: no content, tool call or refusal (finish_reason {choice.get('finish_reason')!r})\n"
                "Expected: some output for a non-empty prompt",
                f"$.choices[{n}].message",
            )


# Tools ---------------------------------------------------------------------------------------------------------


def offered_tools(exchange: Exchange) -> set[Any]:
    return {(t.get("function") or {}).get("name") for t in asked(exchange).get("tools") or [] if isinstance(t, dict)}


def tool_calls(exchange: Exchange) -> list[tuple[str, dict]]:
    calls = []
    for n, choice in enumerate(choices(answer(exchange))):
        for m, call in enumerate((choice.get("message") or {}).get("tool_calls") or []):
            calls.append((f"$.choices[{n}].message.tool_calls[{m}]", call if isinstance(call, dict) else {}))
    if not calls:
        raise NotApplicable("the answer holds no tool call")
    return calls


@check("chat.tools.call-shape")
def call_shape(exchange: Exchange, ctx: Context) -> Iterator[Violation]:
    names = offered_tools(exchange)
    for at, call in tool_calls(exchange):
        function: dict[str, Any] = call["function"] if isinstance(call.get("function"), dict) else {}
        if not isinstance(call.get("id"), str) or not call.get("id"):
            yield Violation(f"Received: id {call.get('id')!r}\nExpected: a non-empty string id", f"{at}.id")
        if call.get("type") != "function":
            yield Violation(f"Received: type {call.get('type')!r}\nExpected: 'function'", f"{at}.type")
        if function.get("name") not in names:
            yield Violation(
                f"Received: name {function.get('name')!r}\nExpected: one of {sorted(names)}", f"{at}.function.name"
            )


def arguments_violation(arguments: Any, at: str) -> Violation | None:
    if not isinstance(arguments, str):
        return Violation(
            f"Received: arguments as {type(arguments).__name__} {excerpt(arguments, 120)}\n"
            "Expected: a string holding JSON",
            at,
        )
    try:
        parsed = jsonvalue.parse(arguments)
    except ValueError as exc:
        return Violation(
            f"Received: arguments {excerpt(arguments, 120)!r} ({exc})\nExpected: a string holding JSON", at
        )
    if not isinstance(parsed, dict):
        return Violation(f"Received: arguments {excerpt(arguments, 120)!r}\nExpected: a JSON object", at)
    return None


@check("chat.tools.arguments-json")
def arguments_json(exchange: Exchange, ctx: Context) -> Iterator[Violation]:
    for at, call in tool_calls(exchange):
        violation = arguments_violation((call.get("function") or {}).get("arguments"), f"{at}.function.arguments")
        if violation:
            yield violation


def tool_choice_forced(exchange: Exchange) -> bool:
    choice = asked(exchange).get("tool_choice", "auto")
    return choice == "required" or isinstance(choice, dict)


@check("chat.tools.finish-reason")
def tools_finish_reason(exchange: Exchange, ctx: Context) -> Iterator[Violation]:
    # The real API answers `stop` when the tool was forced (required or named), `tool_calls` when it chose one.
    # A call the token limit cut short (every token of max_tokens used) ends with `length`, there as anywhere.
    tool_calls(exchange)
    allowed: tuple[str, ...] = ("tool_calls", "stop") if tool_choice_forced(exchange) else ("tool_calls",)
    if _limit_used(exchange):
        allowed += ("length",)
    for n, choice in enumerate(choices(answer(exchange))):
        if (choice.get("message") or {}).get("tool_calls") and choice.get("finish_reason") not in allowed:
            yield Violation(
                f"Received: finish_reason {choice.get('finish_reason')!r} after a tool call\n"
                f"Expected: {' or '.join(allowed)}",
                f"$.choices[{n}].finish_reason",
            )


def _limit_used(exchange: Exchange) -> bool:
    request = asked(exchange)
    limit = request.get("max_completion_tokens") or request.get("max_tokens")
    used = (answer(exchange).get("usage") or {}).get("completion_tokens")
    return isinstance(limit, int) and isinstance(used, int) and used >= limit * int(request.get("n") or 1)


@check("chat.tools.choice-honoured")
def choice_honoured(exchange: Exchange, ctx: Context) -> Iterator[Violation]:
    choice = asked(exchange).get("tool_choice")
    if not tool_choice_forced(exchange):
        raise NotApplicable("the request does not force a tool")
    wanted = (choice.get("function") or {}).get("name") if isinstance(choice, dict) else None
    for n, item in enumerate(choices(answer(exchange))):
        calls = (item.get("message") or {}).get("tool_calls") or []
        names = [(c.get("function") or {}).get("name") for c in calls if isinstance(c, dict)]
        if not names:
            yield Violation(
                f"Received: no tool call with tool_choice {excerpt(choice)}\nExpected: a tool call",
                f"$.choices[{n}].message",
            )
        elif wanted and any(name != wanted for name in names):
            yield Violation(
                f"Received: calls to {names}\nExpected: only {wanted!r}", f"$.choices[{n}].message.tool_calls"
            )


# Structured output ---------------------------------------------------------------------------------------------


def _json_contents(exchange: Exchange, what: str) -> Iterator[tuple[str, Any, str]]:
    declined(exchange, what)
    for n, choice in enumerate(choices(answer(exchange))):
        at = f"$.choices[{n}].message.content"
        if choice.get("finish_reason") != "stop":
            continue  # a cut output may be cut JSON: nothing to judge
        content: Any = (choice.get("message") or {}).get("content")
        try:
            yield at, jsonvalue.parse(content), str(content)
        except (TypeError, ValueError):
            yield at, ValueError, content if isinstance(content, str) else repr(content)


@check("chat.response-format.json-object")
def json_object(exchange: Exchange, ctx: Context) -> Iterator[Violation]:
    if (asked(exchange).get("response_format") or {}).get("type") != "json_object":
        raise NotApplicable("the request does not ask for response_format json_object")
    judged = False
    for at, parsed, raw in _json_contents(exchange, "response_format json_object"):
        judged = True
        if parsed is ValueError or not isinstance(parsed, dict):
            yield Violation(f"Received: content {excerpt(raw, 160)!r}\nExpected: a JSON object", at)
    if not judged:
        raise NotApplicable("no choice finished with `stop`, so no complete output to judge")


@check("chat.response-format.json-schema")
def json_schema_output(exchange: Exchange, ctx: Context) -> Iterator[Violation]:
    response_format = asked(exchange).get("response_format") or {}
    schema = (
        (response_format.get("json_schema") or {}).get("schema")
        if response_format.get("type") == "json_schema"
        else None
    )
    if not isinstance(schema, dict):
        raise NotApplicable("the request gives no json_schema")
    judged = False
    for at, parsed, raw in _json_contents(exchange, "response_format json_schema"):
        judged = True
        if parsed is ValueError:
            yield Violation(
                f"Received: content {excerpt(raw, 160)!r}\nExpected: JSON valid against the given schema", at
            )
            continue
        error = jsonschema.exceptions.best_match(jsonschema.Draft202012Validator(schema).iter_errors(parsed))
        if error is not None:
            yield Violation(
                f"Received: {excerpt(raw, 160)} ({error.message})\nExpected: JSON valid against the given schema", at
            )
    if not judged:
        raise NotApplicable("no choice finished with `stop`, so no complete output to judge")


# Logprobs ------------------------------------------------------------------------------------------------------


def logprob_entries(exchange: Exchange) -> Iterator[tuple[str, Any]]:
    for n, choice in enumerate(choices(answer(exchange))):
        yield f"$.choices[{n}].logprobs", choice.get("logprobs")


def logprobs_shape_violations(logprobs: Any, at: str) -> Iterator[Violation]:
    if isinstance(logprobs, dict) and "tokens" in logprobs and "token_logprobs" in logprobs:
        yield Violation(
            "Received: the legacy completions shape {tokens, token_logprobs, top_logprobs}\n"
            "Expected: {content: [{token, logprob, bytes, top_logprobs}]}",
            at,
        )
        return
    if not isinstance(logprobs, dict) or not isinstance(logprobs.get("content"), list):
        yield Violation(f"Received: logprobs {excerpt(logprobs, 160)}\nExpected: {{content: [...]}}", at)
        return
    yield from schema_violations("chat.logprobs", logprobs, prefix=at)
    for m, item in enumerate(logprobs["content"]):
        if isinstance(item, dict) and isinstance(item.get("logprob"), int | float) and item["logprob"] > 0:
            yield Violation(
                f"Received: logprob {item['logprob']}\nExpected: a log probability, <= 0", f"{at}.content[{m}].logprob"
            )


@check("chat.logprobs.shape")
def logprobs_shape(exchange: Exchange, ctx: Context) -> Iterator[Violation]:
    if not asked(exchange).get("logprobs"):
        raise NotApplicable("the request does not ask for logprobs")
    for at, logprobs in logprob_entries(exchange):
        yield from logprobs_shape_violations(logprobs, at)


def top_count_violations(logprobs: Any, wanted: int, at: str) -> Iterator[Violation]:
    content = logprobs.get("content") if isinstance(logprobs, dict) else None
    for m, item in enumerate(content or []):
        top = item.get("top_logprobs") if isinstance(item, dict) else None
        if not isinstance(top, list) or len(top) != wanted:
            got = len(top) if isinstance(top, list) else top
            yield Violation(
                f"Received: {got} top_logprobs\nExpected: {wanted}, as requested", f"{at}.content[{m}].top_logprobs"
            )


@check("chat.logprobs.top-count")
def top_count(exchange: Exchange, ctx: Context) -> Iterator[Violation]:
    wanted = asked(exchange).get("top_logprobs")
    if not isinstance(wanted, int) or not asked(exchange).get("logprobs"):
        raise NotApplicable("the request does not ask for top_logprobs")
    for at, logprobs in logprob_entries(exchange):
        yield from top_count_violations(logprobs, wanted, at)


@check("chat.token-limits.both-rejected")
def both_limits_rejected(exchange: Exchange, ctx: Context) -> Iterator[Violation]:
    request = asked(exchange)
    if request.get("max_tokens") is None or request.get("max_completion_tokens") is None:
        raise NotApplicable("the request does not hold `max_tokens` and `max_completion_tokens` together")
    yield from status_violations(exchange, 400, "`max_tokens` and `max_completion_tokens` together")
