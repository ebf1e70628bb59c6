"""One recorded answer against a server's answer to the same request, by shape: the differences, each of a kind.

Compared: the status (its class; for an error the exact status), the error's `type`, `code` and `param`; for a
success the key paths, JSON types, nullability, enum values (ENUM_KEYS) and the lengths of the arrays the request
fixes (`n` choices, `top_logprobs`, one embedding per input, `dimensions`); for a stream its structure (where each
choice's role and finish_reason are, which chunk carries usage, `[DONE]`) and the union shape of its chunks. Not
compared: free text, ids, timestamps, token counts (their type only), headers.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from conformance.exchange import excerpt
from conformance.replay.recording import Answer
from conformance.replay.shape import (
    Shape,
    array_ancestors,
    choices_of,
    shape_of,
    stream_structure,
    top_logprobs_lengths,
    vector_length,
)

# The comparison kinds: each difference is of one, and the reports group by them.
KINDS: dict[str, str] = {
    "answer": "the server gave no answer (a connection failure or a bound of the client)",
    "status": "the status: its class (2xx, 4xx, 5xx), and the exact status where either answer is an error",
    "error.envelope": 'an error body that is not the envelope {"error": {"message", "type", "param", "code"}}',
    "error.type": "the error's `type`",
    "error.code": "the error's `code`",
    "error.param": "the error's `param`",
    "body": "the form of a success: a JSON body, a stream, or something else",
    "key": "a key path that one answer has and the other has not",
    "type": "the JSON type of the value at a key path",
    "null": "a value that is null in one answer only",
    "enum": "the values of an enum-valued key (object, finish_reason, role, type)",
    "length": "the length of an array the request fixes (n choices, top_logprobs, one embedding per input, dimensions)",
    "stream.role": "where a streamed choice carries its `role`",
    "stream.finish": "where a streamed choice carries its `finish_reason`",
    "stream.usage": "which chunk of a stream carries `usage`",
    "stream.done": "whether the stream ends with `data: [DONE]`",
}


@dataclass(frozen=True)
class Difference:
    """One way the server's answer differs from the recorded one: `recorded` and `answered` are short texts."""

    kind: str
    path: str
    recorded: str
    answered: str

    @property
    def group(self) -> tuple[str, str, str, str]:
        return (self.kind, self.path, self.recorded, self.answered)

    def __str__(self) -> str:
        where = f" at `{self.path}`" if self.path else ""
        return f"{self.kind}{where}: the API answers {self.recorded}, the server {self.answered}"

    def to_json(self) -> dict[str, str]:
        return {"kind": self.kind, "path": self.path, "recorded": self.recorded, "answered": self.answered}


def compare(request: Any, recorded: Answer, answered: Answer) -> list[Difference]:
    """The differences between the recorded answer and the server's, for the request as it was sent."""
    if answered.status is None:
        return [Difference("answer", "", _status_text(recorded), f"no answer ({answered.error or 'no status'})")]
    if recorded.status is None:
        return []
    both_success = recorded.status < 300 and answered.status < 300
    if not both_success and recorded.status != answered.status:
        if recorded.status >= 400 and answered.status >= 400:  # the error's fields say the rest
            return [Difference("status", "", str(recorded.status), str(answered.status)), *_errors(recorded, answered)]
        return [Difference("status", "", _status_text(recorded), _status_text(answered))]
    if not both_success:
        return _errors(recorded, answered)
    if recorded.is_stream != answered.is_stream:
        return [Difference("body", "", _form(recorded), _form(answered))]
    if recorded.is_stream:
        return _streams(request, recorded, answered)
    if not isinstance(answered.body, dict | list) and isinstance(recorded.body, dict | list):
        return [Difference("body", "", _form(recorded), _form(answered))]
    return shape_differences(shape_of(recorded.body), shape_of(answered.body)) + _lengths(
        request, recorded.body, answered.body
    )


# --- statuses and errors --------------------------------------------------------------------------------------------


def envelope(answer: Answer) -> dict[str, Any] | None:
    body = answer.body
    error = body.get("error") if isinstance(body, dict) else None
    return error if isinstance(error, dict) else None


def _status_text(answer: Answer) -> str:
    if answer.status is None:
        return "no answer"
    error = envelope(answer)
    if answer.status < 400 or error is None:
        return str(answer.status)
    fields = ", ".join(f"{k} {_value(error.get(k))}" for k in ("type", "code", "param") if error.get(k) is not None)
    return f"{answer.status} ({fields})" if fields else str(answer.status)


def _value(value: Any) -> str:
    return "null" if value is None else f"`{value}`" if isinstance(value, str) else excerpt(value, 60)


def _errors(recorded: Answer, answered: Answer) -> list[Difference]:
    mine = envelope(recorded)
    if mine is None:
        return []  # the recording holds no envelope to compare with
    theirs = envelope(answered)
    if theirs is None or not {"message", "type"} <= set(theirs):
        return [Difference("error.envelope", "", "the error envelope", _form(answered))]
    out = []
    for key in ("type", "code", "param"):
        if key not in theirs:
            out.append(Difference(f"error.{key}", f"error.{key}", _value(mine.get(key)), "no such key"))
        elif mine.get(key) != theirs.get(key):
            out.append(Difference(f"error.{key}", f"error.{key}", _value(mine.get(key)), _value(theirs.get(key))))
    return out


def _form(answer: Answer) -> str:
    if answer.is_stream:
        return f"a stream ({answer.content_type or 'no content type'})"
    if isinstance(answer.body, dict):
        return f"a JSON object ({answer.content_type or 'no content type'})"
    if answer.body is not None:
        return f"JSON {type(answer.body).__name__} ({answer.content_type or 'no content type'})"
    return f"a body that is not JSON ({answer.content_type or 'no content type'}): {excerpt(answer.text, 80)}"


# --- shapes ---------------------------------------------------------------------------------------------------------


def _types(types: set[str]) -> str:
    return "|".join(sorted(types))


def shape_differences(recorded: Shape, answered: Shape) -> list[Difference]:
    """Key paths, types, nulls and enum values; nothing below a path that already differs."""
    out: list[Difference] = []
    stopped: list[str] = []
    for path in sorted(recorded.types.keys() | answered.types.keys()):
        if any(path.startswith(s + ".") or path.startswith(s + "[]") for s in stopped):
            continue
        # Below an array, only where both answers have elements (an empty list has no element shape).
        if any(a not in recorded.filled or a not in answered.filled for a in array_ancestors(path)):
            continue
        mine, theirs = recorded.types.get(path), answered.types.get(path)
        if mine is None or theirs is None:
            out.append(Difference("key", path, "present" if mine else "absent", "present" if theirs else "absent"))
            stopped.append(path)
            continue
        if mine != theirs:
            if mine - {"null"} == theirs - {"null"}:
                out.append(Difference("null", path, _types(mine), _types(theirs)))
                continue
            kind = "null" if {"null"} in (mine, theirs) else "type"
            out.append(Difference(kind, path, _types(mine), _types(theirs)))
            stopped.append(path)
            continue
        values, others = recorded.enums.get(path, set()), answered.enums.get(path, set())
        if values and others and values != others:
            out.append(Difference("enum", path, _enum(values), _enum(others)))
    return out


def _enum(values: set[str]) -> str:
    return ", ".join(f"`{v}`" for v in sorted(values))


# --- lengths the request fixes --------------------------------------------------------------------------------------


def _length(path: str, mine: Any, theirs: Any) -> list[Difference]:
    if mine is None or theirs is None or mine == theirs:
        return []
    return [Difference("length", path, _count(mine), _count(theirs))]


def _count(value: Any) -> str:
    if isinstance(value, set | frozenset):
        return ", ".join(str(v) for v in sorted(value)) or "none"
    return str(value)


def _len(value: Any) -> int | None:
    return len(value) if isinstance(value, list) else None


def _lengths(request: Any, recorded: Any, answered: Any) -> list[Difference]:
    if not isinstance(recorded, dict) or not isinstance(answered, dict):
        return []
    request = request if isinstance(request, dict) else {}
    out = []
    for key in ("choices", "data", "results"):  # n (and prompts), one embedding per input, one result per input
        out += _length(key, _len(recorded.get(key)), _len(answered.get(key)))
    if request.get("logprobs") is True and isinstance(request.get("top_logprobs"), int):
        mine = top_logprobs_lengths(recorded.get("choices") or [])
        theirs = top_logprobs_lengths(answered.get("choices") or [])
        if mine and theirs:
            out += _length("choices[].logprobs.content[].top_logprobs", mine, theirs)
    if isinstance(request.get("dimensions"), int):
        mine = _vector_lengths(recorded.get("data"))
        theirs = _vector_lengths(answered.get("data"))
        if mine and theirs:
            out += _length("data[].embedding", mine, theirs)
    return out


def _vector_lengths(data: Any) -> set[int]:
    items = data if isinstance(data, list) else []
    lengths = (vector_length(i.get("embedding")) for i in items if isinstance(i, dict))
    return {n for n in lengths if n is not None}


# --- streams --------------------------------------------------------------------------------------------------------


def _streams(request: Any, recorded: Answer, answered: Answer) -> list[Difference]:
    mine_chunks = list(recorded.stream or ())
    theirs_chunks = list(answered.stream or ())
    out: list[Difference] = []
    mine, theirs = stream_structure(mine_chunks), stream_structure(theirs_chunks)
    out += _length("chunks[].choices[].index (distinct)", len(mine.choices), len(theirs.choices))
    for index in sorted(set(mine.choices) & set(theirs.choices)):
        if mine.roles[index] != theirs.roles[index]:
            out.append(Difference("stream.role", f"choice {index}", mine.roles[index], theirs.roles[index]))
        if mine.finishes[index] != theirs.finishes[index]:
            out.append(Difference("stream.finish", f"choice {index}", mine.finishes[index], theirs.finishes[index]))
    if mine.usage != theirs.usage:
        out.append(Difference("stream.usage", "", mine.usage, theirs.usage))
    if recorded.done is not None and recorded.done != answered.done:
        out.append(Difference("stream.done", "", _done(recorded.done), _done(answered.done)))
    out += shape_differences(shape_of(mine_chunks, "chunks"), shape_of(theirs_chunks, "chunks"))
    request = request if isinstance(request, dict) else {}
    if request.get("logprobs") is True and isinstance(request.get("top_logprobs"), int):
        a, b = top_logprobs_lengths(choices_of(mine_chunks)), top_logprobs_lengths(choices_of(theirs_chunks))
        if a and b:
            out += _length("chunks[].choices[].logprobs.content[].top_logprobs", a, b)
    return out


def _done(done: bool | None) -> str:
    return "ends with data: [DONE]" if done else "no data: [DONE] at its end"


def kinds_of(differences: Iterable[Difference]) -> list[str]:
    return list(dict.fromkeys(d.kind for d in differences))
