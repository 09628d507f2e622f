"""Rule-document versions (officer-edited, audited), evaluation runs (audited) and their results
(derived data: not row-audited, see docs/certification-evaluations.md)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Date, DateTime, ForeignKey, Index, Integer, Text, UniqueConstraint
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from sme_certification.metadata import Base


class RuleDocumentVersion(Base):
    """One version of one rule document (a national rule set, an overlay or the selection)."""

    __tablename__ = "rule_document_version"
    __table_args__ = (
        UniqueConstraint("document_id", "version", name="uq_rule_document_version_document_id"),
    )

    id: Mapped[str] = mapped_column(Text, primary_key=True)
    document_id: Mapped[str] = mapped_column(Text, index=True)
    version: Mapped[str] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(Text)
    effective_from: Mapped[date] = mapped_column(Date)
    document: Mapped[dict[str, Any]] = mapped_column(JSONB)
    fingerprint: Mapped[str] = mapped_column(Text)
    source_citation: Mapped[str] = mapped_column(Text)
    unverified_count: Mapped[int] = mapped_column(Integer)
    note: Mapped[str | None] = mapped_column(Text)
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    recorded_by: Mapped[str] = mapped_column(Text)


class EvaluationRun(Base):
    """One (re-)evaluation of the holders of a tier against one rule-set version."""

    __tablename__ = "evaluation_run"
    __table_args__ = (
        UniqueConstraint(
            "rule_set_id",
            "fingerprint",
            "tier",
            "kind",
            "as_of",
            "attempt",
            name="uq_evaluation_run_rule_set_id",
        ),
    )

    id: Mapped[str] = mapped_column(Text, primary_key=True)
    rule_set_id: Mapped[str] = mapped_column(Text)
    rule_set_version: Mapped[str] = mapped_column(Text)
    fingerprint: Mapped[str] = mapped_column(Text)
    tier: Mapped[str] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(Text)
    as_of: Mapped[date] = mapped_column(Date)
    attempt: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(Text)
    enterprises: Mapped[int] = mapped_column(Integer)
    outcomes: Mapped[dict[str, Any]] = mapped_column(JSONB)
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    requested_by: Mapped[str] = mapped_column(Text)


class EvaluationResult(Base):
    """One enterprise's result in one run; ``explanation`` is the compact form (domain.compact)."""

    __tablename__ = "evaluation_result"
    __table_args__ = (Index("ix_evaluation_result_uscc", "uscc", "evaluated_at"),)

    run_id: Mapped[str] = mapped_column(Text, ForeignKey("evaluation_run.id"), primary_key=True)
    uscc: Mapped[str] = mapped_column(Text, primary_key=True)
    region_code: Mapped[str] = mapped_column(Text)
    tier: Mapped[str] = mapped_column(Text)
    level: Mapped[str] = mapped_column(Text)
    rule_set_id: Mapped[str] = mapped_column(Text)
    rule_set_version: Mapped[str] = mapped_column(Text)
    fingerprint: Mapped[str] = mapped_column(Text)
    outcome: Mapped[str] = mapped_column(Text)
    score_points: Mapped[int | None] = mapped_column(Integer)
    explanation: Mapped[dict[str, Any]] = mapped_column(JSONB)
    evaluated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
