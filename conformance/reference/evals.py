"""Evals of the reference server: evals (CRUD), their runs and the runs' output items.

    POST /v1/evals, GET /v1/evals                           create; list (`after`, `limit`, `order`, `order_by`)
    GET|POST|DELETE /v1/evals/{eval_id}                     retrieve, update (name, metadata), delete
    POST|GET /v1/evals/{eval_id}/runs                       create; list (`after`, `limit`, `order`, `status`)
    GET|DELETE /v1/evals/{eval_id}/runs/{run_id}, POST …/cancel
    GET /v1/evals/{eval_id}/runs/{run_id}/output_items[/{output_item_id}]

A run moves as it is polled, one state per read of GET …/runs/{run_id}: `queued`, `in_progress`, then `completed`,
when its items are graded by the eval's testing criteria (fine_tuning.py's graders: string_check and text_similarity
computed, model and python graders a fixed score). The items are the data source's: given (jsonl `file_content`),
read from a file of the run's (`file_id`, JSON Lines of `{"item": ...}`), or, for the completions and responses
data sources, the `file_content` items each with a deterministic sample: the text of the template's last message
with its `{{item.*}}` filled in (what the model was asked: the same words back). A criterion passes an item when
its score reaches its `pass_threshold` (1 for string_check).
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Protocol

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from conformance.jsonvalue import copied

from ._config import ServerConfig
from ._errors import ApiError, invalid
from ._routing import Served
from .files import FileStore
from .fine_tuning import _fill, _validated, grade

TERMINAL = frozenset({"completed", "failed", "canceled"})
MAX_LIMIT = 100


@dataclass
class Run:
    body: dict[str, Any]
    items: list[dict[str, Any]]  # {"item": ..., "sample": ...}
    outputs: list[dict[str, Any]] = field(default_factory=list)
    reads_completed: int = 0  # reads that found it completed (the `evals-run-status-regresses` fault)


@dataclass
class Eval:
    body: dict[str, Any]
    runs: dict[str, Run] = field(default_factory=dict)


class Evals:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.evals: dict[str, Eval] = {}

    def get(self, ident: str) -> Eval:
        with self.lock:
            found = self.evals.get(ident)
        if found is None:
            raise ApiError(404, f"Eval with id '{ident[:100]}' not found.", param="eval_id", client=False,
                           validation=False)  # fmt: skip
        return found

    def run(self, ident: str, run_id: str) -> tuple[Eval, Run]:
        found = self.get(ident)
        run = found.runs.get(run_id)
        if run is None:
            raise ApiError(404, f"Run with id '{run_id[:100]}' not found.", param="run_id", client=False,
                           validation=False)  # fmt: skip
        return found, run


class Server(Served, Protocol):
    files: FileStore
    evals: Evals


# --- evals -------------------------------------------------------------------------------------------------


def _schema(config: dict[str, Any]) -> dict[str, Any]:
    """The JSON schema of the namespaces a run's items fill (the data source config's `schema`)."""
    if config["type"] == "custom":
        properties: dict[str, Any] = {"item": config["item_schema"]}
        if config.get("include_sample_schema"):
            properties["sample"] = {"type": "object", "properties": {"output_text": {"type": "string"}}}
        return {"type": "object", "properties": properties, "required": sorted(properties)}
    return {"type": "object", "properties": {"item": {"type": "object"}, "sample": {"type": "object"}},
            "required": ["item", "sample"]}  # fmt: skip


def create_eval(body: Any, server: Server) -> dict[str, Any]:
    valid = _validated(body, "eval.create.request")
    config = valid["data_source_config"]
    shown: dict[str, Any] = {"type": config["type"], "schema": _schema(config)}
    if config["type"] != "custom":
        shown["metadata"] = config.get("metadata")
    answer: dict[str, Any] = {
        "object": "eval", "id": server.ids.item("eval"), "name": valid.get("name"), "data_source_config": shown,
        "testing_criteria": [{**copied(c), "id": f"{c['name']}-{n}"} for n, c in enumerate(valid["testing_criteria"])],
        "created_at": int(time.time()), "metadata": valid.get("metadata"),
    }  # fmt: skip
    with server.evals.lock:
        server.evals.evals[answer["id"]] = Eval(answer)
    return copied(answer)


def update_eval(found: Eval, body: Any, server: Server) -> dict[str, Any]:
    valid = _validated(body, "eval.update.request")
    if not server.config.has("evals-update-ignored"):
        found.body.update({k: valid[k] for k in ("name", "metadata") if k in valid})
    return copied(found.body)


def _page(items: list[dict[str, Any]], query: dict[str, str], config: ServerConfig) -> dict[str, Any]:
    raw = query.get("limit", "20")
    try:
        limit = int(raw)
    except ValueError:
        raise invalid(f"Invalid 'limit': expected an integer, but got '{raw[:100]}' instead.", "limit") from None
    if not 1 <= limit <= MAX_LIMIT:
        raise invalid(f"Invalid 'limit': expected a value from 1 to {MAX_LIMIT}, but got {limit} instead.", "limit")
    order = query.get("order", "asc")
    if order not in ("asc", "desc"):
        raise invalid(f"Invalid value for 'order': expected 'asc' or 'desc', got '{order[:40]}'.", "order")
    items = items[::-1] if order == "desc" else items
    after = query.get("after")
    if after is not None:
        position = next((n for n, item in enumerate(items) if item["id"] == after), None)
        if position is None:
            raise invalid(f"Invalid 'after': no item with id '{after[:100]}'.", "after")
        step = 0 if config.has("evals-output-items-page-repeats") and items and "run_id" in items[0] else 1
        items = items[position + step :]
    data = items[:limit]
    return {"object": "list", "data": data, "first_id": data[0]["id"] if data else None,
            "last_id": data[-1]["id"] if data else None, "has_more": len(items) > limit}  # fmt: skip


# --- runs --------------------------------------------------------------------------------------------------


def _items(source: dict[str, Any], server: Server) -> list[dict[str, Any]]:
    if source["type"] == "file_content":
        return [copied(line) for line in source["content"]]
    if source["type"] == "file_id":
        stored = server.files.get(source["id"])
        if stored is None:
            raise invalid(f"File {source['id'][:100]} not found.", "data_source.source.id", "file_not_found")
        lines = [json.loads(raw) for raw in stored.data.decode("utf-8", "replace").splitlines() if raw.strip()]
        return [line if isinstance(line, dict) and "item" in line else {"item": line} for line in lines]
    raise invalid(f"The reference server reads no items from a '{source['type']}' source.", "data_source.source.type")


def _sampled(data_source: dict[str, Any], items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Items with the sample a model would have made: the last template message, its item variables filled."""
    template = (data_source.get("input_messages") or {}).get("template") or [{"content": ""}]
    last = template[-1].get("content")
    for line in items:
        text = _fill(last if isinstance(last, str) else json.dumps(last), "", line.get("item") or {})
        line["sample"] = {"output_text": text, "model": data_source["model"], "finish_reason": "stop",
                          "output": [{"role": "assistant", "content": text}],
                          "usage": {"prompt_tokens": 4, "completion_tokens": 2, "total_tokens": 6, "cached_tokens": 0}}
    return items


def create_run(found: Eval, body: Any, server: Server) -> dict[str, Any]:
    valid = _validated(body, "eval.run.create.request")
    data_source = valid["data_source"]
    items = _items(data_source["source"], server)
    if data_source["type"] in ("completions", "responses"):
        items = _sampled(data_source, items)
    answer: dict[str, Any] = {
        "object": "eval.run", "id": server.ids.item("evalrun"), "eval_id": found.body["id"], "status": "queued",
        "model": data_source.get("model"), "name": valid.get("name") or "run", "created_at": int(time.time()),
        "report_url": None, "result_counts": {"total": 0, "errored": 0, "failed": 0, "passed": 0},
        "per_model_usage": None, "per_testing_criteria_results": None, "data_source": copied(data_source),
        "metadata": valid.get("metadata"), "error": None,
    }  # fmt: skip
    with server.evals.lock:
        found.runs[answer["id"]] = Run(answer, items)
    return copied(answer)


def _passes(criterion: dict[str, Any], score: float) -> bool:
    threshold = criterion.get("pass_threshold")
    return score >= (float(threshold) if isinstance(threshold, int | float) else 1.0)


def _grade_all(found: Eval, run: Run, server: Server) -> None:
    config = server.config
    criteria = found.body["testing_criteria"]
    totals = {c["name"]: [0, 0] for c in criteria}
    created = int(time.time())
    for number, line in enumerate(run.items):
        sample = line.get("sample") or {}
        text = str(sample.get("output_text", ""))
        results = []
        for criterion in criteria:
            score = grade(criterion, text, line.get("item") or {}, config)[0]
            passed = _passes(criterion, score)
            totals[criterion["name"]][0 if passed else 1] += 1
            results.append({"name": criterion["name"], "type": criterion["type"], "score": score, "passed": passed,
                            "sample": None})  # fmt: skip
        status = "pass" if all(r["passed"] for r in results) else "fail"
        run.outputs.append({
            "object": "eval.run.output_item", "id": server.ids.item("outputitem"), "run_id": run.body["id"],
            "eval_id": found.body["id"], "created_at": created, "status": status, "datasource_item_id": number,
            "datasource_item": line.get("item") or {}, "results": results,
            "sample": None if config.has("evals-sample-missing") else line.get("sample"),
        })  # fmt: skip
    passing = len([o for o in run.outputs if o["status"] == "pass"])
    counts = {"total": len(run.outputs), "errored": 0, "failed": len(run.outputs) - passing, "passed": passing}
    if config.has("evals-result-counts-off"):
        counts["errored"] += 1
    per = [{"testing_criteria": name, "passed": p, "failed": f} for name, (p, f) in totals.items()]
    if config.has("evals-criteria-results-off") and per:
        per[0]["passed"] += 1
        per[0]["failed"] = max(0, per[0]["failed"] - 1)
    sampled = [s for line in run.items if isinstance(s := line.get("sample"), dict) and "usage" in s]
    usage = [{"model_name": run.body["model"], "invocation_count": len(sampled), "prompt_tokens": 4 * len(sampled),
              "completion_tokens": 2 * len(sampled), "total_tokens": 6 * len(sampled), "cached_tokens": 0}]  # fmt: skip
    run.body.update(status="completed", result_counts=counts, per_testing_criteria_results=per,
                    per_model_usage=usage if sampled else None)  # fmt: skip


def advance(found: Eval, run: Run, server: Server) -> None:
    status = run.body["status"]
    if status == "queued":
        run.body["status"] = "in_progress"
        run.body["result_counts"]["total"] = len(run.items)
    elif status == "in_progress":
        _grade_all(found, run, server)


def answered(run: Run, config: ServerConfig, read: bool = False) -> dict[str, Any]:
    out: dict[str, Any] = copied(run.body)
    run.reads_completed += read and out["status"] == "completed"
    if config.has("evals-run-status-regresses") and read and run.reads_completed == 1:
        out["status"] = "queued"
    return out


def cancel_run(run: Run, server: Server) -> dict[str, Any]:
    if run.body["status"] in TERMINAL:
        raise invalid(f"Cannot cancel a run with status '{run.body['status']}'.")
    if not server.config.has("evals-cancel-ignored"):
        run.body["status"] = "canceled"
    return copied(run.body)


# --- routes ------------------------------------------------------------------------------------------------


def routes(server: Server) -> list[Route]:
    guarded = server.guarded
    store = server.evals
    config = server.config

    async def collection(request: Request) -> Response:
        if request.method == "POST":
            return server._json(create_eval(await server.json_body(request), server))
        query = dict(request.query_params)
        with store.lock:
            every = [copied(e.body) for e in store.evals.values()]
        if config.has("evals-not-listed") and every:
            every = every[:-1]
        return server._json(_page(every, query, config))

    async def one(request: Request) -> Response:
        found = store.get(request.path_params["eval_id"])
        if request.method == "POST":
            return server._json(update_eval(found, await server.json_body(request), server))
        if request.method == "DELETE":
            if not config.has("evals-delete-kept"):
                with store.lock:
                    store.evals.pop(found.body["id"], None)
            return server._json({"object": "eval.deleted", "deleted": True, "eval_id": found.body["id"]})
        return server._json(copied(found.body))

    async def runs(request: Request) -> Response:
        found = store.get(request.path_params["eval_id"])
        if request.method == "POST":
            return server._json(create_run(found, await server.json_body(request), server))
        query = dict(request.query_params)
        every = [answered(r, config) for r in found.runs.values()]
        if "status" in query:
            every = [r for r in every if r["status"] == query["status"]]
        return server._json(_page(every, query, config))

    async def run(request: Request) -> Response:
        found, got = store.run(request.path_params["eval_id"], request.path_params["run_id"])
        if request.method == "DELETE":
            if not config.has("evals-run-delete-kept"):
                with store.lock:
                    found.runs.pop(got.body["id"], None)
            return server._json({"object": "eval.run.deleted", "deleted": True, "run_id": got.body["id"]})
        advance(found, got, server)
        return server._json(answered(got, config, read=True))

    async def cancel(request: Request) -> Response:  # POST …/runs/{run_id} (seed 003, the SDK) and …/cancel (000)
        _, got = store.run(request.path_params["eval_id"], request.path_params["run_id"])
        return server._json(cancel_run(got, server))

    async def outputs(request: Request) -> Response:
        _, got = store.run(request.path_params["eval_id"], request.path_params["run_id"])
        query = dict(request.query_params)
        items = [copied(o) for o in got.outputs]
        if "status" in query:
            items = [o for o in items if o["status"] == query["status"]]
        return server._json(_page(items, query, config))

    async def output(request: Request) -> Response:
        _, got = store.run(request.path_params["eval_id"], request.path_params["run_id"])
        ident = request.path_params["output_item_id"]
        found = next((o for o in got.outputs if o["id"] == ident), None)
        if found is None:
            raise ApiError(404, f"Output item '{ident[:100]}' not found.", param="output_item_id", client=False,
                           validation=False)  # fmt: skip
        return server._json(copied(found))

    base = "/v1/evals"
    return [
        Route(base, guarded(collection), methods=["GET", "POST"]),
        Route(f"{base}/{{eval_id}}", guarded(one), methods=["GET", "POST", "DELETE"]),
        Route(f"{base}/{{eval_id}}/runs", guarded(runs), methods=["GET", "POST"]),
        Route(f"{base}/{{eval_id}}/runs/{{run_id}}", guarded(run), methods=["GET", "DELETE"]),
        Route(f"{base}/{{eval_id}}/runs/{{run_id}}", guarded(cancel), methods=["POST"]),
        Route(f"{base}/{{eval_id}}/runs/{{run_id}}/cancel", guarded(cancel), methods=["POST"]),
        Route(f"{base}/{{eval_id}}/runs/{{run_id}}/output_items", guarded(outputs), methods=["GET"]),
        Route(f"{base}/{{eval_id}}/runs/{{run_id}}/output_items/{{output_item_id}}", guarded(output), methods=["GET"]),
    ]
