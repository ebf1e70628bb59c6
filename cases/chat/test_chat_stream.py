"""Chat completion streams: framing, chunks, roles, finish reasons and usage."""

import pytest

from conformance.case import ChatStream, chat_body, requirement

EVERY_STREAM = (
    "chat.stream.content-type",
    "chat.stream.framing",
    "chat.stream.event-json",
    "chat.stream.done-last",
    "chat.stream.chunk-schema",
    "chat.stream.same-identity",
    "chat.stream.created-seconds",
    "chat.stream.role-first",
    "chat.stream.role-once",
    "chat.stream.finish-reason-once",
)
USAGE = ("chat.stream.usage-last", "chat.stream.usage-adds-up", "chat.stream.no-usage-unrequested")


@requirement(*EVERY_STREAM, *USAGE)
@pytest.mark.parametrize("include_usage", [True, False], ids=["with-usage", "without-usage"])
def test_stream(oai_client, oai_target, oai_judge, include_usage):
    options = {"stream_options": {"include_usage": True}} if include_usage else {}
    body = chat_body(oai_target.model("chat"), stream=True, **options)
    stream = ChatStream.from_exchange(oai_client.request("POST", "/chat/completions", json=body))
    oai_judge(stream, *EVERY_STREAM, *USAGE)


@requirement("chat.stream.max-tokens-length", "chat.stream.done-last")
def test_stream_cut(oai_client, oai_target, oai_judge):
    # The prompt asks for twenty words: two tokens cannot hold the answer.
    body = chat_body(oai_target.model("chat"), stream=True, max_tokens=2)
    stream = ChatStream.from_exchange(oai_client.request("POST", "/chat/completions", json=body))
    oai_judge(stream, "chat.stream.max-tokens-length", "chat.stream.done-last")


@requirement(*EVERY_STREAM)
def test_stream_two_choices(oai_client, oai_target, oai_judge):
    exchange = oai_client.request(
        "POST", "/chat/completions", json=chat_body(oai_target.model("chat"), stream=True, n=2, max_tokens=3)
    )
    if exchange.response is not None and 400 <= exchange.response.status < 500:
        pytest.skip("the server declines n=2 explicitly (chat.n.choices reports it)")
    oai_judge(ChatStream.from_exchange(exchange), *EVERY_STREAM)


@requirement("chat.stream.options-require-stream", "errors.request.param-named", "errors.envelope.schema")
def test_stream_options_without_stream(oai_client, oai_target, oai_judge):
    body = chat_body(oai_target.model("chat"), stream_options={"include_usage": True})
    exchange = oai_client.request("POST", "/chat/completions", json=body)
    oai_judge(
        exchange,
        "chat.stream.options-require-stream",
        "errors.request.param-named",
        "errors.envelope.schema",
        expect={"param": "stream_options"},
    )


@requirement("chat.stream.errors-before-stream", "errors.envelope.schema")
def test_stream_bad_request(oai_client, oai_target, oai_judge):
    exchange = oai_client.request(
        "POST", "/chat/completions", json=chat_body(oai_target.model("chat"), stream=True, temperature="hot")
    )
    oai_judge(exchange, "chat.stream.errors-before-stream", "errors.envelope.schema")
