"""Throughput against the reference server: `pytest benchmarks --benchmark-only` (not part of the test run).

- a plain httpx loop, the floor: what the server and httpx cost without the suite;
- the suite's client (redaction, exchange log, usage) and the client plus the judgement of a completion;
- stream chunks validated per second by every chat stream rule.
Requests per second = ROUNDS_REQUESTS / the mean time of one round.
"""

from __future__ import annotations

import json
import os

import httpx
import pytest

from conformance.case import chat_body
from conformance.checks.chat_stream import ChatStream
from conformance.checks.rule import Context
from conformance.client import Client
from conformance.judgement import judge
from conformance.reference import ServerConfig, serve_apart
from conformance.requirements import catalogue
from conformance.target import Target

REQUESTS = 50
KEY_ENV = "OAI_BENCH_KEY"
COMPLETION_RULES = [
    "chat.completion.schema",
    "chat.completion.created-seconds",
    "chat.completion.model-present",
    "chat.completion.choice-indices",
    "chat.completion.finish-reason",
    "chat.usage.adds-up",
]
STREAM_RULES = [
    r
    for r in catalogue()
    if r.startswith(("chat.stream.", "chat.tools.stream-"))
    and r not in ("chat.stream.options-require-stream", "chat.stream.errors-before-stream")
]


@pytest.fixture(scope="module")
def server():
    # In a process of its own, as a run serves it (and as any real server is): in a thread of this one, the server
    # would take turns with the client for one interpreter lock, and the floor would carry the client's cost.
    os.environ[KEY_ENV] = "sk-bench-key"
    with serve_apart(ServerConfig(api_key="sk-bench-key")) as running:
        yield running


@pytest.fixture(scope="module")
def body():
    return chat_body("gpt-4o-mini")


def test_plain_httpx_loop(benchmark, server, body):
    with httpx.Client(headers={"Authorization": "Bearer sk-bench-key"}) as client:

        def loop():
            for _ in range(REQUESTS):
                client.post(server.base_url + "/chat/completions", json=body).raise_for_status()

        benchmark(loop)
    benchmark.extra_info["requests_per_round"] = REQUESTS


def test_suite_client(benchmark, server, body):
    with Client(Target(base_url=server.base_url, api_key_env=KEY_ENV)) as client:

        def loop():
            for _ in range(REQUESTS):
                assert client.request("POST", "/chat/completions", json=body).response.status == 200

        benchmark(loop)
    benchmark.extra_info["requests_per_round"] = REQUESTS


def test_suite_client_and_judge(benchmark, server, body):
    with Client(Target(base_url=server.base_url, api_key_env=KEY_ENV)) as client:

        def loop():
            for _ in range(REQUESTS):
                exchange = client.request("POST", "/chat/completions", json=body)
                judge(exchange, COMPLETION_RULES, Context())

        benchmark(loop)
    benchmark.extra_info["requests_per_round"] = REQUESTS


def test_stream_chunks_validated(benchmark):
    chunks = [
        {
            "id": "chatcmpl-1",
            "object": "chat.completion.chunk",
            "created": 1_730_000_000,
            "model": "gpt-4o-mini",
            "system_fingerprint": None,
            "choices": [{"index": 0, "delta": {"content": f"word{i} "}, "logprobs": None, "finish_reason": None}],
        }
        for i in range(2000)
    ]
    chunks[0]["choices"][0]["delta"]["role"] = "assistant"
    chunks[-1]["choices"][0].update(delta={}, finish_reason="stop")
    body = b"".join(b"data: " + json.dumps(c).encode() + b"\n\n" for c in chunks) + b"data: [DONE]\n\n"

    def validate():
        stream = ChatStream.from_bytes(body, {"stream": True})
        observations = judge(stream, STREAM_RULES, Context())
        assert not [o for o in observations if o.failures]

    benchmark(validate)
    benchmark.extra_info["chunks_per_round"] = len(chunks)
