"""Legacy text completions (POST /v1/completions): the answer, prompt forms, max_tokens, n, stop, echo,
logprobs, errors, and the stream. Every request asks for a few tokens at temperature 0."""

import pytest

from conformance.case import requirement
from conformance.checks.completions import CompletionStream

PROMPT = "Count from one to ten in words: one two three"
SMALL = 8
SHAPE = ("completions.create.schema", "completions.usage.adds-up")
PROMPTS = {
    "string": PROMPT,
    "strings": ["Say alpha beta", "Say gamma delta"],
    "tokens": [9, 2, 3],
    "token-arrays": [[9, 2], [3, 4]],
}


def body(model, **extra):
    """A minimal, deterministic, cheap completion request; `extra` adds or overrides parameters."""
    return {"model": model, "prompt": PROMPT, "max_tokens": SMALL, "temperature": 0, **extra}


def complete(oai_client, oai_target, **extra):
    return oai_client.request("POST", "/completions", json=body(oai_target.model("completions"), **extra))


@requirement(*SHAPE, "completions.prompt.forms")
@pytest.mark.parametrize("form", PROMPTS)
def test_completion(oai_client, oai_target, oai_judge, form):
    exchange = complete(oai_client, oai_target, prompt=PROMPTS[form])
    oai_judge(exchange, *SHAPE, "completions.prompt.forms")


@requirement("completions.max-tokens.length", "completions.usage.adds-up")
def test_max_tokens(oai_client, oai_target, oai_judge):
    exchange = complete(oai_client, oai_target, max_tokens=2)
    oai_judge(exchange, "completions.max-tokens.length", "completions.usage.adds-up")


@requirement("completions.n.choices", "completions.prompt.forms")
def test_n_two(oai_client, oai_target, oai_judge):
    exchange = complete(oai_client, oai_target, n=2, max_tokens=2)
    oai_judge(exchange, "completions.n.choices", "completions.prompt.forms")


@requirement("completions.stop.honoured")
def test_stop(oai_client, oai_target, oai_judge):
    exchange = complete(oai_client, oai_target, prompt="Repeat exactly: alpha beta gamma delta", stop=["gamma"])
    oai_judge(exchange, "completions.stop.honoured")


@requirement("completions.echo.prompt", "completions.create.schema")
def test_echo(oai_client, oai_target, oai_judge):
    exchange = complete(oai_client, oai_target, echo=True, max_tokens=2)
    oai_judge(exchange, "completions.echo.prompt", "completions.create.schema")


@requirement("completions.logprobs.shape", "completions.logprobs.top-count", "completions.create.schema")
@pytest.mark.parametrize("echo", [False, True], ids=["generated", "echoed"])
def test_logprobs(oai_client, oai_target, oai_judge, echo):
    exchange = complete(oai_client, oai_target, logprobs=2, max_tokens=3, echo=echo)
    oai_judge(exchange, "completions.logprobs.shape", "completions.logprobs.top-count", "completions.create.schema")


@requirement("completions.create.schema")
def test_suffix(oai_client, oai_target, oai_judge):
    exchange = complete(oai_client, oai_target, prompt="def add(a, b):\n    return", suffix="\n\nprint(add(1, 2))")
    oai_judge(exchange, "completions.create.schema")


@requirement("completions.request.missing", "errors.envelope.schema")
@pytest.mark.parametrize("missing", ["prompt", "model"])
def test_missing_parameter(oai_client, oai_target, oai_judge, missing):
    request = body(oai_target.model("completions"))
    del request[missing]
    exchange = oai_client.request("POST", "/completions", json=request)
    oai_judge(exchange, "completions.request.missing", "errors.envelope.schema")


@requirement("completions.model.unknown", "errors.envelope.schema")
def test_unknown_model(oai_client, oai_judge):
    exchange = oai_client.request("POST", "/completions", json=body("oai-conformance-no-such-model"))
    oai_judge(exchange, "completions.model.unknown", "errors.envelope.schema")


EVERY_STREAM = ("completions.stream.content-type", "completions.stream.done-last", "completions.stream.chunk-schema")
USAGE = ("completions.stream.usage-last", "completions.stream.no-usage-unrequested")


@requirement(*EVERY_STREAM, *USAGE)
@pytest.mark.parametrize("include_usage", [True, False], ids=["with-usage", "without-usage"])
def test_stream(oai_client, oai_target, oai_judge, include_usage):
    options = {"stream_options": {"include_usage": True}} if include_usage else {}
    exchange = complete(oai_client, oai_target, stream=True, **options)
    oai_judge(CompletionStream.from_exchange(exchange), *EVERY_STREAM, *USAGE)


@requirement(*EVERY_STREAM)
def test_stream_prompts_and_logprobs(oai_client, oai_target, oai_judge):
    exchange = complete(oai_client, oai_target, stream=True, prompt=PROMPTS["strings"], logprobs=1, max_tokens=3)
    oai_judge(CompletionStream.from_exchange(exchange), *EVERY_STREAM)
