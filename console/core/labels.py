"""Fixed vocabularies: string enums whose members carry the Japanese label staff read."""

from enum import StrEnum


class Labelled(StrEnum):
    """A string enum whose members carry a Japanese label."""

    def __new__(cls, value: str, label: str):
        member = str.__new__(cls, value)
        member._value_ = value
        member.label = label
        return member

    @classmethod
    def choices(cls) -> list[tuple[str, str]]:
        return [(m.value, m.label) for m in cls]

    @classmethod
    def parse(cls, value: str | None):
        """The member for `value`, or None when it is not one of ours."""
        try:
            return cls(value or "")
        except ValueError:
            return None
