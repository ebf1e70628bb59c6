"""One comparable shape for a schema node, whichever way its document spells it.

Both sides are reduced to a `Shape`: the JSON types a value may have (`"null"` among them when it may be null),
the allowed values (enum/const), the properties, the required ones and the items. The spellings that mean the
same thing become the same shape:

- OpenAPI 3.0 `nullable: true`, `type: [..., "null"]`, an `anyOf`/`oneOf` with a `{"type": "null"}` branch and an
  enum holding null all put `"null"` among the types;
- `$ref` chains are followed (a `$ref` beside other keywords counts as one more `allOf` member);
- `allOf` members are merged (properties and required keys add up, types and enums intersect);
- `oneOf`/`anyOf` branches and `if`/`then`/`else` dispatches are united (properties of any branch, the keys every
  branch requires, the values of every branch);
- `const` is an enum of one value, and a missing `type` is read from the values, properties or items;
- everything else (descriptions, examples, `$comment`, `x-*` vendor keys, formats and bounds) is left out.

Subschemas stay unread until a diff asks for them (`Expr`), so recursive schemas cost nothing.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from conformance.exceptions import ConfigError

JSON_TYPES = ("null", "boolean", "integer", "number", "string", "array", "object")
_COMBINERS = ("$ref", "allOf", "anyOf", "oneOf", "if", "then", "else")
_MAX_DEPTH = 64


@dataclass(frozen=True)
class Node:
    """A schema node in the document it belongs to (refs resolve against that document)."""

    doc: str
    schema: Any


@dataclass(frozen=True)
class AllOf:
    """Several expressions a value must all satisfy (a property declared by several merged members)."""

    members: tuple[Expr, ...]


@dataclass(frozen=True)
class AnyOf:
    """Several expressions a value may satisfy one of (a property declared by several branches)."""

    members: tuple[Expr, ...]


Expr = Node | AllOf | AnyOf


@dataclass(frozen=True)
class Shape:
    """What a schema node allows, in one spelling. `types` None: any type; `enum` None: any value."""

    types: frozenset[str] | None = None
    enum: frozenset[str] | None = None  # JSON texts of the allowed non-null values
    properties: Mapping[str, Expr] = field(default_factory=dict)
    required: frozenset[str] = frozenset()
    items: Expr | None = None
    name: str | None = None  # the named schema (file or component) this node stands for, if any

    @property
    def nullable(self) -> bool:
        return self.types is not None and "null" in self.types

    @property
    def only_null(self) -> bool:
        return self.types == frozenset({"null"})


def json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    return "array" if isinstance(value, list) else "object"


class Side:
    """The documents of one side (our schema files, or the upstream OpenAPI document) and their refs.

    `components` is the JSON pointer prefix under which a target counts as a named schema of its own (upstream:
    `/components/schemas/`); on our side every file is a named schema.
    """

    def __init__(self, documents: Mapping[str, Any], *, components: str = "") -> None:
        self.documents = documents
        self.components = components
        self.touched: set[str] = set()  # the named schemas read so far

    def resolve(self, ref: str, doc: str) -> tuple[Node, str | None]:
        """The node `ref` points to from document `doc`, and its name when it is a named schema."""
        base, _, pointer = ref.partition("#")
        target = base.rsplit("/", 1)[-1] or doc
        if target not in self.documents:
            raise ConfigError(f"{doc}: $ref {ref!r} names an unknown document")
        node = self.documents[target]
        for part in [p.replace("~1", "/").replace("~0", "~") for p in pointer.split("/")[1:]]:
            try:
                node = node[int(part)] if isinstance(node, list) else node[part]
            except (KeyError, IndexError, ValueError, TypeError):
                raise ConfigError(f"{doc}: $ref {ref!r} does not resolve") from None
        name: str | None = None
        if self.components and pointer.startswith(self.components):
            name = pointer.removeprefix(self.components)
        elif not self.components and (target != doc or not pointer):
            name = target.removesuffix(".json")
        if name:
            self.touched.add(name)
        return Node(target, node), name

    def shape(self, expr: Expr, depth: int = 0) -> Shape:
        if depth > _MAX_DEPTH:
            return Shape()
        if isinstance(expr, AllOf):
            return merge(self.shape(m, depth + 1) for m in expr.members)
        if isinstance(expr, AnyOf):
            return unite(self.shape(m, depth + 1) for m in expr.members)
        schema = expr.schema
        if schema is True or not isinstance(schema, dict):
            return Shape() if schema is not False else Shape(types=frozenset())
        own = _own(expr.doc, schema)
        parts = [own]
        name = None
        if isinstance(schema.get("$ref"), str):
            target, name = self.resolve(schema["$ref"], expr.doc)
            parts.append(self.shape(target, depth + 1))
            if own.properties:  # a $ref beside properties of its own: this node is more than the target
                name = None
        members = [Node(expr.doc, m) for m in schema.get("allOf") or []]
        conditional = [m for m in members if isinstance(m.schema, dict) and _is_conditional(m.schema)]
        merged = [self.shape(m, depth + 1) for m in members if m not in conditional]
        parts += merged
        if len(members) == 1 and merged and not own.properties:
            name = name or merged[0].name
        branches = [Node(expr.doc, b) for key in ("anyOf", "oneOf") for b in schema.get(key) or []]
        branches += [Node(expr.doc, schema[k]) for k in ("then", "else") if k in schema]
        branches += [Node(expr.doc, m.schema[k]) for m in conditional for k in ("then", "else") if k in m.schema]
        if branches:
            shapes = [self.shape(b, depth + 1) for b in branches]
            parts.append(unite(shapes))
            named = [s for s in shapes if not s.only_null]
            if len(named) == 1 and not own.properties:
                name = name or named[0].name
        shape = merge(parts)
        if schema.get("nullable") is True and shape.types is not None:  # OpenAPI 3.0: null is allowed too
            shape = replace(shape, types=shape.types | {"null"})
        return replace(shape, name=name)


def _is_conditional(schema: dict[str, Any]) -> bool:
    keys = {k for k in schema if not k.startswith(("x-", "$comment")) and k not in ("description", "title")}
    return bool(keys) and keys <= {"if", "then", "else"}


def _own(doc: str, schema: dict[str, Any]) -> Shape:
    """The shape of a node's own keywords, without its refs and combinators."""
    types: frozenset[str] | None = None
    declared = schema.get("type")
    if isinstance(declared, str):
        types = frozenset({declared})
    elif isinstance(declared, list):
        types = frozenset(t for t in declared if isinstance(t, str))
    values: list[Any] | None = None
    if "const" in schema:
        values = [schema["const"]]
    elif isinstance(schema.get("enum"), list):
        values = schema["enum"]
    enum = None
    if values is not None:
        enum = frozenset(json.dumps(v, sort_keys=True) for v in values if v is not None)
        if types is None:
            types = frozenset(json_type(v) for v in values)
    properties = {k: Node(doc, v) for k, v in (schema.get("properties") or {}).items()}
    items = Node(doc, schema["items"]) if isinstance(schema.get("items"), dict | bool) else None
    if types is None and not any(k in schema for k in _COMBINERS):
        if properties or "required" in schema or "additionalProperties" in schema:
            types = frozenset({"object"})
        elif items is not None:
            types = frozenset({"array"})
    required = frozenset(r for r in schema.get("required") or [] if isinstance(r, str))
    return Shape(types=types, enum=enum, properties=properties, required=required, items=items)


def _intersect_types(a: frozenset[str], b: frozenset[str]) -> frozenset[str]:
    both = set(a & b)
    if ("number" in a and "integer" in b) or ("integer" in a and "number" in b):
        both.add("integer")
    return frozenset(both)


def merge(shapes: Iterable[Shape]) -> Shape:
    """What a value satisfying every shape may be (allOf)."""
    result = Shape()
    for s in shapes:
        if result.types is None or s.types is None:
            types = s.types if result.types is None else result.types
        else:
            types = _intersect_types(result.types, s.types)
        enum = s.enum if result.enum is None else result.enum if s.enum is None else result.enum & s.enum
        properties: dict[str, Expr] = dict(result.properties)
        for key, expr in s.properties.items():
            properties[key] = AllOf((properties[key], expr)) if key in properties else expr
        items = s.items if result.items is None else result.items if s.items is None else AllOf((result.items, s.items))
        result = Shape(types, enum, properties, result.required | s.required, items, result.name or s.name)
    return result


def unite(shapes: Iterable[Shape]) -> Shape:
    """What a value satisfying one of the shapes may be (anyOf, oneOf, if/then/else)."""
    shapes = list(shapes)
    if not shapes:
        return Shape()
    types: frozenset[str] | None = frozenset()
    for s in shapes:
        types = None if types is None or s.types is None else types | s.types
    valued = [s for s in shapes if not s.only_null]
    enum: frozenset[str] | None = frozenset()
    for s in valued:
        enum = None if enum is None or s.enum is None else enum | s.enum
    properties: dict[str, Expr] = {}
    for s in valued:
        for key, expr in s.properties.items():
            properties[key] = AnyOf((*_members(properties[key]), expr)) if key in properties else expr
    required = frozenset.intersection(*(s.required for s in valued)) if valued else frozenset()
    items_of = [s.items for s in valued if s.items is not None]
    items = None if not items_of else items_of[0] if len(items_of) == 1 else AnyOf(tuple(items_of))
    return Shape(types, enum if valued else None, properties, required, items)


def _members(expr: Expr) -> tuple[Expr, ...]:
    return expr.members if isinstance(expr, AnyOf) else (expr,)
