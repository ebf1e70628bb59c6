"""The Assistants API of the reference server: assistants, threads, their messages, runs and run steps.

    /v1/assistants[/{id}]                               create, list, retrieve, modify, delete
    /v1/threads[/{id}]                                  create (with messages), retrieve, modify, delete
    /v1/threads/{id}/messages[/{id}]                    create, list (`run_id`), retrieve, modify, delete
    /v1/threads/runs                                    a thread created and run
    /v1/threads/{id}/runs[/{id}]                        create, list, retrieve, modify
    /v1/threads/{id}/runs/{id}/cancel                   cancelling, then cancelled
    /v1/threads/{id}/runs/{id}/submit_tool_outputs      the outputs of the calls required: the run goes on
    /v1/threads/{id}/runs/{id}/steps[/{id}]             list, retrieve

Every request needs `OpenAI-Beta: assistants=v2`, as the real API's (400 without it).

A run moves one state each time it is read (retrieve, list): `queued`, `in_progress`, then `requires_action` when
its tools hold a function (a `tool_calls` step with one call of the first function, deterministic arguments), or
`completed` (a `message_creation` step and the assistant's message `REPLY`). Outputs submitted make it `queued`
again, then `in_progress`, then `completed` with a reply that quotes the output. A cancel makes it `cancelling`,
cancelled at the next read. A streamed run (`stream: true`) goes as far as it can at once and says each move as
an event (`thread.run.created`, `thread.run.queued`, ..., `thread.message.delta`, ..., `done`).
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

from ._config import ServerConfig
from ._errors import ApiError, invalid
from ._ids import Ids
from ._routing import Served as Server
from .vector_stores import checked, page

BETA = "assistants=v2"
NO_BETA = (
    "You must provide the 'OpenAI-Beta' header to access the Assistants API. Please try again by setting the header "
    "'OpenAI-Beta: assistants=v2'."
)
REPLY = "OK. The conformance run heard you."
ENDED = frozenset({"completed", "failed", "cancelled", "expired", "incomplete"})
RUN_TIMES = ("expires_at", "started_at", "cancelled_at", "failed_at", "completed_at")


@dataclass
class Thread:
    body: dict[str, Any]
    messages: dict[str, dict[str, Any]] = field(default_factory=dict)
    runs: dict[str, Run] = field(default_factory=dict)


@dataclass
class Run:
    body: dict[str, Any]
    steps: dict[str, dict[str, Any]] = field(default_factory=dict)
    outputs: list[dict[str, Any]] | None = None  # the tool outputs submitted
    reads: int = 0
    searched: bool = False


# The server's vector store search (vector_stores.py): the file_search tool's settings with `vector_store_ids`, the
# queries, the tool's place in the request -> results with file_id, filename, score, text.
Search = Callable[[dict[str, Any], list[str], str], list[dict[str, Any]]]
INCLUDE_CONTENT = "step_details.tool_calls[*].file_search.results[*].content"


class Store:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.assistants: dict[str, dict[str, Any]] = {}
        self.threads: dict[str, Thread] = {}


def _not_found(kind: str, ident: str, param: str) -> ApiError:
    return ApiError(404, f"No {kind} found with id '{ident[:100]}'.", param=param, client=False, validation=False)


def _copy(body: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = json.loads(json.dumps(body))
    return out


class Assistants:
    """The objects and their moves, with the faults that change them."""

    def __init__(self, ids: Ids, config: ServerConfig, search: Search | None = None) -> None:
        self.ids, self.config, self.store, self.search = ids, config, Store(), search

    def fault(self, name: str) -> bool:
        return self.config.has(name)

    # --- assistants ------------------------------------------------------------------------------------------

    def create_assistant(self, body: Any) -> dict[str, Any]:
        sent = checked(body, "assistant.create.request")
        made = {
            "id": self.ids.item("asst"),
            "object": "assistant",
            "created_at": int(time.time()),
            "name": sent.get("name"),
            "description": sent.get("description"),
            "model": sent["model"],
            "instructions": sent.get("instructions"),
            "tools": sent.get("tools") or [],
            "tool_resources": sent.get("tool_resources") or {},
            "metadata": {} if self.fault("assistants-metadata-dropped") else sent.get("metadata") or {},
            "top_p": sent.get("top_p", 1.0) if sent.get("top_p") is not None else 1.0,
            "temperature": sent.get("temperature") if sent.get("temperature") is not None else 1.0,
            "response_format": sent.get("response_format") or "auto",
        }
        with self.store.lock:
            self.store.assistants[made["id"]] = made
        return _copy(made)

    def assistant(self, ident: str) -> dict[str, Any]:
        found = self.store.assistants.get(ident)
        if found is None:
            raise _not_found("assistant", ident, "assistant_id")
        return found

    def modify_assistant(self, ident: str, body: Any) -> dict[str, Any]:
        sent = checked(body, "assistant.update.request")
        found = self.assistant(ident)
        changed = {**found, **{k: v for k, v in sent.items() if k != "reasoning_effort"}}
        if not self.fault("assistants-modify-not-kept"):
            found.update(changed)
        return _copy(changed)

    def delete_assistant(self, ident: str) -> dict[str, Any]:
        self.assistant(ident)
        if not self.fault("assistants-delete-kept"):
            with self.store.lock:
                del self.store.assistants[ident]
        return {"id": ident, "object": "assistant.deleted", "deleted": True}

    def list_assistants(self, query: dict[str, str]) -> dict[str, Any]:
        return self._page(list(self.store.assistants.values()), query)

    def _page(self, items: list[dict[str, Any]], query: dict[str, str]) -> dict[str, Any]:
        answer = page([_copy(i) for i in items], query)
        after = query.get("after")
        again = (
            next((i for i in items if i["id"] == after), None) if self.fault("assistants-lists-repeat-cursor") else None
        )
        if again is not None and answer["data"]:
            # The item the cursor names heads the next page again.
            answer["data"] = [_copy(again), *answer["data"]][: len(answer["data"])]
            answer["first_id"], answer["last_id"] = answer["data"][0]["id"], answer["data"][-1]["id"]
        return answer

    # --- threads and messages --------------------------------------------------------------------------------

    def create_thread(self, body: Any, schema: str = "thread.create.request") -> Thread:
        sent = checked(body, schema) if schema else body
        made: dict[str, Any] = {
            "id": self.ids.item("thread"),
            "object": "thread",
            "created_at": int(time.time()),
            "tool_resources": sent.get("tool_resources") or {},
            "metadata": sent.get("metadata") or {},
        }
        thread = Thread(made)
        with self.store.lock:
            self.store.threads[made["id"]] = thread
        if not self.fault("assistants-thread-messages-dropped"):
            for message in sent.get("messages") or []:
                self._add_message(thread, message)
        return thread

    def thread(self, ident: str) -> Thread:
        found = self.store.threads.get(ident)
        if found is None:
            raise _not_found("thread", ident, "thread_id")
        return found

    def modify_thread(self, ident: str, body: Any) -> dict[str, Any]:
        sent = checked(body, "thread.update.request")
        thread = self.thread(ident)
        thread.body.update(sent)
        return _copy(thread.body)

    def delete_thread(self, ident: str) -> dict[str, Any]:
        self.thread(ident)
        if not self.fault("assistants-thread-delete-kept"):
            with self.store.lock:
                del self.store.threads[ident]
        return {"id": ident, "object": "thread.deleted", "deleted": True}

    def _add_message(
        self, thread: Thread, sent: dict[str, Any], run: dict[str, Any] | None = None, text: str | None = None
    ) -> dict[str, Any]:
        content = sent.get("content") if text is None else text
        if isinstance(content, str):
            parts: list[dict[str, Any]] = [{"type": "text", "text": {"value": content, "annotations": []}}]
        else:
            parts = [
                {"type": "text", "text": {"value": p["text"], "annotations": []}} if p.get("type") == "text" else p
                for p in content or []
            ]
        now = int(time.time())
        made = {
            "id": self.ids.item("msg"),
            "object": "thread.message",
            "created_at": now,
            "assistant_id": run["assistant_id"] if run else None,
            "thread_id": thread.body["id"],
            "run_id": run["id"] if run else None,
            "role": sent.get("role", "assistant"),
            "content": parts,
            "attachments": sent.get("attachments") or [],
            "metadata": sent.get("metadata") or {},
            "status": "completed",
            "incomplete_details": None,
            "completed_at": now if run else None,
            "incomplete_at": None,
        }
        thread.messages[made["id"]] = made
        return made

    def create_message(self, thread_id: str, body: Any) -> dict[str, Any]:
        sent = checked(body, "thread.message.create.request")
        return _copy(self._add_message(self.thread(thread_id), sent))

    def message(self, thread_id: str, ident: str) -> dict[str, Any]:
        found = self.thread(thread_id).messages.get(ident)
        if found is None:
            raise _not_found("message", ident, "message_id")
        return found

    def modify_message(self, thread_id: str, ident: str, body: Any) -> dict[str, Any]:
        sent = checked(body, "thread.message.update.request")
        found = self.message(thread_id, ident)
        found.update(sent)
        return _copy(found)

    def delete_message(self, thread_id: str, ident: str) -> dict[str, Any]:
        self.message(thread_id, ident)
        del self.thread(thread_id).messages[ident]
        return {"id": ident, "object": "thread.message.deleted", "deleted": True}

    def list_messages(self, thread_id: str, query: dict[str, str]) -> dict[str, Any]:
        items = list(self.thread(thread_id).messages.values())
        run_id = query.get("run_id")
        if run_id and not self.fault("assistants-run-filter-ignored"):
            items = [m for m in items if m.get("run_id") == run_id]
        return self._page(items, {k: v for k, v in query.items() if k != "run_id"})

    # --- runs ------------------------------------------------------------------------------------------------

    def create_run(self, thread: Thread, sent: dict[str, Any]) -> Run:
        assistant = self.store.assistants.get(sent["assistant_id"])
        if assistant is None:
            raise invalid(f"No assistant found with id '{sent['assistant_id'][:100]}'.", "assistant_id")
        if any(r.body["status"] not in ENDED for r in thread.runs.values()):
            raise invalid(f"Thread {thread.body['id']} already has an active run.", None)
        for message in sent.get("additional_messages") or []:
            self._add_message(thread, message)
        now = int(time.time())
        instructions = sent.get("instructions")
        if instructions is None:
            instructions = assistant.get("instructions") or ""
        if sent.get("additional_instructions"):
            instructions = f"{instructions}\n{sent['additional_instructions']}".strip()

        def given(key: str, default: Any) -> Any:
            return sent[key] if sent.get(key) is not None else default

        body = {
            "id": self.ids.item("run"),
            "object": "thread.run",
            "created_at": now,
            "assistant_id": assistant["id"],
            "thread_id": thread.body["id"],
            "status": "queued",
            "started_at": None,
            "expires_at": now + 600,
            "cancelled_at": None,
            "failed_at": None,
            "completed_at": None,
            "required_action": None,
            "last_error": None,
            "model": given("model", assistant["model"]),
            "instructions": instructions,
            "tools": given("tools", assistant.get("tools") or []),
            "metadata": sent.get("metadata") or {},
            "incomplete_details": None,
            "usage": None,
            "temperature": given("temperature", assistant.get("temperature", 1.0)),
            "top_p": given("top_p", assistant.get("top_p", 1.0)),
            "max_prompt_tokens": sent.get("max_prompt_tokens"),
            "max_completion_tokens": sent.get("max_completion_tokens"),
            "truncation_strategy": given("truncation_strategy", {"type": "auto", "last_messages": None}),
            "tool_choice": given("tool_choice", "auto"),
            "parallel_tool_calls": sent.get("parallel_tool_calls", True),
            "response_format": given("response_format", assistant.get("response_format", "auto")),
        }
        run = Run(body)
        thread.runs[body["id"]] = run
        return run

    def run(self, thread_id: str, ident: str) -> Run:
        found = self.thread(thread_id).runs.get(ident)
        if found is None:
            raise _not_found("run", ident, "run_id")
        return found

    def _function(self, run: Run) -> dict[str, Any] | None:
        if run.body.get("tool_choice") == "none" or run.outputs is not None:
            return None
        functions = [t["function"] for t in run.body.get("tools") or [] if t.get("type") == "function"]
        return functions[0] if functions else None

    def _step(self, run: Run, kind: str, details: dict[str, Any], status: str) -> dict[str, Any]:
        body = run.body
        now = int(time.time())
        made = {
            "id": self.ids.item("step"),
            "object": "thread.run.step",
            "created_at": now,
            "assistant_id": body["assistant_id"],
            "thread_id": body["thread_id"],
            "run_id": body["id"],
            "type": kind,
            "status": status,
            "step_details": {"type": kind, **details},
            "last_error": None,
            "expired_at": None,
            "cancelled_at": None,
            "failed_at": None,
            "completed_at": now if status == "completed" else None,
            "metadata": None,
            "usage": {"prompt_tokens": 8, "completion_tokens": 8, "total_tokens": 16}
            if status == "completed"
            else None,
        }
        run.steps[made["id"]] = made
        return made

    def advance(self, run: Run) -> list[tuple[str, dict[str, Any]]]:
        """One move of `run`: the events it makes (name, data), in order; none once it has ended or waits."""
        body = run.body
        status = body["status"]
        events: list[tuple[str, dict[str, Any]]] = []
        if status == "queued":
            body["status"], body["started_at"] = "in_progress", body["started_at"] or int(time.time())
            return [("thread.run.in_progress", _copy(body))]
        if status == "cancelling":
            body["status"], body["cancelled_at"] = "cancelled", int(time.time())
            for step in run.steps.values():
                if step["status"] == "in_progress":
                    step["status"], step["cancelled_at"] = "cancelled", body["cancelled_at"]
            return [("thread.run.cancelled", _copy(body))]
        if status != "in_progress":
            return []
        function = self._function(run)
        if function is not None:
            call_id = self.ids.call()
            arguments = json.dumps(
                {k: "oai-conformance" for k in (function.get("parameters") or {}).get("required", [])}
            )
            call: dict[str, Any] = {
                "id": call_id,
                "type": "function",
                "function": {"name": function["name"], "arguments": arguments},
            }
            named = [] if self.fault("assistants-required-action-empty") else [call]
            stepped = {**call, "id": "call_elsewhere"} if self.fault("assistants-step-call-mismatch") else call
            step = self._step(
                run,
                "tool_calls",
                {"tool_calls": [{**stepped, "function": {**stepped["function"], "output": None}}]},
                "in_progress",
            )
            body["status"] = "requires_action"
            body["required_action"] = {"type": "submit_tool_outputs", "submit_tool_outputs": {"tool_calls": named}}
            events += [
                ("thread.run.step.created", _copy(step)),
                ("thread.run.step.in_progress", _copy(step)),
                (
                    "thread.run.step.delta",
                    {
                        "id": step["id"],
                        "object": "thread.run.step.delta",
                        "delta": {
                            "step_details": {
                                "type": "tool_calls",
                                "tool_calls": [
                                    {"index": n, **c} for n, c in enumerate(step["step_details"]["tool_calls"])
                                ],
                            }
                        },
                    },
                ),
                ("thread.run.requires_action", _copy(body)),
            ]
            return events
        return [*self._file_search(run), *self._complete(run)]

    def _file_search(self, run: Run) -> list[tuple[str, dict[str, Any]]]:
        """A completed `tool_calls` step searching the vector stores of the thread (or the assistant) for the
        thread's last user message, when the run has the file_search tool; the results keep their text, which the
        steps routes show only when `include` asks for it."""
        tools = [t for t in run.body.get("tools") or [] if t.get("type") == "file_search"]
        thread = self.store.threads.get(run.body["thread_id"])
        if run.searched or not tools or self.search is None or thread is None or run.body.get("tool_choice") == "none":
            return []
        run.searched = True
        assistant = self.store.assistants.get(run.body["assistant_id"]) or {}
        stores = [
            (holder.get("tool_resources") or {}).get("file_search", {}).get("vector_store_ids") or []
            for holder in (thread.body, assistant)
        ]
        given = next((ids for ids in stores if ids), [])
        if not given:
            return []
        asked = [m for m in thread.messages.values() if m.get("role") == "user"]
        query = asked[-1]["content"][0]["text"]["value"] if asked and asked[-1]["content"] else ""
        settings = tools[0].get("file_search") or {}
        found = self.search({"vector_store_ids": given, **settings}, [query], "tool_resources.file_search")
        results = [
            {"file_id": r["file_id"], "file_name": r["filename"], "score": r["score"],
             "content": [{"type": "text", "text": r["text"]}]}
            for r in found
        ]  # fmt: skip
        ranking = {"ranker": "default_2024_08_21", "score_threshold": 0.0}
        call = {"id": self.ids.call(), "type": "file_search", "file_search": {"ranking_options": ranking,
                                                                              "results": results}}  # fmt: skip
        step = self._step(run, "tool_calls", {"tool_calls": [call]}, "completed")
        return [("thread.run.step.created", _copy(step)), ("thread.run.step.completed", _copy(step))]

    def shown(self, step: dict[str, Any], include: list[str]) -> dict[str, Any]:
        """A step as the steps routes answer it: file search results carry their content only when included."""
        out = _copy(step)
        keep = INCLUDE_CONTENT in include and not self.fault("assistants-include-ignored")
        for call in out["step_details"].get("tool_calls") or []:
            for result in (call.get("file_search") or {}).get("results") or []:
                if not keep:
                    result.pop("content", None)
        return out

    def _complete(self, run: Run) -> list[tuple[str, dict[str, Any]]]:
        body = run.body
        thread = self.store.threads.get(body["thread_id"])
        if thread is None:
            return []
        events: list[tuple[str, dict[str, Any]]] = []
        for step in run.steps.values():
            if step["status"] == "in_progress":
                calls = step["step_details"]["tool_calls"]
                outputs = {o.get("tool_call_id"): o.get("output") for o in run.outputs or []}
                for call in calls:
                    call["function"]["output"] = outputs.get(call["id"], "")
                step["status"], step["completed_at"] = "completed", int(time.time())
                step["usage"] = {"prompt_tokens": 8, "completion_tokens": 8, "total_tokens": 16}
                events.append(("thread.run.step.completed", _copy(step)))
        said = [str(o.get("output", "")) for o in run.outputs or []]
        text = REPLY if not said else f"{REPLY} The tool said: {' '.join(said)}"
        message = self._add_message(thread, {"role": "assistant"}, body, text)
        if self.fault("assistants-run-no-reply"):
            del thread.messages[message["id"]]
        step = self._step(run, "message_creation", {"message_creation": {"message_id": message["id"]}}, "in_progress")
        empty = {**message, "status": "in_progress", "completed_at": None, "content": []}
        events += [
            ("thread.run.step.created", _copy(step)),
            ("thread.run.step.in_progress", _copy(step)),
            ("thread.message.created", _copy(empty)),
            ("thread.message.in_progress", _copy(empty)),
        ]
        words = text.split(" ")
        if self.fault("assistants-stream-deltas-short"):
            words = words[:-1]
        for n, word in enumerate(words):
            piece = word if n == 0 else f" {word}"
            delta: dict[str, Any] = {
                "content": [{"index": 0, "type": "text", "text": {"value": piece, "annotations": []}}]
            }
            if n == 0:
                delta["role"] = "assistant"
            events.append(
                ("thread.message.delta", {"id": message["id"], "object": "thread.message.delta", "delta": delta})
            )
        step["status"], step["completed_at"] = "completed", int(time.time())
        step["usage"] = {"prompt_tokens": 8, "completion_tokens": 8, "total_tokens": 16}
        events += [("thread.message.completed", _copy(message)), ("thread.run.step.completed", _copy(step))]
        body["status"], body["completed_at"], body["required_action"] = "completed", int(time.time()), None
        body["usage"] = {"prompt_tokens": 16, "completion_tokens": 16, "total_tokens": 32}
        events.append(("thread.run.completed", _copy(body)))
        return events

    def read(self, run: Run) -> dict[str, Any]:
        """The run as a read answers it: one move further first."""
        run.reads += 1
        self.advance(run)
        out = _copy(run.body)
        if self.fault("assistants-run-status-regresses") and run.reads == 2:
            out["status"] = "queued"  # the second read says it went back, once
        return out

    def submit(self, run: Run, body: Any) -> dict[str, Any]:
        sent = checked(body, "thread.run.submit-tool-outputs.request")
        if run.body["status"] != "requires_action":
            raise invalid(f'Runs in status "{run.body["status"]}" do not accept tool outputs.', None)
        if self.fault("assistants-submit-ignored"):
            return _copy(run.body)
        wanted = {c["id"] for c in run.body["required_action"]["submit_tool_outputs"]["tool_calls"]}
        given = {o.get("tool_call_id") for o in sent["tool_outputs"]}
        if wanted - given:
            raise invalid(f"Expected tool outputs for call_ids {sorted(wanted)}, got {sorted(given)}.", "tool_outputs")
        run.outputs = list(sent["tool_outputs"])
        run.body["status"], run.body["required_action"] = "queued", None
        return _copy(run.body)

    def cancel(self, run: Run) -> dict[str, Any]:
        status = run.body["status"]
        if status in ENDED or status == "cancelling":
            raise invalid(f"Cannot cancel run with status '{status}'.", None)
        if not self.fault("assistants-run-cancel-ignored"):
            run.body["status"] = "cancelling"
        return _copy(run.body)

    def stream(self, run: Run, thread: dict[str, Any] | None, submitted: bool = False) -> Iterator[bytes]:
        """The events of `run` going as far as it can: created (unless outputs were submitted), then each move."""
        events: list[tuple[str, dict[str, Any]]] = []
        if thread is not None:
            events.append(("thread.created", _copy(thread)))
        if not submitted:
            events.append(("thread.run.created", _copy(run.body)))
        events.append(("thread.run.queued", _copy(run.body)))
        while moved := self.advance(run):
            events += moved
        if self.fault("assistants-stream-in-progress-first"):
            at = next(n for n, (name, _) in enumerate(events) if name == "thread.run.in_progress")
            events.insert(0, events.pop(at))
        for name, data in events:
            yield f"event: {name}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n".encode()
        if not self.fault("assistants-stream-no-done"):
            yield b"event: done\ndata: [DONE]\n\n"


# --- routes ---------------------------------------------------------------------------------------------------


def routes(server: Server) -> list[Route]:
    """The /v1/assistants and /v1/threads routes, bound to `server` (the objects live with the routes)."""
    stores = getattr(server, "vector_stores", None)
    api = Assistants(server.ids, server.config, stores.search_for_tool if stores is not None else None)

    def answer(body: Any) -> Response:
        return Response(json.dumps(body, ensure_ascii=False), media_type="application/json")

    def streamed(chunks: Iterator[bytes]) -> Response:
        return StreamingResponse(chunks, media_type="text/event-stream")

    def beta(handler: Callable[[Request], Awaitable[Response]]) -> Callable[[Request], Awaitable[Response]]:
        async def run(request: Request) -> Response:
            if request.headers.get("openai-beta", "") != BETA and not api.fault("assistants-beta-header-ignored"):
                raise invalid(NO_BETA, None, "invalid_beta")
            return await handler(request)

        return server.guarded(run)

    def p(request: Request, name: str) -> str:
        return str(request.path_params[name])

    async def assistants(request: Request) -> Response:
        if request.method == "POST":
            return answer(api.create_assistant(await server.json_body(request)))
        return answer(api.list_assistants(dict(request.query_params)))

    async def assistant(request: Request) -> Response:
        ident = p(request, "assistant_id")
        if request.method == "POST":
            return answer(api.modify_assistant(ident, await server.json_body(request)))
        if request.method == "DELETE":
            return answer(api.delete_assistant(ident))
        return answer(_copy(api.assistant(ident)))

    async def threads(request: Request) -> Response:
        return answer(_copy(api.create_thread(await server.json_body(request)).body))

    async def thread(request: Request) -> Response:
        ident = p(request, "thread_id")
        if request.method == "POST":
            return answer(api.modify_thread(ident, await server.json_body(request)))
        if request.method == "DELETE":
            return answer(api.delete_thread(ident))
        return answer(_copy(api.thread(ident).body))

    async def messages(request: Request) -> Response:
        ident = p(request, "thread_id")
        if request.method == "POST":
            return answer(api.create_message(ident, await server.json_body(request)))
        return answer(api.list_messages(ident, dict(request.query_params)))

    async def message(request: Request) -> Response:
        ids = p(request, "thread_id"), p(request, "message_id")
        if request.method == "POST":
            return answer(api.modify_message(*ids, await server.json_body(request)))
        if request.method == "DELETE":
            return answer(api.delete_message(*ids))
        return answer(_copy(api.message(*ids)))

    async def thread_and_run(request: Request) -> Response:
        sent = checked(await server.json_body(request), "thread.run.create-thread.request")
        if sent["assistant_id"] not in api.store.assistants:
            raise invalid(f"No assistant found with id '{sent['assistant_id'][:100]}'.", "assistant_id")
        made = api.create_thread({**(sent.get("thread") or {})}, schema="")
        run = api.create_run(made, sent)
        if sent.get("stream"):
            return streamed(api.stream(run, made.body))
        return answer(_copy(run.body))

    async def runs(request: Request) -> Response:
        found = api.thread(p(request, "thread_id"))
        if request.method == "POST":
            sent = checked(await server.json_body(request), "thread.run.create.request")
            run = api.create_run(found, sent)
            return streamed(api.stream(run, None)) if sent.get("stream") else answer(_copy(run.body))
        listed = [api.read(r) for r in found.runs.values()]
        return answer(page(listed, dict(request.query_params)))

    async def run(request: Request) -> Response:
        found = api.run(p(request, "thread_id"), p(request, "run_id"))
        if request.method == "POST":
            sent = checked(await server.json_body(request), "thread.run.update.request")
            found.body.update(sent)
            return answer(_copy(found.body))
        return answer(api.read(found))

    async def cancel(request: Request) -> Response:
        return answer(api.cancel(api.run(p(request, "thread_id"), p(request, "run_id"))))

    async def submit(request: Request) -> Response:
        found = api.run(p(request, "thread_id"), p(request, "run_id"))
        body = await server.json_body(request)
        done = api.submit(found, body)
        if isinstance(body, dict) and body.get("stream"):
            return streamed(api.stream(found, None, submitted=True))
        return answer(done)

    async def steps(request: Request) -> Response:
        found = api.run(p(request, "thread_id"), p(request, "run_id"))
        include = request.query_params.getlist("include[]")
        query = {k: v for k, v in request.query_params.items() if k != "include[]"}
        return answer(page([api.shown(s, include) for s in found.steps.values()], query))

    async def step(request: Request) -> Response:
        found = api.run(p(request, "thread_id"), p(request, "run_id"))
        ident = p(request, "step_id")
        if ident not in found.steps:
            raise _not_found("run step", ident, "step_id")
        return answer(api.shown(found.steps[ident], request.query_params.getlist("include[]")))

    run_path = "/v1/threads/{thread_id}/runs/{run_id}"
    return [
        Route("/v1/assistants", beta(assistants), methods=["GET", "POST"]),
        Route("/v1/assistants/{assistant_id}", beta(assistant), methods=["GET", "POST", "DELETE"]),
        Route("/v1/threads", beta(threads), methods=["POST"]),
        Route("/v1/threads/runs", beta(thread_and_run), methods=["POST"]),
        Route("/v1/threads/{thread_id}", beta(thread), methods=["GET", "POST", "DELETE"]),
        Route("/v1/threads/{thread_id}/messages", beta(messages), methods=["GET", "POST"]),
        Route("/v1/threads/{thread_id}/messages/{message_id}", beta(message), methods=["GET", "POST", "DELETE"]),
        Route("/v1/threads/{thread_id}/runs", beta(runs), methods=["GET", "POST"]),
        Route(run_path, beta(run), methods=["GET", "POST"]),
        Route(f"{run_path}/cancel", beta(cancel), methods=["POST"]),
        Route(f"{run_path}/submit_tool_outputs", beta(submit), methods=["POST"]),
        Route(f"{run_path}/steps", beta(steps), methods=["GET"]),
        Route(f"{run_path}/steps/{{step_id}}", beta(step), methods=["GET"]),
    ]
