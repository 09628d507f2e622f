"""Respondent records and the yearly disclosure (逾期未支付中小企业款项信息公开), pure.

A respondent (被投诉人) is known by its unified social credit code where the complaint gave one,
otherwise by its name normalised (spaces dropped, full-width brackets as half-width, Latin letters
in lower case) within its region: the key is the USCC, or ``n`` and the MD5 of
``region|normalised name`` (the same expression the repository groups by, in SQL).

A contract counts as overdue in a year (国务院令第802号 第十八条: 上一年度逾期尚未支付的合同数量、金额)
when its last day to pay (``terms.domain.evaluate``) falls before the year's last day and it was not
paid in full before the year began, or before its last day.
"""

from __future__ import annotations

import enum
import hashlib
import json
import re
from dataclasses import dataclass
from datetime import date
from functools import cache
from importlib import resources


class RespondentType(enum.StrEnum):
    GOVERNMENT_BODY = "government_body"
    PUBLIC_INSTITUTION = "public_institution"
    LARGE_ENTERPRISE = "large_enterprise"


SETTLED_OUTCOMES = ("paid_in_full", "paid_in_part", "repayment_agreement")
"""The resolutions with money in them (``resolve``'s ``outcome``)."""

KEY_PATTERN = r"^(?:[0-9A-HJ-NPQRTUWXY]{18}|n[0-9a-f]{32})$"
KEY = re.compile(KEY_PATTERN)


def normalised_name(name: str) -> str:
    """The name as the key reads it (the SQL expression in the repository does the same)."""
    return re.sub(r"\s+", "", name).replace("（", "(").replace("）", ")").lower()


def respondent_key(uscc: str | None, region_code: str, name: str) -> str:
    if uscc is not None:
        return uscc
    digest = hashlib.md5(  # noqa: S324 - a grouping key, not a secret
        f"{region_code}|{normalised_name(name)}".encode()
    ).hexdigest()
    return f"n{digest}"


@dataclass(frozen=True)
class DisclosureRule:
    respondent_type: RespondentType
    publish_by_month: int
    publish_by_day: int
    channel_en: str
    channel_zh: str
    article: str
    status: str

    def publish_by(self, year: int) -> date:
        """The last day to publish the figures of ``year`` (in the next year)."""
        return date(year + 1, self.publish_by_month, self.publish_by_day)


@dataclass(frozen=True)
class DisclosureRules:
    version: int
    sources: tuple[str, ...]
    what_en: str
    what_zh: str
    rules: dict[RespondentType, DisclosureRule]


@cache
def disclosure_rules() -> DisclosureRules:
    raw = json.loads(
        resources.files(__package__).joinpath("data/disclosure_rules_v1.json").read_text()
    )
    rules = {}
    for item in raw["rules"]:
        kind = RespondentType(item["respondent_type"])
        rules[kind] = DisclosureRule(
            respondent_type=kind,
            publish_by_month=item["publish_by_month"],
            publish_by_day=item["publish_by_day"],
            channel_en=item["channel_en"],
            channel_zh=item["channel_zh"],
            article=item["article"],
            status=item["status"],
        )
    return DisclosureRules(
        version=raw["version"],
        sources=tuple(raw["sources"]),
        what_en=raw["what"]["en"],
        what_zh=raw["what"]["zh"],
        rules=rules,
    )


def overdue_in_year(due_on: date, paid_in_full_on: date | None, year: int) -> bool:
    """Whether a contract due on ``due_on`` was overdue and unpaid at some time in ``year``: its
    last day passed before the year's end, and it was not paid in full on time nor before the
    year began."""
    if due_on >= date(year, 12, 31):
        return False
    if paid_in_full_on is None:
        return True
    return paid_in_full_on > due_on and paid_in_full_on >= date(year, 1, 1)
