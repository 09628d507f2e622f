"""Signing keys for the built-in token issuer (embedded default and tests) and their JWKS."""

from __future__ import annotations

import json
import secrets
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

SIGNING_KEY_FILE = "signing-key.pem"
JWKS_FILE = "jwks.json"
ALGORITHM = "RS256"


def ensure_signing_key(directory: Path) -> tuple[Path, Path]:
    """Create an RSA key pair and its public JWKS in ``directory`` unless they exist."""
    directory.mkdir(parents=True, exist_ok=True)
    key_path, jwks_path = directory / SIGNING_KEY_FILE, directory / JWKS_FILE
    if not key_path.exists():
        private_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        pem = private_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        key_path.write_bytes(pem)
        key_path.chmod(0o600)
        jwks_path.unlink(missing_ok=True)
    if not jwks_path.exists():
        jwks_path.write_text(json.dumps(public_jwks(key_path.read_bytes()), indent=2))
    return key_path, jwks_path


def key_id(private_pem: bytes) -> str:
    import hashlib

    return hashlib.sha256(private_pem).hexdigest()[:16]


def public_jwks(private_pem: bytes) -> dict[str, Any]:
    private_key = serialization.load_pem_private_key(private_pem, password=None)
    if not isinstance(private_key, rsa.RSAPrivateKey):
        raise ValueError("the built-in issuer signs with RSA keys only")
    jwk: dict[str, Any] = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(private_key.public_key()))
    jwk.update({"kid": key_id(private_pem), "use": "sig", "alg": ALGORITHM})
    return {"keys": [jwk]}


def new_client_secret() -> str:
    return secrets.token_urlsafe(32)
