"""Which participant an avatar is: the links, and the entry gate's one-time tokens."""

import hashlib
import secrets

from sqlalchemy.engine import Engine
from sqlmodel import Session

from console.bridge.models import AvatarLink, EntryToken
from console.store.columns import utcnow
from console.store.db import transaction


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_token(engine: Engine, *, meetup_id: int, participant_id: int) -> str:
    """A one-time entry token for a participant the gate admitted: the gate hands it to the
    platform (in the link to the metaverse); the platform sends it back with the avatar's
    `avatar.entered_world`, which links the avatar to the participant."""
    token = secrets.token_urlsafe(24)
    with transaction(engine) as db:
        db.add(
            EntryToken(
                token_hash=_digest(token), meetup_id=meetup_id, participant_id=participant_id
            )
        )
    return token


def linked_participant(db: Session, avatar_id: str) -> int | None:
    link = db.get(AvatarLink, avatar_id)
    return link.participant_id if link else None


def unused_token(db: Session, token: str, meetup_id: int) -> EntryToken | None:
    found = db.get(EntryToken, _digest(token))
    if found is None or found.used_at is not None or found.meetup_id != meetup_id:
        return None
    return found


def link(db: Session, *, avatar_id: str, participant_id: int, via: str) -> None:
    """Link (or re-link) an avatar to a participant, in the caller's transaction."""
    existing = db.get(AvatarLink, avatar_id)
    if existing is None:
        db.add(AvatarLink(avatar_id=avatar_id, participant_id=participant_id, via=via))
    else:
        existing.participant_id, existing.via, existing.linked_at = participant_id, via, utcnow()
        db.add(existing)


def link_avatars(engine: Engine, links: dict[str, int], *, via: str = "staff") -> None:
    """Link several avatars at once (the demo's simulated avatars)."""
    with transaction(engine) as db:
        for avatar_id, participant_id in links.items():
            link(db, avatar_id=avatar_id, participant_id=participant_id, via=via)
