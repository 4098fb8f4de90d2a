"""`python -m console …`: serve, init, migrate, create-staff, rotate-key, backup, restore, demo,
simulate, audit verify.

A refusal — no data key, a key set that is not the database's, a schema that cannot be
adopted, a database already initialised — is one line on standard error (Japanese, then
English) and exit status 1, never a traceback.
"""

import argparse
import sys
from pathlib import Path

import uvicorn
from sqlmodel import Session, select

from console import admin, settings
from console.intake.sample import DEMO_ENTRY_CODE, DEMO_ENTRY_PASSWORD
from console.security import audit
from console.security.models import Staff
from console.security.roles import Qualification, Role
from console.store import crypto, datakeys
from console.store.backup import BackupError
from console.store.db import make_engine
from console.store.schema import SchemaError, migrate
from console.web.composition import bootstrap

REFUSALS = (admin.Refusal, crypto.KeyError_, SchemaError, BackupError)


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


def demo(host: str, port: int, *, platform: bool = True) -> None:
    from console import demo as demo_data
    from console.bridge import demo_platform
    from console.reports.exports import missing_for_pdf

    for missing in missing_for_pdf():
        print(f"警告: PDF 出力に必要な {missing} が見つかりません(PDF 以外は使えます)。")
    if crypto.create_key_file(Path(settings.DATA_KEY_FILE)):
        print(f"データ暗号鍵を作成しました: {settings.DATA_KEY_FILE}(権限 0600)")
    engine = make_engine(settings.DATABASE_URL)
    migrate(engine)
    datakeys.check(engine, crypto.keyring())  # a database of other keys is not seeded
    demo_logins = {login_id for login_id, *_ in demo_data.DEMO_STAFF}
    with Session(engine) as db:
        if any(s not in demo_logins for s in db.exec(select(Staff.login_id))):
            raise admin.Refusal(
                "このデータベースには本番の職員がいます: 公開されたデモ用ログインは追加しません"
                "(DATABASE_URL を確かめてください)。 / not a demo database"
            )
    meetup = demo_data.seed(engine)
    settings.PUBLIC_CONTACT = settings.PUBLIC_CONTACT or demo_data.DEMO_CONTACT
    if platform:
        demo_platform.link_demo_avatars(engine)
    engine.dispose()
    url = f"http://{host}:{port}"
    print(f"\nセッションコンソール(デモ) {url}/meetups/{meetup.id}")
    print(f"デモ用ログイン(パスワードはすべて {demo_data.DEMO_PASSWORD}):")
    print("  二要素認証: 設定キーを認証アプリに登録するか、表示中の確認コードを使います")
    for login_id, name, role, _q in demo_data.DEMO_STAFF:
        secret, code = demo_data.totp_secret(login_id), demo_data.totp_code(login_id)
        print(
            f"  {login_id:<12} {name}({Role(role).label})  設定キー {secret}  いまのコード {code}"
        )
    print(f"\n参加者の入室ページ {url}/entry/{meetup.id}")
    print(
        f"  ID {DEMO_ENTRY_CODE}  パスワード {DEMO_ENTRY_PASSWORD}(初回は利用規約への同意にチェック)"
    )
    print(f"申込ページ {url}/apply")
    if platform:
        demo_platform.play_in_background(url, meetup.id)
        print(
            "メタバースの模擬プラットフォームが入退室を送っています(60倍速。--no-simulator で止めます)。"
        )
    print()
    serve(host, port)


def simulate(args: argparse.Namespace) -> int:
    from console.bridge import simulator

    platform = simulator.Platform(args.url.rstrip("/"), args.secret, args.session)
    record = simulator.run(
        platform, avatars=args.avatars, speed=args.speed, seed=args.seed, reporters=args.reports
    )
    accepted = sum(1 for sent in record if 200 <= sent.status < 300)
    print(f"送信 {len(record)} 件、受理 {accepted} 件 / sent {len(record)}, accepted {accepted}")
    for sent in record:
        if not 200 <= sent.status < 300:
            print(f"  {sent.avatar_id} {sent.kind}: {sent.status} {sent.answer.get('reason', '')}")
    return 0 if accepted == len(record) else 1


def verify_audit() -> int:
    """Walk the audit chain: 0 when every link holds, 1 naming the first that does not."""
    checked, broken = audit.verify(make_engine(settings.DATABASE_URL))
    if broken is None:
        print(f"監査記録の連鎖を確認しました: {checked} 件、改ざんなし。 / chain intact")
        return 0
    print(
        f"監査記録 #{broken.entry_id} で連鎖が切れています: {broken.reason}"
        f"(それ以前の {checked} 件は正常)。 / chain broken at entry {broken.entry_id}",
        file=sys.stderr,
    )
    return 1


def parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m console", description="Session console")
    commands = parser.add_subparsers(dest="command", required=True)
    for name in ("serve", "demo"):
        sub = commands.add_parser(name)
        sub.add_argument("--host", default="127.0.0.1")
        sub.add_argument("--port", type=int, default=settings.PORT)
    commands.choices["demo"].add_argument(
        "--no-simulator", action="store_true", help="no simulated metaverse platform"
    )
    simulate = commands.add_parser("simulate", help="play the metaverse platform against a console")
    simulate.add_argument("--url", required=True, help="the console, e.g. http://127.0.0.1:8000")
    simulate.add_argument("--secret", required=True, help="a webhook secret (whsec_…)")
    simulate.add_argument("--session", type=int, required=True, help="the meetup id")
    simulate.add_argument("--avatars", type=int, default=15)
    simulate.add_argument("--speed", type=float, default=60.0, help="session time per second")
    simulate.add_argument("--reports", type=int, default=2, help="avatars reported once")
    simulate.add_argument("--seed", type=int, help="the same seed plays the same session")
    init = commands.add_parser(
        "init", help="a production database: data key, schema, first manager"
    )
    init.add_argument("--login-id", required=True)
    init.add_argument("--display-name", required=True)
    init.add_argument("--password-stdin", action="store_true")
    keys = init.add_mutually_exclusive_group()
    keys.add_argument("--key-file", help="where to create the data key file")
    keys.add_argument(
        "--print-keys", action="store_true", help="print DATA_KEYS and DATA_INDEX_KEY instead"
    )
    commands.add_parser("migrate", help="bring the schema up to date (alembic upgrade head)")
    commands.add_parser("rotate-key", help="re-encrypt personal data under a new data key")
    staff = commands.add_parser("create-staff", help="add a staff account")
    staff.add_argument("--role", required=True, help=", ".join(Role))
    staff.add_argument("--display-name", required=True)
    staff.add_argument("--login-id", required=True)
    staff.add_argument("--qualification", help=", ".join(Qualification))
    staff.add_argument("--password-stdin", action="store_true")
    audit = commands.add_parser("audit", help="the audit trail")
    audit.add_argument("action", choices=["verify"], help="verify: check the hash chain")
    backup = commands.add_parser("backup", help="copy the SQLite database while it runs")
    backup.add_argument("path")
    restore = commands.add_parser("restore", help="replace the SQLite database by a backup")
    restore.add_argument("path")
    restore.add_argument("--replace", action="store_true", help="the database has data")
    return parser


def run(args: argparse.Namespace) -> int:
    if args.command == "serve":
        serve(args.host, args.port)
    elif args.command == "demo":
        demo(args.host, args.port, platform=not args.no_simulator)
    elif args.command == "simulate":
        return simulate(args)
    elif args.command == "migrate":
        migrate(make_engine(settings.DATABASE_URL))
        print("データベースを更新しました。")
    elif args.command == "init":
        return admin.init(args)
    elif args.command == "create-staff":
        return admin.create_staff(args)
    elif args.command == "rotate-key":
        return admin.rotate_key(args)
    elif args.command == "audit":
        return verify_audit()
    elif args.command == "backup":
        return admin.backup(args)
    elif args.command == "restore":
        return admin.restore(args)
    return 0


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    bootstrap()
    try:
        return run(args)
    except REFUSALS as refusal:
        print(refusal, file=sys.stderr)
        return getattr(refusal, "status", 1)


if __name__ == "__main__":
    sys.exit(main())
