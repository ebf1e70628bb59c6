"""Minimal valid audio files in the six formats of POST /v1/audio/speech, made without an encoder.

No encoder library is available to the reference server, so each format is written by hand at the container
and bitstream level, with silence as its content (a silent frame of every codec is a few fixed bytes):

    mp3   MPEG-1 Layer III frames, 48 kHz mono 64 kbit/s, side information all zero (silence)
    opus  an Ogg stream: OpusHead, OpusTags, then 20 ms silent CELT packets (RFC 7845 and RFC 6716)
    aac   ADTS frames of AAC-LC, 24 kHz mono, each one silent single-channel element then END (ISO 14496-3)
    flac  fLaC, STREAMINFO, then frames of 4096 verbatim 16-bit samples with their CRC-8 and CRC-16
    wav   RIFF WAVE, 24 kHz mono 16-bit PCM (the standard library's `wave`)
    pcm   the same samples raw: 24 kHz, 16-bit signed little-endian, mono, as the API sends them

`audio(fmt, seconds)` returns the bytes of about `seconds` of silence in `fmt`; tests/test_violations_audio.py
reads every format back with mutagen's parsers.
"""

from __future__ import annotations

import io
import struct
import wave

PCM_RATE = 24_000
FORMATS = ("mp3", "opus", "aac", "flac", "wav", "pcm")
CONTENT_TYPES = {
    "mp3": "audio/mpeg",
    "opus": "audio/ogg",
    "aac": "audio/aac",
    "flac": "audio/flac",
    "wav": "audio/wav",
    "pcm": "audio/pcm",
}


def audio(fmt: str, seconds: float) -> bytes:
    """About `seconds` of silence in `fmt` (one of FORMATS)."""
    return {"mp3": mp3, "opus": opus, "aac": aac, "flac": flac, "wav": wav, "pcm": pcm}[fmt](max(seconds, 0.05))


def pcm(seconds: float) -> bytes:
    return bytes(2 * round(seconds * PCM_RATE))


def wav(seconds: float) -> bytes:
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(PCM_RATE)
        out.writeframes(pcm(seconds))
    return buffer.getvalue()


# --- mp3 -----------------------------------------------------------------------------------------------------
# Sync, MPEG-1, Layer III, no CRC | 64 kbit/s, 48 kHz, no padding | mono: 144 * 64000 / 48000 = 192 bytes a frame.
_MP3_HEADER = b"\xff\xfb\x54\xc0"
_MP3_FRAME = _MP3_HEADER + bytes(192 - len(_MP3_HEADER))  # 17 bytes of side info, then main data: all zero
_MP3_FRAME_SECONDS = 1152 / 48_000


def mp3(seconds: float) -> bytes:
    return _MP3_FRAME * max(2, round(seconds / _MP3_FRAME_SECONDS))


# --- opus in ogg ---------------------------------------------------------------------------------------------
_OPUS_SILENCE = b"\xf8\xff\xfe"  # TOC: CELT fullband 20 ms, one frame; then a silent frame
_OPUS_PRE_SKIP = 312
_OGG_SERIAL = 0x0A1C0DE5


def _crc_table(poly: int, width: int) -> list[int]:
    top, mask = 1 << (width - 1), (1 << width) - 1
    table = []
    for byte in range(256):
        crc = byte << (width - 8)
        for _ in range(8):
            crc = ((crc << 1) ^ poly) if crc & top else crc << 1
        table.append(crc & mask)
    return table


_OGG_TABLE = _crc_table(0x04C11DB7, 32)
_CRC8_TABLE = _crc_table(0x07, 8)
_CRC16_TABLE = _crc_table(0x8005, 16)


def _crc(data: bytes, table: list[int], width: int) -> int:
    crc, shift, mask = 0, width - 8, (1 << width) - 1
    for byte in data:
        crc = ((crc << 8) & mask) ^ table[((crc >> shift) ^ byte) & 0xFF]
    return crc


def _ogg_page(packets: list[bytes], granule: int, sequence: int, flags: int) -> bytes:
    lacing = b"".join(bytes([255] * (len(p) // 255) + [len(p) % 255]) for p in packets)
    header = struct.pack("<4sBBqIIIB", b"OggS", 0, flags, granule, _OGG_SERIAL, sequence, 0, len(lacing)) + lacing
    page = header + b"".join(packets)
    return page[:22] + struct.pack("<I", _crc(page, _OGG_TABLE, 32)) + page[26:]


def opus(seconds: float) -> bytes:
    head = b"OpusHead" + struct.pack("<BBHIhB", 1, 1, _OPUS_PRE_SKIP, 48_000, 0, 0)
    vendor = b"oai-conformance reference"
    tags = b"OpusTags" + struct.pack("<I", len(vendor)) + vendor + struct.pack("<I", 0)
    pages = [_ogg_page([head], 0, 0, 0x02), _ogg_page([tags], 0, 1, 0)]
    packets = max(1, round(seconds / 0.02))
    granule, sequence = _OPUS_PRE_SKIP, 2
    for start in range(0, packets, 50):  # one second (50 packets) a page
        count = min(50, packets - start)
        granule += 960 * count
        last = start + count >= packets
        pages.append(_ogg_page([_OPUS_SILENCE] * count, granule, sequence, 0x04 if last else 0))
        sequence += 1
    return b"".join(pages)


# --- aac (ADTS) ----------------------------------------------------------------------------------------------
# Single channel element 0: global gain 160, long window, max_sfb 0 (no spectral data), no pulse, TNS or gain
# control; then the END element, byte aligned.
_AAC_SILENCE = b"\x01\x40\x20\x07"
_AAC_RATE_INDEX = 6  # 24 kHz


def _adts_header(length: int) -> bytes:
    bits = (0xFFF << 44) | (0 << 43) | (0 << 41) | (1 << 40)  # sync, MPEG-4, layer 0, no CRC
    bits |= (1 << 38) | (_AAC_RATE_INDEX << 34) | (0 << 33) | (1 << 30)  # AAC LC, 24 kHz, private 0, mono
    bits |= (length << 13) | (0x7FF << 2) | 0  # frame length, buffer fullness (VBR), one raw data block
    return bits.to_bytes(7, "big")


def aac(seconds: float) -> bytes:
    frame = _adts_header(7 + len(_AAC_SILENCE)) + _AAC_SILENCE
    return frame * max(1, round(seconds * PCM_RATE / 1024))


# --- flac ----------------------------------------------------------------------------------------------------
_FLAC_BLOCK = 4096


def flac(seconds: float) -> bytes:
    blocks = max(1, round(seconds * PCM_RATE / _FLAC_BLOCK))
    info = struct.pack(">HH", _FLAC_BLOCK, _FLAC_BLOCK) + bytes(6)  # block sizes; frame sizes unknown
    # 20 bits sample rate, 3 bits channels - 1, 5 bits bits per sample - 1, 36 bits total samples
    packed = (PCM_RATE << 44) | (0 << 41) | (15 << 36) | (blocks * _FLAC_BLOCK)
    info += packed.to_bytes(8, "big") + bytes(16)  # the MD5 of the samples: zero, "not computed"
    out = [b"fLaC", bytes([0x80]) + len(info).to_bytes(3, "big"), info]
    samples = bytes(2 * _FLAC_BLOCK)
    for number in range(blocks):
        # Fixed block size; block size code 12 (4096), sample rate code 7 (24 kHz); mono, 16 bits; frame number
        # in FLAC's UTF-8-like coding (one byte below 128, two below 2048).
        coded = bytes([number]) if number < 0x80 else bytes([0xC0 | number >> 6, 0x80 | number & 0x3F])
        header = b"\xff\xf8\xc7\x08" + coded
        header += bytes([_crc(header, _CRC8_TABLE, 8)])
        frame = header + b"\x02" + samples  # a VERBATIM subframe, no wasted bits
        out.append(frame + _crc(frame, _CRC16_TABLE, 16).to_bytes(2, "big"))
    return b"".join(out)
