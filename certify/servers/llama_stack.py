"""Llama Stack with its inline Files (localfs) and vector-io (faiss) providers, inference routed to llama-server.

Install (~20 s from this machine's package index, ~480 MB): `llama-stack` pinned (0.2.12: the newest whose
requirements install on Python 3.11) in its own virtual environment, with what its server imports but does not
require (uvicorn, OpenTelemetry's SDK and OTLP exporter, SQLAlchemy's asyncio extra with aiosqlite for the stores)
and what the two providers need (faiss-cpu; pypdf and chardet to read uploaded files). numpy stays below 2.3:
faiss' index is saved with `np.savetxt` (floats) and read back with `np.loadtxt(dtype=uint8)`, which numpy 2.3
refuses ("could not convert string '7.300000000000000000e+01' to uint8"), so re-using a saved index fails.
sqlite-vec is not an option here: this Python's sqlite3 has no `enable_load_extension`.

Configuration: a run.yaml written per port with only the `files`, `inference` and `vector_io` APIs; every store
(file metadata and bytes, faiss index, registry) in a fresh `state-<port>/` folder. Inference is `remote::vllm`, an
OpenAI-compatible client, pointed at the llama-server started first with its key (`api_token`); its one model is
registered twice, as the chat model and as the embeddings model (64 dimensions) that vector stores use.

Routes: Llama Stack serves the OpenAI API under `/v1/openai/v1` (`/v1/openai/v1/files`,
`/v1/openai/v1/vector_stores`, ...; `/v1/files` is a 404). It checks no key (no `server.auth` configured), so the
`errors` feature is not claimed. Ready when `GET /v1/health` answers 200 (~5 s).

Claims: `files` (no /uploads route: `uploads` is not claimed); `vector-stores` without its `file-search` tool
(the Responses API is not configured here: it needs the agents API and a model that calls `knowledge_search`, and
0.2.12's /responses takes no `tool_choice`), nor its `file-batches` (there is no file batches route: POST
/vector_stores/{id}/file_batches is 404 {"detail":"Not Found"}). `models` without
`models.delete` (no DELETE route), `chat` without `chat.store` (list and retrieve only: no update or delete), and
`embeddings`, all passed through to the llama-server. Not claimed: the legacy completions (served, not reviewed),
the Responses API and conversations (their APIs are not configured), moderations and batches (no route).

A vector store's id is its `name` (required): two stores of one name are one store, and deleting either deletes
it. The suite's cases name their stores each with a tag of their own, so they run in parallel as elsewhere (when
they shared one name, they used and deleted each other's stores).
"""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
from pathlib import Path

from certify.cache import build_once, make_venv, pip_install
from certify.recipe import Launch, Recipe, Upstream
from certify.servers import llama_server

VERSION = "0.2.12"
REQUIREMENTS = (
    f"llama-stack=={VERSION}",
    "faiss-cpu==1.15.1",
    "numpy<2.3",  # see above: faiss' saved index cannot be read back with numpy 2.3
    "sqlalchemy[asyncio]",
    "aiosqlite",
    "uvicorn",
    "opentelemetry-sdk",
    "opentelemetry-exporter-otlp-proto-http",
    "pypdf",
    "chardet",
)
EMBEDDINGS_MODEL = "tiny-llama-embed"  # the upstream's model, registered as an embedding model
EMBEDDING_DIMENSION = 64  # the tiny GGUF's embedding size


# llama-server embeds one input in one physical batch (512 tokens by default) and its tiny model has about a token
# per character, so with the defaults files failed to index: the suite's 1,509-byte text chunked `auto` (one chunk),
# and 512 non-text bytes (500 {"error":"input (1030 tokens) is too large to process. increase the physical batch
# size"}). The upstream started for Llama Stack has room for an `auto` chunk (800 tokens, ~3,200 characters): a
# 4,096-token physical batch and context per slot (the llama-server certificate keeps the defaults).
UPSTREAM_ARGS = ("--ctx-size", "8192", "--batch-size", "4096", "--ubatch-size", "4096")


def _upstream_launch(folder: Path, port: int, key: str, upstream: Upstream | None = None) -> Launch:
    launch = llama_server.launch(folder, port, key, upstream)
    return dataclasses.replace(launch, command=[*launch.command, *UPSTREAM_ARGS])  # the last --ctx-size wins


UPSTREAM = dataclasses.replace(llama_server.RECIPE, launch=_upstream_launch)


def install() -> Path:
    return build_once(f"llama-stack-{VERSION}", _build)


def _build(folder: Path) -> None:
    log = folder / "install.log"
    python = make_venv(folder / "venv", log)
    pip_install(python, list(REQUIREMENTS), log)


def _sqlite(path: Path) -> dict[str, str]:
    return {"type": "sqlite", "db_path": str(path)}


def config(state: Path, upstream: Upstream) -> str:
    """The stack's run.yaml (JSON is YAML); the upstream's key stays in the environment (`${env.…}`)."""
    chat_model = upstream.models["chat"]
    upstream_model = upstream.models["embeddings"]
    run = {
        "version": "2",
        "image_name": "oai-conformance",
        "apis": ["files", "inference", "vector_io"],
        "providers": {
            "inference": [
                {
                    "provider_id": "llama-server",
                    "provider_type": "remote::vllm",
                    "config": {
                        "url": upstream.base_url,
                        "api_token": "${env.UPSTREAM_API_KEY}",
                        "max_tokens": 512,
                        "tls_verify": False,
                    },
                }
            ],
            "vector_io": [
                {
                    "provider_id": "faiss",
                    "provider_type": "inline::faiss",
                    "config": {"kvstore": _sqlite(state / "faiss.db")},
                }
            ],
            "files": [
                {
                    "provider_id": "localfs",
                    "provider_type": "inline::localfs",
                    "config": {
                        "storage_dir": str(state / "files"),
                        "metadata_store": _sqlite(state / "files_metadata.db"),
                    },
                }
            ],
        },
        "metadata_store": _sqlite(state / "registry.db"),
        "inference_store": _sqlite(state / "inference_store.db"),
        "models": [
            {
                "model_id": chat_model,
                "provider_id": "llama-server",
                "provider_model_id": chat_model,
                "model_type": "llm",
                "metadata": {},
            },
            {
                "model_id": EMBEDDINGS_MODEL,
                "provider_id": "llama-server",
                "provider_model_id": upstream_model,
                "model_type": "embedding",
                "metadata": {"embedding_dimension": EMBEDDING_DIMENSION},
            },
        ],
        "shields": [],
        "vector_dbs": [],
        "datasets": [],
        "scoring_fns": [],
        "benchmarks": [],
        "tool_groups": [],
        "server": {"host": "127.0.0.1", "port": 8321},  # the port is given on the command line
    }
    return json.dumps(run, indent=2)


def launch(folder: Path, port: int, key: str, upstream: Upstream | None = None) -> Launch:
    if upstream is None:
        raise ValueError("llama-stack is started with an upstream (llama-server) for inference and embeddings")
    state = folder / f"state-{port}"
    shutil.rmtree(state, ignore_errors=True)  # every run starts with no file, no vector store
    state.mkdir(parents=True)
    config_file = folder / f"config-{port}.yaml"
    config_file.write_text(config(state, upstream))
    base = f"http://127.0.0.1:{port}"
    return Launch(
        command=[
            str(folder / "venv" / "bin" / "python"),
            *("-m", "llama_stack.distribution.server.server"),
            *("--config", str(config_file)),
            *("--port", str(port)),
        ],
        env={
            **os.environ,
            "UPSTREAM_API_KEY": upstream.key,
            "LLAMA_STACK_DISABLE_VERSION_CHECK": "1",  # no X-LlamaStack-Client-Version check on requests
            "NO_PROXY": "127.0.0.1,localhost",
        },
        base_url=base + "/v1/openai/v1",
        ready_url=base + "/v1/health",
        ready_timeout=120,
        cwd=folder,
    )


# What it serves, as the module docstring says: models, chat and embeddings (through the llama-server), files, and
# vector stores without the file_search tool.
FEATURES = (
    "models", "-models.delete", "chat", "-chat.store", "embeddings",
    "files", "vector-stores", "-vector-stores.file-search", "-vector-stores.file-batches",
)  # fmt: skip

RECIPE = Recipe(
    name="llama-stack",
    version=f"{VERSION} → llama-server ({llama_server.RECIPE.version})",
    features=FEATURES,
    models={"chat": llama_server.MODEL_ID, "embeddings": EMBEDDINGS_MODEL},
    install=install,
    launch=launch,
    notes=(
        "inline::localfs files, inline::faiss vector-io, remote::vllm inference to the llama-server above (started "
        "with 4,096-token batches for embeddings); the cases one at a time (a vector store's id is its name)"
    ),
    upstream=UPSTREAM,
)
