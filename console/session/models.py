"""Participants: the people who take part, known by a code and an avatar name.

Both are personal data and stored encrypted; the code is found again through its blind index
(`code_index`), kept in step with the code on every insert and update.
"""

from datetime import datetime

from sqlalchemy import Column, String, event
from sqlmodel import Field, SQLModel, select

from console.store.columns import utc_column, utcnow
from console.store.crypto import Encrypted, blind_index

CODE_CONTEXT = "participant.code"


class Participant(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(sa_column=Column(Encrypted(CODE_CONTEXT), nullable=False))
    code_index: str | None = Field(
        default=None,
        sa_column=Column(String(64), unique=True, index=True, info={"blind_index_of": "code"}),
    )
    display_name: str = Field(
        sa_column=Column(Encrypted("participant.display_name"), nullable=False)
    )
    age_bracket: str = Field(default="unknown", max_length=16)
    gender: str | None = Field(default=None, max_length=16)
    district: str = Field(default="unknown", max_length=16)
    created_at: datetime = Field(default_factory=utcnow, sa_column=utc_column())

    @property
    def label(self) -> str:
        """「そら」(P001): display names need not be unique, so staff messages add the ID."""
        return f"「{self.display_name}」({self.code})"


class FamilyMember(SQLModel, table=True):
    """A participant who takes part as a family member of a person in withdrawal (家族教室),
    with their relation (a `Relation` value). Reports never count a family member as a 当事者."""

    participant_id: int = Field(foreign_key="participant.id", primary_key=True)
    relation: str = Field(default="unknown", max_length=16)


def code_lookup(code: str):
    """A query for the participant with this code (through its blind index)."""
    return select(Participant).where(
        Participant.code_index == blind_index(code, context=CODE_CONTEXT)
    )


@event.listens_for(Participant, "before_insert")
@event.listens_for(Participant, "before_update")
def _index_code(mapper, connection, target: Participant) -> None:
    target.code_index = blind_index(target.code, context=CODE_CONTEXT)
