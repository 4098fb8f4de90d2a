"""The input layer: every number, id, month and free text from a form, a query string or a
path goes through these parsers. Each failure is a Refused with a Japanese message (or, for
ids, None, which the caller answers with 404), so bad input never reaches the database.

Rules: digits are ASCII only (`str.isdigit` and `int` accept 「²」 and 「２」; these do not);
ids stay within the database's 64-bit range; months within the years the app supports; free
text is normalised to NFC, holds no control, format, private-use or unassigned characters
(newline and tab only where several lines are allowed; the emoji's zero-width joiner) and
stays within its length.
"""

import re
import unicodedata
from collections.abc import Mapping
from datetime import date, time
from typing import TypeVar

from console.core.errors import Refused
from console.core.labels import Labelled

E = TypeVar("E", bound=Labelled)

MAX_ID = 2**63 - 1  # the largest id a BIGINT (and SQLite's INTEGER) can hold
FIRST_YEAR, LAST_YEAR = 2000, 2200  # the years the calendar and the reports accept
_DIGITS = re.compile(r"[0-9]{1,19}")
_YEAR_MONTH = re.compile(r"([0-9]{4})-([0-9]{2})")
_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_CLOCK = re.compile(r"[0-9]{2}:[0-9]{2}")
# Newline and tab (refused later where one line is asked for), and the zero-width joiner that
# binds emoji such as 🙇‍♀️ or 👨‍👩‍👧 (a format character, but no text direction or hidden markup).
_ALLOWED_CONTROLS = {"\n", "\t", "\u200d"}


def number(value: str | None, *, low: int, high: int) -> int | None:
    """`value` as a whole number in [low, high] written in ASCII digits, else None."""
    value = (value or "").strip()
    if not _DIGITS.fullmatch(value):
        return None
    number = int(value)
    return number if low <= number <= high else None


def record_id(value: str | int | None) -> int | None:
    """An id as the database can hold it (1 … 2^63−1), else None: the caller answers 404."""
    if isinstance(value, int):
        return value if 1 <= value <= MAX_ID else None
    return number(value, low=1, high=MAX_ID)


def year_month(value: str | None) -> date | None:
    """The first day of a month written `YYYY-MM` within the supported years, else None."""
    match = _YEAR_MONTH.fullmatch((value or "").strip())
    if not match:
        return None
    year, month = int(match[1]), int(match[2])
    if not (FIRST_YEAR <= year <= LAST_YEAR and 1 <= month <= 12):
        return None
    return date(year, month, 1)


def day(value: str | None, *, first: int = FIRST_YEAR, last: int = LAST_YEAR) -> date | None:
    """A date written `YYYY-MM-DD` (what `<input type=date>` sends) within the years given
    (by default those the calendar and the reports support), else None."""
    value = (value or "").strip()
    if not _DAY.fullmatch(value):
        return None
    try:
        found = date.fromisoformat(value)
    except ValueError:
        return None
    return found if first <= found.year <= last else None


def clock(value: str | None) -> time | None:
    """A time of day written `HH:MM` (what `<input type=time>` sends), else None."""
    value = (value or "").strip()
    if not _CLOCK.fullmatch(value):
        return None
    try:
        return time.fromisoformat(value)
    except ValueError:
        return None


def local_datetime(value: str | None) -> tuple[date, time] | None:
    """A date and time written `YYYY-MM-DDTHH:MM` (`<input type=datetime-local>`), else None."""
    found_day, _, found_clock = (value or "").strip().partition("T")
    parsed = (
        day(found_day),
        clock(
            found_clock[:5]
            if len(found_clock) == 8 and found_clock.endswith(":00")
            else found_clock
        ),
    )
    return None if None in parsed else parsed


def clean(value: str | None, *, label: str, max_len: int, required: bool = True) -> str:
    """Free text as stored: NFC, newlines as LF, trimmed, checked (see the module docstring)."""
    value = unicodedata.normalize("NFC", value or "")
    value = value.replace("\r\n", "\n").replace("\r", "\n").strip()
    if not value:
        if required:
            raise Refused(f"{label}を入力してください。")
        return ""
    if len(value) > max_len:
        raise Refused(f"{label}は{max_len}文字以内で入力してください(現在{len(value)}文字)。")
    # Category C: control, format (e.g. U+202E), surrogate, private use, unassigned.
    if any(
        unicodedata.category(ch).startswith("C") and ch not in _ALLOWED_CONTROLS for ch in value
    ):
        raise Refused(
            f"{label}に使用できない制御文字(文字の向きを変える記号などの見えない文字)が"
            "含まれています。その文字を消してから、もう一度お送りください。"
        )
    return value


def text(
    form: Mapping[str, str], name: str, *, label: str, max_len: int, required: bool = True
) -> str:
    return clean(form.get(name), label=label, max_len=max_len, required=required)


def one_line(form: Mapping[str, str], name: str, *, label: str, max_len: int) -> str:
    value = text(form, name, label=label, max_len=max_len)
    if "\n" in value or "\t" in value:
        raise Refused(f"{label}は1行で入力してください。")
    return value


def choice(form: Mapping[str, str], name: str, enum: type[E], *, label: str) -> E:
    member = enum.parse(form.get(name))
    if member is None:
        raise Refused(f"{label}の選択肢が正しくありません。")
    return member


def positive_id(form: Mapping[str, str], name: str, *, label: str) -> int:
    found = record_id(form.get(name))
    if found is None:
        raise Refused(f"{label}を選択してください。")
    return found


def checkbox(form: Mapping[str, str], name: str) -> bool:
    return (form.get(name) or "") in ("on", "true", "1")


EMAIL = re.compile(r"[^@\s]{1,64}@[^@\s]{1,200}\.[^@\s.]{2,}")
PHONE = re.compile(r"\+?[0-9][0-9\-]{6,18}")
DASHES = re.compile(r"[-\u2010-\u2015\u2212\u30fc\uff70]")  # hyphens, dashes, minus, 長音


def email(form: Mapping[str, str], name: str, *, label: str, required: bool = True) -> str:
    """An email address; typed with a Japanese input method it may come full-width
    (ｍｉｒａｉ＠…), which is read as meant (NFKC)."""
    value = unicodedata.normalize(
        "NFKC", text(form, name, label=label, max_len=254, required=required)
    )
    if value and not EMAIL.fullmatch(value):
        raise Refused(f"{label}の形をご確認ください(例: name@example.jp)。")
    return value


def phone(form: Mapping[str, str], name: str, *, label: str, required: bool = False) -> str:
    """A phone number: full-width digits, any dash and spaces read as what they mean
    (「０３－１２３４　５６７８」 is 03-1234-5678)."""
    value = unicodedata.normalize(
        "NFKC", text(form, name, label=label, max_len=40, required=required)
    )
    value = "-".join(DASHES.sub(" ", value).split())
    if value and not PHONE.fullmatch(value):
        raise Refused(f"{label}は数字とハイフンで入力してください(例: 03-1234-5678)。")
    return value
