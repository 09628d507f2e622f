from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from sme_common.pagination import CursorParameter
from sme_common.text import CLEAN_TEXT

Name = Annotated[str, StringConstraints(min_length=1, max_length=100), CLEAN_TEXT]
ClientId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9._:@+-]{1,200}$")]
Url = Annotated[str, StringConstraints(min_length=8, max_length=2000, pattern=r"^https?://[^\s]+$")]
Secret = Annotated[str, StringConstraints(min_length=32, max_length=256, pattern=r"^[\x21-\x7e]+$")]
ChannelStatus = Literal["active", "suspended"]


class ChannelCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "name": "甘肃12345政务服务便民热线",
                    "client_id": "gansu-12345",
                    "callback_url": "https://hotline.example.gov.cn/sme/callbacks",
                    "secret": "0123456789abcdef0123456789abcdef",
                }
            ]
        },
    )

    name: Name
    client_id: ClientId
    """The ``client_id`` claim of the channel's machine token (role ``hotline`` or
    ``agency_system``): that token reads this channel's log and changes, no other."""
    callback_url: Url
    secret: Secret
    """The shared HMAC secret (32–256 printable ASCII characters); never shown again."""


class ChannelUpdate(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"status": "suspended", "version": 1}]}
    )

    name: Name | None = None
    callback_url: Url | None = None
    secret: Secret | None = None
    status: ChannelStatus | None = None
    version: int = Field(strict=True, ge=1, le=999_999_999)


class ChannelRead(BaseModel):
    """A channel as anyone reads it: never its secret."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": "ch_0a1b2c3d4e5f6789",
                    "name": "甘肃12345热线",
                    "client_id": "gansu-12345",
                    "callback_url": "https://12345.gansu.gov.cn/api/callbacks/sme-complaints",
                    "status": "active",
                    "version": 1,
                    "created_at": "2026-06-10T02:00:00Z",
                    "updated_at": "2026-06-10T02:00:00Z",
                }
            ]
        }
    )

    id: str
    name: str
    client_id: str
    callback_url: str
    status: str
    version: int
    created_at: datetime
    updated_at: datetime


class ChannelPage(BaseModel):
    items: list[ChannelRead]


class AttemptRead(BaseModel):
    attempted_at: datetime
    status_code: int | None
    error: str | None
    duration_ms: int


class DeliveryRead(BaseModel):
    id: str
    position: int
    case_id: str
    work_order_no: str | None
    status: str
    occurred_at: datetime
    state: Literal["pending", "delivered"]
    attempts: int
    next_attempt_at: datetime | None
    """When the next attempt is due; null once delivered."""
    last_error: str | None
    delivered_at: datetime | None
    log: list[AttemptRead]


class DeliveryPage(BaseModel):
    items: list[DeliveryRead]
    next_cursor: str | None


class Change(BaseModel):
    delivery_id: str
    position: int
    case_id: str
    work_order_no: str | None
    status: str
    occurred_at: datetime
    payload: dict[str, Any]


class ChangePage(BaseModel):
    items: list[Change]
    next_cursor: str | None


class PageQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    cursor: CursorParameter = None
    limit: int = Field(default=50, ge=1, le=200)
