"""The event the facts module publishes, built only through its contract; the API's filing and the
importer call the same builder, so a year filed either way is announced the same way."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sme_common.contracts.events.registry.models import FactsFiledV1, FiledFacts
from sme_registry.facts.domain import DerivedRatios

FACTS_FILED_V1 = FactsFiledV1.event_type
# Every fact the event carries (FactsWrite's fields but ``version``), each present, null if unknown.
FILED_FACT_FIELDS = tuple(FiledFacts.model_fields)


def ratio_texts(ratios: DerivedRatios) -> dict[str, str | None]:
    """The derived ratios as the event carries them: decimal strings (four places), or null."""
    # vars(), not dataclasses.asdict: asdict deep-copies every Decimal (6 µs an event on imports).
    return {name: None if value is None else str(value) for name, value in vars(ratios).items()}


def facts_filed(
    uscc: str,
    *,
    year: int,
    version: int,
    facts: Mapping[str, Any],
    ratios: DerivedRatios,
    at: datetime,
) -> FactsFiledV1:
    """``facts``: the year's facts as stored, with ``source`` (every one of ``FILED_FACT_FIELDS``
    must be there: a filing that forgot one would announce different data from the same change)."""
    filed = FiledFacts(**{field: facts[field] for field in FILED_FACT_FIELDS})
    return FactsFiledV1(
        uscc=uscc,
        year=year,
        version=version,
        facts=filed,
        ratios=ratio_texts(ratios),
        source=facts["source"],
        filed_at=at,
    )
