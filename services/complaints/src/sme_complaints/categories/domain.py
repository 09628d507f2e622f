"""The complaint categories (投诉类别) as data: ``data/categories_v1.json`` (versioned, citing the
2025 regulation and the 2021 measures). Pure: no FastAPI, no SQLAlchemy."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any


@dataclass(frozen=True)
class Category:
    code: str
    name: str
    name_en: str
    description: str
    contract_subjects: tuple[str, ...]
    required: tuple[str, ...]
    """Fields this category needs beyond the common ones; ``a|b`` means one of them."""
    keywords: tuple[str, ...]


@dataclass(frozen=True)
class Catalogue:
    version: str
    valid_from: str
    sources: tuple[str, ...]
    common_fields: tuple[dict[str, Any], ...]
    categories: tuple[Category, ...]

    def get(self, code: str) -> Category | None:
        return next((c for c in self.categories if c.code == code), None)


@cache
def catalogue() -> Catalogue:
    raw = json.loads(
        resources.files("sme_complaints.categories")
        .joinpath("data/categories_v1.json")
        .read_text(encoding="utf-8")
    )
    return Catalogue(
        version=raw["version"],
        valid_from=raw["valid_from"],
        sources=tuple(raw["sources"]),
        common_fields=tuple(raw["common_fields"]),
        categories=tuple(
            Category(
                code=c["code"],
                name=c["name"],
                name_en=c["name_en"],
                description=c["description"],
                contract_subjects=tuple(c["contract_subjects"]),
                required=tuple(c["required"]),
                keywords=tuple(c["keywords"]),
            )
            for c in raw["categories"]
        ),
    )


def missing_fields(category: Category, present: Mapping[str, object]) -> list[str]:
    """The category's required fields (``a|b``: one of them) that ``present`` lacks (None)."""
    missing = []
    for requirement in category.required:
        options = requirement.split("|")
        if all(present.get(option) is None for option in options):
            missing.append(requirement)
    return missing
