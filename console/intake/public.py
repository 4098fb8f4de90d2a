"""The pages for applicants and participants, reachable without a staff login: apply, and the
entry gate. Plain forms that work without JavaScript; CSRF by a cookie and a hidden field;
nothing in an answer tells whether someone is known, blocked or refused for a reason they did
not give."""

import secrets
import time
import uuid
from collections import defaultdict, deque
from datetime import datetime, timedelta
from urllib.parse import urlencode

from sqlmodel import Session, col, select
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from console import settings
from console.bridge.links import issue_token
from console.core.errors import Refused
from console.core.pages import page
from console.intake import applications
from console.intake.gate import pass_gate
from console.intake.queries import current_terms
from console.intake.vocab import ApplicantKind, Channel
from console.live.models import Meetup
from console.security import auth
from console.session.vocab import MeetupKind, MeetupStatus
from console.settings import TZ
from console.store.db import transaction

CSRF_COOKIE = "console_public_csrf"
HONEYPOT = "website"  # hidden from people; a bot that fills every field fills it


class Window:
    """At most `limit` accepted applications per address per hour (in memory, per process).
    Only what was accepted counts: someone correcting their input, or several people behind
    one router, are not locked out by the form's own refusals."""

    def __init__(self) -> None:
        self._seen: dict[str, deque[float]] = defaultdict(deque)

    def full(self, address: str) -> bool:
        now, seen = time.monotonic(), self._seen[address]
        while seen and seen[0] < now - 3600:
            seen.popleft()
        return len(seen) >= settings.APPLY_LIMIT_PER_HOUR

    def accepted(self, address: str) -> None:
        self._seen[address].append(time.monotonic())


applies = Window()
BUSY = (
    "このところお申込みが続いたため、いまは受け付けられません。入力した内容はこのページに"
    "残っています。1時間ほどたってから、もう一度「申し込む」を押してください。"
)


def _address(request: Request) -> str:
    return request.client.host if request.client else "?"


def _with_csrf(request: Request, name: str, status: int = 200, **context) -> Response:
    token = request.cookies.get(CSRF_COOKIE) or secrets.token_urlsafe(32)
    response = page(request, name, status, public_csrf=token, **context)
    auth.set_cookie(request, response, CSRF_COOKIE, token, max_age=6 * 3600)
    return response


async def _csrf_ok(request: Request) -> bool:
    cookie = request.cookies.get(CSRF_COOKIE, "")
    return bool(cookie) and await auth.csrf_ok(request, cookie)


def _not_found(request: Request) -> Response:
    return page(
        request,
        "intake/public_message.html",
        404,
        title="ページが見つかりません",
        message="お探しのページは見つかりません。",
    )


def _service(request: Request) -> MeetupKind | None:
    return MeetupKind.parse(request.path_params.get("service"))


def _form_context(engine, service: MeetupKind) -> dict:
    today = datetime.now(TZ).date()
    with Session(engine) as db:
        terms = current_terms(db, service)
        sessions = list(
            db.exec(
                select(Meetup)
                .where(Meetup.kind == service, Meetup.date >= today)
                .where(Meetup.status != MeetupStatus.CLOSED)
                .order_by(Meetup.date, col(Meetup.starts_at))
            )
        )
    return {"service": service, "terms": terms, "sessions": sessions, "kinds": ApplicantKind}


async def apply_index(request: Request) -> Response:
    return page(request, "intake/apply_index.html", services=list(MeetupKind))


async def apply_form(request: Request) -> Response:
    service = _service(request)
    if service is None:
        return _not_found(request)
    context = await run_in_threadpool(_form_context, request.app.state.engine, service)
    return _with_csrf(
        request, "intake/apply.html", token=uuid.uuid4().hex, form={}, errors={}, **context
    )


async def apply(request: Request) -> Response:
    service = _service(request)
    engine = request.app.state.engine
    if service is None:
        return _not_found(request)
    if not await _csrf_ok(request):
        return page(
            request,
            "intake/public_message.html",
            403,
            title="もう一度お試しください",
            message="ページの有効期限が切れました。お手数ですが、ページを開き直してください。",
        )
    form = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
    done = page(request, "intake/applied.html", service=service)
    if form.get(HONEYPOT):
        return done  # the same answer; nothing stored
    if applies.full(_address(request)):
        context = await run_in_threadpool(_form_context, engine, service)
        return _with_csrf(  # what was typed stays on the page
            request,
            "intake/apply.html",
            429,
            form=form,
            errors={"form": BUSY},
            token=form.get("token") or uuid.uuid4().hex,
            **context,
        )
    today = datetime.now(TZ).date()
    try:
        submission = applications.parse(form, service=service, today=today)

        def store():
            with transaction(engine) as db:
                applications.receive(
                    db, submission, channel=Channel.WEB, today=today, staff_id=None
                )

        await run_in_threadpool(store)
        applies.accepted(_address(request))
    except applications.Invalid as invalid:
        context = await run_in_threadpool(_form_context, engine, service)
        return _with_csrf(
            request,
            "intake/apply.html",
            422,
            form=form,
            errors=invalid.errors,
            token=form.get("token") or uuid.uuid4().hex,
            **context,
        )
    except Refused as refused:
        context = await run_in_threadpool(_form_context, engine, service)
        return _with_csrf(
            request,
            "intake/apply.html",
            refused.status,
            form=form,
            errors={"form": refused.message},
            token=uuid.uuid4().hex,
            **context,
        )
    return done


def _meetup(engine, meetup_id: int) -> tuple[Meetup | None, object]:
    with Session(engine) as db:
        meetup = db.get(Meetup, meetup_id)
        return meetup, current_terms(db, meetup.kind) if meetup else None


def _today_sessions(engine) -> list[Meetup]:
    now = datetime.now(TZ)
    with Session(engine) as db:
        return list(
            db.exec(
                select(Meetup)
                .where(Meetup.date >= (now - timedelta(days=1)).date(), Meetup.date <= now.date())
                .where(Meetup.status != MeetupStatus.CLOSED)
                .order_by(col(Meetup.starts_at))
            )
        )


def _metaverse_link(engine, meetup_id: int, participant_id: int) -> str:
    """The metaverse's link, carrying a one-time entry token the platform sends back with the
    avatar's entry: that links the avatar to the participant (see console/bridge)."""
    url = settings.METAVERSE_URL
    if not url:
        return ""
    token = issue_token(engine, meetup_id=meetup_id, participant_id=participant_id)
    return f"{url}{'&' if '?' in url else '?'}{urlencode({'entry_token': token})}"


async def entry_index(request: Request) -> Response:
    sessions = await run_in_threadpool(_today_sessions, request.app.state.engine)
    return page(request, "intake/entry_index.html", sessions=sessions)


async def entry_form(request: Request) -> Response:
    meetup, terms = await run_in_threadpool(
        _meetup, request.app.state.engine, request.path_params["meetup_id"]
    )
    if meetup is None:
        return _not_found(request)
    return _with_csrf(
        request, "intake/entry.html", meetup=meetup, terms=terms, message="", typed_id=""
    )


async def entry(request: Request) -> Response:
    engine = request.app.state.engine
    meetup, terms = await run_in_threadpool(_meetup, engine, request.path_params["meetup_id"])
    if meetup is None:
        return _not_found(request)
    if not await _csrf_ok(request):
        return _with_csrf(
            request,
            "intake/entry.html",
            403,
            meetup=meetup,
            terms=terms,
            message="ページの有効期限が切れました。もう一度入力してください。",
            typed_id="",
        )
    form = await request.form()
    typed_id = str(form.get("participant_id", ""))[:32]
    passage = await pass_gate(
        request.app.state.hub,
        meetup_id=meetup.id,
        code=typed_id,
        password=str(form.get("password", ""))[:128],
        consent=str(form.get("consent", "")) == "on",
        address=_address(request),
    )
    if passage.admitted:
        url = await run_in_threadpool(_metaverse_link, engine, meetup.id, passage.participant_id)
        return page(request, "intake/entered.html", meetup=meetup, url=url)
    return _with_csrf(
        request,
        "intake/entry.html",
        passage.status,
        meetup=meetup,
        terms=terms,
        message=passage.message,
        typed_id=typed_id,
    )
