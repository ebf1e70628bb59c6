"""Every ChatKit rule can fail, and says why: one violating subject per rule.

As in test_violations_files.py: each row names a requirement, the violation, a factory of a VALID subject (built by
the reference server's own ChatKit store, no HTTP) and one mutation that breaks the rule. The seeds describe the
objects in tables only (no example answers); upstream's examples are accepted by the schemas.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pytest

from conformance.checks.chatkit import SentSession, SessionLife, ThreadsRead
from conformance.judgement import Status, judge
from conformance.reference import chatkit as ref
from conformance.reference._config import ServerConfig
from conformance.reference._ids import Ids
from conformance.requirements import catalogue
from conformance.schemas import validate
from tests._violations import assert_valid_passes, assert_violation_fails
from tests.test_violations import Http
from tests.test_violations_files import error, get
from tests.test_violations_responses import V, page_rows

USER = "oai-conformance-user"
UNKNOWN = "/chatkit/threads/cthr_none"


@dataclass
class Read:
    """A session's or the threads' lifecycle to build: the first exchange, then named steps."""

    created: Http
    steps: list[list[Any]]  # [name, Http]
    sent: SentSession | None = None

    def subject(self) -> SessionLife | ThreadsRead:
        steps = tuple((name, http.subject()) for name, http in self.steps)
        if self.sent is None:
            return ThreadsRead(self.created.subject(), steps)
        return SessionLife(self.created.subject(), steps, sent=self.sent)

    def step(self, name: str) -> Http:
        return next(http for what, http in self.steps if what == name)


def _kit() -> ref.ChatKit:
    return ref.ChatKit(Ids(), ServerConfig(), clock=lambda: 1_760_000_000.0)


def session_life() -> Read:
    kit = _kit()
    workflow = {"id": ref.CHATKIT_WORKFLOW}
    body = {"workflow": workflow, "user": USER, "expires_after": {"anchor": "created_at", "seconds": 120},
            "rate_limits": {"max_requests_per_1_minute": 5}}  # fmt: skip
    made = kit.create_session(body)
    plain = kit.create_session({"workflow": workflow, "user": USER})
    cancelled = kit.cancel_session(made["id"])
    steps = [
        ["plain", Http({"workflow": workflow, "user": USER}, plain, path="/chatkit/sessions")],
        ["cancel", Http(None, cancelled, path=f"/chatkit/sessions/{made['id']}/cancel")],
        ["unknown-workflow", error(404, "Workflow with id 'wf_none' not found.", "/chatkit/sessions", "POST")],
    ]
    return Read(Http(body, made, path="/chatkit/sessions"), steps, SentSession(ref.CHATKIT_WORKFLOW, USER, 120, 5))


def threads_read() -> Read:
    kit = _kit()
    listing = kit.list_threads({})
    newest = listing["data"][0]
    path = f"/chatkit/threads/{newest['id']}"
    steps = [
        ["by-user", get(f"/chatkit/threads?user={newest['user']}", kit.list_threads({"user": newest["user"]}))],
        ["retrieve", get(path, kit.retrieve_thread(newest["id"]))],
        ["items", get(f"{path}/items", kit.list_items(newest["id"], {}))],
        ["unknown-retrieve", error(404, "Thread with id 'cthr_none' not found.", UNKNOWN)],
        ["unknown-items", error(404, "Thread with id 'cthr_none' not found.", f"{UNKNOWN}/items")],
        ["unknown-delete", error(404, "Thread with id 'cthr_none' not found.", UNKNOWN, "DELETE")],
    ]
    return Read(get("/chatkit/threads", listing), steps)


def upload() -> Http:
    body = {"id": "cfile_1", "type": "image", "name": "dot.png", "mime_type": "image/png", "upload_url": None,
            "preview_url": "https://example.invalid/preview"}  # fmt: skip
    return Http(None, body, path="/chatkit/files")


@dataclass
class Upload:
    http: Http

    def subject(self) -> Any:
        return self.http.subject()


def _no_secret(spec: Read) -> None:
    del spec.created.body["client_secret"]


def _refused_with(status: int, body: Any) -> Any:
    def mutate(spec: Read) -> None:
        for name in ("unknown-retrieve",):
            spec.step(name).status, spec.step(name).body = status, body

    return mutate


VIOLATIONS: list[V] = [
    V("chatkit.sessions.shape", "object `session`", session_life, lambda s: s.created.body.update(object="session"),
      "'chatkit.session' was expected"),
    V("chatkit.sessions.shape", "status `pending` after the cancel", session_life,
      lambda s: s.step("cancel").body.update(status="pending"), "'pending'"),
    V("chatkit.sessions.client-secret", "no client_secret", session_life, _no_secret, "non-empty string"),
    V("chatkit.sessions.client-secret", "an empty client_secret", session_life,
      lambda s: s.created.body.update(client_secret=""), "non-empty string"),
    V("chatkit.sessions.workflow", "another workflow", session_life,
      lambda s: s.created.body["workflow"].update(id="wf_other"), "wf_other"),
    V("chatkit.sessions.workflow", "another user", session_life, lambda s: s.created.body.update(user="someone"),
      "user someone"),
    V("chatkit.sessions.active", "expired at once", session_life, lambda s: s.created.body.update(status="expired"),
      "status expired"),
    V("chatkit.sessions.expires-at", "the expiry ignored", session_life,
      lambda s: s.created.body.update(expires_at=s.step("plain").body["expires_at"]), "0 s apart"),
    V("chatkit.sessions.rate-limits", "the default rate", session_life,
      lambda s: s.created.body.update(rate_limits={"max_requests_per_1_minute": 10}), "10"),
    V("chatkit.sessions.rate-limits", "the copy differs", session_life,
      lambda s: s.created.body.update(max_requests_per_1_minute=10), "convenience copy"),
    V("chatkit.sessions.cancel", "still active", session_life, lambda s: s.step("cancel").body.update(status="active"),
      "status active"),
    V("chatkit.sessions.cancel", "another session answered", session_life,
      lambda s: s.step("cancel").body.update(id="cksess_other"), "cksess_other"),
    V("chatkit.sessions.unknown-workflow", "a session made for it", session_life,
      lambda s: setattr(s.step("unknown-workflow"), "status", 200), "a 4xx refusal"),
    V("chatkit.threads.list.shape", "a thread without status", threads_read,
      lambda s: s.created.body["data"][0].pop("status"), "'status' is a required property"),
    V("chatkit.threads.user-filter", "another user's thread", threads_read,
      lambda s: s.step("by-user").body["data"].append(s.created.body["data"][-1]), "someone-else"),
    V("chatkit.threads.retrieve.same", "created_at shifted", threads_read,
      lambda s: s.step("retrieve").body.update(created_at=1), "created_at 1"),
    V("chatkit.threads.items.shape", "an item of another thread", threads_read,
      lambda s: s.step("items").body["data"][0].update(thread_id="cthr_other"), "cthr_other"),
    V("chatkit.threads.items.shape", "an item without object", threads_read,
      lambda s: s.step("items").body["data"][0].pop("object"), "'object' is a required property"),
    *page_rows("chatkit.threads.items.pages")[:6],
    V("chatkit.threads.unknown", "answered 200", threads_read,
      _refused_with(200, {"id": "cthr_none", "object": "chatkit.thread"}), "status 404"),
    V("chatkit.threads.unknown", "a flat error", threads_read,
      _refused_with(404, {"object": "error", "message": "nope"}), "'error' is a required property"),
    V("chatkit.files.shape", "type attachment", lambda: Upload(upload()),
      lambda s: s.http.body.update(type="attachment"), "'attachment'"),
    V("chatkit.files.shape", "answered 500", lambda: Upload(upload()), lambda s: setattr(s.http, "status", 500),
      "500"),
]  # fmt: skip


def _param(v: V) -> Any:
    return pytest.param(v, id=f"{v.rid}: {v.what}")


@pytest.mark.parametrize("v", [_param(v) for v in VIOLATIONS])
def test_violation_fails(v: V) -> None:
    assert_violation_fails(v)


@pytest.mark.parametrize("v", [_param(v) for v in VIOLATIONS])
def test_valid_counterpart_passes(v: V) -> None:
    assert_valid_passes(v)


def test_every_chatkit_requirement_has_a_violation() -> None:
    assert {v.rid for v in VIOLATIONS} == {r for r in catalogue() if r.startswith("chatkit.")}


def test_an_account_without_threads_skips_what_needs_one() -> None:
    spec = threads_read()
    spec.created.body.update(data=[], first_id=None, last_id=None, has_more=False)
    spec.steps = [s for s in spec.steps if s[0].startswith("unknown-")]
    for rid in ("chatkit.threads.user-filter", "chatkit.threads.retrieve.same", "chatkit.threads.items.shape"):
        [obs] = judge(spec.subject(), [rid])
        assert obs.status is Status.SKIP and "ChatKit UI" in obs.reason, obs
    for rid in ("chatkit.threads.list.shape", "chatkit.threads.unknown"):
        assert judge(spec.subject(), [rid])[0].status is Status.PASS


def test_an_upload_the_server_declines_is_a_skip_not_a_failure() -> None:
    declined = upload()
    refusal = {"message": "use the client secret", "type": "invalid_request_error", "param": None, "code": None}
    declined.status, declined.body = 401, {"error": refusal}
    [obs] = judge(declined.subject(), ["chatkit.files.shape"])
    assert obs.status is Status.SKIP and "401" in obs.reason, obs


# Upstream's examples (the seeds describe the objects in tables only).
UPSTREAM_THREAD = {"id": "cthr_abc123", "object": "chatkit.thread", "created_at": 1730000000, "title": None,
                   "status": {"type": "active"}, "user": "user_123"}  # fmt: skip


def test_the_documented_examples_are_valid() -> None:
    assert not validate("chatkit.thread", UPSTREAM_THREAD)
    assert not validate("chatkit.thread", {**UPSTREAM_THREAD, "status": {"type": "locked", "reason": None}})
    assert not validate("chatkit.thread.list", {"object": "list", "data": [UPSTREAM_THREAD], "first_id": "cthr_abc123",
                                                "last_id": "cthr_abc123", "has_more": False})  # fmt: skip
    assert not validate("chatkit.thread.deleted", {"id": "cthr_abc123", "object": "chatkit.thread.deleted",
                                                   "deleted": True})  # fmt: skip
    item = {"id": "cthi_1", "object": "chatkit.thread_item", "created_at": 1730000000, "thread_id": "cthr_abc123",
            "type": "chatkit.widget", "widget": "{}"}  # fmt: skip
    assert not validate("chatkit.thread-item.list", {"object": "list", "data": [item], "first_id": "cthi_1",
                                                     "last_id": "cthi_1", "has_more": False})  # fmt: skip
    assert not validate("chatkit.session.create.request", {"workflow": {"id": "wf_123"}, "user": "user_123"})
    for bad in ({"user": "u"}, {"workflow": {"id": "wf_1"}},
                {"workflow": {"id": "wf_1"}, "user": "u", "expires_after": {"anchor": "created_at", "seconds": 601}}):
        assert validate("chatkit.session.create.request", bad), bad  # fmt: skip


def test_the_reference_answers_are_valid() -> None:
    life = session_life()
    assert not validate("chatkit.session", life.created.body)
    read = threads_read()
    assert not validate("chatkit.thread.list", read.created.body)
    assert not validate("chatkit.thread-item.list", read.step("items").body)
    assert not validate("chatkit.file", upload().body)
    assert json.loads(json.dumps(_kit().delete_thread("cthr_demo_1")))["object"] == "chatkit.thread.deleted"
