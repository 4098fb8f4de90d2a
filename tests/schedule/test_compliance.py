"""Staffing rules of each kind of meetup and the periods they were unmet (issue 5 item 3)."""

from dataclasses import replace
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from console.schedule.compliance import (
    OnDuty,
    Rule,
    check_staffing,
    unmet,
    unmet_periods,
    unmet_since,
)

TOKYO = ZoneInfo("Asia/Tokyo")


def at(hh: int, mm: int) -> datetime:
    return datetime(2026, 8, 23, hh, mm, tzinfo=TOKYO)


MANAGER = OnDuty(1, "manager", qualified=True, post="overall", experienced=True)
FACILITATOR = OnDuty(2, "facilitator", post="exchange")
QUALIFIED_A = OnDuty(3, "counsellor", qualified=True, post="consultation")
QUALIFIED_B = OnDuty(4, "counsellor", qualified=True, post="consultation")
PEER = OnDuty(5, "counsellor", qualified=False, post="rest")
SUPPORT = OnDuty(6, "support", post="info")
METAVERSE = [MANAGER, FACILITATOR, QUALIFIED_A, QUALIFIED_B, PEER, SUPPORT]


def without(roster: list[OnDuty], *gone: OnDuty) -> list[OnDuty]:
    return [d for d in roster if d not in gone]


def codes(results: list[Rule]) -> set[str]:
    return {r.code for r in unmet(results)}


def labels(results: list[Rule]) -> dict[str, str]:
    return {r.code: r.label for r in results}


# --- metaverse -------------------------------------------------------------------------


def test_metaverse_fully_staffed_meets_every_rule():
    results = check_staffing("metaverse", METAVERSE)
    assert results == [
        Rule("counsellors", "相談員3名以上(現在3名)", True),
        Rule("qualified_counsellors", "うち専門相談員2名以上(現在2名)", True),
        Rule("exchange_facilitator", "交流スペースにファシリテーター1名以上(現在1名)", True),
        Rule("manager", "管理者1名以上(現在1名)", True),
        Rule("manager_requirements", "管理者が資格とひきこもり支援の経験を持つ(仕様7(2))", True),
        Rule("support", "支援員1名以上(現在1名)", True),
    ]
    assert unmet(results) == []


@pytest.mark.parametrize(
    ("gone", "broken"),
    [
        (MANAGER, {"manager"}),
        (FACILITATOR, {"exchange_facilitator"}),
        (QUALIFIED_A, {"counsellors", "qualified_counsellors"}),
        (PEER, {"counsellors"}),
        (SUPPORT, {"support"}),
    ],
)
def test_metaverse_each_missing_person_breaks_exactly_their_rules(gone, broken):
    assert codes(check_staffing("metaverse", without(METAVERSE, gone))) == broken


def test_metaverse_unmet_labels_give_the_current_count():
    results = check_staffing("metaverse", without(METAVERSE, QUALIFIED_A, FACILITATOR))
    assert labels(results)["counsellors"] == "相談員3名以上(現在2名)"
    assert labels(results)["qualified_counsellors"] == "うち専門相談員2名以上(現在1名)"
    assert (
        labels(results)["exchange_facilitator"] == "交流スペースにファシリテーター1名以上(現在0名)"
    )
    assert [r.code for r in unmet(results)] == [
        "counsellors",
        "qualified_counsellors",
        "exchange_facilitator",
    ]


def test_metaverse_three_counsellors_but_only_one_qualified():
    roster = [*without(METAVERSE, QUALIFIED_B), replace(QUALIFIED_B, qualified=False)]
    assert codes(check_staffing("metaverse", roster)) == {"qualified_counsellors"}


def test_metaverse_facilitator_must_be_posted_in_the_exchange_space():
    elsewhere = [*without(METAVERSE, FACILITATOR), replace(FACILITATOR, post="rest")]
    assert codes(check_staffing("metaverse", elsewhere)) == {"exchange_facilitator"}
    # a counsellor in the exchange space is not a facilitator
    counsellor_there = [*elsewhere, replace(PEER, post="exchange")]
    assert codes(check_staffing("metaverse", counsellor_there)) == {"exchange_facilitator"}


def test_only_counsellors_count_as_counsellors_and_each_person_once():
    roster = [
        *without(METAVERSE, PEER),
        OnDuty(7, "facilitator", qualified=True, post="info"),  # qualified, not a counsellor
        OnDuty(8, "ward", post="overall"),
        replace(QUALIFIED_A, post="exchange"),  # the same person listed twice
    ]
    results = check_staffing("metaverse", roster)
    assert codes(results) == {"counsellors"}
    assert labels(results)["counsellors"] == "相談員3名以上(現在2名)"


def test_metaverse_nobody_on_duty_breaks_every_rule():
    assert len(unmet(check_staffing("metaverse", []))) == 5


# --- in person --------------------------------------------------------------------------


def test_in_person_two_qualified_counsellors():
    assert check_staffing("in_person", [QUALIFIED_A, QUALIFIED_B]) == [
        Rule("qualified_counsellors", "専門相談員2名以上(現在2名)", True)
    ]


def test_in_person_unqualified_counsellors_do_not_make_up_the_number():
    roster = [QUALIFIED_A, PEER, OnDuty(9, "counsellor"), OnDuty(7, "facilitator", qualified=True)]
    assert check_staffing("in_person", roster) == [
        Rule("qualified_counsellors", "専門相談員2名以上(現在1名)", False)
    ]


# --- family class ----------------------------------------------------------------------


def test_family_class_met():
    results = check_staffing("family_class", [QUALIFIED_A, PEER, FACILITATOR])
    assert results == [
        Rule("counsellors", "相談員2名以上(現在2名)", True),
        Rule("qualified_counsellors", "うち専門相談員1名以上(現在1名)", True),
        Rule("group_facilitators", "ファシリテーター各グループ1名以上(1グループ・現在1名)", True),
    ]


def test_family_class_counsellor_rules_unmet():
    assert codes(check_staffing("family_class", [QUALIFIED_A, FACILITATOR])) == {"counsellors"}
    two_peers = [PEER, OnDuty(9, "counsellor"), FACILITATOR]
    assert codes(check_staffing("family_class", two_peers)) == {"qualified_counsellors"}
    assert codes(check_staffing("family_class", [QUALIFIED_A, PEER])) == {"group_facilitators"}


def test_family_class_a_facilitator_for_each_counted_group():
    second = OnDuty(10, "facilitator")
    one = check_staffing("family_class", [QUALIFIED_A, PEER, FACILITATOR], groups=2)
    assert (
        labels(one)["group_facilitators"] == "ファシリテーター各グループ1名以上(2グループ・現在1名)"
    )
    assert codes(one) == {"group_facilitators"}
    two = check_staffing("family_class", [QUALIFIED_A, PEER, FACILITATOR, second], groups=2)
    assert unmet(two) == []


def test_family_class_a_facilitator_at_each_named_group():
    a = OnDuty(2, "facilitator", post="A")
    b = OnDuty(10, "facilitator", post="B")
    also_a = OnDuty(11, "facilitator", post="A")
    base = [QUALIFIED_A, PEER]
    both = check_staffing("family_class", [*base, a, b], groups=["A", "B"])
    assert (
        labels(both)["group_facilitators"]
        == "ファシリテーター各グループ1名以上(2グループとも配置済み)"
    )
    assert unmet(both) == []
    # two facilitators, but both with group A: B has none
    crowded = check_staffing("family_class", [*base, a, also_a], groups=["A", "B"])
    assert unmet(crowded) == [
        Rule("group_facilitators", "ファシリテーター各グループ1名以上(未配置: B)", False)
    ]
    nobody = check_staffing("family_class", base, groups=["A", "B", "C"])
    assert (
        labels(nobody)["group_facilitators"] == "ファシリテーター各グループ1名以上(未配置: A・B・C)"
    )


# --- bad input ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "roster", "kwargs"),
    [
        ("seminar", [], {}),
        ("metaverse", [], {"groups": 2}),
        ("in_person", [], {"groups": ["A"]}),
        ("metaverse", [OnDuty(1, "manager", post="A")], {}),  # not a post of the metaverse
        ("family_class", [], {"groups": 0}),
        ("family_class", [], {"groups": []}),
        ("family_class", [], {"groups": "AB"}),
        ("family_class", [], {"groups": ["A", "A"]}),
    ],
)
def test_bad_input_is_refused(kind, roster, kwargs):
    with pytest.raises(ValueError):
        check_staffing(kind, roster, **kwargs)


def test_unknown_role_is_refused():
    with pytest.raises(ValueError):
        OnDuty(1, "volunteer")


# --- over a session ----------------------------------------------------------------------


def timeline(kind: str, *steps: tuple[datetime, list[OnDuty]]):
    return [(t, check_staffing(kind, roster)) for t, roster in steps]


def test_counsellor_going_off_duty_mid_session_and_a_replacement_arriving():
    replacement = OnDuty(7, "counsellor", post="rest")
    snapshots = timeline(
        "metaverse",
        (at(13, 45), METAVERSE),
        (at(15, 10), without(METAVERSE, PEER)),
        (at(15, 40), [*without(METAVERSE, PEER), replacement]),
    )
    assert [codes(results) for _, results in snapshots] == [set(), {"counsellors"}, set()]
    assert unmet_periods(snapshots, until=at(17, 0)) == {
        "counsellors": [(at(15, 10), at(15, 40))],
        "qualified_counsellors": [],
        "exchange_facilitator": [],
        "manager": [],
        "manager_requirements": [],
        "support": [],
    }
    assert unmet_since(snapshots) == {}


def test_qualified_counsellor_leaving_for_good_is_unmet_until_the_close():
    snapshots = timeline(
        "metaverse",
        (at(13, 45), METAVERSE),
        (at(16, 0), without(METAVERSE, QUALIFIED_A)),
        (at(16, 30), without(METAVERSE, QUALIFIED_A, SUPPORT)),
    )
    periods = unmet_periods(snapshots, until=at(17, 0))
    assert periods["counsellors"] == [(at(16, 0), at(17, 0))]
    assert periods["qualified_counsellors"] == [(at(16, 0), at(17, 0))]
    assert periods["support"] == [(at(16, 30), at(17, 0))]
    assert unmet_since(snapshots) == {
        "counsellors": at(16, 0),  # not reset by the later snapshot
        "qualified_counsellors": at(16, 0),
        "support": at(16, 30),
    }


def test_facilitator_leaving_the_exchange_space_and_coming_back_twice():
    away = [*without(METAVERSE, FACILITATOR), replace(FACILITATOR, post="rest")]
    snapshots = timeline(
        "metaverse",
        (at(13, 45), METAVERSE),
        (at(14, 30), away),
        (at(14, 50), METAVERSE),
        (at(16, 40), away),
    )
    assert codes(snapshots[1][1]) == {"exchange_facilitator"}
    assert unmet_periods(snapshots, until=at(17, 0))["exchange_facilitator"] == [
        (at(14, 30), at(14, 50)),
        (at(16, 40), at(17, 0)),
    ]
    assert unmet_since(snapshots) == {"exchange_facilitator": at(16, 40)}


def test_unmet_from_the_first_snapshot_on_a_family_class():
    snapshots = timeline(
        "family_class",
        (at(13, 0), [QUALIFIED_A, FACILITATOR]),
        (at(13, 20), [QUALIFIED_A, PEER, FACILITATOR]),
    )
    assert unmet_periods(snapshots, until=at(15, 0)) == {
        "counsellors": [(at(13, 0), at(13, 20))],
        "qualified_counsellors": [],
        "group_facilitators": [],
    }


def test_periods_edge_cases():
    broken, fixed = Rule("x", "x", False), Rule("x", "x", True)
    assert unmet_periods([], until=at(17, 0)) == {}
    # two snapshots at one time: the later wins, no zero-length period
    assert unmet_periods([(at(14, 0), [broken]), (at(14, 0), [fixed])], until=at(17, 0)) == {
        "x": []
    }
    # unmet at the very end: nothing of no length
    assert unmet_periods([(at(17, 0), [broken])], until=at(17, 0)) == {"x": []}
    # a rule missing from a later snapshot counts as met from then
    assert unmet_periods([(at(14, 0), [broken]), (at(15, 0), [])], until=at(17, 0)) == {
        "x": [(at(14, 0), at(15, 0))]
    }


def test_periods_refuse_out_of_order_input():
    with pytest.raises(ValueError):
        unmet_periods([(at(15, 0), []), (at(14, 0), [])], until=at(17, 0))
    with pytest.raises(ValueError):
        unmet_periods([(at(15, 0), [])], until=at(14, 0))
    with pytest.raises(ValueError):
        unmet_since([(at(15, 0), []), (at(14, 0), [])])
