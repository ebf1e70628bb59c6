from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conformance.sse import MAX_FAULTS, SseEvent, SseParser, parse_events


def events_of(body: bytes | bytearray | list[bytes]) -> list[SseEvent]:
    events, faults = parse_events(body)
    assert faults == []
    return events


# --- fields ---------------------------------------------------------------------------------------------


def test_data_lines_are_joined_with_newline_and_the_last_newline_is_dropped() -> None:
    assert events_of(b"data: a\ndata: b\n\n") == [SseEvent(data="a\nb")]


def test_one_space_after_the_colon_is_removed_and_only_one() -> None:
    assert [e.data for e in events_of(b"data:a\n\ndata: a\n\ndata:  a\n\n")] == ["a", "a", " a"]


def test_empty_data_line_dispatches_an_event_with_empty_data() -> None:
    assert events_of(b"data\n\ndata:\n\n") == [SseEvent(data="", index=0), SseEvent(data="", index=1)]


def test_two_empty_data_lines_give_one_newline() -> None:
    assert events_of(b"data\ndata\n\n")[0].data == "\n"


def test_colons_after_the_first_belong_to_the_value() -> None:
    assert events_of(b'data: {"a": "b:c"}\n\n')[0].json() == {"a": "b:c"}


def test_event_type_is_none_when_absent_and_reset_after_each_block() -> None:
    events = events_of(b"event: delta\ndata: 1\n\ndata: 2\n\nevent:\ndata: 3\n\n")
    assert [e.event for e in events] == ["delta", None, ""]


def test_event_type_is_reset_by_a_blank_line_even_when_nothing_is_dispatched() -> None:
    events = events_of(b"event: lost\n\ndata: x\n\n")
    assert events == [SseEvent(data="x", event=None)]


def test_id_persists_across_events_until_changed_and_ignores_values_with_nul() -> None:
    events = events_of(b"id: 1\ndata: a\n\ndata: b\n\nid: 2\x00\ndata: c\n\nid\ndata: d\n\n")
    assert [e.id for e in events] == ["1", "1", "1", ""]


def test_id_is_none_when_never_set() -> None:
    assert events_of(b"data: a\n\n")[0].id is None


def test_id_set_in_a_block_without_data_still_applies_to_later_events() -> None:
    assert events_of(b"id: 7\n\ndata: a\n\n")[0].id == "7"


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        (b"retry: 1500", 1500),
        (b"retry: 15x", None),
        (b"retry: -1", None),
        (b"retry:", None),
        ("retry: 1²".encode(), None),
        (b"retry: 1 ", None),
    ],
)
def test_retry_is_set_only_by_ascii_digits(line: bytes, expected: int | None) -> None:
    assert events_of(line + b"\ndata: a\n\n")[0].retry == expected


def test_retry_belongs_to_its_own_block() -> None:
    assert [e.retry for e in events_of(b"retry: 10\ndata: a\n\ndata: b\n\n")] == [10, None]


def test_unknown_fields_are_ignored_and_are_not_faults() -> None:
    assert events_of(b"foo: bar\ndata: a\nDATA: b\n\n") == [SseEvent(data="a")]


def test_comments_are_counted_and_do_not_dispatch() -> None:
    parser = SseParser()
    assert parser.feed(b": keep-alive\n\n:\n\ndata: a\n: inside\n\n") == [SseEvent(data="a")]
    assert parser.comments == 3
    assert parser.close() == []
    assert parser.faults == []


def test_index_counts_dispatched_events_only() -> None:
    assert [e.index for e in events_of(b"data: a\n\n: c\n\n\n\ndata: b\n\n")] == [0, 1]


def test_done_and_json() -> None:
    done, chunk = events_of(b'data: [DONE]\n\ndata: {"x": 1}\n\n')
    assert done.is_done and not chunk.is_done
    assert chunk.json() == {"x": 1}
    with pytest.raises(ValueError):
        done.json()


# --- line ends ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("end", [b"\n", b"\r", b"\r\n"])
def test_each_line_end(end: bytes) -> None:
    body = b"event: e" + end + b"data: a" + end + b"data: b" + end + end
    assert events_of(body) == [SseEvent(data="a\nb", event="e")]


def test_mixed_line_ends() -> None:
    assert events_of(b"data: a\rdata: b\r\ndata: c\n\r\n") == [SseEvent(data="a\nb\nc")]


def test_cr_and_lf_split_across_reads_are_one_line_end() -> None:
    # Were the LF a second line end, the blank line would dispatch "a" alone and "b" would be a new event.
    assert events_of([b"data: a\r", b"\ndata: b\r", b"\n\r", b"\n"]) == [SseEvent(data="a\nb")]


def test_cr_at_the_end_of_a_read_dispatches_without_waiting_for_the_next_read() -> None:
    parser = SseParser()
    assert parser.feed(b"data: a\r\r") == [SseEvent(data="a")]
    assert parser.feed(b"\ndata: b\n\n") == [SseEvent(data="b", index=1)]


def test_lf_cr_is_two_line_ends() -> None:
    assert events_of(b"data: a\n\r") == [SseEvent(data="a")]


def test_events_come_out_as_soon_as_their_blank_line_arrives() -> None:
    parser = SseParser()
    assert parser.feed(b"data: a\n") == []
    assert parser.feed(b"\ndata: b") == [SseEvent(data="a")]
    assert parser.feed(b"\n\n") == [SseEvent(data="b", index=1)]


def test_long_line_over_many_reads() -> None:
    body = b"data: " + b"x" * 10_000 + b"\n\n"
    assert events_of([body[i : i + 7] for i in range(0, len(body), 7)])[0].data == "x" * 10_000


# --- byte order mark and encoding -----------------------------------------------------------------------


def test_leading_bom_is_stripped_once() -> None:
    assert events_of(b"\xef\xbb\xbfdata: a\n\n") == [SseEvent(data="a")]


def test_leading_bom_split_across_reads_is_stripped() -> None:
    assert events_of([b"\xef", b"\xbb", b"\xbfdata: a\n\n"]) == [SseEvent(data="a")]


def test_second_bom_is_a_fault_and_hides_the_field() -> None:
    events, faults = parse_events(b"\xef\xbb\xbf\xef\xbb\xbfdata: a\n\ndata: b\n\n")
    assert events == [SseEvent(data="b")]
    assert faults == ["a byte order mark (U+FEFF) starts a line after the start of the stream"]


def test_bom_inside_a_value_is_content_not_a_fault() -> None:
    assert events_of("data: \ufeffa\n\n".encode())[0].data == "\ufeffa"


def test_multibyte_character_split_across_reads() -> None:
    body = "data: ü€😀\n\n".encode()
    for cut in range(len(body) + 1):
        assert events_of([body[:cut], body[cut:]])[0].data == "ü€😀"


def test_invalid_utf8_is_replaced_and_is_a_fault_with_its_offset() -> None:
    events, faults = parse_events([b"data: ok\n\n", b"data: a\xffb\n\n"])
    assert [e.data for e in events] == ["ok", "a\ufffdb"]
    assert faults == ["invalid UTF-8 at byte 17"]


def test_truncated_character_before_ascii_is_a_fault_at_its_first_byte() -> None:
    events, faults = parse_events([b"data: \xe2\x82", b"x\n\n"])
    assert events[0].data == "\ufffdx"
    assert faults == ["invalid UTF-8 at byte 6"]


def test_several_invalid_sequences_in_one_read_are_one_fault() -> None:
    _, faults = parse_events(b"data: \xff\xff\xff\n\n")
    assert faults == ["invalid UTF-8 at byte 6 and 2 more invalid sequence(s) in the same read"]


def test_a_genuine_replacement_character_is_not_a_fault() -> None:
    body = "data: \ufffd\n\n".encode()
    assert events_of([body[:7], body[7:]])[0].data == "\ufffd"


def test_faults_are_capped() -> None:
    _, faults = parse_events([b"data: \xff\n\n"] * (MAX_FAULTS + 5))
    assert len(faults) == MAX_FAULTS + 1
    assert faults[-1] == "further faults not recorded"


# --- end of stream --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "after"),
    [
        (b"data: a\n\ndata: b\n", 8),
        (b"data: a\n\ndata: b", 7),
        (b"data: a", 7),
        (b"data: a\r\n\r\nid: 1\r\n", 7),
    ],
)
def test_unterminated_last_event_is_discarded_and_is_a_fault(body: bytes, after: int) -> None:
    events, faults = parse_events(body)
    assert [e.data for e in events] == ["a"] * (len(events))
    assert faults == [f"the stream ended inside an event ({after} bytes after the last blank line)"]


def test_unterminated_event_fed_in_pieces_counts_every_byte() -> None:
    _, faults = parse_events([b"data: a\n\nda", b"ta: b", b"\n"])
    assert faults == ["the stream ended inside an event (8 bytes after the last blank line)"]


def test_stream_cut_inside_a_character() -> None:
    _, faults = parse_events(b"data: a\n\ndata: \xe2\x82")
    assert faults == [
        "the stream ended inside a UTF-8 character (at byte 15)",
        "the stream ended inside an event (8 bytes after the last blank line)",
    ]


def test_trailing_comment_after_the_last_event_is_not_a_fault() -> None:
    assert events_of(b"data: a\n\n: bye\n") == [SseEvent(data="a")]


def test_a_bytearray_body_is_one_read_not_a_list_of_ints() -> None:
    assert events_of(bytearray(b"data: a\n\n")) == [SseEvent(data="a")]


def test_empty_stream() -> None:
    assert parse_events(b"") == ([], [])
    assert parse_events([]) == ([], [])


# --- properties -----------------------------------------------------------------------------------------

# Values cannot hold a line end (it would end the line); data may hold "\n": it is sent as several data lines.
line_text = st.text(st.characters(codec="utf-8", exclude_characters="\r\n"), max_size=12)
data_text = st.text(st.characters(codec="utf-8", exclude_characters="\r"), max_size=20)
line_ends = st.sampled_from(["\n", "\r", "\r\n"])


@st.composite
def streams(draw: st.DrawFn) -> tuple[bytes, list[SseEvent]]:
    """A serialized stream and the events a conforming parser must get from it."""
    lines: list[str] = []
    expected: list[SseEvent] = []
    last_id: str | None = None
    for index in range(draw(st.integers(0, 6))):
        if draw(st.booleans()):
            lines.append(":" + draw(line_text))
        event = draw(st.none() | line_text)
        if event is not None:
            lines.append("event:" + (" " if draw(st.booleans()) or event[:1] == " " else "") + event)
        new_id = draw(st.none() | line_text.filter(lambda v: "\0" not in v))
        if new_id is not None:
            lines.append("id: " + new_id)
            last_id = new_id
        retry = draw(st.none() | st.integers(0, 10**6))
        if retry is not None:
            lines.append(f"retry: {retry}")
        data = draw(data_text)
        lines.extend("data: " + part for part in data.split("\n"))
        lines.append("")
        expected.append(SseEvent(data=data, event=event, id=last_id, retry=retry, index=index))
    text = "\ufeff" if draw(st.booleans()) else ""
    previous = ""
    for line in lines:
        end = draw(line_ends)
        if line == "" and previous == "\r" and end == "\n":
            end = "\r\n"  # CR then LF would be one line end, swallowing this blank line
        text += line + end
        previous = end
    return text.encode(), expected


def cut(body: bytes, points: list[int]) -> list[bytes]:
    points = sorted({p % (len(body) + 1) for p in points})
    return [body[a:b] for a, b in zip([0, *points], [*points, len(body)], strict=True)]


@settings(max_examples=200, deadline=None)
@given(streams(), st.lists(st.integers(0, 10_000), max_size=12))
def test_any_cut_of_a_stream_gives_the_same_events(
    stream: tuple[bytes, list[SseEvent]], points: list[int]
) -> None:
    body, expected = stream
    assert parse_events(body) == (expected, [])
    assert parse_events(cut(body, points)) == (expected, [])


@settings(max_examples=200, deadline=None)
@given(st.text(st.characters(codec="utf-8", min_codepoint=0x80), min_size=1, max_size=8), st.data())
def test_a_multibyte_character_split_anywhere_decodes(text: str, data: st.DataObject) -> None:
    body = f"data: {text}\n\n".encode()
    points = data.draw(st.lists(st.integers(1, len(body) - 1), max_size=len(body)))
    assert parse_events(cut(body, points)) == ([SseEvent(data=text)], [])


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=80), st.lists(st.integers(0, 100), max_size=10))
def test_arbitrary_bytes_never_crash_and_events_do_not_depend_on_the_cuts(
    body: bytes, points: list[int]
) -> None:
    whole, whole_faults = parse_events(body)
    pieces, piece_faults = parse_events(cut(body, points))
    assert pieces == whole
    assert bool(piece_faults) == bool(whole_faults)
