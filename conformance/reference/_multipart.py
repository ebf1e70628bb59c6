"""A small `multipart/form-data` reader for the reference server (RFC 7578), so it needs no python-multipart.

It reads a whole body already in memory (the reference server's uploads are tiny): each part's field name, the
filename when the part is a file, its content type and its bytes, unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass
from email.message import Message

from ._errors import invalid


@dataclass(frozen=True)
class Part:
    name: str
    data: bytes
    filename: str | None = None
    content_type: str | None = None

    def text(self) -> str:
        return self.data.decode("utf-8", errors="replace")


def _params(value: str, header: str) -> Message:
    message = Message()
    message[header] = value
    return message


def parse(content_type: str, body: bytes) -> dict[str, Part]:
    """The fields of a multipart body by name (the first of a repeated name wins); 400 when it is not one."""
    fields: dict[str, Part] = {}
    for part in parts(content_type, body):
        fields.setdefault(part.name, part)
    return fields


def parts(content_type: str, body: bytes) -> list[Part]:
    """Every part of a multipart body in order, a repeated name included (several images); 400 when it is not one."""
    header = _params(content_type, "content-type")
    boundary = header.get_param("boundary")
    if header.get_content_type() != "multipart/form-data" or not isinstance(boundary, str) or not boundary:
        raise invalid(
            "This endpoint expects a multipart/form-data body (Content-Type: multipart/form-data; boundary=...).",
        )
    delimiter = b"\r\n--" + boundary.encode("latin-1")
    chunks = (b"\r\n" + body).split(delimiter)
    if len(chunks) < 2:
        raise invalid("The multipart body has no parts for its boundary.")
    found: list[Part] = []
    for chunk in chunks[1:]:
        if chunk.startswith(b"--"):
            break
        head, sep, data = chunk.partition(b"\r\n\r\n")
        if not sep:
            raise invalid("A part of the multipart body has no blank line after its headers.")
        headers: dict[str, str] = {}
        for line in head.split(b"\r\n"):
            key, colon, value = line.decode("utf-8", errors="replace").partition(":")
            if colon:
                headers[key.strip().lower()] = value.strip()
        disposition = _params(headers.get("content-disposition", ""), "content-disposition")
        name = disposition.get_param("name", header="content-disposition")
        if not isinstance(name, str):
            raise invalid("A part of the multipart body has no name in its Content-Disposition.")
        filename = disposition.get_filename()
        found.append(Part(name, data, filename, headers.get("content-type")))
    return found
