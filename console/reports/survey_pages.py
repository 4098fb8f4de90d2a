"""Survey analysis (spec 6(1)⑤, 6(7)②): one session's figures — response count and rate
against the participants the log counts, each question's distribution, the scale's mean and
median — and, for the manager, the free text (each read audited); the fiscal year's trend per
scale question as a chart that reads without colour."""

from datetime import date

from sqlmodel import Session, select
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from console.core import forms
from console.core.pages import page, refuse
from console.live.models import Meetup
from console.reports.documents import Document
from console.reports.inputs import figures_of, staff_roster
from console.reports.summary import session_label
from console.reports.survey_tables import TEXT_HEADING, SurveyColumn, free_texts, survey_table
from console.reports.survey_trends import Point, trend_svg
from console.security.audit import audited_read
from console.security.auth import guarded
from console.security.permissions import Action, allowed
from console.session.vocab import MeetupStatus
from console.settings import TZ
from console.store.columns import utcnow
from console.surveys.queries import session_survey, tally
from console.surveys.questions import QuestionKind


def session_results(db: Session, meetup_id: int, *, with_texts: bool) -> Document | None:
    meetup = db.get(Meetup, meetup_id)
    survey = session_survey(db, meetup_id, with_texts=with_texts) if meetup else None
    if survey is None:
        return None
    figs = figures_of(db, meetup, staff_roster(db))
    column = SurveyColumn(
        session_label(meetup), len(figs.participants), survey.responses, survey.questions
    )
    written = free_texts([column]) if with_texts else ""
    return Document(
        title=f"アンケート集計 {session_label(meetup, year=True)}",
        subtitle=(
            f"第{survey.questionnaire.version}版「{survey.questionnaire.title}」 ・ "
            f"回答 {len(survey.responses)}件(うち代替回答 {survey.alternative}件)"
        ),
        tables=(survey_table([column]),),
        texts=((TEXT_HEADING, written),) if written else (),
    )


@guarded(Action.VIEW_SURVEY_RESULTS)
async def results(request: Request) -> Response:
    meetup_id = request.path_params["meetup_id"]
    staff = request.state.staff
    with_texts = allowed(staff.role, Action.READ_SURVEY_TEXT)
    document = await run_in_threadpool(
        audited_read,
        request.app.state.engine,
        staff.id,
        "survey.text" if with_texts else "survey.figures",
        f"meetup:{meetup_id}",
        lambda db: session_results(db, meetup_id, with_texts=with_texts),
    )
    if document is None:
        return refuse(request, "この開催回のアンケートはありません。", 404)
    return page(request, "reports/survey_results.html", doc=document, meetup_id=meetup_id)


def fiscal_trends(db: Session, fiscal_year: int) -> list[tuple[str, list[Point]]]:
    """Per scale question (the same wording, kind and end labels across versions; a changed
    wording is another question), its mean at each session of the fiscal year."""
    meetups = db.exec(
        select(Meetup)
        .where(Meetup.date >= date(fiscal_year, 4, 1), Meetup.date < date(fiscal_year + 1, 4, 1))
        .where(Meetup.status == MeetupStatus.CLOSED)
        .order_by(Meetup.date, Meetup.starts_at, Meetup.id)
    ).all()
    series: dict[str, tuple[str, list[Point]]] = {}
    for meetup in meetups:
        survey = session_survey(db, meetup.id)
        if survey is None:
            continue
        for t in tally(survey.responses, survey.questions):
            if t.question.kind != QuestionKind.SCALE or t.mean is None:
                continue
            low, high = t.question.options
            title = f"{t.question.text}(1={low} 〜 5={high})"
            _, points = series.setdefault(t.question.key, (title, []))
            points.append(Point(session_label(meetup), t.mean, t.answered))
    return list(series.values())


@guarded(Action.VIEW_SURVEY_RESULTS)
async def trends(request: Request) -> Response:
    today = utcnow().astimezone(TZ).date()
    current = today.year if today.month >= 4 else today.year - 1
    raw = request.query_params.get("fy")
    fy = forms.number(raw, low=forms.FIRST_YEAR, high=forms.LAST_YEAR)
    if raw is None:
        fy = current
    elif fy is None:
        return refuse(request, "年度の指定が正しくありません。", 400)

    def read(engine):
        with Session(engine) as db:
            return fiscal_trends(db, fy)

    found = await run_in_threadpool(read, request.app.state.engine)
    charts = [(title, points, trend_svg(title, points)) for title, points in found]
    return page(request, "reports/survey_trends.html", fy=fy, charts=charts)
