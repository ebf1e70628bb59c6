"""Every batches rule can fail, and says why: one violating subject per rule, and its valid twin.

As in test_violations_chat_store.py: each row names a requirement, the violation, a factory of a VALID subject (a
chat batch of two lines, one refused by the endpoint, followed from `validating` to `completed` with its output and
error files, as the reference server answers them) and one mutation that breaks the rule.
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass, field
from typing import Any

import pytest

from conformance.checks.batches import BatchLife
from conformance.checks.pagination import Walk
from conformance.exchange import Exchange
from conformance.judgement import Status, judge
from conformance.reference import batches as ref
from conformance.reference._config import ServerConfig
from conformance.requirements import catalogue
from tests.test_violations import Http
from tests.test_violations_responses import Life, V, fails_with_evidence, page_rows, param, passes

MODEL = "gpt-4o-mini"
T = 1_738_960_610
BATCH = "batch_abc123"
ENDPOINT = "/v1/chat/completions"
GOOD = {"model": MODEL, "messages": [{"role": "user", "content": "Say OK."}], "max_tokens": 8}
BAD = {"model": MODEL, "max_tokens": 8}
LINES = [
    {"custom_id": "chat-1", "method": "POST", "url": ENDPOINT, "body": GOOD},
    {"custom_id": "chat-2", "method": "POST", "url": ENDPOINT, "body": BAD},
]
REQUEST = {"input_file_id": "file-in", "endpoint": ENDPOINT, "completion_window": "24h", "metadata": {"run": "t"},
           "output_expires_after": {"anchor": "created_at", "seconds": 3600}}  # fmt: skip
COMPLETION = {"id": "chatcmpl-1", "object": "chat.completion", "created": T + 3, "model": MODEL,
              "choices": [{"index": 0, "message": {"role": "assistant", "content": "Say OK.", "refusal": None},
                           "logprobs": None, "finish_reason": "stop"}],
              "usage": {"prompt_tokens": 3, "completion_tokens": 2, "total_tokens": 5}}  # fmt: skip
REFUSED = {"error": {"message": "Missing required parameter: 'messages'.", "type": "invalid_request_error",
                     "param": "messages", "code": "missing_required_parameter"}}  # fmt: skip
OUTPUT = [{"id": "batch_req_1", "custom_id": "chat-1", "error": None,
           "response": {"status_code": 200, "request_id": "req_1", "body": COMPLETION}}]  # fmt: skip
ERRORS = [{"id": "batch_req_2", "custom_id": "chat-2", "error": None,
           "response": {"status_code": 400, "request_id": "req_2", "body": REFUSED}}]  # fmt: skip


def batch(status: str, **over: Any) -> dict[str, Any]:
    """The batch object in `status`, with the times of the states it passed (one second each)."""
    body: dict[str, Any] = {
        "id": BATCH, "object": "batch", "endpoint": ENDPOINT, "errors": None, "input_file_id": "file-in",
        "completion_window": "24h", "status": status, "output_file_id": None, "error_file_id": None,
        "created_at": T, "in_progress_at": None, "expires_at": T + 86_400, "finalizing_at": None,
        "completed_at": None, "failed_at": None, "expired_at": None, "cancelling_at": None, "cancelled_at": None,
        "request_counts": {"total": 0, "completed": 0, "failed": 0}, "metadata": {"run": "t"},
    }  # fmt: skip
    if status in ("in_progress", "finalizing", "completed"):
        body.update(in_progress_at=T + 1, request_counts={"total": 2, "completed": 0, "failed": 0})
    if status in ("finalizing", "completed"):
        body["finalizing_at"] = T + 2
    if status == "completed":
        body.update(completed_at=T + 3, output_file_id="file-out", error_file_id="file-err",
                    request_counts={"total": 2, "completed": 1, "failed": 1})  # fmt: skip
    body.update(over)
    return body


def get(body: Any, path: str = f"/batches/{BATCH}") -> Http:
    return Http(None, body, path=path, method="GET")


def file_object(ident: str) -> dict[str, Any]:
    return {"id": ident, "object": "file", "bytes": 100, "created_at": T + 3, "expires_at": T + 3 + 3600,
            "filename": f"{BATCH}_output.jsonl", "purpose": "batch_output", "status": "processed"}  # fmt: skip


@dataclass
class BLife:
    """A batch followed over time, to build: the create exchange, named steps (file contents as lists of lines)."""

    created: Http
    steps: list[list[Any]]
    lines: list[dict[str, Any]] = field(default_factory=lambda: copy.deepcopy(LINES))
    bad: tuple[str, ...] = ()

    def subject(self) -> BatchLife:
        def build(name: str, http: Http) -> Exchange:
            if name in ("output", "errors"):
                data = b"".join(json.dumps(item).encode() + b"\n" for item in http.body)
                http = Http(None, data, path=http.path, method="GET", content_type="application/octet-stream")
            return http.subject()

        steps = tuple((name, build(name, http)) for name, http in self.steps)
        return BatchLife(self.created.subject(), steps, lines=tuple(self.lines), bad=self.bad, waited=120.0)

    def step(self, name: str) -> Http:
        return [http for what, http in self.steps if what == name][-1]


def completed() -> BLife:
    return BLife(Http(copy.deepcopy(REQUEST), batch("validating"), path="/batches"), [
        ["retrieve", get(batch("validating"))],
        ["poll", get(batch("in_progress"))],
        ["poll", get(batch("finalizing"))],
        ["poll", get(batch("completed"))],
        ["output", get(copy.deepcopy(OUTPUT), "/files/file-out/content")],
        ["output-file", get(file_object("file-out"), "/files/file-out")],
        ["errors", get(copy.deepcopy(ERRORS), "/files/file-err/content")],
        ["error-file", get(file_object("file-err"), "/files/file-err")],
    ], bad=("chat-2",))  # fmt: skip


def cancelled() -> BLife:
    cancelling = batch("cancelling", cancelling_at=T + 1)
    return BLife(Http(copy.deepcopy(REQUEST), batch("validating"), path="/batches"), [
        ["cancel", Http(None, cancelling, path=f"/batches/{BATCH}/cancel")],
        ["poll", get(batch("cancelled", cancelling_at=T + 1, cancelled_at=T + 2))],
    ])  # fmt: skip


def invalid() -> BLife:
    errors = {"object": "list", "data": [{"code": "missing_required_parameter", "line": 1, "param": "custom_id",
                                          "message": "Missing required parameter: 'custom_id'."}]}  # fmt: skip
    lines = [{"method": "POST", "url": ENDPOINT, "body": GOOD}]
    return BLife(Http(copy.deepcopy(REQUEST), batch("validating"), path="/batches"), [
        ["poll", get(batch("failed", failed_at=T + 1, errors=errors))],
    ], lines=lines)  # fmt: skip


def listed() -> Life:
    made = [Http(copy.deepcopy(REQUEST), batch("validating", id=f"batch_{n}"), path="/batches") for n in range(3)]
    page = {"object": "list", "data": [m.body for m in made[::-1]], "first_id": "batch_2", "last_id": "batch_0",
            "has_more": False}  # fmt: skip
    return Life(made[0], [["created", made[1]], ["created", made[2]], ["list", get(page, "/batches?limit=100")]])


def refusal(path: str = "/batches", method: str = "POST", status: int = 400) -> Http:
    return Http(copy.deepcopy(REQUEST), copy.deepcopy(REFUSED), status, path=path, method=method)


def accepted() -> Any:
    return lambda s: (setattr(s, "status", 200), setattr(s, "body", batch("validating")))


def last_poll(spec: BLife) -> dict[str, Any]:
    return spec.step("poll").body  # type: ignore[no-any-return]


VIOLATIONS: list[V] = [
    V("batches.create.schema", "no status", lambda: completed().created,
      lambda s: s.body.pop("status"), "'status' is a required property"),
    V("batches.create.echoes", "the metadata dropped", lambda: completed().created,
      lambda s: s.body.update(metadata=None), "as sent"),
    V("batches.retrieve.same", "another input file on retrieve", completed,
      lambda s: s.step("retrieve").body.update(input_file_id="file-other"), "as created"),
    V("batches.status.transitions", "in_progress again after completed", completed,
      lambda s: s.steps.insert(4, ["poll", get(batch("in_progress"))]), "after 'completed'"),
    V("batches.status.timestamps", "no in_progress_at once completed", completed,
      lambda s: last_poll(s).update(in_progress_at=None), "in_progress_at null"),
    V("batches.request-counts.adds-up", "three requests counted in a batch of two", completed,
      lambda s: last_poll(s)["request_counts"].update(total=3), "completed 1 + failed 1"),
    V("batches.output.line-shape", "no status_code in an output line", completed,
      lambda s: s.step("output").body[0]["response"].pop("status_code"), "status_code"),
    V("batches.output.body-valid", "the usage of an answer does not add up", completed,
      lambda s: s.step("output").body[0]["response"]["body"]["usage"].update(total_tokens=6), "chat.usage.adds-up"),
    V("batches.output.custom-ids", "custom_id replaced", completed,
      lambda s: s.step("output").body[0].update(custom_id="request-1"), 'missing ["chat-1"]'),
    V("batches.errors.bad-line", "the refused line missing from the error file", completed,
      lambda s: s.step("errors").body.clear(), "among them"),
    V("batches.output.file-object", "the output file's purpose is batch", completed,
      lambda s: s.step("output-file").body.update(purpose="batch"), "'batch_output'"),
    V("batches.cancel.cancelling", "the cancel ignored", cancelled,
      lambda s: s.step("cancel").body.update(status="in_progress", cancelling_at=None), "'cancelling'"),
    V("batches.failed.invalid-file", "a file of no requests completes", invalid,
      lambda s: s.step("poll").body.update(batch("completed")), "'failed'"),
    V("batches.list.contains", "the newest batch not listed", listed,
      lambda s: s.step("list").body["data"].pop(0), "among them"),
    *[v for v in page_rows("batches.pages") if not v.rid.endswith("order-reverses")],
    V("batches.retrieve.unknown", "an unknown id answered 200", lambda: refusal(f"/batches/{BATCH}", "GET", 404),
      accepted(), "404"),
    V("batches.create.not-batch-file", "a user_data file accepted", refusal, accepted(), "400"),
    V("batches.create.unknown-endpoint", "/v1/audio/speech accepted", refusal, accepted(), "400"),
    V("batches.create.wrong-window", "48h accepted", refusal, accepted(), "400"),
]  # fmt: skip


@pytest.mark.parametrize("v", [param(v) for v in VIOLATIONS])
def test_violation_fails(v: V) -> None:
    fails_with_evidence(v)


@pytest.mark.parametrize("v", [param(v) for v in VIOLATIONS])
def test_valid_counterpart_passes(v: V) -> None:
    passes(v)


def test_every_batches_requirement_has_a_violation() -> None:
    assert {v.rid for v in VIOLATIONS} == {r for r in catalogue() if r.startswith("batches.")}


# --- what a rule does not judge, and the walk of a long list -------------------------------------------------


def test_a_batch_still_running_skips_the_output_rules_saying_what_was_seen() -> None:
    spec = completed()
    spec.steps = spec.steps[:2]  # polled until the budget was over: still in_progress
    for rid in ("batches.output.line-shape", "batches.output.body-valid", "batches.output.custom-ids",
                "batches.errors.bad-line", "batches.output.file-object"):  # fmt: skip
        [obs] = judge(spec.subject(), [rid])
        assert obs.status is Status.SKIP, obs
        assert "still 'in_progress'" in obs.reason and "after 120 s" in obs.reason, obs.reason
        assert "validating → in_progress" in obs.reason
    for rid in ("batches.status.transitions", "batches.status.timestamps", "batches.request-counts.adds-up"):
        [obs] = judge(spec.subject(), [rid])
        assert obs.status is Status.PASS, obs


def test_a_cancel_after_the_batch_ended_is_not_judged() -> None:
    spec = cancelled()
    spec.steps = [["cancel", refusal(f"/batches/{BATCH}/cancel")], ["poll", get(batch("completed"))]]
    [obs] = judge(spec.subject(), ["batches.cancel.cancelling"])
    assert obs.status is Status.SKIP and "ended before the cancel" in obs.reason, obs


def test_every_status_reachable_by_polling_is_allowed_and_an_end_is_final() -> None:
    for start, reached in (("validating", "completed"), ("validating", "cancelled"), ("in_progress", "expired")):
        spec = completed()
        spec.steps = [["poll", get(batch(start))], ["poll", get(batch(reached))]]
        [obs] = judge(spec.subject(), ["batches.status.transitions"])
        assert obs.status is Status.PASS, (start, reached, obs)
    spec = cancelled()
    spec.steps.append(["poll", get(batch("cancelling", cancelling_at=T + 1))])
    [obs] = judge(spec.subject(), ["batches.status.transitions"])
    assert obs.status is Status.FAIL and "after 'cancelled'" in str(obs.failures), obs


def _window_walk(count: int, window: int, limit: int) -> Walk:
    """The reference server's batches list of `count` batches, walked as the batches case walks it."""
    config = ServerConfig()
    store = [ref.Batch(batch("completed", id=f"batch_{n:03d}"), [], [], 0.0, 0.0) for n in range(count)][::-1]

    def got(query: dict[str, str]) -> Exchange:
        return get(ref.listing(query, store, config), "/batches").subject()

    pages, after = [], {}
    while True:
        pages.append(got({"limit": str(limit), **after}))
        body = pages[-1].response.json  # type: ignore[union-attr]
        if not body["has_more"] or sum(len(p.response.json["data"]) for p in pages) >= window:  # type: ignore[union-attr]
            break
        after = {"after": body["last_id"]}
    invalid = Http(None, REFUSED, 400, path="/batches?limit=0", method="GET").subject()
    return Walk(got({"limit": str(window)}), tuple(pages), None, invalid, limit, window)


@pytest.mark.parametrize(("count", "window", "limit"), [(3, 4, 1), (10, 4, 1), (10, 4, 3), (4, 4, 2)])
def test_a_window_of_a_long_list_walks_clean(count: int, window: int, limit: int) -> None:
    rules = [r for r in catalogue() if r.startswith("batches.pages.") and r != "batches.pages.invalid-limit"]
    for obs in judge(_window_walk(count, window, limit), rules):
        assert obs.status is Status.PASS, obs


def test_a_window_still_catches_a_page_that_says_no_more() -> None:
    walk = _window_walk(10, 4, 1)
    first = walk.pages[0]
    assert first.response is not None
    body = {**first.response.json, "has_more": False}
    broken = Walk(walk.whole, (get(body, "/batches").subject(), *walk.pages[1:]), None, walk.invalid, 1, 4)
    [obs] = judge(broken, ["batches.pages.has-more"])
    assert obs.status is Status.FAIL, obs
