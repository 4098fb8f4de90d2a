"""The reception desk of an in-person drop-in or a family class."""

import uuid

from sqlmodel import Session
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from console.core.errors import Refused
from console.core.pages import page, refuse, result
from console.intake import reception
from console.live.commands import execute, outcome
from console.live.eventlog import COMMAND_ID
from console.live.models import Meetup
from console.security.auth import guarded
from console.security.models import AuditEntry
from console.security.permissions import Action
from console.session.vocab import MeetupKind, MeetupStatus, spaces_of
from console.store.db import transaction


def _meetup(engine, meetup_id: int) -> Meetup | None:
    with Session(engine) as db:
        return db.get(Meetup, meetup_id)


@guarded(Action.PARTICIPANT_ENTER)
async def desk(request: Request) -> Response:
    engine, staff_id = request.app.state.engine, request.state.staff.id
    meetup_id = request.path_params["meetup_id"]

    def read():
        with transaction(engine) as db:
            meetup = db.get(Meetup, meetup_id)
            if meetup is None:
                return None, []
            db.add(
                AuditEntry(staff_id=staff_id, action="reception.list", target=f"meetup:{meetup_id}")
            )
            return meetup, reception.expected(db, meetup)

    meetup, arrivals = await run_in_threadpool(read)
    if meetup is None:
        return refuse(request, "開催回が見つかりません。", 404)
    if meetup.kind == MeetupKind.METAVERSE:
        return refuse(request, "受付の画面は、対面の居場所と家族教室の回だけです。", 404)
    return page(
        request,
        "intake/reception.html",
        meetup=meetup,
        arrivals=arrivals,
        command_id=uuid.uuid4().hex,
    )


async def _enter(request: Request, meetup_id: int, find_code) -> Response:
    form = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
    engine, staff = request.app.state.engine, request.state.staff
    # What the entry would refuse is refused before anyone is stored (a walk-in made
    # before the doors open, or from a broken page, must leave nothing behind).
    if not COMMAND_ID.match(form.get("command_id", "")):
        return result(
            request, "操作IDが不正です。画面を再読み込みしてからやり直してください。", 400
        )
    try:
        live = await request.app.state.hub.live(meetup_id)
    except Refused as refused:
        return result(request, refused.message, refused.status)
    if live.state.status == MeetupStatus.CLOSED:
        return result(request, "この開催回は終了しているため、入室を記録できません。", 422)
    if not live.state.is_open:
        return result(request, "まだ入室受付が始まっていないため、入室を記録できません。", 422)

    def code():
        with transaction(engine) as db:
            meetup = db.get(Meetup, meetup_id)
            if meetup is None:
                raise Refused("開催回が見つかりません。", status=404)
            # Arrivals go to the kind's first space (対話交流スペース, 講義).
            return find_code(db, meetup, form, staff.id), spaces_of(meetup.kind)[0]

    try:
        participant_code, space = await run_in_threadpool(code)
        appended = await execute(
            request.app.state.hub,
            meetup_id=meetup_id,
            actor=staff,
            name="enter",
            form={"participant_code": participant_code, "space": space},
            command_id=form.get("command_id", ""),
        )
    except Refused as refused:
        return result(request, refused.message, refused.status)
    message, status = outcome("enter", appended)
    return result(request, message, status)


@guarded(Action.PARTICIPANT_ENTER)
async def check_in(request: Request) -> Response:
    application_id = request.path_params["application_id"]
    return await _enter(
        request,
        request.path_params["meetup_id"],
        lambda db, meetup, form, staff_id: reception.arrival_code(
            db, meetup=meetup, application_id=application_id
        ),
    )


@guarded(Action.ADMIT_WALK_IN)
async def walk_in(request: Request) -> Response:
    return await _enter(
        request,
        request.path_params["meetup_id"],
        lambda db, meetup, form, staff_id: reception.walk_in(
            db, meetup=meetup, form=form, staff_id=staff_id
        ),
    )
