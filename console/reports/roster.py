"""The 実施体制図 (who is in charge of what, their qualifications, emergency contacts) and the
staff roster, as one A4 PDF for the ward (spec 7(7), 12(2)(3)). It holds contact details,
so taking it out needs a recent password or factor and a reason, and is recorded; it notes
what changed in the staffing since the last one was taken out."""

from datetime import datetime

from sqlmodel import Session, col, select
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from console import settings
from console.core.errors import Refused
from console.core.pages import refuse
from console.core.templating import pdf_of, templates
from console.security import audit, roster
from console.security.auth import guarded
from console.security.models import Staff, TakeoutRecord
from console.security.permissions import Action
from console.security.reauth import confirm_first
from console.security.roles import Role
from console.security.takeout import record_takeout, takeout_reason
from console.settings import TZ

DOCUMENT = "roster.pdf"
ROLE_ORDER = [Role.MANAGER, Role.COUNSELLOR, Role.FACILITATOR, Role.SUPPORT]


def roster_html(db: Session, *, now: datetime) -> tuple[str, int]:
    """The printable page and how many staff it lists."""
    members = [m for m in roster.members(db, active_only=True) if m.staff.role != Role.WARD]
    last = db.exec(
        select(TakeoutRecord.at)
        .where(TakeoutRecord.document == DOCUMENT)
        .order_by(col(TakeoutRecord.id).desc())
    ).first()
    names = {s.id: s.display_name for s in db.exec(select(Staff))}
    changes = [(c, names.get(c.staff_id, "")) for c in roster.changes_since(db, last)]
    html = templates.get_template("reports/roster_print.html").render(
        groups=[(role, [m for m in members if m.staff.role == role]) for role in ROLE_ORDER],
        members=members,
        changes=changes,
        last=last,
        now=now.astimezone(TZ),
        issuer=settings.REPORT_ISSUER,
        addressee=settings.REPORT_ADDRESSEE,
    )
    return html, len(members)


@guarded(Action.MANAGE_STAFF)
async def roster_pdf(request: Request) -> Response:
    if confirm := confirm_first(request):
        return confirm
    try:
        reason = await takeout_reason(request)
    except Refused as refusal:
        return refuse(request, refusal.message, 422)
    engine, me = request.app.state.engine, request.state.staff.id

    def make() -> bytes:
        with Session(engine) as db:
            html, count = roster_html(db, now=datetime.now(TZ))
        record_takeout(engine, staff_id=me, document=DOCUMENT, reason=reason, count=count)
        return pdf_of(html)

    body = await run_in_threadpool(make)
    audit.record_now(engine, action="roster.pdf", staff_id=me)
    return Response(
        body,
        media_type="application/pdf",
        headers={"Content-Disposition": 'attachment; filename="staff_roster.pdf"'},
    )
