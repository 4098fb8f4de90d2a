"""Reports kept by a disposal run: each month's document as it stood, so the reports of the
year read the same once the personal data they were computed from is destroyed.

A kept document carries the month's figures, tables and survey texts; the free texts ① and ③
belong to the report version that shows it (`with_text`). After a disposal a closed session's
kept figures are used even when the staff roster has changed since: the log they came from
can no longer be read again.
"""

from dataclasses import replace

from sqlmodel import Session, col, select

from console.reports.documents import Document
from console.reports.models import KeptReport
from console.security.models import Disposal

EMPTY = "特になし"


def kept_document(db: Session, year: int, month: int) -> Document | None:
    row = _row(db, year, month)
    return None if row is None else Document.from_json(row.document)


def with_text(document: Document, notable: str, ward_items: str) -> Document:
    """`document` with the free texts ① (first) and ③ (last) of a version."""
    (first, _), *middle, (last, _) = document.texts
    texts = ((first, notable or EMPTY), *middle, (last, ward_items or EMPTY))
    return replace(document, texts=tuple(texts))


def disposed(db: Session) -> bool:
    """Whether a disposal has destroyed the log's personal data."""
    found = db.exec(select(Disposal.id).where(col(Disposal.done_at).is_not(None)).limit(1))
    return found.first() is not None


def _row(db: Session, year: int, month: int) -> KeptReport | None:
    query = select(KeptReport).where(KeptReport.year == year, KeptReport.month == month)
    return db.exec(query).first()


def keep(db: Session, year: int, month: int, document: Document) -> None:
    row = _row(db, year, month) or KeptReport(year=year, month=month, document="")
    row.document = document.to_json()
    db.add(row)
