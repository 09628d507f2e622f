"""The rules of a complaint case (投诉处理), pure: no FastAPI, no SQLAlchemy.

Lifecycle (国务院令第802号 第二十五条; 工信部企业〔2021〕224号)::

    received ─accept→ accepted ─transfer→ transferred ─receive→ in_handling ─resolve→ resolved ─visit→ visited
        │                ↑  └─close→ closed                │  └─return─┐    │  └─close→ closed ─visit→ visited
        └─not_accept→ not_accepted   └───────return (退单)──┴────────────┘    └─extend (once, ≤ 90 days)

A case waiting for the complainant's material is *paused* (``pause`` / ``resume``, any open status
with a clock); a paused case takes no other step but ``resume`` or ``close``. Deadlines come from
``data/deadline_rules_v1.json`` (per province: Liaoning accepts within 7 working days) and run on
the Chinese working-day calendar or in calendar days, as each rule says; a pause moves the running
deadline by the working days (or days) it lasted.
"""

from __future__ import annotations

import enum
import json
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache
from importlib import resources
from typing import Any

from sme_common.calendar import WorkdayCalendar


class CaseStatus(enum.StrEnum):
    RECEIVED = "received"
    ACCEPTED = "accepted"
    NOT_ACCEPTED = "not_accepted"
    TRANSFERRED = "transferred"
    IN_HANDLING = "in_handling"
    RESOLVED = "resolved"
    CLOSED = "closed"
    VISITED = "visited"


class CaseAction(enum.StrEnum):
    FILE = "file"
    """Intake (the case is received); never a step of an existing case."""
    ACCEPT = "accept"
    NOT_ACCEPT = "not_accept"
    TRANSFER = "transfer"
    RECEIVE = "receive"
    RETURN = "return"
    EXTEND = "extend"
    PAUSE = "pause"
    RESUME = "resume"
    RESOLVE = "resolve"
    CLOSE = "close"
    VISIT = "visit"


class Actor(enum.StrEnum):
    """Who takes a step: the accepting department (受理投诉部门, the province) or the handling
    department (处理投诉部门) holding the case."""

    ACCEPTING = "accepting"
    HANDLING = "handling"


_S, _A = CaseStatus, CaseAction
TRANSITIONS: dict[tuple[CaseStatus, CaseAction], CaseStatus] = {
    (_S.RECEIVED, _A.ACCEPT): _S.ACCEPTED,
    (_S.RECEIVED, _A.NOT_ACCEPT): _S.NOT_ACCEPTED,
    (_S.RECEIVED, _A.CLOSE): _S.CLOSED,
    (_S.ACCEPTED, _A.TRANSFER): _S.TRANSFERRED,
    (_S.ACCEPTED, _A.CLOSE): _S.CLOSED,
    (_S.TRANSFERRED, _A.RECEIVE): _S.IN_HANDLING,
    (_S.TRANSFERRED, _A.RETURN): _S.ACCEPTED,
    (_S.IN_HANDLING, _A.RETURN): _S.ACCEPTED,
    (_S.IN_HANDLING, _A.EXTEND): _S.IN_HANDLING,
    (_S.IN_HANDLING, _A.RESOLVE): _S.RESOLVED,
    (_S.IN_HANDLING, _A.CLOSE): _S.CLOSED,
    (_S.RESOLVED, _A.VISIT): _S.VISITED,
    (_S.CLOSED, _A.VISIT): _S.VISITED,
}
PAUSABLE = frozenset({_S.RECEIVED, _S.ACCEPTED, _S.IN_HANDLING})
OPEN_STATUSES = frozenset({_S.RECEIVED, _S.ACCEPTED, _S.TRANSFERRED, _S.IN_HANDLING})
CLOCK_OF_STATUS: dict[CaseStatus, str] = {
    _S.RECEIVED: "accept",
    _S.ACCEPTED: "transfer",
    _S.IN_HANDLING: "handle",
}
"""The statutory clock that runs while a case is in a status (none while it travels to the
department, none once it is finished)."""


def actor_of(status: CaseStatus, action: CaseAction) -> Actor:
    """Whose step it is: the department holding a transferred case acts on it (receive, return,
    extend, resolve, close, pause while handling); the accepting department does the rest."""
    if status in (_S.TRANSFERRED, _S.IN_HANDLING) and action is not _A.VISIT:
        return Actor.HANDLING
    return Actor.ACCEPTING


class TransitionNotAllowed(Exception):
    def __init__(self, code: str, detail: str, detail_zh: str) -> None:
        super().__init__(detail)
        self.code, self.detail, self.detail_zh = code, detail, detail_zh


@dataclass(frozen=True)
class Step:
    action: CaseAction
    from_status: CaseStatus
    to_status: CaseStatus


def next_step(
    status: CaseStatus, action: CaseAction, *, paused: bool, extended: bool = False
) -> Step:
    """The step ``action`` makes from ``status``, or ``TransitionNotAllowed``."""
    if action is _A.PAUSE:
        if paused:
            raise TransitionNotAllowed(
                "case_already_paused", "The case is already paused", "案件已处于暂停计时状态"
            )
        if status not in PAUSABLE:
            raise _refused(status, action)
        return Step(action, status, status)
    if action is _A.RESUME:
        if not paused:
            raise TransitionNotAllowed(
                "case_not_paused", "The case is not paused", "案件未处于暂停计时状态"
            )
        return Step(action, status, status)
    if paused and action is not _A.CLOSE:
        raise TransitionNotAllowed(
            "case_paused",
            "The case waits for the complainant's material: resume it first",
            "案件正在等待投诉人补充材料（暂停计时），请先恢复计时",
        )
    if action is _A.EXTEND and extended:
        raise TransitionNotAllowed(
            "already_extended",
            "The handling period was extended already (90 days in total at most)",
            "处理期限已延长过（累计不得超过90日）",
        )
    to_status = TRANSITIONS.get((status, action))
    if to_status is None:
        raise _refused(status, action)
    return Step(action, status, to_status)


def _refused(status: CaseStatus, action: CaseAction) -> TransitionNotAllowed:
    return TransitionNotAllowed(
        "transition_not_allowed",
        f"A case that is {status} cannot take the step {action}",
        f"案件当前状态为 {status}，不能执行 {action}",
    )


# --- deadlines --------------------------------------------------------------------------------


@dataclass(frozen=True)
class DeadlineRule:
    name: str
    unit: str  # working_days | days
    days: int
    source: str
    text: str

    def due_on(
        self,
        start: date,
        calendar: WorkdayCalendar,
        *,
        paused_workdays: int = 0,
        paused_days: int = 0,
    ) -> date:
        """The last day of the period that starts on ``start`` (not counted), moved by the
        pauses: working days for a working-day rule, calendar days for a day rule.
        ``CalendarYearUnknown`` when the working-day schedule of a year is not known."""
        if self.unit == "working_days":
            return calendar.add_workdays(start, self.days + paused_workdays)
        return start + timedelta(days=self.days + paused_days)


@dataclass(frozen=True)
class DeadlineRules:
    version: str
    sources: dict[str, str]
    rules: dict[str, dict[str, Any]]
    overrides: dict[str, dict[str, dict[str, Any]]]
    reminder_working_days_before: int

    def rule(self, name: str, province_code: str) -> DeadlineRule:
        raw = {**self.rules[name], **self.overrides.get(province_code, {}).get(name, {})}
        return DeadlineRule(
            name=name,
            unit=raw["unit"],
            days=int(raw["days"]),
            source=self.sources[raw["source"]],
            text=raw["text"],
        )


@cache
def deadline_rules() -> DeadlineRules:
    raw = json.loads(
        resources.files("sme_complaints.cases")
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


def province_of(region_code: str) -> str:
    return f"{region_code[:2]}0000"


def pause_length(started_on: date, ended_on: date, calendar: WorkdayCalendar) -> tuple[int, int]:
    """(working days, calendar days) a pause from ``started_on`` to ``ended_on`` stopped the
    clock: the days after the request for material up to and including the day it arrived."""
    return calendar.workdays_between(started_on, ended_on), (ended_on - started_on).days


def is_breached(due_on: date | None, today: date) -> bool:
    """A deadline is breached the day after its last day."""
    return due_on is not None and today > due_on


# --- routing ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Department:
    id: str
    name: str
    name_en: str
    region_code: str
    level: str
    parent_id: str | None


@dataclass(frozen=True)
class Routing:
    version: str
    departments: dict[str, Department]
    rules: tuple[dict[str, Any], ...]

    def route(
        self, respondent_type: str, respondent_region_code: str, reporting_unit_code: str | None
    ) -> Department:
        """The handling department (属地管理、分级负责、谁主管谁负责): a respondent at provincial
        level goes to the province; a local one to its 市州's department for its type."""
        level = "province" if respondent_region_code.endswith("0000") else "local"
        for rule in self.rules:
            if rule["respondent_level"] == level and respondent_type in rule["respondent_types"]:
                department_id = rule["department"].format(reporting_unit=reporting_unit_code)
                department = self.departments.get(department_id)
                if department is not None:
                    return department
        return self.departments[self.rules[0]["department"]]

    def escalation_of(self, department_id: str | None) -> str:
        """The level above a department (督办 on breach); the provincial government above the
        province."""
        department = self.departments.get(department_id or "")
        if department is None or department.parent_id is None:
            return "provincial_government"
        return department.parent_id


@cache
def routing() -> Routing:
    raw = json.loads(
        resources.files("sme_complaints.cases")
        .joinpath("data/routing_v1.json")
        .read_text(encoding="utf-8")
    )
    return Routing(
        version=raw["version"],
        departments={d["id"]: Department(**d) for d in raw["departments"]},
        rules=tuple(raw["rules"]),
    )


ACCEPTING_DEPARTMENT = "gs-province-sme"
"""The accepting department (受理投诉部门): the province's SME authority."""
