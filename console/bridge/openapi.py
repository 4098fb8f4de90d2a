"""The contract a platform vendor implements, as OpenAPI 3.1 (served at /platform/openapi.json)."""

from console.bridge.contract import REASONS, Kind
from console.moderation.vocab import FlagReason
from console.session.vocab import Space

SIGNED = {
    name: {
        "in": "header",
        "name": name,
        "required": True,
        "schema": {"type": "string"},
        "description": text,
    }
    for name, text in (
        ("webhook-id", "the event's unique id (1-55 of A-Z a-z 0-9 _ . -); a retry reuses it"),
        ("webhook-timestamp", "Unix seconds when sent; refused when more than 5 minutes off"),
        ("webhook-signature", "space-separated `v1,<base64 HMAC-SHA256 of id.timestamp.body>`"),
    )
}

EVENT = {
    "type": "object",
    "required": ["type", "timestamp", "data"],
    "properties": {
        "type": {"type": "string", "enum": [k.value for k in Kind]},
        "timestamp": {
            "type": "string",
            "format": "date-time",
            "description": "when it happened on the platform (with offset); per avatar, events "
            "apply in this order",
        },
        "data": {
            "type": "object",
            "required": ["session", "avatar_id"],
            "properties": {
                "session": {"type": "integer", "description": "the console's session (meetup) id"},
                "avatar_id": {"type": "string", "pattern": "^[A-Za-z0-9_.:\\-]{1,64}$"},
                "space": {
                    "type": "string",
                    "enum": [s.value for s in Space],
                    "description": "required for entered_space, left_space and reported; "
                    "entered_world defaults to exchange",
                },
                "entry_token": {
                    "type": "string",
                    "description": "entered_world only: the one-time token the entry gate "
                    "handed over (links the avatar to the participant)",
                },
                "reason": {
                    "type": "string",
                    "enum": [r.value for r in FlagReason],
                    "description": "reported only (default other)",
                },
            },
        },
    },
}

ACCEPTED = {
    "type": "object",
    "properties": {
        "accepted": {"const": True},
        "seq": {"type": "integer"},
        "event": {"type": "string"},
        "duplicate": {"type": "boolean", "description": "a retry: nothing new was appended"},
    },
}

REFUSED = {
    "type": "object",
    "properties": {
        "accepted": {"const": False},
        "reason": {"type": "string", "enum": list(REASONS)},
        "retryable": {"type": "boolean"},
    },
}


def _responses() -> dict:
    responses = {
        "200": {
            "description": "applied (or already applied: duplicate)",
            "content": {"application/json": {"schema": ACCEPTED}},
        }
    }
    for status in sorted({r.status for r in REASONS.values()}):
        reasons = [f"`{r.code}` ({r.meaning})" for r in REASONS.values() if r.status == status]
        responses[str(status)] = {
            "description": "refused, nothing appended: " + "; ".join(reasons),
            "content": {"application/json": {"schema": REFUSED}},
        }
    return responses


def document() -> dict:
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Session console — metaverse platform bridge",
            "version": "1",
            "description": "Presence events from the metaverse platform, signed per Standard "
            "Webhooks (https://www.standardwebhooks.com/). Exactly once: the webhook-id is "
            "the event's id, a retry appends nothing. Retry a refusal only when `retryable` "
            "(it carries Retry-After).",
        },
        "paths": {
            "/platform/events": {
                "post": {
                    "operationId": "deliverEvent",
                    "summary": "one presence event",
                    "parameters": list(SIGNED.values()),
                    "requestBody": {
                        "required": True,
                        "content": {
                            "application/json": {"schema": {"$ref": "#/components/schemas/Event"}}
                        },
                    },
                    "responses": _responses(),
                }
            },
            "/platform/openapi.json": {
                "get": {
                    "operationId": "contract",
                    "summary": "this document",
                    "responses": {"200": {"description": "OpenAPI 3.1"}},
                }
            },
        },
        "components": {"schemas": {"Event": EVENT, "Accepted": ACCEPTED, "Refused": REFUSED}},
    }
