"""Monthly report due dates (spec 6(7), issue 5 item 4).

Expected dates are literal, worked out by hand from a calendar and checked against the
`holidays` package's list of Japanese public holidays; they are not recomputed by the code
under test.
"""

from datetime import date, timedelta

import pytest

from console.schedule.duedates import (
    business_days_before,
    fiscal_year_due_dates,
    is_business_day,
    is_public_holiday,
    is_year_end_closure,
    next_business_day,
    previous_business_day,
    report_due,
)

# Fiscal year 2026 (April 2026 – March 2027), every report, by hand:
FY2026 = [
    (2026, 4, date(2026, 5, 11)),  # 5/10 Sun → Mon 5/11
    (2026, 5, date(2026, 6, 10)),  # Wed
    (2026, 6, date(2026, 7, 10)),  # Fri
    (2026, 7, date(2026, 8, 10)),  # Mon (山の日 is the 11th)
    (2026, 8, date(2026, 9, 10)),  # Thu
    (2026, 9, date(2026, 10, 13)),  # 10/10 Sat, 10/11 Sun, 10/12 スポーツの日 → Tue 10/13
    (2026, 10, date(2026, 11, 10)),  # Tue
    (2026, 11, date(2026, 12, 10)),  # Thu
    (2026, 12, date(2027, 1, 12)),  # 1/10 Sun, 1/11 成人の日 → Tue 1/12
    (2027, 1, date(2027, 2, 10)),  # Wed (建国記念の日 is the 11th)
    (2027, 2, date(2027, 3, 10)),  # Wed
    (2027, 3, date(2027, 3, 31)),  # March: by the 31st, a Wednesday
]


def test_whole_fiscal_year_2026():
    assert fiscal_year_due_dates(2026) == FY2026


@pytest.mark.parametrize(
    ("year", "month", "due"),
    [
        (2026, 4, date(2026, 5, 11)),  # the Sunday case
        (2026, 9, date(2026, 10, 13)),  # the Saturday + スポーツの日 case
        (2026, 12, date(2027, 1, 12)),  # the Sunday + 成人の日 case, across the new year
        (2027, 3, date(2027, 3, 31)),  # the March case
        (2022, 9, date(2022, 10, 11)),  # 10/10/2022 is スポーツの日 itself, a Monday
        (2020, 7, date(2020, 8, 11)),  # 8/10/2020: 山の日 moved for the Olympics
        (2025, 12, date(2026, 1, 13)),  # 1/10 Sat, 1/11 Sun, 1/12 成人の日
        (2029, 3, date(2029, 3, 30)),  # 3/31 Sat → Fri 3/30, never later than the 31st
        (2024, 3, date(2024, 3, 29)),  # 3/31 Sun → Fri 3/29
    ],
)
def test_report_due(year, month, due):
    assert report_due(year, month) == due


def test_fiscal_year_runs_april_to_march():
    months = [(y, m) for y, m, _ in fiscal_year_due_dates(2027)]
    assert months[0] == (2027, 4)
    assert months[-1] == (2028, 3)
    assert len(months) == 12 == len(set(months))


@pytest.mark.parametrize("year", range(2020, 2036))
def test_due_dates_are_the_first_open_day_from_the_10th(year):
    """Every month of many years: the due date is open, and every day skipped was closed."""
    for month in range(1, 13):
        due = report_due(year, month)
        assert is_business_day(due)
        if month == 3:
            assert due.year == year and due.month == 3 and due.day <= 31
            skipped = [due + timedelta(days=i) for i in range(1, 31 - due.day + 1)]
        else:
            tenth = date(year + month // 12, month % 12 + 1, 10)
            assert due >= tenth
            skipped = [tenth + timedelta(days=i) for i in range((due - tenth).days)]
        assert not any(is_business_day(d) for d in skipped)


def test_bad_month_is_refused():
    for month in (0, 13):
        with pytest.raises(ValueError):
            report_due(2026, month)


def test_years_the_holiday_library_does_not_cover_are_refused():
    with pytest.raises(ValueError):
        is_business_day(date(2100, 1, 5))
    with pytest.raises(ValueError):
        report_due(2099, 12)  # due in January 2100


@pytest.mark.parametrize(
    ("day", "open_"),
    [
        (date(2026, 6, 10), True),  # ordinary Wednesday
        (date(2026, 5, 9), False),  # Saturday
        (date(2026, 5, 10), False),  # Sunday
        (date(2026, 5, 4), False),  # みどりの日
        (date(2026, 5, 6), False),  # 振替休日 for 5/3 (Sunday)
        (date(2026, 9, 22), False),  # 国民の休日 between 敬老の日 and 秋分の日
        (date(2027, 3, 22), False),  # 振替休日 for 春分の日 (Sunday)
        (date(2026, 10, 12), False),  # スポーツの日
        (date(2027, 1, 11), False),  # 成人の日
        (date(2026, 12, 28), True),  # last working day of the year
        (date(2027, 1, 4), True),  # first working day of the year
    ],
)
def test_is_business_day(day, open_):
    assert is_business_day(day) is open_


@pytest.mark.parametrize(
    "day",
    [date(2026, 12, d) for d in (29, 30, 31)] + [date(2027, 1, d) for d in (1, 2, 3)],
)
def test_year_end_closure_days_are_closed(day):
    assert is_year_end_closure(day)
    assert not is_business_day(day)


def test_year_end_closure_closes_weekdays_that_are_not_public_holidays():
    tuesday = date(2026, 12, 29)
    assert tuesday.weekday() == 1
    assert not is_public_holiday(tuesday)
    assert not is_business_day(tuesday)
    assert not is_year_end_closure(date(2026, 12, 28))
    assert not is_year_end_closure(date(2027, 1, 4))


def test_next_and_previous_business_day():
    assert next_business_day(date(2026, 6, 10)) == date(2026, 6, 10)  # itself
    assert previous_business_day(date(2026, 6, 10)) == date(2026, 6, 10)
    assert next_business_day(date(2026, 12, 29)) == date(2027, 1, 4)
    assert previous_business_day(date(2027, 1, 3)) == date(2026, 12, 28)
    assert next_business_day(date(2024, 12, 29)) == date(2025, 1, 6)  # 1/4 is a Saturday
    assert next_business_day(date(2026, 5, 2)) == date(2026, 5, 7)  # Golden Week
    assert previous_business_day(date(2026, 5, 6)) == date(2026, 5, 1)


@pytest.mark.parametrize(
    ("day", "n", "expected"),
    [
        (date(2026, 5, 11), 3, date(2026, 5, 1)),  # back across Golden Week
        (date(2026, 10, 13), 3, date(2026, 10, 7)),  # skips 10/10–10/12
        (date(2027, 1, 12), 3, date(2027, 1, 6)),
        (date(2027, 1, 6), 3, date(2026, 12, 28)),  # back across the year-end closure
        (date(2027, 3, 31), 3, date(2027, 3, 26)),  # skips the weekend 3/27–28
        (date(2026, 6, 15), 1, date(2026, 6, 12)),  # Monday → Friday
        (date(2026, 6, 10), 0, date(2026, 6, 10)),
    ],
)
def test_business_days_before(day, n, expected):
    assert business_days_before(day, n) == expected


@pytest.mark.parametrize("year", [2026, 2027])
def test_reminder_is_three_open_days_before_each_due_date(year):
    for y, m, due in fiscal_year_due_dates(year):
        reminder = business_days_before(due, 3)
        assert is_business_day(reminder)
        between = [reminder + timedelta(days=i) for i in range((due - reminder).days)]
        assert sum(is_business_day(d) for d in between) == 3, (y, m)


def test_business_days_before_refuses_a_negative_count():
    with pytest.raises(ValueError):
        business_days_before(date(2026, 6, 10), -1)
