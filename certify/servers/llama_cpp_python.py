"""llama-cpp-python's own OpenAI-compatible server (`llama_cpp.server`): a Python (FastAPI) layer over the same
llama.cpp engine as `llama_server`, serving the same tiny model.

Install (~10 min on 2 shared cores: it compiles llama.cpp as shared libraries): `llama-cpp-python[server]` pinned to
the version whose vendored llama.cpp the llama-server recipe builds, from its sdist, with the llama-server
recipe's portable, web-free CMake flags (CMAKE_ARGS). The model is the llama-server recipe's tiny random-weights
GGUF, read from that recipe's cache (installed first), not written again.

Start: `python -m llama_cpp.server` with the key (`--api_key`) and the model id (`--model_alias`); the key is on its
command line, as the server takes it no other way (the process list of this machine is the only place it shows; a
fresh key per run). `--embedding true` serves /v1/embeddings beside chat. Ready when `GET /v1/models` answers 200
with the key.
"""

from __future__ import annotations

import os
import shlex
from pathlib import Path

from certify.cache import build_once, make_venv, step
from certify.recipe import Launch, Recipe, Upstream
from certify.servers import llama_server

VERSION = llama_server.VERSION
MODEL_ID = llama_server.MODEL_ID
# The llama-server recipe's flags but shared libraries (the package loads libllama.so) and no server binary.
CMAKE_ARGS = tuple(
    flag for flag in llama_server.CMAKE_FLAGS if not flag.startswith(("-DBUILD_SHARED_LIBS", "-DLLAMA_BUILD_SERVER"))
)


def install() -> Path:
    llama_server.install()  # the model
    return build_once(f"llama-cpp-python-{VERSION}-{llama_server.BUILD}", _build)


def _build(folder: Path) -> None:
    log = folder / "install.log"
    python = make_venv(folder / "venv", log)
    env = {**os.environ, "CMAKE_ARGS": shlex.join(CMAKE_ARGS), "CMAKE_BUILD_PARALLEL_LEVEL": str(os.cpu_count() or 2)}
    step(
        [python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--no-binary", "llama-cpp-python",
         f"llama-cpp-python[server]=={VERSION}"],
        log,
        env=env,
    )  # fmt: skip


def launch(folder: Path, port: int, key: str, upstream: Upstream | None = None) -> Launch:
    model = llama_server.install() / "model.gguf"
    base = f"http://127.0.0.1:{port}"
    return Launch(
        command=[
            str(folder / "venv" / "bin" / "python"),
            *("-m", "llama_cpp.server"),
            *("--model", str(model), "--model_alias", MODEL_ID),
            *("--host", "127.0.0.1", "--port", str(port)),
            *("--n_ctx", "2048", "--n_threads", "2"),
            *("--embedding", "true"),
            *("--api_key", key),
        ],
        env=dict(os.environ),
        base_url=base + "/v1",
        ready_url=base + "/v1/models",
        ready_timeout=60,
        ready_headers={"Authorization": f"Bearer {key}"},
    )


RECIPE = Recipe(
    name="llama-cpp-python",
    version=f"llama-cpp-python {VERSION}",
    features=("models", "-models.delete", "chat", "-chat.store", "embeddings", "errors", "completions"),
    models={"chat": MODEL_ID, "embeddings": MODEL_ID, "completions": MODEL_ID},
    install=install,
    launch=launch,
    notes="`python -m llama_cpp.server` with the llama-server row's tiny random-weights GGUF, `--embedding true`",
)
