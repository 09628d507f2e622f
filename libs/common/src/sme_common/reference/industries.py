"""GB/T 4754-2017 国民经济行业分类: sections (门类) and the divisions (大类) each covers.

Codes are accepted at any depth the caller knows: "C", "C34", "C341", "C3411", or the digits alone
("3411"); the division decides the section, and a letter that disagrees with it is an error.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cache
from importlib import resources

_CODE = re.compile(r"^([A-Z])?(\d{2}|\d{3}|\d{4})?$")


class IndustryCodeError(ValueError):
    def __init__(self, detail: str, detail_zh: str) -> None:
        super().__init__(detail)
        self.detail = detail
        self.detail_zh = detail_zh


@dataclass(frozen=True, slots=True)
class Section:
    code: str
    name_zh: str
    name_en: str
    first_division: int
    last_division: int


class IndustryCatalog:
    def __init__(self, version: str, sections: list[Section]) -> None:
        self.version = version
        self._sections = {s.code: s for s in sections}

    @classmethod
    @cache
    def load(cls) -> IndustryCatalog:
        raw = json.loads(
            (resources.files("sme_common.reference.data") / "industries.json").read_text("utf-8")
        )
        return cls(raw["version"], [Section(**s) for s in raw["sections"]])

    def sections(self) -> list[Section]:
        return list(self._sections.values())

    def section_for(self, code: str) -> Section:
        return self._resolve(code)[0]

    def normalize(self, code: str) -> str:
        """The letter-prefixed form: "3411" → "C3411", "c34" → "C34"."""
        section, digits = self._resolve(code)
        return section.code + digits

    def _resolve(self, code: str) -> tuple[Section, str]:
        match = _CODE.match(code.strip().upper())
        if not match or not any(match.groups()):
            raise IndustryCodeError(
                f"{code!r} is not a GB/T 4754-2017 code (a section letter and/or 2–4 digits)",
                f"{code} 不是有效的国民经济行业分类代码",
            )
        letter, digits = match.group(1), match.group(2) or ""
        if not digits:
            section = self._sections.get(letter or "")
            if section is None:
                raise IndustryCodeError(f"no section {letter!r}", f"不存在门类 {letter}")
            return section, ""
        division = int(digits[:2])
        by_division = next(
            (s for s in self._sections.values() if s.first_division <= division <= s.last_division),
            None,
        )
        if by_division is None:
            raise IndustryCodeError(f"no division {digits[:2]}", f"不存在行业大类 {digits[:2]}")
        if letter is not None and letter != by_division.code:
            raise IndustryCodeError(
                f"division {digits[:2]} belongs to section {by_division.code}, not {letter}",
                f"行业大类 {digits[:2]} 属于门类 {by_division.code}，而非 {letter}",
            )
        return by_division, digits
