"""Every check can fail, and says why: one violating example per requirement, beside the valid answer.

Each row of `VIOLATIONS` names a requirement, a short description of the violation (the pytest id), a
factory of a VALID subject (a spec of an exchange, a stream, model probes or an embedding pair) and one
mutation of it that breaks the rule; the violations mirror ../shared/REAL-WORLD.md where a row exists
("row N" in the description). The same check must PASS the valid subject and FAIL (MUST) or WARN (SHOULD)
the mutated one, with a message that quotes what was received and what was expected. A requirement added to
the catalogue without a row here fails `test_every_requirement_has_a_violation`.
"""

from __future__ import annotations

import base64
import copy
import importlib
import json
import struct
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, NamedTuple

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conformance.checks.chat_stream import ChatStream
from conformance.checks.embeddings import EmbeddingPair
from conformance.checks.generated import GeneratedExamples, GeneratedExchange
from conformance.checks.models import ModelProbes
from conformance.checks.rule import CHECKS, Context
from conformance.exchange import Exchange
from conformance.judgement import Observation, Status, judge
from conformance.requirements import Level, catalogue

# Subjects to build ------------------------------------------------------------------------------------------

BASE = "https://api.example.test/v1"
HEADERS = {"authorization": "Bearer sk-test-0000", "content-type": "application/json"}


def raw(body: Any) -> bytes:
    """Bytes as they are, None as no body, anything else as JSON."""
    if body is None:
        return b""
    return body if isinstance(body, bytes) else json.dumps(body).encode()


@dataclass
class Http:
    """An exchange to build: request body, status and response body (JSON-ready values, or bytes)."""

    request: Any
    body: Any
    status: int = 200
    path: str = "/chat/completions"
    method: str = "POST"
    content_type: str = "application/json"
    headers: dict[str, str] = field(default_factory=lambda: dict(HEADERS))

    def subject(self) -> Exchange:
        return Exchange.build(method=self.method, url=BASE + self.path, request_headers=self.headers,
                              request_body=raw(self.request), status=self.status,
                              response_headers={"content-type": self.content_type},
                              response_body=raw(self.body))


def sse(*events: Any, done: bool = True, after: tuple[Any, ...] = (), newline: str = "\n",
        comment: bool = False, cut: bool = False) -> bytes:
    """An event stream: one `data:` event per item (dicts as JSON, strings as they are), then `[DONE]`.

    `after` are events sent after `[DONE]`; `comment` adds a keep-alive comment before each event; `cut`
    ends the stream without the blank line that dispatches the last event.
    """
    blocks = []
    for item in (*events, *(["[DONE]"] if done else []), *after):
        data = item if isinstance(item, str) else json.dumps(item)
        blocks.append((f": keep-alive{newline}" if comment else "") + f"data: {data}{newline}{newline}")
    text = "".join(blocks)
    return (text[: -len(newline)] if cut and text else text).encode()


@dataclass
class Stream:
    """A chat stream to build: the request, its chunks (dicts, or strings sent as is) and the framing."""

    request: dict[str, Any]
    chunks: list[Any]
    done: bool = True
    after: list[Any] = field(default_factory=list)
    cut: bool = False
    newline: str = "\n"
    comment: bool = False
    status: int = 200
    content_type: str = "text/event-stream"

    def bytes(self) -> bytes:
        return sse(*self.chunks, done=self.done, after=tuple(self.after), newline=self.newline,
                   comment=self.comment, cut=self.cut)

    def subject(self) -> ChatStream:
        http = Http(self.request, self.bytes(), self.status, content_type=self.content_type)
        return ChatStream.from_exchange(http.subject())


@dataclass
class Probes:
    """A models listing and, per listed id, the exchange that retrieved or used it."""

    listing: Http
    probes: list[list[Any]]  # [model id, Http]

    def subject(self) -> ModelProbes:
        return ModelProbes(self.listing.subject(), [(model, http.subject()) for model, http in self.probes])


@dataclass
class Pair:
    """The same input embedded as floats and as base64."""

    floats: Http
    encoded: Http

    def subject(self) -> EmbeddingPair:
        return EmbeddingPair(self.floats.subject(), self.encoded.subject())


@dataclass
class Generated:
    """Generated examples of POST /chat/completions in one mode, each answered in `elapsed` seconds."""

    mode: str
    examples: list[Http]
    elapsed: float = 0.2

    def subject(self) -> GeneratedExamples:
        built = []
        for http in self.examples:
            exchange = http.subject()
            if exchange.response is not None:
                exchange = replace(exchange, response=replace(exchange.response, elapsed=self.elapsed))
            built.append(GeneratedExchange(exchange, "POST /chat/completions", self.mode,  # type: ignore[arg-type]
                                           "chat.completion", "chat.completion.request", "chat.completion.chunk"))
        return GeneratedExamples("POST /chat/completions", self.mode, tuple(built))  # type: ignore[arg-type]


Spec = Http | Stream | Probes | Pair | Generated

# Valid answers ----------------------------------------------------------------------------------------------

MODEL = "gpt-4o-mini"
ANSWERED = "gpt-4o-mini-2024-07-18"
EMBEDDING_MODEL = "text-embedding-3-small"
CREATED = 1_730_000_000
PROMPT = "Count from one to twenty in words, separated by spaces."
CHAT_REQUEST = {"model": MODEL, "messages": [{"role": "user", "content": PROMPT}], "temperature": 0}

WEATHER = {"type": "function", "function": {
    "name": "get_weather", "parameters": {"type": "object", "properties": {"city": {"type": "string"}}}}}
TIME = {"type": "function", "function": {
    "name": "get_time", "parameters": {"type": "object", "properties": {"city": {"type": "string"}}}}}
CITY = {"type": "object", "properties": {"city": {"type": "string"}, "country": {"type": "string"}},
        "required": ["city", "country"], "additionalProperties": False}


def usage(prompt: int, completion: int) -> dict[str, Any]:
    return {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion,
            "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
            "completion_tokens_details": {"reasoning_tokens": 0, "audio_tokens": 0,
                                          "accepted_prediction_tokens": 0, "rejected_prediction_tokens": 0}}


COMPLETION: dict[str, Any] = {
    "id": "chatcmpl-B9MBs8CjcvOU2jLn4n570S5qMJKcT",
    "object": "chat.completion",
    "created": CREATED,
    "model": ANSWERED,
    "choices": [{
        "index": 0,
        "message": {"role": "assistant", "content": "one two three", "refusal": None, "annotations": []},
        "logprobs": None,
        "finish_reason": "stop",
    }],
    "usage": usage(19, 3),
    "service_tier": "default",
    "system_fingerprint": "fp_0ba0d124f1",
}


def chat(*, n: int = 1, content: str | None = "one two three", finish: str = "stop", tokens: int = 3,
         **ask: Any) -> Http:
    """A valid chat completion for CHAT_REQUEST with `ask` added: `n` choices, each `tokens` long."""
    body = copy.deepcopy(COMPLETION)
    body["choices"] = [{**copy.deepcopy(COMPLETION["choices"][0]), "index": i, "finish_reason": finish}
                       for i in range(n)]
    for item in body["choices"]:
        item["message"]["content"] = content
    body["usage"] = usage(19, tokens * n)
    return Http({**CHAT_REQUEST, **({"n": n} if n != 1 else {}), **ask}, body)


def cut(parameter: str) -> Http:
    return chat(content="one two", finish="length", tokens=2, **{parameter: 2})


def call(n: int, name: str, arguments: str) -> dict[str, Any]:
    return {"id": f"call_{n}", "type": "function", "function": {"name": name, "arguments": arguments}}


def tools(tool_choice: Any = "auto", finish: str = "tool_calls",
          names: tuple[str, ...] = ("get_weather", "get_time")) -> Http:
    """A valid answer with one tool call per name, for a request offering WEATHER and TIME."""
    http = chat(finish=finish, content=None, tools=[WEATHER, TIME], tool_choice=tool_choice, max_tokens=80)
    http.body["choices"][0]["message"]["tool_calls"] = [
        call(n, name, json.dumps({"city": city}))
        for n, (name, city) in enumerate(zip(names, ("Paris", "Tokyo"), strict=False))]
    return http


def named() -> Http:
    return tools({"type": "function", "function": {"name": "get_weather"}}, "stop", ("get_weather",))


def tools_cut() -> Http:
    """Tool calls the token limit cut short (all 80 tokens used): `length` is the truth, as the API says it."""
    http = tools(finish="length")
    http.body["usage"] = usage(19, 80)
    return http


def structured(kind: str = "json_object", content: str = '{"city": "Paris", "country": "France"}') -> Http:
    formats = {"json_object": {"type": "json_object"},
               "json_schema": {"type": "json_schema",
                               "json_schema": {"name": "city", "schema": CITY, "strict": True}}}
    return chat(content=content, tokens=10, response_format=formats[kind], max_tokens=60)


def alternative(token: str, logprob: float) -> dict[str, Any]:
    return {"token": token, "logprob": logprob, "bytes": list(token.encode())}


def logprobs() -> Http:
    http = chat(content="one two", tokens=2, logprobs=True, top_logprobs=2, max_tokens=3)
    http.body["choices"][0]["logprobs"] = {"refusal": None, "content": [
        {**alternative(token, -0.01), "top_logprobs": [alternative(token, -0.01), alternative(other, -4.7)]}
        for token, other in (("one", "One"), (" two", " Two"))]}
    return http


LEGACY_LOGPROBS = {"tokens": ["one", " two"], "token_logprobs": [-0.01, -0.02],
                   "top_logprobs": [{"one": -0.01}, {" two": -0.02}], "text_offset": [0, 3]}


WRONG_TYPE = "Invalid type for 'temperature': expected a decimal, but got a string."


def error(status: int = 400, message: str = WRONG_TYPE,
          type: str = "invalid_request_error", param: str | None = "temperature", code: str | None = None,
          request: Any = None, path: str = "/chat/completions", method: str = "POST") -> Http:
    request = {**CHAT_REQUEST, "temperature": "hot"} if request is None else request
    return Http(request, {"error": {"message": message, "type": type, "param": param, "code": code}}, status,
                path=path, method=method)


UNKNOWN = "oai-conformance-no-such-model"


def no_key() -> Http:
    http = error(401, "You didn't provide an API key.", param=None, request=CHAT_REQUEST)
    http.headers = {"content-type": "application/json"}
    return http


def wrong_key() -> Http:
    return error(401, "Incorrect API key provided: sk-oai-c**************0000.", param=None,
                 code="invalid_api_key", request=CHAT_REQUEST)


def unknown_model() -> Http:
    return error(404, f"The model `{UNKNOWN}` does not exist or you do not have access to it.", param=None,
                 code="model_not_found", request={**CHAT_REQUEST, "model": UNKNOWN})


def mistake(**change: Any) -> Http:
    """A 400 for a chat request with `change` (a None value removes the parameter), naming the parameter."""
    request = {k: v for k, v in {**CHAT_REQUEST, **change}.items() if v is not None}
    param = next(iter(change))
    return error(400, f"Invalid value for '{param}'.", param=param, request=request)


def malformed() -> Http:
    return error(400, "We could not parse the JSON body of your request.", param=None,
                 request=b'{"model": "gpt-4o-mini", "messages": [')


def both_limits() -> Http:
    return error(400, "max_tokens and max_completion_tokens cannot both be set.", param="max_tokens",
                 code="invalid_parameter_combination", request={**CHAT_REQUEST, "max_tokens": 2,
                                                                "max_completion_tokens": 2})


def options_without_stream() -> Http:
    return error(400, "The 'stream_options' parameter is only allowed when 'stream' is enabled.",
                 param="stream_options", request={**CHAT_REQUEST, "stream_options": {"include_usage": True}})


def unknown_route() -> Http:
    return error(404, "Invalid URL (GET /v1/oai-conformance-no-such-route)", param=None,
                 request=None, path="/oai-conformance-no-such-route", method="GET")


MODELS = [{"id": MODEL, "object": "model", "created": 1721172741, "owned_by": "system"},
          {"id": EMBEDDING_MODEL, "object": "model", "created": 1705948997, "owned_by": "system"}]


def models() -> Http:
    return Http(None, {"object": "list", "data": copy.deepcopy(MODELS)}, path="/models", method="GET")


def retrieved() -> Probes:
    return Probes(models(), [[m["id"], Http(None, copy.deepcopy(m), path=f"/models/{m['id']}", method="GET")]
                             for m in MODELS])


def used() -> Probes:
    return Probes(models(), [[m["id"], chat(model=m["id"], max_tokens=1, tokens=1, content="Hi")]
                             for m in MODELS])


def unknown_retrieved() -> Http:
    return error(404, f"The model '{UNKNOWN}' does not exist", param="model", code="model_not_found",
                 request=None, path=f"/models/{UNKNOWN}", method="GET")


FINE_TUNED = "ft:gpt-4o-mini:oai-conformance::nonexist"


def delete_unknown() -> Http:
    return error(404, f"The model '{FINE_TUNED}' does not exist", param="model", code="model_not_found",
                 request=None, path=f"/models/{FINE_TUNED}", method="DELETE")


def deleted() -> Http:
    return Http(None, {"id": FINE_TUNED, "object": "model", "deleted": True}, path=f"/models/{FINE_TUNED}",
                method="DELETE")


def unknown_object() -> Http:
    ident = "resp_" + "0" * 50
    return error(404, f"Response with id '{ident}' not found.", param=None, request=None,
                 path=f"/responses/{ident}", method="GET")


def too_long() -> Http:
    """The real API's refusal of a prompt past the context (the recorded one names messages and the code)."""
    return error(400, "This model's maximum context length is 128000 tokens. However, your messages resulted in "
                 "150007 tokens. Please reduce the length of the messages.", param="messages",
                 code="context_length_exceeded",
                 request={**CHAT_REQUEST, "messages": [{"role": "user", "content": "the of " * 75_000}]})


def rate_limited() -> Http:
    return error(429, "Rate limit reached for gpt-4o-mini in organization org-x on requests per min (RPM).",
                 type="requests", param=None, code="rate_limit_exceeded", request=CHAT_REQUEST)


def no_quota() -> Http:
    return error(429, "You exceeded your current quota, please check your plan and billing details.",
                 type="insufficient_quota", param=None, code="insufficient_quota", request=CHAT_REQUEST)


INPUTS = ["alpha", "beta", "gamma"]
VECTORS = [[0.0123, -0.0456, 0.0789, 0.0012, -0.0345, 0.0678, -0.0901, 0.0234],
           [-0.0521, 0.0333, 0.0107, -0.0874, 0.0655, 0.0019, -0.0412, 0.0298],
           [0.0711, -0.0102, -0.0563, 0.0487, 0.0025, -0.0699, 0.0381, -0.0150]]


def b64(vector: list[float], layout: str = "<{}f") -> str:
    return base64.b64encode(struct.pack(layout.format(len(vector)), *vector)).decode()


def embeddings(*, encoding: str = "float", dimensions: int | None = None, inputs: Any = None) -> Http:
    inputs = INPUTS if inputs is None else inputs
    count = len(inputs) if isinstance(inputs, list) else 1
    vectors = [v[: dimensions or len(v)] for v in VECTORS[:count]]
    request = {"model": EMBEDDING_MODEL, "input": inputs, "encoding_format": encoding,
               **({"dimensions": dimensions} if dimensions else {})}
    body = {"object": "list", "model": EMBEDDING_MODEL, "usage": {"prompt_tokens": 3, "total_tokens": 3},
            "data": [{"object": "embedding", "index": i, "embedding": b64(v) if encoding == "base64" else v}
                     for i, v in enumerate(vectors)]}
    return Http(request, body, path="/embeddings")


def pair() -> Pair:
    return Pair(embeddings(), embeddings(encoding="base64"))


def invalid_input() -> Http:
    return error(400, "'$.input' is invalid. Please check the API reference.", param=None,
                 request={"model": EMBEDDING_MODEL, "input": ""}, path="/embeddings")


STREAM_REQUEST = {**CHAT_REQUEST, "stream": True}


def chunk(choices: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    return {"id": "chatcmpl-B9Mx1stream", "object": "chat.completion.chunk", "created": CREATED,
            "model": ANSWERED, "service_tier": "default", "system_fingerprint": "fp_0ba0d124f1",
            "choices": choices, **extra}


def delta(index: int, content: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
    return {"index": index, "delta": content, "logprobs": None, "finish_reason": finish}


def stream(texts: tuple[str, ...] = ("one", " two", " three"), *, n: int = 1, include_usage: bool = False,
           limit: int | None = None) -> Stream:
    """A valid stream as the real API sends it: per choice a role delta, content deltas, then a
    finish_reason (`length` when `limit` sets max_tokens); with include_usage, `usage: null` in every chunk
    and a usage chunk last."""
    request = dict(STREAM_REQUEST)
    if include_usage:
        request["stream_options"] = {"include_usage": True}
    if limit is not None:
        request["max_tokens"] = limit
    chunks = [chunk([delta(i, {"role": "assistant", "content": "", "refusal": None})]) for i in range(n)]
    chunks += [chunk([delta(i, {"content": text})]) for text in texts for i in range(n)]
    chunks += [chunk([delta(i, {}, "length" if limit is not None else "stop")]) for i in range(n)]
    if include_usage:
        for item in chunks:
            item["usage"] = None
        chunks.append(chunk([], usage=usage(19, len(texts) * n)))
    return Stream(request, chunks)


def tool_stream() -> Stream:
    """Two parallel tool calls: id, type and name in each call's first delta, argument fragments after."""
    def calls(*items: dict[str, Any]) -> dict[str, Any]:
        return chunk([delta(0, {"tool_calls": list(items)})])

    request = {**STREAM_REQUEST, "tools": [WEATHER, TIME], "tool_choice": "required", "max_tokens": 80}
    first = {"role": "assistant", "content": None, "refusal": None,
             "tool_calls": [{"index": 0, **call(0, "get_weather", "")}]}
    return Stream(request, [
        chunk([delta(0, first)]),
        calls({"index": 0, "function": {"arguments": '{"city"'}}),
        calls({"index": 0, "function": {"arguments": ': "Paris"}'}}),
        calls({"index": 1, **call(1, "get_time", "")}),
        calls({"index": 1, "function": {"arguments": '{"city": "Tokyo"}'}}),
        chunk([delta(0, {}, "stop")]),
    ])


def bad_request_stream() -> Http:
    return error(request={**STREAM_REQUEST, "temperature": "hot"})


# Mutations: each changes one thing of a valid spec, in place ------------------------------------------------

Mutation = Callable[[Any], Any]


def _step(obj: Any, part: str) -> Any:
    if isinstance(obj, list):
        return obj[int(part)]
    return obj[part] if isinstance(obj, dict) else getattr(obj, part)


def _locate(spec: Any, path: str) -> tuple[Any, str]:
    *parents, last = path.split(".")
    for part in parents:
        spec = _step(spec, part)
    return spec, last


def changed(spec: Any, mutation: Mutation) -> Any:
    """`spec` after `mutation`, for valid subjects that differ from the default one."""
    mutation(spec)
    return spec


def put(path: str, value: Any) -> Mutation:
    """Set what `path` (attributes, keys and list indices joined by dots) names."""
    def mutate(spec: Any) -> None:
        obj, last = _locate(spec, path)
        if isinstance(obj, list):
            obj[int(last)] = value
        elif isinstance(obj, dict):
            obj[last] = value
        else:
            setattr(obj, last, value)
    return mutate


def drop(path: str) -> Mutation:
    def mutate(spec: Any) -> None:
        obj, last = _locate(spec, path)
        del obj[int(last) if isinstance(obj, list) else last]
    return mutate


def both(*mutations: Mutation) -> Mutation:
    def mutate(spec: Any) -> None:
        for mutation in mutations:
            mutation(spec)
    return mutate


def mutated(factory: Callable[[], Spec], *mutations: Mutation) -> Callable[[], Spec]:
    """A factory of `factory`'s spec with `mutations` applied."""
    def build() -> Spec:
        spec = factory()
        both(*mutations)(spec)
        return spec
    return build


def answer(status: int, body: Any, content_type: str = "application/json") -> Mutation:
    """Replace the whole answer."""
    return both(put("status", status), put("body", copy.deepcopy(body)), put("content_type", content_type))


def every_delta(change: Callable[[dict[str, Any]], Any]) -> Mutation:
    def mutate(spec: Stream) -> None:
        for item in spec.chunks:
            for choice in item.get("choices") or []:
                change(choice["delta"])
    return mutate


def every_tool_delta(change: Callable[[dict[str, Any]], Any]) -> Mutation:
    return every_delta(lambda d: [change(c) for c in d.get("tool_calls") or []])


def every_chunk(change: Callable[[dict[str, Any]], Any]) -> Mutation:
    def mutate(spec: Stream) -> None:
        for item in spec.chunks:
            change(item)
    return mutate


def drop_usage_chunk(spec: Stream) -> None:
    spec.chunks = [c for c in spec.chunks if c.get("usage") is None]


def merged_tool_calls(spec: Stream) -> None:
    """Every call streamed at index 0 with its own id: the arguments of the calls merge (row 3)."""
    every_tool_delta(lambda c: c.update(index=0))(spec)


FASTAPI_422 = {"detail": [{"type": "float_parsing", "loc": ["body", "temperature"],
                           "msg": "Input should be a valid number", "input": "hot"}]}
VLLM_ERROR = {"object": "error", "message": "temperature must be a number", "type": "BadRequestError",
              "param": None, "code": 400}
INTERNAL = {"error": {"message": "Internal server error", "type": "server_error", "param": None,
                      "code": None}}
SSE_ERROR = sse({"error": {"message": WRONG_TYPE, "type": "invalid_request_error"}}, done=False)

def first_example(mutation: Mutation) -> Mutation:
    return lambda spec: mutation(spec.examples[0])


def generated_valid() -> Generated:
    """Two valid generated requests, answered with a completion and with a stream."""
    streamed = Http({**CHAT_REQUEST, "stream": True}, stream().bytes(), content_type="text/event-stream")
    return Generated("positive", [chat(), streamed])


def generated_invalid() -> Generated:
    """An invalid generated request (`messages` a string), rejected with a 400."""
    request = {"model": MODEL, "messages": "hi"}
    return Generated("negative", [error(400, "Invalid type for 'messages'.", param="messages", request=request)])


# The table --------------------------------------------------------------------------------------------------


class V(NamedTuple):
    """A requirement, a violation of it (the pytest id), a factory of a valid subject and the mutation that
    breaks the rule; `expect` goes to the check, `shows` is evidence the message must quote, `now` makes the
    context live."""

    rid: str
    what: str
    good: Callable[[], Spec]
    mutate: Mutation
    expect: dict[str, Any] = {}  # noqa: RUF012 (a NamedTuple default; never mutated)
    shows: str = ""
    now: float | None = None


OLLAMA_CHUNK = {"model": "llama3", "created_at": "2024-10-27T03:33:20Z",
                "message": {"role": "assistant", "content": "one"}, "done": False}
MODELS_CONFIGURED = {"models": [MODEL, EMBEDDING_MODEL]}

VIOLATIONS: list[V] = [
    # Generated requests
    V("generated.valid.answered", "a completion without choices", generated_valid, drop("examples.0.body.choices"),
      shows="'choices' is a required property"),
    V("generated.valid.answered", "a stream without [DONE]", generated_valid,
      put("examples.1.body", sse(*stream().chunks, done=False)), shows="no `data: [DONE]`"),
    V("generated.valid.accepted", "a valid request declined with a 400", generated_valid,
      first_example(answer(400, error().body)), shows="400"),
    V("generated.invalid.rejected", "garbage accepted with a 200", generated_invalid,
      first_example(answer(200, COMPLETION)), shows="accepted garbage"),
    V("generated.invalid.rejected", "a flat error body (row 5)", generated_invalid,
      first_example(answer(400, VLLM_ERROR)), shows="'error' is a required property"),
    V("generated.status.never-5xx", "a 500 for a valid request", generated_valid,
      put("examples.0.status", 500), shows="500"),
    V("generated.response.time-limit", "an answer after 45 s", generated_valid, put("elapsed", 45.0),
      shows="45.0 s"),
    V("generated.connection.intact", "the connection dropped", generated_invalid,
      both(put("examples.0.status", None), put("examples.0.body", None)), shows="no response"),
    # Chat streams
    V("chat.stream.content-type", "a stream served as application/json",
      stream, put("content_type", "application/json"), shows="application/json"),
    V("chat.stream.content-type", "a 500 instead of a stream",
      stream, both(put("status", 500), put("content_type", "text/plain")), shows="500"),
    V("chat.stream.framing", "the stream ends inside an event",
      stream, put("cut", True), shows="inside an event"),
    V("chat.stream.event-json", "a data line that is not JSON",
      stream, put("chunks.1", "{'id': 'chatcmpl-1', 'choices': []}"), shows="'id'"),
    V("chat.stream.done-last", "no [DONE] terminator (row 10)",
      stream, put("done", False), shows="no `data: [DONE]`"),
    V("chat.stream.done-last", "an empty 200 body", stream, both(put("chunks", []), put("done", False)),
      shows="0 events"),
    V("chat.stream.done-last", "a chunk after [DONE]",
      stream, put("after", [chunk([])]), shows="1 events after [DONE]"),
    V("chat.stream.chunk-schema", "finish_reason missing from the chunks (row 11)",
      stream, every_chunk(lambda c: [x.pop("finish_reason") for x in c["choices"]]), shows="finish_reason"),
    V("chat.stream.chunk-schema", "an Ollama-native chunk among the chunks",
      stream, put("chunks.1", OLLAMA_CHUNK), shows="'id' is a required property"),
    V("chat.stream.same-identity", "a different id in one chunk",
      stream, put("chunks.2.id", "chatcmpl-other"), shows="chatcmpl-other"),
    V("chat.stream.created-seconds", "created in milliseconds (row 13)",
      stream, every_chunk(lambda c: c.update(created=CREATED * 1000)), shows=str(CREATED * 1000)),
    V("chat.stream.created-seconds", "created a day away from the request time",
      stream, every_chunk(lambda c: c.update(created=CREATED - 200_000)), now=CREATED,
      shows=str(CREATED - 200_000)),
    V("chat.stream.role-first", "the first delta without role (row 12)",
      stream, drop("chunks.0.choices.0.delta.role"), shows="None"),
    V("chat.stream.role-first", "role an empty string (row 12)",
      stream, put("chunks.0.choices.0.delta.role", ""), shows="''"),
    V("chat.stream.role-once", "role repeated in every delta (row 12)",
      stream, every_delta(lambda d: d.update(role="assistant")), shows="role again"),
    V("chat.stream.role-once", "role repeated in one later delta (row 12)",
      stream, put("chunks.4.choices.0.delta.role", "assistant"), shows="event 4"),
    V("chat.stream.finish-reason-once", "a second non-null finish_reason",
      stream, put("chunks.1.choices.0.finish_reason", "stop"), shows="['stop', 'stop']"),
    V("chat.stream.finish-reason-once", "no finish_reason at all",
      stream, put("chunks.4.choices.0.finish_reason", None), shows="0 non-null"),
    V("chat.stream.max-tokens-length", "stop instead of length at the token cap (row 11)",
      lambda: stream(limit=3), put("chunks.4.choices.0.finish_reason", "stop"), shows="'stop'"),
    V("chat.stream.usage-last", "include_usage ignored, no usage chunk (row 1)",
      lambda: stream(include_usage=True), drop_usage_chunk, shows="0 chunks with usage"),
    V("chat.stream.usage-last", "usage chunk with a choice (row 1)",
      lambda: stream(include_usage=True), put("chunks.5.choices", [delta(0, {}, None)]), shows="choices"),
    V("chat.stream.usage-adds-up", "total_tokens not the sum (row 1)",
      lambda: stream(include_usage=True), put("chunks.5.usage.total_tokens", 23), shows="total_tokens 23"),
    V("chat.stream.no-usage-unrequested", "a usage chunk without include_usage",
      stream, lambda s: s.chunks.append(chunk([], usage=usage(19, 3))), shows="usage"),
    V("chat.stream.options-require-stream", "stream_options without stream answered 200 (row 24)",
      options_without_stream, answer(200, COMPLETION), shows="200"),
    V("chat.stream.errors-before-stream", "a validation error sent as an event after a 200 (row 9)",
      bad_request_stream, answer(200, SSE_ERROR, "text/event-stream"), shows="text/event-stream"),
    V("chat.tools.stream-index", "index missing from every tool-call delta (row 2)",
      tool_stream, every_tool_delta(lambda c: c.pop("index")), shows="an integer `index`"),
    V("chat.tools.stream-index", "index missing from one tool-call delta (row 2)",
      tool_stream, drop("chunks.2.choices.0.delta.tool_calls.0.index"), shows="Paris"),
    V("chat.tools.stream-first-delta", "parallel calls all at index 0 (row 3)",
      tool_stream, merged_tool_calls, shows="'call_1'"),
    V("chat.tools.stream-first-delta", "a call's first delta without function.name",
      tool_stream, drop("chunks.3.choices.0.delta.tool_calls.0.function.name"), shows="function.name"),
    V("chat.tools.stream-arguments-json", "arguments streamed as an object (row 4)",
      tool_stream, put("chunks.4.choices.0.delta.tool_calls.0.function.arguments", {"city": "Tokyo"}),
      shows="Tokyo"),
    V("chat.tools.stream-arguments-json", "argument fragments that do not join into JSON",
      tool_stream, put("chunks.2.choices.0.delta.tool_calls.0.function.arguments", ': "Paris"'),
      shows='{"city": "Paris"'),
    # Chat completions
    V("chat.completion.schema", "no id", chat, drop("body.id"), shows="'id' is a required property"),
    V("chat.completion.schema", "the legacy object text_completion",
      chat, put("body.object", "text_completion"), shows="text_completion"),
    V("chat.completion.created-seconds", "created in milliseconds (row 13)",
      chat, put("body.created", CREATED * 1000), shows=str(CREATED * 1000)),
    V("chat.completion.created-seconds", "created as an ISO string",
      chat, put("body.created", "2024-10-27T03:33:20Z"), shows="2024-10-27"),
    V("chat.completion.model-present", "an empty model (row 16)", chat, put("body.model", ""), shows="''"),
    V("chat.completion.model-related", "whatever model is loaded answers (row 8)",
      chat, put("body.model", "llama-3.1-8b-instruct-q4"), shows="llama-3.1-8b-instruct-q4"),
    V("chat.completion.model-related", "gpt-4o-mini answers a request for gpt-4o",
      lambda: changed(chat(model="gpt-4o"), put("body.model", "gpt-4o-2024-08-06")),
      put("body.model", ANSWERED), shows=ANSWERED),
    V("chat.completion.null-keys", "a message without `refusal` (llama.cpp)",
      chat, drop("body.choices.0.message.refusal"), shows="refusal"),
    V("chat.completion.null-keys", "a choice without `logprobs`",
      chat, drop("body.choices.0.logprobs"), shows="logprobs"),
    V("chat.completion.null-keys", "logprobs without `refusal` (llama-server, vLLM)",
      logprobs, drop("body.choices.0.logprobs.refusal"), shows="`logprobs` without the `refusal` key"),
    V("chat.completion.choice-indices", "n=2 answered with two choices at index 0 (row 19)",
      lambda: chat(n=2, max_tokens=2, tokens=2), put("body.choices.1.index", 0), shows="[0, 0]"),
    V("chat.completion.finish-reason", "finish_reason null in a finished answer (row 11)",
      chat, put("body.choices.0.finish_reason", None), shows="None"),
    V("chat.completion.finish-reason", "finish_reason eos", chat, put("body.choices.0.finish_reason", "eos"),
      shows="'eos'"),
    V("chat.completion.not-empty", "content null, zero usage and stop (row 25)",
      chat, both(put("body.choices.0.message.content", None), put("body.usage", usage(19, 0))),
      shows="'stop'"),
    V("chat.usage.adds-up", "total_tokens not the sum",
      chat, put("body.usage.total_tokens", 3), shows="total_tokens 3"),
    V("chat.usage.adds-up", "no usage", chat, drop("body.usage"), shows="usage null"),
    V("chat.max-tokens.length", "stop instead of length at the cap (row 11)",
      lambda: cut("max_tokens"), put("body.choices.0.finish_reason", "stop"), shows="'stop'"),
    V("chat.max-completion-tokens.length", "max_completion_tokens ignored (row 20)",
      lambda: cut("max_completion_tokens"),
      both(put("body.choices.0.finish_reason", "stop"), put("body.usage", usage(19, 40))),
      shows="completion_tokens 40"),
    V("chat.token-limits.both-rejected", "both limits at once answered 200 (row 20)",
      both_limits, answer(200, COMPLETION), shows="200"),
    V("chat.n.choices", "n=2 silently gives one choice (row 19)",
      lambda: chat(n=2, max_tokens=2, tokens=2), drop("body.choices.1"), shows="1 choices for n=2"),
    V("chat.stop.honoured", "the output runs past the stop sequence",
      lambda: chat(content="alpha beta ", stop=["gamma"], max_tokens=12),
      put("body.choices.0.message.content", "alpha beta gamma delta"), shows="'gamma'"),
    V("chat.developer-role.accepted", "role developer rejected (row 21)",
      lambda: chat(messages=[{"role": "developer", "content": "Answer in one word."},
                             {"role": "user", "content": "Say hello."}]),
      answer(400, error(message="Invalid role 'developer'.", param="messages.[0].role").body), shows="400"),
    V("chat.tools.call-shape", "a call to a tool that was not offered",
      tools, put("body.choices.0.message.tool_calls.1.function.name", "get_news"), shows="get_news"),
    V("chat.tools.call-shape", "a call without id", tools, drop("body.choices.0.message.tool_calls.0.id"),
      shows="id None"),
    V("chat.tools.arguments-json", "arguments as a JSON object, not a string (row 4)",
      tools, put("body.choices.0.message.tool_calls.0.function.arguments", {"city": "Paris"}), shows="dict"),
    V("chat.tools.arguments-json", "arguments that are not JSON",
      tools, put("body.choices.0.message.tool_calls.0.function.arguments", "city=Paris"), shows="city=Paris"),
    V("chat.tools.finish-reason", "stop after an automatic tool call (row 11)",
      tools, put("body.choices.0.finish_reason", "stop"), shows="'stop'"),
    V("chat.tools.finish-reason", "length after tool calls that left the token limit unused",
      tools, put("body.choices.0.finish_reason", "length"), shows="'length'"),
    V("chat.tools.choice-honoured", "tool_choice required answered with text",
      lambda: tools("required", "stop"),
      both(drop("body.choices.0.message.tool_calls"), put("body.choices.0.message.content", "It is sunny.")),
      shows="no tool call"),
    V("chat.tools.choice-honoured", "a named tool_choice answered with another tool",
      named, put("body.choices.0.message.tool_calls.0.function.name", "get_time"), shows="get_time"),
    V("chat.response-format.json-object", "json_object silently ignored (row 17)",
      structured, put("body.choices.0.message.content", "Paris is in France."), shows="Paris is in France."),
    V("chat.response-format.json-schema", "JSON without a required key",
      lambda: structured("json_schema"), put("body.choices.0.message.content", '{"city": "Paris"}'),
      shows="'country' is a required property"),
    V("chat.logprobs.shape", "the legacy completions shape (row 14)",
      logprobs, put("body.choices.0.logprobs", LEGACY_LOGPROBS), shows="legacy"),
    V("chat.logprobs.shape", "a positive logprob",
      logprobs, put("body.choices.0.logprobs.content.1.logprob", 0.5), shows="0.5"),
    V("chat.logprobs.top-count", "top_logprobs not of the requested length (row 14)",
      logprobs, drop("body.choices.0.logprobs.content.0.top_logprobs.1"), shows="1 top_logprobs"),
    # Embeddings
    V("embeddings.list.schema", "no usage",
      embeddings, drop("body.usage"), shows="'usage' is a required property"),
    V("embeddings.list.schema", "an embedding of strings",
      embeddings, put("body.data.0.embedding", ["0.1", "0.2"]), shows="'0.1'"),
    V("embeddings.data.order", "every embedding at index 0", embeddings, put("body.data.2.index", 0),
      shows="[0, 1, 0]"),
    V("embeddings.data.order", "one embedding for three inputs",
      embeddings, lambda s: s.body["data"].__delitem__(slice(1, None)), shows="1 embeddings for 3 inputs"),
    V("embeddings.base64.decodes", "encoding_format base64 ignored (row 18)",
      pair, put("encoded.body.data.0.embedding", VECTORS[0]), shows="a base64 string"),
    V("embeddings.base64.decodes", "base64 of float64 values",
      pair, put("encoded.body.data.0.embedding", b64(VECTORS[0], "<{}d")),
      shows="16 values decoded against 8"),
    V("embeddings.base64.decodes", "base64 of big-endian float32",
      pair, put("encoded.body.data.1.embedding", b64(VECTORS[1], ">{}f")), shows="cosine"),
    V("embeddings.dimensions.honoured", "dimensions ignored",
      lambda: embeddings(dimensions=4, inputs="hello"), put("body.data.0.embedding", VECTORS[0]),
      shows="8 dimensions"),
    V("embeddings.dimensions.honoured", "a base64 vector that does not decode",
      lambda: embeddings(dimensions=4, inputs="hello", encoding="base64"),
      put("body.data.0.embedding", "not base64!!"), shows="not base64!!"),
    V("embeddings.input.invalid", "an empty input embedded anyway",
      invalid_input, answer(200, embeddings(inputs="").body), shows="200"),
    # Errors
    V("errors.envelope.schema", "vLLM's flat error with an integer code (row 5)",
      error, put("body", VLLM_ERROR), shows="'error' is a required property"),
    V("errors.envelope.schema", "error as a string (row 6)",
      error, put("body.error", "temperature must be a number"), shows="temperature must be a number"),
    V("errors.envelope.schema", "code the HTTP status as an integer (row 5)",
      error, put("body.error.code", 400), shows="400"),
    V("errors.envelope.schema", "an HTML error page",
      error, answer(400, b"<html>Bad Request</html>", "text/html"), shows="<html>"),
    V("errors.auth.missing-key", "no key, answered 200 by a server without auth",
      no_key, answer(200, COMPLETION), shows="200"),
    V("errors.auth.missing-key-code", "no key refused with code missing_api_key",
      no_key, put("body.error.code", "missing_api_key"), shows="missing_api_key"),
    V("errors.auth.wrong-key", "a wrong key answered 403", wrong_key, put("status", 403), shows="403"),
    V("errors.auth.wrong-key-code", "a wrong key refused with code '401' (a gateway's)",
      wrong_key, put("body.error.code", "401"), shows="'401'"),
    V("errors.auth.wrong-key-code", "a wrong key refused without a code", wrong_key, put("body.error.code", None),
      shows="None"),
    V("errors.model.unknown", "served by whatever model is loaded (row 8)",
      unknown_model, answer(200, COMPLETION), shows="200"),
    V("errors.model.unknown-code", "404 without code model_not_found (row 8)",
      unknown_model, put("body.error.code", "not_found"), shows="not_found"),
    V("errors.request.missing-parameter", "FastAPI's 422 for no messages (row 7)",
      lambda: mistake(messages=None), answer(422, FASTAPI_422), shows="422"),
    V("errors.request.wrong-type", "FastAPI's 422 for a string temperature (row 7)",
      lambda: mistake(temperature="hot"), answer(422, FASTAPI_422), shows="422"),
    V("errors.request.out-of-range", "temperature 5 accepted",
      lambda: mistake(temperature=5), answer(200, COMPLETION), shows="200"),
    V("errors.request.malformed-json", "a 500 for a body that is not JSON (row 7)",
      malformed, answer(500, INTERNAL), shows="500"),
    V("errors.request.type", "type BadRequestError (row 5)", error, put("body.error.type", "BadRequestError"),
      shows="BadRequestError"),
    V("errors.request.type", "a wrong key with type authentication_error", wrong_key,
      put("body.error.type", "authentication_error"), shows="authentication_error"),
    V("errors.request.type", "an unknown model with type not_found_error", unknown_model,
      put("body.error.type", "not_found_error"), shows="not_found_error"),
    V("errors.object.unknown", "an unknown response id answered 200", unknown_object,
      answer(200, {"id": "resp_" + "0" * 50, "object": "response"}), shows="200"),
    V("errors.object.unknown", "an unknown response id answered 500", unknown_object, answer(500, INTERNAL),
      shows="500"),
    V("errors.request.context-length", "a prompt past the context truncated and answered 200",
      too_long, answer(200, COMPLETION), shows="200"),
    V("errors.request.context-length", "refused without the code", too_long, put("body.error.code", None),
      shows="None"),
    V("errors.rate-limit.code", "a 429 without a code", rate_limited, put("body.error.code", None), shows="None"),
    V("errors.rate-limit.code", "a 429 that is not an error object", rate_limited,
      put("body", {"detail": "Too Many Requests"}), shows="Too Many Requests"),
    V("errors.rate-limit.code", "insufficient_quota with type requests", no_quota,
      put("body.error.type", "requests"), shows="'requests'"),
    V("errors.request.param-named", "param null for a string temperature",
      error, put("body.error.param", None), expect={"param": "temperature"}, shows="None"),
    V("errors.route.unknown", "an unknown route answered 200 with an HTML page",
      unknown_route, answer(200, b"<html>app</html>", "text/html"), shows="200"),
    V("errors.status.never-422", "FastAPI's 422 (row 7)", error, answer(422, FASTAPI_422), shows="422"),
    V("errors.status.never-5xx", "a 500 for a client's mistake (row 7)",
      error, answer(500, INTERNAL), shows="500"),
    V("errors.status.never-5xx", "the connection dropped",
      error, both(put("status", None), put("body", None)), shows="no response"),
    # Models
    V("models.list.shape", "created missing from a model (row 15)", models, drop("body.data.0.created"),
      shows="'created' is a required property"),
    V("models.list.shape", "name instead of id (row 15)", models,
      lambda s: s.body["data"][0].update(name=s.body["data"][0].pop("id")),
      shows="'id' is a required property"),
    V("models.list.not-empty", "an empty list while loading (row 15)", models, put("body.data", []),
      shows="0 models"),
    V("models.list.contains-configured", "the configured embeddings model not listed",
      models, drop("body.data.1"), expect=MODELS_CONFIGURED, shows=EMBEDDING_MODEL),
    V("models.retrieve.listed", "a listed id not found", retrieved,
      put("probes.1.1", error(404, "not found", param=None, code="model_not_found", request=None)),
      shows="404"),
    V("models.retrieve.listed", "retrieve answers another id", retrieved, put("probes.0.1.body.id", "gpt-4o"),
      shows="'gpt-4o'"),
    V("models.use.listed", "a listed id unknown as model (row 15)", used,
      put("probes.0.1", unknown_model()), shows="model_not_found"),
    V("models.retrieve.unknown", "an unknown id answered 200", unknown_retrieved,
      answer(200, {"id": "oai-conformance-no-such-model", "object": "model", "created": 0, "owned_by": "me"}),
      shows="200"),
    V("models.delete.unknown", "a made-up fine-tuned model deleted", delete_unknown, answer(200, deleted().body),
      shows="200"),
    V("models.delete.unknown", "405 from a server without the route", delete_unknown,
      put("status", 405), shows="405"),
    V("models.delete.unknown-code", "code not_found", delete_unknown, put("body.error.code", "not_found"),
      shows="not_found"),
]


def _param(v: V) -> Any:
    return pytest.param(v, id=f"{v.rid}: {v.what}")


def context(v: V) -> Context:
    return Context(live=v.now is not None, now=v.now, expect=v.expect)


def violating(v: V) -> Any:
    spec = v.good()
    replaced = v.mutate(spec)
    return (replaced if isinstance(replaced, Http | Stream | Probes | Pair | Generated) else spec).subject()


def one(observations: list[Observation]) -> Observation:
    assert len(observations) == 1
    return observations[0]


@pytest.mark.parametrize("v", [_param(v) for v in VIOLATIONS])
def test_violation_fails(v: V) -> None:
    obs = one(judge(violating(v), [v.rid], context(v)))
    wanted = Status.FAIL if catalogue()[v.rid].level is Level.MUST else Status.WARN
    assert obs.status is wanted, obs
    assert obs.failures
    for failure in obs.failures:
        assert failure.requirement == v.rid
        assert str(failure).startswith(v.rid)
        assert "Received:" in failure.message and "Expected:" in failure.message, failure.message
        evidence = failure.message.split("Received:", 1)[1].split("Expected:", 1)[0]
        assert evidence.strip(), f"no evidence after Received: {failure.message!r}"
    assert v.shows in "\n".join(str(f) for f in obs.failures), f"{v.shows!r} not quoted in {obs.failures}"


@pytest.mark.parametrize("v", [_param(v) for v in VIOLATIONS])
def test_valid_counterpart_passes(v: V) -> None:
    obs = one(judge(v.good().subject(), [v.rid], context(v)))
    assert obs.status is Status.PASS, obs


def covered_by_the_family_files() -> set[str]:
    """The rules each tests/test_violations_<family>.py shows violated: its `COVERED` ids, or the `rid` of each row
    of its `VIOLATIONS` (or `ROWS`). Found by name, so a new family's file counts without being listed here."""
    found: set[str] = set()
    for path in sorted(Path(__file__).parent.glob("test_violations_*.py")):
        module = importlib.import_module(f"tests.{path.stem}")
        covered = getattr(module, "COVERED", None)
        rows = getattr(module, "VIOLATIONS", None) or getattr(module, "ROWS", None)
        assert covered is not None or rows is not None, f"{path.name} names no COVERED, VIOLATIONS or ROWS"
        found |= set(covered) if covered is not None else {row.rid for row in rows}
    return found


def test_every_requirement_has_a_violation() -> None:
    others = covered_by_the_family_files()
    assert {v.rid for v in VIOLATIONS} | others == set(catalogue())
    judge(None, [])  # registers every check module
    assert set(CHECKS) >= set(catalogue())


def test_the_table_builds_fresh_subjects() -> None:
    """A mutation never leaks into the module's valid answers (each factory deep-copies them)."""
    before = json.dumps([COMPLETION, MODELS, VECTORS])
    for v in VIOLATIONS:
        violating(v)
    assert json.dumps([COMPLETION, MODELS, VECTORS]) == before


# Rules with nothing to judge skip, and the real API's looser answers pass -----------------------------------

NO_DIMENSIONS_ROW = "dimensions not asked for"
NOT_APPLICABLE = [
    ("chat.n.choices", "n=2 declined with a 400", lambda: mistake(n=2)),
    ("chat.completion.choice-indices", "n=2 declined with a 400 (vLLM under greedy sampling)", lambda: mistake(n=2)),
    ("chat.response-format.json-object", "json_object declined with a 400",
     lambda: mistake(response_format={"type": "json_object"})),
    ("chat.response-format.json-schema", "json_schema declined with a 400",
     lambda: error(request=structured("json_schema").request, param="response_format")),
    ("chat.response-format.json-object", "output cut at the cap (cut JSON is not judged)",
     mutated(lambda: structured(content='{"city": "Par'), put("body.choices.0.finish_reason", "length"))),
    ("embeddings.dimensions.honoured", "dimensions declined with a 400",
     lambda: error(request={"model": EMBEDDING_MODEL, "input": "hello", "dimensions": 4}, param="dimensions",
                   path="/embeddings")),
    ("chat.tools.call-shape", "an answer without tool calls", chat),
    ("chat.tools.choice-honoured", "tool_choice auto", tools),
    ("chat.logprobs.shape", "logprobs not asked for", chat),
    ("chat.stop.honoured", "no stop sequence", chat),
    ("chat.max-tokens.length", "no max_tokens", chat),
    ("errors.request.param-named", "the real API names no parameter", error),
    ("errors.envelope.schema", "a 200", chat),
    ("chat.stream.usage-last", "usage not asked for", stream),
    ("chat.stream.no-usage-unrequested", "usage asked for", lambda: stream(include_usage=True)),
    ("chat.stream.max-tokens-length", "no token limit", stream),
    ("chat.tools.stream-index", "no tool call in the stream", stream),
    ("models.retrieve.listed", "an empty list", lambda: Probes(models(), [])),
    ("errors.request.type", "a 500 (its type is the server's)", lambda: error(500, "boom", type="server_error")),
    ("errors.rate-limit.code", "a 400", error),
    ("models.delete.unknown-code", "the deletion answered 200", deleted),
    ("embeddings.dimensions.honoured", NO_DIMENSIONS_ROW, embeddings),
]


@pytest.mark.parametrize(("rid", "spec"), [
    pytest.param(rid, spec, id=f"{rid}: {what}",
                 )
    for rid, what, spec in NOT_APPLICABLE])
def test_not_applicable_is_skip(rid: str, spec: Callable[[], Spec]) -> None:
    obs = one(judge(spec().subject(), [rid]))
    assert obs.status is Status.SKIP, obs
    assert obs.reason


def _loose_stream() -> Stream:
    s = stream()
    for item in s.chunks:
        item.update(system_fingerprint=None, obfuscation="x3fQ")
    return s


def _loose_completion() -> Http:
    http = chat()
    http.body.update(system_fingerprint=None, service_tier=None, undocumented={"x": 1})
    return http


LOOSER = [
    ("chat.tools.finish-reason", "tool_choice required answered with stop",
     lambda: tools("required", "stop")),
    ("chat.tools.finish-reason", "a named tool_choice answered with stop", named),
    ("chat.tools.choice-honoured", "a named tool called", named),
    ("chat.tools.finish-reason", "tool calls cut by max_tokens answered with length", tools_cut),
    ("chat.completion.schema", "content null beside tool_calls", tools),
    ("chat.completion.schema", "system_fingerprint null and undocumented fields", _loose_completion),
    ("chat.stream.chunk-schema", "system_fingerprint null and undocumented fields in chunks", _loose_stream),
    ("chat.tools.stream-first-delta", "id, type and name only in each call's first delta", tool_stream),
    ("errors.envelope.schema", "param and code null", lambda: error(param=None, code=None)),
    ("errors.auth.missing-key-code", "code invalid_api_key, seed 001's name for invalid authentication",
     mutated(no_key, put("body.error.code", "invalid_api_key"))),
    ("models.delete.unknown-code", "code null, as the API refused a deletion (openai/openai-node#14)",
     mutated(delete_unknown, put("body.error.code", None), put("body.error.message", "That model does not exist"))),
    ("errors.rate-limit.code", "insufficient_quota", no_quota),
    ("errors.rate-limit.code", "a tokens-per-minute limit", mutated(rate_limited, put("body.error.type", "tokens"))),
    ("chat.completion.model-related", "a dated version of the requested id", chat),
    ("chat.completion.model-related", "a provider-prefixed id",
     mutated(chat, put("body.model", "openai/gpt-4o-mini"))),
    ("chat.logprobs.shape", "no always-null `refusal` beside `content` (a SHOULD: chat.completion.null-keys)",
     mutated(logprobs, drop("body.choices.0.logprobs.refusal"))),
    ("chat.stream.framing", "CRLF line ends and keep-alive comments",
     mutated(stream, put("newline", "\r\n"), put("comment", True))),
]


@pytest.mark.parametrize(("rid", "spec"), [pytest.param(r, s, id=f"{r}: {w}") for r, w, s in LOOSER])
def test_real_api_looseness_passes(rid: str, spec: Callable[[], Spec]) -> None:
    obs = one(judge(spec().subject(), [rid]))
    assert obs.status is Status.PASS, obs


# Generated streams ------------------------------------------------------------------------------------------

STREAM_RULES = ("chat.stream.content-type", "chat.stream.framing", "chat.stream.event-json",
                "chat.stream.done-last", "chat.stream.chunk-schema", "chat.stream.same-identity",
                "chat.stream.created-seconds",
                "chat.stream.role-first", "chat.stream.role-once", "chat.stream.finish-reason-once",
                "chat.stream.max-tokens-length", "chat.stream.usage-last", "chat.stream.usage-adds-up",
                "chat.stream.no-usage-unrequested")
ALWAYS = STREAM_RULES[:10]


@st.composite
def valid_streams(draw: st.DrawFn, include_usage: bool | None = None) -> Stream:
    texts = tuple(draw(st.lists(st.text(max_size=8), max_size=5)))
    usage_asked = draw(st.booleans()) if include_usage is None else include_usage
    limit = draw(st.none() | st.integers(1, 32))
    spec = stream(texts, n=draw(st.integers(1, 2)), include_usage=usage_asked, limit=limit)
    spec.newline = draw(st.sampled_from(["\n", "\r\n", "\r"]))
    spec.comment = draw(st.booleans())
    return spec


def statuses(spec: Stream) -> dict[str, Status]:
    return {o.requirement: o.status for o in judge(spec.subject(), STREAM_RULES)}


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(valid_streams())
def test_a_valid_stream_passes_every_stream_rule(spec: Stream) -> None:
    seen = statuses(spec)
    assert {r: s for r, s in seen.items() if s not in (Status.PASS, Status.SKIP)} == {}
    assert all(seen[r] is Status.PASS for r in ALWAYS), seen
    assert (seen["chat.stream.usage-last"] is Status.PASS) == spec.subject().usage_requested
    assert (seen["chat.stream.max-tokens-length"] is Status.PASS) == ("max_tokens" in spec.request)


def _choice0(spec: Stream) -> list[dict[str, Any]]:
    return [c for item in spec.chunks for c in item["choices"] if c["index"] == 0]


def _role_again(spec: Stream, data: st.DataObject) -> None:
    later = _choice0(spec)[1:]
    data.draw(st.sampled_from(later))["delta"]["role"] = "assistant"


def _second_finish(spec: Stream, data: st.DataObject) -> None:
    earlier = _choice0(spec)[:-1]
    data.draw(st.sampled_from(earlier))["finish_reason"] = "stop"


def _other_id(spec: Stream, data: st.DataObject) -> None:
    data.draw(st.sampled_from(spec.chunks))["id"] = "chatcmpl-other"


def _no_usage_chunk(spec: Stream, data: st.DataObject) -> None:
    drop_usage_chunk(spec)


def _milliseconds(spec: Stream, data: st.DataObject) -> None:
    every_chunk(lambda c: c.update(created=c["created"] * 1000))(spec)


# (name, the mutation, the rule it breaks, other rules that judge the same fact, include_usage needed)
STREAM_MUTATIONS = [
    ("drop [DONE]", lambda s, d: put("done", False)(s), "chat.stream.done-last", set(), None),
    ("role in a later delta", _role_again, "chat.stream.role-once", set(), None),
    ("a second finish_reason", _second_finish, "chat.stream.finish-reason-once", set(), None),
    ("no usage chunk with include_usage", _no_usage_chunk, "chat.stream.usage-last", set(), True),
    ("another id in one chunk", _other_id, "chat.stream.same-identity", set(), None),
    # The chunk schema's `unixtime` format rejects milliseconds too.
    ("created in ms in every chunk", _milliseconds, "chat.stream.created-seconds",
     {"chat.stream.chunk-schema"}, None),
    ("data after [DONE]", lambda s, d: put("after", [chunk([])])(s), "chat.stream.done-last", set(), None),
]


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
@pytest.mark.parametrize(("mutate", "target", "also", "include_usage"),
                         [pytest.param(m, t, a, u, id=name) for name, m, t, a, u in STREAM_MUTATIONS])
def test_one_stream_mutation_breaks_its_rule(mutate: Callable[[Stream, st.DataObject], None], target: str,
                                             also: set[str], include_usage: bool | None,
                                             data: st.DataObject) -> None:
    spec = data.draw(valid_streams(include_usage))
    mutate(spec, data)
    failing = {r for r, s in statuses(spec).items() if s not in (Status.PASS, Status.SKIP)}
    assert failing == {target} | also
