"""Due dates of the monthly report to the ward (spec 6(7), issue 5 item 4).

The report covering month M is due on the 10th of month M+1, or on the ward's next business
day when the 10th is closed. The March report, the last of the fiscal year (April–March), is
due by March 31 of the same year instead; when the 31st is closed it is due on the last
business day before it, so a report handed in on the due date is never late.

The ward is closed on Saturdays, Sundays, Japanese public holidays as the maintained `holidays`
package knows them (substitute holidays 振替休日 and citizens' holidays 国民の休日 included) and
during the year-end closure, December 29 to January 3.

Every function here is pure: no clock, no database. Dates outside the years the holiday
library covers raise `ValueError` rather than silently ignoring holidays.
"""

from datetime import date, timedelta
from functools import lru_cache

import holidays

YEAR_END_CLOSURE = ((12, 29), (12, 30), (12, 31), (1, 1), (1, 2), (1, 3))
"""(month, day) pairs the ward's offices are closed every year (年末年始閉庁)."""

REPORT_DAY = 10
"""Day of the following month on which a monthly report is due (spec 6(7))."""

FISCAL_YEAR_START_MONTH = 4
"""The fiscal year runs April to March; fiscal year 2026 is April 2026 to March 2027."""

_ONE_DAY = timedelta(days=1)


@lru_cache(maxsize=64)
def _public_holidays(year: int) -> frozenset[date]:
    """Japan's public holidays of `year` (substitute and citizens' holidays included)."""
    if not holidays.Japan.start_year <= year <= holidays.Japan.end_year:
        raise ValueError(
            f"year {year} is outside the years the holiday library covers "
            f"({holidays.Japan.start_year}–{holidays.Japan.end_year})"
        )
    return frozenset(holidays.country_holidays("JP", years=year))


def is_public_holiday(day: date) -> bool:
    """True when `day` is a Japanese public holiday (including substitute holidays)."""
    return day in _public_holidays(day.year)


def is_year_end_closure(day: date) -> bool:
    """True when `day` falls in the ward's year-end closure, December 29 to January 3."""
    return (day.month, day.day) in YEAR_END_CLOSURE


def is_business_day(day: date) -> bool:
    """True when the ward's offices are open on `day`: a weekday that is neither a public
    holiday nor in the year-end closure."""
    return day.weekday() < 5 and not is_public_holiday(day) and not is_year_end_closure(day)


def next_business_day(day: date) -> date:
    """The first business day on or after `day` (`day` itself when it is one)."""
    while not is_business_day(day):
        day += _ONE_DAY
    return day


def previous_business_day(day: date) -> date:
    """The last business day on or before `day` (`day` itself when it is one)."""
    while not is_business_day(day):
        day -= _ONE_DAY
    return day


def business_days_before(day: date, n: int) -> date:
    """The business day `n` business days before `day`, counting only business days and not
    counting `day` itself: for a due date on a Monday, `n=1` is the Friday before (or the last
    business day before it). `n=0` returns `day` unchanged. Use it for the reminder that fires
    three business days before a report is due.

    Raises `ValueError` when `n` is negative.
    """
    if n < 0:
        raise ValueError(f"n must be zero or more, not {n}")
    for _ in range(n):
        day = previous_business_day(day - _ONE_DAY)
    return day


def report_due(year: int, month: int) -> date:
    """The day the report covering `month` of `year` is due; always a business day.

    For April–February it is the 10th of the following month, or the next business day
    after it when the 10th is closed (so never before the 10th). For March it is March 31 of
    the same year, or the last business day before it (so never after the 31st).

    Raises `ValueError` for a month outside 1–12.
    """
    if not 1 <= month <= 12:
        raise ValueError(f"month must be 1–12, not {month}")
    if month == 3:
        return previous_business_day(date(year, 3, 31))
    following = date(year + month // 12, month % 12 + 1, REPORT_DAY)
    return next_business_day(following)


def fiscal_year_months(fiscal_year: int) -> list[tuple[int, int]]:
    """The twelve (year, month) pairs of fiscal year `fiscal_year`, April first, March last."""
    months = range(FISCAL_YEAR_START_MONTH - 1, FISCAL_YEAR_START_MONTH + 11)
    return [(fiscal_year + m // 12, m % 12 + 1) for m in months]


def fiscal_year_due_dates(fiscal_year: int) -> list[tuple[int, int, date]]:
    """(year, month, due date) of every monthly report of fiscal year `fiscal_year`, in order.

    All twelve months April `fiscal_year` .. March `fiscal_year + 1` are included, not only
    the metaverse months August–March: spec 6(7) asks for a report every month, and family
    classes (spec 6(4)) are held from April. Callers wanting the meetup months only can keep
    the entries with `month >= 8 or month <= 3`.
    """
    return [(y, m, report_due(y, m)) for y, m in fiscal_year_months(fiscal_year)]


def next_report(today: date) -> tuple[int, int, date]:
    """(year, month, due date) of the first report not yet past its due date on `today`."""
    year, month = (today.year, today.month - 1) if today.month > 1 else (today.year - 1, 12)
    for _ in range(3):
        due = report_due(year, month)
        if due >= today:
            return year, month, due
        year, month = (year, month + 1) if month < 12 else (year + 1, 1)
    raise AssertionError("a report is always due within three months")  # pragma: no cover
