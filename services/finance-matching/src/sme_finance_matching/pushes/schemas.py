from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from sme_common.pagination import CursorParameter
from sme_finance_matching.fields import Uscc
from sme_finance_matching.lists.domain import Trigger

PeriodKey = Annotated[
    str, StringConstraints(pattern=r"^[0-9]{4}-(W[0-9]{2}|[0-9]{2}(-[0-9]{2})?)$")
]
"""``2026-11`` (monthly), ``2026-W48`` (weekly) or ``2026-11-26`` (daily)."""

_USCC = "91620102MA00001038"


class PushPublish(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{}, {"uscc": _USCC}]})

    uscc: Uscc | None = None
    """One enterprise only; left out, every enterprise holding a valid title that has no push for
    the current period yet."""


class PushRunRead(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"period": "2026-11", "trigger": "on_demand", "published": 1520, "skipped": 3}
            ]
        }
    )

    period: str | None
    """The period pushed (None when the schedule is ``off`` and nothing was scheduled)."""
    trigger: Trigger
    published: int
    """Pushes made by this run."""
    skipped: int
    """Enterprises already pushed for the period (by an earlier or concurrent run)."""


class PushEntry(BaseModel):
    """The enterprise's own entry of the list (认定企业名单)."""

    uscc: str
    name: str
    tier: str
    level: str
    certificate_id: str
    issued_on: str
    """``YYYY-MM-DD``: the certificate is valid from this day …"""
    expires_on: str
    """… to this day, inclusive."""
    region_code: str
    reporting_unit_code: str
    industry_code: str | None
    size_class: str | None
    """The latest size class registry decided (划型); null while none is known."""


class PushInstitution(BaseModel):
    """An institution whose list snapshot of the period includes the enterprise."""

    name: str
    kind: str


class PushProduct(BaseModel):
    """A credit product of the catalogue the enterprise is eligible for."""

    id: str
    name: str
    product_type: str
    institution_id: str
    institution_name: str
    institution_kind: str
    min_amount_fen: int
    max_amount_fen: int
    min_rate_ratio: str
    max_rate_ratio: str
    min_term_months: int
    max_term_months: int
    guarantee_fee_ratio: str | None
    reason: str
    """Why the enterprise is eligible (the product's restrictions it meets)."""
    reason_zh: str
    to_confirm: list[Literal["tier", "industry", "region", "size"]]
    """Restrictions the platform cannot check for the enterprise (its size class, an unknown
    industry): the institution confirms them."""


class PushContent(BaseModel):
    """What the enterprise is pushed, as stored; ``content_sha256`` is the SHA-256 of its canonical
    JSON (sorted keys, no spaces, UTF-8)."""

    content_version: str
    push_id: str
    uscc: str
    period: str
    trigger: Trigger
    generated_at: str
    """RFC 3339, as written when the push was made."""
    entry: PushEntry
    institutions: list[PushInstitution]
    products: list[PushProduct]


class EnterprisePushSummary(BaseModel):
    id: str
    uscc: str
    period: str
    trigger: Trigger
    generated_at: datetime
    tier: str
    region_code: str
    reporting_unit_code: str
    institution_count: int
    product_count: int
    content_sha256: str
    first_read_at: datetime | None
    """When the enterprise first read the push (``GET …/{push_id}``)."""
    acknowledged_at: datetime | None
    acknowledged_by: str | None


_PRODUCT: dict[str, Any] = {
    "id": "prod_0123456789ab",
    "name": "专精特新贷",
    "product_type": "credit_loan",
    "institution_id": "inst_0123456789ab",
    "institution_name": "甘肃银行兰州分行",
    "institution_kind": "bank",
    "min_amount_fen": 10_000_000,
    "max_amount_fen": 500_000_000,
    "min_rate_ratio": "0.03",
    "max_rate_ratio": "0.045",
    "min_term_months": 6,
    "max_term_months": 36,
    "guarantee_fee_ratio": None,
    "reason": "tier specialised is among the product's specialised; the product is for size "
    "small, medium; the platform does not know yours: the institution confirms it",
    "reason_zh": "梯度层级 specialised 属于产品限定的 specialised；产品限定企业规模为 small、medium，"
    "平台暂无贵企业的企业规模，由金融机构核实",
    "to_confirm": ["size"],
}
_SUMMARY: dict[str, Any] = {
    "id": "push_0123456789abcdef",
    "uscc": _USCC,
    "period": "2026-11",
    "trigger": "scheduled",
    "generated_at": "2026-11-01T00:00:00Z",
    "tier": "specialised",
    "region_code": "620102",
    "reporting_unit_code": "620100",
    "institution_count": 1,
    "product_count": 1,
    "content_sha256": "5f70bf18a086007016e948b04aed3b82103a36bea41755b6cddfaf10ace3c6ef",
    "first_read_at": None,
    "acknowledged_at": None,
    "acknowledged_by": None,
}
_CONTENT: dict[str, Any] = {
    "content_version": "1",
    "push_id": "push_0123456789abcdef",
    "uscc": _USCC,
    "period": "2026-11",
    "trigger": "scheduled",
    "generated_at": "2026-11-01T00:00:00+00:00",
    "entry": {
        "uscc": _USCC,
        "name": "兰州精工科技有限公司",
        "tier": "specialised",
        "level": "provincial",
        "certificate_id": "cert_0123456789ab",
        "issued_on": "2026-01-10",
        "expires_on": "2029-01-09",
        "region_code": "620102",
        "reporting_unit_code": "620100",
        "industry_code": "C3484",
        "size_class": None,
    },
    "institutions": [{"name": "甘肃银行兰州分行", "kind": "bank"}],
    "products": [_PRODUCT],
}


class EnterprisePushRead(EnterprisePushSummary):
    model_config = ConfigDict(json_schema_extra={"examples": [{**_SUMMARY, "content": _CONTENT}]})

    content: PushContent


class EnterprisePushPage(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"items": [_SUMMARY], "next_cursor": None}]}
    )

    items: list[EnterprisePushSummary]
    next_cursor: str | None


class PushFilters(BaseModel):
    model_config = ConfigDict(extra="forbid")

    uscc: Uscc | None = None
    period: PeriodKey | None = None
    acknowledged: bool | None = None
    cursor: CursorParameter = None
    limit: int = Field(default=50, ge=1, le=200)
