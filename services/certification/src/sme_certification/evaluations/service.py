"""Rule documents in force, officers' new versions, re-evaluations and the stored results."""

from __future__ import annotations

from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from sme_certification.evaluations import domain, repository
from sme_certification.rules.ruleset import RuleCatalog, packaged_documents


async def catalog_on(session: AsyncSession, day: date) -> RuleCatalog:
    """The rule catalog in force on ``day``: the shipped documents with the officers' stored
    versions in force that day in their place."""
    stored = await repository.stored_documents(session)
    return RuleCatalog.from_documents(domain.documents_in_force(packaged_documents(), stored, day))
