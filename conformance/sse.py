"""Server-Sent Events, parsed by the WHATWG event-stream rules, with the framing faults a checker needs.

https://html.spec.whatwg.org/multipage/server-sent-events.html#event-stream-interpretation

A browser silently repairs or drops a badly framed stream; a conformance suite must not. So the parser
follows the spec's dispatch rules exactly (what a client would see) and, beside the events, records the
framing problems it had to paper over (`faults`): a stream cut inside an event, invalid UTF-8, a byte
order mark in the middle of the stream. Unknown fields are not faults: the spec tells clients to ignore them.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from conformance import jsonvalue

_LINE_END = re.compile(r"(\r\n|\r|\n)")
_BOM = "\ufeff"
_REPLACEMENT = "\ufffd"
_ENCODED_REPLACEMENT = _REPLACEMENT.encode()
# A broken stream can repeat the same fault on every line; a report needs the first few, not thousands.
MAX_FAULTS = 20


@dataclass(frozen=True)
class SseEvent:
    """One dispatched event, as a spec-following client would receive it."""

    data: str
    # None when the block had no `event:` line: a browser says "message", but a check must know it was absent.
    event: str | None = None
    id: str | None = None
    retry: int | None = None
    index: int = 0

    @property
    def is_done(self) -> bool:
        return self.data == "[DONE]"

    def json(self) -> Any:
        """The data parsed as JSON; raises ValueError when it is not JSON."""
        return jsonvalue.parse(self.data)


class SseParser:
    """Incremental: feed bytes in any split, get the events completed so far."""

    def __init__(self) -> None:
        self.faults: list[str] = []
        self.comments = 0
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self._at_start = True
        # The last CR ended a line at once; an LF opening the next read belongs to that same line end.
        self._skip_lf = False
        self._partial: list[str] = []
        self._bytes_in = 0
        self._bytes_since_blank = 0
        self._block_open = False
        self._data: list[str] = []
        self._event: str | None = None
        self._retry: int | None = None
        self._last_id: str | None = None
        self._count = 0

    def feed(self, chunk: bytes) -> list[SseEvent]:
        """Take the next bytes of the stream; returns the events they completed."""
        held = self._decoder.getstate()[0]
        text = self._decoder.decode(chunk)
        if _REPLACEMENT in text:
            self._check_replacements(text, held + chunk, self._bytes_in - len(held))
        self._bytes_in += len(chunk)
        if text and self._at_start:
            self._at_start = False
            if text[0] == _BOM:
                text = text[1:]
        if text and self._skip_lf:
            self._skip_lf = False
            if text[0] == "\n":
                text = text[1:]
        if "\n" not in text and "\r" not in text:
            # No line end: keep the piece and join once, so a long line fed in small reads stays linear.
            if text:
                self._partial.append(text)
            self._bytes_since_blank += len(chunk)
            return []
        if self._partial:
            self._partial.append(text)
            text = "".join(self._partial)
            self._partial = []
        events, tail = self._lines(text)
        if tail is None:
            self._bytes_since_blank += len(chunk)
        else:
            self._bytes_since_blank = len(tail.encode()) + len(self._decoder.getstate()[0])
        return events

    def close(self) -> list[SseEvent]:
        """End of stream. The spec discards an unterminated last block; it is recorded as a fault.

        Returns a list for symmetry with `feed`; it is always empty, since end of stream never dispatches.
        """
        held = self._decoder.getstate()[0]
        if self._decoder.decode(b"", final=True):
            self._fault(f"the stream ended inside a UTF-8 character (at byte {self._bytes_in - len(held)})")
            self._block_open = True
        if self._block_open or self._partial:
            after = self._bytes_since_blank
            self._fault(f"the stream ended inside an event ({after} bytes after the last blank line)")
        self._partial = []
        self._data = []
        self._block_open = False
        return []

    def _lines(self, text: str) -> tuple[list[SseEvent], str | None]:
        """Process the complete lines of `text` and keep the rest; returns the events and the text after
        the last blank line (None when there was none)."""
        # Line ends are kept (odd items) only when CR occurs: the exact tail then needs them.
        with_ends = "\r" in text
        if with_ends:
            parts = _LINE_END.split(text)
            lines = parts[0:-1:2]
            self._skip_lf = text[-1] == "\r"
        else:
            parts = text.split("\n")
            lines = parts[:-1]
        rest = parts[-1]
        if rest:
            self._partial.append(rest)
        events: list[SseEvent] = []
        last_blank = -1
        data = self._data
        for number, line in enumerate(lines):
            if not line:
                last_blank = number
                if data:
                    events.append(self._dispatch())
                    data = self._data
                self._event = None
                self._retry = None
                self._block_open = False
                continue
            first = line[0]
            if first == ":":
                self.comments += 1
                continue
            if first == _BOM:
                self._fault("a byte order mark (U+FEFF) starts a line after the start of the stream")
            self._block_open = True
            name, colon, value = line.partition(":")
            if colon and value[:1] == " ":
                value = value[1:]
            if name == "data":
                data.append(value)
            elif name == "event":
                self._event = value
            elif name == "id":
                if "\0" not in value:
                    self._last_id = value
            elif name == "retry" and value.isascii() and value.isdigit():
                self._retry = int(value)
        if last_blank < 0:
            return events, None
        if with_ends:
            return events, "".join(parts[2 * last_blank + 2 :])
        return events, "\n".join(parts[last_blank + 1 :])

    def _dispatch(self) -> SseEvent:
        event = SseEvent(
            data="\n".join(self._data),
            event=self._event,
            id=self._last_id,
            retry=self._retry,
            index=self._count,
        )
        self._count += 1
        self._data = []
        return event

    def _check_replacements(self, text: str, raw: bytes, offset: int) -> None:
        """Tell U+FFFD produced for invalid bytes from a U+FFFD that the stream really contained.

        `raw` is every byte this decode consumed (the decoder's held bytes, then the new read), starting at
        stream offset `offset`: a genuine EF BF BD split across reads is held whole until it completes.
        """
        invalid = text.count(_REPLACEMENT) - raw.count(_ENCODED_REPLACEMENT)
        if invalid <= 0:
            return
        try:
            raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            offset += exc.start
        more = f" and {invalid - 1} more invalid sequence(s) in the same read" if invalid > 1 else ""
        self._fault(f"invalid UTF-8 at byte {offset}{more}")

    def _fault(self, message: str) -> None:
        if len(self.faults) < MAX_FAULTS:
            self.faults.append(message)
        elif len(self.faults) == MAX_FAULTS:
            self.faults.append("further faults not recorded")


def parse_events(body: bytes | bytearray | memoryview | Iterable[bytes]) -> tuple[list[SseEvent], list[str]]:
    """Parse a whole stream (one bytes object or its reads in order); returns the events and the faults."""
    parser = SseParser()
    chunks: Iterable[bytes] = [bytes(body)] if isinstance(body, bytes | bytearray | memoryview) else body
    events: list[SseEvent] = []
    for chunk in chunks:
        events.extend(parser.feed(chunk))
    events.extend(parser.close())
    return events, parser.faults
