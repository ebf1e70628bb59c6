"""Legacy text completions (`POST /v1/completions`): the `text_completion` answer, its prompts, echo, logprobs,
and its stream of `text_completion` chunks ending with `data: [DONE]`."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, TypeGuard

from conformance import jsonvalue
from conformance.checks._stream import content_type_violations
from conformance.checks.chat_stream import ChatStream
from conformance.checks.evidence import (
    answer,
    asked,
    bound_hit,
    declined,
    excerpt,
    schema_violations,
    status_violations,
    unrequested_usage_violations,
    usage_chunk_violations,
    usage_violations,
)
from conformance.checks.rule import Context, Violation, check, first
from conformance.exceptions import NotApplicable
from conformance.exchange import Exchange


class CompletionStream(ChatStream):
    """A legacy completion stream as received: the SSE events of `text_completion` chunks and the request.

    The framing, `[DONE]` and the request are read as for a chat stream; the rules below are the legacy API's.
    """


def choices(body: Any) -> list[dict[str, Any]]:
    items = body.get("choices") if isinstance(body, dict) else None
    return [c for c in items if isinstance(c, dict)] if isinstance(items, list) else []


def _is_token(value: Any) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)


def prompts(request: dict[str, Any]) -> list[Any]:
    """The prompts of a request, one per choice group: a string, a string of an array, a token array, ..."""
    prompt = request.get("prompt")
    if isinstance(prompt, str):
        return [prompt]
    if isinstance(prompt, list) and prompt and all(_is_token(t) for t in prompt):
        return [prompt]
    if isinstance(prompt, list) and prompt:
        return list(prompt)
    raise NotApplicable("the request holds no prompt")


def _n(request: dict[str, Any]) -> int:
    n = request.get("n")
    return n if _is_token(n) and n > 0 else 1


def _prompt_of(request: dict[str, Any], index: int) -> Any:
    """The prompt choice `index` answers: choices come per prompt, `n` for each, in prompt order."""
    items = prompts(request)
    group = index // _n(request)
    return items[group] if group < len(items) else None


def _generated(request: dict[str, Any], choice: dict[str, Any], index: int) -> str:
    """The text the model generated for a choice: with `echo`, what follows its (string) prompt."""
    text = choice.get("text")
    prompt = _prompt_of(request, index) if request.get("echo") is True else None
    if isinstance(text, str) and isinstance(prompt, str) and text.startswith(prompt):
        return text[len(prompt) :]
    return text if isinstance(text, str) else ""


@check("completions.create.schema")
def completion_schema(exchange: Exchange, ctx: Context) -> Iterator[Violation]:
    yield from schema_violations("completion", answer(exchange))


@check("completions.usage.adds-up")
def usage_adds_up(exchange: Exchange, ctx: Context) -> Iterator[Violation]:
    yield from usage_violations(answer(exchange).get("usage"))


@check("completions.prompt.forms")
def prompt_forms(exchange: Exchange, ctx: Context) -> Iterator[Violation]:
    request = asked(exchange)
    count, n = len(prompts(request)), _n(request)
    if n != 1:  # several choices are optional: a declined n is completions.n.choices' SKIP
        declined(exchange, f"n={n}")
    items = choices(answer(exchange))
    wanted = count * n
    if len(items) != wanted:
        yield Violation(
            f"Received: {len(items)} choices for {count} prompt(s) with n={n}\n"
            f"Expected: {wanted}, one per prompt (times n)",
            "$.choices",
        )
    indices = [c.get("index") for c in items]
    if indices != list(range(len(items))):
        yield Violation(f"Received: choice indices {indices}\nExpected: {list(range(len(items)))}", "$.choices")


@check("completions.max-tokens.length")
def max_tokens_cut(exchange: Exchange, ctx: Context) -> Iterator[Violation]:
    """The limit holds and a cut says so; an output that ended on its own before the limit may say `stop`."""
    limit = asked(exchange).get("max_tokens")
    if not _is_token(limit):
        raise NotApplicable("the request sets no max_tokens")
    body = answer(exchange)
    items = choices(body)
    usage = body.get("usage") if isinstance(body.get("usage"), dict) else {}
    produced = usage.get("completion_tokens") if _is_token(usage.get("completion_tokens")) else None
    allowed = limit * max(1, len(items))
    if produced is not None and produced > allowed:
        yield Violation(
            f"Received: completion_tokens {produced}\nExpected: at most {allowed} (max_tokens {limit} per choice)",
            "$.usage.completion_tokens",
        )
    reached = produced is None or produced >= allowed
    for n, choice in enumerate(items):
        if reached and choice.get("finish_reason") != "length":
            yield Violation(
                f"Received: finish_reason {choice.get('finish_reason')!r} with max_tokens {limit} "
                f"and {produced if produced is not None else 'unreported'} completion tokens\n"
                "Expected: 'length' when the limit cut the output",
                f"$.choices[{n}].finish_reason",
            )


@check("completions.n.choices")
def n_choices(exchange: Exchange, ctx: Context) -> Iterator[Violation]:
    request = asked(exchange)
    n = _n(request)
    if n == 1:
        raise NotApplicable("the request asks for one choice per prompt")
    declined(exchange, f"n={n}")
    wanted = n * len(prompts(request))
    got = len(choices(answer(exchange)))
    if got != wanted:
        yield Violation(
            f"Received: {got} choices for n={n}\nExpected: {wanted} choices, or an explicit 400", "$.choices"
        )


@check("completions.stop.honoured")
def stop_honoured(exchange: Exchange, ctx: Context) -> Iterator[Violation]:
    request = asked(exchange)
    stop = request.get("stop")
    sequences = [stop] if isinstance(stop, str) and stop else [s for s in stop or [] if isinstance(s, str) and s]
    if not sequences:
        raise NotApplicable("the request sets no stop sequence")
    for n, choice in enumerate(choices(answer(exchange))):
        text = _generated(request, choice, n)
        for seq in sequences:
            if seq in text:
                yield Violation(
                    f"Received: text {excerpt(text, 120)!r} containing {seq!r}\n"
                    "Expected: the generated text stops before the stop sequence",
                    f"$.choices[{n}].text",
                )


@check("completions.echo.prompt")
def echo_prompt(exchange: Exchange, ctx: Context) -> Iterator[Violation]:
    request = asked(exchange)
    if request.get("echo") is not True:
        raise NotApplicable("the request does not set echo")
    if not all(isinstance(p, str) for p in prompts(request)):
        raise NotApplicable("the prompt is token ids: its text is not known")
    for n, choice in enumerate(choices(answer(exchange))):
        prompt = _prompt_of(request, n)
        text = choice.get("text")
        if isinstance(prompt, str) and (not isinstance(text, str) or not text.startswith(prompt)):
            yield Violation(
                f"Received: text {excerpt(text, 120)!r}\nExpected: the prompt {excerpt(prompt, 80)!r} first (echo)",
                f"$.choices[{n}].text",
            )


LEGACY_KEYS = ("tokens", "token_logprobs", "top_logprobs", "text_offset")


def _asked_logprobs(exchange: Exchange) -> int:
    wanted = asked(exchange).get("logprobs")
    if not _is_token(wanted):
        raise NotApplicable("the request does not set logprobs")
    return wanted


@check("completions.logprobs.shape")
def logprobs_shape(exchange: Exchange, ctx: Context) -> Iterator[Violation]:
    wanted = _asked_logprobs(exchange)
    for n, choice in enumerate(choices(answer(exchange))):
        at = f"$.choices[{n}].logprobs"
        logprobs = choice.get("logprobs")
        if not isinstance(logprobs, dict):
            yield Violation(f"Received: logprobs {excerpt(logprobs, 120)} for logprobs={wanted}\n"
                            f"Expected: an object with {', '.join(LEGACY_KEYS)}", at)  # fmt: skip
            continue
        missing = [k for k in LEGACY_KEYS if not isinstance(logprobs.get(k), list)]
        if missing:
            yield Violation(
                f"Received: logprobs with keys {sorted(logprobs)} ({', '.join(missing)} not an array)\n"
                f"Expected: the legacy shape {{{', '.join(LEGACY_KEYS)}}}",
                at,
            )
            continue
        lengths = {k: len(logprobs[k]) for k in LEGACY_KEYS}
        if len(set(lengths.values())) > 1:
            yield Violation(f"Received: arrays of lengths {lengths}\nExpected: one entry per token in each", at)
        offsets = logprobs["text_offset"]
        back = next((i for i in range(1, len(offsets)) if _before(offsets[i], offsets[i - 1])), None)
        if back is not None:
            yield Violation(
                f"Received: text_offset {excerpt(offsets, 120)} (entry {back} goes back)\n"
                "Expected: offsets that never decrease, one per token",
                f"{at}.text_offset[{back}]",
            )


def _before(later: Any, earlier: Any) -> bool:
    return not (_is_token(later) and _is_token(earlier) and later >= earlier)


@check("completions.logprobs.top-count")
def logprobs_top_count(exchange: Exchange, ctx: Context) -> Iterator[Violation]:
    wanted = _asked_logprobs(exchange)
    for n, choice in enumerate(choices(answer(exchange))):
        logprobs = choice.get("logprobs")
        tops = logprobs.get("top_logprobs") if isinstance(logprobs, dict) else None
        if not isinstance(tops, list):
            raise NotApplicable("no top_logprobs array (completions.logprobs.shape judges that)")
        for position, entry in enumerate(tops):
            if entry is not None and (not isinstance(entry, dict) or len(entry) > wanted + 1):
                got = len(entry) if isinstance(entry, dict) else excerpt(entry, 60)
                yield Violation(
                    f"Received: {got} alternatives for token {position} with logprobs={wanted}\n"
                    f"Expected: an object of at most {wanted + 1} (the {wanted} likeliest and the sampled token)",
                    f"$.choices[{n}].logprobs.top_logprobs[{position}]",
                )
                break


@check("completions.request.missing")
def missing_parameter(exchange: Exchange, ctx: Context) -> Iterator[Violation]:
    request = asked(exchange)
    absent = [name for name in ("model", "prompt") if name not in request]
    if not absent or exchange.request.json is None:
        raise NotApplicable("the request holds both `model` and `prompt`")
    yield from status_violations(exchange, 400, f"a completion request without `{absent[0]}`")


@check("completions.model.unknown", case_bound=True)
def unknown_model(exchange: Exchange, ctx: Context) -> Iterator[Violation]:
    yield from status_violations(exchange, 404, "an unknown model id")
    body = exchange.response.json if exchange.response is not None else None
    error = body.get("error") if isinstance(body, dict) else None
    code = error.get("code") if isinstance(error, dict) else None
    if exchange.response is not None and exchange.response.status == 404 and code != "model_not_found":
        yield Violation(f"Received: code {code!r}\nExpected: code 'model_not_found'", "$.error.code")


# Streams -------------------------------------------------------------------------------------------------------


def _events(stream: CompletionStream) -> CompletionStream:
    if not stream.events:
        raise NotApplicable("the stream holds no event (completions.stream.done-last judges that)")
    return stream


@check("completions.stream.content-type")
def content_type(stream: CompletionStream, ctx: Context) -> Iterator[Violation]:
    yield from content_type_violations(stream)


@check("completions.stream.done-last")
def done_last(stream: CompletionStream, ctx: Context) -> Iterator[Violation]:
    if stream.done_index is None:
        yield Violation(
            f"Received: {len(stream.events)} events and no `data: [DONE]`{bound_hit(stream.exchange)}\n"
            "Expected: `data: [DONE]` last"
        )
    elif stream.done_index != len(stream.events) - 1:
        following = stream.events[stream.done_index + 1]
        yield Violation(
            f"Received: {len(stream.events) - 1 - stream.done_index} events after [DONE], "
            f"first {excerpt(following.data, 120)!r}\nExpected: nothing after `data: [DONE]`",
            f"event {stream.done_index + 1}",
        )


@check("completions.stream.chunk-schema")
def chunk_schema(stream: CompletionStream, ctx: Context) -> Iterator[Violation]:
    def problems() -> Iterator[Violation]:
        for event in _events(stream).events:
            if event.is_done:
                return
            try:
                data = jsonvalue.parse(event.data)
            except ValueError:
                yield Violation(
                    f"Received: data {excerpt(event.data, 120)!r}\nExpected: a JSON `text_completion` chunk or [DONE]",
                    f"event {event.index}",
                )
                continue
            yield from schema_violations("completion.chunk", data, prefix=f"event {event.index} $", limit=3)

    yield from first(problems())


def _usage_chunks(stream: CompletionStream) -> list[tuple[int, dict[str, Any]]]:
    return [(i, c) for i, c in stream.chunks if c.get("usage") is not None]


@check("completions.stream.usage-last")
def usage_last(stream: CompletionStream, ctx: Context) -> Iterator[Violation]:
    if not _events(stream).usage_requested:
        raise NotApplicable("the request does not set stream_options.include_usage")
    yield from usage_chunk_violations(stream.chunks)
    with_usage = _usage_chunks(stream)
    if len(with_usage) == 1:
        index, chunk = with_usage[0]
        yield from usage_violations(chunk["usage"], f"event {index} $.usage")


@check("completions.stream.no-usage-unrequested")
def no_usage_unrequested(stream: CompletionStream, ctx: Context) -> Iterator[Violation]:
    if _events(stream).usage_requested:
        raise NotApplicable("the request asks for usage")
    yield from unrequested_usage_violations(stream.chunks)
