"""The second factor: TOTP (RFC 6238, pyotp) enrolled by QR code, and ten recovery codes.

A code is accepted for the time step before, at or after now (clocks drift) and only for a
step later than the last one accepted for that person, claimed by one conditional UPDATE:
a code seen over someone's shoulder, or sent twice, is refused. Recovery codes are shown
once, stored as argon2id hashes, and each works once.
"""

import secrets
import time

import pyotp
import segno
from sqlalchemy import delete, or_, update
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from console.security.models import Passkey, RecoveryCode, StaffFactor
from console.store.columns import utcnow
from console.store.db import transaction

ISSUER = "Session Console"
STEP = 30
RECOVERY_CODES = 10
_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i


def _hasher():
    from console.security.auth import hasher  # one argon2id configuration for every secret

    return hasher


def factor_of(engine: Engine, staff_id: int) -> StaffFactor | None:
    with Session(engine) as db:
        return db.get(StaffFactor, staff_id)


def enrolled(engine: Engine, staff_id: int) -> bool:
    factor = factor_of(engine, staff_id)
    return factor is not None and factor.verified_at is not None


def pending_secret(engine: Engine, staff_id: int) -> str:
    """The secret being enrolled (made on first call, kept until it is verified)."""
    with transaction(engine) as db:
        factor = db.get(StaffFactor, staff_id)
        if factor is None:
            factor = StaffFactor(staff_id=staff_id, secret=pyotp.random_base32())
            db.add(factor)
        return factor.secret


def provisioning_uri(secret: str, login_id: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=login_id, issuer_name=ISSUER)


def qr_data_uri(uri: str) -> str:
    """The enrolment QR code as an SVG data URI (the CSP allows `img-src data:`)."""
    return segno.make(uri, error="m").svg_data_uri(scale=5, dark="#000", light="#fff")


def step_now(now: float | None = None) -> int:
    return int((time.time() if now is None else now) // STEP)


def _matching_step(secret: str, code: str, now: float | None) -> int | None:
    if not (len(code) == 6 and code.isascii() and code.isdigit()):
        return None
    totp, current = pyotp.TOTP(secret), step_now(now)
    for step in (current - 1, current, current + 1):
        if secrets.compare_digest(totp.at(step * STEP), code):
            return step
    return None


def check_code(engine: Engine, staff_id: int, code: str, *, now: float | None = None) -> bool:
    """True once for a right code: its time step is claimed, so the same code (or an older
    one) is refused from then on. Verifying an enrolment marks the factor enrolled."""
    factor = factor_of(engine, staff_id)
    if factor is None:
        return False
    step = _matching_step(factor.secret, code.strip(), now)
    if step is None:
        return False
    table = StaffFactor.__table__.c
    with transaction(engine) as db:
        claimed = db.execute(
            update(StaffFactor)
            .where(table.staff_id == staff_id)
            .where(or_(table.last_step.is_(None), table.last_step < step))
            .values(last_step=step, verified_at=factor.verified_at or utcnow())
        )
        return claimed.rowcount == 1


def new_recovery_codes(db: Session, staff_id: int) -> list[str]:
    """Ten fresh codes (the old ones no longer work); shown once, kept only as hashes."""
    db.execute(delete(RecoveryCode).where(col(RecoveryCode.staff_id) == staff_id))
    codes = [
        "-".join("".join(secrets.choice(_ALPHABET) for _ in range(5)) for _ in range(2))
        for _ in range(RECOVERY_CODES)
    ]
    for code in codes:
        db.add(RecoveryCode(staff_id=staff_id, code_hash=_hasher().hash(code)))
    return codes


def use_recovery_code(engine: Engine, staff_id: int, code: str) -> bool:
    """True once per code: a match is marked used in the same conditional UPDATE."""
    code = code.strip().lower()
    if not (0 < len(code) <= 32 and code.isascii()):
        return False
    with Session(engine) as db:
        unused = db.exec(
            select(RecoveryCode)
            .where(RecoveryCode.staff_id == staff_id)
            .where(col(RecoveryCode.used_at).is_(None))
        ).all()
    hasher = _hasher()
    for row in unused:
        try:
            hasher.verify(row.code_hash, code)
        except Exception:  # noqa: BLE001 - argon2's mismatch and malformed-hash errors alike
            continue
        with transaction(engine) as db:
            marked = db.execute(
                update(RecoveryCode)
                .where(col(RecoveryCode.id) == row.id)
                .where(col(RecoveryCode.used_at).is_(None))
                .values(used_at=utcnow())
            )
            return marked.rowcount == 1
    return False


def remaining_codes(engine: Engine, staff_id: int) -> int:
    with Session(engine) as db:
        return len(
            db.exec(
                select(RecoveryCode.id)
                .where(RecoveryCode.staff_id == staff_id)
                .where(col(RecoveryCode.used_at).is_(None))
            ).all()
        )


def reset(db: Session, staff_id: int) -> None:
    """Forget the factor, the recovery codes and the passkeys: the person enrols again at the
    next login."""
    db.execute(delete(Passkey).where(col(Passkey.staff_id) == staff_id))
    db.execute(delete(RecoveryCode).where(col(RecoveryCode.staff_id) == staff_id))
    db.execute(delete(StaffFactor).where(col(StaffFactor.staff_id) == staff_id))


def seed(db: Session, staff_id: int, secret: str) -> None:
    """An enrolled factor with a known secret (the demo's logins)."""
    if db.get(StaffFactor, staff_id) is None:
        db.add(StaffFactor(staff_id=staff_id, secret=secret, verified_at=utcnow()))
