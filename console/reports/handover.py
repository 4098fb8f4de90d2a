"""The handover to the helpline before disposal (spec 8(5)): when the work ends, the cases
still open go to the ward's hikikomori helpline first, so nobody falls through when the
console's personal data is destroyed.

An open case is a participant with an open follow-up, an active step-up plan, a standing
"in need of support" mark, or a complete consultation record that neither reached the
helpline nor was marked 「共有不要」. Each case says what the helpline needs to go on: who (ID,
the name shown, age bracket, district), what is left to do and by when, the plan and its
stages, the staff's summary, and each unshared record's minimal summary — the one a handoff
sends, and only where the participant consented or the policy did not ask for consent; a
record without consent is named by its number, its content withheld.

The document is a take-out of personal data (12(5)(エ)), recorded with its reason. Carrying
out a disposal is refused while cases are open and no handover was exported, or when any
case changed after the last export (`check_taken`, by the fingerprint in the take-out's
document name).
"""

import hashlib
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, select

from console.care import liaison
from console.care.models import FollowUp, PlanStage, SupportNeed, SupportPlan
from console.care.vocab import PlanStatus, StageKind, StageResult, Why, Wish
from console.consultations.models import ConsultationRecord, RecordSharing
from console.consultations.queries import sharing
from console.consultations.sharing import minimal_summary
from console.core.errors import Refused
from console.core.templating import pdf_of, templates
from console.security.models import Disposal, Staff, TakeoutRecord
from console.session.models import Participant

DOCUMENT = "helpline_handover"  # the take-out record's document: this, ":" and the fingerprint


@dataclass(frozen=True)
class Case:
    code: str
    name: str
    age: str
    district: str
    follow_ups: tuple[str, ...] = ()
    plan: str | None = None
    need: str | None = None
    records: tuple[str, ...] = ()


@dataclass(frozen=True)
class Handover:
    made_at: datetime
    cases: tuple[Case, ...]

    def tally(self) -> dict[str, int]:
        """Numbers only (what anyone seeing the disposal page may know)."""
        return {
            "people": len(self.cases),
            "follow_ups": sum(len(c.follow_ups) for c in self.cases),
            "plans": sum(1 for c in self.cases if c.plan),
            "needs": sum(1 for c in self.cases if c.need),
            "records": sum(len(c.records) for c in self.cases),
        }

    @property
    def document(self) -> str:
        """The take-out's document name, with a fingerprint of every case's every line: a
        handover whose cases changed since it was exported is not the one taken out."""
        digest = hashlib.sha256(repr(self.cases).encode()).hexdigest()[:16]
        return f"{DOCUMENT}:{digest}"


def _unshared(db: Session) -> list[tuple[ConsultationRecord, bool]]:
    """Complete records neither shared nor marked 「共有不要」, each with whether its sharing
    needs the participant's consent."""
    waived = select(RecordSharing.record_id).where(col(RecordSharing.waived_at).is_not(None))
    complete = db.exec(
        select(ConsultationRecord)
        .where(
            col(ConsultationRecord.complete).is_(True), col(ConsultationRecord.id).not_in(waived)
        )
        .order_by(ConsultationRecord.id)
    ).all()
    states = sharing(db, [r.id for r in complete])
    return [(r, states[r.id].consent_required) for r in complete if states[r.id].shared is None]


def _record_line(record: ConsultationRecord, code: str, consent_required: bool) -> str:
    if consent_required and not record.helpline_consent:
        return f"受付番号 C-{record.id}: 本人の同意がないため内容は含めていません"
    return " / ".join(minimal_summary(record, participant_code=code).splitlines())


def _plan_line(db: Session, plan: SupportPlan) -> str:
    stages = db.exec(
        select(PlanStage).where(PlanStage.plan_id == plan.id).order_by(PlanStage.on)
    ).all()
    steps = "、".join(
        f"{StageKind(s.kind).label} {s.on:%Y-%m-%d}"
        f"({StageResult(s.result).label if s.result else '予定'})"
        for s in stages
    )
    return f"希望: {Wish(plan.wish).label}({plan.detail}) / 段階: {steps or '未設定'}"


def build(db: Session, *, now: datetime) -> Handover:
    """Every open case as of now, by participant ID."""
    owners = {s.id: s.display_name for s in db.exec(select(Staff))}
    follow_ups: dict[int, list[str]] = {}
    for f in db.exec(
        select(FollowUp).where(col(FollowUp.done_at).is_(None)).order_by(FollowUp.due)
    ).all():
        follow_ups.setdefault(f.participant_id, []).append(
            f"{Why(f.why).label}: {f.task}(期限 {f.due:%Y-%m-%d}、担当 "
            f"{owners.get(f.owner_id, '不明')})"
        )
    plans = {
        p.participant_id: _plan_line(db, p)
        for p in db.exec(select(SupportPlan).where(SupportPlan.status == PlanStatus.ACTIVE))
    }
    needs = {  # a re-worded summary replaces the earlier one
        n.participant_id: n.summary
        for n in db.exec(
            select(SupportNeed)
            .where(col(SupportNeed.cleared_at).is_(None))
            .order_by(SupportNeed.id)
        ).all()
    }
    unshared = _unshared(db)
    ids = set(follow_ups) | set(plans) | set(needs) | {r.participant_id for r, _ in unshared}
    people = {
        p.id: p for p in db.exec(select(Participant).where(col(Participant.id).in_(ids))).all()
    }
    records: dict[int, list[str]] = {}
    for r, consent_required in unshared:
        line = _record_line(r, people[r.participant_id].code, consent_required)
        records.setdefault(r.participant_id, []).append(line)
    cases = []
    for pid in sorted(ids, key=lambda i: people[i].code):
        who = liaison.person_of(people[pid])
        cases.append(
            Case(
                code=who.code,
                name=people[pid].display_name,
                age=who.age,
                district=who.district,
                follow_ups=tuple(follow_ups.get(pid, ())),
                plan=plans.get(pid),
                need=needs.get(pid),
                records=tuple(records.get(pid, ())),
            )
        )
    return Handover(made_at=now, cases=tuple(cases))


def to_pdf(handover: Handover) -> bytes:
    return pdf_of(templates.get_template("reports/handover_print.html").render(h=handover))


def last_taken(db: Session) -> TakeoutRecord | None:
    """The newest handover exported."""
    return db.exec(
        select(TakeoutRecord)
        .where(col(TakeoutRecord.document).startswith(f"{DOCUMENT}:"))
        .order_by(col(TakeoutRecord.id).desc())
        .limit(1)
    ).first()


def check_taken(db: Session, run: Disposal) -> None:
    """Refuse to dispose `run` while the open cases, as they are now, were not handed over."""
    current = build(db, now=run.prepared_at)
    people = len(current.cases)
    if people == 0:
        return
    taken = last_taken(db)
    if taken is None:
        raise Refused(
            f"未完了の案件が{people}名分あります。廃棄の前に、ヘルプラインへの引継ぎ資料を"
            "出力してください(仕様書 8(5))。",
            status=409,
        )
    if taken.document != current.document:
        raise Refused(
            f"引継ぎ資料の出力後に未完了の案件が変わりました(出力時 {taken.count}名、"
            f"現在 {people}名)。もう一度出力してから廃棄してください。",
            status=409,
        )
