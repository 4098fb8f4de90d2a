"""One leader among the worker processes, elected by a PostgreSQL advisory lock.

A worker leads while it holds a session-level advisory lock. Such a lock belongs to the
database connection that took it, so the leader keeps a connection of its own for as long as
it leads, and PostgreSQL releases the lock the moment that connection ends: the process exited,
was killed, or lost the database. Every other worker tries to take the lock every `every`
seconds, and one of them takes over. The leader looks at its connection as often; once the
connection is gone it no longer knows it holds the lock, and steps down before trying again.
With SQLite there is one process, and it leads from the start.

The lock's connection is named `console <role> <process id>` (`application_name`), so
`pg_locks` joined with `pg_stat_activity` shows which worker leads.
"""

import asyncio
import logging
import os
from collections.abc import Awaitable, Callable

import psycopg
from sqlalchemy.engine import Engine

from console.store.db import is_postgres, libpq_dsn

log = logging.getLogger(__name__)


async def lead(
    engine: Engine,
    *,
    role: str,
    key: int,
    every: float,
    elected: Callable[[], Awaitable[None]],
    deposed: Callable[[], None],
    leading: Callable[[], None] = lambda: None,
    ready: asyncio.Event | None = None,
) -> None:
    """Run until cancelled: become the one `role` leader when the lock `key` is free, then
    await `elected()`; call `leading()` every `every` seconds while leading, and `deposed()`
    when leadership ends (also when cancelled). `ready` is set once the first attempt is over
    (this worker leads, or another one does)."""
    if not is_postgres(engine):
        await elected()
        if ready:
            ready.set()
        return
    while True:
        try:
            async with await psycopg.AsyncConnection.connect(
                libpq_dsn(engine), autocommit=True, application_name=f"console {role} {os.getpid()}"
            ) as conn:
                while not await _try_lock(conn, key):
                    if ready:
                        ready.set()
                    await asyncio.sleep(every)
                log.info("this worker (process %s) now runs the %s", os.getpid(), role)
                try:
                    await elected()
                    if ready:
                        ready.set()
                    while True:
                        await asyncio.sleep(every)
                        await conn.execute("SELECT 1")  # raises once the lock is gone with it
                        leading()
                finally:
                    deposed()
        except asyncio.CancelledError:
            raise
        except Exception as error:  # noqa: BLE001 - any failure: step down, try again
            log.warning("%s election: %s; trying again", role, type(error).__name__)
            if ready:
                ready.set()
            await asyncio.sleep(every)


async def _try_lock(conn: psycopg.AsyncConnection, key: int) -> bool:
    cursor = await conn.execute("SELECT pg_try_advisory_lock(%s)", [key])
    return bool((await cursor.fetchone())[0])
