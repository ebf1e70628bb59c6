"""Our recordings format: JSON Lines, one header line, then one recorded exchange per line (docs/replay.md).

    {"format": "oai-conformance/recordings", "version": 1, "source": "..."}
    {"id": "...", "name": "...", "request": {"method": "POST", "path": "/chat/completions", "body": {...}},
     "answer": {"status": 200, "content_type": "application/json", "body": {...}}}
    {"id": "...", "request": {...}, "answer": {"status": 200, "content_type": "text/event-stream",
     "stream": [{chunk}, ...], "done": true}}

A file whose name ends in `.gz` is read (and written) gzip-compressed. `importers.load_recordings` reads this format
and the FauxpenAI files of ../shared/recordings, so they replay as they are. Anything wrong in a file is one
ConfigError naming the file and the line: nothing is sent before every file has been read.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from conformance.exceptions import ConfigError

FORMAT = "oai-conformance/recordings"
VERSION = 1
STREAM_TYPE = "text/event-stream"


@dataclass(frozen=True)
class Answer:
    """What a server answered, as the comparison reads it: the status, and a JSON body or a stream's chunks.

    `body` is the parsed JSON body (None when the body is empty or not JSON: `text` then holds its start);
    `stream` the parsed `data:` of each event but `[DONE]`, in order (an event that is not JSON is kept as its text);
    `done` whether the stream ended with `data: [DONE]` (None: not recorded). `error` says why there is no answer.
    """

    status: int | None
    content_type: str = ""
    body: Any = None
    stream: tuple[Any, ...] | None = None
    done: bool | None = None
    text: str = ""
    error: str = ""

    @property
    def is_stream(self) -> bool:
        return self.stream is not None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"status": self.status, "content_type": self.content_type}
        if self.stream is not None:
            out["stream"] = list(self.stream)
            out["done"] = self.done
        else:
            out["body"] = self.body
            if self.body is None and self.text:
                out["text"] = self.text
        if self.error:
            out["error"] = self.error
        return out


@dataclass(frozen=True)
class Recording:
    """One recorded exchange: the request (method, path below the API root, JSON body) and the recorded answer."""

    id: str
    method: str
    path: str
    body: Any
    answer: Answer
    name: str = ""
    source: str = ""  # the file it was read from (not written)
    notes: tuple[str, ...] = field(default=())

    @property
    def model(self) -> Any:
        return self.body.get("model") if isinstance(self.body, dict) else None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"id": self.id}
        if self.name:
            out["name"] = self.name
        out["request"] = {"method": self.method, "path": self.path, "body": self.body}
        out["answer"] = self.answer.to_json()
        if self.notes:
            out["notes"] = list(self.notes)
        return out


def header(source: str) -> dict[str, Any]:
    return {"format": FORMAT, "version": VERSION, "source": source}


def dumps(recordings: Iterable[Recording], source: str) -> str:
    """The text of a recordings file (one JSON object per line; line breaks inside strings are escaped)."""
    lines = [header(source), *(r.to_json() for r in recordings)]
    return "".join(json.dumps(line, ensure_ascii=True, separators=(",", ":")) + "\n" for line in lines)


def write_recordings(path: Path, recordings: Sequence[Recording], source: str) -> None:
    """Write a recordings file atomically (gzip when the name ends in .gz)."""
    from conformance.reports.writer import write_atomic

    text = dumps(recordings, source).encode()
    write_atomic(path, gzip.compress(text, mtime=0) if path.name.endswith(".gz") else text)


# --- reading ------------------------------------------------------------------------------------------------------


def read_text(path: Path) -> str:
    """A file's text (gunzipped when it is gzip); a ConfigError names the file and what is wrong."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the recordings: {exc.strerror or exc}") from None
    if raw[:2] == b"\x1f\x8b":
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError) as exc:
            raise ConfigError(f"{path}: not a readable gzip file: {exc}") from None
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: not UTF-8 text") from None


def read_ours(path: Path, text: str) -> list[Recording]:
    lines = text.splitlines()
    try:
        head = json.loads(lines[0])
    except ValueError:
        raise ConfigError(
            f"{path}: line 1: not JSON; expected the header of an {FORMAT} file (docs/replay.md) or a FauxpenAI file"
        ) from None
    if not isinstance(head, dict) or head.get("format") != FORMAT:
        found = head.get("format") if isinstance(head, dict) else type(head).__name__
        raise ConfigError(f"{path}: line 1: not an {FORMAT} header (format {found!r}); see docs/replay.md")
    if head.get("version") != VERSION:
        raise ConfigError(f"{path}: line 1: recordings version {head.get('version')!r} is not supported ({VERSION})")
    out = []
    for number, line in enumerate(lines[1:], start=2):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            raise ConfigError(f"{path}: line {number}: not JSON ({exc.msg})") from None
        try:
            out.append(from_json(record, str(path)))
        except _Bad as bad:
            raise ConfigError(f"{path}: line {number}: {bad}") from None
    return out


class _Bad(Exception):
    """What is wrong with one record."""


def from_json(record: Any, source: str = "") -> Recording:
    """One line of our format as a Recording; raises _Bad with what is wrong."""
    if not isinstance(record, dict):
        raise _Bad("a recording is a JSON object")
    rid = record.get("id")
    if not isinstance(rid, str) or not rid.strip():
        raise _Bad("`id` is missing or not a non-empty string")
    request = record.get("request")
    if not isinstance(request, dict):
        raise _Bad(f"recording {rid!r}: `request` is missing or not an object")
    method = request.get("method", "POST")
    path = request.get("path")
    if not isinstance(method, str) or not method.isalpha():
        raise _Bad(f"recording {rid!r}: `request.method` is not an HTTP method")
    if not isinstance(path, str) or not path.startswith("/") or any(c.isspace() for c in path):
        raise _Bad(f"recording {rid!r}: `request.path` is not a path below the API root such as /chat/completions")
    answer = record.get("answer")
    if not isinstance(answer, dict):
        raise _Bad(f"recording {rid!r}: `answer` is missing or not an object")
    status = answer.get("status")
    if not isinstance(status, int) or isinstance(status, bool) or not 100 <= status <= 599:
        raise _Bad(f"recording {rid!r}: `answer.status` is not an HTTP status")
    content_type = answer.get("content_type", "")
    if not isinstance(content_type, str):
        raise _Bad(f"recording {rid!r}: `answer.content_type` is not a string")
    stream = answer.get("stream")
    if stream is not None and not isinstance(stream, list):
        raise _Bad(f"recording {rid!r}: `answer.stream` is not a list of chunks")
    done = answer.get("done")
    if done is not None and not isinstance(done, bool):
        raise _Bad(f"recording {rid!r}: `answer.done` is not true, false or null")
    name = record.get("name", "")
    notes = record.get("notes", [])
    if not isinstance(name, str) or not isinstance(notes, list) or not all(isinstance(n, str) for n in notes):
        raise _Bad(f"recording {rid!r}: `name` is not a string or `notes` not a list of strings")
    return Recording(
        id=rid,
        method=method.upper(),
        path=path,
        body=request.get("body"),
        answer=Answer(
            status=status,
            content_type=content_type,
            body=None if stream is not None else answer.get("body"),
            stream=tuple(stream) if stream is not None else None,
            done=done if stream is not None else None,
            text=str(answer.get("text") or ""),
        ),
        name=name,
        source=source,
        notes=tuple(notes),
    )


def answer_of(status: int | None, content_type: str, body: bytes, error: str = "") -> Answer:
    """An answer as the comparison reads it: a stream's events parsed (conformance.sse), a JSON body parsed
    strictly (conformance.jsonvalue); `error` is the client's reason for a missing or cut answer."""
    from conformance import jsonvalue
    from conformance.sse import parse_events

    media = content_type.split(";", 1)[0].strip().lower()
    if status is None:
        return Answer(None, error=error)
    if media == STREAM_TYPE:
        events, _ = parse_events(body)
        chunks: list[Any] = []
        done = False
        for event in events:
            if event.is_done:
                done = True
                continue
            if done:  # anything after [DONE] breaks the end: the stream did not end with it
                done = False
            try:
                chunks.append(event.json())
            except ValueError:
                chunks.append(event.data)
        return Answer(status, media, stream=tuple(chunks), done=done, error=error)
    try:
        parsed = jsonvalue.parse(body) if body else None
    except ValueError:
        parsed = None
    text = "" if parsed is not None else body[:2000].decode("utf-8", "replace")
    return Answer(status, media, body=parsed, text=text, error=error)
