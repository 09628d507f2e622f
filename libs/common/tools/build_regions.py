"""Generate ``sme_common/reference/data/regions.json`` from python-stdnum's ``cn/loc.dat``.

loc.dat is python-stdnum's copy of the GB/T 2260 codes with their years of validity (policy-facts.md
§5.1 found it to agree with the NBS-derived modood dataset). Run after upgrading python-stdnum:

    .venv/bin/python libs/common/tools/build_regions.py
"""

from __future__ import annotations

import json
import re
from importlib import metadata, resources
from pathlib import Path

OUTPUT = Path(__file__).resolve().parents[1] / "src/sme_common/reference/data/regions.json"
# Provinces the seeds name: Gansu (the first user) in full, Guizhou and Hubei down to prefectures.
PROVINCES = {"62": "county", "52": "prefecture", "42": "prefecture"}
_SEGMENT = re.compile(r"^(?:\[(\d{4})?-(\d{4})?\])?(.+)$")


def parse_name(raw: str) -> tuple[str, int | None, int | None]:
    """``"[1985-2003]秦城区,[2004-]秦州区"`` → (current name, first year, last year or None)."""
    starts: list[int | None] = []
    ends: list[int | None] = []
    name = raw
    for segment in raw.split(","):
        match = _SEGMENT.match(segment.strip())
        assert match, segment
        start, end, name = match.groups()
        starts.append(int(start) if start else None)
        ends.append(int(end) if end else None)
    first = None if None in starts else min(s for s in starts if s is not None)
    last = None if None in ends else max(e for e in ends if e is not None)
    return name, first, last


def main() -> None:
    text = (resources.files("stdnum") / "cn" / "loc.dat").read_text(encoding="utf-8")
    regions: list[dict[str, object]] = []
    province: str | None = None
    for line in text.splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        if not line.startswith(" "):
            code, _, rest = line.partition(" ")
            province = code if code in PROVINCES else None
            continue
        if province is None:
            continue
        suffix, _, rest = line.strip().partition(" ")
        raw = rest.split('"')[1]
        code = province + suffix
        name, first, last = parse_name(raw)
        if suffix == "0000":
            level, parent = "province", None
        elif suffix.endswith("00"):
            level, parent = "prefecture", province + "0000"
        else:
            if PROVINCES[province] != "county":
                continue
            level, parent = "county", code[:4] + "00"
        regions.append(
            {
                "code": code,
                "name": name,
                "level": level,
                "parent_code": parent,
                "valid_from_year": first,
                "valid_to_year": last,
            }
        )
    # 嘉峪关市 has no counties; its single county-level code 620201 (市辖区) is missing from
    # loc.dat but is what its registration authorities use (policy-facts.md §5.1).
    if not any(r["code"] == "620201" for r in regions):
        regions.append(
            {
                "code": "620201",
                "name": "嘉峪关市市辖区",
                "level": "county",
                "parent_code": "620200",
                "valid_from_year": None,
                "valid_to_year": None,
            }
        )
    # 兰州新区 has no GB/T 2260 code; the NBS statistical code 620171 identifies it, and the provincial
    # documents treat it as a unit parallel to the 14 市州 (policy-facts.md §5.1; seeds 000 and 001).
    regions.append(
        {
            "code": "620171",
            "name": "兰州新区",
            "level": "new_area",
            "parent_code": "620000",
            "valid_from_year": 2012,
            "valid_to_year": None,
        }
    )
    document = {
        "version": f"stdnum-{metadata.version('python-stdnum')}",
        "source": "GB/T 2260 administrative division codes with years of validity, from "
        "python-stdnum cn/loc.dat; 兰州新区 (620171) per NBS 统计用区划代码 and Gansu documents "
        "(policy-facts.md §5.1)",
        "generated_by": "libs/common/tools/build_regions.py",
        "regions": sorted(regions, key=lambda r: str(r["code"])),
    }
    OUTPUT.write_text(json.dumps(document, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(f"{OUTPUT}: {len(regions)} regions")  # noqa: T201


if __name__ == "__main__":
    main()
