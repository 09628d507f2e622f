from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, Date, DateTime, ForeignKey, Identity, Index, Text
from sqlalchemy.orm import Mapped, mapped_column

from sme_funding.metadata import Base


class JournalEntry(Base):
    """One balanced posting (记账凭证); append-only (a trigger refuses updates and deletes)."""

    __tablename__ = "journal_entry"
    __table_args__ = (
        Index("ix_journal_entry_subject_ref", "subject_ref"),
        Index("ix_journal_entry_fund_id", "fund_id"),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    booked_on: Mapped[date] = mapped_column(Date)
    kind: Mapped[str] = mapped_column(Text)
    fund_id: Mapped[str] = mapped_column(Text)
    province_code: Mapped[str] = mapped_column(Text)
    subject_ref: Mapped[str | None] = mapped_column(Text)
    operation_key: Mapped[str] = mapped_column(Text, unique=True)
    memo: Mapped[str] = mapped_column(Text)
    actor: Mapped[str] = mapped_column(Text)


class JournalLine(Base):
    __tablename__ = "journal_line"
    __table_args__ = (
        Index("ix_journal_line_entry_id", "entry_id"),
        Index("ix_journal_line_account", "fund_id", "region_code", "account"),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    entry_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("journal_entry.id"))
    fund_id: Mapped[str] = mapped_column(Text)
    region_code: Mapped[str] = mapped_column(Text)
    account: Mapped[str] = mapped_column(Text)
    debit_fen: Mapped[int] = mapped_column(BigInteger)
    credit_fen: Mapped[int] = mapped_column(BigInteger)
