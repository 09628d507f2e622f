"""The events finance-matching publishes: ``finance-matching.loan`` (keyed by USCC; proposed by
registry, its first consumer, for the financing history on the profile; finance-matching owns it
from its first release), ``finance-matching.need`` (keyed by USCC) and ``finance-matching.snapshot``
(keyed by the institution's id) and ``finance-matching.enterprise-push`` (keyed by USCC)."""

from __future__ import annotations

from datetime import date
from typing import ClassVar, Literal

from pydantic import MISSING, BaseModel, ConfigDict, Field

from sme_common.contracts.base import EventData, Timestamp, Uscc


class LoanReportedV1(EventData):
    """Financing history of an enterprise. Proposed by registry, its first consumer; the producer
    owns it from its first release."""

    model_config = ConfigDict(title="An institution reported on a financing need")
    event_type: ClassVar[str] = "finance-matching.loan.reported.v1"

    report_id: str
    uscc: Uscc
    institution_id: str
    outcome: Literal["contacted", "granted", "refused"]
    amount_fen: int | None = Field(default=None, ge=0)
    annual_rate: str | None = None
    """The annual rate as a decimal string."""
    term_months: int | None = None
    reported_at: Timestamp
    # Optional since the producer's first release (feedback, issue 10): absent in the proposal.
    need_id: str | MISSING = MISSING
    """The financing need reported on, when the report concerns one."""
    institution_kind: str | MISSING = MISSING
    """bank, guarantee_agency, insurer or securities_firm."""
    outcome_on: date | MISSING = MISSING
    """The day of the outcome (Asia/Shanghai)."""
    guarantee_fee_rate: str | MISSING = MISSING
    """The annual guarantee fee rate as a decimal string (a guarantee, or a guaranteed loan)."""
    product_id: str | MISSING = MISSING
    first_time_borrower: bool | MISSING = MISSING
    """首贷: the enterprise's first loan from any bank, as the institution reports it."""
    refusal_reason_code: str | MISSING = MISSING
    refusal_reason: str | MISSING = MISSING


class MatchedProductV1(BaseModel):
    """One eligible product of a need."""

    model_config = ConfigDict(extra="ignore")

    institution_id: str
    product_id: str
    score: int = Field(ge=0, le=100)


class NeedMatchedV1(EventData):
    """A financing need (融资需求) now has eligible credit products: published when a need is
    filed or changed and the set of its eligible products is not empty and differs from before."""

    model_config = ConfigDict(title="A financing need was matched to credit products")
    event_type: ClassVar[str] = "finance-matching.need.matched.v1"

    need_id: str
    uscc: Uscc
    amount_fen: int = Field(ge=1)
    term_months: int = Field(ge=1)
    matches: list[MatchedProductV1] = Field(min_length=1)
    """The eligible products, best score first."""
    weights_version: str
    """The version of the matching weights the scores were computed with."""
    matched_at: Timestamp


class SnapshotPublishedV1(EventData):
    """A list snapshot (名单推送) was made for an institution: the certified enterprises in its
    scope and the credit-product catalogue, immutable, with a signed manifest. The institution
    fetches it from ``GET /v1/lists/snapshots/{snapshot_id}/content``."""

    model_config = ConfigDict(title="A list snapshot was published to an institution")
    event_type: ClassVar[str] = "finance-matching.snapshot.published.v1"
    key_field: ClassVar[str] = "institution_id"

    snapshot_id: str
    institution_id: str
    trigger: Literal["on_demand", "scheduled"]
    entry_count: int = Field(ge=0)
    product_count: int = Field(ge=0)
    cursor: int = Field(ge=0)
    """The change-log position the snapshot is current to: deltas after it follow."""
    content_sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    """SHA-256 of the snapshot's canonical NDJSON content."""
    generated_at: Timestamp


class EnterprisePushPublishedV1(EventData):
    """The list and the credit-product catalogue were pushed to a certified enterprise (名单和信贷
    产品目录推送给专精特新企业, seed 000 (十三)): its own list entry, the institutions whose
    snapshots of the period include it and the products it is eligible for, immutable. The
    enterprise reads it at ``GET /v1/enterprise-pushes/{push_id}``; one per enterprise and
    period."""

    model_config = ConfigDict(title="A list push was published to an enterprise")
    event_type: ClassVar[str] = "finance-matching.enterprise-push.published.v1"

    push_id: str
    uscc: Uscc
    period: str
    """The push period (``2026-11`` monthly, ``2026-W48`` weekly, ``2026-11-26`` daily)."""
    trigger: Literal["on_demand", "scheduled"]
    tier: str
    institution_count: int = Field(ge=0)
    product_count: int = Field(ge=0)
    """How many credit products the enterprise is eligible for."""
    content_sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    """SHA-256 of the push's canonical JSON content."""
    generated_at: Timestamp


MODELS: tuple[type[EventData], ...] = (
    LoanReportedV1,
    NeedMatchedV1,
    SnapshotPublishedV1,
    EnterprisePushPublishedV1,
)
