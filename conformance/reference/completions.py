"""`POST /v1/completions`, the legacy text completions API: validation, a deterministic completion, its stream.

The server is not a model. Each prompt is "continued" with its own words: the generated text is a space and the
prompt's words joined by single spaces (a token-id prompt reads as `t<id>` words), `OK` for an empty prompt.
Tokens are a word with the whitespace before it (` two`), as the GPT tokenizers cut them. `max_tokens` (16 when
not given, the API's default) cuts the text, `stop` ends it before a stop sequence, `echo` puts the prompt
before it, `n` repeats it per prompt, `suffix` and `best_of` change nothing, and `logprobs: N` gives the legacy
`{tokens, token_logprobs, top_logprobs, text_offset}` with N alternatives per token (the sampled one first).
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from typing import Any

from starlette.responses import Response, StreamingResponse

from ._config import ServerConfig
from ._errors import invalid, model_not_found
from ._ids import Ids
from ._validation import describe_chat, schema_errors, schema_properties, split_unknown, unrecognized
from .chat import DONE, _event, _iterate, _kind, dumps

SCHEMA = "completion.request"
DEFAULT_MAX_TOKENS = 16  # the legacy API's default
WORD = re.compile(r"\s*\S+")
EMPTY = "OK"


# --- validation ---------------------------------------------------------------------------------------------


def validate(body: Any, config: ServerConfig) -> dict[str, Any]:
    """The body as a dict, or an ApiError in the order the chat endpoint reports them."""
    if not isinstance(body, dict):
        raise invalid(
            f"Invalid type for body: expected an object, but got {_kind(body)} instead.", None, "invalid_type"
        )
    model = body.get("model")
    if model == "":
        raise invalid("You must provide a model parameter.", "model")
    if isinstance(model, str) and config.model(model) is None and not config.has("unknown-model-200"):
        raise model_not_found(model)
    kept, unknown = split_unknown(schema_errors(SCHEMA, body))
    if kept:
        raise describe_chat(kept[0])
    unknown = unknown or [name for name in body if name not in schema_properties(SCHEMA)]
    if body.get("stream_options") is not None and body.get("stream") is not True:
        raise invalid("The 'stream_options' parameter is only allowed when 'stream' is enabled.", "stream_options")
    if unknown:
        raise unrecognized(unknown[:1])
    best_of, n = body.get("best_of"), body.get("n") or 1
    if best_of is not None and best_of < n:
        raise invalid("best_of must be greater than or equal to n.", "best_of")
    if best_of is not None and best_of > 1 and body.get("stream") is True:
        raise invalid("Cannot stream results with best_of > 1.", "best_of")
    return body


# --- the plan -----------------------------------------------------------------------------------------------


def prompt_texts(body: dict[str, Any]) -> list[str]:
    """The text of each prompt: strings as they are, token ids as `t<id>` words."""
    prompt = body["prompt"]
    if isinstance(prompt, str):
        items: list[Any] = [prompt]
    elif all(isinstance(t, int) for t in prompt):
        items = [prompt]
    else:
        items = list(prompt)
    return [p if isinstance(p, str) else " ".join(f"t{t}" for t in p) for p in items]


def prompt_tokens(body: dict[str, Any]) -> int:
    prompt = body["prompt"]
    if isinstance(prompt, str):
        return max(1, len(WORD.findall(prompt)))
    if all(isinstance(t, int) for t in prompt):
        return len(prompt)
    return sum(len(p) if isinstance(p, list) else max(1, len(WORD.findall(p))) for p in prompt)


@dataclass
class Choice:
    index: int
    prompt: str
    tokens: list[str]  # the generated tokens
    finish: str
    echo: bool

    @property
    def generated(self) -> str:
        return "".join(self.tokens)

    @property
    def prompt_tokens(self) -> list[str]:
        return WORD.findall(self.prompt) if self.echo else []

    @property
    def text(self) -> str:
        return (self.prompt if self.echo else "") + self.generated


def _continuation(prompt: str, body: dict[str, Any], config: ServerConfig) -> tuple[list[str], str]:
    text = " " + (" ".join(prompt.split()) or EMPTY)
    stop = body.get("stop")
    sequences = [stop] if isinstance(stop, str) else [s for s in stop or [] if isinstance(s, str)]
    cuts = [text.find(s) for s in sequences if s and s in text]
    if cuts:
        text = text[: min(cuts)]
    tokens = WORD.findall(text)
    limit = body.get("max_tokens")
    limit = DEFAULT_MAX_TOKENS if limit is None else limit
    if len(tokens) > limit:
        finish = "stop" if config.has("completions-finish-stop-at-length") else "length"
        return tokens[:limit], finish
    return tokens, "stop"


def plan(body: dict[str, Any], config: ServerConfig) -> list[Choice]:
    texts = prompt_texts(body)
    if config.has("completions-prompts-joined"):
        texts = [" ".join(texts)]
    n = body.get("n") or 1
    echo = body.get("echo") is True and not config.has("completions-echo-ignored")
    out: list[Choice] = []
    for prompt in texts:
        tokens, finish = _continuation(prompt, body, config)
        base = len(out)
        out.extend(Choice(base + k, prompt, list(tokens), finish, echo) for k in range(n))
    return out


def usage_of(body: dict[str, Any], choices: list[Choice]) -> dict[str, Any]:
    prompt = prompt_tokens(body)
    completion = sum(len(c.tokens) for c in choices)
    return {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion}


# --- logprobs -----------------------------------------------------------------------------------------------


def _logprob(position: int) -> float:
    return -round(0.0625 * (1 + (position * 7) % 11), 4)


def logprobs_of(choice: Choice, top: int, config: ServerConfig, start: int = 0, only: int | None = None) -> Any:
    """The legacy logprobs of a choice's tokens (the echoed prompt's first, its first token without a logprob);
    `only` = the one token (by position) a stream chunk carries."""
    echoed = choice.prompt_tokens
    tokens = echoed + choice.tokens
    offset = 0 if choice.echo else len(choice.prompt)
    offsets = []
    for token in tokens:
        offsets.append(offset)
        offset += len(token)
    lps: list[float | None] = [_logprob(start + i) for i in range(len(tokens))]
    tops: list[dict[str, float] | None] = [
        {token: lp, **{f"{token.strip() or token}{'~' * k}": round(lp - 1.5 * k, 4) for k in range(1, top)}}
        if lp is not None
        else None
        for token, lp in zip(tokens, lps, strict=True)
    ]
    if echoed:
        lps[0], tops[0] = None, None
    positions = range(len(tokens)) if only is None else [only]
    if config.has("completions-logprobs-chat-shape"):
        return {
            "content": [
                {"token": tokens[i], "logprob": lps[i] or 0.0, "bytes": list(tokens[i].encode()), "top_logprobs": []}
                for i in positions
            ],
            "refusal": None,
        }
    return {
        "tokens": [tokens[i] for i in positions],
        "token_logprobs": [lps[i] for i in positions],
        "top_logprobs": [tops[i] for i in positions],
        "text_offset": [offsets[i] for i in positions],
    }


# --- answers ------------------------------------------------------------------------------------------------


def complete(body: dict[str, Any], config: ServerConfig, ids: Ids) -> Response:
    choices = plan(body, config)
    ident = "cmpl-" + ids.completion().removeprefix("chatcmpl-")
    created = int(time.time())
    model = str(body["model"])
    if body.get("stream") is True:
        return _stream(body, choices, ident, created, model, config)
    top = body.get("logprobs")
    answer = {
        "id": ident,
        "object": "text_completion",
        "created": created,
        "model": model,
        "choices": [
            {
                "text": c.text,
                "index": c.index,
                "logprobs": logprobs_of(c, top, config) if isinstance(top, int) else None,
                "finish_reason": c.finish,
            }
            for c in choices
        ],
        "usage": usage_of(body, choices),
        "system_fingerprint": config.system_fingerprint,
    }
    return Response(dumps(answer), media_type="application/json")


def stream_chunks(
    body: dict[str, Any], choices: list[Choice], ident: str, created: int, model: str, config: ServerConfig
) -> list[dict[str, Any]]:
    """Every chunk of the stream, in order (the usage chunk included)."""
    options = body.get("stream_options")
    asked = isinstance(options, dict) and options.get("include_usage") is True
    include_usage = asked and not config.has("completions-no-usage-chunk")
    top = body.get("logprobs")
    chat_chunks = config.has("completions-chat-chunks")
    chunks: list[dict[str, Any]] = []

    def add(choice: Choice, text: str, logprobs: Any = None, finish: str | None = None) -> None:
        item: dict[str, Any] = {"text": text, "index": choice.index, "logprobs": logprobs, "finish_reason": finish}
        if chat_chunks:
            item = {"index": choice.index, "delta": {"content": text}, "logprobs": None, "finish_reason": finish}
        chunk: dict[str, Any] = {
            "id": ident,
            "object": "chat.completion.chunk" if chat_chunks else "text_completion",
            "created": created,
            "model": model,
            "choices": [item],
            "system_fingerprint": config.system_fingerprint,
        }
        if include_usage:
            chunk["usage"] = None
        chunks.append(chunk)

    for choice in choices:
        pieces = choice.prompt_tokens + choice.tokens
        for position, piece in enumerate(pieces):
            lp = logprobs_of(choice, top, config, only=position) if isinstance(top, int) else None
            add(choice, piece, lp)
        add(choice, "", None, choice.finish)
    if include_usage or config.has("completions-usage-always"):
        chunks.append(
            {
                "id": ident,
                "object": "text_completion",
                "created": created,
                "model": model,
                "choices": [],
                "system_fingerprint": config.system_fingerprint,
                "usage": usage_of(body, choices),
            }
        )
    return chunks


def _stream(
    body: dict[str, Any], choices: list[Choice], ident: str, created: int, model: str, config: ServerConfig
) -> StreamingResponse:
    events = [_event(chunk) for chunk in stream_chunks(body, choices, ident, created, model, config)]
    if not config.has("completions-no-done"):
        events.append(DONE)
    media = "application/json" if config.has("completions-stream-content-type") else "text/event-stream"
    return StreamingResponse(_iterate(events), media_type=media, headers={"cache-control": "no-cache"})
