"""Text hygiene for names and free text a caller sends: one rule for the API, the importer and events.

- Control characters (Unicode Cc: NUL, CR, LF, TAB, …) and format characters (Cf: zero-width space
  U+200B, bidi overrides such as U+202E, the BOM) are refused: they make two names that look the same
  compare different, and they hide text from the officer who reads it.
- Text is stored as written, in NFC: an official name keeps its full-width brackets (兰州示例（集团）).
- Search and duplicate detection compare the NFKC fold (``fold``), in which 兰州示例（集团） and
  兰州示例(集团) are the same, and so are full-width and half-width letters and digits.
- Codes (USCC, region, industry) are upper-cased and half-width (``normalize_code``).
"""

from __future__ import annotations

import unicodedata
from typing import Annotated

from pydantic import AfterValidator
from pydantic_core import PydanticCustomError

_REFUSED_CATEGORIES = {
    "Cc": ("text_control_character", "control character", "控制字符"),
    "Cf": ("text_format_character", "invisible format character", "不可见的格式字符"),
    "Cs": ("text_format_character", "lone surrogate", "无效的代理字符"),
}


class TextError(ValueError):
    """Text a caller sent that the platform refuses; ``code`` is stable, the messages say where."""

    def __init__(self, code: str, detail: str, detail_zh: str) -> None:
        super().__init__(detail)
        self.code, self.detail, self.detail_zh = code, detail, detail_zh


def refused_character(value: str) -> tuple[int, str] | None:
    """The position and category of the first refused character, or None."""
    for position, char in enumerate(value):
        category = unicodedata.category(char)
        if category in _REFUSED_CATEGORIES:
            return position, category
    return None


def clean_text(value: str) -> str:
    """The text as it is stored: NFC, surrounding blanks removed; refused characters raise."""
    found = refused_character(value)
    if found is not None:
        position, category = found
        code, what, what_zh = _REFUSED_CATEGORIES[category]
        char = value[position]
        raise TextError(
            code,
            f"{what} U+{ord(char):04X} at position {position + 1} is not allowed",
            f"第 {position + 1} 个字符 U+{ord(char):04X} 是{what_zh}，不允许出现",
        )
    return unicodedata.normalize("NFC", value).strip()


def fold(value: str) -> str:
    """The form names are compared in (search, duplicate detection): NFKC, case-folded, no blanks."""
    return "".join(unicodedata.normalize("NFKC", value).casefold().split())


def normalize_code(value: str) -> str:
    """A code as stored: half-width (NFKC), upper case, no surrounding blanks."""
    return unicodedata.normalize("NFKC", value).strip().upper()


def _pydantic_clean_text(value: str) -> str:
    try:
        return clean_text(value)
    except TextError as exc:
        raise PydanticCustomError(exc.code, exc.detail) from None


CLEAN_TEXT = AfterValidator(_pydantic_clean_text)
"""The rules above as a pydantic validator, for an optional field whose length is limited: the
limit must come first, ``Annotated[str, Field(max_length=100), CLEAN_TEXT] | None``, or pydantic
checks it as a generic length after validation (error ``too_long`` counting "items")."""

CleanText = Annotated[str, CLEAN_TEXT]
"""A required request field of free text under the rules above (``CleanText = Field(max_length=…)``)."""

__all__ = [
    "CLEAN_TEXT",
    "CleanText",
    "TextError",
    "clean_text",
    "fold",
    "normalize_code",
    "refused_character",
]
