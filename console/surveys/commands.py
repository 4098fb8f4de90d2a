"""Changing surveys: the manager drafts a questionnaire, the ward approves it, the manager
attaches an approved one to a session, and answers arrive (from the form, or entered by staff
on a participant's behalf). Each runs inside the caller's transaction."""

import secrets
from datetime import datetime, timedelta

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from console import settings
from console.core import forms
from console.core.errors import Refused
from console.live.models import Meetup
from console.session.vocab import MeetupKind
from console.store.columns import utcnow
from console.surveys.models import Questionnaire, SurveyLink, SurveyResponse
from console.surveys.questions import Answers, Channel, parse_definition
from console.surveys.questions import dump as dump_questions

TITLE_MAX = 100


def draft(db: Session, *, service: str, title: str, lines: str, staff_id: int) -> Questionnaire:
    """A new draft, or the open draft of that service rewritten; an approved version is
    never touched (a change after approval is the next version)."""
    kind = MeetupKind.parse(service)
    if kind is None:
        raise Refused("サービスの種類が正しくありません。")
    title = forms.clean(title, label="アンケートの題名", max_len=TITLE_MAX)
    if "\n" in title or "\t" in title:
        raise Refused("アンケートの題名は1行で入力してください。")
    questions = dump_questions(parse_definition(lines))
    latest = db.exec(
        select(Questionnaire)
        .where(Questionnaire.service == kind)
        .order_by(col(Questionnaire.version).desc())
    ).first()
    if latest is not None and latest.approved_at is None:
        latest.title, latest.questions = title, questions
        latest.drafted_by, latest.drafted_at = staff_id, utcnow()
        db.add(latest)
        return latest
    version = Questionnaire(
        service=kind,
        version=(latest.version + 1) if latest else 1,
        title=title,
        questions=questions,
        drafted_by=staff_id,
    )
    db.add(version)
    db.flush()
    return version


def approve(db: Session, *, questionnaire_id: int, staff_id: int) -> Questionnaire:
    version = db.get(Questionnaire, questionnaire_id)
    if version is None:
        raise Refused("アンケートの版が見つかりません。", status=404)
    if version.approved_at is not None:
        raise Refused("この版はすでに承認されています。", status=409)
    version.approved_by, version.approved_at = staff_id, utcnow()
    db.add(version)
    return version


def attach(db: Session, *, meetup_id: int, questionnaire_id: int, staff_id: int) -> SurveyLink:
    """The session's survey uses this approved version; its token stays once made."""
    meetup = db.get(Meetup, meetup_id)
    version = db.get(Questionnaire, questionnaire_id)
    if meetup is None or version is None:
        raise Refused("開催回またはアンケートが見つかりません。", status=404)
    if version.approved_at is None:
        raise Refused("区が承認した版だけを使えます。", status=409)
    if version.service != meetup.kind:
        raise Refused("この開催回の種類のアンケートを選んでください。", status=409)
    link = db.get(SurveyLink, meetup_id)
    if link is not None:
        answered = db.exec(
            select(SurveyResponse.id).where(SurveyResponse.meetup_id == meetup_id)
        ).first()
        if answered is not None and link.questionnaire_id != questionnaire_id:
            raise Refused("回答がある開催回のアンケートは変えられません。", status=409)
        link.questionnaire_id, link.attached_by, link.attached_at = (
            questionnaire_id,
            staff_id,
            utcnow(),
        )
        db.add(link)
        return link
    link = SurveyLink(
        meetup_id=meetup_id,
        questionnaire_id=questionnaire_id,
        token=secrets.token_urlsafe(24),
        attached_by=staff_id,
    )
    db.add(link)
    return link


def closes_at(meetup: Meetup) -> datetime:
    return meetup.ends_at + timedelta(days=settings.SURVEY_DAYS_OPEN)


def is_open(meetup: Meetup, now: datetime | None = None) -> bool:
    return (now or utcnow()) < closes_at(meetup)


def record(
    db: Session,
    *,
    meetup_id: int,
    questionnaire_id: int,
    answers: Answers,
    client_token: str,
    how: Channel = Channel.WEB,
    staff_id: int | None = None,
) -> SurveyResponse:
    """One response per submission: a repeated client token returns the first one. Answers
    from the form are taken only while the survey is open; staff may enter later ones."""
    if not client_token or len(client_token) > 64 or not client_token.isascii():
        raise Refused("送信の情報が正しくありません。ページを開き直してください。")
    same = db.exec(
        select(SurveyResponse).where(SurveyResponse.client_token == client_token)
    ).first()
    if same is not None:
        return same
    meetup = db.get(Meetup, meetup_id)
    if how is Channel.WEB and not is_open(meetup):
        raise Refused("このアンケートの受付は終了しました。", status=410)
    response = SurveyResponse(
        meetup_id=meetup_id,
        questionnaire_id=questionnaire_id,
        client_token=client_token,
        how=how.value,
        entered_by=staff_id,
        choices=answers.choices_json(),
        free_text=answers.texts_json(),
    )
    db.add(response)
    try:
        db.flush()
    except IntegrityError:  # the same submission committed meanwhile by another request
        raise Refused("この回答はすでに受け付けています。", status=409) from None
    return response
