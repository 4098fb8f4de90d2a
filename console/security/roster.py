"""The staff roster (spec 7(7), 12(2)(3)): accounts, roles, qualifications, contact details,
pledges and training. Every change is kept with its reason (`StaffChange`) and goes into the
audit chain; deactivating someone ends their logins at once."""

from dataclasses import dataclass
from datetime import date, datetime

from sqlmodel import Session, col, select

from console import settings
from console.core import forms
from console.core.errors import Refused
from console.security import audit, auth
from console.security.models import Staff, StaffChange, StaffProfile
from console.security.roles import Qualification, Role

MIN_PASSWORD = 10
ROLE_CHANGE = "role"


@dataclass(frozen=True)
class Member:
    staff: Staff
    profile: StaffProfile


def members(db: Session, *, active_only: bool = False) -> list[Member]:
    query = select(Staff).order_by(col(Staff.role), col(Staff.login_id))
    if active_only:
        query = query.where(col(Staff.active).is_(True))
    profiles = {p.staff_id: p for p in db.exec(select(StaffProfile))}
    return [Member(s, profiles.get(s.id) or StaffProfile(staff_id=s.id)) for s in db.exec(query)]


def _role(form) -> Role:
    role = Role.parse(form.get("role", ""))
    if role is None:
        raise Refused("役割を選んでください。")
    return role


def _qualification(form, role: Role) -> str | None:
    value = form.get("qualification") or ""
    qualification = Qualification.parse(value) if value else None
    if value and qualification is None:
        raise Refused("資格を一覧から選んでください。")
    if role == Role.COUNSELLOR and qualification is None:
        raise Refused("相談員には資格(またはピア相談員)を選んでください。")
    return qualification.value if qualification else None


def _note(db: Session, staff_id: int, by: int, change: str, reason: str = "") -> None:
    db.add(StaffChange(staff_id=staff_id, by_id=by, change=change, reason=reason))
    audit.record(
        db, action=f"staff.{change.split(':')[0]}", staff_id=by, target=f"staff:{staff_id}"
    )


def create(db: Session, form, *, by: int) -> Staff:
    login_id = forms.one_line(form, "login_id", label="ログインID", max_len=64).lower()
    if not all(c.isascii() and (c.isalnum() or c in "._-") for c in login_id):
        raise Refused("ログインIDは半角英数字と . _ - で入力してください。")
    name = forms.one_line(form, "display_name", label="氏名", max_len=64)
    role = _role(form)
    qualification = _qualification(form, role)
    password = form.get("password") or ""
    if len(password) < MIN_PASSWORD:
        raise Refused(f"初期パスワードは{MIN_PASSWORD}文字以上にしてください。")
    if db.exec(select(Staff).where(Staff.login_id == login_id)).first():
        raise Refused(f"ログインID「{login_id}」はすでに使われています。", status=409)
    staff = Staff(
        login_id=login_id,
        display_name=name,
        role=role,
        qualification=qualification,
        password_hash=auth.hash_password(password),
    )
    db.add(staff)
    db.flush()
    _note(db, staff.id, by, f"create:{role.value}")
    return staff


def _day(form, name: str, label: str) -> date | None:
    """A day that has happened (a submission, a pledge, a training): not in the future."""
    value = (form.get(name) or "").strip()
    if not value:
        return None
    day = forms.day(value)
    if day is None:
        raise Refused(f"{label}の日付が正しくありません(例: 2026-04-01)。")
    if day > datetime.now(settings.TZ).date():
        raise Refused(f"{label}が未来の日付になっています。")
    return day


def _training_days(form) -> str:
    raw = (form.get("training_days") or "").replace("、", ",").split(",")
    days = []
    for part in (p.strip() for p in raw):
        if not part:
            continue
        day = forms.day(part)
        if day is None:
            raise Refused(f"研修日「{part[:20]}」が正しくありません(例: 2026-04-01, 2026-10-01)。")
        if day > datetime.now(settings.TZ).date():
            raise Refused(f"研修日「{part[:20]}」が未来の日付になっています。")
        days.append(day.isoformat())
    return ",".join(sorted(set(days)))[:400]


def update_profile(db: Session, staff_id: int, form, *, by: int) -> None:
    if db.get(Staff, staff_id) is None:
        raise Refused("職員が見つかりません。", status=404)
    profile = db.get(StaffProfile, staff_id) or StaffProfile(staff_id=staff_id)
    profile.phone = forms.phone(form, "phone", label="電話番号")
    profile.email = forms.email(form, "email", label="メールアドレス", required=False)
    profile.emergency_contact = forms.text(
        form, "emergency_contact", label="緊急連絡先", max_len=200, required=False
    )
    profile.qualification_copy_on = _day(form, "qualification_copy_on", "資格証写し提出日")
    profile.pledge_on = _day(form, "pledge_on", "誓約書提出日")
    profile.training_days = _training_days(form)
    db.add(profile)
    _note(db, staff_id, by, "profile")


def change_role(db: Session, staff_id: int, form, *, by: int) -> None:
    staff = db.get(Staff, staff_id)
    if staff is None:
        raise Refused("職員が見つかりません。", status=404)
    if not staff.active:
        raise Refused("無効になったアカウントの役割は変更できません。", status=409)
    role = _role(form)
    qualification = _qualification(form, role)
    reason = forms.text(form, "reason", label="変更の理由", max_len=500)
    if staff.id == by and role != Role.MANAGER:
        raise Refused("自分の管理者権限は外せません(別の管理者に依頼してください)。", status=409)
    if (staff.role, staff.qualification) == (role.value, qualification):
        raise Refused("役割・資格が変わっていません。", status=409)
    change = f"{ROLE_CHANGE}:{staff.role}->{role.value}"
    staff.role, staff.qualification = role.value, qualification
    db.add(staff)
    _note(db, staff_id, by, change, reason)


def deactivate(db: Session, staff_id: int, form, *, by: int) -> list[str]:
    """Deactivate an account; the token hashes of the logins that ended (close their sockets)."""
    staff = db.get(Staff, staff_id)
    if staff is None:
        raise Refused("職員が見つかりません。", status=404)
    if staff.id == by:
        raise Refused("自分のアカウントは無効にできません。", status=409)
    if not staff.active:
        raise Refused("すでに無効になっています。", status=409)
    reason = forms.text(form, "reason", label="無効にする理由", max_len=500)
    if not forms.checkbox(form, "agree"):
        raise Refused("無効にすると元に戻せません。確認のチェックを入れてから無効にしてください。")
    staff.active = False
    db.add(staff)
    _note(db, staff_id, by, "deactivate", reason)
    return auth.end_sessions_of(db, staff_id)


def changes_since(db: Session, since) -> list[StaffChange]:
    query = select(StaffChange).order_by(col(StaffChange.id))
    if since is not None:
        query = query.where(col(StaffChange.at) > since)
    return list(db.exec(query))
