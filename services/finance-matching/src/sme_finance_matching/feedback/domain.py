"""Institutions' feedback (金融机构反馈) on the enterprises and needs pushed to them, as rules.

An institution reports an **outcome** for an enterprise (by USCC) or for one of the financing
needs it sees: ``contacted`` (对接), ``granted`` (授信/放款, or for a guarantee agency 担保) with the
amount, annual rate, term, guarantee fee rate and whether it is the enterprise's first loan (首贷),
or ``refused`` with a reason. A report is immutable; the institution's own reference
(``external_id``) makes it idempotent: the same reference with the same content is the same
report, with other content a conflict.

A report on a need moves the need along the needs module's transitions
(``needs.domain.NEXT_STATUSES``): contacted → in_progress; granted → granted; refused → refused,
through in_progress when the need has not reached it (a refused need is opened again when another
institution takes it up).
"""

from __future__ import annotations

import enum
import hashlib
import json
from collections import deque
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sme_common.rules import RuleViolation
from sme_finance_matching.institutions.domain import InstitutionKind
from sme_finance_matching.needs import domain as needs
from sme_finance_matching.needs.domain import NeedStatus


class Outcome(enum.StrEnum):
    CONTACTED = "contacted"  # 已对接
    GRANTED = "granted"  # 已授信放款 (a guarantee agency: 已担保)
    REFUSED = "refused"  # 未获批


class RefusalReason(enum.StrEnum):
    INSUFFICIENT_CREDIT_HISTORY = "insufficient_credit_history"  # 信用记录不足
    INSUFFICIENT_COLLATERAL = "insufficient_collateral"  # 抵质押或担保不足
    WEAK_FINANCIALS = "weak_financials"  # 经营或财务状况不符
    OUTSIDE_PRODUCT_TERMS = "outside_product_terms"  # 不符合产品条件
    INCOMPLETE_DOCUMENTS = "incomplete_documents"  # 资料不全
    ENTERPRISE_DECLINED = "enterprise_declined"  # 企业放弃
    OTHER = "other"


TARGET_STATUS: dict[Outcome, NeedStatus] = {
    Outcome.CONTACTED: NeedStatus.IN_PROGRESS,
    Outcome.GRANTED: NeedStatus.GRANTED,
    Outcome.REFUSED: NeedStatus.REFUSED,
}
_CLOSED = frozenset({NeedStatus.GRANTED, NeedStatus.WITHDRAWN})
"""A need in these statuses takes no more reports (granted and withdrawn are final)."""


@dataclass(frozen=True, slots=True)
class Terms:
    """What a report says, normalised (the content its ``external_id`` is bound to)."""

    outcome: Outcome
    uscc: str | None
    need_id: str | None
    outcome_on: date | None
    amount_fen: int | None
    annual_rate_ratio: Decimal | None
    term_months: int | None
    guarantee_fee_ratio: Decimal | None
    product_id: str | None
    first_time_borrower: bool | None
    refusal_reason_code: RefusalReason | None
    refusal_reason: str | None

    def fingerprint(self) -> str:
        """SHA-256 of the content, ratios normalised (``0.0150`` is ``0.015``)."""

        def norm(value: object) -> object:
            if isinstance(value, Decimal):
                return format(value.normalize(), "f")
            if isinstance(value, date):
                return value.isoformat()
            return value

        content = {name: norm(getattr(self, name)) for name in self.__dataclass_fields__}
        raw = json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
        return hashlib.sha256(raw.encode("utf-8")).hexdigest()


def _violation(code: str, message: str, message_zh: str, field: str) -> RuleViolation:
    return RuleViolation(code, message, message_zh, field=field)


_GRANT_FIELDS = (
    "amount_fen",
    "annual_rate_ratio",
    "term_months",
    "guarantee_fee_ratio",
    "product_id",
    "first_time_borrower",
)
_REFUSAL_FIELDS = ("refusal_reason_code", "refusal_reason")


def check_terms(terms: Terms, kind: InstitutionKind, *, today: date) -> None:
    """The fields each outcome carries, and no other:

    - granted: ``amount_fen``, ``term_months`` and ``first_time_borrower``; a lender (bank,
      insurer, securities firm) gives its ``annual_rate_ratio`` (and ``guarantee_fee_ratio`` for a
      guaranteed loan); a guarantee agency gives its ``guarantee_fee_ratio`` (the rate of the loan
      it guarantees is optional);
    - refused: ``refusal_reason_code`` and ``refusal_reason``;
    - contacted: neither.
    """
    if terms.outcome_on is not None and terms.outcome_on > today:
        raise _violation(
            "outcome_on_in_future",
            f"outcome_on {terms.outcome_on} is after today ({today}, Asia/Shanghai)",
            f"outcome_on 不能晚于今天（{today}）",
            "outcome_on",
        )
    allowed: tuple[str, ...] = ()
    if terms.outcome is Outcome.GRANTED:
        allowed = _GRANT_FIELDS
        required = ["amount_fen", "term_months", "first_time_borrower"]
        required.append(
            "guarantee_fee_ratio"
            if kind is InstitutionKind.GUARANTEE_AGENCY
            else "annual_rate_ratio"
        )
        for name in required:
            if getattr(terms, name) is None:
                raise _violation(
                    "feedback_field_required",
                    f"A granted outcome reported by a {kind} needs {name}",
                    f"{kind} 报送“已获批”结果须填写 {name}",
                    name,
                )
    elif terms.outcome is Outcome.REFUSED:
        allowed = _REFUSAL_FIELDS
        for name in _REFUSAL_FIELDS:
            if getattr(terms, name) is None:
                raise _violation(
                    "feedback_field_required",
                    f"A refused outcome needs {name}",
                    f"报送“未获批”结果须填写 {name}",
                    name,
                )
    for name in (*_GRANT_FIELDS, *_REFUSAL_FIELDS):
        if name not in allowed and getattr(terms, name) is not None:
            raise _violation(
                "feedback_field_not_allowed",
                f"A {terms.outcome} outcome does not carry {name}",
                f"“{terms.outcome}”结果不应填写 {name}",
                name,
            )


def need_path(current: NeedStatus, outcome: Outcome) -> list[NeedStatus]:
    """The statuses a need passes through (current excluded) when ``outcome`` is reported on it,
    by the shortest path of the needs module's transitions, each step checked by its rule
    (``needs.domain.check_status_change``); [] when it is there already. A granted or withdrawn
    need takes no more reports (409 ``need_closed``)."""
    if current in _CLOSED:
        raise need_closed(current)
    target = TARGET_STATUS[outcome]
    if current is target:
        return []
    previous: dict[NeedStatus, NeedStatus] = {}
    queue = deque([current])
    while queue:
        status = queue.popleft()
        for following in sorted(needs.NEXT_STATUSES[status]):
            if following is NeedStatus.WITHDRAWN or following in previous or following is current:
                continue
            previous[following] = status
            queue.append(following)
    if target not in previous:
        raise need_closed(current)
    path = [target]
    while previous[path[-1]] is not current:
        path.append(previous[path[-1]])
    path.reverse()
    step = current
    for status in path:
        needs.check_status_change(step, status)
        step = status
    return path


def need_closed(current: NeedStatus) -> RuleViolation:
    return RuleViolation(
        "need_closed",
        f"A {current} financing need takes no more reports",
        f"处于“{current}”状态的融资需求不再接受反馈",
        field="need_id",
    )
