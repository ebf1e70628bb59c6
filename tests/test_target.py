"""The target: its sources and their precedence, the one-line messages, the key never stored, the options."""

from __future__ import annotations

import argparse
import json
from collections.abc import Iterator
from dataclasses import fields
from pathlib import Path
from typing import Any

import pytest

from conformance import requirements
from conformance.exceptions import ConfigError
from conformance.exchange import REDACTED
from conformance.options import TARGET_OPTIONS, add_target_options, cli_values
from conformance.target import DEFAULT_MODELS, MODEL_ROLES, Target, load_target

FEATURES_TOML = """
[feature.models]
description = "models"
cost = "cheap"
[feature.chat]
description = "chat"
cost = "cheap"
[feature."chat.stream"]
description = "streaming"
cost = "cheap"
[feature."chat.tools"]
description = "tools"
cost = "cheap"
[feature.embeddings]
description = "embeddings"
cost = "cheap"
[feature.errors]
description = "errors"
cost = "cheap"
"""
KNOWN = "models, chat, chat.stream, chat.tools, embeddings, errors"
KEY = "sk-test-0123456789abcdefABCDEF0123456789"
NEVER_IN_FILE = (
    "a key is never written in a file: put it in an environment variable and name it with api_key_env"
)


@pytest.fixture(autouse=True)
def catalogue(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A small catalogue of our own, so the tests do not depend on the real one."""
    directory = tmp_path_factory.mktemp("catalogue")
    (directory / "features.toml").write_text(FEATURES_TOML, encoding="utf-8")
    monkeypatch.setattr(requirements, "CATALOGUE_DIR", directory)
    requirements.features.cache_clear()
    yield directory
    requirements.features.cache_clear()


@pytest.fixture(autouse=True)
def no_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)


def load(
    tmp_path: Path,
    cli: dict[str, Any] | None = None,
    env: dict[str, str] | None = None,
    toml: str | None = None,
    **kwargs: Any,
) -> Target:
    """Load a target; `toml` is written to ./oai-conformance.toml (found in cwd)."""
    if toml is not None:
        (tmp_path / "oai-conformance.toml").write_text(toml, encoding="utf-8")
    return load_target(cli or {}, env or {}, None, tmp_path, **kwargs)


# --- defaults and precedence --------------------------------------------------------------------------------


def test_defaults(tmp_path: Path) -> None:
    target = load(tmp_path)
    assert target == Target()
    assert target.base_url is None
    assert target.name == "reference"
    assert target.api_key_env == "OPENAI_API_KEY"
    assert dict(target.headers) == {}
    assert target.features is None
    assert (target.mode, target.connect_timeout, target.read_timeout, target.retries) == (
        "compatible",
        10,
        60,
        2,
    )
    assert {role: target.model(role) for role in MODEL_ROLES} == DEFAULT_MODELS


FULL_TOML = """
base_url = "http://localhost:8000/v1"
api_key_env = "MY_SERVER_KEY"
mode = "compatible"
features = ["chat", "embeddings"]
connect_timeout = 5
read_timeout = 30
retries = 2
name = "my-server"
[headers]
OpenAI-Organization = "org-123"
[models]
chat = "llama-3"
embeddings = "nomic-embed"
"""


def test_the_toml_file_of_the_readme(tmp_path: Path) -> None:
    target = load(tmp_path, toml=FULL_TOML)
    assert target.base_url == "http://localhost:8000/v1"
    assert target.api_key_env == "MY_SERVER_KEY"
    assert target.features == {"chat", "embeddings"}
    assert (target.connect_timeout, target.read_timeout, target.retries) == (5.0, 30.0, 2)
    assert target.name == "my-server"
    assert dict(target.headers) == {"OpenAI-Organization": "org-123"}
    assert target.model("chat") == "llama-3"
    assert target.model("embeddings") == "nomic-embed"
    assert target.model("responses") == DEFAULT_MODELS["responses"]


# option dest, TOML text, env value, CLI value, (expected from file, from env, from CLI)
PRECEDENCE = [
    ("base_url", 'base_url = "http://file:1/v1"', "http://env:2/v1", "http://cli:3/v1/",
     ("http://file:1/v1", "http://env:2/v1", "http://cli:3/v1")),
    ("api_key_env", 'api_key_env = "FILE_KEY"', "ENV_KEY", "CLI_KEY", ("FILE_KEY", "ENV_KEY", "CLI_KEY")),
    ("mode", 'mode = "strict"', "compatible", "strict", ("strict", "compatible", "strict")),
    ("connect_timeout", "connect_timeout = 1", "2.5", "3", (1.0, 2.5, 3.0)),
    ("read_timeout", "read_timeout = 1.5", "2", "3", (1.5, 2.0, 3.0)),
    ("retries", "retries = 0", "5", "10", (0, 5, 10)),
    ("name", 'name = "file"', "env", "cli", ("file", "env", "cli")),
    ("features", 'features = ["chat"]', "embeddings,errors", "all",
     (frozenset({"chat"}), frozenset({"embeddings", "errors"}), None)),
]  # fmt: skip


@pytest.mark.parametrize(("dest", "toml", "env_value", "cli_value", "expected"), PRECEDENCE)
def test_cli_over_env_over_file_over_default(
    tmp_path: Path, dest: str, toml: str, env_value: str, cli_value: str, expected: tuple[Any, Any, Any]
) -> None:
    env_name = "OAI_CONFORMANCE_" + dest.upper()
    default = getattr(Target(), dest)
    assert getattr(load(tmp_path), dest) == default
    assert getattr(load(tmp_path, toml=toml), dest) == expected[0]
    assert getattr(load(tmp_path, env={env_name: env_value}), dest) == expected[1]
    assert getattr(load(tmp_path, env={env_name: env_value}, toml=toml), dest) == expected[1]
    assert (
        getattr(load(tmp_path, cli={dest: cli_value}, env={env_name: env_value}, toml=toml), dest)
        == expected[2]
    )
    # None in the cli mapping and an empty environment variable mean "not given"
    assert getattr(load(tmp_path, cli={dest: None}, env={env_name: " "}, toml=toml), dest) == expected[0]


def test_models_merge_by_role(tmp_path: Path) -> None:
    target = load(
        tmp_path,
        cli={"model": ["chat=cli-chat"]},
        env={"OAI_CONFORMANCE_MODELS": "chat=env-chat, embeddings=env-embed"},
        toml='[models]\nchat = "file-chat"\nembeddings = "file-embed"\nresponses = "file-resp"\n',
    )
    assert {role: target.model(role) for role in MODEL_ROLES} == {
        "chat": "cli-chat",
        "embeddings": "env-embed",
        "responses": "file-resp",
        "completions": DEFAULT_MODELS["completions"],
        "moderations": DEFAULT_MODELS["moderations"],
        **{role: DEFAULT_MODELS[role] for role in ("speech", "transcription", "transcription-stream", "realtime")},
    }
    assert target.models == (("chat", "cli-chat"), ("embeddings", "env-embed"), ("responses", "file-resp"))


def test_headers_merge_by_name_ignoring_case(tmp_path: Path) -> None:
    target = load(
        tmp_path,
        cli={"header": ["openai-project: cli-proj"]},
        env={"OAI_CONFORMANCE_HEADERS": "OpenAI-Organization: env-org; X-Extra: a:b"},
        toml='[headers]\nOpenAI-Organization = "file-org"\nOpenAI-Project = "file-proj"\n',
    )
    assert target.headers_map == {
        "OpenAI-Organization": "env-org",
        "openai-project": "cli-proj",
        "X-Extra": "a:b",
    }


def test_config_file_sources(tmp_path: Path) -> None:
    (tmp_path / "oai-conformance.toml").write_text('name = "cwd"\n', encoding="utf-8")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "a.toml").write_text('name = "a"\n', encoding="utf-8")
    (tmp_path / "b.toml").write_text('name = "b"\n', encoding="utf-8")
    assert load_target({}, {}, None, tmp_path).name == "cwd"
    assert load_target({}, {"OAI_CONFORMANCE_CONFIG": "b.toml"}, None, tmp_path).name == "b"
    env = {"OAI_CONFORMANCE_CONFIG": "b.toml"}
    assert load_target({"config": "sub/a.toml"}, env, None, tmp_path).name == "a"
    assert load_target({"config": "sub/a.toml"}, env, tmp_path / "b.toml", tmp_path).name == "b"
    assert load_target({}, {}, None, tmp_path / "sub").name == "reference"  # no file in that cwd


def test_header_values_may_come_from_cli_for_custom_auth_and_are_redacted(tmp_path: Path) -> None:
    target = load(tmp_path, cli={"header": ["api-key: hunter2", "OpenAI-Organization: org-1"]})
    assert target.headers_map["api-key"] == "hunter2"  # the client needs the value
    assert target.summary()["headers"] == {"api-key": REDACTED, "OpenAI-Organization": "org-1"}
    assert "hunter2" not in repr(target)


# --- validation: one line, naming the option and its source -------------------------------------------------

CLI, ENV, FILE = "cli", "env", "file"

ERRORS = [
    # the three examples of the brief
    (CLI, {"model": ["chat"]}, "--model: 'chat' has no model id (from the command line)"),
    (FILE, 'mode = "fast"', "mode: 'fast' is not one of strict, compatible (from oai.toml)"),
    (ENV, {"OAI_CONFORMANCE_RETRIES": "many"},
     "OAI_CONFORMANCE_RETRIES: 'many' is not an integer (from the environment)"),
    # base_url
    (CLI, {"base_url": "localhost:8000/v1"},
     "--base-url: 'localhost:8000/v1' has no scheme: did you mean 'http://localhost:8000/v1'? "
     "(from the command line)"),
    (ENV, {"OAI_CONFORMANCE_BASE_URL": "ftp://host/v1"},
     "OAI_CONFORMANCE_BASE_URL: 'ftp://host/v1' is not an http:// or https:// URL (from the environment)"),
    (FILE, 'base_url = "http:///v1"', "base_url: 'http:///v1' has no host (from oai.toml)"),
    (FILE, "base_url = 8000", "base_url: 8000 is not a string (from oai.toml)"),
    (CLI, {"base_url": "http://host:99999/v1"},
     "--base-url: 'http://host:99999/v1' has an invalid port (from the command line)"),
    (CLI, {"base_url": "http://host/v1?x=1"},
     "--base-url: 'http://host/v1?x=1' has a query or a fragment; give the API root, "
     "e.g. http://host:8000/v1 (from the command line)"),
    (CLI, {"base_url": "http://user:sk-secret@host/v1"},
     "--base-url: the URL carries credentials; put the key in an environment variable named by api_key_env "
     "(from the command line)"),
    (CLI, {"base_url": ""}, "--base-url: is empty (from the command line)"),
    # timeouts
    (CLI, {"connect_timeout": "0"},
     "--connect-timeout: '0' is not a positive number (from the command line)"),
    (CLI, {"read_timeout": "soon"}, "--read-timeout: 'soon' is not a number (from the command line)"),
    (ENV, {"OAI_CONFORMANCE_READ_TIMEOUT": "nan"},
     "OAI_CONFORMANCE_READ_TIMEOUT: 'nan' is not a positive number (from the environment)"),
    (FILE, "read_timeout = -1", "read_timeout: -1 is not a positive number (from oai.toml)"),
    (FILE, "connect_timeout = true", "connect_timeout: True is not a number (from oai.toml)"),
    # retries
    (CLI, {"retries": "11"}, "--retries: '11' is not between 0 and 10 (from the command line)"),
    (ENV, {"OAI_CONFORMANCE_RETRIES": "-1"},
     "OAI_CONFORMANCE_RETRIES: '-1' is not between 0 and 10 (from the environment)"),
    (FILE, "retries = 2.5", "retries: 2.5 is not an integer (from oai.toml)"),
    # mode
    (CLI, {"mode": "lenient"}, "--mode: 'lenient' is not one of strict, compatible (from the command line)"),
    # models
    (CLI, {"model": ["chat="]}, "--model: 'chat' has no model id (from the command line)"),
    (CLI, {"model": ["image=dall-e"]},
     "--model: role 'image' is not one of chat, embeddings, responses, completions, moderations, speech, "
     "transcription, transcription-stream, realtime (from the command line)"),
    (ENV, {"OAI_CONFORMANCE_MODELS": "=llama"},
     "OAI_CONFORMANCE_MODELS: '=llama' has no role (the form is ROLE=ID) (from the environment)"),
    (FILE, "[models]\nchat = 3", "models: the model id for 'chat' is not a string (from oai.toml)"),
    (FILE, '[models]\nchat = ""', "models: 'chat' has no model id (from oai.toml)"),
    (FILE, '[models]\nimages = "x"',
     "models: role 'images' is not one of chat, embeddings, responses, completions, moderations, speech, "
     "transcription, transcription-stream, realtime (from oai.toml)"),
    (FILE, 'models = "chat=x"', "models: is not a table of roles and model ids (from oai.toml)"),
    # features
    (CLI, {"features": "chat,chatt"},
     f"--features: unknown feature 'chatt'; the known features are {KNOWN} (from the command line)"),
    (FILE, 'features = ["image", "audio"]',
     f"features: unknown features 'image', 'audio'; the known features are {KNOWN} (from oai.toml)"),
    (ENV, {"OAI_CONFORMANCE_FEATURES": "all,chat"},
     "OAI_CONFORMANCE_FEATURES: 'all' cannot be combined with other features (from the environment)"),
    (FILE, "features = []",
     "features: names no feature (leave it out, or say 'all', to claim every feature) (from oai.toml)"),
    (FILE, "features = [1]", "features: is not a list of feature names (from oai.toml)"),
    # headers
    (CLI, {"header": ["X-Trace"]},
     "--header: 'X-Trace' is not in the form 'Name: value' (from the command line)"),
    (CLI, {"header": ["X Trace: 1"]},
     "--header: 'X Trace' is not a valid header name (from the command line)"),
    (ENV, {"OAI_CONFORMANCE_HEADERS": ": v"},
     "OAI_CONFORMANCE_HEADERS: a header has no name (the form is 'Name: value') (from the environment)"),
    (CLI, {"header": ["Authorization: Bearer x"]},
     "--header: 'Authorization' is not accepted: the client sends the key from the environment variable "
     "named by api_key_env (from the command line)"),
    (FILE, '[headers]\nAuthorization = "Bearer x"',
     f"headers: 'Authorization': {NEVER_IN_FILE} (from oai.toml)"),
    (FILE, '[headers]\nX-Api-Key = "abc"', f"headers: 'X-Api-Key': {NEVER_IN_FILE} (from oai.toml)"),
    (FILE, "[headers]\nX-Retries = 3", "headers: the value of 'X-Retries' is not a string (from oai.toml)"),
    # api_key_env
    (CLI, {"api_key_env": "MY-KEY"},
     "--api-key-env: 'MY-KEY' is not a valid environment variable name (letters, digits and _) "
     "(from the command line)"),
    (CLI, {"api_key_env": KEY},
     "--api-key-env: api_key_env names the environment variable holding the key, not the key itself "
     "(from the command line)"),
    (ENV, {"OAI_CONFORMANCE_API_KEY_ENV": "a8Fk29dkQ0x7Lm3Zp5Rt9Vw1"},
     "OAI_CONFORMANCE_API_KEY_ENV: api_key_env names the environment variable holding the key, not the key "
     "itself (from the environment)"),
    (FILE, f'api_key_env = "{KEY}"',
     "api_key_env: api_key_env names the environment variable holding the key, not the key itself "
     "(from oai.toml)"),
    # name
    (CLI, {"name": " "}, "--name: is empty (from the command line)"),
    # the file itself
    (FILE, f'api_key = "{KEY}"', f"api_key: {NEVER_IN_FILE} (from oai.toml)"),
    (FILE, 'key = "abc"', f"key: {NEVER_IN_FILE} (from oai.toml)"),
    (FILE, 'openai-api-key = "abc"', f"openai-api-key: {NEVER_IN_FILE} (from oai.toml)"),
    (FILE, 'colour = "red"\nbogus = 1',
     "unknown keys 'bogus', 'colour'; the known keys are base_url, api_key_env, admin_key_env, no_api_key, headers, "
     "models, features, allow_costly, mode, connect_timeout, read_timeout, answer_time_limit, retries, name, "
     "chatkit_workflow (from oai.toml)"),
    (FILE, 'config = "other.toml"',
     "unknown key 'config'; the known keys are base_url, api_key_env, admin_key_env, no_api_key, headers, models, "
     "features, allow_costly, mode, connect_timeout, read_timeout, answer_time_limit, retries, name, "
     "chatkit_workflow (from oai.toml)"),
    (FILE, 'mode = "strict"\nbase_url http://x',
     "oai.toml: not valid TOML: Expected '=' after a key in a key/value pair (at line 2, column 10)"),
    # the config file option
    (CLI, {"config": "missing.toml"}, "--config: 'missing.toml' does not exist (from the command line)"),
    (ENV, {"OAI_CONFORMANCE_CONFIG": "nowhere/x.toml"},
     "OAI_CONFORMANCE_CONFIG: 'nowhere/x.toml' does not exist (from the environment)"),
    (CLI, {"config": "."}, "--config: '.' is not a file (from the command line)"),
]  # fmt: skip


@pytest.mark.parametrize(("where", "given", "message"), ERRORS, ids=[e[2].split(":")[0] for e in ERRORS])
def test_a_wrong_value_is_one_line_naming_option_and_source(
    tmp_path: Path, where: str, given: Any, message: str
) -> None:
    cli: dict[str, Any] = {}
    env: dict[str, str] = {}
    if where == CLI:
        cli = given
    elif where == ENV:
        env = given
    else:
        (tmp_path / "oai.toml").write_text(given, encoding="utf-8")
        cli = {"config": "oai.toml"}
    with pytest.raises(ConfigError) as raised:
        load_target(cli, env, None, tmp_path)
    assert str(raised.value) == message
    assert "\n" not in str(raised.value)


def test_a_wrong_value_from_a_lower_source_is_reported_even_when_overridden(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"^mode: 'fast' .* \(from oai-conformance.toml\)$"):
        load(tmp_path, cli={"mode": "strict"}, toml='mode = "fast"')


def test_messages_name_the_flag_with_the_front_ends_prefix(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as raised:
        load(tmp_path, cli={"model": ["chat"]}, cli_prefix="oai-")
    assert str(raised.value) == "--oai-model: 'chat' has no model id (from the command line)"


def test_a_key_given_by_mistake_is_never_echoed(tmp_path: Path) -> None:
    for cli in ({"api_key_env": KEY}, {"base_url": f"https://user:{KEY}@host/v1"}):
        with pytest.raises(ConfigError) as raised:
            load(tmp_path, cli=cli)
        assert KEY not in str(raised.value)
    with pytest.raises(ConfigError) as raised:
        load(tmp_path, toml=f'api_key = "{KEY}"')
    assert KEY not in str(raised.value)


def test_a_file_that_is_not_utf8(tmp_path: Path) -> None:
    (tmp_path / "oai-conformance.toml").write_bytes(b'name = "\xff"\n')
    with pytest.raises(
        ConfigError, match=r"^oai-conformance.toml: not valid TOML: the file is not UTF-8 text$"
    ):
        load(tmp_path)


def test_features_without_a_catalogue_accept_any_well_formed_name(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    empty = tmp_path / "empty-catalogue"
    empty.mkdir()
    monkeypatch.setattr(requirements, "CATALOGUE_DIR", empty)
    assert load(tmp_path, cli={"features": "chat, future.thing"}).features == {"chat", "future.thing"}
    with pytest.raises(ConfigError, match=r"^--features: 'Chat Stream' is not a feature name"):
        load(tmp_path, cli={"features": "Chat Stream"})


def test_the_real_catalogue_knows_the_features_of_the_brief(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.undo()  # the real CATALOGUE_DIR
    requirements.features.cache_clear()
    if not (requirements.CATALOGUE_DIR / "features.toml").is_file():
        pytest.skip("conformance/catalogue/features.toml is not written yet")
    named = "models,chat,chat.stream,chat.tools,chat.response-format,chat.logprobs,embeddings,errors"
    target = load_target({"features": named}, {}, None, Path("/nonexistent"))
    assert target.features == set(named.split(","))


# --- the key is never stored --------------------------------------------------------------------------------


def test_the_key_is_never_stored_nor_shown(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    toml = FULL_TOML.replace("MY_SERVER_KEY", "OPENAI_API_KEY")
    target = load(tmp_path, cli={"header": ["OpenAI-Organization: org-1"]}, toml=toml)
    assert target.api_key() == KEY  # read from the environment when asked
    assert KEY not in repr(target)
    assert KEY not in str(target)
    assert KEY not in json.dumps(target.summary())
    assert all(KEY not in repr(getattr(target, f.name)) for f in fields(target))
    assert target.summary()["api_key_present"] is True


def test_api_key_present(monkeypatch: pytest.MonkeyPatch) -> None:
    target = Target(api_key_env="MY_SERVER_KEY")
    monkeypatch.delenv("MY_SERVER_KEY", raising=False)
    assert target.api_key() is None
    assert target.summary()["api_key_present"] is False
    monkeypatch.setenv("MY_SERVER_KEY", "   ")
    assert target.api_key() is None
    assert target.summary()["api_key_present"] is False
    monkeypatch.setenv("MY_SERVER_KEY", " abc\n")
    assert target.api_key() == "abc"
    assert target.summary()["api_key_present"] is True


def test_summary_is_json_ready_and_complete() -> None:
    target = Target(
        base_url="https://api.example.com/v1",
        headers={"OpenAI-Organization": "org-1", "X-Auth-Token": "t", "X-Session-Key": "k"},
        models=(("embeddings", "e5"),),
        features=frozenset({"embeddings", "chat"}),
        mode="strict",
    )
    assert json.loads(json.dumps(target.summary())) == {
        "base_url": "https://api.example.com/v1",
        "name": "api.example.com",
        "api_key_env": "OPENAI_API_KEY",
        "api_key_present": False,
        "admin_key_env": "OPENAI_ADMIN_KEY",
        "admin_key_present": False,
        "headers": {"OpenAI-Organization": "org-1", "X-Auth-Token": REDACTED, "X-Session-Key": REDACTED},
        "models": {"chat": "gpt-4o-mini", "embeddings": "e5", "responses": "gpt-4o-mini",
                   "completions": "gpt-3.5-turbo-instruct", "moderations": "omni-moderation-latest",
                   "speech": "gpt-4o-mini-tts", "transcription": "whisper-1",
                   "transcription-stream": "gpt-4o-mini-transcribe", "realtime": "gpt-realtime"},
        "features": ["chat", "embeddings"],
        "allow_costly": False,
        "mode": "strict",
        "connect_timeout": 10.0,
        "read_timeout": 60.0,
        "answer_time_limit": 120.0,
        "retries": 2,
    }


# --- the Target object --------------------------------------------------------------------------------------


def test_headers_are_a_read_only_mapping_and_target_is_hashable() -> None:
    target = Target(headers={"A": "1"})
    assert target.headers["A"] == "1"
    with pytest.raises(TypeError):
        target.headers["B"] = "2"  # type: ignore[index]
    copy = target.headers_map
    copy["B"] = "2"
    assert "B" not in target.headers
    pairs: Any = (("A", "1"),)
    assert target == Target(headers=pairs)  # pairs are accepted too
    assert hash(target) == hash(Target(headers={"A": "1"}))
    assert len({target, Target(headers={"A": "1"}), Target()}) == 2


def test_default_names() -> None:
    assert Target().name == "reference"
    assert Target(base_url="http://localhost:8000/v1").name == "localhost:8000"
    assert Target(base_url="https://api.openai.com/v1").name == "api.openai.com"
    assert Target(base_url="http://[::1]:9000/v1").name == "[::1]:9000"
    assert Target(base_url="http://localhost:8000/v1", name="mine").name == "mine"


def test_with_base_url() -> None:
    reference = Target().with_base_url("http://127.0.0.1:54321/v1/")
    assert reference.base_url == "http://127.0.0.1:54321/v1"
    assert reference.name == "reference"  # the bundled server keeps its name whatever its port
    moved = Target(base_url="http://a:1/v1").with_base_url("http://b:2/v1")
    assert moved.name == "b:2"  # a derived name follows the URL
    assert Target(base_url="http://a:1/v1", name="mine").with_base_url("http://b:2/v1").name == "mine"
    assert Target().with_base_url("http://b:2/v1", name="x").name == "x"
    with pytest.raises(ConfigError, match=r"^base_url: 'b:2/v1' has no scheme"):
        Target().with_base_url("b:2/v1")


def test_model_roles() -> None:
    target = Target(models=(("chat", "llama"),))
    assert target.model("chat") == "llama"
    assert target.model("embeddings") == DEFAULT_MODELS["embeddings"]
    with pytest.raises(ValueError, match="unknown model role"):
        target.model("images")
    with pytest.raises(ValueError, match="unknown model roles"):
        Target(models=(("images", "x"),))


def test_claimed_features_include_sub_features(tmp_path: Path) -> None:
    target = load(tmp_path, cli={"features": "chat,embeddings"})
    assert requirements.feature_claimed("chat.stream", target.features)
    assert target.claims("chat.stream")
    assert target.claims("chat")
    assert target.claims("embeddings")
    assert not target.claims("models")
    assert not target.claims("errors")
    only_stream = load(tmp_path, cli={"features": "chat.stream"})
    assert only_stream.claims("chat.stream")
    assert not only_stream.claims("chat")
    assert not only_stream.claims("chat.tools")
    assert load(tmp_path).claims("anything.at.all")  # None claims everything


def test_a_claim_can_leave_out_a_sub_feature(tmp_path: Path) -> None:
    target = load(tmp_path, cli={"features": "chat,-chat.tools"})
    assert target.claims("chat")
    assert target.claims("chat.stream")
    assert not target.claims("chat.tools")
    with pytest.raises(ConfigError, match=r"unknown feature 'chat\.toolz'"):
        load(tmp_path, cli={"features": "chat,-chat.toolz"})


# --- the options, for argparse and for pytest ---------------------------------------------------------------


def test_options_with_a_real_argparse_parser(tmp_path: Path) -> None:
    parser = argparse.ArgumentParser(prog="oai-conformance")
    add_target_options(parser.add_argument)
    assert "OAI_CONFORMANCE_BASE_URL" in parser.format_help()
    namespace = parser.parse_args(
        [
            "--base-url", "http://localhost:8000/v1",
            "--header", "OpenAI-Organization: org-1",
            "--header", "OpenAI-Project: proj-1",
            "--model", "chat=llama-3",
            "--model", "embeddings=nomic",
            "--features", "chat,embeddings",
            "--mode", "strict",
            "--retries", "0",
        ]
    )  # fmt: skip
    values = cli_values(namespace)
    assert set(values) == {opt.dest for opt in TARGET_OPTIONS}
    assert values["header"] == ["OpenAI-Organization: org-1", "OpenAI-Project: proj-1"]
    assert values["read_timeout"] is None
    target = load_target(values, {}, None, tmp_path)
    assert target.base_url == "http://localhost:8000/v1"
    assert target.headers_map == {"OpenAI-Organization": "org-1", "OpenAI-Project": "proj-1"}
    assert (target.model("chat"), target.model("embeddings")) == ("llama-3", "nomic")
    assert (target.mode, target.retries, target.features) == ("strict", 0, {"chat", "embeddings"})


def test_a_wrong_mode_on_the_command_line_gets_our_message_not_argparses(tmp_path: Path) -> None:
    parser = argparse.ArgumentParser()
    add_target_options(parser.add_argument, prefix="oai-")
    values = cli_values(parser.parse_args(["--oai-mode", "fast"]), prefix="oai-")
    with pytest.raises(ConfigError, match=r"^--oai-mode: 'fast' is not one of strict, compatible"):
        load_target(values, {}, None, tmp_path, cli_prefix="oai-")


def test_options_with_a_fake_pytest_addoption(tmp_path: Path) -> None:
    calls: list[tuple[tuple[Any, ...], dict[str, Any]]] = []

    def addoption(*args: Any, **kwargs: Any) -> None:
        calls.append((args, kwargs))

    add_target_options(addoption, prefix="oai-")
    flags = [args for args, _ in calls]
    assert flags[0] == ("--oai-base-url",)
    assert ("--oai-api-key-env",) in flags and ("--oai-config",) in flags
    assert len(calls) == len(TARGET_OPTIONS)
    for (flag,), kwargs in calls:
        assert kwargs["dest"] == flag[2:].replace("-", "_")
        assert kwargs["default"] is None
        assert set(kwargs) <= {"dest", "help", "metavar", "action", "default"}
        assert "%" not in kwargs["help"]  # argparse would try to format it
    actions = {args[0]: kwargs.get("action") for args, kwargs in calls}
    assert actions["--oai-header"] == actions["--oai-model"] == "append"

    given = {"oai_base_url": "http://x:1/v1", "oai_model": ["chat=m"], "oai_retries": "3"}
    values = cli_values(lambda dest: given.get(dest), prefix="oai-")
    assert values["base_url"] == "http://x:1/v1"
    assert values["config"] is None
    target = load_target(values, {}, None, tmp_path, cli_prefix="oai-")
    assert (target.base_url, target.model("chat"), target.retries) == ("http://x:1/v1", "m", 3)


def test_options_with_pytests_own_parser() -> None:
    from _pytest.config.argparsing import Parser  # private, but it is what the plugin's addoption feeds

    parser = Parser(_ispytest=True)
    add_target_options(parser.getgroup("oai-conformance").addoption, prefix="oai-")
    namespace = parser.parse(["--oai-model", "chat=m", "--oai-model", "embeddings=e", "--oai-retries", "1"])
    values = cli_values(namespace, prefix="oai-")
    assert values["model"] == ["chat=m", "embeddings=e"]
    assert values["retries"] == "1"
    assert values["base_url"] is None


# Cost classes: a small catalogue with one costly feature and one costly sub-feature.
COSTLY_TOML = FEATURES_TOML.replace('"tools"\ncost = "cheap"', '"tools"\ncost = "costly"') + (
    '[feature.images]\ndescription = "images"\ncost = "costly"\n'
)


@pytest.fixture
def costly_catalogue(catalogue: Path) -> Path:
    (catalogue / "features.toml").write_text(COSTLY_TOML, encoding="utf-8")
    requirements.features.cache_clear()
    return catalogue


SERVER = {"base_url": "http://127.0.0.1:9/v1"}


def test_a_default_claim_leaves_the_costly_features_out(costly_catalogue: Path, tmp_path: Path) -> None:
    target = load(tmp_path, SERVER)
    assert target.features == {"-chat.tools", "-images"}
    assert target.claims("chat") and target.claims("chat.stream") and target.claims("models")
    assert not target.claims("chat.tools") and not target.claims("images")


def test_only_exclusions_still_leave_the_costly_features_out(costly_catalogue: Path, tmp_path: Path) -> None:
    target = load(tmp_path, {**SERVER, "features": "-chat.stream"})
    assert target.claims("chat") and not target.claims("chat.stream")
    assert not target.claims("chat.tools") and not target.claims("images")


def test_a_named_costly_feature_is_claimed(costly_catalogue: Path, tmp_path: Path) -> None:
    target = load(tmp_path, {**SERVER, "features": "chat,images"})
    assert target.claims("images") and target.claims("chat.tools"), "named itself, or through its ancestor chat"
    assert not target.claims("embeddings")


def test_allow_costly_claims_them_all(costly_catalogue: Path, tmp_path: Path) -> None:
    for given in ({**SERVER, "allow_costly": True}, SERVER):
        env = {} if "allow_costly" in given else {"OAI_CONFORMANCE_ALLOW_COSTLY": "1"}
        target = load(tmp_path, given, env)
        assert target.features is None and target.allow_costly
        assert target.claims("images") and target.claims("chat.tools")
    assert "allow_costly=True" in repr(target) and target.summary()["allow_costly"] is True


def test_the_bundled_reference_server_is_judged_on_the_costly_features(costly_catalogue: Path, tmp_path: Path) -> None:
    """It costs nothing: with no base_url, and once the CLI has started it and given its URL."""
    target = load(tmp_path)
    assert target.features is None and target.claims("images")
    started = target.with_base_url("http://127.0.0.1:8123/v1")
    assert started.claims("images") and started.allow_costly
    assert not load(tmp_path, SERVER).with_base_url("http://127.0.0.1:8124/v1").claims("images")


def test_every_feature_has_a_known_cost(costly_catalogue: Path) -> None:
    (costly_catalogue / "features.toml").write_text(COSTLY_TOML + '[feature.x]\ndescription = "x"\n', encoding="utf-8")
    requirements.features.cache_clear()
    with pytest.raises(ConfigError, match=r"features\.toml: feature 'x': cost must be one of free, cheap, costly"):
        requirements.features()
