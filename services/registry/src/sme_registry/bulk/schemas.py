from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field


class ImportJobRead(BaseModel):
    """An import job: poll it until ``status`` is completed, completed_with_errors or failed."""

    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={
            "examples": [
                {
                    "id": "import_01hq3v6v2k8x",
                    "status": "completed_with_errors",
                    "file_name": "enterprises-2026-03.xlsx",
                    "file_format": "xlsx",
                    "file_sha256": "9f2c" + "0" * 60,
                    "total_rows": 1200,
                    "processed_rows": 1200,
                    "created_rows": 1100,
                    "updated_rows": 80,
                    "unchanged_rows": 17,
                    "error_rows": 3,
                    "failure": None,
                    "failure_code": None,
                    "created_at": "2026-03-02T09:30:00+08:00",
                    "finished_at": "2026-03-02T09:31:12+08:00",
                }
            ]
        },
    )

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
