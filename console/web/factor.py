"""The second half of a login: enrolling a TOTP factor (first login) or giving a code, and
giving the password or a code again before sensitive work (re-authentication).

Until the factor is given, the half login reaches these pages and nothing else (the route
guard and the websocket accept only completed logins). Wrong codes are slowed down like
wrong passwords, per person and address.
"""

from functools import partial

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from console.core.pages import page, refuse
from console.security import audit, auth, factor, passkeys
from console.security.auth import guarded
from console.security.permissions import Action
from console.security.reauth import safe_next
from console.store.db import transaction

REAUTH = f"{auth.settings.REAUTH_MINUTES:g}"
WRONG_CODE = "確認コードが正しくないか、すでに使われています。新しいコードを入力してください。"


def _engine(request: Request):
    return request.app.state.engine


def _address(request: Request) -> str:
    return request.client.host if request.client else "?"


async def _half_login(request: Request):
    return await run_in_threadpool(
        partial(auth.lookup, _engine(request), request.cookies.get(auth.COOKIE), half=True)
    )


async def _form(
    request: Request, staff, login, next_url: str, *, status: int = 200, error: str = ""
) -> Response:
    engine = _engine(request)
    enrolled = await run_in_threadpool(factor.enrolled, engine, staff.id)
    keys = await run_in_threadpool(passkeys.registered, engine, staff.id) if enrolled else []
    context = {
        "enrolled": enrolled,
        "passkeys": bool(keys),
        "error": error,
        "factor_csrf": login.csrf_token,
    }
    if not enrolled:
        secret = await run_in_threadpool(factor.pending_secret, engine, staff.id)
        uri = factor.provisioning_uri(secret, staff.login_id)
        context.update(secret=secret, qr=factor.qr_data_uri(uri))
    return page(request, "web/factor.html", status, next=next_url, **context)


async def factor_form(request: Request) -> Response:
    found = await _half_login(request)
    if found is None:
        return RedirectResponse("/login", status_code=303)
    staff, login = found
    if login.factor_at is not None:
        return RedirectResponse(safe_next(request.query_params.get("next")), status_code=303)
    return await _form(request, staff, login, safe_next(request.query_params.get("next")))


def _check(engine, staff_id: int, code: str, address: str) -> tuple[bool, str, list[str]]:
    """(accepted, message, new recovery codes) for one code given at the factor step."""
    key = auth.throttle_key(str(staff_id), address, door="factor")
    with transaction(engine) as db:
        if wait := auth.waiting(db, key):
            return False, auth.wait_message(wait), []
    was_enrolled = factor.enrolled(engine, staff_id)
    ok, recovery = factor.check_code(engine, staff_id, code), False
    if not ok and was_enrolled and "-" in code:
        ok = recovery = factor.use_recovery_code(engine, staff_id, code)
    with transaction(engine) as db:
        if not ok:
            audit.record(db, action="factor.failed", staff_id=staff_id)
            if auth.count_failure(db, key):
                audit.record(db, action="factor.lockout", staff_id=staff_id)
            return False, WRONG_CODE, []
        auth.clear_failures(db, key)
        if recovery:
            audit.record(db, action="factor.recovery_used", staff_id=staff_id)
        if was_enrolled:
            return True, "", []
        audit.record(db, action="factor.enrolled", staff_id=staff_id)
        return True, "", factor.new_recovery_codes(db, staff_id)


async def factor_submit(request: Request) -> Response:
    found = await _half_login(request)
    if found is None:
        return refuse(request, "ログインの有効期限が切れました。再度ログインしてください。", 401)
    staff, login = found
    if not await auth.csrf_ok(request, login.csrf_token):
        return refuse(request, auth.CSRF_FAILED, 403)
    form = await request.form()
    next_url = safe_next(str(form.get("next", "")))
    if login.factor_at is not None:
        return RedirectResponse(next_url, status_code=303)
    code = str(form.get("code", ""))[:64]
    ok, message, codes = await run_in_threadpool(
        _check, _engine(request), staff.id, code, _address(request)
    )
    if not ok:
        return await _form(request, staff, login, next_url, status=401, error=message)
    token = await run_in_threadpool(
        auth.complete_session, _engine(request), request.cookies[auth.COOKIE]
    )
    if token is None:
        return refuse(request, "ログインの有効期限が切れました。再度ログインしてください。", 401)
    if codes:
        response = page(request, "web/recovery_codes.html", codes=codes, next=next_url)
    else:
        response = RedirectResponse(next_url, status_code=303)
    auth.set_cookie(
        request, response, auth.COOKIE, token, max_age=auth.settings.SESSION_HOURS * 3600
    )
    return response


@guarded(Action.VIEW_DASHBOARD)
async def confirm_form(request: Request) -> Response:
    next_url = safe_next(request.query_params.get("next"))
    return page(request, "web/confirm.html", next=next_url, reauth_minutes=REAUTH)


def _confirm(engine, staff, token_hash: str, secret: str, address: str) -> str:
    """'' when the password or a current code was right (the login is confirmed now)."""
    key = auth.throttle_key(str(staff.id), address, door="confirm")
    with transaction(engine) as db:
        if wait := auth.waiting(db, key):
            return auth.wait_message(wait)
    ok = factor.check_code(engine, staff.id, secret) or auth.verify_password(
        staff.password_hash, secret
    )
    with transaction(engine) as db:
        if not ok:
            audit.record(db, action="reauth.failed", staff_id=staff.id)
            auth.count_failure(db, key)
            return "パスワードまたは確認コードが正しくありません。"
        auth.clear_failures(db, key)
        audit.record(db, action="reauth", staff_id=staff.id)
    auth.confirm(engine, token_hash)
    return ""


@guarded(Action.VIEW_DASHBOARD)
async def confirm_submit(request: Request) -> Response:
    form = await request.form()
    next_url = safe_next(str(form.get("next", "")))
    error = await run_in_threadpool(
        _confirm,
        _engine(request),
        request.state.staff,
        request.state.login.token_hash,
        str(form.get("secret", ""))[:256],
        _address(request),
    )
    if error:
        return page(
            request, "web/confirm.html", 401, next=next_url, error=error, reauth_minutes=REAUTH
        )
    return RedirectResponse(next_url, status_code=303)
