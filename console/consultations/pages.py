"""Consultation records and helpline handoffs: the pages counsellors and the manager use.

Reading a record is reading personal data: each read leaves one audit entry. The ward role
and the facilitator/support roles never reach these pages (permission table).
"""

from sqlmodel import col, select
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from console import settings
from console.consultations.events import ConsultationRecordSaved
from console.consultations.models import ConsultationRecord, Handoff
from console.consultations.queries import sharing
from console.consultations.sharing import minimal_summary
from console.core.pages import page, refuse
from console.live import eventlog
from console.live.commands import command_response
from console.live.events import Recorded
from console.live.models import Meetup
from console.security.auth import guarded
from console.security.models import AuditEntry
from console.security.permissions import Action
from console.security.reauth import confirm_first
from console.session.models import Participant
from console.session.vocab import AgeBracket, Gender
from console.store.db import transaction
from console.store.models import OutboxMessage

RECORD_COMMANDS = {
    "record_save",
    "handoff_prepare",
    "handoff_confirm",
    "handoff_phone",
    "share_waive",
}


def _audit(db, staff_id: int, action: str, target: str) -> None:
    db.add(AuditEntry(staff_id=staff_id, action=action, target=target))


def amendments(db, meetup: Meetup, record_id: int) -> list[Recorded]:
    """The saves that changed this record after it was complete, oldest first (from the log,
    where each keeps its reason)."""
    saves = eventlog.recent(
        db,
        meetup.id,
        upto=meetup.last_seq,
        limit=meetup.last_seq,
        type_=ConsultationRecordSaved.type,
    )
    return [e for e in reversed(saves) if e.body.record_id == record_id and e.body.amend_reason]


@guarded(Action.READ_RECORD)
async def records(request: Request) -> Response:
    def read():
        with transaction(request.app.state.engine) as db:
            _audit(db, request.state.staff.id, "consultations.list", "all")
            rows = db.exec(
                select(ConsultationRecord, Meetup, Participant)
                .join(Meetup, Meetup.id == ConsultationRecord.meetup_id)
                .join(Participant, Participant.id == ConsultationRecord.participant_id)
                .order_by(
                    col(ConsultationRecord.complete), col(ConsultationRecord.started_at).desc()
                )
                .limit(300)
            ).all()
            pending = db.exec(
                select(Handoff).where(
                    Handoff.method == "email", col(Handoff.confirmed_by).is_(None)
                )
            ).all()
            shares = sharing(db, [r.id for r, _, _ in rows if r.complete])
            return rows, pending, shares

    rows, pending, shares = await run_in_threadpool(read)
    directory = await run_in_threadpool(request.app.state.hub.directory, 0)
    return page(
        request,
        "consultations/records.html",
        rows=rows,
        pending=pending,
        shares=shares,
        d=directory,
    )


@guarded(Action.READ_RECORD)
async def record(request: Request) -> Response:
    if confirm := confirm_first(request):  # the password or the factor, recently (12(6)(イ))
        return confirm
    record_id = request.path_params["record_id"]

    def read():
        with transaction(request.app.state.engine) as db:
            found = db.get(ConsultationRecord, record_id)
            if found is None:
                return None
            _audit(db, request.state.staff.id, "consultation.read", f"record:{record_id}")
            handoffs = db.exec(
                select(Handoff).where(Handoff.record_id == record_id).order_by(Handoff.id)
            ).all()
            keys = [f"handoff:{h.id}" for h in handoffs]
            mails = {
                m.key: m
                for m in db.exec(select(OutboxMessage).where(col(OutboxMessage.key).in_(keys)))
            }
            person = db.get(Participant, found.participant_id)
            meetup = db.get(Meetup, found.meetup_id)
            return (
                found,
                person,
                meetup,
                [(h, mails.get(f"handoff:{h.id}")) for h in handoffs],
                amendments(db, meetup, found.id),
                sharing(db, [found.id])[found.id],
            )

    found = await run_in_threadpool(read)
    if found is None:
        return refuse(request, "相談記録が見つかりません。", 404)
    rec, person, meetup, handoffs, amended, share = found
    directory = await run_in_threadpool(request.app.state.hub.directory, 0)
    return page(
        request,
        "consultations/record.html",
        rec=rec,
        person=person,
        meetup=meetup,
        handoffs=handoffs,
        amended=amended,
        share=share,
        d=directory,
        topics=settings.CONSULTATION_TOPICS,
        summary=minimal_summary(rec),
        helpline=settings.HELPLINE_ADDRESS,
        AgeBracket=AgeBracket,
        Gender=Gender,
    )


@guarded(Action.READ_RECORD)
async def record_command(request: Request) -> Response:
    name = request.path_params["name"]
    if name not in RECORD_COMMANDS:
        return refuse(request, "不明な操作です。", 404)

    def meetup_of(record_id: int) -> int | None:
        with transaction(request.app.state.engine) as db:
            found = db.get(ConsultationRecord, record_id)
            return found.meetup_id if found else None

    meetup_id = await run_in_threadpool(meetup_of, request.path_params["record_id"])
    if meetup_id is None:
        return refuse(request, "相談記録が見つかりません。", 404)
    extra = {"record_id": str(request.path_params["record_id"])}
    return await command_response(request, meetup_id=meetup_id, name=name, extra=extra)
