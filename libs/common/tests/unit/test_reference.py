"""Regions (GB/T 2260, generated from python-stdnum's loc.dat) and industry sections (GB/T 4754)."""

from __future__ import annotations

import pytest

from sme_common.reference.industries import IndustryCatalog, IndustryCodeError
from sme_common.reference.regions import RegionCatalog

regions = RegionCatalog.load()
industries = IndustryCatalog.load()


def test_gansu_reports_by_14_prefectures_and_lanzhou_new_area() -> None:
    units = regions.reporting_units("620000")
    assert len(units) == 15
    assert [u.code for u in units if u.kind == "new_area"] == ["620171"]
    assert {"620100", "620200", "622900", "623000"} <= {u.code for u in units}


@pytest.mark.parametrize(
    ("region", "unit"),
    [
        ("620102", "620100"),
        ("620100", "620100"),
        ("620171", "620171"),
        ("623001", "623000"),
        ("620502", "620500"),
    ],
)
def test_reporting_unit_of_a_region(region: str, unit: str) -> None:
    found = regions.reporting_unit_for(region)
    assert found is not None and found.code == unit


def test_abolished_codes_validate_only_for_their_years() -> None:
    # 天水 秦城区 was renamed 秦州区 in 2004 under the same code; 张掖地区 (622200) ended in 2002.
    assert regions.is_valid("622200", year=2001)
    assert not regions.is_valid("622200", year=2010)
    assert not regions.is_valid("622200")
    assert regions.reporting_unit_for("622201") is None


def test_guizhou_and_hubei_prefectures_are_known() -> None:
    assert {r.code for r in regions.children("520000")} >= {"520100", "522600", "522700"}
    assert {r.code for r in regions.children("420000")} >= {"420100", "422800"}


@pytest.mark.parametrize(
    ("code", "section", "normalized"),
    [
        ("C", "C", "C"),
        ("C34", "C", "C34"),
        ("c3411", "C", "C3411"),
        ("3411", "C", "C3411"),
        ("I65", "I", "I65"),
        ("70", "K", "K70"),
        ("A05", "A", "A05"),
        ("T97", "T", "T97"),
    ],
)
def test_industry_codes_at_any_depth(code: str, section: str, normalized: str) -> None:
    assert industries.section_for(code).code == section
    assert industries.normalize(code) == normalized


@pytest.mark.parametrize("code", ["A3411", "Z", "99", "C3", "C34111", "", "制造业"])
def test_bad_industry_codes_are_refused(code: str) -> None:
    with pytest.raises(IndustryCodeError):
        industries.section_for(code)
