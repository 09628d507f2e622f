"""Unit of work: the service layer opens it, does its work, and commits; anything else rolls back.

Routes and consumers never commit (conventions.md). Events are written to the outbox inside the same
transaction (``uow.publish``), so a state change and its event are committed together or not at all.
"""

from __future__ import annotations

from types import TracebackType
from typing import TYPE_CHECKING

from sqlalchemy.ext.asyncio import AsyncSession

if TYPE_CHECKING:
    from sme_common.db.engine import Database
    from sme_common.events.envelope import CloudEvent


class UnitOfWork:
    def __init__(self, database: Database) -> None:
        self._database = database
        self._session: AsyncSession | None = None
        self._pending_events: list[tuple[str, CloudEvent]] = []

    @property
    def session(self) -> AsyncSession:
        if self._session is None:
            raise RuntimeError("UnitOfWork used outside 'async with'")
        return self._session

    async def __aenter__(self) -> UnitOfWork:
        self._session = self._database.sessionmaker()
        self._pending_events = []
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

    async def flush(self) -> None:
        await self.session.flush()

    async def commit(self) -> None:
        from sme_common.events.outbox import write_outbox_rows

        if self._pending_events:
            await write_outbox_rows(self.session, self._pending_events)
            self._pending_events = []
        await self.session.commit()
