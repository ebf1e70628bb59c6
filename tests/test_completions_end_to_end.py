"""Legacy completions end to end: the official `openai` SDK drives the reference server's `POST /v1/completions`,
and each completions fault of the reference server is caught through client, cases, plugin and reports."""

from __future__ import annotations

import os

import pytest

from conformance.reference import FAULTS
from tests._runs import assert_caught, certify
from tests._sdk import reference_sdk

openai = pytest.importorskip("openai")

pytest_plugins = ["pytester"]

KEY = "sk-completions-" + os.urandom(8).hex()
MODEL = "gpt-3.5-turbo-instruct"
CASES = "completions/test_completions.py"

# fault -> the requirements its run must fail
CAUGHT = {
    "completions-no-done": ["completions.stream.done-last"],
    "completions-stream-content-type": ["completions.stream.content-type"],
    "completions-chat-chunks": ["completions.stream.chunk-schema"],
    "completions-no-usage-chunk": ["completions.stream.usage-last"],
    "completions-usage-always": ["completions.stream.no-usage-unrequested"],
    "completions-echo-ignored": ["completions.echo.prompt"],
    "completions-prompts-joined": ["completions.prompt.forms"],
    "completions-logprobs-chat-shape": ["completions.logprobs.shape"],
    "completions-finish-stop-at-length": ["completions.max-tokens.length"],
}


@pytest.fixture(scope="module")
def client():
    with reference_sdk(KEY) as sdk:
        yield sdk


def test_the_sdk_reads_a_whole_completion(client) -> None:
    completion = client.completions.create(model=MODEL, prompt="Say one two three", max_tokens=2, temperature=0)
    assert completion.object == "text_completion" and completion.id.startswith("cmpl-")
    assert completion.model == MODEL
    [choice] = completion.choices
    assert choice.text == " Say one" and choice.index == 0 and choice.finish_reason == "length"
    assert choice.logprobs is None
    assert completion.usage is not None and completion.usage.completion_tokens == 2
    assert completion.usage.total_tokens == completion.usage.prompt_tokens + 2


def test_the_sdk_reads_prompts_echo_and_logprobs(client) -> None:
    completion = client.completions.create(
        model=MODEL, prompt=["alpha beta", "gamma"], n=2, echo=True, logprobs=2, max_tokens=3, stop=["beta"]
    )
    assert [c.index for c in completion.choices] == [0, 1, 2, 3]
    assert [c.text for c in completion.choices] == [
        "alpha beta alpha",
        "alpha beta alpha",
        "gamma gamma",
        "gamma gamma",
    ]
    logprobs = completion.choices[2].logprobs
    assert logprobs is not None and logprobs.tokens == ["gamma", " gamma"]
    assert logprobs.token_logprobs is not None and logprobs.token_logprobs[0] is None
    assert logprobs.text_offset == [0, 5]
    assert logprobs.top_logprobs is not None and logprobs.top_logprobs[1] is not None
    assert len(logprobs.top_logprobs[1]) == 2


def test_the_sdk_accepts_token_prompts_and_suffix(client) -> None:
    for prompt in ([1, 2, 3], [[1, 2], [3]]):
        completion = client.completions.create(model=MODEL, prompt=prompt, max_tokens=4, suffix=" end")
        assert all(c.finish_reason == "stop" for c in completion.choices)
    assert [c.text for c in completion.choices] == [" t1 t2", " t3"]


def test_the_sdk_streams_a_completion_with_usage(client) -> None:
    chunks = list(
        client.completions.create(
            model=MODEL, prompt="one two three", max_tokens=2, stream=True, stream_options={"include_usage": True}
        )
    )
    assert all(c.object == "text_completion" for c in chunks)
    assert "".join(c.choices[0].text for c in chunks if c.choices) == " one two"
    assert [c.choices[0].finish_reason for c in chunks if c.choices][-1] == "length"
    assert chunks[-1].choices == [] and chunks[-1].usage is not None and chunks[-1].usage.completion_tokens == 2
    assert len({c.id for c in chunks}) == 1


def test_the_sdk_streams_without_usage(client) -> None:
    chunks = list(client.completions.create(model=MODEL, prompt="one", stream=True))
    assert chunks and all(c.choices and c.usage is None for c in chunks)


def test_the_sdk_raises_on_the_documented_errors(client) -> None:
    with pytest.raises(openai.NotFoundError) as found:
        client.completions.create(model="oai-conformance-no-such-model", prompt="x", max_tokens=1)
    assert found.value.code == "model_not_found"
    with pytest.raises(openai.BadRequestError) as bad:
        client.completions.create(model=MODEL, prompt="x", logprobs=9)
    assert bad.value.param == "logprobs"


def test_every_completions_fault_is_caught_here() -> None:
    assert set(CAUGHT) == {f for f in FAULTS if f.startswith("completions-")}


@pytest.mark.parametrize("fault", sorted(CAUGHT))
def test_fault_is_reported(pytester, monkeypatch, fault) -> None:
    rules = CAUGHT[fault]
    results = certify(pytester, monkeypatch, frozenset({fault}), CASES, "--oai-retries", "0", only=rules)
    assert_caught(results, fault, rules)


def test_the_same_cases_pass_without_a_fault(pytester, monkeypatch) -> None:
    results = certify(pytester, monkeypatch, frozenset(), CASES, "--oai-retries", "0")
    judged = {r["id"]: r["status"] for r in results["requirements"] if r["id"].startswith("completions.")}
    assert judged == dict.fromkeys(judged, "pass") and len(judged) == 16
    assert results["verdict"] == "conformant"
