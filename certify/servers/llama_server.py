"""llama.cpp's llama-server, built from the llama.cpp sources vendored in the llama-cpp-python sdist.

Install (once per machine and version, ~6 min on 2 cores): `pip download` the sdist, cmake-configure its
`vendor/llama.cpp` without the web UI download and without CPU-specific code, build only `llama-server`, and
write a tiny llama-architecture GGUF with random weights (certify/tiny_gguf.py, run with the `gguf` package
vendored in the same sources). The text it generates is gibberish; its JSON mode (a grammar) still gives JSON.

Start: `llama-server --jinja --embeddings` with the key in LLAMA_API_KEY (never on the command line); ready when
`GET /health` answers 200 (503 while loading).
"""

from __future__ import annotations

import os
import shutil
import sys
import tarfile
from pathlib import Path

from certify.cache import build_once, make_venv, pip_install, step
from certify.lifecycle import CertifyError
from certify.recipe import Launch, Recipe, Upstream

VERSION = "0.3.36"  # llama-cpp-python's version; it pins the vendored llama.cpp
BUILD = "o1"  # bump when CMAKE_FLAGS change: the cache key, so that a machine rebuilds once
MODEL_ID = "tiny-llama"
CMAKE_FLAGS = (
    "-DCMAKE_BUILD_TYPE=Release",
    # -O1: 4.5 min on 2 idle cores instead of ~6 with -O3; the model is a few hundred KB, speed is moot
    "-DCMAKE_C_FLAGS_RELEASE=-O1 -DNDEBUG",
    "-DCMAKE_CXX_FLAGS_RELEASE=-O1 -DNDEBUG",
    "-DBUILD_SHARED_LIBS=OFF",  # one self-contained binary: the build folder is deleted afterwards
    "-DLLAMA_BUILD_SERVER=ON",
    "-DGGML_NATIVE=OFF",  # portable code: a cached binary also runs on another CPU of the same kind
    "-DLLAMA_USE_PREBUILT_UI=OFF",  # the default downloads the web UI
    "-DLLAMA_CURL=OFF",
    "-DLLAMA_BUILD_TESTS=OFF",
    "-DLLAMA_BUILD_EXAMPLES=OFF",
)


PIP_DOWNLOAD = (sys.executable, "-m", "pip", "download", "--quiet", "--no-binary", ":all:", "--no-deps")


def install() -> Path:
    return build_once(f"llama-server-{VERSION}-{BUILD}", _build)


def _build(folder: Path) -> None:
    log = folder / "install.log"
    step(
        [*PIP_DOWNLOAD, f"llama-cpp-python=={VERSION}", "-d", folder / "sdist"],
        log,
    )
    (archive,) = (folder / "sdist").glob("llama_cpp_python-*.tar.gz")
    prefix = f"llama_cpp_python-{VERSION}/vendor/llama.cpp/"
    with tarfile.open(archive) as tar:
        members = [m for m in tar.getmembers() if m.name.startswith(prefix)]
        tar.extractall(folder / "src", members=members, filter="data")
    source = folder / "src" / prefix
    step(["cmake", "-S", source, "-B", folder / "build", *CMAKE_FLAGS], log)
    step(["cmake", "--build", folder / "build", "--target", "llama-server", "-j", str(os.cpu_count() or 2)], log)
    built = folder / "build" / "bin" / "llama-server"
    if not built.is_file():
        raise CertifyError(f"the build made no {built}; see {log}")
    (folder / "bin").mkdir()
    shutil.copy2(built, folder / "bin" / "llama-server")
    step([folder / "bin" / "llama-server", "--version"], log)  # it runs without the build folder
    # The model writer's environment: the gguf package of the same sources, and numpy.
    python = make_venv(folder / "venv", log)
    pip_install(python, [source / "gguf-py"], log)
    step([python, Path(__file__).parent.parent / "tiny_gguf.py", folder / "model.gguf"], log)
    for scratch in ("build", "sdist", "src"):  # ~200 MB of sources and objects; the binary is all we keep
        shutil.rmtree(folder / scratch)


def launch(folder: Path, port: int, key: str, upstream: Upstream | None = None) -> Launch:
    base = f"http://127.0.0.1:{port}"
    return Launch(
        command=[
            str(folder / "bin" / "llama-server"),
            *("--model", str(folder / "model.gguf"), "--alias", MODEL_ID),
            *("--host", "127.0.0.1", "--port", str(port)),
            *("--ctx-size", "2048", "--parallel", "2", "--threads", "2"),
            "--jinja",
            "--embeddings",  # the model pools (mean): /v1/embeddings answers beside chat
            "--no-webui",
        ],
        env={**os.environ, "LLAMA_API_KEY": key},
        base_url=base + "/v1",
        ready_url=base + "/health",
        ready_timeout=60,
    )


# The Responses API without what needs a store (llama-server keeps no responses): no conversations either. Stored
# chat completions were never checked against it. Legacy completions (whole and streamed) are served; moderations
# are not (no route: 404 File Not Found). Nor are POST /v1/responses/compact and DELETE /v1/models/{model}: both
# answer 404 {"error":{"message":"File Not Found","type":"not_found_error","code":404}}, the answer of any unknown
# route (DELETE /v1/models/tiny-llama, a listed id, too). POST /v1/responses/input_tokens is served (200
# {"input_tokens":57,"object":"response.input_tokens"}). The Responses API's WebSocket mode is not served (the
# upgrade of GET /v1/responses is refused with 404).
FEATURES = (
    "models", "-models.delete", "chat", "-chat.store", "embeddings", "errors", "generated",
    "responses", "-responses.store", "-responses.background", "-responses.compact", "-responses.websocket",
    "completions",
)  # fmt: skip

RECIPE = Recipe(
    name="llama-server",
    version=f"llama-cpp-python {VERSION}",
    features=FEATURES,
    models={"chat": MODEL_ID, "embeddings": MODEL_ID, "responses": MODEL_ID, "completions": MODEL_ID},
    install=install,
    launch=launch,
    notes="a tiny random-weights llama GGUF (mean pooling), `--jinja --embeddings`",
)
