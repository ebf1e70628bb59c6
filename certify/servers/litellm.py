"""The LiteLLM proxy with mocked completions: no upstream model, every answer is LiteLLM's own.

Install: `litellm[proxy]` pinned, in its own virtual environment (~2-3 min). Configuration: one chat model and
one embeddings model answered by `mock_response`, a `master_key` read from the environment
(`os.environ/LITELLM_MASTER_KEY`), the local model cost map (else start-up waits on the network). Ready when
`GET /health/liveliness` answers 200 (~15 s).

The mocked text is a JSON object, so that it is also a valid answer to `response_format: json_object`.

The mocked proxy serves the Responses API too, without a store (no database): `responses` is claimed without
`responses.store` and `responses.background`; LiteLLM has no conversations route. The chat model's
`mock_response` also answers the legacy text completions (`/v1/completions`, whole and streamed), so
`completions` is claimed with it. Moderations are not: LiteLLM sends `/v1/moderations` to OpenAI whatever the
config says (no `mock_response`; offline, a 500 "Missing credentials"). Nor is `responses.compact`: LiteLLM
sends `POST /v1/responses/compact` to api.openai.com too (offline, a 500 "Cannot connect to host
api.openai.com:443"); `responses.input-tokens` is claimed (LiteLLM counts locally: 200 {"object":
"response.input_tokens","input_tokens":61,"litellm_count_source":"local_estimate"}). `models.delete` is not:
the proxy has no `DELETE /v1/models/{model}` (405 {"detail":"Method Not Allowed"}, `allow: GET`).

`ROUTED` is the same proxy routed to a real llama-server (started first, on its own port): what LiteLLM changes
on the way. Its Responses model goes through LiteLLM's own bridge (`openai/chat_completions/<model>`), which
serves the Responses API on top of the upstream's chat completions, so the certificate judges LiteLLM's
translation, not llama-server's own `/v1/responses`. Legacy completions are routed like chat (`completions` is
claimed); moderations are not (LiteLLM forwards them to llama-server, which has no such route: 404), nor is
`responses.compact` (forwarded to llama-server: 404 NotFoundError "File Not Found"), nor `models.delete` (405,
as above).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from certify.cache import build_once, make_venv, pip_install
from certify.recipe import Launch, Recipe, Upstream
from certify.servers import llama_server

VERSION = "1.106.2"
CHAT_MODEL = "mock-chat"
EMBEDDINGS_MODEL = "mock-embedding"
MOCK_TEXT = '{"answer": "mocked"}'
MOCK_EMBEDDING = [0.25, -0.5, 0.75, 0.125]
BRIDGED_RESPONSES_MODEL = "responses-over-chat"
WITHOUT_STORE = ("responses", "-responses.store", "-responses.background")
# Not served by the proxy in either configuration (see the module's docstring): DELETE /v1/models/{model} answers
# 405 Method Not Allowed; /v1/responses/compact is forwarded (to api.openai.com: 500; to llama-server: 404); the
# Responses API's WebSocket mode (GET /v1/responses upgraded) closes with 1011 after a DNS failure: not served.
NOT_SERVED = ("-models.delete", "-responses.compact", "-responses.websocket")
FEATURES = (
    "models", "chat", "embeddings", "errors", "generated", "-chat.store", *WITHOUT_STORE, *NOT_SERVED, "completions",
)  # fmt: skip


def install() -> Path:
    return build_once(f"litellm-{VERSION}", _build)


def _build(folder: Path) -> None:
    log = folder / "install.log"
    python = make_venv(folder / "venv", log)
    pip_install(python, [f"litellm[proxy]=={VERSION}"], log)


def config(upstream: Upstream | None = None) -> str:
    """The proxy's config.yaml (JSON is YAML): the mocked models, or the upstream's models routed to it."""
    if upstream is None:
        models = [mocked(CHAT_MODEL, MOCK_TEXT), mocked(EMBEDDINGS_MODEL, MOCK_EMBEDDING)]
    else:
        models = [routed(model, model, upstream) for model in dict.fromkeys(upstream.models.values())]
        models.append(routed(BRIDGED_RESPONSES_MODEL, f"chat_completions/{upstream.models['chat']}", upstream))
    return proxy_config(models)


def proxy_config(models: list[dict[str, object]]) -> str:
    """config.yaml (JSON is YAML) of `models`, the master key read from the environment."""
    return json.dumps(
        {"model_list": models, "general_settings": {"master_key": "os.environ/LITELLM_MASTER_KEY"}}, indent=2
    )


def routed(name: str, upstream_model: str, upstream: Upstream) -> dict[str, object]:
    """A model served by an OpenAI-compatible upstream, as LiteLLM's docs route one: `openai/` and an api_base."""
    return {
        "model_name": name,
        "litellm_params": {
            "model": f"openai/{upstream_model}",
            "api_base": upstream.base_url,
            "api_key": "os.environ/UPSTREAM_API_KEY",
        },
    }


def mocked(name: str, response: object) -> dict[str, object]:
    return {
        "model_name": name,
        "litellm_params": {"model": f"openai/{name}", "api_key": "unused", "mock_response": response},
    }


def launch(folder: Path, port: int, key: str, upstream: Upstream | None = None) -> Launch:
    return launch_with(config(upstream), folder, port, key, upstream)


def launch_with(config_text: str, folder: Path, port: int, key: str, upstream: Upstream | None = None) -> Launch:
    """The proxy started from the installed environment with the configuration `config_text`."""
    config_file = folder / f"config-{port}.yaml"
    config_file.write_text(config_text)
    env = {
        **os.environ,
        **({"UPSTREAM_API_KEY": upstream.key} if upstream else {}),
        "LITELLM_MASTER_KEY": key,
        "LITELLM_LOCAL_MODEL_COST_MAP": "True",
        "LITELLM_TELEMETRY": "False",
        "NO_PROXY": "127.0.0.1,localhost",
    }
    return Launch(
        command=[
            str(folder / "venv" / "bin" / "litellm"),
            *("--config", str(config_file)),
            *("--host", "127.0.0.1", "--port", str(port)),
            *("--num_workers", "1"),
        ],
        env=env,
        base_url=f"http://127.0.0.1:{port}/v1",
        ready_url=f"http://127.0.0.1:{port}/health/liveliness",
        ready_timeout=120,
        cwd=folder,
    )


RECIPE = Recipe(
    name="litellm",
    version=VERSION,
    features=FEATURES,
    models={"chat": CHAT_MODEL, "embeddings": EMBEDDINGS_MODEL, "responses": CHAT_MODEL, "completions": CHAT_MODEL},
    install=install,
    launch=launch,
    notes="proxy with `mock_response` models (no upstream)",
)

# The same proxy in front of a real server: what LiteLLM itself changes on the way (streams, errors, usage).
ROUTED = Recipe(
    name="litellm-llama-server",
    version=f"{VERSION} → llama-server ({llama_server.RECIPE.version})",
    features=FEATURES,
    models={**llama_server.RECIPE.models, "responses": BRIDGED_RESPONSES_MODEL},
    install=install,
    launch=launch,
    notes="proxy routing `openai/<model>` with an `api_base` to the llama-server above",
    upstream=llama_server.RECIPE,
)
