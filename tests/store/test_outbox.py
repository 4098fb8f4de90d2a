"""The outbox: an email queued before the mail server was configured goes out on the first
round once it is, not after an hour of backoff."""

from datetime import timedelta

from sqlalchemy import update
from sqlmodel import Session, select

from console.store import outbox
from console.store.columns import utcnow
from console.store.db import transaction
from console.store.models import OutboxMessage
from tests.conftest import free_port, make_server, seed, sent, wait_for
from tests.smtp import start_smtp

HOUR = "3600"  # the first retry after a failed send: what a failure would cost


def message(engine, key: str) -> OutboxMessage:
    with Session(engine) as db:
        return db.exec(select(OutboxMessage).where(OutboxMessage.key == key)).one()


def test_a_message_queued_without_smtp_goes_out_on_the_first_round_once_it_is_set(tmp_path):
    url = f"sqlite:///{tmp_path / 'outbox.db'}"
    engine, _ = seed(url)
    with transaction(engine) as db:
        for key in ("test:queued-now", "test:backed-off-before"):
            outbox.enqueue(db, key=key, to_addr="ward@example.org", subject=key, body="本文")
    with transaction(engine) as db:  # as an earlier version left it: an hour of backoff
        db.execute(
            update(OutboxMessage)
            .where(OutboxMessage.key == "test:backed-off-before")
            .values(
                attempts=3,
                last_error=f"RuntimeError: {outbox.NO_SMTP}",
                next_attempt_at=utcnow() + timedelta(hours=1),
            )
        )

    quiet = make_server(
        url, tmp_path, OUTBOX_INTERVAL_SECONDS="0.2", OUTBOX_RETRY_BASE_SECONDS=HOUR
    )
    quiet.start()  # no SMTP_HOST
    try:
        wait_for(lambda: message(engine, "test:queued-now").last_error)  # a round saw it
    finally:
        quiet.stop()
    queued = message(engine, "test:queued-now")
    assert queued.last_error == outbox.NO_SMTP and queued.attempts == 0
    assert queued.next_attempt_at <= utcnow() and queued.sent_at is None

    smtp_port = free_port()
    controller, inbox = start_smtp(smtp_port)
    mailing = make_server(
        url,
        tmp_path,
        SMTP_HOST="127.0.0.1",
        SMTP_PORT=str(smtp_port),
        SMTP_STARTTLS="false",
        OUTBOX_INTERVAL_SECONDS="0.2",
        OUTBOX_RETRY_BASE_SECONDS=HOUR,
    ).start()
    try:
        sent(engine, "test:queued-now")
        sent(engine, "test:backed-off-before")
        assert sorted(m["Subject"] for m in inbox.messages) == [
            "test:backed-off-before",
            "test:queued-now",
        ]
    finally:
        mailing.stop()
        controller.stop()
