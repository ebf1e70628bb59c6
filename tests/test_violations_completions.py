"""Every legacy completions rule (`POST /v1/completions`) can fail, and says why: one violating subject per rule.

As in test_violations.py, each row names a requirement, the violation (the pytest id), a factory of a VALID
subject and one mutation that breaks the rule; the check must PASS the valid subject and FAIL (MUST) or WARN
(SHOULD) the mutated one, quoting what was received and what was expected. Valid answers are written the way the
real API answers (seed 003's example, `cmpl-` ids, `system_fingerprint`); valid streams are the reference
server's own chunks, made without HTTP.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, NamedTuple

import pytest

from conformance.checks.completions import CompletionStream
from conformance.judgement import Status, judge
from conformance.reference import completions as ref
from conformance.reference._config import ServerConfig
from conformance.requirements import Level, catalogue
from conformance.schemas import validate
from tests.test_violations import Http, Mutation, answer, both, drop, mutated, put, sse

MODEL = "gpt-3.5-turbo-instruct"
CREATED = 1_730_000_000
PROMPT = "Count from one to ten in words: one two three"
REQUEST: dict[str, Any] = {"model": MODEL, "prompt": PROMPT, "max_tokens": 8, "temperature": 0}

# Seed 003, Create Completion › Response Format.
SEED_EXAMPLE = {
    "id": "cmpl-abc123",
    "object": "text_completion",
    "created": 1699896916,
    "model": "gpt-3.5-turbo-instruct",
    "choices": [{"text": '\n\n"Sweet treats and frozen delights - your happiness is our scoop!"', "index": 0,
                 "logprobs": None, "finish_reason": "stop"}],
    "usage": {"prompt_tokens": 10, "completion_tokens": 15, "total_tokens": 25},
}


def completion(texts: list[str] | None = None, finish: str = "stop", tokens: int = 3, **ask: Any) -> Http:
    """A valid text_completion for REQUEST with `ask` added: one choice per text, each `tokens` long."""
    texts = texts if texts is not None else [" four five six"]
    body = {
        "id": "cmpl-8xQ2r0Ld6sHkq9ZyY3nP1mTbW4cVe",
        "object": "text_completion",
        "created": CREATED,
        "model": MODEL,
        "choices": [{"text": text, "index": i, "logprobs": None, "finish_reason": finish}
                    for i, text in enumerate(texts)],
        "usage": {"prompt_tokens": 12, "completion_tokens": tokens * len(texts),
                  "total_tokens": 12 + tokens * len(texts)},
        "system_fingerprint": None,
    }
    return Http({**REQUEST, **ask}, body, path="/completions")


def cut() -> Http:
    return completion([" four five"], "length", 2, max_tokens=2)


def prompts() -> Http:
    return completion([" alpha beta", " gamma delta"], prompt=["Say alpha beta", "Say gamma delta"])


def token_arrays() -> Http:
    return completion([" t1 t2", " t3"], prompt=[[9, 2], [3, 4]])


def two() -> Http:
    return completion([" four five", " four five"], "length", 2, n=2, max_tokens=2)


def stopped() -> Http:
    return completion([" alpha beta "], prompt="Repeat exactly: alpha beta gamma delta", stop=["gamma"])


def echoed() -> Http:
    return completion([PROMPT + " four five"], "length", 2, echo=True, max_tokens=2)


def with_logprobs(echo: bool = False) -> Http:
    """The real API's legacy logprobs: offsets into prompt + text; with echo the first token has no logprob."""
    http = completion([(PROMPT if echo else "") + " four five"], "length", 2, logprobs=2, max_tokens=2, echo=echo)
    tokens = [" four", " five"]
    start = len(PROMPT)
    lps: list[Any] = [-0.02, -0.11]
    tops: list[Any] = [{" four": -0.02, " Four": -4.1}, {" five": -0.11, "\n": -2.6, " 5": -5.0}]
    offsets = [start, start + 5]
    if echo:
        prompt_tokens = ["Count", " from", " one", " to", " ten", " in", " words", ":", " one", " two", " three"]
        tokens = prompt_tokens + tokens
        lps = [None, *[-1.5] * (len(prompt_tokens) - 1), *lps]
        tops = [None, *[{t: -1.5} for t in prompt_tokens[1:]], *tops]
        position, offsets = 0, []
        for token in tokens:
            offsets.append(position)
            position += len(token)
    http.body["choices"][0]["logprobs"] = {"tokens": tokens, "token_logprobs": lps, "top_logprobs": tops,
                                           "text_offset": offsets}
    return http


def missing(name: str) -> Http:
    request = {k: v for k, v in REQUEST.items() if k != name}
    body = {"error": {"message": f"Missing required parameter: '{name}'.", "type": "invalid_request_error",
                      "param": name, "code": "missing_required_parameter"}}
    return Http(request, body, 400, path="/completions")


UNKNOWN = "oai-conformance-no-such-model"


def unknown_model() -> Http:
    body = {"error": {"message": f"The model `{UNKNOWN}` does not exist or you do not have access to it.",
                      "type": "invalid_request_error", "param": None, "code": "model_not_found"}}
    return Http({**REQUEST, "model": UNKNOWN}, body, 404, path="/completions")


# Streams ---------------------------------------------------------------------------------------------------


@dataclass
class CStream:
    """A legacy completion stream to build: the request, its chunks (dicts, or strings sent as is)."""

    request: dict[str, Any]
    chunks: list[Any]
    done: bool = True
    after: tuple[Any, ...] = ()
    content_type: str = "text/event-stream"

    def subject(self) -> CompletionStream:
        body = sse(*self.chunks, done=self.done, after=self.after)
        http = Http(self.request, body, path="/completions", content_type=self.content_type)
        return CompletionStream.from_exchange(http.subject())


def stream(include_usage: bool = False, **ask: Any) -> CStream:
    request = {**REQUEST, "stream": True, **ask}
    if include_usage:
        request["stream_options"] = {"include_usage": True}
    body = ref.validate(request, ServerConfig())
    choices = ref.plan(body, ServerConfig())
    chunks = ref.stream_chunks(body, choices, "cmpl-ref1", CREATED, MODEL, ServerConfig())
    return CStream(request, chunks)


def usage_stream() -> CStream:
    return stream(include_usage=True)


def drop_usage_chunk(spec: CStream) -> None:
    spec.chunks = [c for c in spec.chunks if c.get("usage") is None]


def add_usage_chunk(spec: CStream) -> None:
    spec.chunks.append({**copy.deepcopy(spec.chunks[-1]), "choices": [],
                        "usage": {"prompt_tokens": 9, "completion_tokens": 8, "total_tokens": 17}})


def as_chat_chunks(spec: CStream) -> None:
    for chunk in spec.chunks:
        chunk["object"] = "chat.completion.chunk"
        for choice in chunk["choices"]:
            choice["delta"] = {"content": choice.pop("text")}


# The table --------------------------------------------------------------------------------------------------

Spec = Http | CStream


class V(NamedTuple):
    rid: str
    what: str
    good: Callable[[], Spec]
    mutate: Mutation
    shows: str = ""


CHAT_SHAPE = {"content": [{"token": " four", "logprob": -0.02, "bytes": [32, 102, 111, 117, 114],
                           "top_logprobs": []}], "refusal": None}

VIOLATIONS: list[V] = [
    V("completions.create.schema", "a chat.completion object", completion, put("body.object", "chat.completion"),
      shows="chat.completion"),
    V("completions.create.schema", "created in milliseconds (row 13)", completion,
      put("body.created", CREATED * 1000), shows="milliseconds"),
    V("completions.create.schema", "finish_reason null (row 11)", completion,
      put("body.choices.0.finish_reason", None), shows="None"),
    V("completions.create.schema", "an empty model (row 16)", completion, put("body.model", ""), shows="''"),
    V("completions.create.schema", "a chat message instead of text", completion,
      both(drop("body.choices.0.text"), put("body.choices.0.message", {"role": "assistant", "content": "x"})),
      shows="'text' is a required property"),
    V("completions.usage.adds-up", "total_tokens off by one", completion, put("body.usage.total_tokens", 16),
      shows="total_tokens 16"),
    V("completions.prompt.forms", "two prompts, one choice", prompts, drop("body.choices.1"),
      shows="1 choices for 2 prompt(s)"),
    V("completions.prompt.forms", "two token-id prompts, one choice", token_arrays, drop("body.choices.1"),
      shows="1 choices for 2 prompt(s)"),
    V("completions.prompt.forms", "indices out of order", prompts, put("body.choices.1.index", 0),
      shows="[0, 0]"),
    V("completions.max-tokens.length", "stop at the cap (row 11)", cut, put("body.choices.0.finish_reason", "stop"),
      shows="'stop'"),
    V("completions.max-tokens.length", "the limit ignored (row 20)", cut,
      both(put("body.usage.completion_tokens", 9), put("body.usage.total_tokens", 21)), shows="completion_tokens 9"),
    V("completions.n.choices", "n=2 gives one choice (row 19)", two, drop("body.choices.1"), shows="1 choices"),
    V("completions.stop.honoured", "the stop sequence in the text", stopped,
      put("body.choices.0.text", " alpha beta gamma delta"), shows="'gamma'"),
    V("completions.echo.prompt", "echo ignored", echoed, put("body.choices.0.text", " four five"),
      shows="Count from one"),
    V("completions.logprobs.shape", "the chat shape (row 14, the other way round)", with_logprobs,
      put("body.choices.0.logprobs", CHAT_SHAPE), shows="['content', 'refusal']"),
    V("completions.logprobs.shape", "logprobs null although asked", with_logprobs,
      put("body.choices.0.logprobs", None), shows="logprobs=2"),
    V("completions.logprobs.shape", "arrays of different lengths", with_logprobs,
      drop("body.choices.0.logprobs.token_logprobs.1"), shows="'token_logprobs': 1"),
    V("completions.logprobs.shape", "text_offset going back", with_logprobs,
      put("body.choices.0.logprobs.text_offset.1", 0), shows="goes back"),
    V("completions.logprobs.top-count", "four alternatives for logprobs=2", with_logprobs,
      put("body.choices.0.logprobs.top_logprobs.0", {" four": -0.02, " Four": -4.1, " 4": -5.0, "four": -6.0}),
      shows="4 alternatives"),
    V("completions.request.missing", "no prompt answered 200", lambda: missing("prompt"),
      answer(200, SEED_EXAMPLE), shows="200"),
    V("completions.request.missing", "no model answered 500", lambda: missing("model"),
      put("status", 500), shows="500"),
    V("completions.model.unknown", "an unknown model served (row 8)", unknown_model, answer(200, SEED_EXAMPLE),
      shows="200"),
    V("completions.model.unknown", "a 404 without the code", unknown_model, put("body.error.code", None),
      shows="model_not_found"),
    V("completions.stream.content-type", "a stream sent as application/json", stream,
      put("content_type", "application/json"), shows="application/json"),
    V("completions.stream.done-last", "no [DONE] (row 10)", stream, put("done", False), shows="no `data: [DONE]`"),
    V("completions.stream.done-last", "a chunk after [DONE]", stream, lambda s: setattr(s, "after", (s.chunks[0],)),
      shows="after [DONE]"),
    V("completions.stream.chunk-schema", "chat chunks with deltas", stream, as_chat_chunks,
      shows="chat.completion.chunk"),
    V("completions.stream.chunk-schema", "an event that is not JSON", stream,
      lambda s: s.chunks.insert(1, "not json"), shows="not json"),
    V("completions.stream.usage-last", "include_usage ignored (row 1)", usage_stream, drop_usage_chunk,
      shows="0 chunks with usage"),
    V("completions.stream.usage-last", "usage total off by one", usage_stream,
      lambda s: s.chunks[-1]["usage"].update(total_tokens=99), shows="total_tokens 99"),
    V("completions.stream.usage-last", "a usage chunk with choices", usage_stream,
      lambda s: s.chunks[-1].update(choices=copy.deepcopy(s.chunks[0]["choices"])), shows="in the usage chunk"),
    V("completions.stream.no-usage-unrequested", "a usage chunk nobody asked for", stream, add_usage_chunk,
      shows="usage"),
]


def _param(v: V) -> Any:
    return pytest.param(v, id=f"{v.rid}: {v.what}")


def violating(v: V) -> Any:
    spec = v.good()
    v.mutate(spec)
    return spec.subject()


@pytest.mark.parametrize("v", [_param(v) for v in VIOLATIONS])
def test_violation_fails(v: V) -> None:
    [obs] = judge(violating(v), [v.rid])
    wanted = Status.FAIL if catalogue()[v.rid].level is Level.MUST else Status.WARN
    assert obs.status is wanted, obs
    assert obs.failures
    for failure in obs.failures:
        assert failure.requirement == v.rid
        assert "Received:" in failure.message and "Expected:" in failure.message, failure.message
        evidence = failure.message.split("Received:", 1)[1].split("Expected:", 1)[0]
        assert evidence.strip(), f"no evidence after Received: {failure.message!r}"
    assert v.shows in "\n".join(str(f) for f in obs.failures), f"{v.shows!r} not quoted in {obs.failures}"


@pytest.mark.parametrize("v", [_param(v) for v in VIOLATIONS])
def test_valid_counterpart_passes(v: V) -> None:
    [obs] = judge(v.good().subject(), [v.rid])
    assert obs.status is Status.PASS, obs


def test_every_completions_requirement_has_a_violation() -> None:
    assert {v.rid for v in VIOLATIONS} == {rid for rid in catalogue() if rid.startswith("completions.")}


NOT_APPLICABLE = [
    ("completions.n.choices", "n=2 declined with a 400",
     lambda: Http({**REQUEST, "n": 2}, missing("prompt").body, 400, path="/completions")),
    ("completions.prompt.forms", "n=2 declined with a 400",
     lambda: Http({**REQUEST, "n": 2}, missing("prompt").body, 400, path="/completions")),
    ("completions.n.choices", "n not asked for", completion),
    ("completions.echo.prompt", "echo not asked for", completion),
    ("completions.echo.prompt", "a token-id prompt: its text is unknown",
     lambda: completion(["Count four"], echo=True, prompt=[9, 2, 3])),
    ("completions.stop.honoured", "no stop sequence", completion),
    ("completions.max-tokens.length", "no max_tokens",
     lambda: Http({k: v for k, v in REQUEST.items() if k != "max_tokens"}, completion().body, path="/completions")),
    ("completions.logprobs.shape", "logprobs not asked for", completion),
    ("completions.logprobs.top-count", "logprobs not asked for", completion),
    ("completions.request.missing", "both parameters present", completion),
    ("completions.stream.usage-last", "usage not asked for", stream),
    ("completions.stream.no-usage-unrequested", "usage asked for", usage_stream),
]


@pytest.mark.parametrize(("rid", "spec"), [pytest.param(r, s, id=f"{r}: {w}") for r, w, s in NOT_APPLICABLE])
def test_not_applicable_is_skip(rid: str, spec: Callable[[], Spec]) -> None:
    [obs] = judge(spec().subject(), [rid])
    assert obs.status is Status.SKIP, obs
    assert obs.reason


LOOSER = [
    ("completions.create.schema", "seed 003's example answer",
     lambda: Http(REQUEST, SEED_EXAMPLE, path="/completions")),
    ("completions.create.schema", "system_fingerprint null and undocumented fields",
     mutated(completion, put("body.undocumented", {"x": 1}))),
    ("completions.create.schema", "an echoed first token without a logprob", lambda: with_logprobs(echo=True)),
    ("completions.logprobs.shape", "echo: offsets from 0 through the prompt", lambda: with_logprobs(echo=True)),
    ("completions.logprobs.top-count", "logprobs + 1 alternatives (the sampled token added)", with_logprobs),
    ("completions.max-tokens.length", "an output that ended before the cap says stop",
     mutated(cut, put("body.choices.0.finish_reason", "stop"), put("body.usage.completion_tokens", 1),
             put("body.usage.total_tokens", 13))),
    ("completions.stop.honoured", "the stop sequence inside the echoed prompt",
     lambda: completion(["Say gamma now: alpha beta "], prompt="Say gamma now:", stop=["gamma"], echo=True)),
    ("completions.stream.chunk-schema", "logprobs in chunks", lambda: stream(logprobs=2)),
    ("completions.stream.chunk-schema", "echo and several prompts",
     lambda: stream(echo=True, prompt=["a b", "c"], n=2)),
]


@pytest.mark.parametrize(("rid", "spec"), [pytest.param(r, s, id=f"{r}: {w}") for r, w, s in LOOSER])
def test_real_api_looseness_passes(rid: str, spec: Callable[[], Spec]) -> None:
    [obs] = judge(spec().subject(), [rid])
    assert obs.status is Status.PASS, obs


def test_the_seed_example_is_a_valid_completion_and_its_request_a_valid_request() -> None:
    assert not validate("completion", SEED_EXAMPLE)
    request = {"model": "gpt-3.5-turbo-instruct", "prompt": "Write a tagline for an ice cream shop:",
               "max_tokens": 50, "temperature": 0.7}
    assert not validate("completion.request", request)
    for prompt in ("x", ["x", "y"], [1, 2], [[1], [2, 3]]):
        assert not validate("completion.request", {**request, "prompt": prompt}), prompt
    for bad in ({"prompt": []}, {"prompt": [[]]}, {"prompt": None}, {"logprobs": 6}, {"logprobs": True},
                {"best_of": 21}, {"messages": []}):
        assert validate("completion.request", {**request, **bad}), bad
    assert validate("completion.request", {k: v for k, v in request.items() if k != "prompt"})


def test_the_reference_stream_chunks_are_valid() -> None:
    for spec in (stream(), usage_stream(), stream(logprobs=2, echo=True, prompt=[[1, 2], [3]])):
        for chunk in spec.chunks:
            assert not validate("completion.chunk", chunk), json.dumps(chunk)
