"""Tables of the clawback module: each revoked certificate's decision (once), the recovery orders
(追回令) and the receipts of money received back."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, Boolean, Date, DateTime, ForeignKey, Identity, Integer, Text
from sqlalchemy.orm import Mapped, mapped_column

from sme_funding.metadata import Base


class ClawbackCase(Base):
    """What funding decided about one revoked certificate, once whatever is replayed."""

    __tablename__ = "clawback_case"

    certificate_id: Mapped[str] = mapped_column(Text, primary_key=True)
    uscc: Mapped[str] = mapped_column(Text)
    reason_code: Mapped[str | None] = mapped_column(Text)
    clawback: Mapped[bool] = mapped_column(Boolean)
    """True for a false declaration (the awards it caused are recovered); False otherwise."""
    revoked_on: Mapped[date] = mapped_column(Date)
    decided_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class RecoveryOrder(Base):
    """A recovery order (追回令) for the money one entitlement paid (or may have paid)."""

    __tablename__ = "recovery_order"

    id: Mapped[str] = mapped_column(Text, primary_key=True)
    entitlement_id: Mapped[str] = mapped_column(Text, ForeignKey("entitlement.id"), unique=True)
    certificate_id: Mapped[str] = mapped_column(Text, index=True)
    uscc: Mapped[str] = mapped_column(Text, index=True)
    region_code: Mapped[str] = mapped_column(Text)
    """The 市州 whose allocation paid it (the entitlement's)."""
    county_code: Mapped[str] = mapped_column(Text)
    policy_code: Mapped[str] = mapped_column(Text)
    fund_code: Mapped[str] = mapped_column(Text)
    year: Mapped[int] = mapped_column(Integer)
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    recovered_fen: Mapped[int] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(Text)
    raised_on: Mapped[date | None] = mapped_column(Date)
    """The day the order was raised (None while awaiting the bank's settlement)."""
    reason: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_by: Mapped[str] = mapped_column(Text)
    version: Mapped[int] = mapped_column(Integer)


class RecoveryReceipt(Base):
    """Money received back against a recovery order, once per ``receipt_ref``."""

    __tablename__ = "recovery_receipt"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    recovery_order_id: Mapped[str] = mapped_column(
        Text, ForeignKey("recovery_order.id"), index=True
    )
    receipt_ref: Mapped[str] = mapped_column(Text, unique=True)
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    received_on: Mapped[date] = mapped_column(Date)
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    recorded_by: Mapped[str] = mapped_column(Text)
