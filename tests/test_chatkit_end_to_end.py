"""ChatKit end to end: the official `openai` SDK (client.beta.chatkit) drives the reference server's /v1/chatkit
routes (plain httpx where the SDK has no client: uploads), and each chatkit fault of the reference server is caught
through client, cases, plugin and reports."""

from __future__ import annotations

import base64
import json
import os

import httpx
import pytest

from conformance.reference import CHATKIT_WORKFLOW, FAULTS
from tests._runs import assert_caught, certify
from tests._sdk import reference_sdk

openai = pytest.importorskip("openai")

pytest_plugins = ["pytester"]

KEY = "sk-chatkit-" + os.urandom(8).hex()
CASES = ("chatkit/test_chatkit.py",)
WORKFLOW = ("--oai-chatkit-workflow", CHATKIT_WORKFLOW)
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="
)

# fault -> the requirements its run must fail (warn, for a SHOULD rule)
CAUGHT = {
    "chatkit-session-object-wrong": ["chatkit.sessions.shape"],
    "chatkit-session-no-secret": ["chatkit.sessions.client-secret"],
    "chatkit-session-workflow-wrong": ["chatkit.sessions.workflow"],
    "chatkit-session-expiry-ignored": ["chatkit.sessions.expires-at"],
    "chatkit-session-rate-limit-ignored": ["chatkit.sessions.rate-limits"],
    "chatkit-session-expired-at-once": ["chatkit.sessions.active"],
    "chatkit-cancel-ignored": ["chatkit.sessions.cancel"],
    "chatkit-unknown-workflow-accepted": ["chatkit.sessions.unknown-workflow"],
    "chatkit-threads-no-status": ["chatkit.threads.list.shape"],
    "chatkit-threads-user-filter-ignored": ["chatkit.threads.user-filter"],
    "chatkit-thread-retrieve-shifted": ["chatkit.threads.retrieve.same"],
    "chatkit-thread-items-wrong-thread": ["chatkit.threads.items.shape"],
    "chatkit-thread-items-after-ignored": ["chatkit.threads.items.pages.after-continues",
                                           "chatkit.threads.items.pages.walk-once"],
    "chatkit-threads-unknown-200": ["chatkit.threads.unknown"],
    "chatkit-files-type-wrong": ["chatkit.files.shape"],
}  # fmt: skip


@pytest.fixture(scope="module")
def client():
    with reference_sdk(KEY) as sdk:
        yield sdk


def test_the_sdk_creates_and_cancels_a_session(client) -> None:
    made = client.beta.chatkit.sessions.create(
        user="sdk-user", workflow={"id": CHATKIT_WORKFLOW, "state_variables": {"plan": "pro"}},
        expires_after={"anchor": "created_at", "seconds": 60}, rate_limits={"max_requests_per_1_minute": 3},
        chatkit_configuration={"file_upload": {"enabled": True}},
    )  # fmt: skip
    assert (made.object, made.status, made.user, made.workflow.id) == ("chatkit.session", "active", "sdk-user",
                                                                        CHATKIT_WORKFLOW)  # fmt: skip
    assert made.client_secret and made.rate_limits.max_requests_per_1_minute == made.max_requests_per_1_minute == 3
    assert made.chatkit_configuration.file_upload.enabled is True and made.workflow.state_variables == {"plan": "pro"}
    cancelled = client.beta.chatkit.sessions.cancel(made.id)
    assert (cancelled.id, cancelled.status) == (made.id, "cancelled")
    with pytest.raises(openai.NotFoundError):
        client.beta.chatkit.sessions.create(user="u", workflow={"id": "wf_none"})
    with pytest.raises(openai.NotFoundError):
        client.beta.chatkit.sessions.cancel("cksess_none")


def test_the_sdk_reads_pages_and_deletes_threads(client) -> None:
    threads = list(client.beta.chatkit.threads.list(limit=1))
    assert [t.object for t in threads] == ["chatkit.thread"] * 3, "the SDK follows `after` over three pages"
    mine = client.beta.chatkit.threads.list(user="oai-conformance-demo").data
    assert {t.user for t in mine} == {"oai-conformance-demo"} and len(mine) == 2
    newest = threads[0]
    assert client.beta.chatkit.threads.retrieve(newest.id).model_dump() == newest.model_dump()
    items = list(client.beta.chatkit.threads.list_items(mine[0].id, limit=2, order="asc"))
    assert [i.type for i in items] == ["chatkit.user_message", "chatkit.assistant_message", "chatkit.user_message"]
    deleted = client.beta.chatkit.threads.delete(newest.id)
    assert (deleted.id, deleted.object, deleted.deleted) == (newest.id, "chatkit.thread.deleted", True)
    with pytest.raises(openai.NotFoundError):
        client.beta.chatkit.threads.retrieve(newest.id)


def test_uploads_and_the_beta_header_over_plain_http(client) -> None:
    # The SDK has no client for POST /v1/chatkit/files.
    base = str(client.base_url).rstrip("/")
    headers = {"Authorization": f"Bearer {KEY}", "OpenAI-Beta": "chatkit_beta=v1"}
    image = httpx.post(f"{base}/chatkit/files", headers=headers, files={"file": ("dot.png", PNG, "image/png")})
    assert image.status_code == 200 and image.json()["type"] == "image" and image.json()["mime_type"] == "image/png"
    text = httpx.post(f"{base}/chatkit/files", headers=headers, files={"file": ("a.txt", b"a", "text/plain")})
    assert text.status_code == 400 and text.json()["error"]["code"] == "unsupported_file"
    without = httpx.get(f"{base}/chatkit/threads", headers={"Authorization": f"Bearer {KEY}"})
    assert without.status_code == 400 and "chatkit_beta=v1" in without.json()["error"]["message"]


def test_every_chatkit_fault_is_caught_here() -> None:
    assert set(CAUGHT) == {f for f in FAULTS if f.startswith("chatkit-")}


@pytest.mark.parametrize("fault", sorted(CAUGHT))
def test_fault_is_reported(pytester, monkeypatch, fault) -> None:
    rules = CAUGHT[fault]
    results = certify(pytester, monkeypatch, frozenset({fault}), CASES, "--oai-retries", "0", *WORKFLOW, only=rules)
    assert_caught(results, fault, rules)
    assert results["resources"]["left"] == []


def test_the_same_cases_pass_without_a_fault(pytester, monkeypatch) -> None:
    results = certify(pytester, monkeypatch, frozenset(), CASES, "--oai-retries", "0", *WORKFLOW)
    judged = {r["id"]: r["status"] for r in results["requirements"] if r["id"].startswith("chatkit.")}
    assert judged == dict.fromkeys(judged, "pass") and len(judged) == 20
    resources = results["resources"]
    assert [c["kind"] for c in resources["created"]] == ["chatkit.session"] * 2 and resources["left"] == []
    shown = json.dumps(results) + (pytester.path / "reports" / "exchanges.jsonl").read_text()
    assert "client_secret" in shown and "[REDACTED]" in shown and "ek_ref" not in shown, "the secret is redacted"


def test_without_a_workflow_the_session_rules_are_skipped_with_the_reason(pytester, monkeypatch) -> None:
    results = certify(pytester, monkeypatch, frozenset(), CASES, "--oai-retries", "0")
    statuses = {r["id"]: r for r in results["requirements"] if r["id"].startswith("chatkit.sessions.")}
    skipped = {rid for rid, r in statuses.items() if r["status"] == "skip"}
    assert skipped == set(statuses) - {"chatkit.sessions.unknown-workflow"}, "the unknown workflow needs none"
    assert all("--chatkit-workflow" in " ".join(statuses[rid]["reasons"]) for rid in skipped), statuses
    assert results["verdict"] == "conformant"


def test_the_workflow_is_an_option_an_environment_variable_and_a_file_key(tmp_path) -> None:
    from conformance.exceptions import ConfigError
    from conformance.target import load_target

    assert load_target({}, {}, None, tmp_path).chatkit_workflow == "", "none given: the session rules skip"
    env = {"OAI_CONFORMANCE_CHATKIT_WORKFLOW": "wf_env"}
    assert load_target({}, env, None, tmp_path).chatkit_workflow == "wf_env"
    assert load_target({"chatkit_workflow": "wf_cli"}, env, None, tmp_path).chatkit_workflow == "wf_cli"
    (tmp_path / "oai-conformance.toml").write_text('chatkit_workflow = "wf_file"\n')
    assert load_target({}, {}, None, tmp_path).chatkit_workflow == "wf_file"
    with pytest.raises(ConfigError, match="chatkit-workflow"):
        load_target({"chatkit_workflow": " "}, {}, None, tmp_path)
