"""Retention and disposal at the contract's end (spec 12(5)(オ), 8(5)) by crypto-shredding.

A run has three steps, each in the audit trail: the manager *prepares* it (a dry run: the
kinds of personal data and how many records of each would go, kept with the run), a ward
login *approves* it, and the manager *carries it out*; until then either may *withdraw* it. Carrying out waits until the cases
still open were handed to the helpline (8(5): `ready`, given by the reports layer); then the
reports are kept in a form that needs no personal data (`before_shred`, also given by the
reports layer), and every data key is destroyed but a new one holding the `KEPT` columns
(`store.shred`). The rows and the event log's structure stay; a personal value reads
「廃棄済み」 from then on. There is one disposal: a second one, or one without the ward's
approval, is refused and changes nothing.
"""

import json
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import String, func, or_, select, type_coerce
from sqlalchemy.engine import Engine
from sqlmodel import Session, col

from console import settings
from console.core.errors import Refused
from console.security import audit
from console.security.models import Disposal
from console.security.roles import Role
from console.store import crypto, shred
from console.store.columns import utcnow
from console.store.db import transaction

# Encrypted columns (by their context) that are not the participants' personal data and must
# outlive a disposal: the figures and documents reports are made of, and the console's own
# staff (their second factors and roster contacts, needed to keep signing in).
KEPT = frozenset(
    {
        "figures_cache.data",
        "monthly.snapshot",
        "monthly.notable",
        "monthly.ward_items",
        "kept_report.document",
        "staff_factor.secret",
        "staff_profile.phone",
        "staff_profile.email",
        "staff_profile.emergency_contact",
    }
)


@dataclass(frozen=True)
class Kind:
    key: str
    label: str
    setting: str  # the retention setting, in days
    prefixes: tuple[str, ...]  # the contexts (before their first ".") of its columns


KINDS = (
    Kind(
        "participant",
        "参加者・申込者(氏名・住所・生年月日・メール・コード・表示名)",
        "RETENTION_PARTICIPANT_DAYS",
        ("participant", "person", "application", "credential"),
    ),
    Kind(
        "consultation",
        "相談記録(相談内容・回答・引継ぎ)",
        "RETENTION_CONSULTATION_DAYS",
        ("consultation", "record_sharing", "handoff"),
    ),
    Kind(
        "care",
        "支援記録(フォローアップ・支援計画・メモ)",
        "RETENTION_CARE_DAYS",
        (
            "follow_up",
            "block_decision",
            "support_plan",
            "plan_stage",
            "support_need",
            "leak_case",
            "leak_update",
        ),
    ),
    Kind(
        "log",
        "記録・連絡(イベント内容・通報・メール・アンケート自由記述・持出理由)",
        "RETENTION_LOG_DAYS",
        (),
    ),
)


# What each table holding personal data is called on the pages and the certificate.
TABLE_LABELS = {
    "application": "申込",
    "person": "申込者",
    "participant": "参加者",
    "credentialnotice": "ID・パスワードの通知",
    "consultationrecord": "相談記録",
    "recordsharing": "窓口への共有の設定",
    "handoff": "窓口への引継ぎ",
    "followup": "フォローアップ",
    "blockdecision": "ブロックの判断",
    "supportplan": "段階的支援の計画",
    "planstage": "支援の段階",
    "supportneed": "支援が必要な方の要約",
    "leakcase": "個人情報漏えいの疑い",
    "leakupdate": "漏えいの続報",
    "event": "セッションの記録",
    "block": "ブロック",
    "outboxmessage": "送信メール",
    "surveyresponse": "アンケートの回答",
    "takeoutrecord": "持出しの記録",
    "wardreport": "区への報告",
}


def kind_of(context: str) -> Kind:
    prefix = context.split(".", 1)[0].split(":", 1)[0]
    return next((k for k in KINDS if prefix in k.prefixes), KINDS[-1])


def retention_days(kind: Kind) -> int:
    return int(getattr(settings, kind.setting))


def personal_columns() -> list:
    """(table, column, context) of every encrypted column a disposal destroys."""
    return [(t, c, ctx) for t, c, ctx in crypto.sealed_columns() if ctx.fixed not in KEPT]


def counts(db: Session) -> dict[str, dict[str, int]]:
    """The dry run: kind key -> {table: records holding personal data}."""
    tables: dict[str, tuple[object, list]] = {}
    for table, column, context in personal_columns():
        tables.setdefault(table.name, (table, []))[1].append((column, context))
    found: dict[str, dict[str, int]] = {k.key: {} for k in KINDS}
    for name, (table, columns) in sorted(tables.items()):
        held = or_(*(type_coerce(c, String).is_not(None) for c, _ in columns))
        number = db.execute(select(func.count()).select_from(table).where(held)).scalar_one()
        found[kind_of(columns[0][1].fixed).key][name] = number
    return found


def _newest(db: Session, *, withdrawn: bool) -> Disposal | None:
    when = col(Disposal.withdrawn_at)
    newest = (
        select(Disposal)
        .where(when.is_not(None) if withdrawn else when.is_(None))
        .order_by(col(Disposal.id).desc())
        .limit(1)
    )
    return db.execute(newest).scalars().first()


def latest(db: Session) -> Disposal | None:
    """The run in force: the newest one not withdrawn."""
    return _newest(db, withdrawn=False)


def last_withdrawn(db: Session) -> Disposal | None:
    return _newest(db, withdrawn=True)


def _refuse_if_done(db: Session) -> None:
    if db.execute(select(Disposal.id).where(col(Disposal.done_at).is_not(None))).first():
        raise Refused("廃棄は既に実施済みです。2回目の廃棄はできません。", status=409)


def prepare(engine: Engine, *, staff_id: int) -> int:
    """Record a prepared run with its dry-run counts. It replaces the run in force, which is
    withdrawn (an approval of it no longer counts: the ward approves the new counts)."""
    with transaction(engine) as db:
        _refuse_if_done(db)
        earlier = latest(db)
        if earlier is not None:
            earlier.withdrawn_at, earlier.withdrawn_by = utcnow(), staff_id
            earlier.withdrawn_reason = "準備し直したため"
            db.add(earlier)
        row = Disposal(prepared_by=staff_id, counts=json.dumps(counts(db), sort_keys=True))
        db.add(row)
        db.flush()
        audit.record(db, action="disposal.prepare", staff_id=staff_id, target=f"disposal:{row.id}")
        return row.id


def _in_force(db: Session, disposal_id: int) -> Disposal:
    """The run `disposal_id`, refused unless it is the one in force and not yet done."""
    _refuse_if_done(db)
    row = latest(db)
    if row is None or row.id != disposal_id:
        raise Refused(
            "この廃棄の準備は最新ではありません。画面を再読み込みしてください。", status=409
        )
    return row


def approve(engine: Engine, *, disposal_id: int, staff_id: int, role: str) -> None:
    """The ward's approval of the run `disposal_id` (the latest one prepared)."""
    if role != Role.WARD:
        raise Refused("廃棄の承認は区職員のログインで行ってください。", status=403)
    with transaction(engine) as db:
        row = _in_force(db, disposal_id)
        if row.approved_at is not None:
            raise Refused("この廃棄は既に承認されています。", status=409)
        row.approved_at, row.approved_by = utcnow(), staff_id
        db.add(row)
        audit.record(db, action="disposal.approve", staff_id=staff_id, target=f"disposal:{row.id}")


def withdraw(engine: Engine, *, disposal_id: int, staff_id: int, reason: str) -> None:
    """Withdraw the run `disposal_id` before it is carried out; nothing else changes, and a
    new run can be prepared (and must be approved again)."""
    with transaction(engine) as db:
        row = _in_force(db, disposal_id)
        row.withdrawn_at, row.withdrawn_by, row.withdrawn_reason = utcnow(), staff_id, reason
        db.add(row)
        audit.record(db, action="disposal.withdraw", staff_id=staff_id, target=f"disposal:{row.id}")


def carry_out(
    engine: Engine,
    *,
    staff_id: int,
    ready: Callable[[Session, Disposal], None],
    before_shred: Callable[[Engine], None],
) -> int:
    """Crypto-shred the personal data under the approved run; returns its id. `ready` refuses
    when something must come first (the helpline handover, given by the reports layer)."""
    with Session(engine) as db:
        _refuse_if_done(db)
        row = latest(db)
        if row is None or row.approved_at is None:
            raise Refused(
                "区の承認がないため廃棄できません。準備した廃棄を区職員に承認してもらってください。",
                status=409,
            )
        ready(db, row)
        disposal_id = row.id
    audit.record_now(
        engine, action="disposal.start", staff_id=staff_id, target=f"disposal:{disposal_id}"
    )
    before_shred(engine)
    destroyed = shred.shred(engine, KEPT)
    with transaction(engine) as db:
        row = db.get(Disposal, disposal_id)
        row.done_at, row.done_by, row.keys = utcnow(), staff_id, ",".join(destroyed)[:400]
        db.add(row)
        audit.record(
            db, action="disposal.done", staff_id=staff_id, target=f"disposal:{disposal_id}"
        )
    return disposal_id


def counted(row: Disposal) -> list[tuple[Kind, dict[str, int], int]]:
    """A run's counts by kind: (kind, {table: records}, total)."""
    data = json.loads(row.counts)
    return [(k, data.get(k.key, {}), sum(data.get(k.key, {}).values())) for k in KINDS]
