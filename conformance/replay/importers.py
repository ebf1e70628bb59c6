"""Recordings from elsewhere: the FauxpenAI files of ../shared/recordings, and a run's exchanges.jsonl.

FauxpenAI (aliok/FauxpenAI-spec) keeps one JSON object keyed by scenario hash; each value holds
`scenario.spec.name`, `scenario.requestBody` and `response` (`status`, `headers`, `body`: the parsed body, or for a
stream the list of parsed chunks). It does not say which endpoint a file recorded: the file name does
(`chat-completions...`, `embeddings...`), else the body (`messages`: chat, `input`: embeddings). The importer
undoes what the recorder added and drops what it could not keep (docs/replay.md):

- `"created": 1234567890` and `"service_tier": "default"` beside `error` and inside every choice (real answers do
  not carry them there) are removed;
- scenarios that were not run (no status) are left out;
- the recorder kept a stream's parsed chunks, not its framing: the real API ends every chat stream with
  `data: [DONE]`, so the imported stream says `done: true`.

A run's `exchanges.jsonl` (written in its report dir, redacted) becomes recordings with `record_exchanges`: only
the exchanges a replay can send again and compare (see REPLAYABLE and `why_not`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from conformance.exceptions import ConfigError
from conformance.replay.recording import STREAM_TYPE, Answer, Recording, answer_of, read_ours, read_text

RECORDER_CREATED = 1234567890
# The stateless operations a replay can send again: the same request asks the same question of any server.
REPLAYABLE = frozenset({"/chat/completions", "/embeddings", "/completions", "/moderations", "/responses"})
# Keys of a request that name something stored on the server that answered it (or ask it to keep working).
_STATEFUL_KEYS = ("previous_response_id", "conversation", "file_id", "file_ids", "vector_store_ids")


# --- reading any file a replay takes --------------------------------------------------------------------------------


def load_recordings(paths: Sequence[Path]) -> list[Recording]:
    """Every recording of every file, in file order: our format or FauxpenAI's. Raises ConfigError (one line)."""
    if not paths:
        raise ConfigError("no recordings file given")
    out: list[Recording] = []
    seen: dict[str, str] = {}
    for path in paths:
        text = read_text(path)
        first = text.lstrip()[:1]
        if not first:
            raise ConfigError(f"{path}: the file is empty")
        if is_fauxpenai(text):
            found = read_fauxpenai(path, text)
        elif is_exchanges_log(text):
            raise ConfigError(
                f"{path}: a run's exchanges, not recordings: convert them with `oai-conformance record {path} "
                "--out FILE`"
            )
        else:
            found = read_ours(path, text)
        for recording in found:
            if recording.id in seen:
                raise ConfigError(f"{path}: recording id {recording.id!r} is also in {seen[recording.id]}")
            seen[recording.id] = str(path)
            out.append(recording)
    return out


# --- FauxpenAI --------------------------------------------------------------------------------------------------


def is_fauxpenai(text: str) -> bool:
    """Whether the text is a FauxpenAI file: one JSON object whose values hold `scenario` (checked cheaply)."""
    start = text.lstrip()[:400]
    return start.startswith("{") and '"scenario"' in text[:20000] and '"format"' not in start[:60]


def is_exchanges_log(text: str) -> bool:
    first = text.lstrip().split("\n", 1)[0]
    try:
        record = json.loads(first)
    except ValueError:
        return False
    return isinstance(record, dict) and "request" in record and "response" in record and "index" in record


def _endpoint(path: Path, body: Any) -> str | None:
    stem = path.name.lower()
    if "embedding" in stem:
        return "/embeddings"
    if "chat" in stem:
        return "/chat/completions"
    if isinstance(body, dict) and "messages" in body:
        return "/chat/completions"
    if isinstance(body, dict) and "input" in body:
        return "/embeddings"
    return None


def read_fauxpenai(path: Path, text: str) -> list[Recording]:
    """The scenarios of a FauxpenAI file that were run, as recordings (ids `<file stem>/<hash[:16]>`)."""
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise ConfigError(f"{path}: not JSON: {exc}") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: not a FauxpenAI file (a JSON object keyed by scenario)")
    stem = path.name.split(".", 1)[0]
    out = []
    for key, value in sorted(data.items()):
        where = f"{path}: scenario {key[:16]}"
        if not isinstance(value, dict) or not isinstance(value.get("scenario"), dict):
            raise ConfigError(f"{where}: no `scenario` object: not a FauxpenAI file")
        response = value.get("response")
        if not isinstance(response, dict) or response.get("status") is None:
            continue  # not run (the recorder's rate limiter refused it)
        status = response.get("status")
        if not isinstance(status, int) or isinstance(status, bool) or not 100 <= status <= 599:
            raise ConfigError(f"{where}: `response.status` is not an HTTP status")
        scenario = value["scenario"]
        body = scenario.get("requestBody")
        endpoint = _endpoint(path, body)
        if endpoint is None:
            raise ConfigError(f"{where}: cannot tell the endpoint (name the file chat-completions... or embeddings...)")
        spec = scenario.get("spec") if isinstance(scenario.get("spec"), dict) else {}
        found = response.get("headers")
        headers: dict[str, Any] = found if isinstance(found, dict) else {}
        content_type = str(_header(headers, "content-type") or "application/json").split(";", 1)[0].strip().lower()
        recorded = response.get("body")
        if isinstance(recorded, list):
            answer = Answer(status, STREAM_TYPE, stream=tuple(_clean(c) for c in recorded), done=True)
        else:
            answer = Answer(status, content_type, body=_clean(recorded))
        out.append(
            Recording(
                id=f"{stem}/{key[:16]}",
                method="POST",
                path=endpoint,
                body=body,
                answer=answer,
                name=str(spec.get("name") or ""),
                source=str(path),
            )
        )
    return out


def _header(headers: Mapping[str, Any], name: str) -> Any:
    return next((v for k, v in headers.items() if str(k).lower() == name), None)


def _clean(body: Any) -> Any:
    """A recorded body without the recorder's `created`/`service_tier` where real answers have none."""
    if not isinstance(body, dict):
        return body
    out = dict(body)
    if "error" in out:
        for key in ("created", "service_tier"):
            out.pop(key, None)
    choices = out.get("choices")
    if isinstance(choices, list):
        out["choices"] = [_clean_choice(c) for c in choices]
    return out


def _clean_choice(choice: Any) -> Any:
    if not isinstance(choice, dict):
        return choice
    out = dict(choice)
    if out.get("created") == RECORDER_CREATED:
        out.pop("created")
    if out.get("service_tier") == "default":
        out.pop("service_tier")
    return out


# --- a run's exchanges -------------------------------------------------------------------------------------------


def _api_root(report_dir: Path) -> str | None:
    """The path of the run's API root ("/v1"), from the results.json beside the exchanges."""
    results = report_dir / "results.json"
    try:
        data = json.loads(results.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    base = (data.get("target") or {}).get("base_url") if isinstance(data, dict) else None
    return urlsplit(base).path.rstrip("/") if isinstance(base, str) else None


def relative_path(url: str, root: str | None) -> str:
    path = urlsplit(url).path
    if root and path.startswith(root + "/"):
        return path[len(root) :]
    found = re.search(r"/v1(/.*)$", path)
    return found.group(1) if found else path


def why_not(record: Mapping[str, Any], path: str) -> str | None:
    """Why an exchange of a run cannot be replayed and compared, or None when it can."""
    request = record.get("request") or {}
    response = record.get("response")
    if response is None:
        return "no answer was recorded"
    if request.get("method") != "POST" or path not in REPLAYABLE:
        return "not a stateless operation (only POST " + ", ".join(sorted(REPLAYABLE)) + ")"
    if response.get("status") == 401:
        return "answered 401: a replay always sends the configured key, so a wrong or missing key is not replayed"
    if response.get("status") in (429, 503):
        return "a transient answer (429/503)"
    if record.get("notes") or re.search(r"\.\.\. \[\d+ more bytes\]$", str(response.get("body") or "")):
        return "a body was cut in the run's log"
    try:
        body = json.loads(request.get("body") or "")
    except ValueError:
        return "the request body is not JSON"
    background = path == "/responses" and isinstance(body, dict) and (body.get("background") or body.get("prompt"))
    if isinstance(body, dict) and (_names_stored(body) or background):
        return "the request names an object stored on the server that answered it"
    return None


def _names_stored(value: Any) -> bool:
    if isinstance(value, dict):
        return any(k in value for k in _STATEFUL_KEYS) or any(_names_stored(v) for v in value.values())
    if isinstance(value, list):
        return any(_names_stored(v) for v in value)
    return False


def record_exchanges(path: Path) -> tuple[list[Recording], dict[str, int]]:
    """The replayable exchanges of a run's exchanges.jsonl (or of a report dir holding one) as recordings, and
    how many were left out for each reason."""
    log = path / "exchanges.jsonl" if path.is_dir() else path
    text = read_text(log)
    root = _api_root(log.parent)
    out: list[Recording] = []
    left_out: dict[str, int] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            raise ConfigError(f"{log}: line {number}: not JSON ({exc.msg})") from None
        if not isinstance(record, dict) or not isinstance(record.get("request"), dict):
            raise ConfigError(f"{log}: line {number}: not an exchange record (a run's exchanges.jsonl)")
        request = record["request"]
        path_below = relative_path(str(request.get("url") or ""), root)
        reason = why_not(record, path_below)
        if reason is not None:
            left_out[reason] = left_out.get(reason, 0) + 1
            continue
        response = record["response"]
        headers = response.get("headers") or {}
        content_type = str(_header(headers, "content-type") or "")
        answer = answer_of(int(response["status"]), content_type, str(response.get("body") or "").encode())
        out.append(
            Recording(
                id=f"{log.parent.name or 'run'}/{record.get('index', number - 1)}",
                method="POST",
                path=path_below,
                body=json.loads(request["body"]),
                answer=answer,
                name=f"exchange {record.get('index', number - 1)}",
                source=str(log),
            )
        )
    return out, left_out
