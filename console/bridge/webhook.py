"""`POST /platform/events`: a delivery signed per Standard Webhooks, applied exactly once.

The signature (HMAC-SHA256 over `webhook-id.webhook-timestamp.body`, 5 minutes' tolerance) is
checked by the `standardwebhooks` library against every secret in use, so secrets rotate
without downtime. The platform's `webhook-id` is the command id of the event it becomes: a
retried delivery finds its event and appends nothing. A refused delivery appends nothing and
is counted for the health panel.
"""

import hashlib
import logging

import anyio
from standardwebhooks.webhooks import Webhook, WebhookVerificationError
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from console import settings
from console.bridge.contract import EVENT_ID, REASONS, Rejected, parse
from console.bridge.deliveries import decide_delivery
from console.bridge.models import PlatformRefusal
from console.core.errors import Refused
from console.live.commands import append_and_publish
from console.live.eventlog import fingerprint
from console.session.vocab import MeetupKind
from console.store.db import transaction

log = logging.getLogger(__name__)
COMMAND_PREFIX = "platform:"


def verify(raw: bytes, headers: dict[str, str], secrets: list[str]) -> None:
    """Raises Rejected unless one of `secrets` signed this delivery within the tolerance."""
    expired = False
    for secret in secrets:
        try:
            Webhook(secret).verify(raw, headers, json_parse=False)
            return
        except WebhookVerificationError as error:
            expired = expired or "timestamp too" in str(error)
        except (ValueError, TypeError, UnicodeDecodeError):
            pass  # a malformed signature header or a body that is not text
    raise Rejected("expired_timestamp" if expired else "bad_signature")


async def _body(request: Request) -> bytes:
    limit = settings.PLATFORM_MAX_BODY_BYTES
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise Rejected("oversize")
    raw = bytearray()
    async for chunk in request.stream():
        raw += chunk
        if len(raw) > limit:
            raise Rejected("oversize")
    return bytes(raw)


async def _session(hub, meetup_id: int) -> bool:
    """A metaverse meetup of this console (the hub holds it once anyone has used it)."""
    try:
        live = await hub.live(meetup_id)
    except Refused:
        return False
    return live.meetup.kind == MeetupKind.METAVERSE


def _count(engine, reason: str, meetup_id: int | None) -> None:
    with transaction(engine) as db:
        db.add(PlatformRefusal(reason=reason, meetup_id=meetup_id))


def answer(reason: str) -> JSONResponse:
    refused = REASONS[reason]
    headers = {"Retry-After": "1"} if refused.retryable else {}
    body = {"accepted": False, "reason": reason, "retryable": refused.retryable}
    return JSONResponse(body, status_code=refused.status, headers=headers)


async def receive(request: Request) -> Response:
    engine, hub = request.app.state.engine, request.app.state.hub
    meetup_id = None
    try:
        if not settings.PLATFORM_WEBHOOK_SECRETS:
            raise Rejected("not_configured")
        raw = await _body(request)
        headers = {k: v for k, v in request.headers.items() if k.startswith("webhook-")}
        verify(raw, headers, settings.PLATFORM_WEBHOOK_SECRETS)
        event_id = headers.get("webhook-id", "")
        if not EVENT_ID.match(event_id):
            raise Rejected("bad_event_id")
        delivery = parse(raw)
        meetup_id = delivery.session
        if not await _session(hub, meetup_id):
            raise Rejected("unknown_session")
        try:
            appended = await append_and_publish(
                hub,
                meetup_id=meetup_id,
                actor_id=None,
                command_id=COMMAND_PREFIX + event_id,
                fingerprint=fingerprint("platform", {"sha256": hashlib.sha256(raw).hexdigest()}),
                decide=decide_delivery(delivery),
            )
        except Rejected:
            raise
        except Refused as refused:  # the event log's: an event id used for another body
            raise Rejected("conflict" if refused.status == 409 else "bad_event") from None
    except Rejected as rejected:
        reason = rejected.reason.code
        if reason != "not_configured":
            await anyio.to_thread.run_sync(_count, engine, reason, meetup_id)
        log.info("platform delivery refused: %s", reason)
        return answer(reason)
    event = appended.event
    return JSONResponse(
        {"accepted": True, "seq": event.seq, "event": event.type, "duplicate": appended.duplicate}
    )
