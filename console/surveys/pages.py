"""Staff pages of surveys: questionnaires (draft, approve, preview), a session's survey (its
link and QR code, which version it uses) and the keyboard-first entry of alternative answers."""

import uuid

import segno
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from console import settings
from console.core import forms
from console.core.errors import Refused
from console.core.pages import page, refuse
from console.live.models import Meetup
from console.security.auth import guarded
from console.security.permissions import Action
from console.session.vocab import MeetupKind
from console.store.db import transaction
from console.surveys import commands, queries
from console.surveys.models import Questionnaire, SurveyLink
from console.surveys.questions import ALTERNATIVES, Channel, Invalid, load, parse_answers, to_lines


async def _form(request: Request) -> dict[str, str]:
    return {k: v for k, v in (await request.form()).items() if isinstance(v, str)}


async def _change(request: Request, change, back: str) -> Response:
    """Run `change(db, staff_id)` in one transaction, then back to `back` (or the refusal)."""
    engine, staff_id = request.app.state.engine, request.state.staff.id

    def run():
        with transaction(engine) as db:
            change(db, staff_id)

    try:
        await run_in_threadpool(run)
    except Refused as refused:
        return refuse(request, refused.message, refused.status)
    return RedirectResponse(back, status_code=303)


def survey_url(request: Request, token: str) -> str:
    base = settings.PUBLIC_BASE_URL.rstrip("/") or str(request.base_url).rstrip("/")
    return f"{base}/survey/{token}"


@guarded(Action.VIEW_SURVEYS)
async def questionnaires(request: Request) -> Response:
    def read(engine):
        with Session(engine) as db:
            return [(v, load(v.questions)) for v in queries.versions(db)]

    rows = await run_in_threadpool(read, request.app.state.engine)
    return page(
        request, "surveys/questionnaires.html", rows=rows, services=MeetupKind, to_lines=to_lines
    )


@guarded(Action.DRAFT_SURVEY)
async def draft(request: Request) -> Response:
    form = await _form(request)
    return await _change(
        request,
        lambda db, staff_id: commands.draft(
            db,
            service=form.get("service", ""),
            title=form.get("title", ""),
            lines=form.get("questions", ""),
            staff_id=staff_id,
        ),
        "/surveys",
    )


@guarded(Action.APPROVE_SURVEY)
async def approve(request: Request) -> Response:
    questionnaire_id = request.path_params["questionnaire_id"]
    return await _change(
        request,
        lambda db, staff_id: commands.approve(
            db, questionnaire_id=questionnaire_id, staff_id=staff_id
        ),
        "/surveys",
    )


@guarded(Action.VIEW_SURVEYS)
async def preview(request: Request) -> Response:
    def read(engine):
        with Session(engine) as db:
            return db.get(Questionnaire, request.path_params["questionnaire_id"])

    version = await run_in_threadpool(read, request.app.state.engine)
    if version is None:
        return refuse(request, "アンケートの版が見つかりません。", 404)
    return page(
        request,
        "surveys/preview.html",
        questionnaire=version,
        questions=load(version.questions),
        answers={},
        errors={},
    )


def _session(engine, meetup_id: int):
    with Session(engine) as db:
        meetup = db.get(Meetup, meetup_id)
        if meetup is None:
            return None
        survey = queries.session_survey(db, meetup_id)
        return meetup, survey, queries.approved(db, meetup.kind)


@guarded(Action.ENTER_SURVEY_ANSWER)
async def session_survey(request: Request) -> Response:
    found = await run_in_threadpool(
        _session, request.app.state.engine, request.path_params["meetup_id"]
    )
    if found is None:
        return refuse(request, "開催回が見つかりません。", 404)
    meetup, survey, approved = found
    return page(
        request,
        "surveys/session.html",
        meetup=meetup,
        survey=survey,
        approved=approved,
        url=survey_url(request, survey.token) if survey else "",
        closes_at=commands.closes_at(meetup),
        is_open=commands.is_open(meetup),
    )


@guarded(Action.ATTACH_SURVEY)
async def attach(request: Request) -> Response:
    meetup_id = request.path_params["meetup_id"]
    form = await _form(request)
    questionnaire_id = forms.record_id(form.get("questionnaire_id"))
    if questionnaire_id is None:
        return refuse(request, "アンケートの版を選んでください。", 422)
    return await _change(
        request,
        lambda db, staff_id: commands.attach(
            db, meetup_id=meetup_id, questionnaire_id=questionnaire_id, staff_id=staff_id
        ),
        f"/meetups/{meetup_id}/survey",
    )


@guarded(Action.ENTER_SURVEY_ANSWER)
async def qr_code(request: Request) -> Response:
    def read(engine):
        with Session(engine) as db:
            return db.get(SurveyLink, request.path_params["meetup_id"])

    link = await run_in_threadpool(read, request.app.state.engine)
    if link is None:
        return refuse(request, "この開催回にはアンケートがありません。", 404)
    svg = segno.make(survey_url(request, link.token), error="m").svg_inline(
        scale=6, title="アンケートのQRコード"
    )
    return Response(svg, media_type="image/svg+xml")


def _entry(request: Request, found, *, status: int = 200, **context) -> Response:
    meetup, survey, _ = found
    return page(
        request,
        "surveys/entry.html",
        status,
        meetup=meetup,
        survey=survey,
        questions=survey.questions if survey else (),
        channels=ALTERNATIVES,
        token=uuid.uuid4().hex,
        **{"answers": {}, "errors": {}, "how": "paper", "saved": False, **context},
    )


@guarded(Action.ENTER_SURVEY_ANSWER)
async def entry_form(request: Request) -> Response:
    found = await run_in_threadpool(
        _session, request.app.state.engine, request.path_params["meetup_id"]
    )
    if found is None or found[1] is None:
        return refuse(request, "この開催回にはアンケートがありません。", 404)
    how = Channel.parse(request.query_params.get("how"))
    saved = request.query_params.get("saved") == "1"
    return _entry(request, found, how=how.value if how else "paper", saved=saved)


@guarded(Action.ENTER_SURVEY_ANSWER)
async def enter(request: Request) -> Response:
    """An answer given another way, entered by staff; then a fresh form for the next one."""
    engine, meetup_id = request.app.state.engine, request.path_params["meetup_id"]
    found = await run_in_threadpool(_session, engine, meetup_id)
    if found is None or found[1] is None:
        return refuse(request, "この開催回にはアンケートがありません。", 404)
    form = await request.form()
    values = {k: [v for v in form.getlist(k) if isinstance(v, str)] for k in set(form.keys())}
    how_value = (values.get("how") or [""])[0]
    token = (values.get("token") or [""])[0]
    how = Channel.parse(how_value)
    try:
        if how is None or how is Channel.WEB:
            raise Invalid({"how": "回答の受け取り方を選んでください。"})
        answers = parse_answers(found[1].questions, values)
        staff_id = request.state.staff.id
        questionnaire_id = found[1].questionnaire.id

        def store():
            with transaction(engine) as db:
                commands.record(
                    db,
                    meetup_id=meetup_id,
                    questionnaire_id=questionnaire_id,
                    answers=answers,
                    client_token=token,
                    how=how,
                    staff_id=staff_id,
                )

        await run_in_threadpool(store)
    except Invalid as invalid:
        return _entry(
            request, found, status=422, answers=values, errors=invalid.errors, how=how_value
        )
    except Refused as refused:
        return _entry(
            request,
            found,
            status=refused.status,
            answers=values,
            errors={"form": refused.message},
            how=how_value,
        )
    return RedirectResponse(
        f"/meetups/{meetup_id}/survey/entry?how={how.value}&saved=1", status_code=303
    )
