"""A websocket client speaking the console's live protocol, for tests and benchmarks."""

import asyncio
import contextlib
import json
import re

import websockets

EVENT = re.compile(r'id="ev-(\d+)"')
SEQ = re.compile(r'id="live-seq" data-seq="(\d+)"')


def page_seq(html: str) -> int:
    return int(SEQ.search(html).group(1))


class LiveClient:
    def __init__(self, ws_url: str, meetup_id: int, headers: dict) -> None:
        self.url = f"{ws_url}/live/{meetup_id}"
        self.headers = headers
        self.frames: list[str] = []
        self.ws = None

    async def connect(self, resume: int) -> "LiveClient":
        self.ws = await websockets.connect(self.url, additional_headers=self.headers)
        await self.ws.send(json.dumps({"resume": resume}))
        return self

    async def close(self) -> None:
        await self.ws.close()

    @property
    def event_seqs(self) -> list[int]:
        return [int(n) for frame in self.frames for n in EVENT.findall(frame)]

    @property
    def last_seq(self) -> int:
        seqs = [int(m) for frame in self.frames for m in SEQ.findall(frame)]
        return seqs[-1] if seqs else 0

    async def until(self, predicate, timeout: float = 10) -> str:
        """Receive frames until one satisfies `predicate`; return it."""

        async def loop():
            while True:
                frame = await self.ws.recv()
                self.frames.append(frame)
                if predicate(frame):
                    return frame

        return await asyncio.wait_for(loop(), timeout)

    async def until_seq(self, seq: int, timeout: float = 10) -> None:
        if self.last_seq >= seq:
            return
        await self.until(lambda f: any(int(m) >= seq for m in SEQ.findall(f)), timeout)

    async def quiet(self, seconds: float = 0.5) -> None:
        """Collect whatever arrives in the next `seconds`."""
        with contextlib.suppress(TimeoutError):
            await self.until(lambda f: False, timeout=seconds)
