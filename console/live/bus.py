"""Carries "event N of meetup M is committed" between worker processes.

With one process (SQLite, the default) there is nothing to carry: a command delivers its
own event to the in-process hub. With PostgreSQL every append also runs `pg_notify` inside
its transaction, so the notification is sent exactly when the event commits; each process
LISTENs and lets its hub catch up from the log. A lost connection is re-established and
every live meetup caught up, so a missed notification costs latency, never an event.
"""

import asyncio
import contextlib
import logging

import psycopg
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlmodel import Session

from console.store.db import is_postgres, libpq_dsn

CHANNEL = "console_events"
log = logging.getLogger(__name__)


def announce(db: Session, meetup_id: int, seq: int) -> None:
    """Inside the append transaction: tell other processes once it commits."""
    if db.get_bind().dialect.name == "postgresql":
        db.execute(
            text("SELECT pg_notify(:channel, :payload)"),
            {
                "channel": CHANNEL,
                "payload": f"{meetup_id}:{seq}",
            },
        )


async def listen(engine: Engine, hub, *, ready: asyncio.Event | None = None) -> None:
    """Run until cancelled: forward notifications to `hub.catch_up`."""
    if not is_postgres(engine):
        if ready:
            ready.set()
        return
    delay = 0.5
    while True:
        try:
            async with await psycopg.AsyncConnection.connect(
                libpq_dsn(engine), autocommit=True
            ) as conn:
                await conn.execute(f"LISTEN {CHANNEL}")
                delay = 0.5
                if ready:
                    ready.set()
                await hub.catch_up_all()
                async for note in conn.notifies():
                    with contextlib.suppress(ValueError):
                        meetup_id, seq = map(int, note.payload.split(":", 1))
                        await hub.catch_up(meetup_id, seq)
        except asyncio.CancelledError:
            raise
        except Exception as error:  # noqa: BLE001 - any failure: reconnect and catch up
            log.warning("event bus connection lost (%s); reconnecting", type(error).__name__)
            await asyncio.sleep(delay)
            delay = min(delay * 2, 10)
