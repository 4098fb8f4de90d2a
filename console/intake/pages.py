"""Staff pages of the intake: applications and people (audited), the ward's residency check,
credentials with a second person's confirmation, and the terms of use."""

import uuid
from datetime import datetime

from sqlmodel import Session, col, select
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from console.core import forms
from console.core.errors import Refused
from console.core.pages import page, redirect_saying, refuse, result
from console.intake import applications as received
from console.intake import credentials, residency, terms
from console.intake.models import Application, CredentialNotice, Person
from console.intake.personal import unseal
from console.intake.queries import current_terms
from console.intake.vocab import ApplicantKind, ApplicationStatus, Channel, Residency
from console.live.models import Meetup
from console.security import audit
from console.security.audit import audited_read
from console.security.auth import guarded
from console.security.models import AuditEntry
from console.security.permissions import Action
from console.security.reauth import confirm_first
from console.security.takeout import record_takeout, takeout_reason
from console.session.vocab import District, MeetupKind, MeetupStatus
from console.settings import TZ
from console.store.db import transaction

LABELS = {
    "kinds": ApplicantKind,
    "statuses": ApplicationStatus,
    "channels": Channel,
    "services": MeetupKind,
    "districts": District,
    "residencies": Residency,
}


async def _form(request: Request) -> dict[str, str]:
    return {k: v for k, v in (await request.form()).items() if isinstance(v, str)}


async def _change(
    request: Request, change, done: str, back: str, *, audited: tuple[str, str]
) -> Response:
    """Run `change(db, staff_id)` and its audit entry (`audited`: action, target) in one
    transaction; answer htmx or a plain form alike, saying what was done."""
    engine, staff_id = request.app.state.engine, request.state.staff.id
    try:
        await run_in_threadpool(_in_transaction, engine, change, staff_id, audited)
    except Refused as refused:
        return refuse(request, refused.message, refused.status)
    if request.headers.get("hx-request") == "true":
        response = result(request, done)
        response.headers["HX-Refresh"] = "true"
        return response
    return redirect_saying(request, back, done)


def _in_transaction(engine, change, staff_id: int, audited: tuple[str, str]):
    with transaction(engine) as db:
        done = change(db, staff_id)
        action, target = audited
        audit.record(db, action=action, staff_id=staff_id, target=target)
        return done


@guarded(Action.REVIEW_APPLICATIONS)
async def applications(request: Request) -> Response:
    def read(db: Session):
        rows = db.exec(
            select(Application, Person)
            .join(Person, Person.id == Application.person_id)
            .order_by(col(Application.received_at).desc())
            .limit(500)
        ).all()
        # Names and ふりがな, so that staff on the phone find the caller (the read is audited).
        return [(a, p, unseal(p)) for a, p in rows]

    rows = await run_in_threadpool(
        audited_read,
        request.app.state.engine,
        request.state.staff.id,
        "applications.list",
        "all",
        read,
    )
    return page(request, "intake/applications.html", rows=rows, **LABELS)


@guarded(Action.REVIEW_APPLICATIONS)
async def person(request: Request) -> Response:
    person_id = request.path_params["person_id"]

    def read(db: Session):
        found = db.get(Person, person_id)
        if found is None:
            return None
        apps = db.exec(select(Application).where(Application.person_id == person_id)).all()
        notices = db.exec(
            select(CredentialNotice).where(CredentialNotice.person_id == person_id)
        ).all()
        return found, unseal(found), apps, notices

    found = await run_in_threadpool(
        audited_read,
        request.app.state.engine,
        request.state.staff.id,
        "person.read",
        f"person:{person_id}",
        read,
    )
    if found is None:
        return refuse(request, "申込者が見つかりません。", 404)
    who, data, apps, notices = found
    return page(
        request,
        "intake/person.html",
        person=who,
        data=data,
        apps=apps,
        notices=notices,
        today=datetime.now(TZ).date(),
        **LABELS,
    )


def _new_context(engine, service: MeetupKind) -> dict:
    with Session(engine) as db:
        terms = current_terms(db, service)
        sessions = list(
            db.exec(
                select(Meetup)
                .where(Meetup.kind == service, Meetup.status != MeetupStatus.CLOSED)
                .order_by(Meetup.date)
            )
        )
    return {"service": service, "terms": terms, "sessions": sessions}


@guarded(Action.REVIEW_APPLICATIONS)
async def new_application(request: Request) -> Response:
    """Staff enter an application received by phone, email or on paper (spec 6(3)③, 6(4)⑦)."""
    service = MeetupKind.parse(request.query_params.get("service")) or MeetupKind.METAVERSE
    context = await run_in_threadpool(_new_context, request.app.state.engine, service)
    return page(
        request, "intake/new.html", form={}, errors={}, token=uuid.uuid4().hex, **context, **LABELS
    )


@guarded(Action.REVIEW_APPLICATIONS)
async def enter_application(request: Request) -> Response:
    engine, staff_id = request.app.state.engine, request.state.staff.id
    form = await _form(request)
    service = MeetupKind.parse(form.get("service")) or MeetupKind.METAVERSE
    channel = Channel.parse(form.get("channel"))
    today = datetime.now(TZ).date()
    try:
        if channel is None or channel == Channel.WEB:
            raise received.Invalid(
                {"channel": "受け付けた方法(電話・メール・紙)を選んでください。"}
            )
        submission = received.parse(form, service=service, today=today)

        def store():
            with transaction(engine) as db:
                known = received.known(db, submission.data) is not None
                application = received.receive(
                    db, submission, channel=channel, today=today, staff_id=staff_id
                )
                audit.record(
                    db,
                    action=f"applications.enter.{channel}",
                    staff_id=staff_id,
                    target=f"application:{application.id}",
                )
                return application.person_id, known

        person_id, known = await run_in_threadpool(store)
    except received.Invalid as invalid:
        context = await run_in_threadpool(_new_context, engine, service)
        return page(
            request,
            "intake/new.html",
            422,
            form=form,
            errors=invalid.errors,
            token=form.get("token") or uuid.uuid4().hex,
            **context,
            **LABELS,
        )
    except Refused as refused:
        return refuse(request, refused.message, refused.status)
    said = (
        "登録のある方(メールアドレスと氏名・生年月日が同じ方)の申込として受け付けました。"
        "住所などが変わっていないか、この方の情報をご確認ください。"
        if known
        else "申込を登録しました。"
    )
    return redirect_saying(request, f"/intake/people/{person_id}", said)


@guarded(Action.ISSUE_CREDENTIALS)
async def prepare_credentials(request: Request) -> Response:
    person_id = request.path_params["person_id"]
    return await _change(
        request,
        lambda db, staff_id: credentials.prepare(db, person_id=person_id, staff_id=staff_id),
        "送付の準備をしました。別の職員が宛先を確認すると送信されます。",
        f"/intake/people/{person_id}",
        audited=("person.credentials.prepare", f"person:{person_id}"),
    )


@guarded(Action.ISSUE_CREDENTIALS)
async def confirm_credentials(request: Request) -> Response:
    notice_id = request.path_params["notice_id"]

    def change(db, staff_id):
        notice = credentials.confirm(db, notice_id=notice_id, staff_id=staff_id)
        return notice.person_id

    return await _change(
        request,
        change,
        "宛先を確認しました。IDとパスワードをメールで送ります。",
        "/intake",
        audited=("person.credentials.confirm", f"credential_notice:{notice_id}"),
    )


@guarded(Action.REVIEW_APPLICATIONS)
async def release(request: Request) -> Response:
    """The manager decided a held application is not the blocked person."""
    application_id = request.path_params["application_id"]

    def change(db, staff_id):
        application = db.get(Application, application_id)
        if application is None or not application.held:
            raise Refused("保留中の申込ではありません。", status=409)
        application.held = False
        db.add(application)

    return await _change(
        request,
        change,
        "保留を解除しました。",
        "/intake",
        audited=("applications.release", f"application:{application_id}"),
    )


@guarded(Action.CHECK_RESIDENCY)
async def checks(request: Request) -> Response:
    items = await run_in_threadpool(
        audited_read,
        request.app.state.engine,
        request.state.staff.id,
        "residency.queue",
        "pending",
        residency.pending,
    )
    return page(request, "intake/checks.html", items=items, **LABELS)


@guarded(Action.CHECK_RESIDENCY)
async def check(request: Request) -> Response:
    application_id = request.path_params["application_id"]
    form = await _form(request)
    return await _change(
        request,
        lambda db, _staff: residency.record(
            db,
            application_id=application_id,
            result=form.get("result", ""),
            reason=form.get("reason", ""),
        ),
        "確認の結果を記録しました。",
        "/intake/checks",
        audited=("residency.record", f"application:{application_id}"),
    )


@guarded(Action.CHECK_RESIDENCY)
async def checks_csv(request: Request) -> Response:
    """The residency list (names and addresses) taken out for the ward's check: after a
    recent password or factor, with a reason, and recorded as a take-out (12(5)(エ))."""
    if confirm := confirm_first(request):
        return confirm
    try:
        reason = await takeout_reason(request)
    except Refused as refusal:
        return refuse(request, refusal.message, 422)
    engine, staff_id = request.app.state.engine, request.state.staff.id

    def export():
        with transaction(engine) as db:
            db.add(AuditEntry(staff_id=staff_id, action="residency.export", target="pending"))
            data = residency.export_csv(db)
        count = data.count(b"\r\n") - 1  # the rows below the heading
        record_takeout(
            engine, staff_id=staff_id, document="residency_check.csv", reason=reason, count=count
        )
        return data

    data = await run_in_threadpool(export)
    return Response(
        data,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="residency_check.csv"'},
    )


@guarded(Action.CHECK_RESIDENCY)
async def import_checks(request: Request) -> Response:
    form = await request.form()
    upload = form.get("file")
    if upload is None or isinstance(upload, str):
        return refuse(request, "CSVファイルを選んでください。", 422)
    raw = await upload.read(2_000_001)
    if len(raw) > 2_000_000:
        return refuse(request, "ファイルが大きすぎます(2MBまで)。", 413)
    return await _change(
        request,
        lambda db, _staff: residency.import_csv(db, raw),
        "確認結果を取り込みました。",
        "/intake/checks",
        audited=("residency.import", "csv"),
    )


@guarded(Action.VIEW_TERMS)
async def terms_page(request: Request) -> Response:
    def read():
        with Session(request.app.state.engine) as db:
            return terms.versions(db)

    return page(request, "intake/terms.html", versions=await run_in_threadpool(read), **LABELS)


@guarded(Action.DRAFT_TERMS)
async def draft_terms(request: Request) -> Response:
    form = await _form(request)
    return await _change(
        request,
        lambda db, staff_id: terms.draft(
            db, service=form.get("service", ""), text=form.get("text", ""), staff_id=staff_id
        ),
        "利用規約の案を保存しました。区の承認後に申込ページへ表示されます。",
        "/terms",
        audited=("terms.draft", f"service:{form.get('service', '')[:20]}"),
    )


@guarded(Action.APPROVE_TERMS)
async def approve_terms(request: Request) -> Response:
    terms_id = request.path_params["terms_id"]
    checked = forms.checkbox(await _form(request), "agree")
    return await _change(
        request,
        lambda db, staff_id: terms.approve(
            db, terms_id=terms_id, staff_id=staff_id, checked=checked
        ),
        "利用規約を承認しました。",
        "/terms",
        audited=("terms.approve", f"terms:{terms_id}"),
    )
