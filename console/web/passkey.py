"""Passkeys in the browser: registering one (after logging in) and giving it at the second
step of a login. The page's script (static/passkey.js) fetches the options as JSON, asks the
browser's WebAuthn API, and posts the result back; every POST carries the login's CSRF token.
"""

from functools import partial

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from console.core.errors import Refused
from console.core.pages import page
from console.security import auth, passkeys
from console.security.auth import guarded
from console.security.permissions import Action
from console.security.reauth import safe_next

TOO_LARGE = 16_384


def relying_party(request: Request) -> tuple[str, str]:
    """(RP id, origin) as the browser addressed this site."""
    return request.url.hostname or "localhost", f"{request.url.scheme}://{request.url.netloc}"


def _json_refusal(refusal: Refused) -> Response:
    return JSONResponse({"error": refusal.message}, status_code=refusal.status)


async def _body(request: Request) -> str:
    """The browser's WebAuthn answer, as the page's script posts it (JSON). A form post (its
    body read already for the CSRF token) is refused: there is no credential in it."""
    if request.headers.get("content-type", "").split(";")[0].strip() != "application/json":
        raise Refused("パスキーの操作は、このページのボタンから行ってください。", status=415)
    body = await request.body()
    if len(body) > TOO_LARGE:
        raise Refused("送られたデータが大きすぎます。", status=413)
    return body.decode("utf-8", errors="replace")


@guarded(Action.VIEW_DASHBOARD)
async def passkeys_page(request: Request) -> Response:
    mine = await run_in_threadpool(
        passkeys.registered, request.app.state.engine, request.state.staff.id
    )
    return page(request, "web/passkeys.html", passkeys=mine)


@guarded(Action.VIEW_DASHBOARD)
async def register_options(request: Request) -> Response:
    rp_id, _ = relying_party(request)
    options = await run_in_threadpool(
        partial(
            passkeys.registration_options,
            request.app.state.engine,
            request.state.staff,
            request.state.login.token_hash,
            rp_id=rp_id,
        )
    )
    return Response(options, media_type="application/json")


@guarded(Action.VIEW_DASHBOARD)
async def register(request: Request) -> Response:
    rp_id, origin = relying_party(request)
    try:
        credential = await _body(request)
        await run_in_threadpool(
            partial(
                passkeys.register,
                request.app.state.engine,
                request.state.staff,
                request.state.login.token_hash,
                credential,
                rp_id=rp_id,
                origin=origin,
            )
        )
    except Refused as refusal:
        return _json_refusal(refusal)
    return JSONResponse({"message": "パスキーを登録しました。", "next": "/security/passkeys"})


async def _half(request: Request):
    """The half login of this request, with its CSRF token checked; None when either fails."""
    found = await run_in_threadpool(
        partial(auth.lookup, request.app.state.engine, request.cookies.get(auth.COOKIE), half=True)
    )
    if found is None or found[1].factor_at is not None:
        return None
    if not request.headers.get("x-csrf-token"):
        return None
    return found if await auth.csrf_ok(request, found[1].csrf_token) else None


async def login_options(request: Request) -> Response:
    found = await _half(request)
    if found is None:
        return JSONResponse({"error": auth.CSRF_FAILED}, status_code=403)
    staff, login = found
    rp_id, _ = relying_party(request)
    options = await run_in_threadpool(
        partial(
            passkeys.authentication_options,
            request.app.state.engine,
            staff.id,
            login.token_hash,
            rp_id=rp_id,
        )
    )
    if options is None:
        return JSONResponse({"error": "パスキーが登録されていません。"}, status_code=404)
    return Response(options, media_type="application/json")


async def login(request: Request) -> Response:
    found = await _half(request)
    if found is None:
        return JSONResponse({"error": auth.CSRF_FAILED}, status_code=403)
    staff, login = found
    rp_id, origin = relying_party(request)
    engine = request.app.state.engine
    try:
        credential = await _body(request)
        await run_in_threadpool(
            partial(
                passkeys.authenticate,
                engine,
                staff.id,
                login.token_hash,
                credential,
                rp_id=rp_id,
                origin=origin,
            )
        )
    except Refused as refusal:
        return _json_refusal(refusal)
    token = await run_in_threadpool(auth.complete_session, engine, request.cookies[auth.COOKIE])
    if token is None:
        return JSONResponse({"error": "ログインの有効期限が切れました。"}, status_code=401)
    next_url = safe_next(request.query_params.get("next"))
    response = JSONResponse({"message": "確認しました。", "next": next_url})
    auth.set_cookie(
        request, response, auth.COOKIE, token, max_age=auth.settings.SESSION_HOURS * 3600
    )
    return response
