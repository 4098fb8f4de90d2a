"""The bridge's health, for the manager: the last platform event, the refused deliveries and
why, and whether the platform has gone quiet while the session is open."""

from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session, col, func, select

from console import settings
from console.bridge.contract import REASONS
from console.bridge.models import PlatformRefusal
from console.live.models import EventRow
from console.session.state import LiveState
from console.store.columns import utcnow

PLATFORM = "platform:%"


@dataclass(frozen=True)
class Health:
    last_event_at: datetime | None
    events: int
    refused: Counter  # reason code -> deliveries refused (this session, and unsigned ones today)
    quiet_since: datetime | None  # set when the platform is quiet while the session is open

    @staticmethod
    def meaning(code: str) -> str:
        return REASON_LABELS.get(code, code)


REASON_LABELS = {
    "not_configured": "署名の鍵が未設定",
    "oversize": "大きすぎる送信",
    "bad_signature": "署名が不正",
    "expired_timestamp": "送信時刻が古い・ずれている",
    "bad_event_id": "イベントIDが不正",
    "malformed_json": "JSONとして読めない",
    "unknown_event_type": "不明なイベント種別",
    "bad_event": "項目の不足・形式の誤り",
    "unknown_session": "存在しない開催回",
    "session_not_open": "入室受付前(再送待ち)",
    "session_closed": "終了後の送信",
    "out_of_order": "順序の入れ替わり(再送待ち)",
    "stale": "より新しい情報を反映済み",
    "not_in_space": "いないスペースからの退出",
    "conflict": "同じIDで別の内容",
}
assert set(REASON_LABELS) == set(REASONS)


def health(db: Session, state: LiveState, *, now: datetime | None = None) -> Health:
    now = now or utcnow()
    platform = (EventRow.meetup_id == state.meetup_id) & col(EventRow.command_id).like(PLATFORM)
    last, events = db.exec(select(func.max(EventRow.at), func.count()).where(platform)).one()
    if last is not None and last.tzinfo is None:
        last = last.replace(tzinfo=now.tzinfo)
    since_day = now - timedelta(days=1)
    reasons = db.exec(
        select(PlatformRefusal.reason, func.count())
        .where(
            (PlatformRefusal.meetup_id == state.meetup_id)
            | (col(PlatformRefusal.meetup_id).is_(None) & (PlatformRefusal.at >= since_day))
        )
        .group_by(PlatformRefusal.reason)
    ).all()
    quiet = None
    if state.is_open and state.opened_at is not None:
        heard = max(last or state.opened_at, state.opened_at)
        if now - heard >= timedelta(minutes=settings.PLATFORM_QUIET_MINUTES):
            quiet = heard
    return Health(
        last_event_at=last, events=events, refused=Counter(dict(reasons)), quiet_since=quiet
    )
