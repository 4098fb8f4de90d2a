"""The hub: live state per meetup, and fan-out of committed events to websockets.

Events reach `deliver` only after they are committed (from a command in this process, or
from the bus when another process committed them). `deliver` folds them into the live
state in seq order, filling any gap from the database, renders one frame per role (through
the board the domains registered), frames it once, and writes it to every subscriber's socket
that can take it at once, or else puts it on that subscriber's bounded queue. A subscriber that falls behind is dropped
with close code 1013 and resumes from its last seq when the browser reconnects.
"""

import asyncio
import logging
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial

import anyio
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from console import settings
from console.core.errors import Refused
from console.live import eventlog
from console.live.events import Recorded
from console.live.fold import apply
from console.live.mailbox import Mailbox
from console.live.models import Meetup
from console.live.protocol import text_frame
from console.live.registry import State, current
from console.security import auth

log = logging.getLogger(__name__)

CLOSE = object()  # queued to tell a subscriber's writer to close its socket
HEARTBEAT = object()  # queued to every subscriber whose login stands, now and then: "alive"
# How long live frames may reuse names before they are read again (in the background): a page
# load reads them at once, and so does an event that names someone new or changes a marker.
# Reading them takes a worker thread several milliseconds of Python holding the GIL, a stall
# for a command that arrives meanwhile, so not often.
DIRECTORY_SECONDS = 30.0
# Frames kept for resuming sockets: every role's replay of a full LIVE_REPLAY_LIMIT, twice over.
RENDERED_LIMIT = 2 * 5 * (settings.LIVE_REPLAY_LIMIT + 2)


@dataclass(eq=False)
class Subscriber:
    role: str
    queue: Mailbox
    login: str = ""  # the login's token hash, to close its sockets at logout
    sent_seq: int = 0
    overflowed: bool = False
    # Writes a frame framed once for the audience straight to the socket, when it can take it
    # now (see console.live.protocol); None until the socket has caught up, and without it.
    direct: Callable[[bytes], bool] | None = None
    busy: bool = False  # the writer task holds frames it has not sent yet

    def push(self, seq: int, frame: str, framed: bytes | None = None) -> None:
        """Send the frame now if nothing is waiting before it, else queue it for the writer."""
        if self.overflowed or seq <= self.sent_seq:
            return  # closing, or already sent (replayed on resume)
        if (
            framed is not None
            and self.direct is not None
            and not self.busy
            and self.queue.empty()
            and self.direct(framed)
        ):
            self.sent_seq = seq
            return
        try:
            self.queue.put_nowait((seq, frame))
        except asyncio.QueueFull:
            self.close()

    def tick(self) -> None:
        """Queue a heartbeat unless the socket is closing or already has plenty to do."""
        if not self.overflowed and not self.queue.full():
            self.queue.put_nowait((HEARTBEAT, None))

    def close(self, code: int = 1013) -> None:
        """Drop what is queued and tell the writer to close with `code`. 1012 and 1013 make
        the browser's ws extension reconnect, and it resumes from its last seq."""
        self.overflowed = True
        while not self.queue.empty():
            self.queue.get_nowait()
        self.queue.put_nowait((CLOSE, code))


@dataclass(eq=False)
class LiveMeetup:
    meetup: Meetup
    state: State
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    subscribers: set[Subscriber] = field(default_factory=set)
    # Commands waiting for the meetup's writer (console.live.commands.write), and that writer.
    waiting: list = field(default_factory=list)
    writing: asyncio.Task | None = None


class Hub:
    def __init__(self, engine: Engine, *, queue_size: int) -> None:
        self.engine = engine
        self.queue_size = queue_size
        self._meetups: dict[int, LiveMeetup] = {}
        self._loading = asyncio.Lock()
        self.board = current().board
        self._directories: dict[int, tuple[float, object]] = {}  # (read began, directory)
        self._renaming: dict[int, asyncio.Task] = {}  # background reads of names
        # Frames for resuming sockets, rendered once per role and seq: (kind, meetup, role, seq).
        self._rendered: OrderedDict[tuple[str, int, str, int], str] = OrderedDict()
        self._resuming: dict[int, asyncio.Lock] = {}

    async def live(self, meetup_id: int) -> LiveMeetup:
        """The meetup's live state, folded from the log on first use. Refused if unknown."""
        live = self._meetups.get(meetup_id)
        if live is not None:
            return live
        async with self._loading:
            if meetup_id not in self._meetups:
                meetup, state = await anyio.to_thread.run_sync(self._load, meetup_id)
                self._meetups[meetup_id] = LiveMeetup(meetup=meetup, state=state)
                # A bus notification that arrived while loading found no meetup to catch up.
                await self.catch_up(meetup_id)
        return self._meetups[meetup_id]

    def _load(self, meetup_id: int) -> tuple[Meetup, State]:
        with Session(self.engine) as db:
            meetup = db.get(Meetup, meetup_id)
        if meetup is None:
            raise Refused("開催回が見つかりません。", status=404)
        return meetup, eventlog.replay(self.engine, meetup_id)

    def directory(self, meetup_id: int):
        """Names for rendering; templates show participants' only to roles allowed them."""
        with Session(self.engine) as db:
            return self.board.directory(db, meetup_id)

    async def names(self, meetup_id: int, events: list[Recorded] = (), *, fresh: bool = False):
        """The directory for rendering live frames, reused instead of read for every event and
        every socket. Read now when `fresh` or when `events` mention someone it does not know
        or change what is shown beside names; once older than DIRECTORY_SECONDS it is still
        used while a fresh copy is read in the background, so no command waits for it."""
        cached = self._directories.get(meetup_id)
        if (
            fresh
            or cached is None
            or any(self.board.changes_names(event, cached[1]) for event in events)
        ):
            return await self._read_names(meetup_id)
        if time.monotonic() - cached[0] >= DIRECTORY_SECONDS and meetup_id not in self._renaming:
            self._renaming[meetup_id] = asyncio.create_task(self._refresh_names(meetup_id))
        return cached[1]

    async def _read_names(self, meetup_id: int):
        """Read the directory; kept unless a read that began later was kept meanwhile."""
        began = time.monotonic()
        directory = await anyio.to_thread.run_sync(self.directory, meetup_id)
        cached = self._directories.get(meetup_id)
        if cached is None or cached[0] <= began:
            self._directories[meetup_id] = (began, directory)
        return directory

    async def _refresh_names(self, meetup_id: int) -> None:
        try:
            await self._read_names(meetup_id)
        except Exception:
            log.exception("reading names failed for meetup %s", meetup_id)
        finally:
            self._renaming.pop(meetup_id, None)

    async def deliver(self, meetup_id: int, events: list[Recorded]) -> None:
        """Fold committed events into live state and fan them out. Never raises."""
        try:
            await self._deliver(meetup_id, events)
        except Exception:
            # The events are committed; sockets that missed them resync on reconnect.
            log.exception("delivery failed for meetup %s", meetup_id)
            live = self._meetups.pop(meetup_id, None)
            for sub in live.subscribers if live else ():
                sub.close()

    async def _deliver(self, meetup_id: int, events: list[Recorded]) -> None:
        live = self._meetups.get(meetup_id)
        if live is None:
            return  # nobody is looking; the state is folded from the log on first use
        fresh = [e for e in events if e.seq > live.state.seq]
        if not fresh:
            return
        if fresh[0].seq != live.state.seq + 1:
            fresh = await anyio.to_thread.run_sync(self._read_since, meetup_id, live.state.seq)
        directory = await self.names(meetup_id, fresh)
        # No await from here on: a socket subscribing meanwhile either sees these events in
        # its snapshot or receives them on its queue, never neither.
        steps: list[tuple[Recorded, State, State]] = []  # (event, state before, state after)
        for event in fresh:
            before = steps[-1][2] if steps else live.state
            if event.seq > before.seq:
                steps.append((event, before, apply(before, event)))
        if not steps:
            return
        live.state = steps[-1][2]
        # One message per role for the events delivered together, rendered once for all the
        # role's sockets; the whole panels in it once, however many events changed them.
        for role in {sub.role for sub in live.subscribers}:
            view = partial(self.board.view, live.meetup, role=role, directory=directory)
            shown = [(event, view(after), before) for event, before, after in steps]
            frame = self.board.events_frame(shown, shown[-1][1])
            framed = text_frame(frame)
            for sub in live.subscribers:
                if sub.role == role:
                    sub.push(live.state.seq, frame, framed)

    async def catch_up_frames(
        self, live: LiveMeetup, role: str, after: int, snapshot: State
    ) -> list[str]:
        """What a socket that rendered up to `after` needs to reach `snapshot`: each missed
        event's frame, with the panels before the last one's `#live-seq`; or, past
        LIVE_REPLAY_LIMIT (or ahead of the log), one frame of whole panels. Rendered once per
        role and seq for all the sockets that resume at the same time."""
        meetup_id, upto = live.meetup.id, snapshot.seq
        async with self._resuming.setdefault(meetup_id, asyncio.Lock()):
            view = await self.view(live, role, snapshot)
            if after > upto or upto - after > settings.LIVE_REPLAY_LIMIT:
                key = ("resync", meetup_id, role, upto)
                if key not in self._rendered:
                    timeline, notes = await anyio.to_thread.run_sync(self.history, meetup_id, upto)
                    self._remember(key, self.board.resync_frame(view, timeline, notes))
                return [self._rendered[key]]
            seqs = range(after + 1, upto + 1)
            missing = [s for s in seqs if ("replay", meetup_id, role, s) not in self._rendered]
            if missing:
                events = await anyio.to_thread.run_sync(
                    self._read_since, meetup_id, missing[0] - 1, upto
                )
                for event in events:
                    self._remember(
                        ("replay", meetup_id, role, event.seq), self.board.replay_frame(event, view)
                    )
            panels = ("panels", meetup_id, role, upto)
            if panels not in self._rendered:
                self._remember(panels, self.board.all_panels(view))
            frames = [self._rendered[("replay", meetup_id, role, s)] for s in seqs]
            return [*frames[:-1], self._rendered[panels] + frames[-1]]

    def _remember(self, key: tuple[str, int, str, int], frame: str) -> None:
        self._rendered[key] = frame
        while len(self._rendered) > RENDERED_LIMIT:
            self._rendered.popitem(last=False)

    def history(self, meetup_id: int, upto: int) -> tuple[list[Recorded], list[Recorded]]:
        """The newest timeline events and the newest staff notes up to `upto`, newest first."""
        with Session(self.engine) as db:
            return self.board.history(db, meetup_id, upto)

    def _read_since(self, meetup_id: int, after: int, upto: int | None = None) -> list[Recorded]:
        with Session(self.engine) as db:
            return eventlog.read_since(db, meetup_id, after, upto=upto)

    async def catch_up(self, meetup_id: int, seq: int | None = None) -> None:
        """Deliver whatever the log holds beyond the live state (used by the bus). With the
        `seq` a notification announced, nothing is read if the live state already has it (this
        process appended it, or an earlier catch-up read it)."""
        live = self._meetups.get(meetup_id)
        if live is None or (seq is not None and live.state.seq >= seq):
            return
        async with live.lock:
            missed = await anyio.to_thread.run_sync(self._read_since, meetup_id, live.state.seq)
            await self.deliver(meetup_id, missed)

    async def catch_up_all(self) -> None:
        for meetup_id in list(self._meetups):
            await self.catch_up(meetup_id)

    async def load_open(self) -> None:
        """At start-up: fold the log of every meetup that is not closed."""
        for meetup_id in await anyio.to_thread.run_sync(self._open_meetup_ids):
            await self.live(meetup_id)

    def _open_meetup_ids(self) -> list[int]:
        with Session(self.engine) as db:
            query = select(Meetup.id).where(Meetup.status != current().closed_status)
            return list(db.exec(query))

    def subscribe(self, live: LiveMeetup, role: str, login: str = "") -> Subscriber:
        sub = Subscriber(role=role, queue=Mailbox(self.queue_size), login=login)
        live.subscribers.add(sub)
        return sub

    def close_login(self, login: str) -> None:
        """Close every socket of one login (after logout) with 1008: no reconnect."""
        for live in self._meetups.values():
            for sub in live.subscribers:
                if sub.login == login:
                    sub.close(1008)

    def unsubscribe(self, live: LiveMeetup, sub: Subscriber) -> None:
        live.subscribers.discard(sub)

    async def view(
        self, live: LiveMeetup, role: str, state: State | None = None, *, fresh: bool = False
    ):
        """What `role` sees; `fresh` reads names now (a page load) rather than reusing them."""
        directory = await self.names(live.meetup.id, fresh=fresh)
        return self.board.view(live.meetup, state or live.state, role, directory)

    async def beat(self, seconds: float) -> None:
        """Every `seconds`, a heartbeat to every socket: one timer for all of them rather than
        a timeout around every frame each socket waits for. The logins of all sockets are
        checked with one query (logout elsewhere, expiry, deactivation): a socket whose login
        no longer stands is closed with 1008."""
        while True:
            await asyncio.sleep(seconds)
            logins = {sub.login for live in self._meetups.values() for sub in live.subscribers}
            logins.discard("")
            try:
                standing = await anyio.to_thread.run_sync(auth.standing, self.engine, logins)
            except Exception:  # noqa: BLE001 - the database away for a moment: check next beat
                log.warning("heartbeat: logins not checked", exc_info=True)
                standing = logins
            for live in self._meetups.values():
                for sub in live.subscribers:
                    if sub.login and sub.login not in standing:
                        sub.close(1008)
                    else:
                        sub.tick()

    def close_all(self, code: int = 1012) -> None:
        for live in self._meetups.values():
            for sub in live.subscribers:
                sub.close(code)
