"""The manager's staff page: the roster, creating an account, contact details, pledge and
training, changing a role (with a reason), deactivating (which ends their logins at once)."""

from collections.abc import Callable

from sqlmodel import Session
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from console.core.errors import Refused
from console.core.pages import page, refuse
from console.security import roster
from console.security.audit import audited_read
from console.security.auth import guarded
from console.security.models import Staff
from console.security.permissions import Action
from console.store.db import transaction


@guarded(Action.MANAGE_STAFF)
async def staff_list(request: Request) -> Response:
    def read(db: Session):
        return roster.members(db)

    members = await run_in_threadpool(
        audited_read, request.app.state.engine, request.state.staff.id, "staff.list", "all", read
    )
    return page(request, "security/staff.html", members=members, done=request.query_params)


async def _change(request: Request, act: Callable, done: str) -> Response:
    form = await request.form()
    engine, me = request.app.state.engine, request.state.staff.id

    def run():
        with transaction(engine) as db:
            return act(db, form, me)

    try:
        ended = await run_in_threadpool(run)
    except Refused as refusal:
        return refuse(request, refusal.message, refusal.status)
    for token_hash in ended if isinstance(ended, list) else ():
        request.app.state.hub.close_login(token_hash)
    return RedirectResponse(f"/security/staff?done={done}", status_code=303)


def _staff_id(request: Request) -> int:
    return request.path_params["staff_id"]  # the `id` convertor: 0 names no row


@guarded(Action.MANAGE_STAFF)
async def create(request: Request) -> Response:
    return await _change(request, lambda db, form, me: roster.create(db, form, by=me), "created")


@guarded(Action.MANAGE_STAFF)
async def profile(request: Request) -> Response:
    staff_id = _staff_id(request)
    return await _change(
        request,
        lambda db, form, me: roster.update_profile(db, staff_id, form, by=me),
        "profile",
    )


@guarded(Action.MANAGE_STAFF)
async def role(request: Request) -> Response:
    staff_id = _staff_id(request)
    return await _change(
        request, lambda db, form, me: roster.change_role(db, staff_id, form, by=me), "role"
    )


@guarded(Action.MANAGE_STAFF)
async def deactivate(request: Request) -> Response:
    staff_id = _staff_id(request)
    return await _change(
        request,
        lambda db, form, me: roster.deactivate(db, staff_id, form, by=me),
        "deactivated",
    )


@guarded(Action.MANAGE_STAFF)
async def member(request: Request) -> Response:
    staff_id = _staff_id(request)

    def read(db: Session):
        found = [m for m in roster.members(db) if m.staff.id == staff_id]
        return found[0] if found else None

    found = await run_in_threadpool(
        audited_read,
        request.app.state.engine,
        request.state.staff.id,
        "staff.read",
        f"staff:{staff_id}",
        read,
    )
    if found is None or not isinstance(found.staff, Staff):
        return refuse(request, "職員が見つかりません。", 404)
    return page(request, "security/staff_member.html", m=found)
