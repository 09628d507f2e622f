from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from sme_common.text import CLEAN_TEXT

DOCUMENT_ID_PATTERN = r"^[a-z0-9][a-z0-9-]{0,63}$"
VERSION_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,31}$"

EXAMPLE_OVERLAY: dict[str, Any] = {
    "id": "gansu-local-specialty",
    "version": "2",
    "kind": "overlay",
    "title_zh": "甘肃省专精特新中小企业认定：特色化（地方特色）指标",
    "document": "工信部企业〔2022〕63号 附件2 二、评价指标 特色化",
    "province": "620000",
    "level": "provincial",
    "tiers": ["specialised"],
    "applies_to_rule_sets": ["national-2022-63"],
    "local_indicators": {"dimension": "local_specialty", "indicators": []},
}


class RuleDocumentSummary(BaseModel):
    """A rule document as in force on a day: shipped with the service, or an officer's version."""

    document_id: str
    kind: str
    version: str
    title_zh: str
    fingerprint: str = Field(description="sha256 of the document; every evaluation records it")
    origin: Literal["packaged", "stored"]
    effective_from: date | None = None
    source_citation: str | None = None
    unverified_count: int = Field(description="rules still marked unverified (policy-facts)")
    recorded_at: datetime | None = None
    recorded_by: str | None = None


class RuleDocumentList(BaseModel):
    on: date
    items: list[RuleDocumentSummary]


class RuleDocumentVersionRead(BaseModel):
    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={
            "examples": [
                {
                    "id": "rdv_5f2a9c01d3e4b677",
                    "document_id": "gansu-local-specialty",
                    "version": "2",
                    "kind": "overlay",
                    "effective_from": "2026-12-01",
                    "fingerprint": "94f158c58e69" + "0" * 52,
                    "source_citation": "甘肃省工业和信息化厅 甘工信发〔2026〕1号（示例）",
                    "unverified_count": 0,
                    "note": None,
                    "recorded_at": "2026-11-26T09:30:00+08:00",
                    "recorded_by": "officer-620000",
                }
            ]
        },
    )

    id: str
    document_id: str
    version: str
    kind: str
    effective_from: date
    fingerprint: str
    source_citation: str
    unverified_count: int
    note: str | None
    recorded_at: datetime
    recorded_by: str


class RuleDocumentRead(BaseModel):
    """The document in force on ``on`` (whole), and every stored version of it."""

    on: date
    current: RuleDocumentSummary
    document: dict[str, Any]
    versions: list[RuleDocumentVersionRead]


class RuleDocumentUpload(BaseModel):
    """A new version of a rule document: the whole document (its ``id`` is the path's, its
    ``version`` new), from when it is in force and what it rests on."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "effective_from": "2026-12-01",
                    "source_citation": "甘肃省工业和信息化厅 甘工信发〔2026〕1号（示例）",
                    "note": "特色化指标尚未公布：配置保持为空",
                    "document": EXAMPLE_OVERLAY,
                }
            ]
        },
    )

    effective_from: date
    source_citation: Annotated[str, Field(min_length=1, max_length=500), CLEAN_TEXT]
    note: Annotated[str, Field(min_length=1, max_length=1000), CLEAN_TEXT] | None = None
    document: dict[str, Any] = Field(description="the whole rule document (JSON), as in data/")


class EvaluationRead(BaseModel):
    """One stored evaluation of an enterprise (a re-evaluation run's result)."""

    run_id: str
    uscc: str
    tier: str
    level: str
    kind: str
    as_of: date
    outcome: str
    score_points: int | None
    rule_set_id: str
    rule_set_version: str
    fingerprint: str
    evaluated_at: datetime


class EvaluationHistory(BaseModel):
    uscc: str
    latest: EvaluationRead | None
    history: list[EvaluationRead] = Field(description="newest first, the latest included")
