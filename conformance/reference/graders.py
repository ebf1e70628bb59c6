"""Seed 000's Graders API on the reference server (documented nowhere else: DECISIONS.md, graders-seed-000).

    POST /v1/graders, GET /v1/graders                       create; list (every grader, newest last)
    GET|POST|DELETE /v1/graders/{grader_id}                 retrieve, update (name, instructions, grading_model), delete
    POST /v1/graders/{grader_id}/grade                      grade an output

A grade is computed, not sampled: with an `expected_output`, the similarity of the output to it (difflib's ratio
over the lower-cased, whitespace-collapsed texts: 1 when they say the same); without one, 1 for an output that says
something and 0 for an empty one. The grader's model is named in the answer and never asked.
"""

from __future__ import annotations

import difflib
import threading
import time
from typing import Any, Protocol

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from conformance.jsonvalue import copied

from ._config import ServerConfig
from ._errors import ApiError
from ._routing import Served
from .fine_tuning import _validated


class Graders:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.graders: dict[str, dict[str, Any]] = {}
        self.issued: set[str] = set()  # every id ever made: a deleted grader's id was issued (graders-unknown-200)

    def get(self, ident: str, config: ServerConfig) -> dict[str, Any]:
        with self.lock:
            found = self.graders.get(ident)
            issued = ident in self.issued
        if found is None and config.has("graders-unknown-200") and not issued:
            return {"id": ident}
        if found is None:
            raise ApiError(404, f"Grader with id '{ident[:100]}' not found.", param="grader_id", client=False,
                           validation=False)  # fmt: skip
        return found


class Server(Served, Protocol):
    graders: Graders


def answered(grader: dict[str, Any], config: ServerConfig) -> dict[str, Any]:
    out: dict[str, Any] = copied(grader)
    if config.has("graders-keys-dropped"):
        out.pop("grading_model", None)
    return out


def create(body: Any, server: Server) -> dict[str, Any]:
    config = server.config
    if not (config.has("graders-invalid-accepted") and isinstance(body, dict)):
        body = _validated(body, "graders.create.request")
    grader = {"object": "grader", "id": server.ids.item("grader"), "created_at": int(time.time()),
              "name": body.get("name"), "instructions": body.get("instructions"),
              "grading_model": body.get("grading_model")}  # fmt: skip
    if config.has("graders-create-renamed"):
        grader["name"] = f"{grader['name'] or ''} (renamed)"
    with server.graders.lock:
        server.graders.graders[grader["id"]] = grader
        server.graders.issued.add(grader["id"])
    return answered(grader, config)


def update(grader: dict[str, Any], body: Any, server: Server) -> dict[str, Any]:
    valid = _validated(body, "graders.update.request")
    if not server.config.has("graders-update-ignored"):
        with server.graders.lock:
            grader.update(valid)
    return answered(grader, server.config)


def _plain(text: str) -> str:
    return " ".join(text.lower().split())


def grade(grader: dict[str, Any], body: Any, config: ServerConfig) -> Any:
    valid = _validated(body, "graders.grade.request")
    output, expected = valid["output"], valid.get("expected_output")
    if expected is None:
        score = 1.0 if output.strip() else 0.0
    else:
        score = round(difflib.SequenceMatcher(None, _plain(output), _plain(expected)).ratio(), 4)
    result: dict[str, Any] = {"object": "grader.grade", "grader_id": grader["id"], "score": score,
                              "grading_model": grader.get("grading_model")}  # fmt: skip
    if config.has("graders-grade-no-score"):
        del result["score"]
    if config.has("graders-grade-not-object"):
        return [result]
    return result


def routes(server: Server) -> list[Route]:
    guarded = server.guarded
    store = server.graders
    config = server.config

    async def collection(request: Request) -> Response:
        if request.method == "POST":
            return server._json(create(await server.json_body(request), server))
        with store.lock:
            every = [answered(g, config) for g in store.graders.values()]
        if config.has("graders-not-listed") and every:
            every = every[:-1]
        return server._json({"object": "list", "data": every, "first_id": every[0]["id"] if every else None,
                             "last_id": every[-1]["id"] if every else None, "has_more": False})  # fmt: skip

    async def one(request: Request) -> Response:
        found = store.get(request.path_params["grader_id"], config)
        if request.method == "POST":
            return server._json(update(found, await server.json_body(request), server))
        if request.method == "DELETE":
            if not config.has("graders-delete-kept"):
                with store.lock:
                    store.graders.pop(found["id"], None)
            return server._json({"id": found["id"], "object": "grader.deleted", "deleted": True})
        out = answered(found, config)
        if config.has("graders-retrieve-shifted") and isinstance(out.get("created_at"), int):
            out["created_at"] += 1
        return server._json(out)

    async def graded(request: Request) -> Response:
        found = store.get(request.path_params["grader_id"], config)
        return server._json(grade(found, await server.json_body(request), config))

    base = "/v1/graders"
    return [
        Route(base, guarded(collection), methods=["GET", "POST"]),
        Route(f"{base}/{{grader_id}}", guarded(one), methods=["GET", "POST", "DELETE"]),
        Route(f"{base}/{{grader_id}}/grade", guarded(graded), methods=["POST"]),
    ]
