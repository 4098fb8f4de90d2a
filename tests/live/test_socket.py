"""The live socket against clients that do not speak the protocol: odd first messages,
oversized frames, floods of messages, and a client that stops reading."""

import asyncio
from pathlib import Path

import pytest
import websockets

from tests.conftest import Server, Staff, make_server, seed
from tests.live_client import EVENT, page_seq


@pytest.fixture(scope="module")
def own_server(tmp_path_factory):
    """A server of this module's own, so its log holds only what these tests caused."""
    tmp = tmp_path_factory.mktemp("socket")
    url = f"sqlite:///{tmp / 'socket.db'}"
    _engine, meetup = seed(url)
    _engine.dispose()
    srv = make_server(url, tmp).start()
    yield srv, meetup.id
    srv.stop()


def server_log(srv: Server) -> str:
    return (Path(srv.env["LOG_DIR"]) / f"server-{srv.port}.log").read_text(errors="replace")


async def events_until(ws, seq: int, timeout: float = 10) -> list[int]:
    """Receive until the frame of event `seq` arrives; the seqs of every event frame seen."""
    seen: list[int] = []

    async def loop():
        while seq not in seen:
            seen.extend(int(n) for n in EVENT.findall(await ws.recv()))

    await asyncio.wait_for(loop(), timeout)
    return seen


@pytest.mark.parametrize(
    ("after", "first", "replayed"),
    [
        ("{seq}", b"\x00\x01binary", False),
        ("{seq}", '{"resume": true}', False),
        ("%C2%B2", "not json", True),  # "²" is no ASCII digit: replay from the start
    ],
    ids=["binary-first-message", "boolean-resume", "superscript-after"],
)
async def test_a_first_message_that_is_no_resume_falls_back_to_the_pages_seq(
    own_server, after, first, replayed
):
    srv, meetup_id = own_server
    logged = len(server_log(srv))
    manager = Staff(srv, "manager")
    seq = page_seq(manager.http.get(f"/meetups/{meetup_id}").text)
    url = f"{srv.ws_url}/live/{meetup_id}?after={after.format(seq=seq)}"
    async with websockets.connect(url, additional_headers=manager.ws_headers()) as ws:
        await ws.send(first)
        response = manager.command(meetup_id, "note", text="最初の伝言のあとに")
        assert response.status_code == 200
        new = int(response.headers["x-event-seq"])
        seen = await events_until(ws, new)
    assert seen == (list(range(1, new + 1)) if replayed else [new])
    log = server_log(srv)[logged:]
    assert "Traceback" not in log and "Exception in ASGI application" not in log
