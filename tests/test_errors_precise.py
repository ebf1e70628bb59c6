"""Errors judged precisely, model deletion, and no request for what a server does not claim.

- Every real recorded error passes the type and rate-limit rules, and the recorded unknown-model and
  context-length refusals pass the rules written for them (the real API is never stricter than these checks).
- The reference server deletes the fine-tuned model it holds, once, answering as schemas/model.deleted.json says;
  refuses a base model (403) and an unknown one (404 model_not_found); refuses a prompt past its context; and the
  official `openai` SDK reads each outcome.
- The reference server's transient 429s (rate limit, no quota) carry the codes `errors.rate-limit.code` wants,
  and a run that is still answered 429 judges the rule on the 429 it holds.
- A run that claims `chat,-chat.store,models,errors,generated` sends the errors and models cases no request
  for an unclaimed feature; the whole suite's offenders (other families' cases) are listed, so that a fix or a new
  one shows here.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from conformance.checks.models import listed_ids
from conformance.checks.rule import Context
from conformance.exchange import Exchange
from conformance.judgement import Observation, Status, judge
from conformance.reference import RunningServer, ServerConfig, create_app, runner, serve
from conformance.reference._transient import TransientTrouble
from conformance.schemas import validate
from tests._runs import clean_env, cli_run
from tests._shared import RECORDINGS, recordings
from tests.test_recordings import CONTEXT, chat_records, exchange_of, failures

openai = pytest.importorskip("openai")

KEY_ENV = "OAI_ERRORS_PRECISE_KEY"
KEY = "sk-errors-precise-" + os.urandom(8).hex()
AUTH = {"Authorization": f"Bearer {KEY}"}
FINE_TUNED = "ft:gpt-4o-mini:reference::demo"
NOT_HELD = "ft:gpt-4o-mini:oai-conformance::nonexist"
needs_recordings = pytest.mark.skipif(not RECORDINGS.is_dir(), reason=f"the recordings are not at {RECORDINGS}")


def call(app: Any, method: str, path: str, body: Any = None) -> Exchange:
    """One request to an in-process app, as the exchange a check reads."""

    async def go() -> httpx.Response:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://reference/v1") as http:
            return await http.request(method, path, json=body, headers=AUTH)

    response = asyncio.run(go())
    return Exchange.build(method=method, url=str(response.request.url), request_headers=dict(response.request.headers),
                          request_body=response.request.content, status=response.status_code,
                          response_headers=dict(response.headers), response_body=response.content)  # fmt: skip


def statuses_of(observations: list[Observation]) -> dict[str, Status]:
    return {o.requirement: o.status for o in observations}


def expecting(param: str) -> Context:
    """What the case tells `errors.request.param-named`: the param the real API names for the mistake."""
    return Context(live=False, expect={"param": param})


# --- the real API's errors pass ---------------------------------------------------------------------------------


# Beside tests/test_recordings.py's ERROR_RULES: the rules that judge any error answer.
RECORDED_ERROR_RULES = ["errors.request.type", "errors.rate-limit.code"]


@needs_recordings
@pytest.mark.parametrize("name", ["chat-completions", "embeddings"])
def test_every_recorded_error_passes_the_type_and_rate_limit_rules(name: str) -> None:
    problems = {}
    for record in recordings(name):
        if record["response"]["status"] >= 400:
            found = failures(judge(exchange_of(record, "/x"), RECORDED_ERROR_RULES, CONTEXT))
            if found:
                problems[record["scenario"]["spec"]["name"]] = found
    assert not problems, json.dumps(problems, indent=1)[:4000]


@needs_recordings
def test_the_recorded_unknown_models_pass_the_unknown_model_rules() -> None:
    unknown = [(r, "/chat/completions") for r in chat_records("error") if r["response"]["status"] == 404]
    unknown += [(r, "/embeddings") for r in recordings("embeddings") if r["response"]["status"] == 404]
    assert len(unknown) == 3
    rules = ["errors.model.unknown", "errors.model.unknown-code", "errors.request.type", "errors.envelope.schema"]
    for record, path in unknown:
        assert set(statuses_of(judge(exchange_of(record, path), rules, CONTEXT)).values()) == {Status.PASS}


@needs_recordings
def test_the_recorded_context_refusal_passes_the_context_length_rule() -> None:
    [record] = [r for r in chat_records("error") if r["response"]["body"]["error"]["code"] == "context_length_exceeded"]
    rules = ["errors.request.context-length", "errors.request.type", "errors.request.param-named"]
    observed = judge(exchange_of(record, "/chat/completions"), rules, expecting("messages"))
    assert set(statuses_of(observed).values()) == {Status.PASS}, observed


# --- the reference server -----------------------------------------------------------------------------------------


DELETE_RULES = ["models.delete.unknown", "models.delete.unknown-code", "errors.request.type", "errors.envelope.schema"]


def test_the_reference_server_deletes_its_fine_tuned_model_once() -> None:
    app = create_app(ServerConfig(api_key=KEY))
    retrieved = call(app, "GET", f"/models/{FINE_TUNED}")
    assert retrieved.response is not None and retrieved.response.json["id"] == FINE_TUNED
    assert FINE_TUNED not in listed_ids(call(app, "GET", "/models"))  # runs use the listed models: not this one

    deleted = call(app, "DELETE", f"/models/{FINE_TUNED}")
    assert deleted.response is not None and deleted.response.status == 200
    assert deleted.response.json == {"id": FINE_TUNED, "object": "model", "deleted": True}
    assert validate("model.deleted", deleted.response.json) == []

    again = call(app, "DELETE", f"/models/{FINE_TUNED}")
    assert again.response is not None and again.response.status == 404
    assert again.response.json["error"]["code"] == "model_not_found"
    assert call(app, "GET", f"/models/{FINE_TUNED}").response.status == 404  # type: ignore[union-attr]


def test_the_reference_server_refuses_to_delete_what_it_does_not_hold() -> None:
    app = create_app(ServerConfig(api_key=KEY))
    unknown = call(app, "DELETE", f"/models/{NOT_HELD}")
    observed = statuses_of(judge(unknown, DELETE_RULES, expecting("model")))
    assert set(observed.values()) == {Status.PASS}, observed

    base = call(app, "DELETE", "/models/gpt-4o-mini")
    assert base.response is not None and base.response.status == 403
    error = base.response.json["error"]
    assert (error["type"], error["param"], error["code"]) == ("invalid_request_error", "model", None)
    assert call(app, "GET", "/models/gpt-4o-mini").response.status == 200  # type: ignore[union-attr]


def test_the_reference_server_refuses_a_prompt_past_its_context() -> None:
    app = create_app(ServerConfig(api_key=KEY))
    words = " ".join(["the"] * 130_000)
    refused = call(app, "POST", "/chat/completions",
                    {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": words}], "max_tokens": 1})
    rules = ["errors.request.context-length", "errors.request.type", "errors.request.param-named",
             "errors.envelope.schema"]  # fmt: skip
    assert set(statuses_of(judge(refused, rules, expecting("messages"))).values()) == {Status.PASS}
    within = " ".join(["the"] * 100_000)
    held = call(app, "POST", "/chat/completions",
                {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": within}], "max_tokens": 1})
    assert held.response is not None and held.response.status == 200


@pytest.fixture(scope="module")
def sdk() -> Iterator[Any]:
    with (
        serve(ServerConfig(api_key=KEY)) as server,
        openai.OpenAI(base_url=server.base_url, api_key=KEY, max_retries=0) as client,
    ):
        yield client


def test_the_sdk_deletes_the_fine_tuned_model(sdk: Any) -> None:
    deleted = sdk.models.delete(FINE_TUNED)
    assert (deleted.id, deleted.object, deleted.deleted) == (FINE_TUNED, "model", True)
    with pytest.raises(openai.NotFoundError) as gone:
        sdk.models.delete(FINE_TUNED)
    assert gone.value.code == "model_not_found"


def test_the_sdk_reads_the_refused_deletions(sdk: Any) -> None:
    with pytest.raises(openai.NotFoundError) as unknown:
        sdk.models.delete(NOT_HELD)
    assert (unknown.value.code, unknown.value.param, unknown.value.type) == (
        "model_not_found", "model", "invalid_request_error"
    )
    with pytest.raises(openai.PermissionDeniedError) as base:
        sdk.models.delete("gpt-4o-mini")
    assert base.value.param == "model"


@pytest.mark.parametrize(("kind", "code"), [("429", "rate_limit_exceeded"), ("quota", "insufficient_quota")])
def test_the_transient_429s_carry_the_api_codes(kind: str, code: str) -> None:
    app = TransientTrouble(create_app(ServerConfig(api_key=KEY)), every=2, kind=kind)
    assert call(app, "GET", "/models").response.status == 200  # type: ignore[union-attr]
    limited = call(app, "GET", "/models")
    assert limited.response is not None and limited.response.status == 429
    assert limited.response.json["error"]["code"] == code
    assert statuses_of(judge(limited, ["errors.rate-limit.code"])) == {"errors.rate-limit.code": Status.PASS}


def _cli(server: RunningServer, out: Path, *extra: str) -> dict[str, Any]:
    env = {**clean_env(), KEY_ENV: KEY}
    proc = subprocess.run(
        [sys.executable, "-m", "conformance.cli", "run", "--base-url", server.base_url, "--api-key-env", KEY_ENV,
         "--report-dir", str(out), *extra],
        env=env, capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    assert "Traceback" not in proc.stdout + proc.stderr, proc.stdout + proc.stderr
    return json.loads((out / "results.json").read_text(encoding="utf-8"))


@pytest.mark.slow
def test_a_run_still_answered_429_judges_the_429_it_holds(tmp_path: Path) -> None:
    """Every 2nd request 429, no retries: the errors cases that get one judge its code (and stop, ERROR)."""
    with serve(ServerConfig(api_key=KEY, transient_every=2, transient="429")) as server:
        results = _cli(server, tmp_path, "--retries", "0", "--features", "chat,models,errors", "-k", "test_errors")
    found = {r["id"]: r for r in results["requirements"]}
    # A pass, not a skip: the rule read a 429 (every other answer leaves it nothing to judge).
    assert found["errors.rate-limit.code"]["status"] == "pass", found["errors.rate-limit.code"]
    stopped = [r for r in found.values() if r["status"] == "error"]
    assert stopped and all("kept answering 429" in reason for r in stopped for reason in r["reasons"]), stopped
    assert not [rid for rid, r in found.items() if r["status"] == "fail"]


# --- no request for an unclaimed feature --------------------------------------------------------------------------


class Recorder:
    """The reference app, noting the method and path of every request it gets (the client's log keeps only the
    exchanges a judgement cites: a case that sent and then skipped would not be in it)."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.state = getattr(app, "state", None)  # RunningServer.store reads it
        self.seen: list[tuple[str, str]] = []

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            self.seen.append((scope["method"], scope["path"]))
        await self.app(scope, receive, send)


CLAIMS = "chat,-chat.store,models,errors,generated"


def unclaimed(method: str, path: str) -> bool:
    """Whether a request belongs to a feature CLAIMS leaves out (chat.store: the list and one stored completion)."""
    path = path.removeprefix("/v1")
    if path.startswith(("/embeddings", "/responses", "/conversations", "/completions", "/moderations")):
        return True
    return path.startswith("/chat/completions/") or (path == "/chat/completions" and method == "GET")


@pytest.fixture
def recorded(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[RunningServer, Recorder]]:
    made: list[Recorder] = []
    plain = runner._app

    def recording(config: ServerConfig) -> Recorder:
        made.append(Recorder(plain(config)))
        return made[-1]

    monkeypatch.setattr(runner, "_app", recording)
    with serve(ServerConfig(api_key=KEY)) as server:
        yield server, made[0]


def _sent(recorded: tuple[RunningServer, Recorder], cwd: Path, *extra: str) -> set[tuple[str, str]]:
    server, recorder = recorded
    run = cli_run(cwd, "--base-url", server.base_url, "--api-key-env", KEY_ENV, "--features", CLAIMS, *extra,
                  env=clean_env(**{KEY_ENV: KEY}))  # fmt: skip
    assert run.returncode == 0, run.output
    assert recorder.seen
    return {(method, path) for method, path in recorder.seen if unclaimed(method, path)}


@pytest.mark.slow
def test_the_errors_and_models_cases_send_nothing_to_unclaimed_features(
    recorded: tuple[RunningServer, Recorder], tmp_path: Path
) -> None:
    assert _sent(recorded, tmp_path, "-k", "test_errors or test_models") == set()


@pytest.mark.slow
def test_the_whole_suite_sends_nothing_to_unclaimed_features(
    recorded: tuple[RunningServer, Recorder], tmp_path: Path
) -> None:
    """The generated phase and every case included: a case that declares an errors rule beside its own family's
    runs only when that family is claimed (plugin.pytest_runtest_setup)."""
    assert _sent(recorded, tmp_path) == set()
