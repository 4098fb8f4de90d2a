"""個人情報漏えいの疑い (spec 9(2)): recorded outside a session too, reported to the ward at
once, and followed by status updates until closed. Each report is one row (the chain) and one
email to `WARD_REPORT_ADDRESS` queued in the same transaction; each change is audited."""

import unicodedata
from collections.abc import Mapping
from datetime import datetime

from sqlmodel import Session, select

from console import settings
from console.care.followups import audit
from console.care.models import LeakCase, LeakUpdate
from console.core import forms
from console.core.errors import Refused
from console.core.templating import jst_datetime
from console.store import outbox
from console.store.columns import utcnow

TEXT_MAX = 4000
SUBJECT = "【港区ひきこもり居場所支援】個人情報漏えいの疑い(事案 L-{id}){kind}"
KINDS = {"first": "第一報", "update": "続報", "closing": "終結の報告"}


def _file(db: Session, case: LeakCase, *, kind: str, staff_id: int, text: str) -> LeakUpdate:
    update = LeakUpdate(case_id=case.id, kind=kind, by=staff_id, text=text)
    db.add(update)
    db.flush()
    count = "調査中" if case.affected_count is None else f"{case.affected_count}名"
    body = "\n".join(
        [
            f"個人情報漏えいの疑い(事案 L-{case.id}) {KINDS[kind]}",
            "",
            f"発覚日時: {jst_datetime(case.found_at)}",
            f"影響を受ける可能性のある人数: {count}",
            f"状況: {'終結' if case.closed_at else '対応中'}",
            "",
            text,
            "",
            "本メールはセッションコンソールから自動送信しています。",
        ]
    )
    outbox.enqueue(
        db,
        key=f"leak:{case.id}:{update.id}",
        to_addr=settings.WARD_REPORT_ADDRESS,
        subject=SUBJECT.format(id=case.id, kind=f" {KINDS[kind]}"),
        body=body,
    )
    audit(db, staff_id, f"care.leak.{kind}", f"leak_case:{case.id}")
    return update


def _count(form: Mapping[str, str]) -> int | None:
    raw = unicodedata.normalize("NFKC", form.get("affected_count") or "").strip()  # ３ is 3
    if not raw:
        return None
    found = forms.number(raw, low=0, high=1_000_000)
    if found is None:
        raise Refused("影響を受ける可能性のある人数は0以上の整数で入力してください(不明なら空欄)。")
    return found


def record(db: Session, staff_id: int, form: Mapping[str, str]) -> LeakCase:
    found = forms.local_datetime(form.get("found_at"))
    if found is None:
        raise Refused("発覚した日時を正しく入力してください(例: 2026-12-12T15:30)。")
    found_at = datetime.combine(*found, tzinfo=settings.TZ)
    if found_at > utcnow():
        raise Refused("発覚した日時に未来の日時は指定できません。")
    what = forms.text(form, "what", label="経緯", max_len=TEXT_MAX)
    affected = forms.text(
        form, "affected", label="影響を受ける可能性のある人・情報", max_len=TEXT_MAX
    )
    count = _count(form)
    report = forms.text(form, "report", label="区への第一報", max_len=TEXT_MAX)
    case = LeakCase(
        found_at=found_at,
        recorded_by=staff_id,
        what=what,
        affected=affected,
        affected_count=count,
    )
    db.add(case)
    db.flush()
    _file(db, case, kind="first", staff_id=staff_id, text=report)
    return case


def follow(db: Session, staff_id: int, case_id: int, form: Mapping[str, str]) -> LeakUpdate:
    """A status update, or (`close` ticked) the closing report."""
    text = forms.text(form, "report", label="区への報告内容", max_len=TEXT_MAX)
    closing = forms.checkbox(form, "close")
    count = _count(form)
    case = db.get(LeakCase, case_id)
    if case is None:
        raise Refused("事案が見つかりません。", status=404)
    if case.closed_at is not None:
        raise Refused("この事案はすでに終結しています。")
    if count is not None:
        case.affected_count = count
    if closing:
        case.closed_at = utcnow()
    db.add(case)
    return _file(db, case, kind="closing" if closing else "update", staff_id=staff_id, text=text)


def chain(db: Session, case_id: int) -> list[LeakUpdate]:
    query = select(LeakUpdate).where(LeakUpdate.case_id == case_id).order_by(LeakUpdate.id)
    return list(db.exec(query).all())
