"""The official `openai` SDK drives every Assistants API operation against the reference server without an
exception: `client.beta.assistants`, `client.beta.threads` (create_and_run, its poll and stream helpers),
`...threads.messages`, `...threads.runs` (create_and_poll, stream, submit_tool_outputs, cancel) and
`...runs.steps` (with `include`), sending `OpenAI-Beta: assistants=v2` as the API requires."""

from __future__ import annotations

import os
import warnings

import pytest

from tests._sdk import reference_sdk

openai = pytest.importorskip("openai")

KEY = "sk-sdk-assistants-" + os.urandom(8).hex()
MODEL = "gpt-4o-mini"
WEATHER = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
    },
}
INCLUDE = "step_details.tool_calls[*].file_search.results[*].content"


@pytest.fixture(scope="module")
def client():
    with warnings.catch_warnings(), reference_sdk(KEY) as sdk:
        warnings.simplefilter("ignore", DeprecationWarning)  # the SDK marks the Assistants API deprecated
        yield sdk.beta


def test_the_sdk_sends_the_beta_header(client) -> None:
    raw = client.assistants.with_raw_response.list(limit=1)
    assert raw.http_request.headers["openai-beta"] == "assistants=v2"


def test_assistants(client) -> None:
    made = client.assistants.create(
        model=MODEL,
        name="Math Tutor",
        tools=[{"type": "code_interpreter"}],
        metadata={"k": "v"},
        response_format="auto",
    )
    assert made.object == "assistant" and made.metadata == {"k": "v"} and made.tools[0].type == "code_interpreter"
    assert client.assistants.retrieve(made.id).name == "Math Tutor"
    assert client.assistants.update(made.id, name="Renamed").name == "Renamed"
    others = [client.assistants.create(model=MODEL).id for _ in range(3)]
    walked = [a.id for a in client.assistants.list(limit=1)]  # the SDK follows `after` page by page
    assert set([made.id, *others]) <= set(walked) and len(walked) == len(set(walked))
    gone = client.assistants.delete(made.id)
    assert gone.deleted and gone.object == "assistant.deleted"
    with pytest.raises(openai.NotFoundError):
        client.assistants.retrieve(made.id)


def test_threads_and_messages(client) -> None:
    thread = client.threads.create(messages=[{"role": "user", "content": "Hello."}], metadata={"k": "v"})
    assert client.threads.retrieve(thread.id).metadata == {"k": "v"}
    assert client.threads.update(thread.id, metadata={"k": "w"}).metadata == {"k": "w"}
    message = client.threads.messages.create(
        thread.id,
        role="user",
        content="More.",
        attachments=[{"file_id": "file-abc", "tools": [{"type": "file_search"}]}],
    )
    assert message.content[0].text.value == "More." and message.attachments[0].file_id == "file-abc"
    assert client.threads.messages.retrieve(message.id, thread_id=thread.id).id == message.id
    assert client.threads.messages.update(message.id, thread_id=thread.id, metadata={"a": "b"}).metadata == {"a": "b"}
    listed = [m.id for m in client.threads.messages.list(thread.id, limit=1, order="asc")]
    assert listed[-1] == message.id and len(listed) == 2
    assert client.threads.messages.delete(message.id, thread_id=thread.id).deleted
    assert client.threads.delete(thread.id).deleted


def test_runs_poll_through_tool_outputs_and_steps(client) -> None:
    assistant = client.assistants.create(model=MODEL, tools=[WEATHER])
    thread = client.threads.create(messages=[{"role": "user", "content": "Weather in Paris?"}])
    run = client.threads.runs.create_and_poll(thread_id=thread.id, assistant_id=assistant.id, poll_interval_ms=1)
    assert run.status == "requires_action" and run.required_action is not None
    [call] = run.required_action.submit_tool_outputs.tool_calls
    assert call.function.name == "get_weather"
    run = client.threads.runs.submit_tool_outputs_and_poll(
        run_id=run.id,
        thread_id=thread.id,
        tool_outputs=[{"tool_call_id": call.id, "output": "Sunny."}],
        poll_interval_ms=1,
    )
    assert run.status == "completed"
    steps = list(client.threads.runs.steps.list(run.id, thread_id=thread.id, include=[INCLUDE]))
    assert {s.type for s in steps} == {"tool_calls", "message_creation"}
    one = client.threads.runs.steps.retrieve(steps[0].id, thread_id=thread.id, run_id=run.id, include=[INCLUDE])
    assert one.id == steps[0].id
    assert client.threads.runs.update(run.id, thread_id=thread.id, metadata={"k": "v"}).metadata == {"k": "v"}
    assert [r.id for r in client.threads.runs.list(thread.id)] == [run.id]
    [reply] = client.threads.messages.list(thread.id, run_id=run.id).data
    assert reply.role == "assistant" and "Sunny." in reply.content[0].text.value


def test_runs_cancel_and_retrieve(client) -> None:
    assistant = client.assistants.create(model=MODEL, tools=[WEATHER])
    thread = client.threads.create()
    run = client.threads.runs.create(thread_id=thread.id, assistant_id=assistant.id)
    assert run.status == "queued"
    assert client.threads.runs.cancel(run.id, thread_id=thread.id).status == "cancelling"
    assert client.threads.runs.retrieve(run.id, thread_id=thread.id).status == "cancelled"


def test_create_and_run(client) -> None:
    assistant = client.assistants.create(model=MODEL)
    run = client.threads.create_and_run(
        assistant_id=assistant.id, thread={"messages": [{"role": "user", "content": "Hi."}]}
    )
    assert run.object == "thread.run" and run.thread_id
    polled = client.threads.create_and_run_poll(assistant_id=assistant.id, poll_interval_ms=1)
    assert polled.status == "completed"


def test_streams(client) -> None:
    assistant = client.assistants.create(model=MODEL, tools=[WEATHER])
    with client.threads.create_and_run_stream(
        assistant_id=assistant.id, tool_choice="none", thread={"messages": [{"role": "user", "content": "Hi."}]}
    ) as stream:
        stream.until_done()
        assert stream.current_run is not None and stream.current_run.status == "completed"
        [message] = stream.get_final_messages()
        assert message.content[0].text.value.startswith("OK.")
    thread = client.threads.create()
    with client.threads.runs.stream(thread_id=thread.id, assistant_id=assistant.id) as stream:
        stream.until_done()
        run = stream.current_run
    assert run is not None and run.status == "requires_action"
    [call] = run.required_action.submit_tool_outputs.tool_calls
    with client.threads.runs.submit_tool_outputs_stream(
        run_id=run.id, thread_id=thread.id, tool_outputs=[{"tool_call_id": call.id, "output": "Sunny."}]
    ) as stream:
        events = [event.event for event in stream]
    assert events[0] == "thread.run.queued" and events[-1] == "thread.run.completed"
    assert "thread.message.delta" in events
