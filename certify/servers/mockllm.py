"""mockllm: a mock server in the OpenAI (and Anthropic) chat format that answers from a responses file, for tests.

Install (~20 s): `mockllm` pinned, in its own virtual environment. Of the OpenAI API it serves
`POST /v1/chat/completions` (whole and streamed) only; its `GET /models` is its own listing ({"models": [...],
"by_provider": {...}}) at the root, not /v1/models. It checks no key. So `chat` is claimed without `chat.store`;
`models`, `errors` and `generated` are not.

Configuration: a `responses.yml` (written per port) whose default answer is a JSON object (so that it is also an
answer to `response_format: json_object`), no simulated lag. Started with uvicorn directly: `mockllm start` always
runs uvicorn's auto-reload (its `--reload` flag defaults to true and cannot be turned off), a file watcher this
run has no use for. The model id is one tiktoken does not know, so counting tokens falls back to counting words
at once instead of fetching an encoding from the network. Ready when `GET /providers` answers 200 (~3 s).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from certify.cache import build_once, make_venv, pip_install
from certify.recipe import Launch, Recipe, Upstream

VERSION = "0.0.8"
MODEL_ID = "mock-chat"
MOCK_TEXT = '{"answer": "mocked"}'


def install() -> Path:
    return build_once(f"mockllm-{VERSION}", _build)


def _build(folder: Path) -> None:
    log = folder / "install.log"
    python = make_venv(folder / "venv", log)
    pip_install(python, [f"mockllm=={VERSION}"], log)


def launch(folder: Path, port: int, key: str, upstream: Upstream | None = None) -> Launch:
    responses = folder / f"responses-{port}.yml"
    responses.write_text(  # JSON is YAML
        json.dumps({"responses": {}, "defaults": {"unknown_response": MOCK_TEXT}, "settings": {"lag_enabled": False}})
    )
    base = f"http://127.0.0.1:{port}"
    return Launch(
        command=[
            str(folder / "venv" / "bin" / "python"),
            *("-m", "uvicorn", "mockllm.server:app"),
            *("--host", "127.0.0.1", "--port", str(port)),
        ],
        env={**os.environ, "MOCKLLM_RESPONSES_FILE": str(responses)},
        base_url=base + "/v1",
        ready_url=base + "/providers",
        ready_timeout=60,
        cwd=folder,
    )


RECIPE = Recipe(
    name="mockllm",
    version=VERSION,
    features=("chat", "-chat.store"),
    models={"chat": MODEL_ID},
    install=install,
    launch=launch,
    notes="responses file: one default answer, a fixed JSON text; no lag; served by uvicorn without auto-reload",
)
