"""The enterprise directory: each service's own read model of the register, built from registry events.

Certification, funding, finance-matching and complaints all need to know which enterprises exist and
where (for region scope) without calling registry (architecture.md: a consumer never needs another
service to be up). This package is that shared read model; services add their own tables beside it.
"""
