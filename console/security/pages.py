"""The manager's security pages: the audit trail (with its chain checked), its export for the
ward's 12(4) report, the take-out records, and the staff's second factors."""

import csv
import io
from datetime import UTC, datetime, time, timedelta

from sqlmodel import Session, col, select
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from console import settings
from console.core import forms
from console.core.errors import Refused
from console.core.pages import page, refuse
from console.core.templating import pdf_of, templates
from console.security import audit, auth, checklist, factor, takeout
from console.security.auth import guarded
from console.security.models import AuditEntry, Staff, StaffFactor
from console.security.permissions import Action
from console.settings import TZ
from console.store.db import transaction

LIMIT = 500


def _filters(request: Request) -> dict:
    """The trail's filters; a value given but not understood is refused, never ignored (an
    export of everything asked as an export of some)."""
    q = request.query_params
    f = {
        "staff": forms.record_id(q.get("staff")),
        "kind": (q.get("kind") or "").strip()[:48],
        "target": (q.get("target") or "").strip()[:128],
        "since": forms.day(q.get("since")),
        "until": forms.day(q.get("until")),
    }
    if (q.get("staff") or "").strip() and f["staff"] is None:
        raise Refused("職員の指定が正しくありません。", status=400)
    for name, label in (("since", "開始日"), ("until", "終了日")):
        if (q.get(name) or "").strip() and f[name] is None:
            raise Refused(f"{label}は「2026-04-01」の形で入力してください。", status=400)
    if f["since"] and f["until"] and f["since"] > f["until"]:
        raise Refused("開始日が終了日より後になっています。日付をご確認ください。", status=400)
    return f


def _query(f: dict, limit: int | None):
    query = select(AuditEntry)
    if f["staff"]:
        query = query.where(AuditEntry.staff_id == f["staff"])
    if f["kind"]:
        query = query.where(col(AuditEntry.action).startswith(f["kind"], autoescape=True))
    if f["target"]:
        query = query.where(col(AuditEntry.target).contains(f["target"], autoescape=True))
    if f["since"]:
        start = datetime.combine(f["since"], time(), TZ).astimezone(UTC)
        query = query.where(col(AuditEntry.at) >= start)
    if f["until"]:
        end = datetime.combine(f["until"] + timedelta(days=1), time(), TZ).astimezone(UTC)
        query = query.where(col(AuditEntry.at) < end)
    query = query.order_by(col(AuditEntry.id).desc())
    return query.limit(limit) if limit else query


def _staff_names(db: Session) -> dict[int, Staff]:
    return {s.id: s for s in db.exec(select(Staff).order_by(col(Staff.login_id)))}


@guarded(Action.VIEW_AUDIT)
async def audit_trail(request: Request) -> Response:
    try:
        f, engine = _filters(request), request.app.state.engine
    except Refused as refused:
        return refuse(request, refused.message, refused.status)

    def read():
        with Session(engine) as db:
            return db.exec(_query(f, LIMIT)).all(), _staff_names(db), audit.kinds(db)

    rows, staff, kinds = await run_in_threadpool(read)
    checked, broken = await run_in_threadpool(audit.verify, engine)
    return page(
        request,
        "security/audit.html",
        audit_label=audit.label,
        rows=rows,
        staff=staff,
        kinds=kinds,
        f=f,
        limit=LIMIT,
        checked=checked,
        broken=broken,
        query=request.url.query,
    )


def _cell(value) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(("=", "+", "-", "@", "\t", "\r")) else text


@guarded(Action.VIEW_AUDIT)
async def audit_csv(request: Request) -> Response:
    """The trail as CSV (IDs only, no personal data): the annex of the 12(4) report."""
    try:
        f, engine, me = _filters(request), request.app.state.engine, request.state.staff.id
    except Refused as refused:
        return refuse(request, refused.message, refused.status)

    def export() -> bytes:
        audit.record_now(engine, action="audit.export", staff_id=me)
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerow(["番号", "日時", "職員ID", "ログインID", "種類", "対象", "ハッシュ"])
        with Session(engine) as db:
            staff = _staff_names(db)
            for row in db.exec(_query(f, None)):
                who = staff.get(row.staff_id)
                writer.writerow(
                    [
                        _cell(x)
                        for x in (
                            row.id,
                            row.at.astimezone(TZ).isoformat(timespec="seconds"),
                            row.staff_id or "",
                            who.login_id if who else "",
                            row.action,
                            row.target,
                            row.hash,
                        )
                    ]
                )
        return ("\ufeff" + out.getvalue()).encode()

    return Response(
        await run_in_threadpool(export),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="audit_trail.csv"'},
    )


@guarded(Action.VIEW_AUDIT)
async def takeouts(request: Request) -> Response:
    engine = request.app.state.engine

    def read():
        with Session(engine) as db:
            return takeout.recent(db, limit=LIMIT), _staff_names(db)

    rows, staff = await run_in_threadpool(read)
    return page(
        request,
        "security/takeouts.html",
        rows=rows,
        staff=staff,
        limit=LIMIT,
        document_label=takeout.document_label,
    )


@guarded(Action.MANAGE_STAFF)
async def factors(request: Request) -> Response:
    engine = request.app.state.engine

    def read():
        with Session(engine) as db:
            enrolled = {
                f.staff_id: f.verified_at
                for f in db.exec(select(StaffFactor))
                if f.verified_at is not None
            }
            return list(_staff_names(db).values()), enrolled

    staff, enrolled = await run_in_threadpool(read)
    return page(request, "security/factors.html", staff=staff, enrolled=enrolled)


@guarded(Action.MANAGE_STAFF)
async def reset_factor(request: Request) -> Response:
    """Forget a staff member's second factor (a lost phone): their logins end at once, and
    they enrol again at the next one. Recorded in the audit trail."""
    staff_id = forms.record_id(request.path_params.get("staff_id"))
    engine, me = request.app.state.engine, request.state.staff.id

    def reset() -> list[str] | None:
        with transaction(engine) as db:
            member = db.get(Staff, staff_id) if staff_id is not None else None
            if member is None:
                return None
            if not member.active:
                raise Refused(
                    "無効になったアカウントの二要素認証はリセットできません。", status=409
                )
            factor.reset(db, staff_id)
            ended = auth.end_sessions_of(db, staff_id)
            audit.record(db, action="factor.reset", staff_id=me, target=f"staff:{staff_id}")
            return ended

    try:
        ended = await run_in_threadpool(reset)
    except Refused as refused:
        return refuse(request, refused.message, refused.status)
    if ended is None:
        return refuse(request, "職員が見つかりません。", 404)
    for token_hash in ended:
        request.app.state.hub.close_login(token_hash)
    return RedirectResponse("/security/factors?reset=1", status_code=303)


@guarded(Action.VIEW_AUDIT)
async def checklist_page(request: Request) -> Response:
    found = await run_in_threadpool(checklist.items, request.app.state.engine)
    return page(request, "security/checklist.html", items=found)


@guarded(Action.VIEW_AUDIT)
async def checklist_pdf(request: Request) -> Response:
    engine = request.app.state.engine

    def make() -> bytes:
        html = templates.get_template("security/checklist_print.html").render(
            items=checklist.items(engine), now=datetime.now(TZ), issuer=settings.REPORT_ISSUER
        )
        return pdf_of(html)

    return Response(
        await run_in_threadpool(make),
        media_type="application/pdf",
        headers={"Content-Disposition": 'attachment; filename="security_checklist.pdf"'},
    )
