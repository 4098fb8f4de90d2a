"""Take-out records (spec 12(5)(エ)): every download or print of a document holding personal
data is recorded — who, when, what, why, how many records — and listed for the manager.
Documents for the ward or for publication hold no personal data and are not recorded."""

import re

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select
from starlette.requests import Request

from console.core import forms
from console.security import audit
from console.security.models import TakeoutRecord
from console.store.db import transaction

REASON_MAX = 200
TAKEOUT_BY_FORM = (
    "個人情報を含む資料は、ページのフォームで持ち出しの理由を入力して出力してください"
    "(理由をアドレスや閲覧履歴に残さないため、リンクからは出力できません)。"
)


async def takeout_reason(request: Request) -> str:
    """The take-out's reason, one line from the POSTed form (never the URL: it would reach
    the server's log and the browser's history). Raises Refused."""
    value = (await request.form()).get("reason")
    form = {"reason": value if isinstance(value, str) else ""}
    return forms.one_line(form, "reason", label="持ち出しの理由", max_len=REASON_MAX)


def record_takeout(
    engine: Engine, *, staff_id: int, document: str, reason: str, count: int | None = None
) -> None:
    """Record one take-out, with its line in the audit trail, in a transaction of its own
    (before the document is handed over: an attempt is recorded too)."""
    with transaction(engine) as db:
        db.add(
            TakeoutRecord(
                staff_id=staff_id, document=document[:64], reason=reason[:REASON_MAX], count=count
            )
        )
        audit.record(db, action="takeout", staff_id=staff_id, target=document)


# What each document a take-out names is, in Japanese (the record keeps its file name).
DOCUMENTS = (
    (re.compile(r"roster\.pdf"), "実施体制図・職員名簿(PDF)"),
    (re.compile(r"residency_check\.csv"), "住民確認の一覧(CSV)"),
    (re.compile(r"liaison_pack:(\d{4})-(\d{2})"), "連絡会資料 {0}年{1:d}月(PDF)"),
    (re.compile(r"helpline_handover:\w+"), "ヘルプラインへの引継ぎ資料(PDF)"),
    (re.compile(r"summary_(\d+)_internal\.(\w+)"), "開催回 {0} のまとめ・管理者用({1})"),
    (
        re.compile(r"monthly_(\d{4})-(\d{2})_v(\d+)_internal\.(\w+)"),
        "月次報告書 {0}年{1:d}月 第{2}版・管理者用({3})",
    ),
)


def document_label(document: str) -> str:
    for pattern, label in DOCUMENTS:
        if found := pattern.fullmatch(document):
            parts = [int(p) if p.isdigit() else p.upper() for p in found.groups()]
            return label.format(*parts)
    return document


def recent(db: Session, *, limit: int) -> list[TakeoutRecord]:
    return list(db.exec(select(TakeoutRecord).order_by(col(TakeoutRecord.id).desc()).limit(limit)))
