"""The schema: Alembic's revisions (`migrations/`), and the data steps that go with them.

`migrate` runs `upgrade head` in one transaction, on SQLite and PostgreSQL alike, with the
tables every domain registered (the composition root's `bootstrap()` imports their models).
A database made by the `create_all` of before migrations (tables, but no `alembic_version`)
is adopted: brought to the initial revision the way the old `migrate` did it (missing tables,
nullable columns and indexes added), compared with that revision, and stamped at it; one that
differs is refused, unchanged. After the schema, the data steps: a column that became
encrypted has its values in the clear sealed, and an empty blind index filled.

`scheduled_job` is APScheduler's own table (it creates it): no revision touches it.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import (
    MetaData,
    String,
    Text,
    TypeDecorator,
    and_,
    inspect,
    select,
    text,
    type_coerce,
    update,
)
from sqlalchemy.engine import Connection, Engine
from sqlmodel import SQLModel
from sqlmodel.sql.sqltypes import AutoString

from console import settings
from console.store import crypto, datakeys
from console.store.db import IMMEDIATE, is_postgres, transaction

MIGRATIONS = settings.ROOT / "migrations"
INITIAL = "0001"
VERSION_TABLE = "alembic_version"
UNMANAGED = {"scheduled_job"}  # APScheduler's job store
MIGRATION_LOCK = 0x6D696772617465  # "migrate": one worker migrates, the others wait for it


class SchemaError(Exception):
    """The database cannot be brought to the models (a message for the operator)."""


def include_name(name: str | None, type_: str, parent_names) -> bool:
    """What Alembic compares: every table but APScheduler's."""
    return not (type_ == "table" and name in UNMANAGED)


def render_item(type_: str, obj, autogen_context) -> str | bool:
    """Revisions spell types in plain SQLAlchemy (an encrypted column is TEXT, a UTC time a
    DateTime with time zone), so a revision never imports the code it migrates."""
    if type_ == "type" and isinstance(obj, TypeDecorator):
        return f"sa.{obj.impl_instance!r}"
    if type_ == "type" and isinstance(obj, AutoString):
        return f"sa.String(length={obj.length})" if obj.length else "sa.String()"
    return False


def alembic_config(connection: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


@cache
def _scripts() -> ScriptDirectory:
    return ScriptDirectory.from_config(alembic_config())


def head() -> str:
    return _scripts().get_current_head()


def initial_metadata() -> MetaData:
    """The tables of the initial revision (the schema `create_all` made before migrations)."""
    return _scripts().get_revision(INITIAL).module.metadata()


def revision(engine: Engine) -> str | None:
    """The database's revision: None when it has none (empty, or made by `create_all`)."""
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def has_tables(engine: Engine) -> bool:
    """True when the database holds any of the console's tables."""
    names = set(inspect(engine).get_table_names())
    return bool(names & (set(initial_metadata().tables) | {VERSION_TABLE}))


def migrate(engine: Engine) -> None:
    """Bring the database up to the models, then run the data steps. Safe to run on every
    release and every start, by several workers at once."""
    with _migrating(engine) as conn:
        names = set(inspect(conn).get_table_names())
        if VERSION_TABLE not in names and names & set(initial_metadata().tables):
            _adopt(conn)
        command.upgrade(alembic_config(conn), "head")
    _data_steps(engine)


@contextmanager
def _migrating(engine: Engine) -> Iterator[Connection]:
    """One transaction that only one migration holds at a time (SQLite: BEGIN IMMEDIATE;
    PostgreSQL: an advisory lock). On SQLite foreign keys are not enforced meanwhile: a
    batch migration copies a table into a new one and drops the old, which enforcement would
    refuse (or cascade); the keys are checked before the commit instead."""
    with engine.connect() as conn:
        sqlite = not is_postgres(engine)
        if sqlite:  # outside any transaction, or SQLite ignores it
            conn.connection.driver_connection.execute("PRAGMA foreign_keys=OFF")
        try:
            with conn.execution_options(**{IMMEDIATE: True}).begin():
                if not sqlite:
                    conn.execute(
                        text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK}
                    )
                yield conn
                if sqlite and conn.exec_driver_sql("PRAGMA foreign_key_check").first():
                    raise SchemaError(
                        "移行後に外部キーの不整合があります。変更は取り消しました。"
                        " / a migration broke a foreign key; rolled back"
                    )
        finally:
            if sqlite:
                conn.connection.driver_connection.execute("PRAGMA foreign_keys=ON")


def _adopt(conn: Connection) -> None:
    """Stamp a database made by the old `create_all` at the initial revision, once it
    matches it exactly (after the additive steps the old `migrate` ran on every start)."""
    target = initial_metadata()
    target.create_all(conn)
    _add_missing_columns(conn, target)
    for table in target.sorted_tables:
        for index in table.indexes:
            index.create(conn, checkfirst=True)
    _widen_text_columns(conn, target)
    context = MigrationContext.configure(
        conn, opts={"compare_type": True, "include_name": include_name}
    )
    differences = compare_metadata(context, target)
    if differences:
        found = "; ".join(describe(d) for d in differences[:5])
        raise SchemaError(
            "既存のデータベースのスキーマが初期リビジョンと一致しないため、移行できません"
            f"(データベースは変更していません): {found}"
            f" / the existing schema differs from revision {INITIAL}, left unchanged: {found}"
        )
    command.stamp(alembic_config(conn), INITIAL)


def describe(difference) -> str:
    """One of Alembic's differences, short: `add_column event.note`."""
    if isinstance(difference, list):  # a column's changes come as a list of them
        difference = difference[0]
        return f"{difference[0]} {difference[2]}.{difference[3]}"
    kind, item = difference[0], difference[-1]
    table = getattr(item, "table", None)
    name = getattr(item, "name", item)
    return f"{kind} {table.name}.{name}" if table is not None else f"{kind} {name}"


def _add_missing_columns(conn: Connection, target: MetaData) -> None:
    existing = inspect(conn)
    for table in target.sorted_tables:
        have = {c["name"] for c in existing.get_columns(table.name)}
        for column in table.columns:
            if column.name not in have and column.nullable:
                kind = column.type.compile(conn.dialect)
                conn.exec_driver_sql(
                    f'ALTER TABLE "{table.name}" ADD COLUMN "{column.name}" {kind}'
                )


def _widen_text_columns(conn: Connection, target: MetaData) -> None:
    """A column that became encrypted (TEXT) may still be the VARCHAR it was (PostgreSQL
    enforces lengths; SQLite does not)."""
    if conn.dialect.name != "postgresql":
        return
    existing = inspect(conn)
    for table in target.sorted_tables:
        kinds = {c["name"]: c["type"] for c in existing.get_columns(table.name)}
        for column in table.columns:
            if isinstance(column.type, Text) and getattr(kinds.get(column.name), "length", None):
                conn.exec_driver_sql(
                    f'ALTER TABLE "{table.name}" ALTER COLUMN "{column.name}" TYPE TEXT'
                )


def _data_steps(engine: Engine) -> None:
    """Seal values still in the clear and fill empty blind indexes. The key is read, and
    checked against the database's (`datakeys.check`), only when there is something to do: a
    fresh database needs no key to be created."""
    checked = False

    def keyring() -> crypto.Keyring:
        nonlocal checked
        ring = crypto.keyring()
        if not checked:
            datakeys.check(engine, ring)
            checked = True
        return ring

    for table, column in crypto.encrypted_columns():
        raw = type_coerce(column, String)
        (key,) = table.primary_key.columns
        clear = and_(column.is_not(None), ~raw.startswith(f"{crypto.PREFIX}:"))
        if _exists(engine, select(key).where(clear)):
            ring = keyring()
            with transaction(engine) as db:
                for row_id, plaintext in db.execute(select(key, raw).where(clear)).all():
                    sealed = ring.encrypt(plaintext, context=column.type.context)
                    db.execute(
                        update(table)
                        .where(key == row_id)
                        .values({column.name: type_coerce(sealed, String)})
                    )
    for table in SQLModel.metadata.sorted_tables:
        for column in table.columns:
            source = column.info.get("blind_index_of")
            if source is None:
                continue
            (key,) = table.primary_key.columns
            if _exists(engine, select(key).where(column.is_(None))):
                ring = keyring()
                with transaction(engine) as db:
                    rows = db.execute(select(key, table.c[source]).where(column.is_(None))).all()
                    for row_id, value in rows:
                        index = ring.blind_index(value, context=f"{table.name}.{source}")
                        db.execute(update(table).where(key == row_id).values({column.name: index}))


def _exists(engine: Engine, query) -> bool:
    with engine.connect() as conn:
        return conn.execute(query.limit(1)).first() is not None
