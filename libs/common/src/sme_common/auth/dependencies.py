"""FastAPI dependencies: who is calling, and may they."""

from __future__ import annotations

from collections.abc import Iterable

from fastapi import Request

from sme_common.audit.context import Actor, actor_var
from sme_common.auth.principal import Principal
from sme_common.auth.verify import JwtVerifier
from sme_common.errors import Forbidden, Unauthorized


class Authenticator:
    """Holds the verifier of one service (kept on ``app.state.authenticator``)."""

    def __init__(self, verifier: JwtVerifier) -> None:
        self.verifier = verifier

    async def principal(self, request: Request) -> Principal:
        header = request.headers.get("authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Unauthorized(
                "token_missing", "A bearer token is required", "缺少访问令牌（Bearer Token）"
            )
        return await self.verifier.verify(token.strip())


class RoleRequirement:
    """A dependency that admits the given roles; machine clients must also hold ``scope``. The
    OpenAPI document reads ``roles`` and ``scope`` from it (the operation's security)."""

    def __init__(self, roles: Iterable[str], scope: str | None) -> None:
        self.roles = frozenset(roles)
        self.scope = scope

    async def __call__(self, request: Request) -> Principal:
        authenticator: Authenticator = request.app.state.authenticator
        principal = await authenticator.principal(request)
        if not principal.roles & self.roles:
            raise Forbidden(
                "role_forbidden",
                f"This operation needs one of the roles: {', '.join(sorted(self.roles))}",
                "当前角色无权执行此操作",
            )
        if self.scope is not None and principal.is_machine and self.scope not in principal.scopes:
            raise Forbidden(
                "scope_missing",
                f"This operation needs the client scope {self.scope!r}",
                f"客户端缺少授权范围 {self.scope}",
            )
        request.state.principal = principal
        actor_var.set(Actor.of(principal))  # the audit's actor for what this request writes
        return principal


def require(*, roles: Iterable[str], scope: str | None = None) -> RoleRequirement:
    """A dependency that admits the given roles; machine clients must also hold ``scope``."""
    return RoleRequirement(roles, scope)
