"""`POST /v1/chat/completions`: validation, a deterministic "echo" completion, and its stream.

The server is not a model. The reply echoes the text of the last user message (or of the last tool result,
or of the last developer/system message when there is no user message); tokens are whitespace-separated words,
each with its following whitespace. Tool calls, JSON modes and logprobs are derived from the same text, so
every answer is a function of the request (but for ids and `created`).
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

from starlette.responses import Response, StreamingResponse

from ._config import ServerConfig
from ._errors import ApiError, invalid, model_not_found
from ._generate import instance_for
from ._ids import Ids
from ._validation import (
    CHAT_SCHEMA,
    describe_chat,
    schema_errors,
    schema_properties,
    split_unknown,
    unrecognized,
)

# Arguments of reasoning models: the real gpt-4o family answers them as unrecognized (recorded for gpt-4).
MODEL_UNSUPPORTED = ("reasoning_effort",)
TOKEN = re.compile(r"\S+\s*")
EMPTY_ECHO = "OK"
_COMPACT = (",", ":")


def dumps(value: Any) -> bytes:
    return json.dumps(value, separators=_COMPACT, ensure_ascii=False).encode()


# --- validation ---------------------------------------------------------------------------------------------


def validate(body: Any, config: ServerConfig) -> dict[str, Any]:
    """The body as a dict, or an ApiError in the order the real API reports them."""
    if not isinstance(body, dict):
        raise invalid(
            f"Invalid type for body: expected an object, but got {_kind(body)} instead.", None, "invalid_type"
        )
    model = body.get("model")
    if model == "":
        raise invalid("You must provide a model parameter.")
    if isinstance(model, str) and config.model(model) is None and not config.has("unknown-model-200"):
        raise model_not_found(model)

    # A parameter the model does not know is unrecognized whatever its value (recorded: `reasoning_effort: "foo"`).
    errors = [e for e in schema_errors(CHAT_SCHEMA, body) if not _names(e, MODEL_UNSUPPORTED)]
    kept, unknown = split_unknown(errors)
    # Reported after the cross-parameter rules, as the real API does (tests/test_replay.py, from the recordings):
    # a `logit_bias` value out of range last of all, a `top_logprobs` out of range after "needs logprobs".
    late_bias = [e for e in kept if _range(e) and len(e.absolute_path) == 2 and e.absolute_path[0] == "logit_bias"]
    late_top = [e for e in kept if _range(e) and list(e.absolute_path) == ["top_logprobs"]]
    kept = [e for e in kept if e not in late_bias and e not in late_top]
    if kept:
        raise describe_chat(kept[0])
    unknown = unknown or [name for name in body if name not in schema_properties(CHAT_SCHEMA)]

    if body.get("top_logprobs") is not None and body.get("logprobs") is not True:
        raise invalid("The 'top_logprobs' parameter is only allowed when 'logprobs' is enabled.", "top_logprobs")
    if late_top:
        raise describe_chat(late_top[0])
    if (
        body.get("stream_options") is not None
        and body.get("stream") is not True
        and not config.has("stream-options-accepted")
    ):
        raise invalid("The 'stream_options' parameter is only allowed when 'stream' is enabled.", "stream_options")
    unknown = unknown or [name for name in MODEL_UNSUPPORTED if body.get(name) is not None]
    if unknown:
        raise unrecognized(unknown[:1])
    tools = body.get("tools")
    if body.get("parallel_tool_calls") is not None and not tools:
        raise invalid(
            "Invalid value for 'parallel_tool_calls': 'parallel_tool_calls' is only allowed when 'tools' "
            "are specified.",
            "parallel_tool_calls",
        )
    if body.get("tool_choice") is not None and not tools:
        raise invalid(
            "Invalid value for 'tool_choice': 'tool_choice' is only allowed when 'tools' are specified.",
            "tool_choice",
        )
    if body.get("metadata") is not None and body.get("store") is not True:
        raise invalid("The 'metadata' parameter is only allowed when 'store' is enabled.", "metadata")
    if body.get("max_tokens") is not None and body.get("max_completion_tokens") is not None:
        raise invalid(
            "Setting 'max_tokens' and 'max_completion_tokens' at the same time is not supported.",
            "max_tokens",
            "invalid_parameter_combination",
        )
    choice = body.get("tool_choice")
    if isinstance(choice, dict) and isinstance(choice.get("function"), dict):
        name = choice["function"].get("name")
        if name not in [t["function"]["name"] for t in _function_tools(body)]:
            raise invalid(
                f"Invalid value for 'tool_choice': function '{name}' was not found in 'tools'.",
                "tool_choice",
                "invalid_value",
            )
    if config.has("developer-rejected"):
        for i, message in enumerate(body.get("messages") or []):
            if isinstance(message, dict) and message.get("role") == "developer":
                raise invalid(
                    "Invalid value: 'developer'. Supported values are: 'system', 'assistant', 'user', "
                    "'function', and 'tool'.",
                    f"messages[{i}].role",
                    "invalid_value",
                )
    if late_bias:
        raise describe_chat(late_bias[0])
    return body


def _names(error: Any, names: tuple[str, ...]) -> bool:
    path = list(error.absolute_path)
    return bool(path) and path[0] in names


def _range(error: Any) -> bool:
    return error.validator in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum")


def _kind(value: Any) -> str:
    return {list: "an array", str: "a string", bool: "a boolean", int: "an integer", float: "a decimal"}.get(
        type(value), "null" if value is None else "an object"
    )


# --- the plan: what each choice says ------------------------------------------------------------------------


@dataclass
class ToolCall:
    id: str
    name: str
    arguments: str


@dataclass
class Choice:
    index: int
    tokens: list[str] = field(default_factory=list)
    calls: list[ToolCall] = field(default_factory=list)
    finish: str | None = "stop"

    @property
    def content(self) -> str:
        return "".join(self.tokens)

    def completion_tokens(self) -> int:
        if self.calls:
            return sum(len(TOKEN.findall(f"{c.name} {c.arguments}")) for c in self.calls)
        return len(self.tokens)


def text_of(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return " ".join(p["text"] for p in content if isinstance(p, dict) and isinstance(p.get("text"), str))
    return ""


def _messages(body: dict[str, Any]) -> list[dict[str, Any]]:
    return [m for m in body.get("messages") or [] if isinstance(m, dict)]


def echo_text(messages: list[dict[str, Any]]) -> str:
    """The text the reply echoes: a tool result, else the last user message, else the last instruction."""
    if not messages:
        return ""
    if messages[-1].get("role") in ("tool", "function"):
        return text_of(messages[-1].get("content"))
    for roles in (("user",), ("developer", "system")):
        for message in reversed(messages):
            if message.get("role") in roles:
                return text_of(message.get("content"))
    return text_of(messages[-1].get("content"))


def prompt_tokens(messages: list[dict[str, Any]]) -> int:
    total = 3
    for message in messages:
        total += 3 + len(text_of(message.get("content")).split())
        for call in message.get("tool_calls") or []:
            function = call.get("function") if isinstance(call, dict) else None
            if isinstance(function, dict) and isinstance(function.get("arguments"), str):
                total += len(function["arguments"].split()) + 1
    return total


def _function_tools(body: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        t
        for t in body.get("tools") or []
        if isinstance(t, dict)
        and t.get("type") == "function"
        and isinstance(t.get("function"), dict)
        and isinstance(t["function"].get("name"), str)
    ]


def plan(body: dict[str, Any], config: ServerConfig, ids: Ids) -> list[Choice]:
    messages = _messages(body)
    text = " ".join(echo_text(messages).split()) or EMPTY_ECHO
    n = 1 if config.has("n-ignored") else body.get("n") or 1
    tools = _function_tools(body)
    tool_choice = body.get("tool_choice")
    last_is_result = bool(messages) and messages[-1].get("role") in ("tool", "function")
    if tools and tool_choice != "none" and not last_is_result:
        return [_tool_choice(i, body, tools, text, config, ids) for i in range(n)]
    return [_text_choice(i, body, text, config) for i in range(n)]


def _tool_choice(
    index: int, body: dict[str, Any], tools: list[dict[str, Any]], text: str, config: ServerConfig, ids: Ids
) -> Choice:
    choice = body.get("tool_choice")
    if isinstance(choice, dict):
        name = (choice.get("function") or {}).get("name")
        chosen = [t for t in tools if t["function"]["name"] == name][:1] or tools[:1]
        finish = "stop"
    elif choice == "required":
        chosen, finish = tools[:1], "stop"
    else:
        parallel = body.get("parallel_tool_calls") is not False and len(tools) >= 2
        chosen, finish = (tools[:2] if parallel else tools[:1]), "tool_calls"
    if config.has("tool-finish-stop"):
        finish = "stop"
    calls = [
        ToolCall(
            ids.call(),
            t["function"]["name"],
            json.dumps(instance_for(t["function"].get("parameters") or {"type": "object"}, text)),
        )
        for t in chosen
    ]
    return Choice(index, calls=calls, finish=finish)


def _text_choice(index: int, body: dict[str, Any], text: str, config: ServerConfig) -> Choice:
    fmt = body.get("response_format")
    kind = fmt.get("type") if isinstance(fmt, dict) else None
    json_mode = True
    if kind == "json_object" and not config.has("json-object-ignored"):
        out = json.dumps({"echo": text})
    elif kind == "json_schema":
        spec = fmt.get("json_schema") if isinstance(fmt, dict) else None
        schema = spec.get("schema") if isinstance(spec, dict) else None
        out = json.dumps(instance_for(schema if isinstance(schema, dict) else {"type": "object"}, text))
    else:
        out, json_mode = text, False
    finish: str | None = "stop"
    stop = body.get("stop")
    if not json_mode and stop and not config.has("stop-ignored"):
        sequences = [stop] if isinstance(stop, str) else [s for s in stop if isinstance(s, str)]
        cuts = [out.find(s) for s in sequences if s and s in out]
        if cuts:
            out = out[: min(cuts)]
    tokens = TOKEN.findall(out)
    limit = body.get("max_completion_tokens")
    if limit is None:
        limit = body.get("max_tokens")
    # Text that fills the limit was cut by it (the model never got to end it): `length`, as the real API says.
    if isinstance(limit, int) and len(tokens) >= limit and not config.has("ignore-max-tokens"):
        tokens = tokens[:limit]
        finish = "stop" if config.has("finish-stop-at-length") else "length"
    if config.has("empty-success"):
        tokens = []
    return Choice(index, tokens=tokens, finish=finish)


def usage_of(choices: list[Choice], prompt: int, config: ServerConfig) -> dict[str, Any]:
    completion = 0 if config.has("empty-success") else sum(c.completion_tokens() for c in choices)
    total = prompt + completion + (1 if config.has("usage-wrong-total") else 0)
    return {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": total,
        "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
        "completion_tokens_details": {
            "reasoning_tokens": 0,
            "audio_tokens": 0,
            "accepted_prediction_tokens": 0,
            "rejected_prediction_tokens": 0,
        },
    }


# --- logprobs -----------------------------------------------------------------------------------------------


def _logprob(position: int) -> float:
    return -round(0.0625 * (1 + (position * 7) % 11), 4)


def _entry(token: str, logprob: float) -> dict[str, Any]:
    return {"token": token, "logprob": logprob, "bytes": list(token.encode())}


def _alternative(token: str, k: int) -> str:
    stripped = token.strip() or token
    return f"{stripped}{'~' * k}"


def token_logprobs(tokens: list[str], start: int, top: int, config: ServerConfig) -> list[dict[str, Any]]:
    if config.has("top-logprobs-short"):
        top = max(0, top - 1)
    out = []
    for offset, token in enumerate(tokens):
        lp = _logprob(start + offset)
        entry = _entry(token, lp)
        entry["top_logprobs"] = [
            _entry(token if k == 0 else _alternative(token, k), round(lp - 1.5 * k, 4)) for k in range(top)
        ]
        out.append(entry)
    return out


def logprobs_object(tokens: list[str], start: int, top: int, config: ServerConfig) -> dict[str, Any]:
    entries = token_logprobs(tokens, start, top, config)
    if config.has("logprobs-legacy"):
        return {
            "tokens": [e["token"] for e in entries],
            "token_logprobs": [e["logprob"] for e in entries],
            "top_logprobs": [{t["token"]: t["logprob"] for t in e["top_logprobs"]} for e in entries],
            "text_offset": [],
        }
    return {"content": entries, "refusal": None}


# --- answers ------------------------------------------------------------------------------------------------


@dataclass
class Meta:
    id: str
    created: int
    model: str
    fingerprint: str


def _meta(body: dict[str, Any], config: ServerConfig, ids: Ids) -> Meta:
    created = int(time.time() * 1000) if config.has("created-ms") else int(time.time())
    model = "" if config.has("model-empty") else str(body.get("model"))
    return Meta(ids.completion(), created, model, config.system_fingerprint)


def _tool_call(call: ToolCall, config: ServerConfig) -> dict[str, Any]:
    arguments: Any = json.loads(call.arguments) if config.has("tool-args-object") else call.arguments
    return {"id": call.id, "type": "function", "function": {"name": call.name, "arguments": arguments}}


def complete(body: dict[str, Any], config: ServerConfig, ids: Ids) -> Response:
    choices = plan(body, config, ids)
    prompt = prompt_tokens(_messages(body))
    meta = _meta(body, config, ids)
    if body.get("stream") is True:
        return _stream(body, choices, prompt, meta, config)
    top = body.get("top_logprobs") or 0
    out = []
    for choice in choices:
        message: dict[str, Any]
        if choice.calls:
            message = {
                "role": "assistant",
                "content": None,
                "tool_calls": [_tool_call(c, config) for c in choice.calls],
                "refusal": None,
                "annotations": [],
            }
        else:
            message = {"role": "assistant", "content": choice.content, "refusal": None, "annotations": []}
        logprobs = logprobs_object(choice.tokens, 0, top, config) if body.get("logprobs") is True else None
        finish = None if config.has("finish-null") else choice.finish
        out.append({"index": choice.index, "message": message, "logprobs": logprobs, "finish_reason": finish})
    answer = {
        "id": meta.id,
        "object": "chat.completion",
        "created": meta.created,
        "model": meta.model,
        "choices": out,
        "usage": usage_of(choices, prompt, config),
        "service_tier": "default",
        "system_fingerprint": meta.fingerprint,
    }
    if config.has("missing-field"):
        del answer["choices"]
    return Response(dumps(answer), media_type="application/json")


# --- streams ------------------------------------------------------------------------------------------------

DONE = b"data: [DONE]\n\n"


def _event(chunk: dict[str, Any]) -> bytes:
    return b"data: " + dumps(chunk) + b"\n\n"


def _split(text: str, pieces: int = 3) -> list[str]:
    size = max(1, -(-len(text) // pieces))
    return [text[i : i + size] for i in range(0, len(text), size)] or [""]


def stream_chunks(
    body: dict[str, Any], choices: list[Choice], prompt: int, meta: Meta, config: ServerConfig
) -> list[dict[str, Any]]:
    """Every chunk of the stream, in order (the usage chunk included)."""
    options = body.get("stream_options")
    asked = isinstance(options, dict) and options.get("include_usage") is True
    include_usage = asked and not config.has("no-usage-chunk")
    logprobs = body.get("logprobs") is True
    top = body.get("top_logprobs") or 0
    chunks: list[dict[str, Any]] = []

    def chunk_of(choices: list[dict[str, Any]]) -> dict[str, Any]:
        return {
            "id": meta.id,
            "object": "chat.completion.chunk",
            "created": meta.created,
            "model": meta.model,
            "service_tier": "default",
            "system_fingerprint": meta.fingerprint,
            "choices": choices,
        }

    def add(index: int, delta: dict[str, Any], lp: Any = None, finish: str | None = None) -> dict[str, Any]:
        chunk = chunk_of([{"index": index, "delta": delta, "logprobs": lp, "finish_reason": finish}])
        if include_usage:
            chunk["usage"] = None
        chunks.append(chunk)
        return chunk

    for choice in choices:
        role: dict[str, Any] = {"role": "assistant", "content": None if choice.calls else "", "refusal": None}
        if config.has("no-role"):
            del role["role"]
        elif config.has("role-empty"):
            role["role"] = ""
        add(choice.index, role, {"content": [], "refusal": None} if logprobs else None)
        for position, token in enumerate(choice.tokens):
            delta: dict[str, Any] = {"content": token}
            if config.has("role-every-chunk"):
                delta = {"role": "assistant", **delta}
            add(choice.index, delta, logprobs_object([token], position, top, config) if logprobs else None)
        for number, call in enumerate(choice.calls):
            index = 0 if config.has("tool-index-zero") else number
            first: dict[str, Any] = {
                "index": index,
                "id": call.id,
                "type": "function",
                "function": {"name": call.name, "arguments": ""},
            }
            pieces = _split(call.arguments)
            if config.has("tool-args-object"):
                first["function"]["arguments"] = json.loads(call.arguments)
                pieces = []
            deltas = [first] + [{"index": index, "function": {"arguments": piece}} for piece in pieces]
            for tool_delta in deltas:
                if config.has("tool-index-missing"):
                    del tool_delta["index"]
                add(choice.index, {"tool_calls": [tool_delta]})
        add(choice.index, {}, None, choice.finish)
        if config.has("finish-reason-twice"):
            add(choice.index, {}, None, choice.finish)

    if include_usage or config.has("usage-always"):
        chunks.append({**chunk_of([]), "usage": usage_of(choices, prompt, config)})
    for number, chunk in enumerate(chunks):
        if config.has("inconsistent-id"):
            chunk["id"] = f"{meta.id}-{number}"
        if config.has("created-drift"):
            chunk["created"] = meta.created + number
        if config.has("chunk-missing-finish-key"):
            for entry in chunk["choices"]:
                if entry["finish_reason"] is None:
                    del entry["finish_reason"]
    return chunks


def _stream(
    body: dict[str, Any], choices: list[Choice], prompt: int, meta: Meta, config: ServerConfig
) -> StreamingResponse:
    events = [_event(chunk) for chunk in stream_chunks(body, choices, prompt, meta, config)]
    if not config.has("no-done"):
        events.append(DONE)
    if config.has("data-after-done"):
        events.append(events[-2] if len(events) > 1 else events[-1])
    media = "application/json" if config.has("stream-content-type") else "text/event-stream"
    return StreamingResponse(_iterate(events), media_type=media, headers={"cache-control": "no-cache"})


def error_stream(error: ApiError) -> StreamingResponse:
    """The `stream-error-200` fault: a 200 stream that carries the error as an event."""
    return StreamingResponse(_iterate([_event(error.envelope()), DONE]), media_type="text/event-stream")


async def _iterate(events: list[bytes]) -> AsyncIterator[bytes]:
    for event in events:
        yield event
