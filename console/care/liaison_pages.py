"""The liaison pack: a preview (an audited read) and the PDF export, each export recorded as
a take-out of personal data with its reason (spec 12(5)(エ))."""

from datetime import datetime

from sqlmodel import Session
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from console.care import liaison
from console.care.pages import audited, form_of, today
from console.core import forms
from console.core.errors import Refused
from console.core.pages import page, refuse
from console.security.auth import guarded
from console.security.permissions import Action
from console.security.reauth import confirm_first
from console.security.takeout import record_takeout
from console.settings import TZ

REASON_MAX = 200


def _month(value: str | None):
    if not value:
        return today().replace(day=1)
    month = forms.year_month(value)
    if month is None:
        raise Refused("対象月を正しく入力してください(例: 2026-12)。")
    return month


@guarded(Action.LIAISON_PACK)
async def preview(request: Request) -> Response:
    try:
        month = _month(request.query_params.get("month"))
    except Refused as refused:
        return refuse(request, refused.message, refused.status)
    now = datetime.now(TZ)

    def read(db: Session):
        return liaison.build(db, month, now=now)

    pack = await audited(request, "care.liaison.read", f"liaison:{month:%Y-%m}", read)
    return page(request, "care/liaison.html", pack=pack)


@guarded(Action.LIAISON_PACK)
async def export(request: Request) -> Response:
    if confirm := confirm_first(request):  # exporting personal data: a recent confirmation
        return confirm
    form = await form_of(request)
    try:
        month = _month(form.get("month"))
        reason = forms.one_line(form, "reason", label="出力の理由", max_len=REASON_MAX)
    except Refused as refused:
        return refuse(request, refused.message, refused.status)
    engine, staff_id, now = request.app.state.engine, request.state.staff.id, datetime.now(TZ)

    def make() -> bytes:
        with Session(engine) as db:
            pack = liaison.build(db, month, now=now)
        record_takeout(
            engine,
            staff_id=staff_id,
            document=f"liaison_pack:{month:%Y-%m}",
            reason=reason,
            count=len(pack.people),
        )
        return liaison.to_pdf(pack)

    pdf = await run_in_threadpool(make)
    name = f"liaison-{month:%Y-%m}.pdf"
    return Response(
        pdf,
        media_type="application/pdf",
        headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            "Cache-Control": "no-store",
        },
    )
