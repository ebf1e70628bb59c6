"""The hook that shapes generated bodies before they are sent: cheap, on the configured model, and within the
API's rules that a schema cannot express.

Users run the generated phase against a paid API, so a valid request asks for a few tokens of one choice, with
short messages and inputs, on the model configured for the operation. The request schemas leave cross-parameter
rules to the checks (`stream_options` only with `stream`, one token limit, `tool_choice` only with `tools`, ...);
a generated body that broke one would be a false alarm, so this hook repairs it. Arguments that depend on the
model (audio, reasoning), cost more, or create resources (`store`) are dropped from valid requests.

An invalid request keeps its mistake: it only gets the configured model (else every one would be a 404 for the
model, and the server's validation would go untested) and a token limit in case the server accepts it. After
shaping, our own schema must still call a valid body valid and an invalid one invalid, else the body is rejected
and hypothesis draws another.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable, Mapping
from typing import Any, Literal

from conformance import schemas
from conformance.generation import REJECT, Mode, Operation

MAX_TOKENS = 8
MAX_MESSAGES = 4
MAX_TEXT = 40  # characters of a message content or an embeddings input item
MAX_ITEMS = 4  # embeddings input items, tools, stop sequences
# Byte-level ids: in every OpenAI tokenizer and in small models' vocabularies (a tiny one refuses 12082).
MAX_TOKEN_ID = 256
MAX_DIMENSIONS = 256

# Valid for the schema, but the model decides (and the real gpt-4o-mini refuses them), they cost more than
# text, or they store something on the account.
DROPPED = (
    "audio",
    "modalities",
    "prediction",
    "web_search_options",
    "reasoning_effort",
    "verbosity",
    "service_tier",
    "store",
    "metadata",
    "functions",
    "function_call",
)


Streaming = Literal["off", "drawn", "on"]


# The operations whose body names the model that answers (the others act on objects the run made).
NAMES_A_MODEL = frozenset({"/chat/completions", "/completions", "/embeddings", "/moderations", "/responses",
                           "/responses/input_tokens", "/responses/compact"})  # fmt: skip


def shape(
    operation: Operation,
    mode: Mode,
    body: Any,
    *,
    model: str,
    stream: Streaming = "drawn",
    made: Mapping[str, str] | None = None,
    upstream: bool = False,
) -> Any:
    """The body to send for `operation`, or REJECT.

    `stream` is what a valid chat request does about streaming: "off" never asks for it (the server does not
    claim it), "drawn" keeps what was drawn (rarely `true`: generators leave optional keys out), "on" always asks.
    `made` holds the objects the run made for the request, by kind (conformance.provision): a valid body that must
    name one (the file a vector store attaches) names it. An `upstream` body was drawn valid from the upstream
    document, which may allow what our schema does not yet: it is not held to ours.
    """
    if operation.request_schema is None:
        return body
    if mode == "negative":
        shaped = _negative(body, model)
        wanted_valid = False
    else:
        shaped = _whole_numbers(copy.deepcopy(body))
        if isinstance(shaped, dict):
            if operation.path in NAMES_A_MODEL:
                shaped["model"] = model
            if operation.path == "/chat/completions":
                _chat(shaped, stream)
            elif operation.path == "/completions":
                _completions(shaped, stream)
            elif operation.path == "/embeddings":
                _embeddings(shaped)
            elif operation.path == "/moderations":
                _moderations(shaped)
            elif operation.path == "/responses":
                _responses(shaped, stream)
            elif operation.path in ("/responses/input_tokens", "/responses/compact"):
                _counted(shaped)
            elif operation.path in ("/conversations", "/conversations/{conversation_id}/items"):
                shaped["items"] = _short_items(shaped.get("items"))
        wanted_valid = True
    if operation.path in UPLOAD_SHAPERS:
        shaped = UPLOAD_SHAPERS[operation.path](shaped, mode)
        if shaped is REJECT:
            return REJECT
    if operation.path in MEDIA_SHAPERS:  # images and videos (media-visual)
        shaped = MEDIA_SHAPERS[operation.path](shaped, mode)
    if operation.path in CONTAINER_SHAPERS:  # containers
        shaped = CONTAINER_SHAPERS[operation.path](shaped, mode)
        if shaped is REJECT:
            return REJECT
    if operation.path in REALTIME_SHAPERS and mode == "positive" and isinstance(shaped, dict):
        shaped = REALTIME_SHAPERS[operation.path](shaped, model)  # transports
    if operation.path in VECTOR_STORE_SHAPERS and mode == "positive" and isinstance(shaped, dict):
        shaped = VECTOR_STORE_SHAPERS[operation.path](shaped, made or {})
        if shaped is REJECT:
            return REJECT
    if operation.path in ASSISTANTS_SHAPERS and mode == "positive" and isinstance(shaped, dict):
        shaped = ASSISTANTS_SHAPERS[operation.path](shaped, model)
    if operation.path in GRADER_PATHS and mode == "positive" and isinstance(shaped, dict):
        _grader(shaped.get("grader"), model)  # fine-tuning
    if operation.path in GRADERS_SHAPERS and mode == "positive" and isinstance(shaped, dict):
        GRADERS_SHAPERS[operation.path](shaped, model)  # graders
    if not upstream and _is_valid(operation.request_schema, shaped) != wanted_valid:
        return REJECT
    return shaped


def _is_valid(schema: str, body: Any) -> bool:
    if isinstance(body, bytes):
        try:
            body = json.loads(body)
        except (ValueError, UnicodeDecodeError):
            return False
    if isinstance(body, dict):  # a multipart body's files are bytes: judged as the strings a schema says they are
        body = {k: _as_text(v) for k, v in body.items()}
    return not schemas.validate(schema, body)


def _as_text(value: Any) -> Any:
    if isinstance(value, list):
        return [_as_text(v) for v in value]
    if isinstance(value, tuple) or isinstance(getattr(value, "data", None), bytes):
        return "<file>"
    return value


def _whole_numbers(value: Any) -> Any:
    # JSON Schema counts 5.0 as an integer; servers in typed languages (and the reference) may not: send 5.
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        return int(value)
    if isinstance(value, dict):
        return {k: _whole_numbers(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_whole_numbers(v) for v in value]
    return value


def _negative(body: Any, model: str) -> Any:
    if not isinstance(body, dict):
        return body
    shaped = dict(body)
    if isinstance(shaped.get("model"), str) and shaped["model"]:
        shaped["model"] = model
    limited = "max_tokens" in shaped or "max_completion_tokens" in shaped
    if ("messages" in shaped or "prompt" in shaped) and not limited:
        shaped["max_tokens"] = MAX_TOKENS
    return shaped


def _chat(body: dict[str, Any], stream: Streaming) -> None:
    for name in DROPPED:
        body.pop(name, None)
    body["n"] = 1
    # One token limit, never both (a 400 invalid_parameter_combination), and always a small one.
    if body.get("max_completion_tokens") is not None:
        body.pop("max_tokens", None)
        body["max_completion_tokens"] = min(body["max_completion_tokens"], MAX_TOKENS)
    else:
        body.pop("max_completion_tokens", None)
        body["max_tokens"] = min(body.get("max_tokens") or MAX_TOKENS, MAX_TOKENS)
    if stream == "off":
        body.pop("stream", None)
    elif stream == "on":
        body["stream"] = True
    if body.get("stream") is not True:
        body.pop("stream_options", None)
    if body.get("logprobs") is not True:
        body.pop("top_logprobs", None)
    if not body.get("tools"):
        body.pop("tools", None)
        body.pop("tool_choice", None)
        body.pop("parallel_tool_calls", None)
    else:
        body["tools"] = body["tools"][:MAX_ITEMS]
        if isinstance(body.get("tool_choice"), dict):  # a named tool must be one of `tools`: not worth matching
            body.pop("tool_choice")
    # Keys are token ids (the API rejects other keys), which the schema cannot say.
    bias = body.get("logit_bias")
    if isinstance(bias, dict):
        body["logit_bias"] = {str(i): v for i, v in enumerate(list(bias.values())[:MAX_ITEMS])}
    if isinstance(body.get("stop"), list):
        body["stop"] = body["stop"][:MAX_ITEMS]
    body["messages"] = [_short_message(m) for m in body["messages"][-MAX_MESSAGES:]]


def _completions(body: dict[str, Any], stream: Streaming) -> None:
    """A legacy completion of a few tokens, one choice per prompt, a few short prompts."""
    body["n"] = 1
    body.pop("best_of", None)  # more candidates cost more, and best_of > 1 cannot be streamed
    body["max_tokens"] = min(body.get("max_tokens") or MAX_TOKENS, MAX_TOKENS)
    if isinstance(body.get("logprobs"), int):
        body["logprobs"] = min(body["logprobs"], 2)
    if stream == "off":
        body.pop("stream", None)
    elif stream == "on":
        body["stream"] = True
    if body.get("stream") is not True:
        body.pop("stream_options", None)
    bias = body.get("logit_bias")
    if isinstance(bias, dict):
        body["logit_bias"] = {str(i): v for i, v in enumerate(list(bias.values())[:MAX_ITEMS])}
    if isinstance(body.get("stop"), list):
        body["stop"] = body["stop"][:MAX_ITEMS]
    prompt = body.get("prompt")
    if isinstance(prompt, list) and prompt and isinstance(prompt[0], list):
        body["prompt"] = [[_short_item(t) for t in p[:MAX_TEXT]] for p in prompt[:MAX_ITEMS]]
    elif isinstance(prompt, list):
        tokens = bool(prompt) and isinstance(prompt[0], int)
        body["prompt"] = [_short_item(p) for p in prompt[: MAX_TEXT if tokens else MAX_ITEMS]]
    elif isinstance(prompt, str):
        body["prompt"] = prompt[:MAX_TEXT]
    if isinstance(body.get("suffix"), str):
        body["suffix"] = body["suffix"][:MAX_TEXT]


def _moderations(body: dict[str, Any]) -> None:
    """A few short texts. Image parts become text: a drawn URL is nothing the API can fetch (a 400 for a valid
    body), and images cost more; cases/moderations judges an image of its own."""
    value = body.get("input")
    if isinstance(value, str):
        body["input"] = value[:MAX_TEXT]
    elif isinstance(value, list):
        body["input"] = [
            item[:MAX_TEXT]
            if isinstance(item, str)
            else {"type": "text", "text": str(item.get("text", ""))[:MAX_TEXT]}
            if isinstance(item, dict)
            else item
            for item in value[:MAX_ITEMS]
        ]


# Responses arguments that point at objects a generated request cannot know (a drawn id is a 404), run tools or
# reasoning that cost more than text, or need a model-specific combination; dropped from valid requests.
RESPONSES_DROPPED = (
    "background", "conversation", "previous_response_id", "prompt", "include", "reasoning", "max_tool_calls",
    "service_tier", "text", "top_logprobs", "store",
)  # fmt: skip


def _responses(body: dict[str, Any], stream: Streaming) -> None:
    for name in RESPONSES_DROPPED:
        body.pop(name, None)
    body["store"] = False  # nothing to clean up afterwards
    body["max_output_tokens"] = 16  # the API's smallest
    body["input"] = (body["input"][:MAX_TEXT] or "OK") if isinstance(body.get("input"), str) else (
        _short_items(body.get("input")) or "OK"
    )
    if stream == "off":
        body.pop("stream", None)
    elif stream == "on":
        body["stream"] = True
    if body.get("stream") is not True:
        body.pop("stream_options", None)
    tools = [t for t in body.get("tools") or [] if isinstance(t, dict) and t.get("type") == "function"]
    if tools:
        body["tools"] = tools[:MAX_ITEMS]
        if not isinstance(body.get("tool_choice"), str):  # a named tool must be one of `tools`: not worth matching
            body.pop("tool_choice", None)
    else:
        for name in ("tools", "tool_choice", "parallel_tool_calls"):
            body.pop(name, None)


def _counted(body: dict[str, Any]) -> None:
    """A context to count or compact: short, and naming nothing the run did not make (a previous response, a
    conversation) nor built-in tools."""
    for name in ("previous_response_id", "conversation", "prompt_cache_key", "service_tier", "image"):
        body.pop(name, None)
    body["input"] = (body["input"][:MAX_TEXT] or "OK") if isinstance(body.get("input"), str) else (
        _short_items(body.get("input")) or "OK"
    )
    tools = [t for t in body.get("tools") or [] if isinstance(t, dict) and t.get("type") == "function"]
    if tools:
        body["tools"] = tools[:MAX_ITEMS]
        body.pop("tool_choice", None)
    else:
        for name in ("tools", "tool_choice", "parallel_tool_calls"):
            body.pop(name, None)


def _short_items(items: Any) -> list[dict[str, Any]]:
    """Input or conversation items cut to a few text messages: other item types refer to calls and ids that a
    generated request cannot know."""
    out = []
    for item in items if isinstance(items, list) else []:
        if isinstance(item, dict) and item.get("type", "message") == "message" and "role" in item:
            content = item.get("content")
            if isinstance(content, str):
                out.append({**item, "content": content[:MAX_TEXT] or "OK"})
            elif isinstance(content, list):
                parts = [{**p, "text": p["text"][:MAX_TEXT]} for p in content
                         if isinstance(p, dict) and p.get("type") == "input_text" and isinstance(p.get("text"), str)]
                out.append({**item, "content": parts[:MAX_ITEMS] or "OK"})
    return out[:MAX_ITEMS]


def _short_message(message: Any) -> Any:
    if not isinstance(message, dict):
        return message
    content = message.get("content")
    if isinstance(content, str):
        message["content"] = content[:MAX_TEXT]
    elif isinstance(content, list):
        # Text only: images, audio and files cost more than text, and a drawn URL or file id points nowhere.
        texts = [
            {**part, "text": part["text"][:MAX_TEXT]}
            for part in content
            if isinstance(part, dict) and part.get("type") == "text" and isinstance(part.get("text"), str)
        ]
        message["content"] = texts[:MAX_ITEMS] or "OK"
    return message


def _embeddings(body: dict[str, Any]) -> None:
    value = body.get("input")
    if isinstance(value, str):
        body["input"] = value[:MAX_TEXT] or "x"
    elif isinstance(value, list):
        body["input"] = [_short_item(v) for v in value[:MAX_ITEMS]]
    if isinstance(body.get("dimensions"), int):
        body["dimensions"] = min(body["dimensions"], MAX_DIMENSIONS)


def _short_item(item: Any) -> Any:
    if isinstance(item, str):
        return item[:MAX_TEXT] or "x"
    if isinstance(item, int) and not isinstance(item, bool):
        return item % MAX_TOKEN_ID  # a token id of the model's vocabulary
    if isinstance(item, list):
        return [_short_item(t) for t in item[:MAX_TEXT]]
    return item


# --- files and uploads: tiny, valid uploads ---------------------------------------------------------------------
# A valid upload is a few bytes of purpose `user_data` (a batch or fine-tune file must be JSON Lines, a vision file
# an image: nothing a schema says); the files and uploads it makes are deleted or cancelled by the ledger.

UPLOAD_FILE = ("oai-conformance.txt", b"OK\n", "text/plain")
MAX_UPLOAD_BYTES = 1024  # what a generated upload says it will send: it is never completed, and is cancelled


def _multipart_negative(body: Any) -> Any:
    """A multipart body has no arrays (a list is the field repeated; one item looks like a valid field), and
    `expires_after` goes as two bracketed fields no schema can draw: such invalid bodies are drawn again."""
    if not isinstance(body, dict):
        return body
    body.pop("expires_after", None)
    if any(isinstance(v, list) for v in body.values()):
        return REJECT
    return body


def _file_create(body: Any, mode: Mode) -> Any:
    if mode == "negative":
        return _multipart_negative(body)
    return {"file": UPLOAD_FILE, "purpose": "user_data"}


def _upload_part(body: Any, mode: Mode) -> Any:
    if mode == "negative":
        return _multipart_negative(body)
    return {"data": ("part", b"x", "application/octet-stream")}


def _upload_create(body: Any, mode: Mode) -> Any:
    if mode == "negative" or not isinstance(body, dict):
        return body
    shaped = {"filename": "oai-conformance.txt", "purpose": "user_data", "mime_type": "text/plain",
              "bytes": min(max(body.get("bytes", 1), 1), MAX_UPLOAD_BYTES)}  # fmt: skip
    if "expires_after" in body:
        shaped["expires_after"] = body["expires_after"]
    return shaped


UPLOAD_SHAPERS = {
    "/files": _file_create,
    "/uploads": _upload_create,
    "/uploads/{upload_id}/parts": _upload_part,
}


# --- vector stores: only files the run uploaded, chunk overlaps within half the chunk -----------------------------


def _fit_chunking(strategy: Any) -> None:
    """A static strategy's overlap at most half its chunk size: a rule across two keys that no schema states."""
    static = strategy.get("static") if isinstance(strategy, dict) else None
    if isinstance(static, dict):
        size, overlap = static.get("max_chunk_size_tokens"), static.get("chunk_overlap_tokens")
        if isinstance(size, int) and isinstance(overlap, int):
            static["chunk_overlap_tokens"] = min(overlap, size // 2)


def _vector_store_create(body: dict[str, Any], made: Mapping[str, str]) -> Any:
    """`file_ids` left out: a drawn id names no file of the run (cases/vector_stores creates stores with files);
    and with it `chunking_strategy`, which applies only to the files named."""
    body.pop("file_ids", None)
    body.pop("chunking_strategy", None)
    return body


def _vector_store_attach(body: dict[str, Any], made: Mapping[str, str]) -> Any:
    """The file the run uploaded for the request (conformance/provision.py, kind vector_store.upload)."""
    if "file" not in made:
        return REJECT
    body["file_id"] = made["file"]
    _fit_chunking(body.get("chunking_strategy"))
    return body


def _file_batch_create(body: dict[str, Any], made: Mapping[str, str]) -> Any:
    """The file the run uploaded, once: in `file_ids`, or as the one object of `files` (whichever was drawn)."""
    if "file" not in made:
        return REJECT
    files = body.get("files")
    if isinstance(files, list) and files and isinstance(files[0], dict):
        body["files"] = [{**files[0], "file_id": made["file"]}]
        _fit_chunking(body["files"][0].get("chunking_strategy"))
    else:
        body["file_ids"] = [made["file"]]
    _fit_chunking(body.get("chunking_strategy"))
    return body


VECTOR_STORE_SHAPERS = {
    "/vector_stores": _vector_store_create,
    "/vector_stores/{vector_store_id}/files": _vector_store_attach,
    "/vector_stores/{vector_store_id}/file_batches": _file_batch_create,
}


# --- assistants: the configured chat model, no file or vector store of the run's, short text messages -----------


def _assistant_body(body: dict[str, Any], model: str) -> dict[str, Any]:
    """The configured model (when the body names one), no tool resources (a drawn id names nothing of the run), no
    reasoning effort (the model decides), and no response format beside tools that read files (the API refuses
    JSON mode with them)."""
    if "model" in body:
        body["model"] = model
    for key in ("tool_resources", "reasoning_effort"):
        body.pop(key, None)
    if any(isinstance(t, dict) and t.get("type") != "function" for t in body.get("tools") or []):
        body.pop("response_format", None)
    # Names the API refuses though upstream states their pattern only in words (a drawn function or format name).
    for n, tool in enumerate(body.get("tools") or []):
        function = tool.get("function") if isinstance(tool, dict) else None
        if isinstance(function, dict) and not _NAME.fullmatch(str(function.get("name", ""))):
            function["name"] = f"tool_{n}"
    response_format = body.get("response_format")
    json_schema = response_format.get("json_schema") if isinstance(response_format, dict) else None
    if isinstance(json_schema, dict) and not _NAME.fullmatch(str(json_schema.get("name", ""))):
        json_schema["name"] = "format"
    return body


_NAME = re.compile(r"[a-zA-Z0-9_-]{1,64}")


def _thread_message(message: Any) -> Any:
    """A short text message with no attachments (a drawn file id or image names nothing the run made)."""
    if not isinstance(message, dict):
        return message
    message.pop("attachments", None)
    content = message.get("content")
    message["content"] = content[:MAX_TEXT] if isinstance(content, str) and content else "Say OK."
    return message


def _thread_body(body: dict[str, Any], model: str) -> dict[str, Any]:
    body.pop("tool_resources", None)
    if isinstance(body.get("messages"), list):
        body["messages"] = [_thread_message(m) for m in body["messages"][:MAX_MESSAGES]]
    return body


ASSISTANTS_SHAPERS = {
    "/assistants": _assistant_body,
    "/assistants/{assistant_id}": _assistant_body,
    "/threads": _thread_body,
    "/threads/{thread_id}": _thread_body,
    "/threads/{thread_id}/messages": lambda body, model: _thread_message(body),
}


# --- images and videos (media-visual): one of the cheapest image or clip, a real PNG where an image is sent -------
# Which options a model takes is a cross-parameter matter no schema states (the GPT image models' output formats
# and streams, dall-e-3's style), and every image and second of video is billed: a valid body keeps its prompt and
# `response_format` and asks for one dall-e-2 image of 256x256, or 4 s of sora-2. A drawn file is no image, so an
# edit or a variation sends a PNG drawn by Pillow.

MEDIA_SIZE = "256x256"


def _media_png() -> tuple[str, bytes, str]:
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (256, 256), (200, 40, 40)).save(out, "PNG")
    return ("oai-conformance.png", out.getvalue(), "image/png")


def _short_prompt(body: dict[str, Any]) -> str:
    prompt = body.get("prompt")
    return (prompt[:MAX_TEXT] if isinstance(prompt, str) else "") or "A red square"


def _image_options(body: dict[str, Any], prompt: bool = True) -> dict[str, Any]:
    shaped: dict[str, Any] = {"model": "dall-e-2", "n": 1, "size": MEDIA_SIZE}
    if prompt:
        shaped["prompt"] = _short_prompt(body)
    if body.get("response_format") in ("url", "b64_json"):
        shaped["response_format"] = body["response_format"]
    return shaped


def _media_negative(body: Any, schema: str) -> Any:
    """The drawn mistake kept; `_negative`'s token cap taken off again (no media request has one)."""
    if isinstance(body, dict) and body.get("max_tokens") == MAX_TOKENS:
        body.pop("max_tokens")
    return _multipart_negative(body) if schema != "images.generate.request" else body


def _image_generation(body: Any, mode: Mode) -> Any:
    if mode == "negative" or not isinstance(body, dict):
        return _media_negative(body, "images.generate.request")
    return _image_options(body)


def _image_edit(body: Any, mode: Mode) -> Any:
    if mode == "negative" or not isinstance(body, dict):
        return _media_negative(body, "images.edit.request")
    return {"image": _media_png(), **_image_options(body)}


def _image_variation(body: Any, mode: Mode) -> Any:
    if mode == "negative" or not isinstance(body, dict):
        return _media_negative(body, "images.variation.request")
    return {"image": _media_png(), **_image_options(body, prompt=False)}


def _video_create(body: Any, mode: Mode) -> Any:
    if mode == "negative" or not isinstance(body, dict):
        return _media_negative(body, "video.create.request")
    return {"prompt": _short_prompt(body), "model": "sora-2", "seconds": "4", "size": "720x1280"}


MEDIA_SHAPERS = {
    "/images/generations": _image_generation,
    "/images/edits": _image_edit,
    "/images/variations": _image_variation,
    "/videos": _video_create,
}


# --- containers: each is billed per session, so valid ones are the smallest; files put in are a few bytes ---------


def _container_create(body: Any, mode: Mode) -> Any:
    """The run's name, no `file_ids` (a drawn id names no file of the run: cases/containers copies one it
    uploaded), the default memory, and an expiry within the default 20 minutes."""
    if mode == "negative" or not isinstance(body, dict):
        return body
    shaped: dict[str, Any] = {"name": "oai-conformance"}
    expires = body.get("expires_after")
    if isinstance(expires, dict) and isinstance(expires.get("minutes"), int):
        shaped["expires_after"] = {"anchor": "last_active_at", "minutes": min(max(expires["minutes"], 1), 20)}
    return shaped


def _container_file_create(body: Any, mode: Mode) -> Any:
    if mode == "negative":
        return _multipart_negative(body)
    return {"file": UPLOAD_FILE}


CONTAINER_SHAPERS = {
    "/containers": _container_create,
    "/containers/{container_id}/files": _container_file_create,
}


# --- fine-tuning: a grader run or validated (helper finetune-evals) ----------------------------------------------
# The rules a grader's schema cannot state: a multi grader's formula names its graders (drawn names are no
# identifiers, so they are renamed g0, g1, ...), a python grader's source must be a program (a fixed one that
# costs nothing), and a model grader runs on the configured model. Nested graders are shaped alike.
GRADER_SOURCE = "def grade(sample, item) -> float:\n    return 1.0\n"


def _grader(grader: Any, model: str | None) -> None:
    if not isinstance(grader, dict):
        return
    kind = grader.get("type")
    if kind == "python":
        grader["source"] = GRADER_SOURCE
    elif kind in ("score_model", "label_model") and model is not None:
        grader["model"] = model
    elif kind == "multi" and isinstance(grader.get("graders"), dict):
        inner = grader["graders"]
        if "type" in inner:  # one grader: its name is the formula
            inner["name"] = "g0"
            _grader(inner, model)
            grader["calculate_output"] = "g0"
            return
        renamed = {f"g{n}": sub for n, sub in enumerate(inner.values())}
        for sub in renamed.values():
            _grader(sub, model)
        grader["graders"] = renamed
        grader["calculate_output"] = f"({' + '.join(renamed)}) / {len(renamed)}" if renamed else "0"


# The operations whose body holds a grader (shaped in positive mode by `shape`).
GRADER_PATHS = ("/fine_tuning/alpha/graders/run", "/fine_tuning/alpha/graders/validate")


# --- transports: the Realtime API's session endpoints. A drawn session names the configured realtime model, keeps its
# instructions short, and leaves out what would name things the account lacks (a function to force, a stored
# prompt) or tools a schema cannot make valid for the model.
REALTIME_DROPPED = ("tools", "tool_choice", "prompt", "truncation")


def _realtime_session(session: dict[str, Any], model: str) -> dict[str, Any]:
    session = {k: v for k, v in session.items() if k not in REALTIME_DROPPED}
    if session.get("type", "realtime") == "realtime":
        session["model"] = model
    if isinstance(session.get("instructions"), str):
        session["instructions"] = session["instructions"][:MAX_TEXT]
    return session


def _realtime_client_secret(body: dict[str, Any], model: str) -> Any:
    if isinstance(body.get("session"), dict):
        body["session"] = _realtime_session(body["session"], model)
    return body


REALTIME_SHAPERS: dict[str, Callable[[dict[str, Any], str], Any]] = {
    "/realtime/client_secrets": _realtime_client_secret,
    "/realtime/sessions": _realtime_session,
}


# --- graders: seed 000's /v1/graders (helper graders). A grader grades on the configured model, and what it reads
# (its instructions, the texts graded) is kept to a few words: grading asks that model.
def _graders_body(body: dict[str, Any], model: str) -> None:
    if "grading_model" in body:
        body["grading_model"] = model
    for key in ("instructions", "input", "output", "expected_output"):
        if isinstance(body.get(key), str):
            body[key] = body[key][:MAX_TEXT] or "OK"


GRADERS_SHAPERS: dict[str, Callable[[dict[str, Any], str], None]] = {
    "/graders": _graders_body,
    "/graders/{grader_id}": _graders_body,
    "/graders/{grader_id}/grade": _graders_body,
}
