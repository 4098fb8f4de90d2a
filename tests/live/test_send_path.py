"""Frames framed once per audience and written straight to sockets that can take them, and
never past frames a socket's writer still holds."""

import asyncio

from websockets.frames import Frame
from websockets.streams import StreamReader

from console.live.hub import Subscriber
from console.live.protocol import text_frame


def test_a_frame_is_framed_once_as_a_complete_server_text_frame():
    for text in ("短い", "x" * 300, "あ" * 30_000):
        reader = StreamReader()
        reader.feed_data(text_frame(text))
        parser = Frame.parse(reader.read_exact, mask=False)
        try:
            next(parser)
        except StopIteration as done:
            frame = done.value
        assert frame.fin and frame.data.decode() == text


def test_a_subscriber_is_written_directly_only_when_nothing_waits_before_the_frame():
    written: list[bytes] = []
    accepting = [True]

    def direct(framed: bytes) -> bool:
        if accepting[0]:
            written.append(framed)
        return accepting[0]

    sub = Subscriber(role="manager", queue=asyncio.Queue(8))
    sub.push(1, "one", b"1")  # no direct writer yet (still catching up): queued
    sub.direct = direct
    sub.push(2, "two", b"2")  # the queue holds 1: behind it
    assert written == [] and sub.queue.qsize() == 2
    sub.queue.get_nowait(), sub.queue.get_nowait()
    sub.busy = True  # the writer holds them, not yet sent
    sub.push(3, "three", b"3")
    assert written == [] and sub.queue.qsize() == 1
    sub.queue.get_nowait()
    sub.busy, sub.sent_seq = False, 3
    sub.push(4, "four", b"4")
    assert written == [b"4"] and sub.sent_seq == 4 and sub.queue.empty()
    sub.push(4, "four", b"4")  # already sent: neither written nor queued again
    assert written == [b"4"] and sub.queue.empty()
    accepting[0] = False  # e.g. the transport is paused: the writer sends it, with a deadline
    sub.push(5, "five", b"5")
    assert sub.queue.get_nowait() == (5, "five") and sub.sent_seq == 4
