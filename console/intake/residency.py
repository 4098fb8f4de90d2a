"""The ward's residency check (spec 6(1)④イ, 6(3)④, 6(4)⑧): a queue showing only what the
check needs, results one by one or as a CSV the ward's own system reads and writes. A person
confirmed once is not checked again in the same fiscal year."""

import csv
import io
from dataclasses import dataclass

from sqlmodel import Session, col, select

from console.core import forms
from console.core.errors import Refused
from console.intake.models import Application, Person
from console.intake.personal import PersonalData, unseal
from console.intake.vocab import ApplicationStatus, Residency

PENDING = (ApplicationStatus.RECEIVED, ApplicationStatus.CHECKING)
RESULTS = {"確認済": Residency.CONFIRMED, "対象外": Residency.INELIGIBLE}
HEADER = ["申込番号", "氏名", "ふりがな", "住所", "生年月日", "結果", "理由"]
REASON_MAX = 200


@dataclass(frozen=True)
class ToCheck:
    application: Application
    person: Person
    data: PersonalData


def pending(db: Session) -> list[ToCheck]:
    rows = db.exec(
        select(Application, Person)
        .join(Person, Person.id == Application.person_id)
        .where(col(Application.status).in_(PENDING))
        .order_by(Application.received_at, Application.id)
    ).all()
    return [ToCheck(a, p, unseal(p)) for a, p in rows]


def record(db: Session, *, application_id: int, result: str, reason: str) -> Application:
    """The ward's answer for one application (and the person, for its fiscal year)."""
    residency = Residency.parse(result)
    if residency not in (Residency.CONFIRMED, Residency.INELIGIBLE):
        raise Refused("確認の結果を選んでください。")
    reason = forms.clean(
        reason, label="対象外の理由", max_len=REASON_MAX, required=residency == Residency.INELIGIBLE
    )
    application = db.get(Application, application_id)
    if application is None or application.status not in PENDING:
        raise Refused(
            "この申込は確認待ちではありません(すでに確認済みの可能性があります)。", status=409
        )
    person = db.get(Person, application.person_id)
    person.residency, person.checked_fiscal_year = residency, application.fiscal_year
    application.status = (
        ApplicationStatus.CONFIRMED
        if residency == Residency.CONFIRMED
        else ApplicationStatus.INELIGIBLE
    )
    application.reason = reason or None
    db.add(person)
    db.add(application)
    # Other applications of the same person for the same year need no second check.
    for other in db.exec(
        select(Application).where(
            Application.person_id == person.id,
            Application.fiscal_year == application.fiscal_year,
            col(Application.status).in_(PENDING),
        )
    ):
        other.status = application.status
        db.add(other)
    return application


def export_csv(db: Session) -> bytes:
    """The pending list for the ward's own system (marks them 区へ確認中)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(HEADER)
    for item in pending(db):
        d = item.data
        writer.writerow(
            [item.application.id, d.name, d.kana, d.address, d.birth_date.isoformat(), "", ""]
        )
        item.application.status = ApplicationStatus.CHECKING
        db.add(item.application)
    return out.getvalue().encode("utf-8-sig")


def import_csv(db: Session, raw: bytes) -> int:
    """Apply the ward's results; a malformed file is refused whole, naming the line."""
    text = None
    # UTF-8 as exported, or Shift_JIS (cp932), which Excel's 「CSV (コンマ区切り)」 saves.
    for encoding in ("utf-8-sig", "cp932"):
        try:
            text = raw.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    if text is None:
        raise Refused(
            "ファイルを読み取れませんでした。Excelでは「CSV UTF-8 (コンマ区切り)」"
            "または「CSV (コンマ区切り)」で保存してください。"
        )
    rows = list(csv.reader(io.StringIO(text)))
    if not rows or rows[0][: len(HEADER)] != HEADER:
        raise Refused(f"1行目の見出しが違います。「{','.join(HEADER)}」にしてください。")
    answers = []
    for number, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        if len(row) < len(HEADER):
            raise Refused(f"{number}行目: 列の数が足りません。")
        application_id = forms.record_id(row[0])
        result = RESULTS.get(row[5].strip())
        if application_id is None or result is None:
            raise Refused(f"{number}行目: 申込番号か結果(確認済・対象外)が正しくありません。")
        try:
            reason = forms.clean(
                row[6], label="理由", max_len=REASON_MAX, required=result == Residency.INELIGIBLE
            )
        except Refused as refused:
            raise Refused(f"{number}行目: {refused.message}") from None
        answers.append((number, application_id, result, reason))
    for number, application_id, result, reason in answers:
        try:
            record(db, application_id=application_id, result=result, reason=reason)
        except Refused as refused:
            raise Refused(f"{number}行目: {refused.message}", status=refused.status) from None
    return len(answers)
