"""The socket's queues (console.live.mailbox): order, bound, a reader that waits, and one that
is cancelled while waiting losing nothing."""

import asyncio

import pytest

from console.live.mailbox import Mailbox


async def test_items_come_out_in_order_and_the_bound_holds():
    box = Mailbox(2)
    assert box.empty() and not box.full() and box.qsize() == 0
    box.put_nowait("a")
    box.put_nowait("b")
    assert box.full() and box.qsize() == 2
    with pytest.raises(asyncio.QueueFull):
        box.put_nowait("c")
    assert [await box.get(), box.get_nowait()] == ["a", "b"]
    assert box.empty()
    with pytest.raises(asyncio.QueueEmpty):
        box.get_nowait()


async def test_a_reader_waits_for_the_next_item():
    box = Mailbox()
    reader = asyncio.create_task(box.get())
    await asyncio.sleep(0)
    assert not reader.done()
    box.put_nowait("frame")
    assert await asyncio.wait_for(reader, 5) == "frame"


async def test_a_cancelled_reader_loses_nothing():
    box = Mailbox()
    reader = asyncio.create_task(box.get())
    await asyncio.sleep(0)
    reader.cancel()
    with pytest.raises(asyncio.CancelledError):
        await reader
    box.put_nowait("later")  # no reader waits: kept for the next one
    assert await asyncio.wait_for(box.get(), 5) == "later"
