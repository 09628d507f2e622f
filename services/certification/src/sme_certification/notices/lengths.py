"""The provinces' notice lengths, read from ``notice_lengths.json`` (data, not code)."""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any

from sme_certification.notices.domain import NoticeLength, NoticeUnit


def _rule(raw: dict[str, Any]) -> NoticeLength:
    return NoticeLength(
        length=int(raw["length"]),
        unit=NoticeUnit(raw["unit"]),
        source=str(raw["source"]),
        verified=bool(raw["verified"]),
    )


@cache
def _table() -> tuple[NoticeLength, dict[str, NoticeLength]]:
    text = resources.files("sme_certification.notices").joinpath("notice_lengths.json").read_text()
    raw = json.loads(text)
    return _rule(raw["default"]), {code: _rule(r) for code, r in raw["provinces"].items()}


def for_province(province_code: str) -> NoticeLength:
    default, provinces = _table()
    return provinces.get(province_code, default)
