from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from sme_certification.notices.domain import NoticeUnit, ObjectionOutcome, ObjectionStatus
from sme_certification.rules.facts import Level, Tier
from sme_common.text import CLEAN_TEXT

ApplicationId = Annotated[str, StringConstraints(pattern=r"^app_[0-9a-f]{16}$")]
Title = Annotated[str, StringConstraints(min_length=1, max_length=200), CLEAN_TEXT]
Name = Annotated[str, StringConstraints(min_length=1, max_length=100), CLEAN_TEXT]
Contact = Annotated[str, StringConstraints(min_length=5, max_length=200), CLEAN_TEXT]
Grounds = Annotated[str, StringConstraints(min_length=10, max_length=4000), CLEAN_TEXT]
Resolution = Annotated[str, StringConstraints(min_length=1, max_length=2000), CLEAN_TEXT]


class NoticeCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "title": "2026年度省级专精特新中小企业拟认定名单公示",
                    "application_ids": ["app_0123456789abcdef"],
                    "starts_on": "2026-09-28",
                }
            ]
        },
    )

    title: Title
    application_ids: list[ApplicationId] = Field(min_length=1, max_length=500)
    starts_on: date | None = None
    """The first day (today or later); today when left out."""


class NoticeRead(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": "notice_0123456789abcdef",
                    "province_code": "620000",
                    "title": "2026年度省级专精特新中小企业拟认定名单公示",
                    "starts_on": "2026-09-28",
                    "ends_on": "2026-10-12",
                    "length": 5,
                    "unit": "working_days",
                    "application_ids": ["app_0123456789abcdef"],
                    "created_at": "2026-09-27T02:00:00+00:00",
                    "created_by": "officer-620000",
                }
            ]
        }
    )

    id: str
    province_code: str
    title: str
    starts_on: date
    ends_on: date
    """The last day: objections are taken through it; the decision comes after it."""
    length: int
    unit: NoticeUnit
    application_ids: list[str]
    created_at: datetime
    created_by: str


class NoticePage(BaseModel):
    items: list[NoticeRead]


class PublicEntry(BaseModel):
    """What the public sees of an enterprise in a notice: no person, no figures."""

    application_id: str
    enterprise_name: str
    uscc: str
    tier: Tier
    level: Level
    region_code: str


class PublicNotice(BaseModel):
    id: str
    province_code: str
    title: str
    starts_on: date
    ends_on: date
    entries: list[PublicEntry]


class PublicNoticeList(BaseModel):
    items: list[PublicNotice]


class PublicNoticeQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    province_code: Annotated[str, StringConstraints(pattern=r"^[0-9]{2}0000$")] | None = None


class ObjectionCreate(BaseModel):
    """An objection (异议) under real name with a way to reach the objector (as notices ask)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "application_id": "app_0123456789abcdef",
                    "objector_name": "张三",
                    "contact": "13800000000",
                    "grounds": "该企业2025年营业收入与纳税申报不符，附件为相关材料说明。",
                }
            ]
        },
    )

    application_id: ApplicationId
    objector_name: Name
    contact: Contact
    """A telephone number or an address to answer to."""
    grounds: Grounds


_RECEIPT: dict[str, Any] = {
    "id": "obj_0123456789abcdef",
    "notice_id": "notice_0123456789abcdef",
    "application_id": "app_0123456789abcdef",
    "status": "open",
    "filed_at": "2026-09-29T02:00:00+00:00",
}


class ObjectionReceipt(BaseModel):
    """What a public objector gets back: the receipt, nothing of others' objections."""

    model_config = ConfigDict(json_schema_extra={"examples": [dict(_RECEIPT)]})

    id: str
    notice_id: str
    application_id: str
    status: ObjectionStatus
    filed_at: datetime


class ObjectionRead(ObjectionReceipt):
    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={
            "examples": [
                {
                    **_RECEIPT,
                    "status": "dismissed",
                    "objector_name": "张三",
                    "contact": "13800000000",
                    "grounds": "该企业2025年营业收入与纳税申报不符。",
                    "filed_by": "public",
                    "resolution": "经核实，营业收入数据真实。",
                    "resolved_at": "2026-10-08T02:00:00+00:00",
                    "resolved_by": "officer-620000",
                }
            ]
        },
    )

    objector_name: str
    contact: str
    grounds: str
    filed_by: str
    resolution: str | None
    resolved_at: datetime | None
    resolved_by: str | None


class ObjectionPage(BaseModel):
    items: list[ObjectionRead]


class ObjectionResolution(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"outcome": "dismissed", "resolution": "经核实，企业营业收入数据真实。"}]
        },
    )

    outcome: ObjectionOutcome
    resolution: Resolution
