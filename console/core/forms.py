"""Checks on what staff type or pick. Every failure is a Refused with a Japanese message."""

import re
import unicodedata
from collections.abc import Mapping
from typing import TypeVar

from console.core.errors import Refused
from console.core.labels import Labelled

# Everything in Unicode category C (control, format, unassigned, private use) except
# newline and tab, which a multi-line note may hold.
E = TypeVar("E", bound=Labelled)

_ALLOWED_CONTROLS = {"\n", "\t"}


def text(
    form: Mapping[str, str], name: str, *, label: str, max_len: int, required: bool = True
) -> str:
    value = (form.get(name) or "").replace("\r\n", "\n").replace("\r", "\n").strip()
    if not value:
        if required:
            raise Refused(f"{label}を入力してください。")
        return ""
    if len(value) > max_len:
        raise Refused(f"{label}は{max_len}文字以内で入力してください(現在{len(value)}文字)。")
    if any(
        unicodedata.category(ch).startswith("C") and ch not in _ALLOWED_CONTROLS for ch in value
    ):
        raise Refused(f"{label}に使用できない制御文字が含まれています。")
    return value


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
    value = (form.get(name) or "").strip()
    if not re.fullmatch(r"[1-9][0-9]{0,9}", value):
        raise Refused(f"{label}を選択してください。")
    return int(value)


def checkbox(form: Mapping[str, str], name: str) -> bool:
    return (form.get(name) or "") in ("on", "true", "1")
