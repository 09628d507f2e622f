"""Applications, their review steps and their evidence documents."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    DateTime,
    ForeignKey,
    Identity,
    Index,
    Integer,
    Numeric,
    Text,
    UniqueConstraint,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from sme_certification.metadata import Base


class Application(Base):
    __tablename__ = "application"
    __table_args__ = (
        UniqueConstraint("batch_id", "uscc"),  # one application per enterprise per batch
        Index("ix_application_batch_unit_status", "batch_id", "reporting_unit_code", "status"),
        Index("ix_application_region", "region_code"),
        Index("ix_application_uscc", "uscc"),
    )

    id: Mapped[str] = mapped_column(Text, primary_key=True)
    batch_id: Mapped[str] = mapped_column(Text, ForeignKey("certification_batch.id"))
    uscc: Mapped[str] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(Text)
    # Where the enterprise was registered when the application was made (the region scope of
    # every reviewer is applied to these columns, in SQL).
    region_code: Mapped[str] = mapped_column(Text)
    reporting_unit_code: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(Text)
    declared: Mapped[dict[str, Any]] = mapped_column(JSONB)
    # The last return's remarks by field (cleared when submitted again).
    correction_remarks: Mapped[dict[str, str] | None] = mapped_column(JSONB)
    # The rule engine's explanation when it was last submitted.
    assessment: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    version: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    created_by: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_by: Mapped[str] = mapped_column(Text)
    submitted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # 涉密 (seed 003 六(一)): set by officers; decided without public notice, never in public lists.
    classified: Mapped[bool] = mapped_column(Boolean, default=False)
    # The mean of the assigned experts' scores, once all scored (experts/).
    expert_score: Mapped[Decimal | None] = mapped_column(Numeric(6, 2))
    # The decision: reasons of a rejection by field, the certificate of a grant.
    decision_reasons: Mapped[dict[str, str] | None] = mapped_column(JSONB)
    certificate_id: Mapped[str | None] = mapped_column(Text)


class ApplicationStep(Base):
    """Every change of an application's status: who, when, from what to what, with remarks."""

    __tablename__ = "application_step"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    application_id: Mapped[str] = mapped_column(Text, ForeignKey("application.id"), index=True)
    action: Mapped[str] = mapped_column(Text)
    stage: Mapped[str | None] = mapped_column(Text)
    from_status: Mapped[str] = mapped_column(Text)
    to_status: Mapped[str] = mapped_column(Text)
    remarks: Mapped[dict[str, str]] = mapped_column(JSONB)
    version: Mapped[int] = mapped_column(Integer)
    acted_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    acted_by: Mapped[str] = mapped_column(Text)


class EvidenceDocument(Base):
    """An evidence document's metadata; its content is in the evidence storage (``storage.py``)
    under ``storage_key``."""

    __tablename__ = "evidence_document"

    id: Mapped[str] = mapped_column(Text, primary_key=True)
    application_id: Mapped[str] = mapped_column(Text, ForeignKey("application.id"), index=True)
    field: Mapped[str] = mapped_column(Text)
    filename: Mapped[str] = mapped_column(Text)
    content_type: Mapped[str] = mapped_column(Text)
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(Text)
    storage_key: Mapped[str] = mapped_column(Text)
    uploaded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    uploaded_by: Mapped[str] = mapped_column(Text)
