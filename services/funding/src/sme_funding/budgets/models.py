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
)
from sqlalchemy.orm import Mapped, mapped_column

from sme_funding.metadata import Base


class Fund(Base):
    """A special fund of one year (e.g. 中小企业发展专项资金)."""

    __tablename__ = "fund"
    __table_args__ = (UniqueConstraint("province_code", "code", "year", name="uq_fund_code_year"),)

    id: Mapped[str] = mapped_column(Text, primary_key=True)
    code: Mapped[str] = mapped_column(Text)
    name: Mapped[str] = mapped_column(Text)
    source_kind: Mapped[str] = mapped_column(Text)
    year: Mapped[int] = mapped_column(Integer)
    province_code: Mapped[str] = mapped_column(Text)
    total_fen: Mapped[int] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(Text)
    version: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    created_by: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_by: Mapped[str] = mapped_column(Text)


class Allocation(Base):
    """A fund's share for one 市州 (or the province itself), with its running figures."""

    __tablename__ = "allocation"
    __table_args__ = (
        UniqueConstraint("fund_id", "region_code", name="uq_allocation_fund_region"),
        Index("ix_allocation_region_code", "region_code"),
    )

    id: Mapped[str] = mapped_column(Text, primary_key=True)
    fund_id: Mapped[str] = mapped_column(Text, ForeignKey("fund.id"))
    region_code: Mapped[str] = mapped_column(Text)
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    committed_fen: Mapped[int] = mapped_column(BigInteger)
    paid_fen: Mapped[int] = mapped_column(BigInteger)
    recovery_raised_fen: Mapped[int] = mapped_column(BigInteger)
    recovered_fen: Mapped[int] = mapped_column(BigInteger)
    version: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    created_by: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_by: Mapped[str] = mapped_column(Text)


class BudgetCommitment(Base):
    """Money of an allocation set aside for one subject (an approved entitlement), once."""

    __tablename__ = "budget_commitment"
    __table_args__ = (Index("ix_budget_commitment_allocation_id", "allocation_id"),)

    id: Mapped[str] = mapped_column(Text, primary_key=True)
    subject_ref: Mapped[str] = mapped_column(Text, unique=True)
    fund_id: Mapped[str] = mapped_column(Text, ForeignKey("fund.id"))
    allocation_id: Mapped[str] = mapped_column(Text, ForeignKey("allocation.id"))
    region_code: Mapped[str] = mapped_column(Text)
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    paid_fen: Mapped[int] = mapped_column(BigInteger)
    recovery_raised_fen: Mapped[int] = mapped_column(BigInteger)
    recovered_fen: Mapped[int] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(Text)
    last_failure_reason: Mapped[str | None] = mapped_column(Text)
    last_failure_batch_ref: Mapped[str | None] = mapped_column(Text)
    last_failure_on: Mapped[date | None] = mapped_column(Date)
    version: Mapped[int] = mapped_column(Integer)
    committed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    committed_by: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_by: Mapped[str] = mapped_column(Text)
