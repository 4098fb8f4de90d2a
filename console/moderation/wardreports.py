"""Reports to the ward (発注者): every forced exit (spec 6(1)⑥オ) and every incident (spec 9).

A report is written, and its email queued, in the same transaction as the event it reports.
The email only says that a report exists and where to read it: no participant ID, name or
reason leaves the console by mail.
It is written for the ward: structured facts — the service, date and time, space, the
participant ID (the ward holds the registration records), the reason codes and times of the
flags and warnings that led to it, the roles of the staff involved — plus the one text the
manager (or whoever records an incident) writes for the ward, labelled as such on the form.
Staff memos, the wording of warnings, reasons typed for the staff and an incident's own record
never reach the ward unless that text quotes them.
"""

from sqlmodel import Session, col, select

from console import settings
from console.core import forms
from console.core.templating import jst_date, jst_datetime
from console.live.eventlog import recorded
from console.live.events import Recorded
from console.live.models import EventRow, Meetup
from console.moderation import events as ev
from console.moderation.models import WardReport
from console.moderation.vocab import FlagReason, IncidentKind
from console.security.models import Staff
from console.security.roles import Role
from console.session.models import Participant
from console.session.state import LiveState
from console.session.vocab import MeetupKind, Space
from console.settings import TZ
from console.store import outbox

SUBJECT_PREFIX = "【港区ひきこもり居場所支援】"


def _when(event: Recorded) -> str:
    return jst_datetime(event.at)


FOR_WARD_MAX = 1000
NOTHING_WRITTEN = "(記載なし)"


def text_for_ward(form) -> str:
    """The text a form's author writes for the ward (optional)."""
    return forms.text(
        form, "for_ward", label="区への報告に記載する内容", max_len=FOR_WARD_MAX, required=False
    )


def _staff_role(db: Session, staff_id: int | None) -> str:
    staff = db.get(Staff, staff_id) if staff_id else None
    role = Role.parse(staff.role) if staff else None
    return role.label if role else "自動"


def _file(db: Session, event: Recorded, *, kind: str, title: str, lines: list[str]) -> None:
    meetup = db.get(Meetup, event.meetup_id)
    kind_label = MeetupKind.parse(meetup.kind)
    service = kind_label.label if kind_label else meetup.kind
    subject = f"{SUBJECT_PREFIX}{title} {_when(event)}"
    body = "\n".join(
        [
            f"{title}",
            "",
            f"開催回: {jst_date(meetup.date)} {service}",
            *lines,
            "",
            "本メールはセッションコンソールから自動送信しています。",
        ]
    )
    db.add(
        WardReport(
            meetup_id=event.meetup_id, event_seq=event.seq, kind=kind, subject=subject, body=body
        )
    )
    outbox.enqueue(
        db,
        key=f"ward-report:{event.meetup_id}:{event.seq}",
        to_addr=settings.WARD_REPORT_ADDRESS,
        subject=subject,
        body=notice(title, service=service, day=jst_date(meetup.date)),
    )


def notice(title: str, *, service: str, day: str) -> str:
    """The email: that a report exists and where to read it. The report itself (participant
    ID, circumstances) stays in the console, behind the ward's login (spec 12)."""
    where = f"{settings.PUBLIC_BASE_URL.rstrip('/')}/reports" if settings.PUBLIC_BASE_URL else ""
    return "\n".join(
        [
            f"{title}がセッションコンソールに登録されました。",
            "",
            f"開催回: {day} {service}",
            f"内容はセッションコンソールの「区への報告」でご確認ください。{where}",
            "(個人情報保護のため、このメールには報告の内容を記載していません。)",
            "",
            "本メールはセッションコンソールから自動送信しています。",
        ]
    )


def _leading_to(db: Session, event: Recorded, before: LiveState) -> list[Recorded]:
    """The warnings since this participant's previous forced exit in this meetup, and the
    flags still open or acted on by those warnings. Dismissed flags are not reported."""
    pid = event.body.participant_id
    rows = db.exec(
        select(EventRow)
        .where(EventRow.meetup_id == event.meetup_id, EventRow.participant_id == pid)
        .where(
            col(EventRow.type).in_([ev.FlagRaised.type, ev.WarningGiven.type, ev.ForcedExit.type])
        )
        .where(EventRow.seq < event.seq)
        .order_by(EventRow.seq)
    )
    history = [recorded(row) for row in rows]
    last_exit = max((e.seq for e in history if isinstance(e.body, ev.ForcedExit)), default=0)
    warnings = [e for e in history if isinstance(e.body, ev.WarningGiven) and e.seq > last_exit]
    flag_seqs = {f.seq for f in before.open_flags.values() if f.participant_id == pid}
    flag_seqs |= {w.body.flag_seq for w in warnings if w.body.flag_seq}
    flags = [e for e in history if e.seq in flag_seqs]
    return sorted(warnings + flags, key=lambda e: e.seq)


def forced_exit(db: Session, event: Recorded, before: LiveState) -> None:
    body: ev.ForcedExit = event.body
    participant = db.get(Participant, body.participant_id)
    history = _leading_to(db, event, before)
    steps = []
    for past in history:
        time = past.at.astimezone(TZ).strftime("%H:%M")
        role = _staff_role(db, past.actor_id)
        if isinstance(past.body, ev.FlagRaised):
            steps.append(f"  {time} 通報({FlagReason(past.body.reason).label}) 記録: {role}")
        else:
            steps.append(f"  {time} 事前通告({FlagReason(past.body.rule).label}) 通告: {role}")
    roles = {_staff_role(db, e.actor_id) for e in history} | {_staff_role(db, event.actor_id)}
    kind = (
        "即時の強制退室(危険等のため事前通告を待たずに実施)"
        if body.immediate
        else "事前通告後の強制退室"
    )
    _file(
        db,
        event,
        kind="forced_exit",
        title="強制退室のご報告",
        lines=[
            f"日時: {_when(event)}",
            f"参加者ID: {participant.code if participant else body.participant_id}",
            f"場所: {Space(body.space).label}",
            f"区分: {kind}",
            "経緯:",
            *(steps or ["  (記録された通報・事前通告はありません)"]),
            f"対応職員: {'、'.join(sorted(roles))}",
            f"管理者からの報告: {body.for_ward or NOTHING_WRITTEN}",
        ],
    )


def incident(db: Session, event: Recorded, before: LiveState) -> None:
    body: ev.IncidentRecorded = event.body
    _file(
        db,
        event,
        kind="incident",
        title="事故・トラブルのご報告",
        lines=[
            f"日時: {_when(event)}",
            f"種別: {IncidentKind(body.kind).label}",
            f"警察への通報: {'あり' if body.police else 'なし'}",
            f"消防・救急への通報: {'あり' if body.fire else 'なし'}",
            f"記録した職員: {_staff_role(db, event.actor_id)}",
            f"報告内容: {body.for_ward or NOTHING_WRITTEN}",
        ],
    )
