"""``RuleViolation``: what a pure policy rule raises when the input breaks it.

Domain modules (``domain.py``) may not import FastAPI, Starlette or SQLAlchemy, not even through
another module, so this module imports nothing of them: the problem handlers of
``sme_common.errors`` turn a violation that reaches the edge into a 422 ``application/problem+json``
with its code, field and both messages. The bulk importer reads the same attributes to write them
into a row's error report.
"""

from __future__ import annotations


class RuleViolation(ValueError):
    """The input breaks a rule: a stable snake_case ``code``, the English ``detail`` and Chinese
    ``detail_zh`` (the problem's own member names) and the ``field`` that carries it."""

    def __init__(self, code: str, detail: str, detail_zh: str, *, field: str) -> None:
        super().__init__(detail)
        self.code = code
        self.detail = detail
        self.detail_zh = detail_zh
        self.field = field

    def __repr__(self) -> str:
        return f"RuleViolation({self.code!r}, field={self.field!r})"
