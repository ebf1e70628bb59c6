"""fakellm: a mock OpenAI (and Anthropic) chat server that answers what its rules file says, used in tests.

Install (~20 s): `fakellm` pinned, in its own virtual environment. It serves `POST /v1/chat/completions` (whole and
streamed) and nothing else of the OpenAI API: no /v1/models, no key check (any key or none is taken), no legacy
completions, embeddings or Responses API. So `chat` is claimed, without `chat.store` (no stored completions);
`models`, `errors` (its rules need a key to be refused) and `generated` are not.

Configuration (`fakellm.yaml`, written per port): the way its README sets a mock up for a tool-calling client: a
request whose tools include the suite's `get_weather` gets a call of it; every other request the same text, a JSON
object (so that it is also an answer to `response_format: json_object`). Ready when its dashboard's
`GET /_fakellm/stats` answers 200 (~2 s).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from certify.cache import build_once, make_venv, pip_install
from certify.recipe import Launch, Recipe, Upstream

VERSION = "0.3.5"
MODEL_ID = "fake-chat"  # fakellm answers any model id; this is the one the suite names
MOCK_TEXT = '{"answer": "mocked"}'


def install() -> Path:
    return build_once(f"fakellm-{VERSION}", _build)


def _build(folder: Path) -> None:
    log = folder / "install.log"
    python = make_venv(folder / "venv", log)
    pip_install(python, [f"fakellm=={VERSION}"], log)


def config() -> str:
    """fakellm.yaml (JSON is YAML): first match wins."""
    rules = [
        {
            "name": "weather_tool",
            "when": {"tools_include": "get_weather"},
            "respond": {"tool_calls": [{"name": "get_weather", "arguments": {"city": "Paris"}}]},
        },
        {"name": "everything_else", "respond": {"content": MOCK_TEXT}},
    ]
    return json.dumps({"rules": rules}, indent=2)


def launch(folder: Path, port: int, key: str, upstream: Upstream | None = None) -> Launch:
    config_file = folder / f"fakellm-{port}.yaml"
    config_file.write_text(config())
    base = f"http://127.0.0.1:{port}"
    return Launch(
        command=[
            str(folder / "venv" / "bin" / "fakellm"),
            "serve",
            *("--host", "127.0.0.1", "--port", str(port)),
            *("--config", str(config_file)),
        ],
        env=dict(os.environ),
        base_url=base + "/v1",
        ready_url=base + "/_fakellm/stats",
        ready_timeout=60,
        cwd=folder,
    )


RECIPE = Recipe(
    name="fakellm",
    version=VERSION,
    features=("chat", "-chat.store"),
    models={"chat": MODEL_ID},
    install=install,
    launch=launch,
    notes="rules file: a `get_weather` call when the request offers that tool, else a fixed JSON text",
)
