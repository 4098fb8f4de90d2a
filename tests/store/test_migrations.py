"""Migrations: Alembic's revisions end where `create_all` of the models would, from an empty
database, from the initial revision with data in it, and from a database the old `create_all`
made (adopted at the initial revision, or refused unchanged when it differs)."""

from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text
from sqlmodel import Session, SQLModel, func, select

from console import demo
from console.live.models import EventRow
from console.session.models import Participant
from console.store import schema
from console.store.db import make_engine
from console.store.models import DataKey
from tests.conftest import Staff, empty_postgres, make_server, run_console


def snapshot(engine) -> dict:
    """The schema as the inspector reads it back: tables, columns (name, type, nullability,
    default), keys, foreign keys, indexes, unique constraints. Column order is left out: a
    column added later sits at the end of its table."""
    found = inspect(engine)
    tables = set(found.get_table_names()) - {schema.VERSION_TABLE, *schema.UNMANAGED}
    return {
        name: {
            "columns": sorted(
                (c["name"], str(c["type"].compile(engine.dialect)), c["nullable"], c["default"])
                for c in found.get_columns(name)
            ),
            "primary key": found.get_pk_constraint(name)["constrained_columns"],
            "foreign keys": sorted(
                (tuple(f["constrained_columns"]), f["referred_table"], tuple(f["referred_columns"]))
                for f in found.get_foreign_keys(name)
            ),
            "indexes": sorted(
                (
                    i["name"],
                    tuple(i["column_names"]),
                    bool(i["unique"]),
                    _where(i),
                )
                for i in found.get_indexes(name)
            ),
            "unique": sorted(tuple(u["column_names"]) for u in found.get_unique_constraints(name)),
        }
        for name in sorted(tables)
    }


def _where(index: dict) -> str:
    """A partial index's condition, as text."""
    return " ".join(f"{k}={v}" for k, v in sorted((index.get("dialect_options") or {}).items()))


def differences(engine) -> list:
    """What Alembic would still change to reach the models (`alembic check`)."""
    with engine.connect() as conn:
        context = MigrationContext.configure(
            conn, opts={"compare_type": True, "include_name": schema.include_name}
        )
        return compare_metadata(context, SQLModel.metadata)


def created_all(path: Path) -> dict:
    engine = make_engine(f"sqlite:///{path}")
    SQLModel.metadata.create_all(engine)
    try:
        return snapshot(engine)
    finally:
        engine.dispose()


def test_migrate_on_an_empty_sqlite_database_ends_identical_to_create_all(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'migrated.db'}")
    schema.migrate(engine)
    assert schema.revision(engine) == schema.head() != schema.INITIAL
    assert differences(engine) == []
    assert snapshot(engine) == created_all(tmp_path / "created.db")
    schema.migrate(engine)  # every start runs it again: nothing to do
    assert schema.revision(engine) == schema.head()


@pytest.mark.postgres
def test_migrate_on_an_empty_postgresql_database_ends_identical_to_create_all():
    engine = empty_postgres()
    try:
        SQLModel.metadata.create_all(engine)
        expected = snapshot(engine)
        engine.dispose()
        empty_postgres().dispose()
        schema.migrate(engine)
        assert schema.revision(engine) == schema.head()
        assert differences(engine) == []
        assert snapshot(engine) == expected
    finally:
        engine.dispose()


def _counts(engine) -> tuple[int, list[str]]:
    with Session(engine) as db:
        events = db.exec(select(func.count()).select_from(EventRow)).one()
        names = sorted(p.display_name for p in db.exec(select(Participant)))  # decrypted
    return events, names


def test_upgrade_from_the_initial_revision_with_data_ends_identical_to_create_all(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'old.db'}")
    with engine.begin() as conn:
        command.upgrade(schema.alembic_config(conn), schema.INITIAL)
    assert DataKey.__tablename__ not in inspect(engine).get_table_names()
    demo.seed(engine, newer=False)  # a session running, encrypted names, staff (as in 0001)
    before = _counts(engine)
    assert before[0] > 0 and len(before[1]) == len(demo.AVATARS)
    schema.migrate(engine)
    assert schema.revision(engine) == schema.head()
    assert differences(engine) == []
    assert snapshot(engine) == created_all(tmp_path / "created.db")
    assert _counts(engine) == before


def _made_by_the_old_create_all(path: Path):
    """A database as `migrate` made it before Alembic: the initial revision's tables, no
    `alembic_version`, data in it."""
    engine = make_engine(f"sqlite:///{path}")
    schema.initial_metadata().create_all(engine)
    demo.seed(engine, newer=False)
    assert schema.revision(engine) is None
    return engine


def test_a_database_made_by_the_old_create_all_is_adopted_when_the_console_starts(tmp_path):
    engine = _made_by_the_old_create_all(tmp_path / "console.db")
    before = _counts(engine)
    srv = make_server(f"sqlite:///{tmp_path / 'console.db'}", tmp_path).start()
    try:
        assert Staff(srv, "manager").http.get("/").status_code == 200
    finally:
        srv.stop()
    assert schema.revision(engine) == schema.head()
    assert differences(engine) == []
    assert snapshot(engine) == created_all(tmp_path / "created.db")
    assert _counts(engine) == before
    with Session(engine) as db:  # the key that encrypted it is now on record
        assert {k.kind for k in db.exec(select(DataKey))} == {"data", "index"}


def test_an_old_database_that_differs_from_the_initial_revision_is_refused_unchanged(tmp_path):
    path = tmp_path / "odd.db"
    engine = _made_by_the_old_create_all(path)
    with engine.begin() as conn:
        conn.execute(text("ALTER TABLE meetup ADD COLUMN venue VARCHAR(20) NOT NULL DEFAULT ''"))
    before = snapshot(engine)
    done = run_console("migrate", DATABASE_URL=f"sqlite:///{path}")
    assert done.returncode == 1
    assert "初期リビジョンと一致しない" in done.stderr and "meetup.venue" in done.stderr
    assert "Traceback" not in done.stderr and len(done.stderr.strip().splitlines()) == 1
    assert schema.revision(engine) is None
    assert snapshot(engine) == before
