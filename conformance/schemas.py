"""The JSON Schemas of the API's bodies: one registry over `schemas/`, loaded and checked once.

Every file is a JSON Schema 2020-12 document whose `$id` is its file name, so files refer to each other with
relative refs (`{"$ref": "chat.usage.json"}`). A file that cannot serve as such stops the run with a
`ConfigError` that names it: a broken schema would otherwise turn every body it judges into a false failure.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jsonschema
import referencing
import referencing.exceptions
from jsonschema.exceptions import ValidationError, relevance
from jsonschema.protocols import Validator
from referencing.jsonschema import DRAFT202012

from conformance._paths import cache_folder
from conformance.exceptions import ConfigError, one_line

__all__ = ["FORMATS", "SCHEMAS_DIR", "SchemaError", "names", "registry", "validate", "validator"]

DIALECT = "https://json-schema.org/draft/2020-12/schema"

# `schemas/openapi.json` is the project's OpenAPI document of the generated phase (it wires operations to the
# schema files), not one of our schemas.
NOT_A_SCHEMA = frozenset({"openapi.json"})

# Above 10**11 seconds is the year 5138: such a `created` is a millisecond timestamp (REAL-WORLD row 13).
LATEST_PLAUSIBLE_SECONDS = 10**11


def _schemas_dir() -> Path:
    # An installed wheel carries the schemas inside the package; a checkout has them at the top level.
    package = Path(__file__).parent
    bundled = package / "bundled" / "schemas"
    return bundled if bundled.is_dir() else package.parent / "schemas"


SCHEMAS_DIR: Path = _schemas_dir()

FORMATS = jsonschema.FormatChecker()


@FORMATS.checks("unixtime", raises=ValueError)
def _is_unixtime(instance: object) -> bool:
    # Formats judge only the types they are about; `type: integer` next to the format judges the rest.
    if isinstance(instance, bool) or not isinstance(instance, int | float):
        return True
    if instance < 0:
        raise ValueError("before 1970; a unixtime counts seconds since the epoch")
    if instance > LATEST_PLAUSIBLE_SECONDS:
        raise ValueError("milliseconds, not seconds since the epoch")
    return True


@dataclass(frozen=True)
class SchemaError:
    """One way an instance breaks a schema, located for people (`path`) and for tools (`schema_path`)."""

    path: str  # JSON path in the instance, such as "$.choices[0].delta"
    message: str
    schema_path: str  # the keywords from the root to the failing one, refs followed: "model.json#/required"
    keyword: str  # the failing keyword: "required", "type", "const", ...
    instance: Any = None  # the value that broke the rule, so a message can quote what was received

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


def names() -> list[str]:
    """The schema names (file names without `.json`), sorted."""
    return sorted(_documents())


def document(name: str) -> dict[str, Any]:
    """The parsed schema file `name` (read-only: it is shared)."""
    documents = _documents()
    if name not in documents:
        raise ConfigError(f"unknown schema {name!r}; known: {', '.join(sorted(documents))}")
    return documents[name]


@functools.cache
def registry() -> referencing.Registry[Any]:
    """Every schema file, loaded once, each resource under its `$id`; every `$ref` in them resolves."""
    documents = _documents()
    loaded: referencing.Registry[Any] = referencing.Registry().with_resources(
        (f"{name}.json", DRAFT202012.create_resource(contents)) for name, contents in documents.items()
    )
    loaded = loaded.crawl()
    for name, contents in documents.items():
        _check_refs(loaded, name, contents)
    return loaded


@functools.cache
def validator(name: str) -> Validator:
    """The validator of schema `name`, with `FORMATS` asserted; built once per name."""
    return jsonschema.Draft202012Validator(document(name), registry=registry(), format_checker=FORMATS)


def validate(name: str, instance: object) -> list[SchemaError]:
    """Every error of `instance` against schema `name`, best first; an empty list means valid."""
    accepts = _fast_acceptor(name)
    try:
        if accepts is not None and accepts(instance):
            return []
    except (TypeError, ValueError, OverflowError):
        pass  # not JSON data the fast validator reads: the full one decides
    found = [specific for error in validator(name).iter_errors(instance) for specific in _specific(error)]
    return [_schema_error(name, error) for error in sorted(found, key=relevance, reverse=True)]


# The formats our schemas use, and what the fast validator is given instead of each (it asserts custom formats on
# strings only; `unixtime` judges numbers). A schema with another format must be added here: a test holds it.
FAST_FORMATS: dict[str, dict[str, Any]] = {
    "unixtime": {"minimum": 0, "maximum": LATEST_PLAUSIBLE_SECONDS},  # as _is_unixtime: only numbers are judged
    "binary": {},  # a multipart file: not asserted by the full validator either
}


@functools.cache
def _fast_acceptor(name: str) -> Any:
    """A compiled validator of `name` (jsonschema-rs, ~80x faster) that only ever says "valid": most answers are,
    and then no error list is needed. Whatever it refuses, the full validator judges and explains, so an instance
    is never refused on its word. None where it is not installed."""
    document(name)  # an unknown name is the one-line ConfigError it always was
    try:
        import jsonschema_rs
    except ImportError:  # pragma: no cover - a dependency; the full validator alone is correct, only slower
        return None
    documents, loaded = _fast_registry()
    compiled = jsonschema_rs.Draft202012Validator(documents[name], registry=loaded, base_uri=f"{name}.json",
                                                  validate_formats=False)  # fmt: skip
    return compiled.is_valid


@functools.cache
def _fast_registry() -> tuple[dict[str, Any], Any]:
    """Every schema file with its formats replaced (FAST_FORMATS), and the fast validator's registry of them."""
    import jsonschema_rs

    documents = {n: _without_formats(d) for n, d in _documents().items()}
    return documents, jsonschema_rs.Registry([(f"{n}.json", d) for n, d in documents.items()])


# Keywords whose value maps names to schemas: there a key `format` names a property, it is no keyword.
_SCHEMA_MAPS = frozenset({"properties", "patternProperties", "$defs", "definitions", "dependentSchemas"})


def clear_caches() -> None:
    """Forget every schema read and every validator built (a test points SCHEMAS_DIR elsewhere)."""
    for cached in (_documents, registry, validator, _fast_acceptor, _fast_registry):
        cached.cache_clear()


def _without_formats(node: Any) -> Any:
    """The schema `node` with each `format` keyword replaced by what FAST_FORMATS says it means."""
    if isinstance(node, list):
        return [_without_formats(n) for n in node]
    if not isinstance(node, dict):
        return node
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key in _SCHEMA_MAPS and isinstance(value, dict):
            out[key] = {name: _without_formats(schema) for name, schema in value.items()}
        elif key != "format" or not isinstance(value, str):
            out[key] = _without_formats(value)
    if isinstance(node.get("format"), str) and (bounds := FAST_FORMATS[node["format"]]):
        out["allOf"] = [*out.get("allOf", []), bounds]
    return out


def _specific(error: ValidationError) -> list[ValidationError]:
    # anyOf/oneOf only say "not valid under any of the given schemas". When just one branch fits the
    # instance's type (the usual `anyOf: [{$ref: ...}, {type: null}]`), that branch's errors say why.
    if error.validator not in ("anyOf", "oneOf") or not error.context:
        return [error]
    branches: dict[object, list[ValidationError]] = defaultdict(list)
    for sub in error.context:
        branches[sub.relative_schema_path[0]].append(sub)
    fitting = [
        errors
        for errors in branches.values()
        if not any(sub.validator == "type" and not sub.relative_path for sub in errors)
    ]
    if len(fitting) != 1:
        return [error]
    return [specific for sub in fitting[0] for specific in _specific(sub)]


def _schema_error(name: str, error: ValidationError) -> SchemaError:
    pointer = "".join(f"/{part}" for part in error.absolute_schema_path)
    # A format error only says "x is not a 'unixtime'"; its cause says what is wrong with x.
    message = (
        f"{error.message} ({error.cause})" if error.validator == "format" and error.cause else error.message
    )
    return SchemaError(
        path=error.json_path,
        message=message,
        schema_path=f"{name}.json#{pointer}",
        keyword=str(error.validator),
        instance=error.instance,
    )


_checked_elsewhere = False


def checked_elsewhere() -> None:
    """This process loads the schema files without checking them against the meta-schema: the process that started
    it checks them (a run's drawing processes; call before the first load)."""
    global _checked_elsewhere
    _checked_elsewhere = True


@functools.cache
def _documents() -> dict[str, dict[str, Any]]:
    directory = SCHEMAS_DIR
    if not directory.is_dir():
        raise ConfigError(f"{directory}: the schemas folder does not exist")
    files = sorted(path for path in directory.glob("*.json") if path.name not in NOT_A_SCHEMA)
    texts = {path: _read(path) for path in files}
    # Checking every file against the 2020-12 meta-schema costs each process ~0.6 s (the run, the reference
    # server, each xdist worker): files that passed once, byte for byte, are marked as checked and not checked again.
    digest = hashlib.sha256(f"jsonschema={_jsonschema_version()}".encode())
    for path, text in texts.items():
        digest.update(path.name.encode() + b"\0" + text.encode() + b"\0")
    marker = cache_folder("checked-schemas") / digest.hexdigest()
    checked = _checked_elsewhere or marker.exists()
    documents = {path.name.removesuffix(".json"): _load(path, text, check=not checked) for path, text in texts.items()}
    if not checked:
        with contextlib.suppress(OSError):  # an unwritable cache only means checking again next time
            marker.parent.mkdir(parents=True, exist_ok=True)
            marker.touch()
    return documents


def _jsonschema_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("jsonschema")
    except PackageNotFoundError:
        return "unknown"


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigError(f"schema file {path}: cannot be read ({one_line(error)})") from None


def _load(path: Path, text: str, *, check: bool = True) -> dict[str, Any]:
    where = f"schema file {path}"
    try:
        contents = json.loads(text)
    except json.JSONDecodeError as error:
        raise ConfigError(f"{where}: not valid JSON ({one_line(error)})") from None
    if not isinstance(contents, dict):
        raise ConfigError(f"{where}: not a JSON object")
    if contents.get("$schema") != DIALECT:
        found = "missing" if "$schema" not in contents else repr(contents["$schema"])
        raise ConfigError(f"{where}: $schema must be {DIALECT!r} (found {found})")
    if contents.get("$id") != path.name:
        found = "missing" if "$id" not in contents else repr(contents["$id"])
        raise ConfigError(f"{where}: $id must equal the file name {path.name!r} (found {found})")
    try:
        if check:
            jsonschema.Draft202012Validator.check_schema(contents)
    except jsonschema.SchemaError as error:
        at = "".join(f"/{part}" for part in error.absolute_path) or "/"
        raise ConfigError(
            f"{where}: not a valid 2020-12 schema at {at}: {one_line(error.message)}"
        ) from None
    return contents


def _check_refs(loaded: referencing.Registry[Any], name: str, contents: dict[str, Any]) -> None:
    resolver = loaded.resolver(base_uri=f"{name}.json")
    for ref in refs(contents):
        try:
            resolver.lookup(ref)
        except referencing.exceptions.Unresolvable as error:
            raise ConfigError(
                f"schema file {SCHEMAS_DIR / (name + '.json')}: $ref {ref!r} does not resolve "
                f"({type(error).__name__})"
            ) from None


def refs(node: object) -> Iterator[str]:
    """Every `$ref` in a document; none of ours sits under a nested `$id`, so all resolve against the file."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                yield value
            else:
                yield from refs(value)
    elif isinstance(node, list):
        for item in node:
            yield from refs(item)
