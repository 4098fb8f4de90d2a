"""The operator's commands: init, create-staff, rotate-key, backup and restore.

Each returns an exit status; a refusal (`Refusal`, or a key or schema problem from the store)
is one line for the operator, in Japanese and English, and changes nothing.
"""

import argparse
import getpass
import os
import sys
from pathlib import Path

from sqlalchemy import inspect
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from console import settings
from console.security import audit
from console.security.auth import hash_password
from console.security.models import Staff
from console.security.roles import Qualification, Role
from console.store import backup as backups
from console.store import crypto, datakeys, schema
from console.store.db import make_engine, sqlite_path, transaction
from console.store.models import DataKey

MIN_PASSWORD = 10


class Refusal(Exception):
    """The command refuses (a one-line message for the operator); nothing was changed.
    `status` is the exit status: 2 for input the command cannot take, 1 otherwise."""

    def __init__(self, message: str, *, status: int = 1) -> None:
        super().__init__(message)
        self.status = status


def read_password(args: argparse.Namespace) -> str:
    """From standard input (`--password-stdin`) or asked twice; at least 10 characters."""
    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = getpass.getpass("パスワード: ")
        if password != getpass.getpass("パスワード(確認): "):
            raise Refusal("パスワードが一致しません。 / the passwords differ", status=2)
    if len(password) < MIN_PASSWORD:
        raise Refusal(
            f"パスワードは{MIN_PASSWORD}文字以上にしてください。"
            f" / a password has at least {MIN_PASSWORD} characters",
            status=2,
        )
    return password


def existing_engine() -> Engine:
    """An engine on DATABASE_URL, refusing a SQLite file that does not exist (a mistyped
    path would otherwise become a new, empty database)."""
    path = sqlite_path(settings.DATABASE_URL)
    if path is not None and not path.exists():
        raise Refusal(f"データベースがありません: {path} / no database at {path}")
    return make_engine(settings.DATABASE_URL)


def require_current(engine: Engine) -> None:
    if not schema.has_tables(engine):
        raise Refusal(
            "データベースが初期化されていません(DATABASE_URL を確かめてください)。"
            " / the database is not initialised: check DATABASE_URL"
        )
    if schema.revision(engine) != schema.head():
        raise Refusal(
            "データベースのスキーマが最新ではありません。先に python -m console migrate を実行して"
            "ください。 / the schema is not current: run `python -m console migrate` first"
        )


def initialised(engine: Engine) -> bool:
    """True once anyone has used the database: it has staff or records of its keys."""
    names = set(inspect(engine).get_table_names())
    with Session(engine) as db:
        return any(
            table.__tablename__ in names and db.exec(select(table).limit(1)).first() is not None
            for table in (Staff, DataKey)
        )


def proposed_key_file() -> Path:
    """Outside the data directory, so a copy of the data is never a copy of its key."""
    home = Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config")
    return home / "session-console" / "data.key"


def _inside(path: Path, directory: Path) -> bool:
    return path.resolve().is_relative_to(directory.resolve())


def _init_keys(args: argparse.Namespace) -> crypto.Keyring:
    """The keys `init` encrypts with: new ones printed, DATA_KEYS, or a new key file."""
    if args.print_keys:
        ring = crypto.new_keyring()
        print("データ暗号鍵を作成しました。次の2行を環境変数(秘密として)に設定してください:")
        print("\n".join(crypto.environment_lines(ring)))
        return ring
    if settings.DATA_KEYS:
        print("DATA_KEYS の鍵を使います。")
        return crypto.load()
    if args.key_file:
        path = Path(args.key_file)
    elif settings.configured("DATA_KEY_FILE"):
        path = Path(settings.DATA_KEY_FILE)
    else:
        path = proposed_key_file()
    if path.exists():
        raise Refusal(
            f"鍵ファイル {path} はすでにあります(別のデータベースの鍵かもしれません)。init は既存の"
            f"鍵を使いません: 別の場所を --key-file で指定してください。 / {path} exists; init"
            " never reuses a key file"
        )
    crypto.create_key_file(path)
    print(f"データ暗号鍵を作成しました: {path}(権限 0600)")
    database = sqlite_path(settings.DATABASE_URL)
    for directory in (database.parent if database else None, settings.ROOT / "var"):
        if directory is not None and _inside(path, directory):
            print(
                f"注意: 鍵がデータと同じディレクトリ({directory})にあります。データのバックアップに鍵が"
                f"含まれないよう、{proposed_key_file()} など別の場所をおすすめします。"
            )
            break
    if path.resolve() != Path(settings.DATA_KEY_FILE).resolve():
        print(
            f"サーバーが鍵を見つけられるよう、.env か環境変数に設定してください: DATA_KEY_FILE={path}"
        )
    return crypto.Keyring.from_json(path.read_text())


def init(args: argparse.Namespace) -> int:
    """A production database: its data key, its schema, its first manager. Never touches a
    database someone has used."""
    password = read_password(args)
    login_id = args.login_id.strip().lower()
    engine = make_engine(settings.DATABASE_URL)
    if schema.has_tables(engine) and initialised(engine):
        raise Refusal(
            "このデータベースはすでに初期化されています。何も変更していません(職員の追加は"
            " create-staff、鍵の入れ替えは rotate-key)。 / the database is already initialised;"
            " nothing changed"
        )
    ring = _init_keys(args)
    crypto.use(ring)  # this process writes under it, whatever the settings name yet
    schema.migrate(engine)
    with transaction(engine) as db:
        datakeys.add(db, ring, {ring.current})
        db.add(
            Staff(
                login_id=login_id,
                display_name=args.display_name,
                role=Role.MANAGER,
                password_hash=hash_password(password),
            )
        )
    fingerprint = crypto.fingerprint(ring.keys[ring.current], kind="data")
    print(
        f"初期化しました。管理者「{args.display_name}」(ログインID: {login_id})、"
        f"データ暗号鍵 {ring.current}(指紋 {fingerprint[:12]})。"
        "python -m console serve で起動します。"
    )
    return 0


def create_staff(args: argparse.Namespace) -> int:
    role = Role.parse(args.role)
    if role is None:
        raise Refusal(f"役割は次のいずれかです: {', '.join(Role)}", status=2)
    qualification = Qualification.parse(args.qualification) if args.qualification else None
    if args.qualification and qualification is None:
        raise Refusal(f"資格は次のいずれかです: {', '.join(Qualification)}", status=2)
    if role == Role.COUNSELLOR and qualification is None:
        raise Refusal("相談員には --qualification(資格またはpeer)が必要です。", status=2)
    password = read_password(args)
    login_id = args.login_id.strip().lower()
    engine = make_engine(settings.DATABASE_URL)
    schema.migrate(engine)
    with transaction(engine) as db:
        if db.exec(select(Staff).where(Staff.login_id == login_id)).first():
            print(f"ログインID「{login_id}」はすでに使われています。", file=sys.stderr)
            return 1
        staff = Staff(
            login_id=login_id,
            display_name=args.display_name,
            role=role,
            qualification=qualification,
            password_hash=hash_password(password),
        )
        db.add(staff)
        db.flush()
        audit.record(db, action="staff.create", staff_id=None, target=f"staff:{staff.id}:{role}")
    print(f"職員「{args.display_name}」({role.label})を登録しました。ログインID: {login_id}")
    return 0


def rotate_key(args: argparse.Namespace) -> int:
    crypto.load()  # no key, nothing else to say
    engine = existing_engine()
    require_current(engine)
    kid = datakeys.rotate(engine)
    audit.record_now(engine, action="key.rotate", staff_id=None, target=f"key:{kid}")
    print(f"データ暗号鍵を入れ替えました(新しい鍵ID: {kid})。古い鍵は削除しました。")
    return 0


def _sqlite_only(what: str, tool: str) -> Path:
    path = sqlite_path(settings.DATABASE_URL)
    if path is None:
        raise Refusal(
            f"PostgreSQL の{what}は {tool} で行ってください(README「Backups」)。"
            f" / on PostgreSQL, use {tool}"
        )
    return path


def backup(args: argparse.Namespace) -> int:
    database = _sqlite_only("バックアップ", "pg_dump")
    require_current(existing_engine())
    target = Path(args.path)
    backups.backup(database, target)
    engine = backups.open_backup(target)
    with Session(engine) as db:
        key_ids = sorted(db.exec(select(DataKey.key_id).where(DataKey.kind == "data")).all())
    engine.dispose()
    print(
        f"バックアップを作成しました: {target}(権限 0600)。復元には鍵 {', '.join(key_ids) or 'なし'} が"
        "必要です: 鍵ファイルはバックアップとは別に保管してください。"
    )
    return 0


def restore(args: argparse.Namespace) -> int:
    database = _sqlite_only("復元", "pg_restore")
    source = Path(args.path)
    engine = backups.open_backup(source)
    try:
        if not schema.has_tables(engine):
            raise Refusal(
                f"{source} はコンソールのバックアップではありません / not a backup of ours"
            )
        datakeys.check(engine, crypto.keyring(), record=False)
    finally:
        engine.dispose()
    live = make_engine(settings.DATABASE_URL)
    has_data = schema.has_tables(live)
    live.dispose()
    if has_data and not args.replace:
        raise Refusal(
            f"{database} にはデータがあります。置き換えるには --replace を付けてください(サーバーを"
            "止めてから。今のデータは横に保存します)。 / the database has data: pass --replace"
        )
    previous = backups.restore(source, database, keep_previous=has_data)
    if previous:
        print(f"置き換え前のデータベースを保存しました: {previous}")
    print(
        f"復元しました: {source} → {database}。python -m console serve で起動します"
        "(スキーマが古ければ起動時に更新します)。"
    )
    return 0
