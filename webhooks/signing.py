"""Standard Webhooks signatures (https://www.standardwebhooks.com), through the `standardwebhooks` library.

The signed content is `<webhook-id>.<webhook-timestamp>.<body>`, HMAC-SHA256 with the secret,
sent as `webhook-signature: v1,<base64>`. Secrets are `whsec_<base64 of 24 random bytes>`.
"""
from __future__ import annotations

import base64
import hmac
import secrets
from datetime import datetime, timedelta, timezone
from typing import Mapping

from standardwebhooks.webhooks import Webhook

TOLERANCE = timedelta(minutes=5)


def new_secret() -> str:
    return "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()


def check_secret(secret: str) -> str:
    """The secret if it is `whsec_` and strict base64 of 24 to 64 bytes (Standard Webhooks' range)
    and the library accepts it, else ValueError (so a typo fails when it is stored). The library
    alone takes almost any text, which would leave a receiver unable to verify anything."""
    expected = "expected whsec_ followed by base64 of 24 to 64 random bytes"
    if not isinstance(secret, str) or not secret.startswith("whsec_"):
        raise ValueError(f"not a webhook secret ({expected})")
    try:
        key = base64.b64decode(secret.removeprefix("whsec_"), validate=True)
    except ValueError:
        raise ValueError(f"not a webhook secret: not base64 ({expected})") from None
    if not 24 <= len(key) <= 64:
        raise ValueError(f"not a webhook secret: {len(key)} bytes ({expected})")
    try:
        Webhook(secret)
    except Exception as error:  # noqa: BLE001 - the library raises several kinds
        raise ValueError(f"not a webhook secret ({expected}): {error}") from None
    return secret


def headers(secret: str, webhook_id: str, at: datetime, body: str) -> dict[str, str]:
    """The three Standard Webhooks headers for `body` sent at `at`."""
    at = at.astimezone(timezone.utc)
    return {
        "webhook-id": webhook_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": Webhook(secret).sign(webhook_id, at, body),
    }


class BadSignature(Exception):
    pass


def verify(secret: str, request_headers: Mapping[str, str], body: str, now: datetime) -> str:
    """Check the headers against `body` as of `now` (the library's own `verify` reads the system
    clock; this takes the injected one). Returns the webhook id; raises BadSignature with the reason."""
    lower = {k.lower(): v for k, v in request_headers.items()}
    webhook_id, stamp, signature = (lower.get(h) for h in ("webhook-id", "webhook-timestamp", "webhook-signature"))
    if not (webhook_id and stamp and signature):
        raise BadSignature("missing webhook-id, webhook-timestamp or webhook-signature header")
    try:
        at = datetime.fromtimestamp(int(stamp), tz=timezone.utc)
    except (ValueError, OverflowError, OSError):
        raise BadSignature("webhook-timestamp is not a Unix time in seconds") from None
    if abs(now - at) > TOLERANCE:
        raise BadSignature(f"stale timestamp: {at.isoformat()} is more than 5 minutes from now")
    expected = Webhook(secret).sign(webhook_id, at, body).split(",", 1)[1]
    for versioned in signature.split(" "):
        version, _, value = versioned.partition(",")
        if version == "v1" and hmac.compare_digest(value.encode(), expected.encode()):
            return webhook_id
    raise BadSignature("signature does not match")
