"""``sme-token``: create the built-in issuer's key, register clients, mint tokens.

    sme-token init --dir var/auth
    sme-token add-client --dir var/auth --client-id tax-bureau --role agency_system \
        --region 620000 --scope registry:read
    sme-token mint --dir var/auth --sub officer-1 --role province_officer --region 620000
    sme-token mint --dir var/auth --sub person-1 --role enterprise --uscc 91620102MA000001XX

An enterprise token (``--role enterprise``) needs ``--uscc``, a valid code, and no other role nor
region; ``--uscc`` goes on no other token, and no client is registered with the enterprise role
(enterprises are people: in production they sign in at the province's OIDC provider).
"""

from __future__ import annotations

import argparse
import sys
from datetime import timedelta
from pathlib import Path

from sme_common.auth.issuer import (
    RegisteredClient,
    client_role_not_issuable,
    hash_secret,
    save_client,
)
from sme_common.auth.keys import SIGNING_KEY_FILE, ensure_signing_key, new_client_secret
from sme_common.auth.principal import check_region_claim, check_uscc_claim
from sme_common.auth.tokens import mint_token_from_file
from sme_common.errors import DomainError

CLIENTS_FILE = "clients.json"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="sme-token", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    init = sub.add_parser("init", help="create the signing key and JWKS if missing")
    init.add_argument("--dir", type=Path, default=Path("var/auth"))

    add = sub.add_parser("add-client", help="register a client; prints its secret once")
    add.add_argument("--dir", type=Path, default=Path("var/auth"))
    add.add_argument("--client-id", required=True)
    add.add_argument("--secret", help="use this secret instead of a generated one")
    _principal_args(add)

    mint = sub.add_parser("mint", help="print a signed bearer token")
    mint.add_argument("--dir", type=Path, default=Path("var/auth"))
    mint.add_argument("--sub", required=True)
    mint.add_argument("--ttl-minutes", type=int, default=60)
    mint.add_argument("--issuer", default="sme-platform")
    mint.add_argument("--audience", default="sme-platform")
    _principal_args(mint)
    mint.add_argument("--uscc", help="the enterprise an enterprise token acts for")

    args = parser.parse_args(argv)
    if args.command == "init":
        key, jwks = ensure_signing_key(args.dir)
        print(f"signing key: {key}\njwks: {jwks}")
    elif args.command == "add-client":
        refusal = client_role_not_issuable(tuple(args.role))
        if refusal is not None:
            parser.error(refusal.detail)
        ensure_signing_key(args.dir)
        secret = args.secret or new_client_secret()
        save_client(
            args.dir / CLIENTS_FILE,
            RegisteredClient(
                client_id=args.client_id,
                secret_sha256=hash_secret(secret),
                roles=tuple(args.role),
                scopes=tuple(args.scope),
                region=args.region,
                organisation=args.org,
            ),
        )
        print(secret)
    else:
        roles = frozenset(args.role)
        try:
            # The verifier's own checks: refuse here what every service would refuse later.
            check_region_claim(roles, args.region)
            uscc = check_uscc_claim(roles, args.uscc, args.region)
        except DomainError as refused:
            parser.error(f"{refused.code}: {refused.detail}")
        ensure_signing_key(args.dir)
        print(
            mint_token_from_file(
                args.dir / SIGNING_KEY_FILE,
                subject=args.sub,
                roles=args.role,
                region=args.region,
                scopes=args.scope,
                organisation=args.org,
                uscc=uscc,
                issuer=args.issuer,
                audience=args.audience,
                ttl=timedelta(minutes=args.ttl_minutes),
            )
        )
    return 0


def _principal_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--role", action="append", default=[], required=True)
    parser.add_argument("--region")
    parser.add_argument("--scope", action="append", default=[])
    parser.add_argument("--org")


if __name__ == "__main__":
    sys.exit(main())
