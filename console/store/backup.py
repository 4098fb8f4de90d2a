"""Backing up and restoring a SQLite database with SQLite's online backup API.

A backup is taken from the live file while servers run: the API copies one consistent
snapshot (a read transaction, so writers are never blocked for long and nothing half-written
is copied). The copy is a single self-contained file (rollback journal, not WAL), mode 0600,
written beside its final name and renamed into place, and checked with `quick_check`.
A restore copies a backup into the database through the same API, so the database's WAL is
handled by SQLite rather than overwritten behind its back; the servers must be stopped first
(their live state would not know the log went back). PostgreSQL is backed up with `pg_dump`
(README: "Backups").
"""

import contextlib
import os
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import create_engine
from sqlalchemy.engine import Engine


class BackupError(Exception):
    """The backup or restore was refused (a message for the operator); nothing changed."""


def _private_copy(source: sqlite3.Connection, target: Path) -> None:
    """Copy `source` into a new file `target` (mode 0600), self-contained and checked."""
    partial = target.with_name(f".{target.name}.partial")
    partial.unlink(missing_ok=True)
    os.close(os.open(partial, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o600))
    try:
        copy = sqlite3.connect(partial)
        try:
            source.backup(copy)
            copy.execute("PRAGMA journal_mode=DELETE")
            if copy.execute("PRAGMA quick_check").fetchone()[0] != "ok":
                raise BackupError(
                    f"バックアップの検査に失敗しました: {target} / the copy failed its check"
                )
        finally:
            copy.close()
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)


def backup(database: Path, target: Path) -> None:
    """Copy the live database `database` into the new file `target`."""
    if not database.exists():
        raise BackupError(f"データベースがありません: {database} / no database at {database}")
    if target.exists():
        raise BackupError(
            f"{target} はすでにあります。別の名前を指定してください。 / {target} exists"
        )
    target.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    source = sqlite3.connect(database, timeout=30)
    try:
        _private_copy(source, target)
    finally:
        source.close()


def open_backup(path: Path) -> Engine:
    """A plain engine on a backup file, to look into it before restoring (no pragmas, no
    file created: `path` must exist)."""
    if not path.is_file():
        raise BackupError(f"バックアップがありません: {path} / no backup at {path}")
    with contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as check:
        try:
            result = check.execute("PRAGMA quick_check").fetchone()[0]
        except sqlite3.DatabaseError as error:
            raise BackupError(
                f"SQLite のバックアップではありません: {path} / not a SQLite backup: {error}"
            ) from error
    if result != "ok":
        raise BackupError(f"バックアップが壊れています: {path} / the backup is damaged")
    return create_engine(f"sqlite:///{path}")


def restore(source: Path, database: Path, *, keep_previous: bool) -> Path | None:
    """Replace the database `database` by the backup `source`. With `keep_previous`, the
    database as it was is first copied beside it; returns that copy's path."""
    previous = None
    database.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    if keep_previous and database.exists():
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        previous = database.with_name(f"{database.name}.before-restore-{stamp}")
        backup(database, previous)
    os.close(os.open(database, os.O_RDWR | os.O_CREAT, 0o600))
    with (
        contextlib.closing(sqlite3.connect(f"file:{source}?mode=ro", uri=True)) as backup_db,
        contextlib.closing(sqlite3.connect(database, timeout=30)) as live,
    ):
        backup_db.backup(live)
    for path in (database, Path(f"{database}-wal"), Path(f"{database}-shm")):
        with contextlib.suppress(FileNotFoundError):
            path.chmod(0o600)
    return previous
