"""The ASGI application: routes, middleware and the lifespan that owns engine, hub and bus.

The domains and their routes are listed in `console.web.composition`."""

import asyncio
import contextlib
import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Mount
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from console import settings
from console.core.pages import page
from console.live import bus
from console.live.hub import Hub
from console.live.routes import LiveFirst
from console.schedule import jobs
from console.security import auth
from console.store import crypto, datakeys
from console.store.db import make_engine
from console.store.schema import SchemaError, migrate
from console.web.composition import ROUTES, bootstrap

bootstrap()

SECURITY_HEADERS = [
    (
        b"content-security-policy",
        b"default-src 'self'; img-src 'self' data:; style-src 'self'; "
        b"script-src 'self'; connect-src 'self'; frame-ancestors 'none'; form-action 'self'",
    ),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
    (b"cache-control", b"no-store"),
]
# Behind TLS (COOKIE_SECURE): browsers go on using https for a year, never plain http.
HSTS = (b"strict-transport-security", b"max-age=31536000; includeSubDomains")


def security_headers() -> list[tuple[bytes, bytes]]:
    return [*SECURITY_HEADERS, HSTS] if settings.COOKIE_SECURE else SECURITY_HEADERS


class SecurityHeaders:
    """Pages may hold personal data: never cached, never framed, scripts from here only."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                existing = {k for k, _ in message.get("headers", [])}
                extra = [(k, v) for k, v in security_headers() if k not in existing]
                message["headers"] = list(message.get("headers", [])) + extra
            await send(message)

        await self.app(scope, receive, send_with_headers)


class OneLineRefusals:
    """A refusal to start — no data key, a key set that cannot read the database, a schema
    that cannot be adopted — reaches the log as its one-line message, not as a traceback:
    uvicorn logs what `lifespan.startup.failed` carries (Starlette puts the traceback there)
    and exits."""

    REFUSALS = (crypto.KeyError_, SchemaError)

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "lifespan":
            return await self.app(scope, receive, send)
        held: list[Message] = []

        async def hold_failure(message: Message) -> None:
            if message["type"] == "lifespan.startup.failed":
                held.append(message)  # sent once we know why
            else:
                await send(message)

        try:
            await self.app(scope, receive, hold_failure)
        except self.REFUSALS as refusal:
            await send({"type": "lifespan.startup.failed", "message": str(refusal)})
            return
        except BaseException:
            for message in held:
                await send(message)
            raise
        for message in held:
            await send(message)


async def _error_page(request: Request, message: str, status: int) -> Response:
    """The error page with the menu of whoever is logged in (no route guard ran for a path
    that matched nothing). A failure to find the login leaves the page without a menu."""
    with contextlib.suppress(Exception):
        found = await auth.current(request)
        if found is not None:
            request.state.staff, request.state.login = found
    return page(request, "error.html", status=status, message=message)


PUBLIC = ("/apply", "/entry", "/survey")  # participants' pages: their own layout, no staff menu


async def _refusal(
    request: Request, exc: Exception, status: int, message: str, title: str
) -> Response:
    """A path, method or body the router or the form parser refused, answered in Japanese:
    on a participant's page in its own plain layout, elsewhere with the staff menu."""
    path = request.url.path
    if any(path == p or path.startswith(p + "/") for p in PUBLIC):
        response = page(request, "intake/public_message.html", status, title=title, message=message)
    else:
        response = await _error_page(request, message, status)
    response.headers.update(getattr(exc, "headers", None) or {})  # e.g. 405's Allow
    return response


async def not_found(request: Request, exc: Exception) -> Response:
    return await _refusal(
        request, exc, 404, "お探しのページは見つかりません。", "ページが見つかりません"
    )


async def not_allowed(request: Request, exc: Exception) -> Response:
    return await _refusal(
        request,
        exc,
        405,
        "このページでは、その操作はできません。画面のボタンやリンクからお進みください。",
        "この操作はできません",
    )


async def bad_request(request: Request, exc: Exception) -> Response:
    return await _refusal(
        request,
        exc,
        400,
        "送られた内容を受け付けられませんでした(大きすぎるか、項目が多すぎます)。"
        "入力を短くして、もう一度お試しください。",
        "送られた内容を受け付けられませんでした",
    )


async def server_error(request: Request, exc: Exception) -> Response:
    # No detail reaches the page; SQL parameters are kept out of tracebacks (see db.py).
    return await _error_page(
        request, "システムでエラーが発生しました。時間をおいて再度お試しください。", 500
    )


@asynccontextmanager
async def lifespan(app: Starlette) -> AsyncIterator[None]:
    ring = crypto.keyring()  # no data key, no start: personal data is never stored in the clear
    engine = make_engine(settings.DATABASE_URL)
    await asyncio.to_thread(migrate, engine)
    # Only with the keys the database was encrypted with (and from now on, with this one).
    await asyncio.to_thread(datakeys.check, engine, ring)
    hub = Hub(engine, queue_size=settings.LIVE_QUEUE_SIZE)
    await hub.load_open()
    app.state.engine, app.state.hub = engine, hub
    listener = asyncio.create_task(bus.listen(engine, hub))
    heartbeat = asyncio.create_task(hub.beat(settings.LIVE_HEARTBEAT_SECONDS))
    scheduler = jobs.start(engine, hub)  # in the loop: the scheduler runs its jobs here
    app.state.scheduler = scheduler
    # Until the first election is over: a leader applies what is due before it serves.
    settled = asyncio.Event()
    election = asyncio.create_task(jobs.run(engine, scheduler, ready=settled))
    waiting = asyncio.create_task(settled.wait())
    await asyncio.wait({election, waiting}, return_when=asyncio.FIRST_COMPLETED)
    waiting.cancel()
    if election.done():
        election.result()  # with SQLite it ends once caught up; raises if that failed
    # Everything loaded so far lives as long as the process: out of the collector's sight, so a
    # full collection no longer walks it (one took 80-120 ms, a stall for every screen).
    gc.collect()
    gc.freeze()
    try:
        yield
    finally:
        election.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await election
        scheduler.shutdown(wait=False)
        hub.close_all(1012)
        for task in (listener, heartbeat):
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        engine.dispose()


routes = [
    *ROUTES,
    Mount("/static", StaticFiles(directory=settings.ROOT / "static"), name="static"),
]

middleware = [Middleware(OneLineRefusals), Middleware(SecurityHeaders)]

app = LiveFirst(
    Starlette(
        routes=routes,
        middleware=middleware,
        lifespan=lifespan,
        exception_handlers={400: bad_request, 404: not_found, 405: not_allowed, 500: server_error},
    )
)
