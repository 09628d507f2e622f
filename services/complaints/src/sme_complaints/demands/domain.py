"""The rules of an enterprise demand (企业诉求, 诉求工作台账), pure: no FastAPI, no SQLAlchemy.

Seed 000 (二十二): 及时掌握企业要素保障等方面存在的问题诉求…建立工作台账，实行清单化闭环管理 (省工信厅负责).
A demand is the second kind of case of this service, on the same clocks as a complaint (the
working-day calendar, ``cases.domain.DeadlineRule``, breach the day after the last day)::

    recorded ─assign→ assigned ─answer→ answered ─confirm→ closed
                         ↑                  │
                         └────reopen────────┘   (the enterprise is not satisfied, with a reason)

Clocks: ``assign`` runs while a demand waits for its department, ``answer`` while the department
holds it (restarted by a reopen); none while the enterprise reads the answer. Lengths are data
(``data/deadline_rules_v1.json``); the seed gives none, so they are marked unverified there.
"""

from __future__ import annotations

import enum
import json
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from sme_common.reference.regions import RegionCatalog
from sme_complaints.cases.domain import (
    DeadlineRule,
    DeadlineRules,
    Department,
    TransitionNotAllowed,
)
from sme_complaints.cases.domain import routing as case_routing


class DemandStatus(enum.StrEnum):
    RECORDED = "recorded"
    ASSIGNED = "assigned"
    ANSWERED = "answered"
    CLOSED = "closed"


class DemandAction(enum.StrEnum):
    RECORD = "record"
    """Recording the demand; never a step of an existing one."""
    ASSIGN = "assign"
    ANSWER = "answer"
    CONFIRM = "confirm"
    REOPEN = "reopen"


class DemandSource(enum.StrEnum):
    """How the demand reached the ledger (包抓联 / 六必访 visits, letters and calls, the platform)."""

    COMMISSIONER = "commissioner"
    VISIT = "visit"
    LETTER = "letter"
    HOTLINE = "hotline"
    PLATFORM = "platform"


class DemandActor(enum.StrEnum):
    REGION = "region"
    """Officers of the enterprise's region (assign)."""
    DEPARTMENT = "department"
    """Officers of the department holding the demand (answer)."""
    ENTERPRISE = "enterprise"
    """The enterprise, or an officer of its region recording how it confirmed (confirm, reopen)."""


_S, _A = DemandStatus, DemandAction
TRANSITIONS: dict[tuple[DemandStatus, DemandAction], DemandStatus] = {
    (_S.RECORDED, _A.ASSIGN): _S.ASSIGNED,
    (_S.ASSIGNED, _A.ANSWER): _S.ANSWERED,
    (_S.ANSWERED, _A.CONFIRM): _S.CLOSED,
    (_S.ANSWERED, _A.REOPEN): _S.ASSIGNED,
}
ACTORS: dict[DemandAction, DemandActor] = {
    _A.ASSIGN: DemandActor.REGION,
    _A.ANSWER: DemandActor.DEPARTMENT,
    _A.CONFIRM: DemandActor.ENTERPRISE,
    _A.REOPEN: DemandActor.ENTERPRISE,
}
OPEN_STATUSES = frozenset({_S.RECORDED, _S.ASSIGNED, _S.ANSWERED})
CLOCK_OF_STATUS: dict[DemandStatus, str] = {_S.RECORDED: "assign", _S.ASSIGNED: "answer"}
"""The clock that runs in a status; none while the enterprise reads the answer, none when closed."""


@dataclass(frozen=True)
class DemandStep:
    action: DemandAction
    from_status: DemandStatus
    to_status: DemandStatus


def next_step(status: DemandStatus, action: DemandAction) -> DemandStep:
    """The step ``action`` makes from ``status``, or ``TransitionNotAllowed``."""
    to_status = TRANSITIONS.get((status, action))
    if to_status is None:
        raise TransitionNotAllowed(
            "transition_not_allowed",
            f"A demand that is {status} cannot take the step {action}",
            f"诉求当前状态为 {status}，不能执行 {action}",
        )
    return DemandStep(action, status, to_status)


# --- deadlines --------------------------------------------------------------------------------


@cache
def deadline_rules() -> DeadlineRules:
    """The demands' periods, in the shape of the complaints' rules (``cases.domain``)."""
    raw = json.loads(
        resources.files("sme_complaints.demands")
        .joinpath("data/deadline_rules_v1.json")
        .read_text(encoding="utf-8")
    )
    return DeadlineRules(
        version=raw["version"],
        sources=raw["sources"],
        rules=raw["rules"],
        overrides=raw["province_overrides"],
        reminder_working_days_before=int(raw["reminder_working_days_before"]),
    )


def rule(clock: str, province_code: str) -> DeadlineRule:
    return deadline_rules().rule(clock, province_code)


def unverified(clock: str) -> bool:
    return bool(deadline_rules().rules[clock].get("unverified", False))


# --- topics and routing -----------------------------------------------------------------------


@dataclass(frozen=True)
class Topic:
    code: str
    name: str
    name_en: str
    department: str
    department_name: str
    department_name_en: str


@dataclass(frozen=True)
class DemandRouting:
    """Topics (要素保障 areas) and the departments that answer them (属地: the 市州's department
    for the topic; the province for a province-level demand)."""

    version: str
    source: str
    topics: dict[str, Topic]
    departments: dict[str, Department]
    province_department: str

    def route(self, topic_code: str, reporting_unit_code: str) -> Department:
        topic = self.topics[topic_code]
        department = self.departments.get(f"gs-{reporting_unit_code}-{topic.department}")
        return department or self.departments[self.province_department]

    def escalation_of(self, department_id: str | None) -> str:
        """The level above a department (督办 on breach): the province (省工信厅) above every
        市州 department, the provincial government above the province."""
        department = self.departments.get(department_id or "")
        if department is None or department.parent_id is None:
            return "provincial_government"
        return department.parent_id


@cache
def demand_routing() -> DemandRouting:
    raw: dict[str, Any] = json.loads(
        resources.files("sme_complaints.demands")
        .joinpath("data/topics_v1.json")
        .read_text(encoding="utf-8")
    )
    topics = {t["code"]: Topic(**t) for t in raw["topics"]}
    province = raw["province_department"]["id"]
    # The complaints' departments are known here too (a demand may be sent to any of them).
    departments = dict(case_routing().departments)
    for unit in RegionCatalog.load().reporting_units("620000"):
        for topic in topics.values():
            department_id = f"gs-{unit.code}-{topic.department}"
            if department_id in departments:
                continue
            departments[department_id] = Department(
                id=department_id,
                name=f"{unit.name}{topic.department_name}",
                name_en=f"{unit.code} {topic.department_name_en}",
                region_code=unit.code,
                level="reporting_unit",
                parent_id=province,
            )
    return DemandRouting(
        version=raw["version"],
        source=raw["source"],
        topics=topics,
        departments=departments,
        province_department=province,
    )
