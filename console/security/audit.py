"""The audit trail: one append-only table whose rows are hash-chained.

Every row carries the hash of the row before it (`prev_hash`) and its own `hash`, the
SHA-256 of that previous hash and the row's content. Changing, removing or inserting a row
breaks the chain at that row, and `verify` names the first broken link. Rows get their
links when they are flushed (a session listener), so every writer — `record`,
`audited_read`, or a plain `db.add(AuditEntry(...))` — is chained the same way. On
PostgreSQL an advisory lock held to the end of the transaction keeps two writers from
linking to the same tail.

The text holds IDs and kinds only, never personal data.
"""

import hashlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TypeVar

from sqlalchemy import event, inspect, text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session as OrmSession
from sqlmodel import Session, col, select

from console.security.models import AuditEntry
from console.store.db import transaction

T = TypeVar("T")
GENESIS = "0" * 64
CHAIN_LOCK = 0x61756469745F636E  # "audit_cn": one writer extends the chain at a time


def link_hash(prev_hash: str, at: datetime, staff_id: int | None, action: str, target: str) -> str:
    """The hash of one link: its predecessor's hash and its own content."""
    when = at.astimezone(UTC) if at.tzinfo else at.replace(tzinfo=UTC)
    content = "\x1f".join(
        (prev_hash, when.isoformat(), "" if staff_id is None else str(staff_id), action, target)
    )
    return hashlib.sha256(content.encode()).hexdigest()


def install() -> None:
    """Chain every audit row any session flushes from now on (idempotent; `bootstrap` calls
    it at start-up)."""
    if not event.contains(OrmSession, "before_flush", _chain):
        event.listen(OrmSession, "before_flush", _chain)


def _chain(db: Session, flush_context, instances) -> None:
    new = sorted(
        (o for o in db.new if isinstance(o, AuditEntry)), key=lambda o: inspect(o).insert_order
    )
    if not new:
        return
    conn = db.connection()
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": CHAIN_LOCK})
    tail = conn.execute(
        select(AuditEntry.hash).order_by(col(AuditEntry.id).desc()).limit(1)
    ).scalar()
    prev = tail or GENESIS
    for entry in new:
        entry.prev_hash = prev
        entry.hash = prev = link_hash(prev, entry.at, entry.staff_id, entry.action, entry.target)


def record(db: Session, *, action: str, staff_id: int | None, target: str = "") -> None:
    """Add one entry to the chain, in the caller's transaction."""
    db.add(AuditEntry(staff_id=staff_id, action=action[:48], target=target[:128]))


def record_now(engine: Engine, *, action: str, staff_id: int | None, target: str = "") -> None:
    """Add one entry in a transaction of its own."""
    with transaction(engine) as db:
        record(db, action=action, staff_id=staff_id, target=target)


def audited_read(
    engine, staff_id: int, action: str, target: str, read: Callable[[Session], T]
) -> T:
    """Record who reads what (committed first: an attempt is audited too), then run `read` in
    a read transaction of its own, so a long read never holds the database's write lock."""
    record_now(engine, action=action, staff_id=staff_id, target=target)
    with Session(engine) as db:
        return read(db)


@dataclass(frozen=True)
class Broken:
    """The first link that does not hold, and why (Japanese)."""

    entry_id: int
    reason: str


def _rows(engine: Engine, batch: int = 1000) -> Iterator[AuditEntry]:
    last = 0
    while True:
        with Session(engine) as db:
            rows = db.exec(
                select(AuditEntry)
                .where(col(AuditEntry.id) > last)
                .order_by(col(AuditEntry.id))
                .limit(batch)
            ).all()
        if not rows:
            return
        yield from rows
        last = rows[-1].id


def verify(engine: Engine) -> tuple[int, Broken | None]:
    """Walk the chain from the start: how many links hold, and the first that does not."""
    prev, count = GENESIS, 0
    for row in _rows(engine):
        if row.prev_hash != prev:
            return count, Broken(row.id, "前の記録とのつながりが一致しません(削除または挿入)")
        if link_hash(prev, row.at, row.staff_id, row.action, row.target) != row.hash:
            return count, Broken(row.id, "記録の内容がハッシュと一致しません(改ざん)")
        prev, count = row.hash, count + 1
    return count, None


# What each kind of entry is about, by the part of its code before the first ".": the viewer
# shows 「ログイン(login.failed)」, the code staying for whoever reads the CSV.
TOPICS = {
    "login": "ログイン",
    "logout": "ログアウト",
    "reauth": "本人の再確認",
    "factor": "二要素認証",
    "key": "暗号鍵",
    "audit": "監査記録",
    "disposal": "個人情報の廃棄",
    "takeout": "持出し",
    "staff": "職員",
    "roster": "職員名簿",
    "participants": "参加者",
    "person": "申込者",
    "applications": "申込",
    "reception": "受付",
    "residency": "住民確認",
    "terms": "利用規約",
    "consultation": "相談記録",
    "consultations": "相談記録",
    "care": "支援記録",
    "moderation": "通報・通告・退室・ブロック",
    "blocks": "ブロック",
    "summary": "開催回のまとめ",
    "monthly": "月次報告書",
    "ward_reports": "区への報告",
    "survey": "アンケート",
}


def label(action: str) -> str:
    topic = TOPICS.get(action.split(".", 1)[0])
    return f"{topic}({action})" if topic else action


def kinds(db: Session) -> list[str]:
    """The kinds of entry the trail holds (for the viewer's filter)."""
    return list(db.exec(select(AuditEntry.action).distinct().order_by(AuditEntry.action)))
