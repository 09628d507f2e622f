from __future__ import annotations

from typing import Any

from pydantic import BaseModel


class FieldDefinition(BaseModel):
    field: str
    datatype: str
    required: bool
    name: str
    name_en: str
    values: list[str] | None = None


class CategoryRead(BaseModel):
    code: str
    name: str
    name_en: str
    description: str
    contract_subjects: list[str]
    required: list[str]
    """Fields this category needs beyond the common ones (``a|b``: one of them)."""
    keywords: list[str]


class CategoryCatalogue(BaseModel):
    version: str
    valid_from: str
    sources: list[str]
    common_fields: list[FieldDefinition]
    items: list[CategoryRead]

    @classmethod
    def of(cls, catalogue: Any) -> CategoryCatalogue:
        return cls(
            version=catalogue.version,
            valid_from=catalogue.valid_from,
            sources=list(catalogue.sources),
            common_fields=[FieldDefinition(**f) for f in catalogue.common_fields],
            items=[
                CategoryRead(
                    code=c.code,
                    name=c.name,
                    name_en=c.name_en,
                    description=c.description,
                    contract_subjects=list(c.contract_subjects),
                    required=list(c.required),
                    keywords=list(c.keywords),
                )
                for c in catalogue.categories
            ],
        )
