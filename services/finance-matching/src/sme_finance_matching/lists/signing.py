"""The Ed25519 key that signs list manifests. Its private half is a PEM file the service reads
(``lists_signing_key_file``; created on first use when absent); without a file the process makes an
ephemeral key (development and tests). Every public key that ever signed a manifest is kept in
``list_signing_key`` and served at the public ``GET /v1/lists/signing-keys``, so snapshots signed
before a rotation stay verifiable.

The platform's RS256 token key is not reused: the services only hold the issuer's public JWKS
(production points at the province's OIDC provider), and a list signature must not depend on the
token issuer's rotation."""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

ALGORITHM = "EdDSA"


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


@dataclass(frozen=True)
class ListSigner:
    private_key: Ed25519PrivateKey

    @property
    def public_raw(self) -> bytes:
        return self.private_key.public_key().public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw
        )

    @property
    def key_id(self) -> str:
        return hashlib.sha256(self.public_raw).hexdigest()[:16]

    def sign(self, message: bytes) -> str:
        return b64url(self.private_key.sign(message))

    def public_jwk(self) -> dict[str, str]:
        return jwk(self.key_id, b64url(self.public_raw))


def jwk(key_id: str, x: str) -> dict[str, str]:
    return {"kty": "OKP", "crv": "Ed25519", "x": x, "kid": key_id, "use": "sig", "alg": ALGORITHM}


def load_signer(path: Path | None) -> ListSigner:
    if path is None:
        return ListSigner(Ed25519PrivateKey.generate())
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        key = Ed25519PrivateKey.generate()
        path.write_bytes(
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
        path.chmod(0o600)
        return ListSigner(key)
    loaded = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(loaded, Ed25519PrivateKey):
        raise ValueError(f"{path} is not an Ed25519 private key")
    return ListSigner(loaded)


_signers: dict[Path | None, ListSigner] = {}


def signer_for(path: Path | None) -> ListSigner:
    """One signer per key file for the process (the ephemeral one included)."""
    if path not in _signers:
        _signers[path] = load_signer(path)
    return _signers[path]
