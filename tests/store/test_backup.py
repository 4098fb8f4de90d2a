"""Backups: `backup` copies the live SQLite database, `restore` brings it back, and the console
then serves the backed-up state with its seqs intact; PostgreSQL's pg_dump round trip."""

import shutil
import subprocess

import pytest
from sqlalchemy import text
from sqlmodel import Session, select

from console.live.models import EventRow
from console.store import schema
from console.store.db import libpq_dsn
from tests.conftest import (
    KEY_FILE,
    PG_URL,
    Staff,
    empty_postgres,
    make_server,
    needs,
    run_console,
    seed,
)
from tests.live_client import LiveClient


def log(engine, meetup_id: int) -> list[tuple[int, str]]:
    with Session(engine) as db:
        rows = db.exec(
            select(EventRow.seq, EventRow.command_id)
            .where(EventRow.meetup_id == meetup_id)
            .order_by(EventRow.seq)
        ).all()
    return [tuple(row) for row in rows]


async def test_restore_drill_serves_the_backed_up_state_with_seqs_intact(tmp_path):
    url = f"sqlite:///{tmp_path / 'data' / 'console.db'}"
    engine, meetup = seed(url)
    srv = make_server(url, tmp_path).start()
    keys = {"DATABASE_URL": url, "DATA_KEY_FILE": str(KEY_FILE)}
    backup = tmp_path / "backups" / "console-mid-session.db"
    try:
        manager = Staff(srv, "manager")
        for i in range(3):
            assert manager.command(meetup.id, "note", text=f"バックアップ前{i}").status_code == 200
        kept = log(engine, meetup.id)
        done = run_console("backup", str(backup), **keys)  # while the server runs
        assert done.returncode == 0, done.stderr
        assert oct(backup.stat().st_mode & 0o777) == "0o600"
        for i in range(2):
            assert manager.command(meetup.id, "note", text=f"バックアップ後{i}").status_code == 200
        assert len(log(engine, meetup.id)) == len(kept) + 2
    finally:
        srv.stop()

    refused = run_console("restore", str(backup), **keys)
    assert refused.returncode == 1 and "--replace" in refused.stderr
    done = run_console("restore", str(backup), "--replace", **keys)
    assert done.returncode == 0, done.stderr
    [previous] = (tmp_path / "data").glob("console.db.before-restore-*")
    assert "置き換え前" in done.stdout and str(previous) in done.stdout
    assert log(engine, meetup.id) == kept

    srv.start()
    try:
        manager = Staff(srv, "manager")
        last = kept[-1][0]
        assert [seq for seq, _ in kept] == list(range(1, last + 1))
        client = await LiveClient(srv.ws_url, meetup.id, manager.ws_headers()).connect(0)
        await client.until_seq(last)
        assert client.last_seq == last and "バックアップ後" not in "".join(client.frames)
        again = manager.command(meetup.id, "note", text="復元後")
        assert again.status_code == 200 and again.headers["x-event-seq"] == str(last + 1)
        await client.until_seq(last + 1)
        assert client.event_seqs[-1] == last + 1
        await client.close()
    finally:
        srv.stop()
    assert [seq for seq, _ in log(engine, meetup.id)] == list(range(1, last + 2))


def test_backup_refuses_postgresql_and_an_existing_file(tmp_path):
    pg = run_console("backup", str(tmp_path / "x.db"), DATABASE_URL=PG_URL)
    assert pg.returncode == 1 and "pg_dump" in pg.stderr
    url = f"sqlite:///{tmp_path / 'console.db'}"
    seed(url)
    (tmp_path / "taken.db").write_bytes(b"")
    taken = run_console("backup", str(tmp_path / "taken.db"), DATABASE_URL=url)
    assert taken.returncode == 1 and "すでにあります" in taken.stderr
    assert (tmp_path / "taken.db").read_bytes() == b""


@pytest.mark.postgres
def test_pg_dump_and_pg_restore_bring_back_the_log_as_it_was(tmp_path):
    """The README's PostgreSQL commands, run as written."""
    if not (shutil.which("pg_dump") and shutil.which("pg_restore")):
        needs("pg_dump and pg_restore", "PostgreSQL's client tools are not installed")
    engine = empty_postgres()
    try:
        seeded, _ = seed(PG_URL)
        seeded.dispose()
        dsn = libpq_dsn(engine)
        with Session(engine) as db:
            kept = db.exec(select(EventRow.meetup_id, EventRow.seq).order_by(EventRow.id)).all()
        dump = tmp_path / "console.dump"
        subprocess.run(["pg_dump", "--format=custom", f"--file={dump}", dsn], check=True)
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
        subprocess.run(
            ["pg_restore", "--clean", "--if-exists", "--no-owner", f"--dbname={dsn}", str(dump)],
            check=True,
        )
        with Session(engine) as db:
            back = db.exec(select(EventRow.meetup_id, EventRow.seq).order_by(EventRow.id)).all()
        assert back == kept and kept
        assert schema.revision(engine) == schema.head()
    finally:
        empty_postgres().dispose()
        engine.dispose()
