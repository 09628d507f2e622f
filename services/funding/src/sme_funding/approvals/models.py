"""Tables of the approvals module: one approval per entitlement (the chain it follows, as it was
when its first step was taken, and where it stands) and every step taken on it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, DateTime, ForeignKey, Identity, Index, Integer, Text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from sme_funding.metadata import Base


class Approval(Base):
    """The approval (审批) of one entitlement: its chain (a snapshot of the tier of
    ``approval-chains.json`` that applied), the round (a return starts a new one) and the next
    step."""

    __tablename__ = "approval"
    __table_args__ = (Index("ix_approval_state_next_role", "state", "next_role"),)

    entitlement_id: Mapped[str] = mapped_column(
        Text, ForeignKey("entitlement.id"), primary_key=True
    )
    chains_version: Mapped[str] = mapped_column(Text)
    tier_code: Mapped[str] = mapped_column(Text)
    steps: Mapped[list[dict[str, Any]]] = mapped_column(JSONB)
    round: Mapped[int] = mapped_column(Integer)
    next_position: Mapped[int | None] = mapped_column(Integer)
    next_role: Mapped[str | None] = mapped_column(Text)
    state: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class ApprovalStep(Base):
    """One step taken: who, at which position of which round, what they decided and why."""

    __tablename__ = "approval_step"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    entitlement_id: Mapped[str] = mapped_column(
        Text, ForeignKey("approval.entitlement_id"), index=True
    )
    round: Mapped[int] = mapped_column(Integer)
    position: Mapped[int | None] = mapped_column(Integer)
    """None for a withdrawal (after the chain)."""
    role: Mapped[str] = mapped_column(Text)
    action: Mapped[str] = mapped_column(Text)
    actor: Mapped[str] = mapped_column(Text)
    remarks: Mapped[str | None] = mapped_column(Text)
    entitlement_version: Mapped[int] = mapped_column(Integer)
    """The entitlement's version the step was taken on."""
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
