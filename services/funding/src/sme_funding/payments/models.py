"""Tables of the payments module: payment batches (支付批次) and their lines."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from sme_funding.metadata import Base


class PaymentBatch(Base):
    """Approved entitlements of one fund, grouped for the paying bank or treasury, with the
    control totals fixed when the batch was made."""

    __tablename__ = "payment_batch"
    __table_args__ = (
        Index("ix_payment_batch_region_code", "region_code"),
        Index("ix_payment_batch_status", "status"),
    )

    id: Mapped[str] = mapped_column(Text, primary_key=True)
    province_code: Mapped[str] = mapped_column(Text)
    region_code: Mapped[str] = mapped_column(Text)
    """The 市州 whose entitlements it pays, or the province code for a province-wide batch: what a
    city officer's scope matches."""
    fund_code: Mapped[str] = mapped_column(Text)
    year: Mapped[int | None] = mapped_column(Integer)
    payee_kind: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(Text)
    control_count: Mapped[int] = mapped_column(Integer)
    control_sum_fen: Mapped[int] = mapped_column(BigInteger)
    version: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    created_by: Mapped[str] = mapped_column(Text)
    sealed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    sealed_by: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_by: Mapped[str] = mapped_column(Text)


class PaymentLine(Base):
    """One entitlement in a batch and, once posted, the bank's result for it."""

    __tablename__ = "payment_line"
    __table_args__ = (
        UniqueConstraint("batch_id", "position", name="uq_payment_line_position"),
        Index("ix_payment_line_batch_id", "batch_id"),
        Index("ix_payment_line_entitlement_id", "entitlement_id"),
        Index(
            "uq_payment_line_entitlement_live",
            "entitlement_id",
            unique=True,
            postgresql_where=text("status IN ('pending', 'paid')"),
        ),
    )

    id: Mapped[str] = mapped_column(Text, primary_key=True)
    batch_id: Mapped[str] = mapped_column(Text, ForeignKey("payment_batch.id"))
    position: Mapped[int] = mapped_column(Integer)
    entitlement_id: Mapped[str] = mapped_column(Text, ForeignKey("entitlement.id"))
    policy_code: Mapped[str] = mapped_column(Text)
    payee_kind: Mapped[str] = mapped_column(Text)
    payee_id: Mapped[str] = mapped_column(Text)
    uscc: Mapped[str | None] = mapped_column(Text)
    payee_account_ref: Mapped[str | None] = mapped_column(Text)
    """The payee's bank account reference, when funding knows it (it does not yet: the bank
    matches the payee by its id)."""
    region_code: Mapped[str] = mapped_column(Text)
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(Text)
    result_on: Mapped[date | None] = mapped_column(Date)
    """The day the bank paid (or refused) it."""
    bank_reference: Mapped[str | None] = mapped_column(Text)
    failure_reason: Mapped[str | None] = mapped_column(Text)
    result_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    result_by: Mapped[str | None] = mapped_column(Text)
