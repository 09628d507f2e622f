"""Pure rules of the callbacks: the signature, the backoff, what a callback URL may be."""

from __future__ import annotations

import hashlib
import hmac
import random
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from sme_common.rules import RuleViolation

SIGNATURE_HEADER = "X-Signature"
TIMESTAMP_HEADER = "X-Timestamp"
DELIVERY_HEADER = "X-Delivery-Id"
SIGNATURE_PREFIX = "sha256="


def sign(secret: str, timestamp: str, body: str) -> str:
    """``sha256=`` + hex HMAC-SHA256 with the channel's secret over ``timestamp + "." + body``
    (the body exactly as sent, UTF-8; ``timestamp`` is Unix seconds, sent as ``X-Timestamp``).
    The receiver recomputes it, compares in constant time and
    refuses a timestamp too far from its clock (replays)."""
    mac = hmac.new(secret.encode(), f"{timestamp}.{body}".encode(), hashlib.sha256)
    return SIGNATURE_PREFIX + mac.hexdigest()


def verify(secret: str, timestamp: str, body: str, signature: str) -> bool:
    return hmac.compare_digest(sign(secret, timestamp, body), signature)


def backoff_s(
    attempts: int, *, initial_s: float, max_s: float, rng: random.Random | None = None
) -> float:
    """The wait after the ``attempts``-th failed attempt: ``initial_s`` × 2^(attempts−1), capped at
    ``max_s``, plus up to 10 % jitter (still within the cap)."""
    base = min(max_s, initial_s * float(2 ** min(max(attempts - 1, 0), 30)))
    jitter: float = (rng or random.Random()).uniform(0, base * 0.1)  # noqa: S311  (jitter, not a secret)
    return min(max_s, base + jitter)


def next_attempt_at(now: datetime, attempts: int, *, initial_s: float, max_s: float) -> datetime:
    return now + timedelta(seconds=backoff_s(attempts, initial_s=initial_s, max_s=max_s))


def check_callback_url(url: str, http_hosts: list[str]) -> str:
    """An absolute https URL with a host; plain http only for the hosts the settings allow."""
    try:
        parts = urlsplit(url)
        host = parts.hostname
        parts.port  # noqa: B018  (raises ValueError on a bad port)
    except ValueError:
        host = None
        parts = None
    if parts is None or not host or parts.scheme not in ("https", "http") or parts.username:
        raise RuleViolation(
            "callback_url_invalid",
            "The callback URL must be an absolute https URL with a host",
            "回调地址必须是带主机名的 https 绝对地址",
            field="callback_url",
        )
    if parts.scheme == "http" and host not in http_hosts:
        raise RuleViolation(
            "callback_url_not_https",
            "Callbacks are sent over https only",
            "回调地址必须使用 https",
            field="callback_url",
        )
    return url
