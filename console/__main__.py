"""`python -m console …`: serve, migrate, create-staff, demo."""

import argparse
import getpass
import os
import sys
from pathlib import Path

import uvicorn
from sqlmodel import select

from console import settings
from console.intake.sample import DEMO_ENTRY_CODE, DEMO_ENTRY_PASSWORD
from console.security.roles import Qualification, Role
from console.store import crypto
from console.store.db import make_engine, transaction
from console.store.schema import migrate
from console.web.composition import bootstrap


def serve(host: str, port: int) -> None:
    uvicorn.run(
        "console.app:app",
        host=host,
        port=port,
        # websockets-sansio with a deadline on every send (a client that stops reading is
        # dropped); a browser's messages are tiny, 64 KiB is plenty.
        ws="console.live.protocol:LiveWebSocketProtocol",
        ws_max_size=64 * 1024,
        # Frames are small HTML; per-socket deflate would cost CPU for every dashboard and
        # mixes participants' names with other text in one compressed stream.
        ws_per_message_deflate=False,
        # X-Forwarded-For is believed only from the proxies named here (none by default).
        proxy_headers=True,
        forwarded_allow_ips=settings.FORWARDED_ALLOW_IPS,
        timeout_graceful_shutdown=5,
        log_level="info",
    )


def create_staff(args: argparse.Namespace) -> int:
    from console.security.auth import hash_password
    from console.security.models import Staff

    role = Role.parse(args.role)
    if role is None:
        print(f"役割は次のいずれかです: {', '.join(Role)}", file=sys.stderr)
        return 2
    qualification = Qualification.parse(args.qualification) if args.qualification else None
    if args.qualification and qualification is None:
        print(f"資格は次のいずれかです: {', '.join(Qualification)}", file=sys.stderr)
        return 2
    if role == Role.COUNSELLOR and qualification is None:
        print("相談員には --qualification(資格またはpeer)が必要です。", file=sys.stderr)
        return 2
    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = getpass.getpass("パスワード: ")
        if password != getpass.getpass("パスワード(確認): "):
            print("パスワードが一致しません。", file=sys.stderr)
            return 2
    if len(password) < 10:
        print("パスワードは10文字以上にしてください。", file=sys.stderr)
        return 2
    login_id = args.login_id.strip().lower()
    engine = make_engine(settings.DATABASE_URL)
    migrate(engine)
    with transaction(engine) as db:
        if db.exec(select(Staff).where(Staff.login_id == login_id)).first():
            print(f"ログインID「{login_id}」はすでに使われています。", file=sys.stderr)
            return 1
        db.add(
            Staff(
                login_id=login_id,
                display_name=args.display_name,
                role=role,
                qualification=qualification,
                password_hash=hash_password(password),
            )
        )
    print(f"職員「{args.display_name}」({role.label})を登録しました。ログインID: {login_id}")
    return 0


def demo(host: str, port: int) -> None:
    from console import demo as demo_data

    if crypto.create_key_file(Path(settings.DATA_KEY_FILE)):
        print(f"データ暗号鍵を作成しました: {settings.DATA_KEY_FILE}(権限 0600)")
    engine = make_engine(settings.DATABASE_URL)
    migrate(engine)
    meetup = demo_data.seed(engine)
    engine.dispose()
    url = f"http://{host}:{port}"
    print(f"\nセッションコンソール(デモ) {url}/meetups/{meetup.id}")
    print(f"デモ用ログイン(パスワードはすべて {demo_data.DEMO_PASSWORD}):")
    for login_id, name, role, _q in demo_data.DEMO_STAFF:
        print(f"  {login_id:<12} {name}({Role(role).label})")
    print(f"\n参加者の入室ページ {url}/entry/{meetup.id}")
    print(
        f"  ID {DEMO_ENTRY_CODE}  パスワード {DEMO_ENTRY_PASSWORD}(初回は利用規約への同意にチェック)"
    )
    print(f"申込ページ {url}/apply")
    print()
    serve(host, port)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m console", description="Session console")
    commands = parser.add_subparsers(dest="command", required=True)
    default_port = int(os.environ.get("PORT", "8000"))
    for name in ("serve", "demo"):
        sub = commands.add_parser(name)
        sub.add_argument("--host", default="127.0.0.1")
        sub.add_argument("--port", type=int, default=default_port)
    commands.add_parser("migrate", help="create missing tables")
    commands.add_parser("rotate-key", help="re-encrypt personal data under a new data key")
    staff = commands.add_parser("create-staff", help="add a staff account")
    staff.add_argument("--role", required=True, help=", ".join(Role))
    staff.add_argument("--display-name", required=True)
    staff.add_argument("--login-id", required=True)
    staff.add_argument("--qualification", help=", ".join(Qualification))
    staff.add_argument("--password-stdin", action="store_true")
    args = parser.parse_args(argv)
    bootstrap()
    if args.command == "serve":
        serve(args.host, args.port)
    elif args.command == "demo":
        demo(args.host, args.port)
    elif args.command == "migrate":
        migrate(make_engine(settings.DATABASE_URL))
        print("データベースを更新しました。")
    elif args.command == "rotate-key":
        kid = crypto.rotate(make_engine(settings.DATABASE_URL))
        print(f"データ暗号鍵を入れ替えました(新しい鍵ID: {kid})。古い鍵は削除しました。")
    elif args.command == "create-staff":
        return create_staff(args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
