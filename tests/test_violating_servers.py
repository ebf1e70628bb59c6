"""Violating servers: the reference server with one fault each, certified by the real plugin, end to end.

Each fault breaks one rule the way a real server has (REAL-WORLD.md); the suite must report that rule as failed
(or warned, for a SHOULD), with the evidence. The crafted-response table in test_violations.py covers every
requirement; this file proves the whole path (client, SSE parser, cases, plugin, reports) catches them.
"""

from __future__ import annotations

import importlib
import json
from pathlib import Path

import pytest

from conformance.reference import FAULTS
from tests._runs import CliRun, SharedRuns, after, assert_caught, certify, slug, statuses

pytest_plugins = ["pytester"]

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


# Faults are deterministic: a retried 500 is a 500 again, after a back-off that only slows the test.
CHEAP = ("--oai-retries", "0")
# The generated case declares every generated.* id in each of its rounds (operation and mode), and these faults
# touch only some (see `oai-conformance serve --list-faults`): fault -> -k of the rounds. Every invalid chat or
# embeddings request is answered 200, every valid answer lacks its list, and a 500 answers a message whose content is
# a list of parts. The rounds draw what the default run draws (the same seed and budget; certify reads its draws).
SELECT = {
    "accept-anything": "negative and (chat or embeddings)",
    "missing-field": "positive and (chat or embeddings)",
    "server-error-sometimes": "chat",
}


def caught(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, shared_runs: SharedRuns, fault: str) -> dict:
    """The results of CAUGHT[fault]'s case file against a server with `fault`, run in process: only the cases that
    declare one of its rules (and SELECT's rounds). Made once per session: test_generated_phase reads them too."""
    cases, rules = CAUGHT[fault]
    extra = (*CHEAP, "-k", SELECT[fault]) if fault in SELECT else CHEAP

    def make(folder):
        if fault in SELECT:
            after("default_run")  # which draws the rounds' requests
        certify(pytester, monkeypatch, frozenset({fault}), cases, *extra, only=rules, report_dir=folder / "reports")

    folder = shared_runs.folder(slug("fault", fault, cases, *extra), make)
    return json.loads((folder / "reports" / "results.json").read_text(encoding="utf-8"))


def test_every_fault_is_caught_here():
    """Every fault of the reference server is caught end to end: here, or in its family's end-to-end tests (every
    tests/test_<family>_end_to_end.py names its faults in `CAUGHT`; found by name, so a new family counts without
    being listed here)."""
    families = []
    for path in sorted(Path(__file__).parent.glob("test_*_end_to_end.py")):
        caught_there = importlib.import_module(path.stem).CAUGHT
        # A family may also run a fault shared by every list (pages-no-has-more): it is counted here, where it lives.
        families.append({fault for fault in caught_there if fault not in CAUGHT})
    assert set(CAUGHT).union(*families) == set(FAULTS), set(CAUGHT).union(*families) ^ set(FAULTS)
    assert sum(map(len, families)) == len(set().union(*families)), "a fault is tested by two families"


@pytest.mark.parametrize("fault", sorted(CAUGHT))
def test_fault_is_reported(pytester, monkeypatch, shared_runs, fault):
    _, rules = CAUGHT[fault]
    results = caught(pytester, monkeypatch, shared_runs, fault)
    assert_caught(results, fault, rules)


@pytest.mark.slow
@pytest.mark.parametrize("cases", sorted({c for c, _ in CAUGHT.values()}))
def test_the_same_cases_pass_without_the_fault(default_run: CliRun, cases):
    """The control: what fails above fails because of the fault. The session's shared default run ran every case
    file against the reference server without a fault: what the cases of this file judged there passed."""
    judged = {
        r["id"]: r["status"] for r in default_run.results["requirements"]
        if any(case.startswith(f"{cases}::") for case in r["cases"])
    }  # fmt: skip
    assert judged, f"no case of {cases} judged anything"
    bad = {rid: s for rid, s in judged.items() if s in ("fail", "warn", "error")}
    assert not bad
    rules = {rid for file, ids in CAUGHT.values() if file == cases for rid in ids}
    assert {rid: judged.get(rid) for rid in rules} == dict.fromkeys(rules, "pass")


@pytest.mark.parametrize(
    ("mode", "status", "verdict"), [("compatible", "warn", "conformant"), ("strict", "fail", "not conformant")]
)
def test_strict_mode_fails_on_a_should_violation(pytester, monkeypatch, mode, status, verdict):
    """`empty-success` breaks only a SHOULD rule: a warning by default, a failure in strict mode."""
    results = certify(
        pytester, monkeypatch, frozenset({"empty-success"}), COMPLETION, "--oai-mode", mode,
        only=["chat.completion.not-empty"],
    )  # fmt: skip
    assert statuses(results)["chat.completion.not-empty"] == status
    assert results["verdict"] == verdict


@pytest.mark.parametrize(("features", "status"), [("models,chat", "pass"), ("models,chat,embeddings", "warn")])
def test_only_claimed_models_must_be_listed(pytester, monkeypatch, features, status):
    """A server that claims no embeddings need not list an embeddings model (vLLM serving one chat model)."""
    results = certify(
        pytester, monkeypatch, frozenset(), MODELS, "--oai-features", features, "--oai-model", "embeddings=not-served",
        only=["models.list.contains-configured"],
    )  # fmt: skip
    assert statuses(results)["models.list.contains-configured"] == status
