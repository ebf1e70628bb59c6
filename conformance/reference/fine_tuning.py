"""Fine-tuning of the reference server: jobs over uploaded training files, their events and checkpoints, checkpoint
permissions, and the alpha graders.

    POST /v1/fine_tuning/jobs                               create from a file of purpose `fine-tune`
    GET  /v1/fine_tuning/jobs                               list, newest first (`after`, `limit`, `metadata[k]=v`)
    GET  /v1/fine_tuning/jobs/{id}                          the job; each read moves it one state on
    POST /v1/fine_tuning/jobs/{id}/cancel|pause|resume      cancelled; paused (from queued or running); running
    GET  /v1/fine_tuning/jobs/{id}/events|checkpoints       newest first (`after`, `limit`)
    GET|POST /v1/fine_tuning/checkpoints/{name}/permissions and DELETE …/permissions/{id}
    POST /v1/fine_tuning/alpha/graders/run|validate

A job moves as it is polled, one state per read of GET /v1/fine_tuning/jobs/{id}: `validating_files`, then
`failed` (a line of the training or validation file is no training example of the method: `error` says which) or
`queued`, `running`, `succeeded`, so what a read answers depends only on how often the job was read. A paused job
does not move until it is resumed. Each move appends an event (created_at the job's plus one second per event, so
they are in order); a succeeded job has one checkpoint per epoch (at most 3), the last one its fine-tuned model.

Graders are computed, not sampled: string_check by its operation, text_similarity by a string ratio (identical
texts score 1), a multi grader by its formula over its graders' rewards; the model and python graders give a fixed
score (the middle of a score_model's range, 1 for label_model, 0.5 for python).
"""

from __future__ import annotations

import ast
import difflib
import json
import operator
import re
import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ._config import ServerConfig
from ._errors import ApiError, invalid
from ._pages import limit_of
from ._routing import Served
from ._validation import describe_chat, schema_errors, split_unknown, unrecognized
from .files import FileStore

PATH = ("validating_files", "queued", "running", "succeeded")
TERMINAL = frozenset({"succeeded", "failed", "cancelled"})
MESSAGES = {
    "validating_files": "Validating training file: {file}",
    "queued": "Files validated, moving job to queued state",
    "running": "Fine-tuning job started",
    "succeeded": "The job has successfully completed",
    "failed": "The job failed: {error}",
    "cancelled": "Fine-tuning job cancelled",
    "paused": "Fine-tuning job paused",
}
LIMITS = {"jobs": (20, 100), "events": (20, 100), "checkpoints": (10, 100), "permissions": (10, 100)}


@dataclass
class Job:
    """One job: its object as answered, why its files fail validation (None: they pass), what it made."""

    body: dict[str, Any]
    problem: dict[str, Any] | None
    epochs: int
    events: list[dict[str, Any]] = field(default_factory=list)  # oldest first
    checkpoints: list[dict[str, Any]] = field(default_factory=list)  # oldest first
    paused_from: str | None = None
    reads_running: int = 0  # reads that found it running (the `fine-tuning-status-regresses` fault)


class FineTuning:
    """The jobs (in creation order) and checkpoint permissions a server holds."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.jobs: dict[str, Job] = {}
        self.permissions: dict[str, list[dict[str, Any]]] = {}  # checkpoint name -> its permissions, oldest first

    def get(self, ident: str) -> Job:
        with self.lock:
            found = self.jobs.get(ident)
        if found is None:
            raise ApiError(404, f"Could not find fine-tuning job {ident[:100]}.", param="fine_tuning_job_id",
                           code="fine_tuning_job_not_found", client=False, validation=False)  # fmt: skip
        return found

    def checkpoint(self, name: str) -> str:
        with self.lock:
            known = any(c["fine_tuned_model_checkpoint"] == name for j in self.jobs.values() for c in j.checkpoints)
        if not known:
            raise ApiError(404, f"Checkpoint '{name[:100]}' not found.", param="fine_tuned_model_checkpoint",
                           client=False, validation=False)  # fmt: skip
        return name


class Server(Served, Protocol):
    """What the routes need of the reference server (app.py's `_Server`)."""

    files: FileStore
    fine_tuning: FineTuning
    fine_tuned: set[str]


def _validated(body: Any, schema: str) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise invalid("The request body must be a JSON object.")
    kept, unknown = split_unknown(schema_errors(schema, body))
    if kept:
        raise describe_chat(kept[0])
    if unknown:
        raise unrecognized(unknown[:1])
    return body


# --- create ------------------------------------------------------------------------------------------------


def _example_problem(line: Any, kind: str) -> str | None:
    """Why one line is no training example of the method `kind`, or None."""
    if not isinstance(line, dict):
        return "is not a JSON object"
    if kind == "dpo":
        given = line.get("input")
        if not isinstance(given, dict) or not isinstance(given.get("messages"), list):
            return "has no `input.messages`"
        if not all(isinstance(line.get(k), list) and line[k] for k in ("preferred_output", "non_preferred_output")):
            return "has no `preferred_output` and `non_preferred_output`"
        return None
    messages = line.get("messages")
    if not isinstance(messages, list) or not messages or not all(isinstance(m, dict) for m in messages):
        return "has no `messages`"
    return None


def _file_problem(data: bytes, kind: str, param: str) -> dict[str, Any] | None:
    for number, raw in enumerate(data.decode("utf-8", "replace").splitlines(), start=1):
        if not raw.strip():
            continue
        try:
            why = _example_problem(json.loads(raw), kind)
        except ValueError:
            why = "is not valid JSON"
        if why:
            return {"code": f"invalid_{param}", "param": param,
                    "message": f"The {param.replace('_', ' ')} is invalid: line {number} {why} "
                               f"(a {kind} training example)."}  # fmt: skip
    return None


def _hyperparameters(given: Any, kind: str, config: ServerConfig) -> dict[str, Any]:
    keys = {"supervised": ("n_epochs", "batch_size", "learning_rate_multiplier"),
            "dpo": ("n_epochs", "batch_size", "learning_rate_multiplier", "beta"),
            "reinforcement": ("n_epochs", "batch_size", "learning_rate_multiplier", "compute_multiplier",
                              "eval_interval", "eval_samples", "reasoning_effort")}[kind]  # fmt: skip
    given = given if isinstance(given, dict) and not config.has("fine-tuning-hyperparameters-dropped") else {}
    out: dict[str, Any] = {k: given.get(k, "auto") for k in keys}
    if kind == "reinforcement" and out["reasoning_effort"] == "auto":
        out["reasoning_effort"] = "default"
    return out


def create(body: Any, server: Server) -> dict[str, Any]:
    config = server.config
    valid = _validated(body, "fine_tuning.job.create.request")
    method: dict[str, Any] = valid.get("method") or {"type": "supervised"}
    kind = str(method["type"])
    inner: dict[str, Any] = method[kind] if isinstance(method.get(kind), dict) else {}
    if kind == "reinforcement" and "grader" not in inner:
        raise invalid("Missing required parameter: 'method.reinforcement.grader'.", "method.reinforcement.grader",
                      "missing_required_parameter")  # fmt: skip
    problem = None
    for param in ("training_file", "validation_file"):
        file_id = valid.get(param)
        if file_id is None:
            continue
        stored = server.files.get(file_id)
        if stored is None:
            raise invalid(f"File {file_id[:100]} not found.", param, "file_not_found")
        purpose = stored.body.get("purpose")
        if purpose != "fine-tune" and not config.has("fine-tuning-any-file-accepted"):
            raise invalid(f"File {file_id} has purpose '{purpose}': a {param.replace('_', ' ')} must be uploaded "
                          "with purpose 'fine-tune'.", param, "invalid_file_purpose")  # fmt: skip
        problem = problem or _file_problem(stored.data, kind, param)
    if config.has("fine-tuning-bad-file-succeeds"):
        problem = None
    given = inner.get("hyperparameters") if "hyperparameters" in inner else valid.get("hyperparameters")
    hyper = _hyperparameters(given, kind, config)
    epochs = hyper["n_epochs"] if isinstance(hyper["n_epochs"], int) else 1
    created = int(time.time())
    ident = server.ids.item("ftjob")
    answer: dict[str, Any] = {
        "object": "fine_tuning.job",
        "id": ident,
        "model": "davinci-002" if config.has("fine-tuning-model-changed") else valid["model"],
        "created_at": created,
        "error": None,
        "fine_tuned_model": None,
        "finished_at": None,
        "hyperparameters": dict(hyper) if kind == "supervised" else None,
        "organization_id": "org-reference",
        "result_files": [],
        "status": "validating_files",
        "trained_tokens": None,
        "training_file": valid["training_file"],
        "validation_file": valid.get("validation_file"),
        "integrations": valid.get("integrations"),
        "seed": valid["seed"] if isinstance(valid.get("seed"), int) else created % 10_000,
        "estimated_finish": None,
        "method": {"type": kind, kind: {**({"grader": inner["grader"]} if "grader" in inner else {}),
                                        "hyperparameters": hyper}},
        "metadata": valid.get("metadata"),
        "user_provided_suffix": valid.get("suffix"),
    }
    if answer["hyperparameters"] is None:
        del answer["hyperparameters"]
    job = Job(answer, problem, min(max(epochs, 1), 3))
    _event(job, server, "Created fine-tuning job")
    _event(job, server, MESSAGES["validating_files"].format(file=valid["training_file"]))
    with server.fine_tuning.lock:
        server.fine_tuning.jobs[ident] = job
    return json.loads(json.dumps(answer))


# --- the status machine --------------------------------------------------------------------------------------


def _event(job: Job, server: Server, message: str, level: str = "info") -> None:
    job.events.append({
        "object": "fine_tuning.job.event", "id": server.ids.item("ftevent"),
        "created_at": job.body["created_at"] + len(job.events), "level": level, "message": message,
        "type": "message", "data": {},
    })  # fmt: skip


def _moved(job: Job, status: str, server: Server) -> None:
    body = job.body
    body["status"] = status
    error = (job.problem or {}).get("message", "")
    _event(job, server, MESSAGES[status].format(error=error, file=body["training_file"]),
           "error" if status == "failed" else "info")  # fmt: skip
    if status in TERMINAL:
        body["finished_at"] = job.events[-1]["created_at"]


def _succeed(job: Job, server: Server) -> None:
    body = job.body
    suffix = body.get("user_provided_suffix") or ""
    name = f"ft:{body['model']}:reference:{suffix}:{body['id'][-8:]}"
    for step in range(1, job.epochs + 1):
        last = step == job.epochs
        job.checkpoints.append({
            "object": "fine_tuning.job.checkpoint", "id": server.ids.item("ftckpt"),
            "created_at": body["created_at"] + len(job.events), "step_number": step,
            "fine_tuned_model_checkpoint": name if last else f"{name}:ckpt-step-{step}",
            "metrics": {"step": float(step), "train_loss": round(1.0 / (step + 1), 4),
                        "train_mean_token_accuracy": round(step / (step + 1), 4)},
            "fine_tuning_job_id": "ftjob-other" if server.config.has("fine-tuning-checkpoint-other-job")
            else body["id"],
        })  # fmt: skip
        _event(job, server, f"Checkpoint created at step {step}")
    body["fine_tuned_model"] = None if server.config.has("fine-tuning-succeeded-no-model") else name
    body["trained_tokens"] = 100 * job.epochs
    server.fine_tuned.add(name)
    _moved(job, "succeeded", server)


def advance(job: Job, server: Server) -> None:
    """Move `job` one state on (a read of it)."""
    status = job.body["status"]
    if status in TERMINAL or status == "paused":
        return
    if status == "validating_files" and job.problem is not None:
        error = dict(job.problem)
        if server.config.has("fine-tuning-failed-error-no-code"):
            error["code"] = None
        job.body["error"] = error
        _moved(job, "failed", server)
    elif PATH[PATH.index(status) + 1] == "succeeded":
        _succeed(job, server)
    else:
        _moved(job, PATH[PATH.index(status) + 1], server)


def answered(job: Job, config: ServerConfig, read: bool = False) -> dict[str, Any]:
    out: dict[str, Any] = json.loads(json.dumps(job.body))
    if read:
        job.reads_running += out["status"] == "running"
        if config.has("fine-tuning-retrieve-created-shifted"):
            out["created_at"] += 1
        if config.has("fine-tuning-status-regresses") and out["status"] == "running" and job.reads_running == 1:
            out["status"] = "validating_files"
    return out


def cancel(job: Job, server: Server) -> dict[str, Any]:
    status = job.body["status"]
    if status in TERMINAL:
        raise invalid(f"Cannot cancel a job that has already ended (status '{status}').", None)
    if server.config.has("fine-tuning-cancel-ignored"):
        return answered(job, server.config)
    _moved(job, "cancelled", server)
    return answered(job, server.config)


def pause(job: Job, server: Server) -> dict[str, Any]:
    status = job.body["status"]
    if status not in ("queued", "running"):
        raise invalid(f"Cannot pause a job with status '{status}': only a queued or running job can be paused.")
    if not server.config.has("fine-tuning-pause-ignored"):
        job.paused_from = status
        _moved(job, "paused", server)
    return answered(job, server.config)


def resume(job: Job, server: Server) -> dict[str, Any]:
    if job.body["status"] != "paused":
        raise invalid(f"Cannot resume a job with status '{job.body['status']}': only a paused job can be resumed.")
    _moved(job, job.paused_from or "running", server)
    return answered(job, server.config)


# --- lists -------------------------------------------------------------------------------------------------


def page(items: list[dict[str, Any]], query: dict[str, str], which: str, config: ServerConfig,
         cursors: bool = True) -> dict[str, Any]:  # fmt: skip
    """A page of `items` (in the list's order) after `after`, `limit` long."""
    limit = limit_of(query, *LIMITS[which])
    after = query.get("after")
    if after is not None and not (which == "jobs" and config.has("fine-tuning-after-ignored")):
        position = next((n for n, item in enumerate(items) if item["id"] == after), None)
        if position is None:
            raise invalid(f"Invalid 'after': no item with id '{after[:100]}'.", "after")
        if not (which == "events" and config.has("fine-tuning-events-page-repeats")):
            position += 1
        items = items[position:]
    data = items[:limit]
    out: dict[str, Any] = {"object": "list", "data": data,
                           "has_more": len(items) > limit and not config.has("pages-no-has-more")}  # fmt: skip
    if cursors:
        out.update(first_id=data[0]["id"] if data else None, last_id=data[-1]["id"] if data else None)
    return out


def jobs_page(query: dict[str, str], store: FineTuning, config: ServerConfig) -> dict[str, Any]:
    with store.lock:
        jobs = list(store.jobs.values())[::-1]
    wanted = {k[len("metadata[") : -1]: v for k, v in query.items() if k.startswith("metadata[") and k.endswith("]")}
    if config.has("fine-tuning-metadata-filter-ignored"):
        wanted = {}
    elif not wanted and config.has("fine-tuning-not-listed") and jobs:
        jobs = jobs[1:]
    items = [answered(j, config) for j in jobs
             if all((j.body.get("metadata") or {}).get(k) == v for k, v in wanted.items())]  # fmt: skip
    return page(items, query, "jobs", config, cursors=False)


def events_page(job: Job, query: dict[str, str], config: ServerConfig) -> dict[str, Any]:
    events = [dict(e) for e in job.events[::-1]]
    if config.has("fine-tuning-events-out-of-order") and len(events) > 2:
        events[0], events[-1] = events[-1], events[0]
    return page(events, query, "events", config, cursors=False)


# --- checkpoint permissions ----------------------------------------------------------------------------------


def share(name: str, body: Any, server: Server) -> dict[str, Any]:
    valid = _validated(body, "fine_tuning.checkpoint.permission.create.request")
    made = [{"object": "checkpoint.permission", "id": server.ids.item("cp"), "created_at": int(time.time()),
             "project_id": project} for project in valid["project_ids"]]  # fmt: skip
    with server.fine_tuning.lock:
        server.fine_tuning.permissions.setdefault(name, []).extend(made)
    shown = [dict(p) for p in made]
    if server.config.has("fine-tuning-permission-project-wrong"):
        for p in shown:
            p["project_id"] = "proj_other"
    return {"object": "list", "data": shown, "first_id": shown[0]["id"], "last_id": shown[-1]["id"],
            "has_more": False}  # fmt: skip


def permissions_page(name: str, query: dict[str, str], server: Server) -> dict[str, Any]:
    order = query.get("order", "descending")
    if order not in ("ascending", "descending"):
        raise invalid(f"Invalid value for 'order': expected 'ascending' or 'descending', got '{order[:40]}'.", "order")
    with server.fine_tuning.lock:
        items = [dict(p) for p in server.fine_tuning.permissions.get(name, [])]
    project = query.get("project_id")
    if project is not None and not server.config.has("fine-tuning-permission-filter-ignored"):
        items = [p for p in items if p["project_id"] == project]
    return page(items[::-1] if order == "descending" else items, query, "permissions", server.config)


def unshare(name: str, ident: str, server: Server) -> dict[str, Any]:
    with server.fine_tuning.lock:
        kept = server.fine_tuning.permissions.get(name, [])
        if not any(p["id"] == ident for p in kept):
            raise ApiError(404, f"Permission '{ident[:100]}' not found.", param="permission_id", client=False,
                           validation=False)  # fmt: skip
        if not server.config.has("fine-tuning-permission-not-deleted"):
            server.fine_tuning.permissions[name] = [p for p in kept if p["id"] != ident]
    return {"object": "checkpoint.permission", "id": ident, "deleted": True}


# --- graders -----------------------------------------------------------------------------------------------

_TEMPLATE = re.compile(r"\{\{\s*(sample|item)\.([A-Za-z0-9_.]+)\s*\}\}")
_OPS = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: operator.truediv}


def _fill(text: Any, sample: str, item: dict[str, Any]) -> str:
    def one(match: re.Match[str]) -> str:
        if match.group(1) == "sample":
            return sample if match.group(2) == "output_text" else match.group(0)
        found: Any = item
        for part in match.group(2).split("."):
            found = found.get(part) if isinstance(found, dict) else None
        return match.group(0) if found is None else str(found)

    return _TEMPLATE.sub(one, str(text))


def _similarity(a: str, b: str, metric: str) -> float:
    if a == b:
        return 1.0
    if metric == "fuzzy_match":
        return difflib.SequenceMatcher(None, a, b).ratio()
    left, right = a.lower().split(), b.lower().split()
    common = sum(min(left.count(w), right.count(w)) for w in set(left))
    return 0.0 if not common else 2 * common / (len(left) + len(right))


def _calculate(text: str, rewards: dict[str, float]) -> float:
    def value(node: ast.AST) -> float:
        if isinstance(node, ast.Constant) and isinstance(node.value, int | float):
            return float(node.value)
        if isinstance(node, ast.Name) and node.id in rewards:
            return rewards[node.id]
        if isinstance(node, ast.BinOp) and type(node.op) in _OPS:
            return float(_OPS[type(node.op)](value(node.left), value(node.right)))
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
            return -value(node.operand)
        raise invalid("Invalid 'calculate_output': only + - * / over the graders' names and numbers.",
                      "grader.calculate_output")  # fmt: skip

    try:
        return value(ast.parse(text, mode="eval").body)
    except (SyntaxError, ZeroDivisionError):
        raise invalid("Invalid 'calculate_output': it cannot be computed.", "grader.calculate_output") from None


def grade(grader: dict[str, Any], sample: str, item: dict[str, Any], config: ServerConfig) -> tuple[float, dict[str, float]]:  # noqa: E501
    """(the reward, the sub-rewards of a multi grader)."""
    kind = grader["type"]
    if kind == "string_check":
        given, reference = _fill(grader["input"], sample, item), _fill(grader["reference"], sample, item)
        holds = {"eq": given == reference, "ne": given != reference, "like": reference in given,
                 "ilike": reference.lower() in given.lower()}[grader["operation"]]  # fmt: skip
        return (2.0 if config.has("fine-tuning-grader-string-check-out-of-range") and holds else float(holds)), {}
    if kind == "text_similarity":
        given, reference = _fill(grader["input"], sample, item), _fill(grader["reference"], sample, item)
        score = _similarity(given, reference, grader["evaluation_metric"])
        return (0.9 if score == 1.0 and config.has("fine-tuning-grader-similarity-not-one") else score), {}
    if kind == "score_model":
        low, high = (float(b) for b in grader.get("range") or (0, 1))
        return (high + 1 if config.has("fine-tuning-grader-model-out-of-range") else (low + high) / 2), {}
    if kind == "label_model":
        return 1.0, {}
    if kind == "python":
        return 0.5, {}
    graders = grader["graders"]
    if "type" in graders and (errors := schema_errors("grader", graders)):  # one grader, typed only by its kind
        raise describe_chat(errors[0])
    named = {str(graders.get("name")): graders} if "type" in graders else graders
    subs = {name: grade(sub, sample, item, config)[0] for name, sub in named.items()}
    if config.has("fine-tuning-grader-multi-wrong"):
        return sum(subs.values()), subs
    return _calculate(grader["calculate_output"], subs), subs


def run_grader(body: Any, config: ServerConfig) -> dict[str, Any]:
    valid = _validated(body, "grader.run.request")
    grader, item = valid["grader"], valid.get("item") or {}
    reward, subs = grade(grader, valid["model_sample"], item, config)
    uses_model = grader["type"] in ("score_model", "label_model")
    errors = ("formula_parse_error", "sample_parse_error", "truncated_observation_error", "unresponsive_reward_error",
              "invalid_variable_error", "other_error", "python_grader_server_error", "python_grader_runtime_error",
              "model_grader_server_error", "model_grader_refusal_error", "model_grader_parse_error")  # fmt: skip
    return {
        "reward": reward,
        "metadata": {"name": grader["name"], "type": grader["type"], "errors": dict.fromkeys(errors, False),
                     "execution_time": 0.0, "scores": {}, "token_usage": 12 if uses_model else None,
                     "sampled_model_name": grader.get("model") if uses_model else None},
        "sub_rewards": subs,
        "model_grader_token_usage_per_model": {grader["model"]: {"total_tokens": 12}} if uses_model else {},
    }


def validate_grader(body: Any, config: ServerConfig) -> dict[str, Any]:
    if config.has("fine-tuning-grader-invalid-accepted") and isinstance(body, dict):
        return {"grader": body.get("grader")}
    valid = _validated(body, "grader.validate.request")
    grader = json.loads(json.dumps(valid["grader"]))
    if config.has("fine-tuning-grader-validate-renamed"):
        grader["name"] = f"{grader['name']}-validated"
    return {"grader": grader}


# --- routes ------------------------------------------------------------------------------------------------


def routes(server: Server) -> list[Route]:
    guarded = server.guarded
    store = server.fine_tuning

    async def jobs(request: Request) -> Response:
        if request.method == "POST":
            return server._json(create(await server.json_body(request), server))
        return server._json(jobs_page(dict(request.query_params), store, server.config))

    async def job(request: Request) -> Response:
        found = store.get(request.path_params["job_id"])
        advance(found, server)
        return server._json(answered(found, server.config, read=True))

    def action(act: Callable[[Job, Server], dict[str, Any]]) -> Callable[[Request], Awaitable[Response]]:
        async def run(request: Request) -> Response:
            return server._json(act(store.get(request.path_params["job_id"]), server))

        return run

    async def events(request: Request) -> Response:
        found = store.get(request.path_params["job_id"])
        return server._json(events_page(found, dict(request.query_params), server.config))

    async def checkpoints(request: Request) -> Response:
        found = store.get(request.path_params["job_id"])
        items = [dict(c) for c in found.checkpoints[::-1]]
        return server._json(page(items, dict(request.query_params), "checkpoints", server.config))

    async def permissions(request: Request) -> Response:
        name = store.checkpoint(request.path_params["checkpoint"])
        if request.method == "POST":
            return server._json(share(name, await server.json_body(request), server))
        return server._json(permissions_page(name, dict(request.query_params), server))

    async def permission(request: Request) -> Response:
        name = store.checkpoint(request.path_params["checkpoint"])
        return server._json(unshare(name, request.path_params["permission_id"], server))

    async def graders_run(request: Request) -> Response:
        return server._json(run_grader(await server.json_body(request), server.config))

    async def graders_validate(request: Request) -> Response:
        return server._json(validate_grader(await server.json_body(request), server.config))

    base = "/v1/fine_tuning"
    return [
        Route(f"{base}/jobs", guarded(jobs), methods=["GET", "POST"]),
        Route(f"{base}/jobs/{{job_id}}", guarded(job), methods=["GET"]),
        Route(f"{base}/jobs/{{job_id}}/cancel", guarded(action(cancel)), methods=["POST"]),
        Route(f"{base}/jobs/{{job_id}}/pause", guarded(action(pause)), methods=["POST"]),
        Route(f"{base}/jobs/{{job_id}}/resume", guarded(action(resume)), methods=["POST"]),
        Route(f"{base}/jobs/{{job_id}}/events", guarded(events), methods=["GET"]),
        Route(f"{base}/jobs/{{job_id}}/checkpoints", guarded(checkpoints), methods=["GET"]),
        Route(f"{base}/checkpoints/{{checkpoint}}/permissions/{{permission_id}}", guarded(permission),
              methods=["DELETE"]),
        Route(f"{base}/checkpoints/{{checkpoint}}/permissions", guarded(permissions), methods=["GET", "POST"]),
        Route(f"{base}/alpha/graders/run", guarded(graders_run), methods=["POST"]),
        Route(f"{base}/alpha/graders/validate", guarded(graders_validate), methods=["POST"]),
    ]
