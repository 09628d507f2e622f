"""Verifying bearer JWTs against the issuer's JWKS (a URL in production, a file when embedded)."""

from __future__ import annotations

import json
import time
from typing import Any

import anyio
import jwt

from sme_common.auth.keys import ALGORITHM
from sme_common.auth.principal import Principal
from sme_common.errors import Unauthorized
from sme_common.settings import AuthSettings

CACHE_SIZE = 10_000
CACHE_SECONDS = 60.0


def _invalid(detail: str) -> Unauthorized:
    return Unauthorized("token_invalid", f"Bearer token rejected: {detail}", "访问令牌无效")


class JwtVerifier:
    def __init__(self, settings: AuthSettings) -> None:
        self.settings = settings
        self._keyset: jwt.PyJWKSet | None = None
        self._cache: dict[str, tuple[Principal, float, float]] = {}
        self._client: jwt.PyJWKClient | None = None
        if settings.jwks_file is not None:
            self._keyset = jwt.PyJWKSet.from_dict(json.loads(settings.jwks_file.read_text()))
        elif settings.jwks_url:
            self._client = jwt.PyJWKClient(settings.jwks_url, cache_keys=True, lifespan=300)
        else:
            raise ValueError("auth needs jwks_file or jwks_url")

    async def _signing_key(self, token: str) -> Any:
        try:
            kid = jwt.get_unverified_header(token).get("kid")
        except jwt.PyJWTError as exc:
            raise _invalid("malformed header") from exc
        if self._keyset is not None:
            for key in self._keyset.keys:
                if kid is None or key.key_id == kid:
                    return key.key
            raise _invalid("unknown key id")
        assert self._client is not None
        client = self._client
        try:
            signing_key = await anyio.to_thread.run_sync(client.get_signing_key_from_jwt, token)
        except jwt.PyJWKClientError as exc:
            raise _invalid("signing key not found") from exc
        return signing_key.key

    async def verify(self, token: str) -> Principal:
        """Verify a token, remembering the answer briefly: agency systems send the same token on
        thousands of calls, and a signature check costs more than the lookup it guards."""
        now = time.monotonic()
        cached = self._cache.get(token)
        if cached is not None:
            principal, expires_at, checked_at = cached
            if time.time() < expires_at and now - checked_at < CACHE_SECONDS:
                return principal
            del self._cache[token]
        principal, expires_at = await self._verify(token)
        if len(self._cache) >= CACHE_SIZE:
            self._cache.pop(next(iter(self._cache)))
        self._cache[token] = (principal, expires_at, now)
        return principal

    async def _verify(self, token: str) -> tuple[Principal, float]:
        key = await self._signing_key(token)
        try:
            claims = jwt.decode(
                token,
                key,
                algorithms=[ALGORITHM, "ES256"],
                audience=self.settings.audience,
                issuer=self.settings.issuer,
                options={"require": ["exp", "sub", "iss"]},
            )
        except jwt.ExpiredSignatureError as exc:
            raise Unauthorized(
                "token_expired", "Bearer token has expired", "访问令牌已过期"
            ) from exc
        except jwt.PyJWTError as exc:
            raise _invalid(str(exc)) from exc
        roles = claims.get("roles") or []
        scope = claims.get("scope") or ""
        if not isinstance(roles, list) or not isinstance(scope, str):
            raise _invalid("roles must be a list and scope a string")
        return Principal(
            subject=str(claims["sub"]),
            roles=frozenset(str(r) for r in roles),
            region=claims.get("region"),
            scopes=frozenset(scope.split()),
            client_id=claims.get("client_id"),
            organisation=claims.get("org"),
        ), float(claims["exp"])
