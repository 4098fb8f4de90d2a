"""The webhook's contract: the event kinds a platform sends, how a delivery is read, and the
machine-readable reasons a delivery is refused with (the OpenAPI document states the same)."""

import json
import re
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from console.core.errors import Refused
from console.moderation.vocab import FlagReason
from console.session.vocab import Space


class Kind(StrEnum):
    ENTERED_WORLD = "avatar.entered_world"
    ENTERED_SPACE = "avatar.entered_space"
    LEFT_SPACE = "avatar.left_space"
    LEFT_WORLD = "avatar.left_world"
    REPORTED = "avatar.reported"


@dataclass(frozen=True)
class Reason:
    code: str
    status: int
    retryable: bool
    meaning: str


REASONS = {
    r.code: r
    for r in (
        Reason("not_configured", 404, False, "the bridge is off: no webhook secret is set"),
        Reason("oversize", 413, False, "the body is larger than PLATFORM_MAX_BODY_BYTES"),
        Reason("bad_signature", 401, False, "no secret in use signs id.timestamp.body so"),
        Reason("expired_timestamp", 401, False, "webhook-timestamp is more than 5 min off"),
        Reason("bad_event_id", 400, False, "webhook-id is not 1-55 of A-Z a-z 0-9 _ . -"),
        Reason("malformed_json", 400, False, "the body is not a JSON object"),
        Reason("unknown_event_type", 422, False, "type is none of the event kinds"),
        Reason("bad_event", 422, False, "a field is missing or not of its form"),
        Reason("unknown_session", 404, False, "no metaverse session has this id"),
        Reason("session_not_open", 409, True, "doors are not open yet; retry later"),
        Reason("session_closed", 409, False, "the session has closed"),
        Reason("out_of_order", 409, True, "an earlier event of this avatar is missing; retry"),
        Reason(
            "stale",
            409,
            False,
            "a later event of this avatar (or a staff correction) is already applied; do not retry",
        ),
        Reason("not_in_space", 422, False, "the avatar is not in the space it left"),
        Reason("conflict", 409, False, "this webhook-id was used for another body"),
    )
}


class Rejected(Refused):
    """A delivery refused for `reason` (a key of REASONS): nothing is appended. A `Refused`,
    so that whatever runs a delivery's decision treats it as any refused command."""

    def __init__(self, reason: str) -> None:
        super().__init__(
            f"メタバースからの送信を受け付けませんでした({reason})。", status=REASONS[reason].status
        )
        self.reason = REASONS[reason]


AVATAR_ID = re.compile(r"^[A-Za-z0-9_.:\-]{1,64}$")
EVENT_ID = re.compile(r"^[A-Za-z0-9_.\-]{1,55}$")
PLATFORM_SPACES = frozenset(Space)


@dataclass(frozen=True)
class Delivery:
    kind: Kind
    at: datetime
    session: int
    avatar_id: str
    space: str | None
    entry_token: str | None
    reason: str  # a FlagReason, for a report


def _text(data: dict, name: str, pattern: re.Pattern | None = None) -> str:
    value = data.get(name)
    if not isinstance(value, str) or (pattern is not None and not pattern.match(value)):
        raise Rejected("bad_event")
    return value


def parse(raw: bytes) -> Delivery:
    """The delivery in `raw`, or Rejected saying what is wrong with it."""
    try:
        payload = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise Rejected("malformed_json") from None
    if not isinstance(payload, dict) or not isinstance(payload.get("data"), dict):
        raise Rejected("malformed_json")
    try:
        kind = Kind(payload.get("type"))
    except ValueError:
        raise Rejected("unknown_event_type") from None
    data = payload["data"]
    try:
        at = datetime.fromisoformat(_text(payload, "timestamp"))
    except ValueError:
        raise Rejected("bad_event") from None
    session = data.get("session")
    if at.tzinfo is None or type(session) is not int or not 0 < session < 2**63:
        raise Rejected("bad_event")
    space = data.get("space")
    needs_space = kind in (Kind.ENTERED_SPACE, Kind.LEFT_SPACE, Kind.REPORTED)
    if (space is not None or needs_space) and (
        not isinstance(space, str) or space not in PLATFORM_SPACES
    ):
        raise Rejected("bad_event")
    token = data.get("entry_token")
    if token is not None and (not isinstance(token, str) or not 16 <= len(token) <= 128):
        raise Rejected("bad_event")
    reason = data.get("reason", FlagReason.OTHER)
    if not isinstance(reason, str) or reason not in set(FlagReason):
        raise Rejected("bad_event")
    return Delivery(
        kind=kind,
        at=at,
        session=session,
        avatar_id=_text(data, "avatar_id", AVATAR_ID),
        space=space,
        entry_token=token,
        reason=reason,
    )
