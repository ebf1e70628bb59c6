"""The target: the server under test and how to talk to it.

A `Target` is built once per run by `load_target` from four sources, the first that gives a value winning:

    command-line option  >  environment variable OAI_CONFORMANCE_<NAME>  >  TOML file  >  default

Headers and models are merged by name and by role instead (`--model chat=x` keeps the file's embeddings
model). Every value is checked here; a wrong one raises ConfigError with one line naming option and source:

    --model: 'chat' has no model id (from the command line)

The API key is never part of a Target: it names the environment variable that holds the key (`api_key_env`)
and reads it only when the client asks (`api_key()`). Neither `repr` nor `summary()` ever shows it, and the
TOML file may not contain one.
"""

from __future__ import annotations

import math
import os
import re
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import MappingProxyType
from typing import Any, Literal
from urllib.parse import urlsplit

from conformance import requirements
from conformance.exceptions import ConfigError
from conformance.exchange import is_sensitive_header, redact_headers
from conformance.options import OPTIONS_BY_DEST, TARGET_OPTIONS, Option

# The features a model id can be given for.
# audio: speech (text to speech), transcription (whisper-1: every response format, translations too) and
# transcription-stream (a model that streams its transcript and gives logprobs: the gpt-4o ones); realtime.
MODEL_ROLES = ("chat", "embeddings", "responses", "completions", "moderations", "speech", "transcription",
               "transcription-stream", "realtime")  # fmt: skip
DEFAULT_MODELS = {
    "chat": "gpt-4o-mini",
    "embeddings": "text-embedding-3-small",
    "responses": "gpt-4o-mini",
    "completions": "gpt-3.5-turbo-instruct",
    "moderations": "omni-moderation-latest",
    "speech": "gpt-4o-mini-tts",
    "transcription": "whisper-1",
    "transcription-stream": "gpt-4o-mini-transcribe",
    "realtime": "gpt-realtime",  # transports
}
MODES = ("strict", "compatible")
CONFIG_FILE_NAME = "oai-conformance.toml"
# The administration API's features: sent with the admin key, never with the API key.
ADMIN_FEATURE = "admin"
RETRIES_MAX = 10

# Top-level TOML keys that would hold a key.
_KEY_WORDS = frozenset({"key", "apikey", "token", "secret", "password"})
_KEY_SUFFIXES = ("_key", "_token", "_secret", "_password")
_NEVER_IN_FILE = (
    "a key is never written in a file: put it in an environment variable and name it with api_key_env"
)
_NOT_THE_KEY = "api_key_env names the environment variable holding the key, not the key itself"

_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_HEADER_NAME = re.compile(r"^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$")  # an RFC 9110 token
_FEATURE_NAME = re.compile(r"^[a-z0-9-]+(\.[a-z0-9-]+)*$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def is_admin_feature(feature: str) -> bool:
    return feature == ADMIN_FEATURE or feature.startswith(ADMIN_FEATURE + ".")


def default_name(base_url: str | None) -> str:
    """The default report name: "reference" for the bundled server, else the URL's host[:port]."""
    if base_url is None:
        return "reference"
    parts = urlsplit(base_url)
    host = parts.hostname or base_url
    if ":" in host:  # IPv6
        host = f"[{host}]"
    return f"{host}:{parts.port}" if parts.port is not None else host


@dataclass(frozen=True, repr=False)
class Target:
    """The server under test. Build it with `load_target`; the constructor only normalises (it checks no user
    input: that is load_target's job, with messages that name the source).

    `headers` is a read-only mapping (a MappingProxyType built in __post_init__; a dict or pairs may be
    passed), so the object satisfies the client's protocol (`headers: Mapping[str, str]`) as is. `models`
    holds only the roles that were configured, in MODEL_ROLES order; `model(role)` fills in the defaults.
    """

    base_url: str | None = None  # None = the bundled reference server (the CLI sets it with with_base_url)
    api_key_env: str = "OPENAI_API_KEY"  # the NAME of the variable holding the key; never the key itself
    no_api_key: bool = False  # the target needs no key (a local server): none is sent, none is asked for
    admin_key_env: str = "OPENAI_ADMIN_KEY"  # the NAME of the variable holding the admin key; never the key
    headers: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    models: tuple[tuple[str, str], ...] = ()  # (role, model id); read with model(role)
    features: frozenset[str] | None = None  # claimed features; None = every feature
    allow_costly: bool = False  # claim costly features the user did not name (see requirements.without_costly)
    mode: Literal["strict", "compatible"] = "compatible"
    connect_timeout: float = 10.0
    read_timeout: float = 60.0
    answer_time_limit: float = 120.0
    retries: int = 2
    name: str = ""  # default: "reference" when base_url is None, else host:port
    chatkit_workflow: str = ""  # the ChatKit workflow the chatkit cases open sessions with; "" = none given

    def __post_init__(self) -> None:
        object.__setattr__(self, "headers", MappingProxyType(dict(self.headers)))
        models = dict(self.models)
        if unknown := sorted(set(models) - set(MODEL_ROLES)):
            raise ValueError(f"unknown model roles {unknown}; the roles are {', '.join(MODEL_ROLES)}")
        ordered = tuple((role, models[role]) for role in MODEL_ROLES if role in models)
        object.__setattr__(self, "models", ordered)
        features = None if self.features is None else frozenset(self.features)
        # The bundled reference server (no base_url) costs nothing: it is judged on every feature.
        if not self.allow_costly and self.base_url is not None and _catalogue_present():
            features = requirements.without_costly(features)
        object.__setattr__(self, "features", features)
        if self.mode not in MODES:
            raise ValueError(f"mode {self.mode!r} is not one of {', '.join(MODES)}")
        if not self.name:
            object.__setattr__(self, "name", default_name(self.base_url))

    def __hash__(self) -> int:
        return hash(
            (
                self.base_url,
                self.api_key_env,
                self.no_api_key,
                self.admin_key_env,
                tuple(sorted(self.headers.items())),
                self.models,
                self.features,
                self.allow_costly,
                self.mode,
                self.connect_timeout,
                self.read_timeout,
                self.answer_time_limit,
                self.retries,
                self.name,
                self.chatkit_workflow,
            )
        )

    def __repr__(self) -> str:
        # Written out so that it can never show a key: sensitive header values are redacted like in summary().
        features = None if self.features is None else sorted(self.features)
        return (
            f"Target(base_url={self.base_url!r}, name={self.name!r}, api_key_env={self.api_key_env!r}, "
            f"no_api_key={self.no_api_key!r}, admin_key_env={self.admin_key_env!r}, "
            f"headers={redact_headers(self.headers)!r}, models={dict(self.models)!r}, features={features!r}, "
            f"allow_costly={self.allow_costly!r}, mode={self.mode!r}, connect_timeout={self.connect_timeout!r}, "
            f"read_timeout={self.read_timeout!r}, answer_time_limit={self.answer_time_limit!r}, "
            f"retries={self.retries!r}, chatkit_workflow={self.chatkit_workflow!r})"
        )

    __str__ = __repr__

    @property
    def headers_map(self) -> dict[str, str]:
        """A plain dict copy of the extra headers (unredacted: for the client, never for reports)."""
        return dict(self.headers)

    def api_key(self) -> str | None:
        """The key, read from the environment now; None when the variable is unset or empty, or no key is sent."""
        return None if self.no_api_key else os.environ.get(self.api_key_env, "").strip() or None

    def admin_key(self) -> str | None:
        """The admin key, read from the environment now; None when its variable is unset or empty."""
        return os.environ.get(self.admin_key_env, "").strip() or None

    def admin_unreachable(self, feature: str) -> str | None:
        """Why an administration feature cannot be claimed (its key is missing: one line naming the variable),
        or None. Without the admin key nothing is sent to an admin route: every answer would be a 401."""
        # The bundled reference server (base_url None) gets an admin key of its own, as it gets an API key.
        if not is_admin_feature(feature) or self.base_url is None or self.no_api_key or self.admin_key():
            return None
        return (
            f"feature {feature!r} needs the admin key: the environment variable {self.admin_key_env} is not set "
            "(name another with --admin-key-env)"
        )

    def missing_key(self) -> str | None:
        """Why the run cannot start for want of a key (one line), or None. A run without its key would only
        collect 401s and blame the server for them."""
        if self.base_url is None or self.no_api_key or self.api_key() is not None:
            return None
        return (
            f"the environment variable {self.api_key_env} holding the API key is not set; set it, name another "
            "with --api-key-env, or pass --no-api-key for a server that needs none"
        )

    def model(self, role: str) -> str:
        """The model id for a role: the configured one or DEFAULT_MODELS[role]."""
        if role not in MODEL_ROLES:
            raise ValueError(f"unknown model role {role!r}; the roles are {', '.join(MODEL_ROLES)}")
        return dict(self.models).get(role, DEFAULT_MODELS[role])

    def claims(self, feature: str) -> bool:
        """Whether the target claims a feature (directly, through an ancestor, or by claiming everything); an
        administration feature also needs the admin key."""
        return requirements.feature_claimed(feature, self.features) and self.admin_unreachable(feature) is None

    def with_base_url(self, url: str, name: str | None = None) -> Target:
        """The same target at `url` (e.g. the reference server the CLI started).

        Without `name`, a name the user gave is kept, and so is "reference" (the bundled server keeps its name
        on whatever port it got); a name that was derived from the previous URL is derived again.
        """
        try:
            base_url = _base_url(url)
        except _Problem as problem:
            raise ConfigError(f"base_url: {problem} (from with_base_url)") from None
        if name is None:
            derived = self.base_url is not None and self.name == default_name(self.base_url)
            name = "" if derived else self.name
        # The bundled reference server the CLI started keeps its claim of the costly features.
        return replace(self, base_url=base_url, name=name, allow_costly=self.allow_costly or self.base_url is None)

    def summary(self) -> dict[str, Any]:
        """JSON-ready description for reports. It says whether the key is present, never what it is."""
        return {
            "base_url": self.base_url,
            "name": self.name,
            "api_key_env": None if self.no_api_key else self.api_key_env,
            "api_key_present": self.api_key() is not None,
            "admin_key_env": self.admin_key_env,
            "admin_key_present": self.admin_key() is not None,
            "headers": redact_headers(self.headers),
            "models": {role: self.model(role) for role in MODEL_ROLES},
            "features": None if self.features is None else sorted(self.features),
            "allow_costly": self.allow_costly,
            "mode": self.mode,
            "connect_timeout": self.connect_timeout,
            "read_timeout": self.read_timeout,
            "answer_time_limit": self.answer_time_limit,
            "retries": self.retries,
        }


# ------------------------------------------------------------------------------------------------------------
# Loading


class _Problem(Exception):
    """What is wrong with a value; the caller adds which option and which source."""


@dataclass(frozen=True)
class _Source:
    kind: Literal["cli", "env", "file"]
    where: str  # "the command line", "the environment", or the file as the user named it
    cli_prefix: str = ""

    def label(self, opt: Option) -> str:
        if self.kind == "cli":
            return opt.flag(self.cli_prefix)
        if self.kind == "env":
            return opt.env
        return opt.toml_key or opt.dest

    def error(self, opt: Option, problem: object) -> ConfigError:
        return ConfigError(f"{self.label(opt)}: {problem} (from {self.where})")


def load_target(
    cli: Mapping[str, Any],
    env: Mapping[str, str],
    config_path: Path | None,
    cwd: Path,
    *,
    cli_prefix: str = "",
) -> Target:
    """Build the Target from the command line, the environment, the TOML file and the defaults.

    `cli` maps option dests (see conformance.options) to values, None meaning not given; `cli_prefix` is the
    flag prefix the front end used ("oai-" for the pytest plugin), so messages name the flag the user typed.
    The TOML file is `config_path`, else `cli["config"]`, else OAI_CONFORMANCE_CONFIG, else
    ./oai-conformance.toml when it exists. Raises ConfigError with a one-line message.
    """
    cli_source = _Source("cli", "the command line", cli_prefix)
    env_source = _Source("env", "the environment")

    cli_raw = {dest: value for dest, value in cli.items() if dest in OPTIONS_BY_DEST and _given(value)}
    env_raw = {}
    for opt in TARGET_OPTIONS:
        value = env.get(opt.env)
        if value is not None and value.strip():
            env_raw[opt.dest] = value

    layers: list[tuple[_Source, dict[str, Any]]] = []  # lowest precedence first
    found = _config_file(cli_raw, env_raw, config_path, cwd, cli_source, env_source)
    if found is not None:
        layers.append(_read_config(*found))
    layers.append((env_source, env_raw))
    layers.append((cli_source, cli_raw))

    values: dict[str, Any] = {}
    headers: dict[str, tuple[str, str]] = {}  # lower-case name -> (name as given, value)
    models: dict[str, str] = {}
    for source, raw in layers:
        for dest, value in raw.items():
            if dest == "config":
                continue
            opt = OPTIONS_BY_DEST[dest]
            try:
                parsed = _PARSERS[dest](value, source)
            except _Problem as problem:
                raise source.error(opt, problem) from None
            if dest == "header":
                headers.update((name.lower(), (name, val)) for name, val in parsed)
            elif dest == "model":
                models.update(parsed)
            else:
                values[dest] = parsed

    return Target(
        base_url=values.get("base_url"),
        api_key_env=values.get("api_key_env", "OPENAI_API_KEY"),
        no_api_key=values.get("no_api_key", False),
        admin_key_env=values.get("admin_key_env", "OPENAI_ADMIN_KEY"),
        headers=dict(headers.values()),
        models=tuple(models.items()),
        features=values.get("features"),
        allow_costly=values.get("allow_costly", False),
        mode=values.get("mode", "compatible"),
        connect_timeout=values.get("connect_timeout", 10.0),
        read_timeout=values.get("read_timeout", 60.0),
        answer_time_limit=values.get("answer_time_limit", 120.0),
        retries=values.get("retries", 2),
        name=values.get("name", ""),
        chatkit_workflow=values.get("chatkit_workflow", ""),
    )


def _given(value: Any) -> bool:
    return value is not None and not (isinstance(value, list | tuple) and not value)


def _config_file(
    cli_raw: Mapping[str, Any],
    env_raw: Mapping[str, str],
    config_path: Path | None,
    cwd: Path,
    cli_source: _Source,
    env_source: _Source,
) -> tuple[Path, str] | None:
    """The TOML file to read and how to name it in messages, or None."""
    opt = OPTIONS_BY_DEST["config"]
    given: Any
    if config_path is not None:
        given, source = config_path, cli_source
    elif "config" in cli_raw:
        given, source = cli_raw["config"], cli_source
    elif "config" in env_raw:
        given, source = env_raw["config"], env_source
    else:
        default = cwd / CONFIG_FILE_NAME
        return (default, CONFIG_FILE_NAME) if default.is_file() else None
    shown = str(given).strip()
    if not shown:
        raise source.error(opt, "is empty")
    path = Path(shown).expanduser()
    if not path.is_absolute():
        path = cwd / path
    if not path.exists():
        raise source.error(opt, f"{shown!r} does not exist")
    if not path.is_file():
        raise source.error(opt, f"{shown!r} is not a file")
    return path, shown


def _read_config(path: Path, shown: str) -> tuple[_Source, dict[str, Any]]:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{shown}: not valid TOML: {exc}") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{shown}: not valid TOML: the file is not UTF-8 text") from None
    except OSError as exc:
        raise ConfigError(f"{shown}: cannot be read: {exc.strerror or exc}") from None
    source = _Source("file", shown)
    for key in data:
        if _names_a_key(key):
            raise ConfigError(f"{key}: {_NEVER_IN_FILE} (from {shown})")
    by_key = {opt.toml_key: opt for opt in TARGET_OPTIONS if opt.toml_key}
    if unknown := sorted(set(data) - set(by_key)):
        plural = "s" if len(unknown) > 1 else ""
        raise ConfigError(
            f"unknown key{plural} {', '.join(map(repr, unknown))}; the known keys are {', '.join(by_key)}"
            f" (from {shown})"
        )
    return source, {by_key[key].dest: value for key, value in data.items()}


def _names_a_key(key: str) -> bool:
    normal = key.lower().replace("-", "_")
    return normal.replace("_", "") in _KEY_WORDS or normal.endswith(_KEY_SUFFIXES)


# ------------------------------------------------------------------------------------------------------------
# One parser per option: (raw value, source) -> value, or _Problem. CLI and environment give strings (lists of
# strings for repeatable CLI options); the TOML file gives TOML types.


def _show(raw: Any) -> str:
    return repr(raw)


def _text(raw: Any) -> str:
    if not isinstance(raw, str):
        raise _Problem(f"{_show(raw)} is not a string")
    text = raw.strip()
    if not text:
        raise _Problem("is empty")
    return text


def _base_url(raw: Any) -> str:
    text = _text(raw)
    if any(c.isspace() for c in text) or _CONTROL.search(text):
        raise _Problem(f"{text!r} contains a space or a control character")
    if "://" not in text:
        raise _Problem(f"{text!r} has no scheme: did you mean 'http://{text.lstrip('/')}'?")
    parts = urlsplit(text)
    if parts.scheme.lower() not in ("http", "https"):
        raise _Problem(f"{text!r} is not an http:// or https:// URL")
    if "@" in parts.netloc:  # never echo it: it may hold a password or a key
        raise _Problem(
            "the URL carries credentials; put the key in an environment variable named by api_key_env"
        )
    if not parts.hostname:
        raise _Problem(f"{text!r} has no host")
    try:
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError:
        raise _Problem(f"{text!r} has an invalid port") from None
    if parts.query or parts.fragment:
        raise _Problem(f"{text!r} has a query or a fragment; give the API root, e.g. http://host:8000/v1")
    return text.rstrip("/")


def _looks_like_key(text: str) -> bool:
    if text.lower().startswith(("sk-", "sk_")):
        return True
    # long and random: no word separators, several digits (variable names are words like MY_SERVER_KEY)
    return len(text) >= 24 and "_" not in text and sum(c.isdigit() for c in text) >= 3


def _api_key_env(raw: Any, source: _Source) -> str:
    if not isinstance(raw, str):
        raise _Problem(f"{_show(raw)} is not a string")
    text = raw.strip()
    if not text:
        raise _Problem("is empty")
    if _looks_like_key(text):  # never echo it
        raise _Problem(_NOT_THE_KEY)
    if not _ENV_NAME.match(text):
        raise _Problem(f"{text!r} is not a valid environment variable name (letters, digits and _)")
    return text


def _admin_key_env(raw: Any, source: _Source) -> str:
    try:
        return _api_key_env(raw, source)
    except _Problem as problem:
        raise _Problem(str(problem).replace("api_key_env", "admin_key_env")) from None


def _items(raw: Any, separator: str) -> list[str]:
    """A repeatable CLI option (a list of strings) or an environment value with separators -> the items."""
    if isinstance(raw, str):
        return [item for item in raw.split(separator) if item.strip()]
    if isinstance(raw, list | tuple) and all(isinstance(item, str) for item in raw):
        return list(raw)
    raise _Problem(f"{_show(raw)} is not a string")


def _headers(raw: Any, source: _Source) -> list[tuple[str, str]]:
    pairs: list[tuple[str, str]] = []
    if source.kind == "file":
        if not isinstance(raw, dict):
            raise _Problem("is not a table of header names and values")
        for name, value in raw.items():
            if not isinstance(value, str):
                raise _Problem(f"the value of {name!r} is not a string")
            pairs.append((name.strip(), value.strip()))
    else:
        for item in _items(raw, ";"):
            name, colon, value = item.partition(":")
            if not colon:
                raise _Problem(f"{item.strip()!r} is not in the form 'Name: value'")
            pairs.append((name.strip(), value.strip()))
    for name, value in pairs:
        if not name:
            raise _Problem("a header has no name (the form is 'Name: value')")
        if not _HEADER_NAME.match(name):
            raise _Problem(f"{name!r} is not a valid header name")
        if _CONTROL.search(value):
            raise _Problem(f"the value of {name!r} contains a control character")
        if source.kind == "file" and is_sensitive_header(name):
            raise _Problem(f"{name!r}: {_NEVER_IN_FILE}")
        if name.lower() in ("authorization", "proxy-authorization"):
            raise _Problem(
                f"{name!r} is not accepted: the client sends the key from the environment variable "
                "named by api_key_env"
            )
    return pairs


def _role(role: str) -> str:
    if role not in MODEL_ROLES:
        raise _Problem(f"role {role!r} is not one of {', '.join(MODEL_ROLES)}")
    return role


def _models(raw: Any, source: _Source) -> list[tuple[str, str]]:
    pairs: list[tuple[str, str]] = []
    if source.kind == "file":
        if not isinstance(raw, dict):
            raise _Problem("is not a table of roles and model ids")
        for role, model in raw.items():
            _role(role)
            if not isinstance(model, str):
                raise _Problem(f"the model id for {role!r} is not a string")
            if not model.strip():
                raise _Problem(f"{role!r} has no model id")
            pairs.append((role, model.strip()))
        return pairs
    for item in _items(raw, ","):
        role, _, model = (part.strip() for part in item.partition("="))
        if not role:
            raise _Problem(f"{item.strip()!r} has no role (the form is ROLE=ID)")
        _role(role)
        if not model:
            raise _Problem(f"{role!r} has no model id")
        pairs.append((role, model))
    return pairs


def _catalogue_present() -> bool:
    return (requirements.CATALOGUE_DIR / "features.toml").is_file()


def _known_features() -> list[str] | None:
    """The catalogue's features, or None while conformance/catalogue/features.toml does not exist."""
    if not _catalogue_present():
        return None
    return list(requirements.features())


def _features(raw: Any, source: _Source) -> frozenset[str] | None:
    if isinstance(raw, list | tuple):  # the TOML list (or a list passed by a program as `cli`)
        if not all(isinstance(item, str) for item in raw):
            raise _Problem("is not a list of feature names")
        names = [item.strip() for item in raw if item.strip()]
    elif isinstance(raw, str):
        names = [item.strip() for item in raw.split(",") if item.strip()]
    else:
        raise _Problem("is not a list of feature names")
    if not names:
        raise _Problem("names no feature (leave it out, or say 'all', to claim every feature)")
    if "all" in names:
        if len(names) > 1:
            raise _Problem("'all' cannot be combined with other features")
        return None
    bare = [name.removeprefix("-") for name in names]  # `-name`: left out of an ancestor's claim
    known = _known_features()
    if known is None:
        if bad := [name for name in bare if not _FEATURE_NAME.match(name)]:
            raise _Problem(f"{bad[0]!r} is not a feature name")
    elif unknown := [name for name in bare if name not in known]:
        plural = "s" if len(unknown) > 1 else ""
        listed = ", ".join(map(repr, unknown))
        raise _Problem(f"unknown feature{plural} {listed}; the known features are {', '.join(known)}")
    return frozenset(names)


def _mode(raw: Any, source: _Source) -> str:
    text = _text(raw)
    if text.lower() not in MODES:
        raise _Problem(f"{text!r} is not one of {', '.join(MODES)}")
    return text.lower()


def _positive_number(raw: Any, source: _Source) -> float:
    if isinstance(raw, bool):
        raise _Problem(f"{_show(raw)} is not a number")
    if isinstance(raw, int | float):
        value = float(raw)
    elif isinstance(raw, str):
        try:
            value = float(raw.strip())
        except ValueError:
            raise _Problem(f"{_show(raw)} is not a number") from None
    else:
        raise _Problem(f"{_show(raw)} is not a number")
    if not math.isfinite(value) or value <= 0:
        raise _Problem(f"{_show(raw)} is not a positive number")
    return value


def _retries(raw: Any, source: _Source) -> int:
    if isinstance(raw, bool) or not isinstance(raw, int | str):
        raise _Problem(f"{_show(raw)} is not an integer")
    if isinstance(raw, str):
        try:
            value = int(raw.strip())
        except ValueError:
            raise _Problem(f"{_show(raw)} is not an integer") from None
    else:
        value = raw
    if not 0 <= value <= RETRIES_MAX:
        raise _Problem(f"{_show(raw)} is not between 0 and {RETRIES_MAX}")
    return value


def _name(raw: Any, source: _Source) -> str:
    text = _text(raw)
    if _CONTROL.search(text):
        raise _Problem(f"{text!r} contains a control character")
    return text


def _switch(raw: Any, source: _Source) -> bool:
    """A yes/no setting: true on the command line, a TOML boolean, or 1/0, true/false, yes/no in the environment."""
    if isinstance(raw, bool):
        return raw
    text = _text(raw).lower()
    if text in ("1", "true", "yes"):
        return True
    if text in ("0", "false", "no"):
        return False
    raise _Problem(f"{text!r} is not one of true, false (1, 0, yes, no)")


def _url_parser(raw: Any, source: _Source) -> str:
    return _base_url(raw)


_PARSERS: dict[str, Callable[[Any, _Source], Any]] = {
    "base_url": _url_parser,
    "api_key_env": _api_key_env,
    "no_api_key": _switch,
    "admin_key_env": _admin_key_env,
    "header": _headers,
    "model": _models,
    "features": _features,
    "allow_costly": _switch,
    "mode": _mode,
    "connect_timeout": _positive_number,
    "read_timeout": _positive_number,
    "answer_time_limit": _positive_number,
    "retries": _retries,
    "name": _name,
    "chatkit_workflow": _name,
}
