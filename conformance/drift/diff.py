"""The differences between our schemas and the upstream document, object by object.

Objects are paired through the operations both documents describe (the request body and each response of the
same method and path; for an event stream, our `x-oai-item-schema` against upstream's stream schema), then
through the places where both sides name a schema of their own at the same spot (`usage` is `chat.usage.json`
on our side and `CompletionUsage` upstream), and through `MAPPING` for objects no operation of ours reaches.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from conformance.drift.normalise import CONSTRAINTS, Expr, Node, Shape, Side, unite

METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
UPSTREAM_SCHEMAS = "/components/schemas/"
# Our schemas that no operation of ours reaches, and the upstream component each one stands for.
MAPPING: dict[str, str] = {"deleted": "DeleteModelResponse"}
# audio: verbose_json is one of the transcription answers' union upstream; our 200 names the json one
MAPPING["audio.transcription.verbose"] = "CreateTranscriptionResponseVerboseJson"
# realtime: the WebSocket events, which no upstream path reaches, are the components of the same name
MAPPING["realtime.client-event"] = "RealtimeClientEvent"
MAPPING["realtime.server-event"] = "RealtimeServerEvent"
# assistants: the data of a streamed run's delta events, which upstream's stream names no schema for
MAPPING["thread.message.delta"] = "MessageDeltaObject"
MAPPING["thread.run.step.delta"] = "RunStepDeltaObject"
# vector stores: the file_search_call output item as the file-search rules read it
MAPPING["response.file-search-call"] = "FileSearchToolCall"
# Our schema for the body of every webhook delivery: upstream lists each webhook's body apart from its paths
# (OpenAPI 3.1 `webhooks`), so it is compared with the union of them.
WEBHOOK_BODY = "webhook.event"
# Our schemas that are unions of events told apart by `type`: a type only one side has is an event type.
EVENTS = frozenset({"realtime.client-event", "realtime.server-event", WEBHOOK_BODY})
_MAX_NESTING = 24  # a recursive schema that never names itself again stops here


@dataclass(frozen=True, order=True)
class Difference:
    """One way our schema `object` departs from upstream at `at` (a path inside the object, `[]` for items).

    `kind` is one of KINDS; `detail` names the value, or says what each side has. `upstream` names the upstream
    schema (and the path inside it) that was compared; it is informative only, so that an upstream rename does
    not make every reviewed difference new.
    """

    object: str
    at: str
    kind: str
    detail: str = ""
    upstream: str = field(default="", compare=False)

    @property
    def key(self) -> tuple[str, str, str, str]:
        return (self.object, self.at, self.kind, self.detail)


KINDS = {
    "property-added": "a property only upstream has",
    "property-removed": "a property upstream does not have",
    "required-added": "required upstream, optional in ours",
    "required-removed": "required in ours, optional upstream",
    "type": "the types differ",
    "nullable": "null is allowed on one side only",
    "enum-added": "a value only upstream allows",
    "enum-removed": "a value upstream does not allow",
    "enum-open": "one side lists the values, the other allows any",
    "event-type-added": "a stream event type only upstream has",
    "event-type-removed": "a stream event type upstream does not have",
    "operation-removed": "an operation of ours upstream no longer has",
    "constraint-added": "a bound, pattern or format only upstream has (ours accepts more)",
    "constraint-removed": "a bound, pattern or format upstream does not have (ours may refuse what upstream allows)",
    "constraint": "a bound, pattern or format both sides have, with different values",
    "status-added": "a status upstream documents for the operation and ours does not",
    "status-removed": "a status ours documents for the operation and upstream does not",
    "header-added": "a response header only upstream documents",
    "header-removed": "a response header upstream does not document",
    "media-type-added": "a content type of a request body or response only upstream has",
    "media-type-removed": "a content type of a request body or response upstream does not have",
}
# A property only upstream has, which upstream requires: a value of ours may lack what every upstream value has.
REQUIRED_UPSTREAM = "required upstream"


def operation_key(method: str, path: str) -> str:
    """`POST /chat/completions`: parameter names and query strings (`/responses?beta=true`) do not count."""
    return f"{method.upper()} {re.sub(r'{[^}]*}', '{}', path.split('?', 1)[0])}"


def operations(document: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    for path, item in (document.get("paths") or {}).items():
        for method, operation in (item or {}).items():
            if method in METHODS and isinstance(operation, dict):
                found.setdefault(operation_key(method, path), operation)
    return found


@dataclass
class ShapeComparison:
    """One comparison of our side with upstream: the differences, and which objects met which."""

    ours: Side
    upstream: Side
    differences: dict[tuple[str, str, str, str], Difference] = field(default_factory=dict)
    pairs: dict[str, set[str]] = field(default_factory=dict)  # our object -> upstream schemas it was compared with
    _seen: set[tuple[str, str, str, str]] = field(default_factory=set)

    def add(self, obj: str, at: str, kind: str, detail: str, upstream: str) -> None:
        difference = Difference(obj, at, kind, detail, upstream)
        self.differences.setdefault(difference.key, difference)

    def compare(
        self, ours: Expr, theirs: Expr, obj: str, up: str, at: str = "", up_at: str = "", *, stream: bool = False
    ) -> None:
        self.compare_shapes(self.ours.shape(ours), self.upstream.shape(theirs), obj, up, at, up_at, stream=stream)

    def compare_shapes(
        self,
        mine: Shape,
        other: Shape,
        obj: str,
        up: str,
        at: str = "",
        up_at: str = "",
        *,
        stream: bool = False,
        picked: str = "",
    ) -> None:
        """Compare two shapes at `at`; `picked` names the discriminator a union was already split by (its value
        is the same on both sides by construction)."""
        if mine.name and mine.name != obj:  # our side entered another file: its differences are its own
            obj, at = mine.name, ""
        if other.name and other.name != up:
            up, up_at = other.name, ""
        if not at:
            self.pairs.setdefault(obj, set()).add(_join(up, up_at))
        seen = (obj, at, up, up_at)
        if seen in self._seen or at.count(".") + at.count("[") > _MAX_NESTING:
            return
        self._seen.add(seen)
        where = _join(up, up_at)
        for kind, detail in _scalar_differences(mine, other, event_type=stream and at == "type"):
            self.add(obj, at, kind, detail, where)
        split = _discriminated(self.ours, mine, self.upstream, other)
        if split is not None:
            self._compare_alternatives(split, obj, up, at, up_at, where, stream=stream)
            return
        if mine.properties and other.properties:
            # a required key is a property even where no `properties` entry declares it (upstream's audio events)
            mine_keys, other_keys = set(mine.properties) | mine.required, set(other.properties) | other.required
            for name in sorted(mine_keys | other_keys):
                inside, up_inside = _join(at, name), _join(up_at, name)
                if name not in mine_keys:
                    self.add(obj, inside, "property-added", REQUIRED_UPSTREAM if name in other.required else "", where)
                elif name not in other_keys:
                    self.add(obj, inside, "property-removed", "", where)
                else:
                    if (name in other.required) != (name in mine.required):
                        kind = "required-added" if name in other.required else "required-removed"
                        self.add(obj, inside, kind, "", where)
                    if name != picked and name in mine.properties and name in other.properties:
                        self.compare(
                            mine.properties[name], other.properties[name], obj, up, inside, up_inside, stream=stream
                        )
        if mine.items is not None and other.items is not None:
            self.compare(mine.items, other.items, obj, up, at + "[]", up_at + "[]")
        if mine.values is not None and other.values is not None:
            self.compare(mine.values, other.values, obj, up, at + "{}", up_at + "{}")

    def _compare_alternatives(
        self, split: Split, obj: str, up: str, at: str, up_at: str, where: str, *, stream: bool
    ) -> None:
        """Two discriminated unions: the discriminator's values, then the alternatives of each value both sides
        know, side by side (`[type=message]`), instead of every branch's properties merged into one object."""
        key = split.key
        inside = _join(at, key)
        added, removed = (
            ("event-type-added", "event-type-removed") if stream and not at else ("enum-added", "enum-removed")
        )
        for value in sorted(set(split.theirs) - set(split.mine)):
            self.add(obj, inside, added, value, where)
        for value in sorted(set(split.mine) - set(split.theirs)):
            self.add(obj, inside, removed, value, where)
        if split.mine_open != split.theirs_open:
            side = "ours" if split.mine_open else "upstream"
            self.add(obj, inside, "enum-open", f"{side} also accepts any other value", where)
        for value in sorted(set(split.mine) & set(split.theirs)):
            label = f"[{key}={_bare(value)}]"
            self.compare_shapes(split.mine[value], split.theirs[value], obj, up, at + label, up_at + label, picked=key)


@dataclass(frozen=True)
class Split:
    """A discriminated union on both sides: for each value of the discriminator `key`, the alternatives that
    carry it (united), and whether a side also takes objects with any other value (an unknown-type fallback)."""

    key: str
    mine: dict[str, Shape]
    theirs: dict[str, Shape]
    mine_open: bool
    theirs_open: bool


def _leaves(shape: Shape) -> list[Shape]:
    """The alternatives of a union, nested unions flattened, each once (a union reached by two paths, or the
    fallbacks of several `if`s, count once); null-only branches left out."""
    if not shape.variants:
        return [] if shape.only_null else [shape]
    found: list[Shape] = []
    for leaf in (leaf for v in shape.variants for leaf in _leaves(v)):
        if leaf not in found:
            found.append(leaf)
    return found


def _values(side: Side, leaves: list[Shape], key: str) -> list[frozenset[str] | None]:
    """The values each alternative allows for `key` (None: any value, or no such property)."""
    found: list[frozenset[str] | None] = []
    for leaf in leaves:
        expr = leaf.properties.get(key)
        found.append(side.shape(expr).enum if expr is not None else None)
    return found


def _is_discriminator(values: list[frozenset[str] | None]) -> bool:
    """Whether the alternatives tell themselves apart by this property: most carry their own values."""
    listed = [v for v in values if v is not None]
    distinct = frozenset().union(*listed) if listed else frozenset()
    return len(listed) >= 2 and len(distinct) >= 2 and 2 * len(distinct) >= len(listed)


def _discriminated(ours: Side, mine: Shape, upstream: Side, other: Shape) -> Split | None:
    """Both shapes as unions split by one discriminating property, or None when they are not both unions of
    objects told apart by the same property."""
    mine_leaves, their_leaves = _leaves(mine), _leaves(other)
    if len(mine_leaves) < 2 or len(their_leaves) < 2:
        return None
    objects = [s for s in (*mine_leaves, *their_leaves) if s.types is None or "object" in s.types]
    if not objects:
        return None
    best: tuple[int, str] | None = None
    keys = {k for s in mine_leaves for k in s.properties} & {k for s in their_leaves for k in s.properties}
    for key in sorted(keys):
        mv, tv = _values(ours, mine_leaves, key), _values(upstream, their_leaves, key)
        if _is_discriminator(mv) and _is_discriminator(tv):
            score = sum(v is not None for v in (*mv, *tv))
            if best is None or score > best[0]:
                best = (score, key)
    if best is None:
        return None
    key = best[1]
    mine_groups, mine_open = _groups(_values(ours, mine_leaves, key), mine_leaves)
    their_groups, their_open = _groups(_values(upstream, their_leaves, key), their_leaves)
    return Split(key, mine_groups, their_groups, mine_open, their_open)


def _groups(values: list[frozenset[str] | None], leaves: list[Shape]) -> tuple[dict[str, Shape], bool]:
    """The alternatives by discriminator value (a branch that a matching `if` picks leaves out the fallbacks, as
    validation does), and whether an object alternative takes any value."""
    by_value: dict[str, list[Shape]] = {}
    for listed, leaf in zip(values, leaves, strict=True):
        for value in sorted(listed or ()):
            by_value.setdefault(value, []).append(leaf)
    open_ = any(v is None and (s.types is None or "object" in s.types) for v, s in zip(values, leaves, strict=True))
    groups = {}
    for value, found in by_value.items():
        found = [s for s in found if not s.fallback] or found
        groups[value] = found[0] if len(found) == 1 else replace(unite(found), variants=())
    return groups, open_


def _bare(value: str) -> str:
    """A JSON text as it reads in a path: `"message"` as message."""
    try:
        loaded = json.loads(value)
    except ValueError:
        return value
    return loaded if isinstance(loaded, str) else value


def _join(base: str, name: str) -> str:
    return f"{base}.{name}" if base and name and name[0] not in "[{" else base + name


def _plain(types: frozenset[str]) -> str:
    shown = sorted(t for t in types if t != "null" and not (t == "integer" and "number" in types))
    return "|".join(shown) or "null"


def _scalar_differences(mine: Shape, other: Shape, *, event_type: bool) -> Iterator[tuple[str, str]]:
    if mine.types is None or other.types is None:
        return  # a side that says nothing about the value differs from nothing
    if _plain(mine.types) != _plain(other.types) and not (mine.only_null or other.only_null):
        yield "type", f"ours {_plain(mine.types)}, upstream {_plain(other.types)}"
    if mine.nullable != other.nullable:
        yield "nullable", "ours nullable, upstream not" if mine.nullable else "upstream nullable, ours not"
    if mine.enum is not None and other.enum is not None:
        added, removed = ("event-type-added", "event-type-removed") if event_type else ("enum-added", "enum-removed")
        for value in sorted(other.enum - mine.enum):
            yield added, value
        for value in sorted(mine.enum - other.enum):
            yield removed, value
    elif (mine.enum is None) != (other.enum is None):
        listed = mine.enum if mine.enum is not None else other.enum
        side = "ours" if mine.enum is not None else "upstream"
        yield "enum-open", f"{side} lists {len(listed or ())} value(s), the other side any"
    yield from _constraint_differences(mine, other)


def _constraint_differences(mine: Shape, other: Shape) -> Iterator[tuple[str, str]]:
    """Bounds, patterns and formats, with both values: `maxLength: ours 64, upstream 128`. Only those that apply to
    a type both sides allow: a bound of strings means nothing where one side has no strings."""
    ours, theirs = dict(mine.constraints), dict(other.constraints)
    both = (mine.types or frozenset()) & (other.types or frozenset())
    if "number" in both or "integer" in both:
        both |= {"number", "integer"}
    for keyword in sorted(set(ours) | set(theirs)):
        if not CONSTRAINTS[keyword] & both:
            continue
        mine_value, their_value = ours.get(keyword), theirs.get(keyword)
        if mine_value == their_value:
            continue
        if mine_value is None:
            yield "constraint-added", f"{keyword}: upstream {_shown(their_value)}"
        elif their_value is None:
            yield "constraint-removed", f"{keyword}: ours {_shown(mine_value)}"
        else:
            yield "constraint", f"{keyword}: ours {_shown(mine_value)}, upstream {_shown(their_value)}"


def _shown(value: Any) -> str:
    return json.dumps(int(value) if isinstance(value, float) and value.is_integer() else value, ensure_ascii=False)


@dataclass
class Coverage:
    upstream: list[str]  # every upstream operation key
    covered: list[str]
    ours_only: list[str]

    @property
    def missing(self) -> list[str]:
        return [key for key in self.upstream if key not in set(self.covered)]

    @property
    def share(self) -> float:
        return len(self.covered) / len(self.upstream) if self.upstream else 0.0


def compare_documents(
    ours: Mapping[str, Any], openapi: str, upstream: Mapping[str, Any]
) -> tuple[ShapeComparison, Coverage]:
    """Walk every object our `openapi` document (a key of `ours`, the schema files by file name) shares with
    the upstream OpenAPI document."""
    walk = ShapeComparison(Side(ours), Side({"upstream": upstream}, components=UPSTREAM_SCHEMAS))
    mine, theirs = operations(ours[openapi]), operations(upstream)
    covered = [key for key in theirs if key in mine]
    coverage = Coverage(sorted(theirs), sorted(covered), sorted(key for key in mine if key not in theirs))
    for key in coverage.ours_only:
        walk.add("openapi", key, "operation-removed", "", "paths")
    for key in covered:
        for at, kind, detail in _operation_differences(walk, openapi, key, mine[key], theirs[key]):
            walk.add("openapi", at, kind, detail, "paths")
        for label, our_schema, their_schema, stream in _bodies(walk, openapi, mine[key], theirs[key]):
            walk.compare(our_schema, their_schema, f"{key} {label}", f"{key} {label}", stream=stream)
    for name, component in MAPPING.items():
        if f"{name}.json" in ours and component in (upstream.get("components") or {}).get("schemas", {}):
            walk.compare(_ours(name), _component(component), name, component, stream=name in EVENTS)
    bodies = _webhook_bodies(walk, upstream)
    if f"{WEBHOOK_BODY}.json" in ours and bodies:
        walk.compare(_ours(WEBHOOK_BODY), Node("upstream", {"anyOf": bodies}), WEBHOOK_BODY, "webhooks", stream=True)
    return walk, coverage


def _webhook_bodies(walk: ShapeComparison, upstream: Mapping[str, Any]) -> list[Any]:
    """The JSON body schema of each webhook the upstream document lists, in its order."""
    bodies = []
    for item in (upstream.get("webhooks") or {}).values():
        for method, operation in (item or {}).items():
            if method in METHODS and isinstance(operation, dict):
                media = _content(walk.upstream, "upstream", operation.get("requestBody")).get("application/json")
                if media is not None and media[1].get("schema") is not None:
                    bodies.append(media[1]["schema"])
    return bodies


def _ours(name: str) -> Node:
    return Node(f"{name}.json", {"$ref": f"{name}.json"})


def _component(name: str) -> Node:
    return Node("upstream", {"$ref": f"#{UPSTREAM_SCHEMAS}{name}"})


def _bodies(
    walk: ShapeComparison, openapi: str, mine: dict[str, Any], theirs: dict[str, Any]
) -> Iterator[tuple[str, Expr, Expr, bool]]:
    """(label, our schema, upstream schema, is a stream item) for each body both operations describe."""
    pairs = [("request", mine.get("requestBody"), theirs.get("requestBody"))]
    responses = _answers(theirs)
    pairs += [(status, answer, responses.get(status)) for status, answer in _answers(mine).items()]
    for label, our_body, their_body in pairs:
        if not our_body or not their_body:
            continue
        ours_content = _content(walk.ours, openapi, our_body)
        theirs_content = _content(walk.upstream, "upstream", their_body)
        for media, (doc, media_object) in ours_content.items():
            if media not in theirs_content:
                continue
            stream = media == "text/event-stream"
            schema = media_object.get("x-oai-item-schema") if stream else None
            schema = schema or media_object.get("schema")
            their_schema = theirs_content[media][1].get("schema")
            if schema is not None and their_schema is not None:
                yield label, Node(doc, schema), Node("upstream", their_schema), stream


def _answers(operation: dict[str, Any]) -> dict[str, Any]:
    """An operation's responses by status as text: a YAML document may key them by numbers (`200:`)."""
    return {str(status): answer for status, answer in (operation.get("responses") or {}).items()}


def _resolved(side: Side, doc: str, body: Any) -> tuple[str, dict[str, Any]]:
    """A request body or response with its `$ref` to `components` followed, and the document it sits in."""
    while isinstance(body, dict) and isinstance(body.get("$ref"), str):
        node, _ = side.resolve(body["$ref"], doc)
        doc, body = node.doc, node.schema
    return doc, body if isinstance(body, dict) else {}


def _content(side: Side, doc: str, body: Any) -> dict[str, tuple[str, dict[str, Any]]]:
    """The media types of a request body or response, in their document."""
    doc, body = _resolved(side, doc, body)
    return {m: (doc, o) for m, o in (body.get("content") or {}).items() if isinstance(o, dict)}


def _operation_differences(
    walk: ShapeComparison, openapi: str, key: str, mine: dict[str, Any], theirs: dict[str, Any]
) -> Iterator[tuple[str, str, str]]:
    """(at, kind, detail) for what an operation documents besides its schemas: the statuses it answers with,
    and for the request body and each status both sides document, the content types and the response headers
    (named in lower case: HTTP header names are case-insensitive)."""
    our_answers, their_answers = _answers(mine), _answers(theirs)
    for status in sorted(set(their_answers) - set(our_answers)):
        yield key, "status-added", status
    for status in sorted(set(our_answers) - set(their_answers)):
        yield key, "status-removed", status
    pairs = [("request", mine.get("requestBody"), theirs.get("requestBody"))]
    pairs += [(s, our_answers[s], their_answers[s]) for s in sorted(set(our_answers) & set(their_answers))]
    for label, our_body, their_body in pairs:
        ours = _resolved(walk.ours, openapi, our_body)[1]
        upstream = _resolved(walk.upstream, "upstream", their_body)[1]
        for kind, field_name in (("media-type", "content"), ("header", "headers")):
            mine_names = {str(n).lower() for n in ours.get(field_name) or {}}
            their_names = {str(n).lower() for n in upstream.get(field_name) or {}}
            for name in sorted(their_names - mine_names):
                yield f"{key} {label}", f"{kind}-added", name
            for name in sorted(mine_names - their_names):
                yield f"{key} {label}", f"{kind}-removed", name
