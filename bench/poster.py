"""Staff commands as a load generator sends them: raw HTTP/1.1 form posts over kept-alive
connections on asyncio streams.

The benchmark first sent commands with httpx. Its own work per request (building the request
through its transport layers, parsing the answer, anyio) took 2-3 ms of the benchmark's CPU on
the two cores the server also runs on, and was counted as the server's latency; a browser's
fetch costs a fraction of that. This client writes the request's bytes and reads the status
line, headers and body, nothing else. A connection is reused only while it has been idle for
less than a second (uvicorn closes idle ones after 5 s), so no request meets a closing socket.
"""

import asyncio
import time
from urllib.parse import urlencode, urlsplit

IDLE_REUSE_SECONDS = 1.0


class Poster:
    def __init__(self, base_url: str, headers: dict[str, str] | None = None) -> None:
        url = urlsplit(base_url)
        self.host, self.port = url.hostname, url.port
        self.head = "".join(f"{k}: {v}\r\n" for k, v in (headers or {}).items())
        self.idle: list[tuple[float, asyncio.StreamReader, asyncio.StreamWriter]] = []

    async def _connection(self):
        while self.idle:
            at, reader, writer = self.idle.pop()
            if time.monotonic() - at < IDLE_REUSE_SECONDS and not reader.at_eof():
                return reader, writer
            writer.close()
        return await asyncio.open_connection(self.host, self.port)

    async def post(self, path: str, form: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
        """(status, headers with lower-case names, body) of one form post."""
        body = urlencode(form).encode()
        return await self.send(path, body, {"Content-Type": "application/x-www-form-urlencoded"})

    async def send(
        self, path: str, body: bytes, headers: dict[str, str]
    ) -> tuple[int, dict[str, str], bytes]:
        """POST `body` with `headers` (besides the poster's own)."""
        extra = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
        request = (
            f"POST {path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n{self.head}{extra}"
            f"Content-Length: {len(body)}\r\n\r\n"
        ).encode() + body
        reader, writer = await self._connection()
        writer.write(request)
        status_line, *lines = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1").split("\r\n")
        answer_headers = {}
        for line in lines:
            if line:
                name, _, value = line.partition(":")
                answer_headers[name.strip().lower()] = value.strip()
        answer = await reader.readexactly(int(answer_headers.get("content-length", "0")))
        if answer_headers.get("connection", "").lower() == "close":
            writer.close()
        else:
            self.idle.append((time.monotonic(), reader, writer))
        return int(status_line.split(" ", 2)[1]), answer_headers, answer

    async def close(self) -> None:
        for _, _, writer in self.idle:
            writer.close()
        self.idle.clear()
