"""The outbox: emails are queued in the transaction that causes them, then sent by a job.

A message is claimed by moving its next attempt into the future (one atomic UPDATE), so
two workers never send it at once; it is marked sent only after the SMTP server accepted
it. Failures are retried with exponential backoff, forever: nothing queued is dropped.
A message that cannot be sent because the console is not configured for it yet (no
SMTP_HOST, no address) is not a failed attempt: it says why it waits and stays due, so it
goes out on the first round once the setting is there, not an hour of backoff later.
Each message carries a Message-ID derived from its row, so a receiver can recognise the
rare resend after a crash between "accepted" and "marked sent".
"""

import contextlib
import logging
import smtplib
from datetime import timedelta
from email.message import EmailMessage
from email.utils import formatdate

from sqlalchemy import or_, update
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from console import settings
from console.store.columns import utcnow
from console.store.db import transaction
from console.store.models import OutboxMessage

log = logging.getLogger(__name__)
CLAIM = timedelta(minutes=5)
MAX_BACKOFF = timedelta(hours=1)
NO_SMTP = "メールサーバー(SMTP_HOST)が設定されていません"
NO_ADDRESS = "送信先アドレスが設定されていません"
_released = False  # messages backed off for want of configuration made due (once per process)


def enqueue(db: Session, *, key: str, to_addr: str, subject: str, body: str) -> None:
    """Queue one email inside the caller's transaction; a key already queued is not repeated."""
    if db.exec(select(OutboxMessage).where(OutboxMessage.key == key)).first() is None:
        db.add(OutboxMessage(key=key, to_addr=to_addr, subject=subject, body=body))


def _claim(engine: Engine, message_id: int) -> OutboxMessage | None:
    now = utcnow()
    with transaction(engine) as db:
        claimed = db.execute(
            update(OutboxMessage)
            .where(
                OutboxMessage.id == message_id,
                col(OutboxMessage.sent_at).is_(None),
                OutboxMessage.next_attempt_at <= now,
            )
            .values(next_attempt_at=now + CLAIM, attempts=OutboxMessage.attempts + 1)
        ).rowcount
        return db.get(OutboxMessage, message_id) if claimed else None


def _waiting_for(to_addr: str) -> str | None:
    """The setting a message waits for before it can be sent, if any."""
    if not settings.SMTP_HOST:
        return NO_SMTP
    if not (to_addr or settings.WARD_REPORT_ADDRESS):
        return NO_ADDRESS
    return None


def _note_waiting(engine: Engine, message_id: int, reason: str) -> None:
    with transaction(engine) as db:
        db.execute(
            update(OutboxMessage)
            .where(
                OutboxMessage.id == message_id,
                or_(col(OutboxMessage.last_error).is_(None), OutboxMessage.last_error != reason),
            )
            .values(last_error=reason)
        )


def _release_waiting(engine: Engine) -> None:
    """Messages that an earlier process backed off because a setting was missing (before
    such messages stayed due) are due now, if the setting is there."""
    global _released
    if _released or not settings.SMTP_HOST:
        return
    reasons = [NO_SMTP] + ([NO_ADDRESS] if settings.WARD_REPORT_ADDRESS else [])
    with transaction(engine) as db:
        db.execute(
            update(OutboxMessage)
            .where(
                col(OutboxMessage.sent_at).is_(None),
                or_(*(col(OutboxMessage.last_error).contains(r) for r in reasons)),
            )
            .values(next_attempt_at=utcnow())
        )
    _released = True


def _send(message: OutboxMessage) -> None:
    to_addr = message.to_addr or settings.WARD_REPORT_ADDRESS
    email = EmailMessage()
    email["From"] = settings.MAIL_FROM
    email["To"] = to_addr
    email["Subject"] = message.subject
    email["Date"] = formatdate(localtime=False)
    email["Message-ID"] = f"<outbox-{message.id}.{message.created_at:%Y%m%d%H%M%S}@session-console>"
    email.set_content(message.body)
    smtp = smtplib.SMTP(settings.SMTP_HOST, settings.SMTP_PORT, timeout=20)
    try:
        if settings.SMTP_STARTTLS:
            smtp.starttls()
        if settings.SMTP_USERNAME:
            smtp.login(settings.SMTP_USERNAME, str(settings.SMTP_PASSWORD))
        smtp.send_message(email)
    finally:
        # Accepted is accepted: a failing goodbye must not turn into a resend.
        with contextlib.suppress(smtplib.SMTPException, OSError):
            smtp.quit()


def deliver_due(engine: Engine) -> int:
    """Send every message whose time has come; returns how many were sent."""
    _release_waiting(engine)
    with Session(engine) as db:
        due = db.exec(
            select(OutboxMessage.id, OutboxMessage.to_addr)
            .where(col(OutboxMessage.sent_at).is_(None), OutboxMessage.next_attempt_at <= utcnow())
            .order_by(OutboxMessage.id)
            .limit(50)
        ).all()
    sent = 0
    for message_id, to_addr in due:
        if reason := _waiting_for(to_addr):
            _note_waiting(engine, message_id, reason)  # not an attempt: it stays due
            continue
        message = _claim(engine, message_id)
        if message is None:
            continue  # another worker has it
        try:
            _send(message)
        except Exception as error:  # noqa: BLE001 - every failure is retried
            exponent = min(message.attempts - 1, 16)
            backoff = timedelta(seconds=settings.OUTBOX_RETRY_BASE_SECONDS * 2**exponent)
            with transaction(engine) as db:
                db.execute(
                    update(OutboxMessage)
                    .where(OutboxMessage.id == message_id)
                    .values(
                        last_error=f"{type(error).__name__}: {error}"[:500],
                        next_attempt_at=utcnow() + min(backoff, MAX_BACKOFF),
                    )
                )
            log.warning(
                "outbox message %s not sent (%s); will retry", message_id, type(error).__name__
            )
            continue
        with transaction(engine) as db:
            db.execute(
                update(OutboxMessage)
                .where(OutboxMessage.id == message_id)
                .values(sent_at=utcnow(), last_error=None)
            )
        sent += 1
    return sent
