"""Demo surveys: an approved questionnaire for each service, attached to the demo's sessions,
with answers (two of them alternative answers) for the past session, so the analysis, the
trend page and monthly report ② show data."""

import json
import secrets

from sqlmodel import Session, col, select

from console.live.models import Meetup
from console.session.vocab import MeetupKind, MeetupStatus
from console.store.columns import utcnow
from console.surveys.models import Questionnaire, SurveyLink, SurveyResponse
from console.surveys.questions import Channel, dump, parse_definition

QUESTIONS = """5段階|今日の会はいかがでしたか|よくなかった;とてもよかった
5段階|安心して過ごせましたか|そう思わない;そう思う
単一|次回も参加したいですか|参加したい;わからない;参加しない
複数|よかったところを選んでください|交流スペース;個別相談室;休憩スペース;情報提供スペース|任意
自由|ご意見・ご感想をお聞かせください||任意"""

# (scale 1, scale 2, single, multiple, free text, how it reached us)
ANSWERS = [
    (5, 4, 0, [0, 2], "話さなくても居ていいと言ってもらえて安心しました。", Channel.WEB),
    (4, 4, 0, [0], "", Channel.WEB),
    (3, 3, 1, [2], "", Channel.WEB),
    (4, 5, 0, [1, 3], "相談室で話を聞いてもらえてよかったです。", Channel.WEB),
    (2, 3, 1, [], "音声がときどき途切れました。", Channel.CHAT),
    (4, 4, 0, [0], "", Channel.SPOKEN),
]


def seed(db: Session, *, manager_id: int, ward_id: int) -> None:
    """Create what is missing (safe to run again)."""
    questionnaires = {}
    for kind in MeetupKind:
        found = db.exec(
            select(Questionnaire).where(
                Questionnaire.service == kind, col(Questionnaire.approved_at).is_not(None)
            )
        ).first()
        if found is None:
            found = Questionnaire(
                service=kind,
                version=1,
                title="参加された皆さまへのアンケート",
                questions=dump(parse_definition(QUESTIONS)),
                drafted_by=manager_id,
                approved_by=ward_id,
                approved_at=utcnow(),
            )
            db.add(found)
            db.flush()
        questionnaires[kind.value] = found.id
    meetups = db.exec(select(Meetup).where(Meetup.kind == MeetupKind.METAVERSE)).all()
    for meetup in meetups:
        if db.get(SurveyLink, meetup.id) is None:
            db.add(
                SurveyLink(
                    meetup_id=meetup.id,
                    questionnaire_id=questionnaires[meetup.kind],
                    token=f"demo-{secrets.token_urlsafe(24)}",  # unguessable, as any link
                    attached_by=manager_id,
                )
            )
    past = [m for m in meetups if m.status == MeetupStatus.CLOSED]
    for meetup in past:
        for n, (s1, s2, single, multiple, text, how) in enumerate(ANSWERS):
            token = f"demo-{meetup.id}-{n}"
            if db.exec(select(SurveyResponse).where(SurveyResponse.client_token == token)).first():
                continue
            choices = {"0": [s1], "1": [s2], "2": [single]} | ({"3": multiple} if multiple else {})
            db.add(
                SurveyResponse(
                    meetup_id=meetup.id,
                    questionnaire_id=questionnaires[meetup.kind],
                    client_token=token,
                    how=how.value,
                    entered_by=None if how is Channel.WEB else manager_id,
                    choices=json.dumps(choices, sort_keys=True),
                    free_text=json.dumps({"4": text}, ensure_ascii=False) if text else None,
                )
            )
