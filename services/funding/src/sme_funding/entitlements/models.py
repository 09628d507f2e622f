"""Tables of the entitlements module: what funding has seen of certificates (the history a
"first certificate" rule reads), each enterprise's credit flags in force, the entitlements and
their status history."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Date,
    DateTime,
    ForeignKey,
    Identity,
    Index,
    Integer,
    Text,
    UniqueConstraint,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Mapped, mapped_column

from sme_funding.metadata import Base


class CertificateRecord(Base):
    """A certificate as certification announced it (granted, renewed, revoked, expired)."""

    __tablename__ = "certificate_record"

    certificate_id: Mapped[str] = mapped_column(Text, primary_key=True)
    uscc: Mapped[str] = mapped_column(Text, index=True)
    tier: Mapped[str] = mapped_column(Text)
    level: Mapped[str | None] = mapped_column(Text)
    """None only for a certificate funding learnt of by its revocation or expiry alone."""
    issued_on: Mapped[date | None] = mapped_column(Date)
    expires_on: Mapped[date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(Text)
    """granted | revoked | expired (``domain.CertificateStatus``)."""
    renewed_on: Mapped[date | None] = mapped_column(Date)
    ended_on: Mapped[date | None] = mapped_column(Date)
    reason_code: Mapped[str | None] = mapped_column(Text)
    """With a revocation: false_declaration | violation | failed_re_review."""
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class CertificateTriggerRecord(Base):
    """One trigger (a grant, a renewal) of a certificate and whether it was evaluated:
    ``awaiting_enterprise`` until the enterprise is in funding's directory, then ``evaluated``."""

    __tablename__ = "certificate_trigger"

    certificate_id: Mapped[str] = mapped_column(
        Text, ForeignKey("certificate_record.certificate_id"), primary_key=True
    )
    kind: Mapped[str] = mapped_column(Text, primary_key=True)
    occurred_on: Mapped[date] = mapped_column(Date, primary_key=True)
    uscc: Mapped[str] = mapped_column(Text, index=True)
    status: Mapped[str] = mapped_column(Text)
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    evaluated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class EnterpriseCredit(Base):
    """The credit flag kinds in force for an enterprise, as registry last announced them."""

    __tablename__ = "enterprise_credit"

    uscc: Mapped[str] = mapped_column(Text, primary_key=True)
    active_flags: Mapped[list[str]] = mapped_column(ARRAY(Text))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Entitlement(Base):
    """What a policy gives a payee for one trigger (免申即享), stored once per ``trigger_key``."""

    __tablename__ = "entitlement"
    __table_args__ = (
        UniqueConstraint("trigger_key", name="uq_entitlement_trigger_key"),
        Index("ix_entitlement_uscc", "uscc"),
        Index("ix_entitlement_status", "status"),
        Index("ix_entitlement_certificate_id", "certificate_id"),
        Index("ix_entitlement_region_code", "region_code"),
    )

    id: Mapped[str] = mapped_column(Text, primary_key=True)
    policy_code: Mapped[str] = mapped_column(Text)
    policy_version: Mapped[str] = mapped_column(Text)
    trigger_key: Mapped[str] = mapped_column(Text)
    payee_kind: Mapped[str] = mapped_column(Text)
    payee_id: Mapped[str] = mapped_column(Text)
    uscc: Mapped[str | None] = mapped_column(Text)
    region_code: Mapped[str] = mapped_column(Text)
    """The 市州 (reporting unit) whose allocation pays it and whose officers see it."""
    county_code: Mapped[str] = mapped_column(Text)
    """The payee's own region (an enterprise's county; the 市州 itself for a city payee): what
    a county officer's scope and the province's prefix match."""
    fund_code: Mapped[str] = mapped_column(Text)
    year: Mapped[int] = mapped_column(Integer)
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    full_amount_fen: Mapped[int] = mapped_column(BigInteger)
    explanation: Mapped[list[dict[str, Any]]] = mapped_column(JSONB)
    status: Mapped[str] = mapped_column(Text)
    blocked_reason: Mapped[list[str] | None] = mapped_column(ARRAY(Text))
    """The blocking credit flag kinds in force, while ``blocked``."""
    certificate_id: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    version: Mapped[int] = mapped_column(Integer)


class EntitlementStep(Base):
    """One status change of an entitlement: who, when, from what to what, and why."""

    __tablename__ = "entitlement_step"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    entitlement_id: Mapped[str] = mapped_column(Text, ForeignKey("entitlement.id"), index=True)
    from_status: Mapped[str | None] = mapped_column(Text)
    to_status: Mapped[str] = mapped_column(Text)
    actor: Mapped[str] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    remarks: Mapped[str | None] = mapped_column(Text)
