"""Named problems: one code, field and pair of messages wherever they are raised."""

from __future__ import annotations

import pytest

from sme_common.auth.principal import Principal, RegionScope
from sme_common.errors import Conflict, Forbidden, NotFound
from sme_common.ids import make_uscc
from sme_common.problems import (
    ENTERPRISE,
    Resource,
    ensure_in_region,
    enterprise_in_scope,
    expect_version,
    not_found,
    region_forbidden,
    version_conflict,
)

FLAG = Resource("flag", "credit flag {key}", "信用标记 {key}")


def principal(region: str) -> Principal:
    return Principal(subject="officer-1", roles=frozenset({"city_officer"}), region=region)


def test_not_found_names_the_resource_and_key_in_both_languages() -> None:
    error = not_found(FLAG, "flag_1", field="flag_id")
    assert isinstance(error, NotFound) and error.status == 404
    assert (error.code, error.field) == ("flag_not_found", "flag_id")
    assert "credit flag flag_1" in error.detail and "信用标记 flag_1" in error.detail_zh


def test_a_version_conflict_carries_the_current_version() -> None:
    stale = version_conflict(ENTERPRISE, "X", current=4, sent=3)
    assert isinstance(stale, Conflict) and stale.status == 409
    assert (stale.code, stale.field, stale.extra) == (
        "version_conflict",
        "version",
        {"current_version": 4},
    )
    assert "4" in stale.detail and "3" in stale.detail and "当前版本 4" in stale.detail_zh
    missing = version_conflict(FLAG, "flag_1", current=None, sent=1)
    assert missing.extra == {"current_version": None} and "flag_1" in missing.detail


def test_a_change_without_the_version_it_read_is_version_required_and_a_stale_one_a_conflict() -> (
    None
):
    expect_version(FLAG, "flag_1", current=2, sent=2)
    with pytest.raises(Conflict) as required:
        expect_version(FLAG, "flag_1", current=2, sent=None)
    assert (required.value.code, required.value.field, required.value.extra) == (
        "version_required",
        "version",
        {"current_version": 2},
    )
    assert "credit flag flag_1" in required.value.detail
    with pytest.raises(Conflict) as stale:
        expect_version(FLAG, "flag_1", current=2, sent=1)
    assert (stale.value.code, stale.value.extra) == ("version_conflict", {"current_version": 2})


def test_a_place_outside_the_principals_region_is_region_forbidden() -> None:
    lanzhou = principal("620100")
    ensure_in_region(lanzhou, "620102", "620100")
    with pytest.raises(Forbidden) as refused:
        ensure_in_region(lanzhou, "620502", "620500")
    assert (refused.value.code, refused.value.field) == ("region_forbidden", "region_code")
    assert "620502" in refused.value.detail
    assert region_forbidden("620502", field="x").field == "x"


async def test_an_enterprise_outside_the_scope_is_the_same_404_as_an_absent_one() -> None:
    seen: list[tuple[str, RegionScope]] = []

    async def lookup(reader: str, uscc: str, scope: RegionScope) -> dict[str, str] | None:
        seen.append((uscc, scope))
        return {"uscc": uscc} if reader == "has-it" else None

    lanzhou = principal("620100")
    assert await enterprise_in_scope(lookup, "has-it", "X", lanzhou) == {"uscc": "X"}
    with pytest.raises(NotFound) as refused:
        await enterprise_in_scope(lookup, "empty", "Y", lanzhou)
    assert (refused.value.code, refused.value.field) == ("enterprise_not_found", "uscc")
    assert seen == [("X", lanzhou.region_scope()), ("Y", lanzhou.region_scope())]


async def test_an_enterprise_asking_for_another_enterprise_is_a_404_before_any_read() -> None:
    own, other = (
        make_uscc(region="620102", body="MA0000A1"),
        make_uscc(region="620102", body="MA0000B2"),
    )
    enterprise = Principal(subject="person-1", roles=frozenset({"enterprise"}), uscc=own)
    seen: list[tuple[str, RegionScope]] = []

    async def lookup(reader: str, uscc: str, scope: RegionScope) -> dict[str, str] | None:
        seen.append((uscc, scope))
        return {
            "uscc": uscc
        }  # a lookup that forgot the scope: the enterprise still sees itself only

    assert await enterprise_in_scope(lookup, "r", own, enterprise) == {"uscc": own}
    with pytest.raises(NotFound) as refused:
        await enterprise_in_scope(lookup, "r", other, enterprise)
    assert refused.value.code == "enterprise_not_found"
    assert seen == [(own, RegionScope.of_enterprise(own))]


def test_an_enterprise_may_not_place_anything_in_a_region() -> None:
    enterprise = Principal(
        subject="person-1",
        roles=frozenset({"enterprise"}),
        uscc=make_uscc(region="620102", body="MA0000A1"),
    )
    with pytest.raises(Forbidden) as refused:
        ensure_in_region(enterprise, "620102", "620100")
    assert refused.value.code == "region_forbidden"
