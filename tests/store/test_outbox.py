"""The outbox: an email queued before the mail server was configured goes out on the first
round once it is, not after an hour of backoff; two workers sending at once send each message
once."""

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from sqlalchemy import update
from sqlmodel import Session, col, select

from console import settings
from console.store import outbox
from console.store.columns import utcnow
from console.store.db import make_engine, transaction
from console.store.models import OutboxMessage
from tests.conftest import (
    PG_URL,
    empty_postgres,
    free_port,
    make_server,
    seed,
    sent,
    wait_for,
)
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


@pytest.mark.postgres
def test_two_workers_sending_the_outbox_at_once_send_each_message_once(monkeypatch):
    """Two workers (each its own engine, as two processes have) read the same due messages at
    the same moment and race for each one: the claim (one conditional UPDATE) lets exactly one
    of them send it, and the SMTP server receives every message once."""
    empty_postgres().dispose()
    engine, _ = seed(PG_URL)
    smtp_port = free_port()
    controller, inbox = start_smtp(smtp_port)
    for name, value in {
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": smtp_port,
        "SMTP_STARTTLS": False,
        "SMTP_USERNAME": "",
    }.items():
        monkeypatch.setattr(settings, name, value)
    keys = [f"test:race-{n:02d}" for n in range(40)]
    with transaction(engine) as db:
        for key in keys:
            outbox.enqueue(db, key=key, to_addr="ward@example.org", subject=key, body="本文")
    workers = [make_engine(PG_URL) for _ in range(2)]
    together = threading.Barrier(2)

    def work(worker_engine) -> int:
        together.wait()
        return outbox.deliver_due(worker_engine)

    try:
        with ThreadPoolExecutor(2) as pool:
            counts = list(pool.map(work, workers))
        assert sum(counts) == len(keys)
        assert sorted(m["Subject"] for m in inbox.messages) == keys  # each once, none missing
        with Session(engine) as db:
            rows = db.exec(select(OutboxMessage).where(col(OutboxMessage.key).in_(keys))).all()
        assert all(row.sent_at is not None and row.attempts == 1 for row in rows)
        assert outbox.deliver_due(engine) == 0  # nothing left to send
    finally:
        controller.stop()
        for worker_engine in workers:
            worker_engine.dispose()
        engine.dispose()
