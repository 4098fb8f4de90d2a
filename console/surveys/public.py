"""The survey page participants open from the link or the QR code: no login, no JavaScript,
CSRF by a cookie and a hidden field, one response per submission (a token in the form)."""

import secrets
import uuid

from sqlmodel import Session
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from console.core.errors import Refused
from console.core.pages import page
from console.live.models import Meetup
from console.security import auth
from console.store.db import transaction
from console.surveys import commands
from console.surveys.models import Questionnaire, SurveyLink
from console.surveys.queries import link_by_token
from console.surveys.questions import Invalid, Question, load, parse_answers

CSRF_COOKIE = "console_survey_csrf"


def _found(engine, token: str) -> tuple[SurveyLink, Meetup, Questionnaire] | None:
    with Session(engine) as db:
        link = link_by_token(db, token)
        if link is None:
            return None
        return link, db.get(Meetup, link.meetup_id), db.get(Questionnaire, link.questionnaire_id)


def _message(request: Request, status: int, title: str, message: str) -> Response:
    return page(request, "surveys/message.html", status, title=title, message=message)


def _not_found(request: Request) -> Response:
    return _message(
        request,
        404,
        "アンケートが見つかりません",
        "リンクが正しくないか、古くなっている可能性があります。お手数ですが、配られたリンクを"
        "もう一度お確かめください。",
    )


def _closed(request: Request) -> Response:
    return _message(
        request,
        410,
        "このアンケートの受付は終了しました",
        "ご協力しようとしてくださり、ありがとうございました。またの機会によろしくお願いします。",
    )


def _form(
    request: Request,
    meetup: Meetup,
    questionnaire: Questionnaire,
    questions: tuple[Question, ...],
    *,
    status: int = 200,
    answers: dict | None = None,
    errors: dict | None = None,
    token: str | None = None,
) -> Response:
    csrf = request.cookies.get(CSRF_COOKIE) or secrets.token_urlsafe(32)
    response = page(
        request,
        "surveys/answer.html",
        status,
        public_csrf=csrf,
        meetup=meetup,
        questionnaire=questionnaire,
        questions=questions,
        answers=answers or {},
        errors=errors or {},
        token=token or uuid.uuid4().hex,
        action=request.url.path,
    )
    auth.set_cookie(request, response, CSRF_COOKIE, csrf, max_age=6 * 3600)
    return response


async def answer_form(request: Request) -> Response:
    found = await run_in_threadpool(_found, request.app.state.engine, request.path_params["token"])
    if found is None:
        return _not_found(request)
    link, meetup, questionnaire = found
    if not commands.is_open(meetup):
        return _closed(request)
    return _form(request, meetup, questionnaire, load(questionnaire.questions))


async def answer(request: Request) -> Response:
    engine = request.app.state.engine
    found = await run_in_threadpool(_found, engine, request.path_params["token"])
    if found is None:
        return _not_found(request)
    link, meetup, questionnaire = found
    if not commands.is_open(meetup):
        return _closed(request)
    questions = load(questionnaire.questions)
    cookie = request.cookies.get(CSRF_COOKIE, "")
    if not cookie or not await auth.csrf_ok(request, cookie):
        return _form(
            request,
            meetup,
            questionnaire,
            questions,
            status=403,
            errors={"form": "ページの有効期限が切れました。お手数ですが、もう一度ご回答ください。"},
        )
    form = await request.form()
    values = {key: [v for v in form.getlist(key) if isinstance(v, str)] for key in set(form.keys())}
    token = (values.get("token") or [""])[0]
    try:
        answers = parse_answers(questions, values)

        def store():
            with transaction(engine) as db:
                commands.record(
                    db,
                    meetup_id=link.meetup_id,
                    questionnaire_id=link.questionnaire_id,
                    answers=answers,
                    client_token=token,
                )

        await run_in_threadpool(store)
    except Invalid as invalid:
        return _form(
            request,
            meetup,
            questionnaire,
            questions,
            status=422,
            answers=values,
            errors=invalid.errors,
            token=token if token.isascii() and 0 < len(token) <= 64 else None,
        )
    except Refused as refused:
        if refused.status == 410:
            return _closed(request)
        return _form(
            request,
            meetup,
            questionnaire,
            questions,
            status=refused.status,
            answers=values,
            errors={"form": refused.message},
        )
    return _message(
        request,
        200,
        "ご回答ありがとうございました",
        "いただいた声は、これからの居場所づくりに大切に使わせていただきます。",
    )
