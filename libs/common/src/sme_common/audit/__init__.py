"""Tamper-evident audit, the same in every service (ADR 0010, docs/audit.md).

- ``context``: who is acting (set by ``require``, the consumer runner, or ``acting_as``);
- ``migrations``: the chain tables, the seal, the append-only guards, the application role, and
  row capture on a service's own tables;
- ``recorder``: ``seal`` (called by ``UnitOfWork.commit``), ``audit_read`` for reads of personal data;
- ``verify``: ``python -m sme_<service> audit verify``;
- ``router``: ``GET /api/<service>/v1/audit-records`` for the province and the platform admin.
"""
