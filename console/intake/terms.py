"""Terms of use, versioned (spec 6(1)⑥イ, 6(3)⑦): the manager drafts, the ward approves, an
approved version never changes, and a newer approved version asks for fresh consent at the
next entry."""

from sqlmodel import Session, col, select

from console.core import forms
from console.core.errors import Refused
from console.intake.models import TermsVersion
from console.session.vocab import MeetupKind
from console.store.columns import utcnow

TEXT_MAX = 20000


def versions(db: Session) -> list[TermsVersion]:
    return list(
        db.exec(
            select(TermsVersion).order_by(TermsVersion.service, col(TermsVersion.version).desc())
        )
    )


def draft(db: Session, *, service: str, text: str, staff_id: int) -> TermsVersion:
    """A new draft, or the open draft of that service rewritten."""
    kind = MeetupKind.parse(service)
    if kind is None:
        raise Refused("サービスの種類が正しくありません。")
    text = forms.clean(text, label="利用規約の本文", max_len=TEXT_MAX)
    latest = db.exec(
        select(TermsVersion)
        .where(TermsVersion.service == kind)
        .order_by(col(TermsVersion.version).desc())
    ).first()
    if latest is not None and latest.approved_at is None:
        latest.text, latest.drafted_by, latest.drafted_at = text, staff_id, utcnow()
        db.add(latest)
        return latest
    version = TermsVersion(
        service=kind, version=(latest.version + 1) if latest else 1, text=text, drafted_by=staff_id
    )
    db.add(version)
    db.flush()
    return version


def approve(db: Session, *, terms_id: int, staff_id: int, checked: bool) -> TermsVersion:
    """The ward's approval: the version is shown to applicants at once and never changes."""
    if not checked:
        raise Refused(
            "承認した版は変更できず、すぐに申込ページに表示されます。"
            "本文を確認したら、確認のチェックを入れて承認してください。"
        )
    version = db.get(TermsVersion, terms_id)
    if version is None:
        raise Refused("利用規約の版が見つかりません。", status=404)
    if version.approved_at is not None:
        raise Refused("この版はすでに承認されています。", status=409)
    version.approved_by, version.approved_at = staff_id, utcnow()
    db.add(version)
    return version
