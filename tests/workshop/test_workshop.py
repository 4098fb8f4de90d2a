"""A family class on a real server: its own spaces, the workshop's groups with a facilitator
each (checked live), the speaking-turn tracker, bad input refused with nothing recorded, the
facilitation warning, and a forced exit reported to the ward as 家族教室."""

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import Session, func, select

from console.live.models import EventRow, Meetup
from console.moderation.models import WardReport
from console.schedule.models import StaffExperience
from console.security.auth import hash_password
from console.security.models import Staff as StaffRow
from console.settings import TZ
from console.store.db import transaction
from tests.conftest import Staff, new_participant


def family_class(engine, groups: int = 2) -> int:
    now = datetime.now(UTC)
    with transaction(engine) as db:
        meetup = Meetup(
            date=now.astimezone(TZ).date(),
            kind="family_class",
            doors_at=now - timedelta(minutes=1),
            starts_at=now + timedelta(hours=1),
            ends_at=now + timedelta(hours=3),
            groups=groups,
        )
        db.add(meetup)
        db.flush()
        return meetup.id


def events(engine, meetup_id: int) -> int:
    with Session(engine) as db:
        query = select(func.count()).select_from(EventRow)
        return db.exec(query.where(EventRow.meetup_id == meetup_id)).one()


@pytest.fixture(scope="module")
def second_facilitator(server, engine):
    """A qualified facilitator with five workshops before the console: no warning for them."""
    login = f"fac-{uuid.uuid4().hex[:6]}"
    with transaction(engine) as db:
        row = StaffRow(
            login_id=login,
            display_name="ファシリ 木村",
            role="facilitator",
            qualification="social_worker",
            password_hash=hash_password("demo-pass-2026"),
        )
        db.add(row)
        db.flush()
        db.add(StaffExperience(staff_id=row.id, prior_facilitations=5))
        staff_id = row.id
    return Staff(server, login), staff_id


@pytest.fixture(scope="module")
def workshop(server, engine, staff, second_facilitator):
    manager, first = staff("manager"), staff("facilitator")
    second, second_id = second_facilitator
    meetup_id = family_class(engine)
    assert manager.command(meetup_id, "open_doors").status_code == 200
    for who in (first, second):
        assert who.command(meetup_id, "duty_on", post="workshop").status_code == 200
    with Session(engine) as db:
        first_id = db.exec(select(StaffRow.id).where(StaffRow.login_id == "facilitator")).one()
    people = [new_participant(engine, name) for name in ("母A", "父B", "姉C")]
    for person in people:
        answer = manager.command(meetup_id, "enter", participant_code=person.code, space="lecture")
        assert answer.status_code == 200, answer.text
    return {
        "meetup": meetup_id,
        "manager": manager,
        "first": (first, first_id),
        "second": (second, second_id),
        "people": people,
    }


def test_a_family_class_has_its_own_spaces_and_posts(workshop, engine):
    w = workshop
    manager, meetup_id = w["manager"], w["meetup"]
    page = manager.http.get(f"/meetups/{meetup_id}").text
    assert "家族教室" in page and 'id="space-lecture"' in page and 'id="space-workshop"' in page
    assert 'id="space-exchange"' not in page and 'id="space-rest"' not in page
    before = events(engine, meetup_id)
    stranger = new_participant(engine, "迷子")
    refused = manager.command(meetup_id, "enter", participant_code=stranger.code, space="exchange")
    assert refused.status_code == 422 and "家族教室に「交流スペース」はありません" in refused.text
    wrong_post = manager.command(meetup_id, "duty_on", post="rest")
    assert wrong_post.status_code == 422 and "休憩スペース" in wrong_post.text
    assert events(engine, meetup_id) == before


def test_groups_facilitators_and_the_rule_checked_live(workshop, engine):
    w = workshop
    manager, meetup_id = w["manager"], w["meetup"]
    (first, first_id), (_, second_id) = w["first"], w["second"]
    for name in ("Aグループ", "Bグループ"):
        assert manager.command(meetup_id, "group_open", group=name).status_code == 200
    again = manager.command(meetup_id, "group_open", group="Aグループ")
    assert again.status_code == 422 and "すでにあります" in again.text
    page = manager.http.get(f"/meetups/{meetup_id}").text
    assert "未配置: Aグループ・Bグループ" in page
    posted = first.command(
        meetup_id, "group_facilitator", group="Aグループ", staff_id=str(first_id)
    )
    assert posted.status_code == 200
    page = manager.http.get(f"/meetups/{meetup_id}").text
    assert "未配置: Bグループ" in page and "未配置: Aグループ" not in page
    # The demo facilitator has five workshops on record but no qualification of 7(1): warned.
    assert "要件未充足: 仕様7(1)の資格なし</span>" in page
    before = events(engine, meetup_id)
    twice = manager.command(
        meetup_id, "group_facilitator", group="Bグループ", staff_id=str(first_id)
    )
    assert twice.status_code == 422 and "同時に2つのグループ" in twice.text
    missing = manager.command(
        meetup_id, "group_member", group="Zグループ", participant_id=str(w["people"][0].id)
    )
    assert missing.status_code == 422 and "「Zグループ」というグループはありません" in missing.text
    assert events(engine, meetup_id) == before
    assert (
        manager.command(
            meetup_id, "group_facilitator", group="Bグループ", staff_id=str(second_id)
        ).status_code
        == 200
    )
    page = manager.http.get(f"/meetups/{meetup_id}").text
    assert "ファシリテーター各グループ1名以上(2グループとも配置済み)" in page
    assert "要件充足(有資格・実施5回)" in page


def test_the_speaking_turn_tracker_shows_who_has_not_spoken_before_closing(workshop, engine):
    w = workshop
    manager, meetup_id = w["manager"], w["meetup"]
    first, _ = w["first"]
    second, _ = w["second"]
    mother, father, sister = w["people"]
    if "Aグループ" not in manager.http.get(f"/meetups/{meetup_id}").text:
        test_groups_facilitators_and_the_rule_checked_live(workshop, engine)
    for person in (mother, father):
        assert (
            manager.command(
                meetup_id, "group_member", group="Aグループ", participant_id=str(person.id)
            ).status_code
            == 200
        )
    before = events(engine, meetup_id)
    outsider = first.command(meetup_id, "turn", group="Aグループ", participant_id=str(sister.id))
    assert outsider.status_code == 422 and "「Aグループ」のメンバーではありません" in outsider.text
    not_theirs = second.command(meetup_id, "turn", group="Aグループ", participant_id=str(mother.id))
    assert not_theirs.status_code == 422 and "そのグループのファシリテーター" in not_theirs.text
    assert events(engine, meetup_id) == before
    assert (
        first.command(
            meetup_id, "turn", group="Aグループ", participant_id=str(mother.id)
        ).status_code
        == 200
    )
    page = manager.http.get(f"/meetups/{meetup_id}").text
    assert "発言: 1 / 2名" in page and f"まだの方: {father.display_name}" in page
    early = first.command(meetup_id, "group_close", group="Aグループ")
    assert early.status_code == 422
    assert f"まだ発言の機会がなかった方: {father.label}さん" in early.text
    assert events(engine, meetup_id) == before + 1
    assert (
        first.command(
            meetup_id, "turn", group="Aグループ", participant_id=str(father.id)
        ).status_code
        == 200
    )
    assert first.command(meetup_id, "group_close", group="Aグループ").status_code == 200
    page = manager.http.get(f"/meetups/{meetup_id}").text
    assert "Aグループ(終了)" in page and "グループ「Aグループ」を終了しました" in page


def test_a_forced_exit_in_a_family_class_is_reported_to_the_ward_as_a_family_class(
    workshop, engine
):
    w = workshop
    manager, meetup_id = w["manager"], w["meetup"]
    person = new_participant(engine, "退室")
    assert (
        manager.command(
            meetup_id, "enter", participant_code=person.code, space="lecture"
        ).status_code
        == 200
    )
    answer = manager.command(
        meetup_id,
        "force_exit",
        participant_id=str(person.id),
        immediate="on",
        reason="他の参加者への威圧があったため",
    )
    assert answer.status_code == 200, answer.text
    with Session(engine) as db:
        report = db.exec(select(WardReport).where(WardReport.meetup_id == meetup_id)).one()
    assert "家族教室" in report.body and "メタバース居場所" not in report.body
    assert "場所: 講義" in report.body


def test_facilitation_history_counts_sessions_in_the_log_plus_prior_experience(workshop, engine):
    from console.web.composition import bootstrap
    from console.workshop.queries import Fitness, facilitations

    bootstrap()
    w = workshop
    _, second_id = w["second"]
    if (
        events(engine, w["meetup"])
        and "Bグループ" not in w["manager"].http.get(f"/meetups/{w['meetup']}").text
    ):
        test_groups_facilitators_and_the_rule_checked_live(workshop, engine)
    with Session(engine) as db:
        counts = facilitations(db)
        before_this = facilitations(db, except_meetup=w["meetup"])
    assert counts[second_id] == 5 + 1  # five before the console, this session in the log
    assert before_this[second_id] == 5
    assert Fitness(qualified=True, facilitations=5).warning == ""
    assert Fitness(qualified=True, facilitations=4).warning == (
        "要件未充足: 実施経験4回(5回以上必要)"
    )
    assert Fitness(qualified=False, facilitations=9).warning == "要件未充足: 仕様7(1)の資格なし"


def test_the_manager_keeps_staff_experience_on_record(server, staff, engine, second_facilitator):
    manager = staff("manager")
    _, staff_id = second_facilitator
    listing = manager.http.get("/staff/experience")
    assert listing.status_code == 200 and "ファシリ 木村" in listing.text
    assert (
        "管理者の要件を満たしています" in listing.text
    )  # the demo manager: qualified, experienced
    headers = {"X-CSRF-Token": manager.csrf, "HX-Request": "true"}
    path = f"/staff/{staff_id}/experience"
    bad = manager.http.post(path, data={"prior_facilitations": "-3"}, headers=headers)
    assert bad.status_code == 422 and "0〜999" in bad.text
    with Session(engine) as db:
        assert db.get(StaffExperience, staff_id).prior_facilitations == 5
    saved = manager.http.post(
        path, data={"prior_facilitations": "7", "hikikomori_experience": "on"}, headers=headers
    )
    assert saved.status_code == 200 and "経験を記録しました" in saved.text
    with Session(engine) as db:
        record = db.get(StaffExperience, staff_id)
    assert (record.prior_facilitations, record.hikikomori_experience) == (7, True)
    ward = staff("ward")
    assert ward.http.get("/staff/experience").status_code == 403
    assert (
        manager.http.post("/staff/999999/experience", data={}, headers=headers).status_code == 404
    )
