"""Import jobs and their per-row errors."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Index, Integer, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from sme_registry.metadata import Base


class ImportJob(Base):
    __tablename__ = "import_job"
    __table_args__ = (
        # Workers claim the oldest pending job (migration 0005).
        Index(
            "ix_import_job_pending",
            "created_at",
            postgresql_where=text("status IN ('queued', 'running')"),
        ),
    )

    id: Mapped[str] = mapped_column(Text, primary_key=True)
    status: Mapped[str] = mapped_column(Text)
    file_name: Mapped[str] = mapped_column(Text)
    file_format: Mapped[str] = mapped_column(Text)
    file_sha256: Mapped[str] = mapped_column(Text)
    total_rows: Mapped[int] = mapped_column(Integer, server_default="0")
    processed_rows: Mapped[int] = mapped_column(Integer, server_default="0")
    created_rows: Mapped[int] = mapped_column(Integer, server_default="0")
    updated_rows: Mapped[int] = mapped_column(Integer, server_default="0")
    unchanged_rows: Mapped[int] = mapped_column(Integer, server_default="0")
    error_rows: Mapped[int] = mapped_column(Integer, server_default="0")
    failure: Mapped[str | None] = mapped_column(Text)
    failure_code: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_by: Mapped[str] = mapped_column(Text)
    region_scope: Mapped[str] = mapped_column(Text)


class ImportJobError(Base):
    __tablename__ = "import_job_error"

    job_id: Mapped[str] = mapped_column(Text, ForeignKey("import_job.id"), primary_key=True)
    row_number: Mapped[int] = mapped_column(Integer, primary_key=True)
    field: Mapped[str] = mapped_column(Text, primary_key=True)
    code: Mapped[str] = mapped_column(Text)
    detail: Mapped[str] = mapped_column(Text)
    detail_zh: Mapped[str] = mapped_column(Text)
