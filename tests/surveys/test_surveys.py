"""Surveys over HTTP on a real server (issue 14): draft → the ward approves → attached to a
session → answers (and one alternative answer) → the session's figures and monthly report ②;
approved versions never change; bad input stores nothing; the ward never gets free text."""

import re
from datetime import date

import httpx
import pytest
from sqlmodel import Session, select

from console.session import events as ev
from console.session.models import Participant
from console.surveys.models import Questionnaire, SurveyLink, SurveyResponse
from tests.conftest import Staff, make_server, seed
from tests.scripted import jst, make_meetup, play

DAY = date(2023, 9, 10)  # a month no other test of this server uses
QUESTIONS = """5段階|今日の会はいかがでしたか|よくなかった;とてもよかった
単一|次回も参加したいですか|はい;いいえ;わからない
複数|よかった場所を選んでください|交流スペース;相談室;休憩スペース|任意
自由|ご意見・ご感想をお聞かせください||任意"""
SECRET = "秘密の感想ABC"


def form(client: Staff, path: str, **data):
    return client.http.post(path, data={"csrf_token": client.csrf, **data})


def closed_session(engine, day: date, participants: int) -> int:
    """A closed metaverse session on `day` that `participants` of the demo's people entered."""
    with Session(engine) as db:
        people = [p.id for p in db.exec(select(Participant).order_by(Participant.id))]
    meetup = make_meetup(engine, day)
    script = [(jst(day, "13:45"), None, ev.DoorsOpened())]
    script += [
        (
            jst(day, "14:00"),
            None,
            ev.ParticipantEntered(participant_id=p, space="exchange", late=False),
        )
        for p in people[:participants]
    ]
    script.append((jst(day, "17:00"), None, ev.MeetupClosed(reason="schedule")))
    play(engine, meetup, script)
    return meetup


def approved_questionnaire(manager: Staff, ward: Staff, engine, lines: str = QUESTIONS) -> int:
    assert (
        form(
            manager, "/surveys", service="metaverse", title="参加アンケート", questions=lines
        ).status_code
        == 303
    )
    with Session(engine) as db:
        draft = db.exec(
            select(Questionnaire).where(Questionnaire.approved_at.is_(None))  # type: ignore[union-attr]
        ).one()
    assert form(manager, f"/surveys/{draft.id}/approve").status_code == 403  # the ward approves
    assert form(ward, f"/surveys/{draft.id}/approve").status_code == 303
    return draft.id


def attach(manager: Staff, engine, meetup: int, questionnaire: int) -> str:
    assert (
        form(manager, f"/meetups/{meetup}/survey", questionnaire_id=str(questionnaire)).status_code
        == 303
    )
    with Session(engine) as db:
        return db.get(SurveyLink, meetup).token


class Answerer:
    """A participant's browser without JavaScript: the form's cookie, CSRF field and token."""

    def __init__(self, url: str, token: str) -> None:
        self.http = httpx.Client(base_url=url, timeout=10)
        self.path = f"/survey/{token}"

    def open(self) -> tuple[httpx.Response, dict[str, str]]:
        page = self.http.get(self.path)
        hidden = dict(re.findall(r'name="(csrf_token|token)" value="([^"]*)"', page.text))
        return page, hidden

    def send(self, answers: list[tuple[str, str]], hidden: dict[str, str] | None = None):
        if hidden is None:
            _, hidden = self.open()
        data: dict[str, list[str]] = {
            "csrf_token": [hidden["csrf_token"]],
            "token": [hidden["token"]],
        }
        for name, value in answers:
            data.setdefault(name, []).append(value)
        return self.http.post(self.path, data=data)


def count(engine, meetup: int) -> int:
    with Session(engine) as db:
        return len(db.exec(select(SurveyResponse).where(SurveyResponse.meetup_id == meetup)).all())


@pytest.fixture(scope="module")
def surveys(tmp_path_factory):
    """Its own database and server: the survey stays open for old sessions (SURVEY_DAYS_OPEN)."""
    tmp = tmp_path_factory.mktemp("surveys")
    url = f"sqlite:///{tmp / 'surveys.db'}"
    engine, _ = seed(url)
    server = make_server(url, tmp, SURVEY_DAYS_OPEN="36500").start()
    manager, ward = Staff(server, "manager"), Staff(server, "ward")
    questionnaire = approved_questionnaire(manager, ward, engine)
    yield server, engine, manager, ward, questionnaire
    server.stop()


def test_an_approved_version_cannot_change_and_a_change_is_the_next_version(surveys):
    server, engine, manager, ward, questionnaire = surveys
    changed = QUESTIONS.replace("今日の会はいかがでしたか", "今日の会はどうでしたか")
    assert (
        form(manager, "/surveys", service="metaverse", title="改訂", questions=changed).status_code
        == 303
    )
    with Session(engine) as db:
        first = db.get(Questionnaire, questionnaire)
        assert first.title == "参加アンケート" and "いかがでしたか" in first.questions
        second = db.exec(
            select(Questionnaire).where(Questionnaire.approved_at.is_(None))  # type: ignore[union-attr]
        ).one()
        assert second.version == first.version + 1
        assert second.approved_at is None and "どうでしたか" in second.questions
    # Changing the approved row itself is refused by the model's guard, whoever tries.
    from console.core.errors import Refused
    from console.store.db import transaction

    with pytest.raises(Refused), transaction(engine) as db:
        row = db.get(Questionnaire, questionnaire)
        row.title = "書き換え"
        db.add(row)
    assert form(ward, f"/surveys/{questionnaire}/approve").status_code == 409
    # A draft cannot be attached to a session.
    meetup = closed_session(engine, date(2023, 10, 8), 1)
    refused = form(manager, f"/meetups/{meetup}/survey", questionnaire_id=str(second.id))
    assert refused.status_code == 409 and "承認した版だけ" in refused.text
    preview = manager.http.get(f"/surveys/{second.id}/preview")
    assert preview.status_code == 200 and "今日の会はどうでしたか" in preview.text


def test_bad_answers_get_a_clear_message_and_store_nothing(surveys):
    server, engine, manager, ward, questionnaire = surveys
    meetup = closed_session(engine, date(2023, 11, 12), 2)
    token = attach(manager, engine, meetup, questionnaire)
    person = Answerer(server.url, token)
    page, hidden = person.open()
    assert page.status_code == 200 and "港区への報告" in page.text
    cases = [
        ([("q1", "0")], "質問1に回答してください"),  # a required answer missing
        ([("q0", "6"), ("q1", "0")], "質問1の選択肢が正しくありません"),  # out of range
        ([("q0", "3"), ("q1", "0"), ("q1", "1")], "質問2は1つだけ選んでください"),
        ([("q0", "3"), ("q1", "0"), ("q3", "あ" * 10_000)], "2000文字以内"),
        ([("q0", "3"), ("q1", "0"), ("q3", "こんにちは\x07")], "制御文字"),
        ([("q0", "３"), ("q1", "0")], "質問1の選択肢が正しくありません"),  # full-width digit
    ]
    for answers, message in cases:
        refused = person.send(answers, hidden)
        assert refused.status_code == 422 and message in refused.text, message
    assert person.send([("q0", "3"), ("q1", "0")], {**hidden, "csrf_token": "x"}).status_code == 403
    assert person.http.get(f"/survey/{token[:-2]}xx").status_code == 404  # tampered token
    assert person.http.get("/survey/" + "a" * 300).status_code == 404
    assert count(engine, meetup) == 0
    # A double submit (the same form sent twice) stores one response.
    assert person.send([("q0", "3"), ("q1", "0")], hidden).status_code == 200
    assert person.send([("q0", "3"), ("q1", "0")], hidden).status_code == 200
    assert count(engine, meetup) == 1


def test_a_closed_survey_takes_no_answer(server, engine, staff, tmp_path):
    """On the shared server (SURVEY_DAYS_OPEN=7), a session that ended long ago is closed."""
    manager, ward = staff("manager"), staff("ward")
    with Session(engine) as db:
        done = db.exec(select(Questionnaire).where(Questionnaire.service == "metaverse")).all()
    questionnaire = (
        done[0].id
        if done and done[0].approved_at
        else approved_questionnaire(manager, ward, engine)
    )
    meetup = closed_session(engine, date(2022, 5, 8), 1)
    token = attach(manager, engine, meetup, questionnaire)
    person = Answerer(server.url, token)
    closed = person.http.get(person.path)
    assert closed.status_code == 410 and "受付は終了しました" in closed.text
    sent = person.http.post(person.path, data={"q0": "3", "q1": "0", "token": "t" * 32})
    assert sent.status_code == 410 and count(engine, meetup) == 0


def test_the_demo_has_an_approved_questionnaire_answers_and_a_trend(server, engine, staff):
    from console.live.models import Meetup
    from console.surveys.sample import ANSWERS

    manager, ward, support = staff("manager"), staff("ward"), staff("support")
    with Session(engine) as db:
        demo = [
            db.get(Meetup, link.meetup_id)
            for link in db.exec(select(SurveyLink)).all()
            if link.token.startswith("demo-")
        ]
        past = next(m for m in demo if m.status == "closed")
        running = next(m for m in demo if m.status != "closed")
        link = db.get(SurveyLink, running.id)
    results = manager.http.get(f"/meetups/{past.id}/survey/results")
    assert results.status_code == 200 and f"回答 {len(ANSWERS)}件(うち代替回答 2件)" in results.text
    assert (
        "安心しました" in results.text
        and "安心しました" not in ward.http.get(f"/meetups/{past.id}/survey/results").text
    )
    page = support.http.get(f"/meetups/{running.id}/survey")
    assert page.status_code == 200 and f"/survey/{link.token}" in page.text
    qr = support.http.get(f"/meetups/{running.id}/survey/qr.svg")
    assert qr.status_code == 200 and qr.headers["content-type"].startswith("image/svg+xml")
    assert b"<svg" in qr.content
    assert ward.http.get(f"/meetups/{running.id}/survey").status_code == 403
    assert httpx.get(f"{server.url}/survey/{link.token}").status_code == 200
    fy = past.date.year if past.date.month >= 4 else past.date.year - 1
    trends = ward.http.get(f"/surveys/trends?fy={fy}")
    assert trends.status_code == 200 and trends.text.count("<svg") >= 2
    wrong = ward.http.get("/surveys/trends?fy=abc")  # refused, not silently this year
    assert wrong.status_code == 400 and "年度の指定が正しくありません" in wrong.text
    monthly = manager.http.get(f"/monthly/{past.date.year}/{past.date.month}")
    assert "② アンケート集計結果" in monthly.text and "安心しました" in monthly.text
    listing = ward.http.get("/surveys")
    assert listing.status_code == 200 and "承認済" in listing.text


def test_alternative_answers_need_how_they_were_given_and_never_come_from_the_ward(surveys):
    server, engine, manager, ward, questionnaire = surveys
    meetup = closed_session(engine, date(2023, 12, 10), 1)
    attach(manager, engine, meetup, questionnaire)
    screen = manager.http.get(f"/meetups/{meetup}/survey/entry")
    token = re.search(r'name="token" value="([^"]+)"', screen.text)[1]
    data = {"csrf_token": manager.csrf, "token": token, "q0": "3", "q1": "0"}
    missing = manager.http.post(f"/meetups/{meetup}/survey/entry", data={**data, "how": "web"})
    assert missing.status_code == 422 and "受け取り方を選んでください" in missing.text
    assert (
        ward.http.post(
            f"/meetups/{meetup}/survey/entry",
            data={**data, "csrf_token": ward.csrf, "how": "letter"},
        ).status_code
        == 403
    )
    assert count(engine, meetup) == 0
    saved = manager.http.post(f"/meetups/{meetup}/survey/entry", data={**data, "how": "letter"})
    assert saved.status_code == 303
    again = manager.http.post(f"/meetups/{meetup}/survey/entry", data={**data, "how": "letter"})
    assert again.status_code == 303 and count(engine, meetup) == 1  # a double submit
    with Session(engine) as db:
        stored = db.exec(select(SurveyResponse).where(SurveyResponse.meetup_id == meetup)).one()
        assert stored.how == "letter" and stored.entered_by is not None


def test_a_new_version_splits_the_trend_where_the_wording_changed(surveys):
    server, engine, manager, ward, first = surveys
    changed = QUESTIONS.replace("今日の会はいかがでしたか", "今日の会は楽しめましたか")
    assert (
        form(manager, "/surveys", service="metaverse", title="改訂", questions=changed).status_code
        == 303
    )
    with Session(engine) as db:
        second = db.exec(
            select(Questionnaire).where(Questionnaire.approved_at.is_(None))  # type: ignore[union-attr]
        ).one()
    assert form(ward, f"/surveys/{second.id}/approve").status_code == 303
    for day, version, value in (
        (date(2024, 5, 12), first, "2"),
        (date(2024, 6, 9), second.id, "5"),
    ):
        meetup = closed_session(engine, day, 2)
        assert (
            Answerer(server.url, attach(manager, engine, meetup, version))
            .send([("q0", value), ("q1", "0")])
            .status_code
            == 200
        )
    trends = ward.http.get("/surveys/trends?fy=2024")
    assert "今日の会はいかがでしたか(1=よくなかった" in trends.text
    assert "今日の会は楽しめましたか(1=よくなかった" in trends.text
    assert trends.text.count("<svg") == 2


def test_the_tally_adds_up_the_same_question_across_versions():
    from console.surveys.queries import Answered, tally
    from console.surveys.questions import parse_definition

    v1 = parse_definition("5段階|安心できましたか|いいえ;はい\n自由|感想||任意")
    v2 = parse_definition("単一|また来ますか|はい;いいえ\n5段階|安心できましたか|いいえ;はい")
    tallies = tally(
        [
            Answered(v1, {"0": [5]}, {"1": "よかった"}),
            Answered(v2, {"0": [1], "1": [2]}, {}),
            Answered(v2, {"0": [0], "1": [4]}, {}),
        ]
    )
    scale = next(t for t in tallies if t.question.text == "安心できましたか")
    assert scale.counts == [0, 1, 0, 1, 1] and scale.mean == 11 / 3 and scale.median == 4.0
    assert next(t for t in tallies if t.question.text == "感想").texts == ["よかった"]
    assert next(t for t in tallies if t.question.text == "また来ますか").counts == [1, 1]


@pytest.mark.parametrize(
    "lines, message",
    [
        ("単一|質問|ひとつ", "選択肢を2〜10個"),
        ("5段階|質問|左", "両端の言葉"),
        ("自由|質問|ある", "自由記述の質問に選択肢"),
        ("謎|質問", "種類|質問文"),
        ("単一|質問|a;a", "重ならないように"),
        ("単一|質問|a;b|必須", "「任意」と書くか"),
        ("単一|" + "あ" * 201 + "|a;b", "1〜200文字"),
    ],
)
def test_a_malformed_questionnaire_is_refused_with_its_line(lines, message):
    from console.core.errors import Refused
    from console.surveys.questions import parse_definition

    with pytest.raises(Refused) as refused:
        parse_definition("自由|はじめに||任意\n" + lines)
    assert refused.value.message.startswith("2行目") and message in refused.value.message
