"""What a piece of media is, read by real decoders: Pillow for images, PyAV (FFmpeg) for video containers.

The checks of the Images and Videos APIs ask what the bytes a server sent are (an image of which format and
size; an MP4 with a video stream) without trusting the content type or the file name. Both readers are given
bytes only and never raise: bytes they cannot read are `None` with the decoder's complaint.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass

# Pillow's format names for the API's `output_format` values.
FORMATS = {"png": "PNG", "jpeg": "JPEG", "webp": "WEBP"}
# The ISO base media file format's family in FFmpeg ("mov,mp4,m4a,3gp,3g2,mj2"): the demuxer that reads MP4.
MP4_DEMUXER = "mp4"


@dataclass(frozen=True)
class Picture:
    """An image as decoded: its format in the API's words (png, jpeg, webp, or Pillow's name of another), size."""

    format: str
    width: int
    height: int

    @property
    def size(self) -> str:
        return f"{self.width}x{self.height}"


@dataclass(frozen=True)
class Movie:
    """A video container as demuxed: FFmpeg's format names, the `ftyp` major brand, the first video stream's
    codec and dimensions, and the duration in seconds (None when the container does not say)."""

    container: str
    brand: str
    codec: str
    width: int
    height: int
    seconds: float | None

    @property
    def is_mp4(self) -> bool:
        return MP4_DEMUXER in self.container.split(",") and bool(self.brand)


def picture(data: bytes) -> tuple[Picture | None, str]:
    """The image `data` holds, fully decoded (a truncated file fails), or None and why."""
    from PIL import Image, UnidentifiedImageError

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # a decompression-bomb warning is an answer too: the size says it
            with Image.open(io.BytesIO(data)) as image:
                image.load()
                name = (image.format or "").upper()
                known = next((api for api, pil in FORMATS.items() if pil == name), name.lower())
                return Picture(known, image.width, image.height), ""
    except UnidentifiedImageError:
        return None, "not an image Pillow can read"
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError) as exc:
        return None, f"{type(exc).__name__}: {exc}"[:200]


def movie(data: bytes) -> tuple[Movie | None, str]:
    """The video container `data` holds, with its first video stream, or None and why."""
    import av

    try:
        with av.open(io.BytesIO(data), mode="r") as container:
            videos = list(container.streams.video)
            if not videos:
                return None, f"a {container.format.name} container with no video stream"
            stream = videos[0]
            seconds = container.duration / 1_000_000 if container.duration is not None else None
            brand = str(container.metadata.get("major_brand", ""))
            return Movie(container.format.name, brand, stream.codec_context.name, stream.width, stream.height,
                         seconds), ""  # fmt: skip
    except (av.FFmpegError, ValueError, OSError) as exc:
        return None, f"{type(exc).__name__}: {exc}"[:200]
