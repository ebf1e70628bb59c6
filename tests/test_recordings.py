"""Ground truth: every real OpenAI answer in ../shared/recordings passes every check that applies to it.

A check that fails a recording is stricter than the real API: a false alarm, and a bug of the suite.
The recorder kept parsed chunks rather than the SSE framing, so streams are rebuilt with `data:` lines and
`[DONE]`; it also wrote `created: 1234567890` everywhere, which is why these run with `live=False`.
"""

from __future__ import annotations

import json

import pytest

from conformance.checks.chat_stream import ChatStream
from conformance.checks.rule import CASE_BOUND, CHECKS, Context
from conformance.exchange import Exchange
from conformance.judgement import Status, judge
from conformance.requirements import catalogue
from tests._shared import RECORDINGS, recordings

pytestmark = pytest.mark.skipif(not RECORDINGS.is_dir(), reason=f"the recordings are not at {RECORDINGS}")

CONTEXT = Context(live=False)

# The rules that judge one exchange of each kind; the others need a subject a case builds (pairs, probes).
COMPLETION_RULES = [
    r
    for r in catalogue()
    if r.startswith("chat.") and r not in CASE_BOUND and not r.startswith(("chat.stream.", "chat.tools.stream-"))
]
STREAM_RULES = [
    r
    for r in catalogue()
    if r.startswith(("chat.stream.", "chat.tools.stream-"))
    and r not in ("chat.stream.options-require-stream", "chat.stream.errors-before-stream")
]
ERROR_RULES = ["errors.envelope.schema", "errors.status.never-422", "errors.status.never-5xx", "errors.request.type"]
EMBEDDING_RULES = ["embeddings.list.schema", "embeddings.data.order"]


def exchange_of(record: dict, path: str) -> Exchange:
    response = record["response"]
    body = response["body"]
    return Exchange.build(
        method="POST",
        url=f"https://api.openai.com/v1{path}",
        request_headers={"content-type": "application/json"},
        request_body=json.dumps(record["scenario"]["requestBody"]).encode(),
        status=response["status"],
        response_headers=response.get("headers") or {},
        response_body=json.dumps(body).encode(),
    )


def failures(observations) -> list[str]:
    return [str(f) for o in observations if o.status in (Status.FAIL, Status.WARN) for f in o.failures]


def chat_records(kind: str) -> list[dict]:
    out = []
    for record in recordings("chat-completions"):
        body = record["response"]["body"]
        status = record["response"]["status"]
        kinds = {
            "stream": isinstance(body, list),
            "completion": status == 200 and isinstance(body, dict),
            "error": status >= 400,
        }
        if kinds[kind]:
            out.append(record)
    return out


def test_the_recordings_hold_what_the_readme_says():
    assert len(chat_records("completion")) == 480
    assert len(chat_records("stream")) == 50
    assert len(chat_records("error")) == 866


def test_every_recorded_completion_passes():
    problems = {}
    for record in chat_records("completion"):
        found = failures(judge(exchange_of(record, "/chat/completions"), COMPLETION_RULES, CONTEXT))
        if found:
            problems[record["scenario"]["spec"]["name"]] = found
    assert not problems, json.dumps(problems, indent=1)[:4000]


def test_every_recorded_stream_passes():
    problems = {}
    for record in chat_records("stream"):
        stream = ChatStream.from_chunks(record["response"]["body"], record["scenario"]["requestBody"])
        found = failures(judge(stream, STREAM_RULES, CONTEXT))
        if found:
            problems[record["scenario"]["spec"]["name"]] = found
    assert not problems, json.dumps(problems, indent=1)[:4000]


@pytest.mark.parametrize("name", ["chat-completions", "embeddings"])
def test_every_recorded_error_passes(name):
    problems = {}
    for record in recordings(name):
        if record["response"]["status"] >= 400:
            found = failures(judge(exchange_of(record, "/x"), ERROR_RULES, CONTEXT))
            if found:
                problems[record["scenario"]["spec"]["name"]] = found
    assert not problems, json.dumps(problems, indent=1)[:4000]


def test_every_recorded_embedding_passes():
    judged = 0
    for record in recordings("embeddings"):
        if record["response"]["status"] == 200:
            judged += 1
            assert not failures(judge(exchange_of(record, "/embeddings"), EMBEDDING_RULES, CONTEXT)), record["scenario"]
    assert judged == 8


def test_the_recorded_error_statuses_match_the_status_rules():
    """What the real API answered to each kind of mistake is what the status rules expect."""
    statuses = {(r["response"]["body"]["error"].get("code"), r["response"]["status"]) for r in chat_records("error")}
    assert ("model_not_found", 404) in statuses
    assert all(status in (400, 404) for _, status in statuses)
    stream_options = [
        r for r in chat_records("error") if r["response"]["body"]["error"].get("param") == "stream_options"
    ]
    assert stream_options and all(r["response"]["status"] == 400 for r in stream_options)
    assert (
        judge(exchange_of(stream_options[0], "/chat/completions"), ["chat.stream.options-require-stream"], CONTEXT)[
            0
        ].status
        is Status.PASS
    )


def test_the_rules_run_here_have_checks():
    for rid in COMPLETION_RULES + STREAM_RULES + ERROR_RULES + EMBEDDING_RULES:
        assert rid in CHECKS, rid


def test_the_rules_with_a_precondition_judged_real_mistakes():
    """The status rules that read their precondition from the request found it in the recordings, and passed."""
    both = [
        r for r in chat_records("error") if {"max_tokens", "max_completion_tokens"} <= set(r["scenario"]["requestBody"])
    ]
    assert both
    for record in both:
        [obs] = judge(exchange_of(record, "/chat/completions"), ["chat.token-limits.both-rejected"], CONTEXT)
        assert obs.status is Status.PASS, record["scenario"]["spec"]["name"]
