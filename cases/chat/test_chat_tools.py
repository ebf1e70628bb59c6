"""Function tools: tool calls, their string arguments, finish_reason, and their streamed deltas."""

import pytest

from conformance.case import ChatStream, chat_body, requirement

WEATHER = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Get the current weather in a city",
        "parameters": {
            "type": "object",
            "properties": {"city": {"type": "string"}, "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]}},
            "required": ["city"],
        },
    },
}
TIME = {
    "type": "function",
    "function": {
        "name": "get_time",
        "description": "Get the local time in a city",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
    },
}
ASK = "What is the weather and the local time in Paris and in Tokyo? Use the tools."
CALL = ("chat.tools.call-shape", "chat.tools.arguments-json", "chat.tools.finish-reason", "chat.tools.choice-honoured")
STREAMED = (
    "chat.tools.stream-index",
    "chat.tools.stream-first-delta",
    "chat.tools.stream-arguments-json",
    "chat.stream.done-last",
    "chat.stream.chunk-schema",
    "chat.stream.finish-reason-once",
)
# Tool calls need room: the arguments of two calls do not fit in a handful of tokens.
ROOM = 80

CHOICES = {
    "auto": "auto",
    "required": "required",
    "named": {"type": "function", "function": {"name": "get_weather"}},
}


@requirement(*CALL)
@pytest.mark.parametrize("choice", CHOICES)
def test_tool_call(oai_client, oai_target, oai_judge, choice):
    body = chat_body(oai_target.model("chat"), ASK, tools=[WEATHER, TIME], tool_choice=CHOICES[choice], max_tokens=ROOM)
    exchange = oai_client.request("POST", "/chat/completions", json=body)
    oai_judge(exchange, *CALL)


@requirement(*STREAMED)
@pytest.mark.parametrize("choice", ["auto", "required"])
def test_tool_call_stream(oai_client, oai_target, oai_judge, choice):
    # `auto` is where parallel calls (several indices) usually appear; `required` guarantees at least one call.
    body = chat_body(
        oai_target.model("chat"), ASK, tools=[WEATHER, TIME], tool_choice=choice, stream=True, max_tokens=ROOM
    )
    exchange = oai_client.request("POST", "/chat/completions", json=body)
    oai_judge(ChatStream.from_exchange(exchange), *STREAMED)
