"""The ward's security checklist (spec 12(6)(キ)), generated from the running configuration
and the database: each item passes or needs attention, with what was found."""

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from console import settings
from console.security import audit, disposal, roster
from console.security.models import StaffFactor
from console.store.columns import utcnow
from console.store.models import DataKey

KEY_MAX_AGE = timedelta(days=365)


@dataclass(frozen=True)
class Item:
    label: str
    ok: bool
    found: str


def items(engine: Engine) -> list[Item]:
    now = utcnow()
    with Session(engine) as db:
        keys = db.exec(select(DataKey).where(DataKey.kind == "data")).all()
        enrolled = {
            f.staff_id
            for f in db.exec(select(StaffFactor).where(col(StaffFactor.verified_at).is_not(None)))
        }
        staff = [m.staff for m in roster.members(db, active_only=True)]
        last = disposal.latest(db)
    ages = [(now - k.recorded_at).days for k in keys]
    missing = [s.display_name for s in staff if s.id not in enrolled]
    checked, broken = audit.verify(engine)
    return [
        Item(
            "保存データの暗号化(AES-256-GCM)",
            bool(keys),
            f"有効・データ鍵 {len(keys)} 個(最も古い鍵 {max(ages, default=0)} 日)",
        ),
        Item(
            "データ鍵の更新(1年以内)",
            bool(keys) and max(ages, default=0) <= KEY_MAX_AGE.days,
            "python -m console rotate-key で更新します",
        ),
        Item(
            "全職員の二要素認証",
            not missing,
            "全員設定済み"
            if not missing
            else f"未設定: {'、'.join(missing)}(次回ログイン時に設定)",
        ),
        Item(
            "通信の暗号化(COOKIE_SECURE・HSTS)",
            settings.COOKIE_SECURE,
            "有効" if settings.COOKIE_SECURE else "COOKIE_SECURE が無効です(TLS の背後で true に)",
        ),
        Item(
            "参加者・申込者の問い合わせ先(PUBLIC_CONTACT)",
            bool(settings.PUBLIC_CONTACT),
            settings.PUBLIC_CONTACT
            or "未設定です(入室ページ・申込の受付メール・ID通知に表示する窓口と電話番号を設定)",
        ),
        Item(
            "パスワードの保存と長さ",
            True,
            "argon2id でハッシュ化・10 文字以上(初期パスワードも同じ)",
        ),
        Item(
            "ログイン失敗時の遅延",
            settings.LOGIN_FREE_FAILURES <= 10,
            f"{settings.LOGIN_FREE_FAILURES} 回の失敗後、最初 {settings.LOGIN_FIRST_DELAY_SECONDS:g} 秒・"
            f"最大 {settings.LOGIN_MAX_DELAY_SECONDS:g} 秒待機",
        ),
        Item(
            "ログインの有効時間・再認証",
            settings.SESSION_HOURS <= 12 and settings.REAUTH_MINUTES <= 10,
            f"ログインは {settings.SESSION_HOURS} 時間、個人情報の操作前の再認証は "
            f"{settings.REAUTH_MINUTES:g} 分以内",
        ),
        Item(
            "監査記録の改ざん検知",
            broken is None,
            f"{checked} 件を確認・改ざんなし"
            if broken is None
            else f"記録 #{broken.entry_id} で連鎖が切れています",
        ),
        Item(
            "バックアップ",
            False,
            "python -m console backup(SQLite)/pg_dump(PostgreSQL)の定期実行をサーバーで確認してください",
        ),
        Item(
            "保存期間・契約終了時の廃棄",
            True,
            "保存期間 "
            + "、".join(
                f"{k.label.split('(')[0]} {disposal.retention_days(k)}日" for k in disposal.KINDS
            )
            + (
                f"。廃棄実施 {last.done_at.astimezone(settings.TZ):%Y-%m-%d}(区承認済み)"
                if last is not None and last.done_at is not None
                else "。廃棄は未実施(契約終了時に「個人情報の廃棄」で準備・区の承認・実施)"
            ),
        ),
    ]
