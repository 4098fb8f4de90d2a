"""The disposal pages (12(5)(オ), 8(5)): the manager's dry run and preparation, the ward's
approval, the handover of open cases to the helpline, carrying it out, and the disposal
certificate (PDF).

Carrying it out first keeps the reports (`keep_reports`): every month with a closed session
gets its document as it stands, and every closed session its figures, so the reports of the
year read the same once the log's personal data is destroyed (`security.disposal`)."""

from collections.abc import Callable
from datetime import datetime

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from console import settings
from console.core import forms
from console.core.errors import Refused
from console.core.pages import page, redirect_saying, refuse
from console.core.templating import pdf_of, templates
from console.live.models import Meetup
from console.reports import handover, kept
from console.reports.models import MonthlyReport
from console.reports.monthly_document import FreeText, build_monthly
from console.security import audit, disposal
from console.security.auth import guarded
from console.security.models import Disposal, Staff
from console.security.permissions import Action
from console.security.reauth import confirm_first
from console.security.takeout import REASON_MAX, record_takeout
from console.session.vocab import MeetupStatus
from console.settings import TZ
from console.store.db import transaction

CONFIRM_WORD = "廃棄する"  # typed before an irreversible disposal
DONE = {
    "prepared": "廃棄を準備しました。区職員の承認を待っています。",
    "approved": "廃棄を承認しました。",
    "withdrawn": "廃棄の準備を取り下げました。廃棄するときは、もう一度準備して区の承認を受けてください。",
    "done": "廃棄を実施しました。廃棄証明書を出力できます。",
}
OPEN = (MeetupStatus.DOORS_OPEN, MeetupStatus.IN_SESSION)


def keep_reports(engine: Engine) -> None:
    """Keep every month's report document and every closed session's figures; refused while
    a session is open (its log is still being written)."""
    with transaction(engine) as db:
        if db.exec(select(Meetup.id).where(col(Meetup.status).in_(OPEN))).first():
            raise Refused(
                "開催中の回があります。すべての回が終了してから廃棄してください。", status=409
            )
        months = {
            (m.date.year, m.date.month)
            for m in db.exec(select(Meetup).where(Meetup.status == MeetupStatus.CLOSED))
        } | {(r.year, r.month) for r in db.exec(select(MonthlyReport))}
        for year, month in sorted(months):
            kept.keep(db, year, month, build_monthly(db, year, month, FreeText()))


def _view(engine: Engine):
    with Session(engine) as db:
        row = disposal.latest(db)
        withdrawn = disposal.last_withdrawn(db)
        names = {s.id: s.display_name for s in db.exec(select(Staff))}
        if row is not None and row.done_at is not None:
            return row, withdrawn, names, None, None
        current = handover.build(db, now=datetime.now(TZ))
        taken = handover.last_taken(db)
        cases = {
            **current.tally(),
            "taken": taken,
            "stale": taken is not None and taken.document != current.document,
        }
        return row, withdrawn, names, disposal.counts(db), cases


@guarded(Action.VIEW_DISPOSAL)
async def disposal_page(request: Request) -> Response:
    found = await run_in_threadpool(_view, request.app.state.engine)
    row, withdrawn, names, dry_run, cases = found
    retention = [(k, disposal.retention_days(k)) for k in disposal.KINDS]
    # What changed since the run was prepared, said before the ward approves it.
    drift = None
    if row is not None and row.done_at is None and dry_run:
        was = sum(total for _k, _t, total in disposal.counted(row))
        now = sum(sum(dry_run[k.key].values()) for k in disposal.KINDS)
        drift = (was, now) if was != now else None
    return page(
        request,
        "reports/disposal.html",
        row=row,
        withdrawn=withdrawn,
        counted=disposal.counted(row) if row else [],
        dry_run=[(k, dry_run[k.key], sum(dry_run[k.key].values())) for k in disposal.KINDS]
        if dry_run
        else [],
        retention=retention,
        drift=drift,
        cases=cases,
        table_labels=disposal.TABLE_LABELS,
        names=names,
    )


async def _step(request: Request, act: Callable[[Engine, int], object], done: str) -> Response:
    engine = request.app.state.engine
    try:
        await run_in_threadpool(act, engine, request.state.staff.id)
    except Refused as refusal:
        return refuse(request, refusal.message, refusal.status)
    return redirect_saying(request, "/disposal", DONE[done])


@guarded(Action.PREPARE_DISPOSAL)
async def prepare(request: Request) -> Response:
    return await _step(request, lambda e, me: disposal.prepare(e, staff_id=me), "prepared")


@guarded(Action.APPROVE_DISPOSAL)
async def approve(request: Request) -> Response:
    if confirm := confirm_first(request):
        return confirm
    if (await request.form()).get("agree") != "on":
        return refuse(
            request, "廃棄の対象と件数を確認したら、確認のチェックを入れて承認してください。", 422
        )
    role, disposal_id = request.state.staff.role, request.path_params["disposal_id"]

    def act(engine: Engine, me: int) -> None:
        disposal.approve(engine, disposal_id=disposal_id, staff_id=me, role=role)

    return await _step(request, act, "approved")


@guarded(Action.WITHDRAW_DISPOSAL)
async def withdraw(request: Request) -> Response:
    form = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
    try:
        reason = forms.one_line(form, "reason", label="取り下げの理由", max_len=500)
    except Refused as refused:
        return refuse(request, refused.message, refused.status)
    disposal_id = request.path_params["disposal_id"]

    def act(engine: Engine, me: int) -> None:
        disposal.withdraw(engine, disposal_id=disposal_id, staff_id=me, reason=reason)

    return await _step(request, act, "withdrawn")


@guarded(Action.PREPARE_DISPOSAL)
async def carry_out(request: Request) -> Response:
    if confirm := confirm_first(request):
        return confirm
    if (await request.form()).get("confirm") != CONFIRM_WORD:
        return refuse(request, f"確認のため「{CONFIRM_WORD}」と入力してください。", 422)

    def act(engine: Engine, me: int) -> None:
        disposal.carry_out(
            engine, staff_id=me, ready=handover.check_taken, before_shred=keep_reports
        )

    return await _step(request, act, "done")


@guarded(Action.PREPARE_DISPOSAL)
async def handover_pdf(request: Request) -> Response:
    """The helpline handover of the cases still open (8(5)), a recorded take-out."""
    if confirm := confirm_first(request):  # exporting personal data: a recent confirmation
        return confirm
    form = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
    try:
        reason = forms.one_line(form, "reason", label="出力の理由", max_len=REASON_MAX)
    except Refused as refused:
        return refuse(request, refused.message, refused.status)
    engine, staff_id = request.app.state.engine, request.state.staff.id

    def make() -> bytes | None:
        with Session(engine) as db:
            row = disposal.latest(db)
            if row is not None and row.done_at is not None:
                return None
            made = handover.build(db, now=datetime.now(TZ))
        record_takeout(
            engine,
            staff_id=staff_id,
            document=made.document,
            reason=reason,
            count=len(made.cases),
        )
        return handover.to_pdf(made)

    pdf = await run_in_threadpool(make)
    if pdf is None:
        return refuse(request, "廃棄は既に実施済みです。引継ぎ資料は作れません。", 409)
    return Response(
        pdf,
        media_type="application/pdf",
        headers={
            "Content-Disposition": 'attachment; filename="helpline_handover.pdf"',
            "Cache-Control": "no-store",
        },
    )


def certificate_html(db: Session, row: Disposal, *, now: datetime) -> str:
    names = {s.id: s.display_name for s in db.exec(select(Staff))}
    return templates.get_template("reports/disposal_certificate.html").render(
        row=row,
        taken=handover.last_taken(db),
        table_labels=disposal.TABLE_LABELS,
        counted=disposal.counted(row),
        names=names,
        now=now.astimezone(TZ),
        issuer=settings.REPORT_ISSUER,
        addressee=settings.REPORT_ADDRESSEE,
    )


@guarded(Action.VIEW_DISPOSAL)
async def certificate(request: Request) -> Response:
    engine = request.app.state.engine

    def make() -> bytes | None:
        with Session(engine) as db:
            row = disposal.latest(db)
            if row is None or row.done_at is None:
                return None
            html = certificate_html(db, row, now=datetime.now(TZ))
        return pdf_of(html)

    body = await run_in_threadpool(make)
    if body is None:
        return refuse(request, "廃棄はまだ実施されていません。", 404)
    audit.record_now(engine, action="disposal.certificate", staff_id=request.state.staff.id)
    return Response(
        body,
        media_type="application/pdf",
        headers={"Content-Disposition": 'attachment; filename="disposal_certificate.pdf"'},
    )
