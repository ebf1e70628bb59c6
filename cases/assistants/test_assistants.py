"""The Assistants API (deprecated upstream, still documented and served): assistants, threads and their messages
over their lives, the lists and their pages, runs followed over polling through their status machine (a plain run
to its message, a run with a function tool through requires_action and its tool outputs, a cancelled run), a thread
created and run, streamed runs, and the beta header every request carries.

Every request goes with `OpenAI-Beta: assistants=v2` (the client adds it on these paths). A run calls the model:
each asks for a few tokens (`max_completion_tokens`). Runs take seconds on a real server: the cases poll within
`RUN_WAIT`, and a rule that needs an end the run did not reach in that time skips, saying what was seen. What a
case makes it deletes (an assistant, a thread with its messages and runs); the ledger deletes the rest.
"""

import time

import pytest

from conformance.case import Lifecycle, requirement, walk
from conformance.checks.assistants import RunLife, RunStream, run_of, tool_outputs

RUN_WAIT = 60.0
FIRST_POLL, LONGEST_POLL = 0.1, 2.0
ENDS = ("completed", "failed", "cancelled", "expired", "incomplete")
METADATA = {"oai_conformance": "assistants"}
SAY = "Say OK."
LIMITS = {"max_completion_tokens": 16, "max_prompt_tokens": 2048}
WEATHER = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "The weather in a city",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
    },
}
# A run that must call get_weather (cancelled before it could go on); others are asked to (CALL), with room for
# the call's arguments.
FORCED = {"type": "function", "function": {"name": "get_weather"}}
CALL = "Call get_weather for Paris, then say what it returned."
TOOL_LIMITS = {**LIMITS, "max_completion_tokens": 64}
ASSISTANT_LIFE = (
    "assistants.retrieve.same",
    "assistants.modify.kept",
    "assistants.list.contains",
    "assistants.delete.deleted",
    "assistants.object.all-keys",
)
PAGES = (
    "assistants.pages.limit",
    "assistants.pages.has-more",
    "assistants.pages.first-last-ids",
    "assistants.pages.after-continues",
    "assistants.pages.walk-once",
    "assistants.pages.invalid-limit",
)
THREAD_LIFE = (
    "assistants.threads.create.messages",
    "assistants.threads.retrieve.same",
    "assistants.threads.modify.kept",
    "assistants.threads.delete.deleted",
)
MESSAGE_LIFE = (
    "assistants.messages.retrieve.same",
    "assistants.messages.modify.kept",
    "assistants.messages.delete.deleted",
)
MESSAGE_PAGES = (
    "assistants.messages.pages.limit",
    "assistants.messages.pages.has-more",
    "assistants.messages.pages.first-last-ids",
    "assistants.messages.pages.after-continues",
    "assistants.messages.pages.walk-once",
    "assistants.messages.pages.order-reverses",
    "assistants.messages.pages.invalid-limit",
)
RUN = (
    "assistants.runs.create.schema",
    "assistants.runs.status.transitions",
    "assistants.runs.completed.message",
    "assistants.messages.list.run-id",
    "assistants.runs.retrieve.listed",
    "assistants.runs.steps.same",
)
TOOLS = (
    "assistants.runs.required-action",
    "assistants.runs.step-tool-calls",
    "assistants.runs.submit.continues",
)
STREAM = (
    "assistants.stream.content-type",
    "assistants.stream.run-order",
    "assistants.stream.item-order",
    "assistants.stream.message-text",
    "assistants.stream.event-data",
    "assistants.stream.done-last",
)


def made_id(exchange):
    body = exchange.response.json if exchange.response is not None and exchange.response.status == 200 else None
    ident = body.get("id") if isinstance(body, dict) else None
    return ident if isinstance(ident, str) and ident else None


def assistant(oai_client, oai_target, **extra):
    body = {
        "model": oai_target.model("chat"),
        "name": "oai-conformance",
        "instructions": SAY,
        "metadata": METADATA,
        **extra,
    }
    return oai_client.request("POST", "/assistants", json=body)


def delete(oai_client, path, exchange) -> None:
    if ident := made_id(exchange):
        oai_client.request("DELETE", f"{path}/{ident}")


def poll(oai_client, path, until=ENDS):
    """GET `path` until the run's status is one of `until` or RUN_WAIT passed: the polls, in order."""
    polls = []
    wait, deadline = FIRST_POLL, time.monotonic() + RUN_WAIT
    while True:
        exchange = oai_client.request("GET", path)
        polls.append(("poll", exchange))
        body = exchange.response.json if exchange.response is not None and exchange.response.status == 200 else None
        if not isinstance(body, dict) or body.get("status") in until or time.monotonic() > deadline:
            return polls
        time.sleep(wait)
        wait = min(wait * 2, LONGEST_POLL)


@requirement("assistants.create.schema", "assistants.create.echoes", *ASSISTANT_LIFE)
def test_assistant_life(oai_client, oai_target, oai_judge):
    made = assistant(
        oai_client,
        oai_target,
        description="A conformance run's assistant",
        tools=[WEATHER],
        temperature=0.5,
        top_p=0.9,
        response_format="auto",
    )
    oai_judge(made, "assistants.create.schema", "assistants.create.echoes")
    ident = made_id(made)
    if ident is None:
        oai_judge(Lifecycle(made), *ASSISTANT_LIFE)
        return
    other = assistant(oai_client, oai_target)
    path = f"/assistants/{ident}"
    steps = (
        ("retrieve", oai_client.request("GET", path)),
        (
            "modify",
            oai_client.request(
                "POST", path, json={"name": "oai-conformance-renamed", "metadata": {"oai_conformance": "modified"}}
            ),
        ),
        ("retrieve-modified", oai_client.request("GET", path)),
        ("created", other),
        ("list", oai_client.request("GET", "/assistants", params={"limit": 100})),
        ("delete", oai_client.request("DELETE", path)),
        ("retrieve-deleted", oai_client.request("GET", path)),
    )
    delete(oai_client, "/assistants", other)
    oai_judge(Lifecycle(made, steps), *ASSISTANT_LIFE)


@pytest.mark.alone  # its window is the account's newest assistants: another case's would enter it
@requirement(*PAGES)
def test_assistants_list_pages(oai_client, oai_target, oai_judge):
    # Four assistants; the window is the three after the newest, newest first, in pages of one (the account's
    # other assistants lie beyond it: DECISIONS.md assistants-list-window).
    made = [assistant(oai_client, oai_target, name=f"oai-conformance-page-{n}") for n in range(4)]
    idents = [made_id(e) for e in made]
    try:
        if None in idents:
            pytest.skip(f"creating the assistants failed: {made[idents.index(None)].response}")
        oai_judge(
            walk(oai_client, "/assistants", limit=1, params={"after": idents[-1]}, ordered=False, window=3), *PAGES
        )
    finally:
        for exchange in made:
            delete(oai_client, "/assistants", exchange)


@requirement("assistants.beta-header.required")
def test_beta_header(oai_client, oai_judge):
    exchange = oai_client.request("GET", "/assistants", params={"limit": 1}, headers={"OpenAI-Beta": ""})
    oai_judge(exchange, "assistants.beta-header.required")


@requirement("assistants.threads.create.schema", *THREAD_LIFE, "assistants.messages.create.schema", *MESSAGE_LIFE)
def test_thread_and_messages(oai_client, oai_judge):
    sent = [
        {"role": "user", "content": "Hello."},
        {"role": "assistant", "content": "Hi."},
        {"role": "user", "content": [{"type": "text", "text": SAY}], "metadata": {"n": "3"}},
    ]
    made = oai_client.request("POST", "/threads", json={"messages": sent, "metadata": METADATA})
    oai_judge(made, "assistants.threads.create.schema")
    ident = made_id(made)
    if ident is None:
        oai_judge(Lifecycle(made), *THREAD_LIFE)
        return
    path = f"/threads/{ident}"
    try:
        message = oai_client.request(
            "POST", f"{path}/messages", json={"role": "user", "content": "And one more.", "metadata": METADATA}
        )
        oai_judge(message, "assistants.messages.create.schema")
        if mid := made_id(message):
            at = f"{path}/messages/{mid}"
            oai_judge(
                Lifecycle(
                    message,
                    (
                        ("retrieve", oai_client.request("GET", at)),
                        ("modify", oai_client.request("POST", at, json={"metadata": {"oai_conformance": "modified"}})),
                        ("retrieve-modified", oai_client.request("GET", at)),
                        ("delete", oai_client.request("DELETE", at)),
                        ("list", oai_client.request("GET", f"{path}/messages", params={"limit": 100})),
                    ),
                ),
                *MESSAGE_LIFE,
            )
        steps = (
            ("messages", oai_client.request("GET", f"{path}/messages", params={"limit": 100, "order": "asc"})),
            ("retrieve", oai_client.request("GET", path)),
            ("modify", oai_client.request("POST", path, json={"metadata": {"oai_conformance": "modified"}})),
            ("retrieve-modified", oai_client.request("GET", path)),
            ("delete", oai_client.request("DELETE", path)),
            ("retrieve-deleted", oai_client.request("GET", path)),
        )
    finally:
        oai_client.request("DELETE", path)
    oai_judge(Lifecycle(made, steps), *THREAD_LIFE)


@requirement(*MESSAGE_PAGES)
def test_messages_list_pages(oai_client, oai_judge):
    sent = [{"role": "user", "content": f"Message {n}."} for n in range(5)]
    made = oai_client.request("POST", "/threads", json={"messages": sent, "metadata": METADATA})
    ident = made_id(made)
    if ident is None:
        pytest.skip(f"creating the thread failed: {made.response}")
    try:
        oai_judge(walk(oai_client, f"/threads/{ident}/messages", limit=2), *MESSAGE_PAGES)
    finally:
        oai_client.request("DELETE", f"/threads/{ident}")


def thread_with_assistant(oai_client, oai_target, **extra):
    """(the assistant's exchange, the thread's exchange), or a skip when the server would not make them."""
    made = assistant(oai_client, oai_target, **extra)
    thread = oai_client.request(
        "POST", "/threads", json={"messages": [{"role": "user", "content": SAY}], "metadata": METADATA}
    )
    if made_id(made) is None or made_id(thread) is None:
        delete(oai_client, "/assistants", made)
        delete(oai_client, "/threads", thread)
        pytest.skip(f"creating the assistant and thread failed: {made.response} {thread.response}")
    return made, thread


@requirement(*RUN)
def test_run_to_its_message(oai_client, oai_target, oai_judge):
    made, thread = thread_with_assistant(oai_client, oai_target)
    path = f"/threads/{made_id(thread)}"
    try:
        run = oai_client.request("POST", f"{path}/runs", json={"assistant_id": made_id(made), **LIMITS})
        ident = made_id(run)
        if ident is None:
            oai_judge(RunLife(run), *RUN)
            return
        at = f"{path}/runs/{ident}"
        steps = poll(oai_client, at)
        listing = oai_client.request("GET", f"{at}/steps")
        first = (listing.response.json or {}).get("data") if listing.response is not None else None
        step_id = first[0].get("id") if isinstance(first, list) and first and isinstance(first[0], dict) else "none"
        steps += [
            ("steps", listing),
            ("step", oai_client.request("GET", f"{at}/steps/{step_id}")),
            ("messages", oai_client.request("GET", f"{path}/messages", params={"run_id": ident})),
            ("all-messages", oai_client.request("GET", f"{path}/messages", params={"limit": 100})),
            ("modify", oai_client.request("POST", at, json={"metadata": {"oai_conformance": "modified"}})),
            ("runs", oai_client.request("GET", f"{path}/runs", params={"limit": 100})),
            ("poll", oai_client.request("GET", at)),
        ]
        oai_judge(RunLife(run, tuple(steps), waited=RUN_WAIT), *RUN)
    finally:
        delete(oai_client, "/threads", thread)
        delete(oai_client, "/assistants", made)


@requirement(*TOOLS)
def test_run_with_tool_outputs(oai_client, oai_target, oai_judge):
    made, thread = thread_with_assistant(oai_client, oai_target, tools=[WEATHER])
    path = f"/threads/{made_id(thread)}"
    try:
        body = {
            "assistant_id": made_id(made),
            # Asked, not forced: a forced call would be forced again after the outputs, and the run never end.
            "additional_instructions": CALL,
            **TOOL_LIMITS,
        }
        run = oai_client.request("POST", f"{path}/runs", json=body)
        ident = made_id(run)
        if ident is None:
            oai_judge(RunLife(run, functions=("get_weather",)), *TOOLS)
            return
        at = f"{path}/runs/{ident}"
        steps = poll(oai_client, at, until=(*ENDS, "requires_action"))
        steps.append(("steps", oai_client.request("GET", f"{at}/steps")))
        waiting = steps[-2][1].response.json if steps[-2][1].response is not None else None
        outputs = tool_outputs(waiting, "Sunny, 21 C.") if isinstance(waiting, dict) else []
        if outputs:
            steps.append(
                ("submit", oai_client.request("POST", f"{at}/submit_tool_outputs", json={"tool_outputs": outputs}))
            )
            steps += poll(oai_client, at, until=(*ENDS, "requires_action"))  # a run the outputs missed waits there
            steps.append(("steps", oai_client.request("GET", f"{at}/steps")))
        pairs = tuple((o["tool_call_id"], o["output"]) for o in outputs)
        oai_judge(RunLife(run, tuple(steps), functions=("get_weather",), outputs=pairs, waited=RUN_WAIT), *TOOLS)
    finally:
        delete(oai_client, "/threads", thread)
        delete(oai_client, "/assistants", made)


@requirement("assistants.runs.cancel.cancelled")
def test_run_cancelled(oai_client, oai_target, oai_judge):
    # A run with a function tool waits for its outputs: it is still there to cancel however fast the server is.
    made, thread = thread_with_assistant(oai_client, oai_target, tools=[WEATHER])
    path = f"/threads/{made_id(thread)}"
    try:
        body = {
            "assistant_id": made_id(made),
            "tool_choice": FORCED,
            **LIMITS,
        }
        run = oai_client.request("POST", f"{path}/runs", json=body)
        ident = made_id(run)
        if ident is None:
            pytest.skip(f"starting the run failed: {run.response}")
        at = f"{path}/runs/{ident}"
        steps = [("cancel", oai_client.request("POST", f"{at}/cancel"))]
        steps += poll(oai_client, at, until=(*ENDS, "requires_action"))  # a run the cancel missed waits there
        oai_judge(RunLife(run, tuple(steps), waited=RUN_WAIT), "assistants.runs.cancel.cancelled")
    finally:
        delete(oai_client, "/threads", thread)
        delete(oai_client, "/assistants", made)


@requirement("assistants.runs.thread-and-run")
def test_thread_and_run(oai_client, oai_target, oai_judge):
    made = assistant(oai_client, oai_target)
    if made_id(made) is None:
        pytest.skip(f"creating the assistant failed: {made.response}")
    sent = {
        "assistant_id": made_id(made),
        "thread": {"messages": [{"role": "user", "content": SAY}], "metadata": METADATA},
        **LIMITS,
    }
    run = oai_client.request("POST", "/threads/runs", json=sent)
    body = run.response.json if run.response is not None and run.response.status == 200 else {}
    thread = body.get("thread_id") if isinstance(body, dict) else None
    try:
        steps = []
        if isinstance(thread, str):
            steps = [
                ("thread", oai_client.request("GET", f"/threads/{thread}")),
                ("messages", oai_client.request("GET", f"/threads/{thread}/messages", params={"limit": 100})),
            ]
        oai_judge(RunLife(run, tuple(steps)), "assistants.runs.thread-and-run")
    finally:
        if isinstance(thread, str):
            oai_client.request("DELETE", f"/threads/{thread}")
        delete(oai_client, "/assistants", made)


@requirement(*STREAM)
def test_streamed_runs(oai_client, oai_target, oai_judge):
    # Three streams: a thread created and run, a run that stops for tool outputs, and the submit that resumes it.
    made, thread = thread_with_assistant(oai_client, oai_target, tools=[WEATHER])
    path = f"/threads/{made_id(thread)}"
    created = None
    try:
        created = oai_client.request(
            "POST",
            "/threads/runs",
            json={
                "assistant_id": made_id(made),
                "thread": {"messages": [{"role": "user", "content": SAY}]},
                "tool_choice": "none",
                "stream": True,
                **LIMITS,
            },
        )
        oai_judge(RunStream(created), *STREAM)
        body = {"assistant_id": made_id(made), "stream": True, "additional_instructions": CALL, **TOOL_LIMITS}
        waiting = RunStream(oai_client.request("POST", f"{path}/runs", json=body))
        oai_judge(waiting, *[rule for rule in STREAM if rule != "assistants.stream.message-text"])
        run = run_of(waiting)
        if run is None or run.get("status") != "requires_action":
            return
        answered = oai_client.request(
            "POST",
            f"{path}/runs/{run['id']}/submit_tool_outputs",
            json={"tool_outputs": tool_outputs(run, "Sunny, 21 C."), "stream": True},
        )
        oai_judge(RunStream(answered, resumed=True), *STREAM)
    finally:
        delete(oai_client, "/threads", thread)
        delete(oai_client, "/assistants", made)
        streamed = run_of(RunStream(created)) if created is not None else None
        if streamed is not None and isinstance(streamed.get("thread_id"), str):
            oai_client.request("DELETE", f"/threads/{streamed['thread_id']}")


INCLUDE = "step_details.tool_calls[*].file_search.results[*].content"
NOTES = b"Field notes. In spring a quokka visits the island by the lighthouse every morning.\n"


@requirement("assistants.runs.steps.file-search-content")
def test_file_search_results_included(oai_client, oai_target, oai_judge):
    if not oai_target.claims("vector-stores"):
        pytest.skip("the file_search tool searches a vector store, and the server does not claim vector-stores")
    files = [("purpose", (None, "assistants")), ("file", ("oai-conformance-notes.txt", NOTES, "text/plain"))]
    uploaded = made_id(oai_client.request("POST", "/files", files=files))
    store = made_id(
        oai_client.request(
            "POST", "/vector_stores", json={"name": "oai-conformance", "file_ids": [uploaded] if uploaded else []}
        )
    )
    made = thread = None
    try:
        if uploaded is None or store is None:
            pytest.skip("uploading the file or making its vector store failed")
        wait, deadline = FIRST_POLL, time.monotonic() + RUN_WAIT
        while time.monotonic() < deadline:
            got = oai_client.request("GET", f"/vector_stores/{store}").response
            counts = (got.json or {}).get("file_counts") if got is not None and got.status == 200 else None
            if not isinstance(counts, dict) or not counts.get("in_progress"):
                break
            time.sleep(wait)
            wait = min(wait * 2, LONGEST_POLL)
        made, thread = thread_with_assistant(
            oai_client, oai_target, tools=[{"type": "file_search"}],
            tool_resources={"file_search": {"vector_store_ids": [store]}},
        )  # fmt: skip
        path = f"/threads/{made_id(thread)}"
        oai_client.request(
            "POST", f"{path}/messages", json={"role": "user", "content": "Which animal visits in spring?"}
        )
        body = {"assistant_id": made_id(made), "tool_choice": {"type": "file_search"}, **LIMITS}
        run = oai_client.request("POST", f"{path}/runs", json=body)
        ident = made_id(run)
        if ident is None:
            pytest.skip(f"starting the run failed: {run.response}")
        at = f"{path}/runs/{ident}"
        steps = poll(oai_client, at)
        listing = oai_client.request("GET", f"{at}/steps", params={"include[]": INCLUDE})
        steps.append(("steps-included", listing))
        data = (listing.response.json or {}).get("data") if listing.response is not None else None
        searched = [s.get("id") for s in data or [] if isinstance(s, dict) and s.get("type") == "tool_calls"]
        if searched:
            steps.append(("step-included", oai_client.request("GET", f"{at}/steps/{searched[0]}",
                                                              params={"include[]": INCLUDE})))  # fmt: skip
        oai_judge(RunLife(run, tuple(steps), waited=RUN_WAIT), "assistants.runs.steps.file-search-content")
    finally:
        for exchange_path in (
            (f"/threads/{made_id(thread)}" if thread else None),
            (f"/assistants/{made_id(made)}" if made else None),
            f"/vector_stores/{store}" if store else None,
            f"/files/{uploaded}" if uploaded else None,
        ):
            if exchange_path:
                oai_client.request("DELETE", exchange_path)
