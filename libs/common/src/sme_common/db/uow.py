"""Unit of work: the service layer opens it, does its work, and commits; anything else rolls back.

Routes and consumers never commit (conventions.md). Events are written to the outbox inside the same
transaction (``uow.publish``), so a state change and its event are committed together or not at all.
The audit is sealed in that transaction too (``sme_common.audit``): rows the triggers captured and
items queued with ``uow.audit(...)`` join the service's hash chain just before the commit.
"""

from __future__ import annotations

from types import TracebackType
from typing import TYPE_CHECKING, Any

from sqlalchemy.ext.asyncio import AsyncSession

if TYPE_CHECKING:
    from sme_common.audit.recorder import AuditItem
    from sme_common.db.engine import Database
    from sme_common.events.envelope import CloudEvent


class UnitOfWork:
    def __init__(self, database: Database) -> None:
        self._database = database
        self._session: AsyncSession | None = None
        self._pending_events: list[tuple[str, CloudEvent]] = []
        self._pending_audit: list[AuditItem] = []

    @property
    def session(self) -> AsyncSession:
        if self._session is None:
            raise RuntimeError("UnitOfWork used outside 'async with'")
        return self._session

    async def __aenter__(self) -> UnitOfWork:
        self._session = self._database.sessionmaker()
        self._pending_events = []
        self._pending_audit = []
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        session = self.session
        try:
            await session.rollback()
        finally:
            await session.close()
            self._session = None

    def publish(self, topic: str, event: CloudEvent) -> None:
        """Queue an event for the outbox; it is written by ``commit`` in the same transaction."""
        self._pending_events.append((topic, event))

    def audit(
        self,
        action: str,
        resource_type: str,
        resource_id: str | None,
        before: Any = None,
        after: Any = None,
        *,
        detail: Any = None,
    ) -> None:
        """Queue an audit item beyond what the row triggers capture (a domain verb, a summary)."""
        from sme_common.audit.recorder import AuditItem

        self.audit_item(AuditItem(action, resource_type, resource_id, before, after, detail))

    def audit_item(self, item: AuditItem) -> None:
        self._pending_audit.append(item)

    async def flush(self) -> None:
        await self.session.flush()

    async def commit(self) -> None:
        from sme_common.audit.recorder import seal, seal_and_commit
        from sme_common.events.outbox import write_outbox_rows

        if self._pending_events:
            await write_outbox_rows(
                self.session,
                self._pending_events,
                public_base_url=self._database.public_base_url,
            )
            self._pending_events = []
        # Last statement before the commit: the chain lock it takes is held only until then, and
        # the two go to the server together (``seal_and_commit``). A test's database commits
        # savepoints inside its own transaction, which only SQLAlchemy's commit knows how to do.
        items, self._pending_audit = self._pending_audit, []
        if self._database.bound:
            await seal(self.session, items)
            await self.session.commit()
        else:
            await seal_and_commit(self.session, items)
