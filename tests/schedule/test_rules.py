"""The schedule rules of each kind (spec 6(1)②, 6(3)①, 6(4)①②): each rule accepted, refused,
and — where the manager may break it — accepted with a recorded reason."""

import datetime as dt
from datetime import datetime

import pytest

from console.schedule.rules import Planned, breaches, exceptions_text, months_ahead, refusal
from console.settings import TZ

TODAY = dt.date(2026, 6, 10)


def plan(kind: str, day: str, doors: str, start: str, end: str) -> Planned:
    date = dt.date.fromisoformat(day)

    def at(hhmm: str) -> datetime:
        return datetime.combine(date, dt.time.fromisoformat(hhmm), tzinfo=TZ)

    return Planned(kind, date, at(doors), at(start), at(end))


def codes(found) -> list[str]:
    return [b.code for b in found]


METAVERSE_OK = plan("metaverse", "2026-09-12", "13:45", "14:00", "17:00")
IN_PERSON_OK = plan("in_person", "2026-09-19", "14:00", "14:00", "17:00")
FAMILY_OK = plan("family_class", "2026-09-26", "13:30", "14:00", "16:00")


@pytest.mark.parametrize("ok", [METAVERSE_OK, IN_PERSON_OK, FAMILY_OK])
def test_a_session_keeping_every_rule_of_its_kind_is_accepted(ok):
    assert breaches(ok, [], today=TODAY) == []
    assert refusal([], "") is None


# --- hard rules: refused, with or without a reason ---------------------------------------

HARD = [
    (
        plan("metaverse", "2026-09-12", "09:45", "10:00", "11:00"),
        "hours",
        "入室開始13:45、開始14:00、終了17:00にしてください",
    ),
    (
        plan("in_person", "2026-09-19", "10:00", "10:00", "12:00"),
        "hours",
        "入室開始14:00、開始14:00、終了17:00にしてください",
    ),
    (
        plan("family_class", "2026-09-26", "08:45", "09:00", "11:00"),
        "afternoon",
        "開始時刻を12:00以降にしてください",
    ),
    (
        plan("family_class", "2026-09-26", "13:30", "14:00", "15:00"),
        "length",
        "終了時刻を開始の2〜3時間後にしてください",
    ),
]


@pytest.mark.parametrize(("planned", "code", "change"), HARD)
def test_a_hard_rule_is_refused_even_with_a_reason(planned, code, change):
    found = breaches(planned, [], today=TODAY)
    assert codes(found) == [code]
    for reason in ("", "区と合意済み"):
        message = refusal(found, reason)
        assert message is not None and message.startswith("登録できません。")
        assert change in message and "仕様" in message


def test_eight_metaverse_sessions_in_august_are_refused_after_the_first():
    august = [plan("metaverse", f"2026-08-{d:02d}", "13:45", "14:00", "17:00") for d in (1, 8)]
    assert breaches(august[0], [], today=TODAY) == []
    found = breaches(august[1], [august[0]], today=TODAY)
    assert codes(found) == ["once_a_month"]
    message = refusal(found, "区の依頼")
    assert "月1回の開催です" in message and "8月には8月1日の回があります" in message
    assert "別の月の日付にしてください" in message
    other_kind = plan("in_person", "2026-08-08", "14:00", "14:00", "17:00")
    assert "once_a_month" not in codes(breaches(august[1], [other_kind], today=TODAY))


# --- breakable rules: refused without a reason, accepted with one --------------------------

BREAKABLE = [
    (plan("metaverse", "2026-07-11", "13:45", "14:00", "17:00"), "months", "8月〜3月の日付"),
    (plan("in_person", "2026-07-18", "14:00", "14:00", "17:00"), "lead_time", "2026年8月10日以降"),
    (
        plan("family_class", "2026-06-27", "13:30", "14:00", "16:00"),
        "lead_time",
        "2026年8月10日以降",
    ),
]


@pytest.mark.parametrize(("planned", "code", "change"), BREAKABLE)
def test_a_breakable_rule_needs_a_reason_which_is_kept(planned, code, change):
    found = breaches(planned, [], today=TODAY)
    assert codes(found) == [code] and found[0].breakable
    message = refusal(found, "")
    assert message.startswith("次のルールを外れています。") and change in message
    assert "ルールを外れる理由" in message
    assert refusal(found, "区と合意した日程") is None
    kept = exceptions_text(found, "区と合意した日程")
    assert kept == f"{found[0].rule}: 区と合意した日程"


def test_family_classes_in_april_and_may_may_be_fixed_later():
    april = plan("family_class", "2027-04-17", "13:30", "14:00", "16:00")
    assert breaches(april, [], today=dt.date(2027, 3, 20)) == []
    june = plan("family_class", "2027-06-05", "13:30", "14:00", "16:00")
    assert codes(breaches(june, [], today=dt.date(2027, 5, 1))) == ["lead_time"]


def test_a_hard_breach_is_refused_even_beside_a_breakable_one():
    both = plan("in_person", "2026-07-18", "10:00", "10:00", "12:00")
    found = breaches(both, [], today=TODAY)
    assert codes(found) == ["hours", "lead_time"]
    assert refusal(found, "理由あり").startswith("登録できません。")


def test_two_months_ahead_counts_calendar_months():
    assert months_ahead(dt.date(2026, 6, 10), 2) == dt.date(2026, 8, 10)
    assert months_ahead(dt.date(2026, 12, 31), 2) == dt.date(2027, 2, 28)
    assert months_ahead(dt.date(2026, 11, 30), 2) == dt.date(2027, 1, 30)
