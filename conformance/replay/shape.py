"""What an answer is made of, without its text: key paths, JSON types, nulls, enum values, and a stream's structure.

A path names where a value sits: `choices[].message.content` (`[]` stands for every element of an array). The
shape of several values (a stream's chunks, the elements of an array) is the union of theirs: `finish_reason` is
`string|null` over a stream whose last chunk says `stop`. Free text, ids, timestamps and counts only give their
type; enum-valued keys (ENUM_KEYS) give their values too.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

# Keys whose string values are enum values the comparison reads (`type` only outside the error envelope, which
# the comparison reads on its own).
ENUM_KEYS = frozenset({"object", "finish_reason", "role", "type"})


def type_name(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"  # 1 and 1.0 are one JSON number
    if isinstance(value, str):
        return "string"
    if isinstance(value, list | tuple):
        return "array"
    if isinstance(value, dict):
        return "object"
    return type(value).__name__


@dataclass
class Shape:
    types: dict[str, set[str]] = field(default_factory=dict)  # path -> JSON types seen there
    enums: dict[str, set[str]] = field(default_factory=dict)  # path -> values of an enum-valued key
    filled: set[str] = field(default_factory=set)  # array paths with at least one element

    def walk(self, value: Any, path: str) -> None:
        self.types.setdefault(path, set()).add(type_name(value))
        if isinstance(value, dict):
            for key, item in value.items():
                child = f"{path}.{key}" if path else str(key)
                self.walk(item, child)
                if key in ENUM_KEYS and isinstance(item, str):
                    self.enums.setdefault(child, set()).add(item)
        elif isinstance(value, list | tuple):
            if value:
                self.filled.add(path)
            for item in value:
                self.walk(item, f"{path}[]")


def shape_of(value: Any, root: str = "") -> Shape:
    shape = Shape()
    shape.walk(value, root)
    return shape


def array_ancestors(path: str) -> list[str]:
    """The array paths a path lies under: `a[].b[].c` -> [`a`, `a[].b`]."""
    out = []
    at = path.find("[]")
    while at >= 0:
        out.append(path[:at])
        at = path.find("[]", at + 2)
    return out


def last_key(path: str) -> str:
    return path.rsplit(".", 1)[-1].removesuffix("[]")


# --- lengths the request fixes --------------------------------------------------------------------------------------


def vector_length(embedding: Any) -> int | None:
    """A vector's number of components: a list's length, or a base64 float32 string's bytes / 4."""
    if isinstance(embedding, list):
        return len(embedding)
    if isinstance(embedding, str):
        try:
            return len(base64.b64decode(embedding, validate=True)) // 4
        except (binascii.Error, ValueError):
            return None
    return None


def top_logprobs_lengths(choices: Iterable[Any]) -> set[int]:
    """The lengths of every token's `top_logprobs` in choices (or streamed choice deltas)."""
    out = set()
    for choice in choices:
        logprobs = choice.get("logprobs") if isinstance(choice, dict) else None
        content = logprobs.get("content") if isinstance(logprobs, dict) else None
        for entry in content if isinstance(content, list) else []:
            top = entry.get("top_logprobs") if isinstance(entry, dict) else None
            if isinstance(top, list):
                out.add(len(top))
    return out


def choices_of(chunks: Iterable[Any]) -> list[Any]:
    found = (chunk.get("choices") or [] for chunk in chunks if isinstance(chunk, dict))
    return [choice for choices in found for choice in choices if isinstance(choice, dict)]


# --- a chat stream's structure ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class StreamStructure:
    """Where a chat stream puts what: per choice index, the role's and finish_reason's place; the usage chunk."""

    choices: tuple[int, ...]
    roles: Mapping[int, str]
    finishes: Mapping[int, str]
    usage: str


def stream_structure(chunks: Iterable[Any]) -> StreamStructure:
    chunks = list(chunks)
    per_choice: dict[int, list[dict[str, Any]]] = {}
    for chunk in chunks:
        for choice in choices_of([chunk]):
            index = choice.get("index")
            if isinstance(index, int) and not isinstance(index, bool):
                per_choice.setdefault(index, []).append(choice)
    roles = {i: _role_place(items) for i, items in per_choice.items()}
    finishes = {i: _finish_place(items) for i, items in per_choice.items()}
    return StreamStructure(tuple(sorted(per_choice)), roles, finishes, _usage_place(chunks))


def _delta(choice: Mapping[str, Any]) -> Any:
    return choice.get("delta")


def _role_place(items: list[dict[str, Any]]) -> str:
    places = [n for n, c in enumerate(items) if isinstance(_delta(c), dict) and _delta(c).get("role") is not None]
    if not places:
        return "in no chunk"
    if places == [0]:
        return "in the choice's first chunk only"
    if 0 not in places:
        return "not in the choice's first chunk"
    return f"repeated ({len(places)} chunks)"


def _empty(delta: Any) -> bool:
    if not isinstance(delta, dict):
        return True
    return all(v in (None, "", [], {}) for k, v in delta.items() if k != "role")


def _finish_place(items: list[dict[str, Any]]) -> str:
    places = [n for n, c in enumerate(items) if c.get("finish_reason") is not None]
    if not places:
        return "in no chunk"
    if len(places) > 1:
        return f"in {len(places)} chunks"
    if places[0] != len(items) - 1:
        return "before the choice's last chunk"
    if _empty(_delta(items[-1])) and len(items) > 1:
        return "in the choice's last chunk, with an empty delta"
    return "in the choice's last chunk, with content"


def _usage_place(chunks: list[Any]) -> str:
    carriers = [n for n, c in enumerate(chunks) if isinstance(c, dict) and isinstance(c.get("usage"), dict)]
    if not carriers:
        return "no chunk"
    if len(carriers) == len(chunks) and len(chunks) > 1:
        return "every chunk"
    if carriers == [len(chunks) - 1]:
        last = chunks[-1]
        return "the last chunk, with no choices" if last.get("choices") == [] else "the last chunk, with choices"
    return f"{len(carriers)} chunks, not only the last"
