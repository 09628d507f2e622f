"""Has a directory converged to the register? Counts and a digest on both sides, compared.

The producer's side is read from registry's own outbox, the durable log the directory is built from:
for each enterprise, the highest ``version`` among the events the directory consumer applies. The
consumer's side is ``enterprise_directory`` (uscc, registry_version). Equal digests mean every
enterprise is known, at the version last announced for it. (The register's ``enterprise.version``
is not the right comparison: size-class and tier moves bump it without a directory event.)

``python -m sme_<service> directory-digest`` prints one side (distributed topology: compare them);
``python -m sme_embedded check-convergence`` compares all of them on one server.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from sme_common.directory.consumers import ENTERPRISE_TOPIC, ENTRY_TYPES


@dataclass(frozen=True)
class Digest:
    count: int
    digest: str

    def as_json(self) -> dict[str, object]:
        return {"count": self.count, "digest": self.digest}


# One definition of the text that is hashed, for both sides: "uscc:version" joined by "," in uscc
# order (COLLATE "C", so that both databases sort alike whatever their default collation).
_DIGEST_OF = """
    SELECT count(*) AS count,
           md5(coalesce(string_agg(uscc || ':' || version, ',' ORDER BY uscc COLLATE "C"), ''))
               AS digest
    FROM ({rows}) AS s
"""


def directory_event_types() -> list[str]:
    """The registry event types that carry the entry and its version (what the digest follows;
    the directory applies others too, which carry no version)."""
    return sorted(ENTRY_TYPES)


async def register_digest(session: AsyncSession) -> Digest:
    """Registry's side, from its outbox (published or not: a row still pending means 'not yet')."""
    rows = """
        SELECT key AS uscc,
               max((convert_from(payload, 'UTF8')::jsonb ->> 'version')::bigint) AS version
        FROM outbox_message
        WHERE topic = :topic AND event_type = ANY(:types) AND key IS NOT NULL
        GROUP BY key
    """
    result = await session.execute(
        text(_DIGEST_OF.format(rows=rows)),
        {"topic": ENTERPRISE_TOPIC, "types": directory_event_types()},
    )
    row = result.one()
    return Digest(count=int(row[0]), digest=str(row[1]))


async def directory_digest(session: AsyncSession) -> Digest:
    """A consuming service's side, from its ``enterprise_directory``."""
    rows = "SELECT uscc, registry_version AS version FROM enterprise_directory"
    row = (await session.execute(text(_DIGEST_OF.format(rows=rows)))).one()
    return Digest(count=int(row[0]), digest=str(row[1]))
