"""The Responses API and Conversations of the reference server: an in-memory store and the answers built on it.

    POST   /v1/responses                       create (whole, streamed, or in the background)
    GET    /v1/responses/{id}                  retrieve
    DELETE /v1/responses/{id}                  delete
    POST   /v1/responses/{id}/cancel           cancel a background response
    GET    /v1/responses/{id}/input_items      the input, paginated
    POST   /v1/responses/input_tokens          count the input tokens of a request
    POST   /v1/responses/compact               compact a conversation: its user messages, then a compaction item
    POST   /v1/conversations                   create, with metadata and items
    GET | POST | DELETE /v1/conversations/{id}
    GET | POST /v1/conversations/{id}/items    list (paginated) and add items
    GET | DELETE /v1/conversations/{id}/items/{item_id}

As with chat, the server is not a model: the answer echoes the last user text (or function output), one token
per word, so every answer is a function of the request. A function tool is called when `tool_choice` asks for
it; `text.format` json_schema is answered with an instance of the schema. A background response finishes
`BACKGROUND_SECONDS` after it was created, unless cancelled first. The server keeps no files, so an `input_image`
by `file_id` names a file it does not have.
"""

from __future__ import annotations

import base64
import binascii
import json
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from ._config import ServerConfig
from ._errors import ApiError, invalid, model_not_found
from ._generate import object_for
from ._ids import Ids
from ._pages import cursor_page, limit_of
from ._validation import param_of, schema_errors

TOKEN_RE = __import__("re").compile(r"\S+\s*")
BACKGROUND_SECONDS = 0.5
MIN_OUTPUT_TOKENS = 16
CREATE_PARAMS = frozenset({
    "model", "input", "instructions", "tools", "tool_choice", "text", "reasoning", "max_output_tokens",
    "temperature", "top_p", "store", "previous_response_id", "conversation", "stream", "stream_options",
    "background", "include", "metadata", "parallel_tool_calls", "truncation", "user", "service_tier",
    "prompt_cache_key", "safety_identifier", "max_tool_calls", "top_logprobs", "prompt",
})  # fmt: skip


def schema_checked(name: str, body: Any) -> None:
    """A 400 for the first way `body` breaks the request schema `name`."""
    from jsonschema.exceptions import best_match

    errors = schema_errors(name, body)
    if errors:
        error = best_match(errors)
        param = param_of(error.absolute_path)
        raise invalid(f"Invalid value for '{param or 'body'}': {error.message[:200]}", param, "invalid_value")


def not_found(kind: str, ident: str) -> ApiError:
    return ApiError(404, f"{kind} with id '{ident}' not found.", client=False, validation=False)


# --- the store ----------------------------------------------------------------------------------------------


@dataclass
class Conversation:
    body: dict[str, Any]
    items: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class Stored:
    body: dict[str, Any]
    input_items: list[dict[str, Any]]
    ready_at: float = 0.0  # a background response's time to finish
    final: dict[str, Any] | None = None  # what it finishes as


class Store:
    """Everything the server keeps; tests read it to see what a run left behind."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.responses: dict[str, Stored] = {}
        self.conversations: dict[str, Conversation] = {}

    def response(self, ident: str) -> Stored:
        stored = self.responses.get(ident)
        if stored is None:
            raise not_found("Response", ident)
        if stored.final is not None and time.monotonic() >= stored.ready_at:
            stored.body, stored.final = stored.final, None
        return stored

    def conversation(self, ident: str) -> Conversation:
        found = self.conversations.get(ident)
        if found is None:
            raise not_found("Conversation", ident)
        return found


# --- pages ----------------------------------------------------------------------------------------------------


def page(items: list[dict[str, Any]], query: dict[str, str], config: ServerConfig) -> dict[str, Any]:
    """A cursor page: `limit` (1..100, default 20), `order` (asc|desc, default desc), `after` (an item id)."""
    limit = limit_of(query, 20, 100)
    order = query.get("order", "desc")
    if order not in ("asc", "desc"):
        raise invalid(f"Invalid value: '{order}'. Supported values are: 'asc' and 'desc'.", "order", "invalid_value")
    ordered = items if order == "asc" else items[::-1]
    after = query.get("after")
    if after is not None:
        position = next((n for n, item in enumerate(ordered) if item.get("id") == after), None)
        if position is None:
            raise invalid(f"Invalid 'after': no item with id '{after}'.", "after")
        ordered = ordered[position + 1 :]
    return cursor_page(ordered, limit, more=not config.has("pages-no-has-more"))


# --- items ----------------------------------------------------------------------------------------------------


def as_items(given: Any, ids: Ids) -> list[dict[str, Any]]:
    """Input as the API stores it: each item with an id, message content as typed parts."""
    if isinstance(given, str):
        given = [{"role": "user", "content": given}]
    out = []
    for item in given if isinstance(given, list) else []:
        if not isinstance(item, dict):
            continue
        kind = item.get("type", "message")
        if kind == "message":
            content = item.get("content")
            role = item.get("role", "user")
            part_type = "output_text" if role == "assistant" else "input_text"
            parts = [{"type": part_type, "text": content}] if isinstance(content, str) else content
            stored = {"id": item.get("id") or ids.item("msg"), "type": "message", "role": role,
                      "content": parts, "status": "completed"}  # fmt: skip
            if item.get("phase") is not None:
                stored["phase"] = item["phase"]
            out.append(stored)
        elif kind == "item_reference":
            continue
        else:
            prefix = {"function_call_output": "fco", "function_call": "fc"}.get(kind, "item")
            out.append({"id": item.get("id") or ids.item(prefix), **item, "status": item.get("status", "completed")})
    return out


def _texts(items: list[dict[str, Any]]) -> list[str]:
    out = []
    for item in items:
        if item.get("type") == "function_call_output" and isinstance(item.get("output"), str):
            out.append(item["output"])
        for part in item.get("content") or [] if item.get("role") != "assistant" else []:
            if isinstance(part, dict) and isinstance(part.get("text"), str):
                out.append(part["text"])
    return out


def _words(text: str) -> list[str]:
    return TOKEN_RE.findall(text) or ["OK"]


# --- input parts ----------------------------------------------------------------------------------------------

SERVER_ERROR = "The server had an error while processing your request. Sorry about that!"
IMAGE_TYPES = ("png", "jpeg", "gif", "webp")
BAD_IMAGE_URL = (
    "Invalid '{param}'. Expected a base64-encoded data URL with an image MIME type (e.g. "
    "'data:image/png;base64,aW1nIGJ5dGVzIGhlcmU='), but got an invalid value."
)


def check_parts(body: dict[str, Any], config: ServerConfig) -> None:
    """What the schema cannot say about input messages: an image URL that is no image, a file the server does not
    have (it keeps none); and the faults that refuse phases or crash on images."""
    given = body.get("input")
    for n, item in enumerate(given if isinstance(given, list) else []):
        if not isinstance(item, dict):
            continue
        if item.get("phase") is not None and config.has("responses-phase-rejected"):
            raise invalid(f"Unknown parameter: 'input[{n}].phase'.", f"input[{n}].phase", "unknown_parameter")
        content = item.get("content")
        for m, part in enumerate(content if isinstance(content, list) else []):
            if isinstance(part, dict) and part.get("type") == "input_image":
                _check_image(part, f"input[{n}].content[{m}]", config)


def _check_image(part: dict[str, Any], at: str, config: ServerConfig) -> None:
    if config.has("responses-image-500"):
        raise ApiError(500, SERVER_ERROR, type="server_error", client=False, validation=False)
    url, file_id = part.get("image_url"), part.get("file_id")
    if isinstance(url, str) and not _is_image_url(url):
        raise invalid(BAD_IMAGE_URL.format(param=f"{at}.image_url"), f"{at}.image_url", "invalid_value")
    if isinstance(file_id, str) and url is None and not config.has("responses-unknown-file-accepted"):
        raise invalid(f"The file '{file_id}' does not exist.", f"{at}.file_id", "invalid_value")
    if url is None and file_id is None:
        raise invalid(f"Missing required parameter: '{at}.image_url' or '{at}.file_id'.", f"{at}.image_url",
                      "missing_required_parameter")  # fmt: skip


def _is_image_url(url: str) -> bool:
    """An http(s) URL, or a data URL of an image whose payload is base64."""
    if url.startswith(("https://", "http://")):
        return True
    head, _, payload = url.partition(",")
    kinds = tuple(f"data:image/{kind};base64" for kind in IMAGE_TYPES)
    if head not in kinds or not payload:
        return False
    try:
        base64.b64decode(payload, validate=True)
    except (binascii.Error, ValueError):
        return False
    return True


# --- create ---------------------------------------------------------------------------------------------------


def validate(body: Any, config: ServerConfig, store: Store) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise invalid("Invalid type for body: expected an object.", None, "invalid_type")
    unknown = [name for name in body if name not in CREATE_PARAMS]
    if unknown:
        raise invalid(f"Unknown parameter: '{unknown[0]}'.", unknown[0], "unknown_parameter")
    model = body.get("model")
    if not isinstance(model, str) or not model:
        raise invalid("Missing required parameter: 'model'.", "model", "missing_required_parameter")
    schema_checked("response.create.request", body)
    if config.model(model) is None:
        raise model_not_found(model)
    check_parts(body, config)
    given = body.get("input")
    if given is not None and not isinstance(given, str | list):
        raise invalid("Invalid type for 'input': expected a string or an array.", "input", "invalid_type")
    cap = body.get("max_output_tokens")
    if cap is not None and (not isinstance(cap, int) or isinstance(cap, bool)):
        raise invalid("Invalid type for 'max_output_tokens': expected an integer.", "max_output_tokens")
    if isinstance(cap, int) and cap < MIN_OUTPUT_TOKENS:
        raise invalid(
            f"Invalid 'max_output_tokens': integer below minimum value. Expected a value >= {MIN_OUTPUT_TOKENS}, "
            f"but got {cap} instead.",
            "max_output_tokens",
            "integer_below_min_value",
        )
    previous = body.get("previous_response_id")
    if previous is not None and body.get("conversation") is not None:
        raise invalid(
            "Mutually exclusive parameters: Ensure you are only providing one of: 'previous_response_id' or "
            "'conversation'.",
            None,
            "mutually_exclusive_parameters",
        )
    if previous is not None and previous not in store.responses:
        raise invalid(
            f"Previous response with id '{previous}' not found.", "previous_response_id", "previous_response_not_found"
        )
    if body.get("background") is True and body.get("store") is False:
        raise invalid("Background mode requires 'store' to be true.", "background")
    conversation = body.get("conversation")
    conversation_id = conversation.get("id") if isinstance(conversation, dict) else conversation
    if conversation_id is not None:
        store.conversation(str(conversation_id))
    return body


@dataclass
class Plan:
    """What the response says: a message of `words`, or a call of `tool` with `arguments`."""

    words: list[str]
    cut: bool
    tool: dict[str, Any] | None = None
    arguments: str = ""


def plan(body: dict[str, Any], items: list[dict[str, Any]], config: ServerConfig) -> Plan:
    texts = _texts(items) or [body.get("instructions") or "OK"]
    tool = _forced_tool(body)
    if tool is not None:
        return Plan([], False, tool, json.dumps(object_for(tool.get("parameters"), texts[-1].strip() or "x")))
    schema = None if config.has("responses-json-schema-ignored") else _json_schema(body)
    text = json.dumps(object_for(schema, texts[-1].strip() or "x")) if schema is not None else texts[-1]
    words = _words(text)
    cap = body.get("max_output_tokens")
    cut = isinstance(cap, int) and len(words) > cap and not config.has("responses-ignore-cap")
    return Plan(words[:cap] if cut and isinstance(cap, int) else words, cut)


def _json_schema(body: dict[str, Any]) -> dict[str, Any] | None:
    """The schema `text.format` json_schema asks the output to follow (None for plain text)."""
    text = body.get("text")
    fmt = text.get("format") if isinstance(text, dict) else None
    if not isinstance(fmt, dict) or fmt.get("type") != "json_schema":
        return None
    schema = fmt.get("schema")
    return schema if isinstance(schema, dict) else {"type": "object"}


def _forced_tool(body: dict[str, Any]) -> dict[str, Any] | None:
    tools = [t for t in body.get("tools") or [] if isinstance(t, dict) and t.get("type") == "function"]
    choice = body.get("tool_choice")
    if not tools or choice in (None, "auto", "none"):
        return None
    if isinstance(choice, dict) and choice.get("name"):
        return next((t for t in tools if t.get("name") == choice["name"]), tools[0])
    return tools[0]


def response_body(
    body: dict[str, Any], ids: Ids, *, status: str, output: list[dict[str, Any]], usage: dict[str, Any] | None,
    ident: str, created_at: int, incomplete: bool = False,
) -> dict[str, Any]:  # fmt: skip
    conversation = body.get("conversation")
    given = body.get("text")
    text: dict[str, Any] = given if isinstance(given, dict) else {}
    return {
        "id": ident,
        "object": "response",
        "created_at": created_at,
        "status": status,
        "completed_at": created_at if status == "completed" else None,
        "background": body.get("background") is True,
        "error": None,
        "incomplete_details": {"reason": "max_output_tokens"} if incomplete else None,
        "instructions": body.get("instructions"),
        "max_output_tokens": body.get("max_output_tokens"),
        "max_tool_calls": body.get("max_tool_calls"),
        "model": body["model"],
        "output": output,
        "parallel_tool_calls": body.get("parallel_tool_calls", True),
        "previous_response_id": body.get("previous_response_id"),
        "reasoning": {"effort": None, "summary": None},
        "service_tier": "default",
        "store": body.get("store", True),
        "temperature": body.get("temperature", 1.0),
        "text": {"format": text.get("format") or {"type": "text"}, "verbosity": text.get("verbosity") or "medium"},
        "tool_choice": body.get("tool_choice", "auto"),
        "tools": [_echoed(tool) for tool in body.get("tools") or []],
        "top_logprobs": body.get("top_logprobs") or 0,
        "top_p": body.get("top_p", 1.0),
        "truncation": body.get("truncation", "disabled"),
        "usage": usage,
        "user": body.get("user"),
        "safety_identifier": body.get("safety_identifier"),
        "prompt_cache_key": body.get("prompt_cache_key"),
        "metadata": body.get("metadata") or {},
        "conversation": {"id": conversation.get("id") if isinstance(conversation, dict) else conversation}
        if conversation is not None
        else None,
    }


def _echoed(tool: Any) -> Any:
    """A tool as the API gives it back: a function tool with every key its type has (null when not sent)."""
    if not isinstance(tool, dict) or tool.get("type") != "function":
        return tool
    return {"description": None, "parameters": None, **tool, "strict": tool.get("strict", True)}


# The keys of a response the `responses-fewer-keys` fault leaves out: the optional ones the real API sends.
OPTIONAL_KEYS = ("completed_at", "top_logprobs", "safety_identifier", "prompt_cache_key", "truncation", "store")


def input_count(body: dict[str, Any], items: list[dict[str, Any]]) -> int:
    """The input tokens of a request: a token per word of its input texts and instructions."""
    return sum(len(_words(t)) for t in [*_texts(items), body.get("instructions") or ""] if t)


def usage_of(body: dict[str, Any], items: list[dict[str, Any]], produced: int, config: ServerConfig) -> dict:
    prompt = input_count(body, items)
    total = prompt + produced + (1 if config.has("responses-usage-wrong-total") else 0)
    return {
        "input_tokens": prompt,
        "input_tokens_details": {"cached_tokens": 0, "cache_write_tokens": 0},
        "output_tokens": produced,
        "output_tokens_details": {"reasoning_tokens": 0},
        "total_tokens": total,
    }


def output_items(the_plan: Plan, ids: Ids) -> list[dict[str, Any]]:
    if the_plan.tool is not None:
        return [{"id": ids.item("fc"), "type": "function_call", "status": "completed", "arguments": the_plan.arguments,
                 "call_id": ids.call(), "name": the_plan.tool.get("name")}]  # fmt: skip
    text = "".join(the_plan.words)
    return [{"id": ids.item("msg"), "type": "message", "status": "completed", "role": "assistant",
             "content": [{"type": "output_text", "annotations": [], "logprobs": [], "text": text}]}]  # fmt: skip


@dataclass
class Created:
    """A created response: its final body, the plan it came from, and its input as stored."""

    body: dict[str, Any]
    plan: Plan
    items: list[dict[str, Any]]


def create(
    request: dict[str, Any], config: ServerConfig, ids: Ids, store: Store, file_search: FileSearch | None = None
) -> Created:
    items = as_items(request.get("input"), ids)
    context = _context(request, store)
    the_plan = plan(request, [*context, *items], config)
    output = output_items(the_plan, ids)
    output = with_file_search(request, output, [*context, *items], ids, config, file_search)  # the file_search tool
    produced = len(the_plan.words) if the_plan.tool is None else len(_words(the_plan.arguments))
    incomplete = the_plan.cut
    status = "incomplete" if incomplete and not config.has("responses-completed-at-cap") else "completed"
    body = response_body(
        request, ids, status=status, output=output, usage=usage_of(request, items, produced, config),
        ident=ids.item("resp"), created_at=int(time.time()), incomplete=status == "incomplete",
    )  # fmt: skip
    if config.has("responses-fewer-keys"):
        body = {key: value for key, value in body.items() if key not in OPTIONAL_KEYS}
    created = Created(body, the_plan, items)
    with store.lock:
        if request.get("store", True) is not False:
            stored = Stored(body, items)
            if request.get("background") is True:
                stored.final = body
                stored.body = {**body, "status": "queued", "output": [], "usage": None, "incomplete_details": None}
                if "completed_at" in body:
                    stored.body["completed_at"] = None
                stored.ready_at = time.monotonic() + BACKGROUND_SECONDS
                created = Created(stored.body, the_plan, items)
            if not config.has("responses-not-stored"):
                store.responses[body["id"]] = stored
        conversation = request.get("conversation")
        conversation_id = conversation.get("id") if isinstance(conversation, dict) else conversation
        if conversation_id is not None and not config.has("conversation-not-appended"):
            store.conversation(str(conversation_id)).items.extend([*items, *output])
    return created


def _context(request: dict[str, Any], store: Store) -> list[dict[str, Any]]:
    """The items a response continues: its previous response's input and output, or its conversation's items."""
    previous = request.get("previous_response_id")
    if isinstance(previous, str) and previous in store.responses:
        stored = store.responses[previous]
        return [*stored.input_items, *stored.body.get("output", [])]
    return []


def cancel(ident: str, store: Store) -> dict[str, Any]:
    with store.lock:
        stored = store.response(ident)
        if not stored.body.get("background"):
            raise invalid("Only responses created with background: true can be cancelled.", None)
        if stored.final is None:
            raise invalid(f"Cannot cancel a response with status '{stored.body.get('status')}'.", None)
        stored.body, stored.final = {**stored.body, "status": "cancelled"}, None
        return stored.body


# --- counting input tokens, compacting a conversation ------------------------------------------------------------

COUNT_PARAMS = frozenset({
    "model", "input", "instructions", "previous_response_id", "conversation", "tools", "tool_choice",
    "parallel_tool_calls", "text", "reasoning", "truncation", "personality",
})  # fmt: skip
COMPACT_PARAMS = frozenset({
    "model", "input", "instructions", "previous_response_id", "prompt_cache_key", "prompt_cache_retention",
    "prompt_cache_options", "service_tier", "safety_identifier", "image",
})  # fmt: skip


def _checked(body: Any, params: frozenset[str], schema: str, config: ServerConfig, store: Store) -> dict[str, Any]:
    """What create's validation says of a body that is not a create request: arguments, schema, model, parts."""
    if not isinstance(body, dict):
        raise invalid("Invalid type for body: expected an object.", None, "invalid_type")
    unknown = [name for name in body if name not in params]
    if unknown:
        raise invalid(f"Unknown parameter: '{unknown[0]}'.", unknown[0], "unknown_parameter")
    schema_checked(schema, body)
    model = body.get("model")
    if isinstance(model, str) and config.model(model) is None:
        raise model_not_found(model)
    previous = body.get("previous_response_id")
    if previous is not None and previous not in store.responses:
        raise invalid(
            f"Previous response with id '{previous}' not found.", "previous_response_id", "previous_response_not_found"
        )
    conversation = body.get("conversation")
    conversation_id = conversation.get("id") if isinstance(conversation, dict) else conversation
    if conversation_id is not None:
        store.conversation(str(conversation_id))
    check_parts(body, config)
    return body


def count_input_tokens(body: Any, config: ServerConfig, ids: Ids, store: Store) -> dict[str, Any]:
    """POST /v1/responses/input_tokens: the input tokens a create with this body would report in its usage."""
    request = _checked(body, COUNT_PARAMS, "response.input-tokens.request", config, store)
    tokens = input_count(request, as_items(request.get("input"), ids))
    if config.has("responses-input-tokens-constant"):
        tokens = 7
    kind = "input_tokens" if config.has("responses-input-tokens-wrong-object") else "response.input_tokens"
    return {"object": kind, "input_tokens": tokens}


def compact(body: Any, config: ServerConfig, ids: Ids, store: Store) -> dict[str, Any]:
    """POST /v1/responses/compact: the user messages of the conversation (its previous response's, then the input's),
    then one compaction item whose content stands for the rest (base64 of it: the reference keeps no secrets)."""
    if isinstance(body, dict) and body.get("model") is None:
        raise invalid("Missing required parameter: 'model'.", "model", "missing_required_parameter")
    request = _checked(body, COMPACT_PARAMS, "response.compact.request", config, store)
    with store.lock:
        items = [*_context(request, store), *as_items(request.get("input"), ids)]
    kept = [item for item in items if item.get("type") == "message" and item.get("role") == "user"]
    rest = [item for item in items if item not in kept]
    summary = " ".join(_texts([{**item, "role": "user"} for item in rest if item.get("type") == "message"])) or "OK"
    output: list[dict[str, Any]] = [*kept]
    if not config.has("responses-compact-no-compaction-item"):
        sealed = base64.b64encode(json.dumps(rest, separators=(",", ":")).encode()).decode()
        output.append({"id": ids.item("cmp"), "type": "compaction", "encrypted_content": sealed})
    produced = len(_words(summary))
    prompt = input_count(request, items)
    return {
        "id": ids.item("resp"),
        "object": "response" if config.has("responses-compact-wrong-object") else "response.compaction",
        "created_at": int(time.time()),
        "output": output,
        "usage": {
            "input_tokens": prompt,
            "input_tokens_details": {"cached_tokens": 0, "cache_write_tokens": 0},
            "output_tokens": produced,
            "output_tokens_details": {"reasoning_tokens": 0},
            "total_tokens": prompt + produced,
        },
    }


# --- streams ----------------------------------------------------------------------------------------------------


def events(created: Created, config: ServerConfig) -> Iterator[dict[str, Any]]:
    """The event sequence of a streamed response, numbered from 0 (faults renumber or drop some)."""
    body, the_plan = created.body, created.plan
    start = {**body, "status": "in_progress", "output": [], "usage": None, "incomplete_details": None}
    if "completed_at" in body:
        start["completed_at"] = None
    typed: list[dict[str, Any]] = [
        {"type": "response.created", "response": start},
        {"type": "response.in_progress", "response": start},
    ]
    for index, item in enumerate(body["output"]):
        typed += _item_events(index, item, the_plan)
    terminal = "response.incomplete" if body["status"] == "incomplete" else "response.completed"
    typed.append({"type": terminal, "response": body})
    for number, event in enumerate(typed):
        if config.has("responses-no-text-done") and event["type"] == "response.output_text.done":
            continue
        stamped = {**event}
        if not config.has("responses-no-sequence-number"):
            stamped["sequence_number"] = 0 if config.has("responses-sequence-stuck") else number
        yield stamped


def _item_events(index: int, item: dict[str, Any], the_plan: Plan) -> list[dict[str, Any]]:
    if item["type"] == "file_search_call":  # the file_search tool
        return file_search_events(index, item)
    where = {"item_id": item["id"], "output_index": index}
    if item["type"] == "function_call":
        args = item["arguments"]
        pieces = [args[i : i + 8] for i in range(0, len(args), 8)] or [""]
        return [
            {"type": "response.output_item.added", "output_index": index,
             "item": {**item, "arguments": "", "status": "in_progress"}},
            *({"type": "response.function_call_arguments.delta", **where, "delta": p} for p in pieces),
            {"type": "response.function_call_arguments.done", **where, "arguments": args},
            {"type": "response.output_item.done", "output_index": index, "item": item},
        ]  # fmt: skip
    part = item["content"][0]
    at = {**where, "content_index": 0}
    return [
        {"type": "response.output_item.added", "output_index": index,
         "item": {**item, "status": "in_progress", "content": []}},
        {"type": "response.content_part.added", **at, "part": {**part, "text": ""}},
        *({"type": "response.output_text.delta", **at, "delta": w, "logprobs": []} for w in the_plan.words),
        {"type": "response.output_text.done", **at, "text": part["text"], "logprobs": []},
        {"type": "response.content_part.done", **at, "part": part},
        {"type": "response.output_item.done", "output_index": index, "item": item},
    ]  # fmt: skip


def sse(stream: Iterator[dict[str, Any]], config: ServerConfig) -> Iterator[bytes]:
    for event in stream:
        data = json.dumps(event, separators=(",", ":"), ensure_ascii=False)
        yield f"event: {event['type']}\ndata: {data}\n\n".encode()
    if config.has("responses-done-marker"):
        yield b"data: [DONE]\n\n"


# --- the file_search tool (vector stores) -----------------------------------------------------------------------
# The one place the Responses API meets vector stores (vector_stores.py); `create` and `_item_events` call in here.
# `create` takes the server's search as `file_search` (the tool's settings, the queries, the tool's place in the
# request -> results with file_id, filename, score, attributes, text; a 400 for a store it does not hold). With a
# `file_search` tool (and `tool_choice` not `none`) the response searches for the last input text and outputs a
# `file_search_call` before its message, with `results` only when `include` asks for `file_search_call.results`,
# and the message cites each file found with a `file_citation` at the end of its text. A stream adds the call's
# in_progress, searching and completed events. Without `file_search` (a server with no vector stores) the tool is
# not used.

FileSearch = Callable[[dict[str, Any], list[str], str], list[dict[str, Any]]]
RESULTS_INCLUDED = "file_search_call.results"


def with_file_search(
    request: dict[str, Any], output: list[dict[str, Any]], items: list[dict[str, Any]], ids: Ids,
    config: ServerConfig, search: FileSearch | None,
) -> list[dict[str, Any]]:  # fmt: skip
    tools = [(n, t) for n, t in enumerate(request.get("tools") or []) if isinstance(t, dict)]
    wanted = [(n, t) for n, t in tools if t.get("type") == "file_search"]
    if search is None or not wanted or request.get("tool_choice") == "none":
        return output
    if config.has("vector-stores-file-search-ignored") or any(i.get("type") == "function_call" for i in output):
        return output
    queries = [(_texts(items) or ["OK"])[-1].strip() or "OK"]
    results = [result for n, tool in wanted for result in search(tool, queries, f"tools[{n}]")]
    included = RESULTS_INCLUDED in (request.get("include") or [])
    kept = included and not config.has("vector-stores-file-search-results-missing")
    call = {"id": ids.item("fs"), "type": "file_search_call", "status": "completed", "queries": queries,
            "results": results if kept else None}  # fmt: skip
    wrong = config.has("vector-stores-file-search-citation-wrong")
    cited = list({r["file_id"]: r["filename"] for r in results}.items())
    for item in output:
        for part in item.get("content") or [] if item.get("type") == "message" else []:
            if part.get("type") == "output_text":
                part["annotations"] = [
                    {"type": "file_citation", "file_id": "file-not-searched" if wrong else file_id,
                     "filename": filename, "index": len(part["text"])}
                    for file_id, filename in cited
                ]  # fmt: skip
    return [call, *output]


def file_search_events(index: int, item: dict[str, Any]) -> list[dict[str, Any]]:
    where = {"item_id": item["id"], "output_index": index}
    return [
        {"type": "response.output_item.added", "output_index": index,
         "item": {**item, "status": "in_progress", "results": None}},
        *({"type": f"response.file_search_call.{step}", **where} for step in ("in_progress", "searching", "completed")),
        {"type": "response.output_item.done", "output_index": index, "item": item},
    ]  # fmt: skip


# --- conversations --------------------------------------------------------------------------------------------


def create_conversation(body: Any, ids: Ids, store: Store) -> dict[str, Any]:
    if not isinstance(body, dict):
        body = {}
    unknown = [name for name in body if name not in ("metadata", "items")]
    if unknown:
        raise invalid(f"Unknown parameter: '{unknown[0]}'.", unknown[0], "unknown_parameter")
    schema_checked("conversation.create.request", body)
    items = as_items(body.get("items") or [], ids)
    if len(items) > 20:
        raise invalid("Invalid 'items': array too long. Expected an array with maximum length 20.", "items")
    conversation: dict[str, Any] = {"id": ids.item("conv"), "object": "conversation", "created_at": int(time.time()),
                    "metadata": body.get("metadata") or {}}  # fmt: skip
    with store.lock:
        store.conversations[conversation["id"]] = Conversation(conversation, items)
    return conversation


def add_items(conversation: Conversation, body: Any, ids: Ids) -> dict[str, Any]:
    given = body.get("items") if isinstance(body, dict) else None
    if not isinstance(given, list):
        raise invalid("Missing required parameter: 'items'.", "items", "missing_required_parameter")
    if len(given) > 20:
        raise invalid("Invalid 'items': array too long. Expected an array with maximum length 20.", "items")
    schema_checked("conversation.items.create.request", body)
    items = as_items(given, ids)  # none is allowed (upstream sets no minimum): an empty page comes back
    conversation.items.extend(items)
    return {"object": "list", "data": items, "first_id": items[0]["id"] if items else None,
            "last_id": items[-1]["id"] if items else None, "has_more": False}  # fmt: skip


def update_conversation(conversation: Conversation, body: Any) -> dict[str, Any]:
    """New metadata replaces the old; `null` (which the API's Metadata type allows) clears it."""
    if not isinstance(body, dict) or "metadata" not in body:
        raise invalid("Missing required parameter: 'metadata'.", "metadata", "missing_parameter")
    schema_checked("conversation.update.request", body)
    conversation.body["metadata"] = body["metadata"] or {}
    return conversation.body
