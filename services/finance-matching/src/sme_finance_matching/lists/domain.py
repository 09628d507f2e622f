"""List push (名单推送, seed 000 (十三)): the pure rules of a snapshot's content and manifest.

A snapshot's *canonical content* is NDJSON: one line per certified enterprise (``"record":
"enterprise"``, in USCC order), then one per credit product of the catalogue (``"record":
"product"``, in id order); each line is the JSON object with sorted keys, no spaces, UTF-8, and a
``\\n``. The NDJSON download is exactly that content, so a bank checks the manifest's
``content_sha256`` against the bytes it received. The manifest is signed over its own canonical
JSON (sorted keys, no spaces, without ``signature``)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from datetime import date
from enum import StrEnum
from typing import Any

import orjson

ENTERPRISE_FIELDS = (
    "uscc",
    "name",
    "tier",
    "level",
    "certificate_id",
    "issued_on",
    "expires_on",
    "region_code",
    "reporting_unit_code",
    "industry_code",
    "size_class",
    "contact",
    "credit_flags",
)
"""The columns of a snapshot's enterprise rows, in the CSV and XLSX order."""
PRODUCT_FIELDS = (
    "id",
    "institution_id",
    "name",
    "product_type",
    "min_amount_fen",
    "max_amount_fen",
    "min_rate_ratio",
    "max_rate_ratio",
    "min_term_months",
    "max_term_months",
    "guarantee_fee_ratio",
    "eligible_tiers",
    "eligible_industry_sections",
    "eligible_region_codes",
    "eligible_size_classes",
)
MANIFEST_VERSION = "1"


class Format(StrEnum):
    JSON = "json"
    NDJSON = "ndjson"
    CSV = "csv"
    XLSX = "xlsx"


class Trigger(StrEnum):
    ON_DEMAND = "on_demand"
    SCHEDULED = "scheduled"


class Schedule(StrEnum):
    MONTHLY = "monthly"
    WEEKLY = "weekly"
    DAILY = "daily"
    OFF = "off"


def _plain(value: Any) -> Any:
    if isinstance(value, date):
        return value.isoformat()
    return value


def canonical_line(record: str, row: Mapping[str, Any], fields: tuple[str, ...]) -> bytes:
    body = {"record": record, **{f: _plain(row[f]) for f in fields}}
    # orjson writes exactly the canonical form (sorted keys, no spaces, UTF-8 unescaped), fast.
    return orjson.dumps(body, option=orjson.OPT_SORT_KEYS | orjson.OPT_APPEND_NEWLINE)


def enterprise_line(row: Mapping[str, Any]) -> bytes:
    return canonical_line("enterprise", row, ENTERPRISE_FIELDS)


def product_line(row: Mapping[str, Any]) -> bytes:
    return canonical_line("product", row, PRODUCT_FIELDS)


def canonical_manifest(manifest: Mapping[str, Any]) -> bytes:
    """The bytes the signature covers: the manifest without ``signature``, sorted keys, compact."""
    unsigned = {k: v for k, v in manifest.items() if k != "signature"}
    return json.dumps(unsigned, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def new_digest() -> Any:
    return hashlib.sha256()


def period_of(today: date, schedule: Schedule) -> str | None:
    """The period a scheduled snapshot belongs to (one per institution and period)."""
    if schedule is Schedule.MONTHLY:
        return today.strftime("%Y-%m")
    if schedule is Schedule.WEEKLY:
        year, week, _ = today.isocalendar()
        return f"{year}-W{week:02d}"
    if schedule is Schedule.DAILY:
        return today.isoformat()
    return None


def in_scope(
    *,
    reporting_unit_code: str,
    tier: str,
    province_code: str,
    region_codes: list[str],
    tiers: list[str],
) -> bool:
    """An enterprise of ``tier`` in the 市州 ``reporting_unit_code`` is in an institution's scope
    when the institution serves that 市州 (or its whole province) and that tier."""
    if reporting_unit_code[:2] + "0000" != province_code:
        return False
    return tier in tiers and (reporting_unit_code in region_codes or province_code in region_codes)
