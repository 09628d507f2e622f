"""Certificates (证书) of the three titles and their lifecycle, as plain rules.

- Validity: each title is valid **3 years** (policy-facts §1.6 "Validity": Guizhou seed 003,
  Guangdong 5号 第十三条, the 2026 measures). The period is counted as Chinese law counts periods
  of years (《民法典》第二百零一条: the day it starts is not counted; 第二百零二条: the day of the
  final month that corresponds to the start day is the last day, the month's last day when there
  is none). So a certificate issued on 2026-06-15 is valid up to and including 2029-06-15
  (``expires_on``, its last valid day) and has expired on 2029-06-16; one issued on 2028-02-29 is
  valid up to 2031-02-28. (The counting articles are general legal knowledge, not checked in the
  corpus, as policy-facts says of 第1259条.)
- Re-review (复核): on expiry the holder must be re-reviewed; the title stays valid while the
  re-review is pending; passing gives a further 3 years; failing it, or not filing it, revokes the
  title (撤销) (policy-facts §1.6 "复核", seed 003).
- Revocation with a reason: false declaration (虚假申报 / 数据造假) withdraws the title and bars
  the enterprise from applying again for 3 years (工信厅企业函〔2026〕117号, policy-facts §1.5);
  violation (违法违规, seed 003: revoked at once); failed or missing re-review.
"""

from __future__ import annotations

import calendar
import enum
import re
import secrets
from datetime import date

from sme_certification.rules.facts import Level, Tier
from sme_common.rules import RuleViolation

VALIDITY_YEARS = 3
BAN_YEARS = 3
BAN_BASIS = "工信厅企业函〔2026〕117号"


class Status(enum.StrEnum):
    VALID = "valid"
    UNDER_RE_REVIEW = "under_re_review"  # 复核中: still valid
    EXPIRED = "expired"
    REVOKED = "revoked"


class RevocationReason(enum.StrEnum):
    FALSE_DECLARATION = "false_declaration"  # 虚假申报、数据造假 (3-year ban)
    VIOLATION = "violation"  # 违法违规、重大事故、严重失信
    FAILED_RE_REVIEW = "failed_re_review"  # 复核未通过或未提交复核材料


class Action(enum.StrEnum):
    NOTIFY_RE_REVIEW = "notify_re_review"
    FILE_RE_REVIEW = "file_re_review"
    DECIDE_RE_REVIEW = "decide_re_review"
    REVOKE = "revoke"
    EXPIRE = "expire"


# Which statuses each action may start from; anything else changes nothing (a 409).
ALLOWED_FROM: dict[Action, frozenset[Status]] = {
    Action.NOTIFY_RE_REVIEW: frozenset({Status.VALID}),
    Action.FILE_RE_REVIEW: frozenset({Status.VALID, Status.UNDER_RE_REVIEW}),
    Action.DECIDE_RE_REVIEW: frozenset({Status.UNDER_RE_REVIEW}),
    Action.REVOKE: frozenset({Status.VALID, Status.UNDER_RE_REVIEW}),
    Action.EXPIRE: frozenset({Status.VALID}),
}

TITLES_ZH = {
    Tier.INNOVATIVE: "创新型中小企业",
    Tier.SPECIALISED: "专精特新中小企业",
    Tier.LITTLE_GIANT: "专精特新“小巨人”企业",
}
LEVELS_ZH = {Level.PROVINCIAL: "省级", Level.NATIONAL: "国家级"}
STATUS_ZH = {
    Status.VALID: "有效",
    Status.UNDER_RE_REVIEW: "复核中（有效）",
    Status.EXPIRED: "已过期",
    Status.REVOKED: "已撤销",
}
# The tier's letters in a certificate number: 创新型 CXX, 专精特新 ZJTX, 小巨人 XJR (pinyin initials).
TIER_CODES = {Tier.INNOVATIVE: "CXX", Tier.SPECIALISED: "ZJTX", Tier.LITTLE_GIANT: "XJR"}

# Crockford's base32: no I, L, O, U, so a code read off paper is not misread.
CODE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
CODE_LENGTH = 20  # 20 symbols × 5 bits = 100 bits: guessing a valid code is hopeless
CODE_PATTERN = r"^[0-9A-Za-z-]{20,24}$"  # as typed: any case, optional dashes between groups
_CODE_SHAPE = re.compile(f"^[{CODE_ALPHABET}]{{{CODE_LENGTH}}}$")
_MISREAD = str.maketrans({"I": "1", "L": "1", "O": "0"})


def add_years(start: date, years: int) -> date:
    """The corresponding day ``years`` later, or the month's last day when there is none
    (29 February in a common year → 28 February)."""
    year = start.year + years
    day = min(start.day, calendar.monthrange(year, start.month)[1])
    return start.replace(year=year, day=day)


def last_valid_day(issued_on: date) -> date:
    """``expires_on``: the last day a title issued on ``issued_on`` is valid (see the module)."""
    return add_years(issued_on, VALIDITY_YEARS)


def is_in_force(status: Status) -> bool:
    """A title under re-review is still in force (policy-facts §1.6)."""
    return status in (Status.VALID, Status.UNDER_RE_REVIEW)


def ban_last_day(revoked_on: date) -> date:
    """The last day of the 3-year ban on reapplying that follows a false declaration (117号)."""
    return add_years(revoked_on, BAN_YEARS)


def certificate_number(prefix: str, tier: Tier, year: int, sequence: int) -> str:
    """``GS-ZJTX-2026-000123``: province, tier, year of issue, a sequence per tier and year."""
    return f"{prefix}-{TIER_CODES[tier]}-{year}-{sequence:06d}"


def new_verification_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def grouped(code: str) -> str:
    """``7K3M-Q9XD-…``: how a code is printed (groups of 4)."""
    return "-".join(code[i : i + 4] for i in range(0, len(code), 4))


def normalised_code(typed: str) -> str | None:
    """The code as stored, from what someone typed (case, dashes, I/L/O for 1/0), or None when it
    cannot be a code we issued."""
    code = typed.replace("-", "").upper().translate(_MISREAD)
    return code if _CODE_SHAPE.match(code) else None


def check_issue(issued_on: date, today: date) -> None:
    if issued_on > today:
        raise RuleViolation(
            "issued_on_in_future",
            f"a certificate cannot be issued after today ({today})",
            f"发证日期不能晚于今天（{today}）",
            field="issued_on",
        )


def check_day_in_validity(day: date, issued_on: date, field: str) -> None:
    if day < issued_on:
        raise RuleViolation(
            f"{field}_before_issue",
            f"{field} {day} is before the certificate was issued ({issued_on})",
            f"{field} 不能早于发证日期（{issued_on}）",
            field=field,
        )


def check_re_review_target(
    *,
    number: str,
    status: Status,
    tier: Tier,
    level: Level,
    expires_on: date,
    re_review_filed: bool,
    wanted_tier: Tier,
    wanted_level: Level,
    today: date,
) -> None:
    """A re-review (复核) application names the certificate it re-reviews: a title of the batch's
    tier and level, in force, and not past its last valid day unless its re-review was filed in
    time (the title then stays valid until decided)."""
    if (tier, level) != (wanted_tier, wanted_level):
        raise RuleViolation(
            "re_review_certificate_other_title",
            f"certificate {number} is a {level.value} {tier.value} title, "
            f"not the batch's {wanted_level.value} {wanted_tier.value}",
            f"证书 {number} 为{LEVELS_ZH[level]}{TITLES_ZH[tier]}，与批次的"
            f"{LEVELS_ZH[wanted_level]}{TITLES_ZH[wanted_tier]}不符",
            field="certificate_id",
        )
    if not is_in_force(status):
        raise RuleViolation(
            "re_review_certificate_not_in_force",
            f"certificate {number} is {status.value}: only a title in force is re-reviewed",
            f"证书 {number} 当前状态为{STATUS_ZH[status]}，不能申请复核",
            field="certificate_id",
        )
    if today > expires_on and not re_review_filed:
        raise RuleViolation(
            "re_review_window_passed",
            f"certificate {number} was valid up to {expires_on}; its re-review was not filed",
            f"证书 {number} 有效期至 {expires_on}，未在有效期内提交复核",
            field="certificate_id",
        )


def renewed_expiry(expires_on: date) -> date:
    """Passing the re-review: 3 more years, counted from the day after the old last valid day."""
    return add_years(expires_on, VALIDITY_YEARS)


def due_for_re_review(expires_on: date, today: date, lead_days: int) -> bool:
    return (expires_on - today).days <= lead_days
