"""The contract a vendor reads: the OpenAPI document, and the README's worked signature."""

import re
from datetime import UTC, datetime

import httpx
from standardwebhooks.webhooks import Webhook

from console.bridge.contract import REASONS, Kind
from tests.conftest import ROOT


def test_the_openapi_document_states_every_kind_and_reason(bridged):
    server, _ = bridged
    document = httpx.get(f"{server.url}/platform/openapi.json").json()
    assert document["openapi"] == "3.1.0"
    post = document["paths"]["/platform/events"]["post"]
    assert {p["name"] for p in post["parameters"]} == {
        "webhook-id",
        "webhook-timestamp",
        "webhook-signature",
    }
    kinds = document["components"]["schemas"]["Event"]["properties"]["type"]["enum"]
    assert kinds == [k.value for k in Kind]
    described = " ".join(r["description"] for r in post["responses"].values())
    assert all(f"`{code}`" in described for code in REASONS)


def test_the_readmes_worked_signature_is_right():
    readme = (ROOT / "README.md").read_text()
    section = readme.split("A worked signature:")[1].split("**Who an avatar is.**")[0]
    secret = re.search(r"secret `(whsec_[^`]+)`", section)[1]
    event_id = re.search(r"`webhook-id: ([^`]+)`", section)[1]
    stamp = int(re.search(r"`webhook-timestamp: (\d+)`", section)[1])
    body = re.search(r"\(`(\{.+?\})`\)", section)[1]
    signature = re.search(r"`webhook-signature: (v1,[^`]+)`", section)[1]
    assert Webhook(secret).sign(event_id, datetime.fromtimestamp(stamp, UTC), body) == signature
    stamped = datetime.fromtimestamp(stamp, UTC).isoformat(timespec="milliseconds")
    assert stamped in body
