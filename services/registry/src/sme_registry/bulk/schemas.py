from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field


class ImportJobRead(BaseModel):
    """An import job: poll it until ``status`` is completed, completed_with_errors or failed."""

    model_config = ConfigDict(from_attributes=True)

    id: str
    status: str
    file_name: str
    file_format: str
    file_sha256: str
    total_rows: int
    processed_rows: int
    created_rows: int
    updated_rows: int
    unchanged_rows: int
    error_rows: int
    failure: str | None
    failure_code: str | None = Field(
        description="file_unreadable, file_too_large, file_missing, interrupted or internal_error"
    )
    created_at: datetime
    finished_at: datetime | None
