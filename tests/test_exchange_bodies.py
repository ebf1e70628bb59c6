"""What a report keeps of a body: text as it is (a broken byte in JSON is evidence), media named by its size."""

from __future__ import annotations

from conformance.exchange import Exchange
from conformance.tone import tone_wav

BOUNDARY = "oai-boundary"


def upload(audio: bytes) -> bytes:
    return (
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="model"\r\n\r\nwhisper-1\r\n'
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="tone.wav"\r\n'
        "Content-Type: audio/wav\r\n\r\n"
    ).encode() + audio + f"\r\n--{BOUNDARY}--\r\n".encode()


def logged(request_body: bytes, request_type: str, response_body: bytes, response_type: str) -> dict:
    exchange = Exchange.build(
        method="POST",
        url="http://127.0.0.1:1/v1/audio/speech",
        request_headers={"content-type": request_type},
        request_body=request_body,
        status=200,
        response_headers={"content-type": response_type},
        response_body=response_body,
    )
    return exchange.to_json()


def test_an_uploaded_file_and_an_audio_answer_are_named_by_their_size() -> None:
    audio = tone_wav(seconds=1.0)
    record = logged(upload(audio), f"multipart/form-data; boundary={BOUNDARY}", audio, "audio/wav")
    sent = record["request"]["body"]
    assert 'name="model"\r\n\r\nwhisper-1\r\n' in sent  # the text fields stay
    assert f"Content-Type: audio/wav\r\n\r\n[{len(audio):,} bytes, not text]\r\n--{BOUNDARY}--" in sent
    assert record["response"]["body"] == f"[{len(audio):,} bytes of audio/wav, not text]"
    assert len(sent) < 400


def test_text_stays_text_even_with_a_broken_byte() -> None:
    broken = b'{"object": "list", "data": ["\xff"]}'
    record = logged(b'{"input": "hi"}', "application/json", broken, "application/json; charset=utf-8")
    assert record["request"]["body"] == '{"input": "hi"}'
    assert record["response"]["body"] == '{"object": "list", "data": ["\ufffd"]}'
    stream = b"data: {\"x\": 1}\n\n"
    assert logged(b"", "", stream, "text/event-stream")["response"]["body"] == stream.decode()
