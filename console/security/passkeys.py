"""WebAuthn (passkeys and security keys, the `webauthn` library) as the stronger second
factor: a staff member registers one after logging in, and then gives it instead of a code.

Each ceremony's challenge is kept on the login it belongs to, used once, and valid for
`CHALLENGE_SECONDS`; the relying party is this site as the browser addressed it (its host
name, and the page's origin).
"""

import json
from datetime import timedelta

from sqlalchemy import update
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select
from webauthn import (
    generate_authentication_options,
    generate_registration_options,
    options_to_json,
    verify_authentication_response,
    verify_registration_response,
)
from webauthn.helpers import base64url_to_bytes, bytes_to_base64url
from webauthn.helpers.exceptions import WebAuthnException
from webauthn.helpers.structs import (
    AuthenticatorSelectionCriteria,
    PublicKeyCredentialDescriptor,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

from console.core.errors import Refused
from console.security import audit
from console.security.models import Passkey, Staff, StaffSession
from console.store.columns import utcnow
from console.store.db import transaction

RP_NAME = "セッションコンソール"
CHALLENGE_SECONDS = 120
EXPIRED = "確認の有効期限が切れました。もう一度お試しください。"
FAILED = "パスキーを確認できませんでした。もう一度お試しいただくか、確認コードを使ってください。"


def _keep_challenge(engine: Engine, token_hash: str, challenge: bytes) -> None:
    with transaction(engine) as db:
        db.execute(
            update(StaffSession)
            .where(StaffSession.token_hash == token_hash)
            .values(challenge=bytes_to_base64url(challenge), challenge_at=utcnow())
        )


def _take_challenge(engine: Engine, token_hash: str) -> bytes:
    """The login's pending challenge, forgotten as it is taken; Refused when none or old."""
    with transaction(engine) as db:
        login = db.get(StaffSession, token_hash)
        challenge, at = (login.challenge, login.challenge_at) if login else (None, None)
        if login is not None:
            login.challenge, login.challenge_at = None, None
            db.add(login)
    if challenge is None or at is None:
        raise Refused(EXPIRED, status=409)
    if utcnow() - at > timedelta(seconds=CHALLENGE_SECONDS):
        raise Refused(EXPIRED, status=409)
    return base64url_to_bytes(challenge)


def _mine(db: Session, staff_id: int) -> list[Passkey]:
    return list(db.exec(select(Passkey).where(Passkey.staff_id == staff_id)))


def registered(engine: Engine, staff_id: int) -> list[Passkey]:
    with Session(engine) as db:
        return _mine(db, staff_id)


def registration_options(engine: Engine, staff: Staff, token_hash: str, *, rp_id: str) -> str:
    with Session(engine) as db:
        existing = _mine(db, staff.id)
    options = generate_registration_options(
        rp_id=rp_id,
        rp_name=RP_NAME,
        user_id=f"staff:{staff.id}".encode(),
        user_name=staff.login_id,
        user_display_name=staff.display_name,
        exclude_credentials=[
            PublicKeyCredentialDescriptor(id=base64url_to_bytes(p.credential_id)) for p in existing
        ],
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.PREFERRED,
            user_verification=UserVerificationRequirement.PREFERRED,
        ),
        timeout=CHALLENGE_SECONDS * 1000,
    )
    _keep_challenge(engine, token_hash, options.challenge)
    return options_to_json(options)


def register(
    engine: Engine, staff: Staff, token_hash: str, credential: str, *, rp_id: str, origin: str
) -> None:
    challenge = _take_challenge(engine, token_hash)
    try:
        verified = verify_registration_response(
            credential=credential,
            expected_challenge=challenge,
            expected_rp_id=rp_id,
            expected_origin=origin,
        )
    except (WebAuthnException, ValueError, KeyError, TypeError, RecursionError):  # malformed
        raise Refused(FAILED, status=422) from None
    with transaction(engine) as db:
        credential_id = bytes_to_base64url(verified.credential_id)
        if db.exec(select(Passkey).where(Passkey.credential_id == credential_id)).first():
            raise Refused("このパスキーはすでに登録されています。", status=409)
        db.add(
            Passkey(
                staff_id=staff.id,
                credential_id=credential_id,
                public_key=bytes_to_base64url(verified.credential_public_key),
                sign_count=verified.sign_count,
                label=f"パスキー {utcnow().date().isoformat()}",
            )
        )
        audit.record(db, action="factor.passkey_added", staff_id=staff.id)


def authentication_options(
    engine: Engine, staff_id: int, token_hash: str, *, rp_id: str
) -> str | None:
    """The options for a login's passkey step; None when this person has no passkey."""
    keys = registered(engine, staff_id)
    if not keys:
        return None
    options = generate_authentication_options(
        rp_id=rp_id,
        allow_credentials=[
            PublicKeyCredentialDescriptor(id=base64url_to_bytes(p.credential_id)) for p in keys
        ],
        user_verification=UserVerificationRequirement.PREFERRED,
        timeout=CHALLENGE_SECONDS * 1000,
    )
    _keep_challenge(engine, token_hash, options.challenge)
    return options_to_json(options)


def authenticate(
    engine: Engine, staff_id: int, token_hash: str, credential: str, *, rp_id: str, origin: str
) -> None:
    """Refused unless `credential` is an assertion of one of this person's passkeys over the
    login's pending challenge; the passkey's signature counter moves on."""
    challenge = _take_challenge(engine, token_hash)
    try:
        given = json.loads(credential).get("id", "")
    except (ValueError, AttributeError, RecursionError):
        raise Refused(FAILED, status=422) from None
    with Session(engine) as db:
        key = db.exec(
            select(Passkey)
            .where(Passkey.staff_id == staff_id)
            .where(col(Passkey.credential_id) == str(given)[:512])
        ).first()
    if key is None:
        raise Refused(FAILED, status=422)
    try:
        verified = verify_authentication_response(
            credential=credential,
            expected_challenge=challenge,
            expected_rp_id=rp_id,
            expected_origin=origin,
            credential_public_key=base64url_to_bytes(key.public_key),
            credential_current_sign_count=key.sign_count,
        )
    except (WebAuthnException, ValueError, KeyError, TypeError, RecursionError):
        raise Refused(FAILED, status=422) from None
    with transaction(engine) as db:
        db.execute(
            update(Passkey)
            .where(col(Passkey.id) == key.id)
            .values(sign_count=verified.new_sign_count)
        )
        audit.record(db, action="factor.passkey_used", staff_id=staff_id)
