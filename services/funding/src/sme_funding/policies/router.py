"""The policy catalogue, read-only: what each province pays, for what, on which legal basis."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query

from sme_common.errors import InvalidInput, NotFound, problems
from sme_funding.dependencies import reader
from sme_funding.policies.book import load_book
from sme_funding.policies.schemas import (
    POLICY_CODE_PATTERN,
    PROVINCE_CODE_PATTERN,
    PolicyDetail,
    PolicyList,
    PolicyRead,
    PolicyVersionRead,
    StackingRead,
)

router = APIRouter(tags=["policies"])

OnQuery = Annotated[
    str | None,
    Query(
        pattern=r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$",
        description="only the versions in force on this day, YYYY-MM-DD (default: every version)",
        json_schema_extra={"format": "date"},
    ),
]
ProvinceQuery = Annotated[
    str | None,
    Query(pattern=PROVINCE_CODE_PATTERN, description="a province's 6-digit code (620000 甘肃)"),
]
PolicyCodePath = Annotated[
    str,
    Path(pattern=POLICY_CODE_PATTERN, max_length=64, description="the policy's code"),
]


def _day(on: str | None) -> date | None:
    """A calendar day written ISO 8601 (``2023-02-30`` is refused, not guessed)."""
    if on is None:
        return None
    try:
        return date.fromisoformat(on)
    except ValueError:
        raise InvalidInput(
            "date_invalid", f"{on} is not a calendar day", f"{on} 不是有效日期", field="on"
        ) from None


@router.get(
    "/policies",
    response_model=PolicyList,
    responses=problems(codes={422: ("date_invalid",)}),
    dependencies=[Depends(reader)],
)
async def list_policies(province_code: ProvinceQuery = None, on: OnQuery = None) -> PolicyList:
    """The policies (政策事项) of every province or of one, each version with its citation,
    trigger, amount rule, effective dates, payee and fund; with ``on``, only those in force that
    day. A small catalogue shipped with the service: one page, no cursor."""
    day = _day(on)
    book = load_book()
    return PolicyList(on=day, items=[PolicyRead.of(p) for p in book.in_force(province_code, day)])


@router.get(
    "/policies/{policy_code}",
    response_model=PolicyDetail,
    responses=problems(404, codes={404: ("policy_not_found",), 422: ("date_invalid",)}),
    dependencies=[Depends(reader)],
)
async def get_policy(policy_code: PolicyCodePath, on: OnQuery = None) -> PolicyDetail:
    """One policy: the version in force on ``on`` (default: its latest version), its citations,
    the stacking rules it is in, and all its versions."""
    day = _day(on)
    book = load_book()
    policy = book.get(policy_code, day)
    if policy is None:
        suffix = f" in force on {day.isoformat()}" if day else ""
        suffix_zh = f"（{day.isoformat()}有效）" if day else ""
        raise NotFound(
            "policy_not_found",
            f"No policy {policy_code}{suffix}",
            f"没有政策事项 {policy_code}{suffix_zh}",
            field="policy_code",
        )
    return PolicyDetail(
        **PolicyRead.of(policy).model_dump(),
        stacking=[StackingRead.of(rule) for rule in book.stacking_for(policy.code)],
        versions=[
            PolicyVersionRead(
                version=v.version, effective_from=v.effective_from, effective_to=v.effective_to
            )
            for v in book.versions(policy.code)
        ],
    )
