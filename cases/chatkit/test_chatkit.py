"""ChatKit (beta): sessions of the workflow the user gave (create with overrides, a second without, cancel), a
session for a workflow that does not exist, the account's threads and their items, and an upload.

A session needs a workflow of the account: `--chatkit-workflow wf_...` (the bundled reference server has its own);
without one the session rules are skipped with that reason. The API cannot make a thread (a ChatKit UI does), so
the thread rules read what the account holds and never delete any: the only delete sent names a thread that does
not exist. Every request carries `OpenAI-Beta: chatkit_beta=v1` (the client adds it). What a case opens it cancels;
the ledger cancels the rest.
"""

import base64
import os

import pytest

from conformance.case import requirement, walk
from conformance.checks.chatkit import SentSession, SessionLife, ThreadsRead
from conformance.provision import NO_WORKFLOW

SESSION = (
    "chatkit.sessions.shape",
    "chatkit.sessions.client-secret",
    "chatkit.sessions.workflow",
    "chatkit.sessions.active",
    "chatkit.sessions.expires-at",
    "chatkit.sessions.rate-limits",
    "chatkit.sessions.cancel",
)
THREADS = (
    "chatkit.threads.list.shape",
    "chatkit.threads.user-filter",
    "chatkit.threads.retrieve.same",
    "chatkit.threads.items.shape",
    "chatkit.threads.unknown",
)
ITEM_PAGES = (
    "chatkit.threads.items.pages.limit",
    "chatkit.threads.items.pages.has-more",
    "chatkit.threads.items.pages.first-last-ids",
    "chatkit.threads.items.pages.after-continues",
    "chatkit.threads.items.pages.walk-once",
    "chatkit.threads.items.pages.order-reverses",
)
SECONDS, RATE = 120, 5
NO_SUCH_WORKFLOW = "wf_oai_conformance_no_such_workflow"
NO_SUCH_THREAD = "cthr_oai_conformance_no_such_thread"
# A 1x1 transparent PNG.
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="
)


def made_id(exchange):
    body = exchange.response.json if exchange.response is not None and exchange.response.status == 200 else None
    ident = body.get("id") if isinstance(body, dict) else None
    return ident if isinstance(ident, str) and ident else None


@requirement(*SESSION)
def test_session_life(oai_client, oai_target, oai_judge):
    if not oai_target.chatkit_workflow:
        pytest.skip(NO_WORKFLOW)
    sent = SentSession(oai_target.chatkit_workflow, f"oai-conformance-{os.urandom(4).hex()}", SECONDS, RATE)
    workflow = {"id": sent.workflow}
    created = oai_client.request("POST", "/chatkit/sessions", json={
        "workflow": workflow, "user": sent.user, "expires_after": {"anchor": "created_at", "seconds": SECONDS},
        "rate_limits": {"max_requests_per_1_minute": RATE},
    })  # fmt: skip
    plain = oai_client.request("POST", "/chatkit/sessions", json={"workflow": workflow, "user": sent.user})
    steps = [("plain", plain)]
    if ident := made_id(created):
        steps.append(("cancel", oai_client.request("POST", f"/chatkit/sessions/{ident}/cancel")))
    if ident := made_id(plain):
        oai_client.request("POST", f"/chatkit/sessions/{ident}/cancel")
    oai_judge(SessionLife(created, tuple(steps), sent=sent), *SESSION)


@requirement("chatkit.sessions.unknown-workflow")
def test_session_for_a_workflow_that_does_not_exist(oai_client, oai_judge):
    # No workflow of the user's is needed: any account refuses this one.
    body = {"workflow": {"id": NO_SUCH_WORKFLOW}, "user": "oai-conformance"}
    refused = oai_client.request("POST", "/chatkit/sessions", json=body)
    if ident := made_id(refused):
        oai_client.request("POST", f"/chatkit/sessions/{ident}/cancel")
    oai_judge(SessionLife(refused, (("unknown-workflow", refused),)), "chatkit.sessions.unknown-workflow")


@requirement(*THREADS, *ITEM_PAGES)
def test_threads_as_the_account_holds_them(oai_client, oai_judge):
    listing = oai_client.request("GET", "/chatkit/threads", params={"limit": 20})
    body = listing.response.json if listing.response is not None and listing.response.status == 200 else None
    data = body.get("data") if isinstance(body, dict) else None
    thread = data[0] if isinstance(data, list) and data and isinstance(data[0], dict) else None
    steps = []
    if thread is not None and isinstance(thread.get("id"), str):
        path = f"/chatkit/threads/{thread['id']}"
        mine = {"user": thread.get("user"), "limit": 100}
        steps += [
            ("by-user", oai_client.request("GET", "/chatkit/threads", params=mine)),
            ("retrieve", oai_client.request("GET", path)),
            ("items", oai_client.request("GET", f"{path}/items", params={"limit": 100})),
        ]
        oai_judge(walk(oai_client, f"{path}/items", limit=2), *ITEM_PAGES)
    gone = f"/chatkit/threads/{NO_SUCH_THREAD}"
    steps += [
        ("unknown-retrieve", oai_client.request("GET", gone)),
        ("unknown-items", oai_client.request("GET", f"{gone}/items")),
        ("unknown-delete", oai_client.request("DELETE", gone)),
    ]
    oai_judge(ThreadsRead(listing, tuple(steps)), *THREADS)
    if thread is None:
        pytest.skip("the account holds no ChatKit thread (the API cannot make one: a ChatKit UI does)")


@requirement("chatkit.files.shape")
def test_upload_an_image(oai_client, oai_judge):
    exchange = oai_client.request("POST", "/chatkit/files", files=[("file", ("oai-conformance.png", PNG, "image/png"))])
    oai_judge(exchange, "chatkit.files.shape")
