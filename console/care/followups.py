"""Follow-ups outside a session: made by hand, closed with an outcome, handed to another owner.

Each change is one transaction that writes the row and an audit entry naming it; bad input is
refused (a Japanese message) before anything is written.
"""

import datetime as dt
from collections.abc import Mapping

from sqlmodel import Session

from console.care.models import FollowUp
from console.care.vocab import NOTE_REQUIRED, Outcome, Why
from console.core import forms
from console.core.errors import Refused
from console.security.models import AuditEntry, Staff
from console.security.roles import Role
from console.session.models import Participant
from console.store.columns import utcnow

TASK_MAX = 1000
NOTE_MAX = 2000


def audit(db: Session, staff_id: int, action: str, target: str) -> None:
    db.add(AuditEntry(staff_id=staff_id, action=action, target=target))


def due_date(form: Mapping[str, str], *, today: dt.date) -> dt.date:
    due = forms.day(form.get("due"))
    if due is None:
        raise Refused("期限を正しく入力してください(例: 2026-12-20)。")
    if due < today:
        raise Refused("期限に過去の日付は指定できません。今日以降の日付を入力してください。")
    return due


def owner(db: Session, form: Mapping[str, str]) -> Staff:
    owner_id = forms.positive_id(form, "owner_id", label="担当者")
    staff = db.get(Staff, owner_id)
    if staff is None or not staff.active or staff.role == Role.WARD:
        raise Refused("担当者には在籍中の事業者の職員を選んでください。")
    return staff


def participant(db: Session, form: Mapping[str, str]) -> Participant:
    participant_id = forms.positive_id(form, "participant_id", label="参加者")
    found = db.get(Participant, participant_id)
    if found is None:
        raise Refused("参加者が見つかりません。")
    return found


def create(db: Session, staff_id: int, form: Mapping[str, str], *, today: dt.date) -> FollowUp:
    """A follow-up by hand (or from a staff note): who, why, what, whose, by when."""
    why = forms.choice(form, "why", Why, label="理由")
    if why not in (Why.BY_HAND, Why.STAFF_NOTE):
        raise Refused("手動で登録できる理由は「手動で登録」か「職員メモから」です。")
    task = forms.text(form, "task", label="対応内容", max_len=TASK_MAX)
    due = due_date(form, today=today)
    person = participant(db, form)
    follow_up = FollowUp(
        participant_id=person.id,
        why=why,
        task=task,
        owner_id=owner(db, form).id,
        due=due,
        created_by=staff_id,
    )
    db.add(follow_up)
    db.flush()
    audit(db, staff_id, "care.follow_up.create", f"follow_up:{follow_up.id}")
    return follow_up


def _open(db: Session, follow_up_id: int) -> FollowUp:
    found = db.get(FollowUp, follow_up_id)
    if found is None:
        raise Refused("フォローアップが見つかりません。", status=404)
    if found.done_at is not None:
        raise Refused("このフォローアップはすでに完了しています。")
    return found


def close(
    db: Session, staff_id: int, follow_up_id: int, form: Mapping[str, str], *, oversees: bool
) -> FollowUp:
    """Done, with an outcome; every outcome but 連絡した needs a note. Only its owner closes
    it, or a role that oversees care (who may also hand it over)."""
    outcome = forms.choice(form, "outcome", Outcome, label="結果")
    note = forms.text(
        form, "note", label="結果の記録", max_len=NOTE_MAX, required=outcome in NOTE_REQUIRED
    )
    follow_up = _open(db, follow_up_id)
    if follow_up.owner_id != staff_id and not oversees:
        raise Refused(
            "このフォローアップは担当者または管理者が完了にします"
            "(担当の変更は管理者が「期限超過・判断待ち」で行います)。",
            status=403,
        )
    follow_up.outcome, follow_up.note = outcome, note or None
    follow_up.done_at, follow_up.done_by = utcnow(), staff_id
    db.add(follow_up)
    audit(db, staff_id, f"care.follow_up.done.{outcome}", f"follow_up:{follow_up.id}")
    return follow_up


def hand_over(
    db: Session, staff_id: int, follow_up_id: int, form: Mapping[str, str], *, today: dt.date
) -> FollowUp:
    """Another owner or another due date."""
    new_owner = owner(db, form)
    due = due_date(form, today=today)
    follow_up = _open(db, follow_up_id)
    follow_up.owner_id, follow_up.due = new_owner.id, due
    db.add(follow_up)
    audit(db, staff_id, "care.follow_up.hand_over", f"follow_up:{follow_up.id}")
    return follow_up
