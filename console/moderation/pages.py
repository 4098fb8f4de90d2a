"""Pages for moderation records: a participant's history, the blocks list, ward reports.

Every one of them reads personal data, so every read leaves an audit entry.
"""

from datetime import datetime

from sqlmodel import col, select
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from console.core.pages import page, refuse
from console.live import eventlog
from console.live.models import EventRow, Meetup
from console.moderation import events as ev
from console.moderation.commands import current_block
from console.moderation.models import Block, WardReport
from console.security.audit import audited_read
from console.security.auth import guarded
from console.security.permissions import Action
from console.session.models import Participant
from console.settings import TZ
from console.store.models import OutboxMessage

MODERATION_TYPES = [
    ev.FlagRaised.type,
    ev.WarningGiven.type,
    ev.ForcedExit.type,
    ev.ParticipantBlocked.type,
    ev.ParticipantUnblocked.type,
    ev.EntryRefused.type,
    ev.ModerationNoteAdded.type,
]


@guarded(Action.VIEW_MODERATION)
async def history(request: Request) -> Response:
    participant_id = request.path_params["participant_id"]

    def read(db):
        person = db.get(Participant, participant_id)
        rows = db.exec(
            select(EventRow, Meetup)
            .join(Meetup, Meetup.id == EventRow.meetup_id)
            .where(EventRow.participant_id == participant_id)
            .where(col(EventRow.type).in_(MODERATION_TYPES))
            .order_by(col(EventRow.at).desc())
        ).all()
        entries = [(eventlog.recorded(row), meetup) for row, meetup in rows]
        return person, entries, current_block(db, participant_id), _latest_meetup(db)

    person, entries, block, latest = await run_in_threadpool(
        audited_read,
        request.app.state.engine,
        request.state.staff.id,
        "moderation.history",
        f"participant:{participant_id}",
        read,
    )
    if person is None:
        return refuse(request, "参加者が見つかりません。", 404)
    directory = await run_in_threadpool(request.app.state.hub.directory, 0)
    return page(
        request,
        "moderation/history.html",
        person=person,
        entries=entries,
        d=directory,
        block=block,
        latest=latest,
    )


def _latest_meetup(db) -> Meetup | None:
    today = datetime.now(TZ).date()
    return (
        db.exec(
            select(Meetup)
            .where(Meetup.date <= today)
            .order_by(col(Meetup.date).desc(), col(Meetup.id).desc())
        ).first()
        or db.exec(select(Meetup).order_by(col(Meetup.id).desc())).first()
    )


@guarded(Action.BLOCK)
async def blocks(request: Request) -> Response:
    def read(db):
        rows = db.exec(
            select(Block, Participant)
            .join(Participant, Participant.id == Block.participant_id)
            .order_by(col(Block.blocked_at).desc())
        ).all()
        return rows, _latest_meetup(db)

    rows, latest = await run_in_threadpool(
        audited_read, request.app.state.engine, request.state.staff.id, "blocks.list", "all", read
    )
    directory = await run_in_threadpool(request.app.state.hub.directory, 0)
    return page(request, "moderation/blocks.html", rows=rows, latest=latest, d=directory)


@guarded(Action.VIEW_WARD_REPORTS)
async def ward_reports(request: Request) -> Response:
    def read(db):
        reports = db.exec(
            select(WardReport).order_by(col(WardReport.created_at).desc()).limit(200)
        ).all()
        keys = [f"ward-report:{r.meetup_id}:{r.event_seq}" for r in reports]
        mails = {
            m.key: m for m in db.exec(select(OutboxMessage).where(col(OutboxMessage.key).in_(keys)))
        }
        return [(r, mails.get(f"ward-report:{r.meetup_id}:{r.event_seq}")) for r in reports]

    reports = await run_in_threadpool(
        audited_read,
        request.app.state.engine,
        request.state.staff.id,
        "ward_reports.list",
        "all",
        read,
    )
    return page(request, "moderation/reports.html", reports=reports)
