"""GB/T 2260 regions of the provinces the seeds name, and Gansu's reporting units.

Gansu reports by its 14 市州 plus 兰州新区, a national new area with no GB/T 2260 code that the
provincial documents treat as a parallel unit ("各市州、兰州新区", seeds 000 and 001).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from importlib import resources


@dataclass(frozen=True, slots=True)
class Region:
    code: str
    name: str
    level: str  # province | prefecture | county | new_area
    parent_code: str | None
    valid_from_year: int | None
    valid_to_year: int | None

    def valid_in(self, year: int) -> bool:
        return (self.valid_from_year is None or self.valid_from_year <= year) and (
            self.valid_to_year is None or year <= self.valid_to_year
        )


@dataclass(frozen=True, slots=True)
class ReportingUnit:
    code: str
    name: str
    kind: str  # prefecture | new_area


class RegionCatalog:
    def __init__(self, version: str, regions: list[Region]) -> None:
        self.version = version
        self._by_code = {r.code: r for r in regions}

    @classmethod
    @cache
    def load(cls) -> RegionCatalog:
        raw = json.loads(
            (resources.files("sme_common.reference.data") / "regions.json").read_text("utf-8")
        )
        return cls(raw["version"], [Region(**r) for r in raw["regions"]])

    def all(self) -> list[Region]:
        return list(self._by_code.values())

    def get(self, code: str) -> Region | None:
        return self._by_code.get(code)

    def is_valid(self, code: str, *, year: int | None = None) -> bool:
        region = self._by_code.get(code)
        if region is None:
            return False
        return region.valid_to_year is None if year is None else region.valid_in(year)

    def children(self, code: str) -> list[Region]:
        return [r for r in self._by_code.values() if r.parent_code == code]

    def province_of(self, code: str) -> Region | None:
        return self._by_code.get(code[:2] + "0000")

    def prefecture_of(self, code: str) -> Region | None:
        region = self._by_code.get(code[:4] + "00")
        return region if region is not None and region.level == "prefecture" else None

    def reporting_units(self, province: str = "620000") -> list[ReportingUnit]:
        """The units a province reports by: its prefectures in force today, and any new area."""
        return [
            ReportingUnit(r.code, r.name, "new_area" if r.level == "new_area" else "prefecture")
            for r in sorted(self._by_code.values(), key=lambda r: r.code)
            if r.parent_code == province
            and r.level in ("prefecture", "new_area")
            and r.valid_to_year is None
        ]

    def reporting_unit_for(self, region_code: str) -> ReportingUnit | None:
        """A county → its 市州; a 市州 → itself; 620171 → 兰州新区; anything else → None."""
        region = self._by_code.get(region_code)
        if region is None:
            return None
        if region.level == "new_area":
            return ReportingUnit(region.code, region.name, "new_area")
        prefecture = region if region.level == "prefecture" else self.prefecture_of(region_code)
        if prefecture is None or prefecture.valid_to_year is not None:
            return None
        return ReportingUnit(prefecture.code, prefecture.name, "prefecture")
