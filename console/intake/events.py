"""Intake events: what the entry gate recorded in a meetup's log."""

from dataclasses import dataclass

from console.core.labels import Labelled
from console.live.events import Body


class GateReason(Labelled):
    """Why the entry gate turned someone away (a blocked person is moderation's EntryRefused)."""

    WRONG_CREDENTIALS = "credentials", "IDまたはパスワードの誤り"
    THROTTLED = "throttled", "失敗が続いたため一時的に停止"
    UNCHECKED = "unchecked", "区の確認が済んでいない"
    INELIGIBLE = "ineligible", "対象外"
    NO_APPLICATION = "no_application", "この開催回の申込がない"
    NO_CONSENT = "no_consent", "利用規約への同意がない"
    NOT_OPEN = "not_open", "入室受付の開始前"
    CLOSED = "closed", "終了後"
    PRESENT = "present", "すでに入室中"


@dataclass(frozen=True)
class GateRefused(Body):
    """Someone was turned away at the entry gate. Fields: participant_id (None when the ID or
    password was wrong), reason (a `GateReason` value). Shown live to the manager."""

    type = "gate_refused"
    participant_id: int | None
    reason: str


EVENTS: tuple[type[Body], ...] = (GateRefused,)
