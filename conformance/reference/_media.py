"""Small real media for the reference server, made without a model: Pillow draws an image of the size and format
asked, PyAV (FFmpeg) encodes a few frames into an MP4. The same arguments make the same bytes, so answers are
deterministic; the pictures are flat colours with a stripe, which compress to a few kilobytes at any size."""

from __future__ import annotations

import functools
import hashlib
import io

# Pillow's format names for the API's `output_format` values.
PIL_FORMATS = {"png": "PNG", "jpeg": "JPEG", "webp": "WEBP"}
CONTENT_TYPES = {"png": "image/png", "jpeg": "image/jpeg", "webp": "image/webp"}
FRAMES_PER_SECOND = 2  # enough to be a video; few enough to encode in milliseconds


def _colour(seed: str) -> tuple[int, int, int]:
    digest = hashlib.sha256(seed.encode()).digest()
    return digest[0], digest[1], digest[2]


def _picture(width: int, height: int, seed: str, transparent: bool = False) -> object:
    from PIL import Image, ImageDraw

    mode = "RGBA" if transparent else "RGB"
    red, green, blue = _colour(seed)
    image = Image.new(mode, (width, height), (red, green, blue, 0) if transparent else (red, green, blue))
    stripe = (255 - red, 255 - green, 255 - blue, 255) if transparent else (255 - red, 255 - green, 255 - blue)
    ImageDraw.Draw(image).rectangle((0, height // 3, width - 1, 2 * height // 3), fill=stripe)
    return image


@functools.lru_cache(maxsize=64)
def image(width: int, height: int, output_format: str, seed: str, transparent: bool = False,
          compression: int = 100) -> bytes:  # fmt: skip
    """An image of `width` x `height` in `output_format` (png, jpeg, webp); `transparent`: an alpha channel
    (png and webp); `compression`: 0..100 (jpeg and webp quality)."""
    picture = _picture(width, height, seed, transparent and output_format != "jpeg")
    out = io.BytesIO()
    options = {"quality": max(1, compression)} if output_format in ("jpeg", "webp") else {}
    picture.save(out, PIL_FORMATS[output_format], **options)  # type: ignore[attr-defined]
    return out.getvalue()


@functools.lru_cache(maxsize=16)
def mp4(width: int, height: int, seconds: int, seed: str) -> bytes:
    """An MP4 (ISO BMFF, MPEG-4 Part 2 video) of `seconds` at `width` x `height`, FRAMES_PER_SECOND frames a
    second of flat colours that change from frame to frame."""
    import av

    out = io.BytesIO()
    with av.open(out, mode="w", format="mp4") as container:
        stream = container.add_stream("mpeg4", rate=FRAMES_PER_SECOND)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"  # type: ignore[attr-defined]
        for n in range(max(1, seconds * FRAMES_PER_SECOND)):
            frame = av.VideoFrame.from_image(_picture(width, height, f"{seed}/{n}"))  # type: ignore[arg-type]
            for packet in stream.encode(frame):  # type: ignore[attr-defined]
                container.mux(packet)
        for packet in stream.encode():  # type: ignore[attr-defined]
            container.mux(packet)
    return out.getvalue()
