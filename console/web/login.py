"""Logging in and out: the only pages reachable without a login."""

import secrets
from functools import partial
from urllib.parse import quote

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from console.core.pages import FLASH_COOKIE, page, refuse
from console.security import auth
from console.security.auth import guarded
from console.security.permissions import Action
from console.security.reauth import safe_next


def _engine(request: Request):
    return request.app.state.engine


async def login_form(request: Request) -> Response:
    token = secrets.token_urlsafe(32)
    response = page(
        request, "web/login.html", login_csrf=token, next=request.query_params.get("next")
    )
    auth.set_cookie(request, response, auth.LOGIN_CSRF_COOKIE, token, max_age=3600)
    return response


async def login(request: Request) -> Response:
    form = await request.form()
    cookie = request.cookies.get(auth.LOGIN_CSRF_COOKIE, "")
    if not cookie or not await auth.csrf_ok(request, cookie):
        return refuse(request, auth.CSRF_FAILED, 403)
    address = request.client.host if request.client else "?"
    login_id = str(form.get("login_id", ""))
    password = str(form.get("password", ""))
    next_url = safe_next(str(form.get("next", "")))
    if wait := auth.address_throttle.wait(address):
        staff, message = None, auth.wait_message(wait)
    else:
        staff, message = await run_in_threadpool(
            partial(auth.authenticate, _engine(request), login_id, password, address=address)
        )
    if staff is None:
        if message == auth.FAILED:  # a checked password; an attempt made while waiting is not
            auth.address_throttle.fail(address)
        response = page(
            request,
            "web/login.html",
            401,
            error=message,
            login_csrf=cookie,
            next=next_url,
            login_id=login_id[:64],
        )
        return response
    # A half login (a new session id): the second factor comes next, and only then a full one.
    token = await run_in_threadpool(auth.start_session, _engine(request), staff)
    response = RedirectResponse(f"/login/factor?next={quote(next_url, safe='/')}", 303)
    auth.set_cookie(
        request, response, auth.COOKIE, token, max_age=auth.settings.SESSION_HOURS * 3600
    )
    response.delete_cookie(auth.LOGIN_CSRF_COOKIE, path="/")
    return response


@guarded(Action.VIEW_DASHBOARD)
async def logout(request: Request) -> Response:
    await run_in_threadpool(auth.end_session, _engine(request), request.cookies[auth.COOKIE])
    request.app.state.hub.close_login(request.state.login.token_hash)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(auth.COOKIE, path="/")
    response.delete_cookie(FLASH_COOKIE, path="/")  # nothing said to whoever comes next
    return response
