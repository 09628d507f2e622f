from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from sme_common.pagination import CursorParameter
from sme_finance_matching.fields import RefId
from sme_finance_matching.lists.domain import Format, Trigger


class SnapshotCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"institution_id": "inst_0123456789ab"}]}
    )

    institution_id: RefId | None = None
    """The institution the snapshot is for; an institution's own client may leave it out."""


class Manifest(BaseModel):
    """What the signature covers (its canonical JSON: sorted keys, no spaces, UTF-8)."""

    manifest_version: str
    snapshot_id: str
    institution_id: str
    trigger: Trigger
    generated_at: str
    cursor: str
    """The delta cursor the snapshot is current to (``GET /v1/lists/deltas?cursor=``)."""
    position: int
    entry_count: int
    product_count: int
    content_sha256: str
    """SHA-256 (hex) of the canonical NDJSON content: the bytes of ``?format=ndjson``."""
    content_format: Literal["ndjson"]
    key_id: str
    algorithm: Literal["EdDSA"]


_MANIFEST: dict[str, Any] = {
    "algorithm": "EdDSA",
    "content_format": "ndjson",
    "content_sha256": "5f70bf18a086007016e948b04aed3b82103a36bea41755b6cddfaf10ace3c6ef",
    "cursor": "eyJwIjo0NzExfQ",
    "entry_count": 1520,
    "generated_at": "2026-12-01T00:00:00+00:00",
    "institution_id": "inst_0123456789ab",
    "key_id": "3f1c0a9e5b7d2c48",
    "manifest_version": "1",
    "position": 4711,
    "product_count": 12,
    "snapshot_id": "snap_0123456789abcdef",
    "trigger": "scheduled",
}
_SNAPSHOT: dict[str, Any] = {
    "id": "snap_0123456789abcdef",
    "institution_id": "inst_0123456789ab",
    "trigger": "scheduled",
    "period": "2026-12",
    "generated_at": "2026-12-01T00:00:00Z",
    "entry_count": 1520,
    "product_count": 12,
    "manifest": _MANIFEST,
    "manifest_canonical": json.dumps(_MANIFEST, sort_keys=True, separators=(",", ":")),
    "signature": "q1d2...base64url...",
    "acknowledged_at": None,
    "acknowledged_by": None,
}


class SnapshotRead(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [_SNAPSHOT]})

    id: str
    institution_id: str
    trigger: Trigger
    period: str | None
    generated_at: datetime
    entry_count: int
    product_count: int
    manifest: Manifest
    manifest_canonical: str
    """The exact bytes (UTF-8) the signature covers."""
    signature: str
    """Ed25519 signature of ``manifest_canonical``, base64url without padding; the public key is
    the one with ``manifest.key_id`` at ``GET /v1/lists/signing-keys``."""
    acknowledged_at: datetime | None
    acknowledged_by: str | None


class SnapshotPage(BaseModel):
    items: list[SnapshotRead]
    next_cursor: str | None


class SnapshotFilters(BaseModel):
    model_config = ConfigDict(extra="forbid")

    institution_id: RefId | None = None
    cursor: CursorParameter = None
    limit: int = Field(default=50, ge=1, le=200)


class ContentQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    format: Format = Format.NDJSON


class DeltaQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    cursor: CursorParameter = None
    """Changes after this cursor; left out, after the institution's acknowledged cursor."""
    limit: int = Field(default=500, ge=1, le=2000)


class DeltaChange(BaseModel):
    position: int
    kind: Literal["added", "tier_changed", "renewed", "expired", "revoked"]
    uscc: str
    name: str | None
    certificate_id: str
    tier: str
    previous_tier: str | None
    level: str
    issued_on: date
    expires_on: date
    status: Literal["valid", "expired", "revoked"]
    region_code: str | None
    reporting_unit_code: str | None
    industry_code: str | None
    changed_at: datetime
    in_scope: bool
    """False when the enterprise left the institution's scope (a tier or 市州 it does not serve)
    and is sent only because the institution received it before."""


class DeltaPage(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "cursor": "eyJwIjo0NzExfQ",
                    "next_cursor": "eyJwIjo0NzEyfQ",
                    "has_more": False,
                    "changes": [
                        {
                            "position": 4712,
                            "kind": "revoked",
                            "uscc": "91620102MA00001038",
                            "name": "兰州精工科技有限公司",
                            "certificate_id": "cert_0123456789ab",
                            "tier": "specialised",
                            "previous_tier": None,
                            "level": "provincial",
                            "issued_on": "2026-01-10",
                            "expires_on": "2029-01-09",
                            "status": "revoked",
                            "region_code": "620102",
                            "reporting_unit_code": "620100",
                            "industry_code": "C3484",
                            "changed_at": "2026-12-02T03:00:00Z",
                            "in_scope": True,
                        }
                    ],
                }
            ]
        }
    )

    cursor: str
    """The cursor these changes follow."""
    next_cursor: str
    """Pass it to read on, and acknowledge it once the changes are applied."""
    has_more: bool
    changes: list[DeltaChange]


class DeltaAck(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"cursor": "eyJwIjo0fQ"}]}
    )

    cursor: str = Field(min_length=1, max_length=200)


class CursorRead(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "institution_id": "inst_0123456789ab",
                    "cursor": "eyJwIjo0NzExfQ",
                    "position": 4711,
                    "acknowledged_at": "2026-12-01T02:00:00Z",
                }
            ]
        }
    )

    institution_id: str
    cursor: str
    position: int
    acknowledged_at: datetime | None


class SigningKey(BaseModel):
    """An Ed25519 public key as a JWK (RFC 8037): ``x`` is the raw key, base64url."""

    kty: Literal["OKP"]
    crv: Literal["Ed25519"]
    x: str
    kid: str
    """The ``key_id`` a manifest names."""
    use: Literal["sig"]
    alg: Literal["EdDSA"]


class SigningKeys(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "keys": [
                        {
                            "kty": "OKP",
                            "crv": "Ed25519",
                            "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo",
                            "kid": "3f1c0a9e5b7d2c48",
                            "use": "sig",
                            "alg": "EdDSA",
                        }
                    ]
                }
            ]
        }
    )

    keys: list[SigningKey]


class SnapshotEnterprise(BaseModel):
    """An enterprise of a snapshot as it was when the snapshot was made (an NDJSON line is the
    same object with ``"record": "enterprise"``; CSV and XLSX have these columns)."""

    uscc: str
    name: str
    tier: str
    level: str
    certificate_id: str
    issued_on: date
    expires_on: date
    region_code: str
    reporting_unit_code: str
    industry_code: str | None
    size_class: str | None
    """The latest size class registry decided (划型: micro, small, medium, large); null when none
    is known."""
    contact: str | None
    """Who to contact through the platform: the enterprise's 金融顾问 and 服务专员 as registry
    assigned them, ``name（role, organisation）phone`` joined by ``；``; null when none serves it."""
    credit_flags: str | None
    """The kinds of registry's credit flags in force on the snapshot's day, comma-joined; null
    when none is."""


class SnapshotProduct(BaseModel):
    """A credit product of the catalogue the snapshot carries (an NDJSON line adds
    ``"record": "product"``)."""

    id: str
    institution_id: str
    name: str
    product_type: str
    min_amount_fen: int
    max_amount_fen: int
    min_rate_ratio: str
    max_rate_ratio: str
    min_term_months: int
    max_term_months: int
    guarantee_fee_ratio: str | None
    eligible_tiers: list[str]
    eligible_industry_sections: list[str]
    eligible_region_codes: list[str]
    eligible_size_classes: list[str]


class SnapshotContent(BaseModel):
    """``?format=json``: the manifest, its signature and the entries in one document (the
    checksum covers the NDJSON bytes, not these)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "manifest": _MANIFEST,
                    "signature": "q1d2...base64url...",
                    "enterprises": [
                        {
                            "uscc": "91620102MA00001038",
                            "name": "兰州精工科技有限公司",
                            "tier": "specialised",
                            "level": "provincial",
                            "certificate_id": "cert_0123456789ab",
                            "issued_on": "2026-01-10",
                            "expires_on": "2029-01-09",
                            "region_code": "620102",
                            "reporting_unit_code": "620100",
                            "industry_code": "C3484",
                            "size_class": "small",
                            "contact": "王顾问（金融顾问，甘肃银行）0931-8000002；"
                            "周专员（服务专员，城关区工业和信息化局）0931-8000001",
                            "credit_flags": None,
                        }
                    ],
                    "products": [
                        {
                            "id": "prod_0123456789ab",
                            "institution_id": "inst_0123456789ab",
                            "name": "专精特新信用贷",
                            "product_type": "credit_loan",
                            "min_amount_fen": 10000000,
                            "max_amount_fen": 1000000000,
                            "min_rate_ratio": "0.03",
                            "max_rate_ratio": "0.042",
                            "min_term_months": 6,
                            "max_term_months": 36,
                            "guarantee_fee_ratio": None,
                            "eligible_tiers": ["specialised"],
                            "eligible_industry_sections": [],
                            "eligible_region_codes": ["620100"],
                            "eligible_size_classes": [],
                        }
                    ],
                }
            ]
        }
    )

    manifest: Manifest
    signature: str
    enterprises: list[SnapshotEnterprise]
    products: list[SnapshotProduct]


class ReadLogEntry(BaseModel):
    institution_id: str
    kind: Literal["snapshot", "delta"]
    snapshot_id: str | None
    format: str
    rows: int
    client_id: str | None
    read_at: datetime
