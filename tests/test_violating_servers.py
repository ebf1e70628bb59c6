"""Violating servers: the reference server with one fault each, certified by the real plugin, end to end.

Each fault breaks one rule the way a real server has (REAL-WORLD.md); the suite must report that rule as failed
(or warned, for a SHOULD), with the evidence. The crafted-response table in test_violations.py covers every
requirement; this file proves the whole path (client, SSE parser, cases, plugin, reports) catches them.
"""

from __future__ import annotations

import json
import os

import pytest

from conformance.cli import cases_args
from conformance.reference import FAULTS, ServerConfig, serve

pytest_plugins = ["pytester"]

KEY_ENV = "OAI_TEST_VIOLATING_KEY"
KEY = "sk-violating-" + os.urandom(8).hex()

STREAM, TOOLS, COMPLETION = "chat/test_chat_stream.py", "chat/test_chat_tools.py", "chat/test_chat_completion.py"
STRUCTURED, ERRORS, MODELS, EMBEDDINGS = (
    "chat/test_chat_structured.py",
    "errors/test_errors.py",
    "models/test_models.py",
    "embeddings/test_embeddings.py",
)
GENERATED = "generated/test_generated.py"
RESPONSES, RESPONSES_STREAM, RESPONSES_STATE, CONVERSATIONS = (
    "responses/test_responses.py",
    "responses/test_responses_stream.py",
    "responses/test_responses_state.py",
    "conversations/test_conversations.py",
)

# fault -> (the case file that exposes it, the requirements it must fail)
CAUGHT = {
    "no-done": (STREAM, ["chat.stream.done-last"]),
    "data-after-done": (STREAM, ["chat.stream.done-last"]),
    "stream-content-type": (STREAM, ["chat.stream.content-type"]),
    "role-every-chunk": (STREAM, ["chat.stream.role-once"]),
    "no-role": (STREAM, ["chat.stream.role-first"]),
    "role-empty": (STREAM, ["chat.stream.role-first"]),
    "finish-reason-twice": (STREAM, ["chat.stream.finish-reason-once"]),
    "chunk-missing-finish-key": (STREAM, ["chat.stream.chunk-schema"]),
    "created-drift": (STREAM, ["chat.stream.same-identity"]),
    "inconsistent-id": (STREAM, ["chat.stream.same-identity"]),
    "no-usage-chunk": (STREAM, ["chat.stream.usage-last"]),
    "usage-always": (STREAM, ["chat.stream.no-usage-unrequested"]),
    "usage-wrong-total": (STREAM, ["chat.stream.usage-adds-up"]),
    "stream-error-200": (STREAM, ["chat.stream.errors-before-stream"]),
    "stream-options-accepted": (STREAM, ["chat.stream.options-require-stream"]),
    "tool-index-missing": (TOOLS, ["chat.tools.stream-index"]),
    "tool-index-zero": (TOOLS, ["chat.tools.stream-first-delta"]),
    "tool-args-object": (TOOLS, ["chat.tools.arguments-json"]),
    "tool-finish-stop": (TOOLS, ["chat.tools.finish-reason"]),
    "created-ms": (COMPLETION, ["chat.completion.created-seconds"]),
    "model-empty": (COMPLETION, ["chat.completion.model-present"]),
    "finish-stop-at-length": (COMPLETION, ["chat.max-tokens.length", "chat.max-completion-tokens.length"]),
    "finish-null": (COMPLETION, ["chat.completion.finish-reason"]),
    "ignore-max-tokens": (COMPLETION, ["chat.max-tokens.length", "chat.max-completion-tokens.length"]),
    "stop-ignored": (COMPLETION, ["chat.stop.honoured"]),
    "n-ignored": (COMPLETION, ["chat.n.choices"]),
    "developer-rejected": (COMPLETION, ["chat.developer-role.accepted"]),
    "empty-success": (COMPLETION, ["chat.completion.not-empty"]),
    "json-object-ignored": (STRUCTURED, ["chat.response-format.json-object"]),
    "logprobs-legacy": (STRUCTURED, ["chat.logprobs.shape"]),
    "top-logprobs-short": (STRUCTURED, ["chat.logprobs.top-count"]),
    "error-422": (ERRORS, ["errors.status.never-422"]),
    "error-flat": (ERRORS, ["errors.envelope.schema"]),
    "error-string": (ERRORS, ["errors.envelope.schema"]),
    "error-code-int": (ERRORS, ["errors.envelope.schema"]),
    "error-500": (ERRORS, ["errors.status.never-5xx"]),
    "unknown-model-200": (ERRORS, ["errors.model.unknown"]),
    "no-auth": (ERRORS, ["errors.auth.missing-key", "errors.auth.wrong-key"]),
    "unknown-route-200": (ERRORS, ["errors.route.unknown"]),
    "models-name-not-id": (MODELS, ["models.list.shape"]),
    "models-empty": (MODELS, ["models.list.not-empty"]),
    "models-no-created": (MODELS, ["models.list.shape"]),
    "base64-ignored": (EMBEDDINGS, ["embeddings.base64.decodes"]),
    "base64-big-endian": (EMBEDDINGS, ["embeddings.base64.decodes"]),
    "embeddings-reversed": (EMBEDDINGS, ["embeddings.data.order"]),
    "dimensions-ignored": (EMBEDDINGS, ["embeddings.dimensions.honoured"]),
    "accept-anything": (GENERATED, ["generated.invalid.rejected"]),
    "server-error-sometimes": (GENERATED, ["generated.status.never-5xx"]),
    "missing-field": (GENERATED, ["generated.valid.answered"]),
    "responses-no-sequence-number": (RESPONSES_STREAM, ["responses.stream.sequence-number"]),
    "responses-sequence-stuck": (RESPONSES_STREAM, ["responses.stream.sequence-number"]),
    "responses-no-text-done": (RESPONSES_STREAM, ["responses.stream.text-adds-up"]),
    "responses-done-marker": (RESPONSES_STREAM, ["responses.stream.no-done"]),
    "responses-completed-at-cap": (RESPONSES, ["responses.create.max-output-tokens"]),
    "responses-ignore-cap": (RESPONSES_STREAM, ["responses.stream.max-output-tokens"]),
    "responses-usage-wrong-total": (RESPONSES, ["responses.create.usage-adds-up"]),
    "responses-not-stored": (RESPONSES_STATE, ["responses.retrieve.same", "responses.previous.continues"]),
    "pages-no-has-more": (CONVERSATIONS, ["conversations.items.pages.has-more", "conversations.items.pages.walk-once"]),
    "conversation-not-appended": (CONVERSATIONS, ["conversations.response.appends"]),
}


def certify(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, faults: frozenset[str], cases: str, *extra: str
) -> dict:
    monkeypatch.setenv(KEY_ENV, KEY)
    report_dir = pytester.path / "reports"
    with serve(ServerConfig(api_key=KEY, faults=faults)) as server:
        pytester.runpytest_inprocess(
            *cases_args(report_dir, cases),
            "--oai-base-url",
            server.base_url,
            "--oai-api-key-env",
            KEY_ENV,
            *extra,
        )
    return json.loads((report_dir / "results.json").read_text())


def statuses(results: dict) -> dict[str, str]:
    return {r["id"]: r["status"] for r in results["requirements"]}


def test_every_fault_is_caught_here():
    assert set(CAUGHT) == set(FAULTS), set(CAUGHT) ^ set(FAULTS)


@pytest.mark.parametrize("fault", sorted(CAUGHT))
def test_fault_is_reported(pytester, monkeypatch, fault):
    cases, rules = CAUGHT[fault]
    # Faults are deterministic: a retried 500 is a 500 again, after a back-off that only slows the test.
    results = certify(pytester, monkeypatch, frozenset({fault}), cases, "--oai-retries", "0")
    got = statuses(results)
    for rid in rules:
        assert got[rid] in ("fail", "warn"), f"{fault}: {rid} is {got[rid]}"
        entry = next(r for r in results["requirements"] if r["id"] == rid)
        assert entry["failures"] and all("Received:" in f["message"] for f in entry["failures"])
        cited = [str(f["exchange"]) for f in entry["failures"] if f["exchange"] is not None]
        assert cited and all(c in results["exchanges"] for c in cited), "the evidence is in the results"
    if any(got[rid] == "fail" for rid in rules):
        assert results["verdict"] == "not conformant" and results["exit_code"] == 1


@pytest.mark.parametrize("cases", sorted({c for c, _ in CAUGHT.values()}))
def test_the_same_cases_pass_without_the_fault(pytester, monkeypatch, cases):
    """The control: what fails above fails because of the fault."""
    results = certify(pytester, monkeypatch, frozenset(), cases)
    bad = {rid: s for rid, s in statuses(results).items() if s in ("fail", "warn", "error")}
    assert not bad


@pytest.mark.parametrize(
    ("mode", "status", "verdict"), [("compatible", "warn", "conformant"), ("strict", "fail", "not conformant")]
)
def test_strict_mode_fails_on_a_should_violation(pytester, monkeypatch, mode, status, verdict):
    """`empty-success` breaks only a SHOULD rule: a warning by default, a failure in strict mode."""
    results = certify(pytester, monkeypatch, frozenset({"empty-success"}), COMPLETION, "--oai-mode", mode)
    assert statuses(results)["chat.completion.not-empty"] == status
    assert results["verdict"] == verdict


@pytest.mark.parametrize(("features", "status"), [("models,chat", "pass"), ("models,chat,embeddings", "warn")])
def test_only_claimed_models_must_be_listed(pytester, monkeypatch, features, status):
    """A server that claims no embeddings need not list an embeddings model (vLLM serving one chat model)."""
    results = certify(
        pytester, monkeypatch, frozenset(), MODELS, "--oai-features", features, "--oai-model", "embeddings=not-served"
    )
    assert statuses(results)["models.list.contains-configured"] == status
