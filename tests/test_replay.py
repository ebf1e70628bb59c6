"""Differential conformance: `oai-conformance replay` and `record` (conformance/replay/, docs/replay.md).

- The reference server, started for real on 127.0.0.1, answers the shared recordings alike by shape (≥ 99%; the
  figure is printed), with no difference left that is not a named tolerance; the five defects the replay found in it
  stay fixed (the recordings that showed them are answered without a difference).
- Each comparison kind fails on a violating answer with a message that names the kind and both values, and its
  valid twin is answered alike; each tolerance covers the recording or difference that needs it, not its twin.
- A reference run recorded (`record`) and replayed reproduces itself with zero differences.
- The FauxpenAI importer undoes what the recorder added; our format reads back what it wrote.
- A broken recordings file, an unknown option, an unreachable target: one line, exit 2, no traceback, nothing written;
  `--dry-run` sends nothing; `--sample N --seed S` draws the same N each time; `--model ROLE=ID` maps.
- The key and a secret header never appear in the replay's reports, its output, or a recordings file.
"""

from __future__ import annotations

import gzip
import json
import os
import secrets
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from conformance.cli import main
from conformance.reference import RunningServer, ServerConfig, serve
from conformance.replay.compare import KINDS, Difference, compare
from conformance.replay.importers import load_recordings, read_fauxpenai
from conformance.replay.recording import Answer, Recording, dumps, write_recordings
from conformance.replay.run import ALIKE, DIFFERENT, TOLERATED, judge
from conformance.replay.tolerate import TOLERANCES
from tests._runs import CliRun, clean_env, cli, cli_run, free_port, serving
from tests._shared import RECORDINGS

pytest_plugins = ["pytester"]

KEY_ENV = "OAI_REPLAY_TEST_KEY"
KEY = "sk-replay-" + secrets.token_hex(16)
SHARED_FILES = [RECORDINGS / "chat-completions.json.gz", RECORDINGS / "embeddings.json.gz"]
needs_recordings = pytest.mark.skipif(not RECORDINGS.is_dir(), reason=f"the recordings are not at {RECORDINGS}")


@pytest.fixture(scope="module")
def reference() -> Iterator[RunningServer]:
    with serve(ServerConfig(api_key=KEY)) as server:
        yield server


def replay_main(monkeypatch: pytest.MonkeyPatch, server: RunningServer, out: Path, *args: str) -> dict[str, Any]:
    """`oai-conformance replay ARGS` in process against `server`; its replay.json."""
    monkeypatch.setenv(KEY_ENV, KEY)
    code = main(["replay", *args, "--base-url", server.base_url, "--api-key-env", KEY_ENV, "--report-dir", str(out)])
    document = json.loads((out / "replay.json").read_text(encoding="utf-8"))
    assert code == document["replay"]["exit_code"]
    return document


# --- the reference server answers the real API's recordings alike --------------------------------------------------


@needs_recordings
def test_the_reference_answers_the_shared_recordings_alike(
    reference: RunningServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    document = replay_main(monkeypatch, reference, tmp_path, *map(str, SHARED_FILES))
    replay = document["replay"]
    s = replay["summary"]
    with capsys.disabled():
        print(f"\nreplay of the shared recordings against the reference: {s['alike']}/{s['sent']} alike "
              f"({s['share_alike']}%), {s['alike_exactly']} exactly, {s['alike_tolerated']} under a tolerance: "
              + ", ".join(f"{t['id']} {t['recordings']}" for t in replay["tolerances"]))  # fmt: skip
    assert s["recordings"] == s["sent"] == 1424  # the 3 scenarios that were not run are left out
    assert s["share_alike"] >= 99.0
    # Every remaining difference is a named tolerance, with its reason: none is left unexplained.
    assert s["different"] == 0, json.dumps(replay["groups"], indent=1)[:4000]
    assert {t["id"] for t in replay["tolerances"]} <= {t.id for t in TOLERANCES}
    assert all(t["reason"] for t in replay["tolerances"])
    # The mapping: unknown models kept, every other recorded model to the reference's defaults.
    kept = {m["recorded"] for m in replay["models"] if m["sent"] == m["recorded"]}
    assert kept == {"foo", '""', "text-embedding-3-small"}  # unknown, empty, and listed by the reference
    assert {m["sent"] for m in replay["models"]} == {"foo", '""', "gpt-4o-mini", "text-embedding-3-small"}


# The recordings that showed a defect of the reference server: each is answered without a difference since the fix.
DEFECTS = {
    # a logit_bias value out of range was reported before the cross-parameter rules
    "chat-completions/1260e92a33b9c65a": "metadata without store, then a logit_bias of -10000",
    "chat-completions/3d7ca870cf979f8f": "top_logprobs without logprobs, then a logit_bias of 10000",
    "chat-completions/3e4c44a8f80ea864": "stream_options.include_usage of the wrong type, then a logit_bias",
    # an out-of-range top_logprobs before "only allowed when logprobs is enabled"
    "chat-completions/4bf2359859347239": "top_logprobs 1000000000 without logprobs",
    # the value of reasoning_effort validated although the model does not know the parameter
    "chat-completions/282e6806b5883a49": "reasoning_effort 'foo': unrecognized, whatever its value",
    # param and code null for a bad encoding_format
    "embeddings/5d458c06c40767d2": "encoding_format 123",
    # finish_reason stop for a text that filled the limit exactly
    "chat-completions/05117d6f5c35076e": "max_completion_tokens 1 and a one-token echo: length",
}


@needs_recordings
@pytest.mark.parametrize("rid", list(DEFECTS), ids=list(DEFECTS.values()))
def test_the_defects_the_replay_found_in_the_reference_stay_fixed(reference: RunningServer, rid: str) -> None:
    [recording] = [r for r in load_recordings(SHARED_FILES) if r.id == rid]
    model = "gpt-4o-mini" if recording.path == "/chat/completions" else "text-embedding-3-small"
    sent = {**recording.body, "model": model}
    answer = _post(reference, recording.path, sent)
    outcome = judge(recording, sent, answer)
    # No difference, tolerated or not, but the model's fingerprint (null for gpt-4, a string for gpt-4o-mini).
    assert outcome.differences == []
    assert {t.id for _, t in outcome.tolerated} <= {"system-fingerprint-by-model"}


def _post(server: RunningServer, path: str, body: Any) -> Answer:
    from conformance.replay.recording import answer_of

    response = httpx.post(server.base_url + path, json=body, headers={"Authorization": f"Bearer {KEY}"}, timeout=30)
    return answer_of(response.status_code, response.headers.get("content-type", ""), response.content)


# --- each kind fails on a violating answer, and its twin passes -------------------------------------------------------

CHAT = {"model": "m", "messages": [{"role": "user", "content": "Hi"}]}


def completion(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": "chatcmpl-1", "object": "chat.completion", "created": 1, "model": "m",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": "Hello", "refusal": None},
                     "logprobs": None, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 3, "completion_tokens": 1, "total_tokens": 4},
        "system_fingerprint": "fp_1",
    }  # fmt: skip
    body.update(changes)
    return body


def chunks(n: int = 1, *, role_twice: bool = False, finish_twice: bool = False, usage: str = "none") -> list[Any]:
    out: list[Any] = []
    for index in range(n):
        out.append({"object": "chat.completion.chunk", "choices": [
            {"index": index, "delta": {"role": "assistant", "content": ""}, "finish_reason": None}]})  # fmt: skip
        delta = {"role": "assistant", "content": "Hi"} if role_twice else {"content": "Hi"}
        out.append({"object": "chat.completion.chunk", "choices": [
            {"index": index, "delta": delta, "finish_reason": "stop" if finish_twice else None}]})  # fmt: skip
        out.append({"object": "chat.completion.chunk", "choices": [{"index": index, "delta": {},
                                                                    "finish_reason": "stop"}]})  # fmt: skip
    usage_object = {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}
    if usage == "last":
        out.append({"object": "chat.completion.chunk", "choices": [], "usage": usage_object})
    if usage == "every":
        out = [{**c, "usage": usage_object} for c in out]
    return out


def envelope(status: int = 400, type_: str = "invalid_request_error", code: Any = None, param: Any = "n",
             message: str = "x") -> Answer:  # fmt: skip
    return Answer(status, "application/json",
                  body={"error": {"message": message, "type": type_, "param": param, "code": code}})  # fmt: skip


def body(value: Any, status: int = 200) -> Answer:
    return Answer(status, "application/json", body=value)


def stream(items: list[Any], done: bool = True) -> Answer:
    return Answer(200, "text/event-stream", stream=tuple(items), done=done)


# kind -> (request, recorded, violating answer, its valid twin, a value the message must name on each side)
KIND_CASES: dict[str, tuple[Any, Answer, Answer, Answer, tuple[str, str]]] = {
    "answer": (CHAT, body(completion()), Answer(None, error="connection refused"), body(completion()),
               ("200", "connection refused")),
    "status": (CHAT, envelope(), body(completion()), envelope(message="other words"), ("400", "200")),
    "error.envelope": (CHAT, envelope(), body({"detail": [{"msg": "bad"}]}, 400), envelope(),
                       ("the error envelope", "a JSON object")),
    "error.type": (CHAT, envelope(), envelope(type_="BadRequestError"), envelope(),
                   ("`invalid_request_error`", "`BadRequestError`")),
    "error.code": (CHAT, envelope(code="invalid_value"), envelope(code=400), envelope(code="invalid_value"),
                   ("`invalid_value`", "400")),
    "error.param": (CHAT, envelope(param="top_logprobs"), envelope(param="logit_bias"), envelope(param="top_logprobs"),
                    ("`top_logprobs`", "`logit_bias`")),
    "body": (CHAT, body(completion()), stream(chunks()), body(completion(id="other")),
             ("a JSON object", "a stream")),
    "key": (CHAT, body(completion()), body({k: v for k, v in completion().items() if k != "usage"}),
            body(completion(usage={"prompt_tokens": 9, "completion_tokens": 9, "total_tokens": 18})),
            ("present", "absent")),
    "type": (CHAT, body(completion()), body(completion(created="1")), body(completion(created=2.0)),
             ("number", "string")),
    "null": (CHAT, body(completion()), body(completion(system_fingerprint=None)), body(completion()),
             ("string", "null")),
    "enum": (CHAT, body(completion()), body(completion(object="chat.completion.chunk")), body(completion()),
             ("`chat.completion`", "`chat.completion.chunk`")),
    "length": ({**CHAT, "n": 2}, body(completion(choices=completion()["choices"] * 2)), body(completion()),
               body(completion(choices=completion()["choices"] * 2)), ("2", "1")),
    "stream.role": ({**CHAT, "stream": True}, stream(chunks()), stream(chunks(role_twice=True)), stream(chunks()),
                    ("in the choice's first chunk only", "repeated (2 chunks)")),
    "stream.finish": ({**CHAT, "stream": True}, stream(chunks()), stream(chunks(finish_twice=True)), stream(chunks()),
                      ("in the choice's last chunk, with an empty delta", "in 2 chunks")),
    "stream.usage": ({**CHAT, "stream": True}, stream(chunks(usage="last")), stream(chunks(usage="every")),
                     stream(chunks(usage="last")), ("the last chunk, with no choices", "every chunk")),
    "stream.done": ({**CHAT, "stream": True}, stream(chunks()), stream(chunks(), done=False), stream(chunks()),
                    ("ends with data: [DONE]", "no data: [DONE]")),
}  # fmt: skip


def test_every_kind_has_a_violating_example() -> None:
    assert set(KIND_CASES) == set(KINDS)


@pytest.mark.parametrize("kind", list(KIND_CASES))
def test_each_kind_fails_on_a_violating_answer_and_names_both_values(kind: str) -> None:
    request, recorded, violating, twin, (mine, theirs) = KIND_CASES[kind]
    found = [d for d in compare(request, recorded, violating) if d.kind == kind]
    assert found, compare(request, recorded, violating)
    message = str(found[0])
    assert message.startswith(kind) and mine in message and theirs in message, message
    assert compare(request, recorded, twin) == []


def test_free_text_ids_timestamps_and_counts_are_not_compared() -> None:
    other = completion(id="chatcmpl-other", created=99, model="other-model", system_fingerprint="fp_2",
                       choices=[{"index": 0, "message": {"role": "assistant", "content": "Quite different words",
                                                         "refusal": None}, "logprobs": None, "finish_reason": "stop"}],
                       usage={"prompt_tokens": 30, "completion_tokens": 10, "total_tokens": 40})  # fmt: skip
    assert compare(CHAT, body(completion()), body(other)) == []


def test_nothing_is_compared_below_a_path_that_differs() -> None:
    logprobs = {"content": [{"token": "a", "logprob": -1, "bytes": [97], "top_logprobs": []}]}
    recorded = completion(choices=[{**completion()["choices"][0], "logprobs": logprobs}])
    [difference] = compare(CHAT, body(recorded), body(completion()))
    assert (difference.kind, difference.path) == ("null", "choices[].logprobs")


# --- tolerances: each covers what needs it, not its twin --------------------------------------------------------------


def recording(request: Any, answer: Answer, path: str = "/chat/completions") -> Recording:
    return Recording("t/1", "POST", path, request, answer)


def test_model_capability_is_tolerated_only_when_the_model_was_mapped() -> None:
    refusal = envelope(param="prediction", code="unsupported_parameter")
    refusal.body["error"]["message"] = "Unsupported parameter: 'prediction' is not supported with this model."
    recorded = recording({**CHAT, "model": "gpt-4"}, refusal)
    accepted = body(completion())
    mapped = judge(recorded, {**CHAT, "model": "gpt-4o-mini"}, accepted)
    assert mapped.status == TOLERATED and mapped.whole is not None and mapped.whole.id == "model-capability"
    assert judge(recorded, {**CHAT, "model": "gpt-4"}, accepted).status == DIFFERENT  # same model: a difference
    plain = recording({**CHAT, "model": "gpt-4"}, envelope(param="metadata"))  # not about the model
    assert judge(plain, {**CHAT, "model": "gpt-4o-mini"}, accepted).status == DIFFERENT


def test_the_audio_preview_validator_is_tolerated_when_mapped() -> None:
    pydantic = envelope(param=None)
    pydantic.body["error"]["message"] = "[{'type': 'int_parsing', 'loc': ('body', 'n'), 'msg': 'Input should be'}]"
    recorded = recording({**CHAT, "model": "gpt-4o-audio-preview", "n": "foo"}, pydantic)
    answered = envelope(param="n", code="invalid_type")
    outcome = judge(recorded, {**CHAT, "model": "gpt-4o-mini", "n": "foo"}, answered)
    assert outcome.status == TOLERATED and outcome.whole is not None and outcome.whole.id == "model-validator"
    assert judge(recorded, {**CHAT, "model": "gpt-4o-audio-preview", "n": "foo"}, answered).status == DIFFERENT


def test_a_null_fingerprint_is_tolerated_only_for_another_model() -> None:
    recorded = recording({**CHAT, "model": "gpt-4"}, body(completion(system_fingerprint=None)))
    outcome = judge(recorded, {**CHAT, "model": "gpt-4o-mini"}, body(completion()))
    assert outcome.status == TOLERATED and [t.id for _, t in outcome.tolerated] == ["system-fingerprint-by-model"]
    assert judge(recorded, {**CHAT, "model": "gpt-4"}, body(completion())).status == DIFFERENT


def _finish(reason: str, tokens: int) -> Answer:
    choice = {**completion()["choices"][0], "finish_reason": reason}
    return body(completion(choices=[choice], usage={"prompt_tokens": 3, "completion_tokens": tokens,
                                                    "total_tokens": 3 + tokens}))  # fmt: skip


def test_stop_against_length_is_tolerated_only_below_the_limit() -> None:
    request = {**CHAT, "max_tokens": 2}
    recorded = recording(request, _finish("length", 2))
    assert judge(recorded, request, _finish("stop", 1)).status == TOLERATED  # a shorter text ended on its own
    cut = judge(recorded, request, _finish("stop", 2))  # the text reached the limit and says stop
    assert cut.status == DIFFERENT and cut.differences[0].kind == "enum"


def test_how_a_generation_ended_without_a_limit_is_tolerated() -> None:
    limited = {**CHAT, "max_tokens": 50}
    assert judge(recording(limited, _finish("content_filter", 9)), limited, _finish("stop", 1)).status == TOLERATED
    for recorded, answered in (("length", "stop"), ("stop", "length"), ("stop", "content_filter")):
        unlimited = judge(recording(CHAT, _finish(recorded, 4000)), CHAT, _finish(answered, 1))
        assert [t.id for _, t in unlimited.tolerated] == ["finish-reason-by-generated-text"], (recorded, answered)
    # not a matter of the text: a tool call where the API stopped, and `length` under the limit with a limit set
    assert judge(recording(CHAT, _finish("stop", 9)), CHAT, _finish("tool_calls", 1)).status == DIFFERENT
    assert judge(recording(limited, _finish("stop", 9)), limited, _finish("length", 9)).status == DIFFERENT


def test_an_alike_recording_needs_no_tolerance() -> None:
    refusal = envelope(param="prediction")
    refusal.body["error"]["message"] = "Unsupported parameter: 'prediction' is not supported with this model."
    outcome = judge(recording({**CHAT, "model": "gpt-4"}, refusal), {**CHAT, "model": "x"}, refusal)
    assert outcome.status == ALIKE and outcome.tolerated == []


# --- record, then replay: a reference run reproduces itself -----------------------------------------------------------


def _record_and_replay(run: Path, cwd: Path, server: RunningServer, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    assert main(["record", str(run), "--out", str(cwd / "run.jsonl")]) == 0
    recordings = load_recordings([cwd / "run.jsonl"])
    assert {r.path for r in recordings} >= {"/chat/completions", "/embeddings"}
    assert any(r.answer.is_stream for r in recordings) and any(r.answer.status >= 400 for r in recordings)
    return replay_main(monkeypatch, server, cwd / "replay", str(cwd / "run.jsonl"))


def test_record_then_replay_of_a_reference_run_reproduces_itself(
    reference: RunningServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    made = cli_run(tmp_path, "--features", "chat,embeddings,errors,models,completions,moderations")
    assert made.returncode == 0, made.output
    replay = _record_and_replay(made.out, tmp_path, reference, monkeypatch)["replay"]
    assert replay["summary"]["sent"] > 50
    assert replay["summary"]["different"] == 0 and replay["summary"]["alike_tolerated"] == 0, replay["groups"]
    assert replay["exit_code"] == 0


@pytest.mark.slow
def test_record_then_replay_of_the_whole_reference_run_reproduces_itself(
    default_run: CliRun, reference: RunningServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    replay = _record_and_replay(default_run.out, tmp_path, reference, monkeypatch)["replay"]
    assert replay["summary"]["sent"] > 150
    assert {r["path"] for r in replay["results"]} >= {"/chat/completions", "/embeddings", "/responses"}
    assert replay["summary"]["different"] == 0 and replay["summary"]["alike_tolerated"] == 0, replay["groups"]


def test_a_faulty_reference_is_found_out_kind_by_kind(tmp_path: Path) -> None:
    """The reference with faults, replayed from a recording of the reference: the faults come back as findings."""
    made = cli_run(tmp_path, "--features", "chat,embeddings,errors,models")
    assert made.returncode == 0, made.output
    assert main(["record", str(made.out), "--out", str(tmp_path / "run.jsonl")]) == 0
    faults = ("no-done", "role-every-chunk", "n-ignored", "usage-always", "error-code-int", "missing-field")
    key = "sk-faulty-" + os.urandom(8).hex()
    with serving(*faults, key_env=KEY_ENV, key=key) as base_url:
        proc = cli(tmp_path, "replay", "run.jsonl", "--base-url", base_url, "--api-key-env", KEY_ENV,
                   "--report-dir", "found", env=clean_env(**{KEY_ENV: key}))  # fmt: skip
    assert proc.returncode == 1, proc.stderr
    replay = json.loads((tmp_path / "found" / "replay.json").read_text(encoding="utf-8"))["replay"]
    found = {k["kind"] for k in replay["kinds"] if k["recordings"]}
    assert {"stream.done", "stream.role", "length", "stream.usage", "error.code", "key"} <= found, found
    junit = ET.parse(tmp_path / "found" / "replay-junit.xml").getroot()
    messages = [f.get("message", "") for f in junit.iter("failure")]
    assert len(messages) == replay["summary"]["different"]
    assert any(m.startswith("stream.role: the API answers in the choice's first chunk only, the server repeated (")
               for m in messages), messages  # fmt: skip
    markdown = (tmp_path / "found" / "replay.md").read_text(encoding="utf-8")
    assert "### 1. " in markdown and "| the API answered | the server answered |" in markdown


# --- formats --------------------------------------------------------------------------------------------------------


def test_the_fauxpenai_importer_undoes_the_recorder(tmp_path: Path) -> None:
    scenario = {"spec": {"name": "n=foo"}, "requestBody": {"model": "gpt-4", "messages": [], "n": "foo"}}
    data = {
        "aaaa": {"scenario": scenario, "response": {"status": 400, "headers": {"content-type": "application/json"},
                 "body": {"error": {"message": "m", "type": "invalid_request_error", "param": "n", "code": None},
                          "created": 1234567890, "service_tier": "default"}}},
        "bbbb": {"scenario": {**scenario, "requestBody": {"model": "gpt-4", "messages": [], "stream": True}},
                 "response": {"status": 200, "headers": {"content-type": "text/event-stream; charset=utf-8"},
                              "body": [{"object": "chat.completion.chunk", "created": 1234567890,
                                        "choices": [{"index": 0, "delta": {}, "finish_reason": "stop",
                                                     "created": 1234567890, "service_tier": "default"}]}]}},
        "cccc": {"scenario": scenario, "response": None},  # not run
    }  # fmt: skip
    path = tmp_path / "chat-completions.json.gz"
    path.write_bytes(gzip.compress(json.dumps(data).encode()))
    error, streamed = load_recordings([path])
    assert (error.id, error.path, error.name) == ("chat-completions/aaaa", "/chat/completions", "n=foo")
    assert error.answer.body == {"error": {"message": "m", "type": "invalid_request_error", "param": "n", "code": None}}
    assert streamed.answer.done is True and streamed.answer.content_type == "text/event-stream"
    assert streamed.answer.stream == ({"object": "chat.completion.chunk", "created": 1234567890,
                                       "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]},)  # fmt: skip


@needs_recordings
def test_the_shared_recordings_import_as_the_readme_counts() -> None:
    chat = read_fauxpenai(SHARED_FILES[0], gzip.decompress(SHARED_FILES[0].read_bytes()).decode())
    assert len(chat) == 1396 and sum(r.answer.is_stream for r in chat) == 50
    assert not any("created" in (r.answer.body or {}) for r in chat if r.answer.status >= 400)


@needs_recordings
def test_our_format_reads_back_what_it_wrote(tmp_path: Path) -> None:
    assert main(["record", *map(str, SHARED_FILES), "--out", str(tmp_path / "shared.jsonl.gz")]) == 0
    written = load_recordings([tmp_path / "shared.jsonl.gz"])
    original = load_recordings(SHARED_FILES)
    assert [r.to_json() for r in written] == [r.to_json() for r in original]
    first = gzip.decompress((tmp_path / "shared.jsonl.gz").read_bytes()).decode().splitlines()[0]
    assert json.loads(first)["format"] == "oai-conformance/recordings"


# --- one line, exit 2, nothing written ------------------------------------------------------------------------------


def _ours(tmp_path: Path, *lines: str) -> Path:
    path = tmp_path / "rec.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


GOOD = json.dumps({"id": "a", "request": {"method": "POST", "path": "/chat/completions", "body": CHAT},
                   "answer": {"status": 200, "body": completion()}})  # fmt: skip
HEADER = json.dumps({"format": "oai-conformance/recordings", "version": 1})

BROKEN = {
    "not-json": (["{not json"], "line 1: not JSON"),
    "bad-line": ([HEADER, GOOD, "{oops"], "line 3: not JSON"),
    "no-status": ([HEADER, json.dumps({"id": "a", "request": {"path": "/chat/completions"}, "answer": {}})],
                  "line 2: recording 'a': `answer.status` is not an HTTP status"),
    "duplicate": ([HEADER, GOOD, GOOD], "recording id 'a' is also in"),
    "version": ([json.dumps({"format": "oai-conformance/recordings", "version": 9})], "version 9 is not supported"),
    "empty": ([""], "the file is empty"),
}  # fmt: skip


def _one_line_exit_2(proc: Any, expected: str) -> None:
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr and proc.stdout == ""
    assert len(proc.stderr.strip().splitlines()) == 1, proc.stderr
    assert expected in proc.stderr, proc.stderr


@pytest.mark.parametrize("name", list(BROKEN))
def test_a_broken_recordings_file_is_one_line_and_exit_2(tmp_path: Path, name: str) -> None:
    lines, expected = BROKEN[name]
    path = _ours(tmp_path, *lines)
    proc = cli(tmp_path, "replay", str(path), "--base-url", f"http://127.0.0.1:{free_port()}/v1", "--no-api-key",
               "--report-dir", "out")  # fmt: skip
    _one_line_exit_2(proc, expected)
    assert not (tmp_path / "out").exists()


def test_a_missing_file_an_unknown_option_and_a_bad_sample_are_one_line(tmp_path: Path) -> None:
    _one_line_exit_2(cli(tmp_path, "replay", "nowhere.jsonl", "--no-api-key"), "nowhere.jsonl: cannot read")
    _one_line_exit_2(cli(tmp_path, "replay", "x.jsonl", "--frobnicate"), "unrecognized arguments: --frobnicate")
    path = _ours(tmp_path, HEADER, GOOD)
    _one_line_exit_2(cli(tmp_path, "replay", str(path), "--sample", "0"), "--sample: '0' is not a positive number")
    _one_line_exit_2(cli(tmp_path, "replay", str(path), "--model", "chat"), "--model: 'chat' has no model id")
    _one_line_exit_2(cli(tmp_path, "record", str(path), "--out", "no/such/dir.jsonl"), "--out: the folder")
    assert not any(tmp_path.glob("reports")) and not (tmp_path / "no").exists()


def test_an_unreachable_target_is_one_line_and_exit_2(tmp_path: Path) -> None:
    path = _ours(tmp_path, HEADER, GOOD)
    port = free_port()
    proc = cli(tmp_path, "replay", str(path), "--base-url", f"http://127.0.0.1:{port}/v1", "--no-api-key",
               "--report-dir", "out")  # fmt: skip
    _one_line_exit_2(proc, f"cannot reach http://127.0.0.1:{port}/v1/models: connection refused")
    assert not (tmp_path / "out").exists()


def test_a_broken_source_of_record_writes_nothing(tmp_path: Path) -> None:
    (tmp_path / "exchanges.jsonl").write_text('{"index": 0, "request": {}, "response": null}\n{oops\n')
    proc = cli(tmp_path, "record", "exchanges.jsonl", "--out", "rec.jsonl")
    _one_line_exit_2(proc, "line 2: not JSON")
    assert not (tmp_path / "rec.jsonl").exists()


# --- cost: dry run, sample, seed; models ------------------------------------------------------------------------------


@needs_recordings
def test_a_dry_run_says_how_many_and_which_features_and_sends_nothing(tmp_path: Path) -> None:
    proc = cli(tmp_path, "replay", *map(str, SHARED_FILES), "--base-url", f"http://127.0.0.1:{free_port()}/v1",
               "--no-api-key", "--dry-run", "--features", "chat,errors,-chat.logprobs")  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    first, *rest = proc.stdout.splitlines()
    # 1,396 chat recordings, of which 214 ask for logprobs; the 28 embeddings ones are not claimed
    assert "1182 request(s) of 1424 recording(s) would be sent" in first, first
    assert any(line.split() == ["chat.stream", "85"] for line in rest), rest
    assert "  left out: feature `chat.logprobs` not claimed: 214" in rest, rest
    assert "  left out: feature `embeddings` not claimed: 28" in rest, rest
    assert not (tmp_path / "reports").exists()


@needs_recordings
def test_a_sample_is_the_same_for_the_same_seed(
    reference: RunningServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    files = map(str, SHARED_FILES)
    first = replay_main(monkeypatch, reference, tmp_path / "a", *files, "--sample", "20", "--seed", "3")["replay"]
    again = replay_main(monkeypatch, reference, tmp_path / "b", *map(str, SHARED_FILES), "--sample", "20", "--seed",
                        "3")["replay"]  # fmt: skip
    other = replay_main(monkeypatch, reference, tmp_path / "c", *map(str, SHARED_FILES), "--sample", "20", "--seed",
                        "4")["replay"]  # fmt: skip
    ids = [r["id"] for r in first["results"]]
    assert len(ids) == 20 and ids == [r["id"] for r in again["results"]] != [r["id"] for r in other["results"]]
    assert first["summary"]["skipped"] == 1404
    assert {"reason": "not drawn by --sample", "recordings": 1404} in first["skipped"]


@needs_recordings
def test_model_roles_map_every_recorded_model_but_the_unknown_ones(
    reference: RunningServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    replay = replay_main(monkeypatch, reference, tmp_path, str(SHARED_FILES[1]), "--model", "embeddings=ref-embed")
    mapping = {(m["recorded"], m["sent"]) for m in replay["replay"]["models"]}
    assert mapping == {("foo", "foo"), ("text-embedding-ada-002", "ref-embed"), ("text-embedding-3-small", "ref-embed"),
                       ("text-embedding-3-large", "ref-embed")}  # fmt: skip
    assert replay["replay"]["summary"]["different"] == 0


# --- the key ----------------------------------------------------------------------------------------------------------


def test_the_key_and_a_secret_header_appear_nowhere(tmp_path: Path) -> None:
    """A replay with differences (so that exchanges are written as evidence) against a server that needs the key,
    with a secret header: neither is in any file written, nor in the output; nor is it in a recordings file."""
    token = "gw-" + secrets.token_hex(20)
    header = f"X-Gateway-Token: {token}"
    made = cli_run(tmp_path, "--features", "chat,errors", env=clean_env(OAI_CONFORMANCE_HEADERS=header))
    assert made.returncode == 0, made.output
    record = cli(tmp_path, "record", "out", "--out", "run.jsonl")
    assert record.returncode == 0, record.stderr
    key = "sk-replay-secret-" + secrets.token_hex(16)
    with serving("n-ignored", "no-done", key_env=KEY_ENV, key=key) as base_url:
        proc = cli(tmp_path, "replay", "run.jsonl", "--base-url", base_url, "--api-key-env", KEY_ENV,
                   "--report-dir", "replayed",
                   env=clean_env(**{KEY_ENV: key, "OAI_CONFORMANCE_HEADERS": f"X-Gateway-Token: {token}"}))  # fmt: skip
    assert proc.returncode == 1, proc.stderr
    document = json.loads((tmp_path / "replayed" / "replay.json").read_text(encoding="utf-8"))
    assert document["exchanges"], "no exchange was written as evidence: the test proves nothing"
    written = [p for p in (tmp_path / "replayed").iterdir()] + [tmp_path / "run.jsonl"]
    for needle in (key, key.split("-")[-1], token, token.split("-")[-1]):
        for path in written:
            assert needle.encode() not in path.read_bytes(), f"{needle[:12]}... in {path.name}"
        assert needle not in proc.stdout + proc.stderr
    assert "[REDACTED]" in (tmp_path / "replayed" / "replay.json").read_text(encoding="utf-8")


def test_the_recordings_text_holds_one_recording_per_line() -> None:
    text = dumps([Recording("a\u2028b", "POST", "/chat/completions", {"x": "line\nbreak\u0085"}, body({}))], "s")
    assert len(text.splitlines()) == 2


def test_a_difference_is_one_line_of_text() -> None:
    assert str(Difference("status", "", "400", "200")) == "status: the API answers 400, the server 200"


# --- the plugin form: a test per recording --------------------------------------------------------------------------


def test_the_plugin_replays_each_recording_as_a_test(
    pytester: pytest.Pytester, tmp_path: Path, reference: RunningServer
) -> None:
    """`pytest --oai-replay FILE` against the bundled reference: a recording of its own answer passes, the same
    request recorded as a 400 (as if the API refused it) fails naming the difference, an unclaimed one is left out."""
    body = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "Hi"}], "max_tokens": 5}
    answered = _post(reference, "/chat/completions", body)
    refused = envelope(param=None, code="invalid_value")
    made = [Recording("alike", "POST", "/chat/completions", body, answered),
            Recording("refused", "POST", "/chat/completions", body, refused),
            Recording("embedded", "POST", "/embeddings", {"model": "text-embedding-3-small", "input": "x"}, answered)]
    recordings = tmp_path / "mine.jsonl"
    write_recordings(recordings, made, "test")
    result = pytester.runpytest_subprocess("-p", "no:randomly", "--oai-replay", str(recordings),
                                           "--oai-features", "chat,errors", "-v")  # fmt: skip
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(["*test_replay?alike? PASSED*", "*test_replay?refused? FAILED*"])
    result.stdout.fnmatch_lines(["*refused: answered differently from the recorded answer:*", "*400*"])
    assert "embedded" not in result.stdout.str(), "embeddings are not claimed: not sent"


def test_the_plugin_refuses_a_broken_recordings_file_in_one_line(pytester: pytest.Pytester, tmp_path: Path) -> None:
    result = pytester.runpytest_subprocess("--oai-replay", str(_ours(tmp_path, "{not json")))
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    [line] = [x for x in result.stderr.str().splitlines() if x.strip()]
    assert line.startswith("ERROR: oai-conformance: ") and "line 1: not JSON" in line, line
