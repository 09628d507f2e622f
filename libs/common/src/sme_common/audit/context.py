"""Who is acting, for the audit: set once where a caller is authorised, read where a write commits.

``require`` (``sme_common.auth.dependencies``) sets the actor for an authorised request; the consumer
runner sets the event's source service for an event; a background job that outlives its request sets
the job's owner with ``acting_as``. Nothing downstream takes an ``actor`` argument for the audit.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # at run time this module imports nothing of ``auth``, which imports it
    from sme_common.auth.principal import Principal


@dataclass(frozen=True)
class Actor:
    subject: str
    roles: tuple[str, ...] = ()
    client: str | None = None

    @classmethod
    def of(cls, principal: Principal) -> Actor:
        return cls(principal.subject, tuple(sorted(principal.roles)), principal.client_id)

    @classmethod
    def service(cls, source: str) -> Actor:
        """An event's producer (CloudEvents ``source`` such as ``/sme/certification``)."""
        name = source.rstrip("/").rsplit("/", 1)[-1] or source
        return cls(f"service:{name}", (), name)

    def as_json(self) -> dict[str, Any]:
        return {"subject": self.subject, "roles": list(self.roles), "client": self.client}


# Unknown actors are recorded as such, never guessed: a write outside any request, event or job.
UNATTRIBUTED = Actor("unattributed")

actor_var: ContextVar[Actor | None] = ContextVar("audit_actor", default=None)


def current_actor() -> Actor:
    return actor_var.get() or UNATTRIBUTED


def act_for_job(owner_subject: str) -> None:
    """In a background job: keep the actor its request handed over (a task copies the context),
    or else name the job's owner, so the job's writes are never unattributed."""
    current = actor_var.get()
    if current is None or current.subject != owner_subject:
        actor_var.set(Actor(owner_subject))


@contextlib.contextmanager
def acting_as(actor: Actor) -> Iterator[Actor]:
    token = actor_var.set(actor)
    try:
        yield actor
    finally:
        actor_var.reset(token)
