"""What every event is, whatever its domain: a `Body` and the `Recorded` envelope.

Each domain defines its event kinds (one small frozen dataclass each, in its `events.py`) and
lists them in `EVENTS`; the composition root registers them. An event body states a fact in
the past tense. It holds identifiers, never names or other personal data, so the log can be
kept and reported on without decrypting anything. `Recorded` is the envelope the event log
gives a body once it is committed.
"""

import json
from dataclasses import asdict, dataclass, fields
from datetime import datetime
from functools import cache
from typing import ClassVar


@dataclass(frozen=True)
class Body:
    type: ClassVar[str]

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False, sort_keys=True)


@cache
def _field_names(cls: type[Body]) -> tuple[str, ...]:
    return tuple(f.name for f in fields(cls))


def body_from_json(kinds: dict[str, type[Body]], type_: str, payload: str) -> Body:
    """The body of kind `type_` (looked up in `kinds`) from its JSON payload."""
    cls = kinds[type_]
    data = json.loads(payload)
    return cls(**{name: data[name] for name in _field_names(cls) if name in data})


@dataclass(frozen=True)
class Recorded:
    """A committed event: its body plus where and when it stands in the log."""

    meetup_id: int
    seq: int
    at: datetime
    actor_id: int | None
    command_id: str
    body: Body

    @property
    def type(self) -> str:
        return self.body.type
