"""HTTP pages and form handlers. Every route but login and health goes through `guarded`."""

import secrets
from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response

from console import auth, commands, duedates, forms, fragments
from console.auth import guarded
from console.db import transaction
from console.eventlog import Refused
from console.fragments import templates
from console.models import (
    AuditEntry,
    Meetup,
    Notice,
    Participant,
)
from console.permissions import Action
from console.settings import TZ
from console.vocab import AgeBracket, District, Gender


def is_htmx(request: Request) -> bool:
    return request.headers.get("hx-request") == "true"


def result(request: Request, message: str, status: int = 200) -> Response:
    """The outcome of a command, swapped into the page's status region."""
    html = templates.get_template("fragments/result.html").render(
        message=message, error=status >= 400
    )
    # The page's <body> targets #command-result for every htmx request. Not HX-Retarget:
    # htmx resolves that against the triggering form, which a live update may have removed.
    return HTMLResponse(html, status_code=status)


def refuse(request: Request, message: str, status: int) -> Response:
    if is_htmx(request):
        return result(request, message, status)
    return templates.TemplateResponse(
        request, "error.html", {"message": message, "status": status}, status_code=status
    )


def page(request: Request, name: str, status: int = 200, **context) -> Response:
    staff = getattr(request.state, "staff", None)
    login = getattr(request.state, "login", None)
    context.setdefault("role", staff.role if staff else "")
    return templates.TemplateResponse(
        request,
        name,
        {"me": staff, "csrf_token": login.csrf_token if login else "", **context},
        status_code=status,
    )


def _engine(request: Request):
    return request.app.state.engine


# --- login -------------------------------------------------------------------------------


def _safe_next(value: str | None) -> str:
    if value and value.startswith("/") and not value.startswith("//") and "\\" not in value:
        return value
    return "/"


async def login_form(request: Request) -> Response:
    token = secrets.token_urlsafe(32)
    response = page(request, "login.html", login_csrf=token, next=request.query_params.get("next"))
    auth.set_cookie(request, response, auth.LOGIN_CSRF_COOKIE, token, max_age=3600)
    return response


async def login(request: Request) -> Response:
    form = await request.form()
    cookie = request.cookies.get(auth.LOGIN_CSRF_COOKIE, "")
    if not cookie or not await auth.csrf_ok(request, cookie):
        return refuse(request, auth.CSRF_FAILED, 403)
    address = request.client.host if request.client else "?"
    login_id = str(form.get("login_id", ""))
    password = str(form.get("password", ""))
    next_url = _safe_next(str(form.get("next", "")))
    if auth.address_throttle.blocked(address):
        staff, message = None, auth.LOCKED
    else:
        staff, message = await run_in_threadpool(
            auth.authenticate, _engine(request), login_id, password
        )
    if staff is None:
        auth.address_throttle.fail(address)
        response = page(
            request,
            "login.html",
            401,
            error=message,
            login_csrf=cookie,
            next=next_url,
            login_id=login_id[:64],
        )
        return response
    token = await run_in_threadpool(auth.start_session, _engine(request), staff)
    response = RedirectResponse(next_url, status_code=303)
    auth.set_cookie(
        request, response, auth.COOKIE, token, max_age=auth.settings.SESSION_HOURS * 3600
    )
    response.delete_cookie(auth.LOGIN_CSRF_COOKIE, path="/")
    return response


@guarded(Action.VIEW_DASHBOARD)
async def logout(request: Request) -> Response:
    await run_in_threadpool(auth.end_session, _engine(request), request.cookies[auth.COOKIE])
    request.app.state.hub.close_login(request.state.login.token_hash)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(auth.COOKIE, path="/")
    return response


# --- meetups -----------------------------------------------------------------------------


def _home(engine) -> tuple[list[Meetup], list[Notice]]:
    with Session(engine) as db:
        meetups = list(db.exec(select(Meetup).order_by(col(Meetup.date).desc()).limit(100)))
        notices = list(db.exec(select(Notice).order_by(col(Notice.created_at).desc()).limit(5)))
    return meetups, notices


@guarded(Action.VIEW_DASHBOARD)
async def home(request: Request) -> Response:
    meetups, notices = await run_in_threadpool(_home, _engine(request))
    today = datetime.now(TZ).date()
    year, month, due = duedates.next_report(today)
    return page(
        request,
        "meetups.html",
        meetups=meetups,
        today=today,
        notices=notices,
        next_report=(year, month, due),
    )


def _save(engine, row) -> int:
    with transaction(engine) as db:
        db.add(row)
        db.flush()
        return row.id


@guarded(Action.VIEW_DASHBOARD)
async def dashboard(request: Request) -> Response:
    hub = request.app.state.hub
    try:
        live = await hub.live(int(request.path_params["meetup_id"]))
    except Refused as refused:
        return refuse(request, refused.message, refused.status)
    staff = request.state.staff
    view = await hub.view(live, staff.role, fresh=True)
    timeline, notes = await run_in_threadpool(hub.history, live.meetup.id, view.state.seq)
    return page(
        request,
        "meetup.html",
        v=view,
        state=view.state,
        meetup=view.meetup,
        timeline_html=fragments.timeline_items(timeline, view),
        notes_html=fragments.note_items(notes, view),
        my_duty=view.state.on_duty.get(staff.id),
    )


async def command_response(
    request: Request, *, meetup_id: int, name: str, extra: dict[str, str] | None = None
) -> Response:
    """Run one command from a form and answer with its Japanese outcome."""
    form = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
    form.update(extra or {})
    try:
        appended = await commands.execute(
            request.app.state.hub,
            meetup_id=meetup_id,
            actor=request.state.staff,
            name=name,
            form=form,
            command_id=form.get("command_id", ""),
        )
    except Refused as refused:
        return result(request, refused.message, refused.status)
    message, status = commands.outcome(name, appended)
    response = result(request, message, status)
    response.headers["X-Event-Seq"] = str(appended.event.seq)
    return response


# The command's own permission is checked by commands.execute; the route guard checks login
# and CSRF and lets every role that may view a dashboard reach it.
@guarded(Action.VIEW_DASHBOARD)
async def command(request: Request) -> Response:
    """POST /meetups/{id}/commands/{name}."""
    return await command_response(
        request, meetup_id=int(request.path_params["meetup_id"]), name=request.path_params["name"]
    )


# --- participants ------------------------------------------------------------------------


def _participants(engine, staff_id: int) -> list[Participant]:
    with transaction(engine) as db:
        people = list(db.exec(select(Participant).order_by(Participant.code)))
        db.add(AuditEntry(staff_id=staff_id, action="participants.list", target=f"{len(people)}件"))
        return people


@guarded(Action.VIEW_PARTICIPANT_NAMES)
async def participants(request: Request) -> Response:
    people = await run_in_threadpool(_participants, _engine(request), request.state.staff.id)
    return page(
        request,
        "participants.html",
        people=people,
        AgeBracket=AgeBracket,
        District=District,
        Gender=Gender,
    )


def _parse_participant(form) -> Participant:
    code = forms.one_line(form, "code", label="参加者ID", max_len=32)
    if not code.isascii() or not code.replace("-", "").isalnum():
        raise Refused("参加者IDは半角英数字とハイフンで入力してください。")
    name = forms.one_line(form, "display_name", label="表示名(アバター名)", max_len=64)
    age = forms.choice(form, "age_bracket", AgeBracket, label="年代")
    district = forms.choice(form, "district", District, label="地区")
    gender = Gender.parse(form.get("gender")) if form.get("gender") else None
    if form.get("gender") and gender is None:
        raise Refused("性別の選択肢が正しくありません。")
    return Participant(
        code=code.upper(), display_name=name, age_bracket=age, district=district, gender=gender
    )


@guarded(Action.MANAGE_PARTICIPANTS)
async def add_participant(request: Request) -> Response:
    form = await request.form()
    try:
        participant = _parse_participant(form)
        await run_in_threadpool(_save, _engine(request), participant)
    except Refused as refused:
        return refuse(request, refused.message, refused.status)
    except IntegrityError:
        return refuse(request, "この参加者IDはすでに登録されています。", 409)
    response = result(request, f"参加者「{participant.display_name}」を登録しました。")
    response.headers["HX-Refresh"] = "true"
    return response


async def health(request: Request) -> Response:
    return PlainTextResponse("ok")
