"""Verifying bearer JWTs against the issuer's JWKS (a URL in production, a file when embedded)."""

from __future__ import annotations

import json
import time
from typing import Any

import anyio
import jwt

from sme_common.auth.principal import Principal, check_region_claim, check_uscc_claim
from sme_common.errors import DomainError, Unauthorized
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

    async def _signing_key(self, token: str) -> jwt.PyJWK:
        try:
            kid = jwt.get_unverified_header(token).get("kid")
        except Exception as exc:
            raise _invalid("malformed header") from exc
        if self._keyset is not None:
            for key in self._keyset.keys:
                if kid is None or key.key_id == kid:
                    return key
            raise _invalid("unknown key id")
        assert self._client is not None
        client = self._client
        try:
            return await anyio.to_thread.run_sync(client.get_signing_key_from_jwt, token)
        except jwt.PyJWKClientConnectionError as exc:
            # The issuer is away: not the caller's fault, and worth a retry.
            raise DomainError(
                "auth_unavailable",
                "The token issuer's keys cannot be fetched; retry later",
                "暂时无法获取令牌签发方的公钥，请稍后重试",
                status=503,
            ) from exc
        except Exception as exc:
            raise _invalid("signing key not found") from exc

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
            # The algorithm is the key's, never the token header's: a header naming another one
            # (ES256 or HS256 with our RSA key's id) must fail as a bad token, not reach the crypto.
            claims = jwt.decode(
                token,
                key.key,
                algorithms=[key.algorithm_name],
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
        except Exception as exc:
            # Whatever else the verifier trips over is still a token we cannot trust, never a 500.
            raise _invalid(type(exc).__name__) from exc
        return _principal_from(claims), float(claims["exp"])


def _principal_from(claims: dict[str, Any]) -> Principal:
    """The caller the claims describe; claims of the wrong type are a bad token, a region that is
    unknown or does not fit the role is refused (``check_region_claim``), and so is an enterprise
    token without a valid ``uscc`` claim or a ``uscc`` claim on any other role
    (``check_uscc_claim``)."""
    roles = claims.get("roles") or []
    scope = claims.get("scope") or ""
    if not isinstance(roles, list) or not all(isinstance(r, str) for r in roles):
        raise _invalid("roles must be a list of strings")
    if not isinstance(scope, str):
        raise _invalid("scope must be a string")
    for name in ("sub", "region", "client_id", "org", "uscc"):
        if claims.get(name) is not None and not isinstance(claims[name], str):
            raise _invalid(f"the {name} claim must be a string")
    region: str | None = claims.get("region")
    check_region_claim(frozenset(roles), region)
    uscc = check_uscc_claim(frozenset(roles), claims.get("uscc"), region)
    return Principal(
        subject=claims["sub"],
        roles=frozenset(roles),
        region=region,
        scopes=frozenset(scope.split()),
        client_id=claims.get("client_id"),
        organisation=claims.get("org"),
        uscc=uscc,
    )
