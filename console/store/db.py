"""Engine and sessions.

SQLite (the default) runs in WAL mode. Every write transaction (`transaction()`) begins
IMMEDIATE, so one that reads before it writes can never fail half-way with "database is
locked"; writers queue on `busy_timeout` instead, and plain reading sessions never wait for
them. PostgreSQL is used through psycopg 3.
"""

import contextlib
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import event
from sqlalchemy.engine import Engine, make_url
from sqlmodel import Session, create_engine

IMMEDIATE = "console_write_transaction"


def normalise_url(url: str) -> str:
    """Accept the `postgres://` and `postgresql://` spellings and use psycopg 3 for them."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url.removeprefix("postgres://")
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    return url


def sqlite_path(url: str) -> Path | None:
    """The file of a SQLite URL; None for PostgreSQL (and for SQLite in memory)."""
    parsed = make_url(normalise_url(url))
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    return Path(parsed.database)


def make_engine(url: str) -> Engine:
    url = normalise_url(url)
    parsed = make_url(url)
    # hide_parameters: SQL errors and logs never carry the values (they may be personal data).
    if parsed.get_backend_name() != "sqlite":
        return create_engine(
            url, pool_pre_ping=True, pool_size=10, max_overflow=10, hide_parameters=True
        )
    if parsed.database and parsed.database != ":memory:":
        _private_files(Path(parsed.database))
    engine = create_engine(
        url, connect_args={"check_same_thread": False, "timeout": 30}, hide_parameters=True
    )

    @event.listens_for(engine, "connect")
    def _sqlite_pragmas(dbapi_connection, _record) -> None:
        # Let SQLAlchemy, not the sqlite3 module, decide when transactions begin.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=FULL")  # an event is durable before it is broadcast
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(conn) -> None:
        # Writers take the lock up front (see `transaction`); readers never block anyone.
        immediate = conn.get_execution_options().get(IMMEDIATE, False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


def _private_files(database: Path) -> None:
    """The database and its WAL hold personal data (encrypted or not, their sizes and times
    tell something): readable by this user only, in a directory only this user can list.
    SQLite gives the -wal and -shm files the database file's mode."""
    database.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    with contextlib.suppress(PermissionError):
        database.parent.chmod(0o700)
    os.close(os.open(database, os.O_RDWR | os.O_CREAT, 0o600))
    for path in (database, Path(f"{database}-wal"), Path(f"{database}-shm")):
        with contextlib.suppress(FileNotFoundError, PermissionError):
            path.chmod(0o600)


def is_postgres(engine: Engine) -> bool:
    return engine.dialect.name == "postgresql"


def is_writing(db: Session) -> bool:
    """True inside `transaction()`: another write transaction now would wait for this one."""
    return bool(db.connection().get_execution_options().get(IMMEDIATE))


def libpq_dsn(engine: Engine) -> str:
    """The engine's PostgreSQL URL as psycopg connects with it outside SQLAlchemy."""
    return engine.url.set(drivername="postgresql").render_as_string(hide_password=False)


@contextmanager
def transaction(engine: Engine) -> Iterator[Session]:
    """One unit of work: committed when the block ends, rolled back if it raises."""
    with Session(engine, expire_on_commit=False) as db, db.begin():
        db.connection(execution_options={IMMEDIATE: True})
        yield db
