"""Engine, sessions and schema creation.

SQLite (the default) runs in WAL mode. Every write transaction (`transaction()`) begins
IMMEDIATE, so one that reads before it writes can never fail half-way with "database is
locked"; writers queue on `busy_timeout` instead, and plain reading sessions never wait for
them. PostgreSQL is used through psycopg 3.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import event, inspect
from sqlalchemy.engine import Engine, make_url
from sqlmodel import Session, SQLModel, create_engine

IMMEDIATE = "console_write_transaction"


def normalise_url(url: str) -> str:
    """Accept the `postgres://` and `postgresql://` spellings and use psycopg 3 for them."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url.removeprefix("postgres://")
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    return url


def make_engine(url: str) -> Engine:
    url = normalise_url(url)
    parsed = make_url(url)
    # hide_parameters: SQL errors and logs never carry the values (they may be personal data).
    if parsed.get_backend_name() != "sqlite":
        return create_engine(
            url, pool_pre_ping=True, pool_size=10, max_overflow=10, hide_parameters=True
        )
    if parsed.database and parsed.database != ":memory:":
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
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


def is_postgres(engine: Engine) -> bool:
    return engine.dialect.name == "postgresql"


def libpq_dsn(engine: Engine) -> str:
    """The engine's PostgreSQL URL as psycopg connects with it outside SQLAlchemy."""
    return engine.url.set(drivername="postgresql").render_as_string(hide_password=False)


def migrate(engine: Engine) -> None:
    """Create every table that does not exist yet. Safe to run on every release.

    The tables are those registered with SQLModel's metadata: the composition root
    (`console.web.composition.bootstrap`) imports every domain's models first."""
    SQLModel.metadata.create_all(engine)
    _add_missing_columns(engine)


def _add_missing_columns(engine: Engine) -> None:
    """Additive changes only: a nullable column added to a model is added to its table."""
    existing = inspect(engine)
    with engine.begin() as conn:
        for table in SQLModel.metadata.sorted_tables:
            have = {c["name"] for c in existing.get_columns(table.name)}
            for column in table.columns:
                if column.name not in have and column.nullable:
                    kind = column.type.compile(engine.dialect)
                    conn.exec_driver_sql(
                        f'ALTER TABLE "{table.name}" ADD COLUMN "{column.name}" {kind}'
                    )


@contextmanager
def transaction(engine: Engine) -> Iterator[Session]:
    """One unit of work: committed when the block ends, rolled back if it raises."""
    with Session(engine, expire_on_commit=False) as db, db.begin():
        db.connection(execution_options={IMMEDIATE: True})
        yield db
