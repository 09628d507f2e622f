"""Minting tokens with the built-in issuer's key."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import jwt

from sme_common.auth.keys import ALGORITHM, key_id


def mint_token(
    *,
    private_key_pem: bytes,
    subject: str,
    roles: Iterable[str],
    region: str | None = None,
    scopes: Iterable[str] = (),
    client_id: str | None = None,
    organisation: str | None = None,
    uscc: str | None = None,
    issuer: str = "sme-platform",
    audience: str = "sme-platform",
    ttl: timedelta = timedelta(hours=1),
) -> str:
    now = datetime.now(UTC)
    claims: dict[str, Any] = {
        "iss": issuer,
        "aud": audience,
        "sub": subject,
        "iat": int(now.timestamp()),
        "nbf": int(now.timestamp()),
        "exp": int((now + ttl).timestamp()),
        "jti": str(uuid.uuid4()),
        "roles": sorted(set(roles)),
        "scope": " ".join(sorted(set(scopes))),
    }
    if region:
        claims["region"] = region
    if client_id:
        claims["client_id"] = client_id
    if organisation:
        claims["org"] = organisation
    if uscc:
        claims["uscc"] = uscc  # the enterprise an ``enterprise`` token acts for
    return jwt.encode(
        claims, private_key_pem, algorithm=ALGORITHM, headers={"kid": key_id(private_key_pem)}
    )


def mint_token_from_file(key_file: Path, **kwargs: Any) -> str:
    return mint_token(private_key_pem=key_file.read_bytes(), **kwargs)
