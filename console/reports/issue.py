"""What a printed report says about itself, so a ward official can file it: the period it
covers, its version (版), draft or final (確定, with when), when it was made (作成日), who issues
it and to whom. Kept apart from the `Document`, whose figures a finalised version freezes:
the same document is issued again on another day by the same rules.
"""

import calendar
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from sqlmodel import Session

from console import settings
from console.core.templating import jst, jst_date, jst_datetime
from console.live import eventlog
from console.live.models import Meetup
from console.reports.models import MonthlyReport
from console.session.events import MeetupClosed
from console.session.vocab import MeetupStatus

FINAL = "確定"
DRAFT = "下書き"


@dataclass(frozen=True)
class Issue:
    period: str  # 対象期間
    version: str  # 版: 第1版, 第2版(訂正版)…
    state: str  # FINAL or DRAFT
    finalised_at: datetime | None = None
    issued_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    variant: str = ""  # which audience's document: 区提出用, 公表用…
    finalised_by: str = "確定"  # what made it final: 確定, or a session's 開催終了
    issuer: str = settings.REPORT_ISSUER
    addressee: str = settings.REPORT_ADDRESSEE

    @property
    def state_line(self) -> str:
        if self.state == FINAL and self.finalised_at:
            return f"{FINAL}({jst_datetime(self.finalised_at)} {self.finalised_by})"
        return f"{DRAFT}(未確定。数値は変わることがあります)"

    @property
    def issued_on(self) -> str:
        return jst_date(self.issued_at)


def monthly_issue(year: int, month: int, row: MonthlyReport | None, variant: str) -> Issue:
    """A monthly report: the calendar month; its version, draft or final (None: not saved
    yet, the first draft)."""
    last = calendar.monthrange(year, month)[1]
    period = f"{jst_date(date(year, month, 1))}〜{jst_date(date(year, month, last))}"
    number = row.version if row else 1
    version = f"第{number}版" + ("(訂正版)" if number > 1 else "")
    final = row is not None and row.status == "final"
    return Issue(
        period=period,
        version=version,
        state=FINAL if final else DRAFT,
        finalised_at=row.finalised_at if final else None,
        variant=variant,
    )


def summary_issue(db: Session, meetup_id: int, variant: str) -> Issue:
    """A post-session summary: the session's day and hours. It has one version; it is final
    once the session is closed (dated by the close), a draft of running figures before."""
    meetup = db.get(Meetup, meetup_id)
    period = f"{jst_date(meetup.date)} {jst(meetup.starts_at)}〜{jst(meetup.ends_at)}"
    closed_at = None
    if meetup.status == MeetupStatus.CLOSED:
        closing = eventlog.recent(
            db, meetup_id, upto=meetup.last_seq, limit=1, type_=MeetupClosed.type
        )
        closed_at = closing[0].at if closing else meetup.ends_at
    return Issue(
        period=period,
        version="第1版",
        state=FINAL if closed_at else DRAFT,
        finalised_at=closed_at,
        variant=variant,
        finalised_by="開催終了",
    )
