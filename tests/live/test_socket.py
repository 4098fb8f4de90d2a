"""The live socket against clients that do not speak the protocol: odd first messages,
oversized frames, floods of messages, and a client that stops reading."""

import asyncio
import json
import socket
from pathlib import Path

import pytest
import websockets
from websockets.client import ClientProtocol
from websockets.http11 import Response
from websockets.uri import parse_uri

from tests.conftest import Server, Staff, make_server, seed, wait_for
from tests.live_client import EVENT, LiveClient, page_seq


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


def stalled_client(srv: Server, meetup_id: int, staff: Staff, resume: int) -> socket.socket:
    """A websocket client that sends its resume and then never reads again: a raw TCP socket
    (small segments, a small receive buffer, so the server's buffers are small too) whose
    handshake and one message are made by websockets' sans-I/O client."""
    sock = socket.socket()
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_MAXSEG, 536)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.connect(("127.0.0.1", srv.port))
    client = ClientProtocol(parse_uri(f"{srv.ws_url}/live/{meetup_id}"))
    request = client.connect()
    for name, value in staff.ws_headers().items():
        request.headers[name] = value
    client.send_request(request)
    sock.sendall(b"".join(client.data_to_send()))
    while not any(isinstance(e, Response) for e in client.events_received()):
        data = sock.recv(4096)
        assert data, "the server closed the connection during the handshake"
        client.receive_data(data)
    assert client.handshake_exc is None, client.handshake_exc
    client.send_text(json.dumps({"resume": resume}).encode())
    sock.sendall(b"".join(client.data_to_send()))
    return sock


def tcp_state(sock: socket.socket) -> int:
    """The kernel's state of the connection (struct tcp_info's first byte)."""
    return sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 1)[0]


TCP_ESTABLISHED = 1


def test_a_client_that_stops_reading_is_disconnected_by_the_server(tmp_path):
    url = f"sqlite:///{tmp_path / 'stalled.db'}"
    _engine, meetup = seed(url)
    _engine.dispose()
    srv = make_server(url, tmp_path, LIVE_SEND_TIMEOUT_SECONDS="1", LIVE_QUEUE_SIZE="4").start()
    try:
        manager = Staff(srv, "manager")
        seq = page_seq(manager.http.get(f"/meetups/{meetup.id}").text)
        sock = stalled_client(srv, meetup.id, manager, seq)
        try:
            # Far more than the server's socket and transport buffers hold for this client.
            for i in range(60):
                note = manager.command(meetup.id, "note", text=f"{i}" + "長い連絡" * 450)
                assert note.status_code == 200
            wait_for(lambda: tcp_state(sock) != TCP_ESTABLISHED, timeout=30)
        finally:
            sock.close()
        assert manager.command(meetup.id, "note", text="その後").status_code == 200
        log = server_log(srv)
        assert "Traceback" not in log and "Exception in ASGI application" not in log
    finally:
        srv.stop()


async def test_a_message_over_64_kib_closes_the_socket_with_1009(own_server):
    srv, meetup_id = own_server
    manager = Staff(srv, "manager")
    seq = page_seq(manager.http.get(f"/meetups/{meetup_id}").text)
    client = await LiveClient(srv.ws_url, meetup_id, manager.ws_headers()).connect(seq)
    await client.ws.send("x" * 100 * 1024)
    with pytest.raises(websockets.ConnectionClosed) as closed:
        await client.until(lambda f: False, timeout=10)
    assert closed.value.rcvd.code == 1009


async def test_a_flood_of_messages_closes_the_socket_with_1008(own_server):
    """The protocol needs one resume per connection; a client sending on and on is cut off."""
    srv, meetup_id = own_server
    manager = Staff(srv, "manager")
    seq = page_seq(manager.http.get(f"/meetups/{meetup_id}").text)
    client = await LiveClient(srv.ws_url, meetup_id, manager.ws_headers()).connect(seq)
    with pytest.raises(websockets.ConnectionClosed) as closed:
        for _ in range(1000):
            await client.ws.send(json.dumps({"resume": seq}))
        await client.until(lambda f: False, timeout=10)
    assert closed.value.rcvd.code == 1008
