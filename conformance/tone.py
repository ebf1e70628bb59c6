"""The audio the suite sends and reads: a deterministic tone as a WAV file, and the length of a WAV file.

Standard library only (`wave`), so the cases, the checks and the reference server share one definition of the
audio the transcription rules are about: a case uploads `tone_wav()`, the checks compare timings with
`wav_seconds()` of what was uploaded, and the reference server times its transcript the same way.
"""

from __future__ import annotations

import io
import math
import struct
import wave

RATE = 16_000  # Hz: what speech recognisers resample to anyway, so the file stays small
TONE_HZ = 440.0
SECONDS = 2.0


def tone_wav(seconds: float = SECONDS, rate: int = RATE, hz: float = TONE_HZ) -> bytes:
    """A mono 16-bit PCM WAV of a sine tone at a quarter of full scale, the same bytes on every call."""
    frames = round(seconds * rate)
    samples = (round(8192 * math.sin(2 * math.pi * hz * n / rate)) for n in range(frames))
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(struct.pack(f"<{frames}h", *samples))
    return buffer.getvalue()


def wav_seconds(data: bytes) -> float | None:
    """The length in seconds of a WAV file, from the frames it holds; None when `data` is not one.

    The frames are counted from the bytes present, not the header: a streamed WAV says 0xFFFFFFFF frames.
    """
    try:
        with wave.open(io.BytesIO(data), "rb") as wav:
            rate, width, channels = wav.getframerate(), wav.getsampwidth(), wav.getnchannels()
            start = data.find(b"data", 12) + 8
    except (wave.Error, EOFError, struct.error):
        return None
    if rate <= 0 or width <= 0 or channels <= 0 or start < 8:
        return None
    return (len(data) - start) // (width * channels) / rate


def silent_wav(size: int, rate: int = RATE) -> bytes:
    """A mono 16-bit WAV of silence, `size` bytes long or one byte more (whole frames): an upload over a limit
    without computing millions of samples."""
    frames = max(0, size - 44 + 1) // 2
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(bytes(2 * frames))
    return buffer.getvalue()
