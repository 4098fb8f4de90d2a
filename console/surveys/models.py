"""Questionnaires (versioned per service kind), the link of a session to one, and responses.

A questionnaire's questions are one JSON list (`questions.Question`), fixed in order. Once
the ward approves a version nothing in its row may change: a change is a new version.
A response holds the chosen options in plain JSON (they are figures) and its free text
encrypted, since a participant may name themself in it.
"""

from datetime import datetime

from sqlalchemy import Column, Text, UniqueConstraint, event, inspect
from sqlmodel import Field, SQLModel

from console.core.errors import Refused
from console.store.columns import utc_column, utcnow
from console.store.crypto import Encrypted


class Questionnaire(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("service", "version"),)

    id: int | None = Field(default=None, primary_key=True)
    service: str = Field(max_length=16)  # MeetupKind
    version: int
    title: str = Field(max_length=100)
    questions: str = Field(sa_column=Column(Text, nullable=False))  # JSON list of Question
    drafted_by: int = Field(foreign_key="staff.id")
    drafted_at: datetime = Field(default_factory=utcnow, sa_column=utc_column())
    approved_by: int | None = Field(default=None, foreign_key="staff.id")
    approved_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))


@event.listens_for(Questionnaire, "before_update")
def _approved_versions_never_change(mapper, connection, target: Questionnaire) -> None:
    history = inspect(target).attrs.approved_at.history
    stored = (history.deleted or history.unchanged or [None])[0]
    if stored is not None:
        raise Refused(
            "承認済みのアンケートは変更できません。新しい版を作ってください。", status=409
        )


class SurveyLink(SQLModel, table=True):
    """A session's survey: the approved questionnaire it uses and its unguessable token."""

    meetup_id: int = Field(foreign_key="meetup.id", primary_key=True)
    questionnaire_id: int = Field(foreign_key="questionnaire.id")
    token: str = Field(max_length=64, unique=True)
    attached_by: int = Field(foreign_key="staff.id")
    attached_at: datetime = Field(default_factory=utcnow, sa_column=utc_column())


class SurveyResponse(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    meetup_id: int = Field(foreign_key="meetup.id", index=True)
    questionnaire_id: int = Field(foreign_key="questionnaire.id")
    client_token: str = Field(max_length=64, unique=True)  # one response per submission
    how: str = Field(default="web", max_length=8)  # Channel: web, or how it was given
    entered_by: int | None = Field(default=None, foreign_key="staff.id")  # 代替回答
    choices: str = Field(sa_column=Column(Text, nullable=False))  # JSON {index: [option, …]}
    free_text: str | None = Field(default=None, sa_column=Column(Encrypted("survey.free_text")))
    received_at: datetime = Field(default_factory=utcnow, sa_column=utc_column(index=True))
