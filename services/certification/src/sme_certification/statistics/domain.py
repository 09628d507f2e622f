"""Titles counted against the provincial targets (培育目标), by tier, level, 市州 and year.

Two ways a province words its target, kept in the data file (``data/targets.json``):

- ``cumulative`` (累计培育, Gansu 甘工信发〔2023〕128号): every enterprise granted the title by the
  deadline counts, whether its title has since expired or was revoked after a failed re-review or
  for a violation — it was cultivated. A title withdrawn for **false declaration** does not count:
  the title should never have been granted (工信厅企业函〔2026〕117号 treats it as withdrawn and bars
  the enterprise for 3 years), so counting it would credit the target with a fraud.
- ``in_force`` (数量达到, Hubei 2023 measures 一): the enterprises holding the title on the
  deadline (a title later found to be falsely declared again excluded).

Enterprises are counted (家), each once per target however many certificates it held; the rows by
市州 and year count certificates. The number currently in force is always shown beside the target.
"""

from __future__ import annotations

import enum
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sme_common.rules import RuleViolation

IN_FORCE_STATUSES = frozenset({"valid", "under_re_review"})
"""Under re-review (复核) the title stays valid (policy-facts §1.6)."""
FALSE_DECLARATION = "false_declaration"


class Counting(enum.StrEnum):
    CUMULATIVE = "cumulative"  # 累计培育
    IN_FORCE = "in_force"  # 数量达到 (held on the deadline)


@dataclass(frozen=True, slots=True)
class Title:
    """One certificate as the statistics read it. ``ended_on``: the first day it was no longer in
    force (the revocation date, or the day after the last valid day), None while in force."""

    uscc: str
    tier: str
    level: str
    reporting_unit_code: str
    issued_on: date
    ended_on: date | None
    status: str
    revocation_reason: str | None

    @property
    def falsely_declared(self) -> bool:
        return self.status == "revoked" and self.revocation_reason == FALSE_DECLARATION

    @property
    def in_force(self) -> bool:
        return self.status in IN_FORCE_STATUSES

    def held_on(self, day: date) -> bool:
        return self.issued_on <= day and (self.ended_on is None or day < self.ended_on)


@dataclass(frozen=True, slots=True)
class Target:
    tier: str
    level: str | None  # None: any level
    at_least: int
    name_zh: str

    def covers(self, title: Title) -> bool:
        return title.tier == self.tier and (self.level is None or title.level == self.level)


@dataclass(frozen=True, slots=True)
class TargetSet:
    id: str
    province_code: str
    name_zh: str
    sources: tuple[str, ...]
    deadline_on: date
    counting: Counting
    counting_note_zh: str
    counted_from: date | None
    counted_from_verification: str
    targets: tuple[Target, ...]


@dataclass(frozen=True, slots=True)
class TargetsFile:
    version: str
    sets: tuple[TargetSet, ...]

    def for_province(self, province_code: str) -> TargetSet | None:
        return next((s for s in self.sets if s.province_code == province_code), None)


def parse_targets(raw: Mapping[str, Any]) -> TargetsFile:
    """The targets file, read strictly (a malformed file fails at start, not in a report)."""
    sets = []
    for item in raw["sets"]:
        counted_from = item.get("counted_from")
        sets.append(
            TargetSet(
                id=item["id"],
                province_code=item["province_code"],
                name_zh=item["name_zh"],
                sources=tuple(item["sources"]),
                deadline_on=date.fromisoformat(item["deadline_on"]),
                counting=Counting(item["counting"]),
                counting_note_zh=item["counting_note_zh"],
                counted_from=date.fromisoformat(counted_from) if counted_from else None,
                counted_from_verification=item["counted_from_verification"],
                targets=tuple(
                    Target(t["tier"], t["level"], int(t["at_least"]), t["name_zh"])
                    for t in item["targets"]
                ),
            )
        )
    provinces = [s.province_code for s in sets]
    if len(provinces) != len(set(provinces)):
        raise ValueError("targets file: one target set per province")
    return TargetsFile(version=raw["version"], sets=tuple(sets))


def check_province(province_code: str, known_provinces: Iterable[str]) -> None:
    if province_code not in set(known_provinces):
        raise RuleViolation(
            "province_unknown",
            f"{province_code} is not a province in force",
            f"{province_code} 不是现行有效的省级行政区划代码",
            field="province_code",
        )


@dataclass(frozen=True, slots=True)
class TitleRow:
    """Certificates of one tier and level, in one 市州, issued in one year."""

    tier: str
    level: str
    reporting_unit_code: str
    year: int
    granted: int
    in_force: int
    expired: int
    revoked: int
    revoked_false_declaration: int


def title_rows(titles: Iterable[Title]) -> list[TitleRow]:
    groups: dict[tuple[str, str, str, int], Counter[str]] = defaultdict(Counter)
    for title in titles:
        counts = groups[(title.tier, title.level, title.reporting_unit_code, title.issued_on.year)]
        counts["granted"] += 1
        counts["in_force"] += title.in_force
        counts["expired"] += title.status == "expired"
        counts["revoked"] += title.status == "revoked"
        counts["revoked_false_declaration"] += title.falsely_declared
    return [
        TitleRow(
            tier,
            level,
            unit,
            year,
            granted=c["granted"],
            in_force=c["in_force"],
            expired=c["expired"],
            revoked=c["revoked"],
            revoked_false_declaration=c["revoked_false_declaration"],
        )
        for (tier, level, unit, year), c in sorted(groups.items())
    ]


@dataclass(frozen=True, slots=True)
class TargetProgress:
    target: Target
    counting: Counting
    counted_on: date
    """The deadline, or today while the deadline has not come."""
    counted: int
    """Enterprises counted toward the target on ``counted_on``, the target's way."""
    cumulative_now: int
    """Enterprises ever granted the title (false declarations excluded), today."""
    in_force_now: int
    """Enterprises holding the title today."""
    met: bool | None
    """Only when the counts cover the whole province (a 市州's share cannot meet a province's
    target); None otherwise."""


def _counts_toward(target_set: TargetSet, title: Title, day: date) -> bool:
    if title.falsely_declared or title.issued_on > day:
        return False
    if target_set.counted_from is not None and title.issued_on < target_set.counted_from:
        return False
    if target_set.counting is Counting.IN_FORCE:
        return title.held_on(day)
    return True


def progress(
    target_set: TargetSet, titles: Sequence[Title], *, today: date, whole_province: bool
) -> list[TargetProgress]:
    counted_on = min(today, target_set.deadline_on)
    report = []
    for target in target_set.targets:
        covered = [t for t in titles if target.covers(t)]
        counted = len({t.uscc for t in covered if _counts_toward(target_set, t, counted_on)})
        report.append(
            TargetProgress(
                target=target,
                counting=target_set.counting,
                counted_on=counted_on,
                counted=counted,
                cumulative_now=len({t.uscc for t in covered if not t.falsely_declared}),
                in_force_now=len({t.uscc for t in covered if t.in_force}),
                met=counted >= target.at_least if whole_province else None,
            )
        )
    return report


@dataclass(frozen=True, slots=True)
class FunnelRow:
    """Applications of one batch by status (培育漏斗), and the titles granted from it."""

    batch_id: str
    tier: str
    level: str
    year: int
    by_status: dict[str, int]
    filed: int
    granted: int


def funnel_row(
    batch_id: str, tier: str, level: str, year: int, by_status: Mapping[str, int], granted: int
) -> FunnelRow:
    return FunnelRow(
        batch_id=batch_id,
        tier=tier,
        level=level,
        year=year,
        by_status=dict(sorted(by_status.items())),
        filed=sum(n for status, n in by_status.items() if status != "draft"),
        granted=granted,
    )
