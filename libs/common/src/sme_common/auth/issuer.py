"""A minimal OAuth2 client-credentials token endpoint (RFC 6749 §4.4) for the embedded default and
tests. Production uses the province's OIDC provider; services only ever see JWTs and a JWKS.

It never issues an ``enterprise`` token: enterprises are people, who sign in at the province's
OIDC provider (embedded: ``sme-token mint --role enterprise --uscc …``), never machine clients
holding a shared secret. A client registered with that role is refused (``client_role_not_issuable``).

Clients live in a JSON file: ``{"clients": [{"client_id", "secret_sha256", "roles", "region",
"scopes", "organisation"}]}``. Secrets are stored hashed and compared in constant time.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any

import anyio
from fastapi import APIRouter, FastAPI, Form, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from sme_common.auth.keys import public_jwks
from sme_common.auth.principal import Role
from sme_common.auth.tokens import mint_token
from sme_common.errors import InvalidInput, Unauthorized, install_problem_handlers, problems
from sme_common.openapi import complete_openapi, route_id
from sme_common.request_guard import RequestGuardMiddleware

TOKEN_TTL = timedelta(hours=1)
CLIENT_FORBIDDEN_ROLES = frozenset({Role.ENTERPRISE})
"""Roles a client-credentials token never carries (module docstring)."""


class TokenAnswer(BaseModel):
    """RFC 6749 §5.1."""

    access_token: str
    token_type: str
    expires_in: int
    scope: str


@dataclass(frozen=True)
class RegisteredClient:
    client_id: str
    secret_sha256: str
    roles: tuple[str, ...]
    scopes: tuple[str, ...] = ()
    region: str | None = None
    organisation: str | None = None

    def secret_matches(self, secret: str) -> bool:
        digest = hashlib.sha256(secret.encode()).hexdigest()
        return hmac.compare_digest(digest, self.secret_sha256)


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def load_clients(path: Path) -> dict[str, RegisteredClient]:
    if not path.exists():
        return {}
    raw = json.loads(path.read_text(encoding="utf-8"))
    clients = {}
    for entry in raw.get("clients", []):
        client = RegisteredClient(
            client_id=entry["client_id"],
            secret_sha256=entry["secret_sha256"],
            roles=tuple(entry.get("roles", [])),
            scopes=tuple(entry.get("scopes", [])),
            region=entry.get("region"),
            organisation=entry.get("organisation"),
        )
        clients[client.client_id] = client
    return clients


def client_role_not_issuable(roles: tuple[str, ...]) -> InvalidInput | None:
    """The refusal for a client that would hold a role only people hold, or None."""
    forbidden = sorted(CLIENT_FORBIDDEN_ROLES.intersection(roles))
    if not forbidden:
        return None
    return InvalidInput(
        "client_role_not_issuable",
        f"Client credentials are never issued for the role(s) {', '.join(forbidden)}: "
        "enterprises sign in as people, through the province's identity provider",
        "企业用户角色不通过客户端凭证签发，企业用户须经省统一身份认证（OIDC）登录",
        field="roles",
        status=400,
        extra={"error": "unauthorized_client"},
    )


def save_client(path: Path, client: RegisteredClient) -> None:
    refusal = client_role_not_issuable(client.roles)
    if refusal is not None:
        raise ValueError(refusal.detail)
    raw: dict[str, Any] = (
        json.loads(path.read_text(encoding="utf-8")) if path.exists() else {"clients": []}
    )
    raw["clients"] = [c for c in raw["clients"] if c["client_id"] != client.client_id]
    raw["clients"].append(
        {
            "client_id": client.client_id,
            "secret_sha256": client.secret_sha256,
            "roles": list(client.roles),
            "scopes": list(client.scopes),
            "region": client.region,
            "organisation": client.organisation,
        }
    )
    path.write_text(json.dumps(raw, indent=2, ensure_ascii=False), encoding="utf-8")


def _basic_credentials(request: Request) -> tuple[str, str] | None:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        client_id, _, secret = base64.b64decode(value).decode().partition(":")
    except ValueError:
        return None
    return client_id, secret


def create_issuer_app(
    *, signing_key_file: Path, clients_file: Path, issuer: str, audience: str
) -> FastAPI:
    private_key_pem = signing_key_file.read_bytes()
    jwks_document = public_jwks(private_key_pem)
    app = FastAPI(
        title="SME platform token issuer",
        openapi_url="/api/auth/openapi.json",
        docs_url=None,
        redoc_url=None,
        generate_unique_id_function=route_id,
    )
    # Every operation of the issuer is public: it is where a token comes from.
    app.openapi = lambda: complete_openapi(app, protected_prefix=None)  # type: ignore[method-assign]
    install_problem_handlers(app)
    # A token request is a few form fields; nobody makes the issuer read more than this.
    app.add_middleware(RequestGuardMiddleware, max_body_bytes=16 * 1024)
    router = APIRouter(prefix="/api/auth/v1", tags=["auth"])

    @router.get("/jwks.json")
    async def get_jwks() -> dict[str, Any]:
        return jwks_document

    @router.post(
        "/token",
        response_model=TokenAnswer,
        responses=problems(
            codes={
                400: ("unsupported_grant_type", "scope_invalid", "client_role_not_issuable"),
                401: ("client_invalid",),
            },
            generic=False,  # the issuer's own codes: no bearer token, no JSON body here
        ),
    )
    async def issue_token(
        request: Request,
        grant_type: Annotated[str, Form()],
        client_id: Annotated[str | None, Form()] = None,
        client_secret: Annotated[str | None, Form()] = None,
        scope: Annotated[str | None, Form()] = None,
    ) -> JSONResponse:
        if grant_type != "client_credentials":
            raise InvalidInput(
                "unsupported_grant_type",
                "Only grant_type=client_credentials is supported",
                "仅支持 client_credentials 授权方式",
                field="grant_type",
                status=400,
                extra={"error": "unsupported_grant_type"},
            )
        basic = _basic_credentials(request)
        if basic is not None:
            client_id, client_secret = basic
        clients = await anyio.to_thread.run_sync(load_clients, clients_file)
        client = clients.get(client_id or "")
        if client is None or not client.secret_matches(client_secret or ""):
            raise Unauthorized(
                "client_invalid",
                "Unknown client or wrong secret",
                "客户端不存在或密钥错误",
                extra={"error": "invalid_client"},
            )
        refusal = client_role_not_issuable(client.roles)
        if refusal is not None:  # a clients file edited by hand: still never an enterprise token
            raise refusal
        requested = set(scope.split()) if scope else set(client.scopes)
        if not requested <= set(client.scopes):
            raise InvalidInput(
                "scope_invalid",
                "Requested scope exceeds the client's registration",
                "申请的授权范围超出客户端登记范围",
                field="scope",
                status=400,
                extra={"error": "invalid_scope"},
            )
        access_token = mint_token(
            private_key_pem=private_key_pem,
            subject=f"client:{client.client_id}",
            roles=client.roles,
            region=client.region,
            scopes=requested,
            client_id=client.client_id,
            organisation=client.organisation,
            issuer=issuer,
            audience=audience,
            ttl=TOKEN_TTL,
        )
        return JSONResponse(
            {
                "access_token": access_token,
                "token_type": "Bearer",
                "expires_in": int(TOKEN_TTL.total_seconds()),
                "scope": " ".join(sorted(requested)),
            },
            headers={"Cache-Control": "no-store"},
        )

    app.include_router(router)
    return app
