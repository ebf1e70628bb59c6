"""The generated phase end to end: the reference server passes it, and servers that break its rules are caught.
(That `-n 2` concludes and sends what a serial run does is test_plugin.py's test_parallel_run_matches_serial_run.)"""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from conformance.cli import cases_args
from conformance.client import Client
from conformance.generation import (
    GenerationSettings,
    draw_requests,
    multipart_fields,
    on_a_roomy_stack,
    operations,
    send_all,
)
from conformance.provision import FOUND, NotProvided, provide
from conformance.reference import ServerConfig, serve
from conformance.requirements import feature_claimed
from conformance.target import load_target
from tests._runs import KEY, KEY_ENV, CliRun, briefly_serve, certify, cli, statuses
from tests.test_violating_servers import CAUGHT, COMPLETION, GENERATED, caught

pytest_plugins = ["pytester"]


def generated(results: dict) -> dict[str, str]:
    return {rid: s for rid, s in statuses(results).items() if rid.startswith("generated.")}


@pytest.mark.slow
def test_the_reference_server_passes(default_run: CliRun):
    """The session's shared default run: every case, the generated phase with its default examples."""
    results = default_run.results
    assert generated(results), "the phase ran"
    assert set(generated(results).values()) == {"pass"}, generated(results)
    assert results["exit_code"] == 0


@pytest.mark.slow
def test_requests_on_one_object_name_one_the_run_made(default_run: CliRun):
    """Every operation whose path names an object got a 2xx for an object of the run's own, which the run deleted."""
    exchanges = [json.loads(line) for line in (default_run.out / "exchanges.jsonl").read_text().splitlines()]
    resources = default_run.results["resources"]
    made = {entry["id"] for entry in resources["created"]}
    assert resources["left"] == [], "the ledger deleted every object the phase made"
    # Generated operations only: one never generated (a checkpoint permission) names what its case found; the
    # administration API's objects are found, not made (FOUND). A path that is an operation of its own
    # (POST /threads/runs) is not an id of a templated one (/threads/{id}).
    literal = {(op.method, "/v1" + op.path) for op in operations() if "{" not in op.path}
    # An operation of a feature claimed only by name (graders) is not drawn by a default run.
    for op in (op for op in operations() if op.created_by and op.generate and feature_claimed(op.feature, None)):
        template = "/v1" + re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", op.path)
        answered = [
            match.groupdict() for e in exchanges
            if e["request"]["method"] == op.method and e["response"] and 200 <= e["response"]["status"] < 300
            and (op.method, urlsplit(e["request"]["url"]).path) not in literal
            and (match := re.fullmatch(template, urlsplit(e["request"]["url"]).path))
        ]  # fmt: skip
        first, kind = op.created_by[0]  # the object the others belong to
        if kind in FOUND:  # an object of the account's (a ChatKit thread), read only; never deleted
            assert answered or not op.generate, f"{op.label}: no request answered 2xx"
            continue
        assert answered, f"{op.label}: no request answered 2xx"
        assert all(ids[first] in made for ids in answered), (op.label, answered)


def test_an_object_the_server_will_not_make_is_a_reason_not_a_failure(tmp_path):
    """provide() names the request that failed and the answer, so the generated case skips with it."""
    with serve(ServerConfig()) as server:
        target = load_target({"base_url": server.base_url, "no_api_key": True,
                              "model": ["chat=oai-conformance-no-such-model"]}, {}, None, tmp_path)  # fmt: skip
        with Client(target) as client, pytest.raises(NotProvided) as raised:
            provide({"completion_id": "chat.completion"}, client, target)
    assert "creating a stored chat completion" in str(raised.value)
    assert "/v1/chat/completions: 404" in str(raised.value)
    assert "so the operation is judged by its cases only" in str(raised.value)


@pytest.mark.parametrize(
    ("fault", "rule"),
    [
        ("accept-anything", "generated.invalid.rejected"),
        ("server-error-sometimes", "generated.status.never-5xx"),
        ("missing-field", "generated.valid.answered"),
    ],
)
def test_a_broken_server_is_caught(pytester, monkeypatch, shared_runs, default_run, fault, rule):
    """(default_run: its draws are the rounds'; a test that reads a shared run goes last, when it is made.)"""
    assert CAUGHT[fault] == (GENERATED, [rule])
    results = caught(pytester, monkeypatch, shared_runs, fault)  # the run test_violating_servers.py reads too
    assert generated(results)[rule] == "fail", generated(results)
    entry = next(r for r in results["requirements"] if r["id"] == rule)
    for failure in entry["failures"]:
        message = failure["message"]
        assert "Received:" in message and "Expected:" in message
        if failure["exchange"] is not None:  # one failure per example, with the request that reproduces it
            assert "curl -sS" in message and "$OPENAI_API_KEY" in message
            assert str(failure["exchange"]) in results["exchanges"]
    per_round = Counter(failure["case"] for failure in entry["failures"])
    assert max(per_round.values()) <= 6, f"at most 5 examples (and a count of the rest) per round: {per_round}"
    assert results["exit_code"] == 1


def test_the_marker_leaves_the_phase_out(pytester, monkeypatch):
    results = certify(pytester, monkeypatch, frozenset(), (GENERATED, COMPLETION), "-m", "not generated")
    assert set(generated(results).values()) == {"skip"}, "not run"
    assert statuses(results)["chat.completion.schema"] == "pass", "the other cases ran"


def test_a_multipart_body_is_sent_as_its_fields():
    """What schemathesis draws for a multipart body (bytes in a str subclass with `.data`), and what a shaping
    hook makes of it, become httpx's `files`, and the client sends them as multipart/form-data."""
    from schemathesis.transport.serialization import Binary

    fields = multipart_fields({
        "file": Binary(b"\x00\x01"), "upload": ("a.jsonl", b"{}\n", "application/jsonl"),
        "purpose": "batch", "expires_after": {"anchor": "created_at", "seconds": 3600}, "tags": ["a", "b"],
    })  # fmt: skip
    assert fields == [
        ("file", ("file", b"\x00\x01", "application/octet-stream")),
        ("upload", ("a.jsonl", b"{}\n", "application/jsonl")),
        ("purpose", (None, "batch")),
        ("expires_after", (None, '{"anchor": "created_at", "seconds": 3600}')),
        ("tags", (None, "a")),
        ("tags", (None, "b")),
    ]
    with serve(ServerConfig()) as server:
        target = load_target({"base_url": server.base_url, "no_api_key": True}, {}, None, Path.cwd())
        with Client(target) as client:
            sent = client.request("POST", "/files", files=fields).request
    assert (sent.header("content-type") or "").startswith("multipart/form-data; boundary=")
    assert b'name="upload"; filename="a.jsonl"' in sent.body and b"\r\n{}\n\r\n" in sent.body


def test_send_all_overlaps_the_requests_and_keeps_their_order():
    import threading
    import time

    in_flight, most = 0, 0
    lock = threading.Lock()

    def send(n: int) -> int:
        nonlocal in_flight, most
        with lock:
            in_flight += 1
            most = max(most, in_flight)
        time.sleep(0.05 * (n % 3))  # later ones may finish first
        with lock:
            in_flight -= 1
        return n * 10

    assert send_all(list(range(12)), send, 4) == [n * 10 for n in range(12)]
    assert 1 < most <= 4, most
    most = 0
    assert send_all(list(range(5)), send, 1) == [0, 10, 20, 30, 40]
    assert most == 1


def test_send_all_sends_a_request_still_rate_limited_once_more_alone():
    """A 429 met while other requests were in flight is no reason to lose the example; alone again, it raises."""
    from conformance.retry import StillTransient

    tries: dict[int, int] = {}

    def send(n: int) -> int:
        tries[n] = tries.get(n, 0) + 1
        if n == 2 and tries[n] == 1:
            raise StillTransient("the server kept answering 429")
        return n

    assert send_all([0, 1, 2, 3], send, 4) == [0, 1, 2, 3]
    assert tries == {0: 1, 1: 1, 2: 2, 3: 1}

    def always(n: int) -> int:
        raise StillTransient("the server kept answering 429")

    with pytest.raises(StillTransient):
        send_all([0, 1], always, 2)


# --- upstream mode: valid requests drawn from an upstream document given at run time ---------------------------

ERROR = {"$ref": "#/components/schemas/Error"}


def upstream_fragment(extra: dict | None = None) -> dict:
    """A small upstream document: POST /embeddings as upstream may one day document it, and GET /files."""
    properties = {"input": {"type": "string", "enum": ["hello"]}, "model": {"type": "string"}, **(extra or {})}
    body = {"type": "object", "required": list(properties), "properties": properties, "additionalProperties": False}
    answer = {"200": {"description": "ok", "content": {"application/json": {"schema": {"type": "object"}}}}}
    return {
        "openapi": "3.1.0",
        "info": {"title": "upstream", "version": "0"},
        "paths": {
            "/embeddings": {"post": {"requestBody": {"required": True, "content": {"application/json": {
                "schema": body}}}, "responses": answer}},
            "/files": {"get": {"parameters": [
                {"name": "limit", "in": "query", "required": True, "schema": {"type": "integer"}},
                {"name": "after", "in": "query", "required": True, "schema": {"type": "string"}},
            ], "responses": answer}},
        },
    }


def upstream_run(pytester, monkeypatch, document: dict, name: str) -> dict:
    path = pytester.path / name  # a document is read once per process, by its path
    path.write_text(json.dumps(document), encoding="utf-8")
    return certify(pytester, monkeypatch, frozenset(), GENERATED, "--oai-upstream", str(path), "-k", "upstream")


def test_upstream_mode_finds_what_the_server_refuses_that_upstream_documents(pytester, monkeypatch):
    """A parameter upstream documents and the server (here: the reference, knowing only our schemas) refuses is a
    warning of generated.valid.accepted that names it; without it, the same requests pass."""
    results = upstream_run(pytester, monkeypatch, upstream_fragment({"x_new_param": {"type": "boolean"}}), "new.json")
    assert generated(results)["generated.valid.accepted"] == "warn"
    entry = next(r for r in results["requirements"] if r["id"] == "generated.valid.accepted")
    assert {f["case"].split("[")[1] for f in entry["failures"]} == {"upstream POST /embeddings]"}
    assert all("x_new_param" in f["message"] for f in entry["failures"] if f["exchange"] is not None)
    sent = [e["request"] for e in results["exchanges"].values() if e["request"]["method"] == "POST"]
    assert sent and all('"x_new_param"' in r["body"] for r in sent if "/embeddings" in r["url"])

    results = upstream_run(pytester, monkeypatch, upstream_fragment(), "today.json")
    assert generated(results)["generated.valid.accepted"] == "pass", [
        f["message"] for r in results["requirements"] if r["id"] == "generated.valid.accepted" for f in r["failures"]]


def test_upstream_requests_name_no_cursor_and_keep_our_documented_bounds(tmp_path):
    """A cursor names nothing the run made; a limit outside our documented 1..10000 is not a valid request."""
    path = tmp_path / "upstream.json"
    path.write_text(json.dumps(upstream_fragment()), encoding="utf-8")
    files = next(op for op in operations() if op.label == "GET /files")
    requests = draw_requests(files, "positive", GenerationSettings(examples=25), shape=lambda b: b, upstream=str(path))
    assert requests and len({json.dumps(r.query, sort_keys=True) for r in requests}) == len(requests), "no repeats"
    for request in requests:
        assert "after" not in request.query and 1 <= request.query["limit"] <= 10_000, request.query
    missing = next(op for op in operations() if op.label == "GET /models")
    assert draw_requests(missing, "positive", GenerationSettings(), shape=lambda b: b, upstream=str(path)) == []


def test_an_unreadable_upstream_stops_the_run_before_any_request(tmp_path):
    missing = tmp_path / "nope.yaml"
    proc = cli(tmp_path, "run", "--upstream", str(missing))
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.strip().splitlines() == [f"oai-conformance: error: --upstream: cannot read {missing}: "
                                                "No such file or directory"]  # fmt: skip
    assert not (tmp_path / "reports").exists()


def test_a_roomy_stack_is_only_a_call():
    """What the drawing runs in (generation.on_a_roomy_stack; benchmarks/drawing.py shows what it saves and that it
    draws the same): the function's answer, or its exception, as a plain call gives them."""
    assert on_a_roomy_stack(divmod, 7, 2) == (3, 1)
    assert on_a_roomy_stack(lambda: on_a_roomy_stack(len, "abc")) == 3
    with pytest.raises(ZeroDivisionError):
        on_a_roomy_stack(divmod, 1, 0)


class _AheadSeen:
    """An in-process plugin of the inner run: the draws started ahead as its collection ended (after the suite's
    plugin, which starts them), and those left when its session ended."""

    def __init__(self) -> None:
        self.started: list[str] = []
        self.left: list[str] = []

    @pytest.hookimpl(trylast=True)
    def pytest_collection_finish(self, session: pytest.Session) -> None:
        from conformance import generation

        self.started = list(generation._AHEAD)

    @pytest.hookimpl(tryfirst=True)
    def pytest_sessionfinish(self) -> None:
        from conformance import generation

        self.left = list(generation._AHEAD)


def test_a_run_starts_the_draws_of_its_generated_rounds_as_it_starts(pytester, monkeypatch, tmp_path):
    """Before its first case, a run has started the draw of each generated round it will send (claimed, selected,
    not kept yet), and each round took its own: none is left at the end."""
    seen = _AheadSeen()
    monkeypatch.setenv(KEY_ENV, KEY)
    with briefly_serve(ServerConfig(api_key=KEY)) as server:
        pytester.runpytest_inprocess(
            *cases_args(tmp_path / "reports", GENERATED), "--oai-base-url", server.base_url, "--oai-api-key-env",
            KEY_ENV, "--oai-draws", str(tmp_path / "draws"), "--oai-examples", "2", "-k", "embeddings or moderations",
            plugins=[seen],
        )  # fmt: skip
    results = json.loads((tmp_path / "reports" / "results.json").read_text(encoding="utf-8"))
    assert set(generated(results).values()) == {"pass"}, generated(results)
    # POST /embeddings and POST /moderations, each valid and invalid (neither streams)
    assert len(seen.started) == 4, seen.started
    assert seen.left == []
    assert len(list((tmp_path / "draws").glob("*.json"))) == 4
