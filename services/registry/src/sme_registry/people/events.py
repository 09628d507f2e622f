"""The event the people module publishes, built only through its contract (no table model here)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from typing import Literal, Protocol

from sme_common.contracts.events.registry.models import ServicePeopleChangedV1, ServingPerson

SERVICE_PEOPLE_CHANGED_V1 = ServicePeopleChangedV1.event_type


class Serving(Protocol):
    """A person serving the enterprise, with the day the open assignment began."""

    @property
    def id(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def role(self) -> str: ...
    @property
    def organisation(self) -> str | None: ...
    @property
    def phone(self) -> str | None: ...


def service_people_changed(
    uscc: str,
    *,
    change: Literal["assigned", "ended"],
    assignment_id: str,
    serving: Iterable[tuple[Serving, date]],
    at: datetime,
) -> ServicePeopleChangedV1:
    """``serving``: every (person, assigned_on) with an open assignment after the change; sent by
    role, name and id, whatever order they came in, so the same state is always the same list."""
    people = sorted(
        (
            ServingPerson(
                person_id=person.id,
                name=person.name,
                role=person.role,
                organisation=person.organisation,
                phone=person.phone,
                assigned_on=assigned_on,
            )
            for person, assigned_on in serving
        ),
        key=lambda p: (p.role, p.name, p.person_id),
    )
    return ServicePeopleChangedV1(
        uscc=uscc, change=change, assignment_id=assignment_id, people=people, changed_at=at
    )
