"""The schedule: every meetup's transitions as APScheduler jobs kept in the database.

Doors open (13:45) → start (14:00) → wrap-up notice (WRAP_UP_MINUTES before the end) → close
(17:00). A job only appends an event through the event log, with the command id
`schedule:<meetup>:<transition>`, so running it twice — a retry, a second worker, the
start-up catch-up and a late job — records it once. At start-up every transition whose time
has passed is applied in order, the event noting the time it was planned for.

A daily job at 09:00 leaves a reminder for the manager three business days before the
monthly report is due.

Every worker keeps jobs in the shared store, but only one runs them: the worker elected by
an advisory lock on PostgreSQL (`console.store.leader`; with SQLite, the one process). Two
schedulers on one store would both take a due job and both delete it, and the slower one's
timer would die with JobLookupError. The others keep their scheduler paused and take over
when the leader dies, applying first what fell due in between.
"""

import asyncio
import contextlib
import logging
from datetime import datetime, timedelta

from apscheduler.jobstores.memory import MemoryJobStore
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from console import settings
from console.core.errors import Refused
from console.live import eventlog
from console.live.commands import append_and_publish
from console.live.models import Meetup
from console.schedule import duedates
from console.schedule.models import Notice
from console.session.commands import lifecycle
from console.session.vocab import MeetupStatus
from console.store import outbox
from console.store.columns import utcnow
from console.store.db import transaction
from console.store.leader import lead

log = logging.getLogger(__name__)
TRANSITIONS = {
    "open_doors": lifecycle.open_doors,
    "start": lifecycle.start,
    "wrap_up": lifecycle.wrap_up,
    "close": lifecycle.close,
}
MISFIRE_GRACE_SECONDS = 6 * 3600
SCHEDULER_LOCK = 0x636F6E736F6C65  # "console": the advisory lock whose holder runs the jobs
_hub = None  # the running app's hub: jobs are plain functions, found again after a restart


def planned(meetup: Meetup) -> list[tuple[str, datetime]]:
    """The transitions of `meetup` and their planned times, in order."""
    wrap = max(meetup.ends_at - timedelta(minutes=settings.WRAP_UP_MINUTES), meetup.starts_at)
    return [
        ("open_doors", meetup.doors_at),
        ("start", meetup.starts_at),
        ("wrap_up", wrap),
        ("close", meetup.ends_at),
    ]


async def run_transition(meetup_id: int, name: str) -> None:
    """The job: apply one transition at its time (nothing if it no longer applies)."""
    with Session(_hub.engine) as db:
        meetup = db.get(Meetup, meetup_id)
    if meetup is None:
        return
    when = dict(planned(meetup))[name]
    await _apply(meetup_id, name, when)


async def _apply(meetup_id: int, name: str, when: datetime) -> None:
    decide = TRANSITIONS[name]({}, None, scheduled=when)
    try:
        await append_and_publish(
            _hub,
            meetup_id=meetup_id,
            actor_id=None,
            command_id=f"schedule:{meetup_id}:{name}",
            # The id names the transition and the transition is all the input there is.
            fingerprint=eventlog.fingerprint(f"schedule:{name}", {}),
            decide=decide,
        )
    except Refused as refused:  # e.g. the manager already closed it by hand
        log.info("transition %s of meetup %s not applied: %s", name, meetup_id, refused.message)


async def catch_up(*, meetup_id: int | None = None) -> None:
    """Apply, in order, every transition whose time has passed while nobody ran it (for every
    meetup not closed, or one just created with times already past)."""
    now = utcnow()
    with Session(_hub.engine) as db:
        query = select(Meetup).where(Meetup.status != MeetupStatus.CLOSED)
        if meetup_id is not None:
            query = query.where(Meetup.id == meetup_id)
        meetups = db.exec(query).all()
    for meetup in meetups:
        for name, when in planned(meetup):
            if when <= now:
                await _apply(meetup.id, name, when)


def schedule(scheduler: AsyncIOScheduler, meetup: Meetup) -> None:
    """(Re)place the jobs of one meetup; transitions already past are left to `catch_up`."""
    now = utcnow()
    for name, when in planned(meetup):
        job_id = f"meetup-{meetup.id}-{name}"
        if when <= now:
            if scheduler.get_job(job_id):
                scheduler.remove_job(job_id)
            continue
        scheduler.add_job(
            run_transition,
            "date",
            run_date=when,
            args=[meetup.id, name],
            id=job_id,
            replace_existing=True,
            misfire_grace_time=MISFIRE_GRACE_SECONDS,
            coalesce=True,
        )


def remind_reports(engine: Engine, today=None) -> None:
    """Three business days before a monthly report is due, leave the manager a notice."""
    today = today or datetime.now(settings.TZ).date()
    year, month, due = duedates.next_report(today)
    if not duedates.business_days_before(due, 3) <= today <= due:
        return  # (also run at start-up: a server down at 09:00 on the day still reminds)
    key = f"report-due:{year}-{month:02d}"
    with contextlib.suppress(IntegrityError), transaction(engine) as db:  # another worker won
        if db.exec(select(Notice).where(Notice.key == key)).first() is None:
            weekday = "月火水木金土日"[due.weekday()]
            db.add(
                Notice(
                    key=key,
                    text=(
                        f"{year}年{month}月分の月次報告書の提出期限は{due.month}月{due.day}日({weekday})です"
                        "(3営業日前のお知らせ)。"
                    ),
                )
            )


def remind_reports_job() -> None:
    remind_reports(_hub.engine)


def start(engine: Engine, hub) -> AsyncIOScheduler:
    """A scheduler whose jobs live in the database, Asia/Tokyo, coalescing, with grace:
    paused, it stores jobs but runs none until `run` finds this worker elected."""
    global _hub
    _hub = hub
    scheduler = AsyncIOScheduler(
        jobstores={
            "default": SQLAlchemyJobStore(engine=engine, tablename="scheduled_job"),
            "memory": MemoryJobStore(),  # the outbox poll needs no keeping
        },
        timezone=settings.TZ,
        job_defaults={"coalesce": True, "misfire_grace_time": MISFIRE_GRACE_SECONDS},
    )
    scheduler.add_job(
        outbox.deliver_due,
        "interval",
        args=[engine],
        id="outbox",
        jobstore="memory",
        seconds=settings.OUTBOX_INTERVAL_SECONDS,
        max_instances=1,
        replace_existing=True,
    )
    scheduler.add_job(
        remind_reports_job, "cron", id="report-reminder", hour=9, minute=0, replace_existing=True
    )
    scheduler.start(paused=True)
    remind_reports(engine)
    with Session(engine) as db:
        for meetup in db.exec(select(Meetup).where(Meetup.status != MeetupStatus.CLOSED)):
            schedule(scheduler, meetup)
    return scheduler


async def run(engine: Engine, scheduler: AsyncIOScheduler, *, ready: asyncio.Event) -> None:
    """Run until cancelled: the scheduler runs its jobs while this worker leads. Taking over,
    it applies every transition that fell due meanwhile; while leading, it looks at the store
    every SCHEDULER_ELECTION_SECONDS for jobs other workers added. `ready` is set once this
    worker leads and has caught up, or once another worker leads."""

    async def take_over() -> None:
        scheduler.resume()
        await catch_up()

    await lead(
        engine,
        role="scheduler",
        key=SCHEDULER_LOCK,
        every=settings.SCHEDULER_ELECTION_SECONDS,
        elected=take_over,
        deposed=scheduler.pause,
        leading=scheduler.wakeup,
        ready=ready,
    )
