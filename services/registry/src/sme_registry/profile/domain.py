"""Who sees what in a profile."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def may_see_complaint(summary: Mapping[str, Any], *, sees_complainants: bool) -> bool:
    """The complainant's identity is confidential (保障中小企业款项支付条例; complaints are accepted
    at province level, 工信部企业〔2021〕224号): a record where the enterprise is the complainant is
    shown only to those who see complainants (the province); records where it is the respondent are
    shown to everyone who sees the enterprise."""
    return sees_complainants or summary.get("party_role") != "complainant"
