"""Monthly report versions: draft → finalised; a correction is the next version.

A draft is computed from the log whenever it is read, so it always shows what was recorded;
only its free text is stored. Finalising stores the whole document (counts only) and the row is
never written again: `save_text` and `finalise` refuse a finalised version. `correct` opens the
next version as a draft that carries the free text over and must say why it exists; the page
lists its differences from the version before.
"""

from contextlib import contextmanager
from dataclasses import dataclass

from sqlalchemy import event, inspect
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from console.core import forms
from console.core.errors import Refused
from console.reports.documents import Change, Document, differences
from console.reports.models import MonthlyReport
from console.reports.monthly_document import FreeText, build_monthly
from console.store.columns import utcnow
from console.store.db import transaction

TEXT_LIMIT = 4000
REASON_LIMIT = 500


@event.listens_for(MonthlyReport, "before_update")
def _finalised_rows_never_change(mapper, connection, target: MonthlyReport) -> None:
    history = inspect(target).attrs.status.history
    stored = (history.deleted or history.unchanged or [None])[0]
    if stored == "final":
        raise Refused("確定済みの報告書は変更できません。", status=409)


@dataclass(frozen=True)
class Version:
    row: MonthlyReport
    document: Document  # manager's view: exact figures and free text
    changes: list[Change] | None  # against the previous version; None for the first


def versions(db: Session, year: int, month: int) -> list[MonthlyReport]:
    query = select(MonthlyReport).where(MonthlyReport.year == year, MonthlyReport.month == month)
    return list(db.exec(query.order_by(col(MonthlyReport.version))))


def document_of(db: Session, row: MonthlyReport) -> Document:
    if row.snapshot is not None:
        return Document.from_json(row.snapshot)
    return build_monthly(db, row.year, row.month, FreeText(row.notable, row.ward_items))


def read(db: Session, year: int, month: int, version: int | None = None) -> Version | None:
    """One version (the latest when `version` is None) with its changes, or None."""
    rows = versions(db, year, month)
    if version is not None:
        rows = [r for r in rows if r.version <= version]
    if not rows:
        return None
    row = rows[-1]
    document = document_of(db, row)
    changes = differences(document_of(db, rows[-2]), document) if len(rows) > 1 else None
    return Version(row, document, changes)


def _checked_text(notable: str, ward_items: str) -> FreeText:
    return FreeText(
        forms.clean(notable, label="その他特筆すべき内容", max_len=TEXT_LIMIT, required=False),
        forms.clean(
            ward_items, label="その他発注者が指定した内容", max_len=TEXT_LIMIT, required=False
        ),
    )


def _latest(db: Session, year: int, month: int) -> MonthlyReport | None:
    rows = versions(db, year, month)
    return rows[-1] if rows else None


@contextmanager
def _written(engine):
    """A write transaction; a race with another writer of the same report is a clear refusal."""
    try:
        with transaction(engine) as db:
            yield db
    except IntegrityError:
        raise Refused(
            "同時に別の操作が記録されました。画面を再読み込みしてください。", status=409
        ) from None


def save_text(engine, *, year: int, month: int, staff_id: int, notable: str, ward_items: str):
    """Store the draft's free text, creating version 1 when the month has none yet."""
    text = _checked_text(notable, ward_items)
    with _written(engine) as db:
        row = _latest(db, year, month)
        if row is not None and row.status == "final":
            raise Refused(
                "確定済みの報告書は編集できません。訂正する場合は訂正版を作成してください。",
                status=409,
            )
        if row is None:
            row = MonthlyReport(year=year, month=month, version=1, created_by=staff_id)
        row.notable, row.ward_items, row.updated_at = text.notable, text.ward_items, utcnow()
        db.add(row)
        db.flush()
        return row.version


def finalise(engine, *, year: int, month: int, version: int, staff_id: int) -> int:
    """Freeze the draft `version` (the form names it, so a stale page cannot finalise another)."""
    with _written(engine) as db:
        row = _latest(db, year, month)
        if row is None:
            row = MonthlyReport(year=year, month=month, version=1, created_by=staff_id)
        if row.version != version:
            raise Refused(
                "表示中の版が最新ではありません。画面を再読み込みしてください。", status=409
            )
        if row.status == "final":
            raise Refused("この版は既に確定しています。", status=409)
        row.snapshot = document_of(db, row).to_json()
        row.status, row.finalised_at, row.finalised_by = "final", utcnow(), staff_id
        db.add(row)
        db.flush()
        return row.version


def correct(engine, *, year: int, month: int, staff_id: int, reason: str) -> int:
    """Open the next version of a finalised report as a draft."""
    reason = forms.clean(reason, label="訂正の理由", max_len=REASON_LIMIT)
    with _written(engine) as db:
        row = _latest(db, year, month)
        if row is None or row.status != "final":
            raise Refused("訂正できるのは確定済みの報告書だけです。", status=409)
        draft = MonthlyReport(
            year=year,
            month=month,
            version=row.version + 1,
            notable=row.notable,
            ward_items=row.ward_items,
            correction_reason=reason,
            created_by=staff_id,
        )
        db.add(draft)
        db.flush()
        return draft.version
